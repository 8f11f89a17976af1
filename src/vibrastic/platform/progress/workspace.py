"""The learner's workspace: where it is, starter files, backups, and re-checking on save.

A workspace is a folder (``vibrastic-work`` by default) holding the learner's challenge files and,
in its ``.vibrastic/`` folder, their progress (see ``store.workspace_store_path``). It is found the
way git finds a repository: ``VIBRASTIC_WORKSPACE`` if set, else the nearest of the current folder
and its parents that is a workspace or contains ``vibrastic-work/``; with none, the workspace is
(created at) ``./vibrastic-work`` on the first write.

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


WORKSPACE_ENV = "VIBRASTIC_WORKSPACE"
DEFAULT_NAME = "vibrastic-work"
STATE_DIR = ".vibrastic"  # inside a workspace: its progress store; also what marks a workspace


@dataclass(frozen=True)
class Location:
    """Where the workspace is and how it was found: ``how`` is ``"env"`` (VIBRASTIC_WORKSPACE),
    ``"found"`` (walking up from ``start``) or ``"new"`` (none yet: it will be created here)."""

    path: Path
    how: str
    start: Path

    @property
    def exists(self) -> bool:
        return self.path.is_dir()

    def describe(self) -> str:
        """One line for the learner: the folder and why it is the one in use."""
        if self.how == "env":
            return f"{self.path} (from {WORKSPACE_ENV})"
        if self.how == "found":
            return f"{self.path} (found from {self.start})"
        return f"{self.path} (not created yet: `vibrastic challenge start NAME` creates it)"


MARKER = "README.txt"
MARKER_TEXT = ("This folder is a vibrastic workspace: your challenge files are next to it, and\n"
               "progress.db here holds your progress (attempts, hints). `vibrastic progress`\n"
               "reads it; `vibrastic doctor` checks it. Keep it with your work.\n")


def _is_workspace(folder: Path) -> bool:
    state = folder / STATE_DIR
    return (state / MARKER).is_file() or (state / "progress.db").is_file() or (
        folder.name == DEFAULT_NAME and folder.is_dir())


def ensure_workspace(path: Path) -> Path:
    """Create the workspace folder and its ``.vibrastic/`` state folder (with a README saying
    what it is) if missing; returns ``path``."""
    state = path / STATE_DIR
    state.mkdir(parents=True, exist_ok=True)
    marker = state / MARKER
    if not marker.exists():
        marker.write_text(MARKER_TEXT, encoding="utf-8")
    return path


def locate_workspace(start: Path | None = None) -> Location:
    """The workspace in use from ``start`` (default: the current folder); see the module doc."""
    start = (start or Path.cwd()).absolute()
    env = os.environ.get(WORKSPACE_ENV)
    if env:
        return Location(Path(env).expanduser().absolute(), "env", start)
    for folder in (start, *start.parents):
        if _is_workspace(folder):
            return Location(folder, "found", start)
        inner = folder / DEFAULT_NAME
        if inner.is_dir():
            return Location(inner, "found", start)
    return Location(start / DEFAULT_NAME, "new", start)


def workspace_dir(start: Path | None = None) -> Path:
    """The workspace folder in use (which may not exist yet); see ``locate_workspace``."""
    return locate_workspace(start).path


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
    ensure_workspace(path.parent)
    backup = None
    if path.exists():
        if not force:
            raise WorkspaceError(
                f"{path} already exists; your work is kept. Use --force to start over "
                f"(the current file is then saved as a .bak backup next to it).")
        backup = _backup(path)
    _write_atomically(path, challenge.starter)
    return Written(path, backup)


def _signature(path: Path) -> tuple[int, int, int] | None:
    """What changes when the file is saved (modification time, size, inode); None if absent."""
    try:
        info = path.stat()
    except OSError:
        return None
    return info.st_mtime_ns, info.st_size, info.st_ino


def watch_file(path: Path, on_change: Callable[[], None], *, max_runs: int = 0,
               timeout: float = 0.0, stop: threading.Event | None = None) -> int:
    """Call ``on_change`` once now and again after every save of ``path``.

    Stops after ``max_runs`` calls, ``timeout`` seconds, or when ``stop`` is set (0 = unbounded).
    Returns the number of calls. Uses watchfiles (inotify), which also sees editors that save by
    renaming a temporary file, to wake up; what decides is the file's own signature (time, size,
    inode) against the one last checked, so a save made before the watcher started, or while
    ``on_change`` ran, is not missed.
    """
    import watchfiles

    path = path.resolve()
    stop = stop or threading.Event()
    runs = 0
    started = time.monotonic()

    def done() -> bool:
        return (bool(max_runs) and runs >= max_runs) or stop.is_set() or (
            bool(timeout) and time.monotonic() - started >= timeout)

    checked = _signature(path)
    on_change()
    runs += 1
    if done():
        return runs
    pending = None  # a change seen without an event (a quiet wake-up): checked once it holds
    for changes in watchfiles.watch(
        path.parent, watch_filter=lambda _c, p: Path(p).resolve() == path, stop_event=stop,
        rust_timeout=200, yield_on_timeout=True, debounce=150, raise_interrupt=False,
    ):
        now = _signature(path)
        if now is not None and now != checked and (changes or now == pending):
            checked = pending = now
            on_change()
            runs += 1
        else:
            pending = now
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
