"""`vibrastic notebooks export`: a valid .ipynb per lesson, install cell first, challenge cells."""

from __future__ import annotations

from pathlib import Path

import jupytext
import nbformat
import pytest

from vibrastic.platform.course import load_course
from vibrastic.platform.course.challenge import get_challenge
from vibrastic.platform.course.export import export_notebooks
from vibrastic.platform.course.wheel import wheel_name


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    out = tmp_path_factory.mktemp("notebooks")
    return [item.path for item in export_notebooks(load_course(), out)]


def test_one_notebook_per_lesson_valid_against_the_schema(exported: list[Path]) -> None:
    course = load_course()
    assert [p.name for p in exported] == [f"{lesson.number:02d}-{lesson.name}.ipynb"
                                          for lesson in course.lessons]
    for path in exported:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        assert nb.metadata["kernelspec"]["name"] == "python3"
        assert nb.metadata["vibrastic"]["course"] == "vibrastic101"
        for cell in nb.cells:  # no outputs are shipped
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None


def test_each_notebook_starts_with_a_guarded_install_cell(exported: list[Path]) -> None:
    for path in exported:
        first = nbformat.read(path, as_version=4).cells[0]
        assert first.cell_type == "code"
        lines = first.source.splitlines()
        assert 'if importlib.util.find_spec("vibrastic") is None:' in lines
        assert f'WHEEL = "{wheel_name()}"' in lines and "WHEEL_URL = None" in lines
        assert lines[-1] == "%matplotlib inline"
    assert (exported[0].parent / wheel_name()).is_file()  # the wheel it installs, beside it


def test_install_spec_is_where_the_wheel_comes_from_otherwise(tmp_path: Path) -> None:
    course = load_course()
    spec = "https://example.org/vibrastic-0.1.0-py3-none-any.whl"
    [first, *_] = export_notebooks(course, tmp_path, install_spec=spec, wheel=False)
    assert f'WHEEL_URL = "{spec}"' in nbformat.read(first.path, 4).cells[0].source
    assert not list(tmp_path.glob("*.whl"))


def test_challenges_are_writefile_and_check_cells(exported: list[Path]) -> None:
    course = load_course()
    for lesson, path in zip(course.lessons, exported, strict=True):
        nb = nbformat.read(path, as_version=4)
        sources = [c.source for c in nb.cells]
        closing = next(s for s in sources if s.startswith("## Labs and challenges"))
        for lab in lesson.labs:
            assert f"vibrastic lab run {lab}" in closing
        for name in lesson.challenges:
            challenge = get_challenge(name)
            assert f"vibrastic challenge start {name}" in closing
            write = f"%%writefile {challenge.filename}\n{challenge.starter.rstrip()}\n"
            assert write in sources
            check = next(s for s in sources if f'check("{name}")' in s)
            assert sources.index(check) == sources.index(write) + 1
            assert "from vibrastic.faces.notebook import check, hint" in check


def test_lesson_text_survives_export_and_reads_back_with_jupytext(exported: list[Path]) -> None:
    course = load_course()
    nb = jupytext.read(exported[6])  # lesson 7
    text = "\n".join(c.source for c in nb.cells[1:])  # the lesson, after the install cell
    assert "## Study of Momentum Rate β hands on" in text
    assert "def gradient_descent_with_momentum(" in text  # {source} expanded to the real code
    assert "{source}" not in text
    assert len([c for c in nb.cells if c.cell_type == "code"]) > len(
        [c for c in course.lesson(7).cells() if c.kind == "code"])  # install + challenge cells
