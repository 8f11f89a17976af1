"""Lab perceptron: AND and OR learned, XOR never, on both backends and equal to NumPy."""

from pathlib import Path

import numpy as np
import pytest
import torch

import vibrastic as vb
from vibrastic.ml import data
from vibrastic.ml.classic.perceptron import Perceptron
from vibrastic.ml.labs import REGISTRY
from vibrastic.ml.labs.perceptron import perceptron_on_backend, run


@pytest.fixture(scope="module", params=["torch", "vibrastic"])
def result(request):
    return run(backend=request.param, max_epochs=60)


def test_registered_with_both_backends() -> None:
    assert REGISTRY["perceptron"].backends == ("torch", "vibrastic")


@pytest.mark.parametrize("kind", ["plain", "momentum"])
def test_converges_on_and_and_or(result, kind: str) -> None:
    m = result.metrics
    for gate in ("and", "or"):
        assert m[f"{gate}_{kind}_converged"]
        assert m[f"{gate}_{kind}_accuracy"] == 1.0
        assert 1 <= m[f"{gate}_{kind}_epochs"] < 60
        assert m[f"{gate}_{kind}_updates"] >= 1


@pytest.mark.parametrize("kind", ["plain", "momentum"])
def test_never_converges_on_xor(result, kind: str) -> None:
    m = result.metrics
    assert not m[f"xor_{kind}_converged"]
    assert m[f"xor_{kind}_epochs"] == 60
    assert m[f"xor_{kind}_accuracy"] <= 0.75
    assert m[f"xor_{kind}_updates"] >= 60  # at least one error in every epoch


def test_backends_reproduce_numpy_exactly(result) -> None:
    assert result.metrics["max_abs_diff_numpy"] == 0.0
    assert result.metrics["parity_max_abs_diff"] == 0.0


def test_table_matches_the_numpy_perceptron(result) -> None:
    for row in result.tables["runs"]:
        X, y = getattr(data, {"AND": "and_gate", "OR": "or_gate", "XOR": "xor"}[row["gate"]])()
        p = Perceptron(0.1, row["momentum"], 60, random_state=0).fit(X, y)
        assert row["epochs"] == p.history_.epochs
        assert row["updates"] == p.history_.n_updates
        assert row["converged"] == p.history_.converged
        assert row["accuracy"] == p.score(X, y)


def test_figures_are_written(result, tmp_path: Path) -> None:
    paths = result.save_figures(tmp_path, formats=("png",))
    assert {p.name for p in paths} == {"perceptron-boundaries.png",
                                       "perceptron-updates.png"}
    assert len(result.figures["boundaries"].axes) == 6
    for line in result.figures["updates"].axes[0].get_lines():  # cumulative: never decreases
        assert np.all(np.diff(line.get_ydata()) >= 0)


@pytest.mark.parametrize("lib", [torch, vb], ids=["torch", "vibrastic"])
def test_tensor_rule_first_epoch_by_hand(lib) -> None:
    """From w = 0, b = 0, α = 1 on AND only (1, 1) is wrong: w = (1, 1), b = 1 after epoch 1."""
    X, y = data.and_gate()
    r = perceptron_on_backend(lib, X, y, np.zeros(2), 0.0, 1.0, 0.0, 1)
    np.testing.assert_array_equal(r.w_hist[1], [1.0, 1.0])
    assert r.b_hist[1] == 1.0 and r.errors == [1]


def test_engine_keeps_float64_python_scalars() -> None:
    """torch.tensor(x, dtype=float64) keeps every bit of a Python float; vibrastic must too (it
    once rounded through float32, which showed here as a 1e-8 perceptron parity gap)."""
    x = 0.1
    assert torch.tensor(x, dtype=torch.float64).item() == x
    assert vb.tensor(x, dtype=vb.float64).item() == x
