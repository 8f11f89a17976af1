"""Perceptron decision boundaries, one line per epoch (slides "The perceptron", "Perceptron
learning").

The boundary of ŷ = f(w·x + b) is the line w₁x₁ + w₂x₂ + b = 0; drawing it after every epoch shows
the rule moving it until the classes fall on either side (AND, OR) or never (XOR).
"""

from __future__ import annotations

import numpy as np
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.figure import Figure


def boundary_line(
    w: np.ndarray, b: float, x1_range: tuple[float, float]
) -> tuple[np.ndarray, np.ndarray]:
    """Two points (x1s, x2s) of the line w₁x₁ + w₂x₂ + b = 0 (vertical when w₂ = 0)."""
    if abs(w[1]) > 1e-12:
        x1s = np.array(x1_range)
        return x1s, -(w[0] * x1s + b) / w[1]
    if abs(w[0]) > 1e-12:
        return np.full(2, -b / w[0]), np.array(x1_range)
    return np.array([]), np.array([])  # w = 0: no boundary (everything is one class)


def plot_decision_boundaries(
    X: np.ndarray,
    y: np.ndarray,
    w_hist: np.ndarray,
    b_hist: np.ndarray,
    ax: Axes | None = None,
    title: str = "",
) -> Axes:
    """The points ``X`` (n, 2) coloured by target ``y`` (n,) and the boundary after each epoch.

    ``w_hist`` (epochs+1, 2) and ``b_hist`` (epochs+1,) as in ``PerceptronHistory``; earlier
    epochs in viridis colours, the last one solid black; at most 30 epochs (evenly spaced).
    """
    ax = ax if ax is not None else Figure(figsize=(4, 4)).add_subplot()
    lims = (-0.5, 1.5)
    n = len(w_hist)
    shown = np.unique(np.linspace(0, n - 1, min(n, 30)).round().astype(int))
    cmap = colormaps["viridis"]
    for k in shown[:-1]:
        ax.plot(*boundary_line(w_hist[k], b_hist[k], lims), color=cmap(k / max(n - 1, 1)),
                alpha=0.6, linewidth=1)
    ax.plot(*boundary_line(w_hist[-1], b_hist[-1], lims), color="black", linewidth=2,
            label=f"final (epoch {n - 1})")
    for target, marker, colour in ((0, "o", "tab:blue"), (1, "^", "tab:red")):
        pts = X[y == target]
        ax.scatter(pts[:, 0], pts[:, 1], marker=marker, s=80, color=colour, edgecolor="black",
                   zorder=3, label=f"y = {target}")
    ax.set_xlim(*lims)
    ax.set_ylim(*lims)
    ax.set_aspect("equal")
    ax.set_xlabel("first input $x_1$ (0 or 1)")
    ax.set_ylabel("second input $x_2$ (0 or 1)")
    if title:
        ax.set_title(title)
    ax.legend(loc="upper left", fontsize="small")
    return ax
