"""A newcomer's first hour through the CLI: a damaged store, the workspace found from inside it,
progress per workspace, `next`, `doctor`, solutions, hints again, numbers for names, --version,
a syntax error said once, and Ctrl-C in `lesson run`. Each path asserts message and exit code."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from vibrastic import __version__
from vibrastic.faces.cli import app
from vibrastic.platform.course.challenge import get_challenge, strip_markers
from vibrastic.platform.progress import store

runner = CliRunner()
SIGMA = strip_markers(get_challenge("sigma").reference)


class Ran:
    """A CLI run: exit code, stdout, and all output flattened (Rich wraps at the width)."""

    def __init__(self, *args: str) -> None:
        result = runner.invoke(app, list(args))
        self.exit_code = result.exit_code
        self.exception = result.exception
        self.stdout = result.stdout
        self.output = " ".join(result.output.split())

    def says(self, text: str) -> bool:
        """``text`` is in the output, ignoring where Rich broke lines (it folds long paths)."""
        return "".join(text.split()) in "".join(self.output.split())


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """The workspace (VIBRASTIC_WORKSPACE, from tests/conftest.py)."""
    return Path(os.environ["VIBRASTIC_WORKSPACE"])


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder to work in, with no VIBRASTIC_WORKSPACE: the workspace is found from the cwd."""
    monkeypatch.delenv("VIBRASTIC_WORKSPACE")
    folder = tmp_path / "project"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder


def test_a_damaged_store_is_moved_aside_and_the_command_goes_on(work: Path) -> None:
    db = work / ".vibrastic" / "progress.db"
    db.parent.mkdir(parents=True)
    db.write_text("this is not a database")
    started = Ran("challenge", "start", "sigma")
    assert started.exit_code == 0, started.output
    assert started.says(f"the progress store {db} could not be read (file is not a database)")
    assert "moved aside to" in started.output and "nothing was deleted" in started.output
    [kept] = db.parent.glob("progress.db.broken-*")
    assert kept.read_text() == "this is not a database"
    assert (work / "sigma.py").exists()
    assert store.challenge_statuses()["sigma"]["started"] is True
    assert "Traceback" not in started.output


def test_a_store_that_cannot_be_opened_is_one_clear_line_and_exit_1(work: Path) -> None:
    (work / ".vibrastic" / "progress.db").mkdir(parents=True)
    listed = Ran("challenge", "list")
    assert listed.exit_code == 1
    assert "progress.db is a folder; expected an SQLite file there" in listed.output
    assert "vibrastic doctor" in listed.output
    assert listed.exception is None or isinstance(listed.exception, SystemExit)


# Every command that reads or records progress, and its exit code with a usable store.
STORE_COMMANDS = [
    ([], 0), (["challenge", "list"], 0), (["challenge", "start", "sigma"], 0),
    (["challenge", "hint", "sigma"], 0), (["challenge", "hint", "2", "--all"], 0),
    (["challenge", "reset", "sigma"], 0), (["challenge", "solution", "sigma"], 1),
    (["challenge", "check", "sigma", "--file", "SIGMA"], 0), (["progress"], 0), (["next"], 0),
    (["lesson", "show", "3"], 0), (["project", "list"], 0), (["project", "status"], 0),
    (["project", "hint", "0"], 0), (["project", "start", "0"], 0),
]


def _args(args: list[str], tmp_path: Path) -> list[str]:
    if "SIGMA" in args:
        (tmp_path / "mine.py").write_text(SIGMA)
    return [str(tmp_path / "mine.py") if a == "SIGMA" else a for a in args]


@pytest.mark.parametrize(("args", "code"), STORE_COMMANDS, ids=lambda v: " ".join(v)
                         if isinstance(v, list) else str(v))
def test_every_command_goes_on_after_moving_a_damaged_store_aside(
        work: Path, tmp_path: Path, args: list[str], code: int) -> None:
    db = work / ".vibrastic" / "progress.db"
    db.parent.mkdir(parents=True)
    db.write_bytes(b"\x00garbage, not SQLite")
    ran = Ran(*_args(args, tmp_path))
    assert ran.exit_code == code, ran.output
    assert ran.says(f"warning: the progress store {db} could not be read (file is not a "
                    "database); it was moved aside to")
    assert ran.says("(nothing was deleted) and a fresh store takes its place")
    assert [p.read_bytes() for p in db.parent.glob("progress.db.broken-*")] == [
        b"\x00garbage, not SQLite"]
    assert "Traceback" not in ran.output


@pytest.mark.parametrize(("args", "code"), [*STORE_COMMANDS, (["lab", "run", "1"], 1),
                                            (["lesson", "run", "1"], 1)],
                         ids=lambda v: " ".join(v) if isinstance(v, list) else str(v))
def test_a_store_that_cannot_be_opened_stops_every_command_with_one_line(
        work: Path, tmp_path: Path, args: list[str], code: int) -> None:
    """Exit 1 and one line naming the file (the course map still shows, without progress);
    commands that write files or run for long stop before they start."""
    db = work / ".vibrastic" / "progress.db"
    db.mkdir(parents=True)
    ran = Ran(*_args(args, tmp_path))
    if not args:
        assert ran.exit_code == 0 and "Vibrastic 101" in ran.output
        return
    assert ran.exit_code == 1, ran.output
    assert ran.says(f"error: the progress store {db} is a folder; expected an SQLite file there")
    assert "`vibrastic doctor` checks the store" in ran.output
    assert sorted(p.name for p in work.iterdir()) == [".vibrastic"]  # no file written
    assert "Traceback" not in ran.output and "Running lesson" not in ran.output


def test_the_workspace_is_found_from_inside_it(project: Path) -> None:
    assert Ran("challenge", "start", "sigma").exit_code == 0
    work = project / "vibrastic-work"
    os.chdir(work)
    checked = Ran("challenge", "check", "sigma")
    assert checked.exit_code == 1 and "FAIL" in checked.output
    (work / "sigma.py").write_text(SIGMA)
    assert Ran("challenge", "check", "sigma").exit_code == 0
    reset = Ran("challenge", "reset", "sigma")
    assert reset.exit_code == 0 and reset.says(f"Starter written to {work / 'sigma.py'}")
    assert not (work / "vibrastic-work").exists()  # no nested workspace
    progress = Ran("progress")
    assert progress.says(f"Workspace: {work} (found from {work})")
    assert progress.says(f"Progress read from: {work / '.vibrastic' / 'progress.db'}")
    assert "Passed 1 of 13" in progress.output


def test_the_workspace_is_found_from_deeper_folders_and_the_variable_wins(
        project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert Ran("challenge", "start", "sigma").exit_code == 0
    work = project / "vibrastic-work"
    notes = work / "notes" / "week1"
    notes.mkdir(parents=True)
    os.chdir(notes)
    hinted = Ran("challenge", "hint", "sigma")
    assert hinted.exit_code == 0 and "hint 1/" in hinted.output
    progress = Ran("progress")
    assert progress.says(f"Workspace: {work} (found from {notes})")
    assert store.hints_shown("sigma", work / ".vibrastic" / "progress.db") == 1
    elsewhere = tmp_path / "elsewhere"
    monkeypatch.setenv("VIBRASTIC_WORKSPACE", str(elsewhere))
    started = Ran("challenge", "start", "sigma")
    assert started.exit_code == 0 and started.says(f"Starter written to {elsewhere / 'sigma.py'}")
    assert Ran("progress").says(f"Workspace: {elsewhere} (from VIBRASTIC_WORKSPACE)")
    assert not (notes / "vibrastic-work").exists()


def test_progress_belongs_to_the_workspace(project: Path, tmp_path: Path) -> None:
    (project / "vibrastic-work").mkdir()
    store.mark_gave_up("sigma")
    other = tmp_path / "fresh-clone"
    other.mkdir()
    os.chdir(other)
    progress = Ran("progress")
    assert progress.exit_code == 0
    assert "(nothing recorded in this workspace yet)" in progress.output
    assert "not created yet" in progress.output
    assert not (other / "vibrastic-work").exists()  # reading created nothing


def test_next_walks_the_course_in_order(work: Path) -> None:
    first = Ran("next")
    assert first.exit_code == 0
    assert "Next: Python refresher (lesson 1)" in first.output
    assert "vibrastic lesson show 1" in first.output
    assert Ran("lesson", "show", "1").exit_code == 0
    assert "vibrastic challenge start triangle" in Ran("next").output
    assert Ran("challenge", "start", "1").exit_code == 0  # the number `list` shows
    after_start = Ran("next")
    assert "vibrastic challenge check triangle" in after_start.output
    assert "started but not passed yet (0 attempts so far)" in after_start.output
    (work / "triangle.py").write_text(strip_markers(get_challenge("triangle").reference))
    passed = Ran("challenge", "check", "triangle")
    assert passed.exit_code == 0 and "Next: vibrastic next" in passed.output
    assert "vibrastic challenge start sigma" in Ran("next").output


def test_after_the_challenges_come_the_project_stages_then_the_end(work: Path) -> None:
    from vibrastic.platform.course import load_course
    from vibrastic.platform.course.project import get_project
    from vibrastic.platform.grader.results import GradeResult

    course = load_course()
    for lesson in course.lessons:
        store.mark_done("lesson", lesson.name, "read")
        for lab in lesson.labs:
            store.mark_done("lab", lab, "ran")
        for name in lesson.challenges:
            store.mark_gave_up(name)
    first = get_project().stages[0]
    stage = Ran("next")
    assert stage.exit_code == 0
    assert f"Next: project stage {first.number}: {first.title} — every challenge is done" in (
        stage.output)
    assert f"vibrastic project start {first.number}" in stage.output
    for each in get_project().stages:  # every stage passed, hidden tests included
        store.record_attempt(GradeResult(each.name, "pass", 1.0, 1.0, hidden_run=True), "x")
    done = Ran("next")
    assert done.exit_code == 0
    assert "You have finished Vibrastic 101" in done.output and "vibrastic progress" in done.output


def test_solution_only_after_passing_or_an_explicit_give_up(work: Path) -> None:
    refused = Ran("challenge", "solution", "sigma")
    assert refused.exit_code == 1
    assert "the solution of sigma opens once you pass it" in refused.output
    assert "--give-up" in refused.output and "return" not in refused.output
    given = Ran("challenge", "solution", "2", "--give-up")
    assert given.exit_code == 0
    assert "Recorded: you gave up on sigma" in given.output
    assert "sigma: reference solution" in given.output and "def sigma(n)" in given.output
    assert store.gave_up("sigma")
    again = Ran("challenge", "solution", "sigma")  # no need to give up twice
    assert again.exit_code == 0 and "Recorded" not in again.output
    (work / "triangle.py").write_text(strip_markers(get_challenge("triangle").reference))
    assert Ran("challenge", "check", "triangle").exit_code == 0
    after_pass = Ran("challenge", "solution", "triangle")
    assert after_pass.exit_code == 0 and "def triangle(" in after_pass.output
    assert not store.gave_up("triangle")


def test_hint_all_shows_again_what_was_revealed(work: Path) -> None:
    hints = get_challenge("sigma").hints
    none_yet = Ran("challenge", "hint", "sigma", "--all")
    assert none_yet.exit_code == 0 and "No hints revealed yet for sigma" in none_yet.output
    Ran("challenge", "hint", "sigma")
    second = Ran("challenge", "hint", "sigma")
    assert "--all` shows the 2 hints revealed so far" in second.output
    again = Ran("challenge", "hint", "sigma", "--all")
    assert again.exit_code == 0
    assert "hint 1/" in again.output and "hint 2/" in again.output and "hint 3/" not in again.output
    assert hints[0][:25] in again.output and hints[1][:25] in again.output
    assert store.hints_shown("sigma") == 2  # --all reveals nothing new


def test_numbers_from_list_work_where_names_do(work: Path) -> None:
    shown = Ran("challenge", "show", "2")
    assert shown.exit_code == 0 and "Σ i²" in shown.output
    unknown = Ran("challenge", "check", "99")
    assert unknown.exit_code == 2
    assert "no challenge #99; expected a number from 1 to 13 or a name" in unknown.output


def test_lab_numbers_from_lab_list(tmp_path: Path) -> None:
    ran = Ran("lab", "run", "1", "--json", "--out", str(tmp_path))  # 1 = autograd
    assert ran.exit_code == 0 and '"lab": "autograd"' in ran.stdout
    assert ("lab", "autograd") in store.done_items()  # recorded for `vibrastic next`
    unknown = Ran("lab", "run", "11")
    assert unknown.exit_code == 2 and "unknown lab '11'" in unknown.output


def test_version() -> None:
    shown = Ran("--version")
    assert shown.exit_code == 0 and shown.output == f"vibrastic {__version__}"


def test_a_syntax_error_is_said_once_without_rows_of_tests_that_did_not_run(work: Path) -> None:
    assert Ran("challenge", "start", "sigma").exit_code == 0
    (work / "sigma.py").write_text("def sigma(n)\n    return 1\n")
    checked = Ran("challenge", "check", "sigma")
    assert checked.exit_code == 1
    assert checked.output.count("SyntaxError") == 1
    assert "ERROR: SyntaxError (line 1)" in checked.output
    assert "1 | def sigma(n)" in checked.output  # the line it names
    assert "None of the 8 tests ran" in checked.output
    assert "·" not in checked.output and "(0/1)" not in checked.output


def test_doctor_says_what_it_checked_and_finds_a_moved_store(work: Path) -> None:
    db = work / ".vibrastic" / "progress.db"
    db.parent.mkdir(parents=True)
    db.write_bytes(b"garbage")
    ran = Ran("doctor")
    assert ran.exit_code == 0, ran.output
    for seen in ("✓ installation: vibrastic", "✓ course: Vibrastic 101",
                 "graded sigma's reference solution: pass",
                 "could not be read (file is not a database); it was moved aside",
                 f"✓ workspace: {work} (from VIBRASTIC_WORKSPACE)", "No problems found"):
        assert ran.says(seen), seen
    assert list(db.parent.glob("progress.db.broken-*"))


def test_doctor_exits_1_and_says_what_to_do_about_a_problem(work: Path) -> None:
    (work / ".vibrastic" / "progress.db").mkdir(parents=True)
    (work / "vibrastic-work").mkdir()
    ran = Ran("doctor", "--no-grade")
    assert ran.exit_code == 1
    assert "✗ progress store:" in ran.output and "is a folder" in ran.output
    assert "→ move" in ran.output
    assert ran.says(f"a nested workspace {work / 'vibrastic-work'}")
    assert "1 problem to fix" in ran.output


def test_ctrl_c_in_lesson_run_exits_130_and_keeps_what_ran(tmp_path: Path) -> None:
    """A lesson whose second cell waits forever; SIGINT goes to the process group (as a terminal
    sends it) once that cell's first line has been printed (synchronised on output)."""
    course = tmp_path / "course"
    (course / "lessons").mkdir(parents=True)
    (course / "course.toml").write_text(
        'format_version = 1\n[course]\ntitle = "T"\n[[lessons]]\nname = "slow"\ntitle = "Slow"\n'
        'file = "lessons/slow.py"\n')
    (course / "lessons" / "slow.py").write_text(
        "# %%\nprint('first' + ' cell done')\n\n"
        "# %%\nimport time\nprint('waiting' + ' now', flush=True)\ntime.sleep(600)\n\n"
        "# %%\nprint('never' + ' printed')\n")
    env = dict(os.environ, COLUMNS="100", PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "vibrastic", "lesson", "run", "slow", "--course", str(course),
         "--out", str(tmp_path / "figs")], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env=env, start_new_session=True)
    seen = []
    assert proc.stdout is not None
    for line in proc.stdout:  # streamed: the sleeping cell's output arrives before it ends
        seen.append(line)
        if "waiting now" in line:
            os.killpg(proc.pid, signal.SIGINT)
            break
    rest, err = proc.communicate(timeout=120)
    out = "".join(seen) + rest
    assert proc.returncode == 130, (out, err)
    assert "first cell done" in out and "waiting now" in out and "never printed" not in out
    assert "interrupted: lesson 1 slow stopped after 2 cells (Ctrl-C)" in " ".join(err.split())
    assert "Traceback" not in err and "DeadKernelError" not in err


def test_a_missing_return_and_a_missing_backward_are_said_in_words(work: Path) -> None:
    """g without `return` (the grader's own float() meets None) and grad_g without backward():
    the learner reads what they forgot, not the grader's TypeError."""
    (work / "autograd_g.py").write_text(
        "import torch\n\ndef g(x, y):\n    x * y ** 2 - x ** 2 * y\n\n"
        "def grad_g(x, y):\n    g(x, y)\n    return x.grad, y.grad\n")
    checked = Ran("challenge", "check", "autograd-g", "--public-only")
    assert checked.exit_code == 1
    assert checked.says("✗ grad_g at (2, 5): ∂g/∂x and ∂g/∂y by backward() (0/2) your function "
                        "returned None for x.grad — did you call backward()?")
    assert checked.says("! g(2, 5) on tensors (0/1) your code gave None where the test needed a "
                        "value: is a `return` missing? (the test then failed with TypeError:")
    assert "FAIL: 0/3 public tests passed" in checked.output


def test_a_failing_cell_stops_lesson_run_with_exit_1_and_keeps_what_ran(tmp_path: Path) -> None:
    course = tmp_path / "course"
    (course / "lessons").mkdir(parents=True)
    (course / "course.toml").write_text(
        'format_version = 1\n[course]\ntitle = "T"\n[[lessons]]\nname = "broken"\n'
        'title = "Broken"\nfile = "lessons/broken.py"\n')
    (course / "lessons" / "broken.py").write_text(
        "# %%\nprint('first' + ' cell done')\n\n# %%\n1 / 0\n\n# %%\nprint('never' + ' printed')\n")
    ran = Ran("lesson", "run", "broken", "--course", str(course), "--out", str(tmp_path / "o"))
    assert ran.exit_code == 1
    assert "first cell done" in ran.output and "never printed" not in ran.output
    assert ran.says("error: lesson 1 broken: a cell failed: ZeroDivisionError: division by zero")
    assert ran.exception is None or isinstance(ran.exception, SystemExit)
