"""The ``vibrastic`` command: a thin face that parses arguments, calls library functions, renders.

Each area adds its sub-command group below (``vibrastic lab …``, ``vibrastic challenge …``).
"""

from __future__ import annotations

import typer
from rich.console import Console

from vibrastic.faces.cli import challenges, classroom, labs, project, serve
from vibrastic.faces.cli.lessons import lesson_app, notebooks_app
from vibrastic.platform.progress.coursemap import build_course_map, render_course_map

app = typer.Typer(
    name="vibrastic",
    help="Vibrastic 101 — the AI crash course: lessons, labs, challenges, an autograd engine.",
    no_args_is_help=False,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()

# ---- sub-command groups (one module each) ----
app.add_typer(lesson_app, name="lesson")
app.add_typer(notebooks_app, name="notebooks")
app.add_typer(labs.app, name="lab")
app.add_typer(challenges.challenge_app, name="challenge")
app.add_typer(challenges.course_app, name="course")
app.add_typer(project.app, name="project")
app.command("progress")(challenges.progress)
app.add_typer(classroom.classroom_app, name="classroom")
app.command("worker")(classroom.worker)
app.command("serve")(serve.serve)


@app.callback(invoke_without_command=True)
def course(ctx: typer.Context) -> None:
    """Without a command: show the course map (lessons, labs, challenges, your progress)."""
    if ctx.invoked_subcommand is None:
        console.print(render_course_map(build_course_map()))


def main() -> None:
    app()
