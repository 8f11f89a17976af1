"""The challenges a lesson ends with, read from the challenge folders the grader uses.

One source of truth: a lesson shows the same statement, starter (generated from the reference
solution) and hints as ``vibrastic challenge``.
"""

from __future__ import annotations

from vibrastic.challenges import Challenge, ChallengeError, UnknownChallenge, get_challenge
from vibrastic.course.model import CourseError


def challenge_info(name: str) -> Challenge:
    """The challenge ``name`` of the packaged course (a CourseError names unknown ones)."""
    try:
        return get_challenge(name)
    except (UnknownChallenge, ChallengeError) as exc:
        raise CourseError(f"course.toml names challenge {name!r}, which cannot be loaded: {exc}") \
            from exc
