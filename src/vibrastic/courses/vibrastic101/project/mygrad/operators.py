"""Stage 0 — activation functions and their derivatives, on plain floats.

Deck: "Artificial Neural Network" → Sigmoid, Tanh, ReLU, Leaky ReLU and Softmax. Backpropagation
needs each activation f *and* its derivative f′, so they come in pairs. The formulas as printed
overflow for large inputs (``math.exp(1000)`` raises OverflowError), so each is written in a form
that never exponentiates a large positive number.
"""

from __future__ import annotations

import math


def sigmoid(x: float) -> float:
    """f(x) = 1 / (1 + e^(−x)); for x < 0 the same value is e^x / (1 + e^x)."""
    # BEGIN SOLUTION: the deck's formula, without overflowing for large |x|
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)
    # END SOLUTION


def sigmoid_prime(x: float) -> float:
    """f′(x) = f(x)·(1 − f(x))."""
    # BEGIN SOLUTION: reuse sigmoid
    s = sigmoid(x)
    return s * (1.0 - s)
    # END SOLUTION


def tanh(x: float) -> float:
    """f(x) = (e^x − e^(−x)) / (e^x + e^(−x)) = sign(x)·(1 − e^(−2|x|)) / (1 + e^(−2|x|))."""
    # BEGIN SOLUTION: the deck's formula, without overflowing for large |x|
    t = math.exp(-2.0 * abs(x))
    return math.copysign((1.0 - t) / (1.0 + t), x)
    # END SOLUTION


def tanh_prime(x: float) -> float:
    """f′(x) = 1 − tanh(x)²."""
    # BEGIN SOLUTION: reuse tanh
    return 1.0 - tanh(x) ** 2
    # END SOLUTION


def relu(x: float) -> float:
    """f(x) = max(0, x)."""
    # BEGIN SOLUTION: x when it is positive, else 0
    return x if x > 0 else 0.0
    # END SOLUTION


def relu_prime(x: float) -> float:
    """1 for x > 0, else 0 (0 at x = 0, as PyTorch)."""
    # BEGIN SOLUTION: strictly greater than zero
    return 1.0 if x > 0 else 0.0
    # END SOLUTION


def leaky_relu(x: float, negative_slope: float = 0.01) -> float:
    """f(x) = x for x > 0, else negative_slope·x (the deck prints max(0, x); see the errata)."""
    # BEGIN SOLUTION: like relu, with a small slope below zero
    return x if x > 0 else negative_slope * x
    # END SOLUTION


def leaky_relu_prime(x: float, negative_slope: float = 0.01) -> float:
    """1 for x > 0, else negative_slope."""
    # BEGIN SOLUTION: like relu_prime, with the slope below zero
    return 1.0 if x > 0 else negative_slope
    # END SOLUTION


def softmax(xs: list[float]) -> list[float]:
    """f(x_i) = e^(x_i) / Σ_j e^(x_j); the same after subtracting max(x) from every x_i."""
    # BEGIN SOLUTION: subtract the largest x first, so that no e^x overflows
    top = max(xs)
    exps = [math.exp(x - top) for x in xs]
    total = sum(exps)
    return [e / total for e in exps]
    # END SOLUTION
