"""Tensor ops and activations PyTorch programs reach for (tril, roll, pad, unique, logsigmoid,
selu, ...): values, dtypes, shapes and gradients against torch (float64, ``check_op``), torch's
conventions at ties and kinks, its error messages, and the modules' reprs."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
import torch
from engine_strategies import array, check_op, shapes
from hypothesis import given, settings
from hypothesis import strategies as st

import vibrastic as vb

torch.set_num_threads(1)

RNG = np.random.default_rng(7)


def _away(x: np.ndarray, *kinks: float, gap: float = 0.05) -> np.ndarray:
    """x with every value kept ``gap`` away from each kink (finite differences are exact)."""
    for k in kinks:
        near = np.abs(x - k) < gap
        x = np.where(near, k + gap + np.abs(x - k), x)
    return x


def _name(dtype: Any) -> str:
    return str(dtype).split(".")[-1]


A34 = RNG.uniform(-3, 3, (3, 4))
A234 = RNG.uniform(-3, 3, (2, 3, 4))
B34 = RNG.uniform(-3, 3, (3, 4))

# name -> (fn(lib, *tensors), arrays); F is lib.nn.functional
DIFFERENTIABLE: dict[str, tuple[Any, tuple[np.ndarray, ...]]] = {
    "tril": (lambda lib, a: lib.tril(a), (A34,)),
    "tril_batch_k": (lambda lib, a: a.tril(-1), (A234,)),
    "triu": (lambda lib, a: lib.triu(a, 1), (A34,)),
    "triu_method": (lambda lib, a: a.triu(), (A234,)),
    "diag_vector": (lambda lib, a: lib.diag(a, 1), (A34[0],)),
    "diag_matrix": (lambda lib, a: a.diag(-1), (A34,)),
    "diagonal": (lambda lib, a: lib.diagonal(a, 1, 0, 2), (A234,)),
    "diagonal_method": (lambda lib, a: a.diagonal(), (A34,)),
    "trace": (lambda lib, a: lib.trace(a), (A34,)),
    "square": (lambda lib, a: lib.square(a), (A34,)),
    "square_method": (lambda lib, a: a.square(), (A234,)),
    "clamp_min": (lambda lib, a: lib.clamp_min(a, 0.5), (_away(A34, 0.5),)),
    "clamp_max_method": (lambda lib, a: a.clamp_max(-0.5), (_away(A34, -0.5),)),
    "logaddexp": (lambda lib, a, b: lib.logaddexp(a, b), (A34, B34)),
    "logaddexp_broadcast": (lambda lib, a, b: a.logaddexp(b), (A234, B34[0])),
    "atan2": (lambda lib, a, b: lib.atan2(a, b), (A34, _away(B34, 0.0, gap=0.3))),
    "hypot": (lambda lib, a, b: lib.hypot(a, b), (A34, B34)),
    "lerp": (lambda lib, a, b, w: lib.lerp(a, b, w), (A34, B34, RNG.uniform(0, 1, (3, 4)))),
    "lerp_number": (lambda lib, a, b: a.lerp(b, 0.75), (A34, B34)),
    "roll": (lambda lib, a: lib.roll(a, 1, 0), (A34,)),
    "roll_dims": (lambda lib, a: a.roll((1, -2), (0, 2)), (A234,)),
    "roll_flat": (lambda lib, a: lib.roll(a, 5), (A34,)),
    "tile": (lambda lib, a: lib.tile(a, (2, 1, 2)), (A34,)),
    "tile_method": (lambda lib, a: a.tile(2), (A34,)),
    "broadcast_to": (lambda lib, a: lib.broadcast_to(a, (2, 3, 4)), (A34,)),
    "movedim": (lambda lib, a: lib.movedim(a, 0, -1), (A234,)),
    "movedim_pairs": (lambda lib, a: a.movedim((0, 1), (2, 0)), (A234,)),
    "masked_select": (lambda lib, a: lib.masked_select(a, a > 0), (A34,)),
    "masked_select_broadcast": (lambda lib, a: a.masked_select(lib.tensor([True, False, True,
                                                                           True])), (A234,)),
    "masked_select_input_broadcast": (lambda lib, a: lib.masked_select(a, lib.tensor(
        [[True, False, True, False], [False, True, True, True]])), (A34[0],)),
    "diff": (lambda lib, a: lib.diff(a), (A34,)),
    "diff_n2_dim0": (lambda lib, a: a.diff(n=2, dim=0), (A234,)),
    "diff_prepend": (lambda lib, a, p: lib.diff(a, dim=0, prepend=p), (A34, B34[:1])),
    "var_mean": (lambda lib, a: lib.var_mean(a, 1)[0] + lib.var_mean(a, 1)[1], (A34,)),
    "std_mean": (lambda lib, a: lib.std_mean(a, dim=0, correction=0, keepdim=True)[0], (A34,)),
    "take_along_dim": (lambda lib, a: lib.take_along_dim(a, lib.tensor([[0], [2], [1]]), 1),
                       (A34,)),
    "take_along_dim_broadcast": (lambda lib, a: lib.take_along_dim(
        a, lib.tensor([[[3, 0]]]), dim=2), (A234,)),
    "take_along_dim_flat": (lambda lib, a: lib.take_along_dim(a, lib.tensor([5, 0, 5])),
                            (A34,)),
    "cross": (lambda lib, a, b: lib.cross(a, b, dim=1), (A34[:, :3], B34[:, :3])),
    "cross_method": (lambda lib, a, b: a.cross(b, dim=0),
                     (A34[:, :3].T.copy(), B34[:, :3].T.copy())),
    "logsigmoid": (lambda lib, a: lib.nn.functional.logsigmoid(a), (A34 * 10,)),
    "softmin": (lambda lib, a: lib.nn.functional.softmin(a, dim=1), (A34,)),
    "selu": (lambda lib, a: lib.nn.functional.selu(a), (_away(A34, 0.0),)),
    "celu": (lambda lib, a: lib.nn.functional.celu(a, alpha=0.7), (_away(A34, 0.0),)),
    "elu": (lambda lib, a: lib.nn.functional.elu(a, alpha=1.3), (_away(A34, 0.0),)),
    "hardsigmoid": (lambda lib, a: lib.nn.functional.hardsigmoid(a), (_away(A34 * 2, -3, 3),)),
    "hardswish": (lambda lib, a: lib.nn.functional.hardswish(a), (_away(A34 * 2, -3, 3),)),
    "glu": (lambda lib, a: lib.nn.functional.glu(a), (A34,)),
    "glu_dim0": (lambda lib, a: lib.nn.functional.glu(a, 0), (A234,)),
    "tanhshrink": (lambda lib, a: lib.nn.functional.tanhshrink(a), (A34,)),
    "softshrink": (lambda lib, a: lib.nn.functional.softshrink(a, 1.0), (_away(A34, -1, 1),)),
    "hardshrink": (lambda lib, a: lib.nn.functional.hardshrink(a), (_away(A34, -.5, .5),)),
    "threshold": (lambda lib, a: lib.nn.functional.threshold(a, 0.1, -2.0), (_away(A34, .1),)),
    "pad_constant": (lambda lib, a: lib.nn.functional.pad(a, (1, 2)), (A34,)),
    "pad_two_dims_value": (lambda lib, a: lib.nn.functional.pad(a, (0, 1, 2, 0), value=1.5),
                           (A234,)),
    "pad_negative_crops": (lambda lib, a: lib.nn.functional.pad(a, (-1, 2, 1, -1)), (A34,)),
    "pad_all_dims": (lambda lib, a: lib.nn.functional.pad(a, (1, 0, 0, 1, 1, 1)), (A234,)),
    "pad_reflect": (lambda lib, a: lib.nn.functional.pad(a, (2, 3), mode="reflect"), (A234,)),
    "pad_replicate": (lambda lib, a: lib.nn.functional.pad(a, (2, 1, 1, 3), mode="replicate"),
                      (A234,)),
    "pad_circular": (lambda lib, a: lib.nn.functional.pad(a, (1, 2), mode="circular"), (A234,)),
}


@pytest.mark.parametrize("name", list(DIFFERENTIABLE))
def test_op_values_and_gradients_match_torch(name: str) -> None:
    fn, arrays = DIFFERENTIABLE[name]
    check_op(fn, *arrays)


@settings(max_examples=25)
@given(data=st.data())
def test_triangles_rolls_and_pads_of_any_shape_match_torch(data: st.DataObject) -> None:
    """Random shapes, diagonals, shifts and pad widths (negative ones crop)."""
    x = data.draw(array(data.draw(shapes(min_dims=2, max_dims=3))))
    k = data.draw(st.integers(-4, 4))
    check_op(lambda lib, a: lib.tril(a, k) + lib.triu(a, -k), x, fd=False)
    dims = tuple(data.draw(st.lists(st.integers(-x.ndim, x.ndim - 1), min_size=1, max_size=2,
                                    unique_by=lambda d: d % x.ndim)))
    shifts = tuple(data.draw(st.integers(-5, 5)) for _ in dims)
    check_op(lambda lib, a: lib.roll(a, shifts, dims), x, fd=False)
    widths = [data.draw(st.integers(-1 if i % 2 else 0, 2))  # (sizes stay >= 0)
              for i in range(2 * data.draw(st.integers(1, x.ndim)))]
    check_op(lambda lib, a: lib.nn.functional.pad(a, widths, value=0.5), x, fd=False)


# ---- torch's gradients at the kinks ----

KINKS: dict[str, tuple[Any, list[float]]] = {
    "clamp_min": (lambda lib, a: lib.clamp_min(a, 0.5), [0.5, 0.4, 0.6]),
    "clamp_max": (lambda lib, a: a.clamp_max(0.5), [0.5, 0.4, 0.6]),
    "hardshrink": (lambda lib, a: lib.nn.functional.hardshrink(a, 0.5), [-0.5, 0.5, 0.0, 0.7]),
    "softshrink": (lambda lib, a: lib.nn.functional.softshrink(a, 0.5), [-0.5, 0.5, 0.0, -0.7]),
    "threshold": (lambda lib, a: lib.nn.functional.threshold(a, 0.5, 9.0), [0.5, 0.4, 0.6]),
    "hardsigmoid": (lambda lib, a: lib.nn.functional.hardsigmoid(a), [-3.0, 3.0, 0.0, 4.0]),
    "hardswish": (lambda lib, a: lib.nn.functional.hardswish(a), [-3.0, 3.0, 0.0, -4.0, 4.0]),
    "selu": (lambda lib, a: lib.nn.functional.selu(a), [0.0, -1.0, 1.0]),
    "celu": (lambda lib, a: lib.nn.functional.celu(a, 2.0), [0.0, -1.0, 1.0]),
    "logsigmoid": (lambda lib, a: lib.nn.functional.logsigmoid(a), [0.0, -800.0, 800.0]),
    "nan_to_num": (lambda lib, a: lib.nan_to_num(a, nan=1.0), [float("nan"), float("inf"),
                                                               -float("inf"), 2.0]),
    "nan_to_num_defaults": (lambda lib, a: a.nan_to_num(), [float("nan"), float("inf"),
                                                           -float("inf"), 2.0]),
    "logaddexp_infinite": (lambda lib, a: lib.logaddexp(a, lib.tensor(0.0, dtype=a.dtype)),
                           [-float("inf"), 800.0, 0.0]),
    "lerp_weight_one": (lambda lib, a: lib.lerp(a, a * 3 + 0.1, 1.0), [0.1, 1e10, -7.3]),
}


@pytest.mark.parametrize("name", list(KINKS))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_values_and_gradients_at_the_kinks_match_torch(name: str, dtype: str) -> None:
    fn, values = KINKS[name]
    v = vb.tensor(values, dtype=getattr(vb, dtype), requires_grad=True)
    t = torch.tensor(values, dtype=getattr(torch, dtype), requires_grad=True)
    vout, tout = fn(vb, v), fn(torch, t)
    assert _name(vout.dtype) == _name(tout.dtype)
    np.testing.assert_allclose(vout.detach().numpy(), tout.detach().numpy(), rtol=1e-6)
    vout.sum().backward()
    tout.sum().backward()
    np.testing.assert_allclose(v.grad.numpy(), t.grad.numpy(), rtol=1e-6)


# ---- the ops that are not differentiable: indices, counts, distinct values ----

INTS = np.array([[3, 0, 1, 0], [1, 2, 3, 3], [0, 0, 5, 1]])


@pytest.mark.parametrize("call", [
    lambda lib, a: lib.nonzero(a),
    lambda lib, a: a.nonzero(as_tuple=True),
    lambda lib, a: lib.nonzero(a[0, 0]),
    lambda lib, a: a[0, 0].nonzero(as_tuple=True),
    lambda lib, a: a[a.nonzero(as_tuple=True)],
    lambda lib, a: lib.count_nonzero(a),
    lambda lib, a: a.count_nonzero(dim=1),
    lambda lib, a: lib.count_nonzero(a, (0, 1)),
    lambda lib, a: lib.unique(a),
    lambda lib, a: a.unique(sorted=False),
    lambda lib, a: lib.unique(a, return_inverse=True, return_counts=True),
    lambda lib, a: lib.unique(a, return_counts=True),
    lambda lib, a: lib.unique(a.float(), return_inverse=True),
    lambda lib, a: lib.unique(lib.tensor([[1, 2], [1, 2], [0, 5]]), dim=0, return_inverse=True),
    lambda lib, a: lib.masked_select(a, a > 1),
    lambda lib, a: lib.tril(a > 1),
    lambda lib, a: lib.triu(lib.ones(3, 3, dtype=lib.bool), diagonal=1),
    lambda lib, a: lib.square(a),
    lambda lib, a: lib.square(a > 1),
    lambda lib, a: lib.trace(a[:, :3]),
    lambda lib, a: lib.diag(a[0]),
    lambda lib, a: lib.roll(a, -1, 1),
    lambda lib, a: lib.diff(a, dim=0),
    lambda lib, a: lib.atan2(a, a + 1),
    lambda lib, a: lib.logaddexp(a.float(), a.float()),
    lambda lib, a: lib.nn.functional.pad(a, (1, 1), value=7),
    lambda lib, a: lib.take_along_dim(a, a.argsort(dim=1), dim=1),
    lambda lib, a: lib.nan_to_num(a),
    lambda lib, a: lib.diff(a > 1),
    lambda lib, a: lib.atan2(a[0, 0].float(), a[1].float()),
    lambda lib, a: lib.var_mean(a.double(), True),
    lambda lib, a: lib.std_mean(a.double(), dim=1, unbiased=False),
    lambda lib, a: lib.unique(a > 1, return_counts=True),
    lambda lib, a: lib.count_nonzero(a, -1),
    lambda lib, a: lib.tile(a[0, 0], (3,)),
    lambda lib, a: lib.nn.functional.glu(a.float(), 1),
], ids=lambda f: "")
def test_integer_and_index_ops_match_torch(call: Any) -> None:
    ours, theirs = call(vb, vb.tensor(INTS)), call(torch, torch.tensor(INTS))
    if not isinstance(ours, tuple):
        ours, theirs = (ours,), (theirs,)
    assert len(ours) == len(theirs)
    for o, t in zip(ours, theirs, strict=True):
        assert _name(o.dtype) == _name(t.dtype)
        assert tuple(o.shape) == tuple(t.shape)
        if o.is_floating_point():  # float32 libm and torch's SIMD may differ in the last bit
            np.testing.assert_allclose(o.numpy(), t.numpy(), rtol=1e-6)
        else:
            np.testing.assert_array_equal(o.numpy(), t.numpy())


@pytest.mark.parametrize("call", [
    lambda lib: lib.tril_indices(3, 4, 1),
    lambda lib: lib.triu_indices(3, 3, -1, dtype=lib.int32),
    lambda lib: lib.triu_indices(4, 2),
    lambda lib: lib.tril_indices(0, 3),
], ids=lambda f: "")
def test_triangle_indices_match_torch(call: Any) -> None:
    ours, theirs = call(vb), call(torch)
    assert _name(ours.dtype) == _name(theirs.dtype)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_triangle_indices_pick_a_matrix_entries_in_a_compiled_step() -> None:
    w = vb.tensor(A34, requires_grad=True)

    def upper(w: vb.Tensor) -> vb.Tensor:
        i = vb.triu_indices(3, 4, 1)
        return w[i[0], i[1]].square().sum()

    compiled = vb.compile(upper, fullgraph=True)
    assert compiled(w).item() == upper(w).item()
    t = torch.tensor(A34)
    i = torch.triu_indices(3, 4, 1)
    assert compiled(w).item() == pytest.approx(t[i[0], i[1]].square().sum().item(), rel=1e-12)


def test_tril_mask_builds_causal_attention_like_torch() -> None:
    scores = RNG.standard_normal((2, 4, 4))
    results = []
    for lib in (vb, torch):
        mask = lib.tril(lib.ones(4, 4)) == 0
        att = lib.tensor(scores).masked_fill(mask, float("-inf")).softmax(-1)
        results.append(att.numpy())
    np.testing.assert_allclose(results[0], results[1], rtol=1e-12)


def test_float32_stays_float32() -> None:
    x = vb.randn(3, 4)
    F = vb.nn.functional
    for out in (vb.tril(x), x.square(), vb.logaddexp(x, x), F.logsigmoid(x), F.selu(x),
                F.celu(x), F.hardswish(x), F.hardsigmoid(x), F.softshrink(x), F.hardshrink(x),
                F.threshold(x, 0.1, 2), F.pad(x, (1, 1)), F.softmin(x, 1), F.glu(x),
                vb.roll(x, 1), vb.masked_select(x, x > 0), vb.atan2(x, x), vb.hypot(x, x),
                vb.lerp(x, x, 0.3), vb.clamp_min(x, 0), vb.nan_to_num(x)):
        assert out.dtype == vb.float32


def test_softmin_without_dim_warns_as_torch() -> None:
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmin"):
        vb.nn.functional.softmin(vb.ones(2, 3))


def test_cross_without_dim_takes_the_first_dim_of_size_3_and_warns() -> None:
    a, b = RNG.standard_normal((3, 3)), RNG.standard_normal((3, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = torch.cross(torch.tensor(a), torch.tensor(b)).numpy()
    with pytest.warns(UserWarning, match="without specifying the dim"):
        out = vb.cross(vb.tensor(a), vb.tensor(b))
    np.testing.assert_allclose(out.numpy(), expected)


# ---- errors: torch's exception type and message ----

ERRORS = {
    "tril_1d": lambda lib: lib.tril(lib.ones(3)),
    "triu_1d": lambda lib: lib.ones(3).triu(),
    "roll_mismatch": lambda lib: lib.roll(lib.ones(2, 3), (1, 2), (0,)),
    "masked_select_float_mask": lambda lib: lib.masked_select(lib.ones(2, 3), lib.ones(2, 3)),
    "diag_3d": lambda lib: lib.diag(lib.ones(2, 2, 2)),
    "trace_3d": lambda lib: lib.trace(lib.ones(2, 2, 2)),
    "softshrink_negative": lambda lib: lib.nn.functional.softshrink(lib.ones(2), -0.5),
    "glu_odd": lambda lib: lib.nn.functional.glu(lib.ones(2, 3)),
    "glu_scalar": lambda lib: lib.nn.functional.glu(lib.tensor(1.0)),
    "pad_odd": lambda lib: lib.nn.functional.pad(lib.ones(2, 3), (1,)),
    "pad_too_long": lambda lib: lib.nn.functional.pad(lib.ones(2, 3), (1,) * 6),
    "pad_mode": lambda lib: lib.nn.functional.pad(lib.ones(2, 3), (1, 1), mode="foo"),
    "celu_zero": lambda lib: lib.nn.functional.celu(lib.ones(2), alpha=0.0),
    "softshrink_negative_f64": lambda lib: lib.nn.functional.softshrink(
        lib.ones(2, dtype=lib.float64), -1.0),
    "pad_reflect_too_wide": lambda lib: lib.nn.functional.pad(lib.ones(1, 2, 3), (3, 0),
                                                              mode="reflect"),
    "pad_circular_twice_round": lambda lib: lib.nn.functional.pad(lib.ones(1, 2, 3), (4, 0),
                                                                  mode="circular"),
    "pad_reflect_1d": lambda lib: lib.nn.functional.pad(lib.ones(3), (1, 1), mode="reflect"),
    "pad_replicate_4d_one_dim": lambda lib: lib.nn.functional.pad(lib.ones(1, 1, 2, 3), (1, 1),
                                                                  mode="replicate"),
    "pad_negative_size": lambda lib: lib.nn.functional.pad(lib.ones(3), (-2, -2)),
    "diagonal_1d": lambda lib: lib.diagonal(lib.ones(2)),
    "diagonal_same_dims": lambda lib: lib.diagonal(lib.ones(2, 2), 0, 1, 1),
    "movedim_lengths": lambda lib: lib.movedim(lib.ones(2, 3), (0, 1), (1,)),
    "movedim_repeated": lambda lib: lib.movedim(lib.ones(2, 3, 4), (0, 0), (1, 2)),
    "take_along_dim_ndim": lambda lib: lib.take_along_dim(lib.ones(2, 3), lib.tensor([0]), 1),
    "cross_not_3": lambda lib: lib.cross(lib.ones(2, 4), lib.ones(2, 4), dim=1),
    "broadcast_to_bad": lambda lib: lib.broadcast_to(lib.ones(2, 3), (4, 3, 2)),
    "lerp_dtypes": lambda lib: lib.lerp(lib.ones(2), lib.ones(2, dtype=lib.float64), 0.5),
    "logaddexp_int": lambda lib: lib.logaddexp(lib.tensor([1, 2]), lib.tensor([3, 4])),
    "hypot_int": lambda lib: lib.hypot(lib.tensor([3]), lib.tensor([4])),
    "diff_0d": lambda lib: lib.diff(lib.tensor(1.0)),
    "roll_shifts_without_dims": lambda lib: lib.roll(lib.ones(3), (1, 2)),
    "roll_dim_out_of_range": lambda lib: lib.roll(lib.ones(2, 3), 1, 2),
    "movedim_out_of_range": lambda lib: lib.movedim(lib.ones(2, 3), 0, 2),
    "diagonal_out_of_range": lambda lib: lib.diagonal(lib.ones(2, 3), 0, 0, 2),
    "tril_indices_float": lambda lib: lib.tril_indices(3, 4, dtype=lib.float32),
    "triu_indices_negative": lambda lib: lib.triu_indices(-1, 4),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_bad_arguments_raise_torchs_errors(name: str) -> None:
    with pytest.raises(Exception) as expected:
        ERRORS[name](torch)
    with pytest.raises(type(expected.value)) as ours:
        ERRORS[name](vb)
    assert str(ours.value) == str(expected.value)


# ---- modules ----

MODULES = [
    ("LogSigmoid", ()), ("Softmin", ()), ("Softmin", (1,)), ("Hardsigmoid", ()),
    ("Hardswish", ()), ("SELU", ()), ("SELU", (True,)), ("CELU", ()), ("CELU", (0.5, True)),
    ("GLU", ()), ("GLU", (0,)), ("Tanhshrink", ()), ("Softshrink", ()), ("Hardshrink", (0.3,)),
    ("Threshold", (0.1, 20)), ("Threshold", (0.1, 20.0, True)), ("ZeroPad2d", (2,)),
    ("ZeroPad2d", ((1, 2, 3, 4),)), ("ZeroPad1d", (1,)), ("ConstantPad1d", (2, 3.5)),
    ("ConstantPad2d", (1, 0.0)),
]


@pytest.mark.parametrize(("name", "args"), MODULES)
def test_modules_print_and_compute_as_torch(name: str, args: tuple) -> None:
    ours, theirs = getattr(vb.nn, name)(*args), getattr(torch.nn, name)(*args)
    assert repr(ours) == repr(theirs)
    x = RNG.standard_normal((2, 4, 6))
    if name == "Softmin" and not args:
        with pytest.warns(UserWarning):
            out = ours(vb.tensor(x))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected = theirs(torch.tensor(x))
    else:
        out, expected = ours(vb.tensor(x)), theirs(torch.tensor(x))
    np.testing.assert_allclose(out.numpy(), expected.numpy(), rtol=1e-12, atol=1e-15)


def test_new_names_are_exported() -> None:
    for name in ("tril", "triu", "square", "clamp_min", "logaddexp", "nonzero", "unique",
                 "masked_select", "roll", "tile", "movedim", "moveaxis", "var_mean"):
        assert name in vb.__all__ and callable(getattr(vb, name))
    for name in ("logsigmoid", "pad", "selu", "hardswish", "softmin", "glu"):
        assert name in vb.nn.functional.__all__
    assert "ZeroPad2d" in vb.nn.__all__


INPLACE = {
    "square_": lambda x: x.square_(),
    "tril_": lambda x: x.tril_(1),
    "triu_": lambda x: x.triu_(),
    "clamp_min_": lambda x: x.clamp_min_(0.5),
    "clamp_max_": lambda x: x.clamp_max_(-0.5),
    "nan_to_num_": lambda x: x.masked_fill_(x > 2, float("inf")).masked_fill_(
        x < -2, float("nan")).nan_to_num_(posinf=9.0),
    "lerp_": lambda x: x.lerp_(x.new_ones(1), 0.25),
}


@pytest.mark.parametrize("name", list(INPLACE))
def test_in_place_variants_change_the_tensor_as_torch(name: str) -> None:
    ours, theirs = vb.tensor(A34), torch.tensor(A34)
    assert INPLACE[name](ours) is ours
    INPLACE[name](theirs)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)


def test_torch_level_activation_names() -> None:
    x = A34
    for name in ("selu", "celu", "hardshrink"):
        np.testing.assert_allclose(getattr(vb, name)(vb.tensor(x)).numpy(),
                                   getattr(torch, name)(torch.tensor(x)).numpy(), rtol=1e-12)
    np.testing.assert_allclose(vb.threshold(vb.tensor(x), 0.5, 2.0).numpy(),
                               torch.threshold(torch.tensor(x), 0.5, 2.0).numpy())
    np.testing.assert_allclose(vb.tensor(x).hardshrink(1.0).numpy(),
                               torch.tensor(x).hardshrink(1.0).numpy())
    np.testing.assert_allclose(vb.arctan2(vb.tensor(x), vb.tensor(B34)).numpy(),
                               torch.arctan2(torch.tensor(x), torch.tensor(B34)).numpy(),
                               rtol=1e-12)


def test_expand_and_broadcast_to_raise_torchs_error_at_the_clashing_dim() -> None:
    for call in (lambda m: m.broadcast_to(m.ones(3), (1,)), lambda m: m.ones(3).expand(2, 2),
                 lambda m: m.ones(3, 1).expand(2, 2, 4)):
        messages = []
        for lib in (vb, torch):
            with pytest.raises(RuntimeError) as info:
                call(lib)
            messages.append(str(info.value))
        assert messages[0] == messages[1]
