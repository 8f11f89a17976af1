"""The learner's side of the project: the ``mygrad/`` package in the workspace, stage checks,
milestone runs and where the learner stands — the functions the CLI and the web course call.

One package grows in the workspace (``vibrastic-work/mygrad/``): ``start_stage`` adds the files
a stage introduces and never overwrites one that exists (``force`` keeps a ``.bak`` backup);
nothing is copied from one stage to the next. ``check_stage`` sends the whole package — every
``*.py`` below ``mygrad/`` — to the sandboxed grader; the stage's tests import only that
package (and only this and earlier stages of it). Attempts go to the progress store under the
stage's key (``project-tensor``), milestone runs under ``milestone-xor``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vibrastic.platform.course.project import (
    Milestone,
    Project,
    Stage,
    get_project,
    load_project,
)
from vibrastic.platform.progress import store
from vibrastic.platform.progress.workspace import (
    Saved,
    SourceConflict,
    _backup,
    _write_atomically,
    bytes_sha256,
    workspace_dir,
)

if TYPE_CHECKING:
    from vibrastic.platform.grader.grade import Grader
    from vibrastic.platform.grader.results import GradeResult
    from vibrastic.platform.progress.milestones import MilestoneRun
    from vibrastic.platform.progress.service import GradingService

MAX_PACKAGE_FILES = 48
MAX_FILE_BYTES = 256 * 1024


class ProjectError(RuntimeError):
    """A project action that cannot be done as asked; the message says why and what to do."""


class NotInPackage(ProjectError):
    """A path that is not a ``.py`` file inside the learner's package."""


class BadPackageText(ProjectError):
    """Text that cannot be a file of the package (not UTF-8)."""


class FileTooLarge(ProjectError):
    """A package file over ``MAX_FILE_BYTES``."""


@dataclass(frozen=True)
class Started:
    """What ``start_stage`` did: files written, files kept (they existed), backups made."""

    stage: Stage
    written: tuple[Path, ...]
    kept: tuple[Path, ...]
    backups: tuple[Path, ...]
    unpassed: tuple[str, ...]  # earlier stages not passed yet (a warning, not a refusal)


@dataclass(frozen=True)
class StageStatus:
    """Where the learner stands on one stage: 'not started' | 'started' | 'attempted' |
    'passed' (an attempt passed every test, hidden ones included)."""

    stage: Stage
    status: str
    best_score: float
    max_score: float
    attempts: int


@dataclass(frozen=True)
class MilestoneStatus:
    milestone: Milestone
    available: bool  # every stage up to ``requires`` has passed
    status: str  # 'not run' | 'passed' | 'failed'
    runs: int


def package_dir(workspace: Path | None = None, project: Project | None = None) -> Path:
    """The learner's package folder, ``<workspace>/mygrad``."""
    project = project or get_project()
    return (workspace or workspace_dir()) / project.package


def read_package(workspace: Path | None = None, project: Project | None = None
                 ) -> dict[str, bytes]:
    """Every ``*.py`` file of the learner's package, by path relative to the workspace.

    Raises ProjectError when the package is missing, too big, or holds a link that leads
    outside it.
    """
    project = project or get_project()
    root = (workspace or workspace_dir()).resolve()
    folder = root / project.package
    if not folder.is_dir():
        raise ProjectError(f"no {project.package}/ folder in {root}; run `vibrastic project "
                           f"start {project.stages[0].slug}` first")
    files: dict[str, bytes] = {}
    for path in sorted(folder.rglob("*.py")):
        if any(part.startswith(".") or part == "__pycache__"
               for part in path.relative_to(root).parts):
            continue
        real = path.resolve()
        if not real.is_relative_to(folder.resolve()) or not real.is_file():
            raise ProjectError(f"{path} links outside {folder}; expected plain files")
        if real.stat().st_size > MAX_FILE_BYTES:
            raise ProjectError(f"{path} is over {MAX_FILE_BYTES // 1024} KiB; a stage's file "
                               "is a few hundred lines")
        files[path.relative_to(root).as_posix()] = real.read_bytes()
        if len(files) > MAX_PACKAGE_FILES:
            raise ProjectError(f"{folder} holds more than {MAX_PACKAGE_FILES} Python files")
    return files


def package_file(rel: str, workspace: Path | None = None, project: Project | None = None
                 ) -> Path:
    """The path of one file of the learner's package, e.g. ``mygrad/value.py``; a path that is
    not a ``.py`` file inside the package (``..``, absolute, another folder) is a ProjectError."""
    project = project or get_project()
    parts = Path(rel).parts
    if (not rel.endswith(".py") or len(parts) < 2 or parts[0] != project.package
            or any(p in ("..", ".", "") or p.startswith(".") for p in parts)
            or Path(rel).is_absolute()):
        raise NotInPackage(f"{rel!r} is not a file of your package; expected a path like "
                           f"{project.package}/value.py")
    return (workspace or workspace_dir()) / Path(*parts)


def check_package_text(rel: str, text: str) -> bytes:
    """``text`` as the UTF-8 bytes of a package file; ProjectError when it cannot be one."""
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise BadPackageText(f"{rel}: not valid UTF-8 text (character {exc.start} is an unpaired "
                           "surrogate)") from None
    if len(data) > MAX_FILE_BYTES:
        raise FileTooLarge(f"{rel} would be {len(data)} bytes; a file of your package may be "
                           f"at most {MAX_FILE_BYTES} bytes ({MAX_FILE_BYTES // 1024} KiB)")
    return data


def save_package_file(rel: str, text: str, workspace: Path | None = None,
                      project: Project | None = None, *, base_sha256: str | None = None,
                      force: bool = True) -> Saved:
    """Write one file of the learner's package (an editor's save), atomically.

    Without ``force``, a file that changed on disk since the editor loaded it (its hash is not
    ``base_sha256``) is a SourceConflict and nothing is written; with it, the disk's version is
    kept as a ``.bak`` first (when it differs)."""
    path = package_file(rel, workspace, project)
    data = check_package_text(rel, text)
    try:
        current = path.read_bytes()
    except FileNotFoundError:
        current = None
    backup = None
    if current is not None and current != data and bytes_sha256(current) != base_sha256:
        if not force:
            raise SourceConflict(path, current.decode("utf-8", "replace"), bytes_sha256(current))
        backup = _backup(path)
    _write_atomically(path, text)
    return Saved(path, bytes_sha256(data), backup)


def package_digest(files: dict[str, bytes]) -> str:
    """The text stored with an attempt (hashed by the store): each file's path and content."""
    return "".join(f"# ---- {rel}\n{data.decode('utf-8', 'replace')}\n"
                   for rel, data in sorted(files.items()))


def start_stage(ref: str | int, *, force: bool = False, workspace: Path | None = None,
                project: Project | None = None, record: bool = True) -> Started:
    """Add the stage's starter files to the learner's package; existing files are kept
    (with ``force``: backed up as ``.bak`` and replaced)."""
    project = project or get_project()
    stage = project.stage(ref)
    root = workspace or workspace_dir()
    written, kept, backups = [], [], []
    for rel, data in stage.starter_files.items():
        path = root / rel
        if path.exists() and not force:
            kept.append(path)
            continue
        if path.exists():
            backups.append(_backup(path))
        _write_atomically(path, data.decode("utf-8"))
        written.append(path)
    unpassed = tuple(unpassed_before(stage, stage_statuses(project, root), project)
                     if record else ())
    if record:
        store.mark_started(stage.name, detail=", ".join(str(p) for p in written))
    return Started(stage, tuple(written), tuple(kept), tuple(backups), unpassed)


def unpassed_before(stage: Stage, statuses: dict[str, StageStatus],
                    project: Project) -> list[str]:
    """The stages before ``stage`` not passed yet. Starting ``stage`` anyway is allowed (a
    learner may read ahead); every face warns, since its tests use those parts too."""
    return [s.slug for s in project.stages[: stage.number] if statuses[s.slug].status != "passed"]


def earlier_stages_warning(unpassed: list[str] | tuple[str, ...]) -> str | None:
    """The warning the CLI and the web show for ``unpassed_before`` (None when all passed)."""
    if not unpassed:
        return None
    return (f"this stage builds on {', '.join(unpassed)}, not passed yet; its tests use those "
            "parts of your engine too.")


def check_stage(ref: str | int, *, hidden: bool = True, files: dict[str, bytes] | None = None,
                workspace: Path | None = None, project: Project | None = None,
                service: GradingService | None = None, learner: str = "local") -> GradeResult:
    """Grade the learner's package (or ``files``) against a stage's tests through the grading
    service (sandboxed) and record the attempt under the stage's name.

    Raises ProjectError (no package, or one the grader refuses) and GraderError (the grader
    could not run: not recorded, it costs the learner nothing).
    """
    from vibrastic.platform.progress.service import SubmissionError
    from vibrastic.platform.progress.submit import default_service

    project = project or get_project()
    stage = project.stage(ref)
    files = files if files is not None else read_package(workspace, project)
    service = service or default_service()
    try:
        job = service.submit(stage, stage.source, learner, hidden=hidden, files=files)
    except SubmissionError as exc:
        raise ProjectError(str(exc)) from None
    return service.wait(job)


def stage_statuses(project: Project | None = None, workspace: Path | None = None
                   ) -> dict[str, StageStatus]:
    """Every stage in order with the learner's status, best score and attempts ("started":
    its files are in the workspace but it was never checked)."""
    project = project or get_project()
    root = workspace or workspace_dir()
    tries = store.attempt_outcomes([stage.name for stage in project.stages])  # one query
    return statuses_from(project, lambda name: tries.get(name, []),
                         lambda rel: (root / rel).exists())


def statuses_from(project: Project, attempts_of: Callable[[str], list[dict[str, Any]]],
                  has_file: Callable[[str], bool]) -> dict[str, StageStatus]:
    """Stage statuses from any record of attempts (the store, a classroom's database) and any
    file store (the workspace, the classroom's saved files)."""
    out = {}
    for stage in project.stages:
        tries = attempts_of(stage.name)
        if any(a["status"] == "pass" and a["hidden_run"] for a in tries):
            status = "passed"
        elif tries:
            status = "attempted"
        elif all(has_file(rel) for rel in stage.files):
            status = "started"
        else:
            status = "not started"
        best = max((a["score"] or 0.0 for a in tries), default=0.0)
        out[stage.slug] = StageStatus(stage, status, best, stage.max_score, len(tries))
    return out


def milestone_statuses(project: Project | None = None,
                       stages: dict[str, StageStatus] | None = None,
                       attempts_of: Callable[[str], list[dict[str, Any]]] | None = None
                       ) -> dict[str, MilestoneStatus]:
    """Each milestone: may it run (its stages passed), did a run pass, how many runs."""
    project = project or get_project()
    stages = stages if stages is not None else stage_statuses(project)
    attempts_of = attempts_of or store.attempts
    out = {}
    for milestone in project.milestones:
        runs = attempts_of(milestone.name)
        needed = [s.slug for s in project.stages[: project.stage(milestone.requires).number + 1]]
        available = all(stages[n].status == "passed" for n in needed)
        status = ("passed" if any(r["status"] == "pass" for r in runs)
                  else "failed" if runs else "not run")
        out[milestone.slug] = MilestoneStatus(milestone, available, status, len(runs))
    return out


def missing_stages(milestone: Milestone, stages: dict[str, StageStatus],
                   project: Project | None = None) -> list[str]:
    """The stages ``milestone`` needs that are not passed in ``stages``."""
    project = project or get_project()
    needed = project.stages[: project.stage(milestone.requires).number + 1]
    return [s.slug for s in needed if stages[s.slug].status != "passed"]


def project_item(name: str, project: Project | None = None) -> Stage | Milestone | None:
    """The stage or milestone whose gradable name is ``name`` (``project-tensor``,
    ``milestone-xor``); None for anything else (a challenge)."""
    if not name.startswith(("project-", "milestone-")):
        return None  # a challenge: no need to look at the project's files
    project = load_project() if project is None else project
    if project is None:
        return None
    for item in (*project.stages, *project.milestones):
        if item.name == name:
            return item
    return None


def prepare_check(name: str, files: dict[str, bytes], stages: dict[str, StageStatus],
                  options: dict[str, Any] | None = None, project: Project | None = None
                  ) -> tuple[Any, str, dict[str, bytes], str]:
    """Everything a face needs to queue a stage check or a milestone run: (gradable, main
    source, files, payload). A milestone whose stages have not all passed is a ProjectError —
    it never claims "your engine" before the learner has built it."""
    project = project or get_project()
    item = project_item(name, project)
    if isinstance(item, Milestone):
        missing = missing_stages(item, stages, project)
        if missing:
            raise ProjectError(f"milestone {item.slug} runs on stages up to {item.requires}; "
                               f"not passed yet: {', '.join(missing)}")
    if not files:
        raise ProjectError(f"your {project.package}/ package is empty; start stage "
                           f"{project.stages[0].slug} first")
    payload = project_payload(files, options)
    gradable, source, files = project_gradable(name, payload, project)
    return gradable, source, files, payload


def project_payload(files: dict[str, bytes], options: dict[str, Any] | None = None) -> str:
    """What a queued project check carries (a classroom's submission row): the package's
    files as text and a milestone's options, as JSON."""
    return json.dumps({"files": {rel: data.decode("utf-8") for rel, data in
                                 sorted(files.items())}, "options": options or {}})


def readable_source(name: str, source: str) -> str:
    """A stored check's code for people: a project payload as its files one after another."""
    if project_item(name) is None:
        return source
    try:
        files = json.loads(source)["files"]
        return package_digest({rel: str(text).encode() for rel, text in files.items()})
    except (ValueError, KeyError, TypeError, AttributeError):
        return source  # already the package digest (graded in-process)


def project_gradable(name: str, payload: str, project: Project | None = None
                     ) -> tuple[Any, str, dict[str, bytes]]:
    """(gradable, main source, files) for the grading service or a worker, from the name of a
    stage or milestone and its ``project_payload``. Raises ProjectError on a bad payload."""
    from vibrastic.platform.progress.milestones import MilestoneJob, options_for

    item = project_item(name, project)
    if item is None:
        raise ProjectError(f"{name!r} is not a stage or milestone of the project")
    try:
        data = json.loads(payload)
        files = {str(rel): str(text).encode("utf-8") for rel, text in data["files"].items()}
        options = dict(data.get("options") or {})
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ProjectError(f"a project check needs its package as JSON ({exc})") from None
    if isinstance(item, Stage):
        return item, item.source, files
    try:
        opts = options_for(item, options)
    except ValueError as exc:
        raise ProjectError(str(exc)) from None
    given = tuple((k, float(v)) for k, v in sorted(opts.items()) if k in options)
    return MilestoneJob(item, given), item.script, files


def missing_for(milestone: Milestone, project: Project | None = None) -> list[str]:
    """The stages a milestone needs that have not passed yet (empty: it may run)."""
    project = project or get_project()
    return missing_stages(milestone, stage_statuses(project), project)


def run_milestone(name: str, *, options: dict[str, Any] | None = None,
                  files: dict[str, bytes] | None = None, workspace: Path | None = None,
                  project: Project | None = None, grader: Grader | None = None,
                  require_passed: bool = True, record: bool = True,
                  service: GradingService | None = None) -> MilestoneRun:
    """Run a milestone on the learner's engine in the sandbox, next to vibrastic and PyTorch.

    Without ``grader`` it goes through the grading service (the process-wide one unless
    ``service``), which records the run; its figures come back as SVG (``MilestoneRun.svgs``).
    With ``grader`` it runs here on that grader (recorded when ``record``), figures as
    matplotlib figures. Refuses (ProjectError) while a stage it needs has not passed, unless
    ``require_passed`` is False — a milestone never claims "your engine" before the learner has
    built it. An unknown or bad option is a ValueError naming the valid ones.
    """
    from vibrastic.platform.progress.milestones import MilestoneJob, MilestoneRun, options_for, run

    project = project or get_project()
    milestone = project.milestone(name)
    if require_passed:
        missing = missing_for(milestone, project)
        if missing:
            raise ProjectError(
                f"milestone {milestone.slug} runs on stages up to {milestone.requires}; not "
                f"passed yet: {', '.join(missing)} (vibrastic project check {missing[0]})")
    files = files if files is not None else read_package(workspace, project)
    if grader is None:
        from vibrastic.platform.progress.service import SubmissionError
        from vibrastic.platform.progress.submit import default_service

        given = options or {}
        chosen = options_for(milestone, given)
        job = MilestoneJob(milestone, tuple((k, float(v)) for k, v in sorted(chosen.items())
                                            if k in given))
        service = service or default_service()
        try:
            job_id = service.submit(job, milestone.script, files=files)
        except SubmissionError as exc:
            raise ProjectError(str(exc)) from None
        result = service.wait(job_id)
        return MilestoneRun(milestone, result, rows=list(result.extra.get("rows", [])),
                            svgs=dict(result.extra.get("figures", {})),
                            attempt_id=service.status(job_id).attempt_id)
    outcome = run(milestone, files, options or {}, grader)
    if record:
        outcome.attempt_id = store.record_attempt(outcome.result, package_digest(files))
    return outcome
