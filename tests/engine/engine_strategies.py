"""Hypothesis strategies and checking helpers for the engine tests.

One math definition, two executions (minitorch's ``MathTest`` idea): every op under test is written
once as ``fn(lib, *tensors)`` and run with ``lib = vibrastic`` and ``lib = torch``. ``check_op``
then compares, in float64,

* the forward values and shapes against PyTorch (rtol 1e-9, a tiny atol for values near 0),
* the gradients of every input against PyTorch, seeding ``backward(gradient=g)`` with a random
  ``g`` so that every element of the gradient is non-trivial,
* every entry of the Jacobian of every input against central finite differences of vibrastic's
  own forward, with ``vibrastic.autograd.gradcheck`` (the check the library ships to learners),
* and that no input array was modified by the op or by its backward pass.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import vibrastic as vb

torch.set_num_threads(1)  # 2 shared cores: torch must not start a thread pool in tests

RTOL = 1e-9  # against PyTorch, float64
ATOL = 1e-12
FD_EPS = 1e-6  # central differences, float64
FD_RTOL = 1e-5
FD_ATOL = 1e-6

# ---- strategies ---------------------------------------------------------------------------


def floats(lo: float = -3.0, hi: float = 3.0) -> st.SearchStrategy[float]:
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False, allow_subnormal=False)


def off_kink(*kinks: float, gap: float = 0.05, lo: float = -3.0, hi: float = 3.0
             ) -> st.SearchStrategy[float]:
    """Floats in [lo, hi] kept ``gap`` away from each kink (minitorch's shifted inputs)."""
    kinks = kinks or (0.0,)

    def shift(v: float) -> float:
        for k in kinks:
            if abs(v - k) < gap:
                v = k + gap + abs(v - k)
        return v

    return floats(lo, hi).map(shift)


def array(shape: tuple[int, ...], elements: st.SearchStrategy[float] | None = None,
          unique: bool = False) -> st.SearchStrategy[np.ndarray]:
    return hnp.arrays(np.float64, shape, elements=elements if elements is not None else floats(),
                      unique=unique)


def shapes(min_dims: int = 0, max_dims: int = 3, min_side: int = 1, max_side: int = 4
           ) -> st.SearchStrategy[tuple[int, ...]]:
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side,
                            max_side=max_side)


def broadcast_shapes(num: int = 2, max_dims: int = 3) -> st.SearchStrategy[tuple[tuple, ...]]:
    """Input shapes that broadcast together (with stretched and missing dimensions)."""
    return hnp.mutually_broadcastable_shapes(num_shapes=num, min_dims=0, max_dims=max_dims,
                                             min_side=1, max_side=4).map(lambda r: r.input_shapes)


@st.composite
def broadcast_arrays(draw: st.DrawFn, num: int = 2,
                     elements: Sequence[st.SearchStrategy[float]] | None = None
                     ) -> list[np.ndarray]:
    """``num`` float64 arrays of mutually broadcastable shapes."""
    shps = draw(broadcast_shapes(num))
    elems = elements if elements is not None else [floats()] * num
    return [draw(array(s, e)) for s, e in zip(shps, elems, strict=True)]


@st.composite
def array_and_dims(draw: st.DrawFn, min_dims: int = 1, unique: bool = False
                   ) -> tuple[np.ndarray, Any]:
    """An array and a ``dim`` argument: None, an int (maybe negative) or a tuple of ints."""
    x = draw(array(draw(shapes(min_dims=min_dims)), unique=unique))
    nd = x.ndim
    kind = draw(st.sampled_from(["none", "int", "tuple"]))
    if kind == "none" or nd == 0:
        return x, None
    if kind == "int":
        return x, draw(st.integers(-nd, nd - 1))
    axes = draw(st.lists(st.integers(0, nd - 1), min_size=1, max_size=nd, unique=True))
    return x, tuple(a - nd if draw(st.booleans()) else a for a in axes)


# ---- checking -----------------------------------------------------------------------------


def _values(out: Any) -> Any:
    """The differentiable output of an op (``values`` of a (values, indices) pair)."""
    return out[0] if isinstance(out, tuple) else out


def to_numpy(t: Any) -> np.ndarray:
    """The values of a vibrastic or a torch tensor (both spell it the same way)."""
    return t.detach().numpy()


def assert_close(actual: Any, expected: Any, rtol: float = RTOL, atol: float = ATOL,
                 what: str = "") -> None:
    a, e = np.asarray(actual), np.asarray(expected)
    assert a.shape == e.shape, f"{what}: shape {a.shape} != {e.shape}"
    np.testing.assert_allclose(a, e, rtol=rtol, atol=atol, err_msg=what)


def check_op(
    fn: Callable[..., Any],
    *arrays: np.ndarray,
    grads: Sequence[bool] | None = None,
    fd: bool = True,
    torch_fn: Callable[..., Any] | None = None,
    seed: int = 0,
    rtol: float = RTOL,
    atol: float = ATOL,
    fd_rtol: float = FD_RTOL,
    fd_atol: float = FD_ATOL,
) -> None:
    """Compare ``fn(vb, *xs)`` with ``fn(torch, *xs)`` (forward, gradients) and finite differences.

    ``grads[i]`` says whether input i requires grad (default: all). ``torch_fn`` replaces ``fn``
    on the torch side where the spelling differs.
    """
    grads = [True] * len(arrays) if grads is None else list(grads)
    before = [a.copy() for a in arrays]
    vxs = [vb.tensor(a, dtype=vb.float64, requires_grad=r) for a, r in zip(arrays, grads,
                                                                           strict=True)]
    txs = [torch.tensor(a, dtype=torch.float64, requires_grad=r)
           for a, r in zip(arrays, grads, strict=True)]
    vout = _values(fn(vb, *vxs))
    tout = _values((torch_fn or fn)(torch, *txs))
    assert vout.dtype == vb.float64, f"output dtype {vout.dtype}, expected float64"
    assert tuple(vout.shape) == tuple(tout.shape), f"shape {vout.shape} != {tuple(tout.shape)}"
    assert_close(to_numpy(vout), to_numpy(tout), rtol, atol, "forward")

    if not any(grads):
        return
    g = np.random.default_rng(seed).standard_normal(tuple(vout.shape))
    vout.backward(gradient=vb.tensor(g, dtype=vb.float64))
    tout.backward(gradient=torch.tensor(g, dtype=torch.float64))
    for i, (vx, tx) in enumerate(zip(vxs, txs, strict=True)):
        if not grads[i]:
            continue
        if tx.grad is None:  # an input the output doesn't depend on
            assert vx.grad is None, f"input {i} got a gradient, torch gives None"
            continue
        assert vx.grad is not None, f"input {i} got no gradient"
        assert vx.grad.shape == vx.shape, f"grad {i} shape {vx.grad.shape} != {vx.shape}"
        assert vx.grad.dtype == vb.float64
        assert_close(vx.grad.numpy(), tx.grad.numpy(), rtol, atol, f"grad of input {i} vs torch")

    for a, b in zip(arrays, before, strict=True):
        np.testing.assert_array_equal(a, b, err_msg="an input array was modified")
    for vx, b in zip(vxs, before, strict=True):
        np.testing.assert_array_equal(vx.detach().numpy(), b, err_msg="an input was mutated")

    if fd:  # raises GradcheckError naming the input, the element, numeric and analytic values
        assert vb.autograd.gradcheck(
            lambda *xs: _values(fn(vb, *xs)), vxs, eps=FD_EPS, atol=fd_atol, rtol=fd_rtol
        )


@st.composite
def distinct_array(draw: st.DrawFn, shape: tuple[int, ...]) -> np.ndarray:
    """Values at least 0.25 apart (no ties, no near-ties: safe for max/min and their indices)."""
    n = int(np.prod(shape))
    order = np.array(draw(st.permutations(range(n))), dtype=np.float64)
    jitter = draw(hnp.arrays(np.float64, (n,), elements=floats(0.0, 0.5)))
    return ((order + jitter) * 0.5 - n / 4).reshape(shape)
