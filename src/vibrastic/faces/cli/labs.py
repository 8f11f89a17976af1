"""``vibrastic lab …``: list the deck's hands-on labs and run them.

A thin face over ``vibrastic.ml.labs``: metrics and tables rendered with Rich or as JSON, figures
saved as PNG and SVG."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console, Group, RenderableType
from rich.table import Table

from vibrastic.faces.cli.common import store_errors

if TYPE_CHECKING:
    from vibrastic.ml.labs import LabResult
    from vibrastic.platform.course.labs import CourseLab

app = typer.Typer(no_args_is_help=True)  # its help line: COMMANDS in vibrastic.faces.cli
console = Console()
err_console = Console(stderr=True)
DEFAULT_OUT = Path("vibrastic-out")


def _fail(message: str, valid: list[str], what: str) -> typer.Exit:
    err_console.print(f"[red]error:[/red] {message}. Valid {what}: {', '.join(valid)}")
    return typer.Exit(2)


def _mark_ran(name: str) -> None:
    """Record the lab as run in the workspace's progress (what `vibrastic next` follows)."""
    from vibrastic.platform.progress import store

    store.mark_done("lab", name, "ran")


def render_result(result: LabResult) -> RenderableType:
    """The metrics (each in words, its JSON name beside it), then each of the lab's tables with
    its columns explained below it, then the lab's notes. Lab text is shown as written: square
    brackets in it (``[a, b]``) are not Rich markup."""
    parts: list[RenderableType] = []
    from rich.markup import escape

    from vibrastic.ml.labs.glossary import explain, format_value, lab_tables

    metrics = Table(title=escape(f"{result.name} on {result.backend} (seed {result.seed})"))
    metrics.add_column("metric", ratio=3)
    metrics.add_column("value", justify="right", no_wrap=True)
    metrics.add_column("name (in --json)", style="dim", ratio=2, overflow="fold")
    for key, value in result.metrics.items():
        metrics.add_row(escape(explain(result.name, key)), escape(format_value(value)),
                        escape(key))
    parts.append(metrics)
    for shown in lab_tables(result.name, result.tables):
        table = Table(title=escape(shown.title), caption_justify="left", caption="\n".join(
            escape(f"{c}: {words}") for c, words in shown.explained.items()) or None)
        for column in shown.columns:
            table.add_column(escape(column), overflow="fold",
                             justify="right" if column in shown.numeric else "left")
        for row in shown.rows:
            table.add_row(*(escape(cell) for cell in row))
        parts.append(table)
    parts.extend(f"[yellow]note:[/yellow] {escape(note)}" for note in result.notes)
    return Group(*parts)


def _course_labs() -> list[CourseLab]:
    """The library's labs in course order, or exit 1 naming what is wrong with the course."""
    from vibrastic.platform.course import CourseError
    from vibrastic.platform.course.labs import course_labs

    try:
        return course_labs()
    except CourseError as exc:
        err_console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from exc


@app.command("list")
def list_labs() -> None:
    """Every lab, in course order: name, backends, lesson, deck section, one line."""
    table = Table(title="Vibrastic 101 labs (vibrastic lab run NAME)")
    table.add_column("#", justify="right")
    table.add_column("name (backends)", no_wrap=True)
    table.add_column("lesson · deck section", ratio=1)
    table.add_column("what it does", ratio=2)
    for i, entry in enumerate(_course_labs(), 1):
        lab, lesson = entry.lab, entry.lesson
        where = f"lesson {lesson.number}: {lesson.title}" if lesson else "not in the course"
        table.add_row(str(i), f"{lab.name}\n[dim]{', '.join(lab.backends)}[/dim]",
                      f"[dim]{where}[/dim]\n{lab.section}", lab.summary)
    console.print(table)


def _check(name: str | None, all_labs: bool, backend: str | None) -> list[str]:
    """The names to run, or exit 2 naming what was wrong and what is valid."""
    from vibrastic.ml.labs.base import BACKENDS

    valid = [entry.name for entry in _course_labs()]
    if backend is not None and backend not in BACKENDS:
        raise _fail(f"unknown backend {backend!r}", list(BACKENDS), "backends")
    if name and all_labs:
        raise _fail("give one lab NAME or --all, not both", valid, "labs")
    if all_labs:
        return valid
    if not name:
        raise _fail("missing lab NAME (or --all)", valid, "labs")
    if name.isdigit() and 1 <= int(name) <= len(valid):  # the # that `lab list` shows
        return [valid[int(name) - 1]]
    if name not in valid:
        raise _fail(f"unknown lab {name!r}", valid, "labs")
    return [name]


@app.command("run")
@store_errors
def run(
    name: Annotated[str | None, typer.Argument(
        metavar="NAME|#", help="Lab name or number (see vibrastic lab list).")] = None,
    all_labs: Annotated[bool, typer.Option(
        "--all", help="Run every lab, in course order.")] = False,
    backend: Annotated[str | None, typer.Option(
        "--backend", "-b", metavar="torch|vibrastic",
        help="Where labs that train or differentiate run (default vibrastic); the other one is "
             "run briefly from the same weights to report the difference.")] = None,
    seed: Annotated[int | None, typer.Option(
        "--seed", min=0, help="Random seed, 0 or more (default: the lab's own).")] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", metavar="DIR",
        help=f"Folder for figures (PNG and SVG); default ./{DEFAULT_OUT}/<lab>. With --all, one "
             "sub-folder per lab.")] = None,
    as_json: Annotated[bool, typer.Option(
        "--json", help="Print the results as JSON on stdout.")] = False,
) -> None:
    """Run a lab (or --all): metrics and tables as a table or JSON, figures saved to --out."""
    names = _check(name, all_labs, backend)
    from vibrastic.platform.progress import store

    store.engine_for()  # the run is recorded: a store that cannot be used stops it before it runs
    if all_labs:
        _run_all(names, backend, seed, out or DEFAULT_OUT, as_json)
        return
    from vibrastic.ml.labs import run_lab

    folder = out or DEFAULT_OUT / names[0]
    result = run_lab(names[0], backend, seed)
    paths = result.save_figures(folder)
    _mark_ran(names[0])
    if as_json:
        typer.echo(json.dumps(dict(result.to_json(), saved=[str(p) for p in paths]),
                              ensure_ascii=False, indent=2))
        err_console.print(f"{len(paths)} figure files in {folder}")
        return
    console.print(render_result(result))
    console.print(f"[green]{len(result.figures)} figures (PNG + SVG) saved in {folder}[/green]")


def _run_all(names: list[str], backend: str | None, seed: int | None, out: Path,
             as_json: bool) -> None:
    """Every lab with a progress bar (on stderr); a summary table, or a JSON list."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from vibrastic.ml.labs import run_lab

    results: list[dict[str, Any]] = []
    summary = Table(title=f"vibrastic lab run --all (figures in {out}/<lab>)")
    for column in ("lab", "backend", "seconds", "metrics", "figures"):
        summary.add_column(column, no_wrap=column == "lab")
    failed = []
    started = time.perf_counter()
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/"
                  "{task.total}"), TimeElapsedColumn(), console=err_console) as progress:
        task = progress.add_task("labs", total=len(names))
        for lab_name in names:
            progress.update(task, description=f"running {lab_name}")
            t0 = time.perf_counter()
            try:
                result = run_lab(lab_name, backend, seed)
            except Exception as exc:  # one broken lab must not hide the others' results
                failed.append(lab_name)
                summary.add_row(lab_name, f"[red]failed: {type(exc).__name__}: {exc}[/red]",
                                f"{time.perf_counter() - t0:.1f}", "—", "—")
                results.append({"lab": lab_name, "error": f"{type(exc).__name__}: {exc}"})
                progress.advance(task)
                continue
            paths = result.save_figures(out / lab_name)
            _mark_ran(lab_name)
            seconds = time.perf_counter() - t0
            shown = result.backend
            if backend is not None and result.backend != backend:
                shown += f" (its own; not {backend})"
            summary.add_row(lab_name, shown, f"{seconds:.1f}", str(len(result.metrics)),
                            str(len(result.figures)))
            results.append(dict(result.to_json(), saved=[str(p) for p in paths],
                                seconds=round(seconds, 3)))
            progress.advance(task)
    total = time.perf_counter() - started
    if as_json:
        typer.echo(json.dumps(results, ensure_ascii=False, indent=2))
    else:
        console.print(summary)
        console.print(f"{len(names) - len(failed)} of {len(names)} labs ran in {total:.1f} s")
    if failed:
        err_console.print(f"[red]failed:[/red] {', '.join(failed)}")
        raise typer.Exit(1)
