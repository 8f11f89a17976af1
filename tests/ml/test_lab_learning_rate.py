"""Lab learning-rate: the deck's α study, end to end, with divergence decided by the Hessian."""

from pathlib import Path

import numpy as np
import pytest

from vibrastic.ml import data
from vibrastic.ml.labs import REGISTRY
from vibrastic.ml.labs.learning_rate import DECK_ALPHAS, run

_, X_BIAS, Y = data.five_point_line()


@pytest.fixture(scope="module", params=["torch", "vibrastic"])
def result(request):
    return run(backend=request.param)


def _final_error_by_recurrence(alpha: float, t: int = 25) -> float:
    """E(w(t)) from w(t) − w* = (I − αXᵀX)^t (w(0) − w*), independent of the lab's loop."""
    H = X_BIAS.T @ X_BIAS
    w_star = np.linalg.solve(H, X_BIAS.T @ Y)
    w = w_star + np.linalg.matrix_power(np.eye(2) - alpha * H, t) @ (np.array([-3.0, 2.0]) - w_star)
    return 0.5 * float(np.sum((X_BIAS @ w - Y) ** 2))


def test_registered_with_both_backends() -> None:
    lab = REGISTRY["learning-rate"]
    assert lab.backends == ("torch", "vibrastic") and lab.run is run


def test_the_deck_alphas() -> None:
    np.testing.assert_allclose(DECK_ALPHAS, [0.02, 0.03, 0.04, 0.05, 0.06, 0.07])


def test_threshold_comes_from_lambda_max(result) -> None:
    m = result.metrics
    H = X_BIAS.T @ X_BIAS
    lam_max = (np.trace(H) + np.sqrt(np.trace(H) ** 2 - 4 * np.linalg.det(H))) / 2
    assert m["lambda_max"] == pytest.approx(lam_max)
    assert m["alpha_critical"] == pytest.approx(2 / lam_max)
    assert 0.05 < m["alpha_critical"] < 0.06


def test_alphas_above_the_threshold_diverge(result) -> None:
    m = result.metrics
    assert m["diverging_alphas"] == "0.06, 0.07" and m["n_diverging"] == 2
    for alpha in DECK_ALPHAS:
        assert m[f"diverges_alpha={alpha:.3g}"] == (alpha > m["alpha_critical"])
    assert m["theory_matches_observation"]
    assert m["final_error_alpha=0.06"] > m["error_w_0"]  # the error grew: 184.25 → ~262
    assert m["final_error_alpha=0.07"] > 1e6


def test_final_errors_match_the_recurrence(result) -> None:
    for alpha in DECK_ALPHAS:
        assert result.metrics[f"final_error_alpha={alpha:.3g}"] == pytest.approx(
            _final_error_by_recurrence(alpha), rel=1e-9)
    converging = [result.metrics[f"final_error_alpha={a:.3g}"] for a in DECK_ALPHAS[:4]]
    assert converging == sorted(converging, reverse=True)  # larger stable α, lower error
    assert min(converging) > result.metrics["error_w_norm"] == pytest.approx(4.2375)


def test_autograd_agrees_with_the_closed_form_and_the_other_backend(result) -> None:
    assert result.metrics["grad_max_rel_diff_closed_form"] < 1e-12
    assert result.metrics["parity_max_abs_diff"] < 1e-12


def test_table_rows_follow_the_alphas(result) -> None:
    rows = result.tables["alphas"]
    assert [r["alpha"] for r in rows] == pytest.approx(list(DECK_ALPHAS))
    for r in rows:
        assert r["diverges"] == (r["spectral_radius"] > 1)


def test_figures_are_written(result, tmp_path: Path) -> None:
    assert set(result.figures) == {"run", "alphas-study", "error-curves"}
    formats = ("png", "svg") if result.backend == "vibrastic" else ("png",)
    paths = result.save_figures(tmp_path, formats=formats)
    assert len(paths) == 3 * len(formats) and all(p.stat().st_size > 1000 for p in paths)
    assert len(result.figures["alphas-study"].axes) == 6


def test_small_configuration() -> None:
    r = run(backend="vibrastic", alphas=(0.01, 0.065), max_iters=5)
    assert r.metrics["diverging_alphas"] == "0.065"
