"""Lab supervised-svr: overfitting measured on held-out data, and a consistent grid search."""

from pathlib import Path

import numpy as np
import pytest
from sklearn.model_selection import train_test_split
from sklearn.svm import SVR

from vibrastic.ml import data
from vibrastic.ml.labs import REGISTRY
from vibrastic.ml.labs.svr import GRID, NOISE_VARIANCE, effective_gamma, run

SEEDS = (0, 1, 2)


@pytest.fixture(scope="module")
def runs() -> dict:
    return {seed: run(seed=seed) for seed in SEEDS}


@pytest.fixture(params=SEEDS)
def result(request, runs):
    return runs[request.param]


def test_registered_as_numpy_only() -> None:
    assert REGISTRY["supervised-svr"].backends == ("numpy",)


def test_noise_floor_is_the_variance_of_the_uniform_noise() -> None:
    _, y_real, y_measured = data.noisy_sine(200_000, seed=0)
    assert np.var(y_measured - y_real) == pytest.approx(NOISE_VARIANCE, rel=0.01)


def test_the_old_default_overfits_and_todays_does_not(result) -> None:
    m = result.metrics
    assert m["auto_overfits"] and not m["default_overfits"] and not m["tuned_overfits"]
    assert m["auto_train_mse"] < NOISE_VARIANCE / 2 < 2 * NOISE_VARIANCE < m["auto_test_mse"]
    assert not m["deck_claim_default_overfits"]


def test_tuned_beats_the_overfitting_model_and_ties_todays_default(result) -> None:
    m = result.metrics
    assert m["tuned_test_mse"] < m["auto_test_mse"] / 2
    assert abs(m["tuned_test_mse"] - m["default_test_mse"]) < 0.02
    assert m["tuned_true_mse"] < m["auto_true_mse"] / 3
    assert m["default_true_mse"] < m["auto_true_mse"] / 3


def test_errors_recomputed_from_a_fresh_split(result) -> None:
    x, _, y = data.noisy_sine(seed=result.seed)
    X = x.reshape(-1, 1).astype(float)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3,
                                                        random_state=result.seed)
    tuned = SVR(C=1e3, gamma=1e-4).fit(X_train, y_train)
    assert result.metrics["tuned_test_mse"] == pytest.approx(
        np.mean((tuned.predict(X_test) - y_test) ** 2))
    assert result.metrics["gamma_scale"] == pytest.approx(1 / np.var(X_train))
    best = SVR(C=result.metrics["grid_best_C"], gamma=result.metrics["grid_best_gamma"])
    best.fit(X_train, y_train)
    assert result.metrics["grid_best_test_mse"] == pytest.approx(
        np.mean((best.predict(X_test) - y_test) ** 2))


def test_grid_search_is_consistent(result) -> None:
    m, rows = result.metrics, result.tables["grid"]
    assert m["grid_n_candidates"] == len(rows) == len(GRID["C"]) * len(GRID["gamma"])
    assert m["grid_best_cv_mse"] == pytest.approx(min(r["cv_mse"] for r in rows))
    best = min(rows, key=lambda r: r["cv_mse"])
    assert (best["C"], best["gamma"]) == (m["grid_best_C"], m["grid_best_gamma"])
    assert m["grid_best_cv_mse"] < 1.5 * NOISE_VARIANCE  # the best model sits near the floor
    assert m["grid_best_gamma"] < 0.1  # cross-validation rejects the narrow kernels


def test_effective_gamma() -> None:
    X = np.arange(10.0).reshape(-1, 1)
    assert effective_gamma(SVR(), X) == pytest.approx(1 / 8.25)
    assert effective_gamma(SVR(gamma="auto"), X) == 1.0
    assert effective_gamma(SVR(gamma=0.5), X) == 0.5


def test_figures_are_written(runs, tmp_path: Path) -> None:
    paths = runs[0].save_figures(tmp_path)
    assert {p.name for p in paths} == {f"supervised-svr-{n}.{f}" for n in
                                       ("deck", "held-out", "grid-search") for f in ("png", "svg")}
