"""Lab mlp-backprop: the δ rule by hand equals autograd (vibrastic and PyTorch) to 1e-10."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import vibrastic as vb
from vibrastic.ml.labs.mlp_backprop import (
    PARAM_NAMES,
    autograd_gradients,
    backprop,
    deltas,
    forward,
    init_params,
    loss,
    max_abs_diff,
    run,
)


@pytest.fixture(scope="module")
def result():
    return run(steps=300, parity_steps=50)


def test_backprop_equals_autograd_to_1e_10(result):
    m = result.metrics
    assert m["grad_max_abs_diff_vs_vibrastic"] < 1e-10
    assert m["grad_max_abs_diff_vs_torch"] < 1e-10
    assert m["parity_max_abs_diff"] < 1e-10
    assert m["grad_max_abs"] > 0.1  # the gradients compared are not trivially zero
    assert m["loss_by_hand"] == pytest.approx(m["loss_torch"], abs=1e-12)
    assert m["loss_by_hand"] == pytest.approx(m["loss_vibrastic"], abs=1e-12)


@given(
    sizes=st.tuples(st.integers(1, 4), st.integers(1, 5), st.integers(1, 3)),
    samples=st.integers(1, 6),
    seed=st.integers(0, 10_000),
)
def test_backprop_equals_autograd_for_any_small_mlp(sizes, samples, seed):
    rng = np.random.default_rng(seed)
    params = init_params(*sizes, seed=seed)
    x = rng.standard_normal((samples, sizes[0])) * 2
    y = rng.standard_normal((samples, sizes[2]))
    by_hand = backprop(params, x, y)
    for lib in (vb, torch):
        grads, ell = autograd_gradients(lib, params, x, y)
        assert max_abs_diff(by_hand, grads) < 1e-10
        assert ell == pytest.approx(loss(forward(params, x).y_hat, y), abs=1e-12)


def test_backprop_equals_finite_differences():
    rng = np.random.default_rng(1)
    params = init_params(2, 3, 2, seed=1)
    x, y = rng.standard_normal((4, 2)), rng.standard_normal((4, 2))
    grads = backprop(params, x, y)
    h = 1e-6
    for name in PARAM_NAMES:
        for idx in np.ndindex(params[name].shape):
            up = {k: v.copy() for k, v in params.items()}
            down = {k: v.copy() for k, v in params.items()}
            up[name][idx] += h
            down[name][idx] -= h
            numeric = (loss(forward(up, x).y_hat, y) - loss(forward(down, x).y_hat, y)) / (2 * h)
            assert grads[name][idx] == pytest.approx(numeric, abs=1e-7)


def test_deltas_follow_the_decks_rule():
    rng = np.random.default_rng(2)
    params = init_params(3, 4, 2, seed=2)
    x, y = rng.standard_normal((1, 3)), rng.standard_normal((1, 2))
    delta_hidden, delta_output = deltas(params, x, y)
    fp = forward(params, x)
    assert np.allclose(delta_output, fp.y_hat - y)  # δ = ŷ − y, not the slide's y − ŷ
    for j in range(4):  # δ_j = (1 − y_j²) Σ_k δ_k w_kj, written out
        total = sum(delta_output[0, k] * params["fc2.weight"][k, j] for k in range(2))
        assert delta_hidden[0, j] == pytest.approx((1 - fp.y_hidden[0, j] ** 2) * total)


def test_the_decks_sign_climbs_the_loss(result):
    m = result.metrics
    assert m["loss_after_step"] < m["loss_by_hand"] < m["loss_after_step_deck_sign"]


def test_training_by_hand_tracks_autograd_end_to_end(result, tmp_path: Path):
    m = result.metrics
    assert m["fit_loss_final_by_hand"] < m["fit_loss_start"] / 10
    assert m["fit_loss_final_autograd"] == pytest.approx(m["fit_loss_final_by_hand"], rel=1e-9)
    assert m["fit_weights_max_abs_diff_by_hand_vs_autograd"] < 1e-10
    assert m["fit_parity_max_abs_diff"] < 1e-10 and m["fit_parity_steps"] == 50
    assert [r["parameter"] for r in result.tables["gradients"]] == list(PARAM_NAMES)
    assert set(result.figures) == {"gradients", "training"}
    paths = result.save_figures(tmp_path)
    assert len(paths) == 4 and all(p.stat().st_size > 0 for p in paths)


def test_torch_backend_run():
    result = run(backend="torch", steps=100, parity_steps=20, record_every=50)
    assert result.backend == "torch"
    assert result.metrics["grad_max_abs_diff_vs_torch"] < 1e-10
    assert result.metrics["fit_weights_max_abs_diff_by_hand_vs_autograd"] < 1e-10


@pytest.mark.parametrize("bad", [{"record_every": 0}, {"samples": 0}, {"sizes": (3, 0, 2)}])
def test_bad_sizes_are_rejected(bad):
    with pytest.raises(ValueError, match="at least"):
        run(**bad)
