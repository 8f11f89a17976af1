"""Clusters before and after (slide "Unsupervised Learning"): points by group, and centroids."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

CLUSTER_COLOURS = ("red", "blue", "green", "orange", "purple", "brown", "pink", "gray")


def plot_clusters(
    x: np.ndarray,
    labels: np.ndarray | None = None,
    centers: np.ndarray | None = None,
    ax: Axes | None = None,
    title: str = "",
) -> Axes:
    """Scatter ``x`` (n, 2), one colour per label (magenta when ``labels`` is None, as the deck's
    "Training dataset"), and the ``centers`` (k, 2) as black crosses."""
    ax = ax if ax is not None else Figure(figsize=(5, 4.5)).add_subplot()
    if labels is None:
        ax.scatter(x[:, 0], x[:, 1], c="m", alpha=0.74)
    else:
        for j, group in enumerate(np.unique(labels)):
            pts = x[labels == group]
            ax.scatter(pts[:, 0], pts[:, 1], color=CLUSTER_COLOURS[j % len(CLUSTER_COLOURS)],
                       alpha=0.74, label=f"cluster {j + 1}")
    if centers is not None:
        ax.scatter(centers[:, 0], centers[:, 1], marker="X", s=200, color="black",
                   edgecolor="white", label="centroids")
    ax.set_xlabel("first feature $x_1$")
    ax.set_ylabel("second feature $x_2$")
    if title:
        ax.set_title(title)
    if labels is not None or centers is not None:
        ax.legend(frameon=True, fontsize="small")
    return ax


def clusters_before_after(
    x: np.ndarray, panels: dict[str, tuple[np.ndarray | None, np.ndarray | None]]
) -> Figure:
    """One panel per entry ``title: (labels, centers)``, side by side."""
    fig = Figure(figsize=(4.5 * len(panels), 4.2))
    for i, (title, (labels, centers)) in enumerate(panels.items()):
        plot_clusters(x, labels, centers, ax=fig.add_subplot(1, len(panels), i + 1), title=title)
    fig.tight_layout()
    return fig
