"""Devices: vibrastic computes on the CPU only, and says so in PyTorch's words.

The usual boilerplate runs unchanged::

    device = vb.device("cuda" if vb.cuda.is_available() else "cpu")   # -> device(type='cpu')
    model.to(device); x = x.to(device)

``vb.cuda`` and ``vb.backends`` answer the questions programs ask (``is_available()`` is False,
seeding is a no-op, cudnn flags can be set); asking to *use* an accelerator raises a RuntimeError
that says vibrastic has none.
"""

from __future__ import annotations

import sys
import types
from typing import Any

_KNOWN_TYPES = ("cpu", "cuda", "mps", "xpu", "meta", "xla", "hip", "mtia")


class device:
    """Where a tensor lives, as ``torch.device``: ``device('cpu')``, ``device('cuda', 0)``.

    Any of torch's device types can be named (so ``device('cuda')`` can be built and compared),
    but only the CPU can hold tensors.
    """

    __slots__ = ("index", "type")

    def __init__(self, type: Any, index: int | None = None) -> None:
        if isinstance(type, device):
            type, index = type.type, type.index
        elif isinstance(type, int):  # device(0): torch's shorthand for the accelerator 0
            type, index = "cuda", type
        elif isinstance(type, str) and ":" in type:
            type, _, idx = type.partition(":")
            if not idx.isdigit():
                raise RuntimeError(f"Invalid device string: '{type}:{idx}'")
            index = int(idx)
        if type not in _KNOWN_TYPES:
            raise RuntimeError(
                f"Expected one of {', '.join(_KNOWN_TYPES)} device type at start of device "
                f"string: {type}"
            )
        self.type: str = type
        self.index: int | None = index

    def __eq__(self, other: object) -> bool:
        return isinstance(other, device) and (other.type, other.index) == (self.type, self.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    # ``with vb.device('cpu'):`` as torch; only the CPU is accepted, so there is nothing to switch
    def __enter__(self) -> device:
        check(self)
        return self

    def __exit__(self, *exc: object) -> None:
        return None


CPU = device("cpu")


def check(where: Any) -> device:
    """Accept a device (object, string or index) that names the CPU; raise for any other."""
    if where is None:
        return CPU
    d = where if isinstance(where, device) else device(where)
    if d.type != "cpu":
        raise RuntimeError(
            f"vibrastic computes on the CPU only: device '{d}' is not available "
            "(vibrastic.cuda.is_available() is False; use device('cpu'))"
        )
    return CPU


def set_default_device(where: Any) -> None:
    """As ``torch.set_default_device``: only the CPU (or None) is accepted."""
    check(where)


def get_default_device() -> device:
    return CPU


class _Namespace(types.ModuleType):
    """A torch sub-module that vibrastic has only as far as CPU-only programs need it."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        raise AttributeError(
            f"module '{self.__name__}' has no attribute '{name}': vibrastic computes on the CPU "
            "only and does not have this part of torch's accelerator API"
        )


def _module(name: str, doc: str, **attrs: Any) -> _Namespace:
    mod = _Namespace(name, doc)
    mod.__dict__.update(attrs)
    sys.modules[name] = mod  # so ``import vibrastic.cuda`` works as ``import torch.cuda`` does
    return mod


def _false() -> bool:
    return False


def _zero() -> int:
    return 0


def _ignore_seed(seed: int) -> None:
    """Seeding an accelerator that is not there does nothing, as in torch without CUDA."""


cuda = _module(
    "vibrastic.cuda", "No CUDA: is_available() is False and device_count() is 0.",
    is_available=_false, device_count=_zero, is_initialized=_false,
    manual_seed=_ignore_seed, manual_seed_all=_ignore_seed,
)
mps = _module("vibrastic.backends.mps", "No Apple GPU.", is_available=_false, is_built=_false)
cudnn = _module(
    "vibrastic.backends.cudnn", "Flags programs set for reproducibility; they change nothing here.",
    is_available=_false, enabled=False, deterministic=False, benchmark=False,
)
backends = _module("vibrastic.backends", "Accelerator back-ends: none.", mps=mps, cudnn=cudnn)
