"""Batch gradient descent for linear regression, with and without momentum.

The deck's "Study of Learning Rate α hands on" and "Study of Momentum Rate β hands on"
slides, fixed so that they run: ``gradient_descent`` uses its ``X`` argument (the deck reads the
global ``X_bias``), and the closed-form optimum ``w_norm`` that the deck plots but never defines
comes from ``normal_equations``.

Shapes: ``X`` is (N, d) (for the five-point line d = 2: the input and a column of ones), ``y`` is
(N,), ``w`` is (d,), a path ``w_hist`` is (max_iters + 1, d) with ``w_hist[0] = w_0``.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np
from numpy.typing import ArrayLike


def error(X: np.ndarray, y: np.ndarray, w: ArrayLike) -> float:
    """E(X, y; w) = ½‖X·w − y‖² (slide "Study of Learning Rate α hands on")."""
    return 0.5 * float(np.linalg.norm(X.dot(w) - y) ** 2)


def linear_regression_gradient(X: np.ndarray, y: np.ndarray, w: ArrayLike) -> np.ndarray:
    """∇_w E = Xᵀ·(X·w − y), shape (d,) (same slide)."""
    return X.T.dot(X.dot(w) - y)


def gradient_descent(
    X: np.ndarray, y: np.ndarray, w_0: ArrayLike, alpha: float, max_iters: int
) -> np.ndarray:
    """Returns the values of the weights as learning took place (w ← w − α∇E), (max_iters+1, d).

    The deck's loop, with one fix: the gradient is taken on ``X``, not on the global ``X_bias``.
    """
    w = np.array(w_0, dtype=np.float64)
    w_hist = np.zeros(shape=(max_iters + 1, w.shape[0]))
    w_hist[0] = w
    for i in range(max_iters):
        delta_weights = -alpha * linear_regression_gradient(X, y, w)
        w += delta_weights
        w_hist[i + 1] = w
    return w_hist


def gradient_descent_with_momentum(
    X: np.ndarray, y: np.ndarray, w_0: ArrayLike, alpha: float, beta: float, max_iters: int
) -> np.ndarray:
    """Heavy-ball descent, the deck's recurrence.

    Δw(t) = −α∇E(w(t)) + β·Δw(t−1), then w(t+1) = w(t) + Δw(t).

    ``omega`` holds the previous step Δw(t−1) (zero at the start). Returns w_hist, (max_iters+1, d).
    """
    w = np.array(w_0, dtype=np.float64)
    w_hist = np.zeros(shape=(max_iters + 1, w.shape[0]))
    w_hist[0] = w
    omega = np.zeros_like(w)
    for i in range(max_iters):
        delta_weights = -alpha * linear_regression_gradient(X, y, w) + beta * omega
        omega = delta_weights
        w += delta_weights
        w_hist[i + 1] = w
    return w_hist


def normal_equations(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The closed-form optimum ``w_norm`` = argmin E: XᵀX w = Xᵀy solved by least squares, (d,).

    The deck plots ``w_norm`` on every contour but never defines it (errata).
    """
    w_norm, *_ = np.linalg.lstsq(X, y, rcond=None)
    return w_norm


def hessian_eigenvalues(X: np.ndarray) -> np.ndarray:
    """Eigenvalues of the Hessian XᵀX of E, ascending.

    Gradient descent on this quadratic converges iff 0 < α < 2/λ_max; heavy-ball momentum widens the
    range to 0 < α < 2(1 + β)/λ_max (for 0 ≤ β < 1).
    """
    return np.linalg.eigvalsh(X.T @ X)


def autograd_gradient(lib: ModuleType, X: np.ndarray, y: np.ndarray, w: ArrayLike) -> np.ndarray:
    """∇_w E computed by ``lib``'s autograd (``torch`` or ``vibrastic``) in float64, shape (d,).

    Builds E = ½ Σ (X·w − y)² from tensors, calls ``backward()`` and reads ``w.grad``: a check of
    the closed form Xᵀ(Xw − y) by the machinery the later slides rely on.
    """
    X_t = lib.tensor(np.asarray(X, dtype=np.float64), dtype=lib.float64)
    y_t = lib.tensor(np.asarray(y, dtype=np.float64), dtype=lib.float64)
    w_t = lib.tensor(np.asarray(w, dtype=np.float64), dtype=lib.float64, requires_grad=True)
    residual = X_t @ w_t - y_t
    E: Any = 0.5 * (residual * residual).sum()
    E.backward()
    return np.asarray(w_t.grad.detach().numpy(), dtype=np.float64)
