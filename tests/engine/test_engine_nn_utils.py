"""``vb.nn.utils`` (gradient clipping, parameters <-> vector) against ``torch.nn.utils``."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
import torch

import vibrastic as vb

torch.set_num_threads(1)

LIBS = pytest.mark.parametrize("lib", [vb, torch], ids=["vibrastic", "torch"])
SHAPES = [(5, 3), (3,), (7,), ()]


def grads_of(lib: Any, arrays: list[np.ndarray], without_grad: int | None = None) -> list[Any]:
    """Parameters (zeros) whose .grad are copies of ``arrays``; one may have no grad."""
    params = [lib.nn.Parameter(lib.tensor(np.zeros_like(a))) for a in arrays]
    for i, (p, a) in enumerate(zip(params, arrays, strict=True)):
        p.grad = None if i == without_grad else lib.tensor(a.copy())
    return params


def random_grads(dtype: type, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [np.asarray(rng.standard_normal(s) * 3, dtype=dtype) for s in SHAPES]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("norm_type", [2.0, 1.0, float("inf"), 3.0, 0.5])
@pytest.mark.parametrize("max_norm", [0.5, 1e3])
def test_clip_grad_norm_matches_torch(dtype: type, norm_type: float, max_norm: float) -> None:
    arrays = random_grads(dtype)
    out = {}
    for lib in (vb, torch):
        params = grads_of(lib, arrays, without_grad=1)
        held = params[0].grad  # a reference taken before clipping sees the change
        total = lib.nn.utils.clip_grad_norm_(params, max_norm, norm_type=norm_type)
        assert held is params[0].grad and params[1].grad is None
        out[lib] = total, [p.grad.numpy() for p in params if p.grad is not None]
    (v_total, v_grads), (t_total, t_grads) = out[vb], out[torch]
    assert v_total.shape == t_total.shape == () and str(v_total.dtype) == str(
        t_total.dtype).replace("torch", "vibrastic")
    tol = 1e-6 if dtype is np.float32 else 1e-13
    np.testing.assert_allclose(v_total.numpy(), t_total.numpy(), rtol=tol)
    for a, b in zip(v_grads, t_grads, strict=True):
        assert a.dtype == b.dtype
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)
    if max_norm > 1e2:  # never scaled up: the coefficient is clamped to 1
        for a, b in zip(v_grads, [x for i, x in enumerate(arrays) if i != 1], strict=True):
            np.testing.assert_array_equal(a, b)


@LIBS
def test_clip_grad_norm_takes_a_single_tensor_and_a_generator(lib: Any) -> None:
    w = lib.tensor([1.0, 1.0], requires_grad=True)
    (3 * w[0] + 4 * w[1]).backward()
    assert lib.nn.utils.clip_grad_norm_(w, 1.0).item() == pytest.approx(5.0)
    assert w.grad.tolist() == pytest.approx([0.6, 0.8])
    model = lib.nn.Linear(3, 2)
    model(lib.ones(4, 3)).sum().backward()
    expected = np.sqrt(sum(float((p.grad ** 2).sum()) for p in model.parameters()))
    total = lib.nn.utils.clip_grad_norm_(model.parameters(), 0.1)
    assert total.item() == pytest.approx(expected, rel=1e-6)
    clipped = np.sqrt(sum(float((p.grad ** 2).sum()) for p in model.parameters()))
    assert clipped == pytest.approx(0.1, rel=1e-5)
    assert lib.nn.utils.clip_grad_norm_([lib.zeros(2, requires_grad=True)], 1.0).item() == 0.0
    with pytest.warns(UserWarning, match="empty generator"):
        lib.nn.utils.clip_grad_norm_((p for p in []), 1.0)


@LIBS
def test_clip_grad_norm_nonfinite(lib: Any) -> None:
    w = lib.nn.Parameter(lib.tensor([1.0, 2.0]))
    w.grad = lib.tensor([float("inf"), 1.0])
    with pytest.raises(RuntimeError, match="non-finite, so it cannot be clipped"):
        lib.nn.utils.clip_grad_norm_([w], 1.0, error_if_nonfinite=True)
    assert w.grad.tolist() == [float("inf"), 1.0]  # untouched when it raises
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        total = lib.nn.utils.clip_grad_norm_([w], 1.0)  # scales by the inf norm, as torch
    assert total.item() == float("inf") and np.isnan(w.grad[0].item()) and w.grad[1].item() == 0


@LIBS
def test_negative_max_norm_flips_the_gradients_as_torch_does(lib: Any) -> None:
    w = lib.nn.Parameter(lib.tensor([3.0, 4.0]))
    w.grad = lib.tensor([3.0, 4.0])
    lib.nn.utils.clip_grad_norm_([w], -1.0)  # torch does not check max_norm
    assert w.grad.tolist() == pytest.approx([-0.6, -0.8])


@LIBS
def test_clip_grad_value(lib: Any) -> None:
    arrays = random_grads(np.float32, seed=3)
    params = grads_of(lib, arrays, without_grad=2)
    held = params[0].grad
    assert lib.nn.utils.clip_grad_value_(params, 1.5) is None
    for i, (p, a) in enumerate(zip(params, arrays, strict=True)):
        if i == 2:
            assert p.grad is None
        else:
            np.testing.assert_array_equal(p.grad.numpy(), np.clip(a, -1.5, 1.5))
    assert held is params[0].grad
    w = lib.nn.Parameter(lib.tensor([-3.0, 0.5, 3.0]))
    w.grad = lib.tensor([-3.0, 0.5, 3.0])
    lib.nn.utils.clip_grad_value_(w, -1.0)  # a negative clip_value: every entry becomes it
    assert w.grad.tolist() == [-1.0, -1.0, -1.0]


@LIBS
def test_parameters_to_vector_and_back(lib: Any) -> None:
    lib.manual_seed(0)
    model = lib.nn.Sequential(lib.nn.Linear(3, 2), lib.nn.Linear(2, 1))
    vec = lib.nn.utils.parameters_to_vector(model.parameters())
    assert vec.shape == (11,) and vec.grad_fn is not None
    np.testing.assert_array_equal(
        vec.detach().numpy(), np.concatenate([p.detach().numpy().ravel()
                                              for p in model.parameters()]))
    new = lib.arange(11, dtype=lib.float32)
    lib.nn.utils.vector_to_parameters(new, model.parameters())
    assert model[0].weight.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    assert model[1].bias.tolist() == [10.0]
    new[0] = 100.0  # the parameters share the vector's memory, as in torch
    assert model[0].weight[0, 0].item() == 100.0
    assert model[0].weight.requires_grad and model[0].weight.is_leaf
    with pytest.raises(TypeError, match=r"expected .*Tensor, but got: list"):
        lib.nn.utils.vector_to_parameters([1.0] * 11, model.parameters())
    with pytest.raises(RuntimeError, match="invalid for input of size"):
        lib.nn.utils.vector_to_parameters(lib.zeros(4), model.parameters())
    with pytest.raises(ValueError, match="expected a non-empty list of Tensors"):
        lib.nn.utils.parameters_to_vector([])


def test_a_module_instead_of_its_parameters_is_a_type_error() -> None:
    for lib in (vb, torch):
        with pytest.raises(TypeError):
            lib.nn.utils.clip_grad_norm_(lib.nn.Linear(2, 2), 1.0)
    with pytest.raises(TypeError, match=r"pass model\.parameters\(\)"):
        vb.nn.utils.clip_grad_norm_(vb.nn.Linear(2, 2), 1.0)
    with pytest.raises(AttributeError, match="torch deprecated it; use clip_grad_norm_"):
        vb.nn.utils.clip_grad_norm  # noqa: B018  (deprecated in torch: left out)


def clipped_training(compiled: bool, clip: Any) -> tuple[list[float], list[np.ndarray]]:
    """Six SGD steps with gradient clipping between backward() and step()."""
    vb.manual_seed(0)
    net = vb.nn.Sequential(vb.nn.Linear(3, 8), vb.nn.Tanh(), vb.nn.Linear(8, 1))
    opt = vb.optim.SGD(net.parameters(), lr=0.5)

    def step(x: vb.Tensor, y: vb.Tensor) -> vb.Tensor:
        opt.zero_grad()
        loss = vb.nn.functional.mse_loss(net(x), y)
        loss.backward()
        clip(net.parameters())
        opt.step()
        return loss

    run = vb.compile(step, fullgraph=True) if compiled else step  # fullgraph: no eager fallback
    rng = np.random.default_rng(0)
    x = vb.tensor(rng.standard_normal((16, 3)), dtype=vb.float32)
    y = vb.tensor(rng.standard_normal((16, 1)) * 10, dtype=vb.float32)
    losses = [run(x, y).item() for _ in range(6)]
    return losses, [p.detach().numpy().copy() for p in net.parameters()]


@pytest.mark.parametrize("clip", [
    lambda ps: vb.nn.utils.clip_grad_norm_(ps, 0.1),
    lambda ps: vb.nn.utils.clip_grad_norm_(ps, 0.05, norm_type=float("inf")),
    lambda ps: vb.nn.utils.clip_grad_value_(ps, 0.01),
], ids=["norm", "inf-norm", "value"])
def test_vb_compile_records_gradient_clipping(clip: Any) -> None:
    eager_losses, eager_params = clipped_training(False, clip)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no CompileWarning: the step is compiled, not eager
        losses, params = clipped_training(True, clip)
    assert losses == eager_losses
    for a, b in zip(params, eager_params, strict=True):
        np.testing.assert_array_equal(a, b)
    unclipped, _ = clipped_training(False, lambda ps: None)
    assert unclipped != eager_losses  # clipping changed the training
