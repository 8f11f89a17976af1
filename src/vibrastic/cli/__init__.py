"""The ``vibrastic`` command: a thin face that parses arguments, calls library functions, renders.

Each area adds its sub-command group below (``vibrastic lab …``, ``vibrastic challenge …``).
"""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from vibrastic.coursemap import COURSE_MAP

app = typer.Typer(
    name="vibrastic",
    help="Vibrastic 101 — the AI crash course: lessons, labs, challenges, an autograd engine.",
    no_args_is_help=False,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()

# ---- sub-command groups (one module each) ----


def render_course_map() -> Table:
    """The deck's parts, in course order, with the commands that reach each."""
    table = Table(title="Vibrastic 101 — Artificial Intelligence Crash Course", show_lines=True)
    table.add_column("#", justify="right")
    table.add_column("Part of the deck")
    table.add_column("Kind")
    table.add_column("Commands")
    for i, part in enumerate(COURSE_MAP, 1):
        table.add_row(str(i), part.title, part.kind, "\n".join(part.commands) or "—")
    return table


@app.callback(invoke_without_command=True)
def course(ctx: typer.Context) -> None:
    """Without a command: show the course map."""
    if ctx.invoked_subcommand is None:
        console.print(render_course_map())


def main() -> None:
    app()
