"""Curves: an activation function with its derivative, and loss curves (one Figure each)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure


def activation_figure(
    x: np.ndarray,
    y: np.ndarray,
    dy: np.ndarray,
    title: str,
    formula: str = "",
    derivative_label: str = "f'(x)",
    zoom_negative: str = "",
) -> Figure:
    """f(x) (solid) and its derivative (dashed) on one axes, axes lines through 0.

    ``zoom_negative`` (its title) adds an inset that magnifies x < 0, where a small slope (Leaky
    ReLU's 0.01) is invisible at full scale."""
    fig = Figure(figsize=(5.5, 4))
    ax = fig.add_subplot()
    ax.axhline(0, color="#999999", lw=0.8)
    ax.axvline(0, color="#999999", lw=0.8)
    ax.plot(x, y, lw=2, label="f(x)")
    ax.plot(x, dy, lw=2, ls="--", label=derivative_label)
    ax.set_xlabel("x (input to the activation)")
    ax.set_ylabel("f(x) and its derivative")
    ax.set_title(f"{title}\n{formula}" if formula else title)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right" if zoom_negative else "best")
    if zoom_negative:
        neg = x <= 0
        low = float(min(y[neg].min(), dy[neg].min()))
        high = float(max(y[neg].max(), dy[neg].max()))
        pad = 0.15 * (high - low or 1.0)
        inset = ax.inset_axes((0.2, 0.47, 0.36, 0.32))
        inset.axhline(0, color="#999999", lw=0.8)
        inset.plot(x[neg], y[neg], lw=2)
        inset.plot(x[neg], dy[neg], lw=2, ls="--")
        inset.set_ylim(low - pad, high + pad)
        inset.set_title(zoom_negative, fontsize=8)
        inset.tick_params(labelsize=7)
        inset.grid(alpha=0.3)
    return fig


def loss_curve_figure(
    curves: Mapping[str, tuple[Sequence[float], Sequence[float]]],
    title: str = "loss",
    xlabel: str = "epoch",
    ylabel: str = "loss",
    log_y: bool = True,
) -> Figure:
    """One line per named curve, given as (x values, losses); log-scaled y by default."""
    fig = Figure(figsize=(6.5, 4))
    ax = fig.add_subplot()
    styles = ("-", "--", ":", "-.")
    for i, (label, (xs, losses)) in enumerate(curves.items()):
        ax.plot(xs, losses, ls=styles[i % len(styles)], lw=2, label=label)
    if log_y:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3, which="both")
    ax.legend(loc="best")
    return fig
