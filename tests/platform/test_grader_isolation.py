"""What the sandbox lets a submission do, tried as an attacker would (bubblewrap only): take over
the supervisor through /proc, ptrace, hoard memory in memfds and tmpfs, write sysctls, create
namespaces, scrape the reference solution from memory, poison the next reference run, exhaust
descriptors. Each attack is run in the warm and the cold sandbox; after each the grader still
grades a correct submission as passing, and nothing outside the sandbox changed.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from vibrastic.platform.course.challenge import Challenge, get_challenge, strip_markers
from vibrastic.platform.grader import cgroups
from vibrastic.platform.grader.grade import Grader
from vibrastic.platform.grader.launch import isolation_mode

GOOD = "def sigma(n):\n    return sum(i * i for i in range(n + 1))\n"
ROOT = os.geteuid() == 0
MODES = ["warm", "cold"]
pytestmark = pytest.mark.skipif(isolation_mode() != "bubblewrap",
                                reason="bubblewrap (bwrap) is not installed or does not work here")


@pytest.fixture(scope="module")
def graders(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Grader]]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("VIBRASTIC_HOME", str(tmp_path_factory.mktemp("home")))
        made = {"warm": Grader(warm=True), "cold": Grader(warm=False)}
        try:
            yield made
        finally:
            for grader in made.values():
                grader.close()


def sigma(time_limit: float = 15.0) -> Challenge:
    return dataclasses.replace(get_challenge("sigma"), time_limit=time_limit)


def observe(grader: Grader, code: str, source: str = "") -> object:
    """The value the attack ``code`` observed in the sandbox (its last expression)."""
    records, done = grader.observe(sigma(), source, [code])
    obs = [r for r in records if r.get("event") == "obs"]
    assert obs and obs[0]["error"] is None, (records, done)
    assert grader.grade(sigma(), GOOD).status == "pass", "grader still healthy"
    return obs[0]["value"]


PROC_TAKEOVER = """
import os
out = {"pids": sorted(int(p) for p in os.listdir("/proc") if p.isdigit()), "me": os.getpid()}
out["uids"] = sorted({os.stat(f"/proc/{p}").st_uid for p in out["pids"]})
out["fds"] = sorted(int(f) for f in os.listdir("/proc/self/fd"))
out["parent"] = os.getppid()
out
"""


@pytest.mark.parametrize("mode", MODES)
def test_the_supervisor_is_out_of_reach(graders: dict[str, Grader], mode: str) -> None:
    """The observer is pid 1 of a pid namespace of its own: the supervisor, its pipes and every
    other job are not even visible; it holds no descriptor but its own."""
    got = observe(graders[mode], PROC_TAKEOVER)
    assert got["me"] == 1 and got["pids"] == [1]
    assert got["parent"] == 0  # its parent lives outside the namespace: no pid to signal
    assert len(got["uids"]) == 1
    assert len(got["fds"]) == 5  # stdin/out/err, the observation channel, listdir's own


PTRACE = """
import ctypes, os, time
libc = ctypes.CDLL(None, use_errno=True)
child = os.fork()
if child == 0:
    time.sleep(30)
    os._exit(0)
attach = libc.ptrace(16, child, 0, 0)          # PTRACE_ATTACH to its own child
attach_errno = ctypes.get_errno()
class iovec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]
buf = ctypes.create_string_buffer(64)
local = iovec(ctypes.cast(buf, ctypes.c_void_p), 64)
remote = iovec(ctypes.cast(buf, ctypes.c_void_p), 64)
read = libc.process_vm_readv(child, ctypes.byref(local), 1, ctypes.byref(remote), 1, 0)
[attach, os.strerror(attach_errno), read, os.strerror(ctypes.get_errno())]
"""


@pytest.mark.parametrize("mode", MODES)
def test_ptrace_and_process_vm_are_denied(graders: dict[str, Grader], mode: str) -> None:
    assert observe(graders[mode], PTRACE) == [-1, "Operation not permitted", -1,
                                              "Operation not permitted"]


NAMESPACES = """
import ctypes, os, subprocess
libc = ctypes.CDLL(None, use_errno=True)
tried = {}
for name, flag in [("user", 0x10000000), ("mount", 0x20000), ("net", 0x40000000)]:
    tried[name] = (libc.unshare(flag), os.strerror(ctypes.get_errno()))
tried["unshare -U"] = subprocess.run(["unshare", "-U", "true"], capture_output=True).returncode
tried
"""


@pytest.mark.parametrize("mode", MODES)
def test_no_namespaces_can_be_created_inside(graders: dict[str, Grader], mode: str) -> None:
    got = observe(graders[mode], NAMESPACES)
    assert got["user"] == got["mount"] == got["net"] == [-1, "Operation not permitted"]
    assert got["unshare -U"] != 0


SYSCTL = """
import os
tried = {}
for name in ("kernel/core_pattern", "kernel/hostname", "vm/drop_caches",
             "user/max_user_namespaces"):
    try:
        with open("/proc/sys/" + name, "w") as f:
            f.write("|/tmp/pwned")
        tried[name] = "written"
    except OSError as e:
        tried[name] = os.strerror(e.errno)
tried
"""


@pytest.mark.parametrize("mode", MODES)
def test_proc_sys_is_read_only(graders: dict[str, Grader], mode: str) -> None:
    before = Path("/proc/sys/kernel/core_pattern").read_text()
    got = observe(graders[mode], SYSCTL)
    assert set(got.values()) <= {"Read-only file system", "Permission denied"}, got
    assert Path("/proc/sys/kernel/core_pattern").read_text() == before


IDENTITY = """
import os
outside = int(open("/proc/self/uid_map").read().split()[1])
caps = int([l for l in open("/proc/self/status") if l.startswith("CapEff")][0].split()[1], 16)
nnp = [l for l in open("/proc/self/status") if l.startswith("NoNewPrivs")][0].split()[1]
seccomp = [l for l in open("/proc/self/status") if l.startswith("Seccomp:")][0].split()[1]
[os.getuid(), outside, caps, nnp, seccomp]
"""


@pytest.mark.parametrize("mode", MODES)
def test_learner_runs_unprivileged_under_seccomp(graders: dict[str, Grader], mode: str) -> None:
    me, outside, caps, no_new_privs, seccomp = observe(graders[mode], IDENTITY)
    assert outside != 0, "the sandbox's uid 0 is never host root"
    assert caps == 0 and no_new_privs == "1" and seccomp == "2"
    if ROOT:  # a user namespace with many uids: not the supervisor's uid 0
        assert me != 0


MEMFD = """
import ctypes, os
libc = ctypes.CDLL(None)
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int,
                      ctypes.c_int, ctypes.c_long]
def sigma(n):
    chunk = b"x" * (2**20 - 4096)  # under the file size limit, one descriptor at a time
    for _ in range(2048):
        try:
            fd = os.memfd_create("hoard")
        except OSError as e:
            return os.strerror(e.errno)
        os.write(fd, chunk)
        libc.mmap(None, len(chunk), 3, 1, fd, 0)  # a shared mapping keeps it once closed
        os.close(fd)
    return 5
"""


@pytest.mark.parametrize("mode", MODES)
def test_memfd_hoarding_is_counted_or_refused(graders: dict[str, Grader], mode: str) -> None:
    result = graders[mode].grade(sigma(), MEMFD)
    assert graders[mode].grade(sigma(), GOOD).status == "pass"
    assert result.status != "pass"
    if cgroups.available():  # the memory cgroup counts memfd pages
        assert result.limit_exceeded == "memory", result.to_json()
    else:  # no cgroup to count them: memfds are refused
        assert "expected 5, got 'Operation not permitted'" in result.tests[0].message


TMPFS = """
import os
written = {}
for folder in ("/tmp", "/dev/shm"):
    n = 0
    try:
        while n < 200:
            with open(f"{folder}/hoard-{n}", "wb") as f:
                f.write(b"x" * (2**20 - 4096))
            n += 1
        written[folder] = [n, "no limit"]
    except OSError as e:
        written[folder] = [n, os.strerror(e.errno)]
written
"""


@pytest.mark.parametrize("mode", MODES)
def test_tmp_and_shm_are_capped(graders: dict[str, Grader], mode: str) -> None:
    got = observe(graders[mode], TMPFS)
    assert got["/tmp"][1] == got["/dev/shm"][1] == "No space left on device"
    assert got["/tmp"][0] <= 64 and got["/dev/shm"][0] <= 16


OUTSIDE_TMP = """
import os
tried = {}
for path in ("/leftover", "/dev/leftover", "/sandbox/leftover", "/usr/leftover", "/proc/leftover"):
    try:
        open(path, "w").write("x")
        tried[path] = "written"
    except OSError as e:
        tried[path] = os.strerror(e.errno)
tried
"""


@pytest.mark.parametrize("mode", MODES)
def test_only_tmp_and_shm_are_writable(graders: dict[str, Grader], mode: str) -> None:
    """The sandbox's root and /dev are shared by every job of a template: read-only."""
    got = observe(graders[mode], OUTSIDE_TMP)
    assert "written" not in got.values(), got


DESCRIPTORS = """
import os
fds = []
try:
    while len(fds) < 10000:
        fds.append(os.open("/dev/null", os.O_RDONLY))
except OSError as e:
    error = os.strerror(e.errno)
[len(fds) < 200, error]
"""


@pytest.mark.parametrize("mode", MODES)
def test_descriptors_are_limited(graders: dict[str, Grader], mode: str) -> None:
    assert observe(graders[mode], DESCRIPTORS) == [True, "Too many open files"]


SCRAPE = """
needle = bytes(c ^ 1 for c in {hidden!r})  # the reference's text, never spelt out here
found = 0
step = 8 * 2**20  # read in chunks: the whole address space would not fit the memory limit
with open("/proc/self/mem", "rb", buffering=0) as mem:
    for line in open("/proc/self/maps").read().splitlines():
        start, end = (int(x, 16) for x in line.split()[0].split("-"))
        if "r" not in line.split()[1] or end - start > 2**30:
            continue
        for offset in range(start, end, step):
            try:
                mem.seek(offset)
                data = mem.read(min(step + len(needle), end - offset))
            except OSError:
                break
            at = data.find(needle)
            while at >= 0:
                if not id(needle) <= offset + at < id(needle) + len(needle) + 64:
                    found += 1
                at = data.find(needle, at + 1)
            del data
found
"""


@pytest.mark.parametrize("mode", MODES)
def test_the_reference_solution_is_not_in_the_learners_memory(graders: dict[str, Grader],
                                                              mode: str) -> None:
    grader = graders[mode]
    reference = get_challenge("sigma").reference
    marker = "add i ** 2 for every i from 1 to n, then return the total"
    assert marker in reference
    grader.grade(sigma(), reference)  # the reference has run in this grader's sandbox
    hidden = bytes(c ^ 1 for c in marker.encode())
    assert observe(grader, SCRAPE.format(hidden=hidden)) == 0
    # The scraper does find the text where it is: in a job that was given the reference.
    assert observe(grader, SCRAPE.format(hidden=hidden), source=reference) >= 1


POISON = """
import os, sys, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:   # a daemon that waits for the next job and forges its records
        line = b'{"event": "obs", "index": 0, "value": [[0]], "stdout": "", "error": null}\\n'
        for _ in range(100):
            time.sleep(0.05)
            for pid in filter(str.isdigit, os.listdir("/proc")):
                for fd in range(20):
                    try:
                        os.write(os.open(f"/proc/{pid}/fd/{fd}", os.O_WRONLY), line)
                    except OSError:
                        pass
        os._exit(0)
    os._exit(0)
def sigma(n):
    return 0
"""


@pytest.mark.parametrize("mode", MODES)
def test_a_submission_cannot_poison_the_next_reference_run(graders: dict[str, Grader],
                                                           mode: str) -> None:
    grader = graders[mode]
    grader.grade(sigma(), POISON)
    slicing = get_challenge("slicing")
    right = grader.grade(slicing, strip_markers(slicing.reference))
    wrong = grader.grade(slicing, slicing.starter)
    assert right.status == "pass" and wrong.status != "pass"


def test_a_niced_grader_runs_learner_code_at_that_priority(graders: dict[str, Grader]) -> None:
    """`vibrastic worker --nice N`: the sandbox, and the learner's code forked in it, run at
    niceness N (a web server on the same host gets the CPU first); a plain grader at 0."""
    niced = Grader(warm=False, nice=7)
    try:
        assert observe(niced, "import os\nos.nice(0)") == 7
    finally:
        niced.close()
    assert observe(graders["cold"], "import os\nos.nice(0)") == 0
    with pytest.raises(ValueError, match="nice must be 0"):
        Grader(warm=False, nice=20).grade(sigma(), GOOD)
