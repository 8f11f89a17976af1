"""Random programs: many ops wired together, with reused nodes and broadcasting, against torch.

Single-op tests can miss bugs in how gradients meet (accumulation into a reused node, reduction
of broadcast gradients, freeing). Hypothesis writes small programs over smooth ops, and each is
checked against torch and finite differences like a single op.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from engine_strategies import array, broadcast_shapes, check_op
from hypothesis import given
from hypothesis import strategies as st

torch.set_num_threads(1)

UNARY: dict[str, Callable[[Any, Any], Any]] = {
    "tanh": lambda lib, a: a.tanh(),
    "sigmoid": lambda lib, a: lib.sigmoid(a),
    "sin": lambda lib, a: a.sin(),
    "square": lambda lib, a: a * a,
    "softplus-ish": lambda lib, a: (a.tanh().exp() + 1).log(),
    "scale": lambda lib, a: 0.5 * a - 1.25,
    "sum-keepdim": lambda lib, a: a.sum(dim=-1, keepdim=True) if a.ndim else a,
    "mean-keepdim": lambda lib, a: a.mean(dim=0, keepdim=True) if a.ndim else a,
    "max-keepdim": lambda lib, a: a.max(dim=0, keepdim=True).values if a.ndim else a,
    "softmax": lambda lib, a: lib.softmax(a, dim=-1) if a.ndim else a,
    "sqrt": lambda lib, a: (a * a + 1).sqrt(),
    "neg-pow": lambda lib, a: (-a) ** 2,
}
BINARY: dict[str, Callable[[Any, Any, Any], Any]] = {
    "add": lambda lib, a, b: a + b,
    "sub": lambda lib, a, b: a - b,
    "mul": lambda lib, a, b: a * b,
    "div": lambda lib, a, b: a / (1 + b * b),
    "maximum": lambda lib, a, b: lib.maximum(a, b + 0.37),
    "where": lambda lib, a, b: lib.where(a > b, a * b, a - b),
}

Program = list[tuple[str, int, int]]


@st.composite
def programs(draw: st.DrawFn) -> tuple[list[np.ndarray], Program]:
    shps = draw(broadcast_shapes(num=draw(st.integers(1, 3)), max_dims=3))
    inputs = [draw(array(s)) for s in shps]
    steps: Program = []
    for i in range(draw(st.integers(1, 8))):
        n = len(inputs) + i
        name = draw(st.sampled_from(sorted(UNARY) + sorted(BINARY)))
        steps.append((name, draw(st.integers(0, n - 1)), draw(st.integers(0, n - 1))))
    return inputs, steps


def run(program: Program) -> Callable[..., Any]:
    def fn(lib: Any, *xs: Any) -> Any:
        values = list(xs)
        for name, i, j in program:
            if name in UNARY:
                values.append(UNARY[name](lib, values[i]))
            else:
                values.append(BINARY[name](lib, values[i], values[j]))
        return values[-1] + values[len(xs) - 1] * 0.1  # the last input always contributes

    return fn


def has_kinks(inputs: list[np.ndarray], program: Program) -> bool:
    """max, maximum and where have kinks: check those programs against torch only."""
    return any(name in ("max-keepdim", "maximum", "where") for name, _, _ in program)


@given(programs())
def test_random_programs_match_torch_and_finite_differences(
    prog: tuple[list[np.ndarray], Program],
) -> None:
    inputs, program = prog
    check_op(run(program), *inputs, fd=not has_kinks(inputs, program), rtol=1e-9, atol=1e-11)
