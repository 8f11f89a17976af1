"""Challenge: gradient descent with momentum (deck: Study of Momentum Rate β)."""

import numpy as np


def linear_regression_gradient(X, y, w):
    """∇E = Xᵀ·(X·w − y) (given)."""
    return X.T.dot(X.dot(w) - y)


def gradient_descent_with_momentum(X, y, w_0, alpha, beta, max_iters):
    """Returns the weights as learning took place: Δw(t) = −α∇E + β·Δw(t − 1)."""
    # BEGIN SOLUTION: keep the previous step in omega (zeros at first)
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
    # END SOLUTION


if __name__ == "__main__":
    X = np.array([[0.0], [1.0], [2.0], [3.0], [4.0]])
    X_bias = np.hstack((X, np.ones((5, 1))))
    y = np.array([10.5, 5.0, 3.0, 2.5, 1.0])
    print(gradient_descent_with_momentum(X_bias, y, (-3, 2), 0.05, 0.5, 25)[-1])
