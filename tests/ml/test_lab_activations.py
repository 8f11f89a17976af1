"""Lab activations: vibrastic's functions and derivatives equal PyTorch's and the closed forms."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

import vibrastic as vb
from vibrastic.ml.labs.activations import (
    ELEMENTWISE,
    elementwise_derivative,
    run,
    softmax_jacobian,
    softmax_jacobian_closed_form,
)

KEYS = ("linear", "sigmoid", "tanh", "relu", "leaky_relu", "softmax")


@pytest.fixture(scope="module")
def result():
    return run()


def test_derivatives_equal_torchs_and_the_formulas(result):
    m = result.metrics
    for key in KEYS:
        assert m[f"{key}_value_max_abs_diff"] < 1e-12, key
        assert m[f"{key}_derivative_max_abs_diff"] < 1e-12, key
        assert m[f"{key}_derivative_vs_formula"] < 1e-12, key
    assert m["softmax_jacobian_max_abs_diff"] < 1e-12
    assert m["softmax_jacobian_vs_formula"] < 1e-12
    assert m["softmax_jacobian_row_sums_max_abs"] < 1e-12  # Σ_i s_i = 1, so each row sums to 0
    assert m["parity_max_abs_diff"] < 1e-12


def test_vanishing_gradient_numbers(result):
    m = result.metrics
    assert m["sigmoid_derivative_max"] == 0.25 and m["tanh_derivative_max"] == 1.0
    assert m["sigmoid_derivative_at_5"] == pytest.approx(np.exp(-5) / (1 + np.exp(-5)) ** 2)
    assert m["tanh_derivative_at_5"] < 1e-3


@pytest.mark.parametrize("slope", [0.01, 0.2])
def test_leaky_relu_is_the_corrected_formula_on_both_libraries(slope):
    x = np.array([-3.0, -0.5, 0.0, 0.5, 3.0])
    leaky = next(a for a in ELEMENTWISE if a.key == "leaky_relu")
    for lib in (torch, vb):
        y, dy = elementwise_derivative(lib, leaky.make(lib, slope), x)
        assert np.allclose(y, np.maximum(0, x) + slope * np.minimum(0, x), rtol=0, atol=1e-15)
        assert np.allclose(dy, [slope, slope, slope, 1, 1])  # torch: slope at exactly 0
        assert not np.allclose(y, np.maximum(0, x))  # the deck's max(0, x) is ReLU


def test_softmax_jacobian_on_both_libraries():
    z = np.array([0.3, -1.2, 2.0, 0.0])
    expected = softmax_jacobian_closed_form(z)
    for lib in (torch, vb):
        assert np.allclose(softmax_jacobian(lib, z), expected, rtol=0, atol=1e-15)


def test_torch_backend_gives_the_same_metrics(result):
    other = run(backend="torch", points=21)
    assert other.backend == "torch"
    for key in KEYS:
        assert other.metrics[f"{key}_derivative_max_abs_diff"] < 1e-12


def test_pros_cons_table_and_figures_end_to_end(result, tmp_path: Path):
    rows = result.tables["pros_cons"]
    assert [r["module"] for r in rows] == ["nn.Identity", "nn.Sigmoid", "nn.Tanh", "nn.ReLU",
                                           "nn.LeakyReLU", "nn.Softmax"]
    leaky = rows[4]
    assert "negative_slope·min(0, x)" in leaky["formula"]
    assert "dying ReLU" in leaky["advantages"]
    assert all(r["advantages"] and r["disadvantages"] and r["derivative"] for r in rows)
    jac = result.tables["softmax_jacobian"]
    assert len(jac) == 3 and jac[0]["∂/∂z_1"] > 0 > jac[0]["∂/∂z_2"]
    assert set(result.figures) == {"linear", "sigmoid", "tanh", "relu", "leaky-relu", "softmax"}
    paths = result.save_figures(tmp_path)
    assert len(paths) == 12 and all(p.stat().st_size > 0 for p in paths)
