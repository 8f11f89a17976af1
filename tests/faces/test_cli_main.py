"""The top-level command: the course map with no arguments, usage errors exit 2."""

import subprocess
import sys

from typer.testing import CliRunner

from vibrastic.faces.cli import app

runner = CliRunner()


def test_no_arguments_shows_the_course_map() -> None:
    result = runner.invoke(app, [])
    assert result.exit_code == 0, result.output
    assert "Vibrastic 101" in result.output
    for row in ("Python refresher", "lab xor", "train-xor", "Let's build our own"):
        assert row in result.output


def test_unknown_command_is_a_usage_error() -> None:
    result = runner.invoke(app, ["no-such-command"])
    assert result.exit_code == 2
    assert "no-such-command" in result.output


def test_python_dash_m_runs_the_same_cli() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "vibrastic", "--help"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "Usage" in done.stdout
