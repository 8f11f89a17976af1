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

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vibrastic.platform.course.project import Milestone, Project, Stage, get_project
from vibrastic.platform.progress import store
from vibrastic.platform.progress.workspace import _backup, _write_atomically, workspace_dir

if TYPE_CHECKING:
    from vibrastic.platform.grader.grade import Grader
    from vibrastic.platform.grader.results import GradeResult
    from vibrastic.platform.progress.milestones import MilestoneRun
    from vibrastic.platform.progress.service import GradingService

MAX_PACKAGE_FILES = 48
MAX_FILE_BYTES = 256 * 1024


class ProjectError(RuntimeError):
    """A project action that cannot be done as asked; the message says why and what to do."""


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
        raise ProjectError(f"{rel!r} is not a file of your package; expected a path like "
                           f"{project.package}/value.py")
    return (workspace or workspace_dir()) / Path(*parts)


def save_package_file(rel: str, text: str, workspace: Path | None = None,
                      project: Project | None = None) -> Path:
    """Write one file of the learner's package (an editor's save), atomically; the previous
    content is never half-overwritten. Returns the path."""
    path = package_file(rel, workspace, project)
    if len(text.encode("utf-8")) > MAX_FILE_BYTES:
        raise ProjectError(f"{rel} would be over {MAX_FILE_BYTES // 1024} KiB")
    _write_atomically(path, text)
    return path


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
    statuses = stage_statuses(project, root) if record else {}
    unpassed = tuple(s.slug for s in project.stages[: stage.number]
                     if record and statuses[s.slug].status != "passed")
    if record:
        store.mark_started(stage.name, detail=", ".join(str(p) for p in written))
    return Started(stage, tuple(written), tuple(kept), tuple(backups), unpassed)


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
    out = {}
    for stage in project.stages:
        tries = store.attempts(stage.name)
        if any(a["status"] == "pass" and a["hidden_run"] for a in tries):
            status = "passed"
        elif tries:
            status = "attempted"
        elif all((root / rel).exists() for rel in stage.files):
            status = "started"
        else:
            status = "not started"
        out[stage.slug] = StageStatus(stage, status, max((a["score"] for a in tries), default=0.0),
                                      stage.max_score, len(tries))
    return out


def milestone_statuses(project: Project | None = None) -> dict[str, MilestoneStatus]:
    project = project or get_project()
    stages = stage_statuses(project)
    out = {}
    for milestone in project.milestones:
        runs = store.attempts(milestone.name)
        needed = [s.slug for s in project.stages[: project.stage(milestone.requires).number + 1]]
        available = all(stages[n].status == "passed" for n in needed)
        status = ("passed" if any(r["status"] == "pass" for r in runs)
                  else "failed" if runs else "not run")
        out[milestone.slug] = MilestoneStatus(milestone, available, status, len(runs))
    return out


def missing_for(milestone: Milestone, project: Project | None = None) -> list[str]:
    """The stages a milestone needs that have not passed yet (empty: it may run)."""
    project = project or get_project()
    stages = stage_statuses(project)
    needed = project.stages[: project.stage(milestone.requires).number + 1]
    return [s.slug for s in needed if stages[s.slug].status != "passed"]


def run_milestone(name: str, *, options: dict[str, Any] | None = None,
                  files: dict[str, bytes] | None = None, workspace: Path | None = None,
                  project: Project | None = None, grader: Grader | None = None,
                  require_passed: bool = True, record: bool = True) -> MilestoneRun:
    """Run a milestone on the learner's engine in the sandbox, next to vibrastic and PyTorch.

    Refuses (ProjectError) while a stage it needs has not passed, unless ``require_passed`` is
    False — a milestone never claims "your engine" before the learner has built it.
    """
    from vibrastic.platform.progress.milestones import run

    project = project or get_project()
    milestone = project.milestone(name)
    if require_passed:
        missing = missing_for(milestone, project)
        if missing:
            raise ProjectError(
                f"milestone {milestone.slug} runs on stages up to {milestone.requires}; not "
                f"passed yet: {', '.join(missing)} (vibrastic project check {missing[0]})")
    files = files if files is not None else read_package(workspace, project)
    outcome = run(milestone, files, options or {}, grader)
    if record:
        outcome.attempt_id = store.record_attempt(outcome.result, package_digest(files))
    return outcome
