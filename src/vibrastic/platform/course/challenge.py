"""Challenge folders: loading them, and generating the learner's starter from the reference.

A challenge is one folder under ``courses/<course>/challenges/<name>/``::

    challenge.toml   title, deck section, limits, hints (in order); no position: the
                     course folder's ``course.toml`` orders the challenges
    statement.md     the task, in the deck's words and symbols
    solution.py      the reference solution; solution parts sit between
                     ``# BEGIN SOLUTION`` and ``# END SOLUTION``
    tests.py         ``CASES``: probes with points, a hidden flag and a hint each (see ``checks``)

The starter is the reference with every solution part replaced by its ``# STUB:`` lines, or by
``raise NotImplementedError("TODO …")`` when it has none — one source of truth, like otter and
nbgrader.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tomllib
from dataclasses import dataclass, field, replace
from functools import cache, lru_cache
from pathlib import Path

from vibrastic.platform.course.checks import Case
from vibrastic.platform.course.model import CourseError, load_course, recent_signature

PACKAGE_COURSES = Path(__file__).resolve().parents[2] / "courses"
DEFAULT_COURSE = PACKAGE_COURSES / "vibrastic101"
REQUIRED_FILES = ("challenge.toml", "statement.md", "solution.py", "tests.py")

BEGIN = re.compile(r"^(?P<indent>[ \t]*)# BEGIN SOLUTION(?::\s*(?P<todo>.*))?$")
END = re.compile(r"^[ \t]*# END SOLUTION\s*$")
STUB = re.compile(r"^[ \t]*# STUB: ?(?P<line>.*)$")


class ChallengeError(ValueError):
    """A challenge folder that is incomplete or malformed (named, with what is missing)."""


class UnknownChallenge(KeyError):
    """No challenge by that name; the message lists the ones that exist."""

    def __init__(self, name: str, known: list[str]) -> None:
        super().__init__(name)
        self.name, self.known = name, known

    def __str__(self) -> str:
        return f"no challenge named {self.name!r}; expected one of: {', '.join(self.known)}"


@dataclass(frozen=True)
class Challenge:
    """One challenge, loaded from its folder."""

    name: str
    title: str
    section: str
    path: Path
    statement: str
    reference: str
    cases: tuple[Case, ...]
    hints: tuple[str, ...] = ()
    time_limit: float = 10.0
    memory_mb: int = 512
    uses: tuple[str, ...] = field(default=())  # heavy modules the warm grader pre-imports
    order: int = 0  # place in course.toml's order, from 1 (set by load_challenges; 0 when alone)

    @property
    def starter(self) -> str:
        return make_starter(self.reference)

    @property
    def filename(self) -> str:
        """The learner's file name in the workspace (importable: underscores)."""
        return self.name.replace("-", "_") + ".py"

    @property
    def command(self) -> str:
        return f"vibrastic challenge start {self.name}"

    @property
    def max_score(self) -> float:
        return float(sum(c.points for c in self.cases))

    @property
    def fingerprint(self) -> str:
        """Changes whenever the reference or the tests change (keys the expected-values cache)."""
        digest = hashlib.sha256(self.reference.encode())
        digest.update((self.path / "tests.py").read_bytes())
        return digest.hexdigest()[:16]


@lru_cache(maxsize=256)  # pure, and every course map and challenge page asks for all starters
def make_starter(reference: str, label: str = "TODO") -> str:
    """Replace every ``# BEGIN SOLUTION … # END SOLUTION`` block by its stub (see module doc);
    ``label`` starts the NotImplementedError's message (a project stage uses ``"stage 3"``)."""
    out: list[str] = []
    block: list[str] | None = None
    indent, todo = "", ""
    for number, line in enumerate(reference.splitlines(), 1):
        begin = BEGIN.match(line)
        if begin and block is None:
            block, indent, todo = [], begin["indent"], (begin["todo"] or "").strip()
            continue
        if block is not None and END.match(line):
            stubs = [m["line"] for m in map(STUB.match, block) if m]
            if stubs:
                out.extend(indent + s for s in stubs)
            else:
                message = f"{label}: {todo}" if todo else f"{label}: write this part"
                out.append(f"{indent}# {message}")
                out.append(f"{indent}raise NotImplementedError({message!r})")
            block = None
            continue
        if block is not None:
            if begin:
                raise ChallengeError(f"line {number}: nested '# BEGIN SOLUTION'")
            block.append(line)
        elif END.match(line):
            raise ChallengeError(f"line {number}: '# END SOLUTION' without a BEGIN")
        else:
            out.append(line)
    if block is not None:
        raise ChallengeError("'# BEGIN SOLUTION' without '# END SOLUTION'")
    return "\n".join(out) + "\n"


def strip_markers(reference: str) -> str:
    """The reference as a learner would write it: markers and stub lines removed."""
    keep = [
        line for line in reference.splitlines()
        if not (BEGIN.match(line) or END.match(line) or STUB.match(line))
    ]
    return "\n".join(keep) + "\n"


def load_challenge(folder: Path) -> Challenge:
    """Load one challenge folder, checking that every part is there."""
    folder = Path(folder)
    missing = [f for f in REQUIRED_FILES if not (folder / f).is_file()]
    if missing:
        raise ChallengeError(f"challenge folder {folder} is missing {', '.join(missing)}")
    try:
        meta = tomllib.loads((folder / "challenge.toml").read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ChallengeError(f"{folder / 'challenge.toml'}: {exc}") from exc
    namespace: dict = {"__name__": f"vibrastic_challenge_tests_{folder.name.replace('-', '_')}"}
    tests_path = folder / "tests.py"
    exec(compile(tests_path.read_text(encoding="utf-8"), str(tests_path), "exec"), namespace)
    cases = tuple(namespace.get("CASES", ()))
    if not cases or not all(isinstance(c, Case) for c in cases):
        raise ChallengeError(f"{tests_path} must define CASES, a list of "
                             "vibrastic.platform.course.checks.Case")
    for key in ("title", "section"):
        if key not in meta:
            raise ChallengeError(f"{folder / 'challenge.toml'} has no {key!r}")
    if "order" in meta:
        raise ChallengeError(f"{folder / 'challenge.toml'} has 'order'; remove it: course.toml "
                             "alone orders the challenges (by the lessons that list them)")
    reference = (folder / "solution.py").read_text(encoding="utf-8")
    make_starter(reference)  # fail early on malformed markers
    return Challenge(
        name=folder.name,
        title=meta["title"],
        section=meta["section"],
        path=folder,
        statement=(folder / "statement.md").read_text(encoding="utf-8"),
        reference=reference,
        cases=cases,
        hints=tuple(meta.get("hints", ())),
        time_limit=float(meta.get("time_limit", 10)),
        memory_mb=int(meta.get("memory_mb", 512)),
        uses=tuple(meta.get("uses", ())),
    )


def _folders(root: Path) -> list[Path]:
    return [p for p in sorted(root.iterdir()) if p.is_dir() and not p.name.startswith(("_", "."))]


def _signature(root: Path) -> tuple:
    """Changes when any challenge file or course.toml changes, so an author's edit is seen
    without a restart. One ``stat`` per file (see ``recent_signature`` for how often)."""
    entries: list[tuple[str, int, int]] = []
    for folder in sorted(os.scandir(root), key=lambda e: e.name):
        if not folder.is_dir() or folder.name.startswith(("_", ".")):
            continue
        for entry in sorted(os.scandir(folder.path), key=lambda e: e.name):
            if entry.is_file():
                info = entry.stat()
                entries.append((f"{folder.name}/{entry.name}", info.st_mtime_ns, info.st_size))
    with contextlib.suppress(FileNotFoundError):
        info = (root.parent / "course.toml").stat()
        entries.append(("course.toml", info.st_mtime_ns, info.st_size))
    return tuple(entries)


def course_order(root: Path) -> list[str]:
    """The challenge names of the ``challenges`` folder ``root``, in course order.

    The order is the one ``course.toml`` (next to ``root``) gives; every folder must be listed
    there and every listed name must have a folder. A bare folder of challenges without a
    ``course.toml`` (an author's draft) is ordered by name.
    """
    folders = [p.name for p in _folders(root)]
    if not (root.parent / "course.toml").is_file():
        return folders
    try:
        names = list(load_course(root.parent).challenges)
    except CourseError as exc:
        raise ChallengeError(str(exc)) from exc
    missing = [n for n in names if n not in folders]
    if missing:
        raise ChallengeError(f"course.toml names challenge(s) {', '.join(missing)} but {root} "
                             f"has no folder for them")
    unlisted = [n for n in folders if n not in names]
    if unlisted:
        raise ChallengeError(f"challenge folder(s) {', '.join(unlisted)} in {root} are in no "
                             "lesson of course.toml; add each to a lesson's challenges = [...]")
    return names


@cache
def _load_all(root: Path, signature: tuple) -> tuple[Challenge, ...]:
    return tuple(replace(load_challenge(root / name), order=number)
                 for number, name in enumerate(course_order(root), 1))


def challenges_dir(course: Path | str | None = None) -> Path:
    """The ``challenges`` folder of a course folder (the packaged Vibrastic 101 by default)."""
    root = Path(course) if course else DEFAULT_COURSE
    if root.name != "challenges" and (root / "challenges").is_dir():
        root = root / "challenges"
    if not root.is_dir():
        raise ChallengeError(f"{root} is not a course folder with a challenges/ folder")
    return root.resolve()


def load_challenges(course: Path | str | None = None) -> list[Challenge]:
    """Every challenge of a course, in course order."""
    root = challenges_dir(course)
    return list(_load_all(root, recent_signature(root, _signature)))


def get_challenge(name: str, course: Path | str | None = None) -> Challenge:
    """One challenge by name; raises UnknownChallenge listing the valid names."""
    found = {c.name: c for c in load_challenges(course)}
    if name not in found:
        raise UnknownChallenge(name, list(found))
    return found[name]


def challenge_index(course: Path | str | None = None) -> list[dict[str, object]]:
    """Challenges in course order with their deck section and the command a lesson points to."""
    return [
        {"name": c.name, "title": c.title, "section": c.section, "order": c.order,
         "command": c.command, "max_score": c.max_score}
        for c in load_challenges(course)
    ]
