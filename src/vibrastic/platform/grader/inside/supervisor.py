"""The supervisor: runs one job inside a fresh sandbox (stdlib only).

In the sandbox it stays outside the job's own pid namespace, whose pid 1 is the observer it forks
(the learner's process): no process of the job can see, signal or ptrace it, and it is not
dumpable. It enforces the wall-time, output, process and (without a memory cgroup) memory
limits, relays the observer's records to the grader wrapped as ``{"event": "relay", ...}`` — so
nothing the observer writes can pass for the supervisor's own ``done`` — then kills every process
of the job and reports how the observer ended.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import select
import signal
import time

try:
    from . import observer
except ImportError:  # pragma: no cover - inside the sandbox, as top-level modules
    import observer  # type: ignore[no-redef]

LINE_CAP = 1 << 20  # longest observation line the supervisor accepts
DRAIN_SECONDS = 0.2  # how long to read after the observer exits (a grandchild may hold pipes)


def _proc_children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


def descendants(root: int) -> list[int]:
    """Every live descendant of ``root`` (the supervisor is a subreaper: orphans stay below it)."""
    found, todo = [], [root]
    while todo:
        for child in _proc_children(todo.pop()):
            found.append(child)
            todo.append(child)
    return found


def memory_used(pids: list[int]) -> int:
    """Proportional set size (bytes) of the given processes: shared pages counted once overall."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1]) * 1024
                        break
        except (OSError, ValueError):
            continue
    return total


def kill_tree(root: int, whole_namespace: bool) -> None:
    """SIGKILL the observer and everything forked below it. When the observer is pid 1 of the
    job's pid namespace, killing it kills every process of the namespace; otherwise every process
    below us goes (we are a subreaper, so orphans that left the observer's tree with a double
    fork or a new session are still ours)."""
    if whole_namespace:
        with contextlib.suppress(OSError):
            os.kill(root, signal.SIGKILL)
        return
    for _ in range(5):
        pids = [root, *descendants(os.getpid())]
        alive = False
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
                alive = True
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(root, signal.SIGKILL)
        if not alive:
            break


def reap_all() -> None:
    with contextlib.suppress(ChildProcessError):
        while os.waitpid(-1, os.WNOHANG)[0] > 0:
            pass


def relay(line: bytes, send) -> None:
    """Pass one observer line on, wrapped; anything that is not a JSON object is flagged."""
    try:
        record = json.loads(line)
        if not isinstance(record, dict):
            raise ValueError
    except (ValueError, RecursionError):  # not JSON, or nested past the parser's depth
        record = {"event": "garbage"}
    send({"event": "relay", "record": record})


class Watch:
    """The supervisor's view of one running observer: its pipes, output and the limit hit."""

    def __init__(self, pid: int, obs_r: int, out_r: int, limits: dict, context: dict) -> None:
        self.pid, self.obs_r, self.out_r = pid, obs_r, out_r
        self.limits, self.context = limits, context
        self.started = time.monotonic()
        self.deadline = self.started + float(limits["time"])
        self.output_cap = int(limits["output"])
        self.raw, self.raw_size, self.buffer = bytearray(), 0, b""
        self.limit: str | None = None
        self.status: int | None = None
        self.open_fds = {obs_r, out_r}
        self.next_check = 0.0

    def check_resources(self, now: float) -> None:
        """Process count, and memory when no cgroup accounts it (every 50 ms). In a pid
        namespace of its own, every process in /proc is the job's (the observer is pid 1)."""
        if now < self.next_check:
            return
        self.next_check = now + 0.05
        if self.context.get("namespaces"):
            tree = [int(p) for p in os.listdir("/proc") if p.isdigit()]
        else:
            tree = [self.pid, *descendants(self.pid)]
        most = int(self.limits.get("processes") or 0)
        if most and len(tree) > most:
            self.limit = "processes"  # a watchdog behind the pids cgroup / RLIMIT_NPROC
        elif not self.context.get("memory_cgroup") and \
                memory_used(tree) > int(self.limits["memory"]):
            self.limit = "memory"

    def read(self, fd: int, send) -> None:
        chunk = os.read(fd, 65536)
        if not chunk:
            self.open_fds.discard(fd)
        elif fd == self.out_r:
            self.raw_size += len(chunk)
            if len(self.raw) < self.output_cap:
                self.raw.extend(chunk[: self.output_cap - len(self.raw)])
            if self.raw_size > self.output_cap:
                self.limit = "output"
        else:
            self.buffer += chunk
            *lines, self.buffer = self.buffer.split(b"\n")
            for line in lines:
                relay(line, send)
            if len(self.buffer) > LINE_CAP:
                self.limit = "output"

    def pump(self, send) -> None:
        """Relay and watch until the observer ends, a limit is hit or the wall time runs out."""
        drain_until = 0.0
        while self.limit is None:
            now = time.monotonic()
            if self.status is None:
                done, code = os.waitpid(self.pid, os.WNOHANG)
                if done:
                    self.status = code
            if self.status is not None and not self.open_fds:
                return
            if now >= self.deadline:
                self.limit = "timeout"
                return
            self.check_resources(now)
            ready, _, _ = select.select(list(self.open_fds), [], [], 0.02)
            for fd in ready:
                self.read(fd, send)
            if self.status is not None:
                drain_until = drain_until or time.monotonic() + DRAIN_SECONDS
                if time.monotonic() > drain_until:
                    return

    def result(self, cpu_before: float) -> dict:
        exit_code = os.waitstatus_to_exitcode(self.status) if self.status is not None else None
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        limit = self.limit
        if limit is None and exit_code is not None and exit_code < 0:
            limit = {signal.SIGXCPU: "cpu", signal.SIGXFSZ: "fsize"}.get(-exit_code)
        elif limit is None and exit_code == observer.CPU_EXIT:
            limit = "cpu"
        return {
            "event": "done",
            "exit_code": exit_code,
            "signal": signal.Signals(-exit_code).name if exit_code and exit_code < 0 else None,
            "limit": limit,
            "output": self.raw.decode("utf-8", "replace"),
            "output_truncated": self.raw_size > len(self.raw),
            "wall": round(time.monotonic() - self.started, 4),
            "cpu": round(usage.ru_utime + usage.ru_stime - cpu_before, 3),
        }


def run_job(job: dict, send, context: dict) -> None:
    """Fork the observer for ``job``, enforce the limits, relay its records, then clean up."""
    workdir = context["workdir"]
    os.makedirs(workdir, mode=0o777, exist_ok=True)
    os.chmod(workdir, 0o777)  # the observer may run under a uid of its own
    job = dict(job, filename=os.path.join(workdir, job.get("basename", "solution.py")))
    obs_r, obs_w = os.pipe()
    out_r, out_w = os.pipe()
    ready_r, ready_w = os.pipe()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    pid = os.fork()
    if pid == 0:
        os.close(obs_r)
        os.close(out_r)
        os.close(ready_r)
        observer.become_observer(job, obs_w, out_w, dict(context, ready_fd=ready_w))
    os.close(obs_w)
    os.close(out_w)
    os.close(ready_w)
    for fd in context.get("cgroup_fds", ()):
        os.close(fd)  # only the observer enters the job's cgroups
    select.select([ready_r], [], [], float(job["limits"]["time"]))  # its /proc is mounted
    os.close(ready_r)
    watch = Watch(pid, obs_r, out_r, job["limits"], context)
    watch.pump(send)
    kill_tree(pid, context.get("namespaces", False))
    if watch.status is None:
        with contextlib.suppress(ChildProcessError):
            watch.status = os.waitpid(pid, 0)[1]
    reap_all()
    for fd in (obs_r, out_r):
        with contextlib.suppress(OSError):
            os.close(fd)
    send(watch.result(before.ru_utime + before.ru_stime))


def make_writable(folder: str) -> None:
    """Give back write permission on every folder below ``folder`` (a submitted package is made
    read-only; so can a learner's own folders be), so that removing them cannot fail."""
    with contextlib.suppress(OSError):
        device = os.lstat(folder).st_dev
        for root, dirs, _files in os.walk(folder):
            kept = []
            for name in dirs:
                path = os.path.join(root, name)
                with contextlib.suppress(OSError):
                    if not os.path.islink(path) and os.lstat(path).st_dev == device:
                        os.chmod(path, 0o700)  # before os.walk lists it
                        kept.append(name)
            dirs[:] = kept


def wipe(folder: str) -> None:
    """Empty a temporary folder, staying on its own file system (read-only binds below it, such
    as a virtualenv in a checkout under /tmp, are left alone rather than walked)."""
    try:
        device = os.lstat(folder).st_dev
    except OSError:
        return
    make_writable(folder)
    walked = []
    for root, dirs, files in os.walk(folder):
        kept = []
        for name in dirs:
            path = os.path.join(root, name)
            with contextlib.suppress(OSError):
                if os.path.islink(path):
                    files.append(name)  # a link to a folder: remove the link itself
                elif os.lstat(path).st_dev == device:
                    kept.append(name)
        dirs[:] = kept
        walked.append((root, kept, files))
    for root, dirs, files in reversed(walked):
        for name in files:
            with contextlib.suppress(OSError):
                os.unlink(os.path.join(root, name))
        for name in dirs:
            with contextlib.suppress(OSError):
                os.rmdir(os.path.join(root, name))
