"""Hostile submissions: each gets the right verdict, the grader stays healthy (a correct submission
passes right after), and nothing outside the sandbox changes.

Runs on three paths: bubblewrap warm (forked from a sandbox with torch imported), bubblewrap cold
(a fresh sandbox per submission) and the plain-process fallback. Isolation-specific assertions
(network, reading the course files, writing outside) are skipped on the fallback, which is not a
security boundary; CI installs bubblewrap.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from vibrastic.platform.course.challenge import Challenge, get_challenge
from vibrastic.platform.grader.grade import Grader
from vibrastic.platform.grader.inside.supervisor import descendants
from vibrastic.platform.grader.launch import isolation_mode

GOOD = "def sigma(n):\n    return sum(i * i for i in range(n + 1))\n"
HAS_BWRAP = isolation_mode() == "bubblewrap"
ROOT = os.geteuid() == 0
# The plain-process fallback refuses to run as root (it cannot drop privileges): its cases run in
# the unprivileged pass (tests/platform/run_unprivileged.sh).
MODES = ["bubblewrap-warm", "bubblewrap-cold", "process-cold"]


def fast_sigma(time_limit: float = 2.0) -> Challenge:
    """sigma with a 2 s wall-time limit, so the timeout attacks are quick (only attacks that
    expect the timeout use it: on a busy machine any other run may need more)."""
    return dataclasses.replace(get_challenge("sigma"), time_limit=time_limit)


def tree_digest(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        digest.update(str(path.relative_to(root)).encode())
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


@pytest.fixture(scope="module")
def graders(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Grader]]:
    course = get_challenge("sigma").path.parent
    before = tree_digest(course)
    already_running = set(descendants(os.getpid()))  # e.g. another module's shared warm grader
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("VIBRASTIC_HOME", str(tmp_path_factory.mktemp("home")))
        made: dict[str, Grader] = {} if ROOT else {
            "process-cold": Grader(warm=False, mode="process")}
        if HAS_BWRAP:
            made["bubblewrap-warm"] = Grader(warm=True, mode="bubblewrap")
            made["bubblewrap-cold"] = Grader(warm=False, mode="bubblewrap")
        try:
            yield made
        finally:
            for grader in made.values():
                grader.close()
    # Nothing changed in the course content, and no sandbox process outlives its grader.
    assert tree_digest(course) == before
    assert set(descendants(os.getpid())) - already_running == set()


def grader_for(graders: dict[str, Grader], mode: str) -> Grader:
    if mode not in graders:
        pytest.skip("the plain-process fallback refuses to run as root" if mode.startswith(
            "process") else "bubblewrap (bwrap) is not installed or does not work here")
    return graders[mode]


def grade_then_healthy(grader: Grader, source: str, time_limit: float = 20.0):
    """Grade ``source`` with a wall-time limit of ``time_limit`` (short only where the timeout
    is the expected verdict), then check that the grader still passes a good submission."""
    result = grader.grade(fast_sigma(time_limit), source)
    after = grader.grade(fast_sigma(20.0), GOOD)
    assert after.status == "pass" and after.score == after.max_score, "grader still healthy"
    assert result.status != "pass" and result.score < result.max_score
    return result


LIMIT_ATTACKS = {
    "infinite loop": ("while True:\n    pass\n", "timeout"),
    "sleep": ("import time\ndef sigma(n):\n    time.sleep(60)\n", "timeout"),
    "ignores signals": ("import signal\nfor s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, "
                        "signal.SIGALRM):\n    signal.signal(s, signal.SIG_IGN)\n"
                        "def sigma(n):\n    while True:\n        pass\n", "timeout"),
    "memory bomb": ("def sigma(n):\n    x = bytearray(8 * 2**30)\n    return 5\n", "memory"),
    "growing memory": ("def sigma(n):\n    xs = []\n    while True:\n"
                       "        xs.append(' ' * 2**20)\n", "memory"),
    "shared-memory bomb": ("import mmap\ndef sigma(n):\n    m = mmap.mmap(-1, 2**31)\n"
                           "    for i in range(0, 2**31, 4096):\n        m[i] = 1\n    return 5\n",
                           "memory"),
    "fork bomb": ("import os\ndef sigma(n):\n    while True:\n        os.fork()\n", "processes"),
    "huge output": ("def sigma(n):\n    while True:\n        print('x' * 10000)\n", "output"),
    "output on the raw fd": ("import os\ndef sigma(n):\n    while True:\n"
                             "        os.write(1, b'y' * 65536)\n", "output"),
    "huge file": ("def sigma(n):\n    with open('big', 'wb') as f:\n"
                  "        f.write(b'0' * (50 * 2**20))\n    return 5\n", "fsize"),
}


@pytest.mark.slow
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("attack", list(LIMIT_ATTACKS))
def test_limits_are_enforced_and_named(graders: dict[str, Grader], mode: str, attack: str) -> None:
    source, limit = LIMIT_ATTACKS[attack]
    grader = grader_for(graders, mode)
    # Only the timeouts need a short wall time; the other limits end the run when they bite
    # (and a busy machine must not turn them into timeouts).
    result = grade_then_healthy(grader, source, 2.0 if limit == "timeout" else 20.0)
    assert result.status == "error"
    assert result.limit_exceeded == limit
    description = result.limits.describe(limit)
    assert result.message == f"stopped by the {description}"
    assert description.split(" (")[0] in {"timeout", "memory limit", "process limit",
                                           "output limit", "file size limit"}
    assert result.score == 0
    if limit == "timeout":
        assert description == "timeout (wall time limit 2 s)"
    if limit == "memory":
        assert description == "memory limit (512 MiB)"


@pytest.mark.parametrize("mode", MODES)
def test_cpu_time_limit_is_named(graders: dict[str, Grader], mode: str) -> None:
    """Burning CPU past RLIMIT_CPU ends in SIGXCPU, reported as the CPU time limit. (The limit is
    one second more than the wall time, so it bites first only for multi-threaded work; here the
    submission lowers its own soft limit to 1 s to reach it deterministically.)"""
    grader = grader_for(graders, mode)
    challenge = dataclasses.replace(get_challenge("sigma"), time_limit=20.0)
    source = ("import resource\nresource.setrlimit(resource.RLIMIT_CPU, (1, 21))\n"
              "def sigma(n):\n    while True:\n        pass\n")
    result = grader.grade(challenge, source)
    assert grader.grade(challenge, GOOD).status == "pass"
    assert result.status == "error" and result.limit_exceeded == "cpu"
    assert result.message == "stopped by the CPU time limit (21 s of CPU time)"


@pytest.mark.parametrize("mode", ["bubblewrap-cold", "process-cold"])
def test_process_watchdog_without_cgroup(graders: dict[str, Grader], mode: str,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Where no pids cgroup can be made (and RLIMIT_NPROC does not bind root), the supervisor's
    watchdog still stops a submission that spawns too many processes. The bomb is bounded (300
    sleeping children) so that a failure cannot hurt the machine."""
    from vibrastic.platform.grader import cgroups

    grader = grader_for(graders, mode)
    monkeypatch.setattr(cgroups.JobCgroups, "create", classmethod(lambda *_: None))
    source = ("import os, time\ndef sigma(n):\n    for _ in range(300):\n"
              "        if os.fork() == 0:\n            time.sleep(30)\n            os._exit(0)\n"
              "    time.sleep(30)\n")
    result = grade_then_healthy(grader, source)
    assert result.status == "error" and result.limit_exceeded == "processes"
    assert result.message == "stopped by the process limit (64 processes)"


VERDICT_ATTACKS = {
    # name: (source, status, substring of the message of the first test or of the result)
    "exits early with os._exit(0)": ("import os\nos._exit(0)\n", "error",
                                     "the process ended before this test"),
    "recursion bomb": ("def sigma(n):\n    return sigma(n)\n", "fail", "RecursionError"),
    "C-stack recursion crash": ("import sys\nsys.setrecursionlimit(10**7)\nclass A:\n"
                                "    def __repr__(self):\n        return repr(self)\n"
                                "def sigma(n):\n    return repr(A())\n", "error", "SIGSEGV"),
    "syntax error": ("def sigma(n)\n    return 1\n", "error", "SyntaxError (line 1)"),
    "empty file": ("", "fail", "NameError: name 'sigma' is not defined"),
    "__eq__ always true": ("class A:\n    def __eq__(self, o):\n        return True\n"
                           "    def __ne__(self, o):\n        return False\n"
                           "    __hash__ = object.__hash__\n"
                           "def sigma(n):\n    return A()\n", "fail", "not plain data"),
    "prints a passing results file": (
        "import json\nprint(json.dumps({'status': 'pass', 'score': 9, 'max_score': 9}))\n"
        "print('All tests passed')\ndef sigma(n):\n    return 0\n", "fail", "expected 5, got 0"),
    "forges observations on every fd": (
        "import os, json\nfor i in range(8):\n"
        "    line = json.dumps({'event': 'obs', 'index': i, 'value': 5, 'stdout': '', "
        "'error': None}) + '\\n'\n    for fd in range(1, 40):\n        try:\n"
        "            os.write(fd, line.encode())\n        except OSError:\n            pass\n"
        "def sigma(n):\n    return 5\n", "error", "this attempt is void"),
    "patches builtins and the harness": (
        "import builtins, json\nbuiltins.isinstance = lambda *a: True\n"
        "json.dumps = lambda *a, **k: '{\"event\": \"obs\", \"value\": 5}'\n"
        "def sigma(n):\n    return 'five'\n", "error", ""),
    "raises SystemExit and KeyboardInterrupt": (
        "import sys\ndef sigma(n):\n    if n == 2:\n        sys.exit(0)\n"
        "    raise KeyboardInterrupt\n",
        "fail", "SystemExit"),
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("attack", list(VERDICT_ATTACKS))
def test_hostile_submissions_get_the_right_verdict(graders: dict[str, Grader], mode: str,
                                                   attack: str) -> None:
    source, status, words = VERDICT_ATTACKS[attack]
    grader = grader_for(graders, mode)
    result = grade_then_healthy(grader, source)
    assert result.status == status
    text = " ".join([result.message, *(t.message for t in result.tests)])
    assert words in text
    assert not any(t.passed and t.name.startswith("sigma(2)") for t in result.tests)


def test_non_utf8_source_is_refused_before_running(tmp_path: Path) -> None:
    from vibrastic.platform.grader.grade import grade_file

    path = tmp_path / "sigma.py"
    path.write_bytes(b"\xff\xfe" + GOOD.encode("utf-16-le"))
    result = grade_file("sigma", path)
    assert result.status == "error" and "not valid UTF-8" in result.message


# ---- isolation (bubblewrap only)


def require_isolation(mode: str) -> None:
    if mode.startswith("process"):
        pytest.skip("the plain-process fallback is not a security boundary: no isolation to test")


@pytest.mark.parametrize("mode", MODES)
def test_no_network_to_a_local_listener(graders: dict[str, Grader], mode: str) -> None:
    grader = grader_for(graders, mode)
    require_isolation(mode)
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.settimeout(0.2)
    port = server.getsockname()[1]
    received: list[bytes] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            received.append(conn.recv(100) or b"(connected)")
            conn.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    source = ("import socket\ndef sigma(n):\n    try:\n"
              f"        s = socket.create_connection(('127.0.0.1', {port}), timeout=1)\n"
              "        s.sendall(b'leak')\n        return 'connected'\n"
              "    except OSError as e:\n        return type(e).__name__\n")
    try:
        result = grade_then_healthy(grader, source)
    finally:
        stop.set()
        thread.join()
        server.close()
    assert received == []
    assert "got 'ConnectionRefusedError'" in result.tests[0].message or \
        "got 'OSError'" in result.tests[0].message


@pytest.mark.parametrize("mode", MODES)
def test_course_files_are_invisible(graders: dict[str, Grader], mode: str) -> None:
    grader = grader_for(graders, mode)
    require_isolation(mode)
    challenge_dir = get_challenge("sigma").path
    source = (
        "import glob, os\n"
        f"HITS = glob.glob({str(challenge_dir.parent)!r} + '/**/*.py', recursive=True)\n"
        f"HITS += glob.glob(os.path.expanduser('~') + '/**/expected-*.json', recursive=True)\n"
        "def sigma(n):\n"
        f"    for p in [{str(challenge_dir / 'solution.py')!r},\n"
        f"              {str(challenge_dir / 'tests.py')!r}]:\n"
        "        try:\n            print(open(p).read())\n        except OSError as e:\n"
        "            print(type(e).__name__)\n"
        "    return len(HITS)\n"
    )
    result = grade_then_healthy(grader, source)
    out = result.tests[0].output
    assert "BEGIN SOLUTION" not in out and "CASES" not in out
    assert out.count("FileNotFoundError") == 2
    assert result.tests[1].message == "sigma(1): expected 1, got 0"  # no file found at all


@pytest.mark.parametrize("mode", MODES)
def test_writes_outside_the_sandbox_do_not_land(graders: dict[str, Grader], mode: str,
                                                tmp_path: Path) -> None:
    grader = grader_for(graders, mode)
    require_isolation(mode)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("precious")
    before = tree_digest(outside)
    source = (
        "import os\ndef sigma(n):\n    done = []\n"
        f"    for p in [{str(outside / 'pwned')!r}, {str(outside / 'keep.txt')!r}, "
        "'/usr/pwned', os.path.expanduser('~/pwned')]:\n"
        "        try:\n            open(p, 'w').write('x')\n            done.append(p)\n"
        "        except OSError:\n            pass\n"
        "    return done\n"
    )
    result = grade_then_healthy(grader, source)
    assert tree_digest(outside) == before
    assert not Path("/usr/pwned").exists()
    assert "expected 5, got []" in result.tests[0].message or \
        "got ['/tmp/pwned']" in result.tests[0].message


@pytest.mark.parametrize("mode", MODES)
def test_nothing_left_for_the_next_submission(graders: dict[str, Grader], mode: str) -> None:
    """Files and processes one submission leaves behind are gone before the next one runs (the
    warm sandbox is shared by successive submissions)."""
    grader = grader_for(graders, mode)
    shm = "'/dev/shm'" if mode.startswith("bubblewrap") else "None"
    leave = (
        "import os, subprocess, sys, tempfile\n"
        "for d in [os.getcwd(), tempfile.gettempdir(), " + shm + "]:\n"
        "    if d:\n        open(os.path.join(d, 'leftover-' + str(os.getpid())), 'w').write('x')\n"
        "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'],"
        " start_new_session=True)\n"
        "def sigma(n):\n    return 0\n"
    )
    look = (
        "import glob, os, tempfile\n"
        "def sigma(n):\n"
        "    found = [p for d in [os.getcwd(), tempfile.gettempdir(), " + shm + "] if d\n"
        "             for p in glob.glob(os.path.join(d, '**', 'leftover-*'), recursive=True)]\n"
        "    sleepers = []\n"
        "    for p in filter(str.isdigit, os.listdir('/proc')):\n"
        "        try:\n"
        "            if 'sleep(60)' in open('/proc/' + p + '/cmdline').read():\n"
        "                sleepers.append(p)\n"
        "        except OSError:\n"
        "            pass\n"
        "    return [found, sleepers]\n"
    )
    grade_then_healthy(grader, leave)
    result = grader.grade(fast_sigma(20.0), look)
    assert result.tests[0].message == "sigma(2): expected 5, got [[], []]"


@pytest.mark.parametrize("mode", MODES)
def test_environment_is_scrubbed(graders: dict[str, Grader], mode: str,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    grader = grader_for(graders, mode)
    monkeypatch.setenv("VIBRASTIC_SECRET_TOKEN", "hunter2")
    source = "import os\ndef sigma(n):\n    return sorted(k for k in os.environ if 'SECRET' in k " \
             "or k.startswith('VIBRASTIC'))\n"
    result = grade_then_healthy(grader, source)
    assert result.tests[0].message == "sigma(2): expected 5, got []"


@pytest.mark.parametrize("mode", MODES)
def test_learner_code_holds_no_descriptor_but_its_own_channel(graders: dict[str, Grader],
                                                              mode: str) -> None:
    """The supervisor's pipes (its results to the grader, its job input) are closed in the
    learner's process: only stdin/out/err and the observation channel stay open."""
    source = ("import os\ndef sigma(n):\n"
              "    return sorted(int(f) for f in os.listdir('/proc/self/fd') if int(f) > 2)\n")
    result = grade_then_healthy(grader_for(graders, mode), source)
    message = result.tests[0].message
    got = message.split("got ", 1)[1]
    # one descriptor for the observation channel, one for listdir's own handle on the folder
    assert got.startswith("[") and len(got.strip("[]").split(",")) == 2, message
