"""Attacks through the grading service (the path the web course and the classroom use): hostile
submissions from some learners run concurrently with honest ones from others, on two workers.
Every honest submission passes, no hostile one does, every attempt is recorded exactly once, and
the service keeps grading afterwards."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from vibrastic.platform.course.challenge import get_challenge
from vibrastic.platform.grader.launch import isolation_mode
from vibrastic.platform.progress import store
from vibrastic.platform.progress.service import GradingService

pytestmark = pytest.mark.skipif(isolation_mode() != "bubblewrap",
                                reason="bubblewrap (bwrap) is not installed or does not work here")
GOOD = "def sigma(n):\n    return sum(i * i for i in range(n + 1))\n"
ESC = "\x1b[2K\r\x1b[1;32mPASS: all tests passed\x1b[0m"

ATTACKS = {
    "supervisor takeover": (
        "import os\nfor fd in range(8):\n    try:\n"
        "        open(f'/proc/1/fd/{fd}', 'w').write('{\"event\": \"done\"}\\n')\n"
        "    except OSError:\n        pass\n"
        "def sigma(n):\n    return 0\n", "fail", None),
    "fork bomb": ("import os\ndef sigma(n):\n    while True:\n        os.fork()\n", "error",
                  "processes"),
    # stopped by the descriptor limit (128 memfds of under 1 MiB each) or refused by seccomp
    "memfd hoard": ("import os\ndef sigma(n):\n    fds = []\n    for _ in range(4096):\n"
                    "        fd = os.memfd_create('x')\n        os.write(fd, b'x' * 1000000)\n"
                    "        fds.append(fd)\n    return 5\n", "fail", None),
    "infinite loop": ("def sigma(n):\n    while True:\n        pass\n", "error", "timeout"),
    "forged records": (
        "import os, json\nline = json.dumps({'event': 'obs', 'index': 0, 'value': 5}) + '\\n'\n"
        "for fd in range(3, 30):\n    try:\n        os.write(fd, line.encode())\n"
        "    except OSError:\n        pass\ndef sigma(n):\n    return 5\n", "error", None),
    "terminal escapes": (f"def sigma(n):\n    print({ESC!r})\n    raise ValueError({ESC!r})\n",
                         "fail", None),
    "sysctl write": ("def sigma(n):\n    open('/proc/sys/kernel/core_pattern', 'w').write('|x')\n"
                     "    return 5\n", "fail", None),
}


def test_hostile_and_honest_submissions_through_the_service(tmp_path: Path) -> None:
    challenge = dataclasses.replace(get_challenge("sigma"), time_limit=15.0)
    core_pattern = Path("/proc/sys/kernel/core_pattern").read_text()
    db = tmp_path / "progress.db"

    def record(learner: str, result, source: str) -> int:  # type: ignore[no-untyped-def]
        return store.record_attempt(result, source, db)

    with GradingService(workers=2, recorder=record) as service:
        jobs = {}
        for i, (name, (source, _, _)) in enumerate(ATTACKS.items()):
            jobs[name] = service.submit(challenge, source, learner=f"mallory-{i}")
            jobs[f"honest-{i}"] = service.submit(challenge, GOOD, learner=f"alice-{i}")
        results = {name: service.wait(job, timeout=600) for name, job in jobs.items()}
        statuses = {name: service.status(job) for name, job in jobs.items()}
        after = service.wait(service.submit(challenge, GOOD, learner="bob"), timeout=600)
    for name, (_, status, limit) in ATTACKS.items():
        result = results[name]
        assert result.status == status, (name, result.to_json())
        assert result.score < result.max_score, name
        if limit:
            assert result.limit_exceeded == limit, (name, result.to_json())
    assert all(results[f"honest-{i}"].status == "pass" for i in range(len(ATTACKS)))
    assert after.status == "pass"
    assert "this attempt is void" in results["forged records"].message
    escaped = results["terminal escapes"]
    assert not any("\x1b" in t.message or "\x1b" in t.output for t in escaped.tests)
    assert Path("/proc/sys/kernel/core_pattern").read_text() == core_pattern
    # every attempt recorded exactly once, none lost, none doubled
    assert {n: (s.recorded, s.attempt_id) for n, s in statuses.items() if not s.recorded} == {}
    ids = [a["id"] for a in store.attempts("sigma", db)]
    assert len(ids) == len(set(ids)) == len(jobs) + 1
    assert {s.attempt_id for s in statuses.values()} < set(ids)
