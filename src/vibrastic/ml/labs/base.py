"""What every lab returns, and the registry that the faces (CLI, lessons, web) list and run."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # matplotlib loads slowly; figures only appear when a lab runs
    from matplotlib.figure import Figure


BACKENDS = ("torch", "vibrastic")


def plain(value: Any) -> Any:
    """A JSON-safe copy: NumPy scalars become Python numbers, inf/nan become the strings
    "inf", "-inf", "nan" (strict JSON has no such numbers), containers are walked."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if hasattr(value, "item") and getattr(value, "ndim", None) == 0:  # NumPy / tensor scalar
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    return value


@dataclass
class LabResult:
    """A lab's outcome: plain-number metrics, named figures and optional tables (never printed).

    ``notes`` carries short sentences a face should show (e.g. which backend actually ran).
    """

    name: str
    backend: str
    seed: int
    metrics: dict[str, float | int | bool | str] = field(default_factory=dict)
    figures: dict[str, Figure] = field(default_factory=dict)
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def save_figures(self, out_dir: Path, formats: tuple[str, ...] = ("png", "svg")) -> list[Path]:
        """Write every figure as ``<lab>-<figure>.<fmt>`` into ``out_dir``; return the paths."""
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        paths = []
        for fig_name, fig in self.figures.items():
            for fmt in formats:
                path = out_dir / f"{self.name}-{fig_name}.{fmt}"
                fig.savefig(path, format=fmt, bbox_inches="tight")
                paths.append(path)
        return paths

    def to_json(self) -> dict[str, Any]:
        """Everything but the figures' pixels, as JSON-safe values (figures listed by name)."""
        return {"lab": self.name, "backend": self.backend, "seed": self.seed,
                "metrics": plain(self.metrics), "tables": plain(self.tables),
                "figures": list(self.figures), "notes": list(self.notes)}


@dataclass(frozen=True)
class Lab:
    """A registered hands-on: its deck section, one-line summary and the function that runs it."""

    name: str
    section: str
    summary: str
    run: Callable[..., LabResult]
    backends: tuple[str, ...] = BACKENDS  # ("numpy",) for labs that neither train nor differentiate

    def backend_for(self, requested: str | None) -> str:
        """``requested`` when this lab supports it; else vibrastic (if None) or the lab's own."""
        if requested in self.backends:
            return requested
        if requested is None and "vibrastic" in self.backends:
            return "vibrastic"
        return self.backends[0]


REGISTRY: dict[str, Lab] = {}

COURSE_ORDER = (  # the numbering, which follows the deck
    "autograd", "supervised-svr", "unsupervised-kmeans", "reinforcement", "activations",
    "perceptron", "learning-rate", "momentum", "mlp-backprop", "xor",
)


def labs_in_course_order() -> list[Lab]:
    """Every registered lab, in the deck's order (labs not in COURSE_ORDER last, by name)."""
    rank = {name: i for i, name in enumerate(COURSE_ORDER)}
    return sorted(REGISTRY.values(), key=lambda lab: (rank.get(lab.name, len(rank)), lab.name))


LabFn = Callable[..., LabResult]


def register(
    name: str, section: str, summary: str, backends: tuple[str, ...] = BACKENDS
) -> Callable[[LabFn], LabFn]:
    """Decorator: add a lab function ``run(backend=..., seed=..., **config) -> LabResult``."""

    def wrap(fn: LabFn) -> LabFn:
        REGISTRY[name] = Lab(name, section, summary, fn, backends)
        return fn

    return wrap


class UnknownLabError(LookupError):
    """No lab has this name; the message lists the valid ones."""


def get_lab(name: str) -> Lab:
    """The registered lab called ``name`` (import ``vibrastic.ml.labs`` first: it registers all)."""
    try:
        return REGISTRY[name]
    except KeyError:
        valid = ", ".join(lab.name for lab in labs_in_course_order()) or "(none registered)"
        raise UnknownLabError(f"unknown lab {name!r}; valid labs: {valid}") from None


def run_lab(name: str, backend: str | None = None, seed: int | None = None,
            **config: Any) -> LabResult:
    """Run one lab. A backend the lab does not support falls back to the lab's own, with a note.

    ``backend`` must be one of BACKENDS (or None for the lab's default); ``seed=None`` keeps the
    lab's default seed; ``config`` goes to the lab (small sizes for tests).
    """
    if backend is not None and backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; expected one of {', '.join(BACKENDS)}")
    lab = get_lab(name)
    used = lab.backend_for(backend)
    kwargs: dict[str, Any] = dict(config, backend=used)
    if seed is not None:
        kwargs["seed"] = seed
    result = lab.run(**kwargs)
    if backend is not None and used != backend:
        result.notes.insert(0, f"{name} does not run on {backend}; ran it on {used} "
                               f"(it supports: {', '.join(lab.backends)})")
    return result
