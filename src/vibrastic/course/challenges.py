"""What a lesson needs to know about a challenge: its title, statement, starter code and hints.

Read through ``vibrastic.challenges`` from the challenge folders the grader uses (one source of
truth: the starter is generated from the reference solution there). A challenge named in
``course.toml`` whose folder does not exist yet still gets its commands, with a placeholder.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ChallengeInfo:
    """A challenge as a lesson shows it."""

    name: str
    title: str
    statement: str
    starter: str
    hints: tuple[str, ...]
    found: bool

    @property
    def filename(self) -> str:
        """The file a notebook learner writes (``%%writefile``) and ``check()`` grades."""
        return f"{self.name.replace('-', '_')}.py"


def challenge_info(name: str) -> ChallengeInfo:
    """The challenge ``name`` of the packaged course."""
    import vibrastic.grader  # noqa: F401  (first: importing vibrastic.challenges alone cycles)
    from vibrastic.challenges import ChallengeError, UnknownChallenge, get_challenge

    try:
        ch = get_challenge(name)
    except (UnknownChallenge, ChallengeError):
        return ChallengeInfo(name, name, "", f"# Your solution to the {name!r} challenge.\n", (),
                             found=False)
    return ChallengeInfo(name, ch.title, ch.statement, ch.starter, tuple(ch.hints), found=True)
