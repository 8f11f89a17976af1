"""Every op of the engine: forward and gradient against PyTorch and finite differences (float64).

Each test states the op once as ``fn(lib, *tensors)`` and ``check_op`` runs it on vibrastic and on
torch (see ``engine_strategies``). Inputs are shifted off kinks and out of domains where the
derivative is undefined, as minitorch does.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
import torch
from engine_strategies import (
    array,
    array_and_dims,
    assert_close,
    broadcast_arrays,
    broadcast_shapes,
    check_op,
    distinct_array,
    floats,
    off_kink,
    shapes,
)
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import vibrastic as vb

torch.set_num_threads(1)

# ---- binary arithmetic with broadcasting --------------------------------------------------


@given(broadcast_arrays(2))
def test_add(xs: list[np.ndarray]) -> None:
    check_op(lambda lib, a, b: a + b, *xs)


@given(broadcast_arrays(2))
def test_sub(xs: list[np.ndarray]) -> None:
    check_op(lambda lib, a, b: a - b, *xs)


@given(broadcast_arrays(2))
def test_mul(xs: list[np.ndarray]) -> None:
    check_op(lambda lib, a, b: a * b, *xs)


@given(broadcast_arrays(2, elements=[floats(), off_kink(0.0, gap=0.5)]))
def test_div(xs: list[np.ndarray]) -> None:
    check_op(lambda lib, a, b: a / b, *xs)


@given(broadcast_arrays(2, elements=[floats(0.2, 3.0), floats(-2.0, 2.0)]))
def test_pow_tensor_tensor(xs: list[np.ndarray]) -> None:
    check_op(lambda lib, a, b: a**b, *xs)


@given(array(shapes()), st.sampled_from([2, 3, -1, 0, 1]))
def test_pow_tensor_integer_scalar(x: np.ndarray, p: int) -> None:
    x = np.where(np.abs(x) < 0.3, 0.3, x) if p < 0 else x
    check_op(lambda lib, a: a**p, x)


@given(array(shapes(), floats(0.2, 4.0)), st.sampled_from([0.5, -1.5, 2.5, 1e-3]))
def test_pow_tensor_float_scalar(x: np.ndarray, p: float) -> None:
    check_op(lambda lib, a: a**p, x)


@given(array(shapes(), floats(-2.0, 2.0)), st.sampled_from([2.0, 0.5, 3.7]))
def test_pow_scalar_tensor(x: np.ndarray, base: float) -> None:
    check_op(lambda lib, a: base**a, x)


@given(array(shapes(), off_kink(0.0, gap=0.5)), floats())
def test_scalar_on_either_side(x: np.ndarray, c: float) -> None:
    check_op(lambda lib, a: (c + a) * (a - c) - (c - a) / 1.5 + c * a - c / a + a / (c + 7), x)


@given(array(shapes()))
def test_neg(x: np.ndarray) -> None:
    check_op(lambda lib, a: -a, x)


# ---- elementwise functions ----------------------------------------------------------------

UNARY: dict[str, tuple[Any, Any]] = {
    "exp": (lambda lib, a: lib.exp(a), floats()),
    "log": (lambda lib, a: lib.log(a), floats(0.05, 10.0)),
    "sqrt": (lambda lib, a: lib.sqrt(a), floats(0.05, 10.0)),
    "abs": (lambda lib, a: lib.abs(a), off_kink()),
    "sin": (lambda lib, a: lib.sin(a), floats(-6.0, 6.0)),
    "cos": (lambda lib, a: lib.cos(a), floats(-6.0, 6.0)),
    "tanh": (lambda lib, a: lib.tanh(a), floats()),
    "sigmoid": (lambda lib, a: lib.sigmoid(a), floats(-10.0, 10.0)),
    "relu": (lambda lib, a: lib.relu(a), off_kink()),
    "leaky_relu": (lambda lib, a: lib.nn.functional.leaky_relu(a), off_kink()),
    "leaky_relu_0.2": (lambda lib, a: lib.nn.functional.leaky_relu(a, 0.2), off_kink()),
    "clamp": (lambda lib, a: lib.clamp(a, -1.0, 1.5), off_kink(-1.0, 1.5)),
    "clamp_min": (lambda lib, a: lib.clamp(a, min=0.5), off_kink(0.5)),
    "clamp_max": (lambda lib, a: lib.clamp(a, max=-0.5), off_kink(-0.5)),
    "method_chain": (lambda lib, a: a.exp().tanh().sigmoid().relu().abs(), floats()),
    "square": (lambda lib, a: a.square(), floats()),
}


@pytest.mark.parametrize("name", list(UNARY))
@given(data=st.data())
def test_unary(name: str, data: st.DataObject) -> None:
    fn, elements = UNARY[name]
    x = data.draw(array(data.draw(shapes()), elements))
    check_op(fn, x)


def test_sigmoid_is_stable_for_large_inputs() -> None:
    x = np.array([-800.0, -50.0, -20.0, -1.0, 0.0, 1.0, 20.0, 50.0, 800.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow RuntimeWarning either
        check_op(lambda lib, a: lib.sigmoid(a), x, fd=False)
        out = vb.sigmoid(vb.tensor(x, dtype=vb.float64))
    assert np.all(np.isfinite(out.numpy()))
    assert out[0].item() == 0.0 and out[-1].item() == 1.0
    assert abs(out[1].item() - 1.9287498479639178e-22) < 1e-30


def test_relu_and_abs_gradients_at_zero_match_torch() -> None:
    x = np.array([-1.0, 0.0, 2.0])
    check_op(lambda lib, a: lib.relu(a), x, fd=False)
    check_op(lambda lib, a: lib.abs(a), x, fd=False)
    check_op(lambda lib, a: lib.clamp(a, 0.0, 2.0), x, fd=False)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_relu_forward_has_maximum_with_zeros_bits(dtype: Any) -> None:
    """relu compares with a cached row of zeros (a quicker NumPy loop): the same bits as
    np.maximum(x, 0) on signed zeros, NaN, infinities and subnormals; ints keep their dtype."""
    x = np.array([[-0.0, 0.0, np.nan, -np.inf, np.inf, 1.5, -1.5, 1e-40]], dtype)
    out = vb.relu(vb.tensor(x))._data
    assert out.dtype == dtype and out.tobytes() == np.maximum(x, 0).tobytes()
    assert vb.relu(vb.tensor(x[0, 5])).item() == 1.5  # 0-d
    ints = vb.relu(vb.tensor([3, -2]))
    assert ints.dtype == vb.int64 and ints.tolist() == [3, 0]


@given(broadcast_arrays(3))
def test_where(xs: list[np.ndarray]) -> None:
    c, a, b = xs
    cond = c > 0
    check_op(lambda lib, x, y: lib.where(lib.tensor(cond), x, y), a, b)


@given(array(shapes(), off_kink(0.0, 0.5)), floats())
def test_where_with_a_scalar(x: np.ndarray, c: float) -> None:
    check_op(lambda lib, a: lib.where(a > 0, a, c) + lib.where(a < 0.5, c, a * 2), x)


@pytest.mark.parametrize("op", ["maximum", "minimum"])
@given(xs=broadcast_arrays(2))
def test_maximum_minimum(op: str, xs: list[np.ndarray]) -> None:
    a, b = xs
    near_tie = np.any(np.abs(np.subtract(a, b)) < 1e-3)
    # ties share the gradient equally in both engines; finite differences need no (near) ties
    check_op(lambda lib, x, y: getattr(lib, op)(x, y), a, b, fd=not near_tie)


@pytest.mark.parametrize("op", ["max", "min"])
@given(xs=broadcast_arrays(2))
def test_max_min_of_two_tensors_is_elementwise(op: str, xs: list[np.ndarray]) -> None:
    a, b = xs
    near_tie = np.any(np.abs(np.subtract(a, b)) < 1e-3)
    check_op(lambda lib, x, y: getattr(lib, op)(x, y), a, b, fd=not near_tie)


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu"])
def test_functional_activations_match_torch(name: str) -> None:
    x = np.array([[-2.0, -0.5, 0.3], [1.0, 4.0, -7.0]])
    check_op(lambda lib, a: getattr(lib.nn.functional, name)(a), x)
    module = {"sigmoid": "Sigmoid", "tanh": "Tanh", "relu": "ReLU"}[name]
    check_op(lambda lib, a: getattr(lib.nn, module)()(a), x, fd=False)


def test_maximum_tie_splits_the_gradient() -> None:
    a, b = np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.0, 5.0])
    check_op(lambda lib, x, y: lib.maximum(x, y), a, b, fd=False)
    x, y = vb.tensor(a, requires_grad=True), vb.tensor(b, requires_grad=True)
    vb.maximum(x, y).sum().backward()
    assert x.grad.tolist() == [0.5, 1.0, 0.0] and y.grad.tolist() == [0.5, 0.0, 1.0]


# ---- reductions ---------------------------------------------------------------------------


@pytest.mark.parametrize("op", ["sum", "mean"])
@given(xd=array_and_dims(min_dims=0), keepdim=st.booleans())
def test_sum_mean(op: str, xd: tuple[np.ndarray, Any], keepdim: bool) -> None:
    x, dim = xd
    if dim is None:
        check_op(lambda lib, a: getattr(lib, op)(a), x)
        check_op(lambda lib, a: getattr(a, op)(), x, fd=False)
    else:
        check_op(lambda lib, a: getattr(lib, op)(a, dim=dim, keepdim=keepdim), x)
        check_op(lambda lib, a: getattr(a, op)(dim, keepdim), x, fd=False)


@pytest.mark.parametrize("op", ["max", "min"])
@given(data=st.data())
def test_max_min_full(op: str, data: st.DataObject) -> None:
    x = data.draw(distinct_array(data.draw(shapes(min_dims=0))))
    check_op(lambda lib, a: getattr(a, op)(), x)


@pytest.mark.parametrize("op", ["max", "min"])
@given(data=st.data(), keepdim=st.booleans())
def test_max_min_with_dim(op: str, data: st.DataObject, keepdim: bool) -> None:
    x = data.draw(distinct_array(data.draw(shapes(min_dims=1))))
    dim = data.draw(st.integers(-x.ndim, x.ndim - 1))
    check_op(lambda lib, a: getattr(lib, op)(a, dim=dim, keepdim=keepdim).values, x)
    vv, vi = getattr(vb, op)(vb.tensor(x, dtype=vb.float64), dim, keepdim)
    tv, ti = getattr(torch, op)(torch.tensor(x), dim, keepdim)
    assert vi.dtype == vb.int64
    np.testing.assert_array_equal(vi.numpy(), ti.numpy())
    assert_close(vv.numpy(), tv.numpy())


def test_full_max_ties_share_the_gradient_like_torch() -> None:
    x = np.array([[1.0, 3.0], [3.0, -2.0]])
    check_op(lambda lib, a: a.max(), x, fd=False)
    check_op(lambda lib, a: a.min() * 2, np.array([0.0, 0.0, 1.0]), fd=False)


@pytest.mark.parametrize("op", ["argmax", "argmin"])
@given(data=st.data(), keepdim=st.booleans())
def test_argmax_argmin(op: str, data: st.DataObject, keepdim: bool) -> None:
    x = data.draw(distinct_array(data.draw(shapes(min_dims=1))))
    dim = data.draw(st.none() | st.integers(-x.ndim, x.ndim - 1))
    v = getattr(vb, op)(vb.tensor(x), dim=dim, keepdim=keepdim)
    t = getattr(torch, op)(torch.tensor(x), dim=dim, keepdim=keepdim)
    assert v.dtype == vb.int64 and v.shape == tuple(t.shape)
    np.testing.assert_array_equal(v.numpy(), t.numpy())


# ---- shapes -------------------------------------------------------------------------------


@given(data=st.data())
def test_reshape_and_view(data: st.DataObject) -> None:
    x = data.draw(array(data.draw(shapes())))
    new = data.draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=1, max_side=x.size)
                    .filter(lambda s: int(np.prod(s)) == x.size))
    check_op(lambda lib, a: a.reshape(new), x)
    check_op(lambda lib, a: a.view(*new) * 2 if new else a.view(()) * 2, x, fd=False)
    if new:
        wild = (-1, *new[1:])
        check_op(lambda lib, a: lib.reshape(a, wild), x, fd=False)


@given(data=st.data())
def test_transpose(data: st.DataObject) -> None:
    x = data.draw(array(data.draw(shapes(min_dims=1))))
    d0, d1 = (data.draw(st.integers(-x.ndim, x.ndim - 1)) for _ in range(2))
    check_op(lambda lib, a: a.transpose(d0, d1), x)
    check_op(lambda lib, a: lib.transpose(a, d0, d1), x, fd=False)


@given(data=st.data())
def test_permute_with_negative_dims(data: st.DataObject) -> None:
    x = data.draw(array(data.draw(shapes(min_dims=1))))
    perm = data.draw(st.permutations(range(x.ndim)))
    dims = [d - x.ndim if data.draw(st.booleans()) else d for d in perm]
    check_op(lambda lib, a: a.permute(*dims), x)
    check_op(lambda lib, a: lib.permute(a, dims), x, fd=False)


@given(array(hnp.array_shapes(min_dims=2, max_dims=2, max_side=4)))
def test_dot_T(x: np.ndarray) -> None:
    check_op(lambda lib, a: a.T, x)
    check_op(lambda lib, a: a.t() * a.T, x)


@given(data=st.data())
def test_unsqueeze_squeeze_flatten(data: st.DataObject) -> None:
    x = data.draw(array(data.draw(shapes(min_side=1, max_side=2, max_dims=4))))
    d = data.draw(st.integers(-x.ndim - 1, x.ndim))
    check_op(lambda lib, a: lib.unsqueeze(a, d), x)
    check_op(lambda lib, a: a.squeeze(), x)
    if x.ndim:
        s = data.draw(st.integers(-x.ndim, x.ndim - 1))
        check_op(lambda lib, a: a.squeeze(s), x, fd=False)
        several = tuple(data.draw(st.lists(st.integers(-x.ndim, x.ndim - 1), max_size=3)))
        if len({d % x.ndim for d in several}) == len(several):
            check_op(lambda lib, a: a.squeeze(several), x, fd=False)
        start = data.draw(st.integers(0, x.ndim - 1))
        end = data.draw(st.integers(start, x.ndim - 1))
        check_op(lambda lib, a: lib.flatten(a, start, end), x, fd=False)
    check_op(lambda lib, a: a.flatten(), x, fd=False)


@given(data=st.data())
def test_expand(data: st.DataObject) -> None:
    small, big = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=1, max_dims=3))
    small = small[0]
    x = data.draw(array(small))
    lead = len(big) - len(small)
    sizes = [-1 if i >= lead and small[i - lead] == big[i] and data.draw(st.booleans()) else n
             for i, n in enumerate(big)]
    check_op(lambda lib, a: a.expand(sizes), x)
    if sizes:
        check_op(lambda lib, a: a.expand(*sizes) * 1.5, x, fd=False)


# ---- indexing -----------------------------------------------------------------------------


def _positive_steps(idx: Any) -> bool:
    items = idx if isinstance(idx, tuple) else (idx,)
    return all(not isinstance(i, slice) or i.step is None or i.step > 0 for i in items)


@given(data=st.data())
def test_basic_indexing(data: st.DataObject) -> None:
    x = data.draw(array(data.draw(shapes(min_dims=1, max_side=5))))
    idx = data.draw(hnp.basic_indices(x.shape, allow_newaxis=True).filter(_positive_steps))
    assume(x[idx].size > 0)
    check_op(lambda lib, a: a[idx], x)


@given(data=st.data())
def test_advanced_indexing_accumulates_repeats(data: st.DataObject) -> None:
    x = data.draw(array(data.draw(shapes(min_dims=2, max_dims=3, min_side=2))))
    rows = data.draw(st.lists(st.integers(-x.shape[0], x.shape[0] - 1), min_size=1, max_size=6))
    cols = data.draw(st.lists(st.integers(0, x.shape[1] - 1), min_size=len(rows),
                              max_size=len(rows)))
    check_op(lambda lib, a: a[rows], x)
    check_op(lambda lib, a: a[lib.tensor(rows)], x, fd=False)
    check_op(lambda lib, a: a[rows, cols], x)
    check_op(lambda lib, a: a[:, cols], x)
    mask = x > 0
    assume(mask.any())
    check_op(lambda lib, a: a[lib.tensor(mask)], x)
    check_op(lambda lib, a: a[a > 0] * 3, x, fd=False)


def test_repeated_index_gradient_counts_each_use() -> None:
    x = vb.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[[0, 0, 2, 0]].sum().backward()
    assert x.grad.tolist() == [3.0, 0.0, 1.0]


# ---- joining ------------------------------------------------------------------------------


@given(data=st.data())
def test_cat(data: st.DataObject) -> None:
    base = data.draw(shapes(min_dims=1))
    dim = data.draw(st.integers(-len(base), len(base) - 1))
    n = data.draw(st.integers(1, 3))
    sizes = [data.draw(st.integers(1, 3)) for _ in range(n)]
    xs = [data.draw(array(tuple(s if i == dim % len(base) else b for i, b in enumerate(base))))
          for s in sizes]
    check_op(lambda lib, *ts: lib.cat(ts, dim=dim), *xs)
    check_op(lambda lib, *ts: lib.cat(list(ts), dim), *xs, fd=False)


@given(data=st.data())
def test_stack(data: st.DataObject) -> None:
    shape = data.draw(shapes(min_dims=0))
    dim = data.draw(st.integers(-len(shape) - 1, len(shape)))
    xs = [data.draw(array(shape)) for _ in range(data.draw(st.integers(1, 3)))]
    check_op(lambda lib, *ts: lib.stack(ts, dim=dim), *xs)


# ---- matrix products ----------------------------------------------------------------------


@st.composite
def matmul_shapes(draw: st.DrawFn) -> tuple[tuple[int, ...], tuple[int, ...]]:
    n, k, m = (draw(st.integers(1, 4)) for _ in range(3))
    kind = draw(st.sampled_from(["1x1", "2x1", "1x2", "2x2", "batched", "1xb", "bx1"]))
    if kind == "1x1":
        return (k,), (k,)
    if kind == "2x1":
        return (n, k), (k,)
    if kind == "1x2":
        return (k,), (k, m)
    if kind == "2x2":
        return (n, k), (k, m)
    ba, bb = draw(broadcast_shapes(2, max_dims=2))
    if kind == "1xb":
        return (k,), (*bb, k, m)
    if kind == "bx1":
        return (*ba, n, k), (k,)
    return (*ba, n, k), (*bb, k, m)


@given(data=st.data())
def test_matmul(data: st.DataObject) -> None:
    sa, sb = data.draw(matmul_shapes())
    a, b = data.draw(array(sa)), data.draw(array(sb))
    check_op(lambda lib, x, y: x @ y, a, b)
    check_op(lambda lib, x, y: lib.matmul(x, y), a, b, grads=[False, True], fd=False)
    check_op(lambda lib, x, y: lib.matmul(x, y), a, b, grads=[True, False], fd=False)


@given(data=st.data(), bias=st.booleans())
def test_linear(data: st.DataObject, bias: bool) -> None:
    n_in, n_out = data.draw(st.integers(1, 4)), data.draw(st.integers(1, 4))
    lead = data.draw(st.sampled_from([(), (3,), (2, 3)]))
    x = data.draw(array((*lead, n_in)))
    w = data.draw(array((n_out, n_in)))
    if bias:
        b = data.draw(array((n_out,)))
        check_op(lambda lib, x_, w_, b_: lib.nn.functional.linear(x_, w_, b_), x, w, b)
        check_op(lambda lib, x_, w_, b_: lib.nn.functional.linear(x_, w_, b_), x, w, b,
                 grads=[False, True, True], fd=False)
    else:
        check_op(lambda lib, x_, w_: lib.nn.functional.linear(x_, w_), x, w)
        check_op(lambda lib, x_, w_: lib.nn.functional.linear(x_, w_), x, w,
                 grads=[True, False], fd=False)


# ---- softmax and losses -------------------------------------------------------------------


@pytest.mark.parametrize("op", ["softmax", "log_softmax"])
@given(data=st.data())
def test_softmax_log_softmax(op: str, data: st.DataObject) -> None:
    x = data.draw(array(data.draw(shapes(min_dims=1)), floats(-10.0, 10.0)))
    dim = data.draw(st.integers(-x.ndim, x.ndim - 1))
    check_op(lambda lib, a: getattr(lib.nn.functional, op)(a, dim=dim), x)
    check_op(lambda lib, a: getattr(a, op)(dim), x, fd=False)


@pytest.mark.parametrize("op", ["softmax", "log_softmax"])
def test_softmax_large_logits(op: str) -> None:
    x = np.array([[1000.0, 0.0, -1000.0], [-800.0, -800.0, -790.0], [50.0, 50.0, 50.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for dim in (0, 1):
            check_op(lambda lib, a, d=dim: getattr(lib.nn.functional, op)(a, dim=d), x, fd=False)
        out = getattr(vb.nn.functional, op)(vb.tensor(x), dim=1)
    assert np.all(np.isfinite(out.detach().numpy()))


REDUCTIONS = ["mean", "sum", "none"]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@given(data=st.data())
def test_mse_loss(reduction: str, data: st.DataObject) -> None:
    shape = data.draw(shapes())
    x, y = data.draw(array(shape)), data.draw(array(shape))
    check_op(lambda lib, a, b: lib.nn.functional.mse_loss(a, b, reduction=reduction), x, y)
    check_op(lambda lib, a, b: lib.nn.MSELoss(reduction=reduction)(a, b), x, y,
             grads=[True, False], fd=False)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@given(data=st.data())
def test_binary_cross_entropy(reduction: str, data: st.DataObject) -> None:
    shape = data.draw(shapes())
    p, y = data.draw(array(shape, floats(0.02, 0.98))), data.draw(array(shape, floats(0.0, 1.0)))
    bce = "binary_cross_entropy"
    check_op(lambda lib, a, b: getattr(lib.nn.functional, bce)(a, b, reduction=reduction), p, y)
    check_op(lambda lib, a, b: lib.nn.BCELoss(reduction=reduction)(lib.sigmoid(a), b), p, y,
             grads=[True, False])


def test_binary_cross_entropy_clamps_log_at_minus_100() -> None:
    p, y = np.array([0.0, 1.0, 0.5, 1.0]), np.array([1.0, 0.0, 1.0, 1.0])
    check_op(lambda lib, a, b: lib.nn.functional.binary_cross_entropy(a, b), p, y,
             grads=[False, False])
    assert vb.nn.functional.binary_cross_entropy(vb.tensor(p), vb.tensor(y)).item() == (
        pytest.approx((100 + 100 + np.log(2)) / 4, rel=1e-6))


@st.composite
def logits_and_classes(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    c = draw(st.integers(1, 5))
    one = draw(st.booleans())
    x = draw(array((c,) if one else (draw(st.integers(1, 5)), c), floats(-5.0, 5.0)))
    t = np.array(draw(st.integers(0, c - 1))) if one else draw(
        hnp.arrays(np.int64, x.shape[:1], elements=st.integers(0, c - 1)))
    return x, t


@pytest.mark.parametrize("reduction", REDUCTIONS)
@given(xt=logits_and_classes())
def test_cross_entropy_class_indices(reduction: str, xt: tuple[np.ndarray, np.ndarray]) -> None:
    x, t = xt
    check_op(lambda lib, a: lib.nn.functional.cross_entropy(a, lib.tensor(t),
                                                            reduction=reduction), x)
    check_op(lambda lib, a: lib.nn.CrossEntropyLoss(reduction=reduction)(a, lib.tensor(t)), x,
             fd=False)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@given(data=st.data())
def test_cross_entropy_probabilities(reduction: str, data: st.DataObject) -> None:
    x = data.draw(array((data.draw(st.integers(1, 4)), data.draw(st.integers(1, 5)))))
    raw = data.draw(array(x.shape, floats(0.0, 1.0)))
    probs = (raw + 0.1) / (raw + 0.1).sum(axis=1, keepdims=True)
    check_op(lambda lib, a: lib.nn.functional.cross_entropy(a, lib.tensor(probs),
                                                            reduction=reduction), x)


def test_cross_entropy_large_logits() -> None:
    x = np.array([[1000.0, -1000.0, 0.0], [-900.0, 900.0, 900.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_op(lambda lib, a: lib.nn.functional.cross_entropy(a, lib.tensor([1, 0])), x,
                 fd=False)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@given(xt=logits_and_classes())
def test_nll_loss(reduction: str, xt: tuple[np.ndarray, np.ndarray]) -> None:
    x, t = xt
    check_op(lambda lib, a: lib.nn.functional.nll_loss(lib.nn.functional.log_softmax(a, dim=-1),
                                                       lib.tensor(t), reduction=reduction), x)
    check_op(lambda lib, a: lib.nn.functional.nll_loss(a, lib.tensor(t), reduction=reduction), x)


# ---- comparisons --------------------------------------------------------------------------

COMPARISONS = ["lt", "le", "gt", "ge", "eq", "ne"]
SYMBOLS = {"lt": "<", "le": "<=", "gt": ">", "ge": ">=", "eq": "==", "ne": "!="}


@pytest.mark.parametrize("op", COMPARISONS)
@given(xs=broadcast_arrays(2, elements=[st.sampled_from([-1.0, 0.0, 0.5, 2.0])] * 2),
       c=st.sampled_from([0.0, 0.5, 1]))
def test_comparisons(op: str, xs: list[np.ndarray], c: float) -> None:
    a, b = xs
    va, vb_ = vb.tensor(a, requires_grad=True), vb.tensor(b)
    ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b)
    results = [
        (getattr(vb, op)(va, vb_), getattr(torch, op)(ta, tb)),
        (eval(f"va {SYMBOLS[op]} vb_"), eval(f"ta {SYMBOLS[op]} tb")),
        (eval(f"va {SYMBOLS[op]} c"), eval(f"ta {SYMBOLS[op]} c")),
        (getattr(va, op)(c), getattr(ta, op)(c)),
    ]
    for v, t in results:
        assert v.dtype == vb.bool_ and t.dtype == torch.bool
        assert not v.requires_grad
        np.testing.assert_array_equal(v.numpy(), t.numpy())


# ---- modules (the nn faces of the same ops) -----------------------------------------------

MODULES: dict[str, Any] = {
    "LeakyReLU": lambda lib, a: lib.nn.LeakyReLU(0.3)(a),
    "Softmax": lambda lib, a: lib.nn.Softmax(dim=0)(a),
    "LogSoftmax": lambda lib, a: lib.nn.LogSoftmax(dim=1)(a),
    "Flatten": lambda lib, a: lib.nn.Flatten()(a.reshape(2, 1, 3)),
    "Identity": lambda lib, a: lib.nn.Identity()(a) * 2,
    "NLLLoss": lambda lib, a: lib.nn.NLLLoss(reduction="sum")(a, lib.tensor([2, 0])),
    "Sequential": lambda lib, a: lib.nn.Sequential(lib.nn.Tanh(), lib.nn.Sigmoid())(a),
}


@pytest.mark.parametrize("name", list(MODULES))
def test_modules_match_torch(name: str) -> None:
    x = np.array([[-2.0, -0.5, 0.3], [1.0, 4.0, -7.0]])
    check_op(MODULES[name], x)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_backward_on_a_leaf_and_float32_gradients_match_torch(dtype: str) -> None:
    rng = np.random.default_rng(5)
    xs, ws = rng.standard_normal((4, 3)), rng.standard_normal((2, 3))
    grads = []
    for lib in (vb, torch):
        d = getattr(lib, dtype)
        x, w = lib.tensor(xs, dtype=d, requires_grad=True), lib.tensor(ws, dtype=d,
                                                                       requires_grad=True)
        out = lib.nn.functional.log_softmax(lib.nn.functional.linear(x, w).tanh(), dim=1)
        loss = lib.nn.functional.nll_loss(out, lib.tensor([0, 1, 1, 0])) + (x * x).mean()
        loss.backward()
        w.backward(gradient=lib.ones(2, 3, dtype=d))  # a leaf: its gradient is the seed
        assert x.grad.dtype == d and w.grad.dtype == d
        grads.append([x.grad.numpy(), w.grad.numpy(), loss.detach().numpy()])
    tol = 1e-6 if dtype == "float32" else 1e-12
    for a, e in zip(*grads, strict=True):
        np.testing.assert_allclose(a, e, rtol=tol, atol=tol)
