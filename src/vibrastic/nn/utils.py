"""``vibrastic.nn.utils``: gradient clipping and parameter <-> vector conversion, as torch's.

``clip_grad_norm_`` and ``clip_grad_value_`` change the gradients in place (a reference to
``p.grad`` taken before sees the change), outside the graph, with torch's formulas: the norm is
the norm of the per-gradient norms, and the clip coefficient is ``max_norm / (total_norm + 1e-6)``
clamped to 1, computed in the gradients' dtype. They are written with engine ops (not on the
arrays), so ``vb.compile`` records them in a training step like any other op. (torch's deprecated
``clip_grad_norm``, without the underscore, is left out on purpose.)
"""

from __future__ import annotations

import math
import types
import warnings
from collections.abc import Iterable
from typing import Any

import numpy as np

from vibrastic import ops
from vibrastic.autograd import no_grad
from vibrastic.missing import module_getattr
from vibrastic.tensor import Tensor, _new, get_default_dtype

__all__ = [
    "clip_grad_norm_",
    "clip_grad_value_",
    "clip_grads_with_norm_",
    "get_total_norm",
    "parameters_to_vector",
    "vector_to_parameters",
]

TensorOrTensors = Tensor | Iterable[Tensor]


def _as_list(tensors: Any, what: str) -> list[Tensor]:
    """A single tensor or an iterable of tensors as a list (a Module gets a clear TypeError)."""
    if isinstance(tensors, Tensor):
        return [tensors]
    if not isinstance(tensors, Iterable):
        hint = " (pass model.parameters())" if hasattr(tensors, "parameters") else ""
        raise TypeError(f"{what} must be a Tensor or an iterable of Tensors, got "
                        f"'{type(tensors).__name__}'{hint}")
    return list(tensors)


def _vector_norm(t: Tensor, p: float) -> Tensor:
    """torch.linalg.vector_norm(t, p) of a whole tensor, a 0-d tensor of t's dtype."""
    if math.isinf(p):
        if t.numel() == 0:
            raise RuntimeError("linalg.vector_norm cannot compute the inf norm on an empty "
                               "tensor because the operation does not have an identity")
        return t.abs().max() if p > 0 else t.abs().min()
    if p == 0:
        return (t != 0).sum().to(t.dtype)
    if p == 1:
        return t.abs().sum()
    if p == 2:
        return (t * t).sum().sqrt()
    return t.abs().pow(p).sum().pow(1.0 / p)


def get_total_norm(tensors: TensorOrTensors, norm_type: float = 2.0,
                   error_if_nonfinite: bool = False, foreach: bool | None = None) -> Tensor:
    """The ``norm_type``-norm of all ``tensors`` seen as one vector (norm of the norms).

    ``foreach`` is accepted for torch's signature; NumPy has one code path.
    """
    tensors = _as_list(tensors, "tensors")
    p = float(norm_type)
    if not tensors:
        return _new(np.asarray(0.0, dtype=get_default_dtype().np))
    with no_grad(), np.errstate(invalid="ignore", over="ignore"):
        total = _vector_norm(ops.stack([_vector_norm(t, p) for t in tensors]), p)
    if error_if_nonfinite and not total.isfinite().item():
        raise RuntimeError(
            f"The total norm of order {p} for gradients from `parameters` is non-finite, so it "
            "cannot be clipped. To disable this error and scale the gradients by the non-finite "
            "norm anyway, set `error_if_nonfinite=False`"
        )
    return total


def clip_grads_with_norm_(parameters: TensorOrTensors, max_norm: float, total_norm: Tensor,
                          foreach: bool | None = None) -> None:
    """Scale every gradient in place by ``min(max_norm / (total_norm + 1e-6), 1)``."""
    grads = [p.grad for p in _as_list(parameters, "parameters") if p.grad is not None]
    if not grads:
        return
    # an inf total norm gives nan gradients, as in torch (the engine's in-place ops let NumPy
    # warn about inf * 0; torch does not)
    with no_grad(), np.errstate(invalid="ignore", over="ignore"):
        # torch computes max_norm / x as x.reciprocal() * max_norm; 1 / x is the same float
        coef = (1.0 / (total_norm + 1e-6) * float(max_norm)).clamp(max=1.0)
        for g in grads:
            g.mul_(coef)


def clip_grad_norm_(parameters: TensorOrTensors, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False, foreach: bool | None = None) -> Tensor:
    """Scale the gradients down so that their total norm is at most ``max_norm``.

    Parameters
    ----------
    parameters : Tensor or iterable of Tensor
        Usually ``model.parameters()``; parameters without a ``.grad`` are skipped.
    max_norm : float
        The largest total norm allowed (the gradients are never scaled up).
    norm_type : float
        The p of the p-norm; ``float('inf')`` for the largest absolute value.
    error_if_nonfinite : bool
        Raise a RuntimeError when the total norm is nan or inf instead of scaling by it.
    foreach : bool or None
        Accepted for torch's signature (NumPy has one code path).

    Returns
    -------
    Tensor
        The total norm of the gradients before clipping (a 0-d tensor).

    Examples
    --------
    >>> import vibrastic as vb
    >>> w = vb.tensor([1.0, 1.0], requires_grad=True)
    >>> (3 * w[0] + 4 * w[1]).backward()
    >>> vb.nn.utils.clip_grad_norm_([w], max_norm=1.0)
    tensor(5.)
    >>> w.grad
    tensor([0.6000, 0.8000])
    """
    is_generator = isinstance(parameters, types.GeneratorType)
    params = _as_list(parameters, "parameters")
    if is_generator and not params:
        warnings.warn("`parameters` is an empty generator, no gradient clipping will occur.",
                      stacklevel=2)
    grads = [p.grad for p in params if p.grad is not None]
    total_norm = get_total_norm(grads, norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(params, max_norm, total_norm, foreach)
    return total_norm


def clip_grad_value_(parameters: TensorOrTensors, clip_value: float,
                     foreach: bool | None = None) -> None:
    """Clamp every gradient, in place, to ``[-clip_value, clip_value]``."""
    clip_value = float(clip_value)
    with no_grad():
        for p in _as_list(parameters, "parameters"):
            if p.grad is not None:
                p.grad.copy_(p.grad.clamp(-clip_value, clip_value))


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """All parameters flattened and concatenated into one vector (part of the graph, as torch)."""
    flat = [p.view(-1) for p in _as_list(parameters, "parameters")]
    if not flat:
        raise ValueError("parameters_to_vector(): expected a non-empty list of Tensors")
    return ops.cat(flat)


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Give each parameter its slice of ``vec`` as its data (sharing ``vec``'s memory, as torch)."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected vibrastic.Tensor, but got: {type(vec).__name__}")
    pointer = 0
    for param in _as_list(parameters, "parameters"):
        n = param.numel()
        param.data = vec[pointer:pointer + n].view_as(param).data
        pointer += n


__getattr__ = module_getattr(__name__)
