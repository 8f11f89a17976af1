"""Notebooks off this machine: the install cell of a served or exported notebook, executed by
nbclient in a fresh virtualenv where vibrastic is not importable, installs vibrastic's wheel
(from the server's URL, or from beside the notebook) and the lesson's next cell imports it; with
neither, the cell stops with a message that says what to do.

Offline: the fresh virtualenv sees this environment's other packages (numpy, torch, ipykernel,
pip…) through a folder of symlinks that leaves vibrastic out, and pip runs with
``PIP_NO_INDEX=1``, so only the wheel is installed and nothing is downloaded from an index.
"""

from __future__ import annotations

import json
import site
import sys
import venv
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import nbformat
import pytest
from browser import Server, free_port
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from nbformat import NotebookNode
from nbformat.v4 import new_code_cell
from traitlets import default
from typer.testing import CliRunner

from vibrastic.faces.cli import app as cli
from vibrastic.platform.course.wheel import wheel_name

PROBE = ("import vibrastic, pathlib\n"
         "from vibrastic.platform.course import load_course\n"
         "print('FROM', pathlib.Path(vibrastic.__file__).resolve())\n"
         "print('LESSONS', len(load_course().lessons))")


@pytest.fixture(scope="module")
def others(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This environment's site-packages as symlinks, without vibrastic (nor its editable
    install's path file), so a fresh virtualenv can use the rest without a download."""
    farm = tmp_path_factory.mktemp("site-without-vibrastic")
    for sp in site.getsitepackages():
        for entry in Path(sp).iterdir():
            if entry.name.startswith(("vibrastic", "__editable__")) or entry.suffix == ".pth":
                continue
            if not (farm / entry.name).exists():
                (farm / entry.name).symlink_to(entry)
    return farm


def fresh_venv(root: Path, others: Path) -> Path:
    """A virtualenv without pip or vibrastic; returns its Python."""
    venv.EnvBuilder(with_pip=False, symlinks=True).create(root)
    purelib = root / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}"
    (purelib / "site-packages" / "others.pth").write_text(f"{others}\n")
    return root / "bin" / "python"


def run_cells(cells: list[NotebookNode], python: Path, cwd: Path, home: Path) -> None:
    """Execute ``cells`` in a kernel of ``python`` (no PYTHONPATH, pip offline) in ``cwd``."""
    kernels = home / "kernels"
    (kernels / "fresh").mkdir(parents=True, exist_ok=True)
    (kernels / "fresh" / "kernel.json").write_text(json.dumps({
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "fresh venv", "language": "python",
        "env": {"PYTHONPATH": "", "PIP_NO_INDEX": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1",
                "VIBRASTIC_HOME": str(home / "vibrastic-home"), "MPLBACKEND": "Agg"}}))

    class FreshKernel(KernelManager):
        @default("kernel_spec_manager")
        def _ksm(self) -> KernelSpecManager:
            return KernelSpecManager(kernel_dirs=[str(kernels)])

    nb = nbformat.v4.new_notebook(cells=cells)
    NotebookClient(nb, kernel_name="fresh", kernel_manager_class=FreshKernel, timeout=300,
                   resources={"metadata": {"path": str(cwd)}}).execute()


def text(cell: NotebookNode) -> str:
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("served")
    running = Server(root, root / "cache")
    yield running
    running.stop()


def first_cells(nb: NotebookNode) -> list[NotebookNode]:
    """The install cell and the lesson's first code cell (lesson 7's imports vibrastic)."""
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert "from vibrastic" in code[1].source
    return [code[0], code[1], new_code_cell(PROBE)]


def test_served_notebook_installs_the_wheel_from_the_server(
        server: Server, others: Path, tmp_path: Path) -> None:
    lesson = httpx.get(f"{server.url}/lessons/7").text
    assert 'href="/download/vibrastic.whl"' in lesson  # the wheel is offered beside the notebook
    response = httpx.get(f"{server.url}/lessons/7/notebook")
    nb = nbformat.reads(response.text, as_version=4)
    url = f"{server.url}/download/{wheel_name()}"
    assert f'WHEEL_URL = "{url}"' in nb.cells[0].source
    cells = first_cells(nb)
    python = fresh_venv(tmp_path / "venv", others)
    (tmp_path / "work").mkdir()
    run_cells(cells, python, tmp_path / "work", tmp_path)
    assert f"installing vibrastic from {url}" in text(cells[0])
    assert "[10.5  5.   3.   2.5  1. ]" in text(cells[1])  # the lesson's cell ran on it
    probe = text(cells[2])
    assert f"FROM {(tmp_path / 'venv').resolve()}/lib/" in probe  # the wheel's copy
    assert "LESSONS 8" in probe  # with the course content


def test_exported_notebooks_install_the_wheel_beside_them(others: Path, tmp_path: Path) -> None:
    out = tmp_path / "notebooks"
    result = CliRunner().invoke(cli, ["notebooks", "export", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / wheel_name()).is_file() and wheel_name() in "".join(result.output.split())
    nb = nbformat.read(out / "07-learning-rate-momentum.ipynb", as_version=4)
    assert "WHEEL_URL = None" in nb.cells[0].source
    cells = first_cells(nb)
    python = fresh_venv(tmp_path / "venv", others)
    # as a browser names a second download of the same file (pip refuses that name as is)
    (out / wheel_name()).rename(out / wheel_name().replace(".whl", " (1).whl"))
    run_cells(cells, python, out, tmp_path)
    assert f"/{wheel_name()} (with its dependencies" in text(cells[0])
    assert "vibrastic installed from" in text(cells[0])
    assert "LESSONS 8" in text(cells[2])


def test_without_wheel_or_server_the_cell_says_what_to_do(
        others: Path, tmp_path: Path) -> None:
    from vibrastic.platform.course.export import install_cell

    gone = f"http://127.0.0.1:{free_port()}/download/{wheel_name()}"  # nothing listens there
    cell = install_cell(gone)
    python = fresh_venv(tmp_path / "venv", others)
    (tmp_path / "work").mkdir()
    with pytest.raises(CellExecutionError):
        run_cells([cell, new_code_cell("import vibrastic")], python, tmp_path / "work", tmp_path)
    [error] = [o for o in cell.outputs if o.output_type == "error"]
    message = "\n".join(error.traceback)
    assert error.ename == "SetupError"
    assert error.traceback == [error.evalue]  # the message alone, not a pip traceback
    assert "vibrastic is not installed and this cell could not install it" in message
    assert f"no vibrastic-*.whl in {tmp_path / 'work'}, /content" in message
    assert f"  - {gone}:\n" in message and "Connection refused" in message  # pip's reason
    assert "upload it into /content" in message and f"pip install {wheel_name()}" in message
