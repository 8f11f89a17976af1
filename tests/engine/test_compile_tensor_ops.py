"""vb.compile's rules for the newer activations and tensor ops (selu, celu, hardswish,
logsigmoid, shrinks, threshold, tril masks, logaddexp, square, clamp_min, softmin, glu,
constant padding): each training step compiles with ``fullgraph=True`` and gives eager's bits;
ops whose result shape follows the values (nonzero, unique, masked_select) run eagerly, named."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from test_compile_more_rules import mlp_inputs, run_twice

import vibrastic as vb
from vibrastic.compiler import CompileWarning

F = vb.nn.functional

# name -> the activation between two linear layers (as a function of the hidden tensor)
LAYERS: dict[str, Callable[[vb.Tensor], vb.Tensor]] = {
    "selu": lambda h: F.selu(h),
    "celu": lambda h: F.celu(h, alpha=0.7),
    "elu": lambda h: F.elu(h, 1.3),
    "hardswish": lambda h: F.hardswish(h),
    "hardsigmoid": lambda h: F.hardsigmoid(h * 2),
    "logsigmoid": lambda h: F.logsigmoid(h),
    "hardshrink": lambda h: F.hardshrink(h, 0.4),
    "softshrink": lambda h: F.softshrink(h),
    "threshold": lambda h: F.threshold(h, 0.1, -1.0),
    "tanhshrink": lambda h: F.tanhshrink(h),
    "softmin": lambda h: F.softmin(h, dim=1),
    "glu": lambda h: F.glu(vb.cat([h, h * 0.5], 1)),
    "square": lambda h: h.square() + vb.square(h),
    "clamp_min": lambda h: vb.clamp_min(h, 0.2) + h.clamp_max(0.1),
    "logaddexp": lambda h: vb.logaddexp(h, h * 0.3) + h.logaddexp(vb.tensor(0.5, dtype=h.dtype)),
    "tril": lambda h: vb.tril(h.reshape(-1, 6, 6)).reshape(h.shape) + h.triu(1),
    "pad": lambda h: F.pad(h, (1, 2), value=0.5)[:, 3:] + F.pad(h, (-1, 1, 0, 0)),
    "roll": lambda h: vb.roll(h, 1, 1) * h.roll((2, -1), (0, 1)) + vb.roll(h, 7),
    "hypot_atan2": lambda h: vb.hypot(h, h * 0.5 + 1) + vb.atan2(h, h.square() + 0.1),
    "nan_to_num": lambda h: vb.nan_to_num(h.masked_fill(h > 1, float("inf")).masked_fill(
        h < -1, float("nan")).masked_fill(h.abs() < 0.1, -float("inf")), nan=0.5, posinf=3.0,
        neginf=-2.0),
}


def layer_net(name: str, dtype: Any) -> Callable[[], tuple[vb.nn.Module, Callable[..., Any]]]:
    def make() -> tuple[vb.nn.Module, Callable[..., vb.Tensor]]:
        vb.manual_seed(3)
        net = vb.nn.Sequential(vb.nn.Linear(3, 6, dtype=dtype), vb.nn.Linear(6, 2, dtype=dtype))

        def loss(x: vb.Tensor, y: vb.Tensor) -> vb.Tensor:
            return F.mse_loss(net[1](LAYERS[name](net[0](x))), y)

        return net, loss

    return make


@pytest.mark.parametrize("dtype", [vb.float32, vb.float64])
@pytest.mark.parametrize("name", sorted(LAYERS))
def test_new_ops_compile_bit_for_bit(name: str, dtype: Any) -> None:
    run_twice(layer_net(name, dtype), mlp_inputs(dtype, 3, 5), "adam")


@pytest.mark.parametrize("name", ["selu", "hardswish", "hardsigmoid", "logsigmoid",
                                  "softshrink", "hardshrink", "threshold", "logaddexp",
                                  "nan_to_num", "hypot_atan2"])
def test_new_activations_at_extremes_keep_eager_bits(name: str) -> None:
    """Kinks (±3, ±λ, the threshold), huge, infinite and NaN pre-activations."""
    values = np.array([[0.0, -0.0, 3.0, -3.0, 0.5, -0.5, 0.4, 0.1, 800.0, -800.0, np.inf,
                        -np.inf, np.nan, 1e-30]], np.float32)

    def make() -> tuple[vb.nn.Module, Callable[..., vb.Tensor]]:
        scale = vb.nn.Linear(1, 1, bias=False)
        scale.weight.data.fill_(1.0)
        return scale, lambda x: LAYERS[name](scale(x.reshape(-1, 1))).sum()

    with np.errstate(all="ignore"):
        run_twice(make, [(vb.tensor(values),)] * 2, "momentum")


@pytest.mark.parametrize(("op", "call"), [
    ("nonzero", lambda x: x[vb.nonzero(x > 0, as_tuple=True)].sum()),
    ("unique", lambda x: vb.unique(x.detach()).sum() + x.sum()),
    ("masked_select", lambda x: x.masked_select(x > 0).sum()),
])
def test_value_dependent_shapes_run_eagerly_and_say_which_op(op: str, call: Any) -> None:
    compiled = vb.compile(call)
    x = vb.tensor([[1.0, -2.0], [3.0, 1.0]], requires_grad=True)
    with pytest.warns(CompileWarning, match=rf"{op}\(\) gives a result whose shape depends"):
        out = compiled(x)
    assert out.item() == call(x).item()
    with pytest.raises(Exception, match=op):
        vb.compile(call, fullgraph=True)(x)
