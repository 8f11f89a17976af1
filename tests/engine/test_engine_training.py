"""The deck's code on both engines: the autograd slides and the XOR network, number for number."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import vibrastic as vb

torch.set_num_threads(1)

LIBS = pytest.mark.parametrize("lib", [vb, torch], ids=["vibrastic", "torch"])


@LIBS
def test_deck_autograd_slide_f_equals_x_times_y(lib: Any) -> None:
    x = lib.tensor(1.0, requires_grad=True)
    y = lib.tensor(2.0, requires_grad=True)
    f = x * y
    f.backward()
    assert f.item() == 2.0
    assert x.grad.item() == 2.0  # ∂f/∂x = y
    assert y.grad.item() == 1.0  # ∂f/∂y = x


@LIBS
def test_deck_autograd_slide_g(lib: Any) -> None:
    x = lib.tensor(2.0, requires_grad=True)
    y = lib.tensor(5.0, requires_grad=True)
    g = x * y**2 - x**2 * y
    g.backward()
    assert g.item() == 30.0  # 2·25 - 4·5
    assert x.grad.item() == 5.0  # y² - 2xy = 25 - 20
    assert y.grad.item() == 16.0  # 2xy - x² = 20 - 4


@LIBS
def test_deck_autograd_slide_as_printed(lib: Any) -> None:
    x = lib.tensor(1.0, requires_grad=True)
    y = lib.tensor(2.0)
    f = x * y
    f.backward()
    assert x.grad.data.item() == 2.0 and y.grad is None
    assert x.grad.dtype == lib.float32


# ---- the XOR network (deck: "Let's create network to model XOR gate") ----------------------


def xor_net(lib: Any) -> Any:
    class XOR(lib.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc1 = lib.nn.Linear(2, 3, True)
            self.fc2 = lib.nn.Linear(3, 1, True)

        def forward(self, x: Any) -> Any:
            x = lib.sigmoid(self.fc1(x))
            return self.fc2(x)

    return XOR()


XOR_INPUTS = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
XOR_TARGETS = [[0.0], [1.0], [1.0], [0.0]]


def train_xor(lib: Any, net: Any, epochs: int) -> np.ndarray:
    """The deck's loop: one sample per step, MSELoss, SGD(lr=0.01); returns the final outputs."""
    inputs = [lib.tensor([s], dtype=lib.float64) for s in XOR_INPUTS]  # shape (1, 2)
    targets = [lib.tensor([t], dtype=lib.float64) for t in XOR_TARGETS]  # shape (1, 1)
    criterion = lib.nn.MSELoss()
    optimizer = lib.optim.SGD(net.parameters(), lr=0.01)
    for _ in range(epochs):
        for input, target in zip(inputs, targets, strict=True):
            optimizer.zero_grad()
            output = net(input)
            loss = criterion(output, target)
            loss.backward()
            optimizer.step()
    with lib.no_grad():
        return np.array([net(x).numpy().item() for x in inputs])


def test_xor_training_parity_with_torch() -> None:
    torch.manual_seed(0)
    t_net = xor_net(torch).double()
    v_net = xor_net(vb).double()
    assert list(v_net.state_dict()) == list(t_net.state_dict()) == [
        "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    v_net.load_state_dict(t_net.state_dict())
    start = train_xor(torch, xor_net(torch).double(), 0)  # (a differently initialised net)
    t_out = train_xor(torch, t_net, 2000)
    v_out = train_xor(vb, v_net, 2000)
    assert not np.allclose(t_out, start)
    np.testing.assert_allclose(v_out, t_out, rtol=0, atol=1e-8)
    for (name, vp), tp in zip(v_net.named_parameters(), t_net.parameters(), strict=True):
        np.testing.assert_allclose(vp.detach().numpy(), tp.detach().numpy(), rtol=0, atol=1e-8,
                                   err_msg=name)


def test_xor_learns_the_gate_with_momentum() -> None:
    """A fixed-seed acceptance test (teenygrad's mnist idea): XOR is learnt to within 0.1."""
    vb.manual_seed(3)
    net = xor_net(vb).double()
    inputs = vb.tensor(XOR_INPUTS, dtype=vb.float64)
    targets = vb.tensor(XOR_TARGETS, dtype=vb.float64)
    opt = vb.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    for _ in range(1500):
        opt.zero_grad()
        loss = vb.nn.functional.mse_loss(net(inputs), targets)
        loss.backward()
        opt.step()
    with vb.no_grad():
        out = net(inputs).numpy().ravel()
    np.testing.assert_allclose(out, [0.0, 1.0, 1.0, 0.0], atol=0.1)


def test_xor_float32_default_dtype_parity_and_deck_inference() -> None:
    """The deck's code as written (float32, torch.Tensor inputs) stays within float32 rounding."""
    torch.manual_seed(1)
    t_net, v_net = xor_net(torch), xor_net(vb)
    v_net.load_state_dict(t_net.state_dict())
    assert all(p.dtype == vb.float32 for p in v_net.parameters())
    results = []
    for lib, net in ((torch, t_net), (vb, v_net)):
        inputs = [lib.Tensor([s]) for s in XOR_INPUTS]
        targets = [lib.Tensor([t]) for t in XOR_TARGETS]
        criterion, optimizer = lib.nn.MSELoss(), lib.optim.SGD(net.parameters(), lr=0.01)
        for _ in range(300):
            for input, target in zip(inputs, targets, strict=True):
                optimizer.zero_grad()
                loss = criterion(net(input), target)
                loss.backward()
                optimizer.step()
        output = net(lib.Tensor([1, 0]))  # the deck's inference on a 1-D input
        assert tuple(output.shape) == (1,) and output.dtype == lib.float32
        results.append((loss.data.numpy().item(), output.data.numpy()[0]))
    np.testing.assert_allclose(results[1], results[0], rtol=1e-4, atol=1e-5)
