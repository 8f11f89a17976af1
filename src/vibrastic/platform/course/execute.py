"""Execute lessons in a Jupyter kernel (nbclient): the same path for `vibrastic lesson run` and CI.

The kernel is this interpreter (``sys.executable -m ipykernel_launcher``, from a kernelspec written
to a temporary folder, so a user's own ``python3`` kernelspec cannot get in the way). A first
setup cell makes deprecation warnings errors (``strict=True``); ``quick=True`` sets
``VIBRASTIC_QUICK=1`` in the kernel, which lessons read to train smaller configurations.

Outputs stream: ``on_cell`` and ``on_output`` are called as each cell starts and as each output
arrives (figures are saved when they arrive), so a long lesson shows its progress. Ctrl-C (SIGINT,
when running in the main thread) interrupts the kernel instead of killing it: the run stops after
the current cell, everything that ran is kept, and ``LessonRun.interrupted`` says so.
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import contextlib
import json
import os
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import ensure_async
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
INTERRUPT_GRACE = 10.0  # seconds a cell gets to stop after Ctrl-C before its kernel is killed


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
    interrupted: bool = False  # stopped by Ctrl-C; ``cells`` holds what ran

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


class _StreamingClient(NotebookClient):
    """nbclient's client that also hands every output to a callback as it arrives."""

    def __init__(self, *args: Any, on_output: Callable[[int, NotebookNode], None] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._on_output = on_output

    def output(self, outs: list[NotebookNode], msg: dict[str, Any], display_id: str | None,
               cell_index: int) -> NotebookNode | None:
        out = super().output(outs, msg, display_id, cell_index)
        if out is not None and self._on_output is not None:
            self._on_output(cell_index, out)
        return out


async def _quietly(call: Callable[[], Any]) -> None:
    """Await ``call()``; a kernel that is already gone is not an error here."""
    with contextlib.suppress(Exception):
        await ensure_async(call())


@dataclass
class _Interrupt:
    """What Ctrl-C does: first the kernel is interrupted (the current cell stops, no further cell
    starts); a second Ctrl-C, or a cell that ignores the interrupt for INTERRUPT_GRACE seconds,
    kills the kernel."""

    client: NotebookClient
    requested: bool = False
    tasks: list[asyncio.Task] = field(default_factory=list)

    def __call__(self) -> None:
        loop = asyncio.get_running_loop()
        km = self.client.km
        first = not self.requested
        self.requested = True
        if km is None or not km.has_kernel:
            return  # still starting: the run stops before its first cell
        if first:
            self.tasks.append(loop.create_task(_quietly(km.interrupt_kernel)))
            loop.call_later(INTERRUPT_GRACE, self)
        else:
            self.tasks.append(loop.create_task(_quietly(lambda: km.shutdown_kernel(now=True))))


async def _execute(client: NotebookClient, interrupt: _Interrupt, **kernel_kwargs: Any) -> None:
    """Start a kernel, run every cell, stop the kernel: nbclient's ``async_execute`` with our own
    Ctrl-C handling (nbclient's would shut the kernel down under the running cell)."""
    client.reset_execution_trackers()
    client.km = client.create_kernel_manager()
    loop = asyncio.get_running_loop()
    handled = False
    with contextlib.suppress(RuntimeError, ValueError, NotImplementedError):  # not main thread
        loop.add_signal_handler(signal.SIGINT, interrupt)
        handled = True
    try:
        await client.async_start_new_kernel(**kernel_kwargs)
        await client.async_start_new_kernel_client()
        for index, cell in enumerate(client.nb.cells):
            if interrupt.requested:
                break
            try:
                await client.async_execute_cell(cell, index,
                                                execution_count=client.code_cells_executed + 1)
            except (CellExecutionError, CellTimeoutError, DeadKernelError):
                if interrupt.requested:
                    break
                raise
    finally:
        if client.km is not None:
            await client._async_cleanup_kernel()
        if handled:
            loop.remove_signal_handler(signal.SIGINT)


def _run(coro: Any) -> None:
    """Run ``coro`` to the end: here, or in a thread of its own when this thread already runs an
    event loop (an async web handler)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(coro)
        return
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, coro).result()


def execute_notebook(nb: NotebookNode, *, cwd: Path, timeout: int | None = 120,
                     quick: bool = False, strict: bool = True,
                     figure_format: str = "png",
                     on_cell: Callable[[int, NotebookNode], None] | None = None,
                     on_output: Callable[[int, NotebookNode], None] | None = None) -> bool:
    """Execute ``nb`` in place in a fresh kernel with its working folder ``cwd``.

    ``timeout`` bounds each cell (seconds; None: no bound). Raises nbclient's
    ``CellExecutionError`` on the first failing cell (outputs up to it are kept in ``nb``); a
    slow cell is interrupted and fails the same way, with ``ename == "CellTimeoutError"``.
    A first setup cell (removed again afterwards) turns on inline figures and, with ``strict``,
    makes deprecation warnings errors. ``figure_format`` is ``"png"`` or ``"svg"`` (the web
    course shows SVG figures; their element ids are salted so two runs give the same bytes).
    ``on_cell(index, cell)`` is called as each code cell
    starts and ``on_output(index, output)`` as each output arrives (``index`` in ``nb.cells``).
    Returns True when Ctrl-C stopped the run (the cells that ran keep their outputs).
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

    def shifted(callback: Callable[[int, NotebookNode], None] | None
                ) -> Callable[[int, NotebookNode], None] | None:
        if callback is None:
            return None
        return lambda index, item: None if index == 0 else callback(index - 1, item)

    cell_hook = shifted(on_cell)
    try:
        with tempfile.TemporaryDirectory(prefix="vibrastic-kernel-") as tmp:
            client = _StreamingClient(
                nb, timeout=timeout, kernel_name=KERNEL_NAME,
                kernel_manager_class=_manager_class(Path(tmp)), allow_errors=False,
                record_timing=False, interrupt_on_timeout=True, error_on_timeout={
                    "ename": "CellTimeoutError", "traceback": [],
                    "evalue": f"the cell ran longer than {timeout} s"},
                resources={"metadata": {"path": str(cwd)}}, on_output=shifted(on_output))
            if cell_hook is not None:
                client.on_cell_execute = lambda cell, cell_index: cell_hook(cell_index, cell)
            interrupt = _Interrupt(client)
            _run(_execute(client, interrupt, env=kernel_env(quick), cwd=str(cwd)))
    finally:
        if nb.cells and nb.cells[0] is setup:
            nb.cells.pop(0)
    return interrupt.requested


def _output(out: NotebookNode, path: Path) -> Output | None:
    """Our view of an nbformat output; an image is written to ``path``."""
    if out.output_type == "stream":
        return Output("text", out.text)
    if out.output_type == "error":
        return Output("error", f"{out.ename}: {out.evalue}")
    data = out.get("data", {})
    if "image/png" in data:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data["image/png"]))
        return Output("image", path=path)
    if "text/plain" in data:
        return Output("text", data["text/plain"] + "\n")
    return None


def run_lesson(lesson: Lesson, course: Course, out_dir: Path, *, quick: bool = False,
               timeout: int | None = None, on_cell: Callable[[CellRun], None] | None = None,
               on_output: Callable[[CellRun, Output], None] | None = None) -> LessonRun:
    """Execute the lesson's code cells in order; figures go to ``out_dir`` as PNG files.

    Each cell is bounded by ``timeout`` seconds; by default, by the lesson's ``budget_seconds``
    in a quick run and not at all in a full one (the deck's 50,000-epoch XOR takes minutes).
    ``on_cell`` and ``on_output`` see each code cell as it starts and each output as it arrives.
    Raises ``LessonRunError`` (with the partial run) when a cell fails or times out; a run stopped
    by Ctrl-C returns with ``interrupted`` set and the cells that ran.
    """
    nb = build_notebook(lesson, course, setup=False, challenges=False)
    out_dir.mkdir(parents=True, exist_ok=True)
    run = LessonRun(lesson)
    by_index: dict[int, CellRun] = {}

    def cell_started(index: int, cell: NotebookNode) -> None:
        by_index[index] = CellRun(len(by_index) + 1, cell.source)
        run.cells.append(by_index[index])
        if on_cell is not None:
            on_cell(by_index[index])

    def arrived(index: int, out: NotebookNode) -> None:
        cell = by_index.get(index)
        if cell is None:
            return
        name = f"{lesson.number:02d}-{lesson.name}-cell{cell.index:02d}-{len(cell.outputs) + 1}.png"
        item = _output(out, out_dir / name)
        if item is None or (item.kind == "error" and item.text.startswith("KeyboardInterrupt")):
            return  # Ctrl-C is reported by the run itself, not as the cell's error
        cell.outputs.append(item)
        if on_output is not None:
            on_output(cell, item)

    start = time.perf_counter()
    limit = timeout or (lesson.budget_seconds if quick else None)
    try:
        run.interrupted = execute_notebook(nb, cwd=out_dir, timeout=limit, quick=quick,
                                           on_cell=cell_started, on_output=arrived)
    except CellExecutionError as exc:
        run.error = (f"a cell ran longer than {limit} s" if exc.ename == "CellTimeoutError"
                     else f"a cell failed: {exc.ename}: {exc.evalue}")
    except CellTimeoutError:  # no reply even after the interrupt
        run.error = f"a cell ran longer than {limit} s and did not stop"
    except DeadKernelError as exc:
        run.error = f"the kernel died: {exc}"
    run.seconds = time.perf_counter() - start
    if run.error:
        raise LessonRunError(f"lesson {lesson.ref}: {run.error}", run)
    return run
