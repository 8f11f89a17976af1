"""The platform's database: SQLite for one learner or a small room, PostgreSQL for a classroom.

Every platform table derives from ``Base``; ``connect(url)`` gives an engine with the settings
each backend needs (SQLite: WAL, full sync, a busy timeout, foreign keys; PostgreSQL through
psycopg 3) and brings the schema to the newest Alembic revision (``migrations/``), so the same
code runs on a laptop and on a department's server and an old database is upgraded in place.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, exc, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.pool import NullPool

MIGRATIONS = Path(__file__).with_name("migrations")

#: A pooled PostgreSQL connection idle this long is pinged before use (the server may have
#: restarted or dropped it); busier connections are not, since under load a ping on every
#: checkout was one round trip in six of a page's.
IDLE_PING_SECONDS = 10.0
#: The environment variable that sets a process's PostgreSQL pool: that many connections kept,
#: and as many more opened under load (default 20).
POOL_VARIABLE = "VIBRASTIC_DB_POOL"


class Base(DeclarativeBase):
    """The declarative base of every platform table (one metadata for Alembic)."""


class DatabaseURLError(ValueError):
    """A database URL vibrastic cannot use (the message says which forms it takes)."""


def now() -> str:
    """The time stamps the platform stores: UTC, ISO 8601, milliseconds."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def sqlite_url(path: str | Path) -> str:
    return f"sqlite:///{Path(path)}"


def _engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except Exception as exc:  # SQLAlchemy's ArgumentError and friends
        raise DatabaseURLError(
            f"cannot read the database URL {url!r} ({exc}); expected sqlite:///PATH or "
            "postgresql+psycopg://USER:PASSWORD@HOST/DATABASE") from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if parsed.database:
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # No pool: a connection per session, so no SQLite file stays open between uses.
        engine = create_engine(url, poolclass=NullPool)

        @event.listens_for(engine, "connect")
        def _pragmas(conn, _record) -> None:  # type: ignore[no-untyped-def]
            cur = conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA busy_timeout=10000")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        return engine
    if backend == "postgresql":
        if parsed.drivername == "postgresql":
            url = parsed.set(drivername="postgresql+psycopg").render_as_string(
                hide_password=False)
        elif parsed.get_driver_name() != "psycopg":
            raise DatabaseURLError(
                f"PostgreSQL URLs must name the psycopg driver: postgresql+psycopg://…, not "
                f"{parsed.drivername}://…")
        # A web process runs up to 40 requests at once in threads (AnyIO's default). Connections
        # past pool_size are closed when given back, and every new PostgreSQL connection forks a
        # server process: a pool that keeps half of them open saves that churn under load.
        # Several web processes share PostgreSQL's connections (100 by default): `classroom
        # serve --processes N` gives each a smaller pool through VIBRASTIC_DB_POOL.
        pool = int(os.environ.get(POOL_VARIABLE) or 20)
        engine = create_engine(url, pool_size=pool, max_overflow=pool)
        _ping_when_idle(engine)
        return engine
    raise DatabaseURLError(f"vibrastic stores its data in SQLite or PostgreSQL, not {backend!r}; "
                           "expected sqlite:///PATH or postgresql+psycopg://…")


def reading(engine: Engine) -> Engine:
    """``engine`` for sessions that only read: no transaction is opened, so a read costs its own
    statements and no BEGIN and ROLLBACK round trips (pages read in several short sessions).
    Each statement sees what is committed, as under PostgreSQL's default READ COMMITTED."""
    return engine.execution_options(isolation_level="AUTOCOMMIT")


def _ping_when_idle(engine: Engine) -> None:
    """Ping a pooled connection before use only if it has sat idle (``IDLE_PING_SECONDS``); a
    dead one is replaced by a fresh connection, so a database restart costs no request."""

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi, record) -> None:  # type: ignore[no-untyped-def]
        record.info["returned"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping(dbapi, record, _proxy) -> None:  # type: ignore[no-untyped-def]
        returned = record.info.get("returned")
        if returned is None or time.monotonic() - returned < IDLE_PING_SECONDS:
            return
        try:
            alive = engine.dialect.do_ping(dbapi)
        except Exception:
            alive = False
        if not alive:
            raise exc.DisconnectionError("a pooled connection was dropped; reconnecting")


@cache
def connect(url: str) -> Engine:
    """The engine for ``url``, its schema migrated to the newest revision (once per process)."""
    engine = _engine(url)
    migrate(engine)
    return engine


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` with Alembic (a new database gets every table)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())
