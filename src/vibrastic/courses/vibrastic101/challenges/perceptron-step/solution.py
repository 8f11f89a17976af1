"""Challenge: the perceptron learning rule (deck: The perceptron; Perceptron learning)."""

import numpy as np


def predict(w, b, x):
    """ŷ = f(w·x + b) with the step f(z) = 1 if z > 0 else 0."""
    # BEGIN SOLUTION: the step of the net input
    return 1 if np.dot(w, x) + b > 0 else 0
    # END SOLUTION


def perceptron_step(w, b, x, y, alpha):
    """One perceptron-rule update on the sample (x, y); returns the new (w, b)."""
    # BEGIN SOLUTION: ŷ, then w + α(y − ŷ)x and b + α(y − ŷ)
    w = np.asarray(w, dtype=float)
    x = np.asarray(x, dtype=float)
    y_hat = predict(w, b, x)
    return w + alpha * (y - y_hat) * x, b + alpha * (y - y_hat)
    # END SOLUTION


def train_perceptron(X, Y, alpha=0.1, epochs=20):
    """Start from w = 0, b = 0; apply perceptron_step to every sample in order, epochs times."""
    # BEGIN SOLUTION: loop over epochs, then over the samples
    w, b = np.zeros(np.shape(X)[1]), 0.0
    for _ in range(epochs):
        for x, y in zip(X, Y, strict=True):
            w, b = perceptron_step(w, b, x, y, alpha)
    return w, b
    # END SOLUTION


if __name__ == "__main__":
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    w, b = train_perceptron(X, [0, 0, 0, 1])
    print(w, b, [predict(w, b, x) for x in X])
