"""Every op vb.compile knows, as kernels: its forward and, next to it, its gradient rule.

Each rule makes the same NumPy calls, in the same order, as the eager op in ``vibrastic.ops``
(that is what makes compiled results equal eager ones to the last bit), and returns
``(output, parents, vjp)`` like the engine's ``autograd.record``: ``vjp(g)`` gives one gradient per
parent, or None where a parent needs none. Arguments arrive with tensors replaced by ``Node``s.
The builder checks every forward result against eager as it goes, so a rule that drifts from the
engine is caught on the first call (and the function runs eagerly instead).
"""

from __future__ import annotations

import functools
import importlib
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from vibrastic.compiler.graph import Builder, CompileError, Value, raw, same_bits
from vibrastic.compiler.kernels import SYMBOL
from vibrastic.ops import _number, torch_dtype

_t = importlib.import_module("vibrastic.tensor")  # the module, not vb.tensor()


@dataclass(eq=False)
class Node:
    """A tensor of the traced call: its value, and (inside a graph) its parents and vjp."""

    value: Value
    requires_grad: bool
    seq: int
    op: str = ""
    parents: tuple[Node, ...] = ()
    vjp: Callable[[Value], Sequence[Value | None]] | None = None
    leaf: Any = None  # for tensors from outside: the source record (argument or captured)
    freed: bool = False
    tensor: Any = None  # the eager tensor (its _ctx holds eager's own gradient closure)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.value.shape  # type: ignore[return-value]

    @property
    def dtype(self) -> np.dtype:
        return self.value.dtype  # type: ignore[return-value]


Result = tuple[Value, tuple[Node, ...], Any]  # the vjp: a function, or a tuple of variants
RULES: dict[str, Any] = {}  # op name -> a rule, or a tuple of variants tried in order


class NotApplicable(Exception):  # a variant declining, not an error
    """A rule variant that doesn't cover these arguments (the next variant is tried)."""


def rule(*names: str) -> Callable[[Callable[..., Result]], Callable[..., Result]]:
    def register(fn: Callable[..., Result]) -> Callable[..., Result]:
        for name in names:
            RULES[name] = fn
        return fn

    return register


@dataclass
class Ops:
    """Kernel helpers for rules: Python numbers stay Python numbers (as in the eager code)."""

    b: Builder
    hint: str = "t"
    names: list[str] = field(default_factory=list)

    def val(self, x: Any) -> Any:
        if isinstance(x, Node):
            return x.value
        if isinstance(x, np.ndarray):
            return self.b.constant(x)
        return x

    def operands(self, a: Any, b: Any) -> tuple[Any, Any]:
        """ops._operands: cast first where torch computes in another dtype than NumPy would
        (``ops.torch_dtype``)."""
        x, y = self.val(a), self.val(b)
        if not (isinstance(a, Node) or isinstance(b, Node)):
            return x, y
        x, y = _number(x), _number(y)
        dtype = torch_dtype(x, y)
        if dtype is not None:
            x = x if not isinstance(x, Value) or x.dtype == dtype else \
                self.k("astype", x, dtype=dtype)
            y = y if not isinstance(y, Value) or y.dtype == dtype else \
                self.k("astype", y, dtype=dtype)
        return x, y

    def k(self, kernel: str, *args: Any, **attrs: Any) -> Value:
        return self.b.call(kernel, *args, hint=self.hint, **attrs)

    def binop(self, kernel: str, x: Any, y: Any) -> Any:
        if not isinstance(x, Value) and not isinstance(y, Value):
            if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
                return self.k(kernel, x, y)
            return _PY[kernel](x, y)  # plain Python arithmetic, as eager does it
        return self.k(kernel, x, y)

    def add(self, x: Any, y: Any) -> Any:
        return self.binop("add", x, y)

    def sub(self, x: Any, y: Any) -> Any:
        return self.binop("subtract", x, y)

    def mul(self, x: Any, y: Any) -> Any:
        return self.binop("multiply", x, y)

    def div(self, x: Any, y: Any) -> Any:
        return self.binop("true_divide", x, y)

    def neg(self, x: Any) -> Any:
        return self.k("negative", x) if isinstance(x, Value) else -x

    def float_(self, x: Value) -> Value:
        """Integer and bool values become the default float dtype first (ops._float)."""
        return x if x.dtype.kind == "f" else self.k("astype", x, dtype=_t._default_float.np)

    def reshape(self, x: Value, shape: tuple[int, ...]) -> Value:
        return x if x.shape == tuple(shape) else self.k("reshape", x, shape=tuple(shape))

    def transpose(self, x: Value, axes: tuple[int, ...] | None = None) -> Value:
        axes = tuple(reversed(range(len(x.shape)))) if axes is None else tuple(axes)
        if axes == tuple(reversed(range(len(x.shape)))):
            return self.k("T", x)
        return self.k("transpose", x, axes=axes)

    def matmul(self, x: Value, y: Value) -> Value:
        """x @ y as the engine does it: a big product through its BLAS thread policy."""
        try:
            from vibrastic.blas import FLOOR, UNTOUCHED
        except ImportError:
            FLOOR = UNTOUCHED = None
        macs = int(np.prod(x.shape)) * y.shape[-1]
        mid = UNTOUCHED is not None and macs >= UNTOUCHED  # below FLOOR: always one thread,
        if mid and macs >= FLOOR:  # set once
            return self.k("matmul_blas", x, y)
        if _dot_gives_matmul_bits(x, y):  # ndarray.dot: the same BLAS call, ~0.4 µs quicker
            return self.k("dot_one" if mid else "dot", x, y)
        return self.k("matmul_one" if mid else "matmul", x, y)

    def sum(self, x: Value, axes: Any, keepdims: bool) -> Value:
        return self.k("sum", x, axes=axes, keepdims=keepdims)


_PY: dict[str, Callable[[Any, Any], Any]] = {
    "add": lambda a, b: a + b, "subtract": lambda a, b: a - b,
    "multiply": lambda a, b: a * b, "true_divide": lambda a, b: a / b,
}
assert set(_PY) == set(SYMBOL)


def _is_f64(x: Any) -> bool:
    if isinstance(x, Node):
        return x.dtype == np.float64
    return isinstance(x, np.ndarray) and x.dtype == np.float64


def binary(o: Ops, data: Value, a: Any, b: Any, da: Callable[[Value], Any],
           db: Callable[[Value], Any]) -> Result:
    """ops._binary: fix the dtype as eager does, then record the parents that are tensors."""
    if (data.dtype == np.float64 and _t._default_float is _t.float32
            and not _is_f64(a) and not _is_f64(b)):
        data = o.k("astype", data, dtype=np.dtype(np.float32))
    parents = tuple(x for x in (a, b) if isinstance(x, Node))

    def vjp(g: Value) -> list[Any]:
        grads = []
        if isinstance(a, Node):
            grads.append(da(g) if a.requires_grad else None)
        if isinstance(b, Node):
            grads.append(db(g) if b.requires_grad else None)
        return grads

    return data, parents, vjp


def unary(out: Value, a: Node, vjp: Callable[[Value], Any]) -> Result:
    return out, (a,), lambda g: (vjp(g),)


# ---- arithmetic ----


@rule("add")
def add(o: Ops, a: Any, b: Any) -> Result:
    return binary(o, o.k("add", *o.operands(a, b)), a, b, lambda g: g, lambda g: g)


@rule("sub")
def sub(o: Ops, a: Any, b: Any) -> Result:
    return binary(o, o.k("subtract", *o.operands(a, b)), a, b, lambda g: g,
                  lambda g: o.neg(g))


@rule("mul")
def mul(o: Ops, a: Any, b: Any) -> Result:
    x, y = o.operands(a, b)
    return binary(o, o.k("multiply", x, y), a, b, lambda g: o.mul(g, y), lambda g: o.mul(g, x))


@rule("div")
def div(o: Ops, a: Any, b: Any) -> Result:
    x, y = o.operands(a, b)
    return binary(o, o.k("true_divide", x, y), a, b, lambda g: o.div(g, y),
                  lambda g: o.div(o.mul(o.neg(g), x), o.mul(y, y)))


def pow_by_multiplication(o: Ops, a: Any, b: Any) -> Result:
    """x² and x³ as products (the engine's way since it stopped calling np.power for them)."""
    x, y = o.val(a), o.val(b)
    kinds = "f" if type(y) is float else "fiu"
    if not (type(y) in (int, float) and y in (2, 3) and isinstance(x, Value)
            and x.dtype.kind in kinds):
        raise NotApplicable
    if y == 2:
        return binary(o, o.mul(x, x), a, b, lambda g: o.mul(o.mul(g, 2), x), lambda g: None)
    return binary(o, o.mul(o.mul(x, x), x), a, b,
                  lambda g: o.mul(o.mul(g, 3), o.mul(x, x)), lambda g: None)


def pow_(o: Ops, a: Any, b: Any) -> Result:
    """x ** y. A tensor exponent (x ** t, 2 ** t) or y == 0 takes ops.pow's own gradient
    code (``_pow_da``/``_pow_db``: its branches depend on values, decided on each call)."""
    x, y = o.operands(a, b)
    out = o.k("power", x, y)
    if not isinstance(y, (Value, np.ndarray)) and y != 0:
        return binary(o, out, a, b, lambda g: o.mul(o.mul(g, y), o.k("power", x, y - 1)),
                      lambda g: None)
    return binary(o, out, a, b, lambda g: o.k("pow_da", g, x, y),
                  lambda g: o.k("pow_db", g, x, y, out))


RULES["pow"] = (pow_by_multiplication, pow_)


@rule("remainder")
def remainder(o: Ops, a: Any, b: Any) -> Result:
    x, y = o.operands(a, b)
    return binary(o, o.k("remainder", x, y), a, b, lambda g: g,
                  lambda g: o.mul(o.neg(g), o.k("floor_divide", x, y)))


@rule("neg")
def neg(o: Ops, a: Node) -> Result:
    return unary(o.k("negative", a.value), a, lambda g: o.neg(g))


# ---- elementwise functions ----


@rule("exp")
def exp(o: Ops, a: Node) -> Result:
    out = o.k("exp", o.float_(a.value))
    return unary(out, a, lambda g: o.mul(g, out))


@rule("log")
def log(o: Ops, a: Node) -> Result:
    x = o.float_(a.value)
    return unary(o.k("log", x), a, lambda g: o.div(g, x))


@rule("sqrt")
def sqrt(o: Ops, a: Node) -> Result:
    out = o.k("sqrt", o.float_(a.value))
    return unary(out, a, lambda g: o.div(g, o.mul(2, out)))


@rule("abs")
def abs_(o: Ops, a: Node) -> Result:
    x = a.value
    return unary(o.k("absolute", x), a, lambda g: o.mul(g, o.k("sign", x)))


@rule("sin")
def sin(o: Ops, a: Node) -> Result:
    x = o.float_(a.value)
    return unary(o.k("sin", x), a, lambda g: o.mul(g, o.k("cos", x)))


@rule("cos")
def cos(o: Ops, a: Node) -> Result:
    x = o.float_(a.value)
    return unary(o.k("cos", x), a, lambda g: o.mul(o.neg(g), o.k("sin", x)))


@rule("tanh")
def tanh(o: Ops, a: Node) -> Result:
    out = o.k("tanh", o.float_(a.value))
    return unary(out, a, lambda g: o.mul(g, o.sub(1, o.mul(out, out))))


@rule("sigmoid")
def sigmoid(o: Ops, a: Node) -> Result:
    # 1 / (1 + e^-x); for very negative x, e^-x overflows to inf and σ is 0 (not warned about)
    out = o.div(1, o.add(1, o.k("exp_quiet", o.neg(o.float_(a.value)))))
    return unary(out, a, lambda g: o.mul(o.mul(g, out), o.sub(1, out)))


def zeros_like(o: Ops, x: Value) -> Any:
    """0 for ``np.maximum(x, 0)``: a constant array of x's shape where that is quicker.

    NumPy's maximum against a scalar takes a slow loop (2-3x the time of two arrays); an array
    of zeros gives every element the same pair (x, 0), so the same bits.
    """
    if x.dtype.kind in "fiu" and 0 < int(np.prod(x.shape)) <= 1 << 22:
        return o.b.constant(np.zeros(x.shape, x.dtype), "zeros")
    return 0


@rule("relu")
def relu(o: Ops, a: Node) -> Result:
    x = a.value
    return unary(o.k("maximum", x, zeros_like(o, x)), a,
                 lambda g: o.mul(g, o.k("greater", x, 0)))


@rule("leaky_relu")
def leaky_relu(o: Ops, a: Node, negative_slope: float = 0.01) -> Result:
    x = a.value
    pos = o.k("greater", x, 0)
    out = o.k("where", pos, x, o.mul(x, negative_slope))
    return unary(out, a, lambda g: o.k("where", pos, g, o.mul(g, negative_slope)))


@rule("clamp")
def clamp(o: Ops, a: Node, min: Any = None, max: Any = None) -> Result:
    x = a.value
    out = o.k("clip", x, lo=o.val(min), hi=o.val(max))  # bounds: numbers or tensors
    keep = o.k("equal", out, x)
    return unary(out, a, lambda g: o.mul(g, keep))


@rule("maximum", "minimum")
def extremum(o: Ops, a: Any, b: Any, *, _largest: bool = True) -> Result:
    x, y = o.operands(a, b)
    wa = o.add(o.k("greater" if _largest else "less", x, y), o.mul(0.5, o.k("equal", x, y)))
    out = o.k("maximum" if _largest else "minimum", x, y)
    return binary(o, out, a, b, lambda g: o.mul(g, wa), lambda g: o.mul(g, o.sub(1, wa)))


RULES["minimum"] = lambda o, a, b: extremum(o, a, b, _largest=False)


@rule("where")
def where(o: Ops, condition: Any, a: Any, b: Any) -> Result:
    c = o.val(condition)
    if isinstance(c, Value):
        if c.dtype != np.bool_:
            c = o.k("astype", c, dtype=np.dtype(np.bool_))
    else:
        c = o.b.constant(np.asarray(c, dtype=bool))
    x, y = o.operands(a, b)
    ex = [v.example if isinstance(v, Value) else v for v in (x, y)]
    zero = o.b.constant(np.zeros((), dtype=np.result_type(*ex)), "zero")
    return binary(o, o.k("where", c, x, y), a, b, lambda g: o.k("where", c, g, zero),
                  lambda g: o.k("where", c, zero, g))


# ---- reductions ----


def _axes(dim: Any, ndim: int) -> tuple[int, ...]:
    if dim is None:
        return tuple(range(ndim))
    if ndim == 0:
        return ()
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    return tuple(d % ndim for d in dims)


def _expand_back(o: Ops, g: Value, axes: tuple[int, ...], keepdim: bool,
                 shape: tuple[int, ...]) -> Value:
    if not keepdim and shape:
        g = o.reshape(g, tuple(1 if i in axes else n for i, n in enumerate(shape)))
    return g if g.shape == shape else o.k("broadcast_to", g, shape=shape)


@rule("sum")
def sum_(o: Ops, a: Node, dim: Any = None, keepdim: bool = False) -> Result:
    x = a.value
    axes = _axes(dim, len(x.shape))
    out = o.sum(x, axes, keepdim)
    if out.dtype == np.bool_ or out.dtype.kind in "iu":
        out = o.k("astype", out, dtype=np.dtype(np.int64))
    shape = x.shape
    return unary(out, a, lambda g: _expand_back(o, g, axes, keepdim, shape))


@rule("mean")
def mean(o: Ops, a: Node, dim: Any = None, keepdim: bool = False) -> Result:
    x = a.value
    if x.dtype.kind != "f":
        raise CompileError("mean of an integer tensor")  # eager raised already
    axes = _axes(dim, len(x.shape))
    n = int(np.prod([x.shape[i] for i in axes])) if x.shape else 1
    # ndarray.mean: a sum, then a division by the count as np.intp, into the sum's buffer
    out = o.sum(x, axes, keepdim)
    o.b.inplace("true_divide", out, np.intp(n))
    shape = x.shape
    return unary(out, a, lambda g: _expand_back(o, o.div(g, n), axes, keepdim, shape))


def _extreme(o: Ops, a: Node, dim: Any = None, keepdim: bool = False, *, other: Any = None,
             axis: Any = None, _largest: bool = True) -> Result:
    """ops.max / ops.min: a full reduction (tied extremes share the gradient), along ``dim``
    ((values, indices); the first index of the extreme gets the whole gradient), or with a
    tensor, the elementwise maximum."""
    dim = (dim if axis is None else axis) if other is None else other
    if isinstance(dim, Node):
        return extremum(o, a, dim, _largest=_largest)
    x = a.value
    if dim is None:  # x.max(); hits = x == out; share = hits / hits.sum()
        out = o.k("max" if _largest else "min", x, axes=None, keepdims=False)
        hits = o.k("equal", x, out)
        share = o.k("true_divide", hits, o.k("sum", hits, axes=None, keepdims=False))
        return unary(out, a, lambda g: o.mul(g, share))
    if not x.shape:
        raise CompileError("max/min of a 0-d tensor along a dim is not supported by vb.compile")
    axis = dim % len(x.shape)
    idx = o.k("argmax" if _largest else "argmin", x, axis=axis, keepdims=True)
    values = o.k("take_along", x, idx, axis=axis)
    if not keepdim:
        values = o.k("squeeze", values, axis=axis)
        indices = o.k("squeeze", idx, axis=axis)
    else:
        indices = idx
    shape, dtype = x.shape, x.dtype

    def vjp(g: Value) -> tuple[Value]:
        gx = o.k("zeros", shape=shape, dtype=dtype)
        o.b.inplace("put_along", gx, idx, g if keepdim else o.k("expand_dims", g, axis=axis),
                    axis=axis)
        return (gx,)

    return (values, indices), (a,), vjp


@rule("max")
def max_(o: Ops, a: Node, dim: Any = None, keepdim: bool = False, **kw: Any) -> Result:
    return _extreme(o, a, dim, keepdim, **kw)


@rule("min")
def min_(o: Ops, a: Node, dim: Any = None, keepdim: bool = False, **kw: Any) -> Result:
    return _extreme(o, a, dim, keepdim, _largest=False, **kw)


@rule("amax", "amin")
def amax(o: Ops, a: Node, dim: Any = (), keepdim: bool = False, *, _largest: bool = True
         ) -> Result:
    """ops.amax / amin: tied extremes share the gradient (out kept with its dims, as eager)."""
    x = a.value
    n = len(x.shape)
    axes = tuple(range(n)) if dim is None or dim == () else _axes(dim, n)
    out = o.k("max" if _largest else "min", x, axes=axes, keepdims=True)
    hits = o.k("equal", x, out)
    share = o.k("true_divide", hits, o.k("sum", hits, axes=axes, keepdims=True))
    result = out if keepdim or not axes else o.k("squeeze", out, axis=axes)

    def vjp(g: Value) -> Value:
        gk = g if keepdim or not axes else o.k("expand_dims", g, axis=axes)
        return o.mul(gk, share)

    return unary(result, a, vjp)


RULES["amin"] = lambda o, a, dim=(), keepdim=False: amax(o, a, dim, keepdim, _largest=False)


# ---- shapes ----


@rule("reshape")
def reshape(o: Ops, a: Node, *shape: Any, _name: str = "View") -> Result:
    """ops.reshape (and unsqueeze, squeeze, flatten, which call it with their own _name)."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    x = a.value
    out_shape = np.empty(x.shape, dtype=np.bool_).reshape(tuple(shape)).shape
    src = x.shape
    return unary(o.k("reshape", x, shape=out_shape), a, lambda g: o.reshape(g, src))


@rule("transpose")
def transpose(o: Ops, a: Node, dim0: int, dim1: int) -> Result:
    n = len(a.shape)
    axes = list(range(n))
    axes[dim0 % n], axes[dim1 % n] = axes[dim1 % n], axes[dim0 % n]
    perm = tuple(axes)
    return unary(o.transpose(a.value, perm), a, lambda g: o.transpose(g, perm))


@rule("permute")
def permute(o: Ops, a: Node, *dims: Any) -> Result:
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = tuple(dims[0])
    dims = tuple(d % len(a.shape) for d in dims)
    inverse = tuple(int(i) for i in np.argsort(dims))
    return unary(o.transpose(a.value, dims), a, lambda g: o.transpose(g, inverse))


@rule("t")
def t_(o: Ops, a: Node) -> Result:
    return unary(o.transpose(a.value), a, lambda g: o.transpose(g))


@rule("expand")
def expand(o: Ops, a: Node, *sizes: Any) -> Result:
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    x = a.value
    lead = len(sizes) - len(x.shape)
    shape = tuple(x.shape[i - lead] if s == -1 else int(s) for i, s in enumerate(sizes))
    return unary(o.k("broadcast_to", x, shape=shape), a, lambda g: g)


def _is_advanced(idx: Any) -> bool:
    items = idx if isinstance(idx, tuple) else (idx,)
    return any(isinstance(i, (Value, np.ndarray, list)) for i in items)


@rule("getitem")
def getitem(o: Ops, a: Node, idx: Any) -> Result:
    x = a.value
    idx = tuple(o.val(i) for i in idx) if isinstance(idx, tuple) else o.val(idx)
    text = raw(o.b.index(idx))
    advanced = _is_advanced(idx)
    index_values = [i for i in (idx if isinstance(idx, tuple) else (idx,)) if isinstance(i, Value)]
    if advanced:
        out = o.k("take", x, *index_values, idx=text, _index=idx)
    else:
        view = o.b.ns[x.name][_plain_index(idx)]
        if isinstance(view, np.ndarray):
            out = o.k("getitem", x, idx=text, _index=idx)
        else:  # a single element: eager wraps the NumPy scalar in a new 0-d array
            out = o.k("take", x, idx=text, _index=idx)

    def vjp(g: Value) -> Value:
        gx = o.k("zeros", shape=x.shape, dtype=x.dtype)
        if advanced:
            o.b.inplace("add_at", gx, g, *index_values, idx=_index_expr(o, idx), _index=idx)
        else:
            o.b.inplace("setitem", gx, g, idx=text, _index=idx)
        return gx

    return unary(out, a, vjp)


def _index_expr(o: Ops, idx: Any) -> Any:
    """An index as one Python expression (a tuple stays a tuple, slices as ``slice(...)``),
    for calls that take the index as an argument (``np.add.at(gx, idx, g)``)."""
    if not isinstance(idx, tuple):
        return raw(o.b.index(idx))
    parts = [i.name if isinstance(i, Value) else o.b.arg(i) for i in idx]
    return raw("(" + ", ".join(parts) + ",)")


def _plain_index(idx: Any) -> Any:
    return tuple(i.example if isinstance(i, Value) else i for i in idx) if isinstance(
        idx, tuple) else idx


@rule("cat")
def cat(o: Ops, tensors: Sequence[Node], dim: int = 0) -> Result:
    tensors = tuple(tensors)
    vals = [t.value for t in tensors]
    axis = dim % len(vals[0].shape)
    out = o.k("concatenate", vals, axis=axis)
    bounds = np.cumsum([v.shape[axis] for v in vals])

    def vjp(g: Value) -> list[Value]:
        starts = [0, *bounds[:-1].tolist()]
        pre = (slice(None),) * axis
        return [o.k("getitem", g, idx=raw(o.b.index((*pre, slice(s, int(e))))),
                    _index=(*pre, slice(s, int(e))))
                for s, e in zip(starts, bounds.tolist(), strict=True)]

    return out, tensors, vjp


@rule("stack")
def stack(o: Ops, tensors: Sequence[Node], dim: int = 0) -> Result:
    tensors = tuple(tensors)
    out = o.k("stack", [t.value for t in tensors], axis=dim)
    axis = dim % len(out.shape)
    pre = (slice(None),) * axis
    return out, tensors, lambda g: [o.k("getitem", g, idx=raw(o.b.index((*pre, i))),
                                          _index=(*pre, i)) for i in range(len(tensors))]


# ---- matrix products ----


# arrays whose layout is the same on every call (an argument's strides are guarded)
_FIXED = ("buffer", "const", "ext", "newgrad", "state", "arg")


def _layout(v: Value) -> str | None:
    """"C" or "F" for an array laid out the same on every call (None otherwise); the code
    relies on it, so an argument's strides become a guard."""
    example = v.example
    if v.storage.kind not in _FIXED or not isinstance(example, np.ndarray):
        return None
    layout = "C" if example.flags.c_contiguous else "F" if example.flags.f_contiguous else None
    if layout and v.storage.kind == "arg":
        v.storage.layout_fixed = True
    return layout


def _dot_gives_matmul_bits(x: Value, y: Value) -> bool:
    """Whether ``x.dot(y)`` may stand for eager's ``x @ y``: two 2-D float matrices (no side
    of 1: NumPy takes other routes there) laid out the same on every call, contiguous either way,
    and the same bits seen for this shape and layout (``dot_same_bits``)."""
    if len(x.shape) != 2 or len(y.shape) != 2 or x.dtype != y.dtype or x.dtype.kind != "f":
        return False
    m, k = x.shape
    n = y.shape[1]
    if min(m, k, n) < 2:
        return False
    layouts = (_layout(x), _layout(y))
    return None not in layouts and dot_same_bits(m, k, n, x.dtype.name, layouts)  # type: ignore


@functools.cache
def dot_same_bits(m: int, k: int, n: int, dtype: str, layouts: tuple[str, str]) -> bool:
    """Whether ndarray.dot gives np.matmul's bits for 2-D operands of this shape and these
    layouts ("C" or "F"). Both hand such products to the BLAS's gemm, but nothing promises the
    same call, so it is checked once per shape, on random numbers with zeros of both signs
    (a row and a column of zeros only, too: the signs of zero sums)."""
    rng = np.random.default_rng(0)

    def operand(shape: tuple[int, int], layout: str) -> np.ndarray:
        a = rng.standard_normal(shape).astype(dtype)
        a[rng.random(shape) < 0.2] = 0.0
        a[rng.random(shape) < 0.2] = -0.0
        return a if layout == "C" else np.asfortranarray(a)

    for _ in range(3):
        x, y = operand((m, k), layouts[0]), operand((k, n), layouts[1])
        x[0] = -0.0
        y[:, 0] = 0.0
        if not same_bits(np.matmul(x, y), x.dot(y)):
            return False
    return True


@rule("matmul")
def matmul(o: Ops, a: Node, b: Node) -> Result:
    x, y = a.value, b.value
    out = o.matmul(x, y)
    if len(x.shape) == 2 and len(y.shape) == 2:
        return out, (a, b), lambda g: (
            o.matmul(g, o.transpose(y)) if a.requires_grad else None,
            o.matmul(o.transpose(x), g) if b.requires_grad else None,
        )

    def vjp(g: Value) -> tuple[Any, Any]:  # NumPy's rules for 1-D and batched operands
        if len(x.shape) == 1 and len(y.shape) == 1:
            return o.mul(g, y), o.mul(g, x)
        xm = o.k("getitem", x, idx=raw("None, :"), _index=(None, slice(None))) \
            if len(x.shape) == 1 else x
        ym = o.k("getitem", y, idx=raw(":, None"), _index=(slice(None), None)) \
            if len(y.shape) == 1 else y
        gm = g
        if len(x.shape) == 1:
            gm = o.k("expand_dims", gm, axis=-2)
        if len(y.shape) == 1:
            gm = o.k("expand_dims", gm, axis=-1)
        gx = o.matmul(gm, o.k("swapaxes", ym))
        gy = o.matmul(o.k("swapaxes", xm), gm)
        if len(x.shape) == 1:
            gx = o.k("getitem", gx, idx=raw("..., 0, :"), _index=(Ellipsis, 0, slice(None)))
        if len(y.shape) == 1:
            gy = o.k("getitem", gy, idx=raw("..., 0"), _index=(Ellipsis, 0))
        return gx, gy

    return out, (a, b), vjp


MID = 1 << 16  # multiply-adds from which another layout may pay off: timed per shape


@functools.cache
def reorder_pays(form: str, m: int, k: int, n: int, dtype: str) -> bool:
    """Whether writing a product another way is quicker here, for this shape: "nt" copies
    ``w.T`` contiguous before ``x @ w.T`` (x (m, k), w (n, k)); "tn" computes ``g.T @ x`` as
    ``(x.T @ g).T`` copied into place (g (k, m), x (k, n)). Timed once per shape, both ways
    interleaved, the quickest of nine rounds each; the other way must win by 5 %. It depends
    on the shape and on the BLAS's kernels (on one machine the copy won at 32 rows × 64 → 128
    and lost at 256 × 64 → 2048), so it is measured, not assumed."""
    rng = np.random.default_rng(0)
    if form == "nt":
        x, w = rng.standard_normal((m, k)).astype(dtype), rng.standard_normal((n, k)).astype(dtype)
        wt, out = np.empty((k, n), dtype), np.empty((m, n), dtype)

        def plain() -> None:
            np.matmul(x, w.T, out)

        def other() -> None:
            np.copyto(wt, w.T)
            np.matmul(x, wt, out)
    else:
        g, x = rng.standard_normal((k, m)).astype(dtype), rng.standard_normal((k, n)).astype(dtype)
        gw = np.empty((m, n), dtype)

        def plain() -> None:
            np.matmul(g.T, x, gw)

        def other() -> None:
            np.copyto(gw, np.matmul(x.T, g).T)
    reps = max(1, min(50, (1 << 21) // (m * k * n)))
    best = {plain: math.inf, other: math.inf}
    for _ in range(9):
        for way in best:
            t0 = time.perf_counter()
            for _ in range(reps):
                way()
            best[way] = min(best[way], time.perf_counter() - t0)
    return best[other] < 0.95 * best[plain]  # at 10 %, a true 14 % flipped in one process of 6


@functools.cache
def same_bits_reordered(m: int, k: int, n: int, dtype: str, form: str) -> bool:
    """Whether the BLAS gives ``a @ b`` the same bits when written another way (``form``):
    "nt" is x @ w.T against x @ (w.T copied contiguous), "tn" is g.T @ x against (x.T @ g).T.
    OpenBLAS packs operands before multiplying, so each element is summed in one order either
    way; checked once per shape on random data, since nothing promises it."""
    rng = np.random.default_rng(0)
    if form == "nt":  # x (m, k), w (n, k)
        x, w = rng.standard_normal((m, k)).astype(dtype), rng.standard_normal((n, k)).astype(dtype)
        return same_bits(np.matmul(x, w.T), np.matmul(x, np.ascontiguousarray(w.T)))
    g, x = rng.standard_normal((k, m)).astype(dtype), rng.standard_normal((k, n)).astype(dtype)
    return same_bits(np.matmul(g.T, x), np.matmul(x.T, g).T)  # g (k, m), x (k, n)


def _reordered(form: str, x: Value, m: int, k: int, n: int) -> bool:
    """Whether the layer's code writes this product the other way (``form``, see
    ``reorder_pays``): a 2-D float product of at least ``MID`` multiply-adds, quicker that way
    here, and with the same bits (``same_bits_reordered``)."""
    if len(x.shape) != 2 or x.dtype.kind != "f" or m * k * n < MID:
        return False
    return reorder_pays(form, m, k, n, x.dtype.name) and same_bits_reordered(
        m, k, n, x.dtype.name, form)


@rule("linear")
def linear(o: Ops, input: Node, weight: Node, bias: Node | None = None) -> Result:
    x, w = input.value, weight.value
    wt = o.transpose(w)
    if len(x.shape) == 2 and _reordered("nt", x, *x.shape, w.shape[0]):
        wt = o.k("copy", wt)  # OpenBLAS runs x @ w.T slower than with w.T contiguous, here
    out = o.matmul(x, wt)  # eager's @ (ndarray.dot differs on signed zeros)
    if bias is not None:
        o.b.inplace("add", out, bias.value)
    n_out, n_in = w.shape

    def vjp(g: Value, row_sum: bool = False, blas: bool = False) -> list[Any]:
        rows = int(np.prod(g.shape)) // n_out
        g2 = o.k("reshape", g, shape=(rows, n_out)) if len(g.shape) != 2 else g
        gx = o.matmul(g, w) if input.requires_grad else None
        x2 = x if len(x.shape) == 2 else o.k("reshape", x, shape=(rows, n_in))
        if not weight.requires_grad:
            gw = None
        elif _reordered("tn", g2, n_out, g2.shape[0], n_in):  # (x.T @ g).T: quicker here
            gw = o.k("copy", o.transpose(o.matmul(o.transpose(x2), g2)))
        else:
            gw = o.matmul(o.transpose(g2), x2)
        if bias is None:
            return [gx, gw]
        if len(g2.shape) == 2 and g2.shape[0] == 1 and not row_sum:  # one row: its own sum
            return [gx, gw, o.k("getitem", g2, idx=raw("0"), _index=0)]
        if blas and _blas_sums_in_order(g2):
            ones = o.b.constant(np.ones(g2.shape[0], g2.dtype), "ones")
            return [gx, gw, o.k("row_sum", g2, ones)]
        return [gx, gw, o.sum(g2, (0,), False)]

    def vjp_sum(g: Value, blas: bool = False) -> list[Any]:
        return vjp(g, row_sum=True, blas=blas)

    parents = (input, weight) if bias is None else (input, weight, bias)
    first, second = (vjp, vjp_sum) if engine_takes_one_row() else (vjp_sum, vjp)
    # the first whose gradients match eager's bits (on the traced call)
    return out, parents, (lambda g: first(g, blas=True), first, second)


def _blas_sums_in_order(g: Value) -> bool:
    """Whether the bias gradient (g summed over its rows) may be the BLAS's ``ones · g``: a
    float matrix of 2 to 64 contiguous rows, for which the BLAS was seen to add the rows one
    after the other, as ``np.add.reduce`` does (``blas_row_sum_in_order``). Each product
    ``1 · g`` is exact and both sums start from +0.0 (a column of -0.0 sums to +0.0 both
    ways), so the bits are eager's."""
    if len(g.shape) != 2 or g.dtype.kind != "f":
        return False
    rows, n = g.shape
    return 2 <= rows <= 64 and rows * n <= 1 << 18 and _layout(g) == "C" and \
        blas_row_sum_in_order(rows, n, g.dtype.name)


@functools.cache
def blas_row_sum_in_order(rows: int, n: int, dtype: str) -> bool:
    """Whether ``ones.dot(g)`` (a matrix-vector product in the BLAS, about 1.7 µs quicker
    than the reduction on the digits MLP) gives ``np.add.reduce(g, 0)``'s bits for this shape:
    checked once per shape on random numbers of magnitudes 1e-3 to 1e3, where any other
    order of additions shows."""
    rng = np.random.default_rng(0)
    ones = np.ones(rows, dtype)
    for _ in range(8):
        g = (rng.standard_normal((rows, n)) * 10.0 ** rng.uniform(-3, 3, (rows, n))).astype(dtype)
        if not same_bits(np.add.reduce(g, 0), ones.dot(g)):
            return False
    return True


@functools.cache
def engine_mean_of_one_is_itself() -> bool:
    """Whether the engine's loss reduction takes the mean of one element as the element
    (keeping a -0.0) rather than summing and dividing: asked once, of the engine itself."""
    from vibrastic.nn import functional

    try:
        out, _ = functional._reduce(np.array([-0.0], np.float32), "mean")
    except (AttributeError, TypeError, ValueError):
        return False
    return bool(np.signbit(out).all())


@functools.cache
def engine_takes_one_row() -> bool:
    """Whether the engine's linear takes a one-row gradient as the bias gradient (keeping a
    -0.0) instead of summing it (which gives +0.0): asked once, of the engine itself."""
    from vibrastic import ops as engine
    from vibrastic.autograd import enable_grad

    x = _t._new(np.ones((1, 1), np.float32))
    w, b = _t._new(np.ones((1, 1), np.float32), True), _t._new(np.zeros(1, np.float32), True)
    with enable_grad():  # (the first compiled call may come inside no_grad)
        engine.linear(x, w, b).backward(_t._new(np.array([[-0.0]], np.float32)))
    return bool(np.signbit(b.grad._data).all())


# ---- softmax and losses ----


def _row_max(o: Ops, x: Value, dim: int) -> Value:
    """``x.max(dim, keepdims=True)``. Along the rows of a float matrix of the program's own:
    ``np.maximum.reduceat`` over its flat rows, about 1 µs quicker on the digits MLP's
    logits. It runs NumPy's maximum loop on each row as the reduction does, so it gives the
    same result, ties of -0.0 with +0.0 and NaNs included (tested)."""
    if len(x.shape) != 2 or dim % 2 != 1 or x.dtype.kind != "f" or min(x.shape) < 1 \
            or _layout(x) != "C":
        return o.k("max", x, axes=dim, keepdims=True)
    rows, n = x.shape
    starts = o.b.constant(np.arange(rows) * n, "row_starts")
    return o.reshape(o.k("max_rows", x, starts), (rows, 1))


@rule("softmax")
def softmax(o: Ops, a: Node, dim: int) -> Result:
    x = a.value
    e = o.k("exp", o.sub(x, _row_max(o, x, dim)))
    s = o.div(e, o.sum(e, dim, True))
    return unary(s, a, lambda g: o.mul(s, o.sub(g, o.sum(o.mul(g, s), dim, True))))


def _log_softmax(o: Ops, x: Value, dim: int) -> Value:
    shifted = o.sub(x, _row_max(o, x, dim))
    return o.sub(shifted, o.k("log", o.sum(o.k("exp", shifted), dim, True)))


@rule("log_softmax")
def log_softmax(o: Ops, a: Node, dim: int) -> Result:
    out = _log_softmax(o, a.value, dim)
    return unary(out, a, lambda g: o.sub(g, o.mul(o.k("exp", out), o.sum(g, dim, True))))


def _reduce(o: Ops, loss: Value, reduction: str) -> tuple[Value, Any]:
    if reduction == "mean":
        n = int(np.prod(loss.shape))
        if n == 1 and engine_mean_of_one_is_itself():
            return o.reshape(loss, ()), 1.0
        return o.div(o.sum(loss, None, False), n), (1.0 / n if n else 0.0)
    if reduction == "sum":
        return o.sum(loss, None, False), 1.0
    if reduction == "none":
        return loss, None
    raise CompileError(f"unknown reduction {reduction!r}")  # eager raised already


def _negated_mean(o: Ops, picked: Value, reduction: str) -> tuple[Value, Any]:
    """Eager's ``_reduce(-picked)``. For a mean of several, ``-(sum(picked) / n)`` with the
    minus on the quotient (a Python scalar's minus, no NumPy call) instead of a pass negating
    every row: the same bits, since negating is exact and rounding to nearest is symmetric,
    so a pairwise sum or a quotient of negated numbers is the negated sum or quotient (NaNs
    too: an addition passes a NaN operand on, and the minus flips its sign either way).
    Cross-entropy only: log-probabilities are never +inf, so no inf - inf makes a NaN of
    its own whose sign the minus would change."""
    n = int(np.prod(picked.shape))
    if reduction != "mean" or n < 2:
        return _reduce(o, o.neg(picked), reduction)
    total = o.sum(picked, None, False)
    return o.k("neg_mean", total, o.b.typed("true_divide", (total, n))[1]), 1.0 / n


def _spread(o: Ops, g: Value, scale: Any) -> Value:
    return g if scale is None else o.mul(g, scale)


@rule("mse_loss")
def mse_loss(o: Ops, input: Node, target: Any, reduction: str = "mean") -> Result:
    x, y = input.value, o.val(target)
    d = o.sub(x, y)
    out, scale = _reduce(o, o.mul(d, d), reduction)
    # d·(g·2s) is 2d·(g·s) to the last bit (doubling is exact), one pass over d fewer
    two, minus_two = (2, -2) if scale is None else (2 * scale, -2 * scale)
    return binary(o, out, input, target, lambda g: o.mul(d, o.mul(g, two)),
                  lambda g: o.mul(d, o.mul(g, minus_two)))


@rule("binary_cross_entropy")
def binary_cross_entropy(o: Ops, input: Node, target: Any, weight: Any = None,
                         size_average: Any = None, reduce: Any = None,
                         reduction: str = "mean") -> Result:
    if size_average is not None or reduce is not None:
        raise CompileError("binary_cross_entropy's deprecated size_average/reduce arguments; "
                           "pass reduction= instead")
    x, y = input.value, o.val(target)
    o.b.check("_np.any(({0} < 0) | ({0} > 1))", "RuntimeError",
              "all elements of input should be between 0 and 1", x)
    log_x = o.k("maximum", o.k("qlog", x), -100)
    log_1mx = o.k("maximum", o.k("qlog1p", o.neg(x)), -100)
    loss = o.neg(o.add(o.mul(y, log_x), o.mul(o.sub(1, y), log_1mx)))
    w = None if weight is None else o.val(weight)
    if w is not None:
        loss = o.mul(loss, w)
    out, scale = _reduce(o, loss, reduction)

    def dx(g: Value) -> Value:
        d = o.div(o.mul(_spread(o, g, scale), o.sub(x, y)),
                  o.k("maximum", o.mul(o.sub(1, x), x), 1e-12))
        return d if w is None else o.mul(d, w)

    def dy(g: Value) -> Value:
        d = o.mul(_spread(o, g, scale), o.sub(
            o.k("maximum", o.k("qlog1p", o.neg(x)), -100),
            o.k("maximum", o.k("qlog", x), -100)))
        return d if w is None else o.mul(d, w)

    return binary(o, out, input, target, dx, dy)


def _class_targets(o: Ops, x: Value, t: Any, ignore_index: int) -> None:
    """Eager's bounds check of class indices, made on every call. Python's max of the targets
    seen unsigned is quicker on a batch; a negative target is then >= 2^63, so one test
    catches both ends. When it fires, ``_target_error`` (runtime.py) raises eager's error,
    or traces again where the only targets outside [0, C) equal ``ignore_index`` (this code
    was traced without any: the caller checked that retracing here changes nothing)."""
    if not isinstance(t, Value):
        return  # a constant: eager checked it
    classes = x.shape[-1]
    message = raw(f"{{0}}, {classes}, {int(ignore_index)}")
    if len(t.shape) == 1:
        unsigned = o.b.const(np.dtype(f"u{t.dtype.itemsize}"), "unsigned")
        o.b.check("{0}.size and max({0}.view(" + unsigned + ").tolist()) >= "
                  + str(classes), "_target_error", message, t)
    else:
        o.b.check("{0}.size and ({0}.min() < 0 or {0}.max() >= " + str(classes) + ")",
                  "_target_error", message, t)


def _flat_targets(o: Ops, x: Value, t: Any) -> Any:
    """Row r's target t[r] as an index into x.reshape(-1): r * C + t[r]. Picking and changing
    those elements through it touches the same elements as x[arange(N), t], quicker."""
    if len(x.shape) != 2 or not isinstance(t, Value):
        return None
    return o.add(o.b.constant(np.arange(x.shape[0]) * x.shape[1], "row_starts"), t)


def _nll_plain(o: Ops, input: Node, t: Any, reduction: str) -> Result:
    """nll_loss of in-bounds class indices without options: eager's ``_nll_indices``."""
    x = input.value
    if len(x.shape) > 1:
        rows = o.b.constant(np.arange(x.shape[0]), "rows")
        idx: Any = (rows, t)
    else:
        idx = t
    ts = [v for v in (idx if isinstance(idx, tuple) else (idx,)) if isinstance(v, Value)]
    text = raw(o.b.index(idx))
    flat = _flat_targets(o, x, t)
    if flat is not None:
        picked = o.neg(o.k("take_flat", x, flat))
    else:
        picked = o.neg(o.k("take", x, *ts, idx=text, _index=idx))
    out, scale = _reduce(o, picked, reduction)
    if out.dtype != x.dtype:
        out = o.k("astype", out, dtype=x.dtype)

    def vjp(g: Value) -> tuple[Value]:
        gx = o.k("zeros", shape=x.shape, dtype=x.dtype)
        if flat is not None:
            o.b.inplace("set_flat", gx, flat, o.neg(_spread(o, g, scale)))
        else:
            o.b.inplace("setitem", gx, o.neg(_spread(o, g, scale)), *ts, idx=text, _index=idx)
        return (gx,)

    return out, (input,), vjp


def _cross_entropy_plain(o: Ops, input: Node, t: Any, indices: bool, reduction: str) -> Result:
    """cross_entropy without options: eager's ``_cross_entropy_indices`` (class indices) and
    ``_plain_probability_loss`` (probabilities)."""
    x = input.value
    logp = _log_softmax(o, x, -1)
    if indices:
        idx: Any = (o.b.constant(np.arange(x.shape[0]), "rows"), t) if len(x.shape) > 1 else t
        ts = [v for v in (idx if isinstance(idx, tuple) else (idx,)) if isinstance(v, Value)]
        text = raw(o.b.index(idx))
        flat = _flat_targets(o, x, t)
        if flat is not None:
            picked = o.k("take_flat", logp, flat)
        else:
            picked = o.k("take", logp, *ts, idx=text, _index=idx)
        out, scale = _negated_mean(o, picked, reduction)
        onehot = o.k("zeros", shape=x.shape, dtype=x.dtype)
        o.b.inplace("setitem", onehot, 1, *ts, idx=text, _index=idx)
    else:
        out, scale = _reduce(o, o.neg(o.sum(o.mul(t, logp), -1, False)), reduction)
        onehot = t
    if out.dtype != x.dtype:
        out = o.k("astype", out, dtype=x.dtype)

    def vjp(g: Value) -> tuple[Value]:
        s = _spread(o, g, scale)
        if len(s.shape):
            s = o.reshape(s, (*s.shape, 1))
        if indices:
            # eager: (exp(logp) * onehot.sum(-1, keepdims) - onehot) * s. With class indices each
            # row of onehot sums to exactly 1.0, and x * 1.0 and x - 0.0 leave x's bits alone,
            # so subtracting 1 at the targets gives the same numbers with two fewer passes.
            e = o.k("exp", logp)
            one = o.b.typed("subtract", (e, 1))[1]  # a 0-d array: same bits, quicker
            if flat is not None:
                o.b.inplace("sub_flat", e, flat, one)
            else:
                o.b.inplace("sub_at", e, one, *ts, idx=text, _index=idx)
            return (o.mul(e, s),)
        weight = o.sum(onehot, -1, True)
        return (o.mul(o.sub(o.mul(o.k("exp", logp), weight), onehot), s),)

    return out, (input,), vjp

_CHANGES_OUTSIDE = ("arg", "ext", "extgrad", "newgrad", "state")


def _retrace_is_safe(o: Ops) -> bool:
    """Whether the program so far changed nothing that outlives the call (no in-place update
    of a tensor from outside, no random draw), so raising Retrace here and running the call
    eagerly instead gives eager's results."""
    for ins in o.b.instrs:
        if ins.kind == "inplace":
            target = ins.args[0]
            root = target.base if target.base is not None else target
            if root.storage.kind in _CHANGES_OUTSIDE:
                return False
        elif ins.kind == "call" and ins.meta and ins.meta[0] in (
                "random", "randint", "permutation", "bernoulli"):
            return False
    return True


def _class_loss(o: Ops, input: Node, target: Any, weight: Any, size_average: Any,
                ignore_index: int, reduce: Any, reduction: str, label_smoothing: float,
                logits: bool) -> Result:
    """nll_loss / cross_entropy. Without options, on (N, C) or (C,) input, the NumPy calls of
    eager's plain paths, with a check that traces again if a later call has a target equal to
    ``ignore_index``; with weight, ignore_index hits, label_smoothing or (N, C, d1, ...)
    input, one call of eager's own ``_class_loss`` forward and one for the gradient."""
    if size_average is not None or reduce is not None:
        raise CompileError(f"{'cross_entropy' if logits else 'nll_loss'}'s deprecated "
                           "size_average/reduce arguments; pass reduction= instead")
    x = input.value
    t = o.val(target)
    example = t.example if isinstance(t, Value) else np.asarray(t)
    classes = x.shape[-1] if len(x.shape) else 0
    indices = example.dtype.kind in "iu"
    plain = (weight is None and not label_smoothing and len(x.shape) <= 2
             and reduction in ("mean", "sum", "none"))
    if plain and indices:
        plain = (not 0 <= ignore_index < classes and not (example == ignore_index).any()
                 and (not isinstance(t, Value) or _retrace_is_safe(o)))
    elif plain:
        plain = example.dtype == x.dtype and example.shape == x.shape
    if plain:
        if indices:
            _class_targets(o, x, t, ignore_index)
            return (_cross_entropy_plain(o, input, t, True, reduction) if logits
                    else _nll_plain(o, input, t, reduction))
        return _cross_entropy_plain(o, input, t, False, reduction)
    w = None if weight is None else o.val(weight)
    attrs = dict(ignore_index=int(ignore_index), reduction=reduction,
                 label_smoothing=float(label_smoothing), logits=logits)
    out = o.k("class_loss", x, t, w, **attrs)

    def vjp(g: Value) -> tuple[Value]:
        return (o.k("class_loss_grad", g, x, t, w, **attrs),)

    return out, (input,), vjp


@rule("_value_check")
def value_check(o: Ops, input: Node, condition: str, error: str, message: str) -> Result:
    """nn.functional._value_check: its check, as its text, on every call; the input passed
    on (the gradient too)."""
    o.b.check(condition, error, message, input.value)
    return input.value, (input,), lambda g: (g,)


@rule("nll_loss")
def nll_loss(o: Ops, input: Node, target: Any, weight: Any = None, size_average: Any = None,
             ignore_index: int = -100, reduce: Any = None, reduction: str = "mean") -> Result:
    return _class_loss(o, input, target, weight, size_average, ignore_index, reduce, reduction,
                       0.0, logits=False)


@rule("cross_entropy")
def cross_entropy(o: Ops, input: Node, target: Any, weight: Any = None,
                  size_average: Any = None, ignore_index: int = -100, reduce: Any = None,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Result:
    return _class_loss(o, input, target, weight, size_average, ignore_index, reduce, reduction,
                       label_smoothing, logits=True)


# ---- dtype, copies, comparisons ----


@rule("to")
def to(o: Ops, a: Node, dtype: np.dtype) -> Result:
    x = a.value
    if dtype == x.dtype:
        return x, (a,), None  # eager returns the tensor itself; the recorder keeps it
    out = o.k("astype", x, dtype=dtype)
    if dtype.kind != "f":
        return out, (), None
    source = x.dtype
    return unary(out, a, lambda g: o.k("astype", g, dtype=source))


@rule("clone")
def clone(o: Ops, a: Node) -> Result:
    return unary(o.k("copy", a.value), a, lambda g: g)


_COMPARE = {"lt": "less", "le": "less_equal", "gt": "greater", "ge": "greater_equal",
            "eq": "equal", "ne": "not_equal"}


def _compare(kernel: str, promotes: bool = True) -> Callable[..., Result]:
    def compare(o: Ops, a: Any, b: Any) -> Result:
        x, y = o.operands(a, b) if promotes else (o.val(a), o.val(b))
        return o.k(kernel, x, y), (), None

    return compare


for _name, _kernel in _COMPARE.items():
    RULES[_name] = _compare(_kernel)


@rule("logical_not")
def logical_not(o: Ops, a: Node) -> Result:
    return o.k("logical_not", a.value), (), None


for _name in ("isfinite", "isnan", "isinf"):  # no gradient
    RULES[_name] = functools.partial(lambda o, a, _k: (o.k(_k, a.value), (), None), _k=_name)
for _name in ("logical_and", "logical_or"):
    RULES[_name] = _compare(_name, promotes=False)
RULES["floor_divide"] = _compare("floor_divide")


@rule("argmax", "argmin")
def argmax(o: Ops, a: Node, dim: Any = None, keepdim: bool = False, *, _fn: str = "argmax"
           ) -> Result:
    return o.k(_fn, a.value, axis=dim, keepdims=keepdim), (), None


RULES["argmin"] = lambda o, a, dim=None, keepdim=False: argmax(o, a, dim, keepdim, _fn="argmin")


# ---- activations beyond the deck (nn.functional), each as its eager code, call for call ----


def _sigmoid_clipped(o: Ops, x: Value) -> Value:
    """silu's and softplus's σ: ``1 / (1 + np.exp(-np.clip(x, -700, 700)))``."""
    return o.div(1, o.add(1, o.k("exp", o.neg(o.k("clip", x, lo=-700, hi=700)))))


def _as_dtype(o: Ops, v: Value, dtype: np.dtype) -> Value:
    """``v.astype(dtype, copy=False)``: nothing to do when v already has it."""
    return v if v.dtype == dtype else o.k("astype", v, dtype=dtype)


@rule("silu")
def silu(o: Ops, input: Node, inplace: bool = False) -> Result:
    x = input.value
    s = _sigmoid_clipped(o, x)
    return unary(o.mul(x, s), input,
                 lambda g: o.mul(o.mul(g, s), o.add(1, o.mul(x, o.sub(1, s)))))


def _elu(o: Ops, input: Node, alpha: float, scale: float, input_scale: float,
         grad_input_scale: float | None = None) -> Result:
    """nn.functional._elu, the one kernel behind elu, selu and celu."""
    x = input.value
    pos = o.k("greater", x, 0)
    low = o.k("minimum", x, 0)
    e = o.k("exp", low if input_scale == 1 else o.mul(low, input_scale))
    negative = alpha * scale
    out = o.k("where", pos, x if scale == 1 else o.mul(x, scale), o.mul(negative, o.sub(e, 1)))
    k = input_scale if grad_input_scale is None else grad_input_scale
    slope = negative * k

    def vjp(g: Value) -> Value:
        ek = e if k == input_scale else o.k("exp", o.mul(low, k))
        return o.k("where", pos, g if scale == 1 else o.mul(g, scale), o.mul(o.mul(g, slope), ek))

    return unary(_as_dtype(o, out, x.dtype), input, vjp)


@rule("elu")
def elu(o: Ops, input: Node, alpha: float = 1.0, inplace: bool = False) -> Result:
    return _elu(o, input, alpha, 1.0, 1.0)


@rule("selu")
def selu(o: Ops, input: Node, inplace: bool = False) -> Result:
    from vibrastic.nn.functional import SELU_ALPHA, SELU_SCALE

    return _elu(o, input, SELU_ALPHA, SELU_SCALE, 1.0)


@rule("celu")
def celu(o: Ops, input: Node, alpha: float = 1.0, inplace: bool = False) -> Result:
    return _elu(o, input, alpha, 1.0, 1.0 / alpha, 1.0 / float(np.float32(alpha)))


@rule("softplus")
def softplus(o: Ops, input: Node, beta: float = 1.0, threshold: float = 20.0) -> Result:
    x = input.value
    bx = o.mul(beta, x)
    linear_part = o.k("greater", bx, threshold)
    out = o.k("where", linear_part, x, o.div(o.k("logaddexp", 0, bx), beta))
    out = _as_dtype(o, out, x.dtype)
    s = _sigmoid_clipped(o, bx)
    return unary(out, input, lambda g: o.k("where", linear_part, g, o.mul(g, s)))


@rule("hardtanh")
def hardtanh(o: Ops, input: Node, min_val: float = -1.0, max_val: float = 1.0,
             inplace: bool = False) -> Result:
    x = input.value
    inside = o.k("logical_and", o.k("greater", x, min_val), o.k("less", x, max_val))  # & of bools
    return unary(o.k("clip", x, lo=min_val, hi=max_val), input, lambda g: o.mul(g, inside))


@rule("gelu")
def gelu(o: Ops, input: Node, approximate: str = "none") -> Result:
    """x·Φ(x); 'tanh': torch's tanh approximation. The gradient is eager's ``grad`` array,
    computed here only when a gradient is needed (the bits don't depend on when)."""
    x = input.value
    if approximate == "tanh":
        k = math.sqrt(2 / math.pi)
        inner = o.mul(k, o.add(x, o.mul(0.044715, o.k("power", x, 3))))
        t = o.k("tanh", inner)
        half_x, one_t = o.mul(0.5, x), o.add(1, t)
        out = o.mul(half_x, one_t)

        def grad(g: Value) -> Value:
            slope = o.mul(o.mul(o.mul(half_x, o.sub(1, o.mul(t, t))), k),
                          o.add(1, o.mul(o.mul(3 * 0.044715, x), x)))
            return o.mul(g, o.add(o.mul(0.5, one_t), slope))
    elif approximate == "none":
        cdf = o.k("astype", o.mul(0.5, o.add(1, o.k("erf", o.div(x, math.sqrt(2))))),
                  dtype=x.dtype)
        out = o.mul(x, cdf)

        def grad(g: Value) -> Value:
            density = o.div(o.mul(x, o.k("exp", o.mul(o.mul(-0.5, x), x))),
                            math.sqrt(2 * math.pi))
            return o.mul(g, o.add(cdf, density))
    else:
        raise CompileError(f"gelu(approximate={approximate!r})")  # eager raised already
    return unary(_as_dtype(o, out, x.dtype), input, grad)


# ---- picking by index: embedding, gather; logsumexp ----


def _index_value(o: Ops, index: Any) -> Value:
    """An index argument as a value of the program: a tensor's (or one a rule computed), or
    a constant array."""
    if isinstance(index, Node):
        return index.value
    if isinstance(index, Value):
        return index
    return o.b.constant(np.asarray(index), "index")


@rule("embedding")
def embedding(o: Ops, input: Any, weight: Node, padding_idx: int | None = None) -> Result:
    """``w[idx]``; the gradient is ``np.add.at`` into zeros (eager's order of accumulation),
    the padding row zeroed after it. The bounds check is made on every call, as eager's."""
    idx, w = _index_value(o, input), weight.value
    rows = w.shape[0]
    o.b.check("{0}.size and ({0}.min() < 0 or {0}.max() >= " + str(rows) + ")", "IndexError",
              f"index out of range in self (indices must be in [0, {rows}))", idx)
    text = raw(idx.name)
    out = o.k("take", w, idx, idx=text, _index=idx)

    def vjp(g: Value) -> tuple[Value]:
        gw = o.k("zeros", shape=w.shape, dtype=w.dtype)
        o.b.inplace("add_at", gw, g, idx, idx=text, _index=idx)
        if padding_idx is not None:
            o.b.inplace("setitem", gw, 0, idx=raw(repr(int(padding_idx))),
                        _index=int(padding_idx))
        return (gw,)

    return out, (weight,), vjp


@rule("gather")
def gather(o: Ops, input: Node, dim: int, index: Any) -> Result:
    """``x[grid]``, the grid being ``np.indices`` of the index's shape with the index at
    ``dim`` (ops._scatter_index); the gradient ``np.add.at`` into zeros, as eager's."""
    x = input.value
    idx = _index_value(o, index)
    if idx.dtype.kind not in "iu":
        raise CompileError("gather with a non-integer index")  # eager raised already
    if idx.dtype != np.int64:
        idx = o.k("astype", idx, dtype=np.dtype(np.int64))
    axis = dim % len(x.shape) if x.shape else 0
    if x.shape:
        n = x.shape[axis]
        bad = "(({0} < 0) | ({0} >= " + str(n) + "))"
        o.b.check("{0}.size and ({0}.min() < 0 or {0}.max() >= " + str(n) + ")", "RuntimeError",
                  raw("'index ' + str({0}[" + bad + "].flat[0]) + "
                      f"' is out of bounds for dimension {axis} with size {n}'"), idx)
    grid: list[Any] = [o.b.constant(g, "grid") for g in np.indices(idx.shape, sparse=True)]
    grid[axis] = idx
    where = tuple(grid)
    text = raw(o.b.index(where))
    out = o.k("take", x, *where, idx=text, _index=where)

    def vjp(g: Value) -> tuple[Value]:
        gx = o.k("zeros", shape=x.shape, dtype=x.dtype)
        o.b.inplace("add_at", gx, g, *where, idx=_index_expr(o, where), _index=where)
        return (gx,)

    return out, (input,), vjp


@rule("logsumexp")
def logsumexp(o: Ops, input: Node, dim: Any, keepdim: bool = False) -> Result:
    x = o.float_(input.value)
    axes = _axes(dim, len(x.shape))
    m = o.k("max", x, axes=axes, keepdims=True) if x.shape else x
    m = o.k("where", o.k("isfinite", m), m, 0)
    total = o.add(o.k("log", o.sum(o.k("exp", o.sub(x, m)), axes, True)), m)
    out = total if keepdim or not axes else o.k("squeeze", total, axis=axes)

    def vjp(g: Value) -> Value:
        gk = g if keepdim or not axes else o.k("expand_dims", g, axis=axes)
        return o.mul(gk, o.k("exp", o.sub(x, total)))

    return unary(out, input, vjp)


# ---- einsum ----


@rule("einsum")
def einsum(o: Ops, equation: str, *operands: Any) -> Result:
    """NumPy's einsum with eager's subscripts; each operand's gradient the einsum of the
    output's gradient with the other operands (ops.einsum), copied as eager copies it."""
    from vibrastic.ops import _einsum_subscripts

    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    ins, sub_out = _einsum_subscripts(equation, len(operands))
    nodes = tuple(a if isinstance(a, Node) else
                  Node(o.b.constant(np.asarray(a), "operand"), False, -1) for a in operands)
    arrays = [n.value for n in nodes]
    out = o.k("einsum", tuple(arrays), spec=raw(repr(f"{','.join(ins)}->{sub_out}")))
    if any(np.shares_memory(out.example, a.example) for a in arrays):
        raise CompileError("an einsum that only rearranges its operand (a view of it): write "
                           "it with permute/transpose")

    def vjp(g: Value) -> list[Value | None]:
        grads: list[Value | None] = []
        for i, (sub, node) in enumerate(zip(ins, nodes, strict=True)):
            if not node.requires_grad:
                grads.append(None)
                continue
            others = [(s, a) for j, (s, a) in enumerate(zip(ins, arrays, strict=True)) if j != i]
            seen = set(sub_out).union(*(s for s, _ in others))
            kept = "".join(c for c in sub if c in seen)
            spec = ",".join([sub_out, *(s for s, _ in others)]) + "->" + kept
            gi = o.k("einsum", (g, *(a for _, a in others)), spec=raw(repr(spec)))
            if kept != sub:  # indices only this operand had: spread back over them
                axes = tuple(k for k, c in enumerate(sub) if c not in seen)
                gi = o.k("broadcast_to", o.k("expand_dims", gi, axis=axes), shape=node.shape)
            grads.append(o.k("astype", gi, dtype=node.dtype))  # np.array(gi, dtype): a copy
        return grads

    return out, nodes, vjp


# ---- more elementwise functions (ops._elementwise: g · f'(x), f' written from x and y) ----


def _elementwise(kernel: str, derivative: Callable[[Ops, Value, Value], Value]
                 ) -> Callable[..., Result]:
    def op(o: Ops, input: Node) -> Result:
        x = o.float_(input.value)
        out = o.k(kernel, x)
        return unary(out, input, lambda g: o.mul(g, derivative(o, x, out)))

    return op


def _one_over_root(o: Ops, x: Value) -> Value:  # √(1 - x²)
    return o.k("sqrt", o.sub(1, o.mul(x, x)))


RULES.update({
    "sinh": _elementwise("sinh", lambda o, x, y: o.k("cosh", x)),
    "cosh": _elementwise("cosh", lambda o, x, y: o.k("sinh", x)),
    "tan": _elementwise("tan", lambda o, x, y: o.add(1, o.mul(y, y))),
    "asin": _elementwise("arcsin", lambda o, x, y: o.div(1, _one_over_root(o, x))),
    "acos": _elementwise("arccos", lambda o, x, y: o.div(-1, _one_over_root(o, x))),
    "atan": _elementwise("arctan", lambda o, x, y: o.div(1, o.add(1, o.mul(x, x)))),
    "log2": _elementwise("log2", lambda o, x, y: o.div(1, o.mul(x, np.log(2.0)))),
    "log10": _elementwise("log10", lambda o, x, y: o.div(1, o.mul(x, np.log(10.0)))),
    "log1p": _elementwise("log1p", lambda o, x, y: o.div(1, o.add(1, x))),
    "expm1": _elementwise("expm1", lambda o, x, y: o.add(y, 1)),
    "reciprocal": _elementwise("reciprocal", lambda o, x, y: o.mul(o.neg(y), y)),
})


@rule("rsqrt")
def rsqrt(o: Ops, input: Node) -> Result:
    x = o.float_(input.value)
    out = o.div(1, o.k("sqrt", x))
    return unary(out, input, lambda g: o.mul(g, o.mul(o.mul(o.mul(-0.5, out), out), out)))


def _stepwise(kernel: str) -> Callable[..., Result]:
    """ops._stepwise: floor, ceil, trunc, sign; the gradient zeros (as eager hands on)."""
    def op(o: Ops, input: Node) -> Result:
        return unary(o.k(kernel, input.value), input,
                     lambda g: o.k("zeros", shape=g.shape, dtype=g.dtype))

    return op


RULES.update({name: _stepwise(name) for name in ("floor", "ceil", "trunc", "sign")})


@rule("round")
def round_(o: Ops, input: Node, *, decimals: int = 0) -> Result:
    x = input.value
    out = o.k("round", x, decimals=decimals) if x.dtype.kind == "f" else o.k("copy", x)
    return unary(out, input, lambda g: o.k("zeros", shape=g.shape, dtype=g.dtype))


@rule("frac")
def frac(o: Ops, input: Node) -> Result:
    x = input.value
    return unary(o.sub(x, o.k("trunc", x)), input, lambda g: g)


# ---- more shapes and picks: masked_fill, index_select, cumsum, flip, repeat ----


@rule("masked_fill")
def masked_fill(o: Ops, input: Node, mask: Any, value: Any) -> Result:
    x = input.value
    m = o.val(mask)
    if isinstance(m, Value):
        m = m if m.dtype == np.bool_ else o.k("astype", m, dtype=np.dtype(np.bool_))
    else:
        m = o.b.constant(np.asarray(m, dtype=bool), "mask")
    out = _as_dtype(o, o.k("where", m, o.val(value), x), x.dtype)
    return unary(out, input, lambda g: o.k("where", m, 0, g))


@rule("index_select")
def index_select(o: Ops, input: Node, dim: int, index: Any) -> Result:
    x = input.value
    if not x.shape:
        raise CompileError("index_select of a 0-d tensor is not supported by vb.compile")
    idx = _index_value(o, index)
    if idx.dtype != np.int64:
        idx = o.k("astype", idx, dtype=np.dtype(np.int64))
    idx = o.reshape(idx, (int(np.prod(idx.shape)),))
    axis = dim % len(x.shape)

    def vjp(g: Value) -> tuple[Value]:
        gx = o.k("zeros", shape=x.shape, dtype=x.dtype)
        o.b.inplace("add_at_axis", gx, idx, g, axis=axis)
        return (gx,)

    return unary(o.k("take_axis", x, idx, axis=axis), input, lambda g: vjp(g)[0])


@rule("cumsum")
def cumsum(o: Ops, input: Node, dim: int, *, dtype: Any = None) -> Result:
    x = input.value if dtype is None else o.k("astype", input.value,
                                              dtype=np.dtype(_t._np_dtype(dtype)))
    if not x.shape:
        return unary(o.k("copy", x), input, lambda g: g)
    axis = dim % len(x.shape)
    out = o.k("cumsum", x, axis=axis)
    if out.dtype.kind in "biu":
        out = o.k("astype", out, dtype=np.dtype(np.int64))
    return unary(out, input, lambda g: o.k("flip", o.k("cumsum", o.k("flip", g, axis=axis),
                                                       axis=axis), axis=axis))


@rule("flip")
def flip(o: Ops, input: Node, dims: Any) -> Result:
    axes = (dims,) if isinstance(dims, int) else tuple(dims)
    return unary(o.k("flip", input.value, axis=axes), input,
                 lambda g: o.k("flip", g, axis=axes))


@rule("repeat")
def repeat(o: Ops, input: Node, *sizes: Any) -> Result:
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    reps = tuple(int(s) for s in sizes)
    x = input.value
    shape = (1,) * (len(reps) - len(x.shape)) + tuple(x.shape)
    out = o.k("tile", o.reshape(x, shape), reps=reps)
    split = tuple(d for pair in zip(reps, shape, strict=True) for d in pair)
    src = x.shape

    def vjp(g: Value) -> Value:
        summed = o.sum(o.k("reshape", g, shape=split), tuple(range(0, len(split), 2)), False)
        return o.reshape(summed, src)

    return unary(out, input, vjp)


# ---- more losses (nn.functional), each as its eager code ----


@rule("l1_loss")
def l1_loss(o: Ops, input: Node, target: Any, reduction: str = "mean") -> Result:
    d = o.sub(input.value, o.val(target))
    return _piecewise_loss(o, input, target, reduction, o.k("absolute", d), o.k("sign", d))


def _piecewise_loss(o: Ops, input: Node, target: Any, reduction: str, out_: Any,
                    slope: Value) -> Result:
    out, scale = _reduce(o, out_, reduction)
    return binary(o, out, input, target, lambda g: o.mul(slope, _spread(o, g, scale)),
                  lambda g: o.mul(o.neg(slope), _spread(o, g, scale)))


@rule("smooth_l1_loss")
def smooth_l1_loss(o: Ops, input: Node, target: Any, reduction: str = "mean",
                   beta: float = 1.0) -> Result:
    d = o.sub(input.value, o.val(target))
    abs_d = o.k("absolute", d)
    inside = o.k("less", abs_d, beta)
    b = beta or 1
    loss = o.k("where", inside, o.div(o.mul(o.mul(0.5, d), d), b), o.sub(abs_d, 0.5 * beta))
    slope = o.k("where", inside, o.div(d, b), o.k("sign", d))
    return _piecewise_loss(o, input, target, reduction, loss, slope)


@rule("huber_loss")
def huber_loss(o: Ops, input: Node, target: Any, reduction: str = "mean",
               delta: float = 1.0) -> Result:
    d = o.sub(input.value, o.val(target))
    abs_d = o.k("absolute", d)
    inside = o.k("less", abs_d, delta)
    loss = o.k("where", inside, o.mul(o.mul(0.5, d), d),
               o.mul(delta, o.sub(abs_d, 0.5 * delta)))
    slope = o.k("where", inside, d, o.mul(delta, o.k("sign", d)))
    return _piecewise_loss(o, input, target, reduction, loss, slope)


@rule("binary_cross_entropy_with_logits")
def binary_cross_entropy_with_logits(o: Ops, input: Node, target: Any, weight: Any = None,
                                     reduction: str = "mean", pos_weight: Any = None
                                     ) -> Result:
    x, y = input.value, o.val(target)
    softplus_neg = o.k("logaddexp", 0, o.neg(x))
    lw: Any = 1 if pos_weight is None else o.add(o.mul(o.sub(o.val(pos_weight), 1), y), 1)
    one_y = o.sub(1, y)
    loss = o.add(o.mul(one_y, x), o.mul(lw, softplus_neg))
    w = 1 if weight is None else o.val(weight)
    out, scale = _reduce(o, o.mul(loss, w), reduction)
    out = _as_dtype(o, out, x.dtype)

    def dx(g: Value) -> Value:
        sig_neg = o.div(1, o.add(1, o.k("exp", o.k("clip", x, lo=-700, hi=700))))
        return o.mul(o.mul(o.sub(one_y, o.mul(lw, sig_neg)), w), _spread(o, g, scale))

    def dy(g: Value) -> Value:
        extra = 0 if pos_weight is None else o.mul(o.sub(o.val(pos_weight), 1), softplus_neg)
        return o.mul(o.mul(o.add(o.neg(x), extra), w), _spread(o, g, scale))

    return binary(o, out, input, target, dx, dy)


@rule("one_hot")
def one_hot(o: Ops, tensor: Any, num_classes: int = -1) -> Result:
    """``(idx[..., None] == arange(n)).astype(int64)``, with eager's checks on every call.
    Without num_classes, n is the largest index plus one: a value the code would read."""
    if num_classes == -1:
        raise CompileError("one_hot() without num_classes reads the largest index (a value); "
                           "pass num_classes")
    idx = _index_value(o, tensor)
    if idx.dtype.kind not in "iu":
        raise CompileError("one_hot of a non-integer tensor")  # eager raised already
    o.b.check("{0}.size and {0}.min() < 0", "RuntimeError", "Class values must be "
              "non-negative.", idx)
    o.b.check("{0}.size and {0}.max() >= " + str(int(num_classes)), "RuntimeError",
              "Class values must be smaller than num_classes.", idx)
    column = o.k("getitem", idx, idx=raw("..., None"), _index=(Ellipsis, None))
    hits = o.k("equal", column, o.b.constant(np.arange(num_classes), "classes"))
    return o.k("astype", hits, dtype=np.dtype(np.int64)), (), None


@rule("prod")
def prod(o: Ops, input: Node, dim: Any = None, keepdim: bool = False, *, dtype: Any = None,
         axis: Any = None) -> Result:
    """ops.prod: the gradient of each element is the product of the others, as running
    products from the left and from the right (zeros included), call for call as eager."""
    dim = dim if axis is None else axis
    x = input.value if dtype is None else o.k("astype", input.value,
                                              dtype=np.dtype(_t._np_dtype(dtype)))
    ndim, flat = len(x.shape), dim is None
    ax = -1 if flat else dim % ndim if ndim else 0
    if flat:
        moved = o.k("reshape", x, shape=(-1,))
    elif ndim:
        moved = o.k("moveaxis", x, source=ax, destination=-1)
    else:
        moved = o.k("reshape", x, shape=(1,))
    out = o.k("prod", moved, axes=-1, keepdims=False)
    if out.dtype.kind in "biu":
        out = o.k("astype", out, dtype=np.dtype(np.int64))
    if keepdim and not flat and ndim:
        out = o.k("expand_dims", out, axis=ax)
    elif keepdim and flat:
        out = o.k("reshape", out, shape=(1,) * ndim)

    def vjp(g: Value) -> Value:
        ones = o.b.constant(np.ones((*moved.shape[:-1], 1), moved.dtype), "ones")
        head = o.k("getitem", moved, idx=raw("..., :-1"), _index=(Ellipsis, slice(None, -1)))
        tail = o.k("getitem", moved, idx=raw("..., :0:-1"),
                   _index=(Ellipsis, slice(None, 0, -1)))
        left = o.k("cumprod", o.k("concatenate", [ones, head], axis=-1), axis=-1)
        right = o.k("getitem", o.k("cumprod", o.k("concatenate", [ones, tail], axis=-1),
                                   axis=-1), idx=raw("..., ::-1"),
                    _index=(Ellipsis, slice(None, None, -1)))
        if flat:
            gm = o.k("take", o.k("reshape", g, shape=(-1,)), idx=raw("0"), _index=0)
        else:
            gm = o.k("squeeze", g, axis=ax) if keepdim and ndim else g
        others = o.mul(o.mul(left, right), o.k("expand_dims", gm, axis=-1))
        if flat:
            return o.k("reshape", others, shape=x.shape)
        if ndim:
            return o.k("moveaxis", others, source=-1, destination=ax)
        return o.k("reshape", others, shape=())

    return unary(out, input, vjp)


@rule("scatter")
def scatter(o: Ops, input: Node, dim: int, index: Any, src: Any = None, *, value: Any = None,
            reduce: str | None = None) -> Result:
    """ops.scatter: a copy of input with src's entries (or value) written at index along dim;
    which places were written is worked out on every call (it depends on the index)."""
    x = input.value
    idx = _index_value(o, index)
    if idx.dtype != np.int64:
        idx = o.k("astype", idx, dtype=np.dtype(np.int64))
    grid: list[Any] = [o.b.constant(g, "grid") for g in np.indices(idx.shape, sparse=True)]
    grid[dim % len(x.shape)] = idx
    where = tuple(grid)
    text = raw(o.b.index(where))
    source = value if src is None else src
    out = o.k("copy", x)
    written = o.k("zeros", shape=x.shape, dtype=np.dtype(np.bool_))
    sub = tuple(slice(0, s) for s in idx.shape)
    if isinstance(source, Node):
        picked = o.k("getitem", source.value, idx=raw(o.b.index(sub)), _index=sub)
        o.b.inplace("setitem", out, picked, *where, idx=text, _index=where)
    else:
        o.b.inplace("setitem", out, o.val(source), *where, idx=text, _index=where)
    o.b.inplace("setitem", written, True, *where, idx=text, _index=where)
    if not isinstance(source, Node):
        return unary(out, input, lambda g: o.k("where", written, 0, g))
    shape, dtype = source.shape, source.dtype

    def vjp(g: Value) -> list[Value]:
        gs = o.k("zeros", shape=shape, dtype=dtype)
        o.b.inplace("setitem", gs, o.k("take", g, *where, idx=text, _index=where),
                    idx=raw(o.b.index(sub)), _index=sub)
        return [o.k("where", written, 0, g), gs]

    return out, (input, source), vjp


def _sort_order(o: Ops, x: Value, axis: int, descending: bool) -> Value:
    """ops.sort's permutation, computed on every call: a stable argsort (of -x, descending)."""
    if descending and x.dtype.kind != "b":
        return o.k("argsort", o.neg(x), axis=axis)
    idx = o.k("argsort", x, axis=axis)
    return o.k("flip", idx, axis=axis) if descending else idx


@rule("sort")
def sort(o: Ops, input: Node, dim: int = -1, descending: bool = False, stable: bool = False
         ) -> Result:
    """The values are a gather by the permutation (its gradient goes back through it); the
    permutation is worked out on every call, not taken from the traced one."""
    x = input.value
    if not x.shape:
        raise CompileError("sort of a 0-d tensor is not supported by vb.compile")
    axis = dim % len(x.shape)
    idx = _sort_order(o, x, axis, descending)
    values, parents, vjp = gather(o, input, axis, idx)
    return (values, o.k("astype", idx, dtype=np.dtype(np.int64))), parents, vjp


@rule("topk")
def topk(o: Ops, input: Node, k: int, dim: int = -1, largest: bool = True, sorted: bool = True
         ) -> Result:
    x = input.value
    if not x.shape:
        raise CompileError("topk of a 0-d tensor is not supported by vb.compile")
    axis = dim % len(x.shape)
    order = o.k("astype", _sort_order(o, x, axis, largest), dtype=np.dtype(np.int64))
    idx = o.k("take_axis", order, o.b.constant(np.arange(k), "first"), axis=axis)
    values, parents, vjp = gather(o, input, axis, idx)
    return (values, idx), parents, vjp


# ---- vb.special ----

_TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)


@rule("erf", "erfc")
def erf(o: Ops, input: Node, *, _kernel: str = "erf") -> Result:
    """vb.special.erf / erfc: the engine's float64 functions, rounded to the input's dtype."""
    x = o.float_(input.value)
    out = _as_dtype(o, o.k(_kernel, x), x.dtype)
    c = _TWO_OVER_SQRT_PI if _kernel == "erf" else -_TWO_OVER_SQRT_PI
    return unary(out, input, lambda g: o.mul(g, o.mul(c, o.k("exp", o.mul(o.neg(x), x)))))


RULES["erfc"] = lambda o, input: erf(o, input, _kernel="erfc")


@rule("erfinv")
def erfinv(o: Ops, input: Node) -> Result:
    y = o.float_(input.value)
    out = _as_dtype(o, o.k("erfinv", y), y.dtype)
    return unary(out, input, lambda g: o.mul(g, o.mul(math.sqrt(math.pi) / 2,
                                                       o.k("exp_quiet", o.mul(out, out)))))


@rule("ndtr")
def ndtr(o: Ops, input: Node) -> Result:
    x = o.float_(input.value)
    out = _as_dtype(o, o.mul(0.5, o.k("erfc", o.div(o.neg(x), math.sqrt(2)))), x.dtype)
    return unary(out, input, lambda g: o.mul(g, o.div(o.k("exp", o.mul(o.mul(-0.5, x), x)),
                                                       math.sqrt(2 * math.pi))))


@rule("logit")
def logit(o: Ops, input: Node, eps: float | None = None) -> Result:
    p = o.float_(input.value)
    if eps is None:
        z, inside = p, True
    else:
        z = o.k("clip", p, lo=eps, hi=1 - eps)
        inside = o.k("logical_and", o.k("greater_equal", p, eps), o.k("less_equal", p, 1 - eps))
    out = o.k("log_quiet", o.k("true_divide_quiet", z, o.sub(1, z)))

    def vjp(g: Value) -> Value:
        slope = o.k("true_divide_quiet", g, o.mul(z, o.sub(1, z)))
        return _as_dtype(o, o.k("where", inside, slope, 0), z.dtype)

    return unary(out, input, vjp)


@rule("xlogy")
def xlogy(o: Ops, input: Any, other: Any) -> Result:
    """x·log(y), 0 where x is 0 (unless y is NaN). Both operands arrays (a Python number
    beside a tensor takes NumPy scalar paths the rule does not follow)."""
    if not all(isinstance(v, (Node, np.ndarray)) for v in (input, other)):
        raise CompileError("xlogy with a Python number is not supported by vb.compile")
    x, y = (o.float_(v) for v in o.operands(input, other))
    zero = o.k("logical_and", o.k("equal", x, 0), o.k("logical_not", o.k("isnan", y)))
    log_y = o.k("log_quiet", y)
    product = o.mul(x, log_y)
    out = _as_dtype(o, o.k("where", zero, 0.0, product), product.dtype)
    return binary(o, out, input, other,
                  lambda g: o.mul(g, _as_dtype(o, o.k("where", zero, 0.0, log_y), out.dtype)),
                  lambda g: o.k("true_divide_quiet", o.mul(g, x), y))


# ---- answers without a gradient: any, all, isclose ----


@rule("any", "all")
def any_(o: Ops, input: Node, dim: Any = None, keepdim: bool = False, *, _fn: str = "any"
         ) -> Result:
    axis = None if dim is None else _axes(dim, len(input.shape))
    return o.k(_fn, input.value, axis=axis, keepdims=keepdim), (), None


RULES["all"] = lambda o, input, dim=None, keepdim=False: any_(o, input, dim, keepdim, _fn="all")


@rule("isclose")
def isclose(o: Ops, input: Node, other: Any, rtol: float = 1e-05, atol: float = 1e-08,
            equal_nan: bool = False) -> Result:
    return o.k("isclose", input.value, o.val(other), rtol=rtol, atol=atol,
               equal_nan=equal_nan), (), None


# ---- masks, log-sigmoid, hard and shrinking activations, logaddexp, constant padding ----


def _zero(o: Ops, dtype: np.dtype) -> Value:
    return o.b.constant(np.zeros((), dtype), "zero")


@rule("tril", "triu")
def tril(o: Ops, input: Node, diagonal: int = 0, *, _lower: bool = True) -> Result:
    """ops._triangle: np.where with a constant triangle of booleans."""
    x = input.value
    n, m = x.shape[-2:]
    keep = o.b.constant(np.tri(n, m, diagonal, dtype=bool) if _lower else
                        ~np.tri(n, m, diagonal - 1, dtype=bool), "triangle")
    zero = _zero(o, x.dtype)
    return unary(o.k("where", keep, x, zero), input, lambda g: o.k("where", keep, g, zero))


RULES["triu"] = lambda o, input, diagonal=0: tril(o, input, diagonal, _lower=False)


@rule("logaddexp")
def logaddexp(o: Ops, input: Any, other: Any) -> Result:
    """ops.logaddexp: d/da = 1/(1 + e^(b-a)), the exponential allowed to overflow."""
    x, y = o.operands(input, other)
    ex = [v.example if isinstance(v, Value) else v for v in (x, y)]
    if np.result_type(*ex).kind in "biu":
        f = _t._default_float.np
        x, y = (o.k("astype", v, dtype=np.dtype(f)) if isinstance(v, Value) else float(v)
                for v in (x, y))
    return binary(o, o.k("logaddexp", x, y), input, other,
                  lambda g: o.div(g, o.add(1, o.k("exp_quiet", o.sub(y, x)))),
                  lambda g: o.div(g, o.add(1, o.k("exp_quiet", o.sub(x, y)))))


@rule("logsigmoid")
def logsigmoid(o: Ops, input: Node) -> Result:
    x = input.value
    z = o.k("exp", o.neg(o.k("absolute", x)))
    out = o.sub(o.k("minimum", x, 0), o.k("log1p", z))
    negative = o.k("less", x, 0)

    def vjp(g: Value) -> Value:
        share = o.div(z, o.add(1, z))
        return o.mul(g, o.k("where", negative, o.sub(1, share), share))

    return unary(out, input, vjp)


def _relu6_of_shift(o: Ops, x: Value) -> Value:  # min(max(x + 3, 0), 6)
    return o.k("minimum", o.k("maximum", o.add(x, 3), 0), 6)


@rule("hardsigmoid")
def hardsigmoid(o: Ops, input: Node, inplace: bool = False) -> Result:
    from vibrastic.nn.functional import _ONE_SIXTH

    x = input.value
    inside = o.k("logical_and", o.k("greater", x, -3), o.k("less", x, 3))
    zero = _zero(o, x.dtype)
    return unary(o.div(_relu6_of_shift(o, x), 6), input,
                 lambda g: o.k("where", inside, o.mul(g, _ONE_SIXTH), zero))


@rule("hardswish")
def hardswish(o: Ops, input: Node, inplace: bool = False) -> Result:
    x = input.value
    out = o.div(o.mul(x, _relu6_of_shift(o, x)), 6)

    def vjp(g: Value) -> Value:
        middle = o.k("where", o.k("less", x, 3), o.add(o.div(x, 3), 0.5),
                     o.b.constant(np.ones((), x.dtype), "one"))
        return o.mul(g, o.k("where", o.k("less_equal", x, -3), _zero(o, x.dtype), middle))

    return unary(out, input, vjp)


def _outside(o: Ops, x: Value, lambd: float) -> Value:  # (x < -λ) | (x > λ)
    return o.k("logical_or", o.k("less", x, -lambd), o.k("greater", x, lambd))


@rule("hardshrink")
def hardshrink(o: Ops, input: Node, lambd: float = 0.5) -> Result:
    x = input.value
    kept, zero = _outside(o, x, lambd), _zero(o, x.dtype)
    return unary(o.k("where", kept, x, zero), input, lambda g: o.k("where", kept, g, zero))


@rule("softshrink")
def softshrink(o: Ops, input: Node, lambd: float = 0.5) -> Result:
    x = input.value
    kept, zero = _outside(o, x, lambd), _zero(o, x.dtype)
    below = o.k("where", o.k("less", x, -lambd), o.add(x, lambd), zero)
    out = o.k("where", o.k("greater", x, lambd), o.sub(x, lambd), below)
    return unary(_as_dtype(o, out, x.dtype), input, lambda g: o.k("where", kept, g, zero))


@rule("threshold")
def threshold(o: Ops, input: Node, threshold: float, value: float, inplace: bool = False
              ) -> Result:
    x = input.value
    kept = o.k("greater", x, threshold)
    fill = o.b.constant(np.asarray(value, x.dtype), "fill")
    return unary(o.k("where", kept, x, fill), input,
                 lambda g: o.k("where", kept, g, _zero(o, x.dtype)))


@rule("pad")
def pad(o: Ops, input: Node, pad: Any, mode: str = "constant", value: float | None = None
        ) -> Result:
    """F.pad's constant mode: zeros (filled with ``value``), input's part written in; the
    gradient is the slice of g that came from input."""
    if mode != "constant":
        raise CompileError(f"F.pad(mode={mode!r}) is not supported by vb.compile (constant is)")
    from vibrastic.nn.functional import _pad_widths

    x = input.value
    src, dst, shape = [], [], []
    for n, (before, after) in zip(x.shape, _pad_widths(x.shape, pad), strict=True):
        lo, hi = max(-before, 0), n - max(-after, 0)
        count = max(hi - lo, 0)
        src.append(slice(lo, lo + count))
        dst.append(slice(max(before, 0), max(before, 0) + count))
        shape.append(n + before + after)
    s, d = tuple(src), tuple(dst)
    out = o.k("zeros", shape=tuple(shape), dtype=x.dtype)
    if value:
        o.b.inplace("fill", out, value=value)
    o.b.inplace("setitem", out, o.k("getitem", x, idx=raw(o.b.index(s)), _index=s),
                idx=raw(o.b.index(d)), _index=d)

    def vjp(g: Value) -> Value:
        gx = o.k("zeros", shape=x.shape, dtype=g.dtype)
        o.b.inplace("setitem", gx, o.k("getitem", g, idx=raw(o.b.index(d)), _index=d),
                    idx=raw(o.b.index(s)), _index=s)
        return gx

    return unary(out, input, vjp)


@rule("roll")
def roll(o: Ops, input: Node, shifts: Any, dims: Any = None) -> Result:
    """ops.roll along dims, or (dims None) of the flattened tensor."""
    shift = (shifts,) if isinstance(shifts, int) else tuple(shifts)
    if dims is None:
        x, size = input.value, int(np.prod(input.shape))
        flat = o.k("roll", o.reshape(x, (size,)), shift=shift[0], axis=None)
        return unary(o.reshape(flat, x.shape), input, lambda g: o.reshape(
            o.k("roll", o.reshape(g, (size,)), shift=-shift[0], axis=None), x.shape))
    axes = (dims,) if isinstance(dims, int) else tuple(dims)
    back = tuple(-s for s in shift)
    return unary(o.k("roll", input.value, shift=shift, axis=axes), input,
                 lambda g: o.k("roll", g, shift=back, axis=axes))


def _float_pair(o: Ops, input: Any, other: Any) -> tuple[Any, Any]:
    """ops._float_operands for float operands."""
    x, y = o.operands(input, other)
    ex = [v.example if isinstance(v, Value) else v for v in (x, y)]
    if np.result_type(*ex).kind != "f":
        raise CompileError("atan2 and hypot of integer tensors are not supported by vb.compile")
    return x, y


@rule("hypot")
def hypot(o: Ops, input: Any, other: Any) -> Result:
    x, y = _float_pair(o, input, other)
    out = o.k("hypot", x, y)
    return binary(o, out, input, other, lambda g: o.div(o.mul(g, x), out),
                  lambda g: o.div(o.mul(g, y), out))


@rule("atan2")
def atan2(o: Ops, input: Any, other: Any) -> Result:
    x, y = _float_pair(o, input, other)
    ex = [v.example if isinstance(v, Value) else v for v in (x, y)]
    dtype = np.result_type(*ex)
    out = o.k("arctan2_f64", x, y) if dtype == np.float32 else o.k("arctan2", x, y)
    out = _as_dtype(o, out, dtype)
    r2 = o.add(o.mul(x, x), o.mul(y, y))
    return binary(o, out, input, other, lambda g: o.div(o.mul(g, y), r2),
                  lambda g: o.div(o.mul(g, o.neg(x)), r2))


@rule("nan_to_num")
def nan_to_num(o: Ops, input: Node, nan: float = 0.0, posinf: float | None = None,
               neginf: float | None = None) -> Result:
    x = input.value
    if x.dtype.kind != "f":  # integers: a copy
        return unary(o.k("copy", x), input, lambda g: g)
    finite = o.k("isfinite", x)
    return unary(o.k("nan_to_num", x, nan=nan, posinf=posinf, neginf=neginf), input,
                 lambda g: o.mul(g, finite))

