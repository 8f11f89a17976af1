"""The grading service: the one way a face submits a learner's code and gets a verdict back.

The CLI (``challenge check``/``watch``), ``course check``, notebooks (``check("sigma")``), the web
course and the classroom all go through this API, so every submission is graded, recorded and
queued the same way::

    from vibrastic.platform.progress.service import GradingService

    with GradingService(workers=2) as service:
        job = service.submit("sigma", source, learner="ada")   # a job id, at once
        service.status(job)      # JobStatus(state="queued", position=3, ...)
        result = service.wait(job, timeout=60)                 # the GradeResult
        service.status(job).attempt_id                          # its row in the store

``submit(challenge, source, learner="local", *, hidden=True, files=None)``
    Validates at once and raises ``UnknownChallenge`` (no such challenge), ``SubmissionError``
    (a source over ``MAX_SOURCE_BYTES``, a bad package) or ``QueueFull`` (the queue, or this
    learner's share of it, is full; the message says which and what to do). ``source`` may be
    ``bytes`` (a file's contents: a UTF-8 BOM is dropped, other encodings get an ``error``
    verdict naming the byte) or ``str``. ``files`` (relative path -> bytes) is a package graded
    with it, and ``challenge`` may then be any gradable (a project stage). Returns the job id.
``status(job_id) -> JobStatus``
    ``state`` is ``queued`` (with ``position``: 1 = next to start), ``running``, ``done`` (with
    ``result`` and ``attempt_id``) or ``error`` (``error`` says why; nothing was recorded).
    Unknown ids raise ``UnknownJob``; finished jobs are kept for the last ``keep_finished`` jobs.
``wait(job_id, timeout=None) -> GradeResult``
    Blocks until the job is done. Raises ``JobFailed`` (a ``GraderError``) when the grader
    itself could not run — an infrastructure failure, never counted as an attempt — and
    ``TimeoutError`` when ``timeout`` passes first (the job carries on).
``close()``
    Stops accepting jobs, fails the queued ones (not counted as attempts), waits for the running
    ones and stops the workers' sandboxes. Also on ``with`` exit.

Fairness: each learner has a FIFO of jobs; workers take jobs round-robin across learners, so one
learner's burst never delays another learner's single submission by more than one job per busy
learner. The queue is bounded overall (``max_queued``) and per learner (``max_per_learner``,
queued and running together).

Recording: every verdict is written through ``recorder(learner, result, source)`` (default: the
progress store) with retries while the database is busy (another process holding SQLite's lock);
if it stays busy past ``record_patience`` seconds, the attempt is kept in a spool folder and
written on the next successful record, so no attempt is lost. Grader failures are not recorded.

Workers are threads, each with its own ``Grader`` (made by ``grader_factory``); the learner's code
always runs in the grader's sandbox processes, never in this process. A classroom runs this
service in separate worker processes behind a real broker.
"""

from __future__ import annotations

import collections
import contextlib
import itertools
import json
import logging
import os
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from vibrastic.platform.course.challenge import Challenge, get_challenge
from vibrastic.platform.grader.grade import (
    MAX_SOURCE_BYTES,
    Grader,
    GraderError,
    SourceError,
    decode_source,
    package_payload,
    unreadable_result,
)
from vibrastic.platform.grader.results import GradeResult
from vibrastic.platform.paths import home_dir

log = logging.getLogger(__name__)

State = Literal["queued", "running", "done", "error"]
Recorder = Callable[[str, GradeResult, str], "int | None"]


class SubmissionError(ValueError):
    """A submission the service refuses before grading (too big); the message says the limit."""


class QueueFull(RuntimeError):
    """The queue (or this learner's share of it) is full; try again when a job finishes."""


class UnknownJob(KeyError):
    """No job with that id (never submitted, or finished long ago and forgotten)."""

    def __str__(self) -> str:
        return f"no grading job {self.args[0]!r}"


class JobFailed(GraderError):
    """The grader could not grade this job (infrastructure); the attempt was not counted."""


@dataclass(frozen=True)
class JobStatus:
    """A snapshot of one job."""

    job_id: str
    challenge: str
    learner: str
    state: State
    position: int | None = None  # 1 = next to start; only while queued
    result: GradeResult | None = None  # when done
    error: str = ""  # when state is "error"
    attempt_id: int | None = None  # the store's id once recorded
    recorded: bool = False  # False while the store is busy (the attempt is spooled)
    submitted_at: float = 0.0  # time.time()
    started_at: float | None = None
    finished_at: float | None = None

    @property
    def finished(self) -> bool:
        return self.state in ("done", "error")


@dataclass
class _Job:
    status: JobStatus
    challenge: Challenge
    source: str
    data: bytes | None
    hidden: bool
    filename: str
    files: dict[str, bytes] | None = None  # a package graded with the source (project stages)
    done: threading.Event = field(default_factory=threading.Event)


def _default_recorder(db_path: str | Path | None) -> Recorder:
    def record(learner: str, result: GradeResult, source: str) -> int | None:
        from vibrastic.platform.progress import store

        return store.record_attempt(result, source, db_path)

    return record


def _busy(exc: BaseException) -> bool:
    """A database that is locked by another writer (SQLite) or briefly unavailable."""
    text = str(exc).lower()
    return any(w in text for w in ("locked", "busy", "could not connect", "connection refused"))


class GradingService:
    """A bounded, fair queue of submissions graded by ``workers`` threads (see module doc)."""

    def __init__(self, workers: int | None = None, *, warm: bool = True,
                 mode: str | None = None, max_queued: int = 256, max_per_learner: int = 8,
                 grader_factory: Callable[[], Grader] | None = None,
                 recorder: Recorder | None = None, db_path: str | Path | None = None,
                 record_patience: float = 120.0, keep_finished: int = 2000,
                 on_change: Callable[[JobStatus], None] | None = None,
                 spool: Path | None = None, prestart: bool = False) -> None:
        self.workers = max(1, workers or os.cpu_count() or 1)
        # prestart: each worker thread starts its warm sandbox at once (in the background), not
        # at the first submission, so the first learner of a class does not wait for one
        self.prestart = prestart
        self._warming = threading.Semaphore(0)
        self.max_queued, self.max_per_learner = max_queued, max_per_learner
        self.record_patience, self.keep_finished = record_patience, keep_finished
        self._factory = grader_factory or (lambda: Grader(warm=warm, mode=mode))
        self._record = recorder or _default_recorder(db_path)
        self._spool_dir = spool
        self._on_change = on_change
        self._lock = threading.Condition()
        self._queues: dict[str, collections.deque[_Job]] = {}
        self._turns: collections.deque[str] = collections.deque()  # learners with queued jobs
        self._active: collections.Counter[str] = collections.Counter()  # queued + running
        self._jobs: collections.OrderedDict[str, _Job] = collections.OrderedDict()
        self._ids = itertools.count(1)
        self._closing = False
        self._graders: list[Grader] = []
        self._threads = [threading.Thread(target=self._work, name=f"grading-worker-{i}",
                                          daemon=True) for i in range(self.workers)]
        for thread in self._threads:
            thread.start()

    # ------------------------------------------------------------------ API
    def submit(self, challenge: str | Challenge, source: str | bytes, learner: str = "local", *,
               hidden: bool = True, filename: str | None = None,
               files: Mapping[str, bytes] | None = None) -> str:
        """Queue a submission; returns its job id (see module doc for what it raises).
        ``challenge`` is a name in the packaged course, or a loaded Challenge (another course)
        or other gradable (a project Stage, with its package in ``files``)."""
        # UnknownChallenge names the valid ones
        found = get_challenge(challenge) if isinstance(challenge, str) else challenge
        if files:
            try:
                package_payload(files)
            except ValueError as exc:
                raise SubmissionError(str(exc)) from None
        size = len(source) if isinstance(source, bytes) else len(source.encode("utf-8",
                                                                               "surrogatepass"))
        name = filename or found.filename
        if size > MAX_SOURCE_BYTES:
            raise SubmissionError(
                f"{name} is {size / 2**20:.1f} MiB; the grader accepts files up to "
                f"{MAX_SOURCE_BYTES // 2**20} MiB (is it the right file?)")
        data = source if isinstance(source, bytes) else None
        text = "" if data is not None else str(source).removeprefix("\ufeff")
        with self._lock:
            if self._closing:
                raise QueueFull("the grading service is shutting down; submit again later")
            queued = sum(len(q) for q in self._queues.values())
            if queued >= self.max_queued:
                raise QueueFull(f"the grading queue is full ({queued} submissions waiting); "
                                "try again in a moment")
            if self._active[learner] >= self.max_per_learner:
                raise QueueFull(f"{learner} already has {self._active[learner]} submissions "
                                f"waiting or running (at most {self.max_per_learner}); wait for "
                                "one to finish")
            job_id = f"{next(self._ids)}-{secrets.token_hex(4)}"
            job = _Job(JobStatus(job_id, found.name, learner, "queued",
                                 submitted_at=time.time()), found, text, data, hidden, name,
                       dict(files) if files else None)
            self._jobs[job_id] = job
            if learner not in self._queues:
                self._queues[learner] = collections.deque()
                self._turns.append(learner)
            self._queues[learner].append(job)
            self._active[learner] += 1
            self._lock.notify_all()
        self._notify(job)
        return job_id

    def status(self, job_id: str) -> JobStatus:
        """The job's state now (queued jobs get their current queue position)."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                raise UnknownJob(job_id)
            if job.status.state == "queued":
                return replace(job.status, position=self._position(job))
            return job.status

    def wait(self, job_id: str, timeout: float | None = None) -> GradeResult:
        """Block until the job is done; its GradeResult (raises JobFailed, TimeoutError)."""
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            raise UnknownJob(job_id)
        if not job.done.wait(timeout):
            raise TimeoutError(f"grading job {job_id} not finished after {timeout:g} s")
        status = job.status
        if status.state == "error":
            raise JobFailed(status.error)
        assert status.result is not None
        return status.result

    def wait_warm(self, timeout: float | None = None) -> bool:
        """With ``prestart``: block until every worker has tried to start its sandbox (True),
        or ``timeout`` seconds passed (False). A sandbox that could not start is started again
        at the first submission, whose verdict then says why it cannot."""
        if not self.prestart:
            return True
        deadline = None if timeout is None else time.monotonic() + timeout
        for _ in range(self.workers):
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not self._warming.acquire(timeout=left):
                return False
        for _ in range(self.workers):  # later callers see the same answer
            self._warming.release()
        return True

    def queued(self) -> int:
        """How many jobs are waiting (not yet running)."""
        with self._lock:
            return sum(len(q) for q in self._queues.values())

    def close(self) -> None:
        """Fail queued jobs (not counted as attempts), finish running ones, stop the workers."""
        with self._lock:
            if self._closing and not any(t.is_alive() for t in self._threads):
                return
            self._closing = True
            dropped = [job for q in self._queues.values() for job in q]
            self._queues.clear()
            self._turns.clear()
            self._lock.notify_all()
        for job in dropped:
            self._finish(job, error="the grading service stopped before this submission was "
                         "graded; it is not counted as an attempt")
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join()
        for grader in self._graders:
            grader.close()

    def __enter__(self) -> GradingService:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ queue
    def _position(self, job: _Job) -> int:
        """1 + the number of queued jobs that round-robin will start before ``job``."""
        mine = self._queues[job.status.learner]
        index = mine.index(job)
        turn = self._turns.index(job.status.learner)
        ahead = 0
        for i, learner in enumerate(self._turns):
            count = len(self._queues[learner])
            ahead += min(count, index) + (1 if i < turn and count > index else 0)
        return ahead + 1

    def _next_job(self) -> _Job | None:
        with self._lock:
            while not self._turns and not self._closing:
                self._lock.wait()
            if self._closing:
                return None
            learner = self._turns.popleft()
            queue = self._queues[learner]
            job = queue.popleft()
            if queue:
                self._turns.append(learner)
            else:
                del self._queues[learner]
            job.status = replace(job.status, state="running", started_at=time.time())
        self._notify(job)
        return job

    # ------------------------------------------------------------------ workers
    def _work(self) -> None:
        grader: Grader | None = None
        try:
            if self.prestart:  # in this thread: a sandbox dies with the thread that started it
                try:
                    grader = self._new_grader()
                    grader.start()
                except Exception as exc:  # the first submission tries again and says why
                    log.warning("a grading sandbox could not start: %s", exc)
                finally:
                    self._warming.release()
            while (job := self._next_job()) is not None:
                if grader is None:
                    grader = self._new_grader()
                self._run(grader, job)
        finally:
            if grader is not None:
                grader.close()

    def _new_grader(self) -> Grader:
        grader = self._factory()
        with self._lock:
            self._graders.append(grader)
        return grader

    def _run(self, grader: Grader, job: _Job) -> None:
        try:
            result = self._grade(grader, job)
        except GraderError as exc:
            self._finish(job, error=f"the grader could not run ({exc}); this is not counted "
                         "as an attempt")
            return
        except Exception as exc:  # a bug in the grader: the learner must not pay for it
            log.exception("grading job %s failed", job.status.job_id)
            self._finish(job, error=f"the grader failed ({type(exc).__name__}); this is not "
                         "counted as an attempt")
            return
        attempt_id, recorded = self._store(job, result)
        self._finish(job, result=result, attempt_id=attempt_id, recorded=recorded)

    def _grade(self, grader: Grader, job: _Job) -> GradeResult:
        source = job.source
        if job.data is not None:
            try:
                source = decode_source(job.data, job.filename)
            except SourceError as exc:
                return unreadable_result(job.challenge, str(exc), hidden=job.hidden,
                                         sandbox=grader.sandbox_label)
            job.source = source
        grade_in = getattr(job.challenge, "grade_in", None)
        if grade_in is not None:  # a gradable that runs itself (a milestone)
            return grade_in(grader, source, job.files or {})
        if job.files:  # a package (a project stage)
            return grader.grade(job.challenge, source, hidden=job.hidden, files=job.files)
        return grader.grade(job.challenge, source, hidden=job.hidden)

    def _store(self, job: _Job, result: GradeResult) -> tuple[int | None, bool]:
        """Record through the recorder, retrying while the database is busy; spool if it stays
        busy. Returns (attempt id, recorded)."""
        learner, source = job.status.learner, job.source
        if job.data is not None and not source:
            source = job.data.decode("utf-8", "surrogateescape")
        if job.files:  # a package: the attempt's hash covers every file, path and content
            source = "".join(f"# ---- {rel}\n{data.decode('utf-8', 'replace')}\n"
                             for rel, data in sorted(job.files.items()))
        deadline = time.monotonic() + self.record_patience
        pause, other_failures = 0.05, 0
        while True:
            try:
                attempt_id = self._record(learner, result, source)
            except Exception as exc:
                # A busy database is waited for; any other failure (two first writers creating
                # the tables at once, say) is retried a few times before the attempt is spooled.
                other_failures += not _busy(exc)
                if other_failures > 3 or time.monotonic() + pause > deadline:
                    log.warning("attempt of job %s spooled: %s", job.status.job_id, exc)
                    self._spool_attempt(learner, result, source)
                    return None, False
                time.sleep(pause)  # back off: another writer holds the database
                pause = min(pause * 2, 2.0)
                continue
            self.replay_spool()
            return attempt_id, True

    @property
    def _spool(self) -> Path:
        """Where attempts wait while the database is busy (the learner's data folder)."""
        return self._spool_dir or home_dir() / "spool"

    def _spool_attempt(self, learner: str, result: GradeResult, source: str) -> None:
        self._spool.mkdir(parents=True, exist_ok=True)
        path = self._spool / f"attempt-{time.time_ns()}-{secrets.token_hex(4)}.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"learner": learner, "source": source,
                                   "result": result.to_dict()}), encoding="utf-8")
        tmp.replace(path)

    def replay_spool(self) -> int:
        """Record attempts spooled while the database was busy; returns how many were written."""
        written = 0
        with contextlib.suppress(OSError):
            for path in sorted(self._spool.glob("attempt-*.json")):
                try:
                    data = json.loads(path.read_text(encoding="utf-8"))
                    self._record(data["learner"], GradeResult.from_dict(data["result"]),
                                 data["source"])
                except Exception:  # still busy (or unreadable): keep the file for next time
                    break
                path.unlink()
                written += 1
        return written

    def _finish(self, job: _Job, *, result: GradeResult | None = None, error: str = "",
                attempt_id: int | None = None, recorded: bool = False) -> None:
        with self._lock:
            job.status = replace(job.status, state="error" if error else "done", result=result,
                                 error=error, attempt_id=attempt_id, recorded=recorded,
                                 position=None, finished_at=time.time())
            self._active[job.status.learner] -= 1
            if self._active[job.status.learner] <= 0:
                del self._active[job.status.learner]
            finished = [k for k, j in self._jobs.items() if j.status.finished]
            for key in finished[: max(0, len(finished) - self.keep_finished)]:
                del self._jobs[key]
            job.done.set()
        self._notify(job)

    def _notify(self, job: _Job) -> None:
        if self._on_change is not None:
            with self._lock:
                status = job.status
                if status.state == "queued" and job in self._queues.get(status.learner, ()):
                    status = replace(status, position=self._position(job))
            try:
                self._on_change(status)
            except Exception:  # a listener's bug must not stop grading
                log.exception("grading service listener failed")
