"""Platform tests run on both databases the platform supports."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST
from rooms import Room

from databases import new_postgres_database, postgres  # noqa: F401  (a fixture)
from vibrastic.platform.classroom import accounts
from vibrastic.platform.database import connect


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path,
                 monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, or a new database in a real PostgreSQL.

    Passwords are hashed with argon2's cheapest parameters here: these tests are about rules
    and rows, and the real cost (tested in test_classroom_accounts) would make them slow.
    """
    monkeypatch.setattr(accounts, "_hasher", PasswordHasher.from_parameters(CHEAPEST))
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'platform.db'}"
    else:
        yield new_postgres_database(request.getfixturevalue("postgres"))


@pytest.fixture
def room(database_url: str) -> Room:
    return Room(connect(database_url))
