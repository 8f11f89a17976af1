"""``vb.compile(model)``: the forward runs as generated code and its backward as one fused
autograd node, so the usual eager loop (loss, backward, step) gives eager's numbers."""

from __future__ import annotations

from typing import Any

import numpy as np

import vibrastic as vb
from vibrastic.ml.labs.xor import XOR_TABLE, initial_weights, xor_class


def mlp(seed: int = 0) -> vb.nn.Module:
    vb.manual_seed(seed)
    return vb.nn.Sequential(vb.nn.Linear(4, 8), vb.nn.Tanh(), vb.nn.Linear(8, 3))


def assert_same_parameters(a: vb.nn.Module, b: vb.nn.Module) -> None:
    for (name, p), (_, q) in zip(a.named_parameters(), b.named_parameters(), strict=True):
        np.testing.assert_array_equal(p.numpy(force=True), q.numpy(force=True), err_msg=name)
        np.testing.assert_array_equal(p.grad.numpy(), q.grad.numpy(), err_msg=name)


def test_an_eager_training_loop_over_a_compiled_model_matches_eager() -> None:
    eager, model = mlp(), mlp()
    compiled = vb.compile(model, backend="numpy", fullgraph=True)
    opts = [vb.optim.Adam(eager.parameters(), lr=0.01),
            vb.optim.Adam(compiled.parameters(), lr=0.01)]
    rng = np.random.default_rng(0)
    for _ in range(6):
        x = vb.tensor(rng.standard_normal((5, 4)), dtype=vb.float32)
        y = vb.tensor(rng.integers(0, 3, 5))
        losses = []
        for net, opt in zip((eager, compiled), opts, strict=True):
            opt.zero_grad()
            loss = vb.nn.functional.cross_entropy(net(x), y)
            loss.backward()
            opt.step()
            losses.append(loss.item())
        assert losses[0] == losses[1]
    assert_same_parameters(eager, model)
    out = compiled(x)
    assert out.grad_fn.name() == "CompiledFunctionBackward"
    assert compiled._compiled_call.traces == 1


def test_a_compiled_model_used_twice_in_one_loss() -> None:
    eager, model = mlp(1), mlp(1)
    compiled = vb.compile(model, backend="numpy", fullgraph=True)
    x1, x2 = vb.randn(2, 4), vb.randn(3, 4)
    for net in (eager, compiled):
        loss = (net(x1).sum() * 2 + (net(x2) ** 2).mean())
        loss.backward()
    assert_same_parameters(eager, model)


def test_gradients_flow_to_inputs_and_through_a_given_gradient() -> None:
    eager, model = mlp(2), mlp(2)
    compiled = vb.compile(model, backend="numpy", fullgraph=True)
    seed = vb.randn(2, 3)
    grads = []
    for net in (eager, compiled, compiled):
        x = vb.tensor(np.linspace(-1, 1, 8).reshape(2, 4), dtype=vb.float32, requires_grad=True)
        net(x).backward(seed)
        grads.append(x.grad.numpy().copy())
    np.testing.assert_array_equal(grads[0], grads[1])
    np.testing.assert_array_equal(grads[0], grads[2])


def test_inference_under_no_grad_is_a_plain_forward() -> None:
    eager, model = mlp(3), mlp(3)
    compiled = vb.compile(model, backend="numpy", fullgraph=True)
    x = vb.randn(4, 4)
    with vb.no_grad():
        out = compiled(x)
        out = compiled(x)
    assert not out.requires_grad and out.grad_fn is None
    np.testing.assert_array_equal(out.numpy(), eager(x).detach().numpy())
    assert compiled._compiled_call.traces == 1


def test_the_compiled_module_is_the_model() -> None:
    model = xor_class(vb)()
    compiled = vb.compile(model)
    assert compiled.fc1 is model.fc1 and compiled._orig_mod is model
    assert list(compiled.parameters()) == list(model.parameters())
    assert list(compiled.state_dict()) == [f"_orig_mod.{k}" for k in model.state_dict()]
    assert repr(compiled).startswith("CompiledModule(XOR(")


def test_the_deck_xor_trained_through_a_compiled_model() -> None:
    def train(compile_it: bool) -> dict[str, Any]:
        net = xor_class(vb)()
        net.load_state_dict({k: vb.tensor(v) for k, v in initial_weights(0).items()})
        model = vb.compile(net, backend="numpy", fullgraph=True) if compile_it else net
        opt = vb.optim.SGD(net.parameters(), lr=0.01)
        criterion = vb.nn.MSELoss()
        for _ in range(50):
            for a, b, t in XOR_TABLE:
                opt.zero_grad()
                criterion(model(vb.tensor([[a, b]])), vb.tensor([[t]])).backward()
                opt.step()
        return {k: v.numpy().copy() for k, v in net.state_dict().items()}

    eager, compiled = train(False), train(True)
    for k in eager:
        np.testing.assert_array_equal(eager[k], compiled[k], err_msg=k)
