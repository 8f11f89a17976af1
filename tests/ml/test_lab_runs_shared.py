"""Lab runs shared by the web processes of one machine (``classroom serve --processes N``):
a run started in one process is shown, with its result and figures, and can be cancelled from
any other. Two ``LabRuns`` on one folder stand for two processes."""

from __future__ import annotations

from pathlib import Path

import pytest

from vibrastic.ml.labs import get_lab
from vibrastic.ml.labs.params import parse_params
from vibrastic.ml.labs.runs import CANCELLED, DONE, FINISHED, LabRuns, UnknownRun


def test_another_process_sees_a_run_its_result_and_its_figures(tmp_path: Path) -> None:
    mine, other = LabRuns(shared_dir=tmp_path), LabRuns(shared_dir=tmp_path)
    try:
        run = mine.start("autograd", parse_params(get_lab("autograd"), {"seed": "0",
                                                                        "backend": "vibrastic"}))
        assert other.get(run.id).lab == "autograd"  # written when queued
        assert run.wait(300)  # a bound on a hang, not a speed claim
        seen = other.get(run.id)
        assert run.state == seen.state == DONE, run.error
        assert seen.result == run.result and seen.result["metrics"]
        assert seen.figures == run.figures and all("<svg" in svg for svg in seen.figures.values())
        assert seen.finished.is_set() and seen.status() == run.status()
    finally:
        mine.close()
        other.close()


def test_another_process_cancels_a_long_run(tmp_path: Path) -> None:
    mine, other = LabRuns(shared_dir=tmp_path), LabRuns(shared_dir=tmp_path)
    try:
        run = mine.start("xor", parse_params(get_lab("xor"), {"epochs": 200_000}))
        asked = other.cancel(run.id)
        assert asked.id == run.id and (tmp_path / f"{run.id}.cancel").exists()
        assert run.wait(300)
        assert run.state == other.get(run.id).state == CANCELLED
        assert other.get(run.id).state in FINISHED
    finally:
        mine.close()
        other.close()


@pytest.mark.parametrize("run_id", ["0123456789ab", "../../etc/passwd", "ABCDEF012345", ""])
def test_unknown_or_malformed_run_ids_are_unknown_everywhere(tmp_path: Path,
                                                             run_id: str) -> None:
    (tmp_path / "0123456789ab.json").write_text("{not json")  # a half-written file
    with pytest.raises(UnknownRun):
        LabRuns(shared_dir=tmp_path).get(run_id)
