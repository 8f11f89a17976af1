"""Error contours of linear regression with a gradient-descent path and the closed-form optimum.

The deck's ``plot_contour`` (slide "Study of Learning Rate α hands on", whose body breaks off after
computing Z) and ``plot_hist_contour``, which the deck calls on every α/β slide but never defines
(errata); ``alphas_study`` and ``comparison_plot`` build the deck's grids as Figures.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.colors import Colormap
from matplotlib.figure import Figure

from vibrastic.ml.classic.gradient_descent import error

Bounds = tuple[tuple[float, float], tuple[float, float]]  # ((min w_0, min w_1), (max w_0, max w_1))


def _axes(ax: Axes | None, figsize: tuple[float, float] = (5.0, 4.5)) -> Axes:
    return ax if ax is not None else Figure(figsize=figsize).add_subplot()


def error_grid(
    X_data: np.ndarray, y_data: np.ndarray, bounds: Bounds, resolution: int = 50
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(W0, W1, Z) on a ``resolution``² grid: Z[j, i] = error(X, y, [w0_i, w1_j]) (the deck's)."""
    (minx, miny), (maxx, maxy) = bounds
    x_range = np.linspace(minx, maxx, num=resolution)
    y_range = np.linspace(miny, maxy, num=resolution)
    W0, W1 = np.meshgrid(x_range, y_range)
    Z = np.array([[error(X_data, y_data, [w_i, w_j]) for w_i in x_range] for w_j in y_range])
    return W0, W1, Z


def plot_contour(
    X_data: np.ndarray,
    y_data: np.ndarray,
    bounds: Bounds,
    resolution: int = 50,
    cmap: str | Colormap = "viridis",
    alpha: float = 0.3,
    linewidth: float = 5,
    ax: Axes | None = None,
) -> Axes:
    """Filled contours of E(w) = ½‖Xw − y‖² over ``bounds`` (log-spaced levels: E spans decades).

    ``alpha`` here is the fill's opacity (the deck's keyword), not a learning rate. The deck's
    ``rstride``/``cstride`` were surface-plot options and are dropped.
    """
    ax = _axes(ax)
    W0, W1, Z = error_grid(X_data, y_data, bounds, resolution)
    levels = np.geomspace(max(Z.min(), 1e-3), Z.max(), 15)
    cmap = colormaps[cmap] if isinstance(cmap, str) else cmap
    ax.contourf(W0, W1, Z, levels=levels, cmap=cmap, alpha=alpha)
    ax.contour(W0, W1, Z, levels=levels, cmap=cmap, linewidths=linewidth / 5)
    ax.set_xlim(bounds[0][0], bounds[1][0])
    ax.set_ylim(bounds[0][1], bounds[1][1])
    ax.set_xlabel("$w_0$ (slope)")
    ax.set_ylabel("$w_1$ (bias)")
    return ax


def path_bounds(w_hist: np.ndarray, w_norm: np.ndarray, margin: float = 1.5) -> Bounds:
    """A view around ``w_0``, ``w_norm`` and the path points no farther from ``w_norm`` than twice
    ``w_0`` is (a diverging path runs away; its far points are left out of view)."""
    reach = 2 * np.linalg.norm(w_hist[0] - w_norm)
    near = w_hist[np.linalg.norm(w_hist - w_norm, axis=1) <= reach]
    pts = np.vstack([w_hist[:1], near, w_norm[None, :]])
    lo, hi = pts.min(axis=0) - margin, pts.max(axis=0) + margin
    return (float(lo[0]), float(lo[1])), (float(hi[0]), float(hi[1]))


def plot_hist_contour(
    X: np.ndarray,
    y: np.ndarray,
    w_hist: np.ndarray,
    w_norm: np.ndarray,
    ax: Axes | None = None,
    title: str = "",
    show_legend: bool = False,
    bounds: Bounds | None = None,
) -> Axes:
    """Contours of E with the descent path ``w_hist`` (max_iters+1, 2), its start and end, and the
    closed-form optimum ``w_norm`` (2,). Points that leave the view (divergence) are clipped."""
    bounds = bounds or path_bounds(w_hist, w_norm)
    ax = plot_contour(X, y, bounds, ax=ax)
    ax.plot(w_hist[:, 0], w_hist[:, 1], "o-", color="tab:red", markersize=3, linewidth=1,
            label="$w$ path")
    ax.scatter(*w_hist[0], marker="s", s=40, color="black", zorder=3, label="$w_0$")
    ax.scatter(*w_hist[-1], marker="o", s=50, color="tab:orange", edgecolor="black", zorder=3,
               label="end")
    ax.scatter(*w_norm, marker="*", s=160, color="gold", edgecolor="black", zorder=3,
               label="$w_{norm}$ (closed form)")
    ax.set_xlim(bounds[0][0], bounds[1][0])
    ax.set_ylim(bounds[0][1], bounds[1][1])
    if title:
        ax.set_title(title)
    if show_legend:
        ax.legend(loc="upper right", fontsize="small", frameon=True)
    return ax


def alphas_study(
    X: np.ndarray,
    y: np.ndarray,
    w_0: Sequence[float],
    alphas: Sequence[float],
    descent: Callable[[np.ndarray, np.ndarray, Sequence[float], float], np.ndarray],
    w_norm: np.ndarray,
    suptitle: str = "Gradient descent paths, one panel per learning rate α",
) -> Figure:
    """The deck's ``alphas_study``: one contour panel per α in a 2×3 grid (more rows if needed).

    ``descent(X, y, w_0, alpha)`` returns the path (``gradient_descent`` with max_iters bound).
    """
    n_cols = 3
    n_rows = -(-len(alphas) // n_cols)
    fig = Figure(figsize=(11, 3.6 * n_rows))
    for i, alpha in enumerate(alphas):
        ax = fig.add_subplot(n_rows, n_cols, i + 1)
        w_hist = descent(X, y, w_0, alpha)
        plot_hist_contour(X, y, w_hist, w_norm, ax=ax, title=rf"$\alpha={alpha:.3g}$",
                          show_legend=i == 0)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def comparison_plot(
    X: np.ndarray, y: np.ndarray, w_hist: np.ndarray, w_hist_mom: np.ndarray, w_norm: np.ndarray
) -> Figure:
    """The deck's ``comparison_plot``: gradient descent and descent with momentum side by side."""
    fig = Figure(figsize=(9, 4.5))
    bounds = path_bounds(w_hist, w_norm)
    plot_hist_contour(X, y, w_hist, w_norm, ax=fig.add_subplot(121), title="Gradient descent",
                      bounds=bounds)
    plot_hist_contour(X, y, w_hist_mom, w_norm, ax=fig.add_subplot(122),
                      title="Gradient descent with momentum", show_legend=True, bounds=bounds)
    fig.tight_layout()
    return fig
