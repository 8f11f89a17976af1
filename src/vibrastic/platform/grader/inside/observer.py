"""The observer: the one process that runs the learner's code (stdlib only, inside the sandbox).

It enters the job's cgroup, sets its limits, drops every privilege (a uid of its own when the
sandbox has several, no capabilities, no_new_privs, the seccomp filter), then imports the learner's
source, evaluates the grader's probe snippets and streams plain JSON observations (values,
captured output, errors) to the supervisor. It never decides a verdict.
"""

from __future__ import annotations

import ast
import base64
import contextlib
import io
import json
import os
import resource
import signal
import sys
import time
import traceback

try:  # inside the sandbox these files are top-level modules; on the host, a package
    from . import seccomp, system
except ImportError:  # pragma: no cover - inside the sandbox, as top-level modules
    import seccomp  # type: ignore[no-redef]
    import system  # type: ignore[no-redef]

CASE_OUTPUT_CAP = 16 * 1024  # characters of print() output kept per probe
SYNTAX_ERRORS = ("SyntaxError", "IndentationError", "TabError")


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


def plain(value, depth: int = 0):
    """Turn a learner's value into plain JSON data (numbers, strings, lists, dicts).

    A hostile object can only change its own observation; anything that is not plain data is
    described by its type and a short repr, never trusted for comparisons.
    """
    if depth > 20:
        return {"__unsupported__": "nested too deeply"}
    t = type(value)
    if value is None or t is bool or t is str:
        return value
    if t is int:
        return value if abs(value) < 2**63 else {"__int__": str(value)[:400]}
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


def describe(exc: BaseException, filename: str) -> dict:
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
    return {
        "type": type(exc).__name__,
        "message": message,
        "where": where,
        "errno": getattr(exc, "errno", None) if isinstance(exc, OSError) else None,
    }


def run_probe(code: str, namespace: dict):
    """Execute a probe snippet; the value of its last expression is the observation."""
    tree = ast.parse(code, "<probe>", "exec")
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    exec(compile(tree, "<probe>", "exec"), namespace)
    if last is None:
        return None
    return eval(compile(ast.Expression(last.value), "<probe>", "eval"), namespace)


def _hit_a_limit(error: dict | None) -> bool:
    return bool(error) and (error["type"] in ("MemoryError", "_ArrayMemoryError", "OutputLimit")
                            or (error["type"] == "BlockingIOError" and error["errno"] == 11))


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
            load_error = describe(exc, filename)
    if os.getpid() != me:
        os._exit(0)
    emit({"event": "load", "error": load_error, "stdout": writer.getvalue()})
    if load_error is not None and load_error["type"] in SYNTAX_ERRORS:
        return
    for index, probe in enumerate(job["probes"]):
        writer = CappedWriter(CASE_OUTPUT_CAP, output_limit)
        record: dict = {"event": "obs", "index": index}
        start = time.perf_counter()
        with contextlib.redirect_stdout(writer), contextlib.redirect_stderr(writer):
            try:
                record["value"] = plain(run_probe(probe["code"], dict(module)))
                record["error"] = None
            except BaseException as exc:
                record["value"] = None
                record["error"] = describe(exc, filename)
        if os.getpid() != me:  # a fork inside the learner's code must not report twice
            os._exit(0)
        record["stdout"] = writer.getvalue()
        record["seconds"] = round(time.perf_counter() - start, 4)
        emit(record)
        if _hit_a_limit(record["error"]):
            return  # a resource limit was hit: running more probes would only hit it again


CPU_EXIT = 128 + signal.SIGXCPU  # the exit code that reports the CPU limit


def _set_limits(limits: dict) -> None:
    # As pid 1 of its namespace the observer ignores signals it has no handler for, SIGXCPU
    # included: the handler turns it into an exit the supervisor reads as the CPU limit (the
    # hard limit's SIGKILL, one second later, still ends a process that blocks the handler).
    signal.signal(signal.SIGXCPU, lambda *_: os._exit(CPU_EXIT))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    cpu = int(limits["cpu"])
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    memory = int(limits["memory"])
    resource.setrlimit(resource.RLIMIT_DATA, (memory, memory))
    fsize = int(limits["fsize"])
    resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
    files = int(limits.get("files") or 128)
    resource.setrlimit(resource.RLIMIT_NOFILE, (files, files))
    if limits.get("nproc"):
        n = int(limits["nproc"])
        resource.setrlimit(resource.RLIMIT_NPROC, (n, n))


def _confine(context: dict) -> None:
    """Enter the job's cgroups, then give up every privilege (see the module doc)."""
    if context.get("namespaces"):  # pid 1 of the job's pid namespace: its /proc first
        system.fresh_proc()
    ready = context.get("ready_fd")
    if ready is not None:
        os.close(ready)  # tells the supervisor that /proc shows the job's processes now
    for fd in context.get("cgroup_fds", ()):
        os.write(fd, b"0")  # "0": move this process (the opener's rights were checked at open)
        os.close(fd)
    if context.get("namespaces"):
        system.unshare(system.CLONE_NEWCGROUP)  # its own cgroup looks like the root
        system.drop_privileges(context.get("uid"), context.get("gid"))
    if context.get("seccomp") and seccomp.supported():
        seccomp.install(deny_unaccounted_memory=not context.get("memory_cgroup"))


def close_all_but(keep: set[int]) -> None:
    """Close every descriptor above 2 except ``keep``: the supervisor's own pipes (to the
    grader, from the grader) must be out of the learner's reach."""
    start = 3
    for fd in sorted(k for k in keep if k >= 3):
        os.closerange(start, fd)
        start = fd + 1
    os.closerange(start, resource.getrlimit(resource.RLIMIT_NOFILE)[0])


def become_observer(job: dict, obs_w: int, out_w: int, context: dict) -> None:
    """The observer process: limits and confinement first, then the learner's code; never
    returns. ``context``: workdir, cgroup_fds, namespaces, uid, gid, seccomp, memory_cgroup."""
    try:
        os.setsid()
        system.prctl(system.PR_SET_PDEATHSIG, signal.SIGKILL)  # never outlive the supervisor
        os.dup2(out_w, 1)
        os.dup2(out_w, 2)
        os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
        close_all_but({obs_w, *context.get("cgroup_fds", ()),
                       *([context["ready_fd"]] if context.get("ready_fd") is not None else [])})
        _set_limits(job["limits"])
        _confine(context)
        # The supervisor reads our memory use (smaps_rollup) for its watchdog.
        system.prctl(system.PR_SET_DUMPABLE, 1)
        os.chdir(context["workdir"])
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
