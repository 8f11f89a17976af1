"""The grader's verdicts: values, messages, the results format, the warm path, the judge itself."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from vibrastic.platform.course.challenge import get_challenge
from vibrastic.platform.course.checks import approx, printed, same
from vibrastic.platform.grader.grade import (
    Grader,
    GraderError,
    grade_file,
    grade_source,
    limits_for,
)
from vibrastic.platform.grader.judge import judge, well_formed
from vibrastic.platform.grader.launch import isolation_mode
from vibrastic.platform.grader.results import GradeResult

SIGMA_OK = "def sigma(n):\n    return sum(i * i for i in range(1, n + 1))\n"
SIGMA_OFF_BY_ONE = "def sigma(n):\n    return sum(i * i for i in range(1, n))\n"
TRIANGLE_BLANK_LINES = (
    "def triangle(h):\n    for i in range(1, h + 1):\n        print('*' * i)\n        print()\n")


def test_correct_sigma_passes_with_full_score() -> None:
    result = grade_source("sigma", SIGMA_OK)
    assert result.status == "pass"
    assert result.score == result.max_score == get_challenge("sigma").max_score == 9
    assert all(t.status == "pass" for t in result.tests)
    assert result.summary.startswith("all tests passed, hidden ones included")


def test_off_by_one_names_the_case_expected_and_got() -> None:
    result = grade_source("sigma", SIGMA_OFF_BY_ONE)
    assert result.status == "fail"
    first = result.tests[0]
    assert first.name == "sigma(2) is 5, as on the slide"
    assert first.status == "fail"
    assert first.message == "sigma(2): expected 5, got 1"
    assert first.hint  # a failing public test shows its hint
    # sigma(0) == 0 still passes: partial credit, in points
    zero = next(t for t in result.tests if t.name == "the empty sum")
    assert zero.status == "pass" and zero.hidden
    assert result.score == sum(t.points for t in result.tests if t.passed)
    assert 0 < result.score < result.max_score


def test_hidden_failures_do_not_reveal_inputs() -> None:
    result = grade_source(
        "sigma", "def sigma(n):\n    return 5 if n == 2 else (1 if n == 1 else 14)\n")
    hidden = [t for t in result.tests if t.hidden and not t.passed]
    assert hidden
    for t in hidden:
        assert t.message.startswith("hidden test failed")
        assert "385" not in t.message and t.output == "" and t.hint == ""


def test_public_only_says_public_tests_passed() -> None:
    result = grade_source("sigma", "def sigma(n):\n    return {1: 1, 2: 5, 3: 14}.get(n, 0)\n",
                          hidden=False)
    assert result.status == "pass"
    assert not result.hidden_run
    assert all(not t.hidden for t in result.tests)
    assert result.summary.startswith("public tests passed (hidden tests not run)")
    assert "all tests passed" not in result.summary
    full = grade_source("sigma", "def sigma(n):\n    return {1: 1, 2: 5, 3: 14}.get(n, 0)\n")
    assert full.status == "fail"  # the hidden tests catch the hard-coded answers


def test_printed_output_is_compared_line_by_line_and_shown() -> None:
    result = grade_source("triangle", TRIANGLE_BLANK_LINES)
    assert result.status == "fail"
    first = result.tests[0]
    assert first.message == "triangle(3): line 2: expected '**', got ''"
    assert first.output == "*\n\n**\n\n***\n\n"


def test_learner_output_is_capped() -> None:
    source = "def sigma(n):\n    print('z' * 5000)\n    return 0\n"
    result = grade_source("sigma", source)
    assert result.tests[0].output.startswith("z" * 1000)
    assert "more characters not shown" in result.tests[0].output
    assert len(result.tests[0].output) < 1100


def test_results_json_round_trip() -> None:
    result = grade_source("sigma", SIGMA_OFF_BY_ONE)
    data = json.loads(result.to_json())
    assert data["status"] == "fail" and data["max_score"] == 9
    assert {"name", "status", "message", "output", "points", "max_points", "hidden"} <= set(
        data["tests"][0])
    assert data["limits"]["wall_time_s"] == 5 and data["limits"]["memory_bytes"] == 512 * 2**20
    assert data["summary"] == result.summary
    again = GradeResult.from_dict(data)
    assert again.to_dict() == result.to_dict()


def test_non_utf8_file_is_an_error_verdict(tmp_path: Path) -> None:
    path = tmp_path / "sigma.py"
    path.write_bytes(b"def sigma(n):\n    return 0  # caf\xe9\n")
    result = grade_file("sigma", path)
    assert result.status == "error" and result.score == 0
    assert "not valid UTF-8" in result.message and "0xe9" in result.message
    assert all(t.status == "not run" for t in result.tests)


def test_syntax_error_names_the_line() -> None:
    result = grade_source("sigma", "x = 1\ndef sigma(n)\n    return 0\n")
    assert result.status == "error"
    assert result.message.startswith("SyntaxError (line 2)")
    assert all(t.status == "not run" for t in result.tests)


def test_starter_fails_with_not_written_yet() -> None:
    result = grade_source("sigma", get_challenge("sigma").starter)
    assert result.status == "fail" and result.score == 0
    assert result.tests[0].message.startswith("not written yet — TODO: add i ** 2")


def test_numbers_within_tolerance() -> None:
    # dg_dx with a float rounding difference far below the tolerance still passes
    source = get_challenge("partial-by-hand").reference.replace(
        "return y ** 2 - 2 * x * y", "return (y * y - 2.0 * x * y) * (1 + 1e-12)")
    assert grade_source("partial-by-hand", source).status == "pass"
    wrong = source.replace("DG_DX = 5", "DG_DX = 5.01")
    result = grade_source("partial-by-hand", wrong)
    assert result.tests[0].status == "fail"
    assert result.tests[0].message == (
        "DG_DX: 5.01 is not the right value (the expected one is not shown: work it out by hand)")


def test_same_is_strict_on_types_and_shapes() -> None:
    assert same(5, 5, 0, 0) is None
    assert same(5.0, 5, 0, 0) is None  # numbers compare by value ...
    assert same(True, 1, 0, 0) == "differs"  # ... but a bool is not a number
    assert same([1, 2], [1, 2, 3], 0, 0) == "expected 3 items, got 2"
    assert same({"a": 1.0000001}, {"a": 1.0}, 1e-6, 0) is None
    assert same([[1.0, 2.0]], [[1.0, 2.1]], 1e-6, 0) == "differs at [0][1]: 2.0 vs 2.1"
    assert same({"__type__": "x.A", "__repr__": "A()"}, 5, 0, 0).startswith(
        "expected a finite number")
    # hostile or diverged values are refused before any arithmetic
    assert same(10**400, 5.0, 1e-6, 0).startswith("expected a finite number")
    assert same(float("nan"), 5.0, 1e-6, 0).startswith("expected a finite number")
    assert same({"__float__": "inf"}, 5.0, 1e-6, 0) == "expected a finite number, got inf"


def test_judge_is_a_pure_function_of_observations() -> None:
    c = get_challenge("sigma")
    chosen = list(enumerate(c.cases))[:2]
    expected = [{"value": 5, "stdout": ""}, {"value": 1, "stdout": ""}]
    events = [{"event": "load", "error": None, "stdout": ""},
              {"event": "obs", "index": 0, "value": 5, "stdout": "", "error": None},
              {"event": "obs", "index": 1, "value": 2, "stdout": "hi\n", "error": None}]
    result = judge(c, chosen, expected + expected, events, {"limit": None, "exit_code": 0},
                   limits_for(c, 64))
    assert [t.status for t in result.tests] == ["pass", "fail"]
    assert result.score == 1 and result.status == "fail"
    assert result.tests[1].output == "hi\n"
    # A run cut by a limit: the test that was running is charged with it, later ones did not run.
    result = judge(c, list(enumerate(c.cases))[:3], expected * 2, events[:2],
                   {"limit": "timeout", "exit_code": -9}, limits_for(c, 64))
    assert [t.status for t in result.tests] == ["pass", "error", "not run"]
    assert result.tests[1].message == "stopped by the timeout (wall time limit 5 s)"
    assert result.status == "error" and result.limit_exceeded == "timeout"


def test_protocol_check_rejects_forged_or_reordered_records() -> None:
    tok = "t" * 32
    good = [{"event": "load", "token": tok}, {"event": "obs", "index": 0, "token": tok},
            {"event": "obs", "index": 1, "token": tok}, {"event": "end", "token": tok}]
    assert well_formed(good, tok, 2)
    assert not well_formed([good[0], good[1], good[1], good[3]], tok, 2)  # duplicate
    assert not well_formed([good[0], good[2], good[1]], tok, 2)  # out of order
    assert not well_formed([{"event": "obs", "index": 0, "token": tok}, *good], tok, 2)
    assert not well_formed([dict(good[0], token="x"), *good[1:]], tok, 2)
    assert not well_formed([*good, {"event": "obs", "index": 0, "token": tok}], tok, 2)


def test_printed_and_approx_checks() -> None:
    check = printed()
    assert check({"stdout": "*\n**  \n\n"}, {"stdout": "*\n**\n"}) is None
    assert check({"stdout": "*\n"}, {"stdout": "*\n**\n"}) == (
        "expected 2 lines, got 1; line 2 should be '**'")
    assert approx(1e-3)({"value": [1.0005]}, {"value": [1.0]}) is None


def test_warm_path_gives_the_same_verdicts() -> None:
    with Grader(warm=True) as warm:
        cold = Grader(warm=False)
        for source in (SIGMA_OK, SIGMA_OFF_BY_ONE, ""):
            a, b = warm.grade("sigma", source), cold.grade("sigma", source)
            assert (a.status, a.score, [t.status for t in a.tests]) == (
                b.status, b.score, [t.status for t in b.tests])
        assert warm.grade("autograd-g", get_challenge("autograd-g").reference).status == "pass"


def test_sandbox_label_says_when_it_is_not_a_boundary() -> None:
    assert Grader(mode="process").sandbox_label == "process (not a security boundary)"
    if os.geteuid() == 0:  # the fallback cannot drop privileges: it refuses to run as root
        with pytest.raises(GraderError, match="refusing to run submissions as root"):
            Grader(mode="process").grade("sigma", SIGMA_OK)
    else:
        result = Grader(mode="process").grade("sigma", SIGMA_OK)
        assert result.status == "pass" and result.sandbox.startswith("process")
    if isolation_mode() == "bubblewrap":
        assert grade_source("sigma", SIGMA_OK).sandbox == "bubblewrap"


def test_private_tmp_is_mounted_before_the_read_only_binds() -> None:
    """A checkout or virtualenv under /tmp (as in a CI clone) must be bound on top of the
    sandbox's private /tmp, not hidden by it."""
    from vibrastic.platform.grader.launch import bwrap_command

    before, binds, after = bwrap_command(["python"])
    args = before + [a for source, dest in binds for a in ("--ro-bind", source, dest)] + after
    tmpfs_at = next(i for i, a in enumerate(args) if a == "--tmpfs" and args[i + 1] == "/tmp")
    binds = [i for i, a in enumerate(args) if a in ("--ro-bind", "--bind")]
    assert binds and tmpfs_at < min(binds)


def test_wipe_empties_the_folder_but_leaves_mounted_trees_alone(tmp_path: Path) -> None:
    from vibrastic.platform.grader.inside.supervisor import wipe

    (tmp_path / "job" / "deep").mkdir(parents=True)
    (tmp_path / "job" / "deep" / "out.txt").write_text("left over")
    (tmp_path / "note.txt").write_text("left over")
    (tmp_path / "link").symlink_to(tmp_path / "job")
    wipe(str(tmp_path))
    assert list(tmp_path.iterdir()) == []
