"""``vibrastic.nn.functional``: the stateless functions behind the modules, with torch's names.

The activations and ``linear`` are tensor ops from ``ops.py``; the losses are defined here, each
fused into one op whose gradient rule sits next to its forward (e.g. MSE: d/dx = 2(x - y)/n).
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from vibrastic import ops as _ops
from vibrastic import tensor as _tensor
from vibrastic.autograd import no_grad, record
from vibrastic.missing import module_getattr
from vibrastic.ops import _arr, _binary, _log_softmax, linear, sigmoid, tanh
from vibrastic.ops import log_softmax as _log_softmax_op
from vibrastic.ops import softmax as _softmax
from vibrastic.special import erf_array
from vibrastic.tensor import Tensor, TensorLike, _new, bernoulli

__all__ = [
    "batch_norm",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "celu",
    "cosine_embedding_loss",
    "cosine_similarity",
    "cross_entropy",
    "dropout",
    "elu",
    "embedding",
    "gaussian_nll_loss",
    "gelu",
    "glu",
    "hardshrink",
    "hardsigmoid",
    "hardswish",
    "hardtanh",
    "hinge_embedding_loss",
    "huber_loss",
    "identity",
    "kl_div",
    "l1_loss",
    "layer_norm",
    "leaky_relu",
    "linear",
    "log_softmax",
    "logsigmoid",
    "margin_ranking_loss",
    "mish",
    "mse_loss",
    "multi_margin_loss",
    "multilabel_soft_margin_loss",
    "nll_loss",
    "normalize",
    "one_hot",
    "pad",
    "pairwise_distance",
    "poisson_nll_loss",
    "prelu",
    "relu",
    "relu6",
    "selu",
    "sigmoid",
    "silu",
    "smooth_l1_loss",
    "soft_margin_loss",
    "softmax",
    "softmin",
    "softplus",
    "softshrink",
    "softsign",
    "tanh",
    "tanhshrink",
    "threshold",
    "triplet_margin_loss",
]


def implicit_softmax_dim(ndim: int, name: str = "softmax") -> int:
    """torch's dim when none is given (0 for 0-, 1- and 3-D input, else 1), with its warning."""
    dim = 0 if ndim in (0, 1, 3) else 1
    warnings.warn(
        f"Implicit dimension choice for {name} has been deprecated. "
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


def binary_cross_entropy(input: Tensor, target: TensorLike, weight: TensorLike | None = None,
                         size_average: Any = None, reduce: Any = None,
                         reduction: str = "mean") -> Tensor:
    """-w·(y·log x + (1-y)·log(1-x)), logs clamped at -100 as torch does; ``weight``
    (broadcast to the input) scales each element's loss."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    x, y = input._data, _arr(target)
    if isinstance(target, Tensor) and target.shape != input.shape:
        raise ValueError(f"Using a target size (torch.Size({list(target.shape)})) that is "
                         f"different to the input size (torch.Size({list(input.shape)})) is "
                         "deprecated. Please ensure they have the same size.")
    if np.any((x < 0) | (x > 1)):
        raise RuntimeError("all elements of input should be between 0 and 1")
    with np.errstate(divide="ignore"):
        loss = -(y * np.maximum(np.log(x), -100) + (1 - y) * np.maximum(np.log1p(-x), -100))
    w = None if weight is None else _arr(weight)
    if w is not None:
        loss = loss * w
    out, scale = _reduce(loss, reduction)

    def dx(g: np.ndarray) -> np.ndarray:
        d = _spread(g, scale) * (x - y) / np.maximum((1 - x) * x, 1e-12)
        return d if w is None else d * w

    def dy(g: np.ndarray) -> np.ndarray:
        d = _spread(g, scale) * (np.maximum(np.log1p(-x), -100) - np.maximum(np.log(x), -100))
        return d if w is None else d * w

    return _binary(out, input, target, dx, dy, "BinaryCrossEntropy")


_TORCH_TYPE = {"float16": "Half", "float32": "Float", "float64": "Double", "int64": "Long",
               "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}


def _legacy_reduction(size_average: Any, reduce: Any, reduction: str, stacklevel: int = 3) -> str:
    """torch's reduction from the deprecated ``size_average``/``reduce`` flags, with its warning."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    reduction = ("mean" if size_average else "sum") if reduce else "none"
    warnings.warn(f"size_average and reduce args will be deprecated, please use "
                  f"reduction='{reduction}' instead.", UserWarning, stacklevel=stacklevel)
    return reduction


def _class_weight(x: np.ndarray, weight: TensorLike | None, prefix: str = "") -> Any:
    """The per-class weights as an array of x's dtype, checked as torch checks them."""
    if weight is None:
        return None
    w = np.asarray(_arr(weight))
    classes = x.shape[1] if x.ndim > 1 else x.shape[0]
    if w.ndim != 1 or w.size != classes:
        raise RuntimeError(f"{prefix}weight tensor should be defined either for all {classes} "
                           f"classes or no classes but got weight tensor of shape: "
                           f"{list(w.shape)}")
    if w.dtype != x.dtype:
        raise RuntimeError(f"expected scalar type {_TORCH_TYPE.get(x.dtype.name, x.dtype.name)} "
                           f"but found {_TORCH_TYPE.get(w.dtype.name, w.dtype.name)}")
    return w


def _index_targets(x: np.ndarray, t: np.ndarray, ignore_index: int) -> np.ndarray | None:
    """Check class-index targets as torch does; return the mask of the kept ones (None when
    no target equals ``ignore_index``)."""
    if t.dtype.kind not in "iu" or t.dtype not in (np.int64, np.uint8):
        raise RuntimeError("expected target dtype to be Long or Byte, but got "
                           f"{_TORCH_TYPE.get(t.dtype.name, t.dtype.name)}")
    if x.ndim <= 2:
        if t.ndim > 1:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        if x.ndim == 2 and t.shape != (x.shape[0],):
            raise ValueError(f"Expected input batch_size ({x.shape[0]}) to match target "
                             f"batch_size ({t.shape[0] if t.ndim else 1}).")
        if x.ndim < 2 and t.ndim != 0:
            raise RuntimeError(f"Expected target size [], got {list(t.shape)}")
    else:
        if t.ndim == 0 or t.shape[0] != x.shape[0]:
            raise ValueError(f"Expected input batch_size ({x.shape[0]}) to match target "
                             f"batch_size ({t.shape[0] if t.ndim else 1}).")
        if t.shape != x.shape[:1] + x.shape[2:]:
            raise RuntimeError(f"Expected target size {[x.shape[0], *x.shape[2:]]}, "
                               f"got {list(t.shape)}")
    classes = x.shape[1] if x.ndim > 1 else x.shape[0]
    if t.size == 0:
        return None
    lo, hi = t.min(), t.max()
    if lo >= 0 and hi < classes and not (lo <= ignore_index <= hi):
        return None  # every target a class, none ignored
    bad = _out_of_bounds(t, classes, ignore_index)
    if bad is not None:
        raise IndexError(bad)
    keep = t != ignore_index
    return None if keep.all() else keep


def _out_of_bounds(t: np.ndarray, classes: int, ignore_index: int) -> str | None:
    """torch's message for the first target outside [0, classes) that isn't ignored."""
    bad = (t != ignore_index) & ((t < 0) | (t >= classes))
    return f"Target {int(t[bad].flat[0])} is out of bounds." if bad.any() else None


def _class_loss(x: np.ndarray, t: np.ndarray, weight: Any, ignore_index: int, reduction: str,
                label_smoothing: float, logits: bool) -> tuple[np.ndarray, Any]:
    """nll_loss (``logits=False``: x holds log-probabilities) and cross_entropy (x holds
    scores) on arrays: the loss and its gradient function ``g -> dloss/dx``. vb.compile calls
    this very function for the options its own rule doesn't cover, so the bits are eager's."""
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    c = 1 if x.ndim > 1 else 0  # the class dim
    if label_smoothing > 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    label_smoothing = max(label_smoothing, 0.0)  # torch smooths only for ε > 0
    if logits and t.dtype.kind == "f" and t.shape == x.shape:
        if ignore_index >= 0:
            raise RuntimeError("ignore_index is not supported for floating point target")
        w = _class_weight(x, weight, "cross_entropy: ")
        return _probability_loss(x, t, w, reduction, label_smoothing, c)
    w = _class_weight(x, weight)
    keep = _index_targets(x, t, ignore_index)
    if w is None and keep is None and not label_smoothing and x.ndim <= 2:
        return (_cross_entropy_indices if logits else _nll_indices)(x, t, reduction)
    return _weighted_index_loss(x, t, w, keep, reduction, label_smoothing if logits else 0.0,
                                logits, c)


def _nll_indices(x: np.ndarray, t: np.ndarray, reduction: str) -> tuple[np.ndarray, Any]:
    """nll_loss of in-bounds targets, no weights (N, C) or (C,): the plain path."""
    rows = np.arange(x.shape[0]) if x.ndim > 1 else ()
    picked = -x[rows, t] if x.ndim > 1 else -x[t]
    out, scale = _reduce(np.asarray(picked), reduction)

    def backward(g: np.ndarray) -> np.ndarray:
        gx = np.zeros_like(x)
        if x.ndim > 1:
            gx[rows, t] = -_spread(g, scale)
        else:
            gx[t] = -_spread(g, scale)
        return gx

    return out.astype(x.dtype), backward


def _cross_entropy_indices(x: np.ndarray, t: np.ndarray, reduction: str
                           ) -> tuple[np.ndarray, Any]:
    """log_softmax + NLL of in-bounds targets, no options: the gradient is
    softmax(x) - onehot(y) (vb.compile's rule mirrors these NumPy calls)."""
    logp = _log_softmax(x, -1)
    rows = np.arange(x.shape[0]) if x.ndim > 1 else ()
    loss = -(logp[rows, t] if x.ndim > 1 else logp[t])
    onehot = np.zeros_like(x)
    if x.ndim > 1:
        onehot[rows, t] = 1
    else:
        onehot[t] = 1
    return _softmax_backward(x, logp, onehot, np.asarray(loss), reduction)


def _softmax_backward(x: np.ndarray, logp: np.ndarray, onehot: np.ndarray, loss: np.ndarray,
                      reduction: str) -> tuple[np.ndarray, Any]:
    out, scale = _reduce(loss, reduction)

    def backward(g: np.ndarray) -> np.ndarray:
        s = _spread(g, scale)
        s = np.asarray(s)[..., None] if np.ndim(s) else s
        return (np.exp(logp) * onehot.sum(axis=-1, keepdims=True) - onehot) * s

    return np.asarray(out, dtype=x.dtype), backward


def _probability_loss(x: np.ndarray, t: np.ndarray, w: Any, reduction: str, smoothing: float,
                      c: int) -> tuple[np.ndarray, Any]:
    """Cross-entropy against class probabilities: -Σ_c w_c·t_c·log p_c per sample; with
    label smoothing t becomes t(1 - ε) + ε/C, as torch."""
    dtype = np.result_type(x, t)
    if w is None and not smoothing and x.ndim <= 2 and t.dtype == x.dtype:
        return _plain_probability_loss(x, t, reduction)
    logp = _log_softmax(x, c)
    if smoothing:
        t = t * (1 - smoothing) + smoothing / x.shape[c]
    tw = t if w is None else t * w.reshape((-1,) + (1,) * (x.ndim - 1 - c))
    loss = -(logp * tw).sum(axis=c)
    n = x.size // x.shape[c] if x.size else 0
    if reduction == "none":
        out, scale = loss, None
    elif reduction == "sum":
        out, scale = loss.sum(), 1.0
    else:
        with np.errstate(invalid="ignore", divide="ignore"):
            out = loss.sum() / n if n else np.asarray(np.nan)
        scale = 1.0 / n if n else np.nan

    def backward(g: np.ndarray) -> np.ndarray:
        s = np.expand_dims(_spread(g, scale), c) if reduction == "none" else _spread(g, scale)
        dlogp = -tw * s
        return (dlogp - np.exp(logp) * dlogp.sum(axis=c, keepdims=True)).astype(x.dtype)

    return np.asarray(out, dtype=dtype), backward


def _plain_probability_loss(x: np.ndarray, t: np.ndarray, reduction: str
                            ) -> tuple[np.ndarray, Any]:
    """Probability targets, no options, (N, C) or (C,): vb.compile's rule mirrors this."""
    logp = _log_softmax(x, -1)
    return _softmax_backward(x, logp, t, np.asarray(-(t * logp).sum(axis=-1)), reduction)


def _weighted_index_loss(x: np.ndarray, t: np.ndarray, w: Any, keep: Any, reduction: str,
                         smoothing: float, logits: bool, c: int) -> tuple[np.ndarray, Any]:
    """nll/cross-entropy of class indices with weights, ignored targets, label smoothing or
    extra dims (N, C, d1, ...), as torch: 'mean' divides by the weight of the kept targets;
    the smoothing term -Σ_c w_c log p_c joins as (1 - ε)·nll + ε/C·smooth."""
    ts = t if keep is None else np.where(keep, t, 0)  # ignored rows pick class 0, then drop
    logp = _log_softmax(x, c) if logits else x
    picked = np.take_along_axis(logp, np.expand_dims(ts, c), c).squeeze(c)
    wt = np.ones_like(picked) if w is None else w[ts]
    if keep is not None:
        wt = np.where(keep, wt, 0).astype(x.dtype)
    loss = -picked * wt
    total = wt.sum()
    if reduction == "mean":
        with np.errstate(invalid="ignore", divide="ignore"):
            out = loss.sum() / total
    else:
        out = loss.sum() if reduction == "sum" else loss
    if smoothing:
        wb = None if w is None else w.reshape((-1,) + (1,) * (x.ndim - 1 - c))
        smooth = -(logp if wb is None else logp * wb).sum(axis=c)
        if keep is not None:
            smooth = np.where(keep, smooth, 0).astype(x.dtype)
        if reduction == "mean":  # divided by the kept targets' weight, as the nll term
            with np.errstate(invalid="ignore", divide="ignore"):
                s_out = smooth.sum() / total
        else:
            s_out = smooth.sum() if reduction == "sum" else smooth
        out = (1 - smoothing) * out + s_out * (smoothing / x.shape[c])

    def backward(g: np.ndarray) -> np.ndarray:
        g = np.asarray(g)
        with np.errstate(invalid="ignore", divide="ignore"):
            s = g / total if reduction == "mean" else g  # all ignored: 0/0, no gradient
            coef = -(1 - smoothing) * wt * s
        if keep is not None:
            coef = np.where(keep, coef, 0)
        gp = np.zeros_like(x)
        np.put_along_axis(gp, np.expand_dims(ts, c), np.expand_dims(coef, c), c)
        if smoothing:
            rows = s * (smoothing / x.shape[c])
            if keep is not None:
                rows = np.where(keep, rows, 0)
            rows = np.expand_dims(rows, c) if np.ndim(rows) else rows
            gp -= rows * (1 if wb is None else wb)
        if not logits:
            return gp
        return (gp - np.exp(logp) * gp.sum(axis=c, keepdims=True)).astype(x.dtype)

    return np.asarray(out, dtype=x.dtype), backward


def nll_loss(input: Tensor, target: TensorLike, weight: TensorLike | None = None,
             size_average: Any = None, ignore_index: int = -100, reduce: Any = None,
             reduction: str = "mean") -> Tensor:
    """Negative log-likelihood -w[y]·x[y] of class indices y, given log-probabilities (N, C)
    or (N, C, d1, ...); 'mean' divides by the total weight of the targets not ignored."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    x = input._data
    out, backward = _class_loss(x, np.asarray(_arr(target)), weight, ignore_index, reduction,
                                0.0, logits=False)
    return record(out, (input,), lambda g: (backward(g),), "NllLoss")


def cross_entropy(input: Tensor, target: TensorLike, weight: TensorLike | None = None,
                  size_average: Any = None, ignore_index: int = -100, reduce: Any = None,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """log_softmax + NLL in one op (the gradient is softmax(x) - onehot(y)), with torch's
    weight, ignore_index, label_smoothing, class-probability targets and (N, C, d1, ...) input."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    x = input._data
    out, backward = _class_loss(x, np.asarray(_arr(target)), weight, ignore_index, reduction,
                                float(label_smoothing), logits=True)
    return record(out, (input,), lambda g: (backward(g),), "CrossEntropyLoss")


def l1_loss(input: Tensor, target: TensorLike, reduction: str = "mean") -> Tensor:
    """Mean absolute error |xᵢ - yᵢ|: d/dx = sign(x - y)."""
    d = input._data - _arr(target)
    out, scale = _reduce(np.abs(d), reduction)
    return _binary(out, input, target, lambda g: np.sign(d) * _spread(g, scale),
                   lambda g: -np.sign(d) * _spread(g, scale), "L1Loss")


def smooth_l1_loss(input: Tensor, target: TensorLike, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:
    """½d²/β where |d| < β, else |d| - ½β (d = x - y): d/dx = d/β inside, sign(d) outside."""
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    d = input._data - _arr(target)
    inside = np.abs(d) < beta
    with np.errstate(divide="ignore", invalid="ignore"):
        loss = np.where(inside, 0.5 * d * d / (beta or 1), np.abs(d) - 0.5 * beta)
        slope = np.where(inside, d / (beta or 1), np.sign(d))
    out, scale = _reduce(loss, reduction)
    return _binary(out, input, target, lambda g: slope * _spread(g, scale),
                   lambda g: -slope * _spread(g, scale), "SmoothL1Loss")


def huber_loss(input: Tensor, target: TensorLike, reduction: str = "mean",
               delta: float = 1.0) -> Tensor:
    """½d² where |d| < δ, else δ(|d| - ½δ): smooth_l1_loss scaled by δ."""
    d = input._data - _arr(target)
    inside = np.abs(d) < delta
    loss = np.where(inside, 0.5 * d * d, delta * (np.abs(d) - 0.5 * delta))
    slope = np.where(inside, d, delta * np.sign(d))
    out, scale = _reduce(loss, reduction)
    return _binary(out, input, target, lambda g: slope * _spread(g, scale),
                   lambda g: -slope * _spread(g, scale), "HuberLoss")


def binary_cross_entropy_with_logits(input: Tensor, target: TensorLike,
                                     weight: TensorLike | None = None, reduction: str = "mean",
                                     pos_weight: TensorLike | None = None) -> Tensor:
    """BCE of sigmoid(x) computed from the logits x without overflow:
    (1 - y)x + w⁺·log(1 + e^-x), w⁺ = (pos_weight - 1)y + 1; d/dx = (1 - y) - w⁺σ(-x)."""
    x, y = input._data, _arr(target)
    if np.shape(y) != x.shape:
        raise ValueError(f"Target size ({tuple(np.shape(y))}) must be the same as input size "
                         f"({x.shape})")
    softplus_neg = np.logaddexp(0, -x)  # log(1 + e^-x)
    lw = 1 if pos_weight is None else (_arr(pos_weight) - 1) * y + 1
    loss = (1 - y) * x + lw * softplus_neg
    w = 1 if weight is None else _arr(weight)
    out, scale = _reduce(loss * w, reduction)
    sig_neg = 1 / (1 + np.exp(np.clip(x, -700, 700)))  # σ(-x)
    dx = (1 - y) - lw * sig_neg
    dy = -x + (0 if pos_weight is None else (_arr(pos_weight) - 1) * softplus_neg)
    return _binary(out.astype(x.dtype, copy=False), input, target,
                   lambda g: dx * w * _spread(g, scale), lambda g: dy * w * _spread(g, scale),
                   "BinaryCrossEntropyWithLogits")


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(0, x). ``inplace=True`` is accepted and computes out of place, as ``nn.ReLU``
    does: the same values and gradients."""
    return _ops.relu(input)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x for x > 0, negative_slope·x otherwise (``inplace`` as in ``relu``)."""
    return _ops.leaky_relu(input, negative_slope)


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12,
              out: Any = None) -> Tensor:
    """input / max(‖input‖_p along ``dim``, eps): unit vectors (torch's formula, so the
    gradients are torch's too)."""
    if out is not None:
        raise NotImplementedError("normalize(out=...) is not supported; assign the result")
    denom = _ops.clamp(_ops.norm(input, p, dim, keepdim=True), min=eps)
    return _ops.div(input, denom.expand_as(input))


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """cos θ between x1 and x2 along ``dim``: each divided by max(its norm, eps), then the
    sum of their products (torch's order of operations)."""
    n1 = _ops.clamp(_ops.norm(x1, 2, dim, keepdim=True), min=eps)
    n2 = _ops.clamp(_ops.norm(x2, 2, dim, keepdim=True), min=eps)
    return _ops.sum(_ops.mul(_ops.div(x1, n1), _ops.div(x2, n2)), dim)


# ---- activations beyond the deck ----


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0,
             inplace: bool = False) -> Tensor:
    """x clipped to [min_val, max_val]; the gradient passes strictly inside, as torch's."""
    x = input._data
    inside = (x > min_val) & (x < max_val)
    return record(np.clip(x, min_val, max_val), (input,), lambda g: (g * inside,), "Hardtanh",
                  saves=False)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """min(max(0, x), 6): hardtanh between 0 and 6, as torch computes it."""
    return hardtanh(input, 0.0, 6.0)


def softsign(input: Tensor) -> Tensor:
    """x / (1 + |x|)."""
    return _ops.div(input, _ops.add(_ops.abs(input), 1))


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """x · tanh(softplus(x))."""
    return _ops.mul(input, _ops.tanh(softplus(input)))


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """x where x > 0, else weight · x; a weight of C values applies per channel (dim 1)."""
    if weight.numel() != 1 and (input.ndim < 2 or input.shape[1] != weight.numel()):
        channels = input.shape[1] if input.ndim >= 2 else 1
        raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found "
                           f"parameter numbers = {weight.numel()} and channel size = {channels}.")
    w = weight
    if weight.numel() != 1 and input.ndim > 2:
        w = weight.reshape(weight.numel(), *([1] * (input.ndim - 2)))
    return _ops.where(input > 0, input, _ops.mul(w, input))


def kl_div(input: Tensor, target: Tensor, size_average: Any = None, reduce: Any = None,
           reduction: str = "mean", log_target: bool = False) -> Tensor:
    """Kullback-Leibler divergence of ``target`` from the log-probabilities ``input``:
    target·(log target - input), with 0·log 0 = 0; 'batchmean' divides the sum by the batch."""
    if log_target:
        loss = _ops.mul(_ops.exp(target), _ops.sub(target, input))
    else:
        positive = target > 0
        safe = _ops.where(positive, target, _tensor.ones((), dtype=target._data.dtype))
        loss = _ops.sub(_ops.mul(target, _ops.log(safe)), _ops.mul(target, input))
    if reduction == "batchmean":
        return _ops.div(_ops.sum(loss), input.shape[0] if input.ndim else 1)
    if reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the "
                      "support size.'batchmean' divides only by the batch size, and aligns with "
                      "the KL div math definition.'mean' will be changed to behave the same as "
                      "'batchmean' in the next major release.", UserWarning, stacklevel=2)
    return _reduce_tensor(loss, reduction)



def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x·σ(x) (swish): d/dx = σ(x)(1 + x(1 - σ(x)))."""
    x = input._data
    s = 1 / (1 + np.exp(-np.clip(x, -700, 700)))
    return record(x * s, (input,), lambda g: (g * s * (1 + x * (1 - s)),), "Silu")


def _elu(input: Tensor, alpha: float, scale: float, input_scale: float, name: str,
         grad_input_scale: float | None = None) -> Tensor:
    """torch's one ELU kernel behind elu, selu and celu: scale·x for x > 0, else
    α·scale·(e^(input_scale·x) - 1); d/dx = scale, or α·scale·input_scale·e^(input_scale·x).
    ``grad_input_scale``: the input_scale torch's gradient uses, where it differs (celu)."""
    x = input._data
    pos = x > 0
    low = np.minimum(x, 0)
    e = np.exp(low if input_scale == 1 else low * input_scale)
    negative = alpha * scale
    out = np.where(pos, x if scale == 1 else x * scale, negative * (e - 1))
    k = input_scale if grad_input_scale is None else grad_input_scale
    slope = negative * k

    def backward(g: np.ndarray) -> tuple[np.ndarray]:
        ek = e if k == input_scale else np.exp(low * k)
        return (np.where(pos, g if scale == 1 else g * scale, g * slope * ek),)

    return record(out.astype(x.dtype, copy=False), (input,), backward, name)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x for x > 0, α(eˣ - 1) otherwise: d/dx = 1 or αeˣ."""
    return _elu(input, alpha, 1.0, 1.0, "Elu")


SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """scale·elu(x, α) with torch's self-normalising constants (α ≈ 1.6733, scale ≈ 1.0507)."""
    return _elu(input, SELU_ALPHA, SELU_SCALE, 1.0, "Elu")


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x for x > 0, α(e^(x/α) - 1) otherwise (continuous in α)."""
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    # torch's gradient takes 1/α with α rounded to float32 (derivatives.yaml: alpha.toFloat())
    return _elu(input, alpha, 1.0, 1.0 / alpha, "Elu", 1.0 / float(np.float32(alpha)))


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + e^(βx))/β (x itself where βx > threshold): d/dx = σ(βx)."""
    x = input._data
    bx = beta * x
    linear_part = bx > threshold
    out = np.where(linear_part, x, np.logaddexp(0, bx) / beta).astype(x.dtype, copy=False)
    s = 1 / (1 + np.exp(-np.clip(bx, -700, 700)))
    return record(out, (input,), lambda g: (np.where(linear_part, g, g * s),), "Softplus")


_erf = erf_array  # float64, on the whole array (the compiled GELU calls this same function)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x·Φ(x), Φ the standard normal CDF ('tanh': torch's tanh approximation)."""
    x = input._data
    if approximate == "tanh":
        k = math.sqrt(2 / math.pi)
        inner = k * (x + 0.044715 * x ** 3)
        t = np.tanh(inner)
        out = 0.5 * x * (1 + t)
        grad = 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * k * (1 + 3 * 0.044715 * x * x)
    elif approximate == "none":
        cdf = (0.5 * (1 + _erf(x / math.sqrt(2)))).astype(x.dtype)
        out = x * cdf
        grad = cdf + x * np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
    else:
        raise ValueError(f"approximate argument must be either none or tanh, got {approximate}")
    return record(out.astype(x.dtype, copy=False), (input,), lambda g: (g * grad,), "Gelu")


# ---- layers' functions: dropout, normalisation, embedding, one-hot ----


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False
            ) -> Tensor:
    """In training, zero each element with probability p and scale the rest by 1/(1 - p)
    (torch's formula: input · (bernoulli(1 - p) / (1 - p)))."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0 or input.numel() == 0:
        return input
    x = input._data
    if p == 1:
        return input * np.zeros_like(x)
    return input * (bernoulli(input, 1 - p) / (1 - p))


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """(x - mean) / √(var + eps) · weight + bias per channel (dim 1); in training, the batch's
    mean and biased variance, and the running statistics move towards the batch's (unbiased)
    ones; otherwise the running statistics. Composed of differentiable ops."""
    x = input._data
    axes = (0, *range(2, x.ndim))
    shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    if training:
        n = x.size // x.shape[1]
        if n <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input "
                             f"size {input.shape}")
        mean = input.mean(dim=axes, keepdim=True)
        centred = input - mean
        var = (centred * centred).mean(dim=axes, keepdim=True)
        with no_grad():  # engine ops, so that vb.compile replays the update too
            if running_mean is not None:
                running_mean.mul_(1 - momentum).add_(mean.reshape(-1) * momentum)
            if running_var is not None:
                running_var.mul_(1 - momentum).add_(var.reshape(-1) * momentum * (n / (n - 1)))
        out = centred / (var + eps).sqrt()
    else:
        if running_mean is None or running_var is None:
            raise RuntimeError("running_mean and running_var must be defined in evaluation mode")
        # tensor ops on the running statistics (not their arrays): vb.compile then reads
        # them on every call instead of keeping the traced values
        scale = _ops.div(1, _ops.sqrt(_ops.add(running_var, eps)))
        out = (input - running_mean.reshape(shape)) * scale.reshape(shape).to(x.dtype)
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


def layer_norm(input: Tensor, normalized_shape: Any, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """(x - mean) / √(var + eps) over the last ``len(normalized_shape)`` dims, then ·w + b."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if tuple(input.shape[input.ndim - len(shape):]) != shape:
        raise RuntimeError(f"Given normalized_shape={list(shape)}, expected input with shape "
                           f"[*, {', '.join(map(str, shape))}], but got input of size "
                           f"{input.shape}")
    axes = tuple(range(input.ndim - len(shape), input.ndim))
    mean = input.mean(dim=axes, keepdim=True)
    centred = input - mean
    var = (centred * centred).mean(dim=axes, keepdim=True)
    out = centred / (var + eps).sqrt()
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


def embedding(input: TensorLike, weight: Tensor, padding_idx: int | None = None) -> Tensor:
    """Rows of ``weight`` picked by the integer ``input``; the padding row gets no gradient."""
    idx = np.asarray(_arr(input))
    if idx.dtype.kind not in "iu":
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the "
                           f"following scalar types: Long, Int; but got {idx.dtype} instead")
    w = weight._data
    if idx.size and (idx.min() < 0 or idx.max() >= w.shape[0]):
        raise IndexError(f"index out of range in self (indices must be in [0, {w.shape[0]}))")

    def backward(g: np.ndarray) -> tuple[np.ndarray]:
        gw = np.zeros_like(w)
        np.add.at(gw, idx, g)
        if padding_idx is not None:
            gw[padding_idx] = 0
        return (gw,)

    return record(w[idx], (weight,), backward, "Embedding")


def one_hot(tensor: TensorLike, num_classes: int = -1) -> Tensor:
    """Class indices -> rows of 0s with a 1 at the index (int64), one more dimension."""
    idx = np.asarray(_arr(tensor))
    if idx.dtype.kind not in "iu":
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if idx.size and idx.min() < 0:
        raise RuntimeError("Class values must be non-negative.")
    n = int(idx.max()) + 1 if num_classes == -1 and idx.size else num_classes
    if idx.size and idx.max() >= n:
        raise RuntimeError("Class values must be smaller than num_classes.")
    return _new((idx[..., None] == np.arange(n)).astype(np.int64))

__getattr__ = module_getattr(__name__)


# ---- more activations: log-sigmoid, softmin, hard and shrinking functions, GLU ----


def logsigmoid(input: Tensor) -> Tensor:
    """log σ(x) = min(x, 0) - log(1 + e^-|x|), never overflowing: d/dx = σ(-x) (torch's
    formula: 1 - z/(1 + z) for x < 0, z/(1 + z) otherwise, z = e^-|x|)."""
    x = input._data
    z = np.exp(-np.abs(x))
    out = np.minimum(x, 0) - np.log1p(z)
    negative = x < 0

    def backward(g: np.ndarray) -> tuple[np.ndarray]:
        share = z / (1 + z)
        return (g * np.where(negative, 1 - share, share),)

    return record(out, (input,), backward, "LogSigmoid")


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
            dtype: Any = None) -> Tensor:
    """softmax(-x) along ``dim``: the smallest values get the largest weights."""
    if dtype is not None:
        input = input.to(dtype)
    return _softmax(_ops.neg(input), implicit_softmax_dim(input.ndim, "softmin")
                    if dim is None else dim)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """min(max(x + 3, 0), 6) / 6, a piecewise-linear sigmoid: d/dx = 1/6 strictly inside
    (-3, 3), 0 elsewhere (as torch)."""
    x = input._data
    inside = (x > -3) & (x < 3)
    zero = np.zeros((), x.dtype)
    return record(np.minimum(np.maximum(x + 3, 0), 6) / 6, (input,),
                  lambda g: (np.where(inside, g * _ONE_SIXTH, zero),), "Hardsigmoid")


_ONE_SIXTH = float(np.float32(1) / np.float32(6))  # torch's gradient: 1.0f / 6.0f, any dtype


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """x · hardsigmoid(x): d/dx = 0 up to -3, x/3 + 1/2 strictly between, 1 from 3 on
    (torch's values at the kinks)."""
    x = input._data
    out = x * np.minimum(np.maximum(x + 3, 0), 6) / 6

    def backward(g: np.ndarray) -> tuple[np.ndarray]:
        zero, one = np.zeros((), x.dtype), np.ones((), x.dtype)
        return (g * np.where(x <= -3, zero, np.where(x < 3, x / 3 + 0.5, one)),)

    return record(out, (input,), backward, "Hardswish")


def _lambda_check(x: np.ndarray, lambd: float) -> None:
    if lambd < 0:
        top = "3.40282e+38" if x.dtype == np.float32 else "1.79769e+308"
        kind = "Float" if x.dtype == np.float32 else "Double"
        raise RuntimeError(f"lambda must be in range [0, {top}] for input dtype {kind}, but "
                           f"found {lambd:g}")


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """0 on [-λ, λ], x outside; the gradient is 0 at ±λ too, as torch's."""
    x = input._data
    kept = (x < -lambd) | (x > lambd)
    zero = np.zeros((), x.dtype)
    return record(np.where(kept, x, zero), (input,), lambda g: (np.where(kept, g, zero),),
                  "Hardshrink", saves=False)


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x - λ above λ, x + λ below -λ, 0 between; the gradient is 0 at ±λ too, as torch's."""
    x = input._data
    _lambda_check(x, lambd)
    kept = (x < -lambd) | (x > lambd)
    zero = np.zeros((), x.dtype)
    out = np.where(x > lambd, x - lambd, np.where(x < -lambd, x + lambd, zero))
    return record(out.astype(x.dtype, copy=False), (input,),
                  lambda g: (np.where(kept, g, zero),), "Softshrink", saves=False)


def tanhshrink(input: Tensor) -> Tensor:
    """x - tanh(x)."""
    return _ops.sub(input, _ops.tanh(input))


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """x where x > threshold, else ``value``; no gradient where replaced (at the threshold too)."""
    x = input._data
    kept = x > threshold
    zero = np.zeros((), x.dtype)
    out = np.where(kept, x, np.asarray(value, x.dtype))
    return record(out, (input,), lambda g: (np.where(kept, g, zero),), "Threshold",
                  saves=False)


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """The gated linear unit: a · σ(b), a and b the two halves of input along ``dim``."""
    if input.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    n = input.shape[dim]
    if n % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {dim % input.ndim} "
                           f"is size {n}")
    a, b = _ops.split(input, n // 2, dim)
    return _ops.mul(a, sigmoid(b))


# ---- padding ----


def _pad_widths(shape: tuple[int, ...], pad: Any) -> list[tuple[int, int]]:
    """(before, after) for every dim: ``pad`` lists them from the last dim backwards."""
    pad = [int(p) for p in pad]
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) > 2 * len(shape):
        raise RuntimeError(f"Padding length should be less than or equal to two times the input "
                           f"dimension but got padding length {len(pad)} and input of dimension "
                           f"{len(shape)}")
    widths = [(0, 0)] * len(shape)
    for k in range(len(pad) // 2):
        widths[len(shape) - 1 - k] = (pad[2 * k], pad[2 * k + 1])
    return widths


def pad(input: Tensor, pad: Any, mode: str = "constant", value: float | None = None) -> Tensor:
    """Pad (or, with negative widths, crop) the last dims: ``pad`` = (left, right) of the last
    dim, then of the one before, ... Modes: 'constant' (``value``, 0 by default), 'reflect',
    'replicate', 'circular'; the gradient is the slice of it that came from input (summed
    where an element was copied to several places)."""
    if mode not in ("constant", "reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    x = input._data
    widths = _pad_widths(x.shape, pad)
    if mode != "constant":
        n = len(pad)
        if n not in (2, 4, 6) or x.ndim not in (n // 2 + 1, n // 2 + 2):
            raise NotImplementedError(
                f"Padding size {n} is not supported for {x.ndim}D input tensor.\nSupported "
                "combinations for non-constant padding:\n  - 2D or 3D input: padding size = 2 "
                "(pads last dimension)\n  - 3D or 4D input: padding size = 4 (pads last 2 "
                "dimensions)\n  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")
        return _pad_by_index(input, widths, mode)
    src, dst, shape = [], [], []
    for n, (before, after) in zip(x.shape, widths, strict=True):
        size = n + before + after
        if size < 0:  # (torch crops with narrow(), whose message this is)
            raise RuntimeError("narrow(): length must be non-negative.")
        lo, hi = max(-before, 0), n - max(-after, 0)
        count = max(hi - lo, 0)
        src.append(slice(lo, lo + count))
        dst.append(slice(max(before, 0), max(before, 0) + count))
        shape.append(size)
    out = np.full(shape, 0 if value is None else value, x.dtype)
    out[tuple(dst)] = x[tuple(src)]

    def backward(g: np.ndarray) -> tuple[np.ndarray]:
        gx = np.zeros(x.shape, g.dtype)
        gx[tuple(src)] = g[tuple(dst)]
        return (gx,)

    return record(out, (input,), backward, "ConstantPadNd", saves=False)



def _pad_by_index(input: Tensor, widths: list[tuple[int, int]], mode: str) -> Tensor:
    """'reflect', 'replicate' and 'circular' padding: each output position along a padded dim
    reads one input position (its gradient goes back there, summed)."""
    x = input._data
    where: list[Any] = []
    for d, (n, (before, after)) in enumerate(zip(x.shape, widths, strict=True)):
        if before == after == 0:
            where.append(np.arange(n))
            continue
        if mode == "reflect" and (before >= n or after >= n):
            raise RuntimeError(f"Argument #4: Padding size should be less than the corresponding "
                               f"input dimension, but got: padding ({before}, {after}) at "
                               f"dimension {d} of input {list(x.shape)}")
        if mode == "circular" and (before > n or after > n):
            raise RuntimeError("Padding value causes wrapping around more than once.")
        p = np.arange(-before, n + after)
        if mode == "replicate":
            p = np.clip(p, 0, n - 1)
        elif mode == "circular":
            p = p % n
        else:  # reflect about the first and last elements (not repeating them)
            period = 2 * (n - 1) if n > 1 else 1
            p = np.abs(p) % period
            p = np.where(p >= n, period - p, p)
        where.append(p)
    index = np.ix_(*where)

    def backward(g: np.ndarray) -> tuple[np.ndarray]:
        gx = np.zeros(x.shape, g.dtype)
        np.add.at(gx, index, g)
        return (gx,)

    name = {"reflect": "ReflectionPad", "replicate": "ReplicationPad", "circular": "Pad"}[mode]
    return record(x[index], (input,), backward, name, saves=False)


# ---- more of torch's losses, made of engine ops (so their gradients and vb.compile's rules
# are the ops'); formulas as torch's ATen code ----


def _reduce_tensor(loss: Tensor, reduction: str, message: str = "{} is not a valid value for "
                   "reduction") -> Tensor:
    """A loss tensor reduced as ``reduction`` says."""
    if reduction == "mean":
        return _ops.mean(loss)
    if reduction == "sum":
        return _ops.sum(loss)
    if reduction == "none":
        return loss
    raise ValueError(message.format(reduction))


def _as_tensor(x: TensorLike, like: Tensor) -> Tensor:
    return x if isinstance(x, Tensor) else _tensor.tensor(x, dtype=like.dtype)


_ERRORS = {"ValueError": ValueError, "RuntimeError": RuntimeError}


def _value_check(input: Tensor, condition: str, error: str, message: str) -> Tensor:
    """``input`` (its gradient passed on), after raising ``error(message)`` where the NumPy
    expression ``condition`` ({0}: input's array) holds: the check torch makes on values.
    vb.compile's rule puts the same text in the compiled code, so it checks every call."""
    if eval(condition.format("x"), {"_np": np, "x": input._data}):  # our own text
        raise _ERRORS[error](message)
    return record(input._data, (input,), lambda g: (g,), "CloneBackward0")


def _clamp_variance(var: Tensor, eps: float) -> Tensor:
    """max(var, eps) with the gradient passing straight to var, as torch's clamp of a clone
    in place under no_grad: var + (max(var, eps) - var) held constant (exactly var where
    var >= eps; within an ulp of eps below it)."""
    return _ops.add(var, _ops.sub(_ops.clamp(var, min=eps), var).detach())


def gaussian_nll_loss(input: Tensor, target: TensorLike, var: TensorLike, full: bool = False,
                      eps: float = 1e-6, reduction: str = "mean") -> Tensor:
    """Gaussian negative log-likelihood ½(log max(var, eps) + (x - y)²/max(var, eps)), plus
    ½log 2π when ``full``; var per element, one short of input's last dim, or a float."""
    if isinstance(var, float):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = _ops.mul(var, _tensor.ones_like(input))
    else:
        var = _value_check(_as_tensor(var, input), "_np.any({0} < 0)", "ValueError",
                           "var has negative entry/entries")
    if var.shape != input.shape:
        if input.shape[:-1] == var.shape:
            var = _ops.unsqueeze(var, -1)
        elif input.ndim == var.ndim and sum(
                b for a, b in zip(input.shape, var.shape, strict=True) if a != b) == 1:
            pass
        else:
            raise ValueError("var is of incorrect size")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    v = _clamp_variance(var, eps)
    d = _ops.sub(input, target)
    loss = _ops.mul(0.5, _ops.add(_ops.log(v), _ops.div(_ops.mul(d, d), v)))
    if full:
        loss = _ops.add(loss, 0.5 * math.log(2 * math.pi))
    return _reduce_tensor(loss, reduction)


def poisson_nll_loss(input: Tensor, target: TensorLike, log_input: bool = True,
                     full: bool = False, size_average: Any = None, eps: float = 1e-8,
                     reduce: Any = None, reduction: str = "mean") -> Tensor:
    """Poisson negative log-likelihood: e^x - y·x for log-rates x (``log_input``), else
    x - y·log(x + eps); ``full`` adds Stirling's y·log y - y + ½log(2πy) where y > 1."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not a valid value for reduction")
    target = _as_tensor(target, input)
    if log_input:
        loss = _ops.sub(_ops.exp(input), _ops.mul(target, input))
    else:
        loss = _ops.sub(input, _ops.mul(target, _ops.log(_ops.add(input, eps))))
    if full:
        above = _ops.gt(target, 1)
        y = _ops.where(above, target, _tensor.ones_like(target))  # log y only where y > 1
        stirling = _ops.add(_ops.sub(_ops.mul(y, _ops.log(y)), y),
                            _ops.mul(0.5, _ops.log(_ops.mul(2 * math.pi, y))))
        loss = _ops.add(loss, _ops.where(above, stirling, _tensor.zeros_like(stirling)))
    return _reduce_tensor(loss, reduction)


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: TensorLike, margin: float = 0,
                        size_average: Any = None, reduce: Any = None,
                        reduction: str = "mean") -> Tensor:
    """max(0, -y·(x₁ - x₂) + margin): y = 1 asks for x₁ above x₂ by the margin, y = -1 below."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    target = _as_tensor(target, input1)
    if input1.ndim != input2.ndim or input1.ndim != target.ndim:
        raise RuntimeError(
            f"margin_ranking_loss : All input tensors should have same dimension but got sizes: "
            f"input1: {_size(input1)}, input2: {_size(input2)}, target: {_size(target)} ")
    loss = _ops.relu(_ops.add(_ops.mul(_ops.neg(target), _ops.sub(input1, input2)), margin))
    return _reduce_tensor(loss, reduction)


def _size(t: Tensor) -> str:
    return f"torch.Size({list(t.shape)})"


def hinge_embedding_loss(input: Tensor, target: TensorLike, margin: float = 1.0,
                         size_average: Any = None, reduce: Any = None,
                         reduction: str = "mean") -> Tensor:
    """x where y = 1, max(0, margin - x) where y = -1 (x: a distance)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    target = _as_tensor(target, input)
    zeros = _tensor.zeros_like(input)
    output_margin = _ops.where(_ops.ne(target, 1), _ops.relu(_ops.sub(margin, input)), zeros)
    output_self = _ops.where(_ops.ne(target, -1), input, zeros)
    return _reduce_tensor(_ops.add(output_margin, output_self), reduction)


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: TensorLike,
                          margin: float = 0, size_average: Any = None, reduce: Any = None,
                          reduction: str = "mean") -> Tensor:
    """1 - cos(x₁, x₂) where y = 1, max(0, cos(x₁, x₂) - margin) where y = -1 (rows of
    (N, D) inputs, or two vectors and a 0-d target)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    target = _as_tensor(target, input1)
    dim = target.ndim
    if dim not in (0, 1):
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if dim == 1 and (input1.ndim != 2 or input2.ndim != 2):
        raise RuntimeError(f"1D target tensor expects 2D input tensors, but found inputs with "
                           f"sizes {list(input1.shape)} and {list(input2.shape)}.")
    if dim == 0 and (input1.ndim != 1 or input2.ndim != 1):
        raise RuntimeError(f"0D target tensor expects 1D input tensors, but found inputs with "
                           f"sizes {list(input1.shape)} and {list(input2.shape)}.")
    prod_sum = _ops.sum(_ops.mul(input1, input2), dim)
    mag1 = _ops.add(_ops.sum(_ops.mul(input1, input1), dim), 1e-12)
    mag2 = _ops.add(_ops.sum(_ops.mul(input2, input2), dim), 1e-12)
    cos = _ops.div(prod_sum, _ops.sqrt(_ops.mul(mag1, mag2)))
    zeros = _tensor.zeros_like(cos)
    pos = _ops.where(_ops.eq(target, 1), _ops.sub(1, cos), zeros)
    neg = _ops.where(_ops.eq(target, -1), _ops.relu(_ops.sub(cos, margin)), zeros)
    return _reduce_tensor(_ops.add(pos, neg), reduction)


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6,
                      keepdim: bool = False) -> Tensor:
    """‖x₁ - x₂ + eps‖_p along the last dim (torch adds eps before the norm)."""
    return _ops.norm(_ops.add(_ops.sub(x1, x2), eps), p, -1, keepdim)


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor,
                        margin: float = 1.0, p: float = 2, eps: float = 1e-6,
                        swap: bool = False, size_average: Any = None, reduce: Any = None,
                        reduction: str = "mean") -> Tensor:
    """max(0, d(a, p) - d(a, n) + margin), d the pairwise p-distance; ``swap`` uses
    min(d(a, n), d(p, n)) as the negative's distance."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    if not anchor.ndim == positive.ndim == negative.ndim:
        raise RuntimeError(
            f"The anchor, positive, and negative tensors are expected to have the same number "
            f"of dimensions, but got: anchor {anchor.ndim}D, positive {positive.ndim}D, and "
            f"negative {negative.ndim}D inputs")
    dist_pos = pairwise_distance(anchor, positive, p, eps)
    dist_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        dist_neg = _ops.minimum(dist_neg, pairwise_distance(positive, negative, p, eps))
    loss = _ops.relu(_ops.sub(_ops.add(dist_pos, margin), dist_neg))
    return _reduce_tensor(loss, reduction)


def soft_margin_loss(input: Tensor, target: TensorLike, size_average: Any = None,
                     reduce: Any = None, reduction: str = "mean") -> Tensor:
    """log(1 + e^(-y·x)): the logistic loss of labels y = ±1."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    loss = _ops.log1p(_ops.exp(_ops.neg(_ops.mul(input, _as_tensor(target, input)))))
    return _reduce_tensor(loss, reduction)


def multilabel_soft_margin_loss(input: Tensor, target: TensorLike,
                                weight: TensorLike | None = None, size_average: Any = None,
                                reduce: Any = None, reduction: str = "mean") -> Tensor:
    """-(y·log σ(x) + (1 - y)·log σ(-x)), weighted, averaged over the C labels of a sample."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    target = _as_tensor(target, input)
    loss = _ops.neg(_ops.add(_ops.mul(target, logsigmoid(input)),
                             _ops.mul(_ops.sub(1, target), logsigmoid(_ops.neg(input)))))
    if weight is not None:
        loss = _ops.mul(loss, weight)
    loss = _ops.div(_ops.sum(loss, input.ndim - 1), input.shape[-1])
    return _reduce_tensor(loss, reduction, "{} is not valid")


def multi_margin_loss(input: Tensor, target: TensorLike, p: int = 1, margin: float = 1.0,
                      weight: TensorLike | None = None, size_average: Any = None,
                      reduce: Any = None, reduction: str = "mean") -> Tensor:
    """The multi-class hinge: Σ_{j≠y} w_y·max(0, margin - x_y + x_j)^p / C per sample."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and np.ndim(_arr(weight)) != 1:
        raise ValueError("weight must be one-dimensional")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    x = input if input.ndim == 2 else _ops.reshape(input, (1, -1))
    t = _as_tensor(target, input) if isinstance(target, Tensor) else _tensor.tensor(target)
    frames, classes = x.shape
    if input.ndim > 2 or (input.ndim and classes == 0):
        raise RuntimeError(f"Expected non-empty vector or matrix with optional 0-dim batch "
                           f"size, but got: {list(input.shape)}")
    if t.ndim > 1 or t.numel() != frames:
        raise RuntimeError(f"multi_margin_loss: target tensor should be 1-D with size equal "
                           f"to the number of input samples (batch size). Expected target size "
                           f"[{frames}], but got {list(t.shape)}. Input has shape "
                           f"{list(input.shape)}.")
    if weight is not None and (np.ndim(_arr(weight)) > 1 or np.size(_arr(weight)) != classes):
        raise RuntimeError(f"inconsistent weight size, expected {classes} but got "
                           f"{list(np.shape(_arr(weight)))}")
    t = _value_check(t, "{0}.size and ({0}.min() < 0 or {0}.max() >= " + str(classes) + ")",
                     "RuntimeError", "target out of range")
    column = _ops.reshape(t, (frames, 1))
    z = _ops.relu(_ops.add(_ops.sub(margin, _ops.gather(x, 1, column)), x))
    if p == 2:
        z = _ops.mul(z, z)
    if weight is not None:
        z = _ops.mul(z, _ops.gather(_ops.reshape(_as_tensor(weight, input), (1, classes))
                                    .expand(frames, classes), 1, column))
    others = _ops.ne(_tensor.arange(classes), column)  # j ≠ y
    loss = _ops.div(_ops.sum(_ops.where(others, z, _tensor.zeros_like(z)), 1), classes)
    if input.ndim < 2:
        loss = _ops.reshape(loss, ())
    return _reduce_tensor(loss, reduction)
