"""Lab output can be read on its own: every figure passes ``vibrastic.ml.plots.readable`` (a title
in words, both axes labelled in words, a legend wherever more than one labelled thing is drawn,
labelled colorbars); every metric name is explained in words. The lessons' figures are checked
as they are drawn, in tests/platform/test_lessons_execute.py."""

from __future__ import annotations

import re

import pytest
from matplotlib.figure import Figure

from vibrastic.ml.labs import REGISTRY, run_lab
from vibrastic.ml.labs.glossary import COLUMNS, GLOSSARY
from vibrastic.ml.plots.readable import figure_problems

# Small runs: the figures are drawn the same way as in full ones (about 10 s of CPU in all).
SMALL = {"xor": {"epochs": 500, "parity_epochs": 50},
         "mlp-backprop": {"steps": 100, "parity_steps": 20, "record_every": 50},
         "reinforcement": {"n_runs": 50, "n_steps": 100}}


def test_the_figure_rules_catch_a_bare_figure() -> None:
    """The checker itself: a formula title, symbol-only axis labels, two lines and no legend,
    an unlabelled colorbar."""
    fig = Figure()
    ax = fig.add_subplot()
    ax.plot([0, 1], label="a")
    image = ax.imshow([[0, 1]])
    ax.plot([1, 0], label="b")
    ax.set(title=r"$\alpha = 0.02$ run", xlabel="x", ylabel="E(w)")
    fig.colorbar(image, ax=ax)
    assert figure_problems(fig, "bare") == [
        "bare (axes 0): no title in words ('$\\\\alpha = 0.02$ run')",
        "bare (axes 0): x axis label not in words ('x')",
        "bare (axes 0): y axis label not in words ('E(w)')",
        "bare (axes 0): 2 labelled things drawn (a, b) but no legend",
        "bare (axes 1): colorbar without a label in words"]
    ax.set(title="Two lines", xlabel="step", ylabel="error E(w)")
    ax.legend()
    fig.axes[1].set_ylabel("value of the image")
    assert figure_problems(fig) == []


@pytest.mark.slow
def test_every_lab_figure_is_labelled_and_every_metric_and_column_explained() -> None:
    found = []
    for lab in REGISTRY.values():
        result = run_lab(lab.name, "vibrastic" if "vibrastic" in lab.backends else None,
                         **SMALL.get(lab.name, {}))
        assert result.figures, f"{lab.name} draws no figure"
        for fig_name, fig in result.figures.items():
            found += figure_problems(fig, f"{lab.name}/{fig_name}")
        found += [f"{lab.name}: metric {name} has no explanation" for name in result.metrics
                  if not any(re.fullmatch(pattern, name)
                             for pattern, _ in GLOSSARY.get(lab.name, []))]
        found += [f"{lab.name}: table column {column} has no explanation"
                  for rows in result.tables.values() for column in {k for r in rows for k in r}
                  if "_" in column and column.isidentifier()
                  and column not in COLUMNS.get(lab.name, {})]
    assert found == []


def test_the_learning_rate_run_is_titled_in_words() -> None:
    fig = run_lab("learning-rate", "vibrastic", alphas=(0.05,), max_iters=5).figures["run"]
    title = fig.axes[0].get_title()
    assert title.startswith("Gradient descent on the error surface, α = 0.05")
    assert "end=" not in title and "5 steps from w₀, ending at slope" in title


def test_leaky_relu_shows_its_negative_slope_in_a_zoom() -> None:
    fig = run_lab("activations", "vibrastic", points=51).figures["leaky-relu"]
    [inset] = fig.axes[0].child_axes
    assert "slope 0.01, not 0 as in ReLU" in inset.get_title()
    low, high = inset.get_ylim()
    assert high - low < 0.2  # magnified: at full scale (−0.05 to 5) the slope is invisible
