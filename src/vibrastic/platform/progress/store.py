"""Progress and every attempt, in SQLite (the user's data folder, or ``VIBRASTIC_HOME``).

Each write is one transaction in WAL mode with ``synchronous=FULL``: a crash mid-write leaves the
database as it was before that write, never half-written. Attempts are only ever added; resetting a
challenge clears its hint counter, never its history.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from sqlalchemy import (
    Engine,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    and_,
    create_engine,
    event,
    func,
    select,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from sqlalchemy.pool import NullPool

from vibrastic.platform.grader.results import GradeResult
from vibrastic.platform.paths import home_dir

STATUS_NOT_STARTED, STATUS_ATTEMPTED, STATUS_PASSED = "not started", "attempted", "passed"


class Base(DeclarativeBase):
    pass


class Attempt(Base):
    """One graded submission: the verdict, the score and the full results JSON."""

    __tablename__ = "attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    challenge: Mapped[str] = mapped_column(String(100), index=True)
    created_at: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(10))
    score: Mapped[float] = mapped_column(Float)
    max_score: Mapped[float] = mapped_column(Float)
    hidden_run: Mapped[int] = mapped_column(Integer)
    source_sha256: Mapped[str] = mapped_column(String(64))
    result_json: Mapped[str] = mapped_column(Text)


class ChallengeState(Base):
    """Per-challenge state that is not an attempt: when it was started, hints shown so far."""

    __tablename__ = "challenge_state"

    challenge: Mapped[str] = mapped_column(String(100), primary_key=True)
    started_at: Mapped[str | None] = mapped_column(String(40), nullable=True)
    hints_shown: Mapped[int] = mapped_column(Integer, default=0)


class Event(Base):
    """A log line per action (start, reset, hint) — progress history that resets never erase."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    challenge: Mapped[str] = mapped_column(String(100), ForeignKey("challenge_state.challenge"))
    created_at: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(20))
    detail: Mapped[str] = mapped_column(Text, default="")


def default_db_path() -> Path:
    return home_dir() / "progress.db"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@cache
def _engine(path: str) -> Engine:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    # No pool: a connection per session, so no SQLite file stays open between uses.
    engine = create_engine(f"sqlite:///{path}", future=True, poolclass=NullPool)

    @event.listens_for(engine, "connect")
    def _pragmas(conn, _record) -> None:  # type: ignore[no-untyped-def]
        cur = conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA busy_timeout=10000")
        cur.close()

    Base.metadata.create_all(engine)
    return engine


def engine_for(db_path: str | Path | None = None) -> Engine:
    return _engine(str(Path(db_path) if db_path else default_db_path()))


def _state(session: Session, challenge: str) -> ChallengeState:
    state = session.get(ChallengeState, challenge)
    if state is None:
        state = ChallengeState(challenge=challenge, started_at=None, hints_shown=0)
        session.add(state)
        session.flush()
    return state


def record_attempt(result: GradeResult, source: str, db_path: str | Path | None = None) -> int:
    """Store one graded attempt (one transaction); returns its id."""
    with Session(engine_for(db_path)) as session, session.begin():
        _state(session, result.challenge)
        attempt = Attempt(
            challenge=result.challenge, created_at=_now(), status=result.status,
            score=result.score, max_score=result.max_score, hidden_run=int(result.hidden_run),
            source_sha256=hashlib.sha256(source.encode("utf-8", "surrogateescape")).hexdigest(),
            result_json=result.to_json(indent=None),
        )
        session.add(attempt)
        session.flush()
        return attempt.id


def mark_started(challenge: str, db_path: str | Path | None = None, detail: str = "") -> None:
    with Session(engine_for(db_path)) as session, session.begin():
        state = _state(session, challenge)
        state.started_at = state.started_at or _now()
        session.add(Event(challenge=challenge, created_at=_now(), kind="start", detail=detail))


def mark_reset(challenge: str, db_path: str | Path | None = None, detail: str = "") -> None:
    """Reset clears the hint counter; attempts stay (progress is never lost)."""
    with Session(engine_for(db_path)) as session, session.begin():
        state = _state(session, challenge)
        state.hints_shown = 0
        session.add(Event(challenge=challenge, created_at=_now(), kind="reset", detail=detail))


def next_hint(challenge: str, hints: list[str] | tuple[str, ...],
              db_path: str | Path | None = None) -> tuple[int, str] | None:
    """The next hint (1-based number, text), remembered; None when all were shown."""
    with Session(engine_for(db_path)) as session, session.begin():
        state = _state(session, challenge)
        if state.hints_shown >= len(hints):
            return None
        state.hints_shown += 1
        session.add(Event(challenge=challenge, created_at=_now(), kind="hint",
                          detail=str(state.hints_shown)))
        return state.hints_shown, hints[state.hints_shown - 1]


def hints_shown(challenge: str, db_path: str | Path | None = None) -> int:
    with Session(engine_for(db_path)) as session:
        state = session.get(ChallengeState, challenge)
        return state.hints_shown if state else 0


def attempts(challenge: str | None = None, db_path: str | Path | None = None) -> list[dict]:
    """Every stored attempt (oldest first), as plain dicts with the parsed result."""
    with Session(engine_for(db_path)) as session:
        query = select(Attempt).order_by(Attempt.id)
        if challenge:
            query = query.where(Attempt.challenge == challenge)
        return [
            {"id": a.id, "challenge": a.challenge, "created_at": a.created_at, "status": a.status,
             "score": a.score, "max_score": a.max_score, "hidden_run": bool(a.hidden_run),
             "result": json.loads(a.result_json)}
            for a in session.scalars(query)
        ]


def challenge_statuses(db_path: str | Path | None = None) -> dict[str, dict]:
    """Per challenge (course order): status 'not started' | 'attempted' | 'passed', best score,
    max score, attempts, hints shown. Passed: one attempt passed every test, hidden ones included.
    'attempted' means graded at least once; ``started`` says whether its starter was written."""
    from vibrastic.platform.course.challenge import load_challenges

    out: dict[str, dict] = {
        c.name: {"status": STATUS_NOT_STARTED, "best_score": 0.0, "max_score": c.max_score,
                 "attempts": 0, "hints_shown": 0, "started": False, "section": c.section,
                 "order": c.order}
        for c in load_challenges()
    }
    with Session(engine_for(db_path)) as session:
        rows = session.execute(
            select(Attempt.challenge, func.count(Attempt.id), func.max(Attempt.score),
                   func.max(and_(Attempt.status == "pass", Attempt.hidden_run == 1)))
            .group_by(Attempt.challenge)
        ).all()
        for name, count, best, passed in rows:
            entry = out.setdefault(name, {"status": STATUS_NOT_STARTED, "best_score": 0.0,
                                          "max_score": 0.0, "attempts": 0, "hints_shown": 0})
            entry["attempts"] = int(count)
            entry["best_score"] = float(best or 0.0)
            entry["status"] = STATUS_PASSED if passed else STATUS_ATTEMPTED
        for state in session.scalars(select(ChallengeState)):
            entry = out.get(state.challenge)
            if entry is None:
                continue
            entry["hints_shown"] = state.hints_shown
            entry["started"] = bool(state.started_at)
    return out


def mark_gave_up(challenge: str, db_path: str | Path | None = None) -> None:
    """Record that the learner asked to see the reference solution before passing."""
    with Session(engine_for(db_path)) as session, session.begin():
        _state(session, challenge)
        session.add(Event(challenge=challenge, created_at=_now(), kind="give-up", detail=""))


def gave_up(challenge: str, db_path: str | Path | None = None) -> bool:
    """Whether the learner gave up on ``challenge`` (and so may see its solution)."""
    with Session(engine_for(db_path)) as session:
        return session.scalar(select(func.count(Event.id)).where(
            Event.challenge == challenge, Event.kind == "give-up")) > 0
