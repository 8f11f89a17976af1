"""Draw a computation graph, read from a tensor's ``grad_fn`` (PyTorch's or vibrastic's).

Both libraries expose the same view of the graph that ``backward`` walks: ``t.grad_fn.name()``,
``t.grad_fn.next_functions`` (pairs of (node or None, index)), and for a leaf that requires grad an
``AccumulateGrad`` node whose ``.variable`` is the leaf tensor. An input that needs no gradient
(``y`` in ``f = x * y`` with ``y = tensor(2.0)``) is a ``None`` slot: it is drawn too, as a grey
"no gradient" box, named after the tensor in ``names`` that is not in the graph otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch


@dataclass
class GraphNode:
    """One box of the drawing: an op's backward node, a leaf (AccumulateGrad) or the output."""

    key: int
    name: str  # e.g. "MulBackward0", "AccumulateGrad", or "output"
    label: str  # what the box shows
    kind: str  # "op", "leaf", "const" (an input without gradient) or "output"
    depth: int = 0  # longest distance (in edges) from the output
    inputs: list[int] = field(default_factory=list)  # keys of the nodes that feed this one


def _short_name(fn: Any) -> str:
    return fn.name().rsplit("::", 1)[-1]  # torch::autograd::AccumulateGrad -> AccumulateGrad


def _identity(fn: Any) -> int:
    """A key that is the same each time the graph is read (a leaf's node by its tensor)."""
    if _short_name(fn) == "AccumulateGrad":
        return id(fn.variable)
    return hash(fn)  # torch: the node object itself; vibrastic: GradFn hashes by its tensor


def _fmt(value: Any) -> str:
    try:
        arr = value.detach().numpy() if hasattr(value, "detach") else value
        if getattr(arr, "size", 2) == 1:
            return f"{float(arr.reshape(())):g}"
        return f"shape {tuple(arr.shape)}"
    except (AttributeError, TypeError, ValueError):
        return "?"


def trace_graph(
    output: Any, names: Mapping[str, Any] | None = None, output_name: str = "output"
) -> list[GraphNode]:
    """The nodes behind ``output``: the output itself, each op's backward node, each leaf.

    ``names`` maps display names to leaf tensors (e.g. ``{"x": x, "y": y}``) so leaves show as
    ``x = 2``. Iterative (no recursion), each node once; depth is the longest path from the output.
    """
    if output.grad_fn is None:
        raise ValueError("the tensor has no grad_fn: make it from tensors with requires_grad=True")
    leaf_names = {id(t): n for n, t in (names or {}).items()}
    root = GraphNode(key=-1, name="output", label=f"{output_name} = {_fmt(output)}", kind="output")
    nodes: dict[int, GraphNode] = {-1: root}
    constants: list[GraphNode] = []
    keep_alive: list[Any] = []
    first = output.grad_fn
    order: list[tuple[Any, int]] = [(first, -1)]  # (backward node or None, key of its consumer)
    while order:
        fn, consumer = order.pop(0)
        if fn is None:  # an input that needs no gradient
            const = GraphNode(-2 - len(constants), "constant", "", "const")
            constants.append(const)
            nodes[const.key] = const
            nodes[consumer].inputs.append(const.key)
            continue
        key = _identity(fn)
        nodes[consumer].inputs.append(key)
        if key in nodes:
            continue
        keep_alive.append(fn)
        name = _short_name(fn)
        if name == "AccumulateGrad":
            var = fn.variable
            shown = leaf_names.get(id(var), "leaf")
            nodes[key] = GraphNode(key, name, f"{shown} = {_fmt(var)}\n{name}", "leaf")
            continue
        nodes[key] = GraphNode(key, name, name, "op")
        order.extend((nxt, key) for nxt, _ in fn.next_functions)
    # Name the constants after the tensors in ``names`` that the graph did not reach, when that
    # pairing is unambiguous (as many of each); else they stay "constant".
    seen_leaves = {leaf_names[n.key] for n in nodes.values()
                   if n.kind == "leaf" and n.key in leaf_names}
    spare = [(n, t) for n, t in (names or {}).items() if n not in seen_leaves]
    for i, const in enumerate(constants):
        shown = f"{spare[i][0]} = {_fmt(spare[i][1])}" if len(spare) == len(constants) \
            else "constant"
        const.label = f"{shown}\nno gradient"
    assign_depths(nodes)
    return list(nodes.values())


def assign_depths(nodes: dict[int, GraphNode]) -> None:
    """Longest distance from the output, by relaxing edges until nothing changes (a DAG)."""
    changed = True
    while changed:
        changed = False
        for node in nodes.values():
            for k in node.inputs:
                if nodes[k].depth < node.depth + 1:
                    nodes[k].depth = node.depth + 1
                    changed = True
    deepest = max(n.depth for n in nodes.values())
    for n in nodes.values():
        if n.kind in ("leaf", "const"):
            n.depth = deepest  # all inputs in the first column


_COLORS = {"leaf": "#cfe8cf", "const": "#e6e6e6", "op": "#d6e4f5", "output": "#f7e1b5"}


def computation_graph_figure(
    output: Any,
    names: Mapping[str, Any] | None = None,
    output_name: str = "output",
    title: str | None = None,
) -> Figure:
    """A Figure of the graph behind ``output``: leaves on the left, the output on the right.

    Arrows follow the forward pass; ``backward()`` visits the same boxes right to left.
    """
    nodes = trace_graph(output, names, output_name)
    return graph_figure(nodes, title or f"computation graph of {output_name} (backward runs "
                        "right to left)")


def graph_figure(nodes: list[GraphNode], title: str) -> Figure:
    """Draw nodes whose ``depth`` is set (see ``assign_depths``): leaves left, output right.

    Any engine's graph can be drawn this way, e.g. a learner's own engine read as plain data.
    """
    by_key = {n.key: n for n in nodes}
    deepest = max(n.depth for n in nodes)
    consumers: dict[int, list[int]] = {n.key: [] for n in nodes}
    for n in nodes:
        for k in n.inputs:
            consumers[k].append(n.key)
    # columns from the output (right) to the leaves (left); each column ordered by the mean
    # height of the boxes it feeds, which keeps arrows from crossing more than they must
    pos: dict[int, tuple[float, float]] = {}
    step_x, box_w, box_h = 2.2, 1.7, 0.55
    for depth in range(deepest + 1):
        members = [n for n in nodes if n.depth == depth]
        members.sort(key=lambda n: -sum(pos[c][1] for c in consumers[n.key] if c in pos)
                     / max(1, sum(c in pos for c in consumers[n.key])))
        for row, n in enumerate(members):
            pos[n.key] = ((deepest - depth) * step_x, (len(members) - 1) / 2 - row)
    height = max(sum(n.depth == d for n in nodes) for d in range(deepest + 1))
    fig = Figure(figsize=(2.3 * (deepest + 1), 1.1 * height + 1.2))
    ax = fig.add_subplot()
    for n in nodes:
        x, y = pos[n.key]
        ax.add_patch(FancyBboxPatch((x - box_w / 2, y - box_h / 2), box_w, box_h,
                                    boxstyle="round,pad=0.05", facecolor=_COLORS[n.kind],
                                    edgecolor="#444444"))
        ax.text(x, y, n.label, ha="center", va="center", fontsize=9)
        for k in n.inputs:
            sx, sy = pos[k]
            skips = by_key[k].depth - n.depth > 1
            ax.annotate("", xy=(x - box_w / 2 - 0.05, y), xytext=(sx + box_w / 2 + 0.05, sy),
                        arrowprops=dict(arrowstyle="->", color="#555555", shrinkA=0, shrinkB=0,
                                        connectionstyle=f"arc3,rad={0.25 if skips else 0}"))
    ax.set_xlim(-box_w / 2 - 0.2, deepest * step_x + box_w / 2 + 0.2)
    ax.set_ylim(-height / 2 - 0.1, height / 2 + 0.1)
    ax.axis("off")
    ax.set_title(title)
    return fig
