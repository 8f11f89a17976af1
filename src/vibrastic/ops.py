"""Every differentiable tensor op: its forward on NumPy arrays and, next to it, its gradient rule.

Parameters carry torch's names (``input``, ``other``, ``dim``, ...), so keyword calls such as
``vb.add(input=x, other=y)`` work as in torch; in the gradient rules, a and b name the first and
second operand.

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
from vibrastic.autograd import _GradMode, change_in_place, record
from vibrastic.tensor import Tensor, TensorLike, _new


def _arr(x: TensorLike) -> Any:
    """The array behind a tensor; Python scalars pass through (NumPy keeps them 'weak')."""
    return x._data if isinstance(x, Tensor) else x


_CATEGORY = {"b": 0, "i": 1, "u": 1, "f": 2, "c": 3}  # torch's order: bool < int < float < complex


def zero_dim_result_type(dimensioned: np.dtype, zero_dim: np.dtype) -> np.dtype:
    """torch's result dtype for a dimensioned tensor beside a 0-d one.

    torch treats a 0-d tensor like a number: it changes the result dtype only when its category
    is higher (float32 n-d + float64 0-d -> float32; int64 n-d + float32 0-d -> float32), where
    NumPy promotes as for any two arrays (float64 for both).
    """
    if _CATEGORY[zero_dim.kind] <= _CATEGORY[dimensioned.kind]:
        return dimensioned
    return zero_dim if dimensioned.kind in "biu" else np.promote_types(dimensioned, zero_dim)


def torch_dtype(x: Any, y: Any) -> np.dtype | None:
    """The dtype torch computes a binary op in, where NumPy would compute it in another; None
    where they agree. ``x`` and ``y`` are arrays (anything with ``dtype`` and ``shape``) or
    Python numbers. Where they differ:

    * a 0-d tensor beside a dimensioned one (``zero_dim_result_type``);
    * tensors of different categories (int64 with float32: torch float32, NumPy float64);
    * an integer or bool tensor with a Python float: torch converts the tensor to the default
      float dtype first, NumPy computes in float64 (vibrastic then rounded to float32, which
      can differ from torch in the last bit).
    """
    x_array, y_array = _is_array(x), _is_array(y)
    if x_array and y_array:
        if x.dtype == y.dtype:
            return None
        x_0d, y_0d = len(x.shape) == 0, len(y.shape) == 0
        if x_0d is not y_0d:
            return zero_dim_result_type(x.dtype, y.dtype) if y_0d else \
                zero_dim_result_type(y.dtype, x.dtype)
        cx, cy = _CATEGORY[x.dtype.kind], _CATEGORY[y.dtype.kind]
        return None if cx == cy else (x.dtype if cx > cy else y.dtype)
    if x_array is y_array:  # two numbers
        return None
    array, number = (x, y) if x_array else (y, x)
    return _t._default_float.np if isinstance(number, float) and array.dtype.kind in "biu" \
        else None


def _is_array(v: Any) -> bool:
    """An array operand (NumPy's, or the compiler's value of one); a NumPy scalar counts as a
    number, as torch takes it (``np.float64`` is a Python float)."""
    return hasattr(v, "dtype") and not isinstance(v, np.generic)


def _number(v: Any) -> Any:
    """A NumPy scalar beside a tensor as the Python number it holds: torch takes it as one
    (computing in the tensor's dtype), where NumPy would compute in the scalar's own."""
    return v.item() if isinstance(v, np.generic) else v


def _operands(a: TensorLike, b: TensorLike) -> tuple[Any, Any]:
    """The arrays (or numbers) behind a binary op's operands, cast first where torch computes
    in another dtype than NumPy would (``torch_dtype``); NumPy scalars as Python numbers. The
    common cases (one dtype; a float tensor and a Python number) return at once."""
    if isinstance(a, Tensor):
        x = a._data
        if isinstance(b, Tensor):
            if x.dtype is b._data.dtype:
                return x, b._data
        elif type(b) in _PLAIN and x.dtype.kind == "f":
            return x, b
    elif isinstance(b, Tensor):
        if type(a) in _PLAIN and b._data.dtype.kind == "f":
            return a, b._data
    else:
        return a, b
    x, y = _number(_arr(a)), _number(_arr(b))
    dtype = torch_dtype(x, y)
    if dtype is None:
        return x, y
    return (x.astype(dtype, copy=False) if _is_array(x) else x,
            y.astype(dtype, copy=False) if _is_array(y) else y)


_PLAIN = (int, float)  # Python numbers: NumPy computes in a float array's dtype with them


def _shape_error(error: ValueError, *operands: Any, out: tuple[int, ...] | None = None
                 ) -> Exception:
    """torch's RuntimeError for operands whose shapes don't broadcast, else NumPy's ``error``.

    NumPy's ValueError is caught rather than shapes checked before each op (no cost when they
    fit). The shapes are folded left to right and aligned from the right, as torch does, and the
    message names the right-most mismatch: "The size of tensor a (2) must match the size of
    tensor b (3) at non-singleton dimension 0". ``out``: an in-place op's own shape, which the
    broadcast shape must equal.
    """
    shape: tuple[int, ...] = np.shape(operands[0])
    for other in operands[1:]:
        b = np.shape(other)
        n = builtins.max(len(shape), len(b))
        pa, pb = (1,) * (n - len(shape)) + shape, (1,) * (n - len(b)) + b
        for i in reversed(range(n)):
            if pa[i] != pb[i] and pa[i] != 1 and pb[i] != 1:
                return RuntimeError(f"The size of tensor a ({pa[i]}) must match the size of "
                                    f"tensor b ({pb[i]}) at non-singleton dimension {i}")
        shape = np.broadcast_shapes(shape, b)
    if out is not None and shape != out:
        return RuntimeError(f"output with shape {list(out)} doesn't match the broadcast shape "
                            f"{list(shape)}")
    return error


def _binary(
    data: np.ndarray, a: TensorLike, b: TensorLike, da: Any, db: Any, name: str, saves: bool = True
) -> Tensor:
    """Wrap a broadcasting binary op whose gradient rules are ``da(g)`` and ``db(g)``."""
    if data.dtype is _F64 and _t._default_float is _t.float32 and not _any_f64(a, b):
        data = data.astype(np.float32)  # int tensor with a Python float: torch gives float32
    if isinstance(a, Tensor):
        if isinstance(b, Tensor):
            ra, rb = a.requires_grad, b.requires_grad  # (not a and b: they may change in place)
            return record(data, (a, b), lambda g: (
                da(g) if ra else None, db(g) if rb else None
            ), name, saves)
        return record(data, (a,), lambda g: (da(g),), name, saves)
    if isinstance(b, Tensor):
        return record(data, (b,), lambda g: (db(g),), name, saves)
    return _new(np.asarray(data))


def _any_f64(a: TensorLike, b: TensorLike) -> bool:
    return builtins.any(isinstance(v, (Tensor, np.ndarray)) and _arr(v).dtype == np.float64
                        for v in (a, b))


_F64 = np.dtype(np.float64)


# ---- arithmetic ----


def add(input: TensorLike, other: TensorLike) -> Tensor:
    """a + b."""
    x, y = _operands(input, other)
    try:
        data = x + y
    except ValueError as e:
        raise _shape_error(e, x, y) from None
    return _binary(data, input, other, lambda g: g, lambda g: g, "Add", saves=False)


def sub(input: TensorLike, other: TensorLike) -> Tensor:
    """a - b."""
    x, y = _operands(input, other)
    try:
        data = x - y
    except ValueError as e:
        raise _shape_error(e, x, y) from None
    return _binary(data, input, other, lambda g: g, lambda g: -g, "Sub", saves=False)


def mul(input: TensorLike, other: TensorLike) -> Tensor:
    """a * b: d/da = b, d/db = a."""
    x, y = _operands(input, other)  # saves its inputs, even a Python number, as torch
    try:
        data = x * y
    except ValueError as e:
        raise _shape_error(e, x, y) from None
    return _binary(data, input, other, lambda g: g * y, lambda g: g * x, "Mul")


def div(input: TensorLike, other: TensorLike) -> Tensor:
    """a / b: d/da = 1/b, d/db = -a/b²."""
    x, y = _operands(input, other)
    try:
        data = np.true_divide(x, y)
    except ValueError as e:
        raise _shape_error(e, x, y) from None
    return _binary(data, input, other, lambda g: g / y, lambda g: -g * x / (y * y), "Div")


def pow(input: TensorLike, exponent: TensorLike) -> Tensor:
    """a ** b: d/da = b·a^(b-1), d/db = a^b·ln(a)."""
    x, y = _operands(input, exponent)
    if (type(y) is int or type(y) is float) and (y == 2 or y == 3) and isinstance(x, np.ndarray) \
            and x.dtype.kind in ("f" if type(y) is float else "fiu"):
        # x², x³ by multiplication, as torch computes them (np.power costs twice as much)
        if y == 2:
            return _binary(x * x, input, exponent, lambda g: g * 2 * x, None, "Pow")
        return _binary(x * x * x, input, exponent, lambda g: g * 3 * (x * x), None, "Pow")
    try:
        out = np.power(x, y)
    except ValueError as e:
        if not _negative_integer_power(x, y):
            raise _shape_error(e, x, y) from None
        out = _integer_power(x, y)

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

    return _binary(out, input, exponent, da, db, "Pow")


def _negative_integer_power(x: Any, y: Any) -> bool:
    """Integers to a negative integer power, which NumPy refuses (a ValueError)."""
    return np.result_type(x, y).kind in "biu" and bool(np.any(np.asarray(y) < 0))


def _integer_power(x: Any, y: Any) -> np.ndarray:
    """torch's integer power where some exponents are negative: a tensor of exponents gives
    1 for a base of 1, ±1 for -1 (by the exponent's parity) and 0 for any other base; a
    number as the exponent is refused, with torch's message."""
    if not isinstance(y, np.ndarray):
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    negative = y < 0
    out = np.power(x, np.where(negative, 0, y))
    minus_one = np.where(y % 2 == 0, 1, -1)
    small = np.where(x == 1, 1, np.where(x == -1, minus_one, 0))
    return np.where(negative, small, out).astype(out.dtype, copy=False)


def remainder(input: TensorLike, other: TensorLike) -> Tensor:
    """a % b (sign of b, as Python and torch): d/da = 1, d/db = -floor(a / b)."""
    x, y = _operands(input, other)
    try:
        data = np.remainder(x, y)
    except ValueError as e:
        raise _shape_error(e, x, y) from None
    return _binary(data, input, other, lambda g: g, lambda g: -g * np.floor_divide(x, y),
                   "Remainder")


def neg(input: Tensor) -> Tensor:
    """-a."""
    return record(-input._data, (input,), lambda g: (-g,), "Neg", saves=False)


_COMPARABLE = (Tensor, np.ndarray, np.generic, int, float, bool)


def _compare(op: Any) -> Any:
    def compare(input: TensorLike, other: TensorLike) -> Tensor:
        if not isinstance(other, _COMPARABLE):  # x.grad == None is False, as in torch
            return NotImplemented
        x, y = _operands(input, other)  # compared in torch's result dtype, as torch
        try:
            return _new(np.asarray(op(x, y)))
        except ValueError as e:
            raise _shape_error(e, x, y) from None

    compare.__doc__ = f"Elementwise {op.__name__}, a bool tensor (not differentiable)."
    return compare


lt, le, gt, ge = (_compare(f) for f in (np.less, np.less_equal, np.greater, np.greater_equal))
eq, ne = _compare(np.equal), _compare(np.not_equal)


def logical_not(input: Tensor) -> Tensor:
    """~a: elementwise not (a bool tensor)."""
    return _new(np.logical_not(input._data))


def logical_and(input: TensorLike, other: TensorLike) -> Tensor:
    """a & b: elementwise and (a bool tensor)."""
    x, y = _arr(input), _arr(other)
    try:
        return _new(np.asarray(np.logical_and(x, y)))
    except ValueError as e:
        raise _shape_error(e, x, y) from None


def logical_or(input: TensorLike, other: TensorLike) -> Tensor:
    """a | b: elementwise or (a bool tensor)."""
    x, y = _arr(input), _arr(other)
    try:
        return _new(np.asarray(np.logical_or(x, y)))
    except ValueError as e:
        raise _shape_error(e, x, y) from None


def floor_divide(input: TensorLike, other: TensorLike) -> Tensor:
    """a // b, rounded down (not differentiable, as torch)."""
    x, y = _operands(input, other)
    try:
        return _new(np.asarray(np.floor_divide(x, y)))
    except ValueError as e:
        raise _shape_error(e, x, y) from None


# ---- elementwise functions ----


def _float(x: np.ndarray) -> np.ndarray:
    """Integer and bool values become the default float dtype first, as in torch's float ops."""
    return x if x.dtype.kind == "f" else x.astype(_t._default_float.np)


def exp(input: Tensor) -> Tensor:
    """e^a: its derivative is itself."""
    out = np.exp(_float(input._data))
    return record(out, (input,), lambda g: (g * out,), "Exp")


def log(input: Tensor) -> Tensor:
    """Natural log: d/da = 1/a."""
    x = _float(input._data)
    return record(np.log(x), (input,), lambda g: (g / x,), "Log")


def sqrt(input: Tensor) -> Tensor:
    """√a: d/da = 1/(2√a)."""
    out = np.sqrt(_float(input._data))
    return record(out, (input,), lambda g: (g / (2 * out),), "Sqrt")


def abs(input: Tensor) -> Tensor:
    """|a|: d/da = sign(a) (0 at 0, as torch)."""
    x = input._data
    return record(np.abs(x), (input,), lambda g: (g * np.sign(x),), "Abs")


def sin(input: Tensor) -> Tensor:
    x = _float(input._data)
    return record(np.sin(x), (input,), lambda g: (g * np.cos(x),), "Sin")


def cos(input: Tensor) -> Tensor:
    x = _float(input._data)
    return record(np.cos(x), (input,), lambda g: (-g * np.sin(x),), "Cos")


def tanh(input: Tensor) -> Tensor:
    """tanh(a): d/da = 1 - tanh²(a)."""
    out = np.tanh(_float(input._data))
    return record(out, (input,), lambda g: (g * (1 - out * out),), "Tanh")


def _expit(x: np.ndarray) -> np.ndarray:
    """σ(x) = 1 / (1 + e^-x), as SciPy and torch compute it; never NaN.

    For very negative x (below -88 in float32, -709 in float64) e^-x overflows to inf and σ
    becomes 0, which is σ(x) rounded to the dtype: that overflow is expected, so not warned about.
    """
    with np.errstate(over="ignore"):
        return np.reciprocal(1 + np.exp(-x))  # = 1 / (...), without a Python scalar's cost


def sigmoid(input: Tensor) -> Tensor:
    """1 / (1 + e^-a), computed without overflow: d/da = σ(a)(1 - σ(a))."""
    out = _expit(_float(input._data))
    return record(out, (input,), lambda g: (g * out * (1 - out),), "Sigmoid")


def relu(input: Tensor) -> Tensor:
    """max(0, a): the gradient is 1 where a > 0 and 0 elsewhere (0 at 0, as torch)."""
    x = input._data
    out = np.maximum(x, _zero_row(x)) if x.dtype.kind == "f" and x.ndim else np.maximum(x, 0)
    return record(out, (input,), lambda g: (g * (out > 0),), "Relu")  # torch keeps the result


_zero_rows: dict[tuple[int, np.dtype], np.ndarray] = {}


def _zero_row(x: np.ndarray) -> np.ndarray:
    """A row of zeros for ``x``'s last axis, made once: NumPy's maximum against a zeros array
    takes a quicker loop than against the number 0 (up to 2x below a few MB), same result."""
    key = (x.shape[-1], x.dtype)
    row = _zero_rows.get(key)
    if row is None:
        row = _zero_rows[key] = np.zeros(x.shape[-1], x.dtype)
        row.flags.writeable = False
    return row


def leaky_relu(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    """a where a > 0, else negative_slope·a (the deck's slide prints max(0, x): see errata)."""
    x = input._data
    pos = x > 0
    return record(
        np.where(pos, x, x * negative_slope),
        (input,), lambda g: (np.where(pos, g, g * negative_slope),), "LeakyRelu",
    )


def clamp(input: Tensor, min: float | None = None, max: float | None = None) -> Tensor:
    """Limit values to [min, max]; the gradient passes where min <= a <= max."""
    x = input._data
    out = np.clip(x, min, max)
    keep = (out == x)
    return record(out, (input,), lambda g: (g * keep,), "Clamp")


def where(condition: TensorLike, input: TensorLike, other: TensorLike) -> Tensor:
    """Pick a where condition holds, else b."""
    c = np.asarray(_arr(condition), dtype=bool)
    x, y = _operands(input, other)
    try:
        data = np.where(c, x, y)
    except ValueError as e:
        raise _shape_error(e, c, x, y) from None
    zero = np.zeros((), dtype=np.result_type(x, y))
    return _binary(data, input, other, lambda g: np.where(c, g, zero),
                   lambda g: np.where(c, zero, g), "Where")


def maximum(input: Tensor, other: Tensor) -> Tensor:
    """Elementwise max; ties share the gradient equally, as torch."""
    x, y = _operands(input, other)
    try:
        wa = (x > y) + 0.5 * (x == y)
    except ValueError as e:
        raise _shape_error(e, x, y) from None
    return _binary(np.maximum(x, y), input, other, lambda g: g * wa, lambda g: g * (1 - wa),
                   "Maximum")


def minimum(input: Tensor, other: Tensor) -> Tensor:
    """Elementwise min; ties share the gradient equally, as torch."""
    x, y = _operands(input, other)
    try:
        wa = (x < y) + 0.5 * (x == y)
    except ValueError as e:
        raise _shape_error(e, x, y) from None
    return _binary(np.minimum(x, y), input, other, lambda g: g * wa, lambda g: g * (1 - wa),
                   "Minimum")


# ---- reductions ----


def _dim(dim: Any, axis: Any) -> Any:
    """torch accepts NumPy's ``axis=`` for ``dim=``."""
    return dim if axis is None else axis


def _wrap_dim(dim: int, ndim: int) -> int:
    """``dim`` as a non-negative axis, or torch's IndexError when it is out of range."""
    n = builtins.max(ndim, 1)  # a 0-d tensor accepts dim 0 or -1
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                         f"but got {dim})")
    return dim % n


def _axes(dim: int | Sequence[int] | None, ndim: int) -> tuple[int, ...]:
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    axes = tuple(_wrap_dim(d, ndim) for d in dims)
    return () if ndim == 0 else axes  # a 0-d tensor has nothing to reduce


def _expand_back(g: np.ndarray, axes: tuple[int, ...], keepdim: bool, shape: tuple) -> np.ndarray:
    """Broadcast a reduced gradient back over the reduced axes."""
    if not keepdim and shape:
        g = np.expand_dims(g, axes)
    return np.broadcast_to(g, shape)


def sum(input: Tensor, dim: int | Sequence[int] | None = None, keepdim: bool = False, *,
        dtype: Any = None, axis: Any = None) -> Tensor:
    """Sum over ``dim`` (all elements when None); every input gets the output's gradient."""
    dim = _dim(dim, axis)
    if dtype is not None:
        input = input.to(dtype)
    x = input._data
    axes = _axes(dim, x.ndim)
    out = x.sum(axis=axes, keepdims=keepdim)
    if out.dtype == np.bool_ or out.dtype.kind in "iu":
        out = out.astype(np.int64)
    shape = x.shape
    return record(
        np.asarray(out), (input,), lambda g: (_expand_back(g, axes, keepdim, shape),), "Sum",
        saves=False,
    )


def mean(input: Tensor, dim: int | Sequence[int] | None = None, keepdim: bool = False, *,
         dtype: Any = None, axis: Any = None) -> Tensor:
    """Mean over ``dim``; every input gets the output's gradient divided by the count."""
    dim = _dim(dim, axis)
    if dtype is not None:
        input = input.to(dtype)
    x = input._data
    if x.dtype.kind != "f":
        raise RuntimeError(
            "mean(): could not infer output dtype. "
            f"Input dtype must be floating point, got {input.dtype}"
        )
    axes = _axes(dim, x.ndim)
    n = int(np.prod([x.shape[i] for i in axes])) if x.ndim else 1
    shape = x.shape
    return record(
        np.asarray(x.mean(axis=axes, keepdims=keepdim)), (input,),
        lambda g: (_expand_back(g / n, axes, keepdim, shape),), "Mean", saves=False,
    )


def var(input: Tensor, dim: int | Sequence[int] | None = None, *, correction: int = 1,
        keepdim: bool = False, unbiased: bool | None = None, axis: Any = None) -> Tensor:
    """Variance Σ(x - mean)² / (n - correction) (unbiased by default, as torch); composed of
    differentiable ops, so it needs no gradient rule of its own."""
    dim = _dim(dim, axis)
    if unbiased is not None:  # the older spelling: unbiased=False is correction=0
        correction = int(unbiased)
    axes = _axes(dim, input._data.ndim)
    n = int(np.prod([input._data.shape[i] for i in axes])) if axes else 1
    centred = sub(input, mean(input, dim=axes, keepdim=True))
    squares = sum(mul(centred, centred), dim=axes, keepdim=keepdim)
    return div(squares, builtins.max(n - correction, 0))


def std(input: Tensor, dim: int | Sequence[int] | None = None, *, correction: int = 1,
        keepdim: bool = False, unbiased: bool | None = None, axis: Any = None) -> Tensor:
    """Standard deviation: the square root of ``var``."""
    return sqrt(var(input, dim, correction=correction, keepdim=keepdim, unbiased=unbiased,
                    axis=axis))


MaxResult = namedtuple("MaxResult", ["values", "indices"])


def _extreme(input: Tensor, dim: Any, keepdim: bool, largest: bool) -> Any:
    x = input._data
    name = "Max" if largest else "Min"
    if isinstance(dim, Tensor):  # torch.max(a, b) is the elementwise maximum
        return maximum(input, dim) if largest else minimum(input, dim)
    if dim is None:  # ties share the gradient equally, as torch does for a full reduction
        out = x.max() if largest else x.min()
        hits = x == out
        share = hits / hits.sum()
        return record(np.asarray(out), (input,), lambda g: (g * share,), name)
    axis = _wrap_dim(dim, x.ndim)
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
        record(np.asarray(vals), (input,), backward, name), _new(np.asarray(indices, np.int64))
    )


def max(input: Tensor, dim: Any = None, keepdim: bool = False, *, other: Any = None,
        axis: Any = None) -> Any:
    """The largest value; with ``dim``, (values, indices) along it; with a tensor, elementwise."""
    return _extreme(input, _dim(dim, axis) if other is None else other, keepdim, largest=True)


def min(input: Tensor, dim: Any = None, keepdim: bool = False, *, other: Any = None,
        axis: Any = None) -> Any:
    """The smallest value; with ``dim``, (values, indices) along it; with a tensor, elementwise."""
    return _extreme(input, _dim(dim, axis) if other is None else other, keepdim, largest=False)


def argmax(input: Tensor, dim: int | None = None, keepdim: bool = False, *,
           axis: Any = None) -> Tensor:
    """The index of the largest value (of the flattened tensor when dim is None)."""
    dim = _dim(dim, axis)
    if dim is not None:
        _wrap_dim(dim, input._data.ndim)
    x = input._data
    if dim is None:
        return _new(np.asarray(np.argmax(x, keepdims=keepdim), np.int64))
    return _new(np.argmax(x, axis=dim, keepdims=keepdim).astype(np.int64))


def argmin(input: Tensor, dim: int | None = None, keepdim: bool = False, *,
           axis: Any = None) -> Tensor:
    """The index of the smallest value (of the flattened tensor when dim is None)."""
    dim = _dim(dim, axis)
    if dim is not None:
        _wrap_dim(dim, input._data.ndim)
    x = input._data
    if dim is None:
        return _new(np.asarray(np.argmin(x, keepdims=keepdim), np.int64))
    return _new(np.argmin(x, axis=dim, keepdims=keepdim).astype(np.int64))


# ---- shapes ----


def reshape(input: Tensor, *shape: Any, _name: str = "View") -> Tensor:
    """The same values in a new shape (-1 infers one dimension)."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    x = input._data
    try:
        out = x.reshape(shape)
    except ValueError:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {x.size}") from None
    src = x.shape
    return record(out, (input,), lambda g: (g.reshape(src),), _name, saves=False)


def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    """Swap two dimensions."""
    dim0, dim1 = _wrap_dim(dim0, input._data.ndim), _wrap_dim(dim1, input._data.ndim)
    return record(
        np.swapaxes(input._data, dim0, dim1), (input,), lambda g: (np.swapaxes(g, dim0, dim1),),
        "Transpose", saves=False,
    )


def permute(input: Tensor, *dims: Any) -> Tensor:
    """Reorder the dimensions."""
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = tuple(dims[0])
    dims = tuple(d % input._data.ndim for d in dims)  # negative dims count from the end
    inverse = np.argsort(dims)
    return record(
        np.transpose(input._data, dims), (input,), lambda g: (np.transpose(g, inverse),), "Permute",
        saves=False,
    )


def t(input: Tensor) -> Tensor:
    """Reverse the dimensions (``.T``)."""
    return record(input._data.T, (input,), lambda g: (g.T,), "Permute", saves=False)


def unsqueeze(input: Tensor, dim: int) -> Tensor:
    """Insert a dimension of size 1 at ``dim``."""
    _wrap_dim(dim, input._data.ndim + 1)
    return reshape(input, np.expand_dims(input._data, dim).shape, _name="Unsqueeze")


def squeeze(input: Tensor, dim: int | Sequence[int] | None = None) -> Tensor:
    """Drop dimensions of size 1 (only those in ``dim``, an int or a tuple, when given)."""
    x = input._data
    if dim is None:
        return reshape(input, tuple(s for s in x.shape if s != 1), _name="Squeeze")
    dims = {_wrap_dim(d, x.ndim) for d in ((dim,) if isinstance(dim, int) else dim)}
    dims = dims if x.ndim else set()
    return reshape(input, tuple(s for i, s in enumerate(x.shape) if not (i in dims and s == 1)),
                   _name="Squeeze")


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dimensions start_dim..end_dim into one."""
    shape = input._data.shape
    if not shape:
        return reshape(input, (1,))
    s, e = _wrap_dim(start_dim, len(shape)), _wrap_dim(end_dim, len(shape))
    return reshape(input, (*shape[:s], int(np.prod(shape[s : e + 1])), *shape[e + 1 :]))


def expand(input: Tensor, *sizes: Any) -> Tensor:
    """Broadcast to a larger shape (-1 keeps a dimension)."""
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    x = input._data
    lead = len(sizes) - x.ndim
    shape = tuple(x.shape[i - lead] if s == -1 else s for i, s in enumerate(sizes))
    try:
        out = np.broadcast_to(x, shape)
    except ValueError:
        raise _expand_error(shape, x.shape) from None
    return record(out, (input,), lambda g: (g,), "Expand", saves=False)


def _expand_error(shape: tuple[int, ...], have: tuple[int, ...]) -> RuntimeError:
    """torch's message for a shape ``have`` cannot be expanded to (the right-most clash)."""
    if len(shape) < len(have):
        return RuntimeError(f"expand: the number of sizes provided ({len(shape)}) must be "
                            f"greater or equal to the number of dimensions in the tensor "
                            f"({len(have)})")
    lead = len(shape) - len(have)
    i = builtins.max(i for i in range(len(have)) if have[i] not in (1, shape[i + lead]))
    return RuntimeError(f"The expanded size of the tensor ({shape[i + lead]}) must match the "
                        f"existing size ({have[i]}) at non-singleton dimension {i + lead}.  "
                        f"Target sizes: {list(shape)}.  Tensor sizes: {list(have)}")


def _index(idx: Any) -> Any:
    if isinstance(idx, tuple):
        return tuple(_arr(i) for i in idx)
    return _arr(idx)


def _is_advanced(idx: Any) -> bool:
    items = idx if isinstance(idx, tuple) else (idx,)
    return builtins.any(isinstance(i, (np.ndarray, list)) for i in items)


def _index_name(idx: Any, advanced: bool) -> str:
    """torch's node names: Index (advanced), Slice (slices), Select (integers)."""
    if advanced:
        return "Index"
    items = idx if isinstance(idx, tuple) else (idx,)
    simple = builtins.all(isinstance(i, (int, np.integer)) for i in items)
    return "Select" if simple else "Slice"


def getitem(a: Tensor, idx: Any) -> Tensor:
    """Indexing and slicing; the gradient flows back to the selected elements."""
    idx = _index(idx)
    x = a._data
    out = x[idx]
    advanced = _is_advanced(idx)

    shape, dtype = x.shape, x.dtype  # (not x: only its shape is needed)

    def backward(g: np.ndarray) -> tuple[np.ndarray]:
        gx = np.zeros(shape, dtype)
        if advanced:
            np.add.at(gx, idx, g)  # repeated indices accumulate
        else:
            gx[idx] = g
        return (gx,)

    return record(np.array(out) if advanced else np.asarray(out), (a,), backward,
                  _index_name(idx, advanced), saves=advanced)


_GRAPH_INPLACE = (
    "vibrastic can't change a tensor in place when it or the new values are part of the graph "
    "(torch can); build the values out of place instead, e.g. h = h * 3, or with where(), "
    "cat() or stack()"
)
_LEAF_INPLACE = "a leaf Variable that requires grad is being used in an in-place operation."


def _in_graph(a: Tensor, *others: Any, leaf_error: str = _LEAF_INPLACE) -> bool:
    """Whether an in-place change of ``a`` (to values made from ``others``) is part of the
    graph; a leaf that requires grad can't be changed in place while recording (torch's error)."""
    if not _GradMode.enabled:
        return False
    if a.requires_grad:
        if a._ctx is None:
            raise RuntimeError(leaf_error)
        return True
    return builtins.any(isinstance(o, Tensor) and o.requires_grad for o in others)


def setitem(a: Tensor, idx: Any, value: TensorLike) -> None:
    """``a[idx] = value``; inside the graph it records torch's CopySlices node."""
    write(a, _index(idx), value, leaf_error="a view of " + _LEAF_INPLACE)


def write(a: Tensor, index: Any, value: TensorLike, name: str = "CopySlices",
          leaf_error: str = _LEAF_INPLACE) -> Tensor:
    """``a[index] = value`` in place (setitem, zero_, fill_, copy_); inside the graph ``a``
    becomes the node ``name`` (torch's CopySlices, ZeroBackward0, ...)."""
    if _in_graph(a, value, leaf_error=leaf_error):
        return change_in_place(a, lambda before: _put(before, index, value, name))
    _put_values(a._data, index, _arr(value))
    return a


def _put(a: Tensor, index: Any, value: TensorLike, name: str) -> Tensor:
    """A copy of ``a`` with ``value`` written at ``index`` (the op behind in-place writes in the
    graph): the gradient goes to ``value`` from the written elements, to ``a`` from the rest."""
    out = a._data.copy()
    _put_values(out, index, _arr(value))
    if not isinstance(value, Tensor):
        return record(out, (a,), lambda g: (_zero_at(g, index),), name, saves=False)
    shape, size = value._data.shape, value._data.size  # (not value: its values may change)

    def backward(g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        gv = g[index]
        if gv.shape != shape and gv.size == size:  # leading 1s dropped on writing
            gv = gv.reshape(shape)
        return _zero_at(g, index), gv  # run_backward sums a broadcast value's gradient

    return record(out, (a, value), backward, name, saves=False)


def _zero_at(g: np.ndarray, index: Any) -> np.ndarray:
    g = g.copy()
    g[index] = 0
    return g


def _put_values(x: np.ndarray, index: Any, values: Any) -> None:
    try:
        x[index] = values
    except ValueError:
        target = np.shape(x[index])
        if np.shape(values) == target or not np.shape(values):
            raise
        raise RuntimeError(f"shape mismatch: value tensor of shape {list(np.shape(values))} "
                           f"cannot be broadcast to indexing result of shape {list(target)}"
                           ) from None


def _inplace(op: Any, ufunc: np.ufunc, method: bool) -> Any:
    """``a op= b`` and ``a.add_(b)``: update a's values in place, as torch.

    The manual update ``with no_grad(): w -= lr * w.grad`` must change the parameter itself.
    Where the graph needs the result (a or b requires grad while recording), the method form
    (``h.mul_(3)``) changes ``h`` in place as torch does (``autograd.change_in_place``), while
    the operator form rebinds the name to an out-of-place result (``h *= 3`` reads as
    ``h = h * 3``: the same values and gradients, and vb.compile can compile it). A leaf that
    requires grad can't be changed in place (torch's error).
    """

    def iop(a: Tensor, b: TensorLike, *, alpha: float | None = None) -> Tensor:
        if alpha is not None:
            b = mul(b, alpha)
        if _in_graph(a, b):
            if method:  # torch's in-place op: a changes, and becomes op's node
                return change_in_place(a, lambda before: op(before, b))
            return op(a, b)
        x, y = _operands(a, b)  # y in torch's result dtype when it is a 0-d tensor
        try:
            ufunc(a._data, y, out=a._data, casting="same_kind")
        except ValueError as e:
            raise _shape_error(e, x, y, out=x.shape) from None
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
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    arrays = [t._data for t in tensors]
    axis = _wrap_dim(dim, arrays[0].ndim)
    bounds = np.cumsum([x.shape[axis] for x in arrays])[:-1]
    return record(
        np.concatenate(arrays, axis=axis), tensors,
        lambda g: tuple(np.split(g, bounds, axis=axis)), "Cat", saves=False,
    )


def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join same-shaped tensors along a new dimension."""
    tensors = tuple(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    axis = _wrap_dim(dim, tensors[0]._data.ndim + 1)
    out = np.stack([t._data for t in tensors], axis=axis)
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


def matmul(input: Tensor, other: Tensor) -> Tensor:
    """Matrix product with NumPy's rules for 1-D and batched operands."""
    x, y = input._data, other._data
    if x.ndim == 0 or y.ndim == 0:
        raise RuntimeError("both arguments to matmul need to be at least 1D, "
                           f"but they are {x.ndim}D and {y.ndim}D")
    if x.shape[-1] != y.shape[0 if y.ndim == 1 else -2]:
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({_fmt(x.shape)} and {_fmt(y.shape)})"
        )
    if x.dtype != y.dtype:
        raise RuntimeError(
            "expected both operands to have the same dtype, but got "
            f"{input.dtype} and {other.dtype}"
        )
    if x.ndim == 2 and y.ndim == 2:
        return record(_mm(x, y), (input, other), lambda g: (
            _mm(g, y.T) if input.requires_grad else None,
            _mm(x.T, g) if other.requires_grad else None,
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
    return record(np.asarray(out), (input, other), backward, "MatMul")


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


def softmax(input: Tensor, dim: int) -> Tensor:
    """e^a / Σ e^a along ``dim``, shifted by the max so it never overflows."""
    _wrap_dim(dim, input._data.ndim)
    x = input._data
    e = np.exp(x - x.max(axis=dim, keepdims=True))
    s = e / e.sum(axis=dim, keepdims=True)
    return record(
        s, (input,), lambda g: (s * (g - (g * s).sum(axis=dim, keepdims=True)),), "Softmax"
    )


def _log_softmax(x: np.ndarray, dim: int) -> np.ndarray:
    shifted = x - x.max(axis=dim, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=dim, keepdims=True))


def log_softmax(input: Tensor, dim: int) -> Tensor:
    """log(softmax(a)) computed as a - max - log Σ e^(a - max)."""
    _wrap_dim(dim, input._data.ndim)
    out = _log_softmax(input._data, dim)
    return record(
        out, (input,), lambda g: (g - np.exp(out) * g.sum(axis=dim, keepdims=True),), "LogSoftmax"
    )


# ---- more elementwise functions ----


def _elementwise(name: str, forward: Any, derivative: Any, doc: str) -> Any:
    """An op y = f(x) whose gradient rule is g · f'(x), written ``derivative(x, y)``."""

    def op(input: Tensor) -> Tensor:
        x = _float(input._data)
        out = forward(x)
        return record(out, (input,), lambda g: (g * derivative(x, out),), name)

    op.__name__, op.__qualname__, op.__doc__ = name.lower(), name.lower(), doc
    return op


sinh = _elementwise("Sinh", np.sinh, lambda x, y: np.cosh(x), "sinh x: d/dx = cosh x.")
cosh = _elementwise("Cosh", np.cosh, lambda x, y: np.sinh(x), "cosh x: d/dx = sinh x.")
tan = _elementwise("Tan", np.tan, lambda x, y: 1 + y * y, "tan x: d/dx = 1 + tan² x.")
asin = _elementwise("Asin", np.arcsin, lambda x, y: 1 / np.sqrt(1 - x * x),
                    "arcsin x: d/dx = 1/√(1 - x²).")
acos = _elementwise("Acos", np.arccos, lambda x, y: -1 / np.sqrt(1 - x * x),
                    "arccos x: d/dx = -1/√(1 - x²).")
atan = _elementwise("Atan", np.arctan, lambda x, y: 1 / (1 + x * x),
                    "arctan x: d/dx = 1/(1 + x²).")
log2 = _elementwise("Log2", np.log2, lambda x, y: 1 / (x * np.log(2.0)),
                    "log₂ x: d/dx = 1/(x ln 2).")
log10 = _elementwise("Log10", np.log10, lambda x, y: 1 / (x * np.log(10.0)),
                     "log₁₀ x: d/dx = 1/(x ln 10).")
log1p = _elementwise("Log1p", np.log1p, lambda x, y: 1 / (1 + x),
                     "log(1 + x), accurate for small x: d/dx = 1/(1 + x).")
expm1 = _elementwise("Expm1", np.expm1, lambda x, y: y + 1,
                     "eˣ - 1, accurate for small x: d/dx = eˣ.")
reciprocal = _elementwise("Reciprocal", np.reciprocal, lambda x, y: -y * y,
                          "1/x: d/dx = -1/x².")
rsqrt = _elementwise("Rsqrt", lambda x: 1 / np.sqrt(x), lambda x, y: -0.5 * y * y * y,
                     "1/√x: d/dx = -1/(2x√x).")


def _stepwise(name: str, forward: Any, doc: str) -> Any:
    """A piecewise-constant op (floor, sign, ...): its gradient is 0, as in torch."""

    def op(input: Tensor) -> Tensor:
        return record(forward(input._data), (input,), lambda g: (np.zeros_like(g),), name,
                      saves=False)

    op.__name__, op.__qualname__, op.__doc__ = name.lower(), name.lower(), doc
    return op


floor = _stepwise("Floor", np.floor, "Round down (gradient 0).")
ceil = _stepwise("Ceil", np.ceil, "Round up (gradient 0).")
trunc = _stepwise("Trunc", np.trunc, "Round towards 0 (gradient 0).")
sign = _stepwise("Sign", np.sign, "-1, 0 or 1 (gradient 0).")


def round(input: Tensor, *, decimals: int = 0) -> Tensor:
    """Round half to even (as torch and NumPy), to ``decimals`` places (gradient 0)."""
    x = input._data
    out = np.round(x, decimals) if x.dtype.kind == "f" else x.copy()
    return record(out, (input,), lambda g: (np.zeros_like(g),), "Round", saves=False)


def frac(input: Tensor) -> Tensor:
    """The fractional part x - trunc(x): d/dx = 1."""
    x = input._data
    return record(x - np.trunc(x), (input,), lambda g: (g,), "Frac", saves=False)


# ---- matrix products with torch's shape checks ----


def mm(input: Tensor, mat2: Tensor) -> Tensor:
    """The product of two matrices (2-D only; ``matmul`` broadcasts)."""
    if input.ndim != 2:
        raise RuntimeError(f"self must be a matrix (2-D), got {input.ndim}-D")
    if mat2.ndim != 2:
        raise RuntimeError(f"mat2 must be a matrix (2-D), got {mat2.ndim}-D")
    return matmul(input, mat2)


def bmm(input: Tensor, mat2: Tensor) -> Tensor:
    """Batched matrix product: (b, n, m) @ (b, m, p) -> (b, n, p), no broadcasting."""
    if input.ndim != 3:
        raise RuntimeError(f"batch1 must be a 3D tensor, got {input.ndim}-D")
    if mat2.ndim != 3:
        raise RuntimeError(f"batch2 must be a 3D tensor, got {mat2.ndim}-D")
    if input.shape[0] != mat2.shape[0]:
        raise RuntimeError(f"batch1 and batch2 must have same number of batches, got "
                           f"{input.shape[0]} and {mat2.shape[0]}")
    return matmul(input, mat2)


def dot(input: Tensor, other: Tensor) -> Tensor:
    """The dot product of two 1-D tensors (torch's dot: no broadcasting, no matrices)."""
    if input.ndim != 1 or other.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input.ndim}D and {other.ndim}D "
                           "tensors")
    if input.shape != other.shape:
        n, m = input.shape[0], other.shape[0]
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{n}] and src [{m}] to "
                           f"have the same number of elements, but got {n} and {m} elements "
                           "respectively")
    return matmul(input, other)


def outer(input: Tensor, vec2: Tensor) -> Tensor:
    """The outer product of two 1-D tensors: out[i, j] = input[i] · vec2[j]."""
    if input.ndim != 1 or vec2.ndim != 1:
        bad, t = ("self", input) if input.ndim != 1 else ("vec2", vec2)
        raise RuntimeError(f"outer: Expected 1-D argument {bad}, but got {t.ndim}-D")
    return mul(reshape(input, (-1, 1)), vec2)


def einsum(equation: str, *operands: Any) -> Tensor:
    """Einstein summation (``"ij,jk->ik"``): NumPy's einsum forward; each operand's gradient is
    the einsum of the output's gradient with the other operands, spread over any index that
    only that operand has. Indices are letters (no ``...``), none repeated within an operand."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    ins, out = _einsum_subscripts(equation, len(operands))
    tensors = tuple(o if isinstance(o, Tensor) else _new(np.asarray(o)) for o in operands)
    arrays = [t._data for t in tensors]
    if len({a.dtype for a in arrays}) > 1:
        raise RuntimeError("einsum(): expected all operands to have the same dtype, but got "
                           + " and ".join(str(t.dtype) for t in tensors))
    sizes: dict[str, int] = {}
    for k, (sub, a) in enumerate(zip(ins, arrays, strict=True)):
        if len(sub) != a.ndim:
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({len(sub)}) "
                               f"does not match the number of dimensions ({a.ndim}) for operand "
                               f"{k} and no ellipsis was given")
        for letter, n in zip(sub, a.shape, strict=True):
            if sizes.setdefault(letter, n) != n:
                raise RuntimeError(f"einsum(): operands do not broadcast with remapped shapes "
                                   f"(index {letter} is {sizes[letter]} and {n})")
    data = np.einsum(f"{','.join(ins)}->{out}", *arrays)

    def backward(g: np.ndarray) -> tuple[np.ndarray | None, ...]:
        grads = []
        for i, (sub, t) in enumerate(zip(ins, tensors, strict=True)):
            if not t.requires_grad:
                grads.append(None)
                continue
            others = [(s, a) for j, (s, a) in enumerate(zip(ins, arrays, strict=True)) if j != i]
            seen = set(out).union(*(s for s, _ in others))
            kept = "".join(c for c in sub if c in seen)
            spec = ",".join([out, *(s for s, _ in others)]) + "->" + kept
            gi = np.einsum(spec, g, *(a for _, a in others))
            if kept != sub:  # indices only this operand had: summed away, so spread back
                gi = np.broadcast_to(np.expand_dims(gi, tuple(
                    k for k, c in enumerate(sub) if c not in seen)), t._data.shape)
            grads.append(np.array(gi, dtype=t._data.dtype))
        return tuple(grads)

    return record(np.asarray(data), tensors, backward, "Einsum")


def _einsum_subscripts(equation: str, n: int) -> tuple[list[str], str]:
    """The operands' subscripts and the output's (NumPy's implicit output when no ``->``)."""
    eq = equation.replace(" ", "")
    if "." in eq:
        raise NotImplementedError("vibrastic's einsum takes letters only: write the indices "
                                  "that '...' stands for")
    left, arrow, out = eq.partition("->")
    ins = left.split(",")
    if len(ins) != n:
        raise RuntimeError("einsum(): more operands were provided than specified in the equation"
                         if len(ins) < n else "einsum(): fewer operands were provided than "
                         "specified in the equation")
    letters = "".join(ins)
    if not builtins.all(c.isalpha() for c in letters + out):
        raise RuntimeError(f"einsum(): invalid subscript given in the equation {equation!r} "
                           "(letters a-z and A-Z)")
    for sub in ins:
        if len(set(sub)) != len(sub):
            raise NotImplementedError(f"vibrastic's einsum has no repeated index within one "
                                      f"operand ({sub!r}: a diagonal); use diagonal-free "
                                      "subscripts")
    if not arrow:
        out = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    return ins, out


def meshgrid(*tensors: Any, indexing: str | None = None) -> tuple[Tensor, ...]:
    """Coordinate grids from 1-D tensors: 'ij' (matrix) or 'xy' (Cartesian) indexing."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing is None:
        import warnings

        warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass the "
                      "indexing argument.", UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise ValueError(f"torch.meshgrid: indexing must be one of 'xy' or 'ij', "
                         f"but received: {indexing}")
    for t in tensors:
        if t.ndim > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list "
                               f"but got: {t.ndim}-D")
    flat = [reshape(t, (-1,)) for t in tensors]
    swap = indexing == "xy" and len(flat) >= 2
    if swap:
        flat[0], flat[1] = flat[1], flat[0]
    shape = tuple(t.shape[0] for t in flat)
    grids = []
    for i, t in enumerate(flat):
        view = [1] * len(flat)
        view[i] = -1
        grids.append(expand(reshape(t, tuple(view)), shape))
    if swap:  # built with the first two inputs exchanged; give them back in order
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)


# ---- selecting along a dimension ----


def _long(index: Any, what: str) -> np.ndarray:
    idx = np.asarray(_arr(index))
    if idx.dtype.kind not in "iu":
        raise RuntimeError(f"{what}(): Expected dtype int64 for index, got {idx.dtype}")
    return idx.astype(np.int64, copy=False)


def index_select(input: Tensor, dim: int, index: TensorLike) -> Tensor:
    """The entries at ``index`` (a 1-D int tensor) along ``dim``; repeated indices add up."""
    x = input._data
    idx = _long(index, "index_select").reshape(-1)
    axis = _wrap_dim(dim, x.ndim)

    def backward(g: np.ndarray) -> tuple[np.ndarray]:
        gx = np.zeros_like(x)
        np.add.at(np.moveaxis(gx, axis, 0), idx, np.moveaxis(g, axis, 0))
        return (gx,)

    out = np.take(x, idx, axis=axis) if x.ndim else x[idx.reshape(())].copy()
    return record(out, (input,), backward, "IndexSelect")


def _scatter_index(idx: np.ndarray, axis: int) -> tuple[np.ndarray, ...]:
    """Full index arrays that address, for every position of idx, the element it points to."""
    if idx.ndim == 0:  # a 0-d tensor's one element (its index can only be 0)
        return (Ellipsis,)
    grid = list(np.indices(idx.shape, sparse=True))
    grid[axis] = idx
    return tuple(grid)


def gather(input: Tensor, dim: int, index: TensorLike) -> Tensor:
    """out[i][j] = input[i][index[i][j]] (for dim=1); index has input's number of dims."""
    x = input._data
    idx = _long(index, "gather")
    if idx.ndim != x.ndim:
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    axis = _wrap_dim(dim, x.ndim)
    if x.ndim:  # torch's check (NumPy would take a negative index from the end)
        n = x.shape[axis]
        if idx.size and (idx.min() < 0 or idx.max() >= n):
            raise RuntimeError(f"index {idx[(idx < 0) | (idx >= n)].flat[0]} is out of bounds "
                               f"for dimension {axis} with size {n}")
    where = _scatter_index(idx, axis)

    def backward(g: np.ndarray) -> tuple[np.ndarray]:
        gx = np.zeros_like(x)
        np.add.at(gx, where, g)
        return (gx,)

    return record(x[where], (input,), backward, "Gather")


def scatter(input: Tensor, dim: int, index: TensorLike, src: Any = None, *,
            value: Any = None, reduce: str | None = None) -> Tensor:
    """A copy of input with src's (or value's) entries written at ``index`` along ``dim``."""
    if reduce is not None:
        raise NotImplementedError("vibrastic's scatter has no reduce argument")
    x = input._data
    idx = _long(index, "scatter")
    where = _scatter_index(idx, _wrap_dim(dim, x.ndim))
    source = value if src is None else src
    out = x.copy()
    if isinstance(source, Tensor):
        sub = tuple(slice(0, s) for s in idx.shape)
        out[where] = source._data[sub]
        written = np.zeros(x.shape, dtype=bool)
        written[where] = True

        def backward(g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            gs = np.zeros_like(source._data)
            gs[sub] = g[where]
            return np.where(written, 0, g), gs

        return record(out, (input, source), backward, "Scatter")
    out[where] = source
    written = np.zeros(x.shape, dtype=bool)
    written[where] = True
    return record(out, (input,), lambda g: (np.where(written, 0, g),), "Scatter")


def scatter_add(input: Tensor, dim: int, index: TensorLike, src: Tensor) -> Tensor:
    """A copy of input with src's entries added at ``index`` along ``dim`` (repeats add up)."""
    x = input._data
    idx = _long(index, "scatter_add")
    if idx.ndim != x.ndim:
        raise RuntimeError("Index tensor must have the same number of dimensions as self tensor")
    where = _scatter_index(idx, _wrap_dim(dim, x.ndim))
    sub = tuple(slice(0, n) for n in idx.shape)
    out = x.copy()
    np.add.at(out, where, src._data[sub])

    def backward(g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        gs = np.zeros_like(src._data)
        gs[sub] = g[where]
        return g, gs

    return record(out, (input, src), backward, "ScatterAdd")


def index_add(input: Tensor, dim: int, index: TensorLike, source: Tensor, *,
              alpha: float = 1) -> Tensor:
    """A copy of input with ``alpha`` × source's slices added at ``index`` along ``dim``."""
    x = input._data
    idx = _long(index, "index_add").reshape(-1)
    axis = _wrap_dim(dim, x.ndim)
    if idx.size != (source.shape[axis] if source.dim() else 1):
        raise RuntimeError(f"index_add_(): Number of indices ({idx.size}) should be equal to "
                           f"source.size(dim): ({source.shape[axis] if source.dim() else 1}), "
                           f"for dim: {dim}")
    out = x.copy()
    add = source._data if alpha == 1 else source._data * alpha
    if x.ndim:
        np.add.at(np.moveaxis(out, axis, 0), idx, np.moveaxis(add, axis, 0))
    else:
        out = out + add.reshape(())

    def backward(g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        gs = np.take(g, idx, axis=axis) if x.ndim else g.reshape(source._data.shape)
        return g, gs if alpha == 1 else gs * alpha

    return record(out.astype(x.dtype, copy=False), (input, source), backward, "IndexAdd")


def bincount(input: Tensor, weights: Tensor | None = None, minlength: int = 0) -> Tensor:
    """How often each value 0..max occurs in a 1-D non-negative int tensor (or the sum of
    ``weights`` at its places), at least ``minlength`` long; no gradient, as torch."""
    x = input._data
    if x.dtype.kind == "f":
        raise NotImplementedError(f'"bincount_cpu" not implemented for '
                                  f"'{ {'f': 'Float', 'd': 'Double', 'e': 'Half'}[x.dtype.char]}'")
    if x.ndim != 1 or x.dtype.kind not in "iu" or (x.size and x.min() < 0):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    if weights is None:
        return _new(np.bincount(x, minlength=minlength).astype(np.int64))
    w = weights._data
    if w.ndim != 1 or w.shape[0] != x.shape[0]:
        raise RuntimeError("weights should be 1-d and have the same length as input")
    out = np.bincount(x, weights=w.astype(np.float64), minlength=minlength)
    return _new(out.astype(w.dtype if w.dtype.kind == "f" else np.float64))


def masked_fill(input: Tensor, mask: TensorLike, value: Any) -> Tensor:
    """``value`` where mask is True, input elsewhere; no gradient reaches the filled places."""
    m = np.asarray(_arr(mask), dtype=bool)
    fill = _arr(value)
    try:
        out = np.where(m, fill, input._data).astype(input._data.dtype, copy=False)
    except ValueError as e:
        raise _shape_error(e, m, input._data) from None
    return record(out, (input,), lambda g: (np.where(m, 0, g),), "MaskedFill", saves=False)


# ---- more reductions ----


def prod(input: Tensor, dim: int | None = None, keepdim: bool = False, *,
         dtype: Any = None, axis: Any = None) -> Tensor:
    """The product over ``dim`` (all elements when None): d/dxᵢ = Π_{j≠i} xⱼ, zeros included."""
    dim = _dim(dim, axis)
    x = input._data if dtype is None else input._data.astype(_t._np_dtype(dtype))
    flat = dim is None
    axis = -1 if flat else _wrap_dim(dim, x.ndim)
    moved = x.reshape(-1) if flat else np.moveaxis(x, axis, -1) if x.ndim else x.reshape(1)
    out = moved.prod(axis=-1)
    if out.dtype.kind in "biu":
        out = out.astype(np.int64)
    if keepdim and not flat and x.ndim:
        out = np.expand_dims(out, axis)
    elif keepdim and flat:
        out = out.reshape((1,) * x.ndim)

    def backward(g: np.ndarray) -> tuple[np.ndarray]:
        ones = np.ones_like(moved[..., :1])
        left = np.cumprod(np.concatenate([ones, moved[..., :-1]], axis=-1), axis=-1)
        right = np.cumprod(np.concatenate([ones, moved[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
        gm = g.reshape(-1)[0] if flat else (np.squeeze(g, axis) if keepdim and x.ndim else g)
        others = left * right * np.expand_dims(gm, -1)
        if flat:
            return (others.reshape(x.shape),)
        return ((np.moveaxis(others, -1, axis) if x.ndim else others.reshape(())),)

    return record(np.asarray(out), (input,), backward, "Prod")


def _amax(input: Tensor, dim: Any, keepdim: bool, largest: bool) -> Tensor:
    x = input._data
    axes = tuple(range(x.ndim)) if dim is None or dim == () else _axes(dim, x.ndim)
    out = x.max(axis=axes, keepdims=True) if largest else x.min(axis=axes, keepdims=True)
    hits = x == out
    share = hits / hits.sum(axis=axes, keepdims=True)  # ties share the gradient, as torch
    result = out if keepdim else np.squeeze(out, axes) if axes else out

    def backward(g: np.ndarray) -> tuple[np.ndarray]:
        gk = g if keepdim or not axes else np.expand_dims(g, axes)
        return (gk * share,)

    return record(np.asarray(result), (input,), backward, "Amax" if largest else "Amin")


def amax(input: Tensor, dim: Any = (), keepdim: bool = False) -> Tensor:
    """The maximum over ``dim`` (all dims by default); tied maxima share the gradient."""
    return _amax(input, dim, keepdim, largest=True)


def amin(input: Tensor, dim: Any = (), keepdim: bool = False) -> Tensor:
    """The minimum over ``dim`` (all dims by default); tied minima share the gradient."""
    return _amax(input, dim, keepdim, largest=False)


def cumsum(input: Tensor, dim: int, *, dtype: Any = None) -> Tensor:
    """Running sums along ``dim``: each input's gradient is the sum of the later outputs'."""
    x = input._data if dtype is None else input._data.astype(_t._np_dtype(dtype))
    axis = _wrap_dim(dim, x.ndim)
    out = np.cumsum(x, axis=axis) if x.ndim else x.copy()
    if out.dtype.kind in "biu":
        out = out.astype(np.int64)
    if not x.ndim:
        return record(out, (input,), lambda g: (g,), "Cumsum", saves=False)
    return record(out, (input,), lambda g: (
        np.flip(np.cumsum(np.flip(g, axis), axis=axis), axis),), "Cumsum", saves=False)


def logsumexp(input: Tensor, dim: Any, keepdim: bool = False) -> Tensor:
    """log Σ eˣ along ``dim``, shifted by the max so it never overflows: d/dx = softmax(x)."""
    x = _float(input._data)
    axes = _axes(dim, x.ndim)
    m = x.max(axis=axes, keepdims=True) if x.ndim else x
    m = np.where(np.isfinite(m), m, 0)
    total = np.log(np.exp(x - m).sum(axis=axes, keepdims=True)) + m
    out = total if keepdim or not axes else np.squeeze(total, axes)

    def backward(g: np.ndarray) -> tuple[np.ndarray]:
        gk = g if keepdim or not axes else np.expand_dims(g, axes)
        return (gk * np.exp(x - total),)

    return record(np.asarray(out), (input,), backward, "Logsumexp")


def norm(input: Tensor, p: Any = "fro", dim: Any = None, keepdim: bool = False) -> Tensor:
    """The vector p-norm over ``dim`` (all elements when None): 2 ('fro'), 1, inf or any p > 0."""
    if p in ("fro", 2, 2.0):
        return sqrt(sum(mul(input, input), dim, keepdim))
    if p in (1, 1.0):
        return sum(abs(input), dim, keepdim)
    if p in (float("inf"), "inf"):
        return amax(abs(input), () if dim is None else dim, keepdim)
    if isinstance(p, (int, float)) and p > 0:
        return pow(sum(pow(abs(input), p), dim, keepdim), 1.0 / p)
    raise NotImplementedError(f"vibrastic's norm has p = 'fro', 1, 2, inf or p > 0, got {p!r}")


def any(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    """Whether any element (along ``dim``) is non-zero: a bool tensor."""
    x = input._data
    return _new(np.asarray(np.any(x, axis=None if dim is None else _axes(dim, x.ndim),
                                  keepdims=keepdim)))


def all(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    """Whether every element (along ``dim``) is non-zero: a bool tensor."""
    x = input._data
    return _new(np.asarray(np.all(x, axis=None if dim is None else _axes(dim, x.ndim),
                                  keepdims=keepdim)))


SortResult = namedtuple("SortResult", ["values", "indices"])


def sort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False
         ) -> SortResult:
    """Values sorted along ``dim`` and where they came from; the gradient follows the values."""
    x = input._data
    if not x.ndim:
        return SortResult(input.reshape(1).reshape(()), _new(np.zeros((), np.int64)))
    axis = _wrap_dim(dim, x.ndim)
    idx = np.argsort(-x if descending and x.dtype.kind != "b" else x, axis=axis, kind="stable")
    if descending and x.dtype.kind == "b":
        idx = np.flip(idx, axis)
    return SortResult(gather(input, axis, idx), _new(idx.astype(np.int64)))


def mode(input: Tensor, dim: int = -1, keepdim: bool = False) -> MaxResult:
    """The most frequent value along ``dim`` (the smallest of equally frequent ones) and the index
    of its last occurrence, as torch; the gradient goes to that index."""
    x = input._data
    axis = _wrap_dim(dim, x.ndim)
    rows = np.moveaxis(x.reshape(x.shape or (1,)), axis, -1)
    flat = rows.reshape(-1, rows.shape[-1])
    idx = np.empty(flat.shape[0], np.int64)
    for r, row in enumerate(flat):
        values, counts = np.unique(row, return_counts=True)  # sorted: argmax picks the smallest
        idx[r] = row.size - 1 - np.flatnonzero(row[::-1] == values[np.argmax(counts)])[0]
    index = np.expand_dims(idx.reshape(rows.shape[:-1]), axis)
    if not x.ndim:
        return MaxResult(input.reshape(1).reshape(()), _new(np.zeros((), np.int64)))
    values = gather(input, axis, index)
    if not keepdim:
        return MaxResult(values.squeeze(axis), _new(index.squeeze(axis)))
    return MaxResult(values, _new(index))


def argsort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False
            ) -> Tensor:
    """The indices that sort ``input`` along ``dim``."""
    return sort(input, dim, descending, stable).indices


def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True
         ) -> SortResult:
    """The k largest (or smallest) values along ``dim`` and their indices."""
    x = input._data
    axis = _wrap_dim(dim, x.ndim)
    size = x.shape[axis] if x.ndim else 1
    if not 0 <= k <= size:
        raise RuntimeError(f"selected index k out of range (k={k}, size {size})")
    order = sort(input, axis, descending=largest).indices._data
    idx = np.take(order, np.arange(k), axis=axis) if x.ndim else order
    return SortResult(gather(input, axis, idx), _new(idx))


# ---- shapes: repeat, split, flip ----


def repeat(input: Tensor, *sizes: Any) -> Tensor:
    """Tile the tensor ``sizes`` times along each dimension (torch's repeat, NumPy's tile)."""
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    sizes = tuple(int(s) for s in sizes)
    x = input._data
    if len(sizes) < x.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number "
                           "of dimensions of tensor")
    shape = (1,) * (len(sizes) - x.ndim) + x.shape
    out = np.tile(x.reshape(shape), sizes)

    def backward(g: np.ndarray) -> tuple[np.ndarray]:
        split = [d for pair in zip(sizes, shape, strict=True) for d in pair]
        return (g.reshape(split).sum(axis=tuple(range(0, len(split), 2))).reshape(x.shape),)

    return record(out, (input,), backward, "Repeat", saves=False)


def repeat_interleave(input: Tensor, repeats: TensorLike | None = None, dim: int | None = None,
                      *, output_size: int | None = None) -> Tensor:
    """Repeat each entry along ``dim`` (of the flattened tensor when None) ``repeats`` times.

    ``repeats`` is an int or a 1-D int tensor with one count per entry; the gradient of the
    copies adds up (an index_select). ``repeat_interleave(counts)`` alone gives the indices
    0, 1, ... each repeated counts[i] times, as torch.
    """
    if repeats is None:  # torch.repeat_interleave(repeats)
        counts = np.asarray(input._data)
        if counts.ndim > 1 or counts.dtype.kind not in "iu":
            raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
        if (counts < 0).any():
            raise RuntimeError("repeats can not be negative")
        return _new(np.repeat(np.arange(counts.size, dtype=np.int64), counts.reshape(-1)))
    if dim is None:
        input, dim = input.reshape(-1), 0
    n = input.shape[_wrap_dim(dim, input.dim())] if input.dim() else 1
    r = np.asarray(repeats._data if isinstance(repeats, Tensor) else repeats)
    if r.ndim > 1:
        raise RuntimeError("repeats must be 0-dim or 1-dim tensor")
    if r.dtype.kind not in "iu":
        raise NotImplementedError(
            f'"repeat_interleave_cpu" not implemented for '
            f"'{ {'f': 'Float', 'd': 'Double', 'e': 'Half', '?': 'Bool'}.get(r.dtype.char)}'")
    if r.ndim == 1 and r.size != 1 and r.size != n:
        raise RuntimeError("repeats must have the same size as input along dim, but got "
                           f"repeats.size(0) = {r.size} and input.size({dim}) = {n}")
    if (r < 0).any():
        raise RuntimeError("repeats can not be negative" if isinstance(repeats, Tensor)
                           else "Repeats must be non-negative")
    index = np.repeat(np.arange(n, dtype=np.int64), np.broadcast_to(r.reshape(-1), (n,)))
    if output_size is not None and output_size != index.size:
        raise RuntimeError(f"repeat_interleave: Invalid output_size, expected {index.size} but "
                           f"got {output_size}")
    if input.dim() == 0:
        return input.reshape(1).index_select(0, _new(index))
    return index_select(input, dim, _new(index))


def cdist(x1: Tensor, x2: Tensor, p: float = 2.0,
          compute_mode: str = "use_mm_for_euclid_dist_if_necessary") -> Tensor:
    """The p-norm distance between each row of ``x1`` (…, P, M) and each row of ``x2`` (…, R, M).

    As torch: for p = 2 with more than 25 rows on either side (or compute_mode
    'use_mm_for_euclid_dist'), the distance is sqrt(|a|² + |b|² - 2a·b) by a matrix product
    (faster, less exact for near points); otherwise the differences are taken directly, and a
    zero distance passes a zero gradient.
    """
    for name, t in (("X1", x1), ("X2", x2)):
        if t.dim() < 2:
            raise RuntimeError(f"cdist only supports at least 2D tensors, {name} got: {t.dim()}D")
        if t._data.dtype.kind != "f":
            kind = {"i": "Long" if t._data.itemsize == 8 else "Int", "u": "Byte", "b": "Bool"}
            raise RuntimeError(f"cdist only supports floating-point dtypes, {name} got: "
                               f"{kind[t._data.dtype.kind]}")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError("X1 and X2 must have the same number of columns. X1: "
                           f"{x1.shape[-1]} X2: {x2.shape[-1]}")
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    modes = ("use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist",
             "donot_use_mm_for_euclid_dist")
    if compute_mode not in modes:
        raise ValueError(f"{compute_mode} is not a valid value for compute_mode")
    if p == 2 and (compute_mode == "use_mm_for_euclid_dist" or (
            compute_mode == modes[0] and (x1.shape[-2] > 25 or x2.shape[-2] > 25))):
        n1, n2 = x1.pow(2).sum(-1, keepdim=True), x2.pow(2).sum(-1, keepdim=True)
        a = cat([x1.mul(-2), n1, _t.ones_like(n1)], dim=-1)
        b = cat([x2, _t.ones_like(n2), n2], dim=-1)
        return matmul(a, b.transpose(-1, -2)).clamp(min=1e-30).sqrt()  # torch's formula
    diff = x1._data[..., :, None, :] - x2._data[..., None, :, :]
    ad = np.abs(diff)
    if p == 0:
        out = (ad != 0).sum(-1).astype(diff.dtype)
    elif p == np.inf:
        out = ad.max(-1)
    elif p == 1:
        out = ad.sum(-1)
    elif p == 2:
        out = np.sqrt((diff * diff).sum(-1))
    else:
        out = (ad ** p).sum(-1) ** (1 / p)

    def backward(g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        d, gd = out[..., None], g[..., None]
        with np.errstate(divide="ignore", invalid="ignore"):
            if p == 0:
                local = np.zeros_like(diff)
            elif p == np.inf:
                local = np.sign(diff) * (ad == d)
            elif p == 1:
                local = np.sign(diff)
            elif p == 2:
                local = np.where(d == 0, 0, diff / d)
            else:
                local = np.where(d == 0, 0, diff * ad ** (p - 2) / d ** (p - 1))
        gdiff = (gd * local).astype(diff.dtype, copy=False)
        return gdiff.sum(-2), -gdiff.sum(-3)

    return record(out, (x1, x2), backward, "Cdist")


def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    """Split into ``chunks`` pieces of ceil(n / chunks) along ``dim`` (the last may be smaller)."""
    _wrap_dim(dim, input._data.ndim)
    if chunks <= 0:
        raise RuntimeError("chunk expects `chunks` to be greater than 0, got: " + str(chunks))
    n = input.shape[dim]
    size = -(-n // chunks) if n else 1
    return split(input, builtins.max(size, 1), dim)


def split(input: Tensor, split_size_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
    """Pieces of ``split_size`` along ``dim`` (the last may be smaller), or of the listed sizes."""
    axis = _wrap_dim(dim, input.ndim)
    n = input.shape[dim]
    if isinstance(split_size_or_sections, int):
        size = split_size_or_sections
        bounds = list(range(0, n, size)) if n else [0]
        sizes = [builtins.min(size, n - b) for b in bounds]
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if builtins.sum(sizes) != n:
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} "
                               f"(input tensor's size at dimension {dim}), but got "
                               f"split_sizes={sizes}")
    pieces, start = [], 0
    for s in sizes:
        where = (slice(None),) * axis + (slice(start, start + s),)
        pieces.append(getitem(input, where))
        start += s
    return tuple(pieces)


def unbind(input: Tensor, dim: int = 0) -> tuple[Tensor, ...]:
    """The slices along ``dim``, that dimension removed."""
    axis = _wrap_dim(dim, input.ndim)
    return tuple(getitem(input, (slice(None),) * axis + (i,)) for i in range(input.shape[axis]))


def flip(input: Tensor, dims: Any) -> Tensor:
    """Reverse the order of elements along ``dims``."""
    axes = (dims,) if isinstance(dims, int) else tuple(dims)
    for d in axes:
        _wrap_dim(d, input._data.ndim)
    return record(np.flip(input._data, axes), (input,), lambda g: (np.flip(g, axes),), "Flip",
                  saves=False)


def narrow(input: Tensor, dim: int, start: int, length: int) -> Tensor:
    """``length`` entries from ``start`` along ``dim``."""
    axis = _wrap_dim(dim, input.ndim)
    return getitem(input, (slice(None),) * axis + (slice(start, start + length),))


# ---- comparisons that answer with a bool ----


def equal(input: Tensor, other: Tensor) -> bool:
    """True if both have the same shape and the same values."""
    return input.shape == other.shape and bool(np.array_equal(input._data, other._data))


def isclose(input: Tensor, other: TensorLike, rtol: float = 1e-05, atol: float = 1e-08,
            equal_nan: bool = False) -> Tensor:
    """|input - other| <= atol + rtol·|other|, elementwise."""
    return _new(np.asarray(np.isclose(input._data, _arr(other), rtol, atol, equal_nan)))


def allclose(input: Tensor, other: TensorLike, rtol: float = 1e-05, atol: float = 1e-08,
             equal_nan: bool = False) -> bool:
    """True if ``isclose`` holds everywhere."""
    return bool(np.allclose(input._data, _arr(other), rtol, atol, equal_nan))


def isnan(input: Tensor) -> Tensor:
    return _new(np.asarray(np.isnan(input._data)))


def isinf(input: Tensor) -> Tensor:
    return _new(np.asarray(np.isinf(input._data)))


def isfinite(input: Tensor) -> Tensor:
    return _new(np.asarray(np.isfinite(input._data)))


# ---- masks, diagonals and the tensor ops learners reach for (torch's names) ----


def _triangle(input: Tensor, diagonal: int, lower: bool) -> Tensor:
    name = "tril" if lower else "triu"
    x = input._data
    if x.ndim < 2:
        raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions")
    n, m = x.shape[-2:]
    keep = np.tri(n, m, diagonal, dtype=bool) if lower else \
        ~np.tri(n, m, diagonal - 1, dtype=bool)
    zero = np.zeros((), x.dtype)
    return record(np.where(keep, x, zero), (input,), lambda g: (np.where(keep, g, zero),),
                  name.capitalize(), saves=False)


def tril(input: Tensor, diagonal: int = 0) -> Tensor:
    """The lower triangle (on and below ``diagonal``) of the last two dims, zeros above; the
    gradient keeps the same triangle (a causal mask: ``tril(ones(n, n))``)."""
    return _triangle(input, diagonal, lower=True)


def triu(input: Tensor, diagonal: int = 0) -> Tensor:
    """The upper triangle (on and above ``diagonal``) of the last two dims, zeros below."""
    return _triangle(input, diagonal, lower=False)


def _diagonal_index(shape: tuple[int, ...], offset: int) -> tuple[Any, np.ndarray, np.ndarray]:
    """Rows and columns of a diagonal of the last two dims (``offset`` > 0: above)."""
    n, m = shape[-2:]
    length = builtins.max(0, builtins.min(n + builtins.min(offset, 0),
                                          m - builtins.max(offset, 0)))
    i = np.arange(length)
    return Ellipsis, i + builtins.max(-offset, 0), i + builtins.max(offset, 0)


def diagonal(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """The diagonal of dims ``dim1`` and ``dim2`` as the last dim (``offset`` > 0: above it);
    the gradient goes back onto that diagonal."""
    x = input._data
    d1, d2 = _wrap_dim(dim1, x.ndim), _wrap_dim(dim2, x.ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    moved = np.moveaxis(x, (d1, d2), (-2, -1))
    where = _diagonal_index(moved.shape, offset)

    def backward(g: np.ndarray) -> tuple[np.ndarray]:
        gx = np.zeros(x.shape, g.dtype)
        np.moveaxis(gx, (d1, d2), (-2, -1))[where] = g
        return (gx,)

    return record(moved[where], (input,), backward, "Diagonal", saves=False)


_diagonal = diagonal  # (diag's argument of that name hides it)


_C_TYPE = {"float16": "Half", "float32": "Float", "float64": "Double", "int32": "Int",
           "int64": "Long", "uint8": "Byte", "bool": "Bool"}  # torch's names in kernel errors


def diag(input: Tensor, diagonal: int = 0) -> Tensor:
    """A 1-D tensor as the ``diagonal`` of a square matrix, or a matrix's diagonal as 1-D."""
    x = input._data
    if x.ndim == 2:
        return _diagonal(input, diagonal)
    if x.ndim != 1:
        raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {x.ndim}D")
    out = np.diag(x, diagonal)
    return record(out, (input,), lambda g: (np.diagonal(g, diagonal).copy(),), "Diag",
                  saves=False)


def trace(input: Tensor) -> Tensor:
    """The sum of a matrix's diagonal."""
    if input.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input.ndim}")
    return sum(diagonal(input))


def square(input: Tensor) -> Tensor:
    """x², as torch computes it (``pow(x, 2)``; integers stay integers, bools become int64)."""
    return pow(input, 2)


def clamp_min(input: Tensor, min: Any) -> Tensor:
    """max(x, min): ``clamp(x, min=min)`` (the gradient passes at the bound, as torch)."""
    return clamp(input, min=min)


def clamp_max(input: Tensor, max: Any) -> Tensor:
    """min(x, max): ``clamp(x, max=max)``."""
    return clamp(input, max=max)


def _float_operands(input: TensorLike, other: TensorLike, name: str | None = None
                    ) -> tuple[Any, Any]:
    """Binary float ops: integer operands in the default float (atan2), or torch's refusal
    naming the kernel (``name``: logaddexp, hypot)."""
    x, y = _operands(input, other)
    kind = np.result_type(x, y)
    if kind.kind in "biu":
        if name is not None:
            raise NotImplementedError(f'"{name}_cpu" not implemented for '
                                      f"'{_C_TYPE.get(kind.name, kind.name)}'")
        f = _t._default_float.np
        x = x.astype(f) if _is_array(x) else float(x)
        y = y.astype(f) if _is_array(y) else float(y)
    return x, y


def logaddexp(input: TensorLike, other: TensorLike) -> Tensor:
    """log(eᵃ + eᵇ) without overflow: d/da = 1/(1 + e^(b-a)), d/db = 1/(1 + e^(a-b))."""
    x, y = _float_operands(input, other, "logaddexp")
    try:
        data = np.logaddexp(x, y)
    except ValueError as e:
        raise _shape_error(e, x, y) from None

    def share(g: np.ndarray, u: Any, v: Any) -> np.ndarray:
        with np.errstate(over="ignore"):  # e^(v-u) = inf: that operand's share is 0
            return g / (1 + np.exp(v - u))

    return _binary(data, input, other, lambda g: share(g, x, y), lambda g: share(g, y, x),
                   "Logaddexp")


def atan2(input: TensorLike, other: TensorLike) -> Tensor:
    """The angle of the point (other, input): d/da = b/(a² + b²), d/db = -a/(a² + b²)."""
    x, y = _float_operands(input, other)
    try:  # float32 through float64: correctly rounded, as torch's atan2f (NumPy's is 1 ulp off)
        data = np.arctan2(x, y, dtype=np.float64) if np.result_type(x, y) == np.float32 else \
            np.arctan2(x, y)
    except ValueError as e:
        raise _shape_error(e, x, y) from None
    data = data.astype(np.result_type(x, y), copy=False)
    r2 = x * x + y * y
    return _binary(data, input, other, lambda g: g * y / r2, lambda g: g * -x / r2, "Atan2")


def hypot(input: TensorLike, other: TensorLike) -> Tensor:
    """√(a² + b²) without overflow: d/da = a/out, d/db = b/out."""
    x, y = _float_operands(input, other, "hypot")
    try:
        data = np.hypot(x, y)
    except ValueError as e:
        raise _shape_error(e, x, y) from None
    return _binary(data, input, other, lambda g: g * x / data, lambda g: g * y / data, "Hypot")


def lerp(input: Tensor, end: Tensor, weight: TensorLike) -> Tensor:
    """input + weight·(end - input), as torch computes it (end - (end - input)(1 - weight) for
    weight >= 0.5, so weight 1 gives end exactly): d/dinput = 1 - w, d/dend = w,
    d/dweight = end - input."""
    a, b, w = input._data, end._data, _arr(weight)
    if a.dtype != b.dtype:
        raise RuntimeError(f"expected dtype {_C_TYPE[a.dtype.name].lower()} for `end` but got "
                           f"dtype {_C_TYPE[b.dtype.name].lower()}")
    try:
        d = b - a
        data = np.where(np.abs(w) < 0.5, a + w * d, b - d * (1 - w)).astype(a.dtype, copy=False)
    except ValueError as e:
        raise _shape_error(e, a, b, w) from None
    parents = (input, end, weight) if isinstance(weight, Tensor) else (input, end)
    return record(data, parents, lambda g: (g * (1 - w), g * w, g * d)[:len(parents)], "Lerp")


def nan_to_num(input: Tensor, nan: float = 0.0, posinf: float | None = None,
               neginf: float | None = None) -> Tensor:
    """NaN, +inf and -inf replaced (by 0 and the dtype's largest and smallest values unless
    given); the gradient passes only where the input was finite, as torch."""
    x = input._data
    if x.dtype.kind != "f":
        return record(x.copy(), (input,), lambda g: (g,), "NanToNum", saves=False)
    out = np.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)
    finite = np.isfinite(x)
    return record(out, (input,), lambda g: (g * finite,), "NanToNum", saves=False)


def roll(input: Tensor, shifts: Any, dims: Any = None) -> Tensor:
    """Shift the elements along ``dims`` (of the flattened tensor when None), wrapping round."""
    x = input._data
    shift = (shifts,) if isinstance(shifts, int) else tuple(shifts)
    if dims is None:  # the flattened tensor, rolled, in its shape again
        if len(shift) != 1:
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shift)}, dims:0")
        back = -shift[0]
        return record(np.roll(x.reshape(-1), shift[0]).reshape(x.shape), (input,),
                      lambda g: (np.roll(g.reshape(-1), back).reshape(x.shape),), "Roll",
                      saves=False)
    axes = tuple(_wrap_dim(d, x.ndim) for d in ((dims,) if isinstance(dims, int) else dims))
    if len(shift) != len(axes):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shift)}, "
                           f"dims:{len(axes)}")
    back = tuple(-s for s in shift)
    return record(np.roll(x, shift, axes), (input,), lambda g: (np.roll(g, back, axes),),
                  "Roll", saves=False)


def tile(input: Tensor, dims: Any) -> Tensor:
    """``repeat`` with ones prepended to ``dims`` when it has fewer entries than input dims."""
    reps = (dims,) if isinstance(dims, int) else tuple(dims)
    return repeat(input, (1,) * (input.ndim - len(reps)) + reps)


def broadcast_to(input: Tensor, size: Any) -> Tensor:
    """``input.expand(size)``: a broadcast view of the values."""
    return expand(input, tuple(size))


def movedim(input: Tensor, source: Any, destination: Any) -> Tensor:
    """Move dims ``source`` to positions ``destination``, the others keeping their order."""
    n = input.ndim
    src = [_wrap_dim(s, n) for s in ((source,) if isinstance(source, int) else source)]
    dst = [_wrap_dim(d, n) for d in ((destination,) if isinstance(destination, int) else
                                     destination)]
    for what, dims in (("source", src), ("destination", dst)):
        if len(set(dims)) != len(dims):
            raise RuntimeError(f"movedim: repeated dim in `{what}` ({dims})")
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({src} dims) "
                           f"should contain the same number of dims as destination ({dst} dims)")
    order = [d for d in range(n) if d not in src]
    for d, s in sorted(zip(dst, src, strict=True)):
        order.insert(d, s)
    return permute(input, order)


def masked_select(input: Tensor, mask: TensorLike) -> Tensor:
    """The elements where ``mask`` (a bool tensor, broadcast with input) is True, as 1-D; the
    gradient goes back to those places."""
    m = _arr(mask)
    if not isinstance(m, np.ndarray) or m.dtype != np.bool_:
        raise RuntimeError("masked_select: expected BoolTensor for mask")
    x = input._data
    try:
        shape = np.broadcast_shapes(x.shape, m.shape)
    except ValueError as e:
        raise _shape_error(e, x, m) from None
    where = np.broadcast_to(m, shape)

    def backward(g: np.ndarray) -> tuple[np.ndarray]:
        gx = np.zeros(shape, g.dtype)
        gx[where] = g
        return (gx,)  # summed back to input's shape by run_backward

    return record(np.broadcast_to(x, shape)[where], (input,), backward, "MaskedSelect",
                  saves=False)


def nonzero(input: Tensor, *, as_tuple: bool = False) -> Any:
    """The indices of the non-zero elements: an (n, ndim) int64 tensor, or with ``as_tuple``
    one 1-D tensor per dimension (the index form ``x[x.nonzero(as_tuple=True)]``)."""
    x = input._data
    if as_tuple:
        return tuple(_new(i.astype(np.int64)) for i in np.nonzero(np.atleast_1d(x)))
    return _new(np.argwhere(x).astype(np.int64))


def count_nonzero(input: Tensor, dim: Any = None) -> Tensor:
    """How many elements are non-zero (along ``dim``): int64."""
    x = input._data
    axes = None if dim is None else _axes(dim, x.ndim)
    return _new(np.asarray(np.count_nonzero(x, axis=axes), np.int64))


def unique(input: Tensor, sorted: bool = True, return_inverse: bool = False,
           return_counts: bool = False, dim: int | None = None) -> Any:
    """The distinct values, sorted (torch sorts whatever ``sorted`` says on the CPU); with
    ``return_inverse`` where each element went, with ``return_counts`` how often each occurs;
    with ``dim``, the distinct slices along it."""
    x = input._data
    if dim is None:
        values, inverse, counts = np.unique(x.reshape(-1), return_inverse=True,
                                            return_counts=True)
        inverse = inverse.reshape(x.shape)
    else:
        values, inverse, counts = np.unique(x, return_inverse=True, return_counts=True,
                                            axis=_wrap_dim(dim, x.ndim))
        inverse = inverse.reshape(-1)
    out: tuple[Tensor, ...] = (_new(values),)
    if return_inverse:
        out += (_new(inverse.astype(np.int64)),)
    if return_counts:
        out += (_new(counts.astype(np.int64)),)
    return out[0] if len(out) == 1 else out


def diff(input: Tensor, n: int = 1, dim: int = -1, prepend: Tensor | None = None,
         append: Tensor | None = None) -> Tensor:
    """The n-th forward difference along ``dim`` (after ``prepend`` and ``append``)."""
    if input.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    x = input
    if prepend is not None or append is not None:
        x = cat([t for t in (prepend, input, append) if t is not None], dim)
    for _ in range(n):
        size = x.shape[dim]
        if size == 0:
            break
        later, earlier = narrow(x, dim, 1, size - 1), narrow(x, dim, 0, size - 1)
        x = ne(later, earlier) if x.dtype == _t.bool_ else sub(later, earlier)  # bool: xor
    return x


VarMeanResult = namedtuple("VarMeanResult", ["var", "mean"])


def _var_args(dim: Any, unbiased: Any) -> tuple[Any, Any]:
    """torch's ``var_mean(x, True)``: a bool in dim's place is ``unbiased``."""
    return (None, dim) if isinstance(dim, bool) else (dim, unbiased)


def var_mean(input: Tensor, dim: Any = None, *, correction: int = 1, keepdim: bool = False,
             unbiased: bool | None = None) -> tuple[Tensor, Tensor]:
    """(variance, mean) over ``dim``, as ``var`` and ``mean`` give them."""
    dim, unbiased = _var_args(dim, unbiased)
    return (var(input, dim, correction=correction, keepdim=keepdim, unbiased=unbiased),
            mean(input, dim, keepdim))


def std_mean(input: Tensor, dim: Any = None, *, correction: int = 1, keepdim: bool = False,
             unbiased: bool | None = None) -> tuple[Tensor, Tensor]:
    """(standard deviation, mean) over ``dim``."""
    dim, unbiased = _var_args(dim, unbiased)
    return (std(input, dim, correction=correction, keepdim=keepdim, unbiased=unbiased),
            mean(input, dim, keepdim))


def take_along_dim(input: Tensor, indices: TensorLike, dim: int | None = None) -> Tensor:
    """``gather`` with indices broadcast against input (all but ``dim``); dim None: of the
    flattened tensor."""
    idx = _long(indices, "take_along_dim")
    if dim is None:
        return gather(reshape(input, -1), 0, idx.reshape(-1))
    x = input._data
    if idx.ndim != x.ndim:
        raise RuntimeError("torch.take_along_dim(): input and indices should have the same "
                           f"number of dimensions, but got {x.ndim} dimensions for input, and "
                           f"{idx.ndim} dimensions for indices")
    axis = _wrap_dim(dim, x.ndim)
    xs, ix = list(x.shape), list(idx.shape)
    xs[axis] = ix[axis] = 1
    shape = list(np.broadcast_shapes(tuple(xs), tuple(ix)))
    full = [*shape[:axis], x.shape[axis], *shape[axis + 1:]]
    source = input if tuple(full) == x.shape else expand(input, full)
    shape[axis] = idx.shape[axis]
    return gather(source, axis, np.broadcast_to(idx, shape))


def cross(input: Tensor, other: Tensor, dim: int | None = None) -> Tensor:
    """The cross product of 3-vectors along ``dim`` (the first dim of size 3 when None)."""
    if input.shape != other.shape:
        both = np.broadcast_shapes(input.shape, other.shape)
        input, other = expand(input, both), expand(other, both)
    if dim is None:
        import warnings

        warnings.warn("Using torch.cross without specifying the dim arg is deprecated.\n"
                      "Please either pass the dim explicitly or simply use torch.linalg.cross."
                      "\nThe default value of dim will change to agree with that of "
                      "linalg.cross in a future release.", UserWarning, stacklevel=2)
        dim = next((i for i, s in enumerate(input.shape) if s == 3), None)
        if dim is None:
            raise RuntimeError("no dimension of size 3 in input")
    if input.shape[dim] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got "
                           f"{input.shape[dim]} and {other.shape[dim]}")
    a, b = unbind(input, dim), unbind(other, dim)
    return stack([sub(mul(a[1], b[2]), mul(a[2], b[1])), sub(mul(a[2], b[0]), mul(a[0], b[2])),
                  sub(mul(a[0], b[1]), mul(a[1], b[0]))], dim)


# ---- in place, outside the graph: clamp_, exp_, masked_fill_, ... ----


def _check_inplace(input: Tensor) -> None:
    if _in_graph(input):
        raise RuntimeError(_GRAPH_INPLACE)


def inplace(op: Any) -> Any:
    """``x.op_(...)``: x's values become op(x, ...), in x's dtype; inside the graph x becomes
    op's node, as in torch (``autograd.change_in_place``)."""

    def method(input: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        if _in_graph(input, *args, *kwargs.values()):
            return change_in_place(input, lambda before: op(before, *args, **kwargs))
        with _no_record():
            result = op(input, *args, **kwargs)
        input._data[...] = result._data
        return input

    method.__name__ = method.__qualname__ = op.__name__ + "_"
    method.__doc__ = f"In-place ``{op.__name__}``: changes the tensor itself and returns it."
    return method


class _no_record:
    """Ops inside record no graph (a light ``no_grad`` for the in-place methods)."""

    def __enter__(self) -> None:
        self.prev = _GradMode.enabled
        _GradMode.enabled = False

    def __exit__(self, *exc: object) -> None:
        _GradMode.enabled = self.prev


def uniform_(input: Tensor, a: float = 0.0, b: float = 1.0, *, generator: Any = None) -> Tensor:
    """Fill with samples from U[a, b)."""
    from vibrastic import random as _random

    _check_inplace(input)
    input._data[...] = _random.current(generator).uniform(input._data.shape, a, b,
                                                          input._data.dtype)
    return input


def normal_(input: Tensor, mean: float = 0.0, std: float = 1.0, *, generator: Any = None
            ) -> Tensor:
    """Fill with samples from N(mean, std²)."""
    from vibrastic import random as _random

    _check_inplace(input)
    input._data[...] = _random.current(generator).normal(input._data.shape, mean, std,
                                                         input._data.dtype)
    return input
