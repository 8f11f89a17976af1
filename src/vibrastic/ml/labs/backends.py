"""Pick the tensor library a lab runs on: PyTorch or vibrastic (same names, same semantics)."""

from __future__ import annotations

from types import ModuleType

from vibrastic.ml.labs.base import BACKENDS


def get_backend(name: str) -> ModuleType:
    """``torch`` (pinned to one thread, as in the benchmarks) or ``vibrastic``."""
    if name == "torch":
        import torch

        torch.set_num_threads(1)
        return torch
    if name == "vibrastic":
        import vibrastic

        return vibrastic
    raise ValueError(f"unknown backend {name!r}; expected one of {', '.join(BACKENDS)}")


def other_backend(name: str) -> str:
    """The backend to compare against."""
    return "vibrastic" if name == "torch" else "torch"
