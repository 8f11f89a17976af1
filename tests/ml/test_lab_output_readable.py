"""Lab output can be read on its own: every figure has a title in words, both axes labelled and a
legend wherever more than one labelled line is drawn; every metric name is explained in words."""

from __future__ import annotations

import re

import pytest
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from vibrastic.ml.labs import REGISTRY, run_lab
from vibrastic.ml.labs.glossary import GLOSSARY

WORDS = re.compile(r"[A-Za-z]{3,}")
# Small runs: the figures are drawn the same way as in full ones (about 10 s of CPU in all).
SMALL = {"xor": {"epochs": 500, "parity_epochs": 50},
         "mlp-backprop": {"steps": 100, "parity_steps": 20, "record_every": 50},
         "reinforcement": {"n_runs": 50, "n_steps": 100}}


def title_in_words(ax: Axes, fig: Figure) -> str:
    """The axes' title, or the figure's when the panel's own is only a formula like α=0.02."""
    own = ax.get_title()
    suptitle = fig._suptitle.get_text() if fig._suptitle is not None else ""
    return own if len(WORDS.findall(own)) >= 2 else suptitle


def problems(name: str, fig: Figure) -> list[str]:
    found = []
    for i, ax in enumerate(fig.axes):
        where = f"{name} (axes {i})"
        if ax.get_label() == "<colorbar>":
            if not ax.get_ylabel() and not ax.get_xlabel():
                found.append(f"{where}: colorbar without a label")
            continue
        if len(WORDS.findall(title_in_words(ax, fig))) < 2:
            found.append(f"{where}: no title in words ({ax.get_title()!r})")
        if not ax.axison:  # a diagram (the computation graph): no axes to label
            continue
        if not ax.get_xlabel() or not ax.get_ylabel():
            found.append(f"{where}: axis label missing (x={ax.get_xlabel()!r}, "
                         f"y={ax.get_ylabel()!r})")
        labelled = [line for line in ax.get_lines() if not line.get_label().startswith("_")]
        if len(labelled) > 1 and ax.get_legend() is None and not any(
                other.get_legend() is not None for other in fig.axes):
            found.append(f"{where}: {len(labelled)} labelled lines but no legend")
    return found


@pytest.mark.slow
def test_every_lab_figure_is_labelled_and_every_metric_explained() -> None:
    found = []
    for lab in REGISTRY.values():
        result = run_lab(lab.name, "vibrastic" if "vibrastic" in lab.backends else None,
                         **SMALL.get(lab.name, {}))
        assert result.figures, f"{lab.name} draws no figure"
        for fig_name, fig in result.figures.items():
            found += problems(f"{lab.name}/{fig_name}", fig)
        found += [f"{lab.name}: metric {name} has no explanation" for name in result.metrics
                  if not any(re.fullmatch(pattern, name)
                             for pattern, _ in GLOSSARY.get(lab.name, []))]
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
