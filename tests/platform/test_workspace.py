"""Finding the learner's workspace the way git finds a repository, and its progress store."""

from __future__ import annotations

from pathlib import Path

import pytest

from vibrastic.platform.course.challenge import get_challenge
from vibrastic.platform.progress import store
from vibrastic.platform.progress.workspace import locate_workspace, write_starter


@pytest.fixture
def no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VIBRASTIC_WORKSPACE", raising=False)


def test_found_from_the_folder_that_holds_it_and_from_inside_it(tmp_path: Path,
                                                                no_env: None) -> None:
    project = tmp_path / "project"
    work = project / "vibrastic-work"
    deep = work / "notes" / "more"
    deep.mkdir(parents=True)
    for start in (project, work, deep):
        found = locate_workspace(start)
        assert (found.path, found.how) == (work, "found")
    assert "found from" in locate_workspace(deep).describe()


def test_a_renamed_workspace_is_found_by_its_state_folder(tmp_path: Path, no_env: None) -> None:
    mine = tmp_path / "my-course"
    write_starter(get_challenge("sigma"), workspace=mine)
    assert (mine / ".vibrastic" / "README.txt").is_file()
    inner = mine / "sub"
    inner.mkdir()
    assert locate_workspace(inner).path == mine


def test_none_found_means_a_new_one_here(tmp_path: Path, no_env: None) -> None:
    found = locate_workspace(tmp_path)
    assert (found.path, found.how, found.exists) == (tmp_path / "vibrastic-work", "new", False)
    assert "not created yet" in found.describe()


def test_the_environment_variable_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "vibrastic-work").mkdir()
    monkeypatch.setenv("VIBRASTIC_WORKSPACE", str(tmp_path / "elsewhere"))
    found = locate_workspace(tmp_path)
    assert (found.path, found.how) == (tmp_path / "elsewhere", "env")
    assert "from VIBRASTIC_WORKSPACE" in found.describe()


def test_each_workspace_has_its_own_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          no_env: None) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    (one / "vibrastic-work").mkdir(parents=True)
    (two / "vibrastic-work").mkdir(parents=True)
    monkeypatch.chdir(one)
    assert store.default_db_path() == one / "vibrastic-work" / ".vibrastic" / "progress.db"
    store.mark_gave_up("sigma")
    monkeypatch.chdir(two / "vibrastic-work")
    assert store.workspace_store_path() == two / "vibrastic-work" / ".vibrastic" / "progress.db"
    assert not store.gave_up("sigma")
    assert store.gave_up("sigma", store.workspace_store_path(one / "vibrastic-work"))


def test_watch_sees_a_save_made_before_the_watcher_started(tmp_path: Path) -> None:
    """The save happens during the first check, before any file event can be watched for: the
    file's signature, not the event, decides (this raced under load when events decided)."""
    from vibrastic.platform.progress.workspace import watch_file

    path = tmp_path / "sigma.py"
    path.write_text("first\n")
    seen: list[str] = []

    def on_change() -> None:
        seen.append(path.read_text())
        if len(seen) == 1:
            path.write_text("second version\n")

    assert watch_file(path, on_change, max_runs=2, timeout=120) == 2
    assert seen == ["first\n", "second version\n"]
