"""Lab 6, ``perceptron``: the perceptron rule (and with momentum) on AND, OR and XOR.

Slides "The perceptron" and "Perceptron learning": ŷ = f(w·x + b) with the step f, then
w ← w + α(y − ŷ)x, b ← b + α(y − ŷ), sample by sample, epoch after epoch. AND and OR are linearly
separable, so the rule converges (perceptron convergence theorem); XOR is not, so no line separates
it and the rule never stops making errors within the epoch cap. Momentum uses the deck's
momentum-descent recurrence Δw(t) = α(y − ŷ)x + βΔw(t−1) (the slide's formula applies α twice;
errata).

The perceptron trains (it has no gradient to differentiate, but it learns weights), so the rule runs
on the chosen backend's float64 tensors, from the same initial weights as NumPy's
``vibrastic.ml.classic.Perceptron``; the lab reports its difference from NumPy and from the other
backend.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType
from typing import Annotated, Any

import numpy as np
from matplotlib.figure import Figure

from vibrastic.ml import data
from vibrastic.ml.classic.perceptron import Perceptron
from vibrastic.ml.labs.backends import get_backend, other_backend
from vibrastic.ml.labs.base import LabResult
from vibrastic.ml.labs.params import Knob
from vibrastic.ml.plots.boundaries import plot_decision_boundaries

GATES = {"and": data.and_gate, "or": data.or_gate, "xor": data.xor}


@dataclass
class TensorRun:
    """A perceptron run on a backend's tensors: weights per epoch and errors per epoch."""

    w_hist: np.ndarray  # (epochs+1, n_features)
    b_hist: np.ndarray  # (epochs+1,)
    errors: list[int]
    converged: bool

    @property
    def n_updates(self) -> int:
        return sum(self.errors)


def perceptron_on_backend(
    lib: ModuleType, X: np.ndarray, y: np.ndarray, w_0: np.ndarray, b_0: float,
    alpha: float, beta: float, max_epochs: int,
) -> TensorRun:
    """The deck's rule with ``lib`` (torch or vibrastic) float64 tensors, same stopping rule as
    ``Perceptron.fit``: stop after an epoch with no error once the weights fit every sample."""
    X_t = lib.tensor(X, dtype=lib.float64)
    y_t = lib.tensor(y, dtype=lib.float64)
    w = lib.tensor(w_0, dtype=lib.float64)
    b = lib.tensor(b_0, dtype=lib.float64)
    delta_w_prev, delta_b_prev = w * 0.0, b * 0.0
    w_hist, b_hist, errors = [w.numpy().copy()], [float(b.item())], []
    converged = False
    for _epoch in range(max_epochs):
        n_errors = 0
        for i in range(len(X)):
            x_i, y_i = X_t[i], y_t[i]
            y_hat = ((x_i * w).sum() + b > 0).double()  # the step activation
            delta_w = alpha * (y_i - y_hat) * x_i + beta * delta_w_prev
            delta_b = alpha * (y_i - y_hat) + beta * delta_b_prev
            w, b = w + delta_w, b + delta_b
            delta_w_prev, delta_b_prev = delta_w, delta_b
            n_errors += int((y_hat != y_i).item())
        errors.append(n_errors)
        w_hist.append(w.numpy().copy())
        b_hist.append(float(b.item()))
        wrong = int(((X_t @ w + b > 0).double() - y_t).abs().sum().item())
        if n_errors == 0 and wrong == 0:
            converged = True
            break
    return TensorRun(np.array(w_hist), np.array(b_hist), errors, converged)


def _max_diff(a: TensorRun | Any, b: TensorRun | Any) -> float:
    """Largest weight/bias difference over the epochs both runs have (inf if lengths differ)."""
    if a.w_hist.shape != b.w_hist.shape:
        return float("inf")
    return float(max(np.abs(a.w_hist - b.w_hist).max(), np.abs(a.b_hist - b.b_hist).max()))


def run(
    backend: str = "vibrastic",
    seed: int = 0,
    alpha: Annotated[float, Knob("learning rate α", "the step of the perceptron rule",
                                 1e-6, 10.0)] = 0.1,
    beta: Annotated[float, Knob("momentum β", "momentum of the second run (the first has none)",
                                0.0, 0.999)] = 0.5,
    max_epochs: Annotated[int, Knob("epochs (at most)", "training stops earlier once every "
                                    "example is right", 1, 5000)] = 100,
) -> LabResult:
    """Train on AND, OR and XOR, without (β = 0) and with momentum (β = ``beta``), from the same
    initial weights w_0, b_0 ~ U(−½, ½) drawn with ``seed``."""
    lib, other = get_backend(backend), get_backend(other_backend(backend))
    metrics: dict[str, float | int | bool | str] = {"alpha": alpha, "beta": beta,
                                                     "max_epochs": max_epochs}
    rows: list[dict[str, Any]] = []
    diff_numpy, diff_other = 0.0, 0.0
    runs: dict[tuple[str, float], list[int]] = {}  # (gate, β) -> errors per epoch
    fig = Figure(figsize=(12, 8))
    for r, (kind, b_rate) in enumerate((("plain", 0.0), ("momentum", beta))):
        for c, (gate, make) in enumerate(GATES.items()):
            X, y = make()
            reference = Perceptron(alpha, b_rate, max_epochs, random_state=seed).fit(X, y)
            w_0, b_0 = reference.initial_weights(X.shape[1])
            mine = perceptron_on_backend(lib, X, y, w_0, b_0, alpha, b_rate, max_epochs)
            theirs = perceptron_on_backend(other, X, y, w_0, b_0, alpha, b_rate, max_epochs)
            runs[gate, b_rate] = mine.errors
            diff_numpy = max(diff_numpy, _max_diff(mine, reference.history_))
            diff_other = max(diff_other, _max_diff(mine, theirs))
            X_t = lib.tensor(X, dtype=lib.float64)
            w, b = lib.tensor(mine.w_hist[-1]), float(mine.b_hist[-1])
            accuracy = float(((X_t @ w + b > 0).double().numpy() == y).mean())
            key = f"{gate}_{kind}"
            metrics[f"{key}_converged"] = mine.converged
            metrics[f"{key}_epochs"] = len(mine.errors)
            metrics[f"{key}_updates"] = mine.n_updates
            metrics[f"{key}_accuracy"] = accuracy
            rows.append({"gate": gate.upper(), "momentum": b_rate, "converged": mine.converged,
                         "epochs": len(mine.errors), "updates": mine.n_updates,
                         "accuracy": accuracy, "w": mine.w_hist[-1].round(4).tolist(),
                         "b": round(float(mine.b_hist[-1]), 4)})
            momentum = f"β = {b_rate:g}" if b_rate else "no momentum"
            title = (f"{gate.upper()}, {momentum}\n"
                     f"{'converged' if mine.converged else 'not converged'} "
                     f"after {len(mine.errors)} epochs, {mine.n_updates} updates")
            plot_decision_boundaries(X, y, mine.w_hist, mine.b_hist,
                                     ax=fig.add_subplot(2, 3, 3 * r + c + 1), title=title)
    fig.tight_layout()
    metrics["max_abs_diff_numpy"] = diff_numpy
    metrics["parity_max_abs_diff"] = diff_other

    updates_fig = Figure(figsize=(7, 4))
    ax = updates_fig.add_subplot()
    for (gate, b_rate), errors in runs.items():
        converged = errors[-1] == 0
        ax.plot(range(len(errors) + 1), np.concatenate([[0], np.cumsum(errors)]),
                linestyle="--" if b_rate else "-", marker="o" if converged else None,
                markevery=[len(errors)], label=f"{gate.upper()} β={b_rate:g}")
    ax.set(xlabel="epoch", ylabel="updates so far", yscale="symlog", xscale="symlog",
           title="Cumulative updates (● = converged: training stops)")
    ax.legend(fontsize="small", ncol=2)
    updates_fig.tight_layout()
    return LabResult("perceptron", backend, seed, metrics,
                     {"boundaries": fig, "updates": updates_fig}, {"runs": rows})
