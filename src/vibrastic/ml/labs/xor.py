"""Lab 10, the deck's "Build MLP in PyTorch" slides: the XOR network exactly as printed
(2-3-1, sigmoid hidden layer, linear output, ``MSELoss``, ``SGD(lr=0.01)``, 50,000 epochs, one
sample per step), in modern PyTorch and on vibrastic, both from the same initial weights.

Fixed from the deck (see docs/errata.md): no ``Variable``, ``torch.sigmoid`` for ``F.sigmoid``,
``forward`` inside the class, ``targets`` defined, the progress ``print`` inside the epoch loop,
``.item()`` / ``.detach()`` instead of ``.data``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any

import numpy as np
from matplotlib.figure import Figure

from vibrastic.ml.labs.backends import get_backend, other_backend
from vibrastic.ml.labs.base import LabResult
from vibrastic.ml.labs.params import Knob
from vibrastic.ml.labs.progress import report
from vibrastic.ml.plots.curves import loss_curve_figure

XOR_TABLE = ((0.0, 0.0, 0.0), (0.0, 1.0, 1.0), (1.0, 0.0, 1.0), (1.0, 1.0, 0.0))  # x, y, XOR
EPOCHS = 50_000
LR = 0.01


def xor_class(lib: Any) -> type:
    """The deck's ``XOR`` network for ``lib`` (``torch`` or ``vibrastic``: the code is the same)."""
    nn = lib.nn

    class XOR(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc1 = nn.Linear(2, 3, True)
            self.fc2 = nn.Linear(3, 1, True)

        def forward(self, x: Any) -> Any:
            x = lib.sigmoid(self.fc1(x))
            x = self.fc2(x)
            return x

    return XOR


def initial_weights(seed: int = 0) -> dict[str, np.ndarray]:
    """Float32 weights drawn with NumPy like ``nn.Linear``'s default (uniform ±1/√fan_in), so
    torch and vibrastic start from the same numbers (their own generators differ)."""
    rng = np.random.default_rng(seed)
    b1, b2 = 1 / np.sqrt(2), 1 / np.sqrt(3)
    w = {
        "fc1.weight": rng.uniform(-b1, b1, (3, 2)),
        "fc1.bias": rng.uniform(-b1, b1, 3),
        "fc2.weight": rng.uniform(-b2, b2, (1, 3)),
        "fc2.bias": rng.uniform(-b2, b2, 1),
    }
    return {k: v.astype(np.float32) for k, v in w.items()}


@dataclass
class XorRun:
    """A finished training run: the network, the loss curve and weight snapshots."""

    net: Any
    inputs: list[Any]
    targets: list[Any]
    epochs: list[int] = field(default_factory=list)  # epochs at which the loss was recorded
    losses: list[float] = field(default_factory=list)  # mean per-sample loss in that epoch
    snapshots: dict[int, dict[str, np.ndarray]] = field(default_factory=dict)  # after N epochs


def weights_of(net: Any) -> dict[str, np.ndarray]:
    return {k: v.detach().numpy().copy() for k, v in net.state_dict().items()}


def train(lib: Any, weights: dict[str, np.ndarray], epochs: int = EPOCHS, lr: float = LR,
          record_every: int = 100, snapshot_after: tuple[int, ...] = ()) -> XorRun:
    """The deck's training loop on ``lib``, from ``weights``; the loss of each recorded epoch is
    the mean of its four per-sample losses (the deck printed only the last sample's)."""
    net = xor_class(lib)()
    net.load_state_dict({k: lib.tensor(v) for k, v in weights.items()})
    inputs = [lib.tensor([[x, y]]) for x, y, _ in XOR_TABLE]  # the deck's 1×2 rows
    targets = [lib.tensor([[t]]) for _, _, t in XOR_TABLE]  # the deck never defines targets
    criterion = lib.nn.MSELoss()
    optimizer = lib.optim.SGD(net.parameters(), lr=lr)
    run = XorRun(net, inputs, targets)
    stage = f"training on {lib.__name__}"
    for idx in range(epochs):
        if idx % 500 == 0:
            report(idx, epochs, stage)
        record = idx % record_every == 0 or idx == epochs - 1
        total = 0.0
        for input, target in zip(inputs, targets, strict=True):
            optimizer.zero_grad()  # zero the gradient buffers
            output = net(input)
            loss = criterion(output, target)
            loss.backward()
            optimizer.step()  # does the update
            if record:
                total += loss.item()
        if record:
            run.epochs.append(idx)
            run.losses.append(total / len(inputs))
        if idx + 1 in snapshot_after:
            run.snapshots[idx + 1] = weights_of(net)
    report(epochs, epochs, stage)
    return run


def predictions(lib: Any, run: XorRun) -> list[float]:
    """The trained network's output for each row of the truth table."""
    with lib.no_grad():
        return [run.net(input).item() for input in run.inputs]


def results_table(predicted: list[float]) -> list[dict[str, Any]]:
    """The deck's "Final results": input, target, predicted and error, rounded to 4 places."""
    return [{"input": f"[{int(x)},{int(y)}]", "target": int(t), "predicted": round(p, 4),
             "error": round(abs(t - p), 4)}
            for (x, y, t), p in zip(XOR_TABLE, predicted, strict=True)]


def _surface_figure(weights: dict[str, np.ndarray], backend: str) -> Figure:
    """The trained network's output over the plane around the unit square (NumPy forward)."""
    g = np.linspace(-0.25, 1.25, 121)
    xx, yy = np.meshgrid(g, g)
    pts = np.column_stack([xx.ravel(), yy.ravel()])
    hidden = 1 / (1 + np.exp(-(pts @ weights["fc1.weight"].T + weights["fc1.bias"])))
    out = (hidden @ weights["fc2.weight"].T + weights["fc2.bias"]).reshape(xx.shape)
    fig = Figure(figsize=(5, 4.2))
    ax = fig.add_subplot()
    mesh = ax.contourf(xx, yy, out, levels=np.linspace(-0.2, 1.2, 15), cmap="coolwarm",
                       extend="both")
    ax.contour(xx, yy, out, levels=[0.5], colors="k", linewidths=1.5)
    fig.colorbar(mesh, ax=ax, label="network output")
    for x, y, t in XOR_TABLE:
        ax.scatter([x], [y], s=120, c="white" if t else "black", edgecolors="k", zorder=3)
    ax.set_xlabel("first input $x_1$")
    ax.set_ylabel("second input $x_2$")
    ax.set_title(f"What the trained XOR network outputs, on {backend}\n"
                 "(black line: output 0.5; dots: the four XOR inputs, white = 1)")
    return fig


def run(
    backend: str = "vibrastic",
    seed: int = 0,
    epochs: Annotated[int, Knob("epochs", "passes over the four XOR rows (the deck: 50,000)",
                                1, 200_000)] = EPOCHS,
    lr: Annotated[float, Knob("learning rate α", "SGD's step size (the deck: 0.01)",
                              1e-6, 10.0)] = LR,
    record_every: int = 100,
    parity_epochs: int = 1000,
) -> LabResult:
    """Train on ``backend`` for ``epochs``; train the other backend for ``parity_epochs`` from
    the same weights and compare the two at that point."""
    if min(epochs, parity_epochs, record_every) < 1:
        raise ValueError(f"epochs, parity_epochs and record_every must be at least 1; got "
                         f"{epochs}, {parity_epochs}, {record_every}")
    result = LabResult("xor", backend, seed)
    m = result.metrics
    lib = get_backend(backend)
    start = initial_weights(seed)
    parity_epochs = min(parity_epochs, epochs)
    main = train(lib, start, epochs, lr, record_every, snapshot_after=(parity_epochs,))
    other = other_backend(backend)
    check = train(get_backend(other), start, parity_epochs, lr, record_every,
                  snapshot_after=(parity_epochs,))

    predicted = predictions(lib, main)
    errors = [abs(t - p) for (_, _, t), p in zip(XOR_TABLE, predicted, strict=True)]
    for (x, y, _), p in zip(XOR_TABLE, predicted, strict=True):
        m[f"predicted_{int(x)}_{int(y)}"] = p
    m["max_error"] = max(errors)
    m["converged"] = m["max_error"] < 0.05
    with lib.no_grad():
        m["inference_1_0"] = main.net(lib.tensor([1.0, 0.0])).item()  # the deck's last slide
    m["final_loss"] = main.losses[-1]
    m["epochs"] = epochs
    m["lr"] = lr
    ours, theirs = main.snapshots[parity_epochs], check.snapshots[parity_epochs]
    m["parity_epochs"] = parity_epochs
    m["parity_max_abs_diff"] = max(float(np.max(np.abs(ours[k] - theirs[k]))) for k in ours)
    m["parity_compares"] = f"weights after parity_epochs epochs, {backend} vs {other}"
    ours_by_epoch = dict(zip(main.epochs, main.losses, strict=True))
    m["parity_loss_max_abs_diff"] = max(  # over the epochs both runs recorded
        abs(ours_by_epoch[e] - loss)
        for e, loss in zip(check.epochs, check.losses, strict=True) if e in ours_by_epoch)
    result.tables["results"] = results_table(predicted)
    result.tables["training_log"] = [  # the deck's print every 5000 epochs
        {"epoch": e, "loss": loss}
        for e, loss in zip(main.epochs, main.losses, strict=True) if e % 5000 == 0
    ]
    result.figures["loss"] = loss_curve_figure(
        {f"{backend} ({epochs} epochs)": (main.epochs, main.losses),
         f"{other} (first {parity_epochs} epochs)": (check.epochs, check.losses)},
        title=f"XOR: MSE loss per epoch (mean over the 4 samples), SGD lr={lr}")
    result.figures["surface"] = _surface_figure(weights_of(main.net), backend)
    verdict = ("learned XOR" if m["converged"]
               else "not learned yet: train longer or try another seed")
    result.notes.append(f"max error {m['max_error']:.4g} over the four inputs ({verdict}); "
                        f"mean error {float(np.mean(errors)):.4g}")
    return result
