"""Milestones: the deck's networks on the learner's engine, side by side with vibrastic and PyTorch.

Each milestone's ``run.py`` (course content) runs in the grading sandbox next to the learner's
package and returns plain data; nothing of the learner's runs in this process. Here, in the
trusted process, the same computation runs on vibrastic and on PyTorch from the same initial
weights (and the same batches), each timed; the checks compare the numbers, and the figures
show the three side by side. The verdict is a GradeResult whose tests are those checks, so the
store, the CLI and the web show a milestone like any graded attempt.
"""

from __future__ import annotations

import io
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from vibrastic.platform.course.checks import Case, show
from vibrastic.platform.course.project import Milestone
from vibrastic.platform.grader.results import GradeResult, TestResult

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from vibrastic.platform.grader.grade import Grader

ENGINES = ("mygrad", "vibrastic", "torch")
Check = tuple[str, "str | None"]  # (what is checked, None when it holds else why not)


@dataclass
class MilestoneRun:
    """A finished milestone: the verdict (checks as tests), a side-by-side table, figures
    (matplotlib's when run here, ``svgs`` when it came back from the grading service), and the
    learner's observation (None when the run on the learner's engine failed)."""

    milestone: Milestone
    result: GradeResult
    rows: list[dict[str, Any]] = field(default_factory=list)
    figures: dict[str, Figure] = field(default_factory=dict)
    observation: dict[str, Any] | None = None
    attempt_id: int | None = None
    svgs: dict[str, str] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return self.result.status == "pass"

    def save_figures(self, out_dir: Path, formats: tuple[str, ...] = ("png",)) -> list[Path]:
        """Write each figure as ``<milestone>-<figure>.<fmt>`` (SVG figures as ``.svg``);
        return the paths."""
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        paths = []
        for name, svg in self.svgs.items():
            path = out_dir / f"{self.milestone.slug}-{name}.svg"
            path.write_text(svg, encoding="utf-8")
            paths.append(path)
        for name, fig in self.figures.items():
            for fmt in formats:
                path = out_dir / f"{self.milestone.slug}-{name}.{fmt}"
                fig.savefig(path, format=fmt, bbox_inches="tight")
                paths.append(path)
        return paths


@dataclass(frozen=True)
class _Job:
    """What the grader runs for a milestone: the script, one probe calling ``run(**kwargs)``."""

    name: str
    filename: str
    reference: str
    cases: tuple[Case, ...]
    time_limit: float
    memory_mb: int
    fingerprint: str


@dataclass(frozen=True)
class Spec:
    """How one milestone is prepared, compared and drawn (trusted code)."""

    prepare: Callable[[dict], tuple[dict, dict[str, bytes]]]  # -> run() kwargs, extra files
    references: Callable[[dict, dict], dict[str, dict]]  # (options, kwargs) -> engine -> data
    checks: Callable[[dict, dict, dict], list[Check]]
    rows: Callable[[dict, dict, dict], list[dict]]
    figures: Callable[[dict, dict, dict], dict[str, Figure]]


def _timed(fn: Callable[..., dict], *args: Any) -> dict:
    """``fn(*args)`` with the seconds it took added as ``"seconds"``."""
    started = time.perf_counter()
    out = fn(*args)
    out["seconds"] = time.perf_counter() - started
    return out


def _lib(name: str) -> Any:
    from vibrastic.ml.labs.backends import get_backend

    return get_backend(name)


def _max_diff(a: Any, b: Any) -> float:
    """Largest absolute difference of two same-shaped nested lists / dicts of numbers."""
    if isinstance(a, dict):
        return max(_max_diff(a[k], b[k]) for k in b)
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if x.shape != y.shape:
        return math.inf
    return float(np.max(np.abs(x - y))) if x.size else 0.0


def _close(what: str, mine: Any, theirs: Any, tol: float) -> str | None:
    diff = _max_diff(mine, theirs)
    return None if diff <= tol else (f"{what}: largest difference {diff:.3g}, more than the "
                                     f"tolerance {tol:g}")


# ---------------------------------------------------------------- graph


def _graph_prepare(opts: dict) -> tuple[dict, dict[str, bytes]]:
    return {"x": float(opts["x"]), "y": float(opts["y"])}, {}


def _graph_one(lib: Any, kwargs: dict) -> dict:
    x = lib.tensor(kwargs["x"], dtype=lib.float64, requires_grad=True)
    y = lib.tensor(kwargs["y"], dtype=lib.float64, requires_grad=True)
    g = x * y**2 - x**2 * y
    g.backward()
    return {"value": g.item(), "x_grad": x.grad.item(), "y_grad": y.grad.item(),
            "graph": (g, x, y)}


def _graph_references(opts: dict, kwargs: dict) -> dict[str, dict]:
    return {engine: _timed(_graph_one, _lib(engine), kwargs) for engine in ENGINES[1:]}


def _graph_checks(obs: dict, refs: dict, opts: dict) -> list[Check]:
    x, y = refs["torch"]["x_grad"], refs["torch"]["y_grad"]
    nodes = obs["nodes"]
    leaves = {n["name"] for n in nodes if not n["parents"]}
    return [
        ("your backward gives ∂g/∂x and ∂g/∂y",
         _close(f"(∂g/∂x, ∂g/∂y) = ({obs['x_grad']:g}, {obs['y_grad']:g}), expected "
                f"({x:g}, {y:g})", [obs["x_grad"], obs["y_grad"]], [x, y], 1e-9)),
        ("the graph starts at x and y and ends at g",
         None if {"x", "y"} <= leaves and nodes[0]["name"] == "g" else
         f"leaves named {sorted(leaves - {''})}, expected x and y"),
        ("same value and gradients as vibrastic",
         _close("g and its gradients vs vibrastic", [obs["value"], obs["x_grad"], obs["y_grad"]],
                [refs["vibrastic"][k] for k in ("value", "x_grad", "y_grad")], 1e-9)),
    ]


def _graph_rows(obs: dict, refs: dict, opts: dict) -> list[dict]:
    rows = [{"engine": "mygrad (yours)", "g": obs["value"], "∂g/∂x": obs["x_grad"],
             "∂g/∂y": obs["y_grad"], "nodes": len(obs["nodes"]), "seconds": obs["seconds"]}]
    for engine in ENGINES[1:]:
        r = refs[engine]
        rows.append({"engine": engine, "g": r["value"], "∂g/∂x": r["x_grad"],
                     "∂g/∂y": r["y_grad"], "nodes": "", "seconds": r["seconds"]})
    return rows


def learner_graph_nodes(obs: dict) -> list[Any]:
    """The learner's recorded graph as drawable nodes: leaves left, g right."""
    from vibrastic.ml.plots.graph import GraphNode, assign_depths

    nodes: dict[int, GraphNode] = {}
    for n in obs["nodes"]:
        grad = f"grad {n['grad']:.4g}"
        if not n["parents"]:
            label = f"{n['name'] or 'const'} = {n['data']:.4g}\n{grad}"
            kind = "leaf"
        else:
            label = f"{n['op'] or '?'}  → {n['data']:.4g}\n{grad}"
            kind = "output" if n["name"] == "g" else "op"
        nodes[n["key"]] = GraphNode(n["key"], n["op"], label, kind, inputs=list(n["parents"]))
    assign_depths(nodes)
    return list(nodes.values())


def _graph_figures(obs: dict, refs: dict, opts: dict) -> dict[str, Figure]:
    from vibrastic.ml.plots.graph import computation_graph_figure, graph_figure

    g, x, y = refs["vibrastic"]["graph"]
    return {
        "graph": graph_figure(learner_graph_nodes(obs), "g = x·y² − x²·y at (2, 5) on your "
                              "engine: value and gradient in each box"),
        "graph-vibrastic": computation_graph_figure(g, {"x": x, "y": y}, "g",
                                                    title="the same g on vibrastic"),
    }


# ---------------------------------------------------------------- perceptron

GATES = {"AND": (0, 0, 0, 1), "OR": (0, 1, 1, 1), "XOR": (0, 1, 1, 0)}
INPUTS = ((0.0, 0.0), (0.0, 1.0), (1.0, 0.0), (1.0, 1.0))


def _perceptron_prepare(opts: dict) -> tuple[dict, dict[str, bytes]]:
    rng = np.random.default_rng(int(opts["seed"]))
    weights = {gate: [round(float(v), 6) for v in rng.uniform(-1, 1, 3)] for gate in GATES}
    return {"weights": weights, "epochs": int(opts["epochs"]), "lr": float(opts["lr"])}, {}


def perceptron_train(lib: Any, gate: str, weights: list[float], epochs: int, lr: float) -> dict:
    """The milestone's neuron on torch or vibrastic (same names): per-example steps."""
    w1, w2, b = (lib.tensor(v, dtype=lib.float64, requires_grad=True) for v in weights)
    losses = []
    for _ in range(epochs):
        total = 0.0
        for (x1, x2), target in zip(INPUTS, GATES[gate], strict=True):
            loss = (lib.sigmoid(w1 * x1 + w2 * x2 + b) - target) ** 2
            loss.backward()
            with lib.no_grad():
                for p in (w1, w2, b):
                    p -= lr * p.grad
                    p.grad = None
            total += loss.item()
        losses.append(total / len(INPUTS))
    with lib.no_grad():
        outputs = [lib.sigmoid(w1 * x1 + w2 * x2 + b).item() for x1, x2 in INPUTS]
    return {"losses": losses, "weights": [w1.item(), w2.item(), b.item()], "outputs": outputs}


def _perceptron_all(lib: Any, kwargs: dict) -> dict:
    return {gate: perceptron_train(lib, gate, kwargs["weights"][gate], kwargs["epochs"],
                                   kwargs["lr"]) for gate in GATES}


def _perceptron_references(opts: dict, kwargs: dict) -> dict[str, dict]:
    return {engine: _timed(_perceptron_all, _lib(engine), kwargs) for engine in ENGINES[1:]}


def _right(outputs: list[float], gate: str) -> int:
    return sum((o > 0.5) == bool(t) for o, t in zip(outputs, GATES[gate], strict=True))


def _perceptron_checks(obs: dict, refs: dict, opts: dict) -> list[Check]:
    checks: list[Check] = []
    for gate in ("AND", "OR"):
        right = _right(obs[gate]["outputs"], gate)
        checks.append((f"{gate} is learned: 4 of 4 right",
                       None if right == 4 else f"{gate}: {right} of 4 right after "
                       f"{opts['epochs']} epochs"))
    right = _right(obs["XOR"]["outputs"], "XOR")
    checks.append(("XOR is not: one neuron gets at most 3 of 4 right",
                   None if right <= 3 else "4 of 4 right on XOR with one neuron: the outputs "
                   f"{show(obs['XOR']['outputs'])} cannot come from w·x + b"))
    for engine in ENGINES[1:]:
        checks.append((f"same final weights as {engine} from the same start", _close(
            f"final weights vs {engine}", [obs[g]["weights"] for g in GATES],
            [refs[engine][g]["weights"] for g in GATES], 1e-8)))
    return checks


def _perceptron_rows(obs: dict, refs: dict, opts: dict) -> list[dict]:
    rows = []
    for engine, data in (("mygrad (yours)", obs), *((e, refs[e]) for e in ENGINES[1:])):
        row: dict[str, Any] = {"engine": engine}
        for gate in GATES:
            row[f"{gate} right"] = f"{_right(data[gate]['outputs'], gate)}/4"
        row["seconds"] = data["seconds"]
        rows.append(row)
    return rows


def _perceptron_figures(obs: dict, refs: dict, opts: dict) -> dict[str, Figure]:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(13, 3.4))
    grid = np.linspace(-0.25, 1.25, 121)
    xx, yy = np.meshgrid(grid, grid)
    for i, gate in enumerate(GATES):
        ax = fig.add_subplot(1, 4, i + 1)
        w1, w2, b = obs[gate]["weights"]
        out = 1 / (1 + np.exp(-np.clip(w1 * xx + w2 * yy + b, -500, 500)))
        ax.contourf(xx, yy, out, levels=np.linspace(0, 1, 11), cmap="coolwarm")
        ax.contour(xx, yy, out, levels=[0.5], colors="k", linewidths=1.5)
        for (x1, x2), t in zip(INPUTS, GATES[gate], strict=True):
            ax.scatter([x1], [x2], s=110, c="white" if t else "black", edgecolors="k", zorder=3)
        right = _right(obs[gate]["outputs"], gate)
        ax.set_title(f"{gate} gate: {right}/4 right" + (" (not separable)" if gate == "XOR"
                                                        else ""))
        ax.set_xticks([0, 1])
        ax.set_yticks([0, 1])
        ax.set_xlabel("first input $x_1$")
        ax.set_ylabel("second input $x_2$")
    ax = fig.add_subplot(1, 4, 4)
    for gate in GATES:
        ax.plot(obs[gate]["losses"], label=f"{gate} (yours)")
        ax.plot(refs["torch"][gate]["losses"], ls=":", color="k", lw=1)
    ax.set_xlabel("epoch")
    ax.set_ylabel("mean (ŷ − y)²")
    ax.set_title("loss (dotted: PyTorch)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return {"gates": fig}


# ---------------------------------------------------------------- xor


def _xor_prepare(opts: dict) -> tuple[dict, dict[str, bytes]]:
    from vibrastic.ml.labs.xor import initial_weights

    epochs = int(opts["epochs"])
    weights = {k: v.tolist() for k, v in initial_weights(int(opts["seed"])).items()}
    return {"weights": weights, "epochs": epochs, "lr": float(opts["lr"]),
            "record_every": int(opts["record_every"]),
            "parity_epochs": min(int(opts["parity_epochs"]), epochs)}, {}


def _xor_one(lib: Any, kwargs: dict) -> dict:
    from vibrastic.ml.labs import xor

    weights = {k: np.asarray(v, dtype=np.float32) for k, v in kwargs["weights"].items()}
    n = kwargs["parity_epochs"]
    run = xor.train(lib, weights, n, kwargs["lr"], kwargs["record_every"], snapshot_after=(n,))
    return {"epochs": run.epochs, "losses": run.losses,
            "parity_weights": {k: v.tolist() for k, v in run.snapshots[n].items()}}


def _xor_references(opts: dict, kwargs: dict) -> dict[str, dict]:
    return {engine: _timed(_xor_one, _lib(engine), kwargs) for engine in ENGINES[1:]}


def _xor_checks(obs: dict, refs: dict, opts: dict) -> list[Check]:
    table = ((0, 0, 0), (0, 1, 1), (1, 0, 1), (1, 1, 0))
    errors = [abs(t - p) for (_, _, t), p in zip(table, obs["predicted"], strict=True)]
    epochs = int(opts["epochs"])
    checks: list[Check] = [(
        f"learns XOR: every output within 0.1 of its target after {epochs} epochs",
        None if max(errors) < 0.1 else f"largest error {max(errors):.3g} after {epochs} epochs"
        + (" (the deck trains 50,000)" if epochs < 50_000 else ""))]
    n = min(int(opts["parity_epochs"]), epochs)
    for engine in ENGINES[1:]:
        theirs = dict(zip(refs[engine]["epochs"], refs[engine]["losses"], strict=True))
        mine = [(e, loss) for e, loss in zip(obs["epochs"], obs["losses"], strict=True)
                if e in theirs]
        checks.append((f"same losses as {engine} for the first {n} epochs", _close(
            f"mean loss per recorded epoch vs {engine}", [m for _, m in mine],
            [theirs[e] for e, _ in mine], 1e-4)))
        checks.append((f"same weights as {engine} after {n} epochs", _close(
            f"weights vs {engine}", obs["parity_weights"], refs[engine]["parity_weights"],
            1e-4)))
    return checks


def _xor_rows(obs: dict, refs: dict, opts: dict) -> list[dict]:
    n = min(int(opts["parity_epochs"]), int(opts["epochs"]))
    rows = [{"engine": "mygrad (yours)", "epochs": int(opts["epochs"]),
             "final loss": obs["losses"][-1], "s per 1000 epochs":
             obs["seconds"] * 1000 / int(opts["epochs"]), "max |Δw| vs yours": 0.0}]
    for engine in ENGINES[1:]:
        rows.append({"engine": engine, "epochs": n, "final loss": refs[engine]["losses"][-1],
                     "s per 1000 epochs": refs[engine]["seconds"] * 1000 / n,
                     "max |Δw| vs yours": _max_diff(obs["parity_weights"],
                                                    refs[engine]["parity_weights"])})
    return rows


def _xor_figures(obs: dict, refs: dict, opts: dict) -> dict[str, Figure]:
    from vibrastic.ml.labs.xor import _surface_figure
    from vibrastic.ml.plots.curves import loss_curve_figure

    n = min(int(opts["parity_epochs"]), int(opts["epochs"]))
    curves = {f"mygrad, yours ({opts['epochs']} epochs)": (obs["epochs"], obs["losses"])}
    for engine in ENGINES[1:]:
        curves[f"{engine} (first {n} epochs)"] = (refs[engine]["epochs"], refs[engine]["losses"])
    weights = {k: np.asarray(v) for k, v in obs["weights"].items()}
    return {"loss": loss_curve_figure(curves, title="XOR: MSE per epoch, SGD lr=0.01, one "
                                      "example per step"),
            "surface": _surface_figure(weights, "mygrad (yours)")}


# ---------------------------------------------------------------- digits

DIGITS_LAYERS = ("0.weight", "0.bias", "2.weight", "2.bias")


def _npz(**arrays: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()


def digits_weights(seed: int) -> dict[str, np.ndarray]:
    """Float32 weights like PyTorch's Linear init (uniform ±1/√fan_in), from NumPy's generator,
    so that the three engines start from the same numbers."""
    rng = np.random.default_rng(seed)
    out = {}
    for prefix, (n_in, n_out) in (("0", (64, 128)), ("2", (128, 10))):
        bound = 1 / math.sqrt(n_in)
        out[f"{prefix}.weight"] = rng.uniform(-bound, bound, (n_out, n_in)).astype(np.float32)
        out[f"{prefix}.bias"] = rng.uniform(-bound, bound, n_out).astype(np.float32)
    return out


def _digits_prepare(opts: dict) -> tuple[dict, dict[str, bytes]]:
    from vibrastic.ml import data

    x_train, x_test, y_train, y_test = data.digits(seed=0)
    files = {
        "milestone_data/digits.npz": _npz(x_train=x_train, y_train=y_train, x_test=x_test,
                                          y_test=y_test),
        "milestone_data/weights.npz": _npz(**digits_weights(int(opts["seed"]))),
    }
    epochs = int(opts["epochs"])
    kwargs = {"epochs": epochs, "batch": int(opts["batch"]), "lr": float(opts["lr"]),
              "momentum": float(opts["momentum"]), "seed": int(opts["seed"]),
              "parity_epochs": min(int(opts["parity_epochs"]), epochs)}
    return kwargs, files


def digits_train(lib: Any, weights: dict[str, np.ndarray], kwargs: dict) -> dict:
    """The milestone's network and loop on torch or vibrastic (same code, same batches)."""
    from vibrastic.ml import data

    x_train, x_test, y_train, y_test = data.digits(seed=0)
    nn = lib.nn
    net = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
    net.load_state_dict({k: lib.tensor(v) for k, v in weights.items()})
    criterion = nn.CrossEntropyLoss()
    optimizer = lib.optim.SGD(net.parameters(), lr=kwargs["lr"], momentum=kwargs["momentum"])
    order_rng = np.random.default_rng(kwargs["seed"])
    losses, accuracies, snapshot = [], [], None
    for epoch in range(kwargs["epochs"]):
        order = order_rng.permutation(len(x_train))
        total, count = 0.0, 0
        for begin in range(0, len(order), kwargs["batch"]):
            idx = order[begin:begin + kwargs["batch"]]
            optimizer.zero_grad()
            loss = criterion(net(lib.tensor(x_train[idx])), lib.tensor(y_train[idx]))
            loss.backward()
            optimizer.step()
            total += loss.item() * len(idx)
            count += len(idx)
        losses.append(total / count)
        with lib.no_grad():
            predicted = net(lib.tensor(x_test)).argmax(dim=1).numpy()
        accuracies.append(float((predicted == y_test).mean()))
        if epoch + 1 == kwargs["parity_epochs"]:
            snapshot = {k: v.detach().numpy().tolist() for k, v in net.state_dict().items()}
    return {"losses": losses, "accuracies": accuracies, "parity_weights": snapshot}


def _digits_references(opts: dict, kwargs: dict) -> dict[str, dict]:
    weights = digits_weights(kwargs["seed"])
    return {engine: _timed(digits_train, _lib(engine), weights, kwargs)
            for engine in ENGINES[1:]}


def _digits_checks(obs: dict, refs: dict, opts: dict) -> list[Check]:
    accuracy = obs["accuracies"][-1]
    n = min(int(opts["parity_epochs"]), int(opts["epochs"]))
    checks: list[Check] = [(
        "at least 95 % of the test digits right",
        None if accuracy >= 0.95 else f"test accuracy {accuracy:.2%} after {opts['epochs']} "
        "epochs")]
    for engine in ENGINES[1:]:
        checks.append((f"same weights as {engine} after {n} epoch(s)", _close(
            f"weights vs {engine}", obs["parity_weights"], refs[engine]["parity_weights"],
            1e-3)))
        gap = abs(accuracy - refs[engine]["accuracies"][-1])
        checks.append((f"test accuracy within 2 points of {engine}'s",
                       None if gap <= 0.02 else f"yours {accuracy:.2%}, {engine} "
                       f"{refs[engine]['accuracies'][-1]:.2%}"))
    return checks


def _digits_rows(obs: dict, refs: dict, opts: dict) -> list[dict]:
    epochs = int(opts["epochs"])
    rows = []
    for engine, data in (("mygrad (yours)", obs), *((e, refs[e]) for e in ENGINES[1:])):
        rows.append({"engine": engine, "test accuracy": f"{data['accuracies'][-1]:.2%}",
                     "final loss": data["losses"][-1], "s per epoch": data["seconds"] / epochs,
                     "max |Δw| vs yours": _max_diff(obs["parity_weights"],
                                                    data["parity_weights"])})
    return rows


def _digits_figures(obs: dict, refs: dict, opts: dict) -> dict[str, Figure]:
    from matplotlib.figure import Figure

    from vibrastic.ml import data

    fig = Figure(figsize=(11, 3.8))
    epochs = range(1, len(obs["losses"]) + 1)
    for col, (key, label) in enumerate((("losses", "training loss (cross-entropy)"),
                                        ("accuracies", "test accuracy"))):
        ax = fig.add_subplot(1, 2, col + 1)
        for engine, values, style in (("mygrad (yours)", obs[key], "-"),
                                      *((e, refs[e][key], ":") for e in ENGINES[1:])):
            ax.plot(epochs, values, style, marker="o", ms=3, label=engine)
        if key == "accuracies":
            ax.axhline(0.95, color="grey", lw=0.8, ls="--")
        ax.set_xlabel("epoch")
        ax.set_ylabel("cross-entropy loss" if key == "losses" else "share of test digits right")
        ax.set_title(label)
        ax.legend()
    fig.tight_layout()
    _, x_test, _, y_test = data.digits(seed=0)
    shown = Figure(figsize=(9, 3.4))
    for i, guess in enumerate(obs["predicted"][:24]):
        ax = shown.add_subplot(3, 8, i + 1)
        ax.imshow(x_test[i].reshape(8, 8), cmap="gray_r")
        ax.set_title(f"{guess}", color="green" if guess == y_test[i] else "red", fontsize=10)
        ax.axis("off")
    shown.suptitle("your network's answers on the first test digits (red: wrong)")
    return {"training": fig, "predictions": shown}


SPECS: dict[str, Spec] = {
    "graph": Spec(_graph_prepare, _graph_references, _graph_checks, _graph_rows,
                  _graph_figures),
    "perceptron": Spec(_perceptron_prepare, _perceptron_references, _perceptron_checks,
                       _perceptron_rows, _perceptron_figures),
    "xor": Spec(_xor_prepare, _xor_references, _xor_checks, _xor_rows, _xor_figures),
    "digits": Spec(_digits_prepare, _digits_references, _digits_checks, _digits_rows,
                   _digits_figures),
}


def options_for(milestone: Milestone, given: dict[str, Any]) -> dict[str, Any]:
    """The milestone's defaults updated with ``given``; an unknown or non-numeric option is a
    ValueError naming the valid ones."""
    unknown = sorted(set(given) - set(milestone.options))
    if unknown:
        raise ValueError(f"unknown option(s) {', '.join(unknown)} for milestone "
                         f"{milestone.slug}; expected: {', '.join(milestone.options) or 'none'}")
    out = dict(milestone.options)
    for key, value in given.items():
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"option {key} must be a number, got {value!r}") from None
        low = 0.0 if key in ("seed", "momentum", "x", "y") else math.ulp(0.0)
        if not math.isfinite(number) or (number < low and key not in ("x", "y")):
            raise ValueError(f"option {key} must be a {'non-negative' if low == 0 else 'positive'}"
                             f" number, got {value!r}")
        out[key] = number
    return out


def run(milestone: Milestone, files: dict[str, bytes], options: dict[str, Any],
        grader: Grader | None = None) -> MilestoneRun:
    """Run ``milestone`` on the package ``files`` in the sandbox, then compare and draw."""
    from vibrastic.platform.grader.grade import default_grader

    spec = SPECS[milestone.slug]
    opts = options_for(milestone, options)
    kwargs, extra = spec.prepare(opts)
    captured: dict[str, Any] = {}

    def capture(got: dict, want: dict) -> str | None:
        if not isinstance(got.get("value"), dict):
            return f"expected the run's record (a dict), got {show(got.get('value'), 120)}"
        captured["obs"] = got["value"]
        return None

    capture.needs_reference = False  # type: ignore[attr-defined]
    case = Case(f"runs on your engine ({milestone.title})",
                f"import json\nrun(**json.loads({json.dumps(kwargs)!r}))", capture)
    job = _Job(milestone.name, milestone.filename, milestone.script, (case,),
               milestone.time_limit, milestone.memory_mb, milestone.name)
    result = (grader or default_grader()).grade(job, milestone.script, files={**files, **extra})
    outcome = MilestoneRun(milestone, result)
    if "obs" not in captured:
        return outcome
    obs = outcome.observation = captured["obs"]
    try:
        refs = spec.references(opts, kwargs)
        checks = spec.checks(obs, refs, opts)
    except (KeyError, TypeError, ValueError, IndexError) as exc:  # a malformed observation
        checks, refs = [("your run's results can be read", f"{type(exc).__name__}: {exc}")], {}
    for name, problem in checks:
        result.tests.append(TestResult(name, "fail" if problem else "pass",
                                       0.0 if problem else 1.0, 1.0, message=problem or ""))
    result.score = float(sum(t.points for t in result.tests))
    result.max_score = float(sum(t.max_points for t in result.tests))
    result.status = "pass" if all(t.passed for t in result.tests) else "fail"
    if refs:
        try:
            outcome.rows = spec.rows(obs, refs, opts)
            outcome.figures = spec.figures(obs, refs, opts)
        except (KeyError, TypeError, ValueError, IndexError):
            outcome.rows, outcome.figures = [], {}
    return outcome


def figure_svg(fig: Figure) -> str:
    """A figure as SVG text (what the web shows and the attempt keeps)."""
    out = io.StringIO()
    fig.savefig(out, format="svg", bbox_inches="tight")
    return out.getvalue()


def _plain(value: Any) -> Any:
    """A table cell as JSON: numbers stay numbers (NumPy's included), the rest is text."""
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    if isinstance(value, np.generic):
        return value.item()
    return str(value)


@dataclass(frozen=True)
class MilestoneJob:
    """A milestone run as a gradable of the grading service (so a classroom's workers run it):
    ``grade_in`` runs it on the package in the sandbox, compares and draws here, and keeps the
    side-by-side table and the SVG figures in the verdict's ``extra``."""

    milestone: Milestone
    options: tuple[tuple[str, float], ...] = ()

    @property
    def name(self) -> str:
        return self.milestone.name

    @property
    def filename(self) -> str:
        return self.milestone.filename

    @property
    def hints(self) -> tuple[str, ...]:
        return ()

    def grade_in(self, grader: Grader, source: str, files: dict[str, bytes]) -> GradeResult:
        outcome = run(self.milestone, files, dict(self.options), grader)
        result = outcome.result
        result.extra = {
            "rows": [{k: _plain(v) for k, v in row.items()} for row in outcome.rows],
            "figures": {name: figure_svg(fig) for name, fig in outcome.figures.items()},
            "options": options_for(self.milestone, dict(self.options)),
        }
        return result
