"""The learner's workspace: starter files, backups, and re-checking on save.

Work is never lost: ``start --force`` and ``reset`` move the current file to a timestamped backup
next to it before writing the starter.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from vibrastic.platform.course.challenge import Challenge


class WorkspaceError(RuntimeError):
    """A workspace action that would lose work, or a file that is not there."""


@dataclass(frozen=True)
class Written:
    """What ``start``/``reset`` did: the file written and the backup made (if any)."""

    path: Path
    backup: Path | None


def workspace_dir() -> Path:
    """``VIBRASTIC_WORKSPACE``, or ``./vibrastic-work`` in the current folder."""
    env = os.environ.get("VIBRASTIC_WORKSPACE")
    return Path(env) if env else Path.cwd() / "vibrastic-work"


def challenge_file(challenge: Challenge, workspace: Path | None = None) -> Path:
    return (workspace or workspace_dir()) / challenge.filename


def _backup(path: Path) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    backup = path.with_name(f"{path.name}.{stamp}.bak")
    n = 1
    while backup.exists():
        n += 1
        backup = path.with_name(f"{path.name}.{stamp}-{n}.bak")
    os.replace(path, backup)
    return backup


def _write_atomically(path: Path, text: str) -> None:
    """Write via a new temporary file next to ``path`` (created exclusively, with a random name:
    a planted ``.NAME.py.tmp`` symlink is never followed), then rename it over ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_starter(challenge: Challenge, *, force: bool = False,
                  workspace: Path | None = None) -> Written:
    """Write the starter file; an existing file is kept unless ``force`` (then backed up)."""
    path = challenge_file(challenge, workspace)
    backup = None
    if path.exists():
        if not force:
            raise WorkspaceError(
                f"{path} already exists; your work is kept. Use --force to start over "
                f"(the current file is then saved as a .bak backup next to it).")
        backup = _backup(path)
    _write_atomically(path, challenge.starter)
    return Written(path, backup)


def watch_file(path: Path, on_change: Callable[[], None], *, max_runs: int = 0,
               timeout: float = 0.0, stop: threading.Event | None = None) -> int:
    """Call ``on_change`` once now and again after every save of ``path``.

    Stops after ``max_runs`` calls, ``timeout`` seconds, or when ``stop`` is set (0 = unbounded).
    Returns the number of calls. Uses watchfiles (inotify), which also sees editors that save by
    renaming a temporary file.
    """
    import watchfiles

    path = path.resolve()
    stop = stop or threading.Event()
    runs = 0
    started = time.monotonic()

    def done() -> bool:
        return (bool(max_runs) and runs >= max_runs) or stop.is_set() or (
            bool(timeout) and time.monotonic() - started >= timeout)

    on_change()
    runs += 1
    if done():
        return runs
    for changes in watchfiles.watch(
        path.parent, watch_filter=lambda _c, p: Path(p).resolve() == path, stop_event=stop,
        rust_timeout=200, yield_on_timeout=True, debounce=150, raise_interrupt=False,
    ):
        if changes and path.exists():
            on_change()
            runs += 1
        if done():
            break
    return runs



class SourceConflict(WorkspaceError):
    """The file changed on disk since the editor loaded it; ``current`` is what is there now."""

    def __init__(self, path: Path, current: str, sha256: str) -> None:
        super().__init__(f"{path} changed since you loaded it (another editor saved it); "
                         f"nothing was overwritten")
        self.path, self.current, self.sha256 = path, current, sha256


@dataclass(frozen=True)
class Saved:
    """What ``save_source`` did: the file, the sha256 of what it holds now, a backup if any."""

    path: Path
    sha256: str
    backup: Path | None


def bytes_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_source(challenge: Challenge, workspace: Path | None = None) -> tuple[str, str] | None:
    """The learner's file for ``challenge`` as (text, sha256 of its bytes), or None when it was
    never written. Bytes that are not UTF-8 show as U+FFFD; the hash is of the real bytes, so
    saving over such a file is a conflict (and with ``force``, the original is backed up)."""
    path = challenge_file(challenge, workspace)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    return data.decode("utf-8", errors="replace"), bytes_sha256(data)


def save_source(challenge: Challenge, text: str, *, base_sha256: str | None = None,
                force: bool = False, workspace: Path | None = None) -> Saved:
    """Write the learner's code to the same file the CLI uses (atomically).

    ``base_sha256`` is the hash of the file the editor started from (None: it started from the
    starter, no file yet). When the file on disk is no longer that one (another editor saved
    it), SourceConflict is raised and nothing is written, unless ``force``, which first keeps
    the file on disk as a ``.bak`` backup next to it.
    """
    path = challenge_file(challenge, workspace)
    data = text.encode("utf-8")
    try:
        current = path.read_bytes()
    except FileNotFoundError:
        current = None
    backup = None
    if current is not None and current != data and bytes_sha256(current) != base_sha256:
        if not force:
            raise SourceConflict(path, current.decode("utf-8", errors="replace"),
                                 bytes_sha256(current))
        backup = _backup(path)
    _write_atomically(path, text)
    return Saved(path, bytes_sha256(data), backup)
