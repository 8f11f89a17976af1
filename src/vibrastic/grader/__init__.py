"""Sandboxed auto-grading of challenge submissions.

    from vibrastic.grader import grade_source
    result = grade_source("sigma", "def sigma(n):\\n    return sum(i * i for i in range(n + 1))\\n")
    result.status, result.score, result.max_score, result.to_json()

Learner code runs in a separate sandboxed process (see ``sandbox``) that only *observes*; the
verdict is decided here from plain data (see ``runner.judge``).
"""

from vibrastic.grader.runner import (
    Grader,
    GraderError,
    default_grader,
    grade_file,
    grade_source,
    home_dir,
    sandbox_warning,
    warm_up,
)
from vibrastic.grader.sandbox import isolation_mode
from vibrastic.grader.verdict import GradeResult, Limits, TestResult

__all__ = [
    "GradeResult",
    "Grader",
    "GraderError",
    "Limits",
    "TestResult",
    "default_grader",
    "grade_file",
    "grade_source",
    "home_dir",
    "isolation_mode",
    "sandbox_warning",
    "warm_up",
]
