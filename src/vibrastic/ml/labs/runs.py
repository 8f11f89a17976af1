"""Labs run out of process, with live progress and cancellation (for the web's lab pages).

Each run is a child process (``forkserver``: started from a clean process that has imported the
labs, NumPy, matplotlib and torch once, so a run starts in a fraction of a second). The child
reports ``progress.report`` calls back through a pipe (at most ten a second) and sends the
result as plain data: the metrics, tables and notes of ``LabResult.to_json`` and every figure as
SVG text. Cancelling terminates the child, so even a lab that never reports stops at once.
At most ``max_workers`` runs execute together; later ones wait in order.

With ``shared_dir`` (a classroom served by several processes), every run is also written to a
file there as it changes, so any process on the machine can show it or cancel it: a cancel from
another process leaves a ``.cancel`` file that the owning process sees within a tenth of a second.
"""

from __future__ import annotations

import contextlib
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
        if shared_dir is not None:
            shared_dir.mkdir(parents=True, exist_ok=True)

    def start(self, lab: str, params: dict[str, Any]) -> LabRun:
        """Queue a run of ``lab`` with checked ``params`` (see ``params.parse_params``)."""
        run = LabRun(uuid.uuid4().hex[:12], lab, dict(params))
        with self._lock:
            self._runs[run.id] = run
            while len(self._runs) > self._keep:
                oldest = next(iter(self._runs.values()))
                if oldest.state not in FINISHED:
                    break
                self._runs.popitem(last=False)
                self._forget(oldest.id)
        self._publish(run)
        threading.Thread(target=self._execute, args=(run,), daemon=True,
                         name=f"lab-run-{run.id}").start()
        return run

    def get(self, run_id: str) -> LabRun:
        """The run ``run_id``: this process's, or (shared) another's as last written."""
        run = self._runs.get(run_id)
        if run is not None:
            return run
        if self._shared is not None and RUN_ID.fullmatch(run_id):
            with contextlib.suppress(FileNotFoundError, ValueError):
                return _from_file(self._shared / f"{run_id}.json")
        raise UnknownRun(run_id)

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
        part = path.with_suffix(f".{os.getpid()}.part")
        part.write_text(json.dumps({**run.status(), "created_at": run.created_at,
                                    "started_at": run.started_at,
                                    "finished_at": run.finished_at, "version": run.version,
                                    "figures": run.figures}))
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
        """Cancel every run (their processes are terminated by their threads)."""
        self._closed = True
        for run in list(self._runs.values()):
            run.cancel_requested = True


def _from_file(path: Path) -> LabRun:
    """A run as another process last wrote it (read-only here; ValueError when unreadable)."""
    data = json.loads(path.read_text())
    progress = data["progress"]
    run = LabRun(data["id"], data["lab"], data["params"], state=data["state"],
                 done=progress["done"], total=progress["total"], stage=progress["stage"],
                 created_at=data["created_at"], started_at=data["started_at"],
                 finished_at=data["finished_at"], result=data["result"],
                 figures=data["figures"], error=data["error"], version=data["version"])
    if run.state in FINISHED:
        run.finished.set()
    return run
