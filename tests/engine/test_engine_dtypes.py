"""dtypes follow torch: float32 by default, int64 for integers, torch's promotion rules."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest
import torch

import vibrastic as vb

torch.set_num_threads(1)


def name(dtype: Any) -> str:
    return str(dtype).rsplit(".", 1)[-1]


@pytest.fixture
def float64_default() -> Iterator[None]:
    vb.set_default_dtype(vb.float64)
    try:
        yield
    finally:
        vb.set_default_dtype(vb.float32)


def test_creation_dtypes_match_torch() -> None:
    assert vb.tensor(1.0).dtype == vb.float32
    assert vb.tensor([1.0, 2.0]).dtype == vb.float32
    assert vb.tensor(3).dtype == vb.int64
    assert vb.tensor([[1, 2], [3, 4]]).dtype == vb.int64
    assert vb.tensor([True, False]).dtype == vb.bool_
    assert vb.tensor([1, 2.5]).dtype == vb.float32
    assert vb.tensor(np.arange(3)).dtype == vb.int64
    assert vb.tensor(np.ones(2)).dtype == vb.float64  # NumPy arrays keep their dtype, as torch
    for make in (vb.zeros, vb.ones, vb.rand, vb.randn):
        assert make(2, 3).dtype == vb.float32
        assert make(2, 3).shape == (2, 3)
        assert make((2, 3), dtype=vb.float64).dtype == vb.float64
    assert vb.arange(5).dtype == vb.int64
    assert vb.arange(0.0, 1.0, 0.25).dtype == vb.float32
    assert vb.arange(0.0, 1.0, 0.25).tolist() == [0.0, 0.25, 0.5, 0.75]
    assert vb.tensor([1, 2], dtype=vb.float64).dtype == vb.float64
    assert vb.tensor([1, 2], dtype=torch.float64).dtype == vb.float64
    assert vb.float == vb.float32 and vb.double == vb.float64 and vb.long == vb.int64


def test_python_floats_convert_straight_to_the_requested_dtype() -> None:
    assert vb.tensor(0.1, dtype=vb.float64).item() == 0.1  # never rounded through float32
    assert vb.tensor([[0.1, 1 / 3]], dtype=vb.float64).tolist() == [[0.1, 1 / 3]]
    assert vb.tensor([0.1], dtype=torch.float64).tolist() == [0.1]
    assert vb.tensor(0.1).item() == torch.tensor(0.1).item()  # float32 rounding, as torch
    assert vb.tensor([1, 2], dtype=vb.float32).dtype == vb.float32


def test_default_dtype_can_be_changed(float64_default: None) -> None:
    assert vb.get_default_dtype() == vb.float64
    assert vb.tensor(1.0).dtype == vb.float64
    assert vb.zeros(2).dtype == vb.float64
    assert vb.tensor(3).dtype == vb.int64


# ---- promotion: compare every pairing with torch ------------------------------------------

OPERANDS: dict[str, Callable[[Any], Any]] = {
    "f32": lambda lib: lib.tensor([1.5, -2.0], dtype=lib.float32),
    "f64": lambda lib: lib.tensor([1.5, -2.0], dtype=lib.float64),
    "i64": lambda lib: lib.tensor([3, -4]),
    "bool": lambda lib: lib.tensor([True, True]),
    "int": lambda lib: 2,
    "float": lambda lib: 0.5,
}
BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
}


CASES = [
    (op, left, right)
    for op in BINARY
    for left in OPERANDS
    for right in OPERANDS
    if not (left in ("int", "float") and right in ("int", "float"))  # needs a tensor
    and not (op == "sub" and "bool" in (left, right))  # torch forbids subtracting bools
]


@pytest.mark.parametrize(("op", "left", "right"), CASES)
def test_binary_promotion_matches_torch(op: str, left: str, right: str) -> None:
    fn = BINARY[op]
    v = fn(OPERANDS[left](vb), OPERANDS[right](vb))
    t = fn(OPERANDS[left](torch), OPERANDS[right](torch))
    assert name(v.dtype) == name(t.dtype), f"{left} {op} {right}"
    np.testing.assert_allclose(v.numpy().astype(np.float64), t.numpy().astype(np.float64),
                               rtol=1e-6)


ZERO_DIM_DTYPES = ["bool", "int64", "float32", "float64"]
ZERO_DIM_VALUES = {"bool": [True, True], "int64": [3, -2], "float32": [1.1, -0.3],
                   "float64": [0.1, 2.7]}


def zero_dim_operand(lib: Any, dtype: str, zero_dim: bool) -> Any:
    values = ZERO_DIM_VALUES[dtype]
    t = lib.tensor(values[0] if zero_dim else values, dtype=getattr(lib, dtype))
    return t.requires_grad_() if dtype.startswith("float") else t


@pytest.mark.parametrize("op", ["add", "mul", "div", "lt"])
@pytest.mark.parametrize("zero_dim", ["left", "right", "both"])
@pytest.mark.parametrize("right", ZERO_DIM_DTYPES)
@pytest.mark.parametrize("left", ZERO_DIM_DTYPES)
def test_zero_dim_tensor_promotes_like_torch(left: str, right: str, zero_dim: str, op: str
                                             ) -> None:
    """A 0-d tensor changes the dtype only from a higher category (bool < int < float), as a
    Python number does: float32 n-d + float64 0-d is float32; gradients keep each dtype."""
    results = []
    for lib in (vb, torch):
        a = zero_dim_operand(lib, left, zero_dim in ("left", "both"))
        b = zero_dim_operand(lib, right, zero_dim in ("right", "both"))
        out = getattr(lib, op)(a, b)
        grads = [t for t in (a, b) if t.requires_grad] if out.requires_grad else []
        if grads:
            out.sum().backward()
        results.append((name(out.dtype), out.detach().numpy(),
                        [name(t.grad.dtype) for t in grads], [t.grad.numpy() for t in grads]))
    (v_dtype, v_out, v_grads, v_values), (t_dtype, t_out, t_grads, t_values) = results
    assert (v_dtype, v_grads) == (t_dtype, t_grads)
    np.testing.assert_array_equal(v_out, t_out)  # computed in the result dtype, as torch
    for v, t in zip(v_values, t_values, strict=True):
        np.testing.assert_allclose(v, t, rtol=1e-6)


def test_zero_dim_promotion_examples() -> None:
    f64 = vb.tensor(1.0, dtype=vb.float64)
    assert (vb.ones(3) + f64).dtype == vb.float32
    assert (vb.tensor([1, 2]) + f64).dtype == vb.float64
    assert (vb.ones(3, dtype=vb.float64) + vb.tensor(1.0)).dtype == vb.float64
    assert (vb.tensor(1.0) + f64).dtype == vb.float64  # two 0-d tensors: the usual promotion
    assert (vb.tensor([0.1]) == vb.tensor(0.1, dtype=vb.float64)).tolist() == [True]
    x = vb.ones(3)
    x += vb.tensor(1e-9, dtype=vb.float64)  # added in float32, as torch: no change
    assert x.tolist() == [1.0, 1.0, 1.0]


@pytest.mark.parametrize("op", ["exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid"])
def test_float_functions_of_integer_tensors_give_float32(op: str) -> None:
    v = getattr(vb.tensor([1, 2]), op)()
    t = getattr(torch.tensor([1, 2]), op)()
    assert name(v.dtype) == name(t.dtype) == "float32"


def test_named_promotion_cases() -> None:
    f32 = vb.tensor([1.0, 2.0])
    assert (f32 + 0.1).dtype == vb.float32
    assert (f32 * 3).dtype == vb.float32
    assert (f32 + vb.tensor([1.0, 2.0], dtype=vb.float64)).dtype == vb.float64
    assert (vb.tensor([1, 2]) * 0.5).dtype == vb.float32
    assert (vb.tensor([1, 2]) * 0.5).tolist() == [0.5, 1.0]
    assert (vb.tensor([1, 2]) / vb.tensor([2, 4])).dtype == vb.float32
    assert (vb.tensor([1, 2]) + 1).dtype == vb.int64
    for op in ("exp", "sigmoid", "tanh", "relu", "sqrt", "log"):
        assert getattr(f32, op)().dtype == vb.float32, op
    assert f32.sum().dtype == vb.float32 and f32.mean().dtype == vb.float32
    assert vb.tensor([1, 2]).sum().dtype == vb.int64
    assert vb.tensor([True, True, False]).sum().item() == 2


def test_float_double_to_and_their_gradients() -> None:
    x = vb.tensor([1.0, 2.0], requires_grad=True)
    d = x.double()
    assert d.dtype == vb.float64 and d.requires_grad and x.dtype == vb.float32
    assert x.to(vb.float64).dtype == vb.float64
    assert x.to(torch.float64).dtype == vb.float64
    assert x.to(dtype=vb.float64).dtype == vb.float64
    assert x.to("cpu") is x
    assert x.float() is x  # no copy when the dtype already matches, as torch
    assert d.float().dtype == vb.float32
    assert vb.tensor([1.7, -1.7]).long().tolist() == [1, -1]
    assert vb.tensor([1, 2]).float().dtype == vb.float32
    (d * d).sum().backward()
    assert x.grad.dtype == vb.float32  # the gradient comes back in the leaf's dtype
    assert x.grad.tolist() == [2.0, 4.0]


def test_linear_weight_shape_dtype_and_init_bounds() -> None:
    vb.manual_seed(0)
    layer = vb.nn.Linear(4, 3)
    assert layer.weight.shape == (3, 4) and layer.bias.shape == (3,)
    assert layer.weight.dtype == vb.float32 and layer.bias.dtype == vb.float32
    assert isinstance(layer.weight, vb.nn.Parameter) and layer.weight.requires_grad
    bound = 1 / math.sqrt(4)
    big = vb.nn.Linear(400, 300)
    for p in (big.weight, big.bias):
        values = p.detach().numpy()
        assert np.all(np.abs(values) <= 1 / math.sqrt(400))
        assert np.abs(values).max() > 0.9 / math.sqrt(400)  # spread over the whole interval
    assert np.all(np.abs(layer.weight.detach().numpy()) <= bound)
    assert vb.nn.Linear(2, 5, bias=False).bias is None
    out = layer(vb.randn(7, 4))
    assert out.shape == (7, 3) and out.dtype == vb.float32
    assert torch.nn.Linear(4, 3).weight.shape == layer.weight.shape


def test_module_double_and_float_convert_parameters_in_place() -> None:
    model = vb.nn.Sequential(vb.nn.Linear(2, 3), vb.nn.Sigmoid(), vb.nn.Linear(3, 1))
    params = list(model.parameters())
    assert model.double() is model
    assert all(p.dtype == vb.float64 for p in model.parameters())
    assert [id(p) for p in model.parameters()] == [id(p) for p in params]  # same objects
    out = model(vb.tensor([[0.0, 1.0]], dtype=vb.float64))
    assert out.dtype == vb.float64
    out.sum().backward()
    assert all(p.grad.dtype == vb.float64 for p in model.parameters())
    model.float()
    assert all(p.dtype == vb.float32 for p in model.parameters())
    model.to(vb.float64)
    assert all(p.dtype == vb.float64 for p in model.parameters())


_INTS = np.random.default_rng(0).integers(-2**30, 2**30, 2000)
_FLOATS = np.random.default_rng(1).standard_normal(2000).astype(np.float32)
_MIXED = {
    "int * 0.1": lambda m: m.tensor(_INTS) * 0.1,
    "int * 1/3": lambda m: m.tensor(_INTS) * (1 / 3),
    "int - e": lambda m: m.tensor(_INTS) - 2.7182818,
    "int * float32": lambda m: m.tensor(_INTS) * m.tensor(_FLOATS),
    "float32 + int": lambda m: m.tensor(_FLOATS) + m.tensor(_INTS),
    "int * np.float64": lambda m: m.tensor(_INTS) * np.float64(0.1),
    "int < 0.5": lambda m: m.tensor(_INTS) < 0.5,
}


@pytest.mark.parametrize("case", list(_MIXED))
def test_integer_with_float_operands_compute_in_float32_like_torch(case: str) -> None:
    """torch converts the integers to float32 first and computes in float32; computing in
    float64 and rounding afterwards (NumPy's promotion) differs in the last bit here and there."""
    v, t = _MIXED[case](vb), _MIXED[case](torch)
    assert name(v.dtype) == name(t.dtype)
    assert v.numpy().tobytes() == t.numpy().tobytes()


@pytest.mark.parametrize("data", [
    np.float64(1.3), np.float32(1.3), np.int32(3), np.float16(1), np.bool_(True),
    [np.float64(1.0), 2.0], [np.float32(1), 2.0], [np.float64(1), np.float32(2)],
    [np.int32(1), 2], [np.float16(1), 2.0], [[np.float64(1.0)], [2.0]], [np.int32(1), 2.5],
    (np.float64(1),), [1.0, 2.0], np.array(1.5),
], ids=repr)
def test_numpy_scalars_give_torchs_dtype(data: Any) -> None:
    """A NumPy scalar keeps its dtype; in a list, a NumPy float64 makes it float64 (torch)."""
    import torch

    assert str(vb.tensor(data).dtype).split(".")[-1] == str(torch.tensor(data).dtype).split(".")[-1]
