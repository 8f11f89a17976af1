"""Stage 3 — a NumPy Tensor: stage 1's graph with arrays in place of floats.

Deck: "Multilayer Perceptron": net = W·x + b for a whole layer at once. A Tensor holds a float64
array ``data`` and, like Value, its ``parents``; instead of one local gradient per parent it keeps
one *vector-Jacobian product* per parent, ``vjps``: a function from ∂L/∂out (an array shaped like
the output) to that parent's share of ∂L/∂parent.

Broadcasting lets ``a + b`` combine shapes (3, 4) and (4,): b is used once per row. Its gradient
is therefore the *sum* over the rows — in general, over every axis that broadcasting added or
stretched. One function, ``unbroadcast``, does that for every operation, in ``chain_rule``.
Backward is stage 2's ``autodiff.backward``, unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from mygrad import autodiff


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``grad`` over the axes broadcasting added (leading ones) or stretched (size 1 in
    ``shape``), so that the result has exactly ``shape``."""
    # BEGIN SOLUTION: sum away extra leading axes, then sum (keepdims) where shape has a 1
    while grad.ndim > len(shape):
        grad = grad.sum(axis=0)
    for axis, size in enumerate(shape):
        if size == 1 and grad.shape[axis] != 1:
            grad = grad.sum(axis=axis, keepdims=True)
    return grad
    # END SOLUTION


def as_tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


class Tensor:
    """An array in a computation graph: ``data`` (float64), ``grad`` (same shape, zeros until
    backward) and how it was made (``parents``, ``vjps``, the operation's name ``op``)."""

    def __init__(self, data: Any, parents: tuple[Tensor, ...] = (),
                 vjps: tuple[Callable[[np.ndarray], np.ndarray], ...] = (), op: str = "") -> None:
        self.data = np.array(data, dtype=np.float64)
        self.grad = np.zeros_like(self.data)
        self.parents = parents
        self.vjps = vjps
        self.op = op

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def size(self) -> int:
        return self.data.size

    def __repr__(self) -> str:
        return f"Tensor({self.data!r})"

    def item(self) -> float:
        return float(self.data)

    def numpy(self) -> np.ndarray:
        return self.data

    # -- operations: the forward array and, per parent, g ↦ its share of the gradient
    def __add__(self, other: Tensor | Any) -> Tensor:
        other = as_tensor(other)
        # BEGIN SOLUTION: out = a + b; the gradient passes through unchanged to both
        return Tensor(self.data + other.data, (self, other), (lambda g: g, lambda g: g), "+")
        # END SOLUTION

    def __mul__(self, other: Tensor | Any) -> Tensor:
        other = as_tensor(other)
        # BEGIN SOLUTION: out = a·b elementwise; a gets g·b, b gets g·a
        return Tensor(self.data * other.data, (self, other),
                      (lambda g: g * other.data, lambda g: g * self.data), "*")
        # END SOLUTION

    def __pow__(self, exponent: float) -> Tensor:
        if isinstance(exponent, Tensor):
            raise TypeError("only a constant exponent is supported: t ** 2, not t ** u")
        # BEGIN SOLUTION: out = aⁿ; a gets g·n·aⁿ⁻¹
        return Tensor(self.data ** exponent, (self,),
                      (lambda g: g * exponent * self.data ** (exponent - 1),), f"**{exponent:g}")
        # END SOLUTION

    def __matmul__(self, other: Tensor | Any) -> Tensor:
        other = as_tensor(other)
        if self.data.ndim != 2 or other.data.ndim != 2:
            raise ValueError(f"@ multiplies two matrices; got shapes {self.shape} and "
                             f"{other.shape}")
        # BEGIN SOLUTION: out = A·B; A gets g·Bᵀ, B gets Aᵀ·g
        return Tensor(self.data @ other.data, (self, other),
                      (lambda g: g @ other.data.T, lambda g: self.data.T @ g), "@")
        # END SOLUTION

    def sum(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        # BEGIN SOLUTION: every summed element gets g: put the summed axes back, then broadcast
        def vjp(g: np.ndarray) -> np.ndarray:
            if axis is not None and not keepdims:
                g = np.expand_dims(g, axis)
            return np.broadcast_to(g, self.shape)

        return Tensor(self.data.sum(axis=axis, keepdims=keepdims), (self,), (vjp,), "sum")
        # END SOLUTION

    def exp(self) -> Tensor:
        # BEGIN SOLUTION: out = eᵃ; a gets g·eᵃ
        e = np.exp(self.data)
        return Tensor(e, (self,), (lambda g: g * e,), "exp")
        # END SOLUTION

    def log(self) -> Tensor:
        # BEGIN SOLUTION: out = ln a; a gets g / a
        return Tensor(np.log(self.data), (self,), (lambda g: g / self.data,), "log")
        # END SOLUTION

    def relu(self) -> Tensor:
        # BEGIN SOLUTION: out = max(0, a); a gets g where a > 0, else 0
        return Tensor(np.maximum(self.data, 0.0), (self,), (lambda g: g * (self.data > 0),),
                      "relu")
        # END SOLUTION

    def sigmoid(self) -> Tensor:
        # BEGIN SOLUTION: σ(a) = (1 + tanh(a/2)) / 2 never overflows; a gets g·σ·(1 − σ)
        s = 0.5 * (1.0 + np.tanh(0.5 * self.data))
        return Tensor(s, (self,), (lambda g: g * s * (1.0 - s),), "sigmoid")
        # END SOLUTION

    def tanh(self) -> Tensor:
        # BEGIN SOLUTION: out = tanh a; a gets g·(1 − tanh² a)
        t = np.tanh(self.data)
        return Tensor(t, (self,), (lambda g: g * (1.0 - t * t),), "tanh")
        # END SOLUTION

    @property
    def T(self) -> Tensor:
        # BEGIN SOLUTION: out = aᵀ; a gets gᵀ
        return Tensor(self.data.T, (self,), (lambda g: g.T,), "T")
        # END SOLUTION

    def reshape(self, *shape: int) -> Tensor:
        # BEGIN SOLUTION: a gets g reshaped back to a's shape
        return Tensor(self.data.reshape(*shape), (self,), (lambda g: g.reshape(self.shape),),
                      "reshape")
        # END SOLUTION

    # -- built from the operations above (nothing to write here)
    def mean(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        total = self.sum(axis=axis, keepdims=keepdims)
        return total * (total.size / self.size)

    def __neg__(self) -> Tensor:
        return self * -1.0

    def __sub__(self, other: Tensor | Any) -> Tensor:
        return self + (-as_tensor(other))

    def __truediv__(self, other: Tensor | Any) -> Tensor:
        return self * as_tensor(other) ** -1.0

    def __radd__(self, other: Any) -> Tensor:
        return self + other

    def __rmul__(self, other: Any) -> Tensor:
        return self * other

    def __rsub__(self, other: Any) -> Tensor:
        return as_tensor(other) - self

    def __rtruediv__(self, other: Any) -> Tensor:
        return as_tensor(other) / self

    # -- the chain rule, one node at a time
    def chain_rule(self, grad: np.ndarray) -> list[tuple[Tensor, np.ndarray]]:
        """Given ∂L/∂self = ``grad``: each parent with its share of the gradient, summed back to
        the parent's shape with ``unbroadcast``."""
        # BEGIN SOLUTION: apply each parent's vjp to grad, then unbroadcast to the parent's shape
        return [(parent, unbroadcast(vjp(grad), parent.shape))
                for parent, vjp in zip(self.parents, self.vjps)]
        # END SOLUTION

    def backward(self, grad: Any = None) -> None:
        """Fill ``grad`` of every Tensor this one was made from; ``grad`` is ∂L/∂self (ones by
        default, which for a one-element loss is ∂L/∂L = 1)."""
        seed = np.ones_like(self.data) if grad is None else np.array(grad, dtype=np.float64)
        autodiff.backward(self, seed)
