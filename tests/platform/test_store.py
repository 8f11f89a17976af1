"""Progress in SQLite: statuses, attempts, hints, resets, and crash safety."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
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


def test_wal_mode_and_default_location(db: Path, learner_home: Path) -> None:
    store.record_attempt(result("sigma", "fail", 0, 9), "", db)
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.default_db_path() == learner_home / "progress.db"  # VIBRASTIC_HOME


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
