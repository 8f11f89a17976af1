"""The learner's progress as rows and a "continue where you left off" pointer (read-only).

Read from the progress store: per challenge its status, best score, attempts, hints shown and the
time spent on it, which is measured from the first thing the learner did with it (start, hint or
first attempt) to its first passing attempt, or to the latest attempt while it is not passed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from vibrastic.platform.course import Course, load_course
from vibrastic.platform.progress import store


@dataclass(frozen=True)
class ChallengeRow:
    """One challenge's line on the progress page."""

    name: str
    title: str
    lesson: int
    status: str
    best_score: float
    max_score: float
    attempts: int
    hints_shown: int
    hints_total: int
    seconds_spent: float | None
    last_activity: str | None
    gave_up: bool = False

    @property
    def passed(self) -> bool:
        return self.status == store.STATUS_PASSED

    @property
    def done(self) -> bool:
        """Passed, or given up (the learner moved on, as ``vibrastic next`` does)."""
        return self.passed or self.gave_up


@dataclass(frozen=True)
class Continue:
    """Where to go next: ``kind`` is ``"lesson"`` or ``"challenge"``; ``why`` says why."""

    kind: str
    name: str
    lesson: int
    why: str


def _parse(stamp: str | None) -> datetime | None:
    return datetime.fromisoformat(stamp) if stamp else None


_EVENT_SPANS = (select(store.Event.challenge, func.min(store.Event.created_at),
                       func.max(store.Event.created_at))
                .group_by(store.Event.challenge))
_ATTEMPT_SPANS = (select(store.Attempt.challenge, func.min(store.Attempt.created_at),
                         func.max(store.Attempt.created_at),
                         func.min(case((and_(store.Attempt.status == "pass",
                                             store.Attempt.hidden_run == 1),
                                        store.Attempt.created_at))))
                  .group_by(store.Attempt.challenge))


def challenge_rows(course: Course | None = None,
                   db_path: str | Path | None = None) -> list[ChallengeRow]:
    """Every challenge of the course in course order, with the learner's numbers."""
    from vibrastic.platform.course.challenge import load_challenges

    course = course or load_course()
    challenges = load_challenges()  # once: each load stats every file
    infos = {c.name: c for c in challenges}
    first_event: dict[str, str] = {}
    last_event: dict[str, str] = {}
    first_attempt: dict[str, str] = {}
    last_attempt: dict[str, str] = {}
    first_pass: dict[str, str] = {}
    engine = store.engine_for(db_path)
    with Session(engine) as session:  # one connection, four queries: every page shows this
        statuses = store.statuses_in(session, challenges)
        for name, first, last in session.execute(_EVENT_SPANS):
            first_event[name], last_event[name] = first, last
        for name, first, last, passed in session.execute(_ATTEMPT_SPANS):
            first_attempt[name], last_attempt[name] = first, last
            if passed:
                first_pass[name] = passed
    rows = []
    for lesson in course.lessons:
        for name in lesson.challenges:
            info = infos[name]
            raw = statuses.get(name, {})
            starts = [t for t in (first_event.get(name), first_attempt.get(name)) if t]
            begin = _parse(min(starts)) if starts else None
            end = _parse(first_pass.get(name) or last_attempt.get(name))
            spent = (end - begin).total_seconds() if begin and end and end >= begin else None
            latest = [t for t in (last_event.get(name), last_attempt.get(name)) if t]
            rows.append(ChallengeRow(
                name=name, title=info.title, lesson=lesson.number,
                status=raw.get("status", store.STATUS_NOT_STARTED),
                best_score=float(raw.get("best_score", 0.0)),
                max_score=float(raw.get("max_score", info.max_score)),
                attempts=int(raw.get("attempts", 0)), hints_shown=int(raw.get("hints_shown", 0)),
                hints_total=len(info.hints), seconds_spent=spent,
                last_activity=max(latest) if latest else None, gave_up=bool(raw.get("gave_up"))))
    return rows


def continue_point(rows: list[ChallengeRow], course: Course | None = None) -> Continue:
    """The challenge worked on last if it is not done yet (passed or given up), else the next
    one not done; the first lesson when nothing was done yet; the last lesson when everything
    is done."""
    course = course or load_course()
    active = [r for r in rows if r.last_activity]
    if not active:
        first = course.lessons[0]
        return Continue("lesson", first.name, first.number, "start at the beginning")
    latest = max(active, key=lambda r: r.last_activity or "")
    if not latest.done:
        return Continue("challenge", latest.name, latest.lesson,
                        f"you were working on {latest.name}")
    index = rows.index(latest)
    finished = "passed" if latest.passed else "gave up on"
    for row in rows[index + 1:] + rows[:index]:
        if not row.done:
            return Continue("challenge", row.name, row.lesson,
                            f"you {finished} {latest.name}; {row.name} is next")
    last = course.lessons[-1]
    return Continue("lesson", last.name, last.number, "every challenge is passed")
