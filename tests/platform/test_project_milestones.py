"""Milestones on the learner's engine (the reference mygrad here), run in the sandbox and
compared with vibrastic and PyTorch from the same initial weights; figures; refusals."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from vibrastic.ml.plots.readable import figure_problems
from vibrastic.platform.course.project import get_project
from vibrastic.platform.grader.grade import Grader
from vibrastic.platform.progress import store
from vibrastic.platform.progress.milestones import options_for
from vibrastic.platform.progress.project import ProjectError, run_milestone

PROJECT = get_project()
REFERENCE = PROJECT.reference_package()


@pytest.fixture(scope="module")
def grader() -> Iterator[Grader]:
    with Grader() as g:
        yield g


def _run(name: str, grader: Grader, **options: float):
    return run_milestone(name, files=REFERENCE, options=options, grader=grader,
                         require_passed=False)


def _checks(outcome) -> dict[str, str]:
    return {t.name: t.status for t in outcome.result.tests}


def _unreadable(outcome) -> list[str]:
    """What the milestone's figures lack (see vibrastic.ml.plots.readable): nothing."""
    return [p for name, fig in outcome.figures.items() for p in figure_problems(fig, name)]


def test_graph_of_g_on_the_learners_engine(grader: Grader, tmp_path: Path) -> None:
    outcome = _run("graph", grader)
    assert outcome.passed, outcome.result.to_json()
    obs = outcome.observation
    assert (obs["value"], obs["x_grad"], obs["y_grad"]) == (30.0, 5.0, 16.0)
    assert [r["∂g/∂x"] for r in outcome.rows] == [5.0, 5.0, 5.0]  # mygrad, vibrastic, torch
    paths = outcome.save_figures(tmp_path)
    assert sorted(p.name for p in paths) == ["graph-graph-vibrastic.png", "graph-graph.png"]
    assert _unreadable(outcome) == []
    assert all(p.stat().st_size > 5000 for p in paths)
    (attempt,) = store.attempts("milestone-graph")  # recorded like any graded attempt
    assert attempt["status"] == "pass"


def test_perceptron_learns_and_or_and_fails_xor(grader: Grader) -> None:
    outcome = _run("perceptron", grader)
    assert outcome.passed, outcome.result.to_json()
    assert _checks(outcome)["XOR is not: one neuron gets at most 3 of 4 right"] == "pass"
    assert [r["AND right"] for r in outcome.rows] == ["4/4"] * 3
    assert {r["XOR right"] for r in outcome.rows} <= {"1/4", "2/4", "3/4"}
    assert list(outcome.figures) == ["gates"] and _unreadable(outcome) == []


def test_digits_mlp_reaches_95_percent_with_the_same_numbers_as_torch(grader: Grader) -> None:
    outcome = _run("digits", grader, epochs=3)  # three epochs already clear the bar
    assert outcome.passed, outcome.result.to_json()
    accuracies = [float(r["test accuracy"].rstrip("%")) for r in outcome.rows]
    assert min(accuracies) >= 95 and max(accuracies) - min(accuracies) <= 2
    assert all(r["max |Δw| vs yours"] < 1e-3 for r in outcome.rows)
    assert set(outcome.figures) == {"training", "predictions"} and _unreadable(outcome) == []


def test_xor_matches_vibrastic_and_torch_and_says_when_it_has_not_learned_yet(
        grader: Grader) -> None:
    """The deck's 50,000 epochs take minutes (benchmarks/bench_project.py runs them); here the
    first epochs: the same numbers as vibrastic and PyTorch, and an honest "not yet"."""
    outcome = _run("xor", grader, epochs=60, parity_epochs=60, record_every=20)
    checks = _checks(outcome)
    assert checks.pop("learns XOR: every output within 0.1 of its target after 60 epochs") == \
        "fail"
    assert set(checks.values()) == {"pass"}, outcome.result.to_json()
    failed = next(t for t in outcome.result.tests if not t.passed)
    assert "(the deck trains 50,000)" in failed.message
    assert outcome.rows[1]["max |Δw| vs yours"] < 1e-4
    assert set(outcome.figures) == {"loss", "surface"} and _unreadable(outcome) == []


def test_a_broken_engine_fails_the_milestone_run_with_the_stages_message(grader: Grader) -> None:
    files = dict(REFERENCE, **{"mygrad/optim.py": PROJECT.stage("optim").starter_files[
        "mygrad/optim.py"]})
    outcome = run_milestone("digits", files=files, options={"epochs": 1}, grader=grader,
                            require_passed=False, record=False)
    assert not outcome.passed and outcome.observation is None and outcome.figures == {}
    assert "not written yet — stage 5" in outcome.result.tests[0].message


def test_a_milestone_waits_for_its_stages() -> None:
    with pytest.raises(ProjectError, match="not passed yet: operators, value, backward"):
        run_milestone("graph", files=REFERENCE)


def test_options_are_checked() -> None:
    xor = PROJECT.milestone("xor")
    assert options_for(xor, {"epochs": "2000"})["epochs"] == 2000
    with pytest.raises(ValueError, match=r"unknown option.*expected: epochs, lr"):
        options_for(xor, {"epoch": 5})
    with pytest.raises(ValueError, match="must be a positive number"):
        options_for(xor, {"lr": "-1"})
    with pytest.raises(ValueError, match="must be a number"):
        options_for(xor, {"epochs": "many"})


def test_learner_text_in_a_milestone_figure_never_becomes_markup() -> None:
    """Names and ops come from the learner's engine; the SVG the web serves shows them as text."""
    from vibrastic.ml.plots.graph import graph_figure
    from vibrastic.platform.progress.milestones import figure_svg, learner_graph_nodes

    evil = '--><script>alert(1)</script><!--'
    obs = {"nodes": [
        {"key": 1, "name": "g", "op": evil, "data": 1.0, "grad": 1.0, "parents": [2]},
        {"key": 2, "name": evil, "op": "", "data": 2.0, "grad": 0.5, "parents": []}]}
    svg = figure_svg(graph_figure(learner_graph_nodes(obs), "g on your engine"))
    assert "<script" not in svg and "alert(1)" in svg  # escaped, kept as text
