"""``vibrastic project …``: build your own autograd engine, stage by stage, then run milestones.

Thin: parse, call ``vibrastic.platform.progress.project``, render with Rich. Exit codes: 0 when
a check or milestone passes, 1 when it does not or the progress store cannot be used (one line,
see ``common.store_errors``), 2 on usage errors (unknown stage, no package, a milestone whose
stages have not passed).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markdown import Markdown
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from vibrastic.faces.cli.common import store_errors

if TYPE_CHECKING:
    from vibrastic.platform.course.project import Project

app = typer.Typer(no_args_is_help=True)  # its help line: COMMANDS in vibrastic.faces.cli
console = Console()
err = Console(stderr=True, soft_wrap=True)
STYLE = {"passed": "green", "attempted": "yellow", "started": "cyan", "not started": "dim",
         "failed": "red", "not run": "dim"}

StageArg = Annotated[str, typer.Argument(help="Stage number or name, e.g. 3 or tensor "
                                              "(see `project list`).")]


def _usage(message: str) -> typer.Exit:
    err.print(f"[red]error:[/red] {escape(message)}")
    return typer.Exit(2)


def _project() -> Project:
    from vibrastic.platform.course.model import CourseError
    from vibrastic.platform.course.project import get_project

    try:
        return get_project()
    except CourseError as exc:
        raise _usage(f"the course is broken: {exc}") from None


def _stage(ref: str) -> Any:
    from vibrastic.platform.course.project import UnknownStage

    try:
        return _project().stage(ref)
    except UnknownStage as exc:
        raise _usage(str(exc)) from None


@app.command("list")
@store_errors
def list_stages() -> None:
    """The stages and milestones in order, with your status."""
    from vibrastic.platform.progress.project import milestone_statuses, stage_statuses

    project = _project()
    table = Table(title=f"{project.title} — your package: {project.package}/")
    for col in ("#", "stage", "what you build", "status", "best score"):
        table.add_column(col, justify="right" if col in ("#", "best score") else "left")
    for s in stage_statuses(project).values():
        table.add_row(str(s.stage.number), s.stage.slug, s.stage.title,
                      Text(s.status, style=STYLE[s.status]),
                      f"{s.best_score:g}/{s.max_score:g}")
    console.print(table)
    miles = Table(title="Milestones (on your engine, next to vibrastic and PyTorch)")
    for col in ("milestone", "what it shows", "needs stages up to", "status"):
        miles.add_column(col)
    for m in milestone_statuses(project).values():
        state = m.status if m.available or m.status != "not run" else "locked"
        miles.add_row(m.milestone.slug, m.milestone.title, m.milestone.requires,
                      Text(state, style=STYLE.get(state, "dim")))
    console.print(miles)
    console.print("Start with [bold]vibrastic project start 0[/bold].")


@app.command("show")
def show(stage: StageArg) -> None:
    """Print a stage's statement."""
    console.print(Markdown(_stage(stage).statement))


@app.command("start")
@store_errors
def start(stage: StageArg,
          force: Annotated[bool, typer.Option("--force", help="Replace this stage's files with "
                                              "the starters; yours are kept as .bak backups.")]
          = False) -> None:
    """Add the stage's files to your package (existing files are never overwritten)."""
    from vibrastic.platform.progress.project import earlier_stages_warning, start_stage
    from vibrastic.platform.progress.store import engine_for
    from vibrastic.platform.progress.workspace import workspace_dir

    found = _stage(stage)
    engine_for()  # a store that cannot be used stops here, before any file is written
    started = start_stage(found.slug, force=force)
    console.print(Markdown(found.statement))
    for path in started.written:
        console.print(f"wrote [bold]{path}[/bold]")
    for path in started.backups:
        console.print(f"your previous file was saved as [bold]{path}[/bold]")
    for path in started.kept:
        console.print(f"kept your [bold]{path}[/bold] (use --force to start it over)")
    if started.unpassed:
        console.print(f"[yellow]note:[/yellow] {earlier_stages_warning(started.unpassed)}")
    console.print(f"Your package grows in [bold]{workspace_dir() / _project().package}[/bold]. "
                  f"Check with [bold]vibrastic project check {found.slug}[/bold].")


@app.command("check")
@store_errors
def check(stage: StageArg,
          as_json: Annotated[bool, typer.Option("--json", help="Print the results JSON.")] = False,
          public_only: Annotated[bool, typer.Option(
              "--public-only", help="Skip the hidden tests.")] = False) -> None:
    """Grade your package against the stage's tests in the sandbox. Exit 0 when all pass."""
    from vibrastic.faces.cli.challenges import render_result
    from vibrastic.platform.grader.grade import GraderError
    from vibrastic.platform.progress.project import ProjectError, check_stage

    found = _stage(stage)
    try:
        result = check_stage(found.slug, hidden=not public_only)
    except ProjectError as exc:
        raise _usage(str(exc)) from None
    except GraderError as exc:
        err.print(f"[red]error:[/red] the grader could not run ({escape(str(exc))}); this is "
                  "not counted as an attempt")
        raise typer.Exit(1) from None
    if as_json:
        typer.echo(result.to_json())
    else:
        render_result(result)
        if result.status == "pass":
            _next_step(found.number)
    raise typer.Exit(0 if result.status == "pass" else 1)


def _next_step(number: int) -> None:
    project = _project()
    unlocked = [m.slug for m in project.milestones if project.stage(m.requires).number == number]
    if unlocked:
        console.print(f"[green]Unlocked:[/green] vibrastic project milestone "
                      f"{' / '.join(unlocked)}")
    if number + 1 < len(project.stages):
        console.print(f"Next: [bold]vibrastic project start {project.stages[number + 1].slug}"
                      "[/bold]")


@app.command("hint")
@store_errors
def hint(stage: StageArg) -> None:
    """Show the stage's next hint (one at a time; failing tests show their own hints too)."""
    from rich.panel import Panel

    from vibrastic.platform.progress import store

    found = _stage(stage)
    shown = store.next_hint(found.name, found.hints)
    if shown is None:
        console.print(f"No more hints for stage {found.number}: all {len(found.hints)} were "
                      "shown. The failing tests' messages say what differs.")
        return
    number, text = shown
    console.print(Panel(Text(text), title=f"stage {found.number} hint {number}/"
                        f"{len(found.hints)}", border_style="cyan", expand=False))


@app.command("status")
@store_errors
def status() -> None:
    """Where you stand: each stage and milestone, and what to do next."""
    from vibrastic.platform.progress.project import milestone_statuses, stage_statuses

    project = _project()
    stages = stage_statuses(project)
    for s in stages.values():
        line = Text(f"stage {s.stage.number} {s.stage.slug:<10}", style="bold")
        line.append(f" {s.status}", style=STYLE[s.status])
        if s.attempts:
            line.append(f"  best {s.best_score:g}/{s.max_score:g}, {s.attempts} attempt(s)",
                        style="dim")
        console.print(line)
    for m in milestone_statuses(project).values():
        state = m.status if m.available or m.status != "not run" else "locked"
        line = Text(f"milestone {m.milestone.slug:<10}", style="bold")
        line.append(f" {state}", style=STYLE.get(state, "dim"))
        if not m.available:
            line.append(f"  (after stage {m.milestone.requires})", style="dim")
        console.print(line)
    todo = next((s for s in stages.values() if s.status != "passed"), None)
    passed = sum(s.status == "passed" for s in stages.values())
    console.print(f"{passed}/{len(stages)} stages passed.")
    if todo is not None:
        verb = "start" if todo.status == "not started" else "check"
        console.print(f"Next: [bold]vibrastic project {verb} {todo.stage.slug}[/bold]")


@app.command("milestone")
@store_errors
def milestone(name: Annotated[str, typer.Argument(help="graph, perceptron, xor or digits.")],
              options: Annotated[list[str] | None, typer.Option(
                  "--set", help="Change an option, e.g. --set epochs=2000 (see the table).")]
              = None,
              out: Annotated[Path | None, typer.Option(
                  "--out", help="Folder for the figures (default: <workspace>/milestones).")]
              = None) -> None:
    """Run a milestone on your engine, next to vibrastic and PyTorch; save its figures."""
    from vibrastic.platform.course.project import UnknownStage
    from vibrastic.platform.grader.grade import GraderError
    from vibrastic.platform.progress.project import ProjectError, run_milestone
    from vibrastic.platform.progress.workspace import workspace_dir

    project = _project()
    try:
        found = project.milestone(name)
    except UnknownStage as exc:
        raise _usage(str(exc)) from None
    given: dict[str, str] = {}
    for item in options or []:
        key, sep, value = item.partition("=")
        if not sep:
            raise _usage(f"--set {item!r}: expected KEY=VALUE, e.g. --set epochs=2000")
        given[key.strip()] = value.strip()
    console.print(Markdown(found.statement))
    console.print(f"[dim]running on your engine in the sandbox (up to {found.time_limit:g} s), "
                  "then on vibrastic and PyTorch…[/dim]")
    try:
        outcome = run_milestone(found.slug, options=given)
    except (ProjectError, ValueError) as exc:
        raise _usage(str(exc)) from None
    except GraderError as exc:
        err.print(f"[red]error:[/red] the grader could not run ({escape(str(exc))})")
        raise typer.Exit(1) from None
    _render_milestone(outcome, out or workspace_dir() / "milestones")
    raise typer.Exit(0 if outcome.passed else 1)


def _render_milestone(outcome: Any, out: Path) -> None:
    from vibrastic.faces.cli.challenges import render_result

    if outcome.rows:
        table = Table(title="side by side, from the same initial weights")
        for col in outcome.rows[0]:
            table.add_column(col, justify="left" if col == "engine" else "right")
        for row in outcome.rows:
            table.add_row(*(f"{v:.4g}" if isinstance(v, float) else str(v)
                            for v in row.values()))
        console.print(table)
    render_result(outcome.result)
    for path in outcome.save_figures(out):
        console.print(f"figure saved: [bold]{path}[/bold]")
