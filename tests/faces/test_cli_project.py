"""The project through the CLI: list, start, check, status, milestone — one growing package."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from vibrastic.faces.cli import app
from vibrastic.platform.course.project import get_project
from vibrastic.platform.progress.submit import close_services

runner = CliRunner()
PROJECT = get_project()


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("VIBRASTIC_WORKSPACE", str(tmp_path / "work"))
    yield tmp_path / "work"
    close_services()  # the process-wide grading service belongs to this test's home


class Ran:
    """A CLI run with its output flattened (Rich wraps long lines at the terminal width)."""

    def __init__(self, *args: str) -> None:
        result = runner.invoke(app, list(args))
        self.exit_code = result.exit_code
        self.output = " ".join(result.output.split())


def solve(work: Path, stage: str) -> None:
    """Write the reference files of ``stage`` into the learner's package."""
    for rel in PROJECT.stage(stage).files:
        (work / rel).write_bytes(PROJECT.stage(stage).reference_files[rel])


def test_the_whole_project_flow(work: Path, tmp_path: Path) -> None:
    listed = Ran("project", "list")
    assert listed.exit_code == 0
    assert "│ 0 │ operators │" in listed.output and "locked" in listed.output

    started = Ran("project", "start", "0")
    assert started.exit_code == 0, started.output
    assert "Stage 0 — operators and activations on floats" in started.output
    assert (work / "mygrad" / "operators.py").is_file()

    checked = Ran("project", "check", "operators")
    assert checked.exit_code == 1
    assert "not written yet — stage 0: the deck's formula" in checked.output
    assert "FAIL: 0/11 public and 0/3 hidden tests passed" in checked.output

    hinted = Ran("project", "hint", "0")
    assert "stage 0 hint 1/5" in hinted.output and "plain Python floats" in hinted.output

    solve(work, "operators")
    checked = Ran("project", "check", "operators")
    assert checked.exit_code == 0, checked.output
    assert "PASS: all tests passed, hidden ones included" in checked.output
    assert "Next: vibrastic project start value" in checked.output

    refused = Ran("project", "milestone", "graph")
    assert refused.exit_code == 2
    assert "not passed yet: value, backward" in refused.output

    for stage in ("value", "backward"):
        assert Ran("project", "start", stage).exit_code == 0
        solve(work, stage)
        checked = Ran("project", "check", stage)
        assert checked.exit_code == 0, checked.output
    assert "Unlocked: vibrastic project milestone graph / perceptron" in checked.output
    assert sorted(p.name for p in (work / "mygrad").iterdir()) == [
        "__init__.py", "autodiff.py", "operators.py", "value.py"]  # one package, grown

    status = Ran("project", "status")
    assert "3/6 stages passed" in status.output
    course_map = Ran()  # the course map's last row: the project
    assert "✓ stage 2 backward (passed)" in course_map.output
    assert "· stage 3 tensor" in course_map.output
    assert "Next: vibrastic project start tensor" in status.output

    ran = Ran("project", "milestone", "graph", "--out", str(tmp_path / "figs"))
    assert ran.exit_code == 0, ran.output
    assert "same value and gradients as vibrastic" in ran.output
    figure = tmp_path / "figs" / "graph-graph.svg"  # through the grading service: SVG
    assert "<svg" in figure.read_text(encoding="utf-8")
    assert "milestone graph passed" in Ran("project", "status").output


def test_bad_input_is_a_usage_error(work: Path) -> None:
    unknown = Ran("project", "start", "engine")
    assert unknown.exit_code == 2
    assert "no stage 'engine'; expected one of: 0 operators, 1 value" in unknown.output
    nothing = Ran("project", "check", "0")
    assert nothing.exit_code == 2 and "run `vibrastic project start operators` first" in \
        nothing.output
    assert Ran("project", "milestone", "mnist").exit_code == 2
    bad = Ran("project", "milestone", "xor", "--set", "epochs")
    assert bad.exit_code == 2 and "expected KEY=VALUE" in bad.output


def test_starting_a_stage_before_the_earlier_ones_pass_warns_but_starts(work: Path) -> None:
    from vibrastic.platform.progress.project import earlier_stages_warning

    later = Ran("project", "start", "value")
    assert later.exit_code == 0, later.output
    assert f"note: {earlier_stages_warning(['operators'])}" in later.output
    assert (work / "mygrad" / "value.py").is_file()
    assert "note:" not in Ran("project", "start", "operators").output  # stage 0: none before

