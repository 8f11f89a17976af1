"""Gradient descent for linear regression: the deck's functions against independent maths."""

import numpy as np
import pytest
import torch
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import vibrastic as vb
from vibrastic.ml import data
from vibrastic.ml.classic.gradient_descent import (
    autograd_gradient,
    error,
    gradient_descent,
    gradient_descent_with_momentum,
    hessian_eigenvalues,
    linear_regression_gradient,
    normal_equations,
)

_, X_BIAS, Y = data.five_point_line()
finite = st.floats(-10, 10, allow_nan=False)
weights = arrays(np.float64, 2, elements=finite)


def test_error_is_half_the_sum_of_squared_residuals() -> None:
    w = np.array([-3.0, 2.0])
    residuals = [(-3.0 * x + 2.0) - t for x, t in zip(range(5), Y, strict=True)]
    assert error(X_BIAS, Y, w) == pytest.approx(0.5 * sum(r * r for r in residuals))
    assert error(X_BIAS, Y, w) == pytest.approx(184.25)


@given(weights)
def test_gradient_matches_central_differences(w: np.ndarray) -> None:
    h = 1e-6
    numeric = [(error(X_BIAS, Y, w + h * e) - error(X_BIAS, Y, w - h * e)) / (2 * h)
               for e in np.eye(2)]
    np.testing.assert_allclose(linear_regression_gradient(X_BIAS, Y, w), numeric, rtol=1e-6,
                               atol=1e-4)


@pytest.mark.parametrize("alpha", [0.02, 0.05, 0.07])
def test_gradient_descent_is_the_linear_recurrence(alpha: float) -> None:
    """w(t) − w* = (I − αXᵀX)^t (w(0) − w*): the closed form of every step of the loop."""
    w_0 = np.array([-3.0, 2.0])
    w_hist = gradient_descent(X_BIAS, Y, w_0, alpha, 25)
    w_star = np.linalg.solve(X_BIAS.T @ X_BIAS, X_BIAS.T @ Y)
    M = np.eye(2) - alpha * X_BIAS.T @ X_BIAS
    for t in (0, 1, 7, 25):
        expected = w_star + np.linalg.matrix_power(M, t) @ (w_0 - w_star)
        np.testing.assert_allclose(w_hist[t], expected, rtol=1e-9, atol=1e-9)
    assert w_hist.shape == (26, 2)


def test_gradient_descent_uses_its_X_argument_not_a_global() -> None:
    """The deck's loop reads the global X_bias; ours must follow the X it is given."""
    X_scaled = 2 * X_BIAS
    w_hist = gradient_descent(X_scaled, Y, [0.0, 0.0], 0.01, 1)
    np.testing.assert_allclose(w_hist[1], 0.01 * X_scaled.T @ Y)


@given(st.floats(0.0, 0.09), st.floats(0.0, 0.9))
def test_momentum_equals_the_heavy_ball_in_positions(alpha: float, beta: float) -> None:
    """Δw(t−1) = w(t) − w(t−1): the deck's recurrence is w(t+1) = w(t) − α∇E + β(w(t) − w(t−1))."""
    w_hist = gradient_descent_with_momentum(X_BIAS, Y, (-3, 2), alpha, beta, 25)
    prev, w = np.array([-3.0, 2.0]), np.array([-3.0, 2.0])
    for t in range(25):
        prev, w = w, w - alpha * X_BIAS.T @ (X_BIAS @ w - Y) + beta * (w - prev)
        np.testing.assert_allclose(w_hist[t + 1], w, rtol=1e-9, atol=1e-9)


def test_momentum_with_beta_zero_is_plain_descent() -> None:
    np.testing.assert_array_equal(gradient_descent_with_momentum(X_BIAS, Y, (-3, 2), 0.05, 0.0, 25),
                                  gradient_descent(X_BIAS, Y, (-3, 2), 0.05, 25))


def test_normal_equations_give_the_least_squares_line() -> None:
    w_norm = normal_equations(X_BIAS, Y)
    slope, intercept = np.polyfit(np.arange(5.0), Y, 1)
    np.testing.assert_allclose(w_norm, [slope, intercept], rtol=1e-12)
    np.testing.assert_allclose(linear_regression_gradient(X_BIAS, Y, w_norm), 0, atol=1e-12)


@given(arrays(np.float64, (6, 2), elements=st.floats(-3, 3)), st.integers(0, 2**31))
def test_step_size_threshold_is_two_over_lambda_max(X: np.ndarray, seed: int) -> None:
    """Below 2/λ_max gradient descent reaches w_norm; above it, it runs away."""
    lam = hessian_eigenvalues(X)
    assume(lam[0] > 0.5 and lam[-1] / lam[0] < 20)  # well-conditioned: 600 steps are enough
    y = np.random.default_rng(seed).standard_normal(6)
    w_norm = normal_equations(X, y)
    converging = gradient_descent(X, y, [1.0, -1.0], 0.9 * 2 / lam[-1], 600)
    np.testing.assert_allclose(converging[-1], w_norm, atol=1e-6)
    diverging = gradient_descent(X, y, [1.0, -1.0], 1.1 * 2 / lam[-1], 600)
    assert np.linalg.norm(diverging[-1] - w_norm) > 1e3 * np.linalg.norm(diverging[0] - w_norm)


def test_hessian_of_the_five_point_line() -> None:
    """XᵀX = [[Σx², Σx], [Σx, N]] = [[30, 10], [10, 5]]: λ = (35 ± √(35² − 4·50))/2."""
    lam = hessian_eigenvalues(X_BIAS)
    np.testing.assert_allclose(lam, [(35 - np.sqrt(1025)) / 2, (35 + np.sqrt(1025)) / 2])


@pytest.mark.parametrize("lib", [torch, vb], ids=["torch", "vibrastic"])
@given(w=weights)
def test_autograd_gradient_equals_the_closed_form(lib, w: np.ndarray) -> None:
    np.testing.assert_allclose(autograd_gradient(lib, X_BIAS, Y, w),
                               linear_regression_gradient(X_BIAS, Y, w), rtol=1e-12, atol=1e-12)
