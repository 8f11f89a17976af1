"""Shared test setup: a private learner's home and workspace for every test, a headless
matplotlib, and a Hypothesis profile sized for 2-core CI."""

import os
from pathlib import Path

import matplotlib
import pytest
from hypothesis import settings

matplotlib.use("Agg")
os.environ.setdefault("MPLBACKEND", "Agg")

settings.register_profile("ci", max_examples=40, deadline=None, derandomize=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(autouse=True)
def learner_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``VIBRASTIC_HOME`` (grader cache) in this test's own tmp folder, so no test reads or writes
    the real learner's home. Module-scoped fixtures that need a home set their own with
    ``pytest.MonkeyPatch.context()``."""
    home = tmp_path / "home"
    monkeypatch.setenv("VIBRASTIC_HOME", str(home))
    return home


@pytest.fixture(autouse=True)
def learner_workspace(tmp_path_factory: pytest.TempPathFactory,
                      monkeypatch: pytest.MonkeyPatch) -> Path:
    """``VIBRASTIC_WORKSPACE`` in a folder of its own (beside the test's ``tmp_path``, which it
    leaves untouched): the workspace's files and its progress store
    (``<workspace>/.vibrastic/progress.db``) start empty, and no test touches the developer's
    ``vibrastic-work``. Tests of workspace discovery unset it."""
    work = tmp_path_factory.mktemp("work")
    monkeypatch.setenv("VIBRASTIC_WORKSPACE", str(work))
    return work
