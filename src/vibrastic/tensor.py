"""The Tensor: an n-dimensional array that remembers how it was made ("let's build our own").

A Tensor wraps a NumPy array. Its operators and methods are one-liners below, in labelled
sections; each calls an op in ``ops.py``, where the forward sits next to its gradient rule.
``autograd.py`` records those ops and runs the backward pass.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from vibrastic import devices as _devices
from vibrastic import missing as _missing
from vibrastic import random as _random

# --------------------------------------------------------------------------------------------
# dtypes: torch-like objects that map onto NumPy dtypes
# --------------------------------------------------------------------------------------------


class dtype:
    """A tensor element type, printed and compared like ``torch.float32``."""

    __slots__ = ("is_floating_point", "name", "np")

    def __init__(self, name: str, np_dtype: type) -> None:
        self.name = name
        self.np = np.dtype(np_dtype)
        self.is_floating_point = self.np.kind == "f"

    def __repr__(self) -> str:
        return f"vibrastic.{self.name}"


float16 = dtype("float16", np.float16)
float32 = dtype("float32", np.float32)
float64 = dtype("float64", np.float64)
int32 = dtype("int32", np.int32)
int64 = dtype("int64", np.int64)
uint8 = dtype("uint8", np.uint8)
bool_ = dtype("bool", np.bool_)
_DTYPES = {d.np: d for d in (float16, float32, float64, int32, int64, uint8, bool_)}
# torch's legacy type names, for Tensor.type() and the FloatTensor-style constructors
_TYPE_NAMES = {float16: "HalfTensor", float32: "FloatTensor", float64: "DoubleTensor",
               int32: "IntTensor", int64: "LongTensor", uint8: "ByteTensor", bool_: "BoolTensor"}
_default_float = float32


def set_default_dtype(d: dtype) -> None:
    """Set the floating-point dtype that Python floats become (float32 unless changed)."""
    global _default_float
    if d not in (float16, float32, float64):
        raise TypeError(f"only floating-point types are supported as the default type, got {d}")
    _default_float = d


def get_default_dtype() -> dtype:
    """The dtype that Python floats become, as ``torch.get_default_dtype``."""
    return _default_float


def _np_dtype(d: Any) -> np.dtype:
    """Accept a vibrastic dtype, a torch dtype or a NumPy dtype; return the NumPy dtype."""
    if isinstance(d, dtype):
        return d.np
    name = str(d).rsplit(".", 1)[-1]  # torch.float64 -> float64
    if name == "bool":
        return np.dtype(np.bool_)
    try:
        return np.dtype(name)
    except TypeError:
        raise TypeError(f"unsupported dtype {d!r}; expected e.g. vibrastic.float32") from None


# --------------------------------------------------------------------------------------------
# Tensor
# --------------------------------------------------------------------------------------------


class Size(tuple):
    """A tensor's shape: a tuple of ints that prints as ``vibrastic.Size([2, 3])``, as torch."""

    def __repr__(self) -> str:
        return f"vibrastic.Size({list(self)})"

    def numel(self) -> int:
        """The number of elements a tensor of this shape holds."""
        n = 1
        for s in self:
            n *= s
        return n


_sequence = itertools.count()  # numbers tensors in creation order (autograd's heap uses it)
_ONES: dict[tuple[tuple[int, ...], np.dtype], np.ndarray] = {}  # backward()'s seeds, by shape


class Tensor:
    """An n-dimensional array that can record the ops applied to it and differentiate them.

    ``Tensor(data)`` makes a float tensor from a list, as ``torch.Tensor`` does; prefer
    ``vibrastic.tensor(data, dtype=None, requires_grad=False)``.
    """

    __slots__ = ("__weakref__", "_before", "_ctx", "_data", "_hooks", "_retains_grad", "_seq",
                 "grad", "requires_grad")

    # _ctx is None for a leaf, else (parents, backward, name, saves_tensors).
    # _seq numbers tensors in creation order: an op's output always comes after its inputs.
    # _before is set only on a tensor changed in place inside the graph: its earlier version;
    # _hooks only on a tensor given hooks (register_hook).
    _ctx: tuple[tuple[Tensor, ...], autograd.Backward, str, bool] | None

    def __init__(self, *args: Any, requires_grad: bool = False) -> None:
        if len(args) > 1 or (args and isinstance(args[0], (int, np.integer))
                             and not isinstance(args[0], bool)):  # Tensor(2, 3): a shape
            arr = np.zeros(_shape(args), dtype=_default_float.np)
        else:
            data = args[0] if args else ()
            arr = np.array(data._data if isinstance(data, Tensor) else data,
                           dtype=_default_float.np)
        _init(self, arr, requires_grad)

    # ---- attributes ----
    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    def size(self, dim: int | None = None) -> Size | int:
        """The shape, or the length of one dimension."""
        return Size(self._data.shape) if dim is None else self._data.shape[dim]

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def dim(self) -> int:
        return self._data.ndim

    def numel(self) -> int:
        return int(self._data.size)

    nelement = numel

    def element_size(self) -> int:
        return int(self._data.itemsize)

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    def get_device(self) -> int:
        return -1  # the CPU, as torch

    # ---- new tensors like this one (same dtype unless given) ----
    def new_zeros(self, *size: Any, dtype: Any = None, **kw: Any) -> Tensor:
        return zeros(*size, dtype=dtype or self.dtype, **kw)

    def new_ones(self, *size: Any, dtype: Any = None, **kw: Any) -> Tensor:
        return ones(*size, dtype=dtype or self.dtype, **kw)

    def new_empty(self, *size: Any, dtype: Any = None, **kw: Any) -> Tensor:
        return zeros(*size, dtype=dtype or self.dtype, **kw)

    def new_full(self, size: Any, fill_value: float, *, dtype: Any = None, **kw: Any) -> Tensor:
        return full(size, fill_value, dtype=dtype or self.dtype, **kw)

    def new_tensor(self, data: Any, dtype: Any = None, **kw: Any) -> Tensor:
        return tensor(data, dtype=dtype or self.dtype, **kw)

    @property
    def dtype(self) -> dtype:
        return _DTYPES[self._data.dtype]

    @property
    def is_leaf(self) -> bool:
        return self._ctx is None

    @property
    def grad_fn(self) -> autograd.GradFn | None:
        """The op that made this tensor (None for leaves): ``name()``, ``next_functions``."""
        return None if self._ctx is None else autograd.GradFn.of(self)

    @property
    def data(self) -> Tensor:
        """A tensor sharing this one's memory, outside the graph (prefer ``detach()``)."""
        return self.detach()

    @data.setter
    def data(self, value: Tensor) -> None:
        """``w.data = t`` (and ``w.data -= step``) replaces the values, outside the graph."""
        self._data = _to_numpy(value)

    @property
    def device(self) -> _devices.device:
        return _devices.CPU

    @property
    def is_cuda(self) -> bool:
        return False

    def __getattr__(self, name: str) -> Any:
        """Only for names Tensor lacks: an AttributeError saying vibrastic lacks that torch name."""
        return _missing.tensor_getattr(self, name)

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self._data)

    def __iter__(self) -> Iterator[Tensor]:
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(len(self._data)))

    # ---- conversion ----
    def numpy(self, *, force: bool = False) -> np.ndarray:
        """The values as a NumPy array sharing memory (``force=True`` returns a detached copy)."""
        if self.requires_grad and not force:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. "
                "Use tensor.detach().numpy() instead."
            )
        return self._data.copy() if force else self._data

    def item(self) -> float | int | bool:
        if self._data.size != 1:
            raise RuntimeError(
                f"a Tensor with {self._data.size} elements cannot be converted to Scalar"
            )
        return self._data.item()

    def tolist(self) -> Any:
        return self._data.tolist()

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError(
                f"Boolean value of Tensor with {self._data.size} values is ambiguous"
            )
        return bool(self._data.item())

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self._data.item())

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return self._data if dtype is None else self._data.astype(dtype)

    def __repr__(self) -> str:
        """As torch prints (see ``printing.py``), e.g. ``tensor([0.5000, 1.0000])``."""
        extras = []
        implied = (_default_float.np,) if self._data.size == 0 else (  # nothing to infer from
            _default_float.np, np.int64, np.bool_)
        if self._data.dtype not in implied:
            extras.append(f"dtype={self.dtype}")
        if self._ctx is not None:
            extras.append(f"grad_fn=<{autograd.node_name(self._ctx[2])}>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return printing.tensor_repr(self._data, extras)

    def __format__(self, spec: str) -> str:
        """``f"{loss:.4f}"`` formats a 0-d tensor's value, as torch; others print as ``str``."""
        if self._data.ndim == 0:
            return format(self._data.item(), spec)
        if spec:
            raise TypeError("unsupported format string passed to Tensor.__format__")
        return repr(self)

    # ---- dtype conversion (differentiable) ----
    def to(self, *args: Any, **kwargs: Any) -> Tensor:
        """Convert to a dtype: ``to(dtype)``, ``to(device, dtype)``, ``to(other)``, keywords too.

        Devices other than the CPU raise (see ``vibrastic.devices``).
        """
        dtype = _parse_to(args, kwargs)
        if dtype is None:
            return self
        target = _np_dtype(dtype)
        if target == self._data.dtype:
            return self
        if target.kind != "f":  # integer and bool tensors are outside the graph, as in torch
            return _new(self._data.astype(target))
        source = self._data.dtype

        def backward(g: np.ndarray) -> tuple[np.ndarray]:
            return (g.astype(source),)

        return autograd.record(self._data.astype(target), (self,), backward, "ToCopy", saves=False)

    def type(self, dtype: Any = None, non_blocking: bool = False) -> Any:
        """Without an argument, torch's type name ('vibrastic.FloatTensor'); else ``to(dtype)``."""
        if dtype is None:
            return f"vibrastic.{_TYPE_NAMES[self.dtype]}"
        if isinstance(dtype, str) and dtype.endswith("Tensor"):  # 'torch.DoubleTensor'
            by_name = {name: d for d, name in _TYPE_NAMES.items()}
            short = dtype.rsplit(".", 1)[-1]
            if short not in by_name:
                raise ValueError(f"invalid type: '{dtype}'")
            dtype = by_name[short]
        return self.to(dtype)

    def half(self) -> Tensor:
        return self.to(float16)

    def float(self) -> Tensor:
        return self.to(float32)

    def double(self) -> Tensor:
        return self.to(float64)

    def long(self) -> Tensor:
        return self.to(int64)

    def int(self) -> Tensor:
        return self.to(int32)

    def bool(self) -> Tensor:
        return self.to(bool_)

    def type_as(self, other: Tensor) -> Tensor:
        """This tensor in ``other``'s dtype (itself when the dtype already matches)."""
        return self.to(other.dtype)

    def cpu(self) -> Tensor:
        return self

    def cuda(self, device: Any = None, non_blocking: bool = False) -> Tensor:
        _devices.check("cuda" if device is None else device)
        return self

    # ---- graph handling ----
    def detach(self) -> Tensor:
        """The same values (shared memory) cut off from the graph."""
        return _new(self._data)

    def clone(self) -> Tensor:
        """A copy of the values that stays in the graph."""
        return autograd.record(self._data.copy(), (self,), lambda g: (g,), "Clone", saves=False)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        if self._ctx is not None and not requires_grad:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use "
                "a computed variable in a subgraph that doesn't require differentiation use "
                "var_no_grad = var.detach()."
            )
        if requires_grad and self._data.dtype.kind != "f":
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        self.requires_grad = requires_grad
        return self

    def register_hook(self, hook: Any) -> Any:
        """Call ``hook(grad)`` when this tensor's gradient is computed; a tensor the hook
        returns replaces it. ``handle.remove()`` takes it off."""
        return autograd.register_hook(self, hook)

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor after ``backward`` (leaves always keep it)."""
        if not self.requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        self._retains_grad = True

    def zero_(self) -> Tensor:
        """Fill with zeros in place (e.g. ``x.grad.zero_()`` between backward passes)."""
        if self.requires_grad:  # (x.grad.zero_() stays quick)
            return ops.write(self, ..., 0, "Zero")
        self._data[...] = 0
        return self

    def fill_(self, value: float) -> Tensor:
        return ops.write(self, ..., value, "FillBackward2")

    def copy_(self, src: Any) -> Tensor:
        """Copy values from a tensor, array or torch tensor, keeping this tensor's dtype."""
        if isinstance(src, Tensor):
            return ops.write(self, ..., src, "CopyBackwards")
        self._data[...] = _to_numpy(src)
        return self

    def backward(
        self, gradient: Any = None, retain_graph: bool | None = None, create_graph: bool = False
    ) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad`` that requires grad.

        ``gradient`` is required when self is not a scalar: it is the vector in the
        vector-Jacobian product, with self's shape.
        """
        if create_graph:
            raise NotImplementedError("create_graph=True (higher-order gradients) is not supported")
        if not self.requires_grad:
            raise RuntimeError(
                "element 0 of tensors does not require grad and does not have a grad_fn"
            )
        if gradient is None:
            if self._data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            key = (self._data.shape, self._data.dtype)
            one = _ONES.get(key)
            if one is None:
                one = _ONES[key] = np.ones(*key)
            seed = one.copy()  # copying a 1 costs a fifth of making one
        else:
            seed = np.asarray(_to_numpy(gradient), dtype=self._data.dtype)
            if seed.shape != self._data.shape:
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[0] has a shape of {seed.shape} and "
                    f"output[0] has a shape of {self._data.shape}."
                )
        autograd.run_backward(self, seed, bool(retain_graph))

    # ---- arithmetic operators (each op and its gradient: ops.py) ----
    def __add__(self, other: TensorLike) -> Tensor: return ops.add(self, other)
    def __radd__(self, other: TensorLike) -> Tensor: return ops.add(other, self)
    def __sub__(self, other: TensorLike) -> Tensor: return ops.sub(self, other)
    def __rsub__(self, other: TensorLike) -> Tensor: return ops.sub(other, self)
    def __mul__(self, other: TensorLike) -> Tensor: return ops.mul(self, other)
    def __rmul__(self, other: TensorLike) -> Tensor: return ops.mul(other, self)
    def __truediv__(self, other: TensorLike) -> Tensor: return ops.div(self, other)
    def __rtruediv__(self, other: TensorLike) -> Tensor: return ops.div(other, self)
    def __pow__(self, other: TensorLike) -> Tensor: return ops.pow(self, other)
    def __rpow__(self, other: TensorLike) -> Tensor: return ops.pow(other, self)
    def __mod__(self, other: TensorLike) -> Tensor: return ops.remainder(self, other)
    def __floordiv__(self, other: TensorLike) -> Tensor: return ops.floor_divide(self, other)
    def __matmul__(self, other: Tensor) -> Tensor: return ops.matmul(self, other)
    def __rmatmul__(self, other: Tensor) -> Tensor: return ops.matmul(other, self)
    def __neg__(self) -> Tensor: return ops.neg(self)
    def __abs__(self) -> Tensor: return ops.abs(self)

    # ---- in-place arithmetic (outside the graph, e.g. ``w -= lr * w.grad`` under no_grad) ----
    def __iadd__(self, other: TensorLike) -> Tensor: return ops.iadd(self, other)
    def __isub__(self, other: TensorLike) -> Tensor: return ops.isub(self, other)
    def __imul__(self, other: TensorLike) -> Tensor: return ops.imul(self, other)
    def __itruediv__(self, other: TensorLike) -> Tensor: return ops.itruediv(self, other)
    def add_(self, other: TensorLike, *, alpha: float | None = None) -> Tensor:
        return ops.add_(self, other, alpha=alpha)
    def sub_(self, other: TensorLike, *, alpha: float | None = None) -> Tensor:
        return ops.sub_(self, other, alpha=alpha)
    def mul_(self, other: TensorLike) -> Tensor: return ops.mul_(self, other)
    def div_(self, other: TensorLike) -> Tensor: return ops.div_(self, other)

    # ---- comparisons and logic (bool results, not differentiable) ----
    def __lt__(self, other: TensorLike) -> Tensor: return ops.lt(self, other)
    def __le__(self, other: TensorLike) -> Tensor: return ops.le(self, other)
    def __gt__(self, other: TensorLike) -> Tensor: return ops.gt(self, other)
    def __ge__(self, other: TensorLike) -> Tensor: return ops.ge(self, other)
    def __eq__(self, other: object) -> Tensor: return ops.eq(self, other)  # type: ignore[override]
    def __ne__(self, other: object) -> Tensor: return ops.ne(self, other)  # type: ignore[override]
    __hash__ = object.__hash__  # tensors are dict keys by identity, as in torch
    def __invert__(self) -> Tensor: return ops.logical_not(self)
    def __and__(self, other: TensorLike) -> Tensor: return ops.logical_and(self, other)
    def __or__(self, other: TensorLike) -> Tensor: return ops.logical_or(self, other)
    def lt(self, other: TensorLike) -> Tensor: return ops.lt(self, other)
    def le(self, other: TensorLike) -> Tensor: return ops.le(self, other)
    def gt(self, other: TensorLike) -> Tensor: return ops.gt(self, other)
    def ge(self, other: TensorLike) -> Tensor: return ops.ge(self, other)
    def eq(self, other: TensorLike) -> Tensor: return ops.eq(self, other)
    def ne(self, other: TensorLike) -> Tensor: return ops.ne(self, other)

    # ---- arithmetic methods ----
    def add(self, other: TensorLike) -> Tensor: return ops.add(self, other)
    def sub(self, other: TensorLike) -> Tensor: return ops.sub(self, other)
    def mul(self, other: TensorLike) -> Tensor: return ops.mul(self, other)
    def div(self, other: TensorLike) -> Tensor: return ops.div(self, other)
    def pow(self, other: TensorLike) -> Tensor: return ops.pow(self, other)
    def remainder(self, other: TensorLike) -> Tensor: return ops.remainder(self, other)
    def matmul(self, other: Tensor) -> Tensor: return ops.matmul(self, other)
    def dot(self, other: Tensor) -> Tensor: return ops.dot(self, other)
    def outer(self, vec2: Tensor) -> Tensor: return ops.outer(self, vec2)
    def mm(self, mat2: Tensor) -> Tensor: return ops.mm(self, mat2)
    def bmm(self, mat2: Tensor) -> Tensor: return ops.bmm(self, mat2)
    def neg(self) -> Tensor: return ops.neg(self)
    def square(self) -> Tensor: return ops.square(self)
    subtract, multiply, divide = sub, mul, div
    def maximum(self, other: Tensor) -> Tensor: return ops.maximum(self, other)
    def minimum(self, other: Tensor) -> Tensor: return ops.minimum(self, other)

    # ---- elementwise functions and activations ----
    def exp(self) -> Tensor: return ops.exp(self)
    def log(self) -> Tensor: return ops.log(self)
    def sqrt(self) -> Tensor: return ops.sqrt(self)
    def abs(self) -> Tensor: return ops.abs(self)
    def sin(self) -> Tensor: return ops.sin(self)
    def cos(self) -> Tensor: return ops.cos(self)
    def tanh(self) -> Tensor: return ops.tanh(self)
    def sigmoid(self) -> Tensor: return ops.sigmoid(self)
    def relu(self) -> Tensor: return ops.relu(self)
    def clamp(self, min: float | None = None, max: float | None = None) -> Tensor:
        return ops.clamp(self, min, max)
    clip = clamp
    def sinh(self) -> Tensor: return ops.sinh(self)
    def erf(self) -> Tensor: return special.erf(self)
    def erfc(self) -> Tensor: return special.erfc(self)
    def erfinv(self) -> Tensor: return special.erfinv(self)
    def logit(self, eps: float | None = None) -> Tensor: return special.logit(self, eps)
    def xlogy(self, other: TensorLike) -> Tensor: return special.xlogy(self, other)
    def cosh(self) -> Tensor: return ops.cosh(self)
    def tan(self) -> Tensor: return ops.tan(self)
    def asin(self) -> Tensor: return ops.asin(self)
    def acos(self) -> Tensor: return ops.acos(self)
    def atan(self) -> Tensor: return ops.atan(self)
    def log2(self) -> Tensor: return ops.log2(self)
    def log10(self) -> Tensor: return ops.log10(self)
    def log1p(self) -> Tensor: return ops.log1p(self)
    def expm1(self) -> Tensor: return ops.expm1(self)
    def reciprocal(self) -> Tensor: return ops.reciprocal(self)
    def rsqrt(self) -> Tensor: return ops.rsqrt(self)
    def floor(self) -> Tensor: return ops.floor(self)
    def ceil(self) -> Tensor: return ops.ceil(self)
    def trunc(self) -> Tensor: return ops.trunc(self)
    def frac(self) -> Tensor: return ops.frac(self)
    def sign(self) -> Tensor: return ops.sign(self)
    def round(self, *, decimals: int = 0) -> Tensor: return ops.round(self, decimals=decimals)
    def isnan(self) -> Tensor: return ops.isnan(self)
    def isinf(self) -> Tensor: return ops.isinf(self)
    def isfinite(self) -> Tensor: return ops.isfinite(self)
    def masked_fill(self, mask: TensorLike, value: Any) -> Tensor:
        return ops.masked_fill(self, mask, value)
    def equal(self, other: Tensor) -> bool: return ops.equal(self, other)
    def allclose(self, other: TensorLike, rtol: float = 1e-05, atol: float = 1e-08,
                 equal_nan: bool = False) -> bool:
        return ops.allclose(self, other, rtol, atol, equal_nan)
    def isclose(self, other: TensorLike, rtol: float = 1e-05, atol: float = 1e-08,
                equal_nan: bool = False) -> Tensor:
        return ops.isclose(self, other, rtol, atol, equal_nan)
    def softmax(self, dim: int) -> Tensor: return ops.softmax(self, dim)
    def log_softmax(self, dim: int) -> Tensor: return ops.log_softmax(self, dim)

    # ---- reductions (``axis=`` is accepted for ``dim=``, as torch) ----
    def sum(self, dim: Dims = None, keepdim: bool = False, **kw: Any) -> Tensor:
        return ops.sum(self, dim, keepdim, **kw)
    def mean(self, dim: Dims = None, keepdim: bool = False, **kw: Any) -> Tensor:
        return ops.mean(self, dim, keepdim, **kw)
    def var(self, dim: Dims = None, *args: Any, **kw: Any) -> Tensor:
        return ops.var(self, dim, *args, **kw)
    def std(self, dim: Dims = None, *args: Any, **kw: Any) -> Tensor:
        return ops.std(self, dim, *args, **kw)
    def max(self, dim: Any = None, keepdim: bool = False, **kw: Any) -> Any:
        return ops.max(self, dim, keepdim, **kw)
    def min(self, dim: Any = None, keepdim: bool = False, **kw: Any) -> Any:
        return ops.min(self, dim, keepdim, **kw)
    def argmax(self, dim: int | None = None, keepdim: bool = False, **kw: Any) -> Tensor:
        return ops.argmax(self, dim, keepdim, **kw)
    def argmin(self, dim: int | None = None, keepdim: bool = False, **kw: Any) -> Tensor:
        return ops.argmin(self, dim, keepdim, **kw)
    def prod(self, dim: int | None = None, keepdim: bool = False, **kw: Any) -> Tensor:
        return ops.prod(self, dim, keepdim, **kw)
    def amax(self, dim: Any = (), keepdim: bool = False) -> Tensor:
        return ops.amax(self, dim, keepdim)
    def amin(self, dim: Any = (), keepdim: bool = False) -> Tensor:
        return ops.amin(self, dim, keepdim)
    def cumsum(self, dim: int, **kw: Any) -> Tensor: return ops.cumsum(self, dim, **kw)
    def logsumexp(self, dim: Any, keepdim: bool = False) -> Tensor:
        return ops.logsumexp(self, dim, keepdim)
    def norm(self, p: Any = "fro", dim: Any = None, keepdim: bool = False) -> Tensor:
        return ops.norm(self, p, dim, keepdim)
    def any(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        return ops.any(self, dim, keepdim)
    def all(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        return ops.all(self, dim, keepdim)
    def sort(self, dim: int = -1, descending: bool = False, stable: bool = False) -> Any:
        return ops.sort(self, dim, descending, stable)
    def argsort(self, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
        return ops.argsort(self, dim, descending, stable)
    def topk(self, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> Any:
        return ops.topk(self, k, dim, largest, sorted)

    # ---- shapes and indexing ----
    def reshape(self, *shape: Any) -> Tensor: return ops.reshape(self, *shape)
    def view(self, *shape: Any) -> Tensor: return ops.reshape(self, *shape)
    def transpose(self, dim0: int, dim1: int) -> Tensor: return ops.transpose(self, dim0, dim1)
    def permute(self, *dims: Any) -> Tensor: return ops.permute(self, *dims)
    def t(self) -> Tensor: return ops.t(self)
    @property
    def T(self) -> Tensor: return ops.t(self)
    @property
    def mT(self) -> Tensor: return ops.transpose(self, -2, -1)
    def unsqueeze(self, dim: int) -> Tensor: return ops.unsqueeze(self, dim)
    def squeeze(self, dim: Dims = None) -> Tensor: return ops.squeeze(self, dim)
    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        return ops.flatten(self, start_dim, end_dim)
    def expand(self, *sizes: Any) -> Tensor: return ops.expand(self, *sizes)
    def expand_as(self, other: Tensor) -> Tensor: return ops.expand(self, other.shape)
    def view_as(self, other: Tensor) -> Tensor: return ops.reshape(self, other.shape)
    def reshape_as(self, other: Tensor) -> Tensor: return ops.reshape(self, other.shape)
    def swapaxes(self, dim0: int, dim1: int) -> Tensor: return ops.transpose(self, dim0, dim1)
    swapdims = swapaxes
    def contiguous(self, memory_format: Any = None) -> Tensor: return self
    def is_contiguous(self, memory_format: Any = None) -> bool: return True
    def repeat(self, *sizes: Any) -> Tensor: return ops.repeat(self, *sizes)
    def scatter_add(self, dim: int, index: TensorLike, src: Tensor) -> Tensor:
        return ops.scatter_add(self, dim, index, src)
    def index_add(self, dim: int, index: TensorLike, source: Tensor, *,
                  alpha: float = 1) -> Tensor:
        return ops.index_add(self, dim, index, source, alpha=alpha)
    def bincount(self, weights: Tensor | None = None, minlength: int = 0) -> Tensor:
        return ops.bincount(self, weights, minlength)
    def mode(self, dim: int = -1, keepdim: bool = False) -> Any:
        return ops.mode(self, dim, keepdim)
    def repeat_interleave(self, repeats: TensorLike, dim: int | None = None, *,
                          output_size: int | None = None) -> Tensor:
        return ops.repeat_interleave(self, repeats, dim, output_size=output_size)
    def chunk(self, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
        return ops.chunk(self, chunks, dim)
    def split(self, split_size: Any, dim: int = 0) -> tuple[Tensor, ...]:
        return ops.split(self, split_size, dim)
    def unbind(self, dim: int = 0) -> tuple[Tensor, ...]: return ops.unbind(self, dim)
    def flip(self, *dims: Any) -> Tensor:
        return ops.flip(self, dims[0] if len(dims) == 1 else dims)
    def narrow(self, dim: int, start: int, length: int) -> Tensor:
        return ops.narrow(self, dim, start, length)
    def tril(self, diagonal: int = 0) -> Tensor: return ops.tril(self, diagonal)
    def triu(self, diagonal: int = 0) -> Tensor: return ops.triu(self, diagonal)
    def diag(self, diagonal: int = 0) -> Tensor: return ops.diag(self, diagonal)
    def diagonal(self, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
        return ops.diagonal(self, offset, dim1, dim2)
    def trace(self) -> Tensor: return ops.trace(self)
    def clamp_min(self, min: Any) -> Tensor: return ops.clamp_min(self, min)
    def clamp_max(self, max: Any) -> Tensor: return ops.clamp_max(self, max)
    def logaddexp(self, other: TensorLike) -> Tensor: return ops.logaddexp(self, other)
    def atan2(self, other: TensorLike) -> Tensor: return ops.atan2(self, other)
    arctan2 = atan2
    def hypot(self, other: TensorLike) -> Tensor: return ops.hypot(self, other)
    def hardshrink(self, lambd: float = 0.5) -> Tensor:
        from vibrastic.nn import functional

        return functional.hardshrink(self, lambd)
    def lerp(self, end: Tensor, weight: TensorLike) -> Tensor:
        return ops.lerp(self, end, weight)
    def nan_to_num(self, nan: float = 0.0, posinf: float | None = None,
                   neginf: float | None = None) -> Tensor:
        return ops.nan_to_num(self, nan, posinf, neginf)
    def roll(self, shifts: Any, dims: Any = None) -> Tensor: return ops.roll(self, shifts, dims)
    def tile(self, *dims: Any) -> Tensor:
        return ops.tile(self, dims[0] if len(dims) == 1 and not isinstance(dims[0], int)
                        else dims)
    def broadcast_to(self, size: Any) -> Tensor: return ops.broadcast_to(self, size)
    def movedim(self, source: Any, destination: Any) -> Tensor:
        return ops.movedim(self, source, destination)
    moveaxis = movedim
    def masked_select(self, mask: TensorLike) -> Tensor: return ops.masked_select(self, mask)
    def nonzero(self, *, as_tuple: bool = False) -> Any: return ops.nonzero(self, as_tuple=as_tuple)
    def count_nonzero(self, dim: Any = None) -> Tensor: return ops.count_nonzero(self, dim)
    def unique(self, sorted: bool = True, return_inverse: bool = False,
               return_counts: bool = False, dim: int | None = None) -> Any:
        return ops.unique(self, sorted, return_inverse, return_counts, dim)
    def diff(self, n: int = 1, dim: int = -1, prepend: Tensor | None = None,
             append: Tensor | None = None) -> Tensor:
        return ops.diff(self, n, dim, prepend, append)
    def take_along_dim(self, indices: TensorLike, dim: int | None = None) -> Tensor:
        return ops.take_along_dim(self, indices, dim)
    def cross(self, other: Tensor, dim: int | None = None) -> Tensor:
        return ops.cross(self, other, dim)
    def index_select(self, dim: int, index: TensorLike) -> Tensor:
        return ops.index_select(self, dim, index)
    def gather(self, dim: int, index: TensorLike) -> Tensor: return ops.gather(self, dim, index)
    def scatter(self, dim: int, index: TensorLike, src: Any = None, **kw: Any) -> Tensor:
        return ops.scatter(self, dim, index, src, **kw)

    # ---- in place, outside the graph (the ``_`` convention) ----
    def clamp_(self, min: float | None = None, max: float | None = None) -> Tensor:
        return ops.inplace(ops.clamp)(self, min, max)
    clip_ = clamp_
    def clamp_min_(self, min: Any) -> Tensor: return ops.inplace(ops.clamp_min)(self, min)
    def clamp_max_(self, max: Any) -> Tensor: return ops.inplace(ops.clamp_max)(self, max)
    def square_(self) -> Tensor: return ops.inplace(ops.square)(self)
    def tril_(self, diagonal: int = 0) -> Tensor: return ops.inplace(ops.tril)(self, diagonal)
    def triu_(self, diagonal: int = 0) -> Tensor: return ops.inplace(ops.triu)(self, diagonal)
    def lerp_(self, end: Tensor, weight: TensorLike) -> Tensor:
        return ops.inplace(ops.lerp)(self, end, weight)
    def nan_to_num_(self, nan: float = 0.0, posinf: float | None = None,
                    neginf: float | None = None) -> Tensor:
        return ops.inplace(ops.nan_to_num)(self, nan, posinf, neginf)
    def pow_(self, exponent: TensorLike) -> Tensor: return ops.inplace(ops.pow)(self, exponent)
    def neg_(self) -> Tensor: return ops.inplace(ops.neg)(self)
    def abs_(self) -> Tensor: return ops.inplace(ops.abs)(self)
    def exp_(self) -> Tensor: return ops.inplace(ops.exp)(self)
    def log_(self) -> Tensor: return ops.inplace(ops.log)(self)
    def sqrt_(self) -> Tensor: return ops.inplace(ops.sqrt)(self)
    def relu_(self) -> Tensor: return ops.inplace(ops.relu)(self)
    def sigmoid_(self) -> Tensor: return ops.inplace(ops.sigmoid)(self)
    def tanh_(self) -> Tensor: return ops.inplace(ops.tanh)(self)
    def round_(self, *, decimals: int = 0) -> Tensor:
        return ops.inplace(ops.round)(self, decimals=decimals)
    def floor_(self) -> Tensor: return ops.inplace(ops.floor)(self)
    def masked_fill_(self, mask: TensorLike, value: Any) -> Tensor:
        return ops.inplace(ops.masked_fill)(self, mask, value)
    def scatter_(self, dim: int, index: TensorLike, src: Any = None, **kw: Any) -> Tensor:
        return ops.inplace(ops.scatter)(self, dim, index, src, **kw)
    def scatter_add_(self, dim: int, index: TensorLike, src: Tensor) -> Tensor:
        return ops.inplace(ops.scatter_add)(self, dim, index, src)
    def index_add_(self, dim: int, index: TensorLike, source: Tensor, *,
                   alpha: float = 1) -> Tensor:
        return ops.inplace(ops.index_add)(self, dim, index, source, alpha=alpha)
    def index_fill_(self, dim: int, index: TensorLike, value: Any) -> Tensor:
        ops._check_inplace(self)
        where = [slice(None)] * self._data.ndim
        where[dim] = ops._long(index, "index_fill_")
        self._data[tuple(where)] = ops._arr(value)
        return self
    def uniform_(self, a: float = 0.0, b: float = 1.0, **kw: Any) -> Tensor:
        return ops.uniform_(self, a, b, **kw)
    def multinomial(self, num_samples: int, replacement: bool = False, **kw: Any) -> Tensor:
        return multinomial(self, num_samples, replacement, **kw)
    def bernoulli(self, p: float | None = None, **kw: Any) -> Tensor:
        return bernoulli(self, p, **kw)
    def normal_(self, mean: float = 0.0, std: float = 1.0, **kw: Any) -> Tensor:
        return ops.normal_(self, mean, std, **kw)
    def detach_(self) -> Tensor:
        """Cut this tensor off its graph, in place."""
        self._ctx = None
        self.requires_grad = False
        return self
    def __getitem__(self, idx: Any) -> Tensor: return ops.getitem(self, idx)
    def __setitem__(self, idx: Any, value: TensorLike) -> None: ops.setitem(self, idx, value)


# --------------------------------------------------------------------------------------------
# creation
# --------------------------------------------------------------------------------------------


def _init(t: Tensor, data: np.ndarray, requires_grad: bool) -> None:
    t._data = data if isinstance(data, np.ndarray) else np.asarray(data)  # 0-d: never a scalar
    t.grad = None
    t._ctx = None
    t._retains_grad = False
    t._seq = next(_sequence)
    t.requires_grad = False
    if requires_grad:
        t.requires_grad_(True)


def _parse_to(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """The dtype asked for by ``.to(...)`` (None to keep it); any device must be the CPU."""
    unknown = set(kwargs) - {"dtype", "device", "non_blocking", "copy", "memory_format"}
    if unknown:
        raise TypeError(f"to() got an unexpected keyword argument '{sorted(unknown)[0]}'")
    dtype, device = kwargs.get("dtype"), kwargs.get("device")
    for arg in args:
        if isinstance(arg, Tensor):  # x.to(other): other's dtype (and device)
            dtype = arg.dtype
        elif isinstance(arg, (str, int, _devices.device)) and not isinstance(arg, bool):
            device = arg
        elif arg is not None:
            dtype = arg
    _devices.check(device)
    return dtype


def _new(data: np.ndarray, requires_grad: bool = False) -> Tensor:
    """A leaf tensor around an existing array (no copy)."""
    t = Tensor.__new__(Tensor)
    _init(t, data, requires_grad)
    return t


def _to_numpy(x: Any) -> np.ndarray:
    """Values of a vibrastic tensor, a torch tensor, an array or nested lists, as an array."""
    if isinstance(x, Tensor):
        return x._data
    if hasattr(x, "detach") and hasattr(x, "numpy"):  # a torch.Tensor
        return x.detach().cpu().numpy()
    return np.asarray(x)


def _infer(data: Any, dtype: np.dtype | None = None) -> np.ndarray:
    """Convert Python data to an array with torch's dtype inference (floats -> default dtype).

    With ``dtype``, Python numbers convert straight to it (0.1 as float64 never passes float32).
    """
    if isinstance(data, Tensor):
        return data._data.copy()
    if isinstance(data, (np.ndarray, np.generic)):  # a NumPy scalar keeps its dtype too
        return np.array(data)
    if hasattr(data, "detach") and hasattr(data, "numpy"):
        return data.detach().cpu().numpy().copy()
    if isinstance(data, (list, tuple)) and any(isinstance(x, Tensor) for x in data):
        data = [x.tolist() if isinstance(x, Tensor) else x for x in data]
    arr = np.array(data)
    if dtype is not None:
        return arr.astype(dtype)
    if arr.dtype.kind == "f":
        if arr.dtype == np.float64 and _holds_numpy_double(data):
            return arr  # torch: a NumPy float64 among the values makes the tensor float64
        return arr.astype(_default_float.np)
    if arr.dtype.kind in "iu":
        return arr.astype(np.int64)
    if arr.dtype.kind == "b":
        return arr
    raise TypeError(f"can't convert {type(data).__name__} of {arr.dtype} to a tensor")


def _holds_numpy_double(data: Any) -> bool:
    """Whether nested lists/tuples hold a NumPy float64. The element types are read one nesting
    level at a time with ``map``, so lists of Python floats cost little on top of ``np.array``."""
    items = [data]
    while True:
        kinds = set(map(type, items))
        if np.float64 in kinds:
            return True
        if not kinds & {list, tuple}:
            return False
        nested = items if kinds <= {list, tuple} else \
            [x for x in items if isinstance(x, (list, tuple))]
        items = list(itertools.chain.from_iterable(nested))


def tensor(data: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False,
           pin_memory: bool = False) -> Tensor:
    """A new leaf tensor holding a copy of ``data`` (floats become the default float dtype)."""
    _devices.check(device)
    target = None if dtype is None else _np_dtype(dtype)
    arr = _infer(data, target)
    if target is not None and arr.dtype != target:
        arr = arr.astype(target)
    return _new(arr, requires_grad)


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """``data`` as a tensor, sharing memory with a tensor or NumPy array when no copy is needed."""
    _devices.check(device)
    if isinstance(data, Tensor) and (dtype is None or _np_dtype(dtype) == data._data.dtype):
        return data
    if isinstance(data, np.ndarray) and (dtype is None or _np_dtype(dtype) == data.dtype):
        return _new(data)
    return tensor(data, dtype)


def is_tensor(obj: Any) -> bool:
    return isinstance(obj, Tensor)


def numel(input: Tensor) -> int:
    return input.numel()


def _shape(size: tuple[Any, ...]) -> tuple[int, ...]:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    return tuple(int(s) for s in size)


def _float_dtype(dtype: Any) -> np.dtype:
    return _default_float.np if dtype is None else _np_dtype(dtype)


def zeros(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False
          ) -> Tensor:
    _devices.check(device)
    return _new(np.zeros(_shape(size), _float_dtype(dtype)), requires_grad)


def ones(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False
         ) -> Tensor:
    _devices.check(device)
    return _new(np.ones(_shape(size), _float_dtype(dtype)), requires_grad)


def empty(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False
          ) -> Tensor:
    """A tensor of the given shape; torch leaves its values unset, vibrastic fills it with 0."""
    return zeros(*size, dtype=dtype, device=device, requires_grad=requires_grad)


def full(size: Any, fill_value: float, dtype: Any = None, device: Any = None,
         requires_grad: bool = False) -> Tensor:
    """A tensor of ``fill_value``; its dtype follows the value (int64, bool or float), as torch."""
    _devices.check(device)
    np_dtype = _infer(fill_value).dtype if dtype is None else _np_dtype(dtype)
    return _new(np.full(_shape((size,)), fill_value, np_dtype), requires_grad)


def eye(n: int, m: int | None = None, *, dtype: Any = None, device: Any = None,
        requires_grad: bool = False) -> Tensor:
    """The n×m identity matrix (square when m is None)."""
    _devices.check(device)
    return _new(np.eye(n, m, dtype=_float_dtype(dtype)), requires_grad)


def _triangle_indices(name: str, row: int, col: int, offset: int, dtype: Any,
                      device: Any) -> Tensor:
    _devices.check(device)
    np_dtype = np.dtype(np.int64) if dtype is None else _np_dtype(dtype)
    if np_dtype.kind not in "iu":
        kind = {"float16": "Half", "float32": "Float", "float64": "Double", "bool": "Bool"}
        raise NotImplementedError(f'"{name}" not implemented for '
                                  f"'{kind.get(np_dtype.name, np_dtype.name)}'")
    for what, n in (("row", row), ("col", col)):
        if n < 0:
            raise RuntimeError(f"{what} must be non-negative, got{n}")
    rows, cols = (np.tril_indices if name == "tril_indices" else np.triu_indices)(row, offset,
                                                                               col)
    return _new(np.stack([rows, cols]).astype(np_dtype))


def tril_indices(row: int, col: int, offset: int = 0, *, dtype: Any = None, device: Any = None,
                 layout: Any = None) -> Tensor:
    """The (row, column) indices of a row×col matrix's lower triangle (on and below
    ``offset``), as a 2×N int64 tensor, row by row: ``x[..., i[0], i[1]]`` picks them."""
    return _triangle_indices("tril_indices", row, col, offset, dtype, device)


def triu_indices(row: int, col: int, offset: int = 0, *, dtype: Any = None, device: Any = None,
                 layout: Any = None) -> Tensor:
    """The (row, column) indices of the upper triangle (on and above ``offset``)."""
    return _triangle_indices("triu_indices", row, col, offset, dtype, device)


def _like(t: Tensor, dtype: Any) -> np.dtype:
    return t._data.dtype if dtype is None else _np_dtype(dtype)


def zeros_like(input: Tensor, dtype: Any = None, device: Any = None,
               requires_grad: bool = False) -> Tensor:
    _devices.check(device)
    return _new(np.zeros(input._data.shape, _like(input, dtype)), requires_grad)


def ones_like(input: Tensor, dtype: Any = None, device: Any = None,
              requires_grad: bool = False) -> Tensor:
    _devices.check(device)
    return _new(np.ones(input._data.shape, _like(input, dtype)), requires_grad)


def empty_like(input: Tensor, dtype: Any = None, device: Any = None,
               requires_grad: bool = False) -> Tensor:
    return zeros_like(input, dtype, device, requires_grad)


def full_like(input: Tensor, fill_value: float, dtype: Any = None, device: Any = None,
              requires_grad: bool = False) -> Tensor:
    _devices.check(device)
    return _new(np.full(input._data.shape, fill_value, _like(input, dtype)), requires_grad)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with a NumPy array (keeps its dtype)."""
    return _new(array)


def arange(
    start: float, end: float | None = None, step: float = 1, dtype: Any = None,
    device: Any = None, requires_grad: bool = False,
) -> Tensor:
    """Values from start to end (exclusive); int64 for integer arguments, as torch."""
    _devices.check(device)
    if end is None:
        start, end = 0, start
    is_int = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
    default = np.int64 if is_int else _default_float.np
    arr = np.arange(start, end, step).astype(default if dtype is None else _np_dtype(dtype))
    return _new(arr, requires_grad)


def linspace(start: float, end: float, steps: int, dtype: Any = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    _devices.check(device)
    return _new(np.linspace(start, end, steps).astype(_float_dtype(dtype)), requires_grad)


def logspace(start: float, end: float, steps: int, base: float = 10.0, dtype: Any = None,
             device: Any = None, requires_grad: bool = False) -> Tensor:
    """base ** linspace(start, end, steps)."""
    _devices.check(device)
    return _new(np.logspace(start, end, steps, base=base).astype(_float_dtype(dtype)),
                requires_grad)


def _legacy(name: str, dtype: dtype) -> Any:
    """torch.FloatTensor & co.: from data (``FloatTensor([1, 2])``) or a shape (``(2, 3)``)."""

    def make(*args: Any) -> Tensor:
        if args and all(isinstance(a, (int, np.integer)) and not isinstance(a, bool)
                        for a in args):
            return zeros(*args, dtype=dtype)
        return tensor(args[0] if args else [], dtype=dtype)

    make.__name__ = make.__qualname__ = name
    make.__doc__ = f"A {dtype.name} tensor from data or a shape (torch's legacy {name})."
    return make


# ---- random numbers: drawn from vibrastic.random's generators ----


def manual_seed(seed: int) -> _random.Generator:
    """Seed vibrastic's global generator (reproducible within vibrastic; not torch's numbers)."""
    return _random.manual_seed(seed)


def rand(*size: Any, generator: _random.Generator | None = None, dtype: Any = None,
         device: Any = None, requires_grad: bool = False) -> Tensor:
    """Uniform samples in [0, 1)."""
    _devices.check(device)
    arr = _random.current(generator).uniform(_shape(size), 0.0, 1.0, _float_dtype(dtype))
    return _new(arr, requires_grad)


def randn(*size: Any, generator: _random.Generator | None = None, dtype: Any = None,
          device: Any = None, requires_grad: bool = False) -> Tensor:
    """Standard normal samples."""
    _devices.check(device)
    arr = _random.current(generator).normal(_shape(size), 0.0, 1.0, _float_dtype(dtype))
    return _new(arr, requires_grad)


def randint(low: int, high: Any = None, size: Any = None, *,
            generator: _random.Generator | None = None, dtype: Any = None, device: Any = None,
            requires_grad: bool = False) -> Tensor:
    """Integers in [low, high): ``randint(high, size)`` or ``randint(low, high, size)``."""
    _devices.check(device)
    if size is None and isinstance(high, (tuple, list)):  # randint(high, size)
        low, high, size = 0, low, high
    elif high is None:
        low, high = 0, low
    arr = _random.current(generator).integers(int(low), int(high), _shape((size or (),)))
    return _new(arr.astype(np.int64 if dtype is None else _np_dtype(dtype)), requires_grad)


def randperm(n: int, *, generator: _random.Generator | None = None, dtype: Any = None,
             device: Any = None, requires_grad: bool = False) -> Tensor:
    """A random ordering of 0..n-1 (int64)."""
    _devices.check(device)
    arr = _random.current(generator).permutation(int(n))
    return _new(arr.astype(np.int64 if dtype is None else _np_dtype(dtype)), requires_grad)


def multinomial(input: Tensor, num_samples: int, replacement: bool = False, *,
                generator: _random.Generator | None = None) -> Tensor:
    """``num_samples`` class indices per row of non-negative weights ``input`` (1-D or 2-D), as
    torch draws them: one sample, or any number without replacement, is the argmax (top k) of
    weight / Exp(1) noise; with replacement, each sample inverts the cumulative weights at a
    float64 uniform. Same generator calls as torch, so a seeded torch and vibrastic agree."""
    data = input._data
    if data.dtype.kind != "f":
        kind = {"i": "Long" if data.itemsize == 8 else "Int", "u": "Byte", "b": "Bool"}
        raise RuntimeError("multinomial only supports floating-point dtypes for input, got: "
                           f"{kind[data.dtype.kind]}")
    if data.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    n_categories = data.shape[-1]
    if not replacement and num_samples > n_categories:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without "
                           "replacement")
    rows = data.reshape(-1, n_categories)
    if not (np.isfinite(rows).all() and (rows >= 0).all()):
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    if (rows.sum(-1) <= 0).any():
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    gen = _random.current(generator)
    if not replacement or num_samples == 1:
        scores = rows / gen.exponential(data.shape, data.dtype).reshape(rows.shape)
        if num_samples == 1:
            drawn = scores.argmax(-1)[:, None]
        else:
            drawn = np.argsort(-scores, axis=-1, kind="stable")[:, :num_samples]
    else:
        u = gen.uniform((rows.shape[0], num_samples), 0.0, 1.0, np.dtype(np.float64))
        cdf = np.cumsum(rows.astype(np.float64), axis=-1)
        cdf /= cdf[:, -1:]
        drawn = np.stack([np.searchsorted(c, row_u, side="left") for c, row_u in zip(
            cdf, u, strict=True)])
    return _new(drawn.astype(np.int64).reshape((*data.shape[:-1], num_samples)))


def bernoulli(input: Tensor, p: float | None = None, *,
              generator: _random.Generator | None = None) -> Tensor:
    """1 with probability ``p`` (or each element's probability in ``input``), else 0, in
    ``input``'s shape and float dtype. A sample: it never requires grad."""
    data = input._data
    if data.dtype.kind != "f":
        raise NotImplementedError(f'"bernoulli" is not implemented for {input.dtype}: '
                                  f"probabilities must be a float tensor")
    if p is None:
        if not ((data >= 0) & (data <= 1)).all():
            raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.")
        probs: Any = data
    elif not 0 <= p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p}")
    else:
        probs = p
    return _new(_random.current(generator).bernoulli(probs, data.shape, data.dtype))


def normal(mean: Any, std: Any = 1.0, size: Any = None, *,
           generator: _random.Generator | None = None, dtype: Any = None, device: Any = None,
           requires_grad: bool = False) -> Tensor:
    """Samples from N(mean, std²): scalars with a ``size``, or tensors of means and stds."""
    _devices.check(device)
    m, sd = _to_numpy(mean), _to_numpy(std)
    if size is not None:
        shape = _shape((size,))
        target = _float_dtype(dtype)
    else:
        shape = np.broadcast_shapes(np.shape(m), np.shape(sd))
        floats = [a.dtype for a in (m, sd) if isinstance(a, np.ndarray) and a.ndim]
        target = floats[0] if floats and dtype is None else _float_dtype(dtype)
    arr = _random.current(generator).normal(shape, m, sd, target)
    return _new(arr, requires_grad)


def rand_like(input: Tensor, dtype: Any = None, device: Any = None,
              requires_grad: bool = False) -> Tensor:
    return rand(*input.shape, dtype=_like(input, dtype), device=device,
                requires_grad=requires_grad)


def randn_like(input: Tensor, dtype: Any = None, device: Any = None,
               requires_grad: bool = False) -> Tensor:
    return randn(*input.shape, dtype=_like(input, dtype), device=device,
                 requires_grad=requires_grad)


def generator() -> _random.Generator:
    """The global generator, for library code that samples (e.g. init)."""
    return _random.default_generator


FloatTensor, DoubleTensor, HalfTensor = (_legacy(n, d) for n, d in (
    ("FloatTensor", float32), ("DoubleTensor", float64), ("HalfTensor", float16)))
LongTensor, IntTensor, ByteTensor, BoolTensor = (_legacy(n, d) for n, d in (
    ("LongTensor", int64), ("IntTensor", int32), ("ByteTensor", uint8), ("BoolTensor", bool_)))

TensorLike = Tensor | float | int | bool | np.ndarray
Dims = int | Sequence[int] | None

# ops.py and autograd.py build on Tensor, so they are imported once it exists.
from vibrastic import autograd, ops, printing, special  # noqa: E402
