"""`make run` on a fresh clone says what it installs and how far it is (issue 15: it was silent
for minutes behind pip --quiet). Read from `make -n`, which prints what make would run."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_a_fresh_install_announces_its_steps_and_shows_pip_progress(tmp_path: Path) -> None:
    venv = tmp_path / "fresh-venv"  # no venv yet: the install steps are due
    # Under `make test` the outer make's variables would make this one a sub-make that prints
    # "Entering/Leaving directory" lines: run it as a newcomer's top-level make.
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
    plan = subprocess.run(["make", "--no-print-directory", "-n", "run", f"VENV={venv}"], cwd=ROOT,
                          env=env, capture_output=True, text=True, check=True).stdout.splitlines()
    steps = [line.split("]")[0] for line in plan if line.startswith('echo "==> [')]
    assert steps == ['echo "==> [1/3', 'echo "==> [2/3', 'echo "==> [3/3']
    [install] = [line for line in plan if "pip install" in line and "-e" in line]
    assert "--quiet" not in install and "--progress-bar on" in install
    assert plan[-1].endswith("vibrastic serve --port 8000")
