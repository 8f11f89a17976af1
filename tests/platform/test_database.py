"""The PostgreSQL pool: idle connections are checked before use, busy ones are not."""

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from databases import new_postgres_database, postgres  # noqa: F401  (a fixture)
from vibrastic.platform import database


def _drop_pooled_connections(url: str) -> None:
    """What a database restart does to a web process's pool: every other backend is ended."""
    parsed = make_url(url)
    with psycopg.connect(parsed.set(drivername="postgresql").render_as_string(
            hide_password=False), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                      "WHERE datname = %s AND pid <> pg_backend_pid()", (parsed.database,))


@pytest.fixture
def engine(postgres: dict[str, str]):  # type: ignore[no-untyped-def]  # noqa: F811
    engine = database._engine(new_postgres_database(postgres))
    yield engine
    engine.dispose()


def _one(engine) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as connection:
        return connection.execute(text("SELECT 1")).scalar_one()


def test_an_idle_connection_dropped_by_the_server_is_replaced(engine, monkeypatch) -> None:
    assert _one(engine) == 1
    _drop_pooled_connections(str(engine.url.render_as_string(hide_password=False)))
    monkeypatch.setattr(database, "IDLE_PING_SECONDS", 0.0)  # the connection counts as idle
    assert _one(engine) == 1


def test_without_the_idle_ping_the_dropped_connection_would_fail(engine, monkeypatch) -> None:
    monkeypatch.setattr(database, "IDLE_PING_SECONDS", 3600.0)
    assert _one(engine) == 1
    _drop_pooled_connections(str(engine.url.render_as_string(hide_password=False)))
    with pytest.raises(OperationalError):
        _one(engine)
    assert _one(engine) == 1  # SQLAlchemy invalidated the pool; the next use reconnects


def test_a_busy_connection_is_not_pinged(engine, monkeypatch) -> None:
    pings: list[object] = []
    monkeypatch.setattr(database, "IDLE_PING_SECONDS", 3600.0)
    monkeypatch.setattr(engine.dialect, "do_ping", lambda dbapi: pings.append(dbapi) or True)
    for _ in range(5):
        assert _one(engine) == 1
    assert pings == []
    monkeypatch.setattr(database, "IDLE_PING_SECONDS", 0.0)
    assert _one(engine) == 1
    assert len(pings) == 1


def test_reads_open_no_transaction_and_leave_writes_atomic(engine) -> None:
    """`reading(engine)` runs without BEGIN (each statement on its own, as a page's reads need);
    the pooled connection it used goes back to transactions, so a write that fails halfway
    leaves nothing behind."""
    from sqlalchemy.orm import Session

    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (n integer)"))
    with Session(database.reading(engine)) as session:
        assert session.execute(text("SELECT count(*) FROM t")).scalar_one() == 0
        raw = session.connection().connection.dbapi_connection
        assert raw.autocommit and raw.info.transaction_status.name == "IDLE"
    with pytest.raises(RuntimeError), Session(engine) as session, session.begin():
        session.execute(text("INSERT INTO t VALUES (1)"))
        reused = session.connection().connection.dbapi_connection
        assert reused is raw and not reused.autocommit  # the same pooled connection
        raise RuntimeError("the write fails halfway")
    with Session(database.reading(engine)) as session:
        assert session.execute(text("SELECT count(*) FROM t")).scalar_one() == 0
