"""Lab 2, ``supervised-svr``: SVR on the deck's noisy sine, and whether the default really overfits.

Slide "Supervised Learning hands on": y_real = sin(πx/50), y_measured = y_real + U(−½, ½) on
x = 0..99; ``SVR()`` is fitted and called overfitted, then ``SVR(C=1e3, gamma=0.0001)`` is "not
overfitted". The deck shows this with a picture only. Here it is measured on a held-out split (train
and test mean squared error, and the error against the noiseless y_real), plus a 5-fold
cross-validated grid search over C and gamma.

What the numbers show: since scikit-learn 0.22, ``SVR()`` uses gamma='scale' = 1/(n_features·Var(x))
≈ 0.0012 on x = 0..99, a smooth fit that does not overfit: its test error is at the noise floor
Var(U(−½, ½)) = 1/12 like the tuned model's. The deck's overfitting came from the old default
gamma='auto' = 1/n_features = 1, which this lab also fits: its train error drops far below the noise
floor and its test error rises far above it (errata). A model is flagged as overfitting when its
test error exceeds its train error by more than the noise variance σ² (memorising the noise costs
about 2σ²).

NumPy/scikit-learn only: nothing here is trained by autograd.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

if TYPE_CHECKING:  # scikit-learn is imported when the lab runs, not when labs are listed
    from sklearn.model_selection import GridSearchCV
    from sklearn.svm import SVR

from vibrastic.ml import data
from vibrastic.ml.labs.base import LabResult
from vibrastic.ml.labs.params import Knob

NOISE_VARIANCE = 1 / 12  # Var(U(−½, ½)): the test error of a perfect model
GRID = {"C": [0.1, 1.0, 10.0, 100.0, 1000.0], "gamma": [1e-4, 1e-3, 1e-2, 1e-1, 1.0]}


TUNED_C, TUNED_GAMMA = 1e3, 1e-4  # the SVR the deck actually ran


def models(C: float = TUNED_C, gamma: float = TUNED_GAMMA) -> dict[str, tuple[str, SVR]]:
    """The deck's two SVRs and the one the deck actually ran: name -> (description, estimator).
    ``C`` and ``gamma`` set the tuned one (the deck's values by default)."""
    from sklearn.svm import SVR

    return {
        "default": ("SVR() today: gamma='scale'", SVR()),
        "auto": ("SVR(gamma='auto'): the deck's default, gamma=1", SVR(gamma="auto")),
        "tuned": (f"SVR(C={C:g}, gamma={gamma:g})", SVR(C=C, gamma=gamma)),
    }


def effective_gamma(model: SVR, X: np.ndarray) -> float:
    """The RBF width the SVR uses on ``X`` (n, d): 'scale' = 1/(d·Var(X)), 'auto' = 1/d."""
    if model.gamma == "scale":
        return 1.0 / (X.shape[1] * float(X.var()))
    if model.gamma == "auto":
        return 1.0 / X.shape[1]
    return float(model.gamma)


def mse(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean((a - b) ** 2))


def _deck_figure(x: np.ndarray, y_real: np.ndarray, y_measured: np.ndarray,
                 preds: dict[str, np.ndarray], labels: dict[str, str]) -> Figure:
    """The deck's two plots: the data, then the fits (all three, trained on the 100 points)."""
    fig = Figure(figsize=(12, 4.5))
    ax = fig.add_subplot(121)
    ax.scatter(x, y_measured, marker=".", color="b", label="measured")
    ax.plot(x, y_real, color="r", label="real")
    ax.set(xlabel="input x", ylabel="output y = sin(πx/50), + noise if measured",
           title="The phenomenon and its measurements")
    ax.legend(frameon=True)
    ax = fig.add_subplot(122)
    ax.scatter(x, y_measured, marker=".", color="b", label="measured")
    styles = {"default": "g--", "auto": "c-", "tuned": "m-"}
    for name, label in labels.items():
        ax.plot(x, preds[name], styles[name], label=label)
    ax.set(xlabel="input x", ylabel="output y (measured or predicted)", title="SVR fits")
    ax.legend(frameon=True, fontsize="small")
    fig.tight_layout()
    return fig


def _errors_figure(rows: list[dict[str, Any]]) -> Figure:
    """Train and test MSE per model against the noise floor 1/12."""
    fig = Figure(figsize=(7, 4))
    ax = fig.add_subplot()
    pos = np.arange(len(rows))
    ax.bar(pos - 0.2, [r["train_mse"] for r in rows], 0.4, label="train MSE")
    ax.bar(pos + 0.2, [r["test_mse"] for r in rows], 0.4, label="test MSE (held out)")
    ax.axhline(NOISE_VARIANCE, color="black", linestyle="--", label="noise floor 1/12")
    ticks = {"default": "SVR()\ngamma='scale'", "auto": "SVR(gamma='auto')\n(the deck's default)",
             "tuned": "SVR(C=1e3,\ngamma=1e-4)"}
    ax.set_xticks(pos, [ticks[r["model"]] for r in rows], fontsize="small")
    ax.set(xlabel="model", ylabel="mean squared error",
           title="Overfitting, measured: error on training vs held-out data")
    ax.legend(fontsize="small")
    fig.tight_layout()
    return fig


def _grid_figure(search: GridSearchCV) -> Figure:
    """Mean cross-validated MSE over the C × gamma grid, best cell marked."""
    cv_mse = -search.cv_results_["mean_test_score"].reshape(len(GRID["C"]), len(GRID["gamma"]))
    fig = Figure(figsize=(6, 4.5))
    ax = fig.add_subplot()
    im = ax.imshow(np.log10(cv_mse), cmap="viridis_r")
    ax.set_xticks(range(len(GRID["gamma"])), [f"{g:g}" for g in GRID["gamma"]])
    ax.set_yticks(range(len(GRID["C"])), [f"{c:g}" for c in GRID["C"]])
    for i in range(cv_mse.shape[0]):
        for j in range(cv_mse.shape[1]):
            ax.text(j, i, f"{cv_mse[i, j]:.3f}", ha="center", va="center", fontsize=7,
                    color="white" if cv_mse[i, j] > np.median(cv_mse) else "black")
    best = search.best_params_
    ax.add_patch(Rectangle(
        (GRID["gamma"].index(best["gamma"]) - 0.5, GRID["C"].index(best["C"]) - 0.5), 1, 1,
        fill=False, edgecolor="red", linewidth=2))
    ax.set(xlabel="gamma (inverse width of the RBF kernel)", ylabel="C (regularisation)",
           title="5-fold CV mean squared error")
    fig.colorbar(im, ax=ax, label="log10 CV MSE")
    fig.tight_layout()
    return fig


def run(backend: str = "numpy", seed: int = 0,
        n: Annotated[int, Knob("points", "samples of the noisy sine", 10, 2000)] = 100,
        test_size: Annotated[float, Knob("test fraction", "share of points held out",
                                         0.1, 0.9)] = 0.3,
        cv_folds: Annotated[int, Knob("cross-validation folds", "folds of the grid search",
                                      2, 10)] = 5,
        C: Annotated[float, Knob("C (tuned SVR)", "penalty of the deck's tuned SVR",
                                 1e-3, 1e6)] = TUNED_C,
        gamma: Annotated[float, Knob("γ (tuned SVR)", "RBF width of the deck's tuned SVR",
                                     1e-6, 1e3)] = TUNED_GAMMA) -> LabResult:
    """Fit the three SVRs on all points (the deck's figure) and on a held-out split (numbers)."""
    from sklearn.model_selection import GridSearchCV, KFold, train_test_split
    from sklearn.svm import SVR

    x, y_real, y_measured = data.noisy_sine(n, seed=seed)
    X = x.reshape(-1, 1).astype(np.float64)
    X_train, X_test, y_train, y_test = train_test_split(X, y_measured, test_size=test_size,
                                                        random_state=seed)
    metrics: dict[str, float | int | bool | str] = {"noise_variance": NOISE_VARIANCE,
                                                     "gamma_scale": effective_gamma(SVR(), X_train)}
    rows, preds, labels = [], {}, {}
    for name, (label, model) in models(C, gamma).items():
        labels[name] = label
        preds[name] = model.fit(X, y_measured).predict(X)  # the deck's fit, on every point
        model.fit(X_train, y_train)
        train, test = mse(model.predict(X_train), y_train), mse(model.predict(X_test), y_test)
        row = {"model": name, "description": label, "C": model.C,
               "gamma": effective_gamma(model, X_train), "train_mse": train, "test_mse": test,
               "gap": test - train, "true_mse": mse(model.predict(X), y_real),
               "overfits": bool(test - train > NOISE_VARIANCE)}
        rows.append(row)
        for key in ("train_mse", "test_mse", "gap", "true_mse", "overfits"):
            metrics[f"{name}_{key}"] = row[key]

    search = GridSearchCV(SVR(), GRID, cv=KFold(cv_folds, shuffle=True, random_state=seed),
                          scoring="neg_mean_squared_error").fit(X_train, y_train)
    metrics["grid_best_C"] = float(search.best_params_["C"])
    metrics["grid_best_gamma"] = float(search.best_params_["gamma"])
    metrics["grid_best_cv_mse"] = float(-search.best_score_)
    metrics["grid_best_test_mse"] = mse(search.predict(X_test), y_test)
    metrics["grid_n_candidates"] = len(search.cv_results_["params"])
    metrics["tuned_beats_default_on_test"] = bool(metrics["tuned_test_mse"]
                                                  < metrics["default_test_mse"])
    metrics["deck_claim_default_overfits"] = bool(metrics["default_overfits"])
    grid_rows = [{"C": p["C"], "gamma": p["gamma"], "cv_mse": float(-m), "cv_std": float(s)}
                 for p, m, s in zip(search.cv_results_["params"],
                                    search.cv_results_["mean_test_score"],
                                    search.cv_results_["std_test_score"], strict=True)]
    figures = {"deck": _deck_figure(x, y_real, y_measured, preds, labels),
               "held-out": _errors_figure(rows), "grid-search": _grid_figure(search)}
    return LabResult("supervised-svr", backend, seed, metrics, figures,
                     {"models": rows, "grid": grid_rows})
