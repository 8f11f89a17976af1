"""Edge cases a learner hits: in-place ops inside a graph, comparisons with None, dtype moves."""

import numpy as np
import pytest
import torch

import vibrastic as vb


def test_in_place_method_on_a_graph_tensor_changes_it_and_its_graph() -> None:
    """torch's rule (more cases against torch: test_engine_inplace_graph.py)."""
    x = vb.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    alias = h
    h.mul_(3)
    assert alias.tolist() == [6.0, 12.0] and h.grad_fn.name() == "MulBackward0"
    acc = vb.zeros(2)
    acc.add_(x * 2)
    (h.sum() + acc.sum()).backward()
    assert x.grad.tolist() == [8.0, 8.0]


def test_augmented_assignment_in_a_graph_rebinds_to_the_out_of_place_result() -> None:
    x = vb.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    h *= 3
    h.sum().backward()
    assert h.tolist() == [6.0, 12.0]
    assert x.grad.tolist() == [6.0, 6.0]


def test_assigning_a_value_that_needs_gradients_puts_it_in_the_graph() -> None:
    w = vb.tensor([1.0, 2.0], requires_grad=True)
    out = vb.zeros(2)
    out[0] = (w * 3).sum()
    assert out.requires_grad and out.grad_fn.name() == "CopySlices"
    out.sum().backward()
    assert w.grad.tolist() == [3.0, 3.0]
    with vb.no_grad():
        out2 = vb.zeros(2)
        out2[0] = (w * 3).sum()
    assert out2.tolist() == [9.0, 0.0] and not out2.requires_grad


def test_comparing_with_none_is_false_like_torch() -> None:
    x = vb.tensor([1.0, 2.0], requires_grad=True)
    assert (x.grad == None) is (torch.tensor([1.0]).grad == None)  # noqa: E711
    assert x.grad is None
    assert (x != None) is True  # noqa: E711
    with pytest.raises(TypeError):
        _ = x < "a"


def test_to_accepts_a_device_then_a_dtype() -> None:
    x = vb.tensor([1.0, 2.0])
    assert x.to("cpu", vb.float64).dtype == vb.float64
    assert x.to("cpu").dtype == vb.float32
    net = vb.nn.Linear(2, 1).to("cpu", vb.float64)
    assert net.weight.dtype == vb.float64


def test_integer_conversion_leaves_the_graph_like_torch() -> None:
    x = vb.tensor([1.5, 2.5], requires_grad=True)
    t = torch.tensor([1.5, 2.5], requires_grad=True)
    assert x.long().requires_grad == t.long().requires_grad is False
    assert x.long().dtype == vb.int64


def test_linear_follows_the_default_dtype() -> None:
    vb.set_default_dtype(vb.float64)
    try:
        layer = vb.nn.Linear(2, 1)
        out = layer(vb.ones(1, 2))
        assert layer.weight.dtype == vb.float64 and out.dtype == vb.float64
    finally:
        vb.set_default_dtype(vb.float32)
    assert vb.nn.Linear(2, 1).weight.dtype == vb.float32


def test_sigmoid_is_stable_far_from_zero() -> None:
    x = vb.tensor([-800.0, -50.0, 0.0, 50.0, 800.0], dtype=vb.float64)
    expected = torch.sigmoid(torch.tensor(x.numpy())).numpy()
    np.testing.assert_allclose(vb.sigmoid(x).numpy(), expected, rtol=1e-12, atol=0)


@pytest.mark.parametrize("dim", [None, 0, 1, (0, 1)])
@pytest.mark.parametrize("correction", [0, 1])
def test_var_and_std_match_torch_values_and_gradients(dim, correction) -> None:
    data = np.random.default_rng(3).standard_normal((4, 5))
    for name in ("var", "std"):
        xv = vb.tensor(data, requires_grad=True)
        xt = torch.tensor(data, requires_grad=True)
        ov = getattr(xv, name)(dim, correction=correction)
        ot = getattr(xt, name)(dim, correction=correction)
        np.testing.assert_allclose(ov.detach().numpy(), ot.detach().numpy(), rtol=1e-12)
        ov.sum().backward()
        ot.sum().backward()
        np.testing.assert_allclose(xv.grad.numpy(), xt.grad.numpy(), rtol=1e-10, atol=1e-14)


def test_remainder_floor_division_and_logic_like_torch() -> None:
    data = [3.5, -2.0, 7.25]
    xv, xt = vb.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    (xv % 2).sum().backward()
    (xt % 2).sum().backward()
    assert (xv % 2).tolist() == (xt % 2).tolist()
    assert xv.grad.tolist() == xt.grad.tolist()
    assert (vb.tensor(data) // 2).tolist() == (torch.tensor(data) // 2).tolist()
    a, b = [True, True, False], [True, False, False]
    assert (vb.tensor(a) & vb.tensor(b)).tolist() == (torch.tensor(a) & torch.tensor(b)).tolist()
    assert (vb.tensor(a) | vb.tensor(b)).tolist() == (torch.tensor(a) | torch.tensor(b)).tolist()


def test_full_infers_its_dtype_and_zero_d_reductions_accept_dim_zero() -> None:
    for value in (3, 3.0, True):
        assert vb.full((2,), value).dtype.name == str(torch.full((2,), value).dtype).split(".")[1]
    assert vb.tensor(3.0).sum(0).item() == torch.tensor(3.0).sum(0).item()
    assert vb.tensor(3.0).mean(-1).item() == 3.0
