"""Lab 8, ``momentum``: gradient descent vs descent with momentum on the five-point line.

Slide "Study of Momentum Rate β hands on": α = 0.05, β = 0.5, w_0 = [−3, 2], 25 iterations; the
deck's ``comparison_plot`` side by side, then its α grid again with momentum
(``alphas_study_with_momentum``). Heavy-ball momentum Δw(t) = −α∇E + βΔw(t−1) is stable for
α < 2(1 + β)/λ_max (≈ 0.0895 for β = 0.5), so with momentum none of the six α diverges, and the slow
direction of the error valley (λ_min ≈ 1.49) is crossed faster.

As in ``learning-rate``, the descent is the deck's NumPy code; the chosen backend's autograd
recomputes ∇E along every path, checked against the closed form and the other backend.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Annotated

import numpy as np
from matplotlib.figure import Figure

from vibrastic.ml import data
from vibrastic.ml.classic.gradient_descent import (
    error,
    gradient_descent,
    gradient_descent_with_momentum,
    hessian_eigenvalues,
    normal_equations,
)
from vibrastic.ml.labs.base import LabResult
from vibrastic.ml.labs.learning_rate import (
    DECK_ALPHAS,
    DECK_W_0,
    alpha_key,
    error_curves,
    gradient_checks,
)
from vibrastic.ml.labs.params import Knob
from vibrastic.ml.plots.contours import alphas_study, comparison_plot


def compare_errors(
    X: np.ndarray, y: np.ndarray, w_hist: np.ndarray, w_hist_mom: np.ndarray, floor: float
) -> Figure:
    """E(w(t)) − E(w_norm) per iteration for both methods (log scale): the excess error."""
    fig = Figure(figsize=(6, 4))
    ax = fig.add_subplot()
    for label, path in (("gradient descent", w_hist), ("with momentum", w_hist_mom)):
        excess = [max(error(X, y, w) - floor, 1e-16) for w in path]
        ax.semilogy(excess, marker=".", label=label)
    ax.set(xlabel="iteration", ylabel=r"excess error $E(w) - E(w_{norm})$",
           title="Excess error per iteration")
    ax.legend()
    fig.tight_layout()
    return fig


def run(
    backend: str = "vibrastic",
    seed: int = 0,
    alpha: Annotated[float, Knob("learning rate α", "the step size of the compared runs",
                                 1e-6, 1.0)] = 0.05,
    beta: Annotated[float, Knob("momentum β", "how much of the last step is kept (0: none)",
                                0.0, 0.999)] = 0.5,
    alphas: Annotated[Sequence[float], Knob(
        "learning rates α for the study", "each α runs with and without momentum",
        1e-6, 1.0)] = DECK_ALPHAS,
    max_iters: Annotated[int, Knob("iterations", "gradient-descent steps per run", 1, 500)] = 25,
    w_0: Annotated[Sequence[float], Knob(
        "starting weights w₀ (slope, bias)", "where every descent starts", -100, 100, length=2)]
    = DECK_W_0,
) -> LabResult:
    """Run the momentum study. Nothing here is random: ``seed`` is recorded, the numbers are the
    deck's."""
    _, X_bias, y = data.five_point_line()
    w_norm = normal_equations(X_bias, y)
    lambda_max = float(hessian_eigenvalues(X_bias)[-1])
    E_norm = error(X_bias, y, w_norm)
    w_hist = gradient_descent(X_bias, y, w_0, alpha, max_iters)
    w_hist_mom = gradient_descent_with_momentum(X_bias, y, w_0, alpha, beta, max_iters)
    grid = {float(a): gradient_descent_with_momentum(X_bias, y, w_0, a, beta, max_iters)
            for a in alphas}

    E_gd, E_mom = error(X_bias, y, w_hist[-1]), error(X_bias, y, w_hist_mom[-1])
    critical = 2 * (1 + beta) / lambda_max
    metrics: dict[str, float | int | bool | str] = {
        "alpha": alpha,
        "beta": beta,
        "error_w_norm": E_norm,
        "final_error_gd": E_gd,
        "final_error_momentum": E_mom,
        "excess_error_gd": E_gd - E_norm,
        "excess_error_momentum": E_mom - E_norm,
        "momentum_lower_error": bool(E_mom < E_gd),
        "distance_to_w_norm_gd": float(np.linalg.norm(w_hist[-1] - w_norm)),
        "distance_to_w_norm_momentum": float(np.linalg.norm(w_hist_mom[-1] - w_norm)),
        "alpha_critical_gd": 2 / lambda_max,
        "alpha_critical_momentum": critical,
    }
    rows = []
    for a, path in grid.items():
        final = error(X_bias, y, path[-1])
        plain = error(X_bias, y, gradient_descent(X_bias, y, w_0, a, max_iters)[-1])
        metrics[f"final_error_momentum_{alpha_key(a)}"] = final
        rows.append({"alpha": a, "beta": beta, "final_error_momentum": final,
                     "final_error_gd": plain, "diverges_momentum": bool(a > critical),
                     "diverges_gd": bool(a > 2 / lambda_max)})
    diverging = [r["alpha"] for r in rows if r["diverges_momentum"]]
    metrics["diverging_alphas_momentum"] = ", ".join(f"{a:.3g}" for a in diverging) or "none"
    metrics.update(gradient_checks(backend, X_bias, y, [w_hist, w_hist_mom, *grid.values()]))

    figures = {
        "comparison": comparison_plot(X_bias, y, w_hist, w_hist_mom, w_norm),
        "alphas-study-momentum": alphas_study(
            X_bias, y, w_0, list(grid),
            partial(gradient_descent_with_momentum, beta=beta, max_iters=max_iters), w_norm,
            suptitle=rf"Gradient descent with momentum $\beta={beta:g}$, {max_iters} iterations"),
        "excess-error": compare_errors(X_bias, y, w_hist, w_hist_mom, E_norm),
        "error-curves-momentum": error_curves(X_bias, y, grid, rf"With momentum $\beta={beta:g}$",
                                              E_norm),
    }
    return LabResult("momentum", backend, seed, metrics, figures, {"alphas": rows})
