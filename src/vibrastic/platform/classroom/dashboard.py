"""The live dashboard's data: learners × challenges (and project stages), who is stuck, pass
rates, failing tests.

A cell is ``not started``, ``attempted`` or ``passed`` (a pass of every test, hidden ones too),
with the best score and the number of checks. A learner is flagged *stuck* on a challenge they
have not passed when they failed it ``MANY_FAILS`` times or more, when their last check failed
more than ``IDLE_AFTER_FAIL`` ago, or when they have read every hint. Staff only.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from vibrastic.platform.classroom.hints import hints_seen
from vibrastic.platform.classroom.models import Membership, Submission, User
from vibrastic.platform.classroom.people import ClassroomError, require_role
from vibrastic.platform.course.challenge import load_challenges
from vibrastic.platform.database import reading

MANY_FAILS = 5
IDLE_AFTER_FAIL = timedelta(minutes=10)


@dataclass
class Cell:
    status: str = "not started"
    best: float | None = None
    checks: int = 0
    fails: int = 0
    last_at: str | None = None
    last_status: str | None = None
    stuck: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Row:
    user_id: int
    username: str
    name: str


@dataclass
class Dashboard:
    challenges: list[tuple[str, str, float]]  # name, title, max score
    learners: list[Row]
    cells: dict[tuple[int, str], Cell]
    pass_rates: dict[str, dict[str, int]]
    failing_tests: dict[str, list[tuple[str, int]]]

    def cell(self, user_id: int, challenge: str) -> Cell:
        return self.cells.get((user_id, challenge), Cell())

    @property
    def stuck(self) -> list[tuple[Row, str, list[str]]]:
        """(learner, challenge, reasons) of every stuck cell, in grid order."""
        column = {name: i for i, (name, _t, _m) in enumerate(self.challenges)}
        line = {row.user_id: i for i, row in enumerate(self.learners)}
        found = sorted((line[user_id], column[name], name, cell.stuck)
                       for (user_id, name), cell in self.cells.items()
                       if cell.stuck and user_id in line and name in column)
        return [(self.learners[i], name, reasons) for i, _c, name, reasons in found]


def graded_items() -> list:
    """What the grid has a column for: the challenges, then the project's stages."""
    from vibrastic.platform.course.project import load_project

    project = load_project()
    return [*load_challenges(), *(project.stages if project is not None else ())]


#: Per database, the failing tests of each failed check, read once per process: a verdict
#: never changes, and the grid is redrawn on every check of the class.
_FAILED_TESTS: dict[str, dict[int, tuple[str, ...]]] = {}


def _failed_tests(session: Session, database: str,
                  submission_ids: list[int]) -> dict[int, tuple[str, ...]]:
    known = _FAILED_TESTS.setdefault(database, {})
    unread = [i for i in submission_ids if i not in known]
    for start in range(0, len(unread), 500):
        for submission_id, result_json in session.execute(
                select(Submission.id, Submission.result_json)
                .where(Submission.id.in_(unread[start:start + 500]))):
            known[submission_id] = tuple(
                test.get("name", "?") for test in json.loads(result_json or "{}").get("tests", [])
                if test.get("status") in ("fail", "error"))
    return known


def dashboard(engine: Engine, course_id: int, viewer_id: int,
              at: datetime | None = None) -> Dashboard:
    """The dashboard of a course as of ``at`` (now by default)."""
    require_role(engine, course_id, viewer_id, "instructor", "ta")
    at = at or datetime.now(UTC)
    challenges = graded_items()
    hint_counts = {c.name: len(c.hints) for c in challenges}
    with Session(reading(engine)) as session:
        learners = [Row(u.id, u.username, u.name) for u in session.scalars(
            select(User).join(Membership, Membership.user_id == User.id).where(
                Membership.course_id == course_id, Membership.role == "learner",
                Membership.removed_at.is_(None)).order_by(User.username))]
        ids = {r.user_id for r in learners}
        cells: dict[tuple[int, str], Cell] = {}
        failing: dict[str, Counter[str]] = {c.name: Counter() for c in challenges}
        # only the columns the grid needs: no code, and no verdict already read
        checks = [row for row in session.execute(select(
            Submission.id, Submission.user_id, Submission.challenge, Submission.score,
            Submission.status, Submission.hidden_run, Submission.created_at)
            .where(Submission.course_id == course_id, Submission.state == "done")
            .order_by(Submission.id)) if row.user_id in ids]
        failed_tests = _failed_tests(session, str(engine.url),
                                     [row.id for row in checks if row.status != "pass"])
        for submission_id, user_id, name, score, status, hidden_run, created_at in checks:
            cell = cells.setdefault((user_id, name), Cell(status="attempted"))
            cell.checks += 1
            cell.best = max(cell.best or 0.0, score or 0.0)
            cell.last_at, cell.last_status = created_at, status
            if status == "pass" and hidden_run:
                cell.status = "passed"
            elif status != "pass":
                cell.fails += 1
                if name in failing:
                    failing[name].update(failed_tests[submission_id])
    seen = hints_seen(engine, course_id)
    for user_id, name in seen:
        if user_id in ids:
            cells.setdefault((user_id, name), Cell())
    for (user_id, name), cell in cells.items():
        if cell.status == "passed":
            continue
        if cell.fails >= MANY_FAILS:
            cell.stuck.append(f"{cell.fails} failed checks")
        if cell.last_status not in (None, "pass") and cell.last_at and \
                at - datetime.fromisoformat(cell.last_at) > IDLE_AFTER_FAIL:
            minutes = int((at - datetime.fromisoformat(cell.last_at)).total_seconds() // 60)
            cell.stuck.append(f"idle {minutes} min after a failed check")
        total = hint_counts.get(name, 0)
        if total and seen.get((user_id, name), 0) >= total:
            cell.stuck.append("read every hint")
    rates = {c.name: {"passed": 0, "attempted": 0, "learners": len(learners)}
             for c in challenges}
    for (_user_id, name), cell in cells.items():
        if name in rates:
            rates[name]["passed"] += cell.status == "passed"
            rates[name]["attempted"] += cell.checks > 0
    return Dashboard(challenges=[(c.name, c.title, c.max_score) for c in challenges],
                     learners=learners, cells=cells, pass_rates=rates,
                     failing_tests={name: counter.most_common(5)
                                    for name, counter in failing.items() if counter})


def latest_submission(engine: Engine, course_id: int, user_id: int, challenge: str,
                      viewer_id: int) -> dict | None:
    """A learner's latest checked code and verdict on a challenge (staff, or that learner)."""
    if viewer_id != user_id:
        require_role(engine, course_id, viewer_id, "instructor", "ta")
    with Session(reading(engine)) as session:
        sub = session.scalar(select(Submission).where(
            Submission.course_id == course_id, Submission.user_id == user_id,
            Submission.challenge == challenge).order_by(Submission.id.desc()).limit(1))
        if sub is None:
            return None
        if sub.course_id != course_id:
            raise ClassroomError("no such submission in this course")
        from vibrastic.platform.progress.project import readable_source

        return {"id": sub.id, "state": sub.state, "created_at": sub.created_at,
                "source": readable_source(sub.challenge, sub.source), "status": sub.status,
                "score": sub.score, "max_score": sub.max_score,
                "result": json.loads(sub.result_json) if sub.result_json else None,
                "error": sub.error}
