"""The course author's self-check (rustlings' ``dev check``): every generated starter fails and
every reference solution passes, hidden tests included."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from vibrastic.platform.course.challenge import ChallengeError, load_challenges
from vibrastic.platform.grader.grade import Grader, GraderError


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


def check_course(course: Path | str | None = None, grader: Grader | None = None
                 ) -> list[ChallengeCheck]:
    """Grade each challenge's reference and starter; a problem says what is wrong, else ''.

    Raises ChallengeError when the folder is not a course (or a challenge folder is malformed).
    """
    own = grader is None
    grader = grader or Grader(warm=True)
    results = []
    try:
        for challenge in load_challenges(course):
            try:
                ref = grader.grade(challenge, challenge.reference)
                starter = grader.grade(challenge, challenge.starter)
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
            grader.close()
    return results


__all__ = ["ChallengeCheck", "ChallengeError", "check_course"]
