"""Turn a recorded trace into the text of one Python function, and make it.

The function has three parts, each commented in the text a learner sees:

* **guards**: what the code assumes about this call (shapes, dtypes, ``requires_grad``, grad
  mode, the modules and the optimizer's settings); if one fails it raises ``Retrace`` before
  changing anything, and vb.compile traces again;
* **the body**: one NumPy call per line, writing into buffers made once (``out=``), in the
  order the eager engine ran them; no Tensor objects;
* **hand-over**: ``.grad`` tensors, optimizer state and the returned tensors, so eager code sees
  exactly what eager would have left.

The NumPy backend is here; ``scalar.py`` writes the same program with plain Python floats.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from vibrastic.autograd import _freed, _GradMode, _hooked, record
from vibrastic.compiler import lanes
from vibrastic.compiler.graph import Instr, Value, cast_beside, literal
from vibrastic.compiler.recorder import OPTIMIZERS, Output, Recorder, Source, _OutRef
from vibrastic.compiler.runtime import RUNTIME
from vibrastic.tensor import Tensor, _new, _sequence

_tensor_new, _next_seq = Tensor.__new__, _sequence.__next__

EXTERNAL = ("arg", "ext", "extgrad", "state", "newgrad")  # arrays eager code also sees
SCALARS = ("hyper", "statescalar", "scalar")


class Retrace(Exception):  # control flow, not an error
    """A guard failed: the assumptions of this compiled code don't hold for this call."""


@dataclass
class ArgGuard:
    """How to find one argument again and what it must look like."""

    path: str  # e.g. "args[0]" or "kwargs['x']"
    kind: str  # "tensor", "value", "identity", "len", "keys"
    expect: Any = None
    cls: type | None = None
    shape: tuple[int, ...] | None = None
    dtype: np.dtype | None = None
    requires_grad: bool = False
    strides: tuple[int, ...] | None = None  # the layout (products may rely on it: rules.py)


@dataclass
class Context:
    """What the generated function checks besides its arguments."""

    name: str
    arg_guards: list[ArgGuard]
    free_guards: list[tuple[str, str, Any, Any]]  # (name, how to read, holder, value)
    generation: int
    grad_enabled: bool
    n_args: int = 0
    kwarg_names: tuple[str, ...] = ()
    modules: list[ModuleGuard] = field(default_factory=list)
    # arrays the programs of one compiled function share (see Writer.shared)
    shared: dict[Any, Any] = field(default_factory=dict)


@dataclass
class Program:
    """A generated function and everything it was made from (for ``code`` and tests)."""

    source: str
    run: Any
    namespace: dict[str, Any]
    backend: str
    n_kernels: int


def build(rec: Recorder, ctx: Context, backend: str = "numpy", fallback: Any = None) -> Program:
    """Generate, compile and return the program of one trace (``fallback``: the NumPy
    program, which the scalar one hands a call to where Python arithmetic raises)."""
    if backend == "scalar":
        from vibrastic.compiler.scalar import ScalarWriter

        return ScalarWriter(rec, ctx, fallback).program()
    return Writer(rec, ctx).program()


class Writer:
    """Writes the NumPy program (see the module docstring)."""

    backend = "numpy"
    fuse_lanes = True  # an optimizer's step over flat arrays (lanes.py)

    def __init__(self, rec: Recorder, ctx: Context) -> None:
        self.rec, self.ctx = rec, ctx
        self.b = rec.b
        self.ns: dict[str, Any] = {**RUNTIME, **self.b.consts, "Retrace": Retrace,
                                   "_Tensor": Tensor, "_new": _new, "_rc": sys.getrefcount,
                                   "_GradMode": _GradMode, "_done": _done, "_fresh": _fresh,
                                   "_bytes": _bytes, "_fused": _fused}
        self.lines: list[str] = []
        self.live = _liveness(rec)
        self._mark_fresh()
        self.runs: dict[int, lanes.Run] = {}  # first instruction -> its run
        self.in_runs: set[int] = set()
        self.flat: dict[int, lanes.Group] = {}  # id(value) -> its flat group
        # arrays made once that keep their memory across calls (buffers, constants): a view
        # of one of them is made once too, not on every call (see hoist_view)
        self.stable: set[str] = {v.name for v in self.b.values if v.storage.kind == "const"
                                 and v.base is None and v.name in self.ns}
        self.blas_one = True  # False once a one-thread product has set the BLAS this call
        self.lasts: dict[int, str] = {}  # id(source) -> its last_slot
        if self.fuse_lanes:
            self._plan_lanes()
        self.typed = self._plan_typed()

    def _plan_lanes(self) -> None:
        steps = [_block_range(self.b, blk.start) for blk in self.b.blocks
                 if blk.text.startswith(tuple(f"{name}.step()" for name in OPTIMIZERS))]
        for run in lanes.plan(self.b, self.live_instrs, steps):
            self.runs[run.order[0]] = run
            self.in_runs.update(run.order)
            self.flat.update(run.groups)
        self.ns.update({"_adopt": lanes.adopt, "_fresh_flat": lanes.fresh_flat})
        for group in {id(g): g for g in self.flat.values()}.values():
            if group.kind == "state":  # the optimizer's: one flat array for every program
                opt, _, role = group.values[0].storage.ref
                key = ("state", id(opt.optimizer), role, group.dtype.str, self._layout(group))
                flat, views = self.shared(key, lambda g=group: _flat_views(g), opt.optimizer)
                self.ns[group.name] = flat
                self.ns[f"{group.name}_views"] = views
            elif group.kind == "buffer":
                flat, views = _flat_views(group)
                self.ns[group.name] = flat
                self.ns.update({v.name: view for v, view in zip(group.values, views,
                                                                strict=True)})
                self.stable.update(v.name for v in group.values)

    def shared(self, key: tuple, make: Any, *keep: Any) -> Any:
        """What the programs of one compiled function share: its optimizer's flat state arrays
        and the ``.grad`` tensors last handed out. A function traced for two batch sizes (a
        last, smaller batch) then switches between its programs without moving the state or
        making new ``.grad`` arrays. Keyed by ids of the parameters and the optimizer, which
        are held here (with ``keep``) so that no other object takes their ids."""
        if key not in self.ctx.shared:
            params = [src.tensor for src in self.rec.sources]
            self.ctx.shared[key] = (make(), params, keep)
        return self.ctx.shared[key][0]

    @staticmethod
    def _layout(group: lanes.Group) -> tuple:
        """The parameters behind a flat group, in order, with their shapes."""
        params = [v.storage.ref[1].tensor if v.storage.kind == "state" else v.storage.ref.tensor
                  for v in group.values]
        return tuple((id(t), v.shape) for t, v in zip(params, group.values, strict=True))

    def _plan_typed(self) -> dict[int, dict[str, str]]:
        """Hyper-parameters (``lr``, ``momentum``) that a ufunc takes beside one float array:
        passed as a 0-d array of the array's dtype (``lr_f32``), refreshed from the live value
        when it changes (``_typed``). NumPy casts the Python number to that dtype anyway (NEP
        50), so the bits are the same, and it takes a 0-d array in quicker (about 0.5 µs a
        call). Returns, per instruction (by id), the names to replace in its line."""
        plan: dict[int, dict[str, str]] = {}
        self.typed_reads: dict[str, list[tuple[str, str]]] = {}  # hyper -> [(name, cache)]
        if self.backend != "numpy":
            return plan
        for i in sorted(self.live_instrs):
            instr = self.b.instrs[i]
            kernel = instr.meta[0] if instr.meta else None
            array = cast_beside(kernel, instr.args)
            if instr.kind not in ("call", "inplace") or array is None:
                continue
            numbers = [v for v in instr.args if v.shape is None and v.storage.kind == "hyper"
                       and type(v.storage.example) in (int, float)]
            if len(numbers) != 1:
                continue
            hyper, dtype = numbers[0], np.dtype(array.dtype)
            name = f"{hyper.name}_{dtype.name[0]}{dtype.itemsize * 8}"
            reads = self.typed_reads.setdefault(hyper.name, [])
            if all(n != name for n, _ in reads):
                reads.append((name, self.put([None, np.zeros((), dtype)], f"{name}_cache")))
            plan[id(instr)] = {hyper.name: name}
        return plan

    def retype(self, instr: Instr, text: str) -> str:
        names = self.typed.get(id(instr))
        return lanes._rename(text, names) if names else text

    # ---- helpers ----
    def put(self, obj: Any, hint: str) -> str:
        """Bind an object from outside into the namespace; return its name."""
        for name, value in self.ns.items():
            if value is obj and name.startswith("_") and not isinstance(obj, (int, float, str)):
                return name
        name = "_" + hint
        n = 1
        while name in self.ns:
            name = f"_{hint}{n}"
            n += 1
        self.ns[name] = obj
        return name

    def emit(self, line: str, indent: int = 1) -> None:
        self.lines.append("    " * indent + line)

    def _mark_fresh(self) -> None:
        """Returned values must be new arrays on each call (the caller may keep them); so must
        what a fused backward reads later, and the gradients it returns."""
        keep = [out.value for out in self.rec.output_list if out.value is not None]
        keep += self.live["__saved__"] + [value for _, value in self.rec.fused]
        for v in keep:
            root = v if v.base is None else v.base
            if root.storage.kind == "buffer":
                root.storage.kind = "fresh"

    # ---- the parts ----
    def program(self) -> Program:
        self.emit(f"def {self.ctx.name}(*args, **kwargs):", 0)
        self.guards()
        self.prologue()
        n = self.body()
        self.epilogue()
        if self.rec.split is not None:
            n += self.backward_function()
        source = self.finish_source("\n".join(self.lines) + "\n")
        code = compile(source, f"<vb.compile: {self.ctx.name}>", "exec")
        exec(code, self.ns)
        return Program(source, self.ns[self.ctx.name], self.ns, self.backend, n)

    def guards(self) -> None:
        ctx = self.ctx
        self.emit('"""Compiled by vb.compile: see compiled.code, and docs/compile.md."""')
        self.emit("# -- guards: what this code assumes; if one fails, vb.compile traces again --")
        modules = self.put(_module_class(), "Module")
        generation = self.put([ctx.generation], "generation")
        self.ns["_revalidate"] = _revalidator(ctx.modules, self.ns[generation])
        kwargs = (f"kwargs.keys() != {self.put(set(ctx.kwarg_names), 'kwarg_names')}"
                  if ctx.kwarg_names else "kwargs")
        extra = ([self.put(_hooked, "hooked")]  # its backward calls no hooks: none may exist
                 if self.rec.backward_calls else [])
        lists = [pair for g in ctx.modules for pair in g.lists.values()
                 if isinstance(pair[0], list)]  # appended to without Module knowing
        if lists:
            extra.append(f"{self.put(_lists_changed, 'lists_changed')}"
                         f"({self.put(lists, 'module_lists')})")
        self.check([f"_GradMode.enabled is not {ctx.grad_enabled}",
                    f"({modules}._generation != {generation}[0] and not _revalidate())",
                    *extra, f"len(args) != {ctx.n_args}", kwargs],
                   "grad mode, a module, a list of modules, tensor hooks or the number of "
                   "arguments changed")
        conds = []
        for var, text, holder, expected in ctx.free_guards:
            read = text.format(self.put(holder, "cell" if "cell" in text else "globals"))
            if isinstance(expected, (bool, int, float, str)) or expected is None:
                lit = literal(expected) or self.put(expected, var)
                conds.append(f"{read} != {lit} or type({read}) is not "
                             f"{self.put(type(expected), 'type')}")
            else:
                conds.append(f"{read} is not {self.put(expected, var)}")
        self.check(conds, "a variable the function reads changed: "
                   + ", ".join(v for v, *_ in ctx.free_guards))
        if ctx.n_args:
            names = [self.arg_name(i) for i in range(ctx.n_args)]
            self.emit(f"{', '.join(names)}{',' if len(names) == 1 else ''} = args")
        for g in ctx.arg_guards:
            self.arg_guard(g)

    def arg_name(self, i: int) -> str:
        for src in self.rec.sources:
            if src.kind == "arg" and src.path == f"args[{i}]":
                return f"t_{src.name}"
        return f"arg{i}"

    def path(self, path: str) -> str:
        """An argument's place, with the top-level positional ones by their local name."""
        if path.startswith("args[") and "]" in path:
            i = int(path[5:path.index("]")])
            return self.arg_name(i) + path[path.index("]") + 1:]
        return path

    def check(self, conds: list[str], reason: str) -> None:
        if not conds:
            return
        if len(conds) == 1:
            self.emit(f"if {conds[0]}:")
        else:
            self.emit("if (" + "\n            or ".join(conds) + "):")
        self.emit(f"raise Retrace({reason!r})", 2)

    def arg_guard(self, g: ArgGuard) -> None:
        path = self.path(g.path)
        if g.kind == "len":
            self.check([f"len({path}) != {g.expect}"], f"{g.path} changed")
        elif g.kind == "value":
            lit = literal(g.expect) or self.put(g.expect, "expected")
            self.check([f"{path} != {lit} or type({path}) is not "
                        f"{self.put(type(g.expect), 'type')}"], f"{g.path} changed")
        elif g.kind == "identity-of":
            self.check([f"{path} is not {self.path(g.expect)}"], f"{g.path} changed")
        elif g.kind == "identity":
            self.check([f"{path} is not {self.put(g.expect, 'expected')}"],
                       f"{g.path} changed")
        elif g.kind == "tensor":
            cls = self.put(g.cls, g.cls.__name__)  # type: ignore[union-attr]
            layout = [f"{path}._data.strides != {g.strides!r}"] if self.layout_fixed(g) else []
            self.check([f"{path}.__class__ is not {cls}",
                        f"{path}._data.shape != {g.shape!r}", *layout,
                        f"{path}._data.dtype != {self._dtype(g.dtype)}",
                        f"{path}.requires_grad is not {g.requires_grad}"],
                       f"the tensor {g.path} changed shape, layout, dtype or requires_grad")

    def layout_fixed(self, g: ArgGuard) -> bool:
        """Whether the code relies on this argument's layout (rules._layout)."""
        return any(src.kind == "arg" and src.path == g.path and src.node is not None
                   and src.node.value.storage.layout_fixed for src in self.rec.sources)

    def _dtype(self, dtype: Any) -> str:
        dtype = np.dtype(dtype)
        return self.put(dtype, f"dtype_{dtype.name}")

    def prologue(self) -> None:
        rec = self.rec
        self.emit("# -- inputs: arrays read from the tensors and the optimizer, now --")
        live = [src for src in rec.sources
                if src.node is not None and self._is_live(src.node.value)]
        self.check([f"{self.tensor_expr(src)}.requires_grad is not {src.requires_grad}"
                    for src in live if src.kind == "ext"],
                   "requires_grad of a parameter changed")
        for src in live:
            v = src.node.value  # type: ignore[union-attr]
            self.emit(f"{v.name} = {self.tensor_expr(src)}._data")
            self.array_0d(v, f"{self.tensor_expr(src)}._data")
            if src.kind == "ext":  # the same array as last call needs no checking
                seen = self.put([None, None], f"seen_{v.name}")
                self.ns[f"_accept_{v.name}"] = _acceptor(self.ns[seen], v.shape, v.dtype)
                self.check([f"{v.name} is not {seen}[0] and not _accept_{v.name}({v.name})"],
                           f"{src.name} changed shape or dtype")
        for src in rec.sources:
            if src.entry_assumed:
                self.grad_guard(src, self.tensor_expr(src))
        for opt in rec.optimizers:
            self.optimizer_inputs(opt)
        self.adopt_states()
        if any(src.final_grad == "new" for src in rec.sources):
            self.emit("_new_grads = False  # True when a .grad below is a new tensor")
        for src in rec.sources:
            if src.final_grad == "new":
                self.expose(src)

    def adopt_states(self) -> None:
        """Optimizer state arrays live in flat arrays (lanes.py): move them there if eager
        code made or replaced them."""
        for group in {id(g): g for g in self.flat.values()}.values():
            if group.kind != "state":
                continue
            names = [v.name for v in group.values]
            views = f"{group.name}_views"
            states = [self.states[(v.storage.ref[0].index, v.storage.ref[1].index)]
                      for v in group.values]
            conds = [f"{n} is not {views}[{k}]" for k, n in enumerate(names)]
            self.emit("if (" + "\n            or ".join(conds) + "):")
            self.emit(", ".join(names) + f" = _adopt({views}, ("
                      + "".join(f"{st}, " for st in states)
                      + f"), {group.values[0].storage.ref[2]!r})", 2)

    def finish_source(self, source: str) -> str:
        return source

    def local(self, prefix: str, src: Source) -> str:
        """A local variable for something of ``src``'s (its ``.grad``, its optimizer state),
        named after the tensor's unique name: two layers called one by one both have a
        "weight", and their variables must differ."""
        return f"{prefix}_{_ident(self.tensor_expr(src)).lstrip('_')}"

    def tensor_expr(self, src: Source) -> str:
        if src.kind == "arg":
            return self.path(src.path)
        return self.put(src.tensor, _ident(src.name))

    def array_0d(self, v: Value, place: str) -> None:
        """Eager may hold a 0-d value as a NumPy scalar, which can't change in place: where
        this program changes it in place, make it a 0-d array first (eager's ``+=`` would
        have replaced the scalar; the values are the same)."""
        if v.shape == () and any(i.kind == "inplace" and i.args[0].storage is v.storage
                                 for i in self.b.instrs):
            self.ns["_ndarray"] = np.ndarray
            self.emit(f"if type({v.name}) is not _ndarray:")
            self.emit(f"{place} = {v.name} = _np.array({v.name})", 2)

    def grad_guard(self, src: Source, tensor: str) -> None:
        if src.entry_grad is None:
            self.emit(f"if {tensor}.grad is not None:")
            self.emit(f"raise Retrace('{src.name}.grad was None when traced')", 2)
            return
        shape, dtype = src.entry_grad
        self.check([f"{tensor}.grad is None", f"{tensor}.grad._data.shape != {shape!r}",
                    f"{tensor}.grad._data.dtype != {self._dtype(dtype)}"],
                   f"{src.name}.grad changed")
        for v in self.b.values:
            if v.storage.kind == "extgrad" and v.storage.ref is src and self._is_live(v):
                self.emit(f"{v.name} = {tensor}.grad._data")
                self.array_0d(v, f"{tensor}.grad._data")

    def optimizer_inputs(self, opt: Any) -> None:
        o = self.put(opt.optimizer, f"optimizer{opt.index}")
        all_groups = opt.optimizer.param_groups  # a group or a parameter added since: trace again
        self.check([f"len({o}.param_groups) != {len(all_groups)}",
                    *(f"len({o}.param_groups[{gi}]['params']) != {len(g['params'])}"
                      for gi, g in enumerate(all_groups))],
                   "the optimizer's parameter groups changed")
        groups = sorted({gi for gi, _ in opt.structure} | {ref[0] for ref in opt.hyper})
        for gi in groups:
            grp = f"group{gi}" if opt.index == 0 else f"optimizer{opt.index}_group{gi}"
            self.emit(f"{grp} = {o}.param_groups[{gi}]  # read live: a new lr applies at once")
            conds = []
            for (g2, key), expected in opt.structure.items():
                if g2 != gi:
                    continue
                if key == "dampening":
                    conds.append(f"({grp}['dampening'] == 0) is not {expected}")
                elif isinstance(expected, bool) and key in ("momentum", "weight_decay"):
                    conds.append(f"not {grp}[{key!r}]" if expected else f"{grp}[{key!r}]")
                else:
                    conds.append(f"{grp}[{key!r}] != {literal(expected)}")
            self.check(conds, "the optimizer's settings changed")
            for (g2, key), value in opt.hyper.items():
                if g2 == gi and self._is_live(value):
                    if isinstance(key, tuple):
                        self.emit(f"{value.name} = {grp}[{key[0]!r}][{key[1]}]")
                    else:
                        self.emit(f"{value.name} = {grp}[{key!r}]")
                    for name, cache in self.typed_reads.get(value.name, ()):
                        self.emit(f"{name} = _typed({value.name}, {cache})  # a 0-d array")
        states: dict[int, str] = {}
        for value in [*opt.state_arrays.values(), *(v[0] for v in opt.state_scalars.values())]:
            _, src, name = value.storage.ref
            if src.index not in states:
                p = self.tensor_expr(src)
                states[src.index] = self.local("state", src)
                self.emit(f"{states[src.index]} = {o}.state.get({p})")
                self.emit(f"if not {states[src.index]}: raise Retrace('optimizer state reset')")
            st = states[src.index]
            self.emit(f"{value.name} = {st}[{name!r}]")
            if value.shape is not None:
                self.array_0d(value, f"{st}[{name!r}]")
        self.check([f"{a.name} != {b.name}" for a, b in opt.same_counts],
                   "the optimizer's step counts of a parameter group differ")
        self.states = getattr(self, "states", {})
        self.states.update({(opt.index, k): v for k, v in states.items()})

    flat_views = False  # the scalar writer writes gradients through byte views of them

    def expose(self, src: Source) -> None:
        """The ``.grad`` this call hands out: last call's array if nobody else holds it (the
        tensor is referenced only by ``.grad``, ``last``, this frame and ``getrefcount``)."""
        v = src.grad_value
        assert v is not None
        group = self.flat.get(id(v))
        if group is not None:
            if v is group.values[0]:
                self.expose_flat(group)
            return
        tensor = self.tensor_expr(src)
        last = self.last_slot(src, None)
        g = self.local("_G", src)
        flat = f"{v.name}_bytes"
        self.emit(f"{g} = {tensor}.grad")
        refs = 3 if self.flat_views else 2  # the cached byte view refers to the array too
        if src.kind == "ext":
            self.emit(f"if {g} is {last}[0] and _rc({g}) == 4 and _rc({g}._data) == {refs}:")
            self.emit(f"{v.name} = {g}._data", 2)
            if self.flat_views:
                self.emit(f"{flat} = {last}[1]", 2)
            self.emit("else:")
            indent = 2
        else:
            indent = 1
        self.emit(f"{g} = _fresh({v.shape!r}, {self._dtype(v.dtype)})", indent)
        self.emit("_new_grads = True", indent)
        self.emit(f"{v.name} = {g}._data", indent)
        if self.flat_views:
            self.emit(f"{flat} = _bytes({v.name})", indent)

    def expose_flat(self, group: lanes.Group) -> None:
        """Gradients side by side in one flat array (lanes.py): last call's, if nobody else
        holds any of them (each array is also held by ``last[1]``), else new ones."""
        conds, gs, srcs = [], [], [v.storage.ref for v in group.values]
        for src in srcs:
            tensor = self.tensor_expr(src)
            last = self.last_slot(src, self._layout(group))
            g = self.local("_G", src)
            gs.append(g)
            self.emit(f"{g} = {tensor}.grad")
            conds.append(f"{g} is {last}[0] and _rc({g}) == 4 and {g}._data is {last}[1] "
                         f"and _rc({g}._data) == 3")
        self.emit("if (" + "\n            and ".join(conds) + "):")
        for g, v in zip(gs, group.values, strict=True):
            self.emit(f"{v.name} = {g}._data", 2)
        self.emit("else:")
        shapes = self.put(tuple(v.shape for v in group.values), "shapes")
        self.emit(f"{', '.join(gs)}, = _fresh_flat({shapes}, {self._dtype(group.dtype)})", 2)
        self.emit("_new_grads = True", 2)
        for g, v in zip(gs, group.values, strict=True):
            self.emit(f"{v.name} = {g}._data", 2)
        self.emit(f"{group.name} = {group.values[0].name}.base")

    def run_lines(self, run: lanes.Run, indent: int) -> int:
        """An optimizer step lane by lane, each step over the flat arrays where it can be."""
        self.emit("# (the steps marked ‹all› run once over all parameters: flat arrays)", indent)
        n = 0
        for j in range(run.n):
            if run.fused[j]:
                instr = self.b.instrs[run.order[j]]
                self.emit(_bind_ufuncs(self.retype(instr, run.text(instr)), self.ns)
                          + "  # ‹all›", indent)
                n += 1
                continue
            for lane in range(run.lanes):
                instr = self.b.instrs[run.order[lane * run.n + j]]
                if instr.kind == "call" and instr.out is not None and id(instr.out) in self.flat \
                        and "{out}" in instr.code:
                    self.emit(_bind_ufuncs(self.retype(instr, instr.code.format(
                        out=instr.out.name)), self.ns), indent)
                else:
                    self.emit(self.line(instr), indent)
                n += 1
        return n

    def _is_live(self, v: Value) -> bool:
        return v.name in self.live

    def body(self, part: range | None = None, indent: int = 1) -> int:
        if part is None:
            self.emit("# -- the computation, one NumPy call per line --")
            part = range(self.live["__split__"])
        blocks = {blk.start: blk.text for blk in self.b.blocks}
        n = 0
        for i in part:
            instr = self.b.instrs[i]
            if i in blocks and any(self._needed(j) for j in _block_range(self.b, i)):
                self.emit(f"# {blocks[i]}", indent)
            if not self._needed(i):
                continue
            if i in self.runs:
                n += self.run_lines(self.runs[i], indent)
                continue
            if i in self.in_runs:
                continue
            if self.hoist_view(instr):
                self.emit(f"# {instr.code}  (a view of an array made once: made once too)",
                          indent)
                continue
            kernel = instr.meta[0] if instr.meta else None
            if kernel in ("matmul_one", "dot_one") and self.blas_one:
                self.emit("_blas_one()  # the products below run on one BLAS thread", indent)
                self.blas_one = False
            elif kernel == "matmul_blas":
                self.blas_one = True  # it may have chosen more threads
            n += 1
            self.emit(self.line(instr), indent)
        return n

    def hoist_view(self, instr: Instr) -> bool:
        """A view (``.T``, ``reshape``) of an array that keeps its memory across calls shows
        the same memory on every call: make it once, here, instead of once per call."""
        if instr.kind != "view" or instr.out is None or not instr.args \
                or any(v.name not in self.stable for v in instr.args):
            return False
        view = eval(instr.alloc, self.ns)  # the same text the body would run
        if not isinstance(view, np.ndarray) or not np.shares_memory(
                view, self.ns[instr.args[0].name]):
            return False
        self.ns[instr.out.name] = view
        self.stable.add(instr.out.name)
        return True

    def flat_view(self, name: str) -> str:
        """``name.reshape(-1)`` of a contiguous array made once, bound once."""
        flat = f"{name}_flat"
        if flat not in self.ns:
            self.ns[flat] = self.ns[name].reshape(-1)
        return flat

    def backward_function(self) -> int:
        """The fused node's backward: gradient of the result in, one gradient per parent out."""
        self.blas_one = True  # eager code ran in between: set the BLAS again
        saved = ", ".join(v.name for v in self.live["__saved__"])
        seed = next(v for v in self.b.values if v.storage.kind == "seed")
        self.emit("", 0)
        self.emit("", 0)
        self.emit(f"def _backward({seed.name}, {saved}):", 0)
        self.emit('"""The backward pass, fused: eager\'s backward() calls it with the result\'s '
                  'gradient."""')
        n = self.body(range(self.live["__split__"], len(self.b.instrs)))
        self.emit("return (" + "".join(f"{v.name}, " for _, v in self.rec.fused) + ")")
        return n

    def _needed(self, i: int) -> bool:
        return i in self.live_instrs

    @property
    def live_instrs(self) -> set[int]:
        return self.live["__instrs__"]  # type: ignore[return-value]

    def line(self, instr: Instr) -> str:
        return _bind_ufuncs(self.retype(instr, self._line(instr)), self.ns)

    def _line(self, instr: Instr) -> str:
        out = instr.out
        kernel = instr.meta[0] if instr.meta else None
        code = instr.code
        if instr.kind == "call" and out is not None:
            kind = out.storage.kind
            if "{out}" in instr.code and kind in ("buffer", "newgrad"):
                if kind == "buffer":
                    # laid out as eager's result (x[:, t] and what is computed from it are
                    # not C-ordered), so later reductions add in eager's order
                    self.ns[out.name] = np.empty_like(out.storage.example)
                    self.stable.add(out.name)
                code = instr.code.format(out=out.name)
            else:
                code = f"{out.name} = {instr.alloc}"
        if kernel in _FLAT and instr.args and instr.args[0].name in self.stable \
                and self.ns[instr.args[0].name].flags.c_contiguous:
            target = instr.args[0].name  # x.reshape(-1) of a buffer: its flat view, bound once
            code = code.replace(f"{target}.reshape(-1)", self.flat_view(target), 1)
        return code

    def epilogue(self) -> None:
        rec = self.rec
        self.emit("# -- hand-over: what eager code sees afterwards --")
        handed: list[str] = []  # new .grad tensors (last call's, when reused, are in place)
        for src in rec.sources:
            tensor = self.tensor_expr(src)
            if src.final_grad == "none":
                self.emit(f"{tensor}.grad = None")
            elif src.final_grad == "new":
                g = self.local("_G", src)
                handed.append(f"{tensor}.grad = {g}")
                if src.kind == "ext":
                    last = self.put_last(src)
                    handed.append(f"{last}[0] = {g}")
                    if self.flat_views:
                        handed.append(f"{last}[1] = {src.grad_value.name}_bytes")
                    elif id(src.grad_value) in self.flat:
                        handed.append(f"{last}[1] = {src.grad_value.name}")
        if handed:
            self.emit("if _new_grads:")
            for line in handed:
                self.emit(line, 2)
        for opt in rec.optimizers:
            for (idx, name), (_, final) in opt.state_scalars.items():
                self.emit(f"{self.states[(opt.index, idx)]}[{name!r}] = {final.name}")
        self.emit(f"return {self.result(rec.outputs)}")

    def last_slot(self, src: Source, layout: tuple | None) -> str:
        """``[the .grad tensor handed out last, its array]`` for a parameter, shared by the
        programs that lay their ``.grad`` arrays out alike (``layout``: flat groups)."""
        if src.kind == "ext":
            slot = self.shared(("last .grad", self.backend, id(src.tensor), layout),
                               lambda: [_NOTHING, None])
        else:
            slot = [_NOTHING, None]
        name = self.put(slot, f"last_{_ident(src.name)}_grad")
        self.lasts[id(src)] = name
        return name

    def put_last(self, src: Source) -> str:
        return self.lasts[id(src)]

    def result(self, x: Any) -> str:
        if isinstance(x, _OutRef):
            return self.output(self.rec.output_list[x.index])
        if isinstance(x, tuple) and type(x) is not tuple:
            return f"{self.put(type(x), type(x).__name__)}(" + ", ".join(
                self.result(i) for i in x) + ")"
        if isinstance(x, tuple):
            return "(" + "".join(self.result(i) + ", " for i in x) + ")"
        if isinstance(x, list):
            return "[" + ", ".join(self.result(i) for i in x) + "]"
        if isinstance(x, dict):
            return "{" + ", ".join(f"{k!r}: {self.result(v)}" for k, v in x.items()) + "}"
        return literal(x) or self.put(x, "result")

    def output(self, out: Output) -> str:
        if out.source is not None:
            return self.tensor_expr(out.source)
        v = out.value
        assert v is not None
        arr = v.name
        if v.storage.kind == "const" and v.base is None:
            arr = f"{v.name}.copy()"
        if out.grad_fn == "fused":
            parents = "".join(self.tensor_expr(src) + ", " for src, _ in self.rec.fused)
            saved = "".join(v.name + ", " for v in self.live["__saved__"])
            return f"_fused({arr}, ({parents}), _backward, ({saved}))"
        return f"_done({arr}, {out.grad_fn!r})" if out.grad_fn else f"_new({arr})"


# kernels that read or write x.reshape(-1)
_FLAT = ("take_flat", "sub_flat", "set_flat", "max_rows")

_UFUNC_CALL = re.compile(r"_np\.([a-z_0-9]+)(?=[.(])")


def _bind_ufuncs(line: str, ns: dict[str, Any]) -> str:
    """``_np.add(`` -> ``_np_add(``: one global lookup instead of a module attribute each call."""

    def bind(m: re.Match[str]) -> str:
        fn = getattr(np, m.group(1), None)
        if not isinstance(fn, np.ufunc):
            return m.group(0)
        ns[f"_np_{m.group(1)}"] = fn
        return f"_np_{m.group(1)}"

    return _UFUNC_CALL.sub(bind, line)


def _block_range(b: Any, i: int) -> range:
    starts = sorted(blk.start for blk in b.blocks)
    later = [s for s in starts if s > i]
    return range(i, later[0] if later else len(b.instrs))


def _liveness(rec: Recorder) -> dict[str, Any]:
    """Which instructions the result needs: work backwards from what the call leaves behind
    (returned tensors, handed-out grads, changes to outside arrays, checks). For a fused
    forward, first the backward function (from the gradients it returns), then the forward,
    which must also keep what the backward reads ("saved")."""
    instrs = rec.b.instrs
    needed: set[int] = set()
    saved: list[Value] = []
    split = len(instrs) if rec.split is None else rec.split
    if rec.split is not None:
        storages: set[int] = set()
        names: set[str] = set()
        for _, value in rec.fused:
            _mark(value, storages, names)
        _sweep(instrs, range(len(instrs) - 1, split - 1, -1), storages, names, needed)
        defined_later = {instrs[i].out.name for i in range(split, len(instrs))
                         if instrs[i].out is not None}
        for i in sorted(needed):
            for v in instrs[i].args:
                if v.name not in defined_later and v.storage.kind not in ("const", "seed") and \
                        all(s.name != v.name for s in saved):
                    saved.append(v)
    storages, names = set(), set()
    for out in rec.output_list:
        if out.value is not None:
            _mark(out.value, storages, names)
    for v in saved:
        _mark(v, storages, names)
    for src in rec.sources:
        if src.final_grad == "new" and src.grad_value is not None:
            _mark(src.grad_value, storages, names)
    for opt in rec.optimizers:
        for _, final in opt.state_scalars.values():
            _mark(final, storages, names)
    _sweep(instrs, range(split - 1, -1, -1), storages, names, needed)
    live: dict[str, Any] = {name: True for name in names}
    live.update({v.name: True for v in saved})
    live["__instrs__"] = needed
    live["__saved__"] = saved
    live["__split__"] = split
    return live


def _sweep(instrs: list[Instr], order: range, live_storage: set[int], live_names: set[str],
           needed: set[int]) -> None:
    for i in order:
        instr = instrs[i]
        if instr.kind == "nop":
            continue
        if instr.kind == "check":
            keep = True
        elif instr.kind == "inplace":
            target = instr.args[0]
            keep = target.storage.kind in EXTERNAL or id(target.storage) in live_storage
        else:
            out = instr.out
            keep = out is not None and (out.name in live_names
                                        or (out.base is None and id(out.storage) in live_storage))
        if keep:
            needed.add(i)
            for v in instr.args:
                _mark(v, live_storage, live_names)
            if instr.out is not None:
                live_names.add(instr.out.name)


def _mark(v: Value, storages: set[int], names: set[str]) -> None:
    names.add(v.name)
    storages.add(id(v.storage))
    if v.base is not None:
        names.add(v.base.name)
        storages.add(id(v.base.storage))


def _flat_views(group: lanes.Group) -> tuple[np.ndarray, list[np.ndarray]]:
    flat = np.zeros(group.total, group.dtype)
    return flat, group.views(flat)


def _acceptor(seen: list[Any], shape: Any, dtype: Any) -> Any:
    """Check a parameter's array that is not the one seen last call (e.g. after .to())."""

    def accept(array: np.ndarray) -> bool:
        if array.shape != shape or array.dtype != dtype or not array.flags.c_contiguous:
            return False
        seen[0], seen[1] = array, _bytes(array)
        return True

    return accept


def _bytes(array: np.ndarray) -> memoryview:
    """A contiguous array's memory as bytes: struct.pack_into writes floats into it fast."""
    return memoryview(array).cast("B")


def _revalidator(modules: list[ModuleGuard], generation: list[int]) -> Any:
    """After a module changed somewhere: check that the modules this code uses are as traced
    (mode, parameters, sub-modules, plain settings such as ``negative_slope``)."""

    def revalidate() -> bool:
        for g in modules:
            m = g.module
            if m.training is not g.training or m._parameters.keys() != g.params.keys() or \
                    m._modules.keys() != g.children.keys():
                return False
            if any(m._parameters[k] is not v for k, v in g.params.items()):
                return False
            if any(m._modules[k] is not v for k, v in g.children.items()):
                return False
            for name, expected in g.settings.items():
                actual = m.__dict__.get(name, _MISSING)
                if actual != expected or type(actual) is not type(expected):
                    return False
            if any(m.__dict__.get(name) is not container for name, (container, _) in
                   g.lists.items()) or _lists_changed(list(g.lists.values())):
                return False
            if any(m.__dict__.get(name) is not t for name, t in g.tensors.items()):
                return False
        generation[0] = _module_class()._generation
        return True

    return revalidate


@dataclass
class ModuleGuard:
    """A module the traced call used, as it was then."""

    module: Any
    training: bool
    params: dict[str, Any]
    children: dict[str, Any]
    settings: dict[str, Any]
    # plain lists and tuples of modules (not registered, so Module's bookkeeping can't see an
    # append): each attribute's container and its items then
    lists: dict[str, tuple[Any, tuple[Any, ...]]] = field(default_factory=dict)
    # buffers and plain tensor attributes (self.mask = ...): the code reads these very tensors
    tensors: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, m: Any) -> ModuleGuard:
        settings = {k: v for k, v in m.__dict__.items()
                    if k not in ("training", "_parameters", "_modules")
                    and (v is None or isinstance(v, (bool, int, float, str)))}
        module = _module_class()
        lists = {k: (v, tuple(v)) for k, v in m.__dict__.items()
                 if isinstance(v, (list, tuple)) and any(isinstance(i, module) for i in v)}
        tensors = {k: v for k, v in m.__dict__.items()
                   if isinstance(v, Tensor) and k not in m._parameters}
        return cls(m, m.training, dict(m._parameters), dict(m._modules), settings, lists,
                   tensors)


def _lists_changed(lists: list[tuple[Any, tuple[Any, ...]]]) -> bool:
    """Whether a plain list of modules was changed in place since the trace."""
    return any(len(now) != len(then) or any(a is not b for a, b in zip(now, then, strict=True))
               for now, then in lists)


_MISSING = object()
_NOTHING = object()  # what no .grad ever is


def _module_class() -> type:
    from vibrastic.nn import Module

    return Module


def _done(array: np.ndarray, grad_fn: str) -> Tensor:
    """A returned tensor that took part in a backward pass: its graph is freed, as in eager."""
    t = _tensor_new(Tensor)
    t._data = array if array.__class__ is np.ndarray else np.asarray(array)
    t.grad = None
    t._retains_grad = False
    t._seq = _next_seq()
    t.requires_grad = True
    t._ctx = ((), _freed, grad_fn, True)
    return t


def _fused(array: np.ndarray, parents: tuple[Tensor, ...], backward: Any, saved: tuple) -> Tensor:
    """The result of a compiled forward: one autograd node whose backward is generated code."""
    return record(array, parents, lambda g: backward(g, *saved), "CompiledFunctionBackward")


def _fresh(shape: tuple[int, ...], dtype: np.dtype) -> Tensor:
    return _new(np.empty(shape, dtype))


def _ident(name: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in name)
