"""Bad inputs at the CLI's grading door: a planted temp-file symlink, a FIFO, a huge file, a UTF-8
byte-order mark, a database held locked by another process. Each gets a clear message and the
right exit code; nothing outside the workspace changes; no attempt is lost."""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path

import pytest
from sqlalchemy import event
from typer.testing import CliRunner

from vibrastic.faces.cli import app
from vibrastic.platform.progress import store
from vibrastic.platform.progress.submit import close_services

runner = CliRunner()
SIGMA = "def sigma(n):\n    return sum(i ** 2 for i in range(1, n + 1))\n"


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("VIBRASTIC_WORKSPACE", str(tmp_path / "work"))
    yield tmp_path / "work"
    close_services()


def run(*args: str):
    result = runner.invoke(app, list(args))
    return result.exit_code, " ".join(result.output.split())


def test_start_never_follows_a_planted_temp_symlink(work: Path, tmp_path: Path) -> None:
    work.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    (work / ".sigma.py.tmp").symlink_to(victim)
    code, out = run("challenge", "start", "sigma")
    assert code == 0, out
    assert victim.read_text() == "precious"
    assert (work / "sigma.py").read_text().startswith('"""Challenge: Σ i²')
    assert not (work / "sigma.py").is_symlink()


def test_a_fifo_is_refused_at_once(work: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "sigma.py"
    os.mkfifo(fifo)
    code, out = run("challenge", "check", "sigma", "--file", str(fifo))
    assert code == 2
    assert "is not a regular file (a pipe, device or socket); expected a Python file" in out
    assert store.attempts("sigma") == []


def test_a_file_over_one_mib_is_refused_with_its_size(work: Path, tmp_path: Path) -> None:
    big = tmp_path / "sigma.py"
    big.write_text(SIGMA + "#" * (3 * 2**20 // 2))
    code, out = run("challenge", "check", "sigma", "--file", str(big))
    assert code == 2
    assert "sigma.py is 1.5 MiB; the grader accepts files up to 1 MiB" in out
    assert store.attempts("sigma") == []


def test_a_byte_order_mark_is_not_a_syntax_error(work: Path, tmp_path: Path) -> None:
    path = tmp_path / "sigma.py"
    path.write_bytes(b"\xef\xbb\xbf" + SIGMA.encode())
    code, out = run("challenge", "check", "sigma", "--file", str(path))
    assert code == 0, out
    assert "PASS: all tests passed" in out


def test_a_held_database_lock_loses_no_attempt(work: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "sigma.py"
    path.write_text(SIGMA)
    engine = store.engine_for()  # tables exist before the other process takes the lock

    @event.listens_for(engine, "connect")
    def _fast(conn, _record) -> None:  # type: ignore[no-untyped-def]
        conn.execute("PRAGMA busy_timeout=50")  # the store gives up fast; the service retries

    holder = sqlite3.connect(store.default_db_path(), isolation_level=None,
                             check_same_thread=False)
    holder.execute("BEGIN EXCLUSIVE")
    refused = threading.Event()
    original = store.record_attempt

    def record(*args: object, **kwargs: object) -> int:
        try:
            return original(*args, **kwargs)  # type: ignore[arg-type]
        except Exception:
            refused.set()
            raise

    def release() -> None:
        refused.wait(120)
        holder.execute("COMMIT")

    releaser = threading.Thread(target=release)
    releaser.start()
    monkeypatch.setattr(store, "record_attempt", record)
    try:
        code, out = run("challenge", "check", "sigma", "--file", str(path))
    finally:
        releaser.join()
        holder.close()
    assert code == 0, out
    assert refused.is_set()
    assert [a["status"] for a in store.attempts("sigma")] == ["pass"]
