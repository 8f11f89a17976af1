"""Submitting a challenge from a file: read it safely, grade it through the grading service,
record the attempt.

The one path that the CLI (``vibrastic challenge check``/``watch``) and notebooks
(``check("sigma")``) share, on top of ``GradingService`` (which the web course and the classroom
use directly), so every face grades and records the same bytes the same way.
"""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

from vibrastic.platform.grader.grade import MAX_SOURCE_BYTES
from vibrastic.platform.grader.results import GradeResult
from vibrastic.platform.progress.service import GradingService, SubmissionError

_services: dict[bool, GradingService] = {}
_lock = threading.Lock()


def default_service(warm: bool = False) -> GradingService:
    """The process-wide one-learner service: one worker; ``warm`` keeps torch imported in a
    sandbox template between submissions (``watch``, notebooks), cold starts a sandbox per job
    (a one-shot ``check``)."""
    with _lock:
        service = _services.get(warm)
        if service is None:
            service = _services[warm] = GradingService(workers=1, warm=warm)
        return service


def close_services() -> None:
    """Stop the process-wide services (tests; the CLI exits anyway)."""
    with _lock:
        services = list(_services.values())
        _services.clear()
    for service in services:
        service.close()


def read_submission(path: Path) -> bytes:
    """A learner's file, read without blocking or following surprises.

    Raises SubmissionError when ``path`` is not a regular file (a FIFO or device would block
    forever) or is over ``MAX_SOURCE_BYTES``; OSError when it cannot be read.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise SubmissionError(f"{path} is not a regular file (a pipe, device or socket); "
                                  "expected a Python file")
        if info.st_size > MAX_SOURCE_BYTES:
            raise SubmissionError(
                f"{path.name} is {info.st_size / 2**20:.1f} MiB; the grader accepts files up to "
                f"{MAX_SOURCE_BYTES // 2**20} MiB (is it the right file?)")
        chunks, size = [], 0
        while chunk := os.read(fd, 1 << 16):
            chunks.append(chunk)
            size += len(chunk)
            if size > MAX_SOURCE_BYTES:  # it grew while we read it
                raise SubmissionError(f"{path.name} is over {MAX_SOURCE_BYTES // 2**20} MiB; "
                                      "the grader accepts files up to 1 MiB")
        return b"".join(chunks)
    finally:
        os.close(fd)


def submit(name: str, path: Path, *, hidden: bool = True, warm: bool = False,
           service: GradingService | None = None, learner: str = "local") -> GradeResult:
    """Grade the file at ``path`` for challenge ``name`` and store the attempt.

    Raises OSError when the file can't be read, SubmissionError when it is not a file the grader
    takes, and GraderError (``JobFailed``) when the grader itself could not run; none of these
    is recorded (an infrastructure failure costs the learner no attempt).
    """
    data = read_submission(Path(path))
    service = service or default_service(warm)
    job = service.submit(name, data, learner, hidden=hidden, filename=Path(path).name)
    return service.wait(job)
