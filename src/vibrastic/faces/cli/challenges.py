"""``vibrastic challenge …``, ``vibrastic progress`` and ``vibrastic course check``.

Thin: parse, call ``vibrastic.platform`` (course.challenge, progress.submit on top of the
grading service, progress.store), render with Rich.
Exit codes: 0 when every test passes, 1 when not, 2 on usage errors
(unknown challenge, missing file, bad folder).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markdown import Markdown
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from vibrastic.faces.cli.coursemap import STATUS_STYLE
from vibrastic.platform.course.challenge import (
    Challenge,
    ChallengeError,
    UnknownChallenge,
    get_challenge,
)
from vibrastic.platform.grader.grade import GraderError
from vibrastic.platform.grader.launch import FALLBACK_WARNING
from vibrastic.platform.grader.results import GradeResult
from vibrastic.platform.progress import store
from vibrastic.platform.progress.service import QueueFull, SubmissionError
from vibrastic.platform.progress.submit import default_service, submit
from vibrastic.platform.progress.workspace import (
    WorkspaceError,
    challenge_file,
    watch_file,
    workspace_dir,
    write_starter,
)

# their help lines: COMMANDS in vibrastic.faces.cli
challenge_app = typer.Typer(no_args_is_help=True)
course_app = typer.Typer(no_args_is_help=True)
console = Console()
err = Console(stderr=True, soft_wrap=True)

# The CLI shows the fallback warning itself (once, on stderr); silence the library's log line.
logging.getLogger("vibrastic.platform.grader.launch").setLevel(logging.ERROR)
_warned = False
MARKS = {"pass": ("✓", "green"), "fail": ("✗", "red"), "error": ("!", "red"),
         "not run": ("·", "dim")}

NameArg = Annotated[str, typer.Argument(help="Challenge name, e.g. sigma (see `challenge list`).")]


def usage_error(message: str) -> typer.Exit:
    """Print a usage error (what was wrong, what was expected) and exit with code 2."""
    err.print(f"[red]error:[/red] {escape(message)}")
    return typer.Exit(2)


def _challenge(name: str) -> Challenge:
    try:
        return get_challenge(name)
    except UnknownChallenge as exc:
        raise usage_error(str(exc)) from None
    except ChallengeError as exc:
        raise usage_error(f"the course is broken: {exc}") from None


def _warn_once(result: GradeResult) -> None:
    global _warned
    if not _warned and result.sandbox != "bubblewrap":
        err.print(f"[yellow]warning:[/yellow] {FALLBACK_WARNING}")
        _warned = True


def render_result(result: GradeResult) -> None:
    """The verdict: each test with its message, the learner's output, hints; then the summary."""
    for test in result.tests:
        mark, style = MARKS[test.status]
        label = "hidden: " if test.hidden else ""
        line = Text(f"{mark} ", style=style)
        line.append(f"{label}{test.name}")
        line.append(f"  ({test.points:g}/{test.max_points:g})", style="dim")
        console.print(line)
        if test.message and test.status != "pass":
            console.print(Text(f"    {test.message}", style=style))
        if test.output and test.status != "pass":
            console.print(Panel(Text(test.output), title="your output", expand=False,
                                border_style="dim"))
        if test.hint and test.status != "pass":
            console.print(Text(f"    hint: {test.hint}", style="cyan"))
    if result.output.strip() and result.status != "pass":
        console.print(Panel(Text(result.output), title="output of your file", expand=False,
                            border_style="dim"))
    style = "green" if result.status == "pass" else "red"
    head = {"pass": "PASS", "fail": "FAIL", "error": "ERROR"}[result.status]
    console.print(Text(f"{head}: {result.summary}", style=f"bold {style}"))
    if result.message and result.status != "pass":
        console.print(Text(result.message, style=style))


def _grade_and_record(challenge: Challenge, path: Path, public_only: bool,
                      warm: bool = False) -> GradeResult:
    try:
        return submit(challenge.name, path, hidden=not public_only, warm=warm)
    except (GraderError, QueueFull) as exc:  # infrastructure: not the learner's fault, not recorded
        message = str(exc)
        if "not counted as an attempt" not in message:
            message = f"the grader could not run ({message}); this is not counted as an attempt"
        err.print(f"[red]error:[/red] {escape(message)}")
        raise typer.Exit(1) from None
    except SubmissionError as exc:
        raise usage_error(str(exc)) from None
    except OSError as exc:
        raise usage_error(f"cannot read {path}: {exc.strerror}; expected a readable Python file"
                          ) from None


def _file_for(challenge: Challenge, file: Path | None) -> Path:
    path = file or challenge_file(challenge)
    if path.is_dir():
        raise usage_error(f"{path} is a folder; expected a Python file (--file PATH)")
    if not path.exists():
        if file:
            raise usage_error(f"no file at {path}; expected a Python file (--file PATH)")
        raise usage_error(f"no file at {path}; run `vibrastic challenge start {challenge.name}` "
                          f"first, or pass --file PATH")
    return path


@challenge_app.command("list")
def list_challenges() -> None:
    """Every challenge in course order, with your status and best score."""
    statuses = store.challenge_statuses()
    table = Table(title="Challenges")
    for col in ("#", "challenge", "deck section", "status", "best score"):
        table.add_column(col, justify="right" if col in ("#", "best score") else "left")
    for name, info in statuses.items():
        if "order" not in info:
            continue
        status = info["status"]
        table.add_row(str(info["order"]), name, info["section"],
                      Text(status, style=STATUS_STYLE[status]),
                      f"{info['best_score']:g}/{info['max_score']:g}")
    console.print(table)
    console.print("Start one with [bold]vibrastic challenge start NAME[/bold].")


@challenge_app.command("show")
def show(name: NameArg) -> None:
    """Print a challenge's statement."""
    challenge = _challenge(name)
    console.print(Markdown(challenge.statement))


@challenge_app.command("start")
def start(name: NameArg,
          force: Annotated[bool, typer.Option("--force", help="Start over; your current file "
                                              "is kept as a .bak backup.")] = False) -> None:
    """Write the starter file into your workspace (never over your work without --force)."""
    challenge = _challenge(name)
    try:
        written = write_starter(challenge, force=force)
    except WorkspaceError as exc:
        raise usage_error(str(exc)) from None
    store.mark_started(challenge.name, detail=str(written.path))
    console.print(Markdown(challenge.statement))
    if written.backup:
        console.print(f"Your previous file was saved as [bold]{written.backup}[/bold].")
    console.print(f"Starter written to [bold]{written.path}[/bold]. Edit it, then run "
                  f"[bold]vibrastic challenge check {challenge.name}[/bold] "
                  f"(or [bold]watch[/bold] to re-check on every save).")


@challenge_app.command("check")
def check(name: NameArg,
          file: Annotated[Path | None, typer.Option("--file", help="Grade this file instead of "
                                                    "the one in your workspace.")] = None,
          as_json: Annotated[bool, typer.Option("--json", help="Print the results JSON.")] = False,
          public_only: Annotated[bool, typer.Option(
              "--public-only", help="Skip the hidden tests.")] = False) -> None:
    """Grade your file in the sandbox. Exit 0 when every test passes, 1 otherwise."""
    challenge = _challenge(name)
    path = _file_for(challenge, file)
    result = _grade_and_record(challenge, path, public_only)
    _warn_once(result)
    if as_json:
        typer.echo(result.to_json())
    else:
        render_result(result)
    raise typer.Exit(0 if result.status == "pass" else 1)


@challenge_app.command("hint")
def hint(name: NameArg) -> None:
    """Show the next hint (one at a time; `reset` starts the hints over)."""
    challenge = _challenge(name)
    found = store.next_hint(challenge.name, challenge.hints)
    if found is None:
        console.print(f"No more hints for {challenge.name}: all {len(challenge.hints)} were shown. "
                      f"`vibrastic challenge reset {challenge.name}` starts them over.")
        return
    number, text = found
    console.print(Panel(Text(text), title=f"hint {number}/{len(challenge.hints)}",
                        border_style="cyan", expand=False))


@challenge_app.command("watch")
def watch(name: NameArg,
          file: Annotated[Path | None, typer.Option("--file", help="Watch this file.")] = None,
          max_runs: Annotated[int, typer.Option(
              "--max-runs", min=0, help="Stop after this many checks (0: never).")] = 0,
          timeout: Annotated[float, typer.Option("--timeout", min=0,
                                                 help="Stop after this many seconds (0: never).")
                             ] = 0.0) -> None:
    """Check now, then again every time you save the file (Ctrl-C to stop)."""
    challenge = _challenge(name)
    path = _file_for(challenge, file)
    default_service(warm=True)
    last: list[GradeResult] = []

    def run() -> None:
        console.rule(f"{challenge.name} — {path.name}")
        result = _grade_and_record(challenge, path, public_only=False, warm=True)
        _warn_once(result)
        render_result(result)
        last.append(result)
        if result.status == "pass":
            console.print("[green]Solved! Stop watching with Ctrl-C, or keep improving.[/green]")
        else:
            console.print("[dim]Watching for changes… (Ctrl-C to stop)[/dim]")

    with contextlib.suppress(KeyboardInterrupt):
        watch_file(path, run, max_runs=max_runs, timeout=timeout, stop=threading.Event())
    raise typer.Exit(0 if last and last[-1].status == "pass" else 1)


@challenge_app.command("reset")
def reset(name: NameArg) -> None:
    """Put the starter back (your file is kept as a .bak backup) and start the hints over."""
    challenge = _challenge(name)
    written = write_starter(challenge, force=True)
    store.mark_reset(challenge.name, detail=str(written.backup or ""))
    if written.backup:
        console.print(f"Your file was saved as [bold]{written.backup}[/bold].")
    console.print(f"Starter written to [bold]{written.path}[/bold]; hints start over. "
                  f"Your attempts and progress are kept.")


def progress() -> None:
    """Your progress: challenges passed, scores, attempts, hints used."""
    statuses = store.challenge_statuses()
    table = Table(title=f"Progress (workspace: {workspace_dir()})")
    for col in ("#", "challenge", "status", "best score", "attempts", "hints"):
        table.add_column(col)
    passed = score = total = 0.0
    for name, info in statuses.items():
        if "order" not in info:
            continue
        status = info["status"]
        passed += status == "passed"
        score += info["best_score"]
        total += info["max_score"]
        table.add_row(str(info["order"]), name, Text(status, style=STATUS_STYLE[status]),
                      f"{info['best_score']:g}/{info['max_score']:g}", str(info["attempts"]),
                      str(info["hints_shown"]))
    console.print(table)
    count = sum(1 for i in statuses.values() if "order" in i)
    console.print(f"Passed {passed:g} of {count} challenges — {score:g}/{total:g} points.")


@course_app.command("check")
def course_check(path: Annotated[Path | None, typer.Argument(
        help="A course folder (with challenges/); the packaged course by default.")] = None
                 ) -> None:
    """Self-check: every starter fails and every reference solution passes (CI runs this)."""
    from vibrastic.platform.course.model import CourseError
    from vibrastic.platform.progress.selfcheck import check_course

    if path is not None and not path.is_dir():
        raise usage_error(f"{path} is not a folder; expected a course folder with challenges/")
    try:
        results = check_course(path)
    except (ChallengeError, CourseError) as exc:  # a malformed challenge or project stage
        raise usage_error(str(exc)) from None
    table = Table(title="Course self-check")
    for col in ("challenge", "reference", "starter", "problem"):
        table.add_column(col)
    for r in results:
        table.add_row(r.name, Text(r.reference, style="green" if r.reference == "pass" else "red"),
                      Text(r.starter, style="green" if r.starter != "pass" else "red"),
                      Text(r.problem or "ok", style="red" if r.problem else "green"))
    console.print(table)
    bad = [r for r in results if not r.ok]
    stages = sum(r.name.startswith("project-") for r in results)
    what = "challenges and project stages" if stages else "challenges"
    console.print(f"{len(results) - len(bad)}/{len(results)} {what} ok")
    raise typer.Exit(1 if bad else 0)

