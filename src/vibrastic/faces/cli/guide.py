"""``vibrastic next`` (what to do now) and ``vibrastic doctor`` (what is wrong, what to fix)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.text import Text

from vibrastic.faces.cli.common import store_errors

console = Console()
MARKS = {"ok": ("✓", "green"), "warning": ("!", "yellow"), "problem": ("✗", "red")}


@store_errors
def next_step() -> None:
    """The first unfinished thing in course order, and the command that does it."""
    from vibrastic.platform.progress.nextstep import next_step as find

    step = find()
    if step.kind == "done":
        console.print(f"[green]You have finished {step.title}:[/green] {step.why}.")
        console.print("Let's build our own: `import vibrastic as vb` is a whole autograd engine "
                      f"in NumPy. Your scores: [bold]{step.command}[/bold].")
        return
    where = f" (lesson {step.lesson})" if step.kind in ("lesson", "lab", "challenge") else ""
    console.print(f"Next: [bold]{step.title}[/bold]{where} — {step.why}.")
    console.print(f"  [bold cyan]{step.command}[/bold cyan]")


def doctor(grade: Annotated[bool, typer.Option(
        "--grade/--no-grade", help="Grade a reference solution to prove the sandbox works.")]
           = True) -> None:
    """Check the installation, the sandbox, the progress store and the workspace; say what to fix.

    Exit 0 when nothing is a problem (warnings allowed), 1 otherwise."""
    from vibrastic.platform.progress.doctor import PROBLEM, run_checks

    problems = 0
    for finding in run_checks(grade):
        problems += finding.status == PROBLEM
        mark, style = MARKS[finding.status]
        line = Text(f"{mark} ", style=style)
        line.append(f"{finding.area}: ", style="bold")
        line.append(finding.detail)
        console.print(line)
        if finding.fix and finding.status != "ok":
            console.print(Text(f"    → {finding.fix}", style=style))
    if problems:
        console.print(f"[red]{problems} problem{'s' if problems != 1 else ''} to fix[/red] "
                      "(each one says what to do after →).")
        raise typer.Exit(1)
    console.print("[green]No problems found.[/green]")
