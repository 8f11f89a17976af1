"""The deck's toy data sets, seeded, as NumPy arrays (labs and lessons convert them as needed)."""

from __future__ import annotations

import numpy as np


def noisy_sine(n: int = 100, seed: int = 42) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The supervised slide's data: x = 0..n-1, y_real = sin(πx/50), y_measured = y_real + U(-½, ½).

    Returns (x, y_real, y_measured). The deck seeds ``random`` but draws from ``np.random``, so its
    noise is not reproducible (errata); here one seed drives the noise.
    """
    rng = np.random.default_rng(seed)
    x = np.arange(n)
    y_real = np.sin(x * np.pi / 50)
    y_measured = y_real + (rng.random(n) - 0.5)
    return x, y_real, y_measured


BLOB_CENTERS = ((5.0, 5.0), (10.0, 0.0), (0.0, 2.0))


def three_blobs(n_per_blob: int = 30, seed: int = 42) -> tuple[np.ndarray, np.ndarray]:
    """The unsupervised slide's data: three unit-variance blobs around (5,5), (10,0) and (0,2).

    Returns (x of shape (3·n, 2), the true group of each point).
    """
    rng = np.random.default_rng(seed)
    parts = [rng.standard_normal((n_per_blob, 2)) + c for c in BLOB_CENTERS]
    labels = np.repeat(np.arange(len(BLOB_CENTERS)), n_per_blob)
    return np.concatenate(parts, axis=0), labels


def five_point_line() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The learning-rate slides' data: X = [0..4] as a column, X_bias = [X, 1], y.

    Returns (X of shape (5, 1), X_bias of shape (5, 2), y of shape (5,)). The deck uses an
    undefined ``N`` for the number of rows; it is ``len(X)`` = 5 (errata).
    """
    X = np.array([[0.0], [1.0], [2.0], [3.0], [4.0]])
    X_bias = np.hstack((X, np.ones((len(X), 1))))
    y = np.array([10.5, 5.0, 3.0, 2.5, 1.0])
    return X, X_bias, y


def _gate(outputs: tuple[int, int, int, int]) -> tuple[np.ndarray, np.ndarray]:
    inputs = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    return inputs, np.array(outputs, dtype=np.float64)


def xor() -> tuple[np.ndarray, np.ndarray]:
    """The XOR truth table: inputs (4, 2) and targets (4,) = 0, 1, 1, 0."""
    return _gate((0, 1, 1, 0))


def and_gate() -> tuple[np.ndarray, np.ndarray]:
    """The AND truth table: targets 0, 0, 0, 1."""
    return _gate((0, 0, 0, 1))


def or_gate() -> tuple[np.ndarray, np.ndarray]:
    """The OR truth table: targets 0, 1, 1, 1."""
    return _gate((0, 1, 1, 1))


def digits(test_size: float = 0.2, seed: int = 0) -> tuple[np.ndarray, ...]:
    """scikit-learn's 8×8 digits (ships with scikit-learn), scaled to [0, 1], split train/test.

    Returns (x_train, x_test, y_train, y_test) with x as float32 (n, 64) and y as int64.
    """
    from sklearn.datasets import load_digits  # scikit-learn loads slowly: only when needed

    bunch = load_digits()
    x = (bunch.data / 16.0).astype(np.float32)
    y = bunch.target.astype(np.int64)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(x))
    n_test = round(len(x) * test_size)
    test, train = order[:n_test], order[n_test:]
    return x[train], x[test], y[train], y[test]
