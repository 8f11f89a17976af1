"""The project, "Let's build our own": stages in which a learner writes an autograd engine.

``course.toml`` orders the stages and milestones (its ``[project]`` table); the project folder
holds the rest::

    project/mygrad/*.py                the reference engine, solution parts between
                                       ``# BEGIN SOLUTION`` and ``# END SOLUTION`` markers
    project/stages/<name>/stage.toml   title, deck section, the files the stage adds, limits, hints
    project/stages/<name>/statement.md the task, with the deck's formulas
    project/stages/<name>/tests.py     ``CASES`` (checks DSL + ``stagechecks``), using only this
                                       and earlier stages of the learner's package
    project/milestones/<name>/         milestone.toml, statement.md, run.py (runs in the sandbox)

The learner has one package that grows: each stage adds its files (generated from the reference
with every solution part replaced by ``raise NotImplementedError("stage N: …")``) and nothing is
ever copied from one stage to the next. A stage is graded with the learner's whole package.
"""

from __future__ import annotations

import hashlib
import stat
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from vibrastic.platform.course.challenge import ChallengeError, make_starter
from vibrastic.platform.course.model import CourseError, course_root, recent_signature

if TYPE_CHECKING:
    from vibrastic.platform.course.checks import Case


class UnknownStage(KeyError):
    """No stage (or milestone) by that name or number; the message lists the valid ones."""

    def __init__(self, ref: str, known: list[str], what: str = "stage") -> None:
        super().__init__(ref)
        self.ref, self.known, self.what = ref, known, what

    def __str__(self) -> str:
        return f"no {self.what} {self.ref!r}; expected one of: {', '.join(self.known)}"


@dataclass(frozen=True)
class Stage:
    """One stage: what it asks, which files of the package it adds, and its tests.

    ``slug`` is its name in the course (``tensor``); ``name`` (``project-tensor``) is its name as
    a gradable — in verdicts, the progress store and the grader's cache. It has what the grader
    needs of a gradable: ``name``, ``filename``, ``cases``, limits,
    ``reference`` (the submission's main module: it imports this stage's modules) with
    ``reference_files`` (the reference package up to this stage), and a ``fingerprint``.
    """

    number: int
    slug: str
    title: str
    section: str
    path: Path
    statement: str
    files: tuple[str, ...]
    cases: tuple[Case, ...]
    reference_files: dict[str, bytes] = field(repr=False, compare=False)
    starter_files: dict[str, bytes] = field(repr=False, compare=False)
    earlier_files: tuple[str, ...] = ()
    hints: tuple[str, ...] = ()
    time_limit: float = 20.0
    memory_mb: int = 512

    @property
    def name(self) -> str:
        """The stage as a gradable: in verdicts and the progress store (``project-tensor``)."""
        return f"project-{self.slug}"

    @property
    def label(self) -> str:
        return f"stage {self.number}"

    @property
    def filename(self) -> str:
        return f"stage_{self.slug}.py"

    @property
    def modules(self) -> tuple[str, ...]:
        """The importable modules this stage adds (``mygrad.value``)."""
        return tuple(f[:-3].replace("/", ".").removesuffix(".__init__")
                     for f in self.files if f.endswith(".py"))

    @property
    def reference(self) -> str:
        """The submission's main module: importing the stage's modules surfaces syntax errors
        and import errors once, before the tests."""
        return "".join(f"import {m}\n" for m in self.modules)

    @property
    def source(self) -> str:
        return self.reference

    @property
    def command(self) -> str:
        return f"vibrastic project start {self.slug}"

    @property
    def max_score(self) -> float:
        return float(sum(c.points for c in self.cases))

    @property
    def fingerprint(self) -> str:
        """Changes when the reference package, the tests or the stage's files change."""
        digest = hashlib.sha256(self.reference.encode())
        for rel, data in sorted(self.reference_files.items()):
            digest.update(rel.encode() + b"\0" + data)
        digest.update((self.path / "tests.py").read_bytes())
        return digest.hexdigest()[:16]

    def starter_package(self) -> dict[str, bytes]:
        """Earlier stages' reference files plus this stage's starters: what ``course check``
        grades as "the starter" (it must fail)."""
        package = {rel: self.reference_files[rel] for rel in self.earlier_files}
        package.update(self.starter_files)
        return package


@dataclass(frozen=True)
class Milestone:
    """A run of the deck's networks on the learner's engine, once ``requires`` has passed."""

    slug: str
    title: str
    path: Path
    statement: str
    requires: str  # the last stage it needs
    script: str  # run.py: runs in the sandbox next to the learner's package
    time_limit: float = 120.0
    memory_mb: int = 1024
    options: dict[str, float] = field(default_factory=dict)  # defaults (e.g. epochs)

    @property
    def name(self) -> str:
        """The milestone's runs in verdicts and the progress store (``milestone-xor``)."""
        return f"milestone-{self.slug}"

    @property
    def filename(self) -> str:
        return f"milestone_{self.slug}.py"

    @property
    def command(self) -> str:
        return f"vibrastic project milestone {self.slug}"


@dataclass(frozen=True)
class Project:
    """The project of a course: its package name, stages and milestones in course order."""

    title: str
    package: str
    root: Path
    stages: tuple[Stage, ...]
    milestones: tuple[Milestone, ...]

    def stage(self, ref: str | int) -> Stage:
        """A stage by number (``3``) or name (``tensor``)."""
        key = str(ref).strip().lower()
        for stage in self.stages:
            if key in (str(stage.number), stage.slug):
                return stage
        raise UnknownStage(str(ref), [f"{s.number} {s.slug}" for s in self.stages])

    def milestone(self, name: str) -> Milestone:
        for milestone in self.milestones:
            if milestone.slug == name.strip().lower():
                return milestone
        raise UnknownStage(name, [m.slug for m in self.milestones], "milestone")

    def reference_package(self) -> dict[str, bytes]:
        """The whole reference engine (the last stage's reference files)."""
        return dict(self.stages[-1].reference_files) if self.stages else {}


def _toml(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CourseError(f"{path} not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise CourseError(f"{path}: {exc}") from exc


def _cases(folder: Path) -> tuple[Case, ...]:
    from vibrastic.platform.course.checks import Case

    tests = folder / "tests.py"
    if not tests.is_file():
        raise CourseError(f"{tests} not found: a stage needs tests.py with CASES")
    namespace: dict = {"__name__": f"vibrastic_project_tests_{folder.name}"}
    exec(compile(tests.read_text(encoding="utf-8"), str(tests), "exec"), namespace)
    cases = tuple(namespace.get("CASES", ()))
    if not cases or not all(isinstance(c, Case) for c in cases):
        raise CourseError(f"{tests} must define CASES, a list of checks.Case")
    return cases


def _load(course: Path, signature: tuple) -> Project | None:
    if not (course / "course.toml").is_file():
        return None  # a bare folder of challenges has no project
    meta = _toml(course / "course.toml").get("project")
    if meta is None:
        return None
    root = course / meta.get("folder", "project")
    package = meta.get("package", "mygrad")
    stages: list[Stage] = []
    reference: dict[str, bytes] = {}
    for number, name in enumerate(meta.get("stages", [])):
        folder = root / "stages" / name
        info = _toml(folder / "stage.toml")
        files = tuple(info.get("files", ()))
        if not files or not all(f.startswith(package + "/") for f in files):
            raise CourseError(f"{folder / 'stage.toml'}: files must list {package}/… paths")
        earlier = tuple(reference)
        starters: dict[str, bytes] = {}
        for rel in files:
            source = root / rel
            if not source.is_file():
                raise CourseError(f"{folder / 'stage.toml'}: {rel} is not in {root}")
            if rel in reference:
                raise CourseError(f"{folder / 'stage.toml'}: {rel} belongs to an earlier stage")
            text = source.read_text(encoding="utf-8")
            reference[rel] = text.encode()
            try:
                starters[rel] = make_starter(text, f"stage {number}").encode()
            except ChallengeError as exc:
                raise CourseError(f"{source}: {exc}") from exc
        stages.append(Stage(
            number=number, slug=name, title=info.get("title", name),
            section=info.get("section", ""), path=folder,
            statement=(folder / "statement.md").read_text(encoding="utf-8"),
            files=files, cases=_cases(folder), reference_files=dict(reference),
            starter_files=starters, earlier_files=earlier, hints=tuple(info.get("hints", ())),
            time_limit=float(info.get("time_limit", 20)),
            memory_mb=int(info.get("memory_mb", 512)),
        ))
    names = [s.slug for s in stages]
    milestones = []
    for name in meta.get("milestones", []):
        folder = root / "milestones" / name
        info = _toml(folder / "milestone.toml")
        requires = info.get("requires", "")
        if requires not in names:
            raise CourseError(f"{folder / 'milestone.toml'}: requires {requires!r}, expected "
                              f"a stage: {', '.join(names)}")
        milestones.append(Milestone(
            slug=name, title=info.get("title", name), path=folder,
            statement=(folder / "statement.md").read_text(encoding="utf-8"), requires=requires,
            script=(folder / "run.py").read_text(encoding="utf-8"),
            time_limit=float(info.get("time_limit", 120)),
            memory_mb=int(info.get("memory_mb", 1024)),
            options=dict(info.get("options", {})),
        ))
    return Project(title=meta.get("title", "Project"), package=package, root=root,
                   stages=tuple(stages), milestones=tuple(milestones))


_cached_load = cache(_load)


def _signature(course: Path) -> tuple:
    """Changes when any project file changes, so an author's edit is seen without a restart."""
    files = [course / "course.toml", *sorted((course / "project").rglob("*"))]
    entries = []
    for path in files:  # one stat per file (see ``recent_signature`` for how often)
        try:
            info = path.stat()
        except FileNotFoundError:
            continue
        if stat.S_ISREG(info.st_mode):
            entries.append((str(path), info.st_mtime_ns, info.st_size))
    return tuple(entries)


def load_project(course: Path | str | None = None) -> Project | None:
    """The project of a course folder (the packaged Vibrastic 101 by default); None when the
    course has no ``[project]``. Raises CourseError naming a malformed file."""
    root = Path(course) if course is not None else course_root()
    if root.name == "challenges":  # ``course check path/to/challenges`` names the folder inside
        root = root.parent
    root = root.resolve()
    return _cached_load(root, recent_signature(root, _signature))


def get_project(course: Path | str | None = None) -> Project:
    """Like ``load_project``, but a course without a project is a CourseError."""
    project = load_project(course)
    if project is None:
        raise CourseError("this course has no [project] in its course.toml")
    return project
