"""What a lesson needs to know about a challenge: its title, statement, starter code and hints.

Read through ``vibrastic.challenges`` from the challenge folders the grader uses (one source of
truth: the starter is generated from the reference solution there).
"""

from __future__ import annotations

from dataclasses import dataclass

from vibrastic.course.model import CourseError


@dataclass(frozen=True)
class ChallengeInfo:
    """A challenge as a lesson shows it."""

    name: str
    title: str
    statement: str
    starter: str
    hints: tuple[str, ...]

    @property
    def filename(self) -> str:
        """The file a notebook learner writes (``%%writefile``) and ``check()`` grades."""
        return f"{self.name.replace('-', '_')}.py"


def challenge_info(name: str) -> ChallengeInfo:
    """The challenge ``name`` of the packaged course (a CourseError names unknown ones)."""
    from vibrastic.challenges import ChallengeError, UnknownChallenge, get_challenge

    try:
        ch = get_challenge(name)
    except (UnknownChallenge, ChallengeError) as exc:
        raise CourseError(f"course.toml names challenge {name!r}, which cannot be loaded: {exc}") \
            from exc
    return ChallengeInfo(name, ch.title, ch.statement, ch.starter, tuple(ch.hints))
