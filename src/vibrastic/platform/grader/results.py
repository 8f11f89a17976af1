"""The one results format of the grader (CLI now, web server later).

Modelled on Exercism's ``results.json`` (status pass/fail/error, per-test name, message, capped
output) plus PrairieLearn's points: ``score`` and ``max_score`` in points, and the run's limits.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Status = Literal["pass", "fail", "error"]
TestStatus = Literal["pass", "fail", "error", "not run"]

OUTPUT_CAP = 1000  # characters of a learner's output shown per test (Exercism shows 500)

#: Human names of the limits, as they appear in verdicts ("timeout (wall time limit 10 s)").
LIMIT_NAMES = {
    "timeout": "timeout",
    "cpu": "CPU time limit",
    "memory": "memory limit",
    "processes": "process limit",
    "output": "output limit",
    "fsize": "file size limit",
}


def cap(text: str, limit: int = OUTPUT_CAP) -> str:
    """Keep the first ``limit`` characters and say how many were cut."""
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n… [{len(text) - limit} more characters not shown]"


@dataclass
class Limits:
    """The resource limits one grading run had; every one is reported by name and value."""

    time: float  # wall-clock seconds
    cpu: int  # CPU seconds
    memory: int  # bytes (data segment per process and proportional memory of all processes)
    processes: int | None  # processes (and, with a pids cgroup, threads) of one submission
    output: int  # bytes of output
    fsize: int  # bytes per written file

    def describe(self, name: str) -> str:
        """``"timeout (wall time limit 10 s)"`` and friends."""
        value = {
            "timeout": f"wall time limit {self.time:g} s",
            "cpu": f"{self.cpu} s of CPU time",
            "memory": f"{self.memory // 2**20} MiB",
            "processes": f"{self.processes} processes",
            "output": f"{self.output // 1024} KiB of output",
            "fsize": f"{self.fsize // 1024} KiB per file",
        }[name]
        return f"{LIMIT_NAMES[name]} ({value})"

    def as_dict(self) -> dict[str, Any]:
        return {
            "wall_time_s": self.time,
            "cpu_time_s": self.cpu,
            "memory_bytes": self.memory,
            "processes": self.processes,
            "output_bytes": self.output,
            "file_size_bytes": self.fsize,
        }


@dataclass
class TestResult:
    """One test's verdict, message (what was expected, what came back) and the learner's output."""

    __test__ = False  # not a pytest test class

    name: str
    status: TestStatus
    points: float
    max_points: float
    hidden: bool = False
    message: str = ""
    output: str = ""
    hint: str = ""

    @property
    def passed(self) -> bool:
        return self.status == "pass"


@dataclass
class GradeResult:
    """The verdict on one submission, decided by the grader from the sandbox's observations."""

    challenge: str
    status: Status
    score: float
    max_score: float
    tests: list[TestResult] = field(default_factory=list)
    message: str = ""
    output: str = ""
    limit_exceeded: str | None = None  # a LIMIT_NAMES key, when a limit ended the run
    limits: Limits | None = None
    hidden_run: bool = True
    sandbox: str = ""  # "bubblewrap" or "process (not a security boundary)"
    seconds: float = 0.0
    version: int = 1
    extra: dict[str, Any] = field(default_factory=dict)  # a milestone's table and figures

    @property
    def passed(self) -> bool:
        return self.status == "pass"

    @property
    def summary(self) -> str:
        """One line for humans; never says "all passed" when hidden tests did not run."""
        public = [t for t in self.tests if not t.hidden]
        hidden = [t for t in self.tests if t.hidden]
        pub_ok = sum(t.passed for t in public)
        score = f"{self.score:g}/{self.max_score:g} points"
        if self.status == "error" and not any(t.status in ("pass", "fail") for t in self.tests):
            return f"error: {self.message}" if self.message else "error"
        if not self.hidden_run or not hidden:
            word = "public tests passed" if pub_ok == len(public) else (
                f"{pub_ok}/{len(public)} public tests passed")
            if not self.hidden_run:
                word += " (hidden tests not run)"
            return f"{word} — {score}"
        hid_ok = sum(t.passed for t in hidden)
        if pub_ok == len(public) and hid_ok == len(hidden):
            return f"all tests passed, hidden ones included — {score}"
        return (f"{pub_ok}/{len(public)} public and {hid_ok}/{len(hidden)} hidden tests passed"
                f" — {score}")

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["limits"] = self.limits.as_dict() if self.limits else None
        data["summary"] = self.summary
        if not self.extra:
            del data["extra"]
        return data

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GradeResult:
        """Rebuild a stored result (the store keeps ``to_json`` of every attempt)."""
        data = dict(data)
        data.pop("summary", None)
        limits = data.pop("limits", None)
        tests = [TestResult(**t) for t in data.pop("tests", [])]
        lim = None
        if limits:
            lim = Limits(time=limits["wall_time_s"], cpu=limits["cpu_time_s"],
                         memory=limits["memory_bytes"], processes=limits["processes"],
                         output=limits["output_bytes"], fsize=limits["file_size_bytes"])
        return cls(tests=tests, limits=lim, **data)
