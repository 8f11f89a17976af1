"""Lab 7, ``learning-rate``: the deck's gradient descent on the five-point line for six α.

Slide "Study of Learning Rate α hands on": X = [0..4] with a bias column, y = [10.5, 5, 3, 2.5, 1],
w_0 = [−3, 2], 25 iterations, α ∈ np.linspace(0.02, 0.07, 6). E(w) = ½‖Xw − y‖² is a quadratic with
Hessian XᵀX, so plain gradient descent converges iff α < 2/λ_max (λ_max ≈ 33.51 here, threshold
≈ 0.0597): α = 0.06 and 0.07 diverge. The lab reports λ_max, the threshold, the final error per α,
and which α diverge both by the theory and by the error actually growing.

The descent itself is the deck's NumPy code with the closed-form gradient; the chosen backend's
autograd recomputes the gradient at every point of every path, checked against the closed form and
against the other backend (``parity_max_abs_diff``).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Annotated

import numpy as np
from matplotlib.figure import Figure

from vibrastic.ml import data
from vibrastic.ml.classic.gradient_descent import (
    autograd_gradient,
    error,
    gradient_descent,
    hessian_eigenvalues,
    linear_regression_gradient,
    normal_equations,
)
from vibrastic.ml.labs.backends import get_backend, other_backend
from vibrastic.ml.labs.base import LabResult
from vibrastic.ml.labs.params import Knob
from vibrastic.ml.plots.contours import alphas_study, plot_hist_contour

DECK_ALPHAS = tuple(float(a) for a in np.linspace(0.02, 0.07, 6))
DECK_W_0 = (-3.0, 2.0)


def alpha_key(alpha: float) -> str:
    """A metric-name suffix for α, e.g. 0.05 → "alpha=0.05"."""
    return f"alpha={alpha:.3g}"


def gradient_checks(
    backend: str, X: np.ndarray, y: np.ndarray, paths: Sequence[np.ndarray]
) -> dict[str, float]:
    """Autograd ∇E by ``backend`` and by the other backend at every point of ``paths``.

    Returns the largest difference from the closed form Xᵀ(Xw − y) and between the backends, both
    relative to max(1, ‖closed form‖∞) because diverging paths reach huge gradients.
    """
    lib, other = get_backend(backend), get_backend(other_backend(backend))
    to_closed, to_other = 0.0, 0.0
    for w_hist in paths:
        for w in w_hist:
            closed = linear_regression_gradient(X, y, w)
            scale = max(1.0, float(np.abs(closed).max()))
            mine = autograd_gradient(lib, X, y, w)
            theirs = autograd_gradient(other, X, y, w)
            to_closed = max(to_closed, float(np.abs(mine - closed).max()) / scale)
            to_other = max(to_other, float(np.abs(mine - theirs).max()) / scale)
    return {"grad_max_rel_diff_closed_form": to_closed, "parity_max_abs_diff": to_other}


def error_curves(
    X: np.ndarray, y: np.ndarray, paths: dict[float, np.ndarray], title: str, floor: float
) -> Figure:
    """E(w(t)) per iteration for every α (log scale), with the optimum E(w_norm) dashed."""
    fig = Figure(figsize=(6, 4))
    ax = fig.add_subplot()
    for alpha, w_hist in paths.items():
        ax.semilogy([error(X, y, w) for w in w_hist], marker=".", label=rf"$\alpha={alpha:.3g}$")
    ax.axhline(floor, color="black", linestyle="--", linewidth=1, label=r"$E(w_{norm})$")
    ax.set(xlabel="iteration", ylabel="error E(w) = ½‖Xw − y‖²", title=title)
    ax.legend(fontsize="small", ncol=2)
    fig.tight_layout()
    return fig


def run(
    backend: str = "vibrastic",
    seed: int = 0,
    alphas: Annotated[Sequence[float], Knob(
        "learning rates α", "each α runs its own descent; above 2/λ_max ≈ 0.0597 it diverges",
        1e-6, 1.0)] = DECK_ALPHAS,
    max_iters: Annotated[int, Knob("iterations", "gradient-descent steps per α", 1, 500)] = 25,
    w_0: Annotated[Sequence[float], Knob(
        "starting weights w₀ (slope, bias)", "where every descent starts", -100, 100, length=2)]
    = DECK_W_0,
) -> LabResult:
    """Run the α study. Nothing here is random: ``seed`` is recorded, the numbers are the deck's."""
    _, X_bias, y = data.five_point_line()
    w_norm = normal_equations(X_bias, y)
    lambda_min, lambda_max = hessian_eigenvalues(X_bias)[[0, -1]]
    alpha_critical = 2.0 / lambda_max
    paths = {float(a): gradient_descent(X_bias, y, w_0, a, max_iters) for a in alphas}

    metrics: dict[str, float | int | bool | str] = {
        "lambda_max": float(lambda_max),
        "lambda_min": float(lambda_min),
        "alpha_critical": float(alpha_critical),
        "w_norm_slope": float(w_norm[0]),
        "w_norm_bias": float(w_norm[1]),
        "error_w_norm": error(X_bias, y, w_norm),
        "error_w_0": error(X_bias, y, w_0),
    }
    rows = []
    for alpha, w_hist in paths.items():
        final = error(X_bias, y, w_hist[-1])
        diverges = bool(alpha > alpha_critical)
        metrics[f"final_error_{alpha_key(alpha)}"] = final
        metrics[f"diverges_{alpha_key(alpha)}"] = diverges
        rows.append({
            "alpha": alpha,
            "final_error": final,
            "distance_to_w_norm": float(np.linalg.norm(w_hist[-1] - w_norm)),
            "alpha_times_lambda_max": float(alpha * lambda_max),
            # GD's iteration matrix I − αXᵀX: it diverges iff its spectral radius exceeds 1
            "spectral_radius": float(max(abs(1 - alpha * lambda_min),
                                         abs(1 - alpha * lambda_max))),
            "diverges": diverges,
            "error_grew": bool(final > metrics["error_w_0"]),
        })
    diverging = [r["alpha"] for r in rows if r["diverges"]]
    metrics["diverging_alphas"] = ", ".join(f"{a:.3g}" for a in diverging) or "none"
    metrics["n_diverging"] = len(diverging)
    metrics["theory_matches_observation"] = all(r["diverges"] == r["error_grew"] for r in rows)
    metrics.update(gradient_checks(backend, X_bias, y, list(paths.values())))

    deck_alpha = 0.05 if 0.05 in [round(a, 10) for a in paths] else next(iter(paths))
    deck_alpha = min(paths, key=lambda a: abs(a - deck_alpha))
    deck_path = paths[deck_alpha]
    end = deck_path[-1]
    deck_fig = Figure(figsize=(5.5, 5))
    plot_hist_contour(X_bias, y, deck_path, w_norm, ax=deck_fig.add_subplot(),
                      title=f"Gradient descent on the error surface, α = {deck_alpha:g}\n"
                            f"{len(deck_path) - 1} steps from w₀, ending at slope "
                            f"{end[0]:.3g}, bias {end[1]:.3g}", show_legend=True)
    deck_fig.tight_layout()
    figures = {
        "run": deck_fig,
        "alphas-study": alphas_study(
            X_bias, y, w_0, list(paths), partial(gradient_descent, max_iters=max_iters), w_norm,
            suptitle=rf"Gradient descent, {max_iters} iterations "
                     rf"(diverges for $\alpha > 2/\lambda_{{max}} = {alpha_critical:.4f}$)"),
        "error-curves": error_curves(X_bias, y, paths, "Error per iteration",
                                     float(metrics["error_w_norm"])),
    }
    return LabResult("learning-rate", backend, seed, metrics, figures, {"alphas": rows})
