"""The program a trace becomes: values, the kernels that compute them, and the builder.

The builder is handed the eager ops one by one while the traced call runs. For each op it emits
kernels (NumPy calls as code text) and runs that text at once on its own copies of the inputs,
then compares the result with what the eager engine computed, bit for bit. So every kernel in a
generated program has already been seen to agree with eager on the example inputs.

A ``Value`` is one array (or one Python number) of the program. It lives in a ``Storage``: a
buffer the program owns, a fresh array made on every call (it escapes to the caller), a view of
another value, or a live array of the outside world (an argument, a parameter, a ``.grad``, an
optimizer's state), read at the start of every call.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from vibrastic.compiler.kernels import INPLACE, KERNELS, TYPED, UNFOLDABLE


class CompileError(Exception):
    """The traced code can't be compiled; the message says why, for the learner."""


class WarmUp(CompileError):  # not an error: the state isn't steady yet
    """The call changed the shape of the state (e.g. an optimizer's first step): trace again."""


@dataclass(eq=False)
class Storage:
    """Where a value's array lives between and during calls.

    kind: "buffer" (owned, reused), "fresh" (new each call), "view", "const", "arg", "ext"
    (a tensor's ``_data``), "extgrad" (a tensor's ``.grad`` at entry), "newgrad" (a ``.grad`` the
    program hands out), "state" (an optimizer state array), "scalar" (a Python number).
    """

    kind: str
    name: str
    ref: Any = None
    example: Any = None  # the builder's working copy
    layout_fixed: bool = False  # an argument whose strides the code relies on (guarded)


@dataclass(eq=False)
class Value:
    """One array (or Python number) of the program; its name is a variable in the code."""

    name: str
    storage: Storage
    shape: tuple[int, ...] | None
    dtype: np.dtype | None
    base: Value | None = None  # for views: the value whose memory this one shows

    @property
    def example(self) -> Any:
        return self.storage.example if self.base is None else self._view

    _view: Any = None

    def __repr__(self) -> str:
        return f"<{self.name} {self.shape} {self.dtype}>"


@dataclass(eq=False)
class Instr:
    """One line of the program: a kernel call, an in-place update, a Python expression or a
    check. ``out`` is the value it defines (None for in-place updates and checks)."""

    kind: str  # "call", "view", "inplace", "expr", "check"
    code: str  # the line with ``{out}`` still to be filled for "call" into a buffer
    alloc: str  # "call" only: the allocating spelling
    out: Value | None
    args: tuple[Value, ...]
    meta: Any = None  # (kernel, arguments, attributes): what other backends translate


@dataclass
class Block:
    """A comment heading a group of instructions (an op of the learner's code)."""

    text: str
    start: int


def literal(x: Any) -> str | None:
    """Exact source text for a plain Python constant, or None when it must be a named constant."""
    if x is None or isinstance(x, bool) or type(x) is int:
        return repr(x)
    if type(x) is float:
        return repr(x) if math.isfinite(x) else None
    if x is Ellipsis:
        return "..."
    if type(x) is slice:
        parts = [literal(p) for p in (x.start, x.stop, x.step)]
        if any(p is None for p in parts):
            return None
        return f"slice({', '.join(parts)})"  # type: ignore[arg-type]
    if type(x) is tuple:
        parts = [literal(p) for p in x]
        if any(p is None for p in parts):
            return None
        return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"  # type: ignore
    if isinstance(x, np.dtype) and x.isnative and x.name in DTYPE_NAMES:
        return f"_np.{DTYPE_NAMES[x.name]}"
    return None


DTYPE_NAMES = {"float32": "float32", "float64": "float64", "int64": "int64", "int32": "int32",
               "uint8": "uint8", "bool": "bool_", "float16": "float16", "int8": "int8",
               "int16": "int16"}


def cast_beside(kernel: str | None, args: tuple | list) -> Value | None:
    """The one float array beside a second operand in a two-operand ufunc that casts a Python
    number to its array's dtype (NEP 50): where a number may be passed as a 0-d array of that
    dtype with the same bits (``Builder.typed`` for literals, ``Writer._plan_typed`` for live
    hyper-parameters). None where the rule does not apply."""
    if kernel not in TYPED or len(args) != 2:
        return None
    arrays = [a for a in args if isinstance(a, Value) and a.shape is not None]
    if len(arrays) != 1 or arrays[0].dtype.kind != "f":
        return None
    return arrays[0]


@dataclass
class Builder:
    """Collects and checks the program's instructions (see the module docstring)."""

    ns: dict[str, Any] = field(default_factory=dict)  # exec namespace: constants + examples
    instrs: list[Instr] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)
    values: list[Value] = field(default_factory=list)
    consts: dict[str, Any] = field(default_factory=dict)
    _names: dict[str, int] = field(default_factory=dict)
    _taken: set[str] = field(default_factory=set)
    _typed_consts: dict[tuple[str, str, str], tuple[Value, int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        from vibrastic.compiler.runtime import RUNTIME

        self.ns.update(RUNTIME)

    # ---- names and constants ----
    def fresh_name(self, hint: str) -> str:
        hint = "".join(c if c.isalnum() or c == "_" else "_" for c in hint) or "v"
        if hint[0].isdigit():
            hint = "v" + hint
        n = self._names.get(hint, 0)
        while True:
            n += 1
            name = hint if n == 1 else f"{hint}{n}"
            if name not in self.ns and name not in self._taken:
                break
        self._names[hint] = n
        self._taken.add(name)
        return name

    def const(self, x: Any, hint: str = "k") -> str:
        """Source text for a constant argument: a literal, or a name bound in the namespace."""
        text = literal(x)
        if text is not None:
            return text
        name = "_" + self.fresh_name(hint)
        self.consts[name] = x
        self.ns[name] = x
        return name

    def arg(self, x: Any) -> str:
        return x.name if isinstance(x, Value) else self.const(x)

    def index(self, idx: Any) -> str:
        """Source text of an index: ``0, 1:3`` or ``rows, t`` (values by name)."""
        items = idx if isinstance(idx, tuple) else (idx,)
        parts = []
        for item in items:
            if isinstance(item, Value):
                parts.append(item.name)
            elif type(item) is slice and all(p is None or type(p) is int
                                              for p in (item.start, item.stop, item.step)):
                s = "" if item.start is None else repr(item.start)
                e = "" if item.stop is None else repr(item.stop)
                parts.append(f"{s}:{e}" + ("" if item.step is None else f":{item.step}"))
            else:
                parts.append(self.arg(item))
        if not isinstance(idx, tuple):
            return parts[0]
        return ", ".join(parts) + ("," if len(parts) == 1 else "")

    # ---- values ----
    def source(self, kind: str, hint: str, example: Any, ref: Any = None) -> Value:
        """A value read from outside at the start of each call (example: a private copy)."""
        name = self.fresh_name(hint)
        if isinstance(example, np.generic):  # eager keeps some 0-d results as NumPy scalars
            example = np.array(example)
        storage = Storage(kind, name, ref, example)
        if isinstance(example, np.ndarray):
            value = Value(name, storage, example.shape, example.dtype)
        else:
            value = Value(name, storage, None, None)
        self.ns[name] = example
        self.values.append(value)
        return value

    def constant(self, array: np.ndarray, hint: str = "const") -> Value:
        """A fixed array (made from Python data at trace time)."""
        array = np.asarray(array)
        name = "_" + self.fresh_name(hint)
        value = Value(name, Storage("const", name, None, array), array.shape, array.dtype)
        self.ns[name] = array
        self.consts[name] = array
        self.values.append(value)
        return value

    def typed(self, kernel: str, args: tuple) -> tuple:
        """A Python number beside one float array, in a ufunc that casts it to the array's dtype
        (NEP 50), becomes a 0-d array of that dtype, made once (``_f32_0`` for 0 beside float32
        arrays): the same bits, and NumPy takes a 0-d array in quicker than a Python number
        (about 0.5 µs a call). One value per number and dtype, so an optimizer's lanes share
        it."""
        array = cast_beside(kernel, args)
        if array is None:
            return args
        return tuple(self._number_as(a, array.dtype) if type(a) in (int, float) else a
                     for a in args)

    def _number_as(self, x: float, dtype: np.dtype) -> Any:
        key = (type(x).__name__, repr(x), dtype.str)
        known = self._typed_consts.get(key)
        if known is not None and known[1] < len(self.values) and self.values[known[1]] is known[0]:
            return known[0]
        from vibrastic.compiler.runtime import _typed

        array = np.zeros((), dtype)
        if _typed(x, [None, array]) is not array:
            return x  # one the dtype can't hold (NumPy would overflow): leave it to NumPy
        hint = f"{dtype.name[0]}{dtype.itemsize * 8}_" + (
            repr(x).replace("-", "minus_").replace(".", "_").replace("+", ""))
        value = self.constant(array, hint)
        self._typed_consts[key] = (value, len(self.values) - 1)
        return value

    def mark(self) -> tuple[int, int, int]:
        """A point to come back to if an attempted rule turns out not to match eager."""
        return len(self.instrs), len(self.values), len(self.blocks)

    def rollback(self, mark: tuple[int, int, int]) -> None:
        del self.instrs[mark[0]:], self.values[mark[1]:], self.blocks[mark[2]:]

    def block(self, text: str) -> None:
        self.blocks.append(Block(text, len(self.instrs)))

    def _exec(self, code: str) -> None:
        exec(code, self.ns)  # the same text the generated program will contain

    def call(self, kernel: str, *args: Any, hint: str = "t", example: Any = None,
             **attrs: Any) -> Value:
        """Emit one kernel; run it on the examples; return the value it makes.

        With only constant inputs (and no randomness) the kernel is folded: its result becomes
        a constant, computed by the same NumPy call, so the bits are the same.
        """
        spec = KERNELS[kernel]
        args = self.typed(kernel, args)
        fmt = {k: (v.text if isinstance(v, _Raw) else self._attr(v)) for k, v in attrs.items()
               if not k.startswith("_")}
        texts = [self._arg_text(a) for a in args]
        alloc = spec.alloc.format(*texts, **fmt)
        if example is None:
            self._exec(f"_r = {alloc}")
            result = self.ns.pop("_r")
        else:  # a random draw: eager made it already, and drawing again would move the RNG
            result = example
        vals = tuple(_values_in(args) + _values_in(tuple(attrs.values())))
        foldable = kernel not in UNFOLDABLE and all(
            v.storage.kind == "const" for v in vals)
        if spec.view:
            base = next(v for v in vals if isinstance(v, Value))
            if foldable:
                return self.constant(np.array(result), hint)
            name = self.fresh_name(hint)
            value = Value(name, base.storage if base.base is None else base.base.storage,
                          result.shape, result.dtype, base=_root(base))
            value._view = result
            self.ns[name] = result
            self.values.append(value)
            self.instrs.append(Instr("view", f"{name} = {alloc}", alloc, value, vals,
                                     meta=(kernel, args, attrs)))
            return value
        if not isinstance(result, np.ndarray):  # a NumPy scalar: keep values arrays
            result = np.asarray(result)
            alloc = f"_np.asarray({alloc})"
        if foldable:
            return self.constant(result, hint)
        name = self.fresh_name(hint)
        value = Value(name, Storage("buffer", name, None, result), result.shape, result.dtype)
        self.ns[name] = result
        self.values.append(value)
        code = f"{name} = {alloc}"
        if spec.out is not None and example is None:  # the buffer spelling gives the same bits
            self.ns["_o"] = np.empty_like(result)
            self._exec(spec.out.format(*texts, out="_o", **fmt))
            if not same_bits(self.ns.pop("_o"), result):
                raise CompileError(f"internal: kernel {kernel} differs when writing into a buffer")
            code = spec.out.format(*texts, out="{out}", **fmt)
        self.instrs.append(Instr("call", code, alloc, value, vals, meta=(kernel, args, attrs)))
        return value

    def inplace(self, kernel: str, target: Value, *args: Any, **attrs: Any) -> Value:
        """Emit an in-place update of ``target``'s array (eager code changed it in place)."""
        if (target.storage.kind == "const"
                or (target.base is not None and target.base.storage.kind == "const")):
            raise CompileError("internal: an in-place change of a constant")
        if len(args) == 1:
            args = self.typed(kernel, (target, *args))[1:]
        fmt = {k: (v.text if isinstance(v, _Raw) else self._attr(v)) for k, v in attrs.items()
               if not k.startswith("_")}
        texts = [target.name] + [self._arg_text(a) for a in args]
        code = INPLACE[kernel].format(*texts, **fmt)
        self._exec(code)
        vals = (target, *_values_in(args), *_values_in(tuple(attrs.values())))
        self.instrs.append(Instr("inplace", code, code, None, vals,
                                 meta=(kernel, (target, *args), attrs)))
        return target

    def expr(self, text: str, *args: Any, hint: str = "s", per_group: bool = False) -> Value:
        """A Python-number expression (hyper-parameters: ``1 - dampening``, bias corrections).
        ``per_group``: one number for a whole parameter group, made before its parameters'
        updates (lanes.py leaves it out of the per-parameter sequence)."""
        code_expr = text.format(*[self._arg_text(a) for a in args])
        name = self.fresh_name(hint)
        self._exec(f"{name} = {code_expr}")
        value = Value(name, Storage("scalar", name, None, self.ns[name]), None, None)
        self.values.append(value)
        self.instrs.append(Instr("expr", f"{name} = {code_expr}", code_expr, value,
                                 tuple(_values_in(args)),
                                 meta=("per group",) if per_group else None))
        return value

    def check(self, condition: str, error: str, message: str | _Raw, *args: Any) -> None:
        """A runtime check the eager op makes on values (raises the same error; a ``raw``
        message is an expression, formatted like the condition)."""
        texts = [self._arg_text(a) for a in args]
        cond = condition.format(*texts)
        text = message.text.format(*texts) if isinstance(message, _Raw) else repr(message)
        code = f"if {cond}: raise {error}({text})"
        self._exec(code)
        self.instrs.append(Instr("check", code, code, None, tuple(_values_in(args))))

    def _arg_text(self, a: Any) -> str:
        if isinstance(a, Value):
            return a.name
        if isinstance(a, _Raw):
            return a.text
        if isinstance(a, (list, tuple)) and any(isinstance(x, Value) for x in a):
            inner = ", ".join(self._arg_text(x) for x in a)
            return f"({inner}{',' if len(a) == 1 else ''})"
        return self.const(a)

    def _attr(self, v: Any) -> str:
        if isinstance(v, Value):
            return v.name
        return self.const(v)


@dataclass(frozen=True)
class _Raw:
    """Source text passed through unchanged (an index expression already formatted)."""

    text: str


def raw(text: str) -> _Raw:
    return _Raw(text)


def _root(v: Value) -> Value:
    while v.base is not None:
        v = v.base
    return v


def _values_in(items: tuple) -> list[Value]:
    out: list[Value] = []
    for x in items:
        if isinstance(x, Value):
            out.append(x)
        elif isinstance(x, (list, tuple)):
            out.extend(_values_in(tuple(x)))
    return out


def same_bits(a: Any, b: Any) -> bool:
    """Equal shape, dtype and bits (NaNs equal to NaNs)."""
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    if a.dtype.kind in "fc":
        return bool(np.array_equal(a, b, equal_nan=True)) and bool(
            np.array_equal(np.signbit(a), np.signbit(b)))
    return bool(np.array_equal(a, b))
