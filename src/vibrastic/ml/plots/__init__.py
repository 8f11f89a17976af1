"""Matplotlib helpers shared by labs and lessons: each returns a Figure (never shows it)."""

# ---- re-exports (one line per helper module) ----
from vibrastic.ml.plots.bandit import plot_bandit_curves, plot_cumulative_reward  # noqa: F401
from vibrastic.ml.plots.boundaries import plot_decision_boundaries  # noqa: F401
from vibrastic.ml.plots.clusters import clusters_before_after, plot_clusters  # noqa: F401
from vibrastic.ml.plots.contours import (  # noqa: F401
    alphas_study,
    comparison_plot,
    plot_contour,
    plot_hist_contour,
)
from vibrastic.ml.plots.curves import activation_figure, loss_curve_figure  # noqa: F401
from vibrastic.ml.plots.graph import computation_graph_figure, trace_graph  # noqa: F401
