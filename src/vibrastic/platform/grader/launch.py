"""Starting the sandbox template and running one job in a fresh sandbox forked from it.

A ``Template`` is one bubblewrap sandbox running ``inside/zygote.py``: a read-only view of the
system, the Python installation, the virtualenv and vibrastic (course content hidden), no network,
a scrubbed environment, with numpy and torch imported once. For each job the grader hands the
template a fresh job pipe, a result pipe and the job's cgroup descriptors; the template forks a
child that builds a *new* sandbox around itself (namespaces, /tmp, /proc) before reading the job —
see ``inside/zygote.py``. Nothing of one job is visible to the next.

Privileges: bubblewrap never runs as host root. A root grader starts it through ``userns.py``
inside a user namespace that maps 65536 unprivileged host uids (the learner's process gets a uid
of its own, unlike the supervisor); any other user gets bubblewrap's own user namespace with one
uid. ``VIBRASTIC_SANDBOX=process`` (or no working bwrap) selects a plain-process fallback that is
not a security boundary and refuses to run as root.
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
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from vibrastic.platform.grader import cgroups

log = logging.getLogger(__name__)

INSIDE = Path(__file__).with_name("inside")
USERNS_LAUNCHER = Path(__file__).with_name("userns.py")
SANDBOX_INSIDE = "/sandbox/inside"
TEMPLATE_TMP_BYTES = 1 * 2**20  # the template writes nothing; each job mounts its own /tmp
UID_BASE = 0x70000000  # root: host uids base..base+65535 per template (nobody's files)
OBSERVER_UIDS = range(1000, 60000)
PROCESS_MARGIN = 16
MAX_EVENT_BYTES = 16 << 20  # no result stream from one job is near this; more is garbage
FALLBACK_WARNING = (
    "bubblewrap (bwrap) is not available: submissions run as a plain process with resource limits "
    "only. This is NOT a security boundary — install bubblewrap to grade code you do not trust."
)
_templates = itertools.count()


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
    if not shutil.which("bwrap"):
        return False
    try:
        with Template((), "bubblewrap") as template:
            template.start(timeout=30)
    except (SandboxError, OSError) as exc:
        log.warning("bwrap is installed but does not work here: %s", exc)
        return False
    return True


def _system_binds() -> tuple[list[str], list[tuple[str, str]]]:
    """Arguments for symlinked top folders, and (source, dest) read-only binds of the system."""
    args: list[str] = []
    binds = [("/usr", "/usr")]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64"):
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            binds.append((top, top))
    for etc in ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime"):
        if os.path.exists(etc):
            binds.append((etc, etc))
    return args, binds


def package_root() -> str:
    """The folder that holds the ``vibrastic`` package the grader runs (put on the sandbox's
    sys.path so a submission's ``import vibrastic`` gets the same engine)."""
    import vibrastic

    return os.path.dirname(os.path.dirname(os.path.realpath(vibrastic.__file__)))


def _python_binds() -> tuple[list[tuple[str, str]], list[str]]:
    """Read-only binds of the interpreter, the virtualenv and vibrastic, and the course folders
    to hide under empty read-only tmpfs."""
    roots = set()
    for prefix in {os.path.realpath(sys.base_prefix), os.path.realpath(sys.prefix), sys.prefix}:
        if not prefix.startswith("/usr/") and prefix != "/usr":
            roots.add(prefix)
    binds = [(r, r) for r in sorted(roots)]
    package = os.path.join(package_root(), "vibrastic")
    if not any(package.startswith(r + "/") for r in roots):
        binds.append((package, package))
    hidden = [os.path.join(package, "courses")] if os.path.isdir(
        os.path.join(package, "courses")) else []
    return binds, hidden


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


def bwrap_command(command: list[str], *, root: bool | None = None
                  ) -> tuple[list[str], list[tuple[str, str]], list[str]]:
    """The bubblewrap command for the template: (arguments before the binds, the read-only
    binds, arguments after them including ``command``)."""
    root = os.geteuid() == 0 if root is None else root
    args = [shutil.which("bwrap") or "bwrap", "--unshare-pid", "--unshare-net", "--unshare-ipc",
            "--unshare-uts", "--die-with-parent", "--new-session", "--hostname", "sandbox",
            "--cap-add", "ALL"]
    if not root:  # bubblewrap's own user namespace (one uid); root comes with userns.py's
        args += ["--unshare-user", "--uid", "0", "--gid", "0"]
    # The private /tmp comes first, so that a checkout or virtualenv that lives under /tmp
    # (a CI clone, say) is bound on top of it instead of being hidden by it.
    args += ["--proc", "/proc", "--dev", "/dev", "--dir", "/dev/shm",
             "--size", str(TEMPLATE_TMP_BYTES), "--tmpfs", "/tmp"]
    more, binds = _system_binds()
    args += more
    python, hidden = _python_binds()
    binds += [*python, (str(INSIDE), SANDBOX_INSIDE)]
    # Folders above the bind targets must be searchable by every uid of the sandbox (bubblewrap
    # would make them 0700, its own uid's only).
    dests = {dest for _, dest in binds}
    parents = {str(p) for _, dest in binds for p in Path(dest).parents if str(p) != "/"}
    for folder in sorted(parents - dests, key=lambda p: p.count("/")):
        args += ["--perms", "0755", "--dir", folder]
    after: list[str] = []
    for folder in hidden:
        after += ["--tmpfs", folder, "--remount-ro", folder]
    # Nothing a job may write outlives it: the sandbox's own root and /dev are read-only (every
    # job mounts its own /tmp and /dev/shm over them).
    after += ["--remount-ro", "/dev", "--remount-ro", "/", "--chdir", "/", "--clearenv"]
    env = dict(sandbox_env(), HOME="/tmp", MPLCONFIGDIR="/tmp", TMPDIR="/tmp")
    for key, value in env.items():
        after += ["--setenv", key, value]
    return args, binds, after + command


@dataclass
class JobRun:
    """What one job produced: the observer's records (relayed), the supervisor's ``done`` (None
    when the sandbox stopped answering) and what the cgroup saw."""

    records: list[dict] = field(default_factory=list)
    done: dict | None = None
    oom: bool = False  # the memory cgroup killed a process of the job
    memory_full: bool = False  # the job's memory reached the cgroup's limit


class Template:
    """One sandbox template (see the module doc)."""

    def __init__(self, preload: tuple[str, ...] = (), mode: str | None = None,
                 nice: int = 0) -> None:
        if not 0 <= nice <= 19:
            raise ValueError(f"nice must be 0 (normal priority) to 19 (lowest), not {nice}")
        self.preload, self.mode, self.nice = tuple(preload), mode or isolation_mode(), nice
        self.number = next(_templates)
        self.root = os.geteuid() == 0
        self.proc: subprocess.Popen[bytes] | None = None
        self.control: socket.socket | None = None
        self.tmp: str | None = None
        self.jobs = itertools.count(1)
        self._control_lock = threading.Lock()  # jobs may run concurrently; requests may not

    # -- lifecycle
    def _command(self, child_fd: int) -> tuple[list[str], dict[str, str], str]:
        preload = ",".join(self.preload)
        if self.mode != "bubblewrap":
            if self.root:
                raise SandboxError("refusing to run submissions as root without bubblewrap "
                                   "(the plain-process fallback has no way to drop privileges); "
                                   "install bubblewrap")
            _warn_fallback_once()
            self.tmp = tempfile.mkdtemp(prefix=f"vibrastic-sandbox-{os.getpid()}-")
            env = dict(sandbox_env(), HOME=self.tmp, TMPDIR=self.tmp, MPLCONFIGDIR=self.tmp)
            return ([sys.executable, "-I", "-B", str(INSIDE / "zygote.py"), str(child_fd),
                     preload, package_root()], env, self.tmp)
        zygote = [sys.executable, "-I", "-B", f"{SANDBOX_INSIDE}/zygote.py", str(child_fd),
                  preload, package_root()]
        before, binds, after = bwrap_command(zygote, root=self.root)
        if not self.root:
            argv = list(before)
            for source, dest in binds:
                argv += ["--ro-bind", source, dest]
            return argv + after, {}, "/"
        self.tmp = tempfile.mkdtemp(prefix=f"vibrastic-stage-{os.getpid()}-")
        os.chmod(self.tmp, 0o755)
        config = {"base": UID_BASE + (self.number % 256) * 65536, "stage": self.tmp,
                  "binds": [list(b) for b in binds], "argv": before, "command": after}
        return [sys.executable, "-I", "-B", str(USERNS_LAUNCHER), json.dumps(config)], {}, "/"

    def start(self, timeout: float = 120.0) -> None:
        """Start the template and wait until it is ready (its pre-imports done)."""
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            command, env, cwd = self._command(theirs.fileno())
            if self.nice:  # the template and every job forked from it inherit the priority
                command = [shutil.which("nice") or "/usr/bin/nice", "-n", str(self.nice),
                           *command]
            self.proc = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE, env=env, cwd=cwd, pass_fds=[theirs.fileno()],
                start_new_session=True, umask=0o022)
        except OSError as exc:
            ours.close()
            self.close()
            raise SandboxError(f"the grading sandbox ({self.mode}) could not start: {exc}"
                               ) from exc
        finally:
            theirs.close()
        self.control = ours
        ready = self._receive(time.monotonic() + timeout)
        if ready is None or ready.get("event") != "ready":
            detail = self._stderr_tail()
            self.close()
            raise SandboxError(f"the grading sandbox ({self.mode}) did not start"
                               + (f": {detail}" if detail else ""))
        self.preloaded = ready.get("preloaded", [])

    def _stderr_tail(self) -> str:
        if self.proc is None or self.proc.stderr is None:
            return ""
        with contextlib.suppress(Exception):
            if self.proc.poll() is not None:
                return self.proc.stderr.read()[-300:].decode("utf-8", "replace").strip()
        return ""

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def close(self) -> None:
        """Kill the template and every job sandbox forked from it; remove its folders."""
        if self.control is not None:
            self.control.close()
            self.control = None
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            with contextlib.suppress(Exception):
                self.proc.kill()
                self.proc.wait(timeout=10)
            if self.proc.stderr is not None:
                self.proc.stderr.close()
            self.proc = None
        if self.tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None

    def __enter__(self) -> Template:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- control channel
    def _receive(self, deadline: float) -> dict | None:
        assert self.control is not None
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([self.control], [], [], left)
            if not ready:
                return None
            try:
                message = self.control.recv(4096)
            except OSError:
                return None
            if not message:
                return None
            with contextlib.suppress(ValueError):
                event = json.loads(message)
                if isinstance(event, dict):
                    return event

    def _fork(self, number: int, fds: list[int], request: dict) -> int:
        assert self.control is not None
        request = dict(request, op="fork", job=number)
        with self._control_lock:
            socket.send_fds(self.control, [json.dumps(request).encode()], fds)
            answer = self._receive(time.monotonic() + 30)
        if not answer or answer.get("event") != "forked" or answer.get("job") != number:
            raise SandboxError("the grading sandbox did not start the job")
        return int(answer["pid"])

    def _kill(self, pid: int) -> None:
        if self.control is not None:
            with self._control_lock, contextlib.suppress(OSError):
                self.control.send(json.dumps({"op": "kill", "pid": pid}).encode())

    # -- jobs
    def run(self, job: dict, grace: float = 5.0) -> JobRun:
        """Run ``job`` in a fresh sandbox forked from the template (several threads may run jobs
        at once). Raises SandboxError when the template is gone (it must then be restarted)."""
        if not self.alive or self.control is None:
            raise SandboxError("the grading sandbox is not running")
        number = next(self.jobs)
        limits = job["limits"]
        processes = int(limits.get("processes") or 0)
        # The hard limits sit a little above the supervisor's count, so that its watchdog names
        # the limit before forks start failing in a loop.
        hard = processes + PROCESS_MARGIN if processes else None
        groups = cgroups.JobCgroups.create(int(limits["memory"]), hard)
        request: dict = {"mode": "namespaces" if self.mode == "bubblewrap" else "process",
                         "tmp": self.tmp, "memory_cgroup": bool(groups and groups.memory)}
        if self.root and self.mode == "bubblewrap":  # a uid of its own: RLIMIT_NPROC is exact
            uid = OBSERVER_UIDS[number % len(OBSERVER_UIDS)]
            request.update(uid=uid, gid=uid)
            job = dict(job, limits=dict(limits, nproc=hard))
        elif hard and not (groups and "pids" in groups.folders):
            job = dict(job, limits=dict(limits, nproc=_user_process_count() + hard))
        job_r, job_w = os.pipe()
        res_r, res_w = os.pipe()
        pid = None
        try:
            pid = self._fork(number, [job_r, res_w, *(groups.fds if groups else [])], request)
            os.close(job_r)
            os.close(res_w)
            job_r = res_w = -1
            if groups:
                groups.close_fds()
            _write_all(job_w, json.dumps(job).encode())
            os.close(job_w)
            job_w = -1
            run = _collect(res_r, time.monotonic() + float(limits["time"]) + grace)
        except OSError as exc:
            raise SandboxError(f"the grading sandbox failed: {exc}") from exc
        finally:
            if pid is not None:
                self._kill(pid)
            for fd in (job_r, job_w, res_r, res_w):
                if fd >= 0:
                    with contextlib.suppress(OSError):
                        os.close(fd)
            if groups:
                oom, full = groups.oom_killed(), groups.hit_limit()
                groups.remove()
        if groups:
            run.oom, run.memory_full = oom, full
        return run


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _collect(fd: int, deadline: float) -> JobRun:
    """Read the job's result stream until its ``done``, EOF or the deadline."""
    run = JobRun()
    buffer = b""
    budget = MAX_EVENT_BYTES
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return run
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            return run
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            return run
        budget -= len(chunk)
        if budget < 0:
            run.done = {"event": "done", "limit": "output", "exit_code": None}
            return run
        buffer += chunk
        *lines, buffer = buffer.split(b"\n")
        for line in lines:
            try:
                event = json.loads(line)
            except (ValueError, RecursionError):
                continue
            if not isinstance(event, dict):
                continue
            if event.get("event") == "relay":
                record = event.get("record")
                run.records.append(record if isinstance(record, dict) else {"event": "garbage"})
            elif event.get("event") == "done":
                run.done = event
                return run


def _user_process_count() -> int:
    uid, count = os.getuid(), 0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError):
                if os.stat(f"/proc/{entry}").st_uid == uid:
                    count += len(os.listdir(f"/proc/{entry}/task"))
    return count
