"""Autograd invariants, each checked against torch where torch defines the behaviour."""

from __future__ import annotations

import gc
import sys
from typing import Any

import numpy as np
import pytest
import torch

import vibrastic as vb

torch.set_num_threads(1)

LIBS = pytest.mark.parametrize("lib", [vb, torch], ids=["vibrastic", "torch"])


def leaf(lib: Any, values: Any) -> Any:
    return lib.tensor(values, dtype=lib.float64, requires_grad=True)


# ---- accumulation into leaves ---------------------------------------------------------------


@LIBS
def test_backward_accumulates_into_leaves(lib: Any) -> None:
    x = leaf(lib, [1.0, 2.0, 3.0])
    (x * x).sum().backward()
    first = x.grad
    assert x.grad.tolist() == [2.0, 4.0, 6.0]
    (x * x).sum().backward()  # a new graph: gradients add up
    assert x.grad.tolist() == [4.0, 8.0, 12.0]
    assert first is x.grad  # accumulated in place, so an earlier reference sees the sum
    y = (x * 3).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.tolist() == [10.0, 14.0, 18.0]
    x.grad.zero_()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]
    x.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0, 1.0]


@LIBS
def test_zero_grad_sets_grads_to_none(lib: Any) -> None:
    model = lib.nn.Linear(2, 1)
    model(lib.ones(3, 2)).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    opt = lib.optim.SGD(model.parameters(), lr=0.1)
    model(lib.ones(3, 2)).sum().backward()
    opt.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    model(lib.ones(3, 2)).sum().backward()
    model.zero_grad(set_to_none=False)
    assert all(p.grad is not None and p.grad.abs().sum().item() == 0 for p in model.parameters())


# ---- graphs that reuse nodes (micrograd's bugs) ---------------------------------------------


@LIBS
def test_reused_intermediate_node(lib: Any) -> None:
    a = leaf(lib, 3.0)
    b = a + a  # micrograd issue #2 / PR #64
    c = b + b
    c.backward()
    assert c.item() == 12.0 and a.grad.item() == 4.0


@LIBS
def test_tensor_used_twice_in_one_op(lib: Any) -> None:
    x = leaf(lib, [1.5, -2.0])
    (x * x).sum().backward()
    assert x.grad.tolist() == [3.0, -4.0]
    y = leaf(lib, 3.0)
    (y / y + y**y).backward()
    assert y.grad.item() == pytest.approx(27 * (np.log(3.0) + 1), rel=1e-12)


def micrograd_sanity(lib: Any) -> tuple[float, float]:
    x = leaf(lib, -4.0)
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    y.backward()
    return y.item(), x.grad.item()


def micrograd_more_ops(lib: Any) -> tuple[float, float, float]:
    a = leaf(lib, -4.0)
    b = leaf(lib, 2.0)
    c = a + b
    d = a * b + b**3
    c = c + c + 1
    c = c + 1 + c + (-a)
    d = d + d * 2 + (b + a).relu()
    d = d + 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g = g + 10.0 / f
    g.backward()
    return g.item(), a.grad.item(), b.grad.item()


def test_micrograd_sanity_checks_match_torch() -> None:
    np.testing.assert_allclose(micrograd_sanity(vb), micrograd_sanity(torch), rtol=1e-12)
    np.testing.assert_allclose(micrograd_more_ops(vb), micrograd_more_ops(torch), rtol=1e-12)
    assert micrograd_more_ops(vb)[0] == pytest.approx(24.70408163265306, rel=1e-12)


def test_diamond_graph_with_broadcasting_matches_torch() -> None:
    def run(lib: Any) -> list[np.ndarray]:
        w = leaf(lib, [[0.5, -1.0, 2.0]])
        b = leaf(lib, [0.1])
        h = (w * lib.tensor([[1.0], [2.0]], dtype=lib.float64) + b).tanh()
        out = (h * h.sigmoid()).sum() + h.mean() * (w * w).sum()
        out.backward()
        return [w.grad.numpy(), b.grad.numpy()]

    for a, e in zip(run(vb), run(torch), strict=True):
        np.testing.assert_allclose(a, e, rtol=1e-12)


# ---- non-leaf gradients ---------------------------------------------------------------------


def test_non_leaf_grad_is_none_unless_retained() -> None:
    x = leaf(vb, [1.0, 2.0])
    y = x * 2
    z = y * y
    z.retain_grad()
    z.sum().backward()
    assert y.grad is None and not y.is_leaf
    assert z.grad.tolist() == [1.0, 1.0]
    assert x.grad.tolist() == [8.0, 16.0]
    assert x.is_leaf and x.grad_fn is None and y.grad_fn is not None


# ---- no_grad and detach ---------------------------------------------------------------------


@LIBS
def test_no_grad_records_nothing_and_nests(lib: Any) -> None:
    x = leaf(lib, [1.0, 2.0])
    with lib.no_grad():
        y = x * 2 + 1
        assert not lib.is_grad_enabled()
        with lib.no_grad():
            pass
        assert not lib.is_grad_enabled()  # still off after the inner block
        with lib.enable_grad():
            z = x * 3
        w = x.exp()
    assert lib.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None and y.is_leaf
    assert not w.requires_grad
    assert z.requires_grad and z.grad_fn is not None
    with lib.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert lib.is_grad_enabled()


@LIBS
def test_no_grad_restores_the_mode_after_an_exception(lib: Any) -> None:
    with pytest.raises(ZeroDivisionError), lib.no_grad():
        raise ZeroDivisionError
    assert lib.is_grad_enabled()


@LIBS
def test_no_grad_as_a_decorator(lib: Any) -> None:
    @lib.no_grad()
    def double(t: Any) -> Any:
        return t * 2

    @lib.no_grad  # torch also accepts the bare decorator
    def countdown(t: Any, n: int) -> Any:
        return t if n == 0 else countdown(t * 1, n - 1)

    x = leaf(lib, [1.0])
    assert not double(x).requires_grad
    assert not countdown(x, 3).requires_grad
    assert lib.is_grad_enabled() and (x * 2).requires_grad


@LIBS
def test_manual_sgd_update_under_no_grad_changes_the_parameter(lib: Any) -> None:
    w = leaf(lib, [1.0, -2.0])
    original = w
    for _ in range(3):
        loss = (w * w).sum()
        loss.backward()
        with lib.no_grad():
            w -= 0.25 * w.grad  # the textbook update: in place, w stays the same leaf
        w.grad.zero_()
    assert w is original and w.requires_grad and w.is_leaf
    np.testing.assert_allclose(w.detach().numpy(), [0.125, -0.25])
    w.data -= 0.125 * w.detach()  # the old-style update through .data
    w.data.mul_(2.0)
    w.data.add_(lib.tensor([1.0, 1.0], dtype=lib.float64), alpha=0.5)
    np.testing.assert_allclose(w.detach().numpy(), [0.71875, 0.0625])
    with pytest.raises(RuntimeError, match="in-place"):
        w += 1  # outside no_grad: torch forbids changing a leaf that requires grad


@LIBS
def test_in_place_op_on_a_plain_tensor_and_inside_the_graph(lib: Any) -> None:
    t = lib.tensor([1.0, 2.0], dtype=lib.float64)
    same = t
    t += 1
    t *= 2
    t /= 4
    t -= 0.5
    assert t is same and t.tolist() == [0.5, 1.0]
    x = leaf(lib, [1.0, 2.0])
    acc = lib.zeros(2, dtype=lib.float64)
    acc += x * x  # acc joins the graph
    acc.sum().backward()
    assert acc.requires_grad and x.grad.tolist() == [2.0, 4.0]


@LIBS
def test_detach_shares_memory_and_stops_gradients(lib: Any) -> None:
    x = leaf(lib, [1.0, 2.0])
    d = x.detach()
    assert not d.requires_grad and d.grad_fn is None
    d[0] = 10.0  # shares memory with x
    assert x[0].item() == 10.0
    y = (x * d).sum()
    y.backward()
    assert x.grad.tolist() == [10.0, 2.0]  # d is a constant


# ---- deep graphs ----------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [10_000, 100_000])
def test_deep_graph_backward_and_free_without_recursion(depth: int) -> None:
    limit = sys.getrecursionlimit()
    x = leaf(vb, 1.0)
    y = x
    for _ in range(depth):
        y = y * 1.000001
    y.backward()
    assert x.grad.item() == pytest.approx(1.000001**depth, rel=1e-9)
    del y
    gc.collect()
    y = x  # a graph that is freed without a backward pass
    for _ in range(depth):
        y = y + 1.0
    del y
    gc.collect()
    assert sys.getrecursionlimit() == limit


def test_deep_mixed_graph_matches_torch() -> None:
    def run(lib: Any) -> float:
        x = leaf(lib, [0.3, -0.2])
        y = x
        for i in range(10_000):
            y = (y.tanh() + y * 0.5) if i % 2 else (y.sigmoid() - 0.5) * 2 + y * 0.1
        y.sum().backward()
        return x.grad.numpy().copy()

    np.testing.assert_allclose(run(vb), run(torch), rtol=1e-9, atol=1e-300)


# ---- ops never change their inputs ---------------------------------------------------------

INPUT_OPS = {
    "arith": lambda lib, x, w: (x + w * 2 - w / 3) ** 2,
    "unary": lambda lib, x, w: x.exp() + x.abs().sqrt() + x.sigmoid() + x.tanh() + x.relu(),
    "shapes": lambda lib, x, w: x.reshape(3, 2).T.permute(1, 0)[1:, [0, 0]].unsqueeze(0),
    "reduce": lambda lib, x, w: x.sum(dim=0) + x.mean(dim=1, keepdim=True) + x.max(),
    "linear": lambda lib, x, w: lib.nn.functional.linear(x, w, w[0, :2]),
    "matmul": lambda lib, x, w: x @ w.T,
    "softmax": lambda lib, x, w: lib.softmax(x, dim=1) + lib.log_softmax(x, dim=0),
    "losses": lambda lib, x, w: lib.nn.functional.mse_loss(x, w) + lib.nn.functional.cross_entropy(
        x, lib.tensor([0, 2])),
    "join": lambda lib, x, w: lib.cat([x, w], 0) + lib.stack([x, w]).sum(0).sum(0),
    "clamp_where": lambda lib, x, w: lib.where(x > 0, x, w).clamp(-0.5, 0.5),
}


@pytest.mark.parametrize("name", list(INPUT_OPS))
def test_inputs_are_never_mutated(name: str) -> None:
    rng = np.random.default_rng(0)
    xa, wa = rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    x, w = vb.tensor(xa, requires_grad=True), vb.tensor(wa, requires_grad=True)
    out = INPUT_OPS[name](vb, x, w)
    out.sum().backward()
    np.testing.assert_array_equal(x.detach().numpy(), xa)
    np.testing.assert_array_equal(w.detach().numpy(), wa)


# ---- modules: parameters and state_dict ------------------------------------------------------


class Net:
    """The same custom architecture in both engines (attribute order decides parameter order)."""

    @staticmethod
    def build(lib: Any) -> Any:
        class Custom(lib.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.hidden = lib.nn.Sequential(lib.nn.Linear(4, 8), lib.nn.ReLU(),
                                                lib.nn.Linear(8, 6, bias=False))
                self.act = lib.nn.LeakyReLU(0.1)
                self.out = lib.nn.Linear(6, 3)

            def forward(self, x: Any) -> Any:
                return self.out(self.act(self.hidden(x)))

        return Custom()


def test_parameter_order_and_names_match_torch() -> None:
    v, t = Net.build(vb), Net.build(torch)
    v_names = [(n, tuple(p.shape)) for n, p in v.named_parameters()]
    t_names = [(n, tuple(p.shape)) for n, p in t.named_parameters()]
    assert v_names == t_names
    assert [tuple(p.shape) for p in v.parameters()] == [tuple(p.shape) for p in t.parameters()]
    assert list(v.state_dict()) == list(t.state_dict())


def test_own_parameters_come_before_sub_modules_like_torch() -> None:
    def build(lib: Any) -> Any:
        class Scaled(lib.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.fc = lib.nn.Linear(2, 2)
                self.scale = lib.nn.Parameter(lib.ones(2))

            def forward(self, x: Any) -> Any:
                return self.fc(x) * self.scale

        return Scaled()

    names = [[n for n, _ in build(lib).named_parameters()] for lib in (vb, torch)]
    assert names[0] == names[1] == ["scale", "fc.weight", "fc.bias"]


def test_state_dict_round_trip_and_torch_state_dict() -> None:
    t = Net.build(torch).double()
    v = Net.build(vb).double()
    v.load_state_dict(t.state_dict())
    x = np.random.default_rng(2).standard_normal((5, 4))
    np.testing.assert_allclose(v(vb.tensor(x)).detach().numpy(),
                               t(torch.tensor(x)).detach().numpy(), rtol=1e-12)
    copy = Net.build(vb).double()
    result = copy.load_state_dict(v.state_dict())
    assert list(result.missing_keys) == [] and list(result.unexpected_keys) == []
    for (n1, p1), (n2, p2) in zip(copy.named_parameters(), v.named_parameters(), strict=True):
        assert n1 == n2
        np.testing.assert_array_equal(p1.detach().numpy(), p2.detach().numpy())
        assert p1 is not p2
    sd = v.state_dict()
    assert not any(value.requires_grad for value in sd.values())
    with vb.no_grad():
        sd["out.bias"][0] = 42.0  # state_dict values share memory with the parameters
    assert v.out.bias[0].item() == 42.0
    back = Net.build(torch).double()  # and a vibrastic state_dict loads into torch
    back.load_state_dict({k: torch.tensor(p.numpy()) for k, p in v.state_dict().items()})
    np.testing.assert_allclose(back(torch.tensor(x)).detach().numpy(),
                               v(vb.tensor(x)).detach().numpy(), rtol=1e-12)


def test_loading_keeps_the_parameter_objects_and_dtype() -> None:
    t = torch.nn.Linear(3, 2)  # float32 in torch
    v = vb.nn.Linear(3, 2).double()
    w = v.weight
    v.load_state_dict(t.state_dict())
    assert v.weight is w and v.weight.dtype == vb.float64
    np.testing.assert_allclose(v.weight.detach().numpy(), t.weight.detach().numpy())


def test_optimizer_steps_do_not_grow_the_graph() -> None:
    vb.manual_seed(0)
    model = vb.nn.Sequential(vb.nn.Linear(2, 3), vb.nn.Sigmoid(), vb.nn.Linear(3, 1))
    opt = vb.optim.Adam(model.parameters(), lr=0.01)
    for _ in range(5):
        opt.zero_grad()
        model(vb.ones(4, 2)).sum().backward()
        opt.step()
        for p in model.parameters():
            assert p.is_leaf and p.grad_fn is None and p.requires_grad
            assert p.grad.is_leaf and not p.grad.requires_grad


def test_graphs_are_freed_by_reference_counting_alone() -> None:
    """No reference cycles: a training step's intermediates die when the step returns."""
    import weakref

    F = vb.nn.functional
    net = vb.nn.Sequential(vb.nn.Linear(2, 3), vb.nn.Sigmoid(), vb.nn.Linear(3, 1))
    x = vb.ones(4, 2)
    refs: list[weakref.ref[Any]] = []

    def step(backward: bool) -> None:
        h = net[0](x)
        a = net[1](h)
        out = net[2](a)
        loss = (F.mse_loss(out, vb.zeros(4, 1)) + out[[0, 0]].sum() + vb.cat([out, out]).max()
                + F.cross_entropy(out.expand(4, 2), vb.tensor([0, 1, 0, 1])))
        refs.extend(weakref.ref(t) for t in (h, a, out, loss))
        if backward:
            loss.backward()

    gc.disable()
    try:
        step(backward=True)
        step(backward=False)
        assert all(r() is None for r in refs)
    finally:
        gc.enable()


@LIBS
def test_numpy_bridges_share_memory_and_tensor_copies(lib: Any) -> None:
    arr = np.array([1.0, 2.0])
    shared = lib.from_numpy(arr)
    copied = lib.tensor(arr)
    arr[0] = 9.0
    assert shared[0].item() == 9.0 and copied[0].item() == 1.0
    t = lib.tensor([1.0, 2.0])
    t.numpy()[1] = 7.0  # numpy() is a view, as in torch
    assert t.tolist() == [1.0, 7.0]
    assert shared.dtype == lib.float64


def test_tensor_from_a_torch_tensor_copies_values_and_dtype() -> None:
    t = torch.tensor([[1.5, 2.5]], dtype=torch.float64)
    v = vb.tensor(t)
    assert v.dtype == vb.float64 and v.tolist() == [[1.5, 2.5]]
    t[0, 0] = 0.0
    assert v.tolist() == [[1.5, 2.5]]
