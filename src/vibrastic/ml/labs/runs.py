"""Labs run out of process, with live progress and cancellation (for the web's lab pages).

Each run is a child process (``forkserver``: started from a clean process that has imported the
labs, NumPy, matplotlib and torch once, so a run starts in a fraction of a second). The child
reports ``progress.report`` calls back through a pipe (at most ten a second) and sends the
result as plain data: the metrics, tables and notes of ``LabResult.to_json`` and every figure as
SVG text. Cancelling terminates the child, so even a lab that never reports stops at once.
At most ``max_workers`` runs execute together; later ones wait in order.

Every run records its ``owner`` (who started it) and ``course``; the web shows a run to its owner
only (and to the course's staff), the rule being the web's: here they are just kept.

With ``shared_dir`` (a classroom served by several processes), every run is also written to a
file there as it changes, so any process on the machine can show it or cancel it: a cancel from
another process leaves a ``.cancel`` file that the owning process sees within a tenth of a second.
Each ``LabRuns`` holds a lock on ``processes/<token>.lock`` while it lives (the kernel releases it
when the process dies, however it dies; a random token, unlike a pid, is never reused), and its
runs name that token: a reader that finds an unfinished run whose lock is free marks it failed.
When a ``LabRuns`` starts it also removes runs finished more than ``FINISHED_RUN_LIFETIME`` ago.
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import json
import multiprocessing
import os
import re
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

QUEUED, RUNNING, DONE, ERROR, CANCELLED = "queued", "running", "done", "error", "cancelled"
FINISHED = (DONE, ERROR, CANCELLED)
PRELOAD = ["vibrastic.ml.labs", "matplotlib.figure", "torch"]
FINISHED_RUN_LIFETIME = 24 * 3600  # seconds a finished run's files stay in the shared folder
PROCESS_GONE = "the server process running this lab stopped; start it again"
CLOSE_WAIT = 10.0  # seconds a closing LabRuns waits for its cancelled runs to say so


def _context() -> Any:
    try:
        ctx = multiprocessing.get_context("forkserver")
    except ValueError:  # platforms without fork: a fresh interpreter per run
        return multiprocessing.get_context("spawn")
    ctx.set_forkserver_preload(PRELOAD)
    return ctx


def _child(name: str, params: dict[str, Any], conn: Any) -> None:
    """Run one lab in the child process and send back what it produced."""
    import matplotlib

    matplotlib.use("Agg")
    from vibrastic.ml.labs import run_lab
    from vibrastic.ml.labs.progress import reporting

    last = [0.0]

    def send_progress(done: int, total: int, stage: str) -> None:
        now = time.monotonic()
        if now - last[0] >= 0.1 or done >= total:
            last[0] = now
            conn.send(("progress", int(done), int(total), stage))

    try:
        with reporting(send_progress):
            result = run_lab(name, **params)
        figures = {}
        for fig_name, fig in result.figures.items():
            buffer = io.StringIO()
            fig.savefig(buffer, format="svg", bbox_inches="tight")
            figures[fig_name] = buffer.getvalue()
        conn.send(("done", result.to_json(), figures))
    except Exception as exc:  # the learner's parameters can make a lab fail: report it
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


@dataclass
class LabRun:
    """One run: its state, progress (done of total in ``stage``), then result or error."""

    id: str
    lab: str
    params: dict[str, Any]
    owner: str = ""  # who started it (the web's key for a person)
    course: int | None = None  # the classroom course it was started in, if any
    process: str = ""  # the token of the LabRuns running it (see the module's docstring)
    state: str = QUEUED
    done: int = 0
    total: int = 0
    stage: str = ""
    created_at: float = field(default_factory=time.time)
    started_at: float | None = None
    finished_at: float | None = None
    result: dict[str, Any] | None = None
    figures: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    version: int = 0
    cancel_requested: bool = False
    finished: threading.Event = field(default_factory=threading.Event, repr=False)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the run is done, failed or cancelled; False on timeout."""
        return self.finished.wait(timeout)

    @property
    def seconds(self) -> float | None:
        if self.started_at is None:
            return None
        return (self.finished_at or time.time()) - self.started_at

    def status(self) -> dict[str, Any]:
        """The run as JSON-safe data (figures listed by name, not included)."""
        return {"id": self.id, "lab": self.lab, "params": self.params, "state": self.state,
                "progress": {"done": self.done, "total": self.total, "stage": self.stage},
                "seconds": self.seconds, "error": self.error, "result": self.result,
                "figures": list(self.figures)}


class UnknownRun(KeyError):
    """No run has this id (it never existed, or it is older than the ones kept)."""


RUN_ID = re.compile(r"[0-9a-f]{12}")
TOKEN = re.compile(r"[0-9a-f]{32}")
PROCESSES = "processes"  # the shared folder's lock files, one per living LabRuns


class LabRuns:
    """Lab runs of this process: start, look up, cancel; keeps the latest ``keep`` runs (and,
    with ``shared_dir``, finds and cancels the runs of other processes on this machine)."""

    def __init__(self, max_workers: int = 1, keep: int = 20,
                 shared_dir: Path | None = None) -> None:
        self._slots = threading.Semaphore(max_workers)
        self._lock = threading.Lock()
        self._runs: OrderedDict[str, LabRun] = OrderedDict()
        self._keep = keep
        self._closed = False
        self._ctx: Any = None
        self._shared = shared_dir
        self._token = uuid.uuid4().hex
        self._alive: int | None = None  # the locked file descriptor (shared folder only)
        self._threads: list[threading.Thread] = []  # the runs' threads, to wait for at close
        if shared_dir is not None:
            (shared_dir / PROCESSES).mkdir(parents=True, exist_ok=True)
            self._alive = _hold_lock(shared_dir / PROCESSES, self._token)
            self._tidy()

    def start(self, lab: str, params: dict[str, Any], *, owner: str,
              course: int | None = None) -> LabRun:
        """Queue a run of ``lab`` with checked ``params`` (see ``params.parse_params``) for
        ``owner``, in ``course`` if any (the web shows it to them; see the module's docstring)."""
        run = LabRun(uuid.uuid4().hex[:12], lab, dict(params), owner=owner, course=course,
                     process=self._token)
        with self._lock:
            self._runs[run.id] = run
            while len(self._runs) > self._keep:
                oldest = next(iter(self._runs.values()))
                if oldest.state not in FINISHED:
                    break
                self._runs.popitem(last=False)
                self._forget(oldest.id)
        self._publish(run)
        thread = threading.Thread(target=self._execute, args=(run,), daemon=True,
                                  name=f"lab-run-{run.id}")
        thread.start()
        with self._lock:
            self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        return run

    def get(self, run_id: str) -> LabRun:
        """The run ``run_id``: this process's, or (shared) another's as last written."""
        run = self._runs.get(run_id)
        if run is not None:
            return run
        if self._shared is not None and RUN_ID.fullmatch(run_id):
            with contextlib.suppress(FileNotFoundError, ValueError):
                return self._read(self._shared / f"{run_id}.json")
        raise UnknownRun(run_id)

    def _read(self, path: Path) -> LabRun:
        """Another process's run as last written; an unfinished run whose process is gone is
        marked failed, in its file too, so that every process shows why it stopped."""
        assert self._shared is not None
        run = _from_file(path)
        if run.state in FINISHED or _process_alive(self._shared / PROCESSES, run.process):
            return run
        run = _from_file(path)  # once its process is gone nothing else writes it: read again,
        if run.state not in FINISHED:  # in case that process finished it as it stopped
            self._finish(run, ERROR, error=PROCESS_GONE)
        return run

    def _tidy(self) -> None:
        """Settle the shared folder as this process starts: runs of processes that are gone are
        marked failed; runs finished over ``FINISHED_RUN_LIFETIME`` ago are removed, and so
        are the lock files of gone processes and files left half-written that long ago."""
        assert self._shared is not None
        old = time.time() - FINISHED_RUN_LIFETIME
        for path in self._shared.glob("*.json"):
            with contextlib.suppress(FileNotFoundError, ValueError):
                run = self._read(path)
                if run.state in FINISHED and (run.finished_at or run.created_at) < old:
                    self._forget(run.id)
        locks = self._shared / PROCESSES
        for lock in locks.glob("*.lock"):
            if not _process_alive(locks, lock.stem):
                lock.unlink(missing_ok=True)
        # "<id>.<tag>.part" and "<token>.part" never have a run file beside them; a ".cancel" does
        # while its run is kept
        for path in [*self._shared.glob("*.part"), *self._shared.glob("*.cancel"),
                     *locks.glob("*.part")]:
            with contextlib.suppress(FileNotFoundError):
                if path.stat().st_mtime < old and not path.with_suffix(".json").exists():
                    path.unlink()

    def cancel(self, run_id: str) -> LabRun:
        """Ask a run to stop (a queued run never starts; a running one is terminated)."""
        run = self.get(run_id)
        if run_id in self._runs:
            run.cancel_requested = True
        elif self._shared is not None and run.state not in FINISHED:
            (self._shared / f"{run_id}.cancel").touch()
            run.cancel_requested = True
        return run

    def _cancelled(self, run: LabRun) -> bool:
        if run.cancel_requested or self._closed:
            return True
        if self._shared is not None and (self._shared / f"{run.id}.cancel").exists():
            run.cancel_requested = True
        return run.cancel_requested

    def _changed(self, run: LabRun) -> None:
        run.version += 1
        self._publish(run)

    def _publish(self, run: LabRun) -> None:
        """Write the run where the other processes look (whole, then renamed into place)."""
        if self._shared is None:
            return
        path = self._shared / f"{run.id}.json"
        part = path.with_suffix(f".{uuid.uuid4().hex[:8]}.part")  # one per writer
        part.write_text(json.dumps({**run.status(), "created_at": run.created_at,
                                    "started_at": run.started_at,
                                    "finished_at": run.finished_at, "version": run.version,
                                    "figures": run.figures, "owner": run.owner,
                                    "course": run.course, "process": run.process}))
        os.replace(part, path)

    def _forget(self, run_id: str) -> None:
        if self._shared is not None:
            for suffix in (".json", ".cancel"):
                (self._shared / f"{run_id}{suffix}").unlink(missing_ok=True)

    def _finish(self, run: LabRun, state: str, **changes: Any) -> None:
        for key, value in changes.items():
            setattr(run, key, value)
        run.state, run.finished_at = state, time.time()
        self._changed(run)
        run.finished.set()

    def _execute(self, run: LabRun) -> None:
        with self._slots:
            if self._cancelled(run):
                self._finish(run, CANCELLED, error="cancelled before it started")
                return
            if self._ctx is None:
                self._ctx = _context()
            receive, send = self._ctx.Pipe(duplex=False)
            process = self._ctx.Process(target=_child, args=(run.lab, run.params, send),
                                        daemon=True)
            process.start()
            send.close()
            run.state, run.started_at = RUNNING, time.time()
            self._changed(run)
            try:
                self._watch(run, process, receive)
            finally:
                receive.close()
                if process.is_alive():
                    process.kill()
                process.join(5)

    def _watch(self, run: LabRun, process: Any, receive: Any) -> None:
        while True:
            if self._cancelled(run):
                process.terminate()
                self._finish(run, CANCELLED, error="cancelled")
                return
            if receive.poll(0.1):
                try:
                    message = receive.recv()
                except EOFError:
                    message = None
                if message is None:
                    process.join(5)
                    self._finish(run, ERROR, error="the lab's process ended without a result "
                                                   f"(exit code {process.exitcode})")
                    return
                if message[0] == "progress":
                    run.done, run.total, run.stage = message[1], message[2], message[3]
                    self._changed(run)
                elif message[0] == "done":
                    self._finish(run, DONE, result=message[1], figures=message[2])
                    return
                else:
                    self._finish(run, ERROR, error=message[1])
                    return
            elif not process.is_alive() and not receive.poll(0):
                self._finish(run, ERROR, error="the lab's process ended without a result "
                                               f"(exit code {process.exitcode})")
                return

    def close(self) -> None:
        """Cancel every run (their processes are terminated by their threads), give the
        threads up to ``CLOSE_WAIT`` seconds to write "cancelled", then let go of this
        process's lock: to the others, a run still unfinished then has stopped."""
        self._closed = True
        for run in list(self._runs.values()):
            run.cancel_requested = True
        deadline = time.monotonic() + CLOSE_WAIT
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        if self._alive is not None:
            os.close(self._alive)
            self._alive = None


def _hold_lock(folder: Path, token: str) -> int:
    """Lock ``folder/<token>.lock`` (holding the pid, for people) for as long as this process
    lives; it is renamed into place once locked, so nobody ever sees it unlocked."""
    part = folder / f"{token}.part"
    fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX)
    os.write(fd, f"{os.getpid()}\n".encode())
    os.replace(part, folder / f"{token}.lock")
    return fd


def _process_alive(folder: Path, token: str) -> bool:
    """Whether the ``LabRuns`` with ``token`` still holds its lock in ``folder`` (a dead
    process holds none; a run written before runs named their process has no token)."""
    if not TOKEN.fullmatch(token):
        return False
    try:
        fd = os.open(folder / f"{token}.lock", os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def _from_file(path: Path) -> LabRun:
    """A run as a process last wrote it (ValueError when unreadable)."""
    data = json.loads(path.read_text())
    try:
        progress = data["progress"]
        run = LabRun(data["id"], data["lab"], data["params"], state=data["state"],
                     owner=data.get("owner", ""), course=data.get("course"),
                     process=data.get("process", ""),
                     done=progress["done"], total=progress["total"], stage=progress["stage"],
                     created_at=data["created_at"], started_at=data["started_at"],
                     finished_at=data["finished_at"], result=data["result"],
                     figures=data["figures"], error=data["error"], version=data["version"])
    except (KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"{path.name} is not a lab run: {exc!r}") from None
    if run.state in FINISHED:
        run.finished.set()
    return run
