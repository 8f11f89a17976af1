"""Grading in a classroom: a learner's Check becomes a submission row, a queued job, a verdict.

Two ways to run it, one API (``submit`` → a ticket, ``status(ticket)``):
- ``LocalGrading`` (SQLite, one server): the in-process ``GradingService`` with its fair queue
  and warm sandboxes; each verdict is written as a ``class_submissions`` row.
- ``QueuedGrading`` (PostgreSQL, any number of hosts): the submission row is written first
  (state ``queued``), then a job is deferred on procrastinate, a job queue that lives in the same
  PostgreSQL (no extra service; ``SKIP LOCKED`` polling plus LISTEN/NOTIFY). Long-lived
  ``vibrastic worker`` processes (``run_worker``) warm their sandboxes before taking a job,
  keep them warm, grade, and write the verdict back to the row, so a web restart loses
  nothing. Jobs carry the lock ``learner:<id>``: one learner's burst runs one job at a time
  and never takes every worker.
Either way a grader failure is recorded as ``state = 'error'``, never as an attempt, and every
change is announced (``NOTIFY vibrastic_submissions`` on PostgreSQL, ``on_change`` locally) for
the live pages. Checks are rate-limited per learner.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import queue
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from vibrastic.platform.classroom.models import Submission
from vibrastic.platform.course.challenge import get_challenge
from vibrastic.platform.database import now, reading
from vibrastic.platform.grader.grade import MAX_SOURCE_BYTES, Grader, GraderError
from vibrastic.platform.grader.results import GradeResult
from vibrastic.platform.progress.project import ProjectError, project_gradable, project_item

if TYPE_CHECKING:
    from vibrastic.platform.progress.service import JobStatus

CHECKS_PER_WINDOW = 12
CHECK_WINDOW = timedelta(minutes=1)
CHANNEL = "vibrastic_submissions"
TASK_NAME = "vibrastic.grade_submission"

Listener = Callable[[dict], None]


class CheckRefused(ValueError):
    """A check that was not queued; the message says why and what to do."""


class CheckTooLarge(CheckRefused):
    """The code is over the size the grader accepts."""


class TooManyChecks(CheckRefused):
    """The learner checked too often in the last minute; ``retry_after``: seconds until the
    next check is accepted."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Ticket:
    """Where a check stands: ``state`` queued (``position``: 1 = next), running, done, error."""

    ticket: str
    state: str
    position: int | None = None
    submission_id: int | None = None
    result: dict | None = None
    error: str | None = None
    user_id: int | None = None  # whose check (known once it has a submission row)


def check_allowed(engine: Engine, course_id: int, user_id: int, challenge: str,
                  source: str) -> None:
    """Raise CheckRefused when this check may not be queued now (named reason)."""
    if project_item(challenge) is None:
        get_challenge(challenge)  # UnknownChallenge names the valid ones
    size = len(source.encode("utf-8", "surrogatepass"))
    if size > MAX_SOURCE_BYTES:
        raise CheckTooLarge(f"the code is {size / 2**20:.1f} MiB; checks accept up to "
                           f"{MAX_SOURCE_BYTES // 2**20} MiB")
    at = datetime.now(UTC)
    since = (at - CHECK_WINDOW).isoformat(timespec="milliseconds")
    with Session(engine) as session:
        recent, oldest = session.execute(select(
            func.count(Submission.id), func.min(Submission.created_at)).where(
            Submission.user_id == user_id, Submission.course_id == course_id,
            Submission.created_at >= since)).one()
    if recent >= CHECKS_PER_WINDOW:
        wait = max(1, math.ceil((datetime.fromisoformat(oldest) + CHECK_WINDOW - at)
                                .total_seconds()))
        raise TooManyChecks(f"you have checked {recent} times in the last minute; you can check "
                            f"again in {wait} s (your code is saved)", retry_after=wait)


def record_verdict(engine: Engine, submission_id: int, result: GradeResult | None,
                   error: str | None = None, worker: str | None = None) -> None:
    """Write a verdict (or a grader failure) into the submission row and announce it."""
    with Session(engine) as session, session.begin():
        row = session.get(Submission, submission_id)
        if row is None:
            return
        row.finished_at = now()
        row.worker = worker
        if result is None:
            row.state, row.error = "error", error or "the grader could not run"
        else:
            row.state, row.status = "done", result.status
            row.score, row.max_score = result.score, result.max_score
            row.hidden_run, row.result_json = result.hidden_run, result.to_json(indent=None)
        announce(session, row)


def announce(session: Session, row: Submission) -> None:
    """Tell listeners (other processes on PostgreSQL) that a submission changed."""
    if session.bind.dialect.name == "postgresql":  # type: ignore[union-attr]
        payload = json.dumps(event_of(row))
        session.execute(text("SELECT pg_notify(:channel, :payload)"),
                        {"channel": CHANNEL, "payload": payload})


def event_of(row: Submission) -> dict:
    return {"submission": row.id, "course": row.course_id, "user": row.user_id,
            "challenge": row.challenge, "state": row.state, "status": row.status,
            "score": row.score}


def ticket_of(row: Submission, position: int | None = None) -> Ticket:
    return Ticket(ticket=f"s{row.id}", state=row.state, position=position,
                  submission_id=row.id, user_id=row.user_id,
                  result=json.loads(row.result_json) if row.result_json else None,
                  error=row.error)


# ---- one server: the in-process grading service -------------------------------------------

class LocalGrading:
    """Checks graded by this process's ``GradingService`` (SQLite classrooms)."""

    def __init__(self, engine: Engine, workers: int | None = None,
                 on_change: Listener | None = None, **service_options: object) -> None:
        from vibrastic.platform.progress.service import GradingService

        self.engine = engine
        self._listeners: list[Listener] = [on_change] if on_change else []
        self._service = GradingService(workers, recorder=self._record,
                                       on_change=self._changed, **service_options)
        self._by_job: dict[str, int] = {}
        self._lock = threading.Lock()

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def submit(self, course_id: int, user_id: int, challenge: str, source: str) -> str:
        check_allowed(self.engine, course_id, user_id, challenge, source)
        learner = f"{course_id}:{user_id}"
        if project_item(challenge) is not None:  # ``source``: the package as project_payload
            gradable, main, files = project_gradable(challenge, source)
            return self._service.submit(gradable, main, learner=learner, files=files)
        return self._service.submit(challenge, source, learner=learner)

    def status(self, ticket: str) -> Ticket:
        from vibrastic.platform.progress.service import UnknownJob

        try:
            job = self._service.status(ticket)
        except UnknownJob:
            raise KeyError(ticket) from None
        if job.state == "done" and job.attempt_id is not None:
            with Session(self.engine) as session:
                row = session.get(Submission, job.attempt_id)
                if row is not None:
                    return ticket_of(row)
        return Ticket(ticket=ticket, state=job.state, position=job.position, error=job.error,
                      user_id=int(job.learner.split(":")[1]))

    def wait(self, ticket: str, timeout: float | None = None) -> Ticket:
        with contextlib.suppress(GraderError):  # a grader failure shows as state "error"
            self._service.wait(ticket, timeout)
        return self.status(ticket)

    def close(self) -> None:
        self._service.close()

    def _record(self, learner: str, result: GradeResult, source: str) -> int:
        course_id, user_id = (int(x) for x in learner.split(":"))
        with Session(self.engine) as session, session.begin():
            row = Submission(course_id=course_id, user_id=user_id, challenge=result.challenge,
                             source=source, state="running", created_at=now(),
                             hidden_run=result.hidden_run)
            session.add(row)
            session.flush()
            submission_id = row.id
        record_verdict(self.engine, submission_id, result, worker=_worker_name())
        return submission_id

    def _changed(self, job: JobStatus) -> None:
        course_id, user_id = (int(x) for x in job.learner.split(":"))
        event = {"ticket": job.job_id, "course": course_id, "user": user_id,
                 "challenge": job.challenge, "state": job.state, "submission": job.attempt_id}
        for listener in list(self._listeners):
            listener(event)


# ---- several hosts: PostgreSQL + procrastinate + vibrastic worker ---------------------------

def _conninfo(engine: Engine) -> str:
    url = engine.url
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def queue_app(engine: Engine, graders: GraderPool | None = None):  # type: ignore[no-untyped-def]
    """The procrastinate app for this database, with the grading task registered; jobs borrow
    a grader from ``graders`` (only a worker runs them; the web side only defers)."""
    import procrastinate

    app = procrastinate.App(connector=procrastinate.PsycopgConnector(
        conninfo=_conninfo(engine)))

    @app.task(name=TASK_NAME, pass_context=False)
    def grade_submission(submission_id: int) -> None:
        if graders is None:
            raise RuntimeError("this process only queues checks; `vibrastic worker` grades them")
        with graders.borrow() as grader:
            grade_queued(engine, submission_id, grader)

    return app


class QueuedGrading:
    """Checks written to the database and graded by ``vibrastic worker`` processes."""

    def __init__(self, engine: Engine) -> None:
        if engine.dialect.name != "postgresql":
            raise ValueError("queued grading needs PostgreSQL; use LocalGrading with SQLite")
        self.engine = engine
        self._app = queue_app(engine)
        self._app.open()

    def submit(self, course_id: int, user_id: int, challenge: str, source: str) -> str:
        check_allowed(self.engine, course_id, user_id, challenge, source)
        with Session(self.engine) as session, session.begin():
            row = Submission(course_id=course_id, user_id=user_id, challenge=challenge,
                             source=source, state="queued", created_at=now(), hidden_run=True)
            session.add(row)
            session.flush()
            submission_id = row.id
            announce(session, row)
        self._app.tasks[TASK_NAME].configure(
            lock=f"learner:{user_id}", queueing_lock=f"submission:{submission_id}",
        ).defer(submission_id=submission_id)
        return f"s{submission_id}"

    def status(self, ticket: str) -> Ticket:
        submission_id = _submission_id(ticket)
        with Session(reading(self.engine)) as session:
            row = session.get(Submission, submission_id)
            if row is None:
                raise KeyError(ticket)
            position = None
            if row.state == "queued":
                position = 1 + (session.scalar(select(func.count(Submission.id)).where(
                    Submission.state == "queued", Submission.id < row.id)) or 0)
            return ticket_of(row, position)

    def close(self) -> None:
        self._app.close()


def _submission_id(ticket: str) -> int:
    if not (ticket.startswith("s") and ticket[1:].isdigit()):
        raise KeyError(ticket)
    return int(ticket[1:])


def grade_queued(engine: Engine, submission_id: int, grader: Grader) -> None:
    """Claim a queued submission, grade it, write the verdict (what a worker's job does)."""
    with Session(engine) as session, session.begin():
        claimed = session.execute(
            text("UPDATE class_submissions SET state = 'running', worker = :w "
                 "WHERE id = :id AND state = 'queued'"),
            {"id": submission_id, "w": _worker_name()}).rowcount
        row = session.get(Submission, submission_id)
        if not claimed or row is None:
            return  # graded already (a retried job), or gone
        announce(session, row)
        challenge, source = row.challenge, row.source
    try:
        result = grade_item(grader, challenge, source)
    except ProjectError as exc:
        record_verdict(engine, submission_id, None, error=f"this check could not be read "
                       f"({exc}); it is not counted as an attempt", worker=_worker_name())
        return
    except GraderError as exc:
        record_verdict(engine, submission_id, None, error=f"the grader could not run ({exc}); "
                       "this is not counted as an attempt", worker=_worker_name())
        return
    except Exception as exc:  # a grader bug: the learner must not pay for it
        record_verdict(engine, submission_id, None, error=f"the grader failed "
                       f"({type(exc).__name__}); this is not counted as an attempt",
                       worker=_worker_name())
        return
    record_verdict(engine, submission_id, result, worker=_worker_name())


def grade_item(grader: Grader, name: str, source: str) -> GradeResult:
    """Grade a challenge's source, or a project stage / milestone from its payload."""
    if project_item(name) is None:
        return grader.grade(name, source)
    gradable, main, files = project_gradable(name, source)
    grade_in = getattr(gradable, "grade_in", None)
    if grade_in is not None:  # a milestone: run, compare with vibrastic and PyTorch, draw
        return grade_in(grader, main, files)
    return grader.grade(gradable, main, files=files)


class GraderPool:
    """A worker's ``size`` warm graders, started together before it takes its first job (so
    the first learner of a class does not wait for a sandbox to import numpy and torch); a job
    borrows one and gives it back. procrastinate runs sync jobs on whichever thread is free, so
    graders belong to the pool, not to threads."""

    def __init__(self, size: int, factory: Callable[[], Grader] | None = None,
                 nice: int = 0) -> None:
        self.graders = [(factory or (lambda: Grader(warm=True, nice=nice)))()
                        for _ in range(size)]
        self._free: queue.SimpleQueue[Grader] = queue.SimpleQueue()
        for grader in self.graders:
            self._free.put(grader)

    def start(self) -> None:
        """Start every grader's sandbox template now; GraderError if one cannot. In this
        thread, one after another: a sandbox dies with the thread that started it
        (bubblewrap's ``--die-with-parent``), so short-lived helper threads would not do."""
        for grader in self.graders:
            grader.start()

    @contextlib.contextmanager
    def borrow(self) -> Iterator[Grader]:
        grader = self._free.get()
        try:
            yield grader
        finally:
            self._free.put(grader)

    def close(self) -> None:
        for grader in self.graders:
            grader.close()


def _worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def requeue_stale(engine: Engine, older_than: timedelta = timedelta(minutes=10)) -> int:
    """Queued rows whose job was lost (a crash between row and defer) are deferred again."""
    cutoff = (datetime.now(UTC) - older_than).isoformat(timespec="milliseconds")
    with Session(engine) as session:
        ids = list(session.scalars(select(Submission.id).where(
            Submission.state == "queued", Submission.created_at < cutoff)))
    if ids:
        app = queue_app(engine)
        with app.open():
            for submission_id in ids:
                try:
                    app.tasks[TASK_NAME].configure(
                        queueing_lock=f"submission:{submission_id}").defer(
                        submission_id=submission_id)
                except Exception:  # already queued: its queueing lock says so
                    continue
    return len(ids)


def run_worker(engine: Engine, concurrency: int = 1, *, wait: bool = True,
               on_ready: Callable[[GraderPool], None] | None = None,
               grader_factory: Callable[[], Grader] | None = None, nice: int = 0) -> None:
    """A grading worker: warms ``concurrency`` sandboxes, calls ``on_ready``, then takes queued
    checks until stopped (``wait=False``: until the queue is empty). A sandbox that cannot
    start raises GraderError before any job is taken, so the jobs wait for a healthy worker.
    ``nice`` lowers the sandboxes' CPU priority (see ``Grader``)."""
    graders = GraderPool(concurrency, grader_factory, nice=nice)
    try:
        graders.start()
        if on_ready is not None:
            on_ready(graders)
        app = queue_app(engine, graders)
        _outside_event_loop(lambda: app.run_worker(
            concurrency=concurrency, wait=wait, install_signal_handlers=wait,
            delete_jobs="successful"))
    finally:
        graders.close()


def _outside_event_loop(run: Callable[[], None]) -> None:
    """Call ``run`` here, or on a helper thread when this thread is inside a running event loop
    (a notebook, Playwright's sync API): procrastinate's sync ``run_worker`` calls
    ``asyncio.run``, which refuses to start there."""
    import asyncio

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        run()
        return
    failed: list[BaseException] = []

    def target() -> None:
        try:
            run()
        except BaseException as exc:  # re-raised in the caller's thread
            failed.append(exc)

    helper = threading.Thread(target=target, name="vibrastic-worker-loop")
    helper.start()
    helper.join()
    if failed:
        raise failed[0]
