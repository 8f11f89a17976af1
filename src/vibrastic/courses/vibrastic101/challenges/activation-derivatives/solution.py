"""Challenge: activation functions and their derivatives (deck: Artificial Neural Network)."""

import numpy as np


def sigmoid(x):
    """f(x) = 1 / (1 + e^(−x)), elementwise."""
    # BEGIN SOLUTION: the deck's sigmoid formula with np.exp
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=float)))
    # END SOLUTION


def sigmoid_prime(x):
    """f′(x) = f(x)·(1 − f(x)) for the sigmoid f."""
    # BEGIN SOLUTION: reuse sigmoid
    s = sigmoid(x)
    return s * (1.0 - s)
    # END SOLUTION


def tanh_prime(x):
    """f′(x) = 1 − tanh(x)²."""
    # BEGIN SOLUTION: use np.tanh
    return 1.0 - np.tanh(np.asarray(x, dtype=float)) ** 2
    # END SOLUTION


def relu_prime(x):
    """1 where x > 0, else 0."""
    # BEGIN SOLUTION: np.where on the condition x > 0
    return np.where(np.asarray(x, dtype=float) > 0, 1.0, 0.0)
    # END SOLUTION


def leaky_relu_prime(x, negative_slope=0.01):
    """1 where x > 0, else negative_slope."""
    # BEGIN SOLUTION: np.where with the slope for x <= 0
    return np.where(np.asarray(x, dtype=float) > 0, 1.0, negative_slope)
    # END SOLUTION


if __name__ == "__main__":
    x = np.linspace(-3, 3, 7)
    print(sigmoid_prime(x), tanh_prime(x), relu_prime(x), leaky_relu_prime(x))
