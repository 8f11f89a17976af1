"""vb.compile gives eager's numbers: bit for bit with the NumPy backend, closely with the scalar
one, on random MLPs (depths, widths, activations, losses, optimizers) and on every lab network."""

from __future__ import annotations

import itertools
import re
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import vibrastic as vb
from vibrastic.compiler import CompileWarning

ACTIVATIONS = ["relu", "tanh", "sigmoid", "leaky_relu", "identity"]
LOSSES = ["mse", "cross_entropy", "bce", "nll", "mse_sum", "extremes", "pow_tensor"]
OPTIMIZERS = ["sgd", "momentum", "nesterov", "decay_dampening", "adam", "adam_amsgrad", "adamw",
              "rmsprop", "rmsprop_centered", "adagrad"]


def make_mlp(sizes: list[int], activation: str, dtype: Any, seed: int) -> vb.nn.Module:
    vb.manual_seed(seed)
    layers: list[vb.nn.Module] = []
    for i, (n_in, n_out) in enumerate(itertools.pairwise(sizes)):
        layers.append(vb.nn.Linear(n_in, n_out, dtype=dtype))
        if i < len(sizes) - 2:
            layers.append({"relu": vb.nn.ReLU(), "tanh": vb.nn.Tanh(),
                           "sigmoid": vb.nn.Sigmoid(), "identity": vb.nn.Identity(),
                           "leaky_relu": vb.nn.LeakyReLU(0.1)}[activation])
    return vb.nn.Sequential(*layers)


def make_optimizer(name: str, params: Any) -> vb.optim.Optimizer:
    return {
        "sgd": lambda: vb.optim.SGD(params, lr=0.1),
        "momentum": lambda: vb.optim.SGD(params, lr=0.05, momentum=0.9),
        "nesterov": lambda: vb.optim.SGD(params, lr=0.05, momentum=0.8, nesterov=True),
        "decay_dampening": lambda: vb.optim.SGD(params, lr=0.05, momentum=0.5, dampening=0.3,
                                                weight_decay=0.01),
        "adam": lambda: vb.optim.Adam(params, lr=0.01),
        "adam_amsgrad": lambda: vb.optim.Adam(params, lr=0.01, amsgrad=True, weight_decay=0.1),
        "adamw": lambda: vb.optim.AdamW(params, lr=0.01, weight_decay=0.1, maximize=True),
        "rmsprop": lambda: vb.optim.RMSprop(params, lr=0.01, weight_decay=0.01),
        "rmsprop_centered": lambda: vb.optim.RMSprop(params, lr=0.01, momentum=0.9,
                                                     centered=True),
        "adagrad": lambda: vb.optim.Adagrad(params, lr=0.1, lr_decay=0.01,
                                            initial_accumulator_value=0.1),
    }[name]()


def loss_fn(name: str) -> Callable[[vb.Tensor, vb.Tensor], vb.Tensor]:
    F = vb.nn.functional
    return {
        "mse": lambda out, y: vb.nn.MSELoss()(out, y),
        "mse_sum": lambda out, y: F.mse_loss(out, y, reduction="sum"),
        "cross_entropy": lambda out, y: F.cross_entropy(out, y),
        "nll": lambda out, y: F.nll_loss(F.log_softmax(out, dim=1), y),
        "bce": lambda out, y: F.binary_cross_entropy(vb.sigmoid(out), y),
        # max/min/amax: relu's zeros tie, and tied extremes share the gradient as in torch
        "extremes": lambda out, y: (F.relu(out - y).max() + out.min(dim=1).values.sum()
                                    + F.relu(out).amax(0).mean()
                                    + vb.max(out, 0, keepdim=True)[0].sum()),
        # a tensor exponent both ways: x ** t and 2 ** x
        "pow_tensor": lambda out, y: (((out - y) ** 2 + 1) ** vb.tensor(0.75)).mean()
                                     + (2 ** -(out - y).abs()).sum(),
    }[name]


def batches(loss: str, n_in: int, n_out: int, batch: int, steps: int, dtype: Any, seed: int
            ) -> list[tuple[vb.Tensor, vb.Tensor]]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(steps):
        x = vb.tensor(rng.standard_normal((batch, n_in)), dtype=dtype)
        if loss in ("cross_entropy", "nll"):
            y = vb.tensor(rng.integers(0, n_out, batch))
        elif loss == "bce":
            y = vb.tensor(rng.integers(0, 2, (batch, n_out)).astype(float), dtype=dtype)
        else:
            y = vb.tensor(rng.standard_normal((batch, n_out)), dtype=dtype)
        out.append((x, y))
    return out


def training_step(model: vb.nn.Module, optimizer: vb.optim.Optimizer,
                  criterion: Callable[..., vb.Tensor]) -> Callable[..., vb.Tensor]:
    def train_step(x: vb.Tensor, y: vb.Tensor) -> vb.Tensor:
        optimizer.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
        return loss

    return train_step


def state_of(model: vb.nn.Module, optimizer: vb.optim.Optimizer) -> dict[str, Any]:
    """Everything eager code can see after a step: weights, grads, optimizer state."""
    out: dict[str, Any] = {}
    for name, p in model.named_parameters():
        out[name] = p._data.copy()
        out[name + ".grad"] = None if p.grad is None else p.grad._data.copy()
        for key, value in optimizer.state.get(p, {}).items():
            out[f"{name}.{key}"] = value.copy() if isinstance(value, np.ndarray) else value
    return out


def assert_same(a: dict[str, Any], b: dict[str, Any], exact: bool = True) -> None:
    assert a.keys() == b.keys()
    for key in a:
        if a[key] is None or b[key] is None or not isinstance(a[key], np.ndarray):
            assert a[key] == b[key] if not isinstance(a[key], np.ndarray) else b[key] is None, key
        elif exact:
            assert a[key].dtype == b[key].dtype, key
            np.testing.assert_array_equal(a[key], b[key], err_msg=key, strict=True)
        else:
            np.testing.assert_allclose(a[key], b[key], rtol=2e-5, atol=2e-6, err_msg=key)


def run_both(sizes: list[int], activation: str, loss: str, optimizer: str, dtype: Any,
             batch: int, steps: int, backend: str, seed: int = 0) -> tuple[Any, Any]:
    """Train twice from the same start, eagerly and compiled; return both runs' records."""
    records = []
    for compiled in (False, True):
        model = make_mlp(sizes, activation, dtype, seed)
        opt = make_optimizer(optimizer, model.parameters())
        step = training_step(model, opt, loss_fn(loss))
        if compiled:
            step = vb.compile(step, backend=backend, fullgraph=True)
        losses = []
        for x, y in batches(loss, sizes[0], sizes[-1], batch, steps, dtype, seed):
            losses.append(step(x, y)._data.copy())
        records.append((losses, state_of(model, opt), step))
    return records[0], records[1]


@given(
    depth=st.integers(1, 3),
    width=st.integers(1, 6),
    activation=st.sampled_from(ACTIVATIONS),
    loss=st.sampled_from(LOSSES),
    optimizer=st.sampled_from(OPTIMIZERS),
    dtype=st.sampled_from([vb.float32, vb.float64]),
    batch=st.integers(1, 5),
)
def test_random_mlps_train_bit_for_bit_like_eager(depth: int, width: int, activation: str,
                                                  loss: str, optimizer: str, dtype: Any,
                                                  batch: int) -> None:
    sizes = [3] + [width] * (depth - 1) + [4]
    (eager_losses, eager_state, _), (losses, state, step) = run_both(
        sizes, activation, loss, optimizer, dtype, batch, steps=4, backend="numpy")
    for a, b in zip(eager_losses, losses, strict=True):
        np.testing.assert_array_equal(a, b, strict=True)
    assert_same(eager_state, state)
    assert step.entries and step.entries[0].program.backend == "numpy"


@given(
    depth=st.integers(1, 3),
    width=st.integers(1, 4),
    activation=st.sampled_from(ACTIVATIONS),
    loss=st.sampled_from(["mse", "mse_sum"]),
    optimizer=st.sampled_from(OPTIMIZERS),
)
def test_scalar_backend_stays_close_to_eager(depth: int, width: int, activation: str, loss: str,
                                             optimizer: str) -> None:
    """Python floats are float64: in float64 the scalar code tracks eager to rounding."""
    sizes = [2] + [width] * (depth - 1) + [1]
    (eager_losses, eager_state, _), (losses, state, step) = run_both(
        sizes, activation, loss, optimizer, vb.float64, 1, steps=4, backend="scalar")
    np.testing.assert_allclose(np.array(eager_losses), np.array(losses), rtol=1e-9, atol=1e-12)
    assert_same(eager_state, state, exact=False)
    assert step.entries[0].program.backend == "scalar"


def mlp_code_like_eager(sizes: list[int], batch: int, steps: int) -> str:
    """Train a ReLU MLP (cross-entropy, SGD momentum, float32) eagerly and compiled; assert
    the same bits; return the generated code."""
    (eager_losses, eager_state, _), (losses, state, step) = run_both(
        sizes, "relu", "cross_entropy", "momentum", vb.float32, batch, steps=steps,
        backend="numpy")
    for a, b in zip(eager_losses, losses, strict=True):
        np.testing.assert_array_equal(a, b, strict=True)
    assert_same(eager_state, state)
    return step.code


def test_big_products_taken_the_other_way_round_keep_eager_bits(monkeypatch: Any) -> None:
    """Where timed quicker (forced here), the linear layer's products are written the other way
    (w.T copied contiguous; the weight gradient as (x.T @ g).T), used only where they give the
    same bits; training stays bit for bit equal to eager."""
    from vibrastic.compiler import rules

    monkeypatch.setattr(rules, "reorder_pays", lambda *shape: True)
    code = mlp_code_like_eager([64, 1024, 10], batch=128, steps=2)
    assert "linear = v0_weight.T\n    _np.copyto(" in code  # w.T made contiguous
    assert "_np.copyto(v0_weight_grad, " in code  # (x.T @ g).T written into the .grad


def test_digits_sized_step_with_views_made_once_keeps_eager_bits(monkeypatch: Any) -> None:
    """The digits MLP's step (64-128-10, batch 32): views of the program's own buffers (the
    gradient's ``.T``) and their flat views are made once, the products between 2^16 and 2^21
    multiply-adds set the BLAS to one thread once per call, and w.T is copied contiguous where
    that was timed quicker (forced here): still bit for bit equal to eager."""
    from vibrastic.compiler import rules

    monkeypatch.setattr(rules, "reorder_pays", lambda *shape: True)
    code = mlp_code_like_eager([64, 128, 10], batch=32, steps=3)
    assert "(a view of an array made once: made once too)" in code
    assert "_flat[" in code and ".reshape(-1)" not in code
    assert code.count("_blas_one()") == 1 and "_blas_matmul" not in code
    assert "linear = v0_weight.T\n    _np.copyto(" in code
    assert "_f32_0, " in code and "lr_f32, " in code  # numbers passed as 0-d float32 arrays
    assert ".dot(" in code  # ndarray.dot where it gives matmul's bits


def edge_logits(case: str) -> np.ndarray:
    x = np.random.default_rng(3).standard_normal((4, 3)).astype(np.float32)
    if case == "nan":
        x[1, 2] = np.nan
    elif case == "-nan":
        x[2, 0] = -np.nan
    elif case == "certain":  # every picked log-probability is exactly 0: the loss is -0.0
        x[:] = -100
        x[:, 0] = 100
    elif case == "-inf":
        x[0, 1] = -np.inf
    return x


@pytest.mark.parametrize("case", ["plain", "nan", "-nan", "certain", "-inf"])
def test_cross_entropy_mean_keeps_eager_bits_at_nan_zero_and_inf(case: str) -> None:
    """The compiled mean cross-entropy sums the picked log-probabilities and negates the
    quotient (eager negates every row first): the same bits, signs of zeros and NaNs too."""

    def loss_and_grad(x: vb.Tensor, y: vb.Tensor) -> vb.Tensor:
        loss = vb.nn.functional.cross_entropy(x, y)
        loss.backward()
        return loss

    compiled = vb.compile(loss_and_grad, backend="numpy", fullgraph=True)
    y = vb.tensor([0, 1, 0, 2])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # NaN and inf, as eager warns
        compiled(vb.tensor(edge_logits("plain"), requires_grad=True), y)  # the trace
        results = []
        for fn in (loss_and_grad, compiled):
            x = vb.tensor(edge_logits(case), requires_grad=True)
            results.append((fn(x, y)._data, x.grad._data))
    assert "neg_mean" not in compiled.code and "-_np_true_divide(" in compiled.code
    for eager, ours in zip(*results, strict=True):
        np.testing.assert_array_equal(np.signbit(eager), np.signbit(ours), strict=True)
        np.testing.assert_array_equal(eager, ours, strict=True)


@pytest.mark.parametrize("dtype", [np.int64, np.uint8])
def test_compiled_cross_entropy_refuses_targets_out_of_bounds_like_eager(dtype: Any) -> None:
    """The compiled check reads the targets as unsigned (a negative one is then huge): one
    comparison catches -1 and 10 alike, with eager's error."""

    def loss_of(x: vb.Tensor, y: vb.Tensor) -> vb.Tensor:
        return vb.nn.functional.cross_entropy(x, y)

    compiled = vb.compile(loss_of, backend="numpy", fullgraph=True)
    x = vb.tensor(np.zeros((3, 10), np.float32))
    ok = vb.tensor(np.array([0, 9, 4], dtype))
    assert compiled(x, ok).item() == loss_of(x, ok).item()
    for bad in ([0, 10, 1], [-1, 0, 0], [0, 0, 2 ** 31 - 1]):
        y = vb.tensor(np.array(bad).astype(dtype))
        named = int(min(y._data) if min(y._data) < 0 else max(y._data))
        for fn in (loss_of, compiled):
            with pytest.raises(IndexError, match=f"^Target {named} is out of bounds.$"):
                fn(x, y)
    assert compiled.traces == 1 and ".view(" in compiled.code


def test_bias_gradients_summed_by_the_blas_keep_eager_bits() -> None:
    """A linear layer's bias gradient is the BLAS's ones · g where the BLAS was seen to add
    the rows in order: eager's bits, for a column of -0.0 (both sums start from +0.0), inf
    and NaN too."""
    vb.manual_seed(0)
    layer = vb.nn.Linear(3, 4)

    def grads(x: vb.Tensor, c: vb.Tensor) -> vb.Tensor:
        layer.zero_grad()
        loss = (layer(x) * c).sum()
        loss.backward()
        return loss

    compiled = vb.compile(grads, backend="numpy", fullgraph=True)
    rng = np.random.default_rng(0)
    x = vb.tensor(rng.standard_normal((5, 3)).astype(np.float32))
    c = rng.standard_normal((5, 4)).astype(np.float32)
    compiled(x, vb.tensor(c))  # the trace
    assert re.search(r"_ones\w*\.dot\(", compiled.code)
    c[:, 0] = -0.0
    c[2, 1], c[3, 2] = np.inf, np.nan
    results = []
    for fn in (grads, compiled):
        with np.errstate(invalid="ignore"):
            fn(x, vb.tensor(c))
        results.append(layer.bias.grad._data.copy())
    np.testing.assert_array_equal(np.signbit(results[0]), np.signbit(results[1]), strict=True)
    np.testing.assert_array_equal(results[0], results[1], strict=True)
    assert not np.signbit(results[1][0]) and compiled.traces == 1


def test_row_maxima_by_reduceat_keep_eager_bits_with_ties_of_zeros_and_nans() -> None:
    """Softmax's row maxima come from np.maximum.reduceat over the flat rows: the same
    maximum loop on each row as the reduction, so the same bits, -0.0 tied with +0.0 and
    NaNs included."""

    def f(x: vb.Tensor) -> vb.Tensor:
        return vb.nn.functional.log_softmax(x * 2.0, dim=1)  # * 2: exact, a buffer of its own

    compiled = vb.compile(f, backend="numpy", fullgraph=True)
    rng = np.random.default_rng(0)
    compiled(vb.tensor(rng.standard_normal((6, 11)).astype(np.float32)))
    assert "reduceat" in compiled.code
    values = np.array([-1.0, -0.0, 0.0, -2.0, np.nan, -np.inf, 3.0], np.float32)
    with np.errstate(invalid="ignore"):
        for _ in range(20):
            x = vb.tensor(rng.choice(values, (6, 11), p=[.25, .25, .25, .1, .03, .04, .08]))
            eager, ours = f(x)._data, compiled(x)._data
            np.testing.assert_array_equal(np.signbit(eager), np.signbit(ours), strict=True)
            np.testing.assert_array_equal(eager, ours, strict=True)
    assert compiled.traces == 1


REDUCTIONS: dict[str, Callable[..., vb.Tensor]] = {
    "max": lambda x, t: x.max() * 2,
    "min": lambda x, t: vb.min(x),
    "max dim": lambda x, t: (x.max(dim=1).values * vb.arange(3.0)).sum(),
    "min dim keepdim": lambda x, t: (x.min(0, keepdim=True)[0] ** 2).sum(),
    "max -1 indices": lambda x, t: (x.max(-1).values + x.max(-1).indices).sum(),
    "max elementwise": lambda x, t: vb.max(x, t).sum() + x.min(other=t).sum(),
    "amax": lambda x, t: (x.amax(1) * 2).sum() + x.amin(),
    "amin dims keepdim": lambda x, t: x.amin((0, 1), keepdim=True).sum(),
    "x ** t": lambda x, t: (x.abs() ** t).sum(),
    "t ** 2.5, t ** 0": lambda x, t: (t.abs() ** 2.5).sum() + (t ** 0).sum(),
    "2 ** x": lambda x, t: (2 ** x).sum(),
    "x ** 0-d t": lambda x, t: (x.abs() ** t.sum()).sum(),
    # a float64 0-d tensor keeps float32 results (torch's promotion), its gradient float64
    "x * 0-d float64": lambda x, t: (x * t.sum().double()).sum(),
    "max(0-d float64 - x, x)": lambda x, t: vb.maximum(t.amax().double() - x, x).sum(),
}


@pytest.mark.parametrize("name", REDUCTIONS)
def test_max_min_and_tensor_exponents_compile_bit_for_bit(name: str) -> None:
    """max/min (full, dim, keepdim, indices, elementwise), amax/amin and x ** t, t ** x:
    compiled, not eager, and equal to eager's values and gradients on later calls, ties
    included (small integers tie often; a tie shares the full reduction's gradient)."""
    fn = REDUCTIONS[name]
    rng = np.random.default_rng(7)
    inputs = [(rng.integers(-2, 3, (3, 4)).astype(np.float32),
               rng.integers(0, 3, (3, 4)).astype(np.float32)) for _ in range(3)]
    inputs.append((rng.standard_normal((3, 4)).astype(np.float32),
                   rng.standard_normal((3, 4)).astype(np.float32)))

    def run(step: Callable[..., vb.Tensor]) -> list[tuple[np.ndarray, ...]]:
        out = []
        for x, t in inputs:
            xt, tt = vb.tensor(x, requires_grad=True), vb.tensor(t, requires_grad=True)
            value = step(xt, tt)
            value.backward()
            grads = [np.zeros(0) if g is None else g._data for g in (xt.grad, tt.grad)]
            out.append(tuple(a.copy() for a in (value._data, *grads)))
        return out

    compiled = vb.compile(fn, backend="numpy", fullgraph=True)
    for eager, mine in zip(run(fn), run(compiled), strict=True):
        for a, b in zip(eager, mine, strict=True):
            np.testing.assert_array_equal(a, b, strict=True)
    assert compiled.fallback is None and compiled.entries


def test_the_deck_xor_step_on_both_backends() -> None:
    from vibrastic.ml.labs.xor import XOR_TABLE, initial_weights, xor_class

    def setup() -> tuple[vb.nn.Module, Any, Callable[..., Any]]:
        net = xor_class(vb)()
        net.load_state_dict({k: vb.tensor(v) for k, v in initial_weights(0).items()})
        opt = vb.optim.SGD(net.parameters(), lr=0.01)
        return net, opt, training_step(net, opt, vb.nn.MSELoss())

    data = [(vb.tensor([[a, b]]), vb.tensor([[t]])) for a, b, t in XOR_TABLE]
    runs = {}
    for backend in ("eager", "numpy", "scalar"):
        net, opt, step = setup()
        if backend != "eager":
            step = vb.compile(step, backend=backend, fullgraph=True)
        losses = [step(x, y).item() for _ in range(250) for x, y in data]
        runs[backend] = (losses, state_of(net, opt))
    assert runs["numpy"][0] == runs["eager"][0]
    assert_same(runs["eager"][1], runs["numpy"][1])
    np.testing.assert_allclose(runs["scalar"][0], runs["eager"][0], rtol=1e-4, atol=1e-6)
    assert_same(runs["eager"][1], runs["scalar"][1], exact=False)


# ---- the lab networks ----


def test_lab_xor_training_loop_compiles_to_the_same_weights() -> None:
    """The lab's own loop (xor.train), with its step compiled, ends on eager's weights."""
    from vibrastic.ml.labs import xor

    eager = xor.train(vb, xor.initial_weights(3), epochs=30, record_every=10)
    net = xor.xor_class(vb)()
    net.load_state_dict({k: vb.tensor(v) for k, v in xor.initial_weights(3).items()})
    opt = vb.optim.SGD(net.parameters(), lr=xor.LR)
    step = vb.compile(training_step(net, opt, vb.nn.MSELoss()), backend="numpy", fullgraph=True)
    inputs = [vb.tensor([[x, y]]) for x, y, _ in xor.XOR_TABLE]
    targets = [vb.tensor([[t]]) for _, _, t in xor.XOR_TABLE]
    for _ in range(30):
        for x, y in zip(inputs, targets, strict=True):
            step(x, y)
    for name, value in xor.weights_of(eager.net).items():
        np.testing.assert_array_equal(value, net.state_dict()[name].numpy(), err_msg=name)


def test_lab_mlp_backprop_descent_compiles_bit_for_bit() -> None:
    """mlp_backprop's float64 Tanh MLP, ℓ = ½Σ(y - ŷ)², SGD(α): compiled == eager."""
    from vibrastic.ml.labs import mlp_backprop as lab

    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
    params = lab.init_params(3, 4, 2, seed=1)
    finals = []
    for compiled in (False, True):
        model = lab.build_mlp(vb, params)
        opt = vb.optim.SGD(model.parameters(), lr=0.1)
        xt, yt = vb.tensor(x, dtype=vb.float64), vb.tensor(y, dtype=vb.float64)

        descend = _descent(model, opt)
        step = vb.compile(descend, backend="numpy", fullgraph=True) if compiled else descend
        losses = [step(xt, yt).item() for _ in range(20)]
        finals.append((losses, {k: v.numpy().copy() for k, v in model.state_dict().items()}))
    assert finals[0][0] == finals[1][0]
    for k in finals[0][1]:
        np.testing.assert_array_equal(finals[0][1][k], finals[1][1][k], err_msg=k)


def _descent(model: vb.nn.Module, opt: vb.optim.Optimizer) -> Callable[..., vb.Tensor]:
    """mlp_backprop.train_by_autograd's step."""

    def descend(xt: vb.Tensor, yt: vb.Tensor) -> vb.Tensor:
        opt.zero_grad()
        ell = 0.5 * ((yt - model(xt)) ** 2).sum()
        ell.backward()
        opt.step()
        return ell

    return descend


def test_lab_autograd_derivatives_compile_with_leaf_gradients() -> None:
    """The autograd lab's f = xy and g = xy² − x²y: .grad of the arguments, compiled."""
    from vibrastic.ml.labs import autograd as lab

    for fn, at in ((lab.f, (1.0, 2.0)), (lab.g, (2.0, 5.0))):
        def grads(x: vb.Tensor, y: vb.Tensor) -> vb.Tensor:
            out = fn(x, y)  # noqa: B023
            out.backward()
            return out

        compiled = vb.compile(grads, fullgraph=True)
        for _ in range(3):  # a fresh pair of leaves each call, as the lab makes them
            eager = lab.by_autograd(vb, fn, at)
            x = vb.tensor(at[0], requires_grad=True)
            y = vb.tensor(at[1], requires_grad=True)
            value = compiled(x, y)
            assert value.item() == eager["value"]
            assert (x.grad.item(), y.grad.item()) == (eager["d_dx"], eager["d_dy"])


def test_lab_activation_derivatives_compile() -> None:
    """The activations lab: f(x) and f'(x) by backward(ones) for each activation module."""
    from vibrastic.ml.labs import activations as lab

    x = np.linspace(-3, 3, 13)
    for act in lab.ELEMENTWISE:
        module = act.make(vb, 0.05)
        expected = lab.elementwise_derivative(vb, module, x)

        def derivative(xt: vb.Tensor) -> vb.Tensor:
            y = module(xt)  # noqa: B023
            y.backward(vb.ones_like(y))
            return y

        compiled = vb.compile(derivative, backend="numpy", fullgraph=True)
        for _ in range(2):
            xt = vb.tensor(x, dtype=vb.float64, requires_grad=True)
            y = compiled(xt)
            np.testing.assert_array_equal(y.detach().numpy(), expected[0], err_msg=act.key)
            np.testing.assert_array_equal(xt.grad.numpy(), expected[1], err_msg=act.key)


def test_lab_softmax_jacobian_rows_compile() -> None:
    from vibrastic.ml.labs import activations as lab

    z = np.array([0.5, -1.0, 2.0])
    expected = lab.softmax_jacobian(vb, z)

    def row(zt: vb.Tensor, seed: vb.Tensor) -> vb.Tensor:
        s = vb.nn.Softmax(dim=0)(zt)
        s.backward(seed)
        return s

    compiled = vb.compile(row, backend="numpy", fullgraph=True)
    for i in range(3):
        zt = vb.tensor(z, dtype=vb.float64, requires_grad=True)
        compiled(zt, vb.tensor(np.eye(3)[i], dtype=vb.float64))
        np.testing.assert_array_equal(zt.grad.numpy(), expected[i])


def test_lab_learning_rate_gradient_compiles() -> None:
    """learning_rate's check: E = ½Σ(Xw − y)², ∇E by backward, compiled."""
    from vibrastic.ml.classic.gradient_descent import autograd_gradient

    rng = np.random.default_rng(2)
    X, y = rng.standard_normal((6, 2)), rng.standard_normal(6)
    Xt, yt = vb.tensor(X, dtype=vb.float64), vb.tensor(y, dtype=vb.float64)

    def gradient(w: vb.Tensor) -> vb.Tensor:
        E = 0.5 * ((Xt @ w - yt) ** 2).sum()
        E.backward()
        return E

    compiled = vb.compile(gradient, backend="numpy", fullgraph=True)
    for _ in range(3):
        w0 = rng.standard_normal(2)
        wt = vb.tensor(w0, dtype=vb.float64, requires_grad=True)
        compiled(wt)
        np.testing.assert_array_equal(wt.grad.numpy(), autograd_gradient(vb, X, y, w0))


def test_lab_perceptron_update_compiles_without_its_python_error_count() -> None:
    """The perceptron lab's update rule compiles; counting errors with int(...) in the same
    function reads a value into Python, so that version runs eagerly and says why."""
    from vibrastic.ml.labs.perceptron import GATES, perceptron_on_backend

    X, y = GATES["or"]()
    eager = perceptron_on_backend(vb, X, y, np.zeros(2), 0.0, alpha=0.1, beta=0.5, max_epochs=6)

    def update(x_i: vb.Tensor, y_i: vb.Tensor, w: vb.Tensor, b: vb.Tensor, dw: vb.Tensor,
               db: vb.Tensor) -> tuple[vb.Tensor, ...]:
        y_hat = ((x_i * w).sum() + b > 0).double()
        delta_w = 0.1 * (y_i - y_hat) * x_i + 0.5 * dw
        delta_b = 0.1 * (y_i - y_hat) + 0.5 * db
        return w + delta_w, b + delta_b, delta_w, delta_b

    step = vb.compile(update, backend="numpy", fullgraph=True)
    X_t, y_t = vb.tensor(X, dtype=vb.float64), vb.tensor(y, dtype=vb.float64)
    w, b = vb.tensor(np.zeros(2), dtype=vb.float64), vb.tensor(0.0, dtype=vb.float64)
    dw, db = w * 0.0, b * 0.0
    history = [w.numpy().copy()]
    for _ in range(len(eager.errors)):
        for i in range(len(X)):
            w, b, dw, db = step(X_t[i], y_t[i], w, b, dw, db)
        history.append(w.numpy().copy())
    np.testing.assert_array_equal(np.array(history), eager.w_hist)

    def update_counting(x_i: vb.Tensor, y_i: vb.Tensor, w: vb.Tensor) -> int:
        y_hat = ((x_i * w).sum() > 0).double()
        return int((y_hat != y_i).item())

    counting = vb.compile(update_counting)
    with pytest.warns(CompileWarning, match=r"item\(\)"):
        assert counting(X_t[0], y_t[0], w) in (0, 1)
    assert "item()" in counting.explain()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # said once only
        counting(X_t[1], y_t[1], w)
