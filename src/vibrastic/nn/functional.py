"""``vibrastic.nn.functional``: the stateless functions behind the modules, with torch's names.

The activations and ``linear`` are tensor ops from ``ops.py``; the losses are defined here, each
fused into one op whose gradient rule sits next to its forward (e.g. MSE: d/dx = 2(x - y)/n).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from vibrastic.autograd import record
from vibrastic.ops import _arr, _binary, _log_softmax, leaky_relu, linear, relu, sigmoid, tanh
from vibrastic.ops import log_softmax as _log_softmax_op
from vibrastic.ops import softmax as _softmax
from vibrastic.tensor import Tensor, TensorLike

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
    return _log_softmax_op(input, implicit_softmax_dim(input.ndim) if dim is None else dim)


def identity(input: Tensor) -> Tensor:
    """f(x) = x."""
    return input


# ---- losses ----


def _reduce(loss: np.ndarray, reduction: str) -> tuple[np.ndarray, Any]:
    """Apply a loss reduction; return the value and the factor that scales the gradient."""
    if reduction == "mean":  # sum / n: NumPy's mean() costs more than the loss on tiny arrays
        n = loss.size
        if n == 1:  # one element is its own mean: skip the reduction's fixed cost
            return loss.reshape(()), 1.0
        return np.asarray(loss.sum() / n), 1.0 / n if n else 0.0
    if reduction == "sum":
        return np.asarray(loss.sum()), 1.0
    if reduction == "none":
        return loss, None
    raise ValueError(f"{reduction} is not a valid value for reduction; use 'mean', 'sum' or 'none'")


def _spread(g: np.ndarray, scale: Any) -> np.ndarray:
    """The gradient that reaches each element of an unreduced loss."""
    return g if scale is None else g * scale


def mse_loss(input: Tensor, target: TensorLike, reduction: str = "mean") -> Tensor:
    """Mean squared error (xᵢ - yᵢ)², fused: d/dx = 2(x - y) · (1/n for the mean)."""
    x, y = input._data, _arr(target)
    if isinstance(target, Tensor) and target.shape != input.shape:
        warnings.warn(
            f"Using a target size ({target.shape}) that is different to the input size "
            f"({input.shape}). This will likely lead to incorrect results due to broadcasting. "
            "Please ensure they have the same size.", UserWarning, stacklevel=3,
        )
    d = x - y
    out, scale = _reduce(d * d, reduction)
    # d·(g·2s) is 2d·(g·s) to the last bit (doubling is exact), one NumPy call fewer
    two, minus_two = (2, -2) if scale is None else (2 * scale, -2 * scale)
    return _binary(out, input, target, lambda g: d * (g * two), lambda g: d * (g * minus_two),
                   "MseLoss")


def binary_cross_entropy(input: Tensor, target: TensorLike, reduction: str = "mean") -> Tensor:
    """-(y·log x + (1-y)·log(1-x)), logs clamped at -100 as torch does."""
    x, y = input._data, _arr(target)
    if np.any((x < 0) | (x > 1)):
        raise RuntimeError("all elements of input should be between 0 and 1")
    with np.errstate(divide="ignore"):
        loss = -(y * np.maximum(np.log(x), -100) + (1 - y) * np.maximum(np.log1p(-x), -100))
    out, scale = _reduce(loss, reduction)
    return _binary(
        out, input, target,
        lambda g: _spread(g, scale) * (x - y) / np.maximum((1 - x) * x, 1e-12),
        lambda g: _spread(g, scale) * (np.maximum(np.log1p(-x), -100)
                                       - np.maximum(np.log(x), -100)),
        "BinaryCrossEntropy",
    )


def _class_targets(x: np.ndarray, target: TensorLike) -> tuple[np.ndarray, bool]:
    """Targets as class indices (one per row) or as probabilities (same shape as x)."""
    t = np.asarray(_arr(target))
    if t.dtype.kind in "iu":
        n = x.shape[0] if x.ndim > 1 else 1
        if t.shape != ((n,) if x.ndim > 1 else ()):
            raise ValueError(
                f"Expected target of shape {(n,) if x.ndim > 1 else ()} (one class index per "
                f"row of input {x.shape}), got {t.shape}"
            )
        if t.size and (t.min() < 0 or t.max() >= x.shape[-1]):
            raise IndexError(f"Target {int(t.max())} is out of bounds for {x.shape[-1]} classes.")
        return t, True
    if t.shape != x.shape:
        raise ValueError(f"Expected probability targets of shape {x.shape}, got {t.shape}")
    return t, False


def nll_loss(input: Tensor, target: TensorLike, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of class indices, given log-probabilities (N, C)."""
    x = input._data
    t, _ = _class_targets(x, target)
    rows = np.arange(x.shape[0]) if x.ndim > 1 else ()
    picked = -x[rows, t] if x.ndim > 1 else -x[t]
    out, scale = _reduce(np.asarray(picked), reduction)

    def backward(g: np.ndarray) -> tuple[np.ndarray]:
        gx = np.zeros_like(x)
        if x.ndim > 1:
            gx[rows, t] = -_spread(g, scale)
        else:
            gx[t] = -_spread(g, scale)
        return (gx,)

    return record(out.astype(x.dtype), (input,), backward, "NllLoss")


def cross_entropy(input: Tensor, target: TensorLike, reduction: str = "mean") -> Tensor:
    """log_softmax + NLL in one op: the gradient is softmax(x) - onehot(y)."""
    x = input._data
    t, indices = _class_targets(x, target)
    logp = _log_softmax(x, -1)
    if indices:
        rows = np.arange(x.shape[0]) if x.ndim > 1 else ()
        loss = -(logp[rows, t] if x.ndim > 1 else logp[t])
        onehot = np.zeros_like(x)
        if x.ndim > 1:
            onehot[rows, t] = 1
        else:
            onehot[t] = 1
    else:
        loss = -(t * logp).sum(axis=-1)
        onehot = t
    out, scale = _reduce(np.asarray(loss), reduction)

    def backward(g: np.ndarray) -> tuple[np.ndarray]:
        s = _spread(g, scale)
        s = np.asarray(s)[..., None] if np.ndim(s) else s
        return ((np.exp(logp) * onehot.sum(axis=-1, keepdims=True) - onehot) * s,)

    return record(np.asarray(out, dtype=x.dtype), (input,), backward, "CrossEntropyLoss")

