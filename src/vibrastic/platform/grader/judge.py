"""The trusted judge: the verdict from the sandbox's plain observations (a pure function).

Everything it reads came from the learner's process, so every record is validated first (types,
sizes; a malformed record counts as missing), every check runs under a guard (an exception while
judging a test makes that test an ``error`` that names it, never a crash), and every message and
output is sanitised before anyone renders it (no terminal escapes, no bidi overrides).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any

from vibrastic.platform.grader.results import GradeResult, Limits, TestResult, cap

log = logging.getLogger(__name__)

LIMITS = ("timeout", "cpu", "memory", "processes", "output", "fsize")
SYNTAX_ERRORS = ("SyntaxError", "IndentationError", "TabError")
TEXT_CAP = 64 * 1024
# C0 controls but tab and newline, DEL, C1 controls (CSI is \x9b), and bidi overrides/isolates.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def clean(text: object) -> str:
    """Text safe to print in a terminal or a page: control and bidi characters removed."""
    return _UNSAFE.sub("", text if isinstance(text, str) else str(text))


def well_formed(events: list[dict], token: str, probes: int) -> bool:
    """The observer's records must carry the job's token and come in protocol order: one "load",
    then observations 0, 1, 2, … each once, then "end". Anything else means the submission wrote
    to the results channel itself, and the attempt is void."""
    expected = 0
    seen_load = seen_end = False
    for e in events:
        kind = e.get("event")
        if e.get("token") != token or seen_end:
            return False
        if kind == "load" and not seen_load and expected == 0:
            seen_load = True
        elif kind == "obs" and seen_load and e.get("index") == expected and expected < probes:
            expected += 1
        elif kind == "end" and seen_load:
            seen_end = True
        else:
            return False
    return True


def _text(value: Any) -> str:
    return value[:TEXT_CAP] if isinstance(value, str) else ""


def _error(value: Any) -> dict | None:
    """A validated error record, or None when there is none."""
    if not isinstance(value, dict):
        return None
    errno = value.get("errno")
    return {"type": _text(value.get("type"))[:100] or "Error",
            "message": _text(value.get("message"))[:500],
            "where": _text(value.get("where"))[:120],
            "errno": errno if isinstance(errno, int) and not isinstance(errno, bool) else None}


@dataclass
class Observations:
    """The validated content of one run: load record, observation per probe, how it ended."""

    load: dict | None = None
    probes: dict[int, dict] = field(default_factory=dict)
    done: dict | None = None
    limit: str | None = None
    tampered: bool = False

    @classmethod
    def read(cls, events: list[dict], done: dict | None) -> Observations:
        seen = cls(done=done if isinstance(done, dict) else None)
        for e in events:
            if not isinstance(e, dict):
                continue
            record = {"value": e.get("value"), "stdout": _text(e.get("stdout")),
                      "error": _error(e.get("error"))}
            index = e.get("index")
            if e.get("event") == "load" and seen.load is None:
                seen.load = record
            elif e.get("event") == "obs" and isinstance(index, int) and \
                    not isinstance(index, bool):
                seen.probes.setdefault(index, record)  # the first report of a probe counts
        if seen.done is not None:
            seen.tampered = bool(seen.done.get("tampered"))
            seen.limit = seen.done.get("limit") if seen.done.get("limit") in LIMITS else None
        return seen

    @property
    def output(self) -> str:
        text = self.load["stdout"] if self.load else ""
        return text + _text((self.done or {}).get("output"))


def limit_from_error(error: dict) -> str | None:
    """Exceptions that mean a limit was hit inside the observer (MemoryError, fork failing, …)."""
    kind, message = error["type"], error["message"]
    if kind in ("MemoryError", "_ArrayMemoryError") or "can't allocate memory" in message:
        return "memory"
    if kind == "OutputLimit":
        return "output"
    if kind == "BlockingIOError" and error["errno"] == 11:
        return "processes"
    if kind == "OSError" and error["errno"] == 27:  # EFBIG: file too large
        return "fsize"
    return None


def describe_error(error: dict, limits: Limits) -> str:
    limit = limit_from_error(error)
    if limit:
        return f"stopped by the {limits.describe(limit)}: {error['type']}"
    kind, message = error["type"], error["message"]
    text = f"{kind}{error['where']}: {message}"
    if kind == "NotImplementedError":
        return f"not written yet — {message or 'the starter still raises NotImplementedError'}"
    if kind == "NameError":
        return text + " (is the name spelled as in the statement, and defined at the top level?)"
    if kind == "RecursionError":
        return text + " (does the function call itself without ever stopping?)"
    if "'NoneType'" in message:  # the classic: a function without `return` gives None
        if not error["where"]:  # raised in the test's own code, on a value the learner gave
            return (f"your code gave None where the test needed a value: is a `return` "
                    f"missing? (the test then failed with {kind}: {message})")
        return text + " (a value here is None: does the function that made it `return` it?)"
    return text


def _ended_early(seen: Observations, limits: Limits) -> str:
    """Why a probe has no observation although the run did not hit a limit in it."""
    if seen.limit:
        return f"stopped by the {limits.describe(seen.limit)}"
    done = seen.done or {}
    sig = done.get("signal") if isinstance(done.get("signal"), str) else None
    code = done.get("exit_code")
    return ("the process ended before this test" + (f" (signal {sig})" if sig else "")
            + (f" (exit code {code})" if code not in (0, None) and not sig else ""))


def run_check(case: Any, got: dict, want: dict) -> tuple[str, str]:
    """(status, message) of one case's check, which never raises: a check that fails on a
    hostile or diverged value makes the test an error naming it."""
    try:
        problem = case.check(got, want)
    except Exception as exc:  # a check must not crash the grader
        log.info("check of %r raised %s", case.name, type(exc).__name__)
        return "error", (f"the grader could not judge this test's value "
                         f"({type(exc).__name__}); is it the kind of value the statement asks "
                         "for?")
    if problem is None:
        return "pass", ""
    probe = case.code.strip()
    problem = str(problem)
    return "fail", (f"{probe}: {problem}" if "\n" not in probe and len(probe) < 60 else problem)


@dataclass
class _Progress:
    stopped_at: int | None = None
    probe_limit: str | None = None  # the first limit a probe hit inside the observer


def judge_case(case: Any, position: int, obs: dict | None, want: dict, seen: Observations,
               progress: _Progress, load_problem: str | None, limits: Limits) -> TestResult:
    """The verdict on one test."""
    test = TestResult(case.name, "fail", 0.0, float(case.points), case.hidden)
    if obs is None and progress.probe_limit:
        test.status = "not run"
        test.message = f"not run: an earlier test hit the {limits.describe(progress.probe_limit)}"
    elif obs is None and progress.stopped_at is None:
        progress.stopped_at = position
        test.status, test.message = "error", _ended_early(seen, limits)
    elif obs is None:
        test.status, test.message = "not run", "not run: an earlier test stopped the run"
    elif obs["error"]:
        test.status = "error"
        test.message = describe_error(obs["error"], limits)
        progress.probe_limit = progress.probe_limit or limit_from_error(obs["error"])
        if load_problem and obs["error"]["type"] == "NameError":
            test.message = load_problem
    else:
        test.status, test.message = run_check(case, obs, want)
        if test.status == "pass":
            test.points = float(case.points)
    if obs is not None and not case.hidden:
        test.output = cap(clean(obs["stdout"]))
    if case.hidden and test.status != "pass":
        test.message = "hidden test failed" + (
            f": {test.message}" if test.message.startswith("stopped by") else
            " (its inputs are not shown; try the edge cases the statement mentions)")
    elif test.status != "pass":
        test.hint = case.hint
    test.message = clean(test.message)
    return test


def judge(challenge: Any, chosen: list, expected: list[dict], events: list[dict],
          done: dict | None, limits: Limits) -> GradeResult:
    """Turn the sandbox's observations into a verdict. Pure function of plain data: trusted."""
    seen = Observations.read(events, done)
    result = GradeResult(challenge=challenge.name, status="fail", score=0.0,
                         max_score=float(sum(c.points for _, c in chosen)),
                         output=cap(clean(seen.output)), limits=limits)
    load_error = seen.load["error"] if seen.load else None
    if load_error and load_error["type"] in SYNTAX_ERRORS:
        result.status = "error"
        result.message = clean(f"{load_error['type']}{load_error['where']}: "
                               f"{load_error['message']}")
        result.tests = [TestResult(c.name, "not run", 0.0, float(c.points), c.hidden)
                        for _, c in chosen]
        return result
    load_problem = "your file raised " + describe_error(load_error, limits) if load_error else None
    progress = _Progress()
    for position, (i, case) in enumerate(chosen):
        result.tests.append(judge_case(case, position, seen.probes.get(position), expected[i],
                                       seen, progress, load_problem, limits))
    result.score = float(sum(t.points for t in result.tests))
    _overall(result, seen, progress, load_problem, limits)
    return result


def _overall(result: GradeResult, seen: Observations, progress: _Progress,
             load_problem: str | None, limits: Limits) -> None:
    limit = progress.probe_limit or seen.limit
    if limit:
        result.limit_exceeded = limit
        result.status, result.message = "error", f"stopped by the {limits.describe(limit)}"
    elif seen.done is None:
        result.status = "error"
        result.message = "the sandbox stopped answering"
    elif all(t.passed for t in result.tests):
        result.status = "pass"
    elif progress.stopped_at is not None:
        result.status, result.message = "error", result.tests[progress.stopped_at].message
    else:
        result.status, result.message = "fail", load_problem or ""
    if seen.tampered:
        result.status, result.score = "error", 0.0
        for test in result.tests:
            if test.status == "pass":
                test.status, test.points = "error", 0.0
        result.message = ("the submission wrote to the grader's results channel: "
                          "this attempt is void")
    result.message = clean(result.message)
