"""Real database servers for tests: a throwaway PostgreSQL cluster (pg_virtualenv) on loopback.

PostgreSQL refuses to run as root; Debian's ``pg_virtualenv`` makes a temporary cluster owned by
the postgres user, exports PG* variables to the command it runs, and drops the cluster when that
command ends. The fixture keeps such a command waiting on its standard input for the whole test
session and reads the variables from a file it writes.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_postgres(folder: Path) -> tuple[subprocess.Popen, dict[str, str]]:
    env_file = folder / "pg.env"
    script = f'env > "{env_file}.part" && mv "{env_file}.part" "{env_file}" && read _'
    # -t: a private cluster folder even as root, so two test runs never share the "regress"
    # cluster; a free port of our own for the same reason.
    port = free_port()
    proc = subprocess.Popen(["pg_virtualenv", "-t", "-o", f"port={port}", "sh", "-c", script],
                            stdin=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=folder)
    deadline = time.monotonic() + 120
    while not env_file.exists():
        if proc.poll() is not None:
            raise RuntimeError(f"pg_virtualenv failed: {proc.stderr.read().decode()[-2000:]}")
        if time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError("pg_virtualenv did not start a cluster within 120 s")
        time.sleep(0.05)
    env = dict(line.split("=", 1) for line in env_file.read_text().splitlines() if "=" in line)
    return proc, {k: v for k, v in env.items() if k.startswith("PG")}


@pytest.fixture(scope="session")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """PG* settings of a running throwaway cluster (skipped only outside CI without Postgres)."""
    if shutil.which("pg_virtualenv") is None:
        if os.environ.get("CI"):
            pytest.fail("CI must install postgresql (pg_virtualenv); see .ci/run")
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql)")
    proc, env = start_postgres(tmp_path_factory.mktemp("postgres"))
    try:
        yield env
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(timeout=120)


def postgres_url(env: dict[str, str], database: str) -> str:
    host = env.get("PGHOST", "localhost")
    return (f"postgresql+psycopg://{quote(env['PGUSER'])}:{quote(env.get('PGPASSWORD', ''))}"
            f"@{host}:{env.get('PGPORT', '5432')}/{database}")


def new_postgres_database(env: dict[str, str]) -> str:
    """A fresh, empty database in the session's cluster; returns its SQLAlchemy URL."""
    import psycopg

    name = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(postgres_url(env, env.get("PGDATABASE", "postgres"))
                         .replace("postgresql+psycopg", "postgresql"), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return postgres_url(env, name)
