"""A checker that cannot crash: hostile or diverged values, checks that raise, and messages that
try to paint the terminal all end in a verdict that names the test, with sanitised text."""

from __future__ import annotations

import dataclasses
import math

from vibrastic.platform.course.challenge import get_challenge
from vibrastic.platform.course.checks import Case, approx, satisfies
from vibrastic.platform.grader.grade import Grader, limits_for
from vibrastic.platform.grader.judge import clean, judge

SIGMA = get_challenge("sigma")
LIMITS = limits_for(SIGMA, 64)
DONE = {"event": "done", "limit": None, "exit_code": 0}
ESC = "\x1b[2K\r\x1b[32mPASS\x1b[0m \u202eSSAP\x9b"


def run(cases: list[Case], observations: list[dict], expected: list[dict] | None = None):
    chosen = list(enumerate(cases))
    events = [{"event": "load", "error": None, "stdout": ""}] + [
        dict(o, event="obs", index=i) for i, o in enumerate(observations)]
    return judge(dataclasses.replace(SIGMA, cases=tuple(cases)), chosen,
                 expected or [{"value": 5, "stdout": ""}] * len(cases), events, DONE, LIMITS)


def test_hostile_values_never_reach_arithmetic() -> None:
    cases = [Case(f"case {i}", "sigma(2)", approx()) for i in range(6)]
    values = [10**400, float("nan"), {"__float__": "inf"}, [[[[5]]]], "5", None]
    result = run(cases, [{"value": v, "stdout": "", "error": None} for v in values])
    assert [t.status for t in result.tests] == ["fail"] * 6
    assert result.tests[0].message.startswith("sigma(2): expected 5, got 1000000")
    assert "expected a finite number" in result.tests[1].message or \
        "got nan" in result.tests[1].message


def test_malformed_records_count_as_missing_not_as_crashes() -> None:
    cases = [Case("a", "sigma(2)"), Case("b", "sigma(2)"), Case("c", "sigma(2)")]
    forged = [{"value": 5, "stdout": 42, "error": "not a dict"},
              {"value": 5, "stdout": ["x"], "error": {"type": 7, "message": None, "errno": "x"}},
              {"value": 5}]
    result = run(cases, forged)
    assert result.tests[0].status == "pass"  # a non-dict error is no error; bad stdout is ""
    assert result.tests[1].status == "error" and result.tests[1].message.startswith("Error: ")
    assert result.tests[2].status == "pass"


def test_a_check_that_raises_is_an_error_naming_the_test() -> None:
    def explode(value: object) -> str | None:
        return None if math.exp(value) > 0 else "never"  # OverflowError on huge weights

    case = Case("the network learned (weights)", "weights", satisfies(explode))
    result = run([case], [{"value": 10_000.0, "stdout": "", "error": None}])
    test = result.tests[0]
    assert test.status == "error" and test.name == "the network learned (weights)"
    assert test.message == ("the grader could not judge this test's value (OverflowError); is it "
                            "the kind of value the statement asks for?")
    assert result.status == "fail"


def test_messages_and_output_are_sanitised() -> None:
    case = Case("sigma(2)", "sigma(2)", approx())
    error = {"type": "ValueError", "message": ESC, "where": " (line 1)", "errno": None}
    result = run([case, case], [
        {"value": None, "stdout": ESC, "error": error},
        {"value": {"__type__": "x.A", "__repr__": ESC}, "stdout": ESC, "error": None}])
    texts = [result.output, result.message] + [t.message for t in result.tests] + [
        t.output for t in result.tests]
    for text in texts:
        assert clean(text) == text
        assert not any(c in text for c in "\x1b\r\u202e\x9b")
    assert result.tests[0].message == "ValueError (line 1): [2K[32mPASS[0m SSAP"


def test_escape_codes_from_a_real_submission_are_removed() -> None:
    source = ("class A:\n    def __repr__(self):\n        return " + repr(ESC) + "\n"
              "def sigma(n):\n    print(" + repr(ESC) + ")\n"
              "    if n == 2:\n        raise ValueError(" + repr(ESC) + ")\n    return A()\n")
    with Grader() as grader:
        result = grader.grade(SIGMA, source)
    assert result.status == "fail"
    for text in [result.message, result.output] + [t.message for t in result.tests] + [
            t.output for t in result.tests]:
        assert "\x1b" not in text and "\u202e" not in text and "\x9b" not in text
    assert result.tests[0].message.startswith("ValueError (line 7): [2K")


def test_none_from_a_missing_return_is_named_where_it_surfaces() -> None:
    """In the test's own code (no line of the learner's file) and on a learner's line."""
    in_probe = {"type": "TypeError", "where": "", "errno": None,
                "message": "float() argument must be a string or a real number, not 'NoneType'"}
    on_line = {"type": "AttributeError", "where": " (line 6)", "errno": None,
               "message": "'NoneType' object has no attribute 'backward'"}
    result = run([Case("float", "float(sigma(2))"), Case("backward", "sigma(2)")],
                 [{"value": None, "error": in_probe, "stdout": ""},
                  {"value": None, "error": on_line, "stdout": ""}])
    assert [t.message for t in result.tests] == [
        "your code gave None where the test needed a value: is a `return` missing? (the test "
        "then failed with TypeError: float() argument must be a string or a real number, not "
        "'NoneType')",
        "AttributeError (line 6): 'NoneType' object has no attribute 'backward' (a value here "
        "is None: does the function that made it `return` it?)"]
