"""Plot helpers for the classic labs: the data they draw (not pixels)."""

import numpy as np
import pytest
from matplotlib.figure import Figure

from vibrastic.ml import data
from vibrastic.ml.classic.gradient_descent import error, gradient_descent, normal_equations
from vibrastic.ml.plots.boundaries import boundary_line, plot_decision_boundaries
from vibrastic.ml.plots.contours import (
    alphas_study,
    error_grid,
    path_bounds,
    plot_contour,
    plot_hist_contour,
)

_, X_BIAS, Y = data.five_point_line()


def test_error_grid_holds_the_deck_error_at_each_node() -> None:
    W0, W1, Z = error_grid(X_BIAS, Y, ((-4.0, 0.0), (0.0, 10.0)), resolution=5)
    assert Z.shape == (5, 5)
    for j, i in [(0, 0), (2, 3), (4, 1)]:
        assert Z[j, i] == pytest.approx(error(X_BIAS, Y, [W0[j, i], W1[j, i]]))


def test_plot_contour_sets_the_bounds() -> None:
    ax = plot_contour(X_BIAS, Y, ((-4.0, 0.0), (0.0, 10.0)), resolution=10)
    assert ax.get_xlim() == (-4.0, 0.0) and ax.get_ylim() == (0.0, 10.0)


def test_hist_contour_draws_the_path_and_the_optimum() -> None:
    w_hist = gradient_descent(X_BIAS, Y, [-3, 2], 0.05, 25)
    w_norm = normal_equations(X_BIAS, Y)
    ax = plot_hist_contour(X_BIAS, Y, w_hist, w_norm, title="t", show_legend=True)
    path = ax.get_lines()[0]
    np.testing.assert_array_equal(path.get_xdata(), w_hist[:, 0])
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[0] == "$w$ path" and "closed form" in labels[-1]
    assert ax.get_title() == "t"


def test_path_bounds_ignore_a_runaway_path() -> None:
    w_norm = normal_equations(X_BIAS, Y)
    runaway = gradient_descent(X_BIAS, Y, [-3, 2], 0.07, 25)
    (x0, y0), (x1, y1) = path_bounds(runaway, w_norm)
    assert x1 - x0 < 20 and y1 - y0 < 20
    assert x0 < -3 < x1 and x0 < w_norm[0] < x1 and y0 < 2 < y1 and y0 < w_norm[1] < y1


def test_alphas_study_has_one_panel_per_alpha() -> None:
    w_norm = normal_equations(X_BIAS, Y)
    fig = alphas_study(X_BIAS, Y, [-3, 2], [0.02, 0.05, 0.06, 0.07],
                       lambda X, y, w, a: gradient_descent(X, y, w, a, 5), w_norm)
    assert isinstance(fig, Figure)
    assert [ax.get_title() for ax in fig.axes] == [
        r"$\alpha=0.02$", r"$\alpha=0.05$", r"$\alpha=0.06$", r"$\alpha=0.07$"]


def test_boundary_line_lies_on_w_dot_x_plus_b_zero() -> None:
    w, b = np.array([0.5, -2.0]), 0.3
    x1s, x2s = boundary_line(w, b, (-1.0, 2.0))
    np.testing.assert_allclose(w[0] * x1s + w[1] * x2s + b, 0, atol=1e-12)
    x1s, x2s = boundary_line(np.array([2.0, 0.0]), -1.0, (0.0, 1.0))  # vertical: x1 = 0.5
    np.testing.assert_allclose(x1s, 0.5)
    assert boundary_line(np.zeros(2), 1.0, (0.0, 1.0))[0].size == 0


def test_decision_boundaries_draw_one_line_per_epoch() -> None:
    X, y = data.and_gate()
    w_hist = np.array([[0.1, 0.2], [0.3, 0.2], [0.4, 0.3]])
    b_hist = np.array([0.0, -0.2, -0.5])
    ax = plot_decision_boundaries(X, y, w_hist, b_hist, title="AND")
    assert len(ax.get_lines()) == 3
    final = ax.get_lines()[-1]
    np.testing.assert_allclose(0.4 * final.get_xdata() + 0.3 * final.get_ydata() - 0.5, 0,
                               atol=1e-12)
