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


@pytest.fixture
def cheap_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hash passwords with argon2's cheapest parameters: tests of rules and rows need no real
    cost (test_classroom_accounts checks the real parameters)."""
    monkeypatch.setattr(accounts, "_hasher", PasswordHasher.from_parameters(CHEAPEST))


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path,
                 cheap_passwords: None) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, or a new database in a real PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'platform.db'}"
    else:
        yield new_postgres_database(request.getfixturevalue("postgres"))


@pytest.fixture
def room(database_url: str) -> Room:
    return Room(connect(database_url))
