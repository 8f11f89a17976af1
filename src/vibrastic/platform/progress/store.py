"""Progress and every attempt, in SQLite, kept with the learner's workspace.

Each workspace has its own store, ``<workspace>/.vibrastic/progress.db`` (``workspace_store_path``;
the workspace is found as ``workspace.locate_workspace`` says), so a fresh clone starts fresh and
progress moves with the work. Every function takes ``db_path`` for another store (tests, a server).

Each write is one transaction in WAL mode with ``synchronous=FULL``: a crash mid-write leaves the
database as it was before that write, never half-written. Attempts are only ever added; resetting a
challenge clears its hint counter, never its history. A store that is not a readable SQLite
database (``file is not a database``, a damaged page) is moved aside, never deleted, and a fresh
one is started; each such ``Recovery`` is kept in ``recoveries()`` and passed to the callables in
``recovery_listeners`` so that a face can say so. Reading a store that does not exist yet creates
nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import (
    Engine,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    create_engine,
    event,
    select,
)
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from sqlalchemy.pool import NullPool

from vibrastic.platform.grader.results import GradeResult
from vibrastic.platform.paths import home_dir

if TYPE_CHECKING:
    from vibrastic.platform.course.challenge import Challenge

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


class Done(Base):
    """A lesson read or run, a lab run: what ``vibrastic next`` skips over."""

    __tablename__ = "done"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), index=True)  # "lesson" | "lab"
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[str] = mapped_column(String(40))
    how: Mapped[str] = mapped_column(String(20), default="")  # "read" | "ran"


class StoreError(RuntimeError):
    """The progress store cannot be opened (a folder in its place, no permission, locked)."""


@dataclass(frozen=True)
class Recovery:
    """A damaged store moved aside (``moved_to``) and replaced by a fresh one at ``path``."""

    path: Path
    moved_to: Path
    reason: str

    def describe(self) -> str:
        return (f"the progress store {self.path} could not be read ({self.reason}); it was moved "
                f"aside to {self.moved_to} (nothing was deleted) and a fresh store takes its place")


_recoveries: list[Recovery] = []
recovery_listeners: list[Callable[[Recovery], None]] = []
_lock = threading.Lock()
_engines: dict[str, Engine] = {}


def recoveries() -> list[Recovery]:
    """The damaged stores moved aside by this process, oldest first."""
    return list(_recoveries)


def workspace_store_path(workspace: Path | None = None) -> Path:
    """The progress database of ``workspace`` (default: the workspace in use, see
    ``workspace.locate_workspace``). The one notion of "whose progress" that the CLI, notebooks,
    the one-learner web course and the grading service share."""
    from vibrastic.platform.progress.workspace import STATE_DIR, workspace_dir

    return (workspace or workspace_dir()) / STATE_DIR / "progress.db"


def default_db_path() -> Path:
    """The store used when no ``db_path`` is given: the current workspace's."""
    return workspace_store_path()


def legacy_db_path() -> Path:
    """Where progress was kept before it moved into workspaces (one per OS user); read by
    ``vibrastic doctor`` only, never used for progress."""
    return home_dir() / "progress.db"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


SQLITE_HEADER = b"SQLite format 3\x00"


def _damage(path: Path) -> str | None:
    """Why the SQLite file at ``path`` cannot be used as a database (None: it can).

    Raises StoreError when it cannot even be opened (which is not damage: nothing is moved).
    The header is read first, without SQLite, so that the journal files of a file that is not a
    database at all are moved aside untouched."""
    try:
        with open(path, "rb") as f:
            header = f.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise StoreError(f"cannot read the progress store {path}: {exc.strerror}") from exc
    if header and header != SQLITE_HEADER:
        return "file is not a database"
    try:
        conn = sqlite3.connect(path, timeout=10)
    except sqlite3.Error as exc:
        raise StoreError(f"cannot open the progress store {path}: {exc}") from exc
    try:
        row = conn.execute("PRAGMA quick_check").fetchone()
    except sqlite3.OperationalError as exc:  # locked, unreadable: not damage
        if "not a database" in str(exc) or "malformed" in str(exc):
            return str(exc)
        raise StoreError(f"cannot open the progress store {path}: {exc}") from exc
    except sqlite3.DatabaseError as exc:  # "file is not a database", "disk image is malformed"
        return str(exc)
    finally:
        conn.close()
    return None if row and row[0] == "ok" else f"integrity check: {row[0] if row else 'no answer'}"


def _move_aside(path: Path, reason: str) -> Recovery:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    moved = path.with_name(f"{path.name}.broken-{stamp}")
    n = 1
    while moved.exists():
        n += 1
        moved = path.with_name(f"{path.name}.broken-{stamp}-{n}")
    for suffix in ("-wal", "-shm"):  # the journal files belong to the damaged database
        side = path.with_name(path.name + suffix)
        if side.exists():
            os.replace(side, moved.with_name(moved.name + suffix))
    os.replace(path, moved)
    recovery = Recovery(path, moved, reason)
    _recoveries.append(recovery)
    for listener in list(recovery_listeners):
        listener(recovery)
    return recovery


def check_store(path: Path) -> Recovery | None:
    """Make the store at ``path`` usable: a damaged one is moved aside (see module doc).

    Returns the Recovery made, if any; raises StoreError when the file cannot be opened."""
    if path.is_dir():
        raise StoreError(f"the progress store {path} is a folder; expected an SQLite file there "
                         "(move the folder away)")
    if not path.exists():
        return None
    reason = _damage(path)
    return _move_aside(path, reason) if reason else None


def _engine(path: str) -> Engine:
    with _lock:
        engine = _engines.get(path)
        if engine is None or not Path(path).exists():  # new, or removed since: check again
            engine = _engines[path] = _new_engine(path)
        return engine


def _new_engine(path: str) -> Engine:
    try:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot create the folder of the progress store {path}: "
                         f"{exc.strerror}") from exc
    check_store(Path(path))
    # No pool: a connection per session, so no SQLite file stays open between uses.
    engine = create_engine(f"sqlite:///{path}", future=True, poolclass=NullPool)

    @event.listens_for(engine, "connect")
    def _pragmas(conn, _record) -> None:  # type: ignore[no-untyped-def]
        cur = conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA busy_timeout=10000")
        cur.close()

    try:
        Base.metadata.create_all(engine)
    except OperationalError as exc:
        raise StoreError(f"cannot open the progress store {path}: {exc.orig}") from exc
    return engine


def engine_for(db_path: str | Path | None = None) -> Engine:
    """The engine of the store at ``db_path`` (default: the workspace's), created (and checked,
    see ``check_store``) on first use in this process."""
    return _engine(str(Path(db_path) if db_path else default_db_path()))


def _existing(db_path: str | Path | None) -> Engine | None:
    """The engine for reading, or None when the store does not exist yet (nothing is created)."""
    path = Path(db_path) if db_path else default_db_path()
    return engine_for(path) if path.exists() else None


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
            source_sha256=_sha256(source),
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
    engine = _existing(db_path)
    if engine is None:
        return 0
    with Session(engine) as session:
        state = session.get(ChallengeState, challenge)
        return state.hints_shown if state else 0


def mark_gave_up(challenge: str, db_path: str | Path | None = None) -> None:
    """Record that the learner gave up on ``challenge``: its solution may be shown (CLI, web)."""
    with Session(engine_for(db_path)) as session, session.begin():
        _state(session, challenge)
        session.add(Event(challenge=challenge, created_at=_now(), kind="give-up"))


def gave_up(challenge: str, db_path: str | Path | None = None) -> bool:
    """Whether the learner gave up on ``challenge`` (and so may see its solution)."""
    engine = _existing(db_path)
    if engine is None:
        return False
    with Session(engine) as session:
        return session.scalar(select(Event.id).where(
            Event.challenge == challenge, Event.kind == "give-up").limit(1)) is not None


def mark_done(kind: str, name: str, how: str, db_path: str | Path | None = None) -> None:
    """Record that lesson or lab ``name`` (``kind`` "lesson" | "lab") was read or run."""
    with Session(engine_for(db_path)) as session, session.begin():
        session.add(Done(kind=kind, name=name, created_at=_now(), how=how))


def done_items(db_path: str | Path | None = None) -> set[tuple[str, str]]:
    """``{(kind, name)}`` of every lesson and lab read or run."""
    engine = _existing(db_path)
    if engine is None:
        return set()
    with Session(engine) as session:
        return {(kind, name) for kind, name in session.execute(select(Done.kind, Done.name))}


def attempts(challenge: str | None = None, db_path: str | Path | None = None) -> list[dict]:
    """Every stored attempt (oldest first), as plain dicts with the parsed result."""
    engine = _existing(db_path)
    if engine is None:
        return []
    with Session(engine) as session:
        query = select(Attempt).order_by(Attempt.id)
        if challenge:
            query = query.where(Attempt.challenge == challenge)
        return [
            {"id": a.id, "challenge": a.challenge, "created_at": a.created_at, "status": a.status,
             "score": a.score, "max_score": a.max_score, "hidden_run": bool(a.hidden_run),
             "result": json.loads(a.result_json)}
            for a in session.scalars(query)
        ]


def attempt_outcomes(challenges: list[str], db_path: str | Path | None = None
                     ) -> dict[str, list[dict]]:
    """Per name in ``challenges``, its attempts (oldest first) as ``status``, ``score`` and
    ``hidden_run`` only: one query, no result JSON parsed (for status summaries)."""
    engine = _existing(db_path)
    if engine is None or not challenges:
        return {}
    out: dict[str, list[dict]] = {}
    with Session(engine) as session:
        for name, status, score, hidden_run in session.execute(
                select(Attempt.challenge, Attempt.status, Attempt.score, Attempt.hidden_run)
                .where(Attempt.challenge.in_(challenges)).order_by(Attempt.id)):
            out.setdefault(name, []).append(
                {"status": status, "score": score, "hidden_run": bool(hidden_run)})
    return out


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


def challenge_statuses(db_path: str | Path | None = None) -> dict[str, dict]:
    """Per challenge (course order): status 'not started' | 'attempted' | 'passed', best score,
    max score, attempts, hints shown. Passed: one attempt passed every test, hidden ones included.
    'attempted' means graded at least once with something other than the unchanged starter (so
    running an exported notebook top to bottom attempts nothing); ``started`` says whether its
    starter was written; ``gave_up`` whether the learner gave up (and may read the solution)."""
    engine = _existing(db_path)
    if engine is None:
        return statuses_in(None)
    with Session(engine) as session:
        return statuses_in(session)


_ATTEMPT_ROWS = select(Attempt.challenge, Attempt.status, Attempt.hidden_run, Attempt.score,
                       Attempt.source_sha256)
_STATES = select(ChallengeState)
_GIVE_UPS = select(Event.challenge).where(Event.kind == "give-up")


def statuses_in(session: Session | None, challenges: list[Challenge] | None = None
                ) -> dict[str, dict]:
    """``challenge_statuses`` read in an open session (None: a store that does not exist);
    ``challenges``: the course's, when the caller has loaded them already."""
    from vibrastic.platform.course.challenge import load_challenges

    if challenges is None:
        challenges = load_challenges()
    out: dict[str, dict] = {
        c.name: {"status": STATUS_NOT_STARTED, "best_score": 0.0, "max_score": c.max_score,
                 "attempts": 0, "hints_shown": 0, "started": False, "gave_up": False,
                 "section": c.section, "order": c.order}
        for c in challenges
    }
    if session is None:
        return out
    starters = {c.name: _starter_digests(c.starter) for c in challenges}
    for name, status, hidden_run, score, sha in session.execute(_ATTEMPT_ROWS):
        entry = out.setdefault(name, {"status": STATUS_NOT_STARTED, "best_score": 0.0,
                                      "max_score": 0.0, "attempts": 0, "hints_shown": 0,
                                      "started": False, "gave_up": False})
        entry["attempts"] += 1
        entry["best_score"] = max(entry["best_score"], float(score or 0.0))
        if status == "pass" and hidden_run:
            entry["status"] = STATUS_PASSED
        elif entry["status"] != STATUS_PASSED and sha not in starters.get(name, ()):
            entry["status"] = STATUS_ATTEMPTED
    for state in session.scalars(_STATES):
        entry = out.get(state.challenge)
        if entry is None:
            continue
        entry["hints_shown"] = state.hints_shown
        entry["started"] = bool(state.started_at)
    for (name,) in session.execute(_GIVE_UPS):
        if name in out:
            out[name]["gave_up"] = True
    return out


@lru_cache(maxsize=256)
def _starter_digests(starter: str) -> frozenset[str]:
    """The sha256s of an unchanged starter (as written, and with one final newline)."""
    return frozenset({_sha256(starter), _sha256(starter.rstrip() + "\n")})
