"""Per-job cgroups: memory (counting tmpfs and memfd pages, which RLIMIT_DATA cannot see) and
processes, on cgroup v1 (one hierarchy per controller) or v2 (one unified hierarchy).

The grader creates the cgroups and opens their ``cgroup.procs`` for writing; the sandbox gets only
those descriptors, and the learner's process moves itself in by writing ``0`` (the kernel checks
the opener's rights, so the sandbox needs no access to ``/sys/fs/cgroup``). After the job the
grader reads whether the memory limit killed anything, kills what is left and removes them.
Without permission to create cgroups (an ordinary user without delegation) ``available()`` is
False and the sandbox falls back to RLIMIT_DATA, a memory watchdog and size-capped tmpfs, and
denies memfd and SysV shared memory.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import signal
import time
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

log = logging.getLogger(__name__)
ROOT = Path("/sys/fs/cgroup")
_counter = itertools.count()


@dataclass(frozen=True)
class Layout:
    """Where we may create job cgroups: per controller ("memory", "pids"), a parent folder,
    and whether it is the v2 unified hierarchy."""

    parents: dict[str, Path]
    unified: bool


def _own_cgroups() -> dict[str, str]:
    """Our cgroup path per v1 controller, and under "" for v2."""
    found: dict[str, str] = {}
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            _, controllers, path = line.split(":", 2)
            for name in controllers.split(",") if controllers else [""]:
                found[name] = path.lstrip("/")
    return found


def _can_create(parent: Path, probe_file: str) -> bool:
    probe = parent / f"vibrastic-probe-{os.getpid()}-{next(_counter)}"
    try:
        probe.mkdir()
    except OSError:
        return False
    try:
        return (probe / probe_file).exists()
    finally:
        with contextlib.suppress(OSError):
            probe.rmdir()


@cache
def layout() -> Layout | None:
    """The cgroup parents we can use here, or None (see the module doc)."""
    own = _own_cgroups()
    v1 = {}
    for controller, probe in (("memory", "memory.limit_in_bytes"), ("pids", "pids.max")):
        if controller in own:
            parent = ROOT / controller / own[controller]
            _remove_stale(parent)
            if _can_create(parent, probe):
                v1[controller] = parent
    if "memory" in v1:
        return Layout(v1, unified=False)
    if "" in own and (ROOT / "cgroup.controllers").exists():
        parent = ROOT / own[""]
        with contextlib.suppress(OSError):
            (parent / "cgroup.subtree_control").write_text("+memory +pids")
        _remove_stale(parent)
        if _can_create(parent, "memory.max"):
            return Layout({"memory": parent, "pids": parent}, unified=True)
    return Layout(v1, unified=False) if v1 else None


def available() -> bool:
    found = layout()
    return found is not None and "memory" in found.parents


def _remove_stale(parent: Path) -> None:
    """Remove empty job cgroups left by grader processes that died without cleaning up."""
    with contextlib.suppress(OSError):
        for child in parent.glob("vibrastic-job-*-*"):
            pid = child.name.split("-")[2]
            if pid.isdigit() and not Path(f"/proc/{pid}").exists():
                with contextlib.suppress(OSError):
                    child.rmdir()


@dataclass
class JobCgroups:
    """The cgroups of one job; ``fds`` go to the sandbox (see the module doc)."""

    folders: dict[str, Path]
    unified: bool
    fds: list[int] = field(default_factory=list)

    @classmethod
    def create(cls, memory: int, processes: int | None) -> JobCgroups | None:
        found = layout()
        if found is None:
            return None
        name = f"vibrastic-job-{os.getpid()}-{next(_counter)}"
        made = cls({}, found.unified)
        try:
            for controller, parent in found.parents.items():
                folder = parent / name
                if folder in made.folders.values():
                    continue  # v2: one folder for both controllers
                folder.mkdir()
                made.folders[controller] = folder
            made._limit(memory, processes)
            for folder in dict.fromkeys(made.folders.values()):
                made.fds.append(os.open(folder / "cgroup.procs", os.O_WRONLY | os.O_CLOEXEC))
        except OSError as exc:
            log.warning("could not set up the job's cgroups: %s", exc)
            made.remove()
            return None
        return made

    @property
    def memory(self) -> bool:
        return "memory" in self.folders

    def _limit(self, memory: int, processes: int | None) -> None:
        if self.unified:
            folder = self.folders["memory"]
            (folder / "memory.max").write_text(str(memory))
            with contextlib.suppress(OSError):
                (folder / "memory.swap.max").write_text("0")
            if processes:
                (folder / "pids.max").write_text(str(processes))
            return
        if "memory" in self.folders:
            folder = self.folders["memory"]
            (folder / "memory.limit_in_bytes").write_text(str(memory))
            with contextlib.suppress(OSError):  # no swap accounting on this kernel
                (folder / "memory.memsw.limit_in_bytes").write_text(str(memory))
        if "pids" in self.folders and processes:
            (self.folders["pids"] / "pids.max").write_text(str(processes))

    def close_fds(self) -> None:
        for fd in self.fds:
            with contextlib.suppress(OSError):
                os.close(fd)
        self.fds = []

    def oom_killed(self) -> bool:
        """Whether the memory limit killed a process of the job (or refused it memory)."""
        folder = self.folders.get("memory")
        if folder is None:
            return False
        name = "memory.events" if self.unified else "memory.oom_control"
        with contextlib.suppress(OSError, ValueError):
            for line in (folder / name).read_text().splitlines():
                key, _, value = line.partition(" ")
                if key in ("oom_kill", "oom") and int(value) > 0:
                    return True
        return False

    def hit_limit(self) -> bool:
        """Whether the job's memory use reached the limit at some point (the kernel then
        reclaims and throttles: a run that times out meanwhile was stopped by memory)."""
        folder = self.folders.get("memory")
        if folder is None:
            return False
        with contextlib.suppress(OSError, ValueError):
            if self.unified:
                for line in (folder / "memory.events").read_text().splitlines():
                    key, _, value = line.partition(" ")
                    if key == "max" and int(value) > 0:
                        return True
                return False
            if int((folder / "memory.failcnt").read_text()) > 0:
                return True
            limit = int((folder / "memory.limit_in_bytes").read_text())
            return int((folder / "memory.max_usage_in_bytes").read_text()) >= limit - 2**20
        return False

    def peak(self) -> int | None:
        folder = self.folders.get("memory")
        name = "memory.peak" if self.unified else "memory.max_usage_in_bytes"
        with contextlib.suppress(OSError, ValueError, TypeError):
            return int((folder / name).read_text())  # type: ignore[operator]
        return None

    def kill(self) -> None:
        for folder in dict.fromkeys(self.folders.values()):
            if self.unified:
                with contextlib.suppress(OSError):
                    (folder / "cgroup.kill").write_text("1")
            with contextlib.suppress(OSError, ValueError):
                for pid in (folder / "cgroup.procs").read_text().split():
                    with contextlib.suppress(OSError):
                        os.kill(int(pid), signal.SIGKILL)

    def remove(self) -> None:
        """Kill what is left in the cgroups and remove them (waiting briefly for the exits)."""
        self.close_fds()
        for folder in dict.fromkeys(self.folders.values()):
            for _ in range(100):
                try:
                    folder.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    self.kill()
                    time.sleep(0.01)
            else:
                log.warning("could not remove cgroup %s", folder)
        self.folders = {}
