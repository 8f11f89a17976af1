"""The perceptron and its learning rule, with optional momentum (slides "The perceptron" and
"Perceptron learning").

For each sample, ŷ = f(w·x + b) with the step f(net) = 1 if net > 0 else 0, then the perceptron rule
w ← w + α(y − ŷ)x, b ← b + α(y − ŷ). With momentum (β > 0) the step is the deck's momentum-descent
recurrence, Δw(t) = α(y − ŷ)x + β·Δw(t−1), w(t+1) = w(t) + Δw(t), which applies α once (the deck's
printed formula w(t+1) = w(t) + αΔw(t) + βΔw(t−1) applies it twice; errata).

Shapes: inputs ``X`` (n_samples, n_features), targets ``y`` (n_samples,) of 0/1, ``w``
(n_features,).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike


def step(net: float) -> float:
    """The perceptron's activation: 1 if net > 0, else 0."""
    return 1.0 if net > 0 else 0.0


@dataclass
class PerceptronHistory:
    """What happened during training, one row per epoch (row 0 is the initial state).

    ``w_hist`` (epochs+1, n_features) and ``b_hist`` (epochs+1,) hold the weights at the end of each
    epoch; ``errors`` (epochs,) counts the samples with ŷ ≠ y seen during each epoch.
    """

    w_hist: np.ndarray
    b_hist: np.ndarray
    errors: list[int] = field(default_factory=list)
    n_updates: int = 0  # samples whose error (y − ŷ) was non-zero, over the whole run
    converged: bool = False  # an epoch with no error, and the final weights fit every sample

    @property
    def epochs(self) -> int:
        return len(self.errors)


class Perceptron:
    """A linear binary classifier trained online with the perceptron rule (and optional momentum).

    ``alpha`` ∈ (0, 1] is the learning rate, ``beta`` ≥ 0 the momentum rate (0: the plain rule).
    Initial weights are ``w_0``/``b_0`` when given, else drawn from U(−½, ½) with ``random_state``.
    ``fit`` runs epochs over the samples in order until an epoch has no error (and the weights
    then fit every sample) or ``max_epochs`` is reached.
    """

    def __init__(
        self,
        alpha: float = 0.1,
        beta: float = 0.0,
        max_epochs: int = 100,
        w_0: ArrayLike | None = None,
        b_0: float | None = None,
        random_state: int = 0,
    ) -> None:
        if not 0 < alpha <= 1:
            raise ValueError(f"alpha must be in (0, 1], got {alpha}")
        if beta < 0:
            raise ValueError(f"beta must be >= 0, got {beta}")
        self.alpha = alpha
        self.beta = beta
        self.max_epochs = max_epochs
        self.w_0 = w_0
        self.b_0 = b_0
        self.random_state = random_state

    def initial_weights(self, n_features: int) -> tuple[np.ndarray, float]:
        """(w_0, b_0): the given ones, or U(−½, ½) drawn with ``random_state``."""
        rng = np.random.default_rng(self.random_state)
        w = rng.uniform(-0.5, 0.5, n_features) if self.w_0 is None else np.array(self.w_0, float)
        b = float(rng.uniform(-0.5, 0.5)) if self.b_0 is None else float(self.b_0)
        return w.astype(np.float64), b

    def fit(self, X: ArrayLike, y: ArrayLike) -> Perceptron:
        """Train on ``X`` (n_samples, n_features), 0/1 targets ``y`` (n_samples,); sets history_."""
        X = np.asarray(X, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        if X.ndim != 2 or y.shape != (X.shape[0],):
            raise ValueError(f"expected X (n, d) and y (n,), got {X.shape} and {y.shape}")
        w, b = self.initial_weights(X.shape[1])
        delta_w_prev, delta_b_prev = np.zeros_like(w), 0.0  # Δw(t−1), Δb(t−1)
        w_hist, b_hist, errors, n_updates = [w.copy()], [b], [], 0
        converged = False
        for _epoch in range(self.max_epochs):
            n_errors = 0
            for x_i, y_i in zip(X, y, strict=True):
                y_hat = step(w.dot(x_i) + b)
                delta_w = self.alpha * (y_i - y_hat) * x_i + self.beta * delta_w_prev
                delta_b = self.alpha * (y_i - y_hat) + self.beta * delta_b_prev
                w, b = w + delta_w, b + delta_b
                delta_w_prev, delta_b_prev = delta_w, delta_b
                n_errors += int(y_hat != y_i)
            n_updates += n_errors
            errors.append(n_errors)
            w_hist.append(w.copy())
            b_hist.append(b)
            if n_errors == 0 and np.array_equal(self._predict(X, w, b), y):
                converged = True
                break
        self.coef_, self.intercept_ = w, b
        self.history_ = PerceptronHistory(np.array(w_hist), np.array(b_hist), errors, n_updates,
                                          converged)
        return self

    @staticmethod
    def _predict(X: np.ndarray, w: np.ndarray, b: float) -> np.ndarray:
        return (X @ w + b > 0).astype(np.float64)

    def predict(self, X: ArrayLike) -> np.ndarray:
        """ŷ = f(X·w + b), shape (n_samples,), values 0.0 or 1.0."""
        return self._predict(np.asarray(X, dtype=np.float64), self.coef_, self.intercept_)

    def score(self, X: ArrayLike, y: ArrayLike) -> float:
        """Accuracy: the fraction of samples with ŷ = y."""
        return float(np.mean(self.predict(X) == np.asarray(y)))
