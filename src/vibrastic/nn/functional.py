"""``vibrastic.nn.functional``: the stateless functions behind the modules, with torch's names."""

from __future__ import annotations

import warnings

from vibrastic.ops import (
    binary_cross_entropy,
    cross_entropy,
    leaky_relu,
    linear,
    mse_loss,
    nll_loss,
    relu,
    sigmoid,
    tanh,
)
from vibrastic.ops import log_softmax as _log_softmax
from vibrastic.ops import softmax as _softmax
from vibrastic.tensor import Tensor

__all__ = [
    "binary_cross_entropy",
    "cross_entropy",
    "identity",
    "leaky_relu",
    "linear",
    "log_softmax",
    "mse_loss",
    "nll_loss",
    "relu",
    "sigmoid",
    "softmax",
    "tanh",
]


def implicit_softmax_dim(ndim: int) -> int:
    """torch's dim when none is given (0 for 0-, 1- and 3-D input, else 1), with its warning."""
    dim = 0 if ndim in (0, 1, 3) else 1
    warnings.warn(
        f"Implicit dimension choice for softmax has been deprecated. "
        f"Change the call to include dim={dim} as an argument.",
        UserWarning,
        stacklevel=3,
    )
    return dim


def softmax(input: Tensor, dim: int | None = None) -> Tensor:
    """e^xᵢ / Σⱼ e^xⱼ along ``dim`` (always pass dim)."""
    return _softmax(input, implicit_softmax_dim(input.ndim) if dim is None else dim)


def log_softmax(input: Tensor, dim: int | None = None) -> Tensor:
    """log softmax along ``dim`` (always pass dim)."""
    return _log_softmax(input, implicit_softmax_dim(input.ndim) if dim is None else dim)


def identity(input: Tensor) -> Tensor:
    return input
