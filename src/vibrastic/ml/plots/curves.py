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
) -> Figure:
    """f(x) (solid) and its derivative (dashed) on one axes, axes lines through 0."""
    fig = Figure(figsize=(5.5, 4))
    ax = fig.add_subplot()
    ax.axhline(0, color="#999999", lw=0.8)
    ax.axvline(0, color="#999999", lw=0.8)
    ax.plot(x, y, lw=2, label="f(x)")
    ax.plot(x, dy, lw=2, ls="--", label=derivative_label)
    ax.set_xlabel("x")
    ax.set_title(f"{title}\n{formula}" if formula else title)
    ax.grid(alpha=0.3)
    ax.legend(loc="best")
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
