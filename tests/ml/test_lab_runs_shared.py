"""Lab runs shared by the web processes of one machine (``classroom serve --processes N``):
a run started in one process is shown, with its owner, result and figures, and can be cancelled
from any other; a run whose process died is reported failed, and old runs' files are removed.
Two ``LabRuns`` on one folder stand for two processes; a killed subprocess for a crashed one."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from vibrastic.ml.labs import get_lab
from vibrastic.ml.labs.params import parse_params
from vibrastic.ml.labs.runs import (
    CANCELLED,
    DONE,
    ERROR,
    FINISHED,
    FINISHED_RUN_LIFETIME,
    PROCESS_GONE,
    QUEUED,
    RUNNING,
    LabRuns,
    UnknownRun,
)

# a web process that starts lab runs for these owners, then crashes (nothing tidied up)
CRASHING = """
import os, signal, sys
from pathlib import Path
from vibrastic.ml.labs import get_lab
from vibrastic.ml.labs.params import parse_params
from vibrastic.ml.labs.runs import LabRuns

runs = LabRuns(shared_dir=Path(sys.argv[1]))
params = parse_params(get_lab("autograd"), {"seed": "0", "backend": "vibrastic"})
for owner in sys.argv[2:]:
    print(runs.start("autograd", params, owner=owner).id, flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def _runs_of_a_crashed_process(folder: Path, *owners: str) -> list[str]:
    """The ids of runs, one per owner, left unfinished by a process that was killed."""
    crashed = subprocess.run([sys.executable, "-c", CRASHING, str(folder), *owners],
                             capture_output=True, text=True, timeout=300)
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr
    ids = crashed.stdout.split()
    assert len(ids) == len(owners)
    return ids


def _lock_pids(folder: Path) -> list[int]:
    """The pids in the lock files of the processes using ``folder``."""
    return [int(p.read_text()) for p in (folder / "processes").glob("*.lock")]


def test_another_process_sees_a_run_its_result_and_its_figures(tmp_path: Path) -> None:
    mine, other = LabRuns(shared_dir=tmp_path), LabRuns(shared_dir=tmp_path)
    try:
        run = mine.start("autograd", parse_params(get_lab("autograd"), {
            "seed": "0", "backend": "vibrastic"}), owner="7", course=3)
        queued = other.get(run.id)  # written when queued, with who started it
        assert (queued.lab, queued.owner, queued.course) == ("autograd", "7", 3)
        assert run.wait(300)  # a bound on a hang, not a speed claim
        seen = other.get(run.id)
        assert run.state == seen.state == DONE, run.error
        assert (seen.owner, seen.course) == ("7", 3)  # every later write keeps them
        assert seen.result == run.result and seen.result["metrics"]
        assert seen.figures == run.figures and all("<svg" in svg for svg in seen.figures.values())
        assert seen.finished.is_set() and seen.status() == run.status()
    finally:
        mine.close()
        other.close()


def test_another_process_cancels_a_long_run(tmp_path: Path) -> None:
    mine, other = LabRuns(shared_dir=tmp_path), LabRuns(shared_dir=tmp_path)
    try:
        run = mine.start("xor", parse_params(get_lab("xor"), {"epochs": 200_000}), owner="7")
        late = LabRuns(shared_dir=tmp_path)  # a process starting now tidies the folder...
        try:
            live = late.get(run.id)  # ...but leaves a live process's unfinished run alone
            assert live.state in (QUEUED, RUNNING) and live.error is None
        finally:
            late.close()
        asked = other.cancel(run.id)
        assert asked.id == run.id and (tmp_path / f"{run.id}.cancel").exists()
        assert run.wait(300)
        assert run.state == other.get(run.id).state == CANCELLED
        assert other.get(run.id).state in FINISHED
    finally:
        mine.close()
        other.close()


def test_a_closing_process_leaves_its_runs_cancelled_not_stopped(tmp_path: Path,
                                                                 monkeypatch) -> None:
    """Closing (a server shutting down) cancels its runs and waits for them to say so before
    letting go of its lock; else the others would report them stopped by a dead process."""
    from vibrastic.ml.labs import runs

    monkeypatch.setattr(runs, "CLOSE_WAIT", 300.0)  # a busy machine may be slow to start them
    mine, other = LabRuns(shared_dir=tmp_path), LabRuns(shared_dir=tmp_path)
    try:
        long = parse_params(get_lab("xor"), {"epochs": 200_000})
        running = mine.start("xor", long, owner="7")
        queued = mine.start("xor", long, owner="8")  # behind it (one worker)
        mine.close()
        for run in (running, queued):
            seen = other.get(run.id)
            assert (run.state, seen.state) == (CANCELLED, CANCELLED)
            assert seen.error != PROCESS_GONE
    finally:
        other.close()


@pytest.mark.parametrize("run_id", ["0123456789ab", "../../etc/passwd", "ABCDEF012345", ""])
def test_unknown_or_malformed_run_ids_are_unknown_everywhere(tmp_path: Path,
                                                             run_id: str) -> None:
    (tmp_path / "0123456789ab.json").write_text("{not json")  # a half-written file
    with pytest.raises(UnknownRun):
        LabRuns(shared_dir=tmp_path).get(run_id)


def test_a_run_whose_process_died_is_reported_failed_to_every_process(tmp_path: Path) -> None:
    reader = LabRuns(shared_dir=tmp_path)  # started before the crash: finds it when it looks
    try:
        [run_id] = _runs_of_a_crashed_process(tmp_path, "ada")
        assert json.loads((tmp_path / f"{run_id}.json").read_text())["state"] in (QUEUED,
                                                                                  RUNNING)
        run = reader.get(run_id)
        assert (run.state, run.error, run.owner) == (ERROR, PROCESS_GONE, "ada")
        assert run.finished.is_set() and run.finished_at is not None
        written = json.loads((tmp_path / f"{run_id}.json").read_text())
        assert (written["state"], written["error"]) == (ERROR, PROCESS_GONE)  # for the others
        assert reader.cancel(run_id).state == ERROR  # nothing left to cancel
        assert not (tmp_path / f"{run_id}.cancel").exists()
    finally:
        reader.close()


def test_a_starting_process_settles_dead_runs_and_removes_old_ones(tmp_path: Path) -> None:
    old_id, recent_id = _runs_of_a_crashed_process(tmp_path, "ada", "bob")
    first = LabRuns(shared_dir=tmp_path)  # marks both failed as it starts
    try:
        assert first.get(old_id).state == first.get(recent_id).state == ERROR
        assert _lock_pids(tmp_path) == [os.getpid()]  # the dead process's lock is gone
    finally:
        first.close()
    long_ago = time.time() - FINISHED_RUN_LIFETIME - 60
    old_file = tmp_path / f"{old_id}.json"
    data = json.loads(old_file.read_text())
    old_file.write_text(json.dumps({**data, "finished_at": long_ago}))
    (tmp_path / f"{old_id}.cancel").touch()
    stale_part = tmp_path / f"{recent_id}.0123abcd.part"  # a write cut short long ago
    stale_part.write_text("{")
    os.utime(stale_part, (long_ago, long_ago))
    second = LabRuns(shared_dir=tmp_path)
    try:
        with pytest.raises(UnknownRun):
            second.get(old_id)
        assert not (tmp_path / f"{old_id}.cancel").exists() and not stale_part.exists()
        kept = second.get(recent_id)  # finished a moment ago: still shown, with why
        assert (kept.state, kept.error, kept.owner) == (ERROR, PROCESS_GONE, "bob")
        assert _lock_pids(tmp_path) == [os.getpid()]
    finally:
        second.close()
