"""The sandbox side of the grader: a supervisor that forks one observer process per submission.

This file runs *inside* the sandbox (bubblewrap, or a plain process as a fallback) and uses only the
standard library, so it can be copied in on its own. It never decides a verdict: the observer
process imports the learner's source, evaluates the grader's probe snippets and streams plain JSON
observations (values, captured stdout, errors); the grader compares them with the reference
solution's observations in its own, trusted process.

Protocol (JSON lines): the grader writes jobs to the supervisor's stdin; the supervisor answers with
``{"event": "ready"}`` once, then for each job ``{"job": id, "event": "obs", ...}`` per probe
and a final ``{"job": id, "event": "done", ...}`` with how the observer ended (exit code, signal,
which limit).
"""

from __future__ import annotations

import ast
import base64
import contextlib
import ctypes
import io
import json
import os
import resource
import select
import shutil
import signal
import sys
import time
import traceback

PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_SET_CHILD_SUBREAPER = 36
CASE_OUTPUT_CAP = 16 * 1024  # characters of print() output kept per probe
LINE_CAP = 1 << 20  # longest observation line the supervisor accepts


class OutputLimit(Exception):
    """Raised inside the observer when one probe prints more than the output limit."""


class CappedWriter(io.TextIOBase):
    """A stdout replacement that keeps the first characters and stops a runaway printer."""

    def __init__(self, keep: int, limit: int) -> None:
        self.keep, self.limit, self.size, self.parts = keep, limit, 0, []

    def write(self, s: str) -> int:
        s = str(s)
        if self.size < self.keep:
            self.parts.append(s[: self.keep - self.size])
        self.size += len(s)
        if self.size > self.limit:
            raise OutputLimit(f"more than {self.limit} characters printed")
        return len(s)

    def writable(self) -> bool:
        return True

    def getvalue(self) -> str:
        return "".join(self.parts)


def _prctl(option: int, value: int) -> None:
    with contextlib.suppress(Exception):
        ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0)


# ---------------------------------------------------------------- observer (learner's process)


def plain(value, depth: int = 0):
    """Turn a learner's value into plain JSON data (numbers, strings, lists, dicts).

    Runs in the sandbox, so a hostile object can only change its own observation; anything that is
    not plain data is described by its type and a short repr, never trusted for comparisons.
    """
    if depth > 20:
        return {"__unsupported__": "nested too deeply"}
    t = type(value)
    if value is None or t is bool or t is str:
        return value
    if t is int:
        return value if abs(value) < 2**63 else {"__int__": str(value)}
    if t is float:
        if value != value or value in (float("inf"), float("-inf")):
            return {"__float__": repr(value)}
        return value
    if t in (list, tuple):
        return [plain(v, depth + 1) for v in value[:10000]]
    if t is dict:
        return {str(k): plain(v, depth + 1) for k, v in list(value.items())[:10000]}
    module = getattr(t, "__module__", "") or ""
    if module.startswith(("numpy", "torch", "vibrastic")) and hasattr(value, "tolist"):
        with contextlib.suppress(Exception):
            if hasattr(value, "detach"):
                value = value.detach()
            return plain(value.tolist(), depth + 1)
    try:
        text = repr(value)[:200]
    except Exception:  # a hostile __repr__
        text = "<unprintable>"
    return {"__type__": f"{module}.{t.__qualname__}", "__repr__": text}


def _error(exc: BaseException, filename: str) -> dict:
    """A short description of an exception: type, message, and the learner's own frames
    (the submitted file's, or a submitted package's: ``(mygrad/value.py, line 12)``)."""
    root = os.path.dirname(filename) + os.sep
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if f.filename == filename or f.filename.startswith(root)]
    where = ""
    if frames and frames[-1].filename == filename:
        where = f" (line {frames[-1].lineno})"
    elif frames:
        where = f" ({frames[-1].filename[len(root):]}, line {frames[-1].lineno})"
    if isinstance(exc, SyntaxError) and exc.filename == filename:
        where = f" (line {exc.lineno})"
    try:
        message = str(exc)[:500]
    except Exception:
        message = "<unprintable>"
    lines = traceback.format_exception_only(type(exc), exc) if isinstance(exc, SyntaxError) else []
    return {
        "type": type(exc).__name__,
        "message": message,
        "where": where,
        "errno": getattr(exc, "errno", None) if isinstance(exc, OSError) else None,
        "detail": "".join(lines)[-800:],
    }


def _run_code(code: str, namespace: dict):
    """Execute a probe snippet; the value of its last expression is the observation."""
    tree = ast.parse(code, "<probe>", "exec")
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    exec(compile(tree, "<probe>", "exec"), namespace)
    if last is None:
        return None
    return eval(compile(ast.Expression(last.value), "<probe>", "eval"), namespace)


def write_package(root: str, files: dict) -> None:
    """Write a submitted package (relative path -> base64 bytes) below ``root``, make it read-only
    and importable. The grader checked the paths; they are checked again here all the same."""
    made = set()
    for rel, data in files.items():
        parts = rel.split("/")
        if rel.startswith("/") or any(p in ("", ".", "..") for p in parts):
            raise ValueError(f"bad path in submitted package: {rel!r}")
        path = os.path.join(root, *parts)
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))
        os.chmod(path, 0o444)
        for i in range(1, len(parts)):
            made.add(os.path.join(root, *parts[:i]))
    for folder in sorted(made, key=len, reverse=True):
        os.chmod(folder, 0o555)
    sys.path.insert(0, root)


def observe(job: dict, emit) -> None:
    """Import the learner's source, run every probe and emit one observation per probe."""
    me = os.getpid()
    filename = job["filename"]
    output_limit = int(job["limits"]["output"])
    if job.get("files"):
        write_package(os.path.dirname(filename), job["files"])
    with open(filename, "w", encoding="utf-8") as f:
        f.write(job["source"])
    module: dict = {"__name__": "submission", "__file__": filename, "__builtins__": __builtins__}
    writer = CappedWriter(CASE_OUTPUT_CAP, output_limit)
    load_error = None
    with contextlib.redirect_stdout(writer), contextlib.redirect_stderr(writer):
        try:
            exec(compile(job["source"], filename, "exec"), module)
        except BaseException as exc:
            load_error = _error(exc, filename)
    if os.getpid() != me:
        os._exit(0)
    emit({"event": "load", "error": load_error, "stdout": writer.getvalue()})
    if load_error is not None and load_error["type"] in ("SyntaxError", "IndentationError",
                                                          "TabError"):
        return
    for index, probe in enumerate(job["probes"]):
        writer = CappedWriter(CASE_OUTPUT_CAP, output_limit)
        record: dict = {"event": "obs", "index": index}
        start = time.perf_counter()
        with contextlib.redirect_stdout(writer), contextlib.redirect_stderr(writer):
            try:
                value = _run_code(probe["code"], dict(module))
                record["value"] = plain(value)
                record["error"] = None
            except BaseException as exc:
                record["value"] = None
                record["error"] = _error(exc, filename)
        if os.getpid() != me:  # a fork inside the learner's code must not report twice
            os._exit(0)
        record["stdout"] = writer.getvalue()
        record["seconds"] = round(time.perf_counter() - start, 4)
        emit(record)
        error = record["error"]
        if error and (error["type"] in ("MemoryError", "_ArrayMemoryError", "OutputLimit")
                      or (error["type"] == "BlockingIOError" and error["errno"] == 11)):
            return  # a resource limit was hit: running more probes would only hit it again


def child_main(job: dict, obs_w: int, out_w: int, workdir: str) -> None:
    """The observer process: limits first, then the learner's code; never returns."""
    try:
        os.setsid()
        # The supervisor is not dumpable (so we cannot ptrace it); we must be, so that it can read
        # our /proc/<pid>/smaps_rollup for the memory watchdog.
        _prctl(PR_SET_DUMPABLE, 1)
        _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # never outlive the supervisor
        os.dup2(out_w, 1)
        os.dup2(out_w, 2)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        # Keep only stdin/stdout/stderr and our observation channel: the supervisor's own pipes
        # (its results to the grader, its job input) must be out of the learner's reach.
        os.closerange(3, obs_w)
        os.closerange(obs_w + 1, resource.getrlimit(resource.RLIMIT_NOFILE)[0])
        limits = job["limits"]
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        cpu = int(limits["cpu"])
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
        memory = int(limits["memory"])
        resource.setrlimit(resource.RLIMIT_DATA, (memory, memory))
        fsize = int(limits["fsize"])
        resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
        if limits.get("nproc"):
            n = int(limits["nproc"])
            resource.setrlimit(resource.RLIMIT_NPROC, (n, n))
        os.chdir(workdir)
        sys.setrecursionlimit(max(sys.getrecursionlimit(), 1000))
        channel = os.fdopen(obs_w, "w", buffering=1, encoding="utf-8")

        token = job.get("token")

        def emit(record: dict) -> None:
            record["token"] = token
            channel.write(json.dumps(record) + "\n")
            channel.flush()

        sys.stdout = sys.__stdout__ = io.TextIOWrapper(os.fdopen(1, "wb", 0), write_through=True)
        observe(job, emit)
        emit({"event": "end"})
    except BaseException:
        os._exit(3)
    os._exit(0)


# ---------------------------------------------------------------- supervisor


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
    if not found and not os.path.exists(f"/proc/{root}/task/{root}/children"):
        # Kernels without the children file: scan /proc for parents.
        parents: dict[int, list[int]] = {}
        try:
            entries = os.listdir("/proc")
        except OSError:  # no /proc (macOS): the process group kill has to do
            return found
        for entry in entries:
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat") as f:
                        ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                except (OSError, ValueError, IndexError):
                    continue
                parents.setdefault(ppid, []).append(int(entry))
        todo = [root]
        while todo:
            for child in parents.get(todo.pop(), []):
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


def kill_tree(root: int) -> None:
    """SIGKILL the observer, its process group and everything that was ever forked below it."""
    for _ in range(5):
        pids = [root, *descendants(root)]
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


def run_job(job: dict, send) -> None:
    """Fork one observer for ``job``, enforce the limits, relay its observations, then clean up."""
    limits = job["limits"]
    workdir = os.path.join(job.get("tmp", "/tmp"), f"vb-job-{os.getpid()}-{job['id']}")
    os.makedirs(workdir, mode=0o700)
    job = dict(job, filename=os.path.join(workdir, job.get("basename", "solution.py")))
    obs_r, obs_w = os.pipe()
    out_r, out_w = os.pipe()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_before = before.ru_utime + before.ru_stime
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:
        os.close(obs_r)
        os.close(out_r)
        child_main(job, obs_w, out_w, workdir)
    os.close(obs_w)
    os.close(out_w)
    deadline = started + float(limits["time"])
    output_cap = int(limits["output"])
    max_processes = int(limits.get("processes") or 0)
    raw = bytearray()
    raw_size = 0
    buffer = b""
    limit = None
    status = None
    next_memory_check = 0.0
    drain_until = 0.0
    open_fds = {obs_r, out_r}
    while True:
        now = time.monotonic()
        if status is None:
            done, status_code = os.waitpid(pid, os.WNOHANG)
            if done:
                status = status_code
        if status is not None and not open_fds:
            break
        if now >= deadline:
            limit = limit or "timeout"
            break
        if now >= next_memory_check:
            next_memory_check = now + 0.05
            tree = [pid, *descendants(pid)]
            if max_processes and len(tree) > max_processes:
                limit = "processes"  # a watchdog behind the cgroup / RLIMIT_NPROC hard limit
                break
            if memory_used(tree) > int(limits["memory"]):
                limit = "memory"
                break
        ready, _, _ = select.select(list(open_fds), [], [], 0.02)
        for fd in ready:
            chunk = os.read(fd, 65536)
            if not chunk:
                open_fds.discard(fd)
                continue
            if fd == out_r:
                raw_size += len(chunk)
                if len(raw) < output_cap:
                    raw.extend(chunk[: output_cap - len(raw)])
                if raw_size > output_cap:
                    limit = "output"
            else:
                buffer += chunk
                *lines, buffer = buffer.split(b"\n")
                for line in lines:
                    send_observation(job["id"], line, send)
                if len(buffer) > LINE_CAP:
                    limit = "output"
        if limit == "output":
            break
        if status is not None:
            # The observer is gone; a forked grandchild may hold the pipes open: drain briefly.
            drain_until = drain_until or time.monotonic() + 0.2
            if time.monotonic() > drain_until:
                break
    kill_tree(pid)
    if status is None:
        with contextlib.suppress(ChildProcessError):
            status = os.waitpid(pid, 0)[1]
    reap_all()
    for fd in (obs_r, out_r):
        with contextlib.suppress(OSError):
            os.close(fd)
    make_writable(workdir)
    shutil.rmtree(workdir, ignore_errors=True)
    exit_code = os.waitstatus_to_exitcode(status) if status is not None else None
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_used = usage.ru_utime + usage.ru_stime - cpu_before
    if limit is None and exit_code is not None and exit_code < 0:
        sig = -exit_code
        if sig == signal.SIGXCPU:
            limit = "cpu"
        elif sig == signal.SIGXFSZ:
            limit = "fsize"
    send({
        "job": job["id"],
        "event": "done",
        "exit_code": exit_code,
        "signal": signal.Signals(-exit_code).name if exit_code and exit_code < 0 else None,
        "limit": limit,
        "output": raw.decode("utf-8", "replace"),
        "output_truncated": raw_size > len(raw),
        "wall": round(time.monotonic() - started, 4),
        "cpu": round(cpu_used, 3),
    })


def send_observation(job_id: int, line: bytes, send) -> None:
    """Relay one observation line, tagging it; anything that is not a JSON object is flagged."""
    try:
        record = json.loads(line)
        if not isinstance(record, dict):
            raise ValueError
    except ValueError:
        record = {"event": "garbage"}
    record["job"] = job_id
    send(record)


def clean_namespace() -> None:
    """Kill every leftover process in the sandbox's private pid namespace (bubblewrap only)."""
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) not in (1, os.getpid()):
            with contextlib.suppress(OSError):
                os.kill(int(entry), signal.SIGKILL)
    reap_all()


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
    """Empty the sandbox's temporary folder, so nothing one submission wrote is seen by the next.

    The walk stays on the folder's own file system: read-only binds below it (a virtualenv in a
    checkout under /tmp) are left alone rather than walked file by file.
    """
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


def serve(preload: list[str], own_pidns: bool) -> None:
    """Read jobs from stdin, one at a time; write results to stdout."""
    _prctl(PR_SET_DUMPABLE, 0)  # the observers (same uid) cannot ptrace us or read our fds
    _prctl(PR_SET_CHILD_SUBREAPER, 1)  # orphans of an observer are re-parented to us
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # never outlive the grader
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    loaded = []
    for name in preload:
        with contextlib.suppress(Exception):
            __import__(name)
            loaded.append(name)
    out = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # nothing but the protocol goes to the grader
    inp = os.fdopen(os.dup(0), "r", encoding="utf-8")
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)

    def send(record: dict) -> None:
        out.write(json.dumps(record) + "\n")
        out.flush()

    send({"event": "ready", "preloaded": loaded, "pid": os.getpid(),
          "python": sys.version.split()[0]})
    for line in inp:
        if not line.strip():
            continue
        job = json.loads(line)
        run_job(job, send)
        if own_pidns:  # bubblewrap: the whole sandbox is ours
            clean_namespace()
            wipe("/dev/shm")
        wipe(job.get("tmp", "/tmp"))


if __name__ == "__main__":
    serve([name for name in sys.argv[1].split(",") if name], own_pidns=sys.argv[2] == "pidns")
