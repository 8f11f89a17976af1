"""Shared pieces of the benchmarks: both libraries side by side, torch pinned to one thread."""

from __future__ import annotations

from types import ModuleType

import numpy as np
import torch

import vibrastic

torch.set_num_threads(1)
LIBRARIES: dict[str, ModuleType] = {"vibrastic": vibrastic, "torch": torch}


def copy_weights(src: torch.nn.Module, dst: vibrastic.nn.Module) -> None:
    """Start both models from the same weights (vibrastic loads a torch state_dict)."""
    dst.load_state_dict(src.state_dict())


def report(title: str, unit: str, ours: float, theirs: float, lower_is_better: bool = True) -> str:
    """One line: vibrastic's figure, PyTorch's, and how many times faster vibrastic is."""
    ratio = theirs / ours if lower_is_better else ours / theirs
    return (f"{title}: vibrastic {ours:.3g} {unit}, torch {theirs:.3g} {unit} "
            f"-> vibrastic is {ratio:.2f}x {'faster' if ratio >= 1 else 'slower'}")


def seed_all(seed: int) -> np.random.Generator:
    torch.manual_seed(seed)
    vibrastic.manual_seed(seed)
    return np.random.default_rng(seed)
