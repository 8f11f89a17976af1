"""Lessons as Jupyter notebooks: an install cell, the lesson's cells, then its labs and challenges.

The exported notebook runs on Colab or a bare Jupyter: its first cell installs vibrastic only when
it is not importable. Each challenge gets three cells (see ``vibrastic.faces.notebook``): a
text cell, a ``%%writefile <name>.py`` cell holding the starter code that the learner edits and
runs, and a ``check("<name>")`` cell that grades that file with the sandboxed grader.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import jupytext
import nbformat
from nbformat import NotebookNode
from nbformat.v4 import new_code_cell, new_markdown_cell

from vibrastic.platform.course.challenge import (
    Challenge,
    ChallengeError,
    UnknownChallenge,
    get_challenge,
)
from vibrastic.platform.course.model import Course, CourseError, Lesson

DEFAULT_INSTALL_SPEC = "vibrastic"
KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


def challenge_info(name: str) -> Challenge:
    """The challenge ``name`` of the packaged course (a CourseError names unknown ones)."""
    try:
        return get_challenge(name)
    except (UnknownChallenge, ChallengeError) as exc:
        raise CourseError(f"course.toml names challenge {name!r}, which cannot be loaded: {exc}") \
            from exc


def install_cell(install_spec: str = DEFAULT_INSTALL_SPEC) -> NotebookNode:
    """First cell: ``%pip install`` vibrastic (Colab, a fresh Jupyter), skipped when importable."""
    source = (
        "# Setup: installs vibrastic when this kernel cannot import it (Colab, a fresh Jupyter).\n"
        "import importlib.util\n"
        "\n"
        'if importlib.util.find_spec("vibrastic") is None:\n'
        f"    %pip install --quiet {install_spec}\n"
        "%matplotlib inline"
    )
    return new_code_cell(source, metadata={"tags": ["vibrastic-setup"]})


def ending_markdown(lesson: Lesson, course: Course) -> str:
    """The lesson's closing text: its labs and its challenges, as terminal commands."""
    lines = ["## Labs and challenges", ""]
    if lesson.labs:
        lines += ["**Labs** — this lesson's hands-on experiments, with metrics and figures:", ""]
        lines += [f"- `vibrastic lab run {lab}`" for lab in lesson.labs]
        lines.append("")
    if lesson.challenges:
        lines += ["**Challenges** — start one in a terminal, or solve it right here:", ""]
        for name in lesson.challenges:
            info = challenge_info(name)
            lines.append(f"- `vibrastic challenge start {name}` — {info.title}")
        lines += ["", "In a notebook: edit the challenge's `%%writefile` cell, run it (it saves "
                  "your code to a file), then run the `check(...)` cell below it; `hint(...)` "
                  "gives a hint. The check runs your file in vibrastic's sandboxed grader, "
                  "not in this notebook."]
    if not lesson.labs and not lesson.challenges:
        lines.append("This lesson is theory only: no lab or challenge belongs to it.")
    return "\n".join(lines)


def challenge_cells(lesson: Lesson, course: Course) -> list[NotebookNode]:
    """Per challenge: its prompt, a ``%%writefile`` starter cell, and a ``check()`` cell."""
    cells = []
    for name in lesson.challenges:
        info = challenge_info(name)
        statement = re.sub(r"^#{1,2} .*\n+", "", info.statement.strip(), count=1)
        text = f"### Challenge `{name}`: {info.title}\n\n{statement}".rstrip()
        cells.append(new_markdown_cell(text))
        cells.append(new_code_cell(f"%%writefile {info.filename}\n{info.starter.rstrip()}\n",
                                   metadata={"tags": ["challenge-code"]}))
        cells.append(new_code_cell(
            "from vibrastic.faces.notebook import check, hint\n\n"
            f'check("{name}")\n# hint("{name}")',
            metadata={"tags": ["challenge-check"]}))
    return cells


def build_notebook(lesson: Lesson, course: Course, *, install_spec: str | None =
                   DEFAULT_INSTALL_SPEC, challenges: bool = True) -> NotebookNode:
    """The lesson as an nbformat v4 notebook, without outputs.

    ``install_spec=None`` leaves out the install cell; ``challenges=False`` leaves out the
    challenge cells (the closing text that lists them stays).
    """
    nb = lesson.notebook()
    cells: list[NotebookNode] = [install_cell(install_spec)] if install_spec else []
    cells += nb.cells
    cells.append(new_markdown_cell(ending_markdown(lesson, course)))
    if challenges:
        cells += challenge_cells(lesson, course)
    nb.cells = cells
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata["language_info"] = {"name": "python"}
    nb.metadata.pop("jupytext", None)
    nb.metadata["vibrastic"] = {"course": course.id, "lesson": lesson.name,
                                "number": lesson.number}
    nbformat.validate(nb)
    return nb


@dataclass(frozen=True)
class ExportedNotebook:
    lesson: Lesson
    path: Path


def export_notebooks(course: Course, out_dir: Path, *,
                     install_spec: str = DEFAULT_INSTALL_SPEC) -> list[ExportedNotebook]:
    """Write ``NN-<lesson>.ipynb`` for every lesson into ``out_dir``; return what was written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for lesson in course.lessons:
        nb = build_notebook(lesson, course, install_spec=install_spec)
        path = out_dir / f"{lesson.number:02d}-{lesson.name}.ipynb"
        jupytext.write(nb, path, fmt="ipynb")
        written.append(ExportedNotebook(lesson, path))
    return written
