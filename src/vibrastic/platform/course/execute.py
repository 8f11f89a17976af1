"""Execute lessons in a Jupyter kernel (nbclient): the same path for `vibrastic lesson run` and CI.

The kernel is this interpreter (``sys.executable -m ipykernel_launcher``, from a kernelspec written
to a temporary folder, so a user's own ``python3`` kernelspec cannot get in the way). A first
setup cell makes deprecation warnings errors (``strict=True``); ``quick=True`` sets
``VIBRASTIC_QUICK=1`` in the kernel, which lessons read to train smaller configurations.
"""

from __future__ import annotations

import base64
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
from nbformat import NotebookNode
from nbformat.v4 import new_code_cell
from traitlets import default

from vibrastic.platform.course.export import build_notebook
from vibrastic.platform.course.model import Course, Lesson

KERNEL_NAME = "vibrastic-python"
STRICT_WARNINGS_SOURCE = """\
%matplotlib inline
import warnings
for _category in (DeprecationWarning, PendingDeprecationWarning, FutureWarning):
    warnings.filterwarnings("error", category=_category)
warnings.filterwarnings("error", message=".*deprecated.*")
# the notebook machinery's own deprecations (kernel shutdown etc.) are not the lesson's
warnings.filterwarnings("ignore", module=r"(ipykernel|jupyter_client|traitlets|zmq|tornado)\\b")"""


class LessonRunError(RuntimeError):
    """A lesson cell failed (or timed out); ``run`` holds what executed up to that point."""

    def __init__(self, message: str, run: LessonRun) -> None:
        super().__init__(message)
        self.run = run


@dataclass
class Output:
    """A cell output: ``kind`` is ``"text"``, ``"image"`` (saved to ``path``) or ``"error"``."""

    kind: str
    text: str = ""
    path: Path | None = None


@dataclass
class CellRun:
    index: int
    source: str
    outputs: list[Output] = field(default_factory=list)


@dataclass
class LessonRun:
    """What a lesson run produced: each code cell with its outputs, the figures, the time taken."""

    lesson: Lesson
    cells: list[CellRun] = field(default_factory=list)
    seconds: float = 0.0
    error: str | None = None

    @property
    def figures(self) -> list[Path]:
        return [o.path for c in self.cells for o in c.outputs if o.kind == "image" and o.path]


def _kernelspec_dir(root: Path) -> Path:
    spec_dir = root / "kernels" / KERNEL_NAME
    spec_dir.mkdir(parents=True, exist_ok=True)
    spec = {"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "vibrastic (this Python)", "language": "python"}
    (spec_dir / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
    return root / "kernels"


def _manager_class(root: Path) -> type[AsyncKernelManager]:
    """A kernel manager that finds only our kernelspec (under ``root``) and talks over IPC
    sockets in ``root`` (no TCP port, no "unencrypted TCP" warning). nbclient owns and stops it."""
    kernel_dirs = [str(_kernelspec_dir(root))]

    class VibrasticKernelManager(AsyncKernelManager):
        @default("kernel_spec_manager")
        def _default_ksm(self) -> KernelSpecManager:
            return KernelSpecManager(kernel_dirs=kernel_dirs)

        @default("transport")
        def _default_transport(self) -> str:
            return "ipc"

        @default("ip")
        def _default_ip(self) -> str:
            return str(root / "kernel-ipc")

    return VibrasticKernelManager


def kernel_env(quick: bool) -> dict[str, str]:
    """The kernel's environment: inline figures, and ``VIBRASTIC_QUICK`` when asked."""
    env = dict(os.environ)
    env["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    env.pop("VIBRASTIC_QUICK", None)
    if quick:
        env["VIBRASTIC_QUICK"] = "1"
    env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"
    return env


def execute_notebook(nb: NotebookNode, *, cwd: Path, timeout: int | None = 120,
                     quick: bool = False, strict: bool = True,
                     figure_format: str = "png") -> NotebookNode:
    """Execute ``nb`` in place in a fresh kernel with its working folder ``cwd``.

    ``timeout`` bounds each cell (seconds; None: no bound). Raises nbclient's
    ``CellExecutionError`` on the first failing cell (outputs up to it are kept in ``nb``); a
    slow cell is interrupted and fails the same way, with ``ename == "CellTimeoutError"``.
    A first setup cell (removed again afterwards) turns on inline figures and, with ``strict``,
    makes deprecation warnings errors. ``figure_format`` is ``"png"`` or ``"svg"`` (the web
    course shows SVG figures; their element ids are salted so two runs give the same bytes).
    """
    if figure_format not in ("png", "svg"):
        raise ValueError(f"figure_format must be 'png' or 'svg', not {figure_format!r}")
    source = STRICT_WARNINGS_SOURCE if strict else STRICT_WARNINGS_SOURCE.splitlines()[0]
    if figure_format == "svg":
        source += ("\nfrom matplotlib_inline.backend_inline import set_matplotlib_formats\n"
                   "set_matplotlib_formats('svg')\n"
                   "import matplotlib\nmatplotlib.rcParams['svg.hashsalt'] = 'vibrastic'")
    setup = new_code_cell(source, metadata={"tags": ["vibrastic-strict"]})
    nb.cells.insert(0, setup)
    try:
        with tempfile.TemporaryDirectory(prefix="vibrastic-kernel-") as tmp:
            client = NotebookClient(nb, timeout=timeout, kernel_name=KERNEL_NAME,
                                    kernel_manager_class=_manager_class(Path(tmp)),
                                    allow_errors=False, record_timing=False,
                                    interrupt_on_timeout=True, error_on_timeout={
                                        "ename": "CellTimeoutError", "traceback": [],
                                        "evalue": f"the cell ran longer than {timeout} s"},
                                    resources={"metadata": {"path": str(cwd)}})
            client.execute(env=kernel_env(quick), cwd=str(cwd))
    finally:
        if nb.cells and nb.cells[0] is setup:
            nb.cells.pop(0)
    return nb


def _collect(lesson: Lesson, nb: NotebookNode, fig_dir: Path) -> list[CellRun]:
    runs = []
    code_index = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        code_index += 1
        run = CellRun(code_index, cell.source)
        for k, out in enumerate(cell.get("outputs", []), 1):
            if out.output_type == "stream":
                run.outputs.append(Output("text", out.text))
            elif out.output_type == "error":
                run.outputs.append(Output("error", f"{out.ename}: {out.evalue}"))
            elif "image/png" in out.get("data", {}):
                fig_dir.mkdir(parents=True, exist_ok=True)
                path = fig_dir / f"{lesson.number:02d}-{lesson.name}-cell{code_index:02d}-{k}.png"
                path.write_bytes(base64.b64decode(out.data["image/png"]))
                run.outputs.append(Output("image", path=path))
            elif "text/plain" in out.get("data", {}):
                run.outputs.append(Output("text", out.data["text/plain"] + "\n"))
        runs.append(run)
    return runs


def run_lesson(lesson: Lesson, course: Course, out_dir: Path, *, quick: bool = False,
               timeout: int | None = None) -> LessonRun:
    """Execute the lesson's code cells in order; figures go to ``out_dir`` as PNG files.

    Each cell is bounded by ``timeout`` seconds; by default, by the lesson's ``budget_seconds``
    in a quick run and not at all in a full one (the deck's 50,000-epoch XOR takes minutes).
    Raises ``LessonRunError`` (with the partial run) when a cell fails or times out.
    """
    nb = build_notebook(lesson, course, install_spec=None, challenges=False)
    out_dir.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    error = None
    limit = timeout or (lesson.budget_seconds if quick else None)
    try:
        execute_notebook(nb, cwd=out_dir, timeout=limit, quick=quick)
    except CellExecutionError as exc:
        error = (f"a cell ran longer than {limit} s" if exc.ename == "CellTimeoutError"
                 else f"a cell failed: {exc.ename}: {exc.evalue}")
    except CellTimeoutError:  # no reply even after the interrupt
        error = f"a cell ran longer than {limit} s and did not stop"
    except DeadKernelError as exc:
        error = f"the kernel died: {exc}"
    run = LessonRun(lesson, _collect(lesson, nb, out_dir), time.perf_counter() - start, error)
    if error:
        raise LessonRunError(f"lesson {lesson.ref}: {error}", run)
    return run
