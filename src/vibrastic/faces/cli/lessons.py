"""``vibrastic lesson …`` and ``vibrastic notebooks …``: thin faces over the course model."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from vibrastic.platform.course import Course, CourseError, Lesson, LessonNotFound, load_course

# their help lines: COMMANDS in vibrastic.faces.cli
lesson_app = typer.Typer(no_args_is_help=True)
notebooks_app = typer.Typer(no_args_is_help=True)
console = Console()
err_console = Console(stderr=True)
LessonRef = Annotated[str, typer.Argument(metavar="N|NAME", help="Lesson number or name.")]


def _course() -> Course:
    try:
        return load_course()
    except CourseError as exc:
        err_console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from exc


def _lesson(course: Course, ref: str) -> Lesson:
    try:
        return course.lesson(ref)
    except LessonNotFound as exc:
        err_console.print(f"[red]error:[/red] no lesson {exc.ref!r}. Valid lessons:")
        for valid in exc.valid:
            err_console.print(f"  {valid}")
        raise typer.Exit(2) from exc


@lesson_app.command("list")
def list_lessons() -> None:
    """The lessons in course order, with their labs and challenges."""
    from vibrastic.faces.cli.terminal import lesson_table

    console.print(lesson_table(_course()))


@lesson_app.command("show")
def show(ref: LessonRef) -> None:
    """Render a lesson in the terminal: text, code, formulas, then its labs and challenges."""
    from vibrastic.faces.cli.terminal import lesson_renderables

    course = _course()
    lesson = _lesson(course, ref)
    try:
        renderables = list(lesson_renderables(lesson, course))
    except CourseError as exc:
        err_console.print(f"[red]error:[/red] lesson {lesson.ref}: {exc}")
        raise typer.Exit(1) from exc
    for renderable in renderables:
        console.print(renderable)


@lesson_app.command("run")
def run(
    ref: LessonRef,
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the lesson's figures.")]
    = Path("vibrastic-figures"),
    quick: Annotated[bool, typer.Option("--quick", help="Smaller training (VIBRASTIC_QUICK=1).")]
    = False,
    timeout: Annotated[int | None, typer.Option(min=1, help="Per-cell time limit in seconds.")]
    = None,
) -> None:
    """Execute a lesson's code cells in order and show their output; figures go to --out."""
    from vibrastic.faces.cli.terminal import run_renderables
    from vibrastic.platform.course.execute import LessonRunError, run_lesson

    course = _course()
    lesson = _lesson(course, ref)
    try:
        result = run_lesson(lesson, course, out, quick=quick, timeout=timeout)
    except LessonRunError as exc:
        for renderable in run_renderables(exc.run):
            console.print(renderable)
        err_console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from exc
    for renderable in run_renderables(result):
        console.print(renderable)
    console.print(f"[green]lesson {lesson.ref}: {len(result.cells)} cells ran in "
                  f"{result.seconds:.1f} s; {len(result.figures)} figures in {out}[/green]")


@notebooks_app.command("export")
def export(
    directory: Annotated[Path, typer.Argument(metavar="DIR", help="Folder for the notebooks.")],
    install_spec: Annotated[str, typer.Option(
        "--install-spec", help="What the install cell passes to %pip install.")] = "vibrastic",
) -> None:
    """Write one notebook per lesson (install cell first, challenges with check() cells)."""
    from vibrastic.platform.course.export import export_notebooks

    if directory.exists() and not directory.is_dir():
        err_console.print(f"[red]error:[/red] {directory} exists and is not a folder")
        raise typer.Exit(2)
    written = export_notebooks(_course(), directory, install_spec=install_spec)
    for item in written:
        console.print(f"{item.lesson.number:>2}  {item.path}")
    console.print(f"[green]{len(written)} notebooks written to {directory}[/green]")
