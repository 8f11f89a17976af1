"""Lessons as Jupyter notebooks: an install cell, the lesson's cells, then its labs and challenges.

The exported notebook runs on Colab or a bare Jupyter: its first cell installs vibrastic's wheel
(written beside the notebooks, or fetched from the server that served the notebook) only when
vibrastic is not importable. Each challenge gets three cells (see ``vibrastic.faces.notebook``): a
text cell, a ``%%writefile <name>.py`` cell holding the starter code that the learner edits and
runs, and a ``check("<name>")`` cell that grades that file with the sandboxed grader.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
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

KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


def challenge_info(name: str) -> Challenge:
    """The challenge ``name`` of the packaged course (a CourseError names unknown ones)."""
    try:
        return get_challenge(name)
    except (UnknownChallenge, ChallengeError) as exc:
        raise CourseError(f"course.toml names challenge {name!r}, which cannot be loaded: {exc}") \
            from exc


SETUP_CELL = """\
# Setup: installs vibrastic when this kernel cannot import it (Colab, a fresh Jupyter).
# vibrastic is not on PyPI: its wheel is installed from beside this notebook (on Colab:
# uploaded to /content), else from WHEEL_URL (the server this notebook came from).
WHEEL = {wheel}
WHEEL_URL = {url}
import importlib, importlib.util, pathlib, re, shutil, subprocess, sys, tempfile

if importlib.util.find_spec("vibrastic") is None:
    class SetupError(Exception):
        def _render_traceback_(self):  # IPython shows the message alone, no traceback
            return [str(self)]

    folders = [pathlib.Path.cwd(), pathlib.Path("/content")]
    found = sorted((w for f in folders for w in f.glob("vibrastic-*.whl")),
                   key=lambda w: w.stat().st_mtime, reverse=True)
    tried = [f"no vibrastic-*.whl in {{', '.join(map(str, folders))}}"] if not found else []
    for source in [str(w) for w in found[:1]] + ([WHEEL_URL] if WHEEL_URL else []):
        if re.search(r" \\(\\d+\\)\\.whl$", source):  # a browser's 2nd download: "… (1).whl"
            named = pathlib.Path(tempfile.mkdtemp()) / re.sub(r" \\(\\d+\\)(?=\\.whl$)", "",
                                                              pathlib.Path(source).name)
            source = shutil.copyfile(source, named)  # pip wants the wheel's own name
        print(f"installing vibrastic from {{source}} (with its dependencies: on Colab, a minute)")
        pip = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-color",
                              "--retries", "1", "--timeout", "15", source],
                             capture_output=True, text=True)
        if pip.returncode == 0:
            importlib.invalidate_caches()
            print(f"vibrastic installed from {{source}}")
            break
        said = [e.strip() for e in re.sub(r"\\x1b\\[[0-9;]*m", "", pip.stderr).splitlines()
                if e.strip() and "WARNING" not in e]  # pip's last words, without colours
        tried.append(f"{{source}}:\\n      " + "\\n      ".join(said[-3:] or ["pip failed"]))
    else:
        raise SetupError(
            "vibrastic is not installed and this cell could not install it.\\n"
            + "".join(f"  - {{t}}\\n" for t in tried)
            + f"Get the wheel {{WHEEL}} (`vibrastic notebooks export DIR` writes it beside the "
            "notebooks; `vibrastic serve` offers it on every lesson page), then:\\n"
            "  - on Colab: upload it into /content (Files pane, the folder icon on the left) "
            "and run this cell again;\\n"
            "  - on Jupyter: put it beside this notebook and run this cell again, or run "
            f"`pip install {{WHEEL}}` in this kernel's Python environment.")
%matplotlib inline"""


def install_cell(install_spec: str | None = None) -> NotebookNode:
    """First cell: install vibrastic's wheel when the kernel cannot import it.

    It tries a ``vibrastic-*.whl`` beside the notebook (or uploaded to Colab's ``/content``),
    then ``install_spec`` (the serving URL of the wheel, or anything ``pip install`` takes); when
    both fail it stops with a message saying which file to upload or which command to run.
    """
    from vibrastic.platform.course.wheel import wheel_name

    source = SETUP_CELL.format(wheel=json.dumps(wheel_name()),
                               url=json.dumps(install_spec) if install_spec else "None")
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


def build_notebook(lesson: Lesson, course: Course, *, setup: bool = True,
                   install_spec: str | None = None, challenges: bool = True) -> NotebookNode:
    """The lesson as an nbformat v4 notebook, without outputs.

    ``setup=False`` leaves out the install cell (``install_cell``: ``install_spec`` is where
    it fetches the wheel from when none is beside the notebook); ``challenges=False`` leaves
    out the challenge cells (the closing text that lists them stays).
    """
    nb = lesson.notebook()
    cells: list[NotebookNode] = [install_cell(install_spec)] if setup else []
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


def export_notebooks(course: Course, out_dir: Path, *, install_spec: str | None = None,
                     wheel: bool = True) -> list[ExportedNotebook]:
    """Write ``NN-<lesson>.ipynb`` for every lesson into ``out_dir``, and (``wheel``) vibrastic's
    wheel beside them for their install cell; return the notebooks written."""
    from vibrastic.platform.course.wheel import build_wheel

    out_dir.mkdir(parents=True, exist_ok=True)
    if wheel:
        with tempfile.TemporaryDirectory() as tmp:
            built = build_wheel(Path(tmp))
            shutil.move(built, out_dir / built.name)
    written = []
    for lesson in course.lessons:
        nb = build_notebook(lesson, course, install_spec=install_spec)
        path = out_dir / f"{lesson.number:02d}-{lesson.name}.ipynb"
        jupytext.write(nb, path, fmt="ipynb")
        written.append(ExportedNotebook(lesson, path))
    return written
