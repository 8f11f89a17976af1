"""The learner's whole workflow through the CLI: list, start, check, hint, watch, reset, progress,
and the course author's ``course check``."""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

from vibrastic.faces.cli import app
from vibrastic.platform.course.challenge import get_challenge, load_challenges, strip_markers
from vibrastic.platform.progress.workspace import watch_file

runner = CliRunner()
SIGMA = "def sigma(n):\n    return sum(i ** 2 for i in range(1, n + 1))\n"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The learner's workspace in this test's tmp folder (the home: conftest's learner_home)."""
    monkeypatch.setenv("VIBRASTIC_WORKSPACE", str(tmp_path / "work"))
    return tmp_path / "work"


class Ran:
    """A CLI run with its output flattened (Rich wraps long lines at the terminal width)."""

    def __init__(self, args: list[str]) -> None:
        result = runner.invoke(app, args)
        self.exit_code = result.exit_code
        self.stdout = result.stdout
        self.output = " ".join(result.output.split())


def run(*args: str) -> Ran:
    return Ran(list(args))


def test_whole_workflow(env: Path) -> None:
    listed = run("challenge", "list")
    assert listed.exit_code == 0
    assert "sigma" in listed.output and "not started" in listed.output

    started = run("challenge", "start", "sigma")
    assert started.exit_code == 0, started.output
    mine = env / "sigma.py"
    assert mine.read_text() == get_challenge("sigma").starter
    assert "Σ i²" in started.output

    # the starter fails: exit 1, the failing case is named with expected/got, hints are shown
    checked = run("challenge", "check", "sigma")
    assert checked.exit_code == 1
    assert "FAIL" in checked.output and "not written yet" in checked.output
    assert "hint:" in checked.output

    # a wrong answer: the message says what was expected and what came back
    mine.write_text("def sigma(n):\n    print('debug', n)\n    return n * n\n")
    checked = run("challenge", "check", "sigma")
    assert checked.exit_code == 1
    assert "sigma(2): expected 5, got 4" in checked.output
    assert "debug 2" in checked.output  # the learner's own output

    # never overwrite work without --force
    again = run("challenge", "start", "sigma")
    assert again.exit_code == 2 and "already exists" in again.output
    assert "print('debug', n)" in mine.read_text()

    mine.write_text(SIGMA)
    checked = run("challenge", "check", "sigma")
    assert checked.exit_code == 0, checked.output
    assert "PASS: all tests passed, hidden ones included — 9/9 points" in checked.output

    as_json = run("challenge", "check", "sigma", "--json")
    assert as_json.exit_code == 0
    data = json.loads(as_json.stdout)
    assert data["status"] == "pass" and data["score"] == 9 and len(data["tests"]) == 8

    public = run("challenge", "check", "sigma", "--public-only")
    assert public.exit_code == 0
    assert "public tests passed (hidden tests not run)" in public.output

    hint1, hint2 = run("challenge", "hint", "sigma"), run("challenge", "hint", "sigma")
    hints = get_challenge("sigma").hints
    assert "hint 1/4" in hint1.output and hints[0][:30] in hint1.output.replace("\n", " ")
    assert "hint 2/4" in hint2.output

    progress = run("progress")
    assert progress.exit_code == 0
    assert "passed" in progress.output and "9/9" in progress.output
    assert "Passed 1 of 13 challenges" in progress.output

    listed = run("challenge", "list")
    assert "passed" in listed.output

    # reset: starter back, the solved file kept as a backup, progress kept, hints start over
    reset = run("challenge", "reset", "sigma")
    assert reset.exit_code == 0
    assert mine.read_text() == get_challenge("sigma").starter
    [backup] = list(env.glob("sigma.py.*.bak"))
    assert backup.read_text() == SIGMA
    assert "hint 1/4" in run("challenge", "hint", "sigma").output
    assert "passed" in run("progress").output

    # start --force keeps a backup too
    mine.write_text("# my second try\n")
    forced = run("challenge", "start", "sigma", "--force")
    assert forced.exit_code == 0
    assert sorted(p.read_text() for p in env.glob("sigma.py.*.bak")) == sorted(
        [SIGMA, "# my second try\n"])


def test_usage_errors_exit_2(env: Path, tmp_path: Path) -> None:
    unknown = run("challenge", "check", "sigmaa")
    assert unknown.exit_code == 2
    assert "no challenge named 'sigmaa'" in unknown.output and "triangle" in unknown.output
    missing = run("challenge", "check", "sigma")
    assert missing.exit_code == 2
    assert "vibrastic challenge start sigma" in missing.output
    nofile = run("challenge", "check", "sigma", "--file", str(tmp_path / "nope.py"))
    assert nofile.exit_code == 2 and "no file at" in nofile.output
    folder = run("challenge", "check", "sigma", "--file", str(tmp_path))
    assert folder.exit_code == 2 and "is a folder" in folder.output
    assert run("challenge", "hint", "nope").exit_code == 2
    assert run("course", "check", str(tmp_path / "nowhere")).exit_code == 2


def test_check_with_file_and_non_utf8(env: Path, tmp_path: Path) -> None:
    good = tmp_path / "elsewhere.py"
    good.write_text(strip_markers(get_challenge("triangle").reference))
    assert run("challenge", "check", "triangle", "--file", str(good)).exit_code == 0
    bad = tmp_path / "latin1.py"
    bad.write_bytes("def triangle(h):\n    print('é')\n".encode("latin-1"))
    checked = run("challenge", "check", "triangle", "--file", str(bad))
    assert checked.exit_code == 1
    assert "not valid UTF-8" in checked.output


def test_hints_run_out_politely(env: Path) -> None:
    for i in range(len(get_challenge("triangle").hints)):
        assert f"hint {i + 1}/" in run("challenge", "hint", "triangle").output
    done = run("challenge", "hint", "triangle")
    assert done.exit_code == 0 and "No more hints" in done.output


def test_watch_rechecks_on_save(env: Path) -> None:
    assert run("challenge", "start", "sigma").exit_code == 0
    path = env / "sigma.py"
    verdicts: list[bool] = []
    first_checked = threading.Event()

    def on_change() -> None:
        from vibrastic.platform.grader.grade import grade_file

        verdicts.append(grade_file("sigma", path).passed)
        first_checked.set()

    def save_later() -> None:
        # Saved as soon as the first check is done: possibly before the watcher has started,
        # which watch_file must not miss (it compares the file's signature, not only events).
        first_checked.wait(timeout=120)
        path.write_text(SIGMA)

    saver = threading.Thread(target=save_later)
    saver.start()
    # max_runs ends it; the timeout only bounds a hang (two checks on a busy machine can take
    # a minute)
    runs = watch_file(path, on_change, max_runs=2, timeout=600)
    saver.join()
    assert runs == 2
    assert verdicts == [False, True]


def test_watch_command_is_bounded(env: Path) -> None:
    assert run("challenge", "start", "triangle").exit_code == 0
    watched = run("challenge", "watch", "triangle", "--max-runs", "1")
    assert watched.exit_code == 1
    assert "FAIL" in watched.output and "Watching for changes" in watched.output


def small_course(tmp_path: Path, names: tuple[str, ...]) -> Path:
    course = tmp_path / "course"
    for name in names:
        shutil.copytree(get_challenge(name).path, course / "challenges" / name)
    return course


def test_course_check_on_a_small_course(env: Path, tmp_path: Path) -> None:
    course = small_course(tmp_path, ("triangle", "sigma"))
    ok = run("course", "check", str(course))
    assert ok.exit_code == 0, ok.output
    assert "2/2 challenges ok" in ok.output
    # a starter that already passes is reported
    solution = course / "challenges" / "sigma" / "solution.py"
    solution.write_text(strip_markers(solution.read_text()))
    broken = run("course", "check", str(course))
    assert broken.exit_code == 1
    assert "the generated starter already passes" in broken.output


@pytest.mark.slow
def test_course_check_whole_course(env: Path) -> None:
    """What CI runs: every starter fails and every reference passes, hidden tests included."""
    from vibrastic.platform.course.project import get_project
    from vibrastic.platform.progress.selfcheck import check_course

    results = check_course()
    stages = [s.name for s in get_project().stages]  # project-operators, …, stage by stage
    assert [r.name for r in results] == [c.name for c in load_challenges()] + stages
    problems = {r.name: r.problem for r in results if not r.ok}
    assert problems == {}
    assert all(r.reference == "pass" and r.starter in ("fail", "error") for r in results)


def test_grader_failure_is_not_an_attempt(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from vibrastic.platform.grader import launch as sandbox
    from vibrastic.platform.progress import store

    assert run("challenge", "start", "sigma").exit_code == 0

    def broken(self: sandbox.Template, timeout: float = 60.0) -> None:
        raise sandbox.SandboxError("the grading sandbox (bubblewrap) did not start")

    monkeypatch.setattr(sandbox.Template, "start", broken)
    checked = run("challenge", "check", "sigma")
    assert checked.exit_code == 1
    assert "the grader could not run" in checked.output
    assert "not counted as an attempt" in checked.output
    assert store.attempts("sigma") == []


def test_show_prints_the_statement_and_refuses_unknown_names(env: Path) -> None:
    shown = run("challenge", "show", "sigma")
    assert shown.exit_code == 0
    assert "sigma(2)" in shown.output and "5" in shown.output
    unknown = run("challenge", "show", "no-such-challenge")
    assert unknown.exit_code == 2
    assert "no-such-challenge" in unknown.output and "sigma" in unknown.output
    assert not env.exists()  # showing a statement writes nothing into the workspace
