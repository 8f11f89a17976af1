"""What every lab returns (``LabResult``), and the backends labs run on; the list of labs is
``registry``."""

from __future__ import annotations

import math
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
