"""Lab 1, the deck's "Autograd" slides: ∂f/∂x for f = xy at (1, 2), then the challenge
g = xy² − x²y at (2, 5), by hand, by PyTorch and by vibrastic, with g's computation graph."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from vibrastic.ml.labs.backends import get_backend, other_backend
from vibrastic.ml.labs.base import LabResult
from vibrastic.ml.labs.params import Knob
from vibrastic.ml.plots.graph import computation_graph_figure

FORMULAS = {"f": "f = xy", "g": "g = xy² − x²y"}


def f(x: Any, y: Any) -> Any:
    """The slide's first function, f(x, y) = xy."""
    return x * y


def g(x: Any, y: Any) -> Any:
    """The challenge, g(x, y) = xy² − x²y."""
    return x * y**2 - x**2 * y


def f_by_hand(x: float, y: float) -> tuple[float, float]:
    """(∂f/∂x, ∂f/∂y) = (y, x)."""
    return y, x


def g_by_hand(x: float, y: float) -> tuple[float, float]:
    """(∂g/∂x, ∂g/∂y) = (y² − 2xy, 2xy − x²)."""
    return y**2 - 2 * x * y, 2 * x * y - x**2


def by_autograd(lib: Any, fn: Callable[[Any, Any], Any], at: tuple[float, float]) -> dict[str, Any]:
    """The deck's recipe on ``lib`` (torch or vibrastic): leaves with requires_grad, backward().

    Returns the value, both partial derivatives and the output tensor (for drawing its graph).
    The deck only marks x as requiring grad; y does too here, to read ∂/∂y as well.
    """
    x = lib.tensor(at[0], requires_grad=True)
    y = lib.tensor(at[1], requires_grad=True)
    out = fn(x, y)
    out.backward(retain_graph=True)  # keep the graph readable for the figure
    return {"value": out.item(), "d_dx": x.grad.item(), "d_dy": y.grad.item(),
            "out": out, "x": x, "y": y}


def run(
    backend: str = "vibrastic",
    seed: int = 0,
    f_at: Annotated[tuple[float, float], Knob(
        "point (x, y) for f = xy", "where ∂f/∂x and ∂f/∂y are taken", -1e6, 1e6)] = (1.0, 2.0),
    g_at: Annotated[tuple[float, float], Knob(
        "point (x, y) for g = xy² − x²y", "where ∂g/∂x and ∂g/∂y are taken", -1e6, 1e6)]
    = (2.0, 5.0),
) -> LabResult:
    """Derivatives three ways (no randomness: ``seed`` is recorded only)."""
    result = LabResult("autograd", backend, seed)
    libs = {name: get_backend(name) for name in (backend, other_backend(backend))}
    rows = []
    worst = {"torch": 0.0, "vibrastic": 0.0}
    parity = 0.0
    for fname, fn, hand, at in (("f", f, f_by_hand, f_at), ("g", g, g_by_hand, g_at)):
        runs = {name: by_autograd(lib, fn, at) for name, lib in libs.items()}
        result.metrics[f"{fname}_value"] = runs[backend]["value"]
        for i, var in enumerate(("x", "y")):
            exact = hand(*at)[i]
            key = f"d{fname}_d{var}"
            result.metrics[f"{key}_by_hand"] = exact
            row: dict[str, Any] = {"derivative": f"∂{fname}/∂{var}", "at": f"{at}",
                                   "by hand": exact}
            for name in ("torch", "vibrastic"):
                value = runs[name][f"d_d{var}"]
                result.metrics[f"{key}_{name}"] = value
                row[name] = value
                worst[name] = max(worst[name], abs(value - exact))
            parity = max(parity, abs(row["torch"] - row["vibrastic"]))
            rows.append(row)
        chosen = runs[backend]
        result.figures[f"graph-{fname}"] = computation_graph_figure(
            chosen["out"], {"x": chosen["x"], "y": chosen["y"]}, fname,
            title=f"{FORMULAS[fname]} at {at} on {backend} (backward runs right to left)")
    result.metrics["max_abs_diff_torch_vs_by_hand"] = worst["torch"]
    result.metrics["max_abs_diff_vibrastic_vs_by_hand"] = worst["vibrastic"]
    result.metrics["parity_max_abs_diff"] = parity
    result.tables["derivatives"] = rows
    return result
