"""``vibrastic challenge …``, ``vibrastic progress`` and ``vibrastic course check``.

A challenge is named by its name or by the ``#`` number that ``challenge list`` shows.

Thin: parse, call ``vibrastic.platform`` (course.challenge, progress.submit on top of the
grading service, progress.store), render with Rich.
Exit codes: 0 when every test passes, 1 when not, 2 on usage errors
(unknown challenge, missing file, bad folder).
"""

from __future__ import annotations

import contextlib
import logging
import re
import threading
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markdown import Markdown
from rich.markup import escape
from rich.panel import Panel
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from vibrastic.faces.cli.common import err, store_errors, usage_error
from vibrastic.faces.cli.coursemap import STATUS_STYLE
from vibrastic.platform.course.challenge import (
    Challenge,
    ChallengeError,
    UnknownChallenge,
    get_challenge,
    load_challenges,
)
from vibrastic.platform.grader.grade import GraderError
from vibrastic.platform.grader.launch import FALLBACK_WARNING
from vibrastic.platform.grader.results import GradeResult
from vibrastic.platform.progress import store
from vibrastic.platform.progress.learner import LocalLearner, SolutionLocked, reveal_solution
from vibrastic.platform.progress.service import QueueFull, SubmissionError
from vibrastic.platform.progress.submit import default_service, submit
from vibrastic.platform.progress.workspace import (
    WorkspaceError,
    challenge_file,
    locate_workspace,
    watch_file,
    workspace_dir,
    write_starter,
)

# their help lines: COMMANDS in vibrastic.faces.cli
challenge_app = typer.Typer(no_args_is_help=True)
course_app = typer.Typer(no_args_is_help=True)
console = Console()

# The CLI shows the fallback warning itself (once, on stderr); silence the library's log line.
logging.getLogger("vibrastic.platform.grader.launch").setLevel(logging.ERROR)
_warned = False
MARKS = {"pass": ("✓", "green"), "fail": ("✗", "red"), "error": ("!", "red"),
         "not run": ("·", "dim")}

NameArg = Annotated[str, typer.Argument(
    metavar="NAME|#", help="Challenge name or number, e.g. sigma or 2 (see `challenge list`).")]


def _challenge(name: str) -> Challenge:
    if name.strip().isdigit():
        try:
            numbered = {c.order: c for c in load_challenges()}
        except ChallengeError as exc:
            raise usage_error(f"the course is broken: {exc}") from None
        if int(name) in numbered:
            return numbered[int(name)]
        raise usage_error(f"no challenge #{name.strip()}; expected a number from "
                          f"{min(numbered)} to {max(numbered)} or a name "
                          f"(see `vibrastic challenge list`)")
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


LINE_RE = re.compile(r"\(line (\d+)\)")


def _show_source_line(message: str, path: Path | None) -> None:
    """The learner's line that a load error names (``(line N)``), with the one before it."""
    found = LINE_RE.search(message)
    if not found or path is None:
        return
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return
    number = int(found.group(1))
    if not 1 <= number <= len(lines):
        return
    width = len(str(number))
    for n in range(max(1, number - 1), number + 1):
        text = Text(f"  {n:>{width}} | ", style="dim")
        text.append(lines[n - 1], style="bold" if n == number else "")
        console.print(text)


def render_result(result: GradeResult, path: Path | None = None) -> None:
    """The verdict: each test with its message, the learner's output, hints; then the summary.

    When the file could not be loaded at all (a syntax error, a limit hit while importing), no
    test ran: the error is said once, with the line it names, and no rows of tests that did not
    run are printed."""
    if result.status == "error" and all(t.status == "not run" for t in result.tests):
        problem = result.message or result.summary
        console.print(Text(f"ERROR: {problem}", style="bold red"))
        _show_source_line(problem, path)
        if result.output.strip():
            console.print(Panel(Text(result.output), title="output of your file", expand=False,
                                border_style="dim"))
        console.print(f"None of the {len(result.tests)} tests ran: fix this, then check again "
                      f"(vibrastic challenge check {result.challenge}).")
        return
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
    if result.message and result.status != "pass" and result.message not in result.summary:
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
@store_errors
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
    console.print("Start one with [bold]vibrastic challenge start NAME[/bold] (or its #); "
                  "[bold]vibrastic next[/bold] says what comes next.")


@challenge_app.command("show")
def show(name: NameArg) -> None:
    """Print a challenge's statement."""
    challenge = _challenge(name)
    console.print(Markdown(challenge.statement))


@challenge_app.command("start")
@store_errors
def start(name: NameArg,
          force: Annotated[bool, typer.Option("--force", help="Start over; your current file "
                                              "is kept as a .bak backup.")] = False) -> None:
    """Write the starter file into your workspace (never over your work without --force)."""
    challenge = _challenge(name)
    store.engine_for()  # a store that cannot be used stops here, before any file is written
    try:
        written = write_starter(challenge, force=force)
    except WorkspaceError as exc:
        raise usage_error(str(exc)) from None
    console.print(Markdown(challenge.statement))
    if written.backup:
        console.print(f"Your previous file was saved as [bold]{written.backup}[/bold].")
    console.print(f"Starter written to [bold]{written.path}[/bold]. Edit it, then run "
                  f"[bold]vibrastic challenge check {challenge.name}[/bold] "
                  f"(or [bold]watch[/bold] to re-check on every save).")
    store.mark_started(challenge.name, detail=str(written.path))


@challenge_app.command("check")
@store_errors
def check(name: NameArg,
          file: Annotated[Path | None, typer.Option("--file", help="Grade this file instead of "
                                                    "the one in your workspace.")] = None,
          as_json: Annotated[bool, typer.Option("--json", help="Print the results JSON.")] = False,
          public_only: Annotated[bool, typer.Option(
              "--public-only", help="Skip the hidden tests.")] = False) -> None:
    """Grade your file in the sandbox. Exit 0 when every test passes, 1 otherwise."""
    challenge = _challenge(name)
    path = _file_for(challenge, file)
    store.engine_for()  # a store that cannot be used is said before grading, not after
    result = _grade_and_record(challenge, path, public_only)
    _warn_once(result)
    if as_json:
        typer.echo(result.to_json())
    else:
        render_result(result, path)
        if result.status == "pass":
            console.print("Next: [bold]vibrastic next[/bold]; the reference solution: "
                          f"[bold]vibrastic challenge solution {challenge.name}[/bold].")
    raise typer.Exit(0 if result.status == "pass" else 1)


def _hint_panel(number: int, total: int, text: str) -> Panel:
    return Panel(Text(text), title=f"hint {number}/{total}", border_style="cyan", expand=False)


@challenge_app.command("hint")
@store_errors
def hint(name: NameArg,
         show_all: Annotated[bool, typer.Option(
             "--all", help="Show again every hint revealed so far (reveals no new one).")
                             ] = False) -> None:
    """Show the next hint (one at a time; `reset` starts the hints over)."""
    challenge = _challenge(name)
    if show_all:
        shown = store.hints_shown(challenge.name)
        if not shown:
            console.print(f"No hints revealed yet for {challenge.name}; "
                          f"`vibrastic challenge hint {challenge.name}` shows the first.")
            return
        for number, text in enumerate(challenge.hints[:shown], 1):
            console.print(_hint_panel(number, len(challenge.hints), text))
        return
    found = store.next_hint(challenge.name, challenge.hints)
    if found is None:
        console.print(f"No more hints for {challenge.name}: all {len(challenge.hints)} were shown. "
                      f"`vibrastic challenge reset {challenge.name}` starts them over.")
        return
    number, text = found
    console.print(_hint_panel(number, len(challenge.hints), text))
    if number > 1:
        console.print(f"[dim]`vibrastic challenge hint {challenge.name} --all` shows the "
                      f"{number} hints revealed so far.[/dim]")


@challenge_app.command("watch")
@store_errors
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
    store.engine_for()  # as in check
    default_service(warm=True)
    last: list[GradeResult] = []

    def run() -> None:
        console.rule(f"{challenge.name} — {path.name}")
        result = _grade_and_record(challenge, path, public_only=False, warm=True)
        _warn_once(result)
        render_result(result, path)
        last.append(result)
        if result.status == "pass":
            console.print("[green]Solved! Stop watching with Ctrl-C, or keep improving.[/green]")
        else:
            console.print("[dim]Watching for changes… (Ctrl-C to stop)[/dim]")

    with contextlib.suppress(KeyboardInterrupt):
        watch_file(path, run, max_runs=max_runs, timeout=timeout, stop=threading.Event())
    raise typer.Exit(0 if last and last[-1].status == "pass" else 1)


@challenge_app.command("reset")
@store_errors
def reset(name: NameArg) -> None:
    """Put the starter back (your file is kept as a .bak backup) and start the hints over."""
    challenge = _challenge(name)
    store.engine_for()  # as in start: no file is touched when the store cannot be used
    written = write_starter(challenge, force=True)
    if written.backup:
        console.print(f"Your file was saved as [bold]{written.backup}[/bold].")
    console.print(f"Starter written to [bold]{written.path}[/bold]; hints start over. "
                  f"Your attempts and progress are kept.")
    store.mark_reset(challenge.name, detail=str(written.backup or ""))


@challenge_app.command("solution")
@store_errors
def solution(name: NameArg,
             give_up: Annotated[bool, typer.Option(
                 "--give-up", help="Show it without having passed; recorded as a give-up "
                 "(`vibrastic next` then moves on).")] = False) -> None:
    """The reference solution: after you pass the challenge, or after an explicit --give-up."""
    challenge = _challenge(name)
    try:
        shown = reveal_solution(LocalLearner(workspace_dir()), challenge, give_up=give_up)
    except SolutionLocked:
        err.print(f"[red]error:[/red] the solution of {challenge.name} opens once you pass "
                  f"it (`vibrastic challenge check {challenge.name}`). Stuck? "
                  f"`vibrastic challenge hint {challenge.name}`; or give up and read it: "
                  f"`vibrastic challenge solution {challenge.name} --give-up` (recorded).")
        raise typer.Exit(1) from None
    if shown.gave_up_now:
        console.print(f"[yellow]Recorded: you gave up on {challenge.name}.[/yellow] Passing it "
                      "later still counts.")
    console.print(Panel(Syntax(shown.code.rstrip(), "python", theme="ansi_dark",
                               background_color="default", word_wrap=True),
                        title=f"{challenge.name}: reference solution", expand=False))


@store_errors
def progress() -> None:
    """Your progress: challenges passed, scores, attempts, hints used (and where it is kept)."""
    location = locate_workspace()
    db = store.default_db_path()
    statuses = store.challenge_statuses()
    table = Table(title="Progress")
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
    console.print(f"Workspace: {location.describe()}")
    console.print(f"Progress read from: {db}" if db.exists() else
                  f"Progress read from: {db} (nothing recorded in this workspace yet)")


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

