"""Lab 5, the deck's activation-function slides (Linear, Sigmoid, Tanh, ReLU, Leaky ReLU, Softmax):
each function and its derivative by autograd, vibrastic checked against PyTorch and against the
closed form, one figure per function, and the slides' pros and cons as a table."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

import numpy as np

from vibrastic.ml.labs.backends import get_backend, other_backend
from vibrastic.ml.labs.base import LabResult
from vibrastic.ml.labs.params import Knob
from vibrastic.ml.plots.curves import activation_figure


@dataclass(frozen=True)
class Activation:
    """One slide: the module the deck names, its formula, derivative and the listed pros/cons."""

    key: str
    title: str
    module: str
    formula: str
    derivative: str
    advantages: str
    disadvantages: str
    make: Callable[[Any, float], Any]  # (lib, negative_slope) -> module
    closed_form: Callable[[np.ndarray, float], tuple[np.ndarray, np.ndarray]]


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


ELEMENTWISE = (
    Activation(
        "linear", "Linear (identity)", "nn.Identity", "f(x) = x", "f'(x) = 1",
        "—",
        "Gradient is constant (carries no information about x); stacked linear layers "
        "collapse into one; limited power to handle complexity",
        lambda lib, a: lib.nn.Identity(),
        lambda x, a: (x.copy(), np.ones_like(x)),
    ),
    Activation(
        "sigmoid", "Sigmoid", "nn.Sigmoid", "f(x) = 1 / (1 + e^(−x))", "f'(x) = f(x)(1 − f(x))",
        "Smooth gradient; clear predictions",
        "Vanishing gradient; outputs not zero centered; computationally expensive",
        lambda lib, a: lib.nn.Sigmoid(),
        lambda x, a: (_sigmoid(x), _sigmoid(x) * (1 - _sigmoid(x))),
    ),
    Activation(
        "tanh", "Hyperbolic tangent", "nn.Tanh", "f(x) = (e^x − e^(−x)) / (e^x + e^(−x))",
        "f'(x) = 1 − f(x)²",
        "Zero centered: strong negative, neutral and positive values; otherwise like sigmoid",
        "Like the sigmoid function (vanishing gradient)",
        lambda lib, a: lib.nn.Tanh(),
        lambda x, a: (np.tanh(x), 1 - np.tanh(x) ** 2),
    ),
    Activation(
        "relu", "ReLU", "nn.ReLU", "f(x) = max(0, x)", "f'(x) = 1 if x > 0 else 0",
        "Computationally efficient: networks converge quickly; non-linear: allows backpropagation",
        "The dying ReLU problem",
        lambda lib, a: lib.nn.ReLU(),
        lambda x, a: (np.maximum(0, x), (x > 0).astype(x.dtype)),
    ),
    Activation(
        "leaky_relu", "Leaky ReLU", "nn.LeakyReLU",
        "f(x) = max(0, x) + negative_slope·min(0, x)  (the deck prints max(0, x): errata)",
        "f'(x) = 1 if x > 0 else negative_slope",
        "Prevents the dying ReLU problem; otherwise like ReLU",
        "Results not consistent",
        lambda lib, a: lib.nn.LeakyReLU(negative_slope=a),
        lambda x, a: (np.maximum(0, x) + a * np.minimum(0, x), np.where(x > 0, 1.0, a)),
    ),
)

SOFTMAX_ROW = {
    "function": "Softmax", "module": "nn.Softmax", "formula": "f(x_i) = e^(x_i) / Σ_j e^(x_j)",
    "derivative": "∂s_i/∂x_j = s_i(δ_ij − s_j) (Jacobian; diagonal s_i(1 − s_i))",
    "advantages": "Handles multiple classes; normalizes each class's output to (0, 1), summing "
                  "to 1; useful for output neurons",
    "disadvantages": "— (the slide lists none)",
}


def elementwise_derivative(lib: Any, module: Any, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """f(x) and f'(x) for an elementwise activation: backward() with a vector of ones gives
    each element's own derivative (the Jacobian is diagonal)."""
    xt = lib.tensor(x, dtype=lib.float64, requires_grad=True)
    y = module(xt)
    y.backward(lib.ones_like(y))
    return y.detach().numpy().copy(), xt.grad.numpy().copy()


def softmax_first_component(lib: Any, x: np.ndarray, others: tuple[float, ...] = (0.0, 0.0)
                            ) -> tuple[np.ndarray, np.ndarray]:
    """s₁ of softmax((x, *others)) for each x, and ∂s₁/∂x₁ = s₁(1 − s₁) (the Jacobian's diagonal
    entry), by autograd: one row of logits per x, backward with the one-hot (1, 0, 0) per row."""
    z = np.column_stack([x, *(np.full_like(x, o) for o in others)])
    zt = lib.tensor(z, dtype=lib.float64, requires_grad=True)
    s = lib.nn.Softmax(dim=1)(zt)
    onehot = np.zeros_like(z)
    onehot[:, 0] = 1.0
    s.backward(lib.tensor(onehot, dtype=lib.float64))
    return s.detach().numpy()[:, 0].copy(), zt.grad.numpy()[:, 0].copy()


def softmax_jacobian(lib: Any, z: np.ndarray) -> np.ndarray:
    """The full Jacobian J[i, j] = ∂s_i/∂z_j of softmax at the vector z, one backward per row."""
    rows = []
    for i in range(len(z)):
        zt = lib.tensor(z, dtype=lib.float64, requires_grad=True)
        s = lib.nn.Softmax(dim=0)(zt)
        s.backward(lib.tensor(np.eye(len(z))[i], dtype=lib.float64))
        rows.append(zt.grad.numpy().copy())
    return np.array(rows)


def softmax_jacobian_closed_form(z: np.ndarray) -> np.ndarray:
    """diag(s) − s sᵀ."""
    e = np.exp(z - z.max())
    s = e / e.sum()
    return np.diag(s) - np.outer(s, s)


def run(
    backend: str = "vibrastic",
    seed: int = 0,
    points: Annotated[int, Knob("points", "how many x values each curve is drawn through",
                                2, 5001)] = 201,
    x_range: Annotated[tuple[float, float], Knob(
        "x range (from, to)", "the interval the functions are drawn on", -50, 50)] = (-5.0, 5.0),
    negative_slope: Annotated[float, Knob(
        "leaky ReLU slope", "the slope of leaky ReLU for x < 0", 0, 1)] = 0.01,
    softmax_at: Annotated[tuple[float, ...], Knob(
        "softmax inputs", "the scores softmax turns into probabilities", -50, 50)]
    = (2.0, 1.0, 0.1),
) -> LabResult:
    """Each function on ``points`` values in ``x_range`` (float64), on both backends; the figures
    and headline numbers come from ``backend``. No randomness: ``seed`` is recorded only."""
    result = LabResult("activations", backend, seed)
    libs = {name: get_backend(name) for name in (backend, other_backend(backend))}
    x = np.linspace(*x_range, points)
    parity = 0.0
    rows = []
    for act in ELEMENTWISE:
        runs = {n: elementwise_derivative(lib, act.make(lib, negative_slope), x)
                for n, lib in libs.items()}
        y, dy = runs[backend]
        y_exact, dy_exact = act.closed_form(x, negative_slope)
        value_diff = float(np.max(np.abs(runs["vibrastic"][0] - runs["torch"][0])))
        deriv_diff = float(np.max(np.abs(runs["vibrastic"][1] - runs["torch"][1])))
        result.metrics[f"{act.key}_value_max_abs_diff"] = value_diff
        result.metrics[f"{act.key}_derivative_max_abs_diff"] = deriv_diff
        result.metrics[f"{act.key}_derivative_vs_formula"] = float(np.max(np.abs(dy - dy_exact)))
        result.metrics[f"{act.key}_value_vs_formula"] = float(np.max(np.abs(y - y_exact)))
        parity = max(parity, value_diff, deriv_diff)
        zoom = (f"zoom on x < 0: slope {negative_slope:g}, not 0 as in ReLU"
                if act.key == "leaky_relu" else "")
        result.figures[act.key.replace("_", "-")] = activation_figure(
            x, y, dy, f"{act.title} ({act.module}) on {backend}", act.formula.split("  (")[0],
            zoom_negative=zoom)
        rows.append({"function": act.title, "module": act.module, "formula": act.formula,
                     "derivative": act.derivative, "advantages": act.advantages,
                     "disadvantages": act.disadvantages})
    result.metrics["leaky_relu_negative_slope"] = negative_slope
    # the vanishing gradient, in numbers: the largest and the edge-of-range derivative
    for key, fn in (("sigmoid", lambda v: _sigmoid(v) * (1 - _sigmoid(v))),
                    ("tanh", lambda v: 1 - np.tanh(v) ** 2)):
        result.metrics[f"{key}_derivative_max"] = float(fn(0.0))
        result.metrics[f"{key}_derivative_at_{x_range[1]:g}"] = float(fn(x_range[1]))

    # softmax: not elementwise, so its derivative is a Jacobian
    runs_s = {n: softmax_first_component(lib, x) for n, lib in libs.items()}
    s1, ds1 = runs_s[backend]
    for i, what in enumerate(("value", "derivative")):
        diff = float(np.max(np.abs(runs_s["vibrastic"][i] - runs_s["torch"][i])))
        result.metrics[f"softmax_{what}_max_abs_diff"] = diff
        parity = max(parity, diff)
    result.metrics["softmax_derivative_vs_formula"] = float(np.max(np.abs(ds1 - s1 * (1 - s1))))
    z = np.array(softmax_at, dtype=np.float64)
    jac = {n: softmax_jacobian(lib, z) for n, lib in libs.items()}
    result.metrics["softmax_jacobian_max_abs_diff"] = float(
        np.max(np.abs(jac["vibrastic"] - jac["torch"])))
    result.metrics["softmax_jacobian_vs_formula"] = float(
        np.max(np.abs(jac[backend] - softmax_jacobian_closed_form(z))))
    result.metrics["softmax_jacobian_row_sums_max_abs"] = float(np.max(np.abs(jac[backend].sum(1))))
    parity = max(parity, result.metrics["softmax_jacobian_max_abs_diff"])
    result.figures["softmax"] = activation_figure(
        x, s1, ds1, f"Softmax (nn.Softmax) on {backend}: s₁ of softmax((x, 0, 0))",
        "s₁ = eˣ / (eˣ + e⁰ + e⁰) = eˣ / (eˣ + 2)",
        derivative_label="∂s₁/∂x₁ = s₁(1 − s₁) (Jacobian diagonal)")
    rows.append(SOFTMAX_ROW)
    result.tables["pros_cons"] = rows
    result.tables["softmax_jacobian"] = [
        {"output": f"s_{i + 1}", **{f"∂/∂z_{j + 1}": float(jac[backend][i, j])
                                    for j in range(len(z))}}
        for i in range(len(z))
    ]
    result.metrics["parity_max_abs_diff"] = parity
    result.notes.append(
        "Softmax is not elementwise: its derivative is the Jacobian ∂s_i/∂z_j = s_i(δ_ij − s_j); "
        f"the figure shows the diagonal entry s₁(1 − s₁); the table is the full Jacobian at {z}.")
    return result
