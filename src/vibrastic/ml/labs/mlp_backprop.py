"""Lab 9, the deck's "Training MLPs with Backpropagation" slides: the δ rule written out by hand in
NumPy for a small MLP (tanh hidden layer, identity output, ℓ = ½ Σ (y − ŷ)²), checked against
autograd (vibrastic and PyTorch) in float64, then used to train the MLP by gradient descent.

The rule (slide "Briefly, in each layer"), for one layer's neurons j fed by inputs i:
    δ_j = ŷ_j − y_j                          in the output layer (identity: f' = 1)
    δ_j = f'(net_j) Σ_k δ_k w_kj             otherwise; tanh: f'(net_j) = 1 − y_j²
    ∂ℓ/∂w_ji = δ_j x_i,   ∂ℓ/∂b_j = δ_j
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Annotated, Any

import numpy as np
from matplotlib.figure import Figure

from vibrastic.ml.labs.backends import get_backend, other_backend
from vibrastic.ml.labs.base import LabResult
from vibrastic.ml.labs.params import Knob
from vibrastic.ml.labs.progress import report
from vibrastic.ml.plots.curves import loss_curve_figure

Params = dict[str, np.ndarray]
"""Weights by ``state_dict`` name: fc1.weight (hidden, in), fc1.bias (hidden,),
fc2.weight (out, hidden), fc2.bias (out,) — the shapes of ``nn.Linear``."""

PARAM_NAMES = ("fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias")


def init_params(n_in: int, n_hidden: int, n_out: int, seed: int = 0) -> Params:
    """Float64 weights drawn like ``nn.Linear``'s default init: uniform in ±1/√fan_in."""
    rng = np.random.default_rng(seed)
    b1, b2 = 1 / np.sqrt(n_in), 1 / np.sqrt(n_hidden)
    return {
        "fc1.weight": rng.uniform(-b1, b1, (n_hidden, n_in)),
        "fc1.bias": rng.uniform(-b1, b1, n_hidden),
        "fc2.weight": rng.uniform(-b2, b2, (n_out, n_hidden)),
        "fc2.bias": rng.uniform(-b2, b2, n_out),
    }


@dataclass
class ForwardPass:
    """What the forward pass keeps for backprop (rows are samples)."""

    x: np.ndarray  # inputs x_i, (N, in)
    net_hidden: np.ndarray  # net_j = Σ_i w_ji x_i + b_j, (N, hidden)
    y_hidden: np.ndarray  # y_j = tanh(net_j), (N, hidden): the output layer's inputs
    y_hat: np.ndarray  # ŷ_k = net_k = Σ_j w_kj y_j + b_k (identity output), (N, out)


def forward(params: Params, x: np.ndarray) -> ForwardPass:
    """The MLP of the "Multilayer Perceptron" slide: tanh hidden layer, identity output."""
    net_hidden = x @ params["fc1.weight"].T + params["fc1.bias"]
    y_hidden = np.tanh(net_hidden)
    y_hat = y_hidden @ params["fc2.weight"].T + params["fc2.bias"]
    return ForwardPass(x, net_hidden, y_hidden, y_hat)


def loss(y_hat: np.ndarray, y: np.ndarray) -> float:
    """ℓ = ½ Σ (y − ŷ)², summed over outputs and samples."""
    return float(0.5 * np.sum((y - y_hat) ** 2))


def deltas(params: Params, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(δ of the hidden layer (N, hidden), δ of the output layer (N, out)), one row per sample."""
    fp = forward(params, x)
    delta_output = fp.y_hat - y  # δ_k = ∂ℓ/∂ŷ_k · f'(net_k) = (ŷ_k − y_k) · 1
    f_prime = 1 - fp.y_hidden**2  # tanh'(net_j) = 1 − y_j², from the saved output
    delta_hidden = f_prime * (delta_output @ params["fc2.weight"])  # f'(net_j) Σ_k δ_k w_kj
    return delta_hidden, delta_output


def backprop(params: Params, x: np.ndarray, y: np.ndarray) -> Params:
    """∂ℓ/∂w for every weight by the δ rule, summed over the samples (rows of x and y).

    ∂ℓ/∂w_ji = δ_j x_i: a layer's δ (column) times its inputs (row), i.e. δᵀ·x over the batch.
    """
    fp = forward(params, x)
    delta_hidden, delta_output = deltas(params, x, y)
    return {
        "fc1.weight": delta_hidden.T @ fp.x,  # δ_j x_i
        "fc1.bias": delta_hidden.sum(axis=0),  # the bias's input is 1
        "fc2.weight": delta_output.T @ fp.y_hidden,  # δ_k y_j: the hidden outputs feed layer 2
        "fc2.bias": delta_output.sum(axis=0),
    }


def build_mlp(lib: Any, params: Params) -> Any:
    """The same MLP as an ``nn.Sequential`` (fc1, Tanh, fc2) on ``lib``, float64, loaded with
    ``params`` through ``load_state_dict`` (so both libraries start from identical weights)."""
    n_hidden, n_in = params["fc1.weight"].shape
    n_out = params["fc2.weight"].shape[0]
    nn = lib.nn
    model = nn.Sequential(OrderedDict([
        ("fc1", nn.Linear(n_in, n_hidden, dtype=lib.float64)),
        ("act", nn.Tanh()),
        ("fc2", nn.Linear(n_hidden, n_out, dtype=lib.float64)),
    ]))
    model.load_state_dict({k: lib.tensor(v, dtype=lib.float64) for k, v in params.items()})
    return model


def autograd_gradients(lib: Any, params: Params, x: np.ndarray, y: np.ndarray
                       ) -> tuple[Params, float]:
    """The same gradients by ``loss.backward()`` on ``lib``; also returns ℓ."""
    model = build_mlp(lib, params)
    y_hat = model(lib.tensor(x, dtype=lib.float64))
    ell = 0.5 * ((lib.tensor(y, dtype=lib.float64) - y_hat) ** 2).sum()
    ell.backward()
    grads = {name: p.grad.numpy().copy() for name, p in model.named_parameters()}
    return grads, float(ell.item())


def max_abs_diff(a: Params, b: Params) -> float:
    return max(float(np.max(np.abs(a[k] - b[k]))) for k in PARAM_NAMES)


def train_by_hand(params: Params, x: np.ndarray, y: np.ndarray, alpha: float, steps: int,
                  record_every: int) -> tuple[Params, list[int], list[float]]:
    """Batch gradient descent w ← w − α ∂ℓ/∂w with the hand-written backprop."""
    w = {k: v.copy() for k, v in params.items()}
    xs, losses = [], []
    for step in range(steps + 1):
        if step % 200 == 0:
            report(step, steps, "training with the hand-written backprop")
        if step % record_every == 0 or step == steps:
            xs.append(step)
            losses.append(loss(forward(w, x).y_hat, y))
        if step == steps:
            break
        grads = backprop(w, x, y)
        for k in w:
            w[k] -= alpha * grads[k]
    return w, xs, losses


def train_by_autograd(lib: Any, params: Params, x: np.ndarray, y: np.ndarray, alpha: float,
                      steps: int, record_every: int) -> tuple[Params, list[int], list[float]]:
    """The same descent with ``loss.backward()`` and ``optim.SGD(lr=α)`` on ``lib``."""
    model = build_mlp(lib, params)
    opt = lib.optim.SGD(model.parameters(), lr=alpha)
    xt, yt = lib.tensor(x, dtype=lib.float64), lib.tensor(y, dtype=lib.float64)
    xs, losses = [], []
    for step in range(steps + 1):
        if step % 200 == 0:
            report(step, steps, f"training with {lib.__name__}'s autograd")
        opt.zero_grad()
        ell = 0.5 * ((yt - model(xt)) ** 2).sum()
        if step % record_every == 0 or step == steps:
            xs.append(step)
            losses.append(float(ell.item()))
        if step == steps:
            break
        ell.backward()
        opt.step()
    final = {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}
    return final, xs, losses


def _gradient_figure(by_hand: Params, autograd: Params, backend: str) -> Figure:
    fig = Figure(figsize=(5, 4.5))
    ax = fig.add_subplot()
    for name in PARAM_NAMES:
        ax.scatter(autograd[name].ravel(), by_hand[name].ravel(), s=25, label=name)
    flat = np.concatenate([v.ravel() for v in by_hand.values()])
    lo, hi = float(flat.min()), float(flat.max())
    ax.plot([lo, hi], [lo, hi], color="#777777", lw=1, label="by hand = autograd")
    ax.set_xlabel(f"∂ℓ/∂w by {backend} autograd")
    ax.set_ylabel("∂ℓ/∂w by the δ rule (NumPy)")
    ax.set_title("backprop by hand vs autograd")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return fig


def run(
    backend: str = "vibrastic",
    seed: int = 0,
    sizes: Annotated[tuple[int, int, int], Knob(
        "layer sizes (in, hidden, out)", "the network whose gradients are checked", 1, 64)]
    = (3, 4, 2),
    samples: Annotated[int, Knob("samples", "random rows for the gradient check", 1, 200)] = 5,
    fit_hidden: Annotated[int, Knob("hidden neurons (sin fit)", "width of the 1-n-1 network "
                                    "that fits sin(x)", 1, 128)] = 8,
    fit_points: Annotated[int, Knob("points (sin fit)", "samples of sin(x) on [−π, π]",
                                    2, 1000)] = 32,
    alpha: Annotated[float, Knob("learning rate α", "step of batch gradient descent",
                                 1e-6, 1.0)] = 0.01,
    steps: Annotated[int, Knob("steps", "batch gradient-descent steps", 0, 50_000)] = 2000,
    record_every: int = 10,
    parity_steps: int = 200,
) -> LabResult:
    """Gradient check on a ``sizes`` MLP with ``samples`` random rows; then fit sin(x) on
    [−π, π] with a 1-``fit_hidden``-1 MLP for ``steps`` steps of batch gradient descent."""
    if record_every < 1 or steps < 0 or parity_steps < 0 or samples < 1 or min(sizes) < 1:
        raise ValueError("sizes, samples and record_every must be at least 1; steps and "
                         "parity_steps at least 0")
    result = LabResult("mlp-backprop", backend, seed)
    m = result.metrics
    rng = np.random.default_rng(seed)
    params = init_params(*sizes, seed=seed)
    x = rng.standard_normal((samples, sizes[0]))
    y = rng.standard_normal((samples, sizes[2]))

    by_hand = backprop(params, x, y)
    auto = {}
    for name in ("vibrastic", "torch"):
        auto[name], ell = autograd_gradients(get_backend(name), params, x, y)
        m[f"grad_max_abs_diff_vs_{name}"] = max_abs_diff(by_hand, auto[name])
        m[f"loss_{name}"] = ell
    m["loss_by_hand"] = loss(forward(params, x).y_hat, y)
    m["grad_max_abs"] = max(float(np.max(np.abs(v))) for v in by_hand.values())
    m["parity_max_abs_diff"] = max_abs_diff(auto["torch"], auto["vibrastic"])
    m["parity_compares"] = ("torch vs vibrastic: the gradients, and the weights after "
                            "fit_parity_steps steps of the fit")
    result.tables["gradients"] = [
        {"parameter": k, "shape": str(tuple(by_hand[k].shape)),
         "max |∂ℓ/∂w|": float(np.max(np.abs(by_hand[k]))),
         "vs vibrastic": float(np.max(np.abs(by_hand[k] - auto["vibrastic"][k]))),
         "vs torch": float(np.max(np.abs(by_hand[k] - auto["torch"][k])))}
        for k in PARAM_NAMES
    ]
    result.figures["gradients"] = _gradient_figure(by_hand, auto[backend], backend)

    # the deck's sign slip: a step along −(y − ŷ)… climbs instead of descending
    step = 0.01
    m["loss_after_step"] = loss(forward({k: params[k] - step * by_hand[k] for k in params},
                                        x).y_hat, y)
    m["loss_after_step_deck_sign"] = loss(forward({k: params[k] + step * by_hand[k]
                                                   for k in params}, x).y_hat, y)

    # training: sin(x) with the hand-written backprop, and with autograd on the chosen backend
    fx = np.linspace(-np.pi, np.pi, fit_points)[:, None]
    fy = np.sin(fx)
    start = init_params(1, fit_hidden, 1, seed=seed)
    w_hand, xs, hand_losses = train_by_hand(start, fx, fy, alpha, steps, record_every)
    lib = get_backend(backend)
    w_auto, _, auto_losses = train_by_autograd(lib, start, fx, fy, alpha, steps, record_every)
    prefix = {name: train_by_autograd(get_backend(name), start, fx, fy, alpha, parity_steps,
                                      parity_steps)[0]
              for name in (backend, other_backend(backend))}
    m["fit_loss_start"] = hand_losses[0]
    m["fit_loss_final_by_hand"] = hand_losses[-1]
    m["fit_loss_final_autograd"] = auto_losses[-1]
    m["fit_weights_max_abs_diff_by_hand_vs_autograd"] = max_abs_diff(w_hand, w_auto)
    m["fit_parity_max_abs_diff"] = max_abs_diff(prefix["torch"], prefix["vibrastic"])
    m["fit_parity_steps"] = parity_steps
    m["parity_max_abs_diff"] = max(m["parity_max_abs_diff"], m["fit_parity_max_abs_diff"])
    m["fit_steps"] = steps
    m["alpha"] = alpha
    result.figures["training"] = loss_curve_figure(
        {"δ rule by hand (NumPy)": (xs, hand_losses), f"autograd ({backend})": (xs, auto_losses)},
        title=f"fitting sin(x) with a 1-{fit_hidden}-1 tanh MLP, α = {alpha}",
        xlabel="gradient-descent step", ylabel="loss ℓ = ½ Σ (y − ŷ)²")
    return result
