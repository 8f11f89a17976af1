"""Errors a learner hits: the same exception type as torch, with a message that names the problem.

Each case runs the same code on torch and on vibrastic, so the test also pins torch's behaviour.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import torch

import vibrastic as vb

torch.set_num_threads(1)

LIBS = pytest.mark.parametrize("lib", [vb, torch], ids=["vibrastic", "torch"])


def x_of(lib: Any) -> Any:
    return lib.tensor([1.0, 2.0], requires_grad=True)


@LIBS
def test_backward_on_non_scalar_needs_a_gradient(lib: Any) -> None:
    y = x_of(lib) * 2
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar"):
        y.backward()
    y.backward(gradient=lib.tensor([1.0, 1.0]))  # with a gradient it works


@LIBS
def test_backward_gradient_of_the_wrong_shape(lib: Any) -> None:
    y = x_of(lib) * 2
    with pytest.raises(RuntimeError, match=r"[Mm]ismatch in shape"):
        y.backward(gradient=lib.ones(3))


@LIBS
def test_backward_on_a_tensor_without_grad(lib: Any) -> None:
    with pytest.raises(RuntimeError, match="does not require grad"):
        (lib.tensor([1.0]) * 2).sum().backward()


@LIBS
def test_matmul_shape_mismatch_names_both_shapes(lib: Any) -> None:
    with pytest.raises(RuntimeError, match=r"\(2x3 and 4x5\)"):
        lib.ones(2, 3) @ lib.ones(4, 5)
    with pytest.raises(RuntimeError, match=r"\(6x4 and 5x2\)|\(2x3x4 and 5x2\)"):
        lib.ones(2, 3, 4) @ lib.ones(5, 2)
    with pytest.raises(RuntimeError):
        lib.ones(2, 3, 4) @ lib.ones(5, 4, 2)  # batch dimensions 2 and 5 don't broadcast
    with pytest.raises(RuntimeError, match=r"\(1x3 and 2x4\)"):
        lib.nn.functional.linear(lib.ones(1, 3), lib.ones(4, 2))


def test_vibrastic_matmul_messages_name_the_shapes() -> None:
    with pytest.raises(RuntimeError, match=r"3 and 4"):
        vb.ones(3) @ vb.ones(4)
    with pytest.raises(RuntimeError, match=r"2x3x4 and 5x4x2"):
        vb.ones(2, 3, 4) @ vb.ones(5, 4, 2)
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied \(1x2 and"):
        vb.nn.Linear(3, 1)(vb.ones(1, 2))


def test_elementwise_shape_mismatch_names_both_shapes() -> None:
    with pytest.raises((RuntimeError, ValueError), match=r"\(2,\) \(3,\)|size of tensor a \(2\)"):
        vb.ones(2) + vb.ones(3)


ELEMENTWISE: dict[str, Callable[[Any, Any, Any], Any]] = {
    "add": lambda lib, a, b: a + b,
    "sub": lambda lib, a, b: lib.sub(a, b),
    "mul": lambda lib, a, b: a.mul(b),
    "div": lambda lib, a, b: a / b,
    "pow": lambda lib, a, b: a ** b,
    "remainder": lambda lib, a, b: a % b,
    "floor_divide": lambda lib, a, b: a // b,
    "lt": lambda lib, a, b: a < b,
    "eq": lambda lib, a, b: a == b,
    "maximum": lambda lib, a, b: lib.maximum(a, b),
    "minimum": lambda lib, a, b: lib.minimum(a, b),
    "logical_and": lambda lib, a, b: (a > 0) & (b > 0),
    "where_a_b": lambda lib, a, b: lib.where(lib.ones(1) > 0, a, b),
    "where_condition": lambda lib, a, b: lib.where(a > 0, b, b),
    "add_": lambda lib, a, b: a.add_(b),
    "imul": lambda lib, a, b: a.__imul__(b),
}
MISMATCHED = [((2,), (3,)), ((2, 3), (3, 2)), ((4, 2, 3), (5, 3)), ((5, 3), (4, 2, 3)),
              ((2, 1, 3), (4, 5)), ((4, 2, 3), (2, 3, 3, 3)), ((2, 5, 3), (3, 4, 3))]


def shape_error(lib: Any, op: str, a: tuple[int, ...], b: tuple[int, ...]) -> str:
    with pytest.raises(RuntimeError) as info:
        ELEMENTWISE[op](lib, lib.ones(a), lib.ones(b))
    return str(info.value)


@pytest.mark.parametrize(("a", "b"), MISMATCHED, ids=str)
@pytest.mark.parametrize("op", list(ELEMENTWISE))
def test_elementwise_shape_mismatch_is_torchs_runtime_error(op: str, a: tuple[int, ...],
                                                           b: tuple[int, ...]) -> None:
    message = shape_error(vb, op, a, b)
    assert message == shape_error(torch, op, a, b)
    assert message.startswith("The size of tensor a (")


@pytest.mark.parametrize("op", ["add_", "imul"])
def test_in_place_result_of_another_shape_is_torchs_runtime_error(op: str) -> None:
    for a, b in [((3, 1), (2,)), ((2, 3), (4, 2, 3))]:
        message = shape_error(vb, op, a, b)
        assert message == shape_error(torch, op, a, b)
        assert message.startswith(f"output with shape {list(a)} doesn't match")


def test_other_numpy_value_errors_pass_through() -> None:
    x = vb.zeros(2)
    with pytest.raises(ValueError, match="could not convert string to float"):
        x[0] = "abc"  # not a shape problem


def test_integers_to_negative_integer_powers_are_torchs() -> None:
    base, exponent = [2, 1, -1, -1, 0, 3, -2, 5], [-1, -1, -1, -2, -1, -2, -3, 2]
    for lib in (vb, torch):
        assert (lib.tensor(base) ** lib.tensor(exponent)).tolist() == [0, 1, -1, 1, 0, 0, 0, 25]
        assert (2 ** lib.tensor([-1, 2])).tolist() == [0, 4]
        assert (lib.tensor([True, False]) ** lib.tensor([-1, -1])).tolist() == [1, 0]
        with pytest.raises(RuntimeError, match=r"^Integers to negative integer powers are not "
                                               r"allowed\.$"):
            lib.tensor([2, 3]) ** -1


@LIBS
def test_masked_fill_with_a_mask_of_another_shape(lib: Any) -> None:
    with pytest.raises(RuntimeError, match=r"^The size of tensor a \(3\) must match the size of "
                                           r"tensor b \(2\) at non-singleton dimension 1$"):
        lib.zeros(3, 2).masked_fill(lib.tensor([True, False, True]), 1.0)


@LIBS
def test_index_assignment_of_values_of_another_shape(lib: Any) -> None:
    x = lib.zeros(3, 2)
    with pytest.raises(RuntimeError, match=r"^shape mismatch: value tensor of shape \[3\] cannot "
                                           r"be broadcast to indexing result of shape \[2, 2\]$"):
        x[lib.tensor([0, 1])] = lib.ones(3)
    assert x.sum().item() == 0.0  # nothing was written


@LIBS
def test_numpy_on_a_tensor_that_requires_grad(lib: Any) -> None:
    x = x_of(lib)
    with pytest.raises(RuntimeError, match=r"Can't call numpy\(\) on Tensor that requires grad"):
        x.numpy()
    assert x.detach().numpy().tolist() == [1.0, 2.0]
    with pytest.raises(RuntimeError, match="requires grad"):
        (x * 2).numpy()


@LIBS
def test_requires_grad_on_an_integer_tensor(lib: Any) -> None:
    with pytest.raises(RuntimeError, match="floating point"):
        lib.tensor([1, 2], requires_grad=True)
    with pytest.raises(RuntimeError, match="floating point"):
        lib.tensor([1, 2]).requires_grad_()


@LIBS
def test_item_of_many_elements(lib: Any) -> None:
    with pytest.raises(RuntimeError, match="6 elements cannot be converted to Scalar"):
        lib.ones(2, 3).item()


@LIBS
def test_reshape_to_the_wrong_size(lib: Any) -> None:
    with pytest.raises(RuntimeError, match=r"shape '\[4, 4\]' is invalid for input of size 6"):
        lib.ones(2, 3).reshape(4, 4)


@LIBS
def test_in_place_change_of_a_leaf_that_requires_grad(lib: Any) -> None:
    x = x_of(lib)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        x[0] = 5.0
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        x += 1
    with lib.no_grad():
        x[0] = 5.0
    assert x.tolist() == [5.0, 2.0]


@LIBS
def test_assigning_into_a_non_leaf_is_differentiable(lib: Any) -> None:
    x = x_of(lib)
    y = x * 2
    y[0] = 5.0
    y.sum().backward()
    assert x.grad.tolist() == [0.0, 2.0]


@LIBS
def test_a_backward_that_needs_overwritten_values(lib: Any) -> None:
    y = x_of(lib).exp()
    y[0] = 5.0
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


@LIBS
def test_cross_entropy_target_out_of_range(lib: Any) -> None:
    with pytest.raises(IndexError, match="out of bounds"):
        lib.nn.functional.cross_entropy(lib.zeros(2, 3), lib.tensor([0, 3]))


@LIBS
def test_binary_cross_entropy_input_outside_0_1(lib: Any) -> None:
    with pytest.raises(RuntimeError, match="between 0 and 1"):
        lib.nn.functional.binary_cross_entropy(lib.tensor([1.5]), lib.tensor([1.0]))


@LIBS
def test_mse_loss_warns_when_target_shape_differs(lib: Any) -> None:
    with pytest.warns(UserWarning, match="different to the input size"):
        lib.nn.functional.mse_loss(lib.zeros(4, 1), lib.zeros(4))


# ---- a second backward through a freed graph: forbidden exactly where torch forbids it --------

SECOND_BACKWARD: dict[str, Callable[[Any, Any], Any]] = {
    "x + x": lambda lib, x: (x + x).sum(),
    "x + 1": lambda lib, x: (x + 1).sum(),
    "1 - x": lambda lib, x: (1 - x).sum(),
    "-x": lambda lib, x: (-x).sum(),
    "sum": lambda lib, x: x.sum(),
    "mean": lambda lib, x: x.mean(),
    "reshape/T/unsqueeze": lambda lib, x: x.reshape(2, 1).T.unsqueeze(0).sum(),
    "expand": lambda lib, x: x.expand(3, 2).sum(),
    "cat/stack": lambda lib, x: lib.cat([x, x]).sum() + lib.stack([x, x]).sum(),
    "basic index": lambda lib, x: x[0],
    "2 * x": lambda lib, x: (2 * x).sum(),
    "x / 2": lambda lib, x: (x / 2).sum(),
    "2 / x": lambda lib, x: (2 / x).sum(),
    "x * x": lambda lib, x: (x * x).sum(),
    "x * w": lambda lib, x: (x * lib.ones(2)).sum(),
    "x ** 2": lambda lib, x: (x**2).sum(),
    "exp": lambda lib, x: x.exp().sum(),
    "sigmoid": lambda lib, x: x.sigmoid().sum(),
    "tanh": lambda lib, x: x.tanh().sum(),
    "relu": lambda lib, x: x.relu().sum(),
    "advanced index": lambda lib, x: x[[0, 0]].sum(),
    "matmul": lambda lib, x: x @ lib.ones(2),
    "max": lambda lib, x: x.max(),
    "mse_loss": lambda lib, x: lib.nn.functional.mse_loss(x, lib.ones(2)),
    "linear": lambda lib, x: lib.nn.functional.linear(x, lib.ones(3, 2)).sum(),
}


def second_backward_allowed(lib: Any, make: Callable[[Any, Any], Any]) -> bool:
    x = x_of(lib)
    y = make(lib, x)
    y.backward()
    try:
        y.backward()
    except RuntimeError as e:
        assert "backward through the graph a second time" in str(e)
        return False
    assert x.grad.sum().item() == pytest.approx(2 * x_of_grad_sum(lib, make))
    return True


def x_of_grad_sum(lib: Any, make: Callable[[Any, Any], Any]) -> float:
    x = x_of(lib)
    make(lib, x).backward()
    return x.grad.sum().item()


@pytest.mark.parametrize("case", list(SECOND_BACKWARD))
def test_second_backward_matches_torch(case: str) -> None:
    make = SECOND_BACKWARD[case]
    assert second_backward_allowed(vb, make) == second_backward_allowed(torch, make)


@LIBS
def test_retain_graph_allows_a_second_backward(lib: Any) -> None:
    x = x_of(lib)
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    expected = [2 * (v + 1) * float(torch.tensor(v).exp()) for v in (1.0, 2.0)]
    assert x.grad.tolist() == pytest.approx(expected, rel=1e-6)


# ---- loading state dicts -------------------------------------------------------------------


@LIBS
def test_load_state_dict_with_a_wrong_shape(lib: Any) -> None:
    model = lib.nn.Linear(3, 2)
    state = lib.nn.Linear(4, 2).state_dict()
    with pytest.raises(RuntimeError, match=r"size mismatch for weight"):
        model.load_state_dict(state)


@LIBS
def test_load_state_dict_with_missing_or_unexpected_keys(lib: Any) -> None:
    model = lib.nn.Sequential(lib.nn.Linear(3, 2), lib.nn.Linear(2, 1))
    state = dict(model.state_dict())
    del state["1.bias"]
    with pytest.raises(RuntimeError, match=r"1\.bias"):
        model.load_state_dict(state)
    result = model.load_state_dict(state, strict=False)
    assert list(result.missing_keys) == ["1.bias"] and list(result.unexpected_keys) == []
    state = dict(model.state_dict(), extra=lib.zeros(1))
    with pytest.raises(RuntimeError, match="extra"):
        model.load_state_dict(state)


def test_vibrastic_model_loads_a_torch_state_dict_and_rejects_a_wrong_one() -> None:
    t = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Sigmoid(), torch.nn.Linear(3, 1))
    v = vb.nn.Sequential(vb.nn.Linear(2, 3), vb.nn.Sigmoid(), vb.nn.Linear(3, 1))
    v.load_state_dict(t.state_dict())
    assert v[2].bias.item() == pytest.approx(t[2].bias.item())
    wrong = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.Sigmoid(), torch.nn.Linear(4, 1))
    with pytest.raises(RuntimeError, match=r"size mismatch for 0\.weight"):
        v.load_state_dict(wrong.state_dict())


@LIBS
def test_joining_no_tensors(lib: Any) -> None:
    with pytest.raises(ValueError, match="expected a non-empty list of Tensors"):
        lib.cat([])
    with pytest.raises(RuntimeError, match="stack expects a non-empty TensorList"):
        lib.stack([])
