"""Lab momentum: descent with momentum (α = 0.05, β = 0.5) against plain descent, end to end."""

from pathlib import Path

import numpy as np
import pytest

from vibrastic.ml import data
from vibrastic.ml.labs import REGISTRY
from vibrastic.ml.labs.learning_rate import DECK_ALPHAS
from vibrastic.ml.labs.momentum import run

_, X_BIAS, Y = data.five_point_line()


@pytest.fixture(scope="module", params=["torch", "vibrastic"])
def result(request):
    return run(backend=request.param)


def _heavy_ball_error(alpha: float, beta: float, steps: int = 25) -> float:
    """The same method written in positions: w(t+1) = w(t) − α∇E + β(w(t) − w(t−1))."""
    prev = w = np.array([-3.0, 2.0])
    for _ in range(steps):
        prev, w = w, w - alpha * X_BIAS.T @ (X_BIAS @ w - Y) + beta * (w - prev)
    return 0.5 * float(np.sum((X_BIAS @ w - Y) ** 2))


def test_registered_with_both_backends() -> None:
    assert REGISTRY["momentum"].backends == ("torch", "vibrastic")


def test_momentum_reaches_a_lower_error_in_25_iterations(result) -> None:
    m = result.metrics
    assert m["momentum_lower_error"]
    assert m["final_error_momentum"] < m["final_error_gd"]
    assert m["final_error_momentum"] == pytest.approx(_heavy_ball_error(0.05, 0.5), rel=1e-9)
    assert m["final_error_gd"] == pytest.approx(_heavy_ball_error(0.05, 0.0), rel=1e-9)
    assert m["excess_error_momentum"] < m["excess_error_gd"] / 100
    assert m["distance_to_w_norm_momentum"] < m["distance_to_w_norm_gd"]


def test_momentum_widens_the_stable_range(result) -> None:
    m = result.metrics
    assert m["alpha_critical_momentum"] == pytest.approx(1.5 * m["alpha_critical_gd"])  # 2(1+β)/λ
    assert m["diverging_alphas_momentum"] == "none"
    for row in result.tables["alphas"]:
        assert not row["diverges_momentum"]
        assert row["final_error_momentum"] < row["final_error_gd"]
        assert row["final_error_momentum"] == pytest.approx(
            _heavy_ball_error(row["alpha"], 0.5), rel=1e-9)
    assert [r["alpha"] for r in result.tables["alphas"]] == pytest.approx(list(DECK_ALPHAS))


def test_autograd_agrees_along_the_paths(result) -> None:
    assert result.metrics["grad_max_rel_diff_closed_form"] < 1e-12
    assert result.metrics["parity_max_abs_diff"] < 1e-12


def test_figures_are_written(result, tmp_path: Path) -> None:
    assert set(result.figures) == {"comparison", "alphas-study-momentum", "excess-error",
                                   "error-curves-momentum"}
    paths = result.save_figures(tmp_path, formats=("png",))
    assert sorted(p.name for p in paths) == sorted(f"momentum-{n}.png" for n in result.figures)
    assert [ax.get_title() for ax in result.figures["comparison"].axes] == [
        "Gradient descent", "Gradient descent with momentum"]


def test_with_beta_zero_momentum_is_plain_descent() -> None:
    m = run(backend="vibrastic", beta=0.0, alphas=(0.05,), max_iters=10).metrics
    assert m["final_error_momentum"] == m["final_error_gd"]
    assert not m["momentum_lower_error"]
