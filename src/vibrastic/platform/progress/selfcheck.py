"""The course author's self-check (rustlings' ``dev check``): every generated starter fails and
every reference solution passes, hidden tests included.

Grades through the grading service like every other face (all challenges queued at once, one
worker per core), without recording attempts.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

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


def check_course(course: Path | str | None = None, service: GradingService | None = None,
                 workers: int | None = None) -> list[ChallengeCheck]:
    """Grade each challenge's reference and starter; a problem says what is wrong, else ''.

    Raises ChallengeError when the folder is not a course (or a challenge folder is malformed).
    """
    challenges = load_challenges(course)
    own = service is None
    if service is None:
        service = GradingService(workers=workers, recorder=lambda *_: None,
                                 max_per_learner=2 * len(challenges) + 2,
                                 max_queued=2 * len(challenges) + 2)
    results = []
    try:
        jobs = [(c, service.submit(c, c.reference, "course-check"),
                 service.submit(c, c.starter, "course-check")) for c in challenges]
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


__all__ = ["ChallengeCheck", "ChallengeError", "check_course"]
