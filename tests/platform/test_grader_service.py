"""The grading service: submit/status/wait, a fair bounded queue, recording that survives a busy
database, and infrastructure failures that never cost an attempt."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import event

from vibrastic.platform.course.challenge import Challenge, UnknownChallenge
from vibrastic.platform.grader.grade import Grader, GraderError
from vibrastic.platform.grader.results import GradeResult
from vibrastic.platform.progress import store
from vibrastic.platform.progress.service import (
    GradingService,
    JobFailed,
    JobStatus,
    QueueFull,
    SubmissionError,
    UnknownJob,
)

GOOD = "def sigma(n):\n    return sum(i * i for i in range(n + 1))\n"
WRONG = "def sigma(n):\n    return n\n"


class GatedGrader(Grader):
    """A grader that records the order it was asked to grade in and waits for a gate per job,
    so the queue's order can be observed deterministically. Verdicts are plain data."""

    def __init__(self, log: list[str], gate: threading.Semaphore) -> None:
        super().__init__(warm=False, mode="process")
        self.log, self.gate = log, gate

    def grade(self, challenge: Challenge | str, source: str, *, hidden: bool = True
              ) -> GradeResult:
        self.log.append(source)
        self.gate.acquire()
        name = challenge if isinstance(challenge, str) else challenge.name
        return GradeResult(challenge=name, status="fail", score=0.0, max_score=9.0)


@pytest.fixture
def gated() -> Iterator[tuple[GradingService, list[str], threading.Semaphore, dict]]:
    log: list[str] = []
    gate = threading.Semaphore(0)
    seen: dict[str, threading.Event] = {}

    def changed(status: JobStatus) -> None:
        seen.setdefault(f"{status.job_id}:{status.state}", threading.Event()).set()

    service = GradingService(workers=1, grader_factory=lambda: GatedGrader(log, gate),
                             recorder=lambda *_: None, max_queued=4, max_per_learner=3,
                             on_change=changed)
    yield service, log, gate, seen
    for _ in range(10):
        gate.release()
    service.close()


def event_for(seen: dict, job: str, state: str) -> threading.Event:
    return seen.setdefault(f"{job}:{state}", threading.Event())


def test_a_submission_is_graded_and_recorded_once() -> None:
    with GradingService(workers=1) as service:
        job = service.submit("sigma", GOOD, learner="ada")
        result = service.wait(job, timeout=120)
        status = service.status(job)
    assert result.status == "pass" and result.score == 9
    assert status.state == "done" and status.result is result and status.recorded
    assert status.position is None and status.learner == "ada" and status.challenge == "sigma"
    rows = store.attempts("sigma")
    assert [r["id"] for r in rows] == [status.attempt_id]
    assert rows[0]["status"] == "pass" and rows[0]["result"]["score"] == 9


def test_round_robin_across_learners_with_visible_positions(gated) -> None:
    service, log, gate, seen = gated
    a1 = service.submit("sigma", "a1", learner="a")
    assert event_for(seen, a1, "running").wait(30)  # the worker holds a1 at the gate
    a2 = service.submit("sigma", "a2", learner="a")
    a3 = service.submit("sigma", "a3", learner="a")
    b1 = service.submit("sigma", "b1", learner="b")
    assert service.status(a1).state == "running" and service.status(a1).position is None
    positions = {j: service.status(j).position for j in (a2, a3, b1)}
    assert positions == {a2: 1, b1: 2, a3: 3}  # b does not wait behind all of a's jobs
    assert service.queued() == 3
    for _ in range(4):
        gate.release()
    for job in (a1, a2, a3, b1):
        assert service.wait(job, timeout=30).status == "fail"
    assert log == ["a1", "a2", "b1", "a3"]


def test_a_full_queue_is_refused_with_a_clear_message(gated) -> None:
    service, _, _, seen = gated
    first = service.submit("sigma", "x", learner="a")
    assert event_for(seen, first, "running").wait(30)
    service.submit("sigma", "x", learner="a")
    service.submit("sigma", "x", learner="a")
    with pytest.raises(QueueFull, match=r"a already has 3 submissions waiting or running "
                                        r"\(at most 3\)"):
        service.submit("sigma", "x", learner="a")
    service.submit("sigma", "x", learner="b")
    service.submit("sigma", "x", learner="c")
    with pytest.raises(QueueFull, match=r"the grading queue is full \(4 submissions waiting\)"):
        service.submit("sigma", "x", learner="d")


def test_close_fails_queued_jobs_without_recording_them(gated) -> None:
    service, _, gate, seen = gated
    running = service.submit("sigma", "x", learner="a")
    assert event_for(seen, running, "running").wait(30)
    waiting = service.submit("sigma", "y", learner="b")
    gate.release()
    service.close()
    assert service.wait(running, timeout=30).status == "fail"
    with pytest.raises(JobFailed, match="not counted as an attempt"):
        service.wait(waiting, timeout=30)
    assert service.status(waiting).state == "error"
    with pytest.raises(QueueFull, match="shutting down"):
        service.submit("sigma", "z")


class BrokenGrader(Grader):
    def grade(self, *args: object, **kwargs: object) -> GradeResult:
        raise GraderError("the grading sandbox (bubblewrap) did not start")


def test_an_infrastructure_failure_is_an_error_state_and_no_attempt() -> None:
    with GradingService(workers=1, grader_factory=lambda: BrokenGrader(mode="process")) as svc:
        job = svc.submit("sigma", GOOD)
        with pytest.raises(JobFailed, match=r"could not run \(the grading sandbox \(bubblewrap\) "
                                            r"did not start\); this is not counted as an attempt"):
            svc.wait(job, timeout=30)
        assert svc.status(job).state == "error" and svc.status(job).result is None
    assert store.attempts() == []


def test_bad_submissions_are_refused_or_judged_before_running() -> None:
    with GradingService(workers=1) as service:
        with pytest.raises(UnknownChallenge, match="no challenge named 'sigmaa'"):
            service.submit("sigmaa", GOOD)
        with pytest.raises(SubmissionError, match=r"sigma.py is 1.0 MiB; the grader accepts files "
                                                  r"up to 1 MiB"):
            service.submit("sigma", b"#" * (2**20 + 1))
        with pytest.raises(UnknownJob, match="no grading job 'nope'"):
            service.status("nope")
        bom = service.wait(service.submit("sigma", b"\xef\xbb\xbf" + GOOD.encode()), 120)
        latin = service.wait(service.submit("sigma", b"def sigma(n):\n    return 0 # \xe9\n",
                                            filename="mine.py"), 120)
    assert bom.status == "pass"  # a UTF-8 byte-order mark is not a syntax error
    assert latin.status == "error"
    assert latin.message == ("mine.py is not valid UTF-8 text (byte 0xe9 at offset 29); "
                             "save it as UTF-8")
    assert [a["status"] for a in store.attempts("sigma")] == ["pass", "error"]


def short_busy_timeout(db: Path) -> None:
    """The store's engine for ``db``, waiting 50 ms (not 10 s) for a lock, to keep tests fast."""
    engine = store.engine_for(db)

    @event.listens_for(engine, "connect")
    def _fast(conn, _record) -> None:  # type: ignore[no-untyped-def]
        conn.execute("PRAGMA busy_timeout=50")


def test_a_held_database_lock_delays_the_record_but_loses_no_attempt(tmp_path: Path) -> None:
    db = tmp_path / "progress.db"
    short_busy_timeout(db)
    holder = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN EXCLUSIVE")
    failures: list[Exception] = []
    held = threading.Event()

    def record(learner: str, result: GradeResult, source: str) -> int | None:
        try:
            return store.record_attempt(result, source, db)
        except Exception as exc:
            failures.append(exc)
            if len(failures) == 2:
                held.set()  # two tries refused: now let the other writer finish
            raise

    def release() -> None:
        held.wait(60)
        holder.execute("COMMIT")

    releaser = threading.Thread(target=release)
    releaser.start()
    with GradingService(workers=1, recorder=record, record_patience=120) as service:
        job = service.submit("sigma", WRONG)
        assert service.wait(job, timeout=120).status == "fail"
        status = service.status(job)
    releaser.join()
    holder.close()
    assert len(failures) == 2 and "database is locked" in str(failures[0])
    assert status.recorded and status.attempt_id is not None
    assert [a["id"] for a in store.attempts("sigma", db)] == [status.attempt_id]


def test_an_attempt_spooled_while_the_database_stays_locked_is_written_later(
        tmp_path: Path) -> None:
    db = tmp_path / "progress.db"
    short_busy_timeout(db)
    store.engine_for(db)  # tables exist before the lock is taken
    holder = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN EXCLUSIVE")

    def record(learner: str, result: GradeResult, source: str) -> int | None:
        return store.record_attempt(result, source, db)

    spool = tmp_path / "spool"
    with GradingService(workers=1, recorder=record, record_patience=0.3, spool=spool) as service:
        first = service.submit("sigma", WRONG)
        service.wait(first, timeout=120)
        assert not service.status(first).recorded
        assert len(list(spool.glob("attempt-*.json"))) == 1
        holder.execute("COMMIT")
        second = service.submit("sigma", GOOD)
        service.wait(second, timeout=120)
        assert service.status(second).recorded
    holder.close()
    assert sorted(a["status"] for a in store.attempts("sigma", db)) == ["fail", "pass"]
    assert list(spool.glob("attempt-*.json")) == []
