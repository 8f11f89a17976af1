"""Challenge: the δ of a 2-3-1 network (deck: Training MLPs with Backpropagation)."""

import numpy as np


def sigmoid(z):
    """σ(z) = 1 / (1 + e^(−z)) (given)."""
    return 1.0 / (1.0 + np.exp(-z))


def forward(W1, b1, W2, b2, x):
    """Return (net1, y1, net2, y_hat) for one input x: sigmoid hidden layer, linear output."""
    # BEGIN SOLUTION: net = W·x + b in each layer; sigmoid in the hidden layer only
    net1 = W1 @ x + b1
    y1 = sigmoid(net1)
    net2 = W2 @ y1 + b2
    y_hat = net2
    return net1, y1, net2, y_hat
    # END SOLUTION


def deltas(W1, b1, W2, b2, x, y):
    """Return (delta1, delta2): δ of the hidden layer (3,) and of the output layer (1,)."""
    # BEGIN SOLUTION: δ² = ŷ − y, then δ¹ = f′(net¹)·(W2ᵀ δ²)
    _, y1, _, y_hat = forward(W1, b1, W2, b2, x)
    delta2 = y_hat - y
    delta1 = y1 * (1.0 - y1) * (W2.T @ delta2)
    return delta1, delta2
    # END SOLUTION


def gradients(W1, b1, W2, b2, x, y):
    """Return (dW1, db1, dW2, db2) of ℓ = ½(y − ŷ)²: ∂ℓ/∂w_ji = δ_j x_i, ∂ℓ/∂b_j = δ_j."""
    # BEGIN SOLUTION: outer products of the δ with each layer's input
    _, y1, _, _ = forward(W1, b1, W2, b2, x)
    delta1, delta2 = deltas(W1, b1, W2, b2, x, y)
    return np.outer(delta1, x), delta1, np.outer(delta2, y1), delta2
    # END SOLUTION


if __name__ == "__main__":
    rng = np.random.default_rng(0)
    W1, b1 = rng.normal(size=(3, 2)), rng.normal(size=3)
    W2, b2 = rng.normal(size=(1, 3)), rng.normal(size=1)
    print(deltas(W1, b1, W2, b2, np.array([1.0, 0.0]), np.array([1.0])))
