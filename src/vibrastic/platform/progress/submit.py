"""Submitting a challenge: grade the learner's file and record the attempt.

The one path that the CLI (``vibrastic challenge check``) and notebooks (``check("sigma")``)
share, so both grade and record the same bytes.
"""

from __future__ import annotations

from pathlib import Path

from vibrastic.platform.grader.grade import grade_bytes
from vibrastic.platform.grader.results import GradeResult
from vibrastic.platform.progress import store


def submit(name: str, path: Path, *, hidden: bool = True) -> GradeResult:
    """Grade the file at ``path`` for challenge ``name`` and store the attempt.

    Raises OSError when the file can't be read and GraderError when the grader itself could
    not run; neither is recorded (an infrastructure failure costs the learner no attempt).
    """
    data = path.read_bytes()
    result = grade_bytes(name, data, path.name, hidden=hidden)
    store.record_attempt(result, data.decode("utf-8", "surrogateescape"))
    return result
