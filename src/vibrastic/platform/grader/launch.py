"""Starting the sandbox: bubblewrap when it works, a plain limited process otherwise.

The sandbox runs ``harness.py`` as a *supervisor* that forks one observer process per submission.

Isolation (bubblewrap): ``--unshare-all`` (no network; private pid, ipc, uts and user namespaces),
read-only binds of the system, the Python installation and the virtualenv only; the course's
challenge folders hidden under an empty tmpfs; a private size-capped ``/tmp``; a scrubbed
environment; uid 65534; all capabilities dropped; ``--die-with-parent`` and ``--new-session``.

Limits: wall time (the supervisor kills the observer; the grader kills the whole sandbox if the
supervisor stops answering); CPU (``RLIMIT_CPU``); memory (``RLIMIT_DATA`` per process, which,
unlike ``RLIMIT_AS``, lets ``import torch`` work, plus a watchdog on the proportional set size of
all the submission's processes, which also catches shared mappings); processes (a ``pids`` cgroup
when one can be created, else ``RLIMIT_NPROC`` for non-root users; in every case the supervisor
also counts the submission's processes); output (counted by the supervisor); file size
(``RLIMIT_FSIZE``; ``/tmp`` and ``/dev/shm`` are size-capped tmpfs).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from functools import cache
from pathlib import Path

log = logging.getLogger(__name__)

HARNESS = Path(__file__).with_name("inside.py")
SANDBOX_TMP_BYTES = 64 * 2**20
PROCESS_OVERHEAD = 8  # bwrap's two processes and the supervisor, counted in the pids cgroup
FALLBACK_WARNING = (
    "bubblewrap (bwrap) is not available: submissions run as a plain process with resource limits "
    "only. This is NOT a security boundary — install bubblewrap to grade code you do not trust."
)
_counter = itertools.count()


@cache
def _warn_fallback_once() -> None:
    log.warning(FALLBACK_WARNING)


class SandboxError(RuntimeError):
    """The sandbox could not be started or stopped answering."""


def isolation_mode() -> str:
    """``"bubblewrap"`` when bwrap is installed and works here, else ``"process"``.

    ``VIBRASTIC_SANDBOX=process`` forces the fallback (tests use it to cover laptops without bwrap).
    """
    if os.environ.get("VIBRASTIC_SANDBOX", "").lower() in ("process", "none", "off"):
        return "process"
    return "bubblewrap" if _bwrap_works() else "process"


@cache
def _bwrap_works() -> bool:
    bwrap = shutil.which("bwrap")
    if not bwrap:
        return False
    try:
        done = subprocess.run([*bwrap_command([]), "/bin/true"], capture_output=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return False
    if done.returncode != 0:
        log.warning("bwrap is installed but does not work here: %s", done.stderr.decode()[-300:])
    return done.returncode == 0


def _system_binds() -> list[str]:
    args: list[str] = ["--ro-bind", "/usr", "/usr"]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64"):
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
    for etc in ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime"):
        args += ["--ro-bind-try", etc, etc]
    return args


def _python_binds() -> list[str]:
    """The interpreter, the virtualenv and vibrastic itself, read-only; course content hidden."""
    args: list[str] = []
    roots: list[str] = []
    for prefix in {os.path.realpath(sys.base_prefix), os.path.realpath(sys.prefix), sys.prefix}:
        if not prefix.startswith("/usr/") and prefix != "/usr":
            roots.append(prefix)
    import vibrastic

    package = os.path.dirname(os.path.realpath(vibrastic.__file__))
    for root in sorted(set(roots)):
        args += ["--ro-bind", root, root]
    if not any(package.startswith(r + "/") for r in roots):
        args += ["--ro-bind", package, package]
    courses = os.path.join(package, "courses")
    if os.path.isdir(courses):
        args += ["--tmpfs", courses, "--remount-ro", courses]
    return args


def sandbox_env() -> dict[str, str]:
    """The only environment a submission sees (also used by the fallback)."""
    return {
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "PYTHONIOENCODING": "utf-8",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MPLBACKEND": "Agg",
    }


def bwrap_command(command: list[str]) -> list[str]:
    """The bubblewrap command line around ``command``."""
    args = ["bwrap", "--unshare-all", "--die-with-parent", "--new-session",
            "--uid", "65534", "--gid", "65534", "--hostname", "sandbox"]
    if os.geteuid() == 0:
        args += ["--cap-drop", "ALL"]
    # The private /tmp comes first, so that a checkout or virtualenv that lives under /tmp
    # (a CI clone, say) is bound on top of it instead of being hidden by it.
    args += ["--proc", "/proc", "--dev", "/dev", "--size", str(SANDBOX_TMP_BYTES // 4),
             "--tmpfs", "/dev/shm", "--size", str(SANDBOX_TMP_BYTES), "--tmpfs", "/tmp"]
    args += _system_binds() + _python_binds()
    args += ["--ro-bind", str(HARNESS), "/sandbox/harness.py", "--chdir", "/tmp", "--clearenv"]
    env = dict(sandbox_env(), HOME="/tmp", MPLCONFIGDIR="/tmp", TMPDIR="/tmp")
    for key, value in env.items():
        args += ["--setenv", key, value]
    return args + command


@cache
def _pids_cgroup_parent() -> Path | None:
    """A cgroup (v1 ``pids`` or v2) below ours in which we may create children, if any."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        hid, controllers, path = line.split(":", 2)
        if "pids" in controllers.split(","):
            base = Path("/sys/fs/cgroup/pids") / path.lstrip("/")
        elif hid == "0" and not controllers and Path("/sys/fs/cgroup/cgroup.controllers").exists():
            base = Path("/sys/fs/cgroup") / path.lstrip("/")
        else:
            continue
        _remove_stale_cgroups(base)
        probe = base / f"vibrastic-probe-{os.getpid()}"
        try:
            probe.mkdir()
            ok = (probe / "pids.max").exists()
            probe.rmdir()
        except OSError:
            continue
        if ok:
            return base
    return None


def _remove_stale_cgroups(base: Path) -> None:
    """Remove empty cgroups left by grader processes that died without cleaning up."""
    with contextlib.suppress(OSError):
        for child in base.glob("vibrastic-grader-*-*"):
            pid = child.name.split("-")[2]
            if pid.isdigit() and not Path(f"/proc/{pid}").exists():
                with contextlib.suppress(OSError):
                    child.rmdir()


def _remove_stale_tmp() -> None:
    """Remove the fallback's temporary folders left by grader processes that were killed."""
    for folder in Path(tempfile.gettempdir()).glob("vibrastic-sandbox-*-*"):
        pid = folder.name.split("-")[2]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            shutil.rmtree(folder, ignore_errors=True)


def _user_process_count() -> int:
    uid, count = os.getuid(), 0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError):
                if os.stat(f"/proc/{entry}").st_uid == uid:
                    count += len(os.listdir(f"/proc/{entry}/task"))
    return count


MAX_EVENT_BYTES = 16 << 20  # no event from the supervisor is near this; more is garbage


class Supervisor:
    """One running sandbox with the harness supervisor in it; runs jobs one at a time."""

    def __init__(self, preload: tuple[str, ...] = (), processes: int = 64,
                 mode: str | None = None) -> None:
        self.preload, self.mode = preload, mode or isolation_mode()
        self.process_limit: int | None = processes
        self.nproc_rlimit: int | None = None
        self.proc: subprocess.Popen[bytes] | None = None
        self.cgroup: Path | None = None
        self.tmp: str | None = None
        self.jobs = itertools.count(1)
        self._buffer = b""

    # -- lifecycle
    def start(self, timeout: float = 60.0) -> None:
        """Start the sandbox and wait until the supervisor (and its pre-imports) is ready."""
        preload = ",".join(self.preload)
        parent = _pids_cgroup_parent()
        if parent is not None:
            self.cgroup = parent / f"vibrastic-grader-{os.getpid()}-{next(_counter)}"
            self.cgroup.mkdir()
            (self.cgroup / "pids.max").write_text(str(self.process_limit + PROCESS_OVERHEAD))
        elif os.geteuid() != 0:
            self.nproc_rlimit = _user_process_count() + int(self.process_limit or 64)
        # Root without a cgroup: only the supervisor's watchdog (counting processes) applies.
        cgroup = self.cgroup

        def enter_cgroup() -> None:  # runs in the child between fork and exec
            if cgroup is not None:
                (cgroup / "cgroup.procs").write_text(str(os.getpid()))

        if self.mode != "bubblewrap":
            _warn_fallback_once()
        if self.mode == "bubblewrap":
            command = bwrap_command([sys.executable, "-I", "-B", "/sandbox/harness.py", preload,
                                     "pidns"])
            env, cwd = {}, "/"
        else:
            _remove_stale_tmp()
            self.tmp = tempfile.mkdtemp(prefix=f"vibrastic-sandbox-{os.getpid()}-")
            command = [sys.executable, "-I", "-B", str(HARNESS), preload, "nopidns"]
            env = dict(sandbox_env(), HOME=self.tmp, TMPDIR=self.tmp, MPLCONFIGDIR=self.tmp)
            cwd = self.tmp
        try:
            self.proc = subprocess.Popen(
                command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL, env=env, cwd=cwd, preexec_fn=enter_cgroup,
                start_new_session=True,
            )
        except OSError as exc:  # e.g. bwrap vanished: release the cgroup and temp folder
            self.close()
            raise SandboxError(f"the grading sandbox ({self.mode}) could not start: {exc}") from exc
        ready = self._read_event(time.monotonic() + timeout)
        if ready is None or ready.get("event") != "ready":
            self.close()
            raise SandboxError(f"the grading sandbox ({self.mode}) did not start")

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def close(self) -> None:
        """Kill the sandbox (every process in it) and remove its cgroup and temporary folder."""
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            with contextlib.suppress(Exception):
                self.proc.kill()
                self.proc.wait(timeout=10)
            for stream in (self.proc.stdin, self.proc.stdout):
                with contextlib.suppress(Exception):
                    stream.close()  # type: ignore[union-attr]
            self.proc = None
        if self.cgroup is not None:
            self._kill_cgroup()
            self.cgroup = None
        if self.tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None

    def _kill_cgroup(self) -> None:
        assert self.cgroup is not None
        for _ in range(50):
            with contextlib.suppress(OSError):
                pids = (self.cgroup / "cgroup.procs").read_text().split()
                for pid in pids:
                    with contextlib.suppress(OSError):
                        os.kill(int(pid), signal.SIGKILL)
                self.cgroup.rmdir()
                return
            time.sleep(0.02)
        log.warning("could not remove cgroup %s", self.cgroup)

    # -- protocol
    def _read_event(self, deadline: float) -> dict | None:
        """The next JSON line from the supervisor, or None on EOF/deadline."""
        assert self.proc is not None and self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                return None
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                return None
            self._buffer += chunk
            if len(self._buffer) > MAX_EVENT_BYTES and b"\n" not in self._buffer:
                self._buffer = b""
                return {"event": "garbage"}
        line, self._buffer = self._buffer.split(b"\n", 1)
        try:
            event = json.loads(line)
        except ValueError:
            return {"event": "garbage"}
        return event if isinstance(event, dict) else {"event": "garbage"}

    def run(self, job: dict, grace: float = 5.0) -> tuple[list[dict], dict | None]:
        """Send one job; return its observation events and the final ``done`` event (None when the
        sandbox died or stopped answering — it is then closed and must be restarted)."""
        if not self.alive:
            self.close()
            return [], None
        assert self.proc is not None and self.proc.stdin is not None
        job = dict(job, id=next(self.jobs), tmp=self.tmp or "/tmp")
        job["limits"] = dict(job["limits"], nproc=self.nproc_rlimit)
        try:
            self.proc.stdin.write((json.dumps(job) + "\n").encode())
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            self.close()
            return [], None
        deadline = time.monotonic() + float(job["limits"]["time"]) + grace
        events: list[dict] = []
        budget = 16 * 2**20  # the supervisor caps observations; this guards against a flood anyway
        while True:
            event = self._read_event(deadline)
            if event is None:
                self.close()
                return events, None
            budget -= len(json.dumps(event))
            if event.get("event") == "done" and event.get("job") == job["id"]:
                return events, event
            if event.get("job") == job["id"]:
                events.append(event)
            if budget < 0:
                self.close()
                return events, {"event": "done", "limit": "output", "exit_code": None}
