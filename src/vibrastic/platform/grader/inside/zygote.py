"""The template ("zygote"): a process with numpy and torch imported that forks one fresh sandbox
per job and never runs anything else (stdlib only; started by the grader, inside bubblewrap).

It never sees a job's content: the grader sends it only "fork" requests carrying descriptors
(the job's input pipe, its result pipe, its cgroup files). The forked child — the job's
supervisor, not dumpable — then builds a new sandbox: new mount, pid, network, IPC and UTS
namespaces and a fresh size-capped ``/tmp`` and ``/dev/shm``. It reads the job from its pipe and
forks the observer, which is pid 1 of the new pid namespace (the supervisor is not even visible
from it): the observer mounts a fresh ``/proc`` with ``/proc/sys`` read-only, then takes a uid of
its own (when the sandbox maps several), drops every capability and installs the seccomp filter.
When the observer ends, its namespaces — every process and file of the job — are gone; no job ever
runs in a process that ran another job, a reference solution included.

Protocol on the control socket (SOCK_SEQPACKET, one JSON message each): the zygote says
``{"event": "ready", "preloaded": [...]}``; the grader sends ``{"op": "fork", "job": n, ...}``
with descriptors and gets ``{"event": "forked", "job": n, "pid": pid}``; ``{"op": "kill", "pid":
pid}`` kills a job.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import signal
import socket
import sys

if __name__ == "__main__":  # run as a script (python -I): its siblings are top-level modules
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import supervisor  # type: ignore[import-not-found,no-redef]
    import system  # type: ignore[import-not-found,no-redef]
else:
    from . import supervisor, system

def _read_all(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, 1 << 16):
        chunks.append(chunk)
    os.close(fd)
    return b"".join(chunks)


def run_job(fds: list[int], request: dict) -> None:
    """The forked job: build the sandbox, read the job, supervise it; never returns."""
    code = 0
    try:
        job_r, res_w, *cgroup_fds = fds
        system.prctl(system.PR_SET_PDEATHSIG, signal.SIGKILL)
        namespaces = request["mode"] == "namespaces"
        if namespaces:  # the observer, forked next, is pid 1 of the new pid namespace
            system.unshare(system.CLONE_NEWNS | system.CLONE_NEWPID | system.CLONE_NEWNET
                           | system.CLONE_NEWIPC | system.CLONE_NEWUTS)
            system.fresh_tmp()
            workdir = "/tmp/job"
        else:
            os.setsid()
            system.prctl(system.PR_SET_CHILD_SUBREAPER, 1)
            workdir = os.path.join(request["tmp"], f"job-{request['job']}")
        system.prctl(system.PR_SET_DUMPABLE, 0)
        out = os.fdopen(res_w, "w", buffering=1, encoding="utf-8")

        def send(record: dict) -> None:
            out.write(json.dumps(record) + "\n")
            out.flush()

        job = json.loads(_read_all(job_r))
        context = {"workdir": workdir, "cgroup_fds": cgroup_fds, "namespaces": namespaces,
                   "uid": request.get("uid"), "gid": request.get("gid"), "seccomp": True,
                   "memory_cgroup": bool(request.get("memory_cgroup"))}
        supervisor.run_job(job, send, context)
        if not namespaces:
            supervisor.wipe(workdir)
            with contextlib.suppress(OSError):
                os.rmdir(workdir)
    except BaseException:
        code = 3
    os._exit(code)


def _reap(*_: object) -> None:
    supervisor.reap_all()


def serve(control: socket.socket, preload: list[str]) -> None:
    """Answer fork and kill requests until the grader closes the control socket."""
    system.prctl(system.PR_SET_DUMPABLE, 0)
    system.prctl(system.PR_SET_PDEATHSIG, signal.SIGKILL)  # never outlive the grader
    loaded = []
    for name in preload:
        with contextlib.suppress(Exception):
            __import__(name)
            loaded.append(name)
    gc.collect()
    gc.freeze()  # imported objects stay in pages the forked jobs share (copy on write)
    signal.signal(signal.SIGCHLD, _reap)
    control.send(json.dumps({"event": "ready", "preloaded": loaded, "pid": os.getpid(),
                             "python": sys.version.split()[0]}).encode())
    while True:
        try:
            message, fds, _, _ = socket.recv_fds(control, 4096, 16)
        except InterruptedError:
            continue
        if not message:
            return
        request = json.loads(message)
        if request.get("op") == "fork":
            pid = os.fork()
            if pid == 0:
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                control.close()
                run_job(fds, request)
            for fd in fds:
                os.close(fd)
            control.send(json.dumps({"event": "forked", "job": request.get("job"),
                                     "pid": pid}).encode())
        elif request.get("op") == "kill":
            with contextlib.suppress(OSError):
                os.kill(int(request["pid"]), signal.SIGKILL)


if __name__ == "__main__":
    sys.path[0] = sys.argv[3]  # vibrastic as the grader runs it, not this folder
    serve(socket.socket(fileno=int(sys.argv[1])), [n for n in sys.argv[2].split(",") if n])
