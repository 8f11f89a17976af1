"""``vibrastic lesson …`` and ``vibrastic notebooks …``: thin faces over the course model.

``lesson run`` streams each cell's output as it comes; Ctrl-C stops it cleanly (exit code 130),
keeping what ran on screen and the figures saved so far. Reading or running a lesson is recorded
in the workspace's progress, which ``vibrastic next`` follows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from vibrastic.faces.cli.common import store_errors
from vibrastic.platform.course import (
    Course,
    CourseError,
    Lesson,
    LessonNotFound,
    course_root,
    load_course,
)

# their help lines: COMMANDS in vibrastic.faces.cli
lesson_app = typer.Typer(no_args_is_help=True)
notebooks_app = typer.Typer(no_args_is_help=True)
console = Console()
err_console = Console(stderr=True)
LessonRef = Annotated[str, typer.Argument(metavar="N|NAME", help="Lesson number or name.")]
CourseDir = Annotated[Path | None, typer.Option(
    "--course", metavar="DIR", help="A course folder (with course.toml); the packaged course by "
    "default (course authors: try your lessons).")]


def _course(root: Path | None = None) -> Course:
    if root is not None and not (root / "course.toml").is_file():
        err_console.print(f"[red]error:[/red] {root} has no course.toml; expected a course folder")
        raise typer.Exit(2)
    try:
        return load_course(root)
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


def _mark_done(course: Course, lesson: Lesson, how: str | None) -> None:
    """Record the lesson as read/run in the workspace's progress (only for the packaged course);
    ``how=None`` only opens the store, so that a store that cannot be used stops a long run
    before it starts rather than after."""
    if course.root == course_root():
        from vibrastic.platform.progress import store

        if how is None:
            store.engine_for()
        else:
            store.mark_done("lesson", lesson.name, how)


@lesson_app.command("show")
@store_errors
def show(ref: LessonRef, course_dir: CourseDir = None) -> None:
    """Render a lesson in the terminal: text, code, formulas, then its labs and challenges."""
    from vibrastic.faces.cli.terminal import lesson_renderables

    course = _course(course_dir)
    lesson = _lesson(course, ref)
    try:
        renderables = list(lesson_renderables(lesson, course))
    except CourseError as exc:
        err_console.print(f"[red]error:[/red] lesson {lesson.ref}: {exc}")
        raise typer.Exit(1) from exc
    for renderable in renderables:
        console.print(renderable)
    _mark_done(course, lesson, "read")


@lesson_app.command("run")
@store_errors
def run(
    ref: LessonRef,
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the lesson's figures.")]
    = Path("vibrastic-figures"),
    quick: Annotated[bool, typer.Option("--quick", help="Smaller training (VIBRASTIC_QUICK=1).")]
    = False,
    timeout: Annotated[int | None, typer.Option(min=1, help="Per-cell time limit in seconds.")]
    = None,
    course_dir: CourseDir = None,
) -> None:
    """Execute a lesson's code cells in order, showing output as it comes; figures go to --out.

    Ctrl-C stops the run (exit code 130); what ran stays on screen and in --out."""
    from rich.rule import Rule

    from vibrastic.faces.cli.terminal import cell_header, output_renderable
    from vibrastic.platform.course.execute import LessonRunError, run_lesson

    course = _course(course_dir)
    lesson = _lesson(course, ref)
    _mark_done(course, lesson, None)
    console.print(Rule(f"Running lesson {lesson.number}: {lesson.title}"))
    try:
        result = run_lesson(lesson, course, out, quick=quick, timeout=timeout,
                            on_cell=lambda cell: console.print(cell_header(cell)),
                            on_output=lambda _cell, item: console.print(output_renderable(item)))
    except LessonRunError as exc:
        err_console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from exc
    except KeyboardInterrupt:  # Ctrl-C before the first cell started (the kernel was starting)
        err_console.print(f"[yellow]interrupted:[/yellow] lesson {lesson.ref} stopped before its "
                          "first cell ran.")
        raise typer.Exit(130) from None
    ran = sum(1 for cell in result.cells)
    if result.interrupted:
        err_console.print(f"[yellow]interrupted:[/yellow] lesson {lesson.ref} stopped after "
                          f"{ran} cell{'s' if ran != 1 else ''} (Ctrl-C); their output is above "
                          f"and {len(result.figures)} figures are in {out}.")
        raise typer.Exit(130)
    console.print(f"[green]lesson {lesson.ref}: {ran} cells ran in "
                  f"{result.seconds:.1f} s; {len(result.figures)} "
                  f"figure{'s' if len(result.figures) != 1 else ''} in {out}[/green]")
    _mark_done(course, lesson, "ran")


@notebooks_app.command("export")
def export(
    directory: Annotated[Path, typer.Argument(metavar="DIR", help="Folder for the notebooks.")],
    install_spec: Annotated[str | None, typer.Option(
        "--install-spec", help="Where the install cell gets vibrastic when its wheel is not "
                               "beside the notebook: the wheel's URL, or anything pip "
                               "installs.")] = None,
) -> None:
    """Write one notebook per lesson (install cell first, challenges with check() cells) and
    vibrastic's wheel beside them, which their install cell installs (Jupyter, or Colab after
    uploading it)."""
    from vibrastic.platform.course.export import export_notebooks

    if directory.exists() and not directory.is_dir():
        err_console.print(f"[red]error:[/red] {directory} exists and is not a folder")
        raise typer.Exit(2)
    written = export_notebooks(_course(), directory, install_spec=install_spec)
    for item in written:
        console.print(f"{item.lesson.number:>2}  {item.path}")
    from vibrastic.platform.course.wheel import wheel_name

    console.print(f"    {directory / wheel_name()}  (the notebooks' install cell installs it; "
                  "on Colab, upload it into /content)")
    console.print(f"[green]{len(written)} notebooks written to {directory}[/green]")
