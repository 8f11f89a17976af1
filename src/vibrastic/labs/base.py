"""What every lab returns, and the registry that the faces (CLI, lessons, web) list and run."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

BACKENDS = ("torch", "vibrastic")


@dataclass
class LabResult:
    """A lab's outcome: plain-number metrics, named figures and optional tables (never printed)."""

    name: str
    backend: str
    seed: int
    metrics: dict[str, float | int | bool | str] = field(default_factory=dict)
    figures: dict[str, Figure] = field(default_factory=dict)
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def save_figures(self, out_dir: Path, formats: tuple[str, ...] = ("png", "svg")) -> list[Path]:
        """Write every figure as ``<lab>-<figure>.<fmt>`` into ``out_dir``; return the paths."""
        out_dir.mkdir(parents=True, exist_ok=True)
        paths = []
        for fig_name, fig in self.figures.items():
            for fmt in formats:
                path = out_dir / f"{self.name}-{fig_name}.{fmt}"
                fig.savefig(path, format=fmt, bbox_inches="tight")
                paths.append(path)
        return paths

    def to_json(self) -> dict[str, Any]:
        return {"lab": self.name, "backend": self.backend, "seed": self.seed,
                "metrics": self.metrics, "tables": self.tables}


@dataclass(frozen=True)
class Lab:
    """A registered hands-on: its deck section, one-line summary and the function that runs it."""

    name: str
    section: str
    summary: str
    run: Callable[..., LabResult]
    backends: tuple[str, ...] = BACKENDS  # ("numpy",) for labs that neither train nor differentiate


REGISTRY: dict[str, Lab] = {}


LabFn = Callable[..., LabResult]


def register(
    name: str, section: str, summary: str, backends: tuple[str, ...] = BACKENDS
) -> Callable[[LabFn], LabFn]:
    """Decorator: add a lab function ``run(backend=..., seed=..., **config) -> LabResult``."""

    def wrap(fn: LabFn) -> LabFn:
        REGISTRY[name] = Lab(name, section, summary, fn, backends)
        return fn

    return wrap
