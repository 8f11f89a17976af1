"""One learner's side of the course, whatever keeps it: the web pages talk to this interface.

``LocalLearner`` is the person on this machine: code in the workspace files the CLI uses,
progress in the progress store, checks through the in-process grading service. The classroom
has the same interface over its database (``vibrastic.platform.classroom.learner``), so every
learner page and API route is written once.

Giving up and seeing the reference solution follow one rule for every face (the CLI's
``challenge solution``, the web course, the classroom): ``solution_unlocked`` and
``reveal_solution`` below; each kind of learner only stores the give-up (``give_up``/``gave_up``).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from vibrastic.platform.course import Course
from vibrastic.platform.course.challenge import Challenge, strip_markers
from vibrastic.platform.course.project import Project, Stage
from vibrastic.platform.grader.results import GradeResult
from vibrastic.platform.progress.project import MilestoneStatus, StageStatus
from vibrastic.platform.progress.report import ChallengeRow
from vibrastic.platform.progress.workspace import Saved


@dataclass(frozen=True)
class Job:
    """A check as the pages show it: ``state`` queued (``position``), running, done, error."""

    id: str
    state: str
    challenge: str | None = None
    position: int | None = None
    error: str | None = None
    attempt_id: int | None = None
    result: GradeResult | None = None


class Learner(Protocol):
    """What the learner pages need of a learner (see the module doc)."""

    def location(self, challenge: Challenge) -> str: ...
    def statuses(self) -> dict[str, dict[str, Any]]: ...
    def rows(self, course: Course) -> list[ChallengeRow]: ...
    def attempts(self, challenge: str) -> list[dict[str, Any]]: ...
    def hints_shown(self, challenge: str) -> int: ...
    def next_hint(self, challenge: Challenge) -> tuple[int, str] | None: ...
    def gave_up(self, challenge: str) -> bool: ...
    def give_up(self, challenge: str) -> None: ...
    def read_source(self, challenge: Challenge) -> tuple[str, str] | None: ...
    def save_source(self, challenge: Challenge, text: str, base_sha256: str | None,
                    force: bool) -> Saved: ...
    def submit(self, challenge: Challenge, source: str) -> str: ...
    def job(self, job_id: str) -> Job: ...
    def wait(self, job_id: str, timeout: float | None = None) -> Job: ...
    # the project: one growing package (see vibrastic.platform.progress.project)
    def project_files(self, project: Project) -> dict[str, tuple[str, str]]: ...
    def save_project_file(self, project: Project, rel: str, text: str,
                          base_sha256: str | None, force: bool) -> Saved: ...
    def start_stage(self, project: Project, stage: Stage) -> tuple[list[str], list[str]]: ...
    def stage_statuses(self, project: Project) -> dict[str, StageStatus]: ...
    def milestone_statuses(self, project: Project) -> dict[str, MilestoneStatus]: ...
    def submit_project(self, project: Project, name: str,
                       options: dict[str, Any] | None = None) -> str: ...


class SolutionLocked(PermissionError):
    """The reference solution was asked for before passing the challenge or giving up."""


@dataclass(frozen=True)
class Solution:
    """A reference solution as the learner sees it: ``code`` without the BEGIN/END SOLUTION
    markers and stub lines; ``gave_up_now`` when this request recorded the give-up."""

    challenge: str
    code: str
    gave_up_now: bool = False


def solution_unlocked(learner: Learner, challenge: str, status: str | None = None) -> bool:
    """The one rule for every face (CLI, web, classroom): the solution shows once the challenge
    is passed (hidden tests included) or the learner has given up (a recorded choice).
    ``status`` saves a lookup when the caller has the challenge's status at hand."""
    from vibrastic.platform.progress.store import STATUS_PASSED

    if status is None:
        status = learner.statuses().get(challenge, {}).get("status")
    return status == STATUS_PASSED or learner.gave_up(challenge)


def reveal_solution(learner: Learner, challenge: Challenge, *, give_up: bool = False,
                    status: str | None = None) -> Solution:
    """The reference solution of ``challenge`` for ``learner``. With ``give_up`` a learner who
    has not passed gives up first (recorded once; passing later still counts); without it,
    ``SolutionLocked`` unless ``solution_unlocked`` (``status`` as there)."""
    gave_up_now = False
    if not solution_unlocked(learner, challenge.name, status):
        if not give_up:
            raise SolutionLocked(f"the solution of {challenge.name} shows after you pass it "
                                 "(hidden tests included) or give up (which is recorded)")
        learner.give_up(challenge.name)
        gave_up_now = True
    return Solution(challenge.name, strip_markers(challenge.reference), gave_up_now)


class LocalLearner:
    """The learner on this machine (one-learner ``vibrastic serve``)."""

    def __init__(self, workspace: Path, grading: Any = None) -> None:
        self.workspace = workspace
        # a callable returning the GradingService (started lazily); None: this learner only
        # reads and records progress (the CLI's solution command)
        self._grading = grading

    def location(self, challenge: Challenge) -> str:
        """The file the learner's code is saved in (the CLI's file too)."""
        from vibrastic.platform.progress.workspace import challenge_file

        return str(challenge_file(challenge, self.workspace))

    def statuses(self) -> dict[str, dict[str, Any]]:
        from vibrastic.platform.progress import store

        return store.challenge_statuses()

    def rows(self, course: Course) -> list[ChallengeRow]:
        from vibrastic.platform.progress.report import challenge_rows

        return challenge_rows(course)

    def attempts(self, challenge: str) -> list[dict[str, Any]]:
        from vibrastic.platform.progress import store

        return store.attempts(challenge)

    def hints_shown(self, challenge: str) -> int:
        from vibrastic.platform.progress import store

        return store.hints_shown(challenge)

    def next_hint(self, challenge: Challenge) -> tuple[int, str] | None:
        from vibrastic.platform.progress import store

        return store.next_hint(challenge.name, challenge.hints)

    def gave_up(self, challenge: str) -> bool:
        from vibrastic.platform.progress import store

        return store.gave_up(challenge)

    def give_up(self, challenge: str) -> None:
        from vibrastic.platform.progress import store

        store.mark_gave_up(challenge)

    def read_source(self, challenge: Challenge) -> tuple[str, str] | None:
        from vibrastic.platform.progress.workspace import read_source

        return read_source(challenge, self.workspace)

    def save_source(self, challenge: Challenge, text: str, base_sha256: str | None,
                    force: bool) -> Saved:
        from vibrastic.platform.progress import store
        from vibrastic.platform.progress.workspace import save_source

        first = self.read_source(challenge) is None
        saved = save_source(challenge, text, base_sha256=base_sha256, force=force,
                            workspace=self.workspace)
        if first:
            store.mark_started(challenge.name, detail=str(saved.path))
        return saved

    def submit(self, challenge: Challenge, source: str) -> str:
        return self._grading().submit(challenge.name, source)

    def job(self, job_id: str) -> Job:
        from vibrastic.platform.progress.service import UnknownJob

        try:
            status = self._grading().status(job_id)
        except UnknownJob:
            raise KeyError(job_id) from None
        return Job(id=job_id, state=status.state, challenge=status.challenge,
                   position=status.position, error=status.error or None,
                   attempt_id=status.attempt_id, result=status.result)

    def wait(self, job_id: str, timeout: float | None = None) -> Job:
        from vibrastic.platform.grader.grade import GraderError

        with contextlib.suppress(GraderError):  # shows as state "error"
            self._grading().wait(job_id, timeout)
        return self.job(job_id)

    # ---- the project: the package lives in <workspace>/mygrad, as for the CLI ----
    def project_files(self, project: Project) -> dict[str, tuple[str, str]]:
        """The learner's package: path (``mygrad/value.py``) -> (text, sha256)."""
        from vibrastic.platform.progress.project import package_dir, read_package
        from vibrastic.platform.progress.workspace import bytes_sha256

        if not package_dir(self.workspace, project).is_dir():
            return {}
        return {rel: (data.decode("utf-8", "replace"), bytes_sha256(data))
                for rel, data in read_package(self.workspace, project).items()}

    def save_project_file(self, project: Project, rel: str, text: str,
                          base_sha256: str | None, force: bool) -> Saved:
        from vibrastic.platform.progress.project import save_package_file

        return save_package_file(rel, text, self.workspace, project, base_sha256=base_sha256,
                                 force=force)

    def start_stage(self, project: Project, stage: Stage) -> tuple[list[str], list[str]]:
        """Write the stage's starters that are missing; (written, kept) as package paths."""
        from vibrastic.platform.progress.project import start_stage

        done = start_stage(stage.slug, workspace=self.workspace, project=project)
        rel = lambda p: p.relative_to(self.workspace).as_posix()  # noqa: E731
        return [rel(p) for p in done.written], [rel(p) for p in done.kept]

    def stage_statuses(self, project: Project) -> dict[str, StageStatus]:
        from vibrastic.platform.progress.project import stage_statuses

        return stage_statuses(project, self.workspace)

    def milestone_statuses(self, project: Project) -> dict[str, MilestoneStatus]:
        from vibrastic.platform.progress.project import milestone_statuses

        return milestone_statuses(project, self.stage_statuses(project))

    def submit_project(self, project: Project, name: str,
                       options: dict[str, Any] | None = None) -> str:
        """Queue a stage check or a milestone run of the saved package; the job id."""
        from vibrastic.platform.progress.project import package_dir, prepare_check, read_package

        files = (read_package(self.workspace, project)
                 if package_dir(self.workspace, project).is_dir() else {})
        gradable, source, files, _ = prepare_check(name, files, self.stage_statuses(project),
                                                   options, project)
        return self._grading().submit(gradable, source, files=files)
