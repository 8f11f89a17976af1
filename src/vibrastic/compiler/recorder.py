"""What the tracer hands each event to: ops, ``backward()``, optimizer steps and ``zero_grad``.

The recorder keeps, for every tensor the traced call touches, a ``Node`` (its value in the
program), and for every tensor from outside (arguments, parameters, captured tensors) a ``Source``
that says how to find it again on the next call and what its ``.grad`` was. Each event is turned
into kernels by the builder, and then checked against what eager just did.
"""

from __future__ import annotations

import gc
import heapq
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from vibrastic.autograd import _freed
from vibrastic.compiler.graph import Builder, CompileError, Value, WarmUp, same_bits
from vibrastic.compiler.rules import RULES, Node, NotApplicable, Ops
from vibrastic.tensor import Tensor, _new

OPTIMIZERS = ("SGD", "Adam", "AdamW", "RMSprop", "Adagrad")  # whose step() vb.compile replays


def is_compiled_optimizer(optimizer_or_class: Any) -> bool:
    """Whether vb.compile replays this optimizer's ``step()`` (the class itself, not a
    subclass, which may change the update)."""
    from vibrastic import optim

    cls = optimizer_or_class if isinstance(optimizer_or_class, type) else type(optimizer_or_class)
    return cls.__name__ in OPTIMIZERS and getattr(optim, cls.__name__) is cls


def unsupported_optimizer(name: str) -> str:
    """The message for an optimizer whose step runs eagerly."""
    return (f"the optimizer {name} is not supported by vb.compile "
            f"({', '.join(OPTIMIZERS[:-1])} and {OPTIMIZERS[-1]} are)")


@dataclass(eq=False)
class Source:
    """A tensor from outside the call: an argument (found by position) or a captured tensor."""

    tensor: Tensor
    kind: str  # "arg" or "ext"
    name: str
    index: int  # position among the arguments (args) or among captured tensors (ext)
    path: str = ""  # for arguments: where the call's arguments hold it, e.g. "args[0]"
    node: Node | None = None
    array: np.ndarray | None = None  # the array seen at entry (its identity is a guard)
    requires_grad: bool = False
    entry_grad: tuple[tuple[int, ...], np.dtype] | None = None  # shape/dtype of .grad at entry
    entry_grad_obj: Tensor | None = None
    grad_value: Value | None = None  # the program's current .grad value (None: no grad)
    grad_obj: Tensor | None = None  # the eager .grad tensor that value stands for
    grad_touched: bool = False  # the program reads or changes .grad
    entry_assumed: bool = False  # the program relies on .grad being as it was at entry
    grad_reset: bool = False  # the program has set .grad to None itself
    final_grad: str = "entry"  # "entry", "none" or "new" (set by finish)


@dataclass(eq=False)
class OptRecord:
    """An optimizer the traced call stepped: its hyper-parameters are read live each call."""

    optimizer: Any
    index: int
    hyper: dict[tuple[int, Any], Value] = field(default_factory=dict)
    structure: dict[tuple[int, str], Any] = field(default_factory=dict)  # guards
    state_arrays: dict[tuple[int, str], Value] = field(default_factory=dict)  # (src idx, key)
    state_scalars: dict[tuple[int, str], tuple[Value, Value]] = field(default_factory=dict)
    same_counts: list[tuple[Value, Value]] = field(default_factory=list)  # guards: equal steps


@dataclass
class Output:
    """How to rebuild one returned tensor: from a value, or an outside tensor itself."""

    value: Value | None
    source: Source | None
    requires_grad: bool
    grad_fn: str | None


class Recorder:
    """Builds the program while the traced call runs (see the module docstring)."""

    def __init__(self, arg_tensors: list[tuple[str, str, Tensor]], start_seq: int) -> None:
        self.b = Builder()
        self.nodes: dict[int, Node] = {}
        self.keep: list[Any] = []  # tensors seen, kept alive so their ids stay unique
        self.sources: list[Source] = []
        self.by_tensor: dict[int, Source] = {}
        self.arg_ids = {id(t): (path, name, i) for i, (path, name, t) in enumerate(arg_tensors)}
        self.start_seq = start_seq
        self.optimizers: list[OptRecord] = []
        self.param_names: dict[int, str] = {}
        self.module_names: dict[int, str] = {}
        self.modules: dict[int, Any] = {}
        self.backward_calls = 0
        self.user_changes = False  # eager code changed a tensor in place or reset a .grad
        self.outputs: Any = None
        self.output_list: list[Output] = []
        self.split: int | None = None  # fused: where the backward function's instructions start
        self.fused: list[tuple[Source, Value]] = []  # fused: each parent and its gradient

    # ---- tensors ----
    def source_for(self, t: Tensor) -> Source:
        """The Source record of an outside tensor (made on first sight; no value read yet)."""
        src = self.by_tensor.get(id(t))
        if src is not None:
            return src
        if id(t) in self.arg_ids:
            path, name, index = self.arg_ids[id(t)]
            src = Source(t, "arg", name, index, path=path)
        else:
            n_ext = sum(1 for s in self.sources if s.kind == "ext")
            name = self.param_names.get(id(t), f"captured{n_ext}")
            src = Source(t, "ext", name, n_ext)
        src.array = t._data
        src.requires_grad = t.requires_grad
        src.entry_grad_obj = t.grad
        if t.grad is not None:
            src.entry_grad = (t.grad._data.shape, t.grad._data.dtype)
        src.grad_obj = t.grad
        self.sources.append(src)
        self.by_tensor[id(t)] = src
        self.keep.append(t)
        return src

    def node_for(self, t: Tensor) -> Node:
        node = self.nodes.get(id(t))
        if node is not None:
            return node
        if t._seq >= self.start_seq:
            made_by = f" ({t._ctx[2].removesuffix('Backward')})" if t._ctx is not None else ""
            raise CompileError(
                f"a tensor of shape {tuple(t.shape)} was made by an operation{made_by} "
                "vb.compile does not know (only the ops in vibrastic.compiler.rules can be "
                "compiled)")
        owner = self._grad_owner(t)
        if owner is not None:  # p.grad read directly: find it through p on every call
            src = self.source_for(owner)
            src.grad_touched = True
            node = Node(self._entry_grad_value(src), False, t._seq, op="grad")
        else:
            src = self.source_for(t)
            kind = "arg" if src.kind == "arg" else "ext"
            value = self.b.source(kind, _identifier(src.name), t._data.copy(), ref=src)
            node = Node(value, t.requires_grad, t._seq, leaf=src)
            src.node = node
        self.nodes[id(t)] = node
        self.keep.append(t)
        return node

    def _grad_owner(self, t: Tensor) -> Tensor | None:
        """The tensor whose ``.grad`` is ``t``, if any (a gradient read as ``p.grad``)."""
        if id(t) in self.param_names or id(t) in self.arg_ids or t.requires_grad:
            return None  # parameters, arguments and leaves are not gradients
        for src in self.sources:
            if src.tensor.grad is t:
                return src.tensor
        for ref in gc.get_referrers(t):
            if isinstance(ref, Tensor) and ref.grad is t:
                return ref
        return None

    def _entry_grad_value(self, src: Source) -> Value:
        """The value of ``src``'s ``.grad`` as it is now in the program."""
        if src.grad_value is None:
            g = src.tensor.grad
            if g is None or g is not src.entry_grad_obj:
                raise CompileError(f"{src.name}.grad is read but was never computed")
            src.grad_value = self.b.source("extgrad", f"{_identifier(src.name)}_grad",
                                           g._data.copy(), ref=src)
            src.entry_assumed = True
        return src.grad_value

    def _reconcile_grad(self, src: Source) -> None:
        """Eager code may have set ``p.grad = None`` itself: follow it."""
        actual = src.tensor.grad
        if actual is None:
            if src.grad_obj is not None:
                src.grad_touched = True
                src.grad_reset = True
                self.user_changes = True
            src.grad_value, src.grad_obj = None, None
        elif actual is not src.grad_obj:
            raise CompileError(f"{src.name}.grad was assigned a tensor directly; vb.compile "
                               "follows .grad only through backward(), zero_grad() and step()")

    def module_called(self, module: Any) -> None:
        if id(module) in self.modules:
            return
        self.modules[id(module)] = module
        for name, p in module.named_parameters():
            self.param_names.setdefault(id(p), name)

    # ---- ops ----
    def op(self, name: str, args: tuple, kwargs: dict, out: Any, line: str) -> None:
        """Lower one eager op and check its result against eager's."""
        if isinstance(out, Tensor) and any(out is a for a in _tensors_in((args, kwargs))):
            return  # the op returned its input (e.g. .to() of the same dtype)
        nargs = _map_tensors(args, self.node_for)
        nkwargs = _map_tensors(kwargs, self.node_for)
        # max(dim=...) gives (values, indices): the first carries the gradient
        outs = tuple(out) if isinstance(out, tuple) else (out,)
        if not outs or not all(isinstance(t, Tensor) for t in outs):
            raise CompileError(f"internal: {name} returned {type(out).__name__}")
        self.b.block(f"{name}  {line}")
        o = Ops(self.b, hint=name)
        rules = RULES[name] if isinstance(RULES[name], tuple) else (RULES[name],)
        mark = self.b.mark()
        for rule in rules:  # a rule may have variants (the engine's way may change)
            try:
                value, parents, vjp = rule(o, *nargs, **nkwargs)
            except NotApplicable:
                continue
            values = value if isinstance(value, tuple) else (value,)
            if len(values) == len(outs) and all(
                    same_bits(v.example, t._data) for v, t in zip(values, outs, strict=True)):
                break
            self.b.rollback(mark)
        else:
            raise CompileError(f"vb.compile's rule for {name} does not give the engine's "
                               "numbers; please report this")
        first = outs[0]
        if first.requires_grad and vjp is None:
            raise CompileError(f"internal: {name} makes a gradient-carrying tensor without a rule")
        self.nodes[id(first)] = Node(values[0], first.requires_grad, first._seq, op=name,
                                     parents=parents,
                                     vjp=vjp if first.requires_grad else None, tensor=first)
        for v, t in zip(values[1:], outs[1:], strict=True):  # indices: no gradient
            self.nodes[id(t)] = Node(v, False, t._seq, op=name)
        self.keep.extend(outs)

    def alias(self, src: Tensor, out: Tensor) -> None:
        """``detach()`` / ``.data``: the same array, outside the graph."""
        node = self.node_for(src)
        self.nodes[id(out)] = Node(node.value, False, out._seq, op="detach")
        self.keep.append(out)

    def created(self, out: Tensor, kind: str, attrs: dict[str, Any], line: str) -> None:
        """A tensor made inside the call: a constant, or a random draw made again each call."""
        if out.requires_grad:
            raise CompileError("a tensor that requires grad is created inside the compiled "
                               "function; create it outside and pass it in")
        self.b.block(f"{kind}  {line}")
        if kind == "random":
            value = self.b.call(attrs.pop("kernel"), hint="rand", example=out._data.copy(),
                                **attrs)
        else:  # a copy of the constant on each call, so that in-place changes stay per call
            value = self.b.call("copy", self.b.constant(out._data.copy(), kind), hint=kind)
        self.nodes[id(out)] = Node(value, False, out._seq, op=kind)
        self.keep.append(out)

    def inplace(self, kernel: str, target: Tensor, other: Any, line: str) -> None:
        """``a += b`` outside the graph (manual updates): change a's array in place."""
        self.user_changes = True
        node = self.node_for(target)
        if node.leaf is not None and node.leaf.kind == "arg" and node.value.storage.kind == "arg":
            pass  # changing an argument in place changes the caller's tensor, as eager does
        self.b.block(f"{kernel} in place  {line}")
        other_v = other
        if isinstance(other, Tensor):  # a 0-d tensor in torch's result dtype, as ops._operands
            other_v = Ops(self.b, hint=kernel).operands(node, self.node_for(other))[1]
        self.b.inplace(kernel, node.value, other_v)
        if not same_bits(node.value.example, target._data):
            raise CompileError(f"internal: in-place {kernel} differs from the engine's")

    def setitem(self, target: Tensor, idx: Any, value: Any, line: str) -> None:
        self.user_changes = True
        node = self.node_for(target)
        idx_v = _map_tensors(idx, lambda t: self.node_for(t).value)
        val = self.node_for(value).value if isinstance(value, Tensor) else value
        from vibrastic.compiler.graph import raw

        index_values = [i for i in (idx_v if isinstance(idx_v, tuple) else (idx_v,))
                        if isinstance(i, Value)]
        self.b.block(f"setitem  {line}")
        self.b.inplace("setitem", node.value, val, *index_values, idx=raw(self.b.index(idx_v)),
                       _index=idx_v)
        if not same_bits(node.value.example, target._data):
            raise CompileError("internal: an index assignment differs from the engine's")

    def fill(self, target: Tensor, value: float, line: str) -> None:
        self.user_changes = True
        node = self.node_for(target)
        self.b.block(f"fill  {line}")
        self.b.inplace("fill", node.value, value=value)

    # ---- backward ----
    def backward(self, root: Tensor, gradient: Any, line: str) -> list[Source]:
        """Emit the backward pass from ``root``; called before eager runs its own."""
        node = self.node_for(root)
        o = Ops(self.b, hint="grad")
        self.b.block(f"backward  {line}")
        if gradient is None:
            seed = self.b.constant(np.ones_like(root._data), "seed")
        elif isinstance(gradient, Tensor):
            seed = self.node_for(gradient).value
            if seed.dtype != root._data.dtype:
                seed = o.k("astype", seed, dtype=root._data.dtype)
        else:
            seed = self.b.constant(np.asarray(gradient, dtype=root._data.dtype), "seed")
        reached: list[Source] = []
        self._walk(node, seed, o, lambda src, g: reached.append(self._accumulate(src, g, o)),
                   mark=True)
        self.backward_calls += 1
        return reached

    def _walk(self, node: Node, seed: Value, o: Ops,
              on_leaf: Callable[[Source, Value], None], mark: bool = False) -> None:
        """The engine's backward pass over the recorded nodes: newest first, each node's
        gradient summed in the order its consumers send it, leaves handed to ``on_leaf``."""
        grads: dict[Node, Value] = {node: seed}
        order = itertools.count()
        queue: list[tuple[int, int, Node]] = [(-node.seq, next(order), node)]
        while queue:
            current = heapq.heappop(queue)[2]
            g = grads.pop(current)
            if current.vjp is None:  # a leaf
                if current.leaf is None or not current.requires_grad:
                    raise CompileError("internal: gradient reached a tensor without a rule")
                on_leaf(current.leaf, g)
                continue
            self.b.block(f"backward of {current.op}")
            current.freed = current.freed or mark
            for parent, pg in zip(current.parents, self._vjp(current, g), strict=True):
                if pg is None or not parent.requires_grad:
                    continue
                if pg.shape != parent.shape:
                    pg = _unbroadcast(o, pg, parent.shape)
                if pg.dtype != parent.dtype:  # in the parent's own dtype, as the engine
                    pg = o.k("astype", pg, dtype=parent.dtype)
                prev = grads.get(parent)
                if prev is None:
                    grads[parent] = pg
                    heapq.heappush(queue, (-parent.seq, next(order), parent))
                else:
                    grads[parent] = o.add(prev, pg)

    def _vjp(self, node: Node, g: Value) -> list[Value | None]:
        """The node's gradient rule, checked against the engine's own closure on the same
        gradient (so a rule that drifts from the engine is caught at its op)."""
        ctx = node.tensor._ctx if node.tensor is not None else None
        eager = None
        if ctx is not None and ctx[1] is not _freed:
            eager = ctx[1](np.array(g.example))
        variants = node.vjp if isinstance(node.vjp, tuple) else (node.vjp,)
        mark = self.b.mark()
        for vjp in variants:
            grads = list(vjp(g))  # type: ignore[misc]
            if eager is None or all(
                    mine is None or theirs is None or not parent.requires_grad
                    or same_bits(mine.example, np.asarray(theirs))
                    for parent, mine, theirs in zip(node.parents, grads, eager, strict=True)):
                return grads
            self.b.rollback(mark)
        raise CompileError(f"vb.compile's gradient rule for {node.op} does not give the "
                           "engine's numbers; please report this")

    def fuse(self, out: Tensor) -> None:
        """The call returns a tensor that eager code will call backward() on: emit its backward
        pass (from a gradient given later) as a second function, one fused autograd node."""
        node = self.node_for(out)
        self.split = len(self.b.instrs)
        self.b.block("backward: runs when eager code calls backward() on the result")
        seed = self.b.source("seed", "grad_output", np.ones_like(np.asarray(out._data)))
        collected: dict[Source, Value] = {}
        self._walk(node, seed, Ops(self.b, hint="grad"), collected.__setitem__)
        self.fused = list(collected.items())
        # check against eager's own backward pass (its graph is kept for the learner)
        kept = [(src.tensor, src.tensor.grad) for src, _ in self.fused]
        try:
            for t, _ in kept:
                t.grad = None
            out.backward(_new(np.ones_like(np.asarray(out._data))), retain_graph=True)
            for src, value in self.fused:
                actual = src.tensor.grad
                expected = np.asarray(value.example).astype(src.tensor._data.dtype)
                if actual is None or not same_bits(expected, actual._data):
                    raise CompileError(f"vb.compile's gradient of {src.name} differs from the "
                                       "engine's; please report this")
        finally:
            for t, grad in kept:
                t.grad = grad

    def _accumulate(self, src: Source, g: Value, o: Ops) -> Source:
        self._reconcile_grad(src)
        src.grad_touched = True
        if g.dtype != src.node.dtype:  # type: ignore[union-attr]
            g = o.k("astype", g, dtype=src.node.dtype)  # type: ignore[union-attr]
        if src.grad_value is None and src.grad_obj is None:
            if src.entry_grad_obj is None and not src.grad_reset:
                src.entry_assumed = True  # relies on .grad being None when the call starts
            src.grad_value = self.b.call("copy", g, hint=f"{_identifier(src.name)}_grad")
        else:
            self.b.inplace("add", self._entry_grad_value(src), g)
        return src

    def after_backward(self, reached: list[Source]) -> None:
        """Check each leaf's gradient against eager's and remember eager's .grad tensor."""
        for src in reached:
            actual = src.tensor.grad
            if actual is None or not same_bits(src.grad_value.example, actual._data):  # type: ignore
                raise CompileError(f"vb.compile's gradient of {src.name} differs from the "
                                   "engine's; please report this")
            src.grad_obj = actual
            self.nodes[id(actual)] = Node(src.grad_value, False, actual._seq, op="grad")  # type: ignore
            self.keep.append(actual)

    # ---- optimizers ----
    def _opt(self, optimizer: Any) -> OptRecord:
        for rec in self.optimizers:
            if rec.optimizer is optimizer:
                return rec
        rec = OptRecord(optimizer, len(self.optimizers))
        self.optimizers.append(rec)
        return rec

    def _hyper(self, rec: OptRecord, gi: int, key: str, index: int | None = None) -> Value:
        ref = (gi, key if index is None else (key, index))
        value = rec.hyper.get(ref)
        if value is None:
            raw_value = rec.optimizer.param_groups[gi][key]
            if index is not None:
                raw_value = raw_value[index]
            hint = key if index is None else f"beta{index + 1}"
            value = self.b.source("hyper", hint, raw_value, ref=(rec, ref))
            rec.hyper[ref] = value
        return value

    def _param_grad(self, p: Tensor) -> tuple[Source, Value | None]:
        src = self.source_for(p)
        self.node_for(p)
        self._reconcile_grad(src)
        if p.grad is None:
            src.grad_touched = True
            if not src.grad_reset:
                src.entry_assumed = True
            return src, None
        return src, self.node_for(p.grad).value

    def _state_array(self, rec: OptRecord, src: Source, key: str) -> Value:
        value = rec.state_arrays.get((src.index, key))
        if value is None:
            array = rec.optimizer.state[src.tensor][key]
            value = self.b.source("state", f"{_identifier(src.name)}_{key}", array.copy(),
                                  ref=(rec, src, key))
            rec.state_arrays[(src.index, key)] = value
        return value

    def step(self, optimizer: Any, line: str) -> None:
        """Emit the optimizer's update (one of ``OPTIMIZERS``), before eager runs it."""
        rec = self._opt(optimizer)
        o = Ops(self.b, hint="upd")
        name = type(optimizer).__name__
        self.b.block(f"{name}.step()  {line}")
        if not is_compiled_optimizer(optimizer):
            raise CompileError(unsupported_optimizer(name))
        {"SGD": self._sgd, "Adam": self._adam, "AdamW": self._adam, "RMSprop": self._rmsprop,
         "Adagrad": self._adagrad}[name](rec, o)

    def _decayed(self, rec: OptRecord, o: Ops, gi: int, g: Value, w: Value) -> Value:
        """optim._gradient: g negated to maximize, plus weight_decay·w (L2)."""
        group = rec.optimizer.param_groups[gi]
        if group["maximize"]:
            g = o.neg(g)
        if group["weight_decay"]:
            g = o.add(g, o.mul(self._hyper(rec, gi, "weight_decay"), w))
        return g

    def _state_of(self, rec: OptRecord, p: Tensor, keys: tuple[str, ...], why: str
                  ) -> dict[str, Any]:
        """p's optimizer state, which must hold ``keys``: WarmUp while it is still empty (made on
        the first step); a CompileError if it lacks one (eager then says what is wrong)."""
        state = rec.optimizer.state.get(p)
        if not state:
            raise WarmUp(why)
        missing = [k for k in keys if state.get(k) is None]
        if missing:
            raise CompileError(f"the optimizer's state lacks {', '.join(missing)} (its settings "
                               "changed after its first step?)")
        return state

    def _step_count(self, rec: OptRecord, src: Source) -> Value:
        """The value of ``state['step']`` now in the program (read at entry the first time)."""
        key = (src.index, "step")
        if key not in rec.state_scalars:
            first = self.b.source("statescalar", f"{_identifier(src.name)}_step",
                                  rec.optimizer.state[src.tensor]["step"], ref=(rec, src, "step"))
            rec.state_scalars[key] = (first, first)
        return rec.state_scalars[key][1]

    def _count(self, rec: OptRecord, src: Source) -> Value:
        """``state['step'] += 1``: the new count (a Python int, handed back after the call)."""
        t = self.b.expr("{0} + 1", self._step_count(rec, src), hint="t")
        rec.state_scalars[(src.index, "step")] = (rec.state_scalars[(src.index, "step")][0], t)
        return t

    def _group_counts(self, rec: OptRecord) -> list[Value | None]:
        """Per parameter group, ``state['step'] += 1`` once for all its parameters, where their
        counts are equal (as when they are always stepped together; the program checks it on
        entry): then the numbers made from the count (Adam's bias corrections) are made once
        too, and the update is the same calls for every parameter (lanes.py). None where they
        differ, or where the state is not made yet."""
        out: list[Value | None] = []
        for group in rec.optimizer.param_groups:
            params = [p for p in group["params"] if p.grad is not None]
            states = [rec.optimizer.state.get(p) for p in params]
            if len(params) < 2 or not all(st and type(st.get("step")) is int for st in states):
                out.append(None)
                continue
            srcs = [self.source_for(p) for p in params]
            counts = [self._step_count(rec, src) for src in srcs]
            if any(c is not counts[0] for c in counts):
                if not all(c.storage.kind == "statescalar" for c in counts) or \
                        len({c.storage.example for c in counts}) != 1:
                    out.append(None)
                    continue
                rec.same_counts += [(c, counts[0]) for c in counts[1:]]
            t = self.b.expr("{0} + 1", counts[0], hint="t", per_group=True)
            for src in srcs:
                key = (src.index, "step")
                rec.state_scalars[key] = (rec.state_scalars[key][0], t)
            out.append(t)
        return out

    def _per_group(self, rec: OptRecord, text: str, keys: tuple[Any, ...],
                   when: Callable[[dict[str, Any]], Any] = bool, hint: str = "s"
                   ) -> list[Value | None]:
        """A number of each parameter group (``1 - beta1``), made before the first parameter's
        update (eager makes it for each parameter: the same Python arithmetic, the same bits),
        so that every parameter's update is the same sequence of calls (lanes.py)."""
        out: list[Value | None] = []
        for gi, group in enumerate(rec.optimizer.param_groups):
            if not when(group):
                out.append(None)
                continue
            args = [self._hyper(rec, gi, *k) if isinstance(k, tuple) else self._hyper(rec, gi, k)
                    for k in keys]
            out.append(self.b.expr(text, *args, hint=hint, per_group=True))
        return out

    def _sgd(self, rec: OptRecord, o: Ops) -> None:
        opt = rec.optimizer
        damps = self._per_group(rec, "1 - {0}", ("dampening",), hint="keep",
                                when=lambda g: g["momentum"] and g["dampening"] != 0)
        for gi, group in enumerate(opt.param_groups):
            for key in ("momentum", "weight_decay"):
                rec.structure[(gi, key)] = bool(group[key])
            for key in ("nesterov", "maximize"):
                rec.structure[(gi, key)] = group[key]
            for p in group["params"]:
                src, g = self._param_grad(p)
                if g is None:
                    continue
                w = src.node.value  # type: ignore[union-attr]
                g = self._decayed(rec, o, gi, g, w)
                if group["momentum"]:
                    state = opt.state.get(p)
                    if not state or state.get("momentum_buffer") is None:
                        raise WarmUp("the optimizer's momentum buffers are made on its first step")
                    buf = self._state_array(rec, src, "momentum_buffer")
                    momentum = self._hyper(rec, gi, "momentum")
                    self.b.inplace("multiply", buf, momentum)
                    rec.structure[(gi, "dampening")] = group["dampening"] == 0
                    if group["dampening"] == 0:  # (1 - 0) * g is g, bit for bit
                        self.b.inplace("add", buf, g)
                    else:
                        self.b.inplace("add", buf, o.mul(damps[gi], g))
                    g = o.add(g, o.mul(momentum, buf)) if group["nesterov"] else buf
                self.b.inplace("subtract", w, o.mul(self._hyper(rec, gi, "lr"), g))

    def _adam(self, rec: OptRecord, o: Ops) -> None:
        """Adam, and AdamW (Adam with ``decoupled_weight_decay``)."""
        opt = rec.optimizer
        keep1 = self._per_group(rec, "1 - {0}", (("betas", 0),))
        keep2 = self._per_group(rec, "1 - {0}", (("betas", 1),))
        shrinks = self._per_group(rec, "1 - {0} * {1}", ("lr", "weight_decay"), hint="shrink",
                                  when=lambda g: g["weight_decay"]
                                  and g["decoupled_weight_decay"])
        counts = self._group_counts(rec)
        corrections = [None if t is None else self._bias_corrections(rec, gi, t, per_group=True)
                       for gi, t in enumerate(counts)]
        for gi, group in enumerate(opt.param_groups):
            rec.structure[(gi, "weight_decay")] = bool(group["weight_decay"])
            for key in ("amsgrad", "maximize", "decoupled_weight_decay"):
                rec.structure[(gi, key)] = group[key]
            for p in group["params"]:
                src, g = self._param_grad(p)
                if g is None:
                    continue
                w = src.node.value  # type: ignore[union-attr]
                if group["maximize"]:
                    g = o.neg(g)
                if group["weight_decay"]:
                    if group["decoupled_weight_decay"]:  # AdamW: w *= 1 - lr·λ
                        self.b.inplace("multiply", w, shrinks[gi])
                    else:
                        g = o.add(g, o.mul(self._hyper(rec, gi, "weight_decay"), w))
                keys = ("step", "exp_avg", "exp_avg_sq") + (
                    ("max_exp_avg_sq",) if group["amsgrad"] else ())
                self._state_of(rec, p, keys, "Adam's moment estimates are made on its first step")
                t = counts[gi] or self._count(rec, src)
                beta2 = self._hyper(rec, gi, "betas", 1)
                m = self._state_array(rec, src, "exp_avg")
                v = self._state_array(rec, src, "exp_avg_sq")
                self.b.inplace("add", m, o.mul(keep1[gi], o.sub(g, m)))
                self.b.inplace("multiply", v, beta2)
                self.b.inplace("add", v, o.mul(o.mul(keep2[gi], g), g))
                if group["amsgrad"]:
                    vmax = self._state_array(rec, src, "max_exp_avg_sq")
                    self.b.inplace("maximum_into", vmax, v)
                    v = vmax
                step_size, bias2 = corrections[gi] or self._bias_corrections(rec, gi, t)
                denom = o.add(o.div(o.k("sqrt", v), bias2), self._hyper(rec, gi, "eps"))
                self.b.inplace("subtract", w, o.mul(step_size, o.div(m, denom)))

    def _bias_corrections(self, rec: OptRecord, gi: int, t: Value, per_group: bool = False
                          ) -> tuple[Value, Value]:
        """Adam's lr / (1 - β₁ᵗ) and √(1 - β₂ᵗ)."""
        lr, beta1, beta2 = (self._hyper(rec, gi, "lr"), self._hyper(rec, gi, "betas", 0),
                            self._hyper(rec, gi, "betas", 1))
        return (self.b.expr("{0} / (1 - {1}**{2})", lr, beta1, t, hint="step_size",
                            per_group=per_group),
                self.b.expr("_math.sqrt(1 - {0}**{1})", beta2, t, hint="bias2",
                            per_group=per_group))

    def _rmsprop(self, rec: OptRecord, o: Ops) -> None:
        opt = rec.optimizer
        keeps = self._per_group(rec, "1 - {0}", ("alpha",), hint="keep")
        counts = self._group_counts(rec)
        for gi, group in enumerate(opt.param_groups):
            for key in ("momentum", "weight_decay"):
                rec.structure[(gi, key)] = bool(group[key])
            for key in ("centered", "maximize"):
                rec.structure[(gi, key)] = group[key]
            for p in group["params"]:
                src, g = self._param_grad(p)
                if g is None:
                    continue
                w = src.node.value  # type: ignore[union-attr]
                g = self._decayed(rec, o, gi, g, w)
                keys = ("step", "square_avg") + (("momentum_buffer",) if group["momentum"]
                                                 else ()) + (("grad_avg",) if group["centered"]
                                                             else ())
                self._state_of(rec, p, keys, "RMSprop's running averages are made on its first "
                                             "step")
                if counts[gi] is None:
                    self._count(rec, src)
                keep = keeps[gi]
                v = self._state_array(rec, src, "square_avg")
                self.b.inplace("multiply", v, self._hyper(rec, gi, "alpha"))
                self.b.inplace("add", v, o.mul(o.mul(keep, g), g))
                if group["centered"]:
                    m = self._state_array(rec, src, "grad_avg")
                    self.b.inplace("add", m, o.mul(keep, o.sub(g, m)))
                    avg = o.k("sqrt", o.sub(v, o.mul(m, m)))
                else:
                    avg = o.k("sqrt", v)
                avg = o.add(avg, self._hyper(rec, gi, "eps"))
                lr = self._hyper(rec, gi, "lr")
                if group["momentum"]:
                    buf = self._state_array(rec, src, "momentum_buffer")
                    self.b.inplace("multiply", buf, self._hyper(rec, gi, "momentum"))
                    self.b.inplace("add", buf, o.div(g, avg))
                    self.b.inplace("subtract", w, o.mul(lr, buf))
                else:
                    self.b.inplace("subtract", w, o.mul(lr, o.div(g, avg)))

    def _adagrad(self, rec: OptRecord, o: Ops) -> None:
        opt = rec.optimizer
        counts = self._group_counts(rec)
        rates = [None if t is None else self._neg_clr(rec, gi, t, per_group=True)
                 for gi, t in enumerate(counts)]
        for gi, group in enumerate(opt.param_groups):
            rec.structure[(gi, "weight_decay")] = bool(group["weight_decay"])
            rec.structure[(gi, "maximize")] = group["maximize"]
            for p in group["params"]:
                src, g = self._param_grad(p)
                if g is None:
                    continue
                w = src.node.value  # type: ignore[union-attr]
                g = self._decayed(rec, o, gi, g, w)
                self._state_of(rec, p, ("step", "sum"),
                               "Adagrad's sums of a group added later are made on its first step")
                neg_clr = rates[gi] or self._neg_clr(rec, gi, self._count(rec, src))
                s = self._state_array(rec, src, "sum")
                self.b.inplace("add", s, o.mul(g, g))
                std = o.add(o.k("sqrt", s), self._hyper(rec, gi, "eps"))
                self.b.inplace("add", w, o.div(o.mul(neg_clr, g), std))

    def _neg_clr(self, rec: OptRecord, gi: int, t: Value, per_group: bool = False) -> Value:
        """Adagrad's -clr, clr = lr / (1 + (t - 1)·lr_decay)."""
        return self.b.expr("-({0} / (1 + ({1} - 1) * {2}))", self._hyper(rec, gi, "lr"), t,
                           self._hyper(rec, gi, "lr_decay"), hint="neg_clr", per_group=per_group)

    def after_step(self, optimizer: Any) -> None:
        """Check the parameters and state the program computed against eager's."""
        rec = self._opt(optimizer)
        for src in self.sources:
            if src.node is not None and not same_bits(src.node.value.example, src.tensor._data):
                raise CompileError(f"vb.compile's update of {src.name} differs from the "
                                   "engine's; please report this")
        for (_, key), value in rec.state_arrays.items():
            _, src, _ = value.storage.ref
            if not same_bits(value.example, optimizer.state[src.tensor][key]):
                raise CompileError(f"vb.compile's optimizer state {key} of {src.name} differs")
        for (_, key), (first, final) in rec.state_scalars.items():
            _, src, _ = first.storage.ref
            if final.storage.example != optimizer.state[src.tensor][key]:
                raise CompileError(f"vb.compile's optimizer state {key} of {src.name} differs")

    def zero_grad(self, params: list[Tensor], set_to_none: bool) -> None:
        for p in params:
            src = self.source_for(p)
            self._reconcile_grad(src)
            src.grad_touched = True
            if set_to_none:
                src.grad_value, src.grad_obj = None, None
                src.grad_reset = True
            elif p.grad is not None:
                self.b.block("zero_grad(set_to_none=False)")
                self.b.inplace("fill", self._entry_grad_value(src), value=0)

    # ---- the end of the call ----
    def finish(self, result: Any) -> None:
        """Record the final ``.grad`` of every outside tensor and how to rebuild the result."""
        for src in self.sources:
            if not src.grad_touched:
                continue
            actual = src.tensor.grad
            if actual is None:
                src.final_grad = "none"
            elif actual is src.grad_obj and src.grad_value is not None:
                if src.grad_value.storage.kind == "extgrad":
                    src.final_grad = "entry"
                else:
                    src.final_grad = "new"
                    src.grad_value.storage.kind = "newgrad"
                    src.grad_value.storage.ref = src
            else:
                raise CompileError(f"{src.name}.grad was assigned directly in the compiled "
                                   "function; vb.compile can't follow that")
        live = [t for t in _tensors_in(result) if t.requires_grad
                and self.node_for(t).vjp is not None and not self.node_for(t).freed]
        if live and self.backward_calls == 0:
            if len({id(t) for t in live}) > 1:
                raise CompileError("the compiled function returns several tensors that need "
                                   "backward(); vb.compile handles one")
            self.fuse(live[0])
        elif live:
            raise CompileError("the compiled function calls backward() and also returns a "
                               "tensor that still needs backward(); split it in two")
        self.outputs = _map_outputs(result, self._output)
        self._elide_grad_copies()

    def _elide_grad_copies(self) -> None:
        """Eager copies each leaf's gradient into a new ``.grad``; where nothing else reads
        the gradient, the program computes it straight into the array it hands out."""
        instrs = self.b.instrs
        for src in self.sources:
            v = src.grad_value
            if src.final_grad != "new" or v is None:
                continue
            copy = next((i for i, ins in enumerate(instrs) if ins.out is v), None)
            if copy is None or instrs[copy].meta[0] != "copy":
                continue
            g = instrs[copy].args[0]
            users = [i for i, ins in enumerate(instrs)
                     if any(a is g or a.base is g for a in ins.args)]
            maker = next((i for i, ins in enumerate(instrs) if ins.out is g), None)
            if (users != [copy] or maker is None or g.base is not None
                    or g.storage.kind != "buffer" or instrs[maker].kind != "call"
                    or "{out}" not in instrs[maker].code):
                continue
            instrs[maker].out = v
            instrs[copy].kind = "nop"

    def _output(self, t: Tensor) -> int:
        node = self.node_for(t)
        src = self.by_tensor.get(id(t))
        grad_fn = None
        if t.requires_grad and t._ctx is not None:
            if self.split is not None and node.vjp is not None and not node.freed:
                grad_fn = "fused"  # a node whose backward is the generated backward function
            else:
                grad_fn = t._ctx[2]  # rebuilt with its graph freed, as after eager's backward()
        self.output_list.append(Output(None if src is not None else node.value, src,
                                       t.requires_grad, grad_fn))
        return len(self.output_list) - 1


def _unbroadcast(o: Ops, g: Value, shape: tuple[int, ...]) -> Value:
    """autograd's unbroadcast, as kernels: sum the broadcast axes away, then reshape."""
    extra = len(g.shape) - len(shape)
    if extra:
        g = o.sum(g, tuple(range(extra)), False)
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    if stretched:
        g = o.sum(g, stretched, True)
    return o.reshape(g, shape)


def _identifier(name: str) -> str:
    return name.replace(".", "_").replace("[", "_").replace("]", "")


def _tensors_in(x: Any) -> list[Tensor]:
    if isinstance(x, Tensor):
        return [x]
    if isinstance(x, (list, tuple)):
        return [t for item in x for t in _tensors_in(item)]
    if isinstance(x, dict):
        return [t for item in x.values() for t in _tensors_in(item)]
    return []


def _map_tensors(x: Any, fn: Callable[[Tensor], Any]) -> Any:
    if isinstance(x, Tensor):
        return fn(x)
    if isinstance(x, tuple):
        return tuple(_map_tensors(i, fn) for i in x)
    if isinstance(x, list):
        return [_map_tensors(i, fn) for i in x]
    if isinstance(x, dict):
        return {k: _map_tensors(v, fn) for k, v in x.items()}
    return x


def _map_outputs(x: Any, fn: Callable[[Tensor], int]) -> Any:
    """The result's structure with tensors replaced by output numbers (tuples, lists, dicts)."""
    if isinstance(x, Tensor):
        return _OutRef(fn(x))
    if isinstance(x, (tuple, list)):
        items = [_map_outputs(i, fn) for i in x]
        if type(x) is tuple or type(x) is list:
            return type(x)(items)
        return type(x)(*items)  # namedtuples
    if isinstance(x, dict):
        return {k: _map_outputs(v, fn) for k, v in x.items()}
    if x is None or isinstance(x, (bool, int, float, str)):
        return x
    raise CompileError(f"the compiled function returns a {type(x).__name__}; vb.compile "
                       "supports tensors, numbers, strings, None and tuples/lists/dicts of them")


@dataclass(frozen=True)
class _OutRef:
    index: int
