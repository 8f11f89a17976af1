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


float32 = dtype("float32", np.float32)
float64 = dtype("float64", np.float64)
int32 = dtype("int32", np.int32)
int64 = dtype("int64", np.int64)
uint8 = dtype("uint8", np.uint8)
bool_ = dtype("bool", np.bool_)
_DTYPES = {d.np: d for d in (float32, float64, int32, int64, uint8, bool_)}
_default_float = float32


def set_default_dtype(d: dtype) -> None:
    """Set the floating-point dtype that Python floats become (float32 unless changed)."""
    global _default_float
    if d not in (float32, float64):
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

_sequence = itertools.count()  # numbers tensors in creation order (autograd's heap uses it)
_ONES: dict[tuple[tuple[int, ...], np.dtype], np.ndarray] = {}  # backward()'s seeds, by shape


class Tensor:
    """An n-dimensional array that can record the ops applied to it and differentiate them.

    ``Tensor(data)`` makes a float tensor from a list, as ``torch.Tensor`` does; prefer
    ``vibrastic.tensor(data, dtype=None, requires_grad=False)``.
    """

    __slots__ = ("__weakref__", "_ctx", "_data", "_retains_grad", "_seq", "grad", "requires_grad")

    # _ctx is None for a leaf, else (parents, backward, name, saves_tensors).
    # _seq numbers tensors in creation order: an op's output always comes after its inputs.
    _ctx: tuple[tuple[Tensor, ...], autograd.Backward, str, bool] | None

    def __init__(self, data: Any = (), *, requires_grad: bool = False) -> None:
        arr = np.array(data._data if isinstance(data, Tensor) else data, dtype=_default_float.np)
        _init(self, arr, requires_grad)

    # ---- attributes ----
    @property
    def shape(self) -> tuple[int, ...]:
        return self._data.shape

    def size(self, dim: int | None = None) -> tuple[int, ...] | int:
        """The shape, or the length of one dimension."""
        return self._data.shape if dim is None else self._data.shape[dim]

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def dim(self) -> int:
        return self._data.ndim

    def numel(self) -> int:
        return int(self._data.size)

    @property
    def dtype(self) -> dtype:
        return _DTYPES[self._data.dtype]

    @property
    def is_leaf(self) -> bool:
        return self._ctx is None

    @property
    def grad_fn(self) -> autograd.GradFn | None:
        """The op that made this tensor (None for leaves): ``name()``, ``next_functions``."""
        return None if self._ctx is None else autograd.GradFn(self)

    @property
    def data(self) -> Tensor:
        """A tensor sharing this one's memory, outside the graph (prefer ``detach()``)."""
        return self.detach()

    @data.setter
    def data(self, value: Tensor) -> None:
        """``w.data = t`` (and ``w.data -= step``) replaces the values, outside the graph."""
        self._data = _to_numpy(value)

    @property
    def device(self) -> str:
        return "cpu"

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
        body = np.array2string(
            self._data, precision=4, separator=", ", prefix="tensor(", floatmode="maxprec_equal"
        )
        extras = []
        if self._data.dtype not in (_default_float.np, np.int64, np.bool_):
            extras.append(f"dtype={self.dtype}")
        if self._ctx is not None:
            extras.append(f"grad_fn=<{self._ctx[2]}Backward>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + ", ".join([body, *extras]) + ")"

    # ---- dtype conversion (differentiable) ----
    def to(self, dtype: Any = None, *args: Any, **kwargs: Any) -> Tensor:
        """Convert to ``dtype`` (devices other than "cpu" are not available)."""
        if isinstance(dtype, str) and dtype == "cpu":  # to("cpu") or to("cpu", dtype)
            dtype = args[0] if args else None
        dtype = kwargs.pop("dtype", dtype)
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

    def cpu(self) -> Tensor:
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

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor after ``backward`` (leaves always keep it)."""
        if not self.requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        self._retains_grad = True

    def zero_(self) -> Tensor:
        """Fill with zeros in place (e.g. ``x.grad.zero_()`` between backward passes)."""
        self._data[...] = 0
        return self

    def fill_(self, value: float) -> Tensor:
        self._data[...] = value
        return self

    def copy_(self, src: Any) -> Tensor:
        """Copy values from a tensor, array or torch tensor, keeping this tensor's dtype."""
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
    def neg(self) -> Tensor: return ops.neg(self)
    def square(self) -> Tensor: return ops.mul(self, self)
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
    def softmax(self, dim: int) -> Tensor: return ops.softmax(self, dim)
    def log_softmax(self, dim: int) -> Tensor: return ops.log_softmax(self, dim)

    # ---- reductions ----
    def sum(self, dim: Dims = None, keepdim: bool = False) -> Tensor:
        return ops.sum(self, dim, keepdim)
    def mean(self, dim: Dims = None, keepdim: bool = False) -> Tensor:
        return ops.mean(self, dim, keepdim)
    def var(self, dim: Dims = None, *, correction: int = 1, keepdim: bool = False) -> Tensor:
        return ops.var(self, dim, correction=correction, keepdim=keepdim)
    def std(self, dim: Dims = None, *, correction: int = 1, keepdim: bool = False) -> Tensor:
        return ops.std(self, dim, correction=correction, keepdim=keepdim)
    def max(self, dim: Any = None, keepdim: bool = False) -> Any: return ops.max(self, dim, keepdim)
    def min(self, dim: Any = None, keepdim: bool = False) -> Any: return ops.min(self, dim, keepdim)
    def argmax(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        return ops.argmax(self, dim, keepdim)
    def argmin(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        return ops.argmin(self, dim, keepdim)

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
    def __getitem__(self, idx: Any) -> Tensor: return ops.getitem(self, idx)
    def __setitem__(self, idx: Any, value: TensorLike) -> None: ops.setitem(self, idx, value)


# --------------------------------------------------------------------------------------------
# creation
# --------------------------------------------------------------------------------------------


def _init(t: Tensor, data: np.ndarray, requires_grad: bool) -> None:
    t._data = data
    t.grad = None
    t._ctx = None
    t._retains_grad = False
    t._seq = next(_sequence)
    t.requires_grad = False
    if requires_grad:
        t.requires_grad_(True)


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
    if isinstance(data, np.ndarray):
        return data.copy()
    if hasattr(data, "detach") and hasattr(data, "numpy"):
        return data.detach().cpu().numpy().copy()
    if isinstance(data, (list, tuple)) and any(isinstance(x, Tensor) for x in data):
        data = [x.tolist() if isinstance(x, Tensor) else x for x in data]
    arr = np.array(data)
    if dtype is not None:
        return arr.astype(dtype)
    if arr.dtype.kind == "f":
        return arr.astype(_default_float.np)
    if arr.dtype.kind in "iu":
        return arr.astype(np.int64)
    if arr.dtype.kind == "b":
        return arr
    raise TypeError(f"can't convert {type(data).__name__} of {arr.dtype} to a tensor")


def tensor(data: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A new leaf tensor holding a copy of ``data`` (floats become the default float dtype)."""
    target = None if dtype is None else _np_dtype(dtype)
    arr = _infer(data, target)
    if target is not None and arr.dtype != target:
        arr = arr.astype(target)
    return _new(arr, requires_grad)


def _shape(size: tuple[Any, ...]) -> tuple[int, ...]:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    return tuple(int(s) for s in size)


def _float_dtype(dtype: Any) -> np.dtype:
    return _default_float.np if dtype is None else _np_dtype(dtype)


def zeros(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _new(np.zeros(_shape(size), _float_dtype(dtype)), requires_grad)


def ones(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _new(np.ones(_shape(size), _float_dtype(dtype)), requires_grad)


def full(size: Any, fill_value: float, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ``fill_value``; its dtype follows the value (int64, bool or float), as torch."""
    np_dtype = _infer(fill_value).dtype if dtype is None else _np_dtype(dtype)
    return _new(np.full(_shape((size,)), fill_value, np_dtype), requires_grad)


def zeros_like(t: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _new(np.zeros_like(t._data, dtype=None if dtype is None else _np_dtype(dtype)),
                requires_grad)


def ones_like(t: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _new(np.ones_like(t._data, dtype=None if dtype is None else _np_dtype(dtype)),
                requires_grad)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with a NumPy array (keeps its dtype)."""
    return _new(array)


def arange(
    start: float, end: float | None = None, step: float = 1, dtype: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Values from start to end (exclusive); int64 for integer arguments, as torch."""
    if end is None:
        start, end = 0, start
    is_int = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
    default = np.int64 if is_int else _default_float.np
    arr = np.arange(start, end, step).astype(default if dtype is None else _np_dtype(dtype))
    return _new(arr, requires_grad)


def linspace(start: float, end: float, steps: int, dtype: Any = None) -> Tensor:
    return _new(np.linspace(start, end, steps).astype(_float_dtype(dtype)))


# ---- random numbers: one generator, seeded by manual_seed ----
_rng = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Seed vibrastic's random numbers (they differ from torch's for the same seed)."""
    global _rng
    _rng = np.random.default_rng(seed)
    return _rng


def rand(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Uniform samples in [0, 1)."""
    return _new(_rng.random(_shape(size)).astype(_float_dtype(dtype)), requires_grad)


def randn(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Standard normal samples."""
    return _new(_rng.standard_normal(_shape(size)).astype(_float_dtype(dtype)), requires_grad)


def randint(low: int, high: int | None = None, size: Any = (), dtype: Any = None) -> Tensor:
    if high is None:
        low, high = 0, low
    arr = _rng.integers(low, high, size=_shape((size,)))
    return _new(arr.astype(np.int64 if dtype is None else _np_dtype(dtype)))


def randperm(n: int) -> Tensor:
    return _new(_rng.permutation(n).astype(np.int64))


def generator() -> np.random.Generator:
    """The generator behind rand/randn, for library code that samples (e.g. init)."""
    return _rng


TensorLike = Tensor | float | int | bool | np.ndarray
Dims = int | Sequence[int] | None

# ops.py and autograd.py build on Tensor, so they are imported once it exists.
from vibrastic import autograd, ops  # noqa: E402
