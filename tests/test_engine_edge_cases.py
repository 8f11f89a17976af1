"""Edge cases a learner hits: in-place ops inside a graph, comparisons with None, dtype moves."""

import numpy as np
import pytest
import torch

import vibrastic as vb


def test_in_place_method_on_a_graph_tensor_raises_instead_of_doing_nothing() -> None:
    x = vb.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    with pytest.raises(RuntimeError, match="out of place"):
        h.mul_(3)
    acc = vb.zeros(2)
    with pytest.raises(RuntimeError, match="out of place"):
        acc.add_(x * 2)


def test_augmented_assignment_in_a_graph_rebinds_to_the_out_of_place_result() -> None:
    x = vb.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    h *= 3
    h.sum().backward()
    assert h.tolist() == [6.0, 12.0]
    assert x.grad.tolist() == [6.0, 6.0]


def test_assigning_a_value_that_needs_gradients_raises() -> None:
    w = vb.tensor([1.0, 2.0], requires_grad=True)
    out = vb.zeros(2)
    with pytest.raises(RuntimeError, match="out of place"):
        out[0] = (w * 3).sum()
    with vb.no_grad():
        out[0] = (w * 3).sum()
    assert out.tolist() == [9.0, 0.0]


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
