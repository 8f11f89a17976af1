"""The course author's self-check (rustlings' ``dev check``): every generated starter fails and
every reference solution passes, hidden tests included — for every challenge and, stage by
stage, for the project (see ``ITEMS``).

Grades through the grading service like every other face (all challenges queued at once, one
worker per core), without recording attempts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vibrastic.platform.course.challenge import ChallengeError, load_challenges
from vibrastic.platform.grader.grade import GraderError
from vibrastic.platform.progress.service import GradingService


@dataclass(frozen=True)
class ChallengeCheck:
    """The self-check of one challenge."""

    name: str
    reference: str  # the reference solution's verdict: "pass" expected
    starter: str  # the starter's verdict: "fail" or "error" expected
    problem: str = ""

    @property
    def ok(self) -> bool:
        return not self.problem


@dataclass(frozen=True)
class SelfCheckItem:
    """One gradable the self-check grades twice: its reference must pass, its starter must not.
    ``*_files`` is the package a submission carries (a project stage's), else None."""

    gradable: Any  # a Challenge, or anything the grader grades (a project Stage)
    reference: str
    starter: str
    reference_files: Mapping[str, bytes] | None = None
    starter_files: Mapping[str, bytes] | None = None


def challenge_items(course: Path | str | None) -> list[SelfCheckItem]:
    """Every challenge: its reference solution and its generated starter."""
    return [SelfCheckItem(c, c.reference, c.starter) for c in load_challenges(course)]


def project_items(course: Path | str | None) -> list[SelfCheckItem]:
    """Every project stage, stage by stage: the reference package up to that stage must pass;
    earlier stages' reference files plus this stage's starters must not."""
    from vibrastic.platform.course.project import load_project

    project = load_project(course)
    if project is None:
        return []
    return [SelfCheckItem(s, s.source, s.source, s.reference_files, s.starter_package())
            for s in project.stages]


#: The extension point: each function lists the items of one kind of course content, in order.
#: ``course check`` grades them all (a new kind of gradable content adds its function here).
ITEMS: tuple[Callable[[Path | str | None], list[SelfCheckItem]], ...] = (
    challenge_items, project_items)


def check_course(course: Path | str | None = None, service: GradingService | None = None,
                 workers: int | None = None) -> list[ChallengeCheck]:
    """Grade each challenge's and each project stage's reference and starter; a problem says
    what is wrong, else ''.

    Raises ChallengeError when the folder is not a course (or a challenge folder is malformed).
    """
    items = [item for list_items in ITEMS for item in list_items(course)]
    own = service is None
    if service is None:
        service = GradingService(workers=workers, recorder=lambda *_: None,
                                 max_per_learner=2 * len(items) + 2,
                                 max_queued=2 * len(items) + 2)
    results = []
    try:
        jobs = [(item.gradable,
                 service.submit(item.gradable, item.reference, "course-check",
                                files=item.reference_files),
                 service.submit(item.gradable, item.starter, "course-check",
                                files=item.starter_files)) for item in items]
        for challenge, ref_job, starter_job in jobs:
            try:
                ref = service.wait(ref_job)
                starter = service.wait(starter_job)
            except GraderError as exc:
                results.append(ChallengeCheck(challenge.name, "error", "error", str(exc)))
                continue
            problems = []
            if ref.status != "pass":
                failing = [f"{t.name}: {t.message}" for t in ref.tests if not t.passed]
                problems.append("the reference solution does not pass: "
                                + ("; ".join(failing) or ref.message))
            if starter.status == "pass" or starter.score >= starter.max_score:
                problems.append("the generated starter already passes")
            results.append(ChallengeCheck(challenge.name, ref.status, starter.status,
                                          " / ".join(problems)))
    finally:
        if own:
            service.close()
    return results


__all__ = ["ITEMS", "ChallengeCheck", "ChallengeError", "SelfCheckItem", "check_course"]
