"""The ``vibrastic`` command: a thin face that parses arguments, calls platform functions, renders.

Owns the command line (Typer) and its terminal rendering (Rich): the only place below which
neither is imported. May import ``vibrastic.platform``, ``vibrastic.ml`` and the engine;
nothing imports it. It starts fast: each sub-command lives in its own module, listed in
``COMMANDS`` below with its one-line help, and that module (with the platform and the libraries it
needs: SQLAlchemy for progress, matplotlib and torch for labs) is imported only when its command
runs. ``vibrastic --help`` and ``vibrastic lab list`` import none of them.

A new command: write its module (a ``typer.Typer`` app or a function) and add one line to
``COMMANDS``.
"""

from __future__ import annotations

import importlib
from typing import Annotated, Any

import typer
from typer.core import TyperCommand, TyperGroup

# name -> ("module:attribute", the help line `vibrastic --help` shows). The attribute is a
# typer.Typer (a command group) or a function (one command). In the order --help lists them.
COMMANDS: dict[str, tuple[str, str]] = {
    "lesson": ("vibrastic.faces.cli.lessons:lesson_app", "Read and run the course's lessons."),
    "notebooks": ("vibrastic.faces.cli.lessons:notebooks_app",
                  "Export the lessons as Jupyter/Colab notebooks."),
    "lab": ("vibrastic.faces.cli.labs:app",
            "The deck's hands-on labs: metrics, tables and figures, on PyTorch or vibrastic."),
    "challenge": ("vibrastic.faces.cli.challenges:challenge_app",
                  "Auto-graded challenges: start, check, hint, watch, reset, solution."),
    "course": ("vibrastic.faces.cli.challenges:course_app", "Course-author tools."),
    "project": ("vibrastic.faces.cli.project:app",
                "The project: build your own autograd engine (mygrad) in graded stages, then "
                "train the deck's networks on it."),
    "progress": ("vibrastic.faces.cli.challenges:progress",
                 "Your progress: challenges passed, scores, attempts, hints used."),
    "classroom": ("vibrastic.faces.cli.classroom:classroom_app",
                  "A classroom for a room: accounts, roster, dashboard, gradebook."),
    "worker": ("vibrastic.faces.cli.classroom:worker",
               "A grading worker: grades the classroom's queued checks in sandboxes."),
    "serve": ("vibrastic.faces.cli.serve:serve",
              "Start the web course: lessons with their figures, labs, challenges with an editor."),
    "next": ("vibrastic.faces.cli.guide:next_step",
             "What to do next: the first unfinished lesson, lab or challenge, with its command."),
    "doctor": ("vibrastic.faces.cli.guide:doctor",
               "Check the installation, the sandbox, the progress store and the workspace."),
}


def load_command(name: str) -> Any:
    """The click command behind ``COMMANDS[name]``, importing its module now."""
    import typer.main

    target, help_line = COMMANDS[name]
    module, _, attribute = target.partition(":")
    obj = getattr(importlib.import_module(module), attribute)
    parent = typer.Typer(add_completion=False)  # what add_typer/command on the root would do
    parent.callback()(lambda: None)
    if isinstance(obj, typer.Typer):
        parent.add_typer(obj, name=name, help=help_line)
    else:
        parent.command(name, short_help=help_line)(obj)
    return typer.main.get_command(parent).commands[name]  # type: ignore[attr-defined]


class Placeholder(TyperCommand):
    """A command not imported yet: its name and help line, enough for ``--help``."""


class LazyGroup(TyperGroup):
    """A command group whose sub-commands are imported when they run.

    Until then each is a ``Placeholder`` (``--help``, completion and "did you mean" use it);
    resolving a command to run it, or to show its own help, imports the real one.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, (_target, help_line) in COMMANDS.items():
            self.commands.setdefault(name, Placeholder(name, help=help_line))

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        if args and isinstance(self.commands.get(args[0]), Placeholder):
            self.commands[args[0]] = load_command(args[0])
        return super().resolve_command(ctx, args)


app = typer.Typer(
    name="vibrastic",
    cls=LazyGroup,
    help="Vibrastic 101 — the AI crash course: lessons, labs, challenges, an autograd engine.",
    no_args_is_help=False,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        from vibrastic import __version__

        typer.echo(f"vibrastic {__version__}")
        raise typer.Exit()


@app.callback(invoke_without_command=True)
def course(ctx: typer.Context, version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True, help="Print the version and exit.")]
           = False) -> None:
    """Without a command: show the course map (lessons, labs, challenges, your progress)."""
    if ctx.invoked_subcommand is None:
        from rich.console import Console

        from vibrastic.faces.cli.common import announce_recoveries
        from vibrastic.faces.cli.coursemap import render_course_map
        from vibrastic.platform.progress.coursemap import build_course_map

        announce_recoveries()
        Console().print(render_course_map(build_course_map()))


def main() -> None:
    app()
