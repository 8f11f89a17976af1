"""Challenge: gradient descent on a linear regression (deck: Study of Learning Rate α)."""

import numpy as np


def error(X, y, w):
    """E(X, y; w) = ½‖X·w − y‖²."""
    # BEGIN SOLUTION: the deck's error
    return 0.5 * np.linalg.norm(X.dot(w) - y) ** 2
    # END SOLUTION


def linear_regression_gradient(X, y, w):
    """∇E = Xᵀ·(X·w − y)."""
    # BEGIN SOLUTION: the deck's gradient
    return X.T.dot(X.dot(w) - y)
    # END SOLUTION


def gradient_descent(X, y, w_0, alpha, max_iters):
    """Returns the values of the weights as learning took place (max_iters + 1 rows)."""
    # BEGIN SOLUTION: w ← w − α∇E, recording every w in w_hist
    w = np.array(w_0, dtype=np.float64)
    w_hist = np.zeros(shape=(max_iters + 1, w.shape[0]))
    w_hist[0] = w
    for i in range(0, max_iters):
        delta_weights = -alpha * linear_regression_gradient(X, y, w)
        w += delta_weights
        w_hist[i + 1] = w
    return w_hist
    # END SOLUTION


if __name__ == "__main__":
    X = np.array([[0.0], [1.0], [2.0], [3.0], [4.0]])
    X_bias = np.hstack((X, np.ones((5, 1))))
    y = np.array([10.5, 5.0, 3.0, 2.5, 1.0])
    print(gradient_descent(X_bias, y, [-3, 2], 0.05, 25)[-1])
