"""in-place initialisers with torch's formulas, drawn from vibrastic's RNG."""

from __future__ import annotations

import math

import numpy as np

from vibrastic.missing import module_getattr
from vibrastic.tensor import Tensor, generator


def _fan_in_out(t: Tensor) -> tuple[int, int]:
    if t.ndim < 2:
        raise ValueError(
            "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions"
        )
    receptive = math.prod(t.shape[2:])
    return t.shape[1] * receptive, t.shape[0] * receptive


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The gain torch recommends for an activation (used by the kaiming/xavier initialisers)."""
    if nonlinearity in ("linear", "sigmoid", "identity"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        return math.sqrt(2.0 / (1 + slope**2))
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def uniform_(t: Tensor, a: float = 0.0, b: float = 1.0) -> Tensor:
    t._data[...] = generator().uniform(t.shape, a, b, t._data.dtype)
    return t


def normal_(t: Tensor, mean: float = 0.0, std: float = 1.0) -> Tensor:
    t._data[...] = generator().normal(t.shape, mean, std, t._data.dtype)
    return t


def constant_(t: Tensor, val: float) -> Tensor:
    t._data[...] = val
    return t


def zeros_(t: Tensor) -> Tensor:
    return constant_(t, 0.0)


def ones_(t: Tensor) -> Tensor:
    return constant_(t, 1.0)


def kaiming_uniform_(
    t: Tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu"
) -> Tensor:
    """U(-bound, bound), bound = √3·gain/√fan: torch's default for Linear weights (a=√5)."""
    fan_in, fan_out = _fan_in_out(t)
    fan = fan_in if mode == "fan_in" else fan_out
    std = calculate_gain(nonlinearity, a) / math.sqrt(fan) if fan else 0.0
    bound = math.sqrt(3.0) * std  # torch's order of operations: the same float bound
    return uniform_(t, -bound, bound)


def xavier_uniform_(t: Tensor, gain: float = 1.0) -> Tensor:
    """U(-a, a) with a = gain·√(6/(fan_in + fan_out)) (Glorot)."""
    fan_in, fan_out = _fan_in_out(t)
    bound = math.sqrt(3.0) * gain * math.sqrt(2.0 / float(fan_in + fan_out))  # as torch
    return uniform_(t, -bound, bound)


def xavier_normal_(t: Tensor, gain: float = 1.0) -> Tensor:
    fan_in, fan_out = _fan_in_out(t)
    return normal_(t, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)))


def kaiming_normal_(
    t: Tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu"
) -> Tensor:
    """N(0, std²) with std = gain/√fan (He initialisation)."""
    fan_in, fan_out = _fan_in_out(t)
    fan = fan_in if mode == "fan_in" else fan_out
    return normal_(t, 0.0, calculate_gain(nonlinearity, a) / math.sqrt(fan) if fan else 0.0)


def eye_(t: Tensor) -> Tensor:
    """The identity matrix (a 2-D tensor only)."""
    if t.ndim != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    t._data[...] = np.eye(*t.shape)
    return t


def orthogonal_(t: Tensor, gain: float = 1.0) -> Tensor:
    """A (semi-)orthogonal matrix from the QR decomposition of a normal sample, times gain."""
    if t.ndim < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    rows, cols = t.shape[0], t.numel() // t.shape[0]
    flat = generator().normal((rows, cols), 0.0, 1.0, np.dtype(np.float64))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q = q * np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    t._data[...] = (gain * q).reshape(t.shape)
    return t


__getattr__ = module_getattr(__name__)
