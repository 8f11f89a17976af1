"""Every differentiable tensor op: its forward on NumPy arrays and, next to it, its gradient rule.

Each op returns ``record(result, parents, backward, name)`` (see ``autograd.py``).
``backward(g)`` receives the gradient of the op's output and returns one gradient per parent
(None where not needed). Gradients may keep the broadcast shape: ``autograd.run_backward``
reduces them to each parent's shape in one place (``unbroadcast``). The fused losses built on
these ops live in ``nn/functional.py``; ``Tensor``'s operators and methods call these functions.
"""

from __future__ import annotations

import builtins
from collections import namedtuple
from collections.abc import Sequence
from typing import Any

import numpy as np

from vibrastic import blas
from vibrastic import tensor as _t
from vibrastic.autograd import _GradMode, record
from vibrastic.tensor import Tensor, TensorLike, _new


def _arr(x: TensorLike) -> Any:
    """The array behind a tensor; Python scalars pass through (NumPy keeps them 'weak')."""
    return x._data if isinstance(x, Tensor) else x


def _binary(
    data: np.ndarray, a: TensorLike, b: TensorLike, da: Any, db: Any, name: str, saves: bool = True
) -> Tensor:
    """Wrap a broadcasting binary op whose gradient rules are ``da(g)`` and ``db(g)``."""
    if data.dtype is _F64 and _t._default_float is _t.float32 and not _any_f64(a, b):
        data = data.astype(np.float32)  # int tensor with a Python float: torch gives float32
    if isinstance(a, Tensor):
        if isinstance(b, Tensor):
            return record(data, (a, b), lambda g: (
                da(g) if a.requires_grad else None, db(g) if b.requires_grad else None
            ), name, saves)
        return record(data, (a,), lambda g: (da(g),), name, saves)
    if isinstance(b, Tensor):
        return record(data, (b,), lambda g: (db(g),), name, saves)
    return _new(np.asarray(data))


def _any_f64(a: TensorLike, b: TensorLike) -> bool:
    return any(isinstance(v, (Tensor, np.ndarray)) and _arr(v).dtype == np.float64 for v in (a, b))


_F64 = np.dtype(np.float64)


# ---- arithmetic ----


def add(a: TensorLike, b: TensorLike) -> Tensor:
    """a + b."""
    return _binary(_arr(a) + _arr(b), a, b, lambda g: g, lambda g: g, "Add", saves=False)


def sub(a: TensorLike, b: TensorLike) -> Tensor:
    """a - b."""
    return _binary(_arr(a) - _arr(b), a, b, lambda g: g, lambda g: -g, "Sub", saves=False)


def mul(a: TensorLike, b: TensorLike) -> Tensor:
    """a * b: d/da = b, d/db = a."""
    x, y = _arr(a), _arr(b)  # saves its inputs, even a Python number, as torch
    return _binary(x * y, a, b, lambda g: g * y, lambda g: g * x, "Mul")


def div(a: TensorLike, b: TensorLike) -> Tensor:
    """a / b: d/da = 1/b, d/db = -a/b²."""
    x, y = _arr(a), _arr(b)
    return _binary(
        np.true_divide(x, y), a, b, lambda g: g / y, lambda g: -g * x / (y * y), "Div"
    )


def pow(a: TensorLike, b: TensorLike) -> Tensor:
    """a ** b: d/da = b·a^(b-1), d/db = a^b·ln(a)."""
    x, y = _arr(a), _arr(b)
    if (type(y) is int or type(y) is float) and (y == 2 or y == 3) and isinstance(x, np.ndarray) \
            and x.dtype.kind in ("f" if type(y) is float else "fiu"):
        # x², x³ by multiplication, as torch computes them (np.power costs twice as much)
        if y == 2:
            return _binary(x * x, a, b, lambda g: g * 2 * x, None, "Pow")
        return _binary(x * x * x, a, b, lambda g: g * 3 * (x * x), None, "Pow")
    out = np.power(x, y)

    def da(g: np.ndarray) -> np.ndarray:
        if np.ndim(y) == 0 and y != 0:
            return g * y * np.power(x, y - 1)
        with np.errstate(divide="ignore", invalid="ignore"):  # 0 where b == 0, as torch
            return g * np.where(y == 0, 0.0, y * np.power(x, y - 1))

    def db(g: np.ndarray) -> np.ndarray:
        if np.ndim(x) == 0 and x > 0:
            return g * out * np.log(x)
        with np.errstate(divide="ignore", invalid="ignore"):  # 0 where a == 0 <= b, as torch
            return g * np.where((x == 0) & (y >= 0), 0.0, out * np.log(x))

    return _binary(out, a, b, da, db, "Pow")


def remainder(a: TensorLike, b: TensorLike) -> Tensor:
    """a % b (sign of b, as Python and torch): d/da = 1, d/db = -floor(a / b)."""
    x, y = _arr(a), _arr(b)
    return _binary(np.remainder(x, y), a, b, lambda g: g, lambda g: -g * np.floor_divide(x, y),
                   "Remainder")


def neg(a: Tensor) -> Tensor:
    """-a."""
    return record(-a._data, (a,), lambda g: (-g,), "Neg", saves=False)


_COMPARABLE = (Tensor, np.ndarray, np.generic, int, float, bool)


def _compare(op: Any) -> Any:
    def compare(a: TensorLike, b: TensorLike) -> Tensor:
        if not isinstance(b, _COMPARABLE):  # x.grad == None is False, as in torch
            return NotImplemented
        return _new(np.asarray(op(_arr(a), _arr(b))))

    compare.__doc__ = f"Elementwise {op.__name__}, a bool tensor (not differentiable)."
    return compare


lt, le, gt, ge = (_compare(f) for f in (np.less, np.less_equal, np.greater, np.greater_equal))
eq, ne = _compare(np.equal), _compare(np.not_equal)


def logical_not(a: Tensor) -> Tensor:
    """~a: elementwise not (a bool tensor)."""
    return _new(np.logical_not(a._data))


def logical_and(a: TensorLike, b: TensorLike) -> Tensor:
    """a & b: elementwise and (a bool tensor)."""
    return _new(np.asarray(np.logical_and(_arr(a), _arr(b))))


def logical_or(a: TensorLike, b: TensorLike) -> Tensor:
    """a | b: elementwise or (a bool tensor)."""
    return _new(np.asarray(np.logical_or(_arr(a), _arr(b))))


def floor_divide(a: TensorLike, b: TensorLike) -> Tensor:
    """a // b, rounded down (not differentiable, as torch)."""
    return _new(np.asarray(np.floor_divide(_arr(a), _arr(b))))


# ---- elementwise functions ----


def _float(x: np.ndarray) -> np.ndarray:
    """Integer and bool values become the default float dtype first, as in torch's float ops."""
    return x if x.dtype.kind == "f" else x.astype(_t._default_float.np)


def exp(a: Tensor) -> Tensor:
    """e^a: its derivative is itself."""
    out = np.exp(_float(a._data))
    return record(out, (a,), lambda g: (g * out,), "Exp")


def log(a: Tensor) -> Tensor:
    """Natural log: d/da = 1/a."""
    x = _float(a._data)
    return record(np.log(x), (a,), lambda g: (g / x,), "Log")


def sqrt(a: Tensor) -> Tensor:
    """√a: d/da = 1/(2√a)."""
    out = np.sqrt(_float(a._data))
    return record(out, (a,), lambda g: (g / (2 * out),), "Sqrt")


def abs(a: Tensor) -> Tensor:
    """|a|: d/da = sign(a) (0 at 0, as torch)."""
    x = a._data
    return record(np.abs(x), (a,), lambda g: (g * np.sign(x),), "Abs")


def sin(a: Tensor) -> Tensor:
    x = _float(a._data)
    return record(np.sin(x), (a,), lambda g: (g * np.cos(x),), "Sin")


def cos(a: Tensor) -> Tensor:
    x = _float(a._data)
    return record(np.cos(x), (a,), lambda g: (-g * np.sin(x),), "Cos")


def tanh(a: Tensor) -> Tensor:
    """tanh(a): d/da = 1 - tanh²(a)."""
    out = np.tanh(_float(a._data))
    return record(out, (a,), lambda g: (g * (1 - out * out),), "Tanh")


def _expit(x: np.ndarray) -> np.ndarray:
    """σ(x) = 1 / (1 + e^-x), as SciPy and torch compute it; never NaN.

    For very negative x (below -88 in float32, -709 in float64) e^-x overflows to inf and σ
    becomes 0, which is σ(x) rounded to the dtype: that overflow is expected, so not warned about.
    """
    with np.errstate(over="ignore"):
        return np.reciprocal(1 + np.exp(-x))  # = 1 / (...), without a Python scalar's cost


def sigmoid(a: Tensor) -> Tensor:
    """1 / (1 + e^-a), computed without overflow: d/da = σ(a)(1 - σ(a))."""
    out = _expit(_float(a._data))
    return record(out, (a,), lambda g: (g * out * (1 - out),), "Sigmoid")


def relu(a: Tensor) -> Tensor:
    """max(0, a): the gradient is 1 where a > 0 and 0 elsewhere (0 at 0, as torch)."""
    x = a._data
    return record(np.maximum(x, 0), (a,), lambda g: (g * (x > 0),), "Relu")


def leaky_relu(a: Tensor, negative_slope: float = 0.01) -> Tensor:
    """a where a > 0, else negative_slope·a (the deck's slide prints max(0, x): see errata)."""
    x = a._data
    pos = x > 0
    return record(
        np.where(pos, x, x * negative_slope),
        (a,), lambda g: (np.where(pos, g, g * negative_slope),), "LeakyRelu",
    )


def clamp(a: Tensor, min: float | None = None, max: float | None = None) -> Tensor:
    """Limit values to [min, max]; the gradient passes where min <= a <= max."""
    x = a._data
    out = np.clip(x, min, max)
    keep = (out == x)
    return record(out, (a,), lambda g: (g * keep,), "Clamp")


def where(condition: TensorLike, a: TensorLike, b: TensorLike) -> Tensor:
    """Pick a where condition holds, else b."""
    c = np.asarray(_arr(condition), dtype=bool)
    zero = np.zeros((), dtype=np.result_type(_arr(a), _arr(b)))
    return _binary(
        np.where(c, _arr(a), _arr(b)), a, b,
        lambda g: np.where(c, g, zero), lambda g: np.where(c, zero, g), "Where",
    )


def maximum(a: Tensor, b: Tensor) -> Tensor:
    """Elementwise max; ties share the gradient equally, as torch."""
    x, y = _arr(a), _arr(b)
    wa = (x > y) + 0.5 * (x == y)
    return _binary(np.maximum(x, y), a, b, lambda g: g * wa, lambda g: g * (1 - wa), "Maximum")


def minimum(a: Tensor, b: Tensor) -> Tensor:
    """Elementwise min; ties share the gradient equally, as torch."""
    x, y = _arr(a), _arr(b)
    wa = (x < y) + 0.5 * (x == y)
    return _binary(np.minimum(x, y), a, b, lambda g: g * wa, lambda g: g * (1 - wa), "Minimum")


# ---- reductions ----


def _axes(dim: int | Sequence[int] | None, ndim: int) -> tuple[int, ...]:
    if dim is None:
        return tuple(range(ndim))
    if ndim == 0:  # a 0-d tensor accepts dim 0 or -1 and has nothing to reduce
        return ()
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    return tuple(d % ndim for d in dims)


def _expand_back(g: np.ndarray, axes: tuple[int, ...], keepdim: bool, shape: tuple) -> np.ndarray:
    """Broadcast a reduced gradient back over the reduced axes."""
    if not keepdim and shape:
        g = np.expand_dims(g, axes)
    return np.broadcast_to(g, shape)


def sum(a: Tensor, dim: int | Sequence[int] | None = None, keepdim: bool = False) -> Tensor:
    """Sum over ``dim`` (all elements when None); every input gets the output's gradient."""
    x = a._data
    axes = _axes(dim, x.ndim)
    out = x.sum(axis=axes, keepdims=keepdim)
    if out.dtype == np.bool_ or out.dtype.kind in "iu":
        out = out.astype(np.int64)
    shape = x.shape
    return record(
        np.asarray(out), (a,), lambda g: (_expand_back(g, axes, keepdim, shape),), "Sum",
        saves=False,
    )


def mean(a: Tensor, dim: int | Sequence[int] | None = None, keepdim: bool = False) -> Tensor:
    """Mean over ``dim``; every input gets the output's gradient divided by the count."""
    x = a._data
    if x.dtype.kind != "f":
        raise RuntimeError(
            "mean(): could not infer output dtype. "
            f"Input dtype must be floating point, got {a.dtype}"
        )
    axes = _axes(dim, x.ndim)
    n = int(np.prod([x.shape[i] for i in axes])) if x.ndim else 1
    shape = x.shape
    return record(
        np.asarray(x.mean(axis=axes, keepdims=keepdim)), (a,),
        lambda g: (_expand_back(g / n, axes, keepdim, shape),), "Mean", saves=False,
    )


def var(a: Tensor, dim: int | Sequence[int] | None = None, *, correction: int = 1,
        keepdim: bool = False) -> Tensor:
    """Variance Σ(x - mean)² / (n - correction) (unbiased by default, as torch); composed of
    differentiable ops, so it needs no gradient rule of its own."""
    axes = _axes(dim, a._data.ndim)
    n = int(np.prod([a._data.shape[i] for i in axes])) if axes else 1
    centred = sub(a, mean(a, dim=axes, keepdim=True))
    squares = sum(mul(centred, centred), dim=axes, keepdim=keepdim)
    return div(squares, builtins.max(n - correction, 0))


def std(a: Tensor, dim: int | Sequence[int] | None = None, *, correction: int = 1,
        keepdim: bool = False) -> Tensor:
    """Standard deviation: the square root of ``var``."""
    return sqrt(var(a, dim, correction=correction, keepdim=keepdim))


MaxResult = namedtuple("MaxResult", ["values", "indices"])


def _extreme(a: Tensor, dim: Any, keepdim: bool, largest: bool) -> Any:
    x = a._data
    name = "Max" if largest else "Min"
    if isinstance(dim, Tensor):  # torch.max(a, b) is the elementwise maximum
        return maximum(a, dim) if largest else minimum(a, dim)
    if dim is None:  # ties share the gradient equally, as torch does for a full reduction
        out = x.max() if largest else x.min()
        hits = x == out
        share = hits / hits.sum()
        return record(np.asarray(out), (a,), lambda g: (g * share,), name)
    axis = dim % x.ndim if x.ndim else 0
    idx = np.argmax(x, axis=axis) if largest else np.argmin(x, axis=axis)
    idx_k = np.expand_dims(idx, axis) if x.ndim else idx
    values = np.take_along_axis(x, idx_k, axis) if x.ndim else x.copy()

    def backward(g: np.ndarray) -> tuple[np.ndarray]:
        gx = np.zeros_like(x)
        if not x.ndim:
            return (g + gx,)
        np.put_along_axis(gx, idx_k, g if keepdim else np.expand_dims(g, axis), axis)
        return (gx,)

    vals = values if keepdim or not x.ndim else np.squeeze(values, axis)
    indices = idx_k if keepdim else idx
    return MaxResult(
        record(np.asarray(vals), (a,), backward, name), _new(np.asarray(indices, np.int64))
    )


def max(a: Tensor, dim: Any = None, keepdim: bool = False) -> Any:
    """The largest value; with ``dim``, (values, indices) along it; with a tensor, elementwise."""
    return _extreme(a, dim, keepdim, largest=True)


def min(a: Tensor, dim: Any = None, keepdim: bool = False) -> Any:
    """The smallest value; with ``dim``, (values, indices) along it; with a tensor, elementwise."""
    return _extreme(a, dim, keepdim, largest=False)


def argmax(a: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    x = a._data
    if dim is None:
        return _new(np.asarray(np.argmax(x, keepdims=keepdim), np.int64))
    return _new(np.argmax(x, axis=dim, keepdims=keepdim).astype(np.int64))


def argmin(a: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    x = a._data
    if dim is None:
        return _new(np.asarray(np.argmin(x, keepdims=keepdim), np.int64))
    return _new(np.argmin(x, axis=dim, keepdims=keepdim).astype(np.int64))


# ---- shapes ----


def reshape(a: Tensor, *shape: Any) -> Tensor:
    """The same values in a new shape (-1 infers one dimension)."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    x = a._data
    try:
        out = x.reshape(shape)
    except ValueError:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {x.size}") from None
    src = x.shape
    return record(out, (a,), lambda g: (g.reshape(src),), "Reshape", saves=False)


def transpose(a: Tensor, dim0: int, dim1: int) -> Tensor:
    """Swap two dimensions."""
    return record(
        np.swapaxes(a._data, dim0, dim1), (a,), lambda g: (np.swapaxes(g, dim0, dim1),),
        "Transpose", saves=False,
    )


def permute(a: Tensor, *dims: Any) -> Tensor:
    """Reorder the dimensions."""
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = tuple(dims[0])
    dims = tuple(d % a._data.ndim for d in dims)  # negative dims count from the end
    inverse = np.argsort(dims)
    return record(
        np.transpose(a._data, dims), (a,), lambda g: (np.transpose(g, inverse),), "Permute",
        saves=False,
    )


def t(a: Tensor) -> Tensor:
    """Reverse the dimensions (``.T``)."""
    return record(a._data.T, (a,), lambda g: (g.T,), "Permute", saves=False)


def unsqueeze(a: Tensor, dim: int) -> Tensor:
    """Insert a dimension of size 1 at ``dim``."""
    return reshape(a, np.expand_dims(a._data, dim).shape)


def squeeze(a: Tensor, dim: int | Sequence[int] | None = None) -> Tensor:
    """Drop dimensions of size 1 (only those in ``dim``, an int or a tuple, when given)."""
    x = a._data
    if dim is None:
        return reshape(a, tuple(s for s in x.shape if s != 1))
    dims = {d % x.ndim for d in ((dim,) if isinstance(dim, int) else dim)} if x.ndim else set()
    return reshape(a, tuple(s for i, s in enumerate(x.shape) if not (i in dims and s == 1)))


def flatten(a: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dimensions start_dim..end_dim into one."""
    shape = a._data.shape
    if not shape:
        return reshape(a, (1,))
    s, e = start_dim % len(shape), end_dim % len(shape)
    return reshape(a, (*shape[:s], int(np.prod(shape[s : e + 1])), *shape[e + 1 :]))


def expand(a: Tensor, *sizes: Any) -> Tensor:
    """Broadcast to a larger shape (-1 keeps a dimension)."""
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    x = a._data
    lead = len(sizes) - x.ndim
    shape = tuple(x.shape[i - lead] if s == -1 else s for i, s in enumerate(sizes))
    return record(np.broadcast_to(x, shape), (a,), lambda g: (g,), "Expand", saves=False)


def _index(idx: Any) -> Any:
    if isinstance(idx, tuple):
        return tuple(_arr(i) for i in idx)
    return _arr(idx)


def _is_advanced(idx: Any) -> bool:
    items = idx if isinstance(idx, tuple) else (idx,)
    return any(isinstance(i, (np.ndarray, list)) for i in items)


def getitem(a: Tensor, idx: Any) -> Tensor:
    """Indexing and slicing; the gradient flows back to the selected elements."""
    idx = _index(idx)
    x = a._data
    out = x[idx]
    advanced = _is_advanced(idx)

    def backward(g: np.ndarray) -> tuple[np.ndarray]:
        gx = np.zeros_like(x)
        if advanced:
            np.add.at(gx, idx, g)  # repeated indices accumulate
        else:
            gx[idx] = g
        return (gx,)

    return record(np.array(out) if advanced else np.asarray(out), (a,), backward, "Index",
                        saves=advanced)


_GRAPH_INPLACE = (
    "vibrastic can't change a tensor in place when it or the new values are part of the graph "
    "(torch can); build the values out of place instead, e.g. h = h * 3, or with where(), "
    "cat() or stack()"
)


def setitem(a: Tensor, idx: Any, value: TensorLike) -> None:
    """In-place assignment, allowed outside the graph (as torch)."""
    if _GradMode.enabled and (a.requires_grad or getattr(value, "requires_grad", False)):
        if a.requires_grad and a._ctx is None:
            raise RuntimeError(
                "a leaf Variable that requires grad is being used in an in-place operation."
            )
        raise RuntimeError(_GRAPH_INPLACE)  # copying the values would silently drop gradients
    a._data[_index(idx)] = _arr(value)


def _inplace(op: Any, ufunc: np.ufunc, method: bool) -> Any:
    """``a op= b`` and ``a.add_(b)``: update a's values in place, as torch.

    The manual update ``with no_grad(): w -= lr * w.grad`` must change the parameter itself.
    Where the graph needs the result (a or b requires grad while recording), the operator form
    rebinds the name to an out-of-place result (``h *= 3`` then reads as ``h = h * 3``); the
    method form (``h.mul_(3)``), whose result is usually ignored, raises rather than silently
    leave ``h`` unchanged. A leaf that requires grad can't be changed in place (torch's error).
    """

    def iop(a: Tensor, b: TensorLike, *, alpha: float | None = None) -> Tensor:
        if alpha is not None:
            b = mul(b, alpha)
        if _GradMode.enabled and (a.requires_grad or getattr(b, "requires_grad", False)):
            if a.requires_grad and a._ctx is None:
                raise RuntimeError(
                    "a leaf Variable that requires grad is being used in an in-place operation."
                )
            if method:
                raise RuntimeError(_GRAPH_INPLACE)
            return op(a, b)
        ufunc(a._data, _arr(b), out=a._data, casting="same_kind")
        return a

    return iop


add_, iadd = _inplace(add, np.add, method=True), _inplace(add, np.add, method=False)
sub_, isub = _inplace(sub, np.subtract, method=True), _inplace(sub, np.subtract, method=False)
mul_, imul = _inplace(mul, np.multiply, method=True), _inplace(mul, np.multiply, method=False)
div_, itruediv = (_inplace(div, np.true_divide, method=True),
                  _inplace(div, np.true_divide, method=False))


def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join tensors along an existing dimension."""
    tensors = tuple(tensors)
    arrays = [t._data for t in tensors]
    axis = dim % arrays[0].ndim
    bounds = np.cumsum([x.shape[axis] for x in arrays])[:-1]
    return record(
        np.concatenate(arrays, axis=axis), tensors,
        lambda g: tuple(np.split(g, bounds, axis=axis)), "Cat", saves=False,
    )


def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join same-shaped tensors along a new dimension."""
    tensors = tuple(tensors)
    out = np.stack([t._data for t in tensors], axis=dim)
    axis = dim % out.ndim
    return record(
        out, tensors, lambda g: tuple(np.moveaxis(g, axis, 0)), "Stack", saves=False
    )


# ---- matrix products ----


def _mm(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """x @ y; a product big enough to be threaded gets its BLAS thread count from blas.py."""
    if x.size * y.shape[-1] < _UNTOUCHED:
        return x @ y
    return blas.matmul(x, y)


_UNTOUCHED = blas.UNTOUCHED


def matmul(a: Tensor, b: Tensor) -> Tensor:
    """Matrix product with NumPy's rules for 1-D and batched operands."""
    x, y = a._data, b._data
    if x.ndim == 0 or y.ndim == 0:
        raise RuntimeError("both arguments to matmul need to be at least 1D, "
                           f"but they are {x.ndim}D and {y.ndim}D")
    if x.shape[-1] != y.shape[0 if y.ndim == 1 else -2]:
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({_fmt(x.shape)} and {_fmt(y.shape)})"
        )
    if x.dtype != y.dtype:
        raise RuntimeError(
            f"expected both operands to have the same dtype, but got {a.dtype} and {b.dtype}"
        )
    if x.ndim == 2 and y.ndim == 2:
        return record(_mm(x, y), (a, b), lambda g: (
            _mm(g, y.T) if a.requires_grad else None, _mm(x.T, g) if b.requires_grad else None
        ), "Mm")

    def backward(g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if x.ndim == 1 and y.ndim == 1:
            return g * y, g * x
        xm = x[None, :] if x.ndim == 1 else x
        ym = y[:, None] if y.ndim == 1 else y
        gm = g
        if x.ndim == 1:
            gm = np.expand_dims(gm, -2)
        if y.ndim == 1:
            gm = np.expand_dims(gm, -1)
        gx = _mm(gm, np.swapaxes(ym, -1, -2))
        gy = _mm(np.swapaxes(xm, -1, -2), gm)
        return (gx[..., 0, :] if x.ndim == 1 else gx), (gy[..., 0] if y.ndim == 1 else gy)

    try:
        out = _mm(x, y)
    except ValueError:  # batch dimensions that don't broadcast
        raise RuntimeError(
            f"matmul: batch dimensions of {_fmt(x.shape)} and {_fmt(y.shape)} don't broadcast"
        ) from None
    return record(np.asarray(out), (a, b), backward, "MatMul")


def _fmt(shape: tuple[int, ...]) -> str:
    return "x".join(map(str, shape)) or "scalar"


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """input @ weightᵀ + bias, fused: weight has shape (out_features, in_features)."""
    x, w = input._data, weight._data
    if x.shape[-1:] != w.shape[1:]:
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({_fmt(x.shape)} and {_fmt(w.T.shape)})"
        )
    if x.dtype != w.dtype:
        raise RuntimeError(
            f"mat1 and mat2 must have the same dtype, but got {input.dtype} and {weight.dtype}"
        )
    out = _mm(x, w.T)
    if bias is not None:
        out += bias._data

    def backward(g: np.ndarray) -> tuple[np.ndarray | None, ...]:
        g2 = g.reshape(-1, w.shape[0]) if g.ndim != 2 else g
        gx = _mm(g, w) if input.requires_grad else None
        gw = _mm(g2.T, x.reshape(-1, w.shape[1])) if weight.requires_grad else None
        if bias is None:
            return gx, gw
        return gx, gw, (g2.sum(axis=0) if len(g2) != 1 else g2[0])  # one row: its own sum

    parents = (input, weight) if bias is None else (input, weight, bias)
    return record(out, parents, backward, "Addmm")


# ---- softmax ----


def softmax(a: Tensor, dim: int) -> Tensor:
    """e^a / Σ e^a along ``dim``, shifted by the max so it never overflows."""
    x = a._data
    e = np.exp(x - x.max(axis=dim, keepdims=True))
    s = e / e.sum(axis=dim, keepdims=True)
    return record(
        s, (a,), lambda g: (s * (g - (g * s).sum(axis=dim, keepdims=True)),), "Softmax"
    )


def _log_softmax(x: np.ndarray, dim: int) -> np.ndarray:
    shifted = x - x.max(axis=dim, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=dim, keepdims=True))


def log_softmax(a: Tensor, dim: int) -> Tensor:
    """log(softmax(a)) computed as a - max - log Σ e^(a - max)."""
    out = _log_softmax(a._data, dim)
    return record(
        out, (a,), lambda g: (g - np.exp(out) * g.sum(axis=dim, keepdims=True),), "LogSoftmax"
    )
