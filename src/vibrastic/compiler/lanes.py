"""An optimizer's update over all parameters at once: one NumPy call per flat array.

``optimizer.step()`` repeats one short sequence of calls per parameter (SGD with momentum:
``buf *= m; buf += g; upd = lr * buf; w -= upd``). A NumPy call costs about a microsecond of
Python whatever its size, so on a small network these calls, not the arithmetic, are the cost.
Where the per-parameter arrays are the program's own — the gradients it hands out, the
optimizer's state, its scratch buffers — the NumPy writer lays each role's arrays side by side in
one flat array (each parameter's array a view of it) and makes the call once over the flat
array. The calls fused are elementwise and exactly rounded (+ - * / sqrt, max, min), so every
element gets the same bits as in its own call. The parameters stay where eager code sees them:
``w -= upd`` is still one call per parameter, reading a view of the flat update.

The optimizer's state arrays are moved into the flat array the first time (their values copied,
``optimizer.state[p][key]`` set to the view), and again whenever eager code replaces them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from vibrastic.compiler.graph import Builder, Instr, Value

# kernels whose result, element by element, does not depend on the array it is part of
EXACT = {"add", "subtract", "multiply", "true_divide", "negative", "sqrt", "maximum",
         "minimum", "maximum_into"}
FLAT_KINDS = ("state", "newgrad", "buffer")


@dataclass(eq=False)
class Group:
    """One role's arrays, one per parameter (lane), laid out side by side in ``name``."""

    name: str
    kind: str
    values: tuple[Value, ...]
    dtype: np.dtype
    offsets: list[int] = field(default_factory=list)
    total: int = 0

    def views(self, flat: np.ndarray) -> list[np.ndarray]:
        return [flat[o:o + int(np.prod(v.shape))].reshape(v.shape)  # type: ignore[arg-type]
                for o, v in zip(self.offsets, self.values, strict=True)]


@dataclass(eq=False)
class Run:
    """The live instructions of one ``optimizer.step()``: ``lanes`` parameters × ``n`` steps."""

    order: list[int]  # instruction indices, lane after lane
    n: int
    lanes: int
    fused: list[bool]  # per step: one call over the flat arrays
    groups: dict[int, Group]  # id(value) -> its group

    def text(self, instr: Instr, out_name: str | None = None) -> str:
        """The step's code over the flat arrays (lane 0's line, names replaced)."""
        names = {v.name: self.groups[id(v)].name for v in _arrays(instr)
                 if id(v) in self.groups}
        code = instr.code
        if instr.kind == "call" and instr.out is not None:
            code = code.format(out=instr.out.name) if "{out}" in code else \
                f"{instr.out.name} = {instr.alloc}"
        return _rename(code, names)


def plan(b: Builder, needed: set[int], block_ranges: list[range]) -> list[Run]:
    """The runs worth fusing among the optimizer steps' instruction ranges."""
    runs: list[Run] = []
    known: dict[int, Group] = {}  # a momentum buffer has one flat array in every step
    for rng in block_ranges:
        order = [i for i in rng if i in needed]
        while order and _group_number(b.instrs[order[0]]):
            order.pop(0)  # made before the first parameter's update (Recorder._per_group)
        run = _run(b, order, set(range(len(b.instrs))) - set(rng), known)
        if run is not None:
            runs.append(run)
            known.update(run.groups)
    return runs


def _run(b: Builder, order: list[int], outside: set[int], known: dict[int, Group]
         ) -> Run | None:
    instrs = b.instrs
    for lanes in range(len(order) // 2, 1, -1):  # most lanes first: the shortest repeat
        if len(order) % lanes:
            continue
        n = len(order) // lanes
        if all(_same_shape(instrs[order[j]], instrs[order[lane * n + j]])
               for lane in range(1, lanes) for j in range(n)):
            break
    else:
        return None
    groups: dict[int, Group] = dict(known)
    varying: list[list[tuple[Value, ...]]] = []
    for j in range(n):
        steps = [instrs[order[lane * n + j]] for lane in range(lanes)]
        columns = list(zip(*(_arrays(s) for s in steps), strict=True))
        varying.append([c for c in columns if len({id(v) for v in c}) > 1])
        for column in varying[-1]:
            if all(v.shape is None for v in column):
                continue  # a number per parameter group (its lr): this step stays per lane
            if len({id(v) for v in column}) != lanes:
                return None  # a lane's array in two lanes (tied weights): leave it alone
            seen = {id(groups[id(v)]) if id(v) in groups else None for v in column}
            if seen != {None}:
                if len(seen) != 1 or groups[id(column[0])].values != column:
                    return None
                continue
            group = _group(b, column)
            groups.update({id(v): group for v in column})
    for group in {id(g): g for g in groups.values()}.values():
        if id(group.values[0]) not in known and not _flattenable(b, group, outside):
            group.kind = ""
    fused = []
    for j in range(n):
        instr = instrs[order[j]]
        kernel = instr.meta[0] if instr.meta else None
        shared = [v for v in _arrays(instr) if id(v) not in groups]
        fused.append(instr.kind in ("call", "inplace") and kernel in EXACT
                     and all(id(v) in groups and groups[id(v)].kind
                             for column in varying[j] for v in column)
                     and all(v.shape in (None, ()) for v in shared)
                     and _elementwise(instrs, [order[lane * n + j] for lane in range(lanes)],
                                      groups))
    if sum(fused) == 0:
        return None
    used = {id(g): g for column in
            (c for j in range(n) if fused[j] for c in varying[j]) for v in column
            for g in (groups[id(v)],)}
    return Run(order, n, lanes, fused, {id(v): g for g in used.values() for v in g.values})


def _group_number(instr: Instr) -> bool:
    """A Python number of a whole parameter group (``1 - beta1``, a shared step count)."""
    return instr.kind == "expr" and instr.meta == ("per group",)


def _same_shape(a: Instr, b: Instr) -> bool:
    """Two instructions that do the same thing to different arrays."""
    if a.kind != b.kind or (a.meta and a.meta[0]) != (b.meta and b.meta[0]):
        return False
    va, vb = _arrays(a), _arrays(b)
    if len(va) != len(vb):
        return False
    return _rename(a.code, {v.name: f"@{i}" for i, v in enumerate(va)}) == \
        _rename(b.code, {v.name: f"@{i}" for i, v in enumerate(vb)})


def _arrays(instr: Instr) -> tuple[Value, ...]:
    """The values an instruction names: its output (if any), then its arguments."""
    return ((instr.out,) if instr.out is not None else ()) + tuple(instr.args)


def _group(b: Builder, column: tuple[Value, ...]) -> Group:
    kinds = {v.storage.kind for v in column}
    kind = kinds.pop() if len(kinds) == 1 else ""
    dtypes = {v.dtype for v in column}
    ok = (kind in FLAT_KINDS and len(dtypes) == 1 and all(
        v.base is None and v.shape is not None for v in column))
    first = column[0]
    role = first.storage.ref[2] if kind == "state" else "grads" if kind == "newgrad" else \
        first.name
    group = Group(b.fresh_name(f"all_{role}"), kind if ok else "", column,
                  dtypes.pop() if len(dtypes) == 1 else np.dtype(np.float64))
    offset = 0
    for v in column:
        group.offsets.append(offset)
        offset += int(np.prod(v.shape)) if v.shape is not None else 0
    group.total = offset
    return group


def _flattenable(b: Builder, group: Group, outside: set[int]) -> bool:
    if group.kind == "buffer":  # scratch of this step only
        ids = {id(v) for v in group.values}
        return not any(id(v) in ids or (v.base is not None and id(v.base) in ids)
                       for i in outside for v in _arrays(b.instrs[i]))
    if group.kind == "newgrad":  # .grad arrays the program hands out for parameters
        return all(v.storage.ref is not None and v.storage.ref.kind == "ext"
                   and v.storage.ref.final_grad == "new" for v in group.values)
    return group.kind == "state"


def _elementwise(instrs: list[Instr], step: list[int], groups: dict[int, Group]) -> bool:
    """In each lane, the lane's arrays of the step have one shape (no broadcasting)."""
    for i in step:
        shapes = {v.shape for v in _arrays(instrs[i]) if id(v) in groups}
        if len(shapes) != 1:
            return False
    return True


def _rename(code: str, names: dict[str, str]) -> str:
    if not names:
        return code
    pattern = re.compile(r"(?<![\w.])(" + "|".join(
        re.escape(n) for n in sorted(names, key=len, reverse=True)) + r")(?!\w)")
    return pattern.sub(lambda m: names[m.group(1)], code)


def adopt(views: list[np.ndarray], states: tuple[dict[str, Any], ...], key: str
          ) -> list[np.ndarray]:
    """Move an optimizer's state arrays into the flat array's views (values copied)."""
    for view, state in zip(views, states, strict=True):
        view[...] = state[key]
        state[key] = view
    return views


def fresh_flat(shapes: tuple[tuple[int, ...], ...], dtype: np.dtype) -> list[Any]:
    """New ``.grad`` tensors whose arrays are side by side in one new flat array."""
    from vibrastic.tensor import _new

    flat = np.empty(sum(int(np.prod(s)) for s in shapes), dtype)
    out, offset = [], 0
    for s in shapes:
        size = int(np.prod(s))
        out.append(_new(flat[offset:offset + size].reshape(s)))
        offset += size
    return out
