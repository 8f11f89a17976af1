"""``check()``/``hint()`` in a notebook: the learner's file graded by the real sandboxed grader."""

from __future__ import annotations

from pathlib import Path

import pytest
from nbformat.v4 import new_code_cell, new_notebook

from vibrastic.faces.notebook import NotebookChallengeError, check, hint, hints, submission_path
from vibrastic.platform.course import load_course
from vibrastic.platform.course.challenge import get_challenge, strip_markers
from vibrastic.platform.course.execute import execute_notebook
from vibrastic.platform.course.export import build_notebook

SIGMA_SOLUTION = "def sigma(n):\n    return sum(i ** 2 for i in range(1, n + 1))\n"


@pytest.fixture(autouse=True)
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh working folder for each test (the progress store: conftest's learner_home)."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_check_grades_the_written_file_pass_and_fail(workspace: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    from vibrastic.platform.progress.store import challenge_statuses

    (workspace / "sigma.py").write_text(SIGMA_SOLUTION)
    verdict = check("sigma")
    assert verdict.status == "pass"
    assert verdict.score == verdict.max_score > 0
    assert repr(verdict) == f"<sigma: pass, {verdict.max_score:g}/{verdict.max_score:g} points>"
    out = capsys.readouterr().out
    assert out.startswith("sigma: PASS")
    assert "(hidden)" in out  # hidden tests ran too

    (workspace / "sigma.py").write_text("def sigma(n):\n    return n\n")
    verdict = check("sigma")
    assert verdict.status == "fail"
    assert 0 < verdict.score < verdict.max_score
    out = capsys.readouterr().out
    assert "sigma(2): expected 5, got 2" in out
    assert 'hint("sigma")' in out
    status = challenge_statuses()["sigma"]  # both attempts are in the progress store
    assert status["status"] == "passed" and status["attempts"] == 2


def test_the_learners_code_does_not_run_in_the_notebooks_process(workspace: Path) -> None:
    marker = workspace / "ran-here"
    (workspace / "sigma.py").write_text(
        f"import pathlib\npathlib.Path({str(marker)!r}).write_text('x')\n" + SIGMA_SOLUTION)
    check("sigma", quiet=True)
    assert not marker.exists()


def test_check_explains_a_missing_file_and_an_unknown_challenge(workspace: Path) -> None:
    with pytest.raises(NotebookChallengeError, match=r"%%writefile dict_legs\.py"):
        check("dict-legs")
    assert submission_path("dict-legs") == workspace / "dict_legs.py"
    with pytest.raises(NotebookChallengeError, match=r"expected one of: .*sigma"):
        check("no-such-challenge")


def test_check_grades_another_path(workspace: Path) -> None:
    other = workspace / "mine.py"
    other.write_text(SIGMA_SOLUTION)
    assert check("sigma", path=other, quiet=True).status == "pass"


def test_hints_come_in_order_and_the_last_repeats(capsys: pytest.CaptureFixture[str]) -> None:
    expected = hints("sigma")
    assert expected == list(get_challenge("sigma").hints) and len(expected) >= 2
    shown = [hint("sigma") for _ in range(len(expected) + 1)]
    assert shown[0] == f"sigma — hint 1/{len(expected)}: {expected[0]}"
    assert shown[-1] == shown[-2] == f"sigma — hint {len(expected)}/{len(expected)}: {expected[-1]}"
    assert capsys.readouterr().out.count("sigma — hint") == len(expected) + 1


def test_notebook_cells_write_the_file_and_check_it_in_a_kernel(workspace: Path) -> None:
    """The exported lesson's sigma cells, run in a Jupyter kernel: the starter fails, the
    reference solution (typed into the same ``%%writefile`` cell) passes."""
    course = load_course()
    nb = build_notebook(course.lesson("python-refresher"), course)
    write = next(c for c in nb.cells if c.source.startswith("%%writefile sigma.py"))
    check_cell = next(c for c in nb.cells if 'check("sigma")' in c.source)
    solved = "%%writefile sigma.py\n" + strip_markers(get_challenge("sigma").reference)
    status = ("from vibrastic.platform.progress.store import challenge_statuses\n"
              'print("status:", challenge_statuses()["sigma"]["status"])')
    run = new_notebook(cells=[new_code_cell(write.source), new_code_cell(check_cell.source),
                              new_code_cell(status), new_code_cell(solved),
                              new_code_cell(check_cell.source), new_code_cell('hint("sigma")')])
    execute_notebook(run, cwd=workspace, timeout=None)  # no per-cell time limit (a busy machine)
    # running the exported cells as they come grades the untouched starter: not an attempt
    assert "".join(o.text for o in run.cells[2].outputs) == "status: not started\n"
    # the hint is printed once: no second copy as the cell's value
    hint_outputs = run.cells[5].outputs
    assert {o.output_type for o in hint_outputs} == {"stream"}
    assert "".join(o.text for o in hint_outputs).count("sigma — hint 1/") == 1
    verdicts = ["".join(o.get("text", "") for o in c.outputs) for c in run.cells[1:5:3]]
    assert verdicts[0].startswith("sigma: ") and "sigma: PASS" not in verdicts[0]
    assert verdicts[1].startswith("sigma: PASS")
    shown = run.cells[4].outputs[-1].data["text/plain"]
    assert shown.startswith("<sigma: pass")
    assert (workspace / "sigma.py").read_text().startswith('"""Challenge')


def test_every_exported_starter_cell_writes_a_file_that_is_not_an_attempt() -> None:
    """What each challenge's ``%%writefile`` cell saves (its body, as IPython writes it) is the
    starter the store recognises: running an exported notebook top to bottom marks nothing
    "attempted" (the kernel test above follows one such cell through a real kernel)."""
    from vibrastic.platform.course.challenge import load_challenges
    from vibrastic.platform.grader.results import GradeResult, TestResult
    from vibrastic.platform.progress import store

    course = load_course()
    by_file = {c.filename: c.name for c in load_challenges()}
    written = {}
    for lesson in course.lessons:
        for cell in build_notebook(lesson, course).cells:
            if cell.source.startswith("%%writefile "):
                magic, _, body = cell.source.partition("\n")
                written[by_file[magic.split()[1]]] = body
    assert set(written) == set(course.challenges)
    for name, body in written.items():
        store.record_attempt(GradeResult(challenge=name, status="fail", score=0.0, max_score=1.0,
                                         tests=[TestResult("t", "fail", 0.0, 1.0)],
                                         hidden_run=True), body)
    statuses = store.challenge_statuses()
    assert {name: statuses[name]["status"] for name in written} == dict.fromkeys(
        written, "not started")

