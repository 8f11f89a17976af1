"""Platform tests run on both databases the platform supports."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from databases import new_postgres_database, postgres  # noqa: F401  (a fixture)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, or a new database in a real PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'platform.db'}"
    else:
        yield new_postgres_database(request.getfixturevalue("postgres"))
