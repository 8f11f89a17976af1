"""The thin faces: `vibrastic lesson …`, `vibrastic notebooks export`, and the course map."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from typer.testing import CliRunner

from vibrastic.faces.cli import app
from vibrastic.faces.cli.coursemap import render_course_map
from vibrastic.platform.course import load_course
from vibrastic.platform.progress.coursemap import build_course_map

runner = CliRunner()


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "120")


def test_lesson_list_shows_every_lesson_in_order() -> None:
    result = runner.invoke(app, ["lesson", "list"])
    assert result.exit_code == 0, result.output
    positions = [result.output.index(lesson.name) for lesson in load_course().lessons]
    assert positions == sorted(positions)
    assert "learning-rate" in result.output and "train-xor" in result.output


@pytest.mark.parametrize("ref", ["7", "learning-rate-momentum"])
def test_lesson_show_renders_text_code_and_formulas(ref: str) -> None:
    result = runner.invoke(app, ["lesson", "show", ref])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Study of Momentum Rate β hands on" in out
    assert "def gradient_descent_with_momentum(" in out  # the library's code, shown
    assert "E(X⃗,y⃗;w⃗) = 1/2" in out  # LaTeX read as text
    assert "\\frac" not in out and "$$" not in out
    assert "vibrastic challenge start momentum" in out
    assert "vibrastic lab run learning-rate" in out


@pytest.mark.parametrize("args", [["lesson", "show", "42"], ["lesson", "run", "nope"]])
def test_an_unknown_lesson_is_a_usage_error_listing_the_valid_ones(args: list[str]) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert f"no lesson {args[-1]!r}" in result.output
    for lesson in load_course().lessons:
        assert lesson.ref in result.output


def test_lesson_run_executes_cells_and_saves_figures(tmp_path: Path) -> None:
    out = tmp_path / "figs"
    # --timeout: no lesson budget as a time limit here (the machine may be busy)
    result = runner.invoke(app, ["lesson", "run", "5", "--quick", "--timeout", "900",
                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "the agent's estimates Q(a)" in result.output
    figures = sorted(out.glob("05-reinforcement-learning-cell*.png"))
    assert figures and figures[0].read_bytes().startswith(b"\x89PNG")
    assert "figure saved" in result.output and "cells ran in" in result.output


def test_notebooks_export_writes_one_notebook_per_lesson(tmp_path: Path) -> None:
    result = runner.invoke(app, ["notebooks", "export", str(tmp_path / "nb")])
    assert result.exit_code == 0, result.output
    files = sorted((tmp_path / "nb").glob("*.ipynb"))
    assert len(files) == len(load_course().lessons) == 8
    nbformat.validate(nbformat.read(files[0], as_version=4))
    assert "8 notebooks written" in result.output


def test_notebooks_export_into_a_file_is_a_usage_error(tmp_path: Path) -> None:
    target = tmp_path / "a-file"
    target.write_text("x")
    result = runner.invoke(app, ["notebooks", "export", str(target)])
    assert result.exit_code == 2
    assert "not a folder" in result.output


def test_no_arguments_shows_the_course_map_with_progress(tmp_path: Path) -> None:
    from vibrastic.faces.notebook import check

    solution = "def sigma(n):\n    return sum(i * i for i in range(n + 1))\n"
    (tmp_path / "sigma.py").write_text(solution)
    check("sigma", path=tmp_path / "sigma.py", quiet=True)
    result = runner.invoke(app, [])
    assert result.exit_code == 0, result.output
    out = result.output
    course = load_course()
    for lesson in course.lessons:
        assert f"vibrastic lesson show {lesson.number}" in out
    order = [out.index(lab) for lab in ("autograd", "supervised-svr", "reinforcement", "xor")]
    assert order == sorted(order)
    assert "✓ sigma" in out and "· triangle" in out
    assert "challenges solved: 1/13" in out


def test_course_map_reads_progress_from_the_store_callable() -> None:
    statuses = {"sigma": {"status": "passed", "best_score": 9.0, "max_score": 9.0},
                "triangle": {"status": "attempted", "best_score": 2.0, "max_score": 6.0}}
    course_map = build_course_map(statuses=lambda: statuses)
    first = course_map.entries[0]
    assert [c.name for c in first.challenges][:2] == ["triangle", "sigma"]
    assert first.challenges[1].done and not first.challenges[0].done
    assert course_map.solved == 1 and course_map.total == 13
    assert render_course_map(course_map).caption.startswith("challenges solved: 1/13")


def test_an_unreadable_progress_store_still_shows_the_map(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    work = tmp_path / "work"
    (work / ".vibrastic" / "progress.db").mkdir(parents=True)  # cannot be opened at all
    monkeypatch.setenv("VIBRASTIC_WORKSPACE", str(work))
    result = runner.invoke(app, [])
    assert result.exit_code == 0, result.output
    assert "progress: the store cannot be read" in result.output
    assert "vibrastic lesson show 8" in result.output


def test_a_damaged_progress_store_is_moved_aside_and_the_map_shows(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "work" / ".vibrastic" / "progress.db"
    db.parent.mkdir(parents=True)
    db.write_text("this is not a database")
    monkeypatch.setenv("VIBRASTIC_WORKSPACE", str(tmp_path / "work"))
    result = runner.invoke(app, [])
    assert result.exit_code == 0, result.output
    assert "could not be read (file is not a database)" in " ".join(result.output.split())
    assert "challenges solved: 0/13" in result.output
    assert list(db.parent.glob("progress.db.broken-*"))


def test_no_committed_notebooks_or_outputs_in_the_course_folder() -> None:
    root = load_course().root
    assert list(root.rglob("*.ipynb")) == []
    for lesson in load_course().lessons:
        assert "# %%" in lesson.path.read_text(encoding="utf-8")  # jupytext percent format
