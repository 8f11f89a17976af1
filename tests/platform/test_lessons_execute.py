"""Every lesson, exported as a notebook, executed end to end in a Jupyter kernel (nbclient).

The kernel runs with ``VIBRASTIC_QUICK=1`` (smaller training runs) and deprecation warnings as
errors. No cell is held to its lesson's ``budget_seconds`` here (that is a time limit, and a test
must give the same answer on a busy machine; pytest-timeout still ends a hung run). Measured on the
2-core CI machine, whole lessons take about 1-8 s each when it is quiet and up to 50 s when it is
busy (lesson 8, which trains XOR twice, is the slowest); the test prints each lesson's time
(``pytest -s``) and records it as a property.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from nbclient.exceptions import CellExecutionError
from nbformat import NotebookNode
from nbformat.v4 import new_code_cell, new_notebook

from vibrastic.platform.course import load_course
from vibrastic.platform.course.execute import execute_notebook
from vibrastic.platform.course.export import build_notebook

# What each lesson must print when it runs (a few of the deck's own results) and how many
# figures it must draw at least.
EXPECTED: dict[int, tuple[tuple[str, ...], int]] = {
    1: (("3 <class 'int'>", "Sleep!!!", "[0, 1, 8, 9, 4]", "Item number 3 is a monkey",
         "[0, 4, 16]", "A spider has 8 legs", "HELLO, FRED!", "Are you Fred?", "IMPORT WORKS!"), 0),
    2: (("tensor(2.)", "vibrastic: df/dx = 2.0", "torch 2."), 1),
    3: (("N = 5", "classification (AND gate)"), 0),
    4: (("distance to real", "overfits: True", "inertia: scikit-learn"), 7),
    5: (("the agent's estimates", "epsilon = 0.1"), 1),
    6: (("AND: converged True", "XOR: converged False", "sum = 1.0"), 7),
    7: (("w_norm =", "diverges for alpha > 0.0597", "with beta = 0.5"), 4),
    8: (("by the delta rule vs autograd: max difference", "Final results:",
         "vibrastic predictions:", "NumPy code, same bits as eager: True",
         "scalar code, largest difference from eager: ", "# -- the computation",
         "# backward of sigmoid", "# SGD.step()"), 1),
}


# Every figure the lesson shows is checked when it is drawn (print_figure: inline display, a
# lab's Figure passed to display(), savefig) against vibrastic.ml.plots.readable's rules.
WATCH_FIGURES = """\
import matplotlib.backend_bases as _bases
from vibrastic.ml.plots.readable import figure_problems as _problems
_checked, _found, _draw = [], [], _bases.FigureCanvasBase.print_figure
def _print_figure(canvas, *args, **kwargs):
    if not any(seen is canvas.figure for seen in _checked):
        _checked.append(canvas.figure)
        _found.extend(_problems(canvas.figure, f"figure {len(_checked)}"))
    return _draw(canvas, *args, **kwargs)
_bases.FigureCanvasBase.print_figure = _print_figure
"""
REPORT_FIGURES = 'print(f"figures checked: {len(_checked)}"); print("\\n".join(_found))'


def outputs_text(nb: NotebookNode) -> str:
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.output_type == "stream":
                parts.append(out.text)  # a print may arrive in several chunks: no separator
            elif "text/plain" in out.get("data", {}):
                parts.append("\n" + out.data["text/plain"] + "\n")
    return "".join(parts)


def image_count(nb: NotebookNode) -> int:
    return sum("image/png" in out.get("data", {})
               for cell in nb.cells for out in cell.get("outputs", []))


@pytest.mark.parametrize("number", range(1, 9))
def test_exported_lesson_runs_end_to_end(number: int, tmp_path: Path,
                                         record_property: pytest.RecordProperty) -> None:
    course = load_course()
    lesson = course.lesson(number)
    nb = build_notebook(lesson, course)
    nb.cells = [new_code_cell(WATCH_FIGURES), *nb.cells, new_code_cell(REPORT_FIGURES)]
    start = time.perf_counter()
    execute_notebook(nb, cwd=tmp_path, timeout=None, quick=True, strict=True)
    seconds = time.perf_counter() - start
    record_property("seconds", round(seconds, 2))
    print(f"lesson {lesson.ref}: {seconds:.1f} s")

    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count is not None for c in code_cells)
    assert not any(out.output_type == "error" for c in code_cells for out in c.outputs)
    text = outputs_text(nb)
    must_print, min_figures = EXPECTED[number]
    for expected in must_print:
        assert expected in text
    assert image_count(nb) >= min_figures
    if number == 8:  # vb.compile's scalar code agrees with eager to float32's precision
        assert float(text.split("largest difference from eager: ")[1].split()[0]) < 1e-5
    report = "".join(o.get("text", "") for o in code_cells[-1].outputs)
    head, _, problems = report.partition("\n")
    assert head.startswith("figures checked: ") and int(head.split()[-1]) >= min_figures
    assert problems.strip().splitlines() == []
    assert "Successfully installed" not in text  # vibrastic was importable: no install
    for check_cell in (c for c in code_cells if "challenge-check" in c.metadata.get("tags", [])):
        name = check_cell.source.split('check("')[1].split('"')[0]
        verdict = "".join(o.get("text", "") for o in check_cell.outputs)
        assert verdict.startswith(f"{name}: ")  # the starter was graded (and does not pass)
        assert f"{name}: PASS" not in verdict


def test_a_failing_cell_fails_the_run(tmp_path: Path) -> None:
    nb = new_notebook(cells=[new_code_cell("x = 1"), new_code_cell("1 / 0"),
                             new_code_cell("print('never')")])
    with pytest.raises(CellExecutionError) as failure:
        execute_notebook(nb, cwd=tmp_path, timeout=30)
    assert failure.value.ename == "ZeroDivisionError"
    assert nb.cells[2].get("execution_count") is None


def test_deprecation_warnings_are_errors_in_executed_lessons(tmp_path: Path) -> None:
    raised = "\n".join([
        "import warnings",
        "for category, message in ((DeprecationWarning, 'old'), (FutureWarning, 'old'),",
        "                          (UserWarning, 'F.sigmoid is deprecated. Use torch.sigmoid')):",
        "    try:",
        "        warnings.warn(message, category)",
        "    except Warning as exc:",
        "        print('raised', type(exc).__name__)",
        "warnings.warn('a plain UserWarning stays a warning', UserWarning)",
    ])
    nb = new_notebook(cells=[new_code_cell(raised),
                             new_code_cell("warnings.warn('gone soon', DeprecationWarning)")])
    with pytest.raises(CellExecutionError) as failure:
        execute_notebook(nb, cwd=tmp_path, timeout=30)
    assert (failure.value.ename, failure.value.evalue) == ("DeprecationWarning", "gone soon")
    text = outputs_text(nb)
    for name in ("DeprecationWarning", "FutureWarning", "UserWarning"):
        assert f"raised {name}" in text


def test_lesson_run_reports_the_failing_cell_with_the_output_before_it(tmp_path: Path) -> None:
    from vibrastic.platform.course.execute import LessonRunError, run_lesson

    root = tmp_path / "course"
    (root / "lessons").mkdir(parents=True)
    (root / "course.toml").write_text(
        'format_version = 1\n[course]\ntitle = "T"\n'
        '[[lessons]]\nname = "broken"\ntitle = "Broken"\nfile = "lessons/broken.py"\n'
        '[[lessons]]\nname = "slow"\ntitle = "Slow"\nfile = "lessons/slow.py"\n')
    (root / "lessons" / "broken.py").write_text(
        "# %% [markdown]\n# # Broken\n\n# %%\nprint('before')\n\n# %%\n1 / 0\n\n"
        "# %%\nprint('after')\n")
    (root / "lessons" / "slow.py").write_text("# %%\nimport time\ntime.sleep(30)\n")
    course = load_course(root)
    with pytest.raises(LessonRunError, match="ZeroDivisionError") as failure:
        run_lesson(course.lesson("broken"), course, tmp_path / "out")
    cells = failure.value.run.cells
    assert cells[0].outputs[0].text == "before\n"
    assert cells[1].outputs[-1].kind == "error"
    assert len(cells) == 2  # the cell after the failing one never ran
    with pytest.raises(LessonRunError, match="longer than 1 s"):
        run_lesson(course.lesson("slow"), course, tmp_path / "out", timeout=1)
