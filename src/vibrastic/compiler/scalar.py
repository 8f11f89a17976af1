"""The scalar backend: the same program with one Python float per array element.

For a network as small as the deck's 2-3-1 XOR, a NumPy call costs far more than the arithmetic
it does (about a microsecond for three multiplications), so the fastest code is plain Python:
``linear1_0 = x_0 * fc1_weight_0 + x_1 * fc1_weight_1``. Views (reshape, transpose, broadcast)
and copies cost nothing here: they only rename elements. Values are read from the arrays at the
start of the call (``tolist()``) and written back at the end, so eager code sees the parameters,
gradients and optimizer state as usual.

Python floats are float64: on a float32 network the results are *close* to eager's, not equal
bit for bit (use ``backend="numpy"`` for that). Where Python arithmetic raises (division by
zero, overflow, log of 0) and NumPy would give inf or nan, the call is run by the NumPy program
instead; nothing has been written back at that point.
"""

from __future__ import annotations

import math
import re
import struct
from typing import Any

import numpy as np

from vibrastic.compiler.codegen import Program, Writer
from vibrastic.compiler.graph import CompileError, Instr, Value, literal
from vibrastic.compiler.kernels import INPLACE

MAX_ELEMENTS = 1024  # beyond this, NumPy's calls pay for themselves
UNARY = {
    "negative": "-{0}", "exp": "_math.exp({0})", "log": "_math.log({0})",
    "log1p": "_math.log1p({0})", "sqrt": "_math.sqrt({0})", "absolute": "abs({0})",
    "sin": "_math.sin({0})", "cos": "_math.cos({0})", "tanh": "_math.tanh({0})",
    "exp_quiet": "_math.exp({0})", "erf": "_math.erf({0})", "isfinite": "_math.isfinite({0})",
    "isnan": "_math.isnan({0})", "isinf": "_math.isinf({0})",
    "logical_not": "(not {0})", "floor": "float(_math.floor({0}))",
    "sign": "(1.0 if {0} > 0.0 else -1.0 if {0} < 0.0 else 0.0 * {0})",
}
BINARY = {
    "add": "{0} + {1}", "subtract": "{0} - {1}", "multiply": "{0} * {1}",
    "true_divide": "{0} / {1}", "power": "{0} ** {1}",
    "maximum": "({0} if not {0} <= {1} else {1})", "minimum": "({0} if not {0} >= {1} else {1})",
    "greater": "{0} > {1}", "less": "{0} < {1}", "greater_equal": "{0} >= {1}",
    "less_equal": "{0} <= {1}", "equal": "{0} == {1}", "not_equal": "{0} != {1}",
    "logical_and": "({0} and {1})", "logical_or": "({0} or {1})",
    "floor_divide": "{0} // {1}", "remainder": "{0} % {1}", "logaddexp": "_logaddexp({0}, {1})",
}
VIEWS = ("reshape", "transpose", "T", "broadcast_to", "getitem", "asarray", "swapaxes",
         "expand_dims")


class ScalarWriter(Writer):
    """Writes the scalar program; raises CompileError where it doesn't fit (big or unsupported)."""

    backend = "scalar"
    flat_views = True
    fuse_lanes = False

    def __init__(self, rec: Any, ctx: Any, fallback: Any = None) -> None:
        super().__init__(rec, ctx)
        self.fallback = fallback
        self.elems: dict[str, list[str]] = {}  # value name -> its elements' expressions
        self.current: dict[int, str] = {}  # storage id -> the value name now holding it
        self.written: dict[int, Value] = {}  # outside storages changed: written back at the end
        self._check_fits()

    def _check_fits(self) -> None:
        total = 0
        for i, instr in enumerate(self.b.instrs):
            if i not in self.live_instrs:
                continue
            if instr.kind == "check":
                raise CompileError("scalar backend: value checks (e.g. binary_cross_entropy)")
            if instr.out is not None and instr.out.shape is not None:
                total += int(np.prod(instr.out.shape))
        if total > MAX_ELEMENTS:
            raise CompileError(f"scalar backend: {total} elements is too many")

    # ---- elements ----
    def names_of(self, v: Value) -> list[str]:
        """Element variable names for a value read from outside (made on first use)."""
        n = int(np.prod(v.shape))  # type: ignore[arg-type]
        return [f"{v.name}_{i}" for i in range(n)]

    def elements(self, x: Any) -> tuple[list[str], tuple[int, ...]]:
        """The element expressions of a value (or of a Python constant: one element)."""
        if isinstance(x, Value):
            if x.shape is None:  # a Python number (hyper-parameter, expression)
                return [x.name], ()
            if x.name not in self.elems:
                if x.storage.kind == "const":
                    self.elems[x.name] = [_float_literal(e) for e in
                                          np.asarray(x.storage.example).ravel().tolist()]
                else:
                    raise CompileError(f"internal: scalar backend has no elements for {x.name}")
            return self.elems[x.name], x.shape  # type: ignore[return-value]
        if isinstance(x, (bool, int, float)):
            return [_float_literal(x)], ()
        if isinstance(x, (np.ndarray, np.generic)):
            arr = np.asarray(x)
            return [_float_literal(e) for e in arr.ravel().tolist()], arr.shape
        raise CompileError(f"scalar backend: a constant of type {type(x).__name__}")

    def broadcast(self, x: Any, shape: tuple[int, ...]) -> list[str]:
        elems, s = self.elements(x)
        index = np.broadcast_to(np.arange(len(elems)).reshape(s), shape).ravel()
        return [elems[i] for i in index]

    # ---- the parts ----
    def prologue(self) -> None:
        super().prologue()
        self.emit("# -- elements: one Python float per array element --")
        for v in self.b.values:
            kind = v.storage.kind
            if v.base is None and kind in ("arg", "ext", "extgrad", "state") and \
                    self._is_live(v) and v.shape is not None:
                names = self.names_of(v)
                self.elems[v.name] = names
                self.emit(f"{_unpack(names, v.shape)} = {v.name}.tolist()")

    def body(self) -> int:
        self.emit("# -- the computation, element by element --")
        if self.fallback is not None:
            self.ns["_numpy_program"] = self.fallback
            self.emit("try:")
            indent = 2
        else:
            indent = 1
        blocks = {blk.start: blk.text for blk in self.b.blocks}
        n = 0
        for i, instr in enumerate(self.b.instrs):
            if i in blocks and i in self.live_instrs:
                self.emit(f"# {blocks[i]}", indent)
            if i not in self.live_instrs:
                continue
            for line in self.scalar_lines(instr):
                self.emit(line, indent)
                n += 1
        if self.fallback is not None:
            self.emit("except (ArithmeticError, ValueError):  # NumPy gives inf/nan here")
            self.emit("return _numpy_program(*args, **kwargs)", 2)
        return n

    def scalar_lines(self, instr: Instr) -> list[str]:
        out = instr.out
        if instr.kind == "expr":
            return [instr.code]
        if instr.kind == "inplace":
            return self.inplace(instr)
        assert out is not None
        kernel, args, attrs = _parse(instr)
        shape = out.shape
        n = int(np.prod(shape))  # type: ignore[arg-type]
        if kernel in VIEWS or (kernel == "take"
                               and not any(isinstance(a, Value) for a in args[1:])):
            src = self.elements(args[0])[0]
            mapping = _view_map(kernel, instr, self, args[0])
            self.elems[out.name] = [src[i] for i in mapping]
            return []
        if kernel == "copy":
            self.elems[out.name] = list(self.elements(args[0])[0])
            return []
        if kernel == "astype":
            dtype = out.dtype
            conv = "float" if dtype.kind == "f" else "int" if dtype.kind in "iu" else "bool"
            src = self.elements(args[0])[0]
            if dtype.kind == "f" and args[0].dtype.kind == "f":
                self.elems[out.name] = list(src)
                return []
            return self._define(out, [f"{conv}({e})" for e in src])
        if kernel == "zeros":
            zero = "0.0" if out.dtype.kind == "f" else "0"
            self.elems[out.name] = [zero] * n
            return []
        if kernel in UNARY:
            return self._define(out, [UNARY[kernel].format(e) for e in
                                      self.broadcast(args[0], shape)])
        if kernel in BINARY:
            if kernel == "power":
                _check_power(args[1])
            a = self.broadcast(args[0], shape)
            c = self.broadcast(args[1], shape)
            return self._define(out, [_binary(kernel, x, y) for x, y in zip(a, c, strict=True)])
        if kernel in ("sum", "max"):
            return self._reduce(kernel, out, args[0], attrs)
        if kernel == "max_rows":
            return self._reduce("max", out, args[0], {"axes": 1})
        if kernel in ("dot", "matmul", "dot_one", "matmul_one"):
            return self._dot(out, args[0], args[1])
        if kernel == "where":
            c, a, b = (self.broadcast(x, shape) for x in args)
            return self._define(out, [f"({y} if {x} else {z})" for x, y, z in zip(c, a, b,
                                                                                   strict=True)])
        if kernel == "clip":
            lo, hi = attrs["lo"], attrs["hi"]
            src = self.elements(args[0])[0]
            exprs = []
            for e in src:
                expr = e
                if hi is not None:
                    expr = f"({_float_literal(hi)} if {expr} > {_float_literal(hi)} else {expr})"
                if lo is not None:
                    expr = f"({_float_literal(lo)} if {expr} < {_float_literal(lo)} else {expr})"
                exprs.append(expr)
            return self._define(out, exprs)
        if kernel in ("qlog", "qlog1p"):
            fn = "_math.log" if kernel == "qlog" else "_math.log1p"
            arg = "{0}" if kernel == "qlog" else "1.0 + {0}"
            return self._define(out, [
                f"({fn}({e}) if {arg.format(e)} > 0.0 else -_math.inf if {arg.format(e)} == "
                f"0.0 else _math.nan)" for e in self.elements(args[0])[0]])
        raise CompileError(f"scalar backend: no scalar form for {kernel}")

    def _define(self, out: Value, exprs: list[str]) -> list[str]:
        names = self.names_of(out)
        self.elems[out.name] = names
        return [f"{name} = {expr}" for name, expr in zip(names, exprs, strict=True)]

    def _reduce(self, kernel: str, out: Value, x: Value, attrs: dict[str, Any]) -> list[str]:
        src, shape = self.elements(x)
        axes = attrs["axes"]
        ndim = len(shape)
        axes = tuple(range(ndim)) if axes is None else (axes,) if isinstance(axes, int) else axes
        axes = tuple(a % ndim for a in axes) if ndim else ()
        index = np.arange(len(src)).reshape(shape)
        keep = [i for i in range(ndim) if i not in axes]
        moved = np.transpose(index, keep + list(axes)).reshape(
            [shape[i] for i in keep] + [-1])
        exprs = []
        for group in moved.reshape(-1, moved.shape[-1]) if moved.size else []:
            terms = [src[i] for i in group]
            if kernel == "sum":
                exprs.append(" + ".join(terms) if terms else "0.0")
            else:
                exprs.append(f"max({', '.join(terms)})" if len(terms) > 1 else terms[0])
        if not exprs:
            exprs = ["0.0"] * int(np.prod(out.shape))
        return self._define(out, exprs)

    def _dot(self, out: Value, a: Value, b: Value) -> list[str]:
        ea, sa = self.elements(a)
        eb, sb = self.elements(b)
        ia = np.arange(len(ea)).reshape(sa if len(sa) == 2 else (1, *sa))
        ib = np.arange(len(eb)).reshape(sb if len(sb) == 2 else (*sb, 1))
        if len(sa) > 2 or len(sb) > 2:
            raise CompileError("scalar backend: batched matmul")
        exprs = []
        for i in range(ia.shape[0]):
            for j in range(ib.shape[1]):
                exprs.append(" + ".join(f"{ea[ia[i, k]]} * {eb[ib[k, j]]}"
                                        for k in range(ia.shape[1])))
        return self._define(out, exprs)

    def inplace(self, instr: Instr) -> list[str]:
        target = instr.args[0]
        kernel, args, attrs = _parse(instr)
        name = self._new_version(target)
        old = self.elements(target)[0]
        shape = target.shape
        if kernel in BINARY:
            other = self.broadcast(args[1], shape)  # type: ignore[arg-type]
            exprs = [BINARY[kernel].format(x, y) for x, y in zip(old, other, strict=True)]
        elif kernel == "maximum_into":
            other = self.broadcast(args[1], shape)  # type: ignore[arg-type]
            exprs = [BINARY["maximum"].format(x, y) for x, y in zip(old, other, strict=True)]
        elif kernel == "fill":
            exprs = [_float_literal(attrs["value"])] * len(old)
        elif kernel == "copyto":
            exprs = self.broadcast(args[1], shape)  # type: ignore[arg-type]
        elif kernel in ("setitem", "add_at", "sub_at"):
            positions = _index_map(instr, self, target)
            selected = np.empty(shape, dtype=np.bool_)[attrs["_index"]].shape  # type: ignore
            values = self.broadcast(args[1], selected) if positions else []
            exprs = list(old)
            for pos, val in zip(positions, values, strict=True):
                exprs[pos] = (f"{exprs[pos]} + {val}" if kernel == "add_at" else
                              f"{exprs[pos]} - {val}" if kernel == "sub_at" else val)
        else:
            raise CompileError(f"scalar backend: no scalar form for in-place {kernel}")
        names = [f"{name}_{i}" for i in range(len(old))]
        self.elems[target.name] = names
        root = target if target.base is None else target.base
        if root.storage.kind in ("arg", "ext", "extgrad", "state", "newgrad"):
            self.written[id(root.storage)] = target
        if target.base is not None:
            raise CompileError("scalar backend: in-place change through a view")
        return [f"{n} = {e}" for n, e in zip(names, exprs, strict=True)]

    def _new_version(self, target: Value) -> str:
        count = self.current.get(id(target.storage), 0) + 1
        self.current[id(target.storage)] = count
        return f"{target.name}_v{count}"

    def epilogue(self) -> None:
        """Write the new values into the arrays eager code reads: packed straight into the
        memory of float arrays (struct.pack_into, the quickest way from Python), or through
        NumPy where a value is too big for float32 (NumPy stores inf; struct raises)."""
        fast, slow = [], []
        for src in self.rec.sources:
            if src.final_grad == "new" and src.grad_value is not None:
                v = src.grad_value
                fast.append(self._pack(f"{v.name}_bytes", v))
                slow.append(_write(v.name, self.elems[v.name], v.shape, True))
        for v in self.written.values():
            if v.storage.kind == "newgrad":
                continue
            name = v.storage.name
            seen = f"_seen_{name}"
            if v.storage.kind == "ext" and seen in self.ns:  # contiguous, its bytes kept
                fast.append(self._pack(f"{seen}[1]", v))
            else:
                fast.append(_write(name, self.elems[v.name], v.shape, False))
            slow.append(_write(name, self.elems[v.name], v.shape, False))
        if fast:
            self.emit("# -- write back: arrays that eager code reads --")
            self.emit("try:")
            for line in fast:
                self.emit(line, 2)
            self.emit("except OverflowError:  # beyond float32: NumPy stores inf")
            for line in slow:
                self.emit(line, 2)
        super().epilogue()

    def _pack(self, target: str, v: Value) -> str:
        elems = self.elems[v.name]
        code = {"float32": "f", "float64": "d"}.get(v.dtype.name)
        if code is None or not v.shape:
            return _write(target.replace("_bytes", "").replace("[1]", "[0]"), elems, v.shape,
                          False)
        fn = f"_pack_{len(elems)}{code}"
        self.ns[fn] = struct.Struct(f"{len(elems)}{code}").pack_into
        return f"{fn}({target}, 0, {', '.join(elems)})"

    def output(self, out: Any) -> str:
        if out.source is not None:
            return self.tensor_expr(out.source)
        v = out.value
        nested = _nest(self.elements(v)[0], v.shape)
        arr = f"_np.array({nested}, {self._dtype(v.dtype)})"
        return f"_done({arr}, {out.grad_fn!r})" if out.grad_fn else f"_new({arr})"

    def program(self) -> Program:
        if self.rec.user_changes:  # (its element-wise bookkeeping can't follow them all)
            raise CompileError("scalar backend: the step changes tensors in place itself; the "
                               "NumPy program handles that")
        self.ns["_math"] = math
        program = super().program()
        return program

    def finish_source(self, source: str) -> str:
        """Bind math functions to globals and fold single-use temporaries into their use."""
        for fn in ("exp", "log", "log1p", "sqrt", "sin", "cos", "tanh", "floor"):
            if f"_{fn}" not in self.ns:
                self.ns[f"_{fn}"] = getattr(math, fn)
                source = source.replace(f"_math.{fn}(", f"_{fn}(")
        return _inline(source)


def _binary(kernel: str, x: str, y: str) -> str:
    """One element of a binary kernel; x * 1 and x / 1 are just x."""
    if kernel == "multiply" and y in ("1", "1.0"):
        return x
    if kernel == "multiply" and x in ("1", "1.0"):
        return y
    if kernel == "true_divide" and y in ("1", "1.0"):
        return x
    return BINARY[kernel].format(x, y)


_ASSIGN = re.compile(r"^(\s+)([A-Za-z][A-Za-z_0-9]*) = (.+)$")
_NAME = re.compile(r"[A-Za-z_][A-Za-z_0-9]*")
_SIMPLE = re.compile(r"^[A-Za-z_][A-Za-z_0-9]*$|^-?[0-9.e+-]+$")


def _inline(source: str, longest: int = 100) -> str:
    """Fold each temporary used exactly once into the line that uses it (fewer stores and
    loads for Python to do, and shorter code), inside the computation only. Each pass folds
    every temporary it can whose using line this pass leaves alone; passes repeat until none."""
    lines = source.split("\n")
    start = next(i for i, line in enumerate(lines) if "# -- the computation" in line)
    end = next(i for i, line in enumerate(lines)
               if "# -- write back" in line or "# -- hand-over" in line)
    changed = True
    while changed:
        changed = False
        counts: dict[str, int] = {}
        where: dict[str, int] = {}  # name -> the last body line that mentions it
        for j, line in enumerate(lines):
            for name in _NAME.findall(line):
                counts[name] = counts.get(name, 0) + 1
                if start <= j < end:
                    where[name] = j
        touched: set[int] = set()
        for i in range(start, end):
            m = _ASSIGN.match(lines[i])
            if not m or i in touched or counts.get(m.group(2), 0) != 2 or \
                    len(m.group(3)) > longest:
                continue
            name, expr = m.group(2), m.group(3)
            use = where.get(name, i)
            if use <= i or use in touched:
                continue
            text = expr if _SIMPLE.match(expr) or _enclosed(expr) else f"({expr})"
            lines[use] = re.sub(rf"\b{name}\b", text.replace("\\", "\\\\"), lines[use])
            lines[i] = ""
            touched.update((i, use))
            changed = True
    return "\n".join(line for line in lines if line != "")


def _enclosed(expr: str) -> bool:
    """Whether the whole expression sits in one pair of parentheses."""
    if not (expr.startswith("(") and expr.endswith(")")):
        return False
    depth = 0
    for i, c in enumerate(expr):
        depth += (c == "(") - (c == ")")
        if depth == 0 and i < len(expr) - 1:
            return False
    return True


def _parse(instr: Instr) -> tuple[str, tuple[Any, ...], dict[str, Any]]:
    """The kernel, arguments and attributes an instruction was made from."""
    meta = instr.meta
    if meta is None:
        raise CompileError("internal: an instruction without its kernel")
    return meta


def _view_map(kernel: str, instr: Instr, w: ScalarWriter, x: Any) -> list[int]:
    """Which element of ``x`` each element of a view is, by doing the view on an index array."""
    _, _, attrs = _parse(instr)
    elems, shape = w.elements(x)
    index = np.arange(len(elems)).reshape(shape)
    if kernel == "reshape":
        return index.reshape(attrs["shape"]).ravel().tolist()
    if kernel == "transpose":
        return index.transpose(attrs["axes"]).ravel().tolist()
    if kernel == "T":
        return index.T.ravel().tolist()
    if kernel == "swapaxes":
        return np.swapaxes(index, -1, -2).ravel().tolist()
    if kernel == "expand_dims":
        return np.expand_dims(index, attrs["axis"]).ravel().tolist()
    if kernel == "broadcast_to":
        return np.broadcast_to(index, attrs["shape"]).ravel().tolist()
    if kernel in ("getitem", "take"):
        return np.asarray(index[attrs["_index"]]).ravel().tolist()
    if kernel == "asarray":
        return index.ravel().tolist()
    raise CompileError(f"internal: view {kernel}")


def _index_map(instr: Instr, w: ScalarWriter, target: Value) -> list[int]:
    _, args, attrs = _parse(instr)
    del w
    if any(isinstance(a, Value) for a in args[2:]):
        raise CompileError("scalar backend: an index that depends on values")
    index = np.arange(int(np.prod(target.shape))).reshape(target.shape)
    return np.asarray(index[attrs["_index"]]).ravel().tolist()


def _check_power(exponent: Any) -> None:
    if isinstance(exponent, Value) or not float(exponent).is_integer():
        raise CompileError("scalar backend: a non-integer power")


def _float_literal(x: Any) -> str:
    if isinstance(x, bool):
        return repr(x)
    if isinstance(x, int):
        return repr(x)
    x = float(x)
    if math.isnan(x):
        return "_math.nan"
    if math.isinf(x):
        return "_math.inf" if x > 0 else "-_math.inf"
    return repr(x)


def _unpack(names: list[str], shape: tuple[int, ...]) -> str:
    if not shape:
        return names[0]
    return _nest(names, shape, unpack=True)


def _nest(names: list[str], shape: tuple[int, ...], unpack: bool = False) -> str:
    if not shape:
        return names[0]
    arr = np.array(names, dtype=object).reshape(shape)

    def text(a: Any) -> str:
        items = [str(e) for e in a] if a.ndim == 1 else [text(sub) for sub in a]
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"

    out = text(arr)
    return out[1:-1] if unpack and len(shape) == 1 and shape[0] > 1 else out


def _write(array: str, elems: list[str], shape: tuple[int, ...] | None,
           contiguous: bool) -> str:
    """Write elements back into an array through NumPy."""
    if not shape:
        return f"{array}[()] = {elems[0]}"
    if len(shape) > 1 and not contiguous:
        return f"{array}[...] = {_nest(elems, shape)}"
    flat = array if len(shape) == 1 else f"{array}.reshape(-1)"
    if len(elems) == 1:
        return f"{flat}[0] = {elems[0]}"
    return f"{flat}[:] = ({', '.join(elems)})"


__all__ = ["INPLACE", "ScalarWriter", "literal"]
