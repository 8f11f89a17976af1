"""The gradebook: a learner's best score per challenge (and project stage), overrides, exports.

Scores come from graded attempts (the best one counts); an instructor's override replaces a score
and carries who made it, when and why, and the audit trail keeps every override ever made. Exports
are CSV keyed by username or by e-mail with one column per challenge, and Canvas's gradebook import
shape (Student, ID, SIS User ID, SIS Login ID, Section, then one column per assignment, with a
"Points Possible" row). Cells a spreadsheet would run as a formula are neutralised.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Learner:
    username: str
    email: str
    name: str
    section: str | None = None


@dataclass(frozen=True)
class Column:
    """One graded item: a challenge or a project stage, with its maximum score."""

    name: str
    title: str
    max_score: float


@dataclass(frozen=True)
class Override:
    """A score set by hand: who set it, when (ISO time), and why."""

    score: float
    by: str
    at: str
    reason: str


@dataclass
class Gradebook:
    """Learners × columns; ``best`` holds graded best scores, ``overrides`` hand-set ones."""

    columns: list[Column]
    learners: list[Learner]
    best: Mapping[tuple[str, str], float] = field(default_factory=dict)
    overrides: Mapping[tuple[str, str], Override] = field(default_factory=dict)

    def score(self, username: str, column: str) -> float | None:
        """The score that counts: an override if there is one, else the best graded score."""
        override = self.overrides.get((username, column))
        if override is not None:
            return override.score
        return self.best.get((username, column))

    def total(self, username: str) -> float:
        return sum(self.score(username, c.name) or 0.0 for c in self.columns)

    @property
    def max_total(self) -> float:
        return sum(c.max_score for c in self.columns)

    def to_csv(self, key: Literal["username", "email"] = "username") -> str:
        """One row per learner: the key, name, section, a column per item, the total."""
        if key not in ("username", "email"):
            raise ValueError(f"key must be 'username' or 'email', not {key!r}")
        header = [key, "name", "section", *(c.name for c in self.columns), "total"]
        rows = [[getattr(learner, key), learner.name, learner.section or "",
                 *(_number(self.score(learner.username, c.name)) for c in self.columns),
                 _number(self.total(learner.username))]
                for learner in self.learners]
        return _write([header, *rows])

    def to_canvas_csv(self) -> str:
        """Canvas's gradebook import: the learner's e-mail as SIS Login ID, a Points Possible row.

        Canvas matches rows on SIS Login ID (or ID when it is known); ``ID`` is left empty, and
        assignment columns without a Canvas id are created on import.
        """
        header = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section",
                  *(c.title for c in self.columns)]
        points = ["    Points Possible", "", "", "", "", *(_number(c.max_score) for c in
                                                            self.columns)]
        rows = [[learner.name, "", learner.username, learner.email, learner.section or "",
                 *(_number(self.score(learner.username, c.name)) for c in self.columns)]
                for learner in self.learners]
        return _write([header, points, *rows])


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:g}"


def spreadsheet_safe(cell: str) -> str:
    """A cell a spreadsheet will show as text, never run as a formula (CSV injection)."""
    return "'" + cell if cell.startswith(FORMULA_START) else cell


def _write(rows: Iterable[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow([spreadsheet_safe(str(cell)) for cell in row])
    return out.getvalue()
