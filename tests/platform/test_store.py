"""Progress in SQLite: statuses, attempts, hints, resets, and crash safety."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from vibrastic.platform.course.challenge import get_challenge, load_challenges
from vibrastic.platform.grader.results import GradeResult, TestResult
from vibrastic.platform.progress import store


def result(name: str, status: str, score: float, max_score: float,
           hidden_run: bool = True) -> GradeResult:
    return GradeResult(challenge=name, status=status, score=score, max_score=max_score,  # type: ignore[arg-type]
                       tests=[TestResult("t", "pass" if status == "pass" else "fail", score,
                                         max_score)], hidden_run=hidden_run)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "progress.db"


def test_statuses_start_as_not_started(db: Path) -> None:
    statuses = store.challenge_statuses(db)
    assert list(statuses) == [c.name for c in load_challenges()]
    sigma = statuses["sigma"]
    assert sigma["status"] == "not started"
    assert sigma["best_score"] == 0 and sigma["max_score"] == get_challenge("sigma").max_score
    assert sigma["section"] == "Python refresher — Functions" and sigma["order"] == 2


def test_attempted_then_passed_with_best_score(db: Path) -> None:
    store.record_attempt(result("sigma", "fail", 3, 9), "def sigma(n): return 0", db)
    store.record_attempt(result("sigma", "fail", 6, 9), "def sigma(n): return 1", db)
    s = store.challenge_statuses(db)["sigma"]
    assert (s["status"], s["best_score"], s["attempts"]) == ("attempted", 6, 2)
    # passing the public tests only does not count as passed
    store.record_attempt(result("sigma", "pass", 4, 4, hidden_run=False), "x", db)
    assert store.challenge_statuses(db)["sigma"]["status"] == "attempted"
    store.record_attempt(result("sigma", "pass", 9, 9), "def sigma(n): ...", db)
    store.record_attempt(result("sigma", "fail", 2, 9), "worse later", db)
    s = store.challenge_statuses(db)["sigma"]
    assert (s["status"], s["best_score"], s["attempts"]) == ("passed", 9, 5)
    assert store.challenge_statuses(db)["triangle"]["status"] == "not started"


def test_every_attempt_is_kept_with_its_results_json(db: Path) -> None:
    r = result("triangle", "fail", 1, 6)
    store.record_attempt(r, "def triangle(h): pass", db)
    [row] = store.attempts("triangle", db)
    assert row["status"] == "fail" and row["score"] == 1 and row["max_score"] == 6
    assert GradeResult.from_dict(row["result"]).to_dict() == r.to_dict()


def test_hints_one_at_a_time_and_reset_keeps_attempts(db: Path) -> None:
    hints = ("first", "second")
    assert store.next_hint("sigma", hints, db) == (1, "first")
    assert store.next_hint("sigma", hints, db) == (2, "second")
    assert store.next_hint("sigma", hints, db) is None
    assert store.hints_shown("sigma", db) == 2
    store.record_attempt(result("sigma", "pass", 9, 9), "ok", db)
    store.mark_reset("sigma", db)
    assert store.next_hint("sigma", hints, db) == (1, "first")
    s = store.challenge_statuses(db)["sigma"]
    assert s["status"] == "passed" and s["attempts"] == 1 and s["hints_shown"] == 1


def test_started_is_recorded(db: Path) -> None:
    store.mark_started("greeter", db)
    s = store.challenge_statuses(db)["greeter"]
    assert s["started"] is True and s["status"] == "not started"


def test_wal_mode_and_default_location(db: Path, learner_workspace: Path) -> None:
    store.record_attempt(result("sigma", "fail", 0, 9), "", db)
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    # VIBRASTIC_WORKSPACE
    assert store.default_db_path() == learner_workspace / ".vibrastic" / "progress.db"


def test_a_crash_mid_write_loses_nothing(db: Path) -> None:
    store.record_attempt(result("sigma", "pass", 9, 9), "kept", db)
    # A process that dies (os._exit, no cleanup) in the middle of a write transaction.
    crash = (
        "import os, sys\n"
        "from sqlalchemy.orm import Session\n"
        "from vibrastic.platform.progress import store\n"
        "engine = store.engine_for(sys.argv[1])\n"
        "session = Session(engine)\n"
        "session.begin()\n"
        "session.add(store.Attempt(challenge='sigma', created_at='x', status='fail', score=0,"
        " max_score=9, hidden_run=1, source_sha256='0', result_json='{}'))\n"
        "session.flush()\n"
        "os._exit(1)\n"
    )
    done = subprocess.run([sys.executable, "-c", crash, str(db)], capture_output=True)
    assert done.returncode == 1
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    rows = store.attempts("sigma", db)
    assert [r["status"] for r in rows] == ["pass"]
    assert store.challenge_statuses(db)["sigma"]["status"] == "passed"
    store.record_attempt(result("sigma", "fail", 1, 9), "after the crash", db)
    assert len(store.attempts("sigma", db)) == 2


def test_reading_a_missing_store_creates_nothing(tmp_path: Path) -> None:
    db = tmp_path / "work" / ".vibrastic" / "progress.db"
    assert store.challenge_statuses(db)["sigma"]["status"] == "not started"
    assert store.attempts(None, db) == [] and store.hints_shown("sigma", db) == 0
    assert store.done_items(db) == set() and not store.gave_up("sigma", db)
    assert not (tmp_path / "work").exists()


def damaged_pages() -> bytes:
    """A real SQLite file with its second and third pages overwritten."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "x.db"
        conn = sqlite3.connect(path)
        conn.execute("CREATE TABLE t (x TEXT)")
        conn.executemany("INSERT INTO t VALUES (?)", [("x" * 100,)] * 500)
        conn.commit()
        conn.close()
        data = bytearray(path.read_bytes())
    data[4096:12288] = b"\x07" * 8192
    return bytes(data)


@pytest.mark.parametrize("damage", ["text", "pages"])
def test_a_damaged_store_is_moved_aside_and_a_fresh_one_started(tmp_path: Path,
                                                              damage: str) -> None:
    db = tmp_path / "progress.db"
    damage = b"this is not a database" if damage == "text" else damaged_pages()
    db.write_bytes(damage)
    if damage.startswith(b"this"):  # its journal goes with it, untouched
        (tmp_path / "progress.db-wal").write_bytes(b"junk")
    seen: list[store.Recovery] = []
    store.recovery_listeners.append(seen.append)
    try:
        store.record_attempt(result("sigma", "fail", 1, 9), "mine", db)
    finally:
        store.recovery_listeners.remove(seen.append)
    [recovery] = seen
    assert recovery.path == db and recovery.moved_to.name.startswith("progress.db.broken-")
    assert recovery.moved_to.read_bytes() == damage  # kept, byte for byte
    if damage.startswith(b"this"):
        wal = recovery.moved_to.with_name(recovery.moved_to.name + "-wal")
        assert wal.read_bytes() == b"junk"
    assert recovery in store.recoveries()
    assert f"{db} could not be read" in recovery.describe()
    assert "moved aside to" in recovery.describe() and "nothing was deleted" in recovery.describe()
    assert [a["status"] for a in store.attempts("sigma", db)] == ["fail"]


def test_a_folder_in_place_of_the_store_is_an_error_that_names_it(tmp_path: Path) -> None:
    db = tmp_path / "progress.db"
    db.mkdir()
    with pytest.raises(store.StoreError, match=r"progress\.db is a folder; expected an SQLite"):
        store.record_attempt(result("sigma", "fail", 1, 9), "mine", db)
    assert db.is_dir()


def test_grading_the_unchanged_starter_does_not_count_as_attempted(db: Path) -> None:
    starter = get_challenge("sigma").starter
    store.record_attempt(result("sigma", "fail", 0, 9), starter, db)
    store.record_attempt(result("sigma", "fail", 0, 9), starter.rstrip() + "\n", db)  # %%writefile
    s = store.challenge_statuses(db)["sigma"]
    assert (s["status"], s["attempts"]) == ("not started", 2)
    store.record_attempt(result("sigma", "fail", 2, 9), starter + "# tried\n", db)
    assert store.challenge_statuses(db)["sigma"]["status"] == "attempted"


def test_give_up_and_done_items_are_remembered(db: Path) -> None:
    store.mark_gave_up("sigma", db)
    store.mark_done("lesson", "python-refresher", "read", db)
    store.mark_done("lab", "autograd", "ran", db)
    assert store.gave_up("sigma", db) and not store.gave_up("triangle", db)
    assert store.challenge_statuses(db)["sigma"]["gave_up"] is True
    assert store.done_items(db) == {("lesson", "python-refresher"), ("lab", "autograd")}
