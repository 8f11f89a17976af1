"""Tensor hooks (``register_hook``) as torch runs them, side by side with torch, and vb.compile
running a step eagerly while a hook could be bypassed by its generated backward."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
import torch

import vibrastic as vb
from vibrastic.compiler import CompileWarning

LIBS = pytest.mark.parametrize("lib", [vb, torch], ids=["vibrastic", "torch"])


@pytest.fixture(autouse=True)
def _no_hooks_left_behind() -> Iterator[None]:
    """A tensor with hooks keeps vb.compile's steps eager while it lives: none may outlive its
    test (they go with their tensors, or with handle.remove())."""
    yield
    gc.collect()
    assert not vb.autograd._hooked


@LIBS
def test_hooks_see_and_replace_gradients(lib: Any) -> None:
    seen: list[tuple[str, list[float]]] = []
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    x.register_hook(lambda g: seen.append(("x", g.tolist())))
    h.register_hook(lambda g: seen.append(("h", g.tolist())))
    h.register_hook(lambda g: g * 10)  # replaces h's gradient for what follows
    h.register_hook(lambda g: seen.append(("h after", g.tolist())))
    h.retain_grad()
    (h * h).sum().backward()
    assert seen == [("h", [6.0, 12.0]), ("h after", [60.0, 120.0]), ("x", [180.0, 360.0])]
    assert h.grad.tolist() == [60.0, 120.0]  # retain_grad keeps what the hooks made
    assert x.grad.tolist() == [180.0, 360.0]


@LIBS
def test_a_leaf_hook_changes_what_is_accumulated_and_can_be_removed(lib: Any) -> None:
    w = lib.tensor([1.0, -1.0], requires_grad=True)
    handle = w.register_hook(lambda g: g.clamp(-0.5, 0.5))
    (w * lib.tensor([2.0, -0.25])).sum().backward()
    assert w.grad.tolist() == [0.5, -0.25]
    handle.remove()
    handle.remove()  # twice: nothing more happens
    w.grad = None
    (w * lib.tensor([2.0, -0.25])).sum().backward()
    assert w.grad.tolist() == [2.0, -0.25]


@LIBS
def test_hooks_registered_before_an_in_place_change_see_the_earlier_version(lib: Any) -> None:
    seen: list[tuple[str, list[float]]] = []
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.register_hook(lambda g: seen.append(("before", g.tolist())))
    y[0] = 0.0
    after = y.register_hook(lambda g: seen.append(("after", g.tolist())))
    (y * lib.tensor([3.0, 4.0])).sum().backward()
    assert seen == [("after", [3.0, 4.0]), ("before", [0.0, 4.0])]
    after.remove()


@LIBS
def test_hooks_need_a_tensor_that_requires_grad(lib: Any) -> None:
    with pytest.raises(RuntimeError, match="cannot register a hook on a tensor that doesn't "
                                           "require gradient"):
        lib.ones(2).register_hook(print)


def test_a_hook_that_returns_the_wrong_thing_says_so() -> None:
    x = vb.tensor([1.0, 2.0], requires_grad=True)
    x.register_hook(lambda g: g.tolist())
    with pytest.raises(TypeError, match="a hook must return a tensor or None, got list"):
        x.sum().backward()
    y = vb.tensor([1.0, 2.0], requires_grad=True)
    handle = y.register_hook(lambda g: g.sum())
    with pytest.raises(RuntimeError, match=r"hook returned a gradient of shape \[\], expected "
                                           r"\[2\]"):
        y.sum().backward()
    handle.remove()
    assert id(y) not in vb.autograd._hooked


def test_vb_compile_runs_a_step_eagerly_while_a_parameter_has_a_hook() -> None:
    """A compiled step's backward is generated code, which would not call the hook: while one
    is registered the step runs eagerly (and says so), and trains exactly as eager does."""
    nets = [vb.nn.Linear(3, 1) for _ in range(2)]
    nets[1].load_state_dict(nets[0].state_dict())
    opts = [vb.optim.SGD(n.parameters(), lr=0.1) for n in nets]
    x, y = vb.randn(8, 3), vb.randn(8, 1)

    def step_for(i: int) -> Any:
        def step() -> Any:
            opts[i].zero_grad()
            loss = ((nets[i](x) - y) ** 2).mean()
            loss.backward()
            opts[i].step()
            return loss
        return step

    compiled, eager = vb.compile(step_for(0)), step_for(1)
    compiled()
    eager()  # compiled and traced without hooks
    halve = [n.weight.register_hook(lambda g: g / 2) for n in nets]
    with pytest.warns(CompileWarning, match="hooks"):
        compiled()
    eager()
    for handle in halve:
        handle.remove()
    compiled()
    eager()
    assert nets[0].weight.tolist() == nets[1].weight.tolist()
    assert np.array_equal(nets[0].bias.detach().numpy(), nets[1].bias.detach().numpy())
