"""The ops added for PyTorch compatibility: forward and gradients against torch (float64) and
central differences (``check_op``), plus the behaviour around them (0-d results, printing,
dtypes, keyword names, in-place methods, what raises)."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
import torch
from engine_strategies import array, check_op, distinct_array, floats, off_kink, shapes
from hypothesis import given
from hypothesis import strategies as st

import vibrastic as vb

torch.set_num_threads(1)

# ---- elementwise ----------------------------------------------------------------------------

SMOOTH: dict[str, tuple[Any, Any]] = {
    "sinh": (lambda lib, a: lib.sinh(a), floats()),
    "cosh": (lambda lib, a: a.cosh(), floats()),
    "tan": (lambda lib, a: lib.tan(a), floats(-1.2, 1.2)),
    "asin": (lambda lib, a: lib.asin(a), floats(-0.9, 0.9)),
    "acos": (lambda lib, a: a.acos(), floats(-0.9, 0.9)),
    "atan": (lambda lib, a: lib.atan(a), floats()),
    "log2": (lambda lib, a: lib.log2(a), floats(0.1, 5.0)),
    "log10": (lambda lib, a: a.log10(), floats(0.1, 5.0)),
    "log1p": (lambda lib, a: lib.log1p(a), floats(-0.9, 5.0)),
    "expm1": (lambda lib, a: lib.expm1(a), floats()),
    "reciprocal": (lambda lib, a: lib.reciprocal(a), off_kink(0.0, gap=0.3)),
    "rsqrt": (lambda lib, a: lib.rsqrt(a), floats(0.1, 5.0)),
    "frac": (lambda lib, a: lib.frac(a), off_kink(-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0,
                                                  lo=-2.9, hi=2.9)),
    "silu": (lambda lib, a: lib.nn.functional.silu(a), floats()),
    "elu": (lambda lib, a: lib.nn.functional.elu(a, alpha=0.7), off_kink()),
    "softplus": (lambda lib, a: lib.nn.functional.softplus(a, beta=2.0), floats()),
    "gelu": (lambda lib, a: lib.nn.functional.gelu(a), floats()),
    "gelu_tanh": (lambda lib, a: lib.nn.functional.gelu(a, approximate="tanh"), floats()),
}


@pytest.mark.parametrize("name", list(SMOOTH))
@given(data=st.data())
def test_smooth_elementwise(name: str, data: st.DataObject) -> None:
    fn, elements = SMOOTH[name]
    check_op(fn, data.draw(array(data.draw(shapes()), elements)))


STEPS = {
    "floor": lambda lib, a: lib.floor(a), "ceil": lambda lib, a: a.ceil(),
    "trunc": lambda lib, a: lib.trunc(a), "sign": lambda lib, a: lib.sign(a),
    "round": lambda lib, a: lib.round(a), "round_2": lambda lib, a: a.round(decimals=2),
}


@pytest.mark.parametrize("name", list(STEPS))
def test_piecewise_constant_ops_have_zero_gradient_like_torch(name: str) -> None:
    x = np.array([[-2.5, -1.49, -0.5, 0.5], [1.5, 2.5, 3.14159, 0.0]])
    check_op(STEPS[name], x, fd=False)


def test_round_is_half_to_even_like_torch() -> None:
    x = [0.5, 1.5, 2.5, -0.5, -1.5, 2.567]
    assert vb.round(vb.tensor(x)).tolist() == torch.round(torch.tensor(x)).tolist()
    assert np.allclose(vb.tensor(x).round(decimals=1).tolist(),
                       torch.tensor(x).round(decimals=1).tolist())


# ---- matrix products, meshgrid --------------------------------------------------------------


@given(array((2, 3)), array((3, 4)))
def test_mm(a: np.ndarray, b: np.ndarray) -> None:
    check_op(lambda lib, x, y: lib.mm(x, y), a, b)
    check_op(lambda lib, x, y: x.mm(y), a, b, fd=False)


@given(array((2, 2, 3)), array((2, 3, 1)))
def test_bmm(a: np.ndarray, b: np.ndarray) -> None:
    check_op(lambda lib, x, y: lib.bmm(x, y), a, b)


def test_mm_and_bmm_check_dimensions() -> None:
    with pytest.raises(RuntimeError, match="must be a matrix"):
        vb.mm(vb.ones(2, 2, 2), vb.ones(2, 2))
    with pytest.raises(RuntimeError, match="3D tensor"):
        vb.bmm(vb.ones(2, 2), vb.ones(2, 2))
    with pytest.raises(RuntimeError, match="same number of batches"):
        vb.bmm(vb.ones(2, 2, 2), vb.ones(3, 2, 2))


@pytest.mark.parametrize("indexing", ["ij", "xy"])
def test_meshgrid(indexing: str) -> None:
    a, b, c = np.array([1.0, 2.0, 3.0]), np.array([-1.0, 0.5]), np.array([4.0, 5.0])
    for k in range(3):
        check_op(lambda lib, x, y, z, k=k: lib.meshgrid(x, y, z, indexing=indexing)[k] * 1.5,
                 a, b, c)


def test_meshgrid_without_indexing_warns_as_torch() -> None:
    with pytest.warns(UserWarning, match="indexing argument"):
        xs, _ = vb.meshgrid(vb.arange(2), vb.arange(3))
    assert xs.shape == (2, 3)


# ---- selecting ------------------------------------------------------------------------------


@given(array((3, 4)), st.integers(0, 1))
def test_index_select_with_repeats(x: np.ndarray, dim: int) -> None:
    index = np.array([2, 0, 2])
    check_op(lambda lib, a: lib.index_select(a, dim, lib.tensor(index)), x)
    check_op(lambda lib, a: a.index_select(-1, lib.tensor([1, 1])), x, fd=False)


@given(array((3, 4)))
def test_gather(x: np.ndarray) -> None:
    index = np.array([[0, 3, 3], [1, 1, 0], [2, 0, 1]])
    check_op(lambda lib, a: lib.gather(a, 1, lib.tensor(index)), x)
    check_op(lambda lib, a: a.gather(0, lib.tensor(index[:2, :2] % 3)), x)


@given(array((3, 4)), array((2, 4)))
def test_scatter_with_a_source(x: np.ndarray, src: np.ndarray) -> None:
    index = np.array([[0, 1, 2, 0], [2, 0, 1, 1]])
    check_op(lambda lib, a, s: lib.scatter(a, 0, lib.tensor(index), s), x, src)
    check_op(lambda lib, a: a.scatter(0, lib.tensor(index), value=0.5), x)


def test_scatter_in_place_builds_one_hot_rows_as_torch() -> None:
    labels = [2, 0, 1]
    v = vb.zeros(3, 4).scatter_(1, vb.tensor(labels).unsqueeze(1), 1.0)
    t = torch.zeros(3, 4).scatter_(1, torch.tensor(labels).unsqueeze(1), 1.0)
    assert v.tolist() == t.tolist()
    assert vb.nn.functional.one_hot(vb.tensor(labels), 4).tolist() == \
        torch.nn.functional.one_hot(torch.tensor(labels), 4).tolist()


@given(array((3, 4)))
def test_masked_fill_and_boolean_masks(x: np.ndarray) -> None:
    high, positive = x > 0.5, x > 0  # fixed masks: central differences must not move them
    check_op(lambda lib, a: lib.masked_fill(a, lib.tensor(high), -1.0), x)
    check_op(lambda lib, a: a[lib.tensor(positive)] * 2, x)  # boolean-mask indexing
    check_op(lambda lib, a: a[:, lib.tensor([True, False, True, True])], x)


# ---- reductions -----------------------------------------------------------------------------


@given(array((3, 4), floats(-2.0, 2.0)), st.sampled_from([None, 0, 1, -1]), st.booleans())
def test_prod(x: np.ndarray, dim: Any, keepdim: bool) -> None:
    if dim is None:
        check_op(lambda lib, a: lib.prod(a), x)
    else:
        check_op(lambda lib, a: lib.prod(a, dim, keepdim=keepdim), x)


def test_prod_gradient_with_zeros_matches_torch() -> None:
    x = np.array([[0.0, 2.0, 3.0], [0.0, 0.0, 4.0], [1.0, 2.0, 3.0]])
    check_op(lambda lib, a: lib.prod(a, 1), x, fd=False)
    check_op(lambda lib, a: lib.prod(a[2]), x, fd=False)


@pytest.mark.parametrize("op", ["amax", "amin"])
@given(data=st.data())
def test_amax_amin(op: str, data: st.DataObject) -> None:
    x = data.draw(distinct_array((3, 4)))
    dim = data.draw(st.sampled_from([0, 1, (0, 1), -1]))
    keepdim = data.draw(st.booleans())
    check_op(lambda lib, a: getattr(lib, op)(a, dim, keepdim), x)


def test_amax_ties_share_the_gradient_as_torch() -> None:
    check_op(lambda lib, a: lib.amax(a, 1), np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]]),
             fd=False)


@given(array((2, 3, 2)), st.integers(-3, 2))
def test_cumsum_and_logsumexp(x: np.ndarray, dim: int) -> None:
    check_op(lambda lib, a: lib.cumsum(a, dim), x)
    check_op(lambda lib, a: lib.logsumexp(a, dim), x)
    check_op(lambda lib, a: a.logsumexp((0, 2), keepdim=True), x)


@pytest.mark.parametrize("p", [2, 1, 3])
@given(x=array((3, 4), off_kink()))
def test_norm(p: Any, x: np.ndarray) -> None:
    check_op(lambda lib, a: lib.norm(a, p=p), x)
    check_op(lambda lib, a: a.norm(p, dim=1, keepdim=True), x)


def test_norm_inf_and_any_all() -> None:
    check_op(lambda lib, a: lib.norm(a, p=float("inf"), dim=0), np.array([[1.0, -4.0],
                                                                          [2.5, 3.0]]))
    x = vb.tensor([[0, 1], [0, 0]])
    assert vb.any(x).item() is True and x.all().item() is False
    assert x.any(dim=1).tolist() == [True, False]


@given(data=st.data())
def test_sort_and_topk_values_carry_the_gradient(data: st.DataObject) -> None:
    x = data.draw(distinct_array((3, 5)))
    check_op(lambda lib, a: lib.sort(a, dim=1, descending=True).values, x)
    check_op(lambda lib, a: lib.topk(a, 2, dim=0).values, x)
    check_op(lambda lib, a: a.topk(3, largest=False).values, x)
    assert vb.argsort(vb.tensor(x), dim=1).tolist() == torch.argsort(torch.tensor(x),
                                                                     dim=1).tolist()


@pytest.mark.parametrize("op", ["sum", "mean", "argmax", "argmin", "std", "prod", "max"])
def test_reductions_accept_axis_as_torch(op: str) -> None:
    x = np.arange(12.0).reshape(3, 4) % 5
    v = getattr(vb.tensor(x), op)(axis=1)
    t = getattr(torch.tensor(x), op)(axis=1)
    v, t = (v.values, t.values) if op == "max" else (v, t)
    assert np.allclose(v.tolist(), t.tolist())


# ---- shapes ---------------------------------------------------------------------------------


@given(array((2, 3)))
def test_repeat_expand_as_and_flip(x: np.ndarray) -> None:
    check_op(lambda lib, a: a.repeat(2, 3), x)
    check_op(lambda lib, a: a.repeat(2, 1, 2), x)
    check_op(lambda lib, a: a[:, :1].expand_as(a) * a, x)
    check_op(lambda lib, a: lib.flip(a, (0, 1)) * a, x)


@given(array((5, 4)))
def test_chunk_split_unbind_narrow(x: np.ndarray) -> None:
    check_op(lambda lib, a: lib.cat([c * (i + 1) for i, c in enumerate(lib.chunk(a, 3))]), x)
    check_op(lambda lib, a: lib.cat([c * (i + 1) for i, c in enumerate(a.split(2, dim=1))], 1),
             x)
    check_op(lambda lib, a: lib.cat([c * (i + 1) for i, c in enumerate(a.split([1, 4]))]), x)
    check_op(lambda lib, a: lib.stack([r * (i + 1) for i, r in enumerate(a.unbind(1))]), x)
    check_op(lambda lib, a: a.narrow(0, 1, 3), x)
    assert [c.shape for c in vb.chunk(vb.arange(7), 3)] == [
        c.shape for c in torch.chunk(torch.arange(7), 3)]


def test_split_with_wrong_sizes_names_the_sum() -> None:
    with pytest.raises(RuntimeError, match="sum exactly to 5"):
        vb.arange(5).split([2, 2])


# ---- losses ---------------------------------------------------------------------------------


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@given(xs=st.tuples(array((3, 4)), array((3, 4))))
def test_regression_losses(reduction: str, xs: tuple[np.ndarray, np.ndarray]) -> None:
    x, y = xs
    d = np.abs(x - y)
    near_kink = np.any(np.abs(d - 1.0) < 1e-3) or np.any(np.abs(d - 0.5) < 1e-3) or np.any(
        d < 1e-3)
    for name, kw in (("smooth_l1_loss", {}), ("smooth_l1_loss", {"beta": 0.5}),
                     ("l1_loss", {}), ("huber_loss", {"delta": 0.5})):
        check_op(lambda lib, a, b, name=name, kw=kw: getattr(lib.nn.functional, name)(
            a, b, reduction=reduction, **kw), x, y, fd=not near_kink)


@given(xs=st.tuples(array((3, 2), floats(-5, 5)), array((3, 2), floats(0, 1))))
def test_bce_with_logits(xs: tuple[np.ndarray, np.ndarray]) -> None:
    x, y = xs
    F = lambda lib: lib.nn.functional.binary_cross_entropy_with_logits  # noqa: E731
    check_op(lambda lib, a, b: F(lib)(a, b), x, y)
    w, pw = np.array([0.5, 2.0]), np.array([3.0, 0.25])
    check_op(lambda lib, a, b: F(lib)(a, b, weight=lib.tensor(w), pos_weight=lib.tensor(pw),
                                      reduction="sum"), x, y)
    check_op(lambda lib, a: lib.nn.BCEWithLogitsLoss()(a, lib.tensor(y)), x, fd=False)


def test_loss_modules_match_torch() -> None:
    p, t = np.array([0.5, 2.0, -1.0, 3.0]), np.array([0.0, 2.2, 1.0, 3.1])
    for name, kw in (("SmoothL1Loss", {}), ("L1Loss", {}), ("HuberLoss", {"delta": 0.3})):
        check_op(lambda lib, a, name=name, kw=kw: getattr(lib.nn, name)(**kw)(a, lib.tensor(t)),
                 p, fd=False)


# ---- layers ---------------------------------------------------------------------------------


def twins(make: Any) -> tuple[Any, Any]:
    t = make(torch)
    v = make(vb)
    v.load_state_dict(t.state_dict())
    return v, t


@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5)])
def test_batchnorm1d_train_and_eval_match_torch(shape: tuple[int, ...]) -> None:
    x = np.random.default_rng(0).standard_normal(shape) * 2 + 1
    v, t = twins(lambda lib: lib.nn.BatchNorm1d(3, momentum=0.2).double())
    with torch.no_grad():
        t.weight.uniform_(0.5, 1.5)
        t.bias.uniform_(-1, 1)
    v.load_state_dict(t.state_dict())
    for _ in range(2):  # training: batch statistics, running statistics move
        check_op(lambda lib, a: (v if lib is vb else t)(a), x, fd=False)
    np.testing.assert_allclose(v.running_mean.numpy(), t.running_mean.numpy(), rtol=1e-12)
    np.testing.assert_allclose(v.running_var.numpy(), t.running_var.numpy(), rtol=1e-12)
    assert v.num_batches_tracked.item() == t.num_batches_tracked.item() == 2
    v.eval()
    t.eval()
    check_op(lambda lib, a: (v if lib is vb else t)(a), x)
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        v.train()(vb.ones(1, 3, dtype=vb.float64))


def test_batchnorm_gradients_reach_weight_and_bias() -> None:
    x = np.random.default_rng(1).standard_normal((5, 3))
    w, b = np.array([1.0, 0.5, 2.0]), np.array([0.1, -0.2, 0.3])
    check_op(lambda lib, a, ww, bb: lib.nn.functional.batch_norm(a, None, None, ww, bb, True),
             x, w, b)


def test_layer_norm_matches_torch() -> None:
    x = np.random.default_rng(2).standard_normal((2, 3, 4))
    w, b = np.linspace(0.5, 1.5, 4), np.linspace(-1, 1, 4)
    check_op(lambda lib, a, ww, bb: lib.nn.functional.layer_norm(a, (4,), ww, bb), x, w, b)
    check_op(lambda lib, a: lib.nn.functional.layer_norm(a, (3, 4)), x)


def test_embedding_matches_torch_and_skips_the_padding_row() -> None:
    idx = [[1, 0, 3], [3, 3, 2]]
    w = np.random.default_rng(3).standard_normal((4, 2))
    # the padding row's gradient is 0 by design, so only torch (not central differences) agrees
    check_op(lambda lib, ww: lib.nn.functional.embedding(lib.tensor(idx), ww, padding_idx=0), w,
             fd=False)
    check_op(lambda lib, ww: lib.nn.functional.embedding(lib.tensor(idx), ww), w)
    v, _ = twins(lambda lib: lib.nn.Embedding(4, 2, padding_idx=0))
    assert v.weight[0].tolist() == [0.0, 0.0]
    with pytest.raises(IndexError, match="index out of range"):
        v(vb.tensor([4]))


def test_dropout_train_and_eval() -> None:
    drop = vb.nn.Dropout(0.25)
    x = vb.ones(2000)
    vb.manual_seed(0)
    y = drop(x)
    kept = (y != 0).float().mean().item()
    assert 0.7 < kept < 0.8
    assert set(np.unique(y.numpy()).tolist()) <= {0.0, float(np.float32(1) / np.float32(0.75))}
    assert drop.eval()(x) is x
    assert vb.nn.functional.dropout(x, 1.0).sum().item() == 0
    assert vb.nn.functional.dropout(x, 0.0) is x
    w = vb.ones(5, requires_grad=True)
    vb.nn.functional.dropout(w, 0.5).sum().backward()
    assert set(w.grad.tolist()) <= {0.0, 2.0}
    with pytest.raises(ValueError, match="between 0 and 1"):
        vb.nn.Dropout(1.5)


def test_state_dicts_with_buffers_match_torch_keys() -> None:
    def make(lib: Any) -> Any:
        return lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.BatchNorm1d(4), lib.nn.ReLU(),
                                 lib.nn.Linear(4, 2))

    v, t = twins(make)
    assert list(v.state_dict()) == list(t.state_dict())
    assert [n for n, _ in v.named_buffers()] == [n for n, _ in t.named_buffers()]
    t.eval()
    v.eval()
    x = np.random.default_rng(4).standard_normal((5, 3)).astype(np.float32)
    np.testing.assert_allclose(v(vb.tensor(x)).detach().numpy(),
                               t(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)


def test_apply_visits_modules_in_torchs_order() -> None:
    def order(lib: Any) -> list[str]:
        seen: list[str] = []
        net = lib.nn.Sequential(lib.nn.Sequential(lib.nn.Linear(1, 1), lib.nn.ReLU()),
                                lib.nn.Linear(1, 1))
        net.apply(lambda m: seen.append(type(m).__name__))
        return seen

    assert order(vb) == order(torch)


# ---- optimizers and schedules ---------------------------------------------------------------


OPTIMIZERS = {
    "rmsprop": lambda lib, ps: lib.optim.RMSprop(ps, lr=0.01),
    "rmsprop_centered_momentum": lambda lib, ps: lib.optim.RMSprop(
        ps, lr=0.01, momentum=0.9, centered=True, weight_decay=0.1),
    "adamw": lambda lib, ps: lib.optim.AdamW(ps, lr=0.01),
    "adagrad": lambda lib, ps: lib.optim.Adagrad(ps, lr=0.1),
    "adagrad_decays_accumulator": lambda lib, ps: lib.optim.Adagrad(
        ps, lr=0.1, lr_decay=0.5, weight_decay=0.1, initial_accumulator_value=0.2, eps=1e-6),
    "adagrad_maximize": lambda lib, ps: lib.optim.Adagrad(ps, lr=0.01, maximize=True),
}


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_new_optimizers_follow_torchs_trajectory(name: str) -> None:
    w0 = np.array([[1.0, -2.0, 0.5], [0.3, 0.0, -1.0]])
    params = {lib: lib.tensor(w0, requires_grad=True) for lib in (vb, torch)}
    opts = {lib: OPTIMIZERS[name](lib, [params[lib]]) for lib in (vb, torch)}
    for _ in range(5):
        for lib in (vb, torch):
            opts[lib].zero_grad()
            (params[lib] ** 3 - params[lib]).sum().backward()
            opts[lib].step()
    np.testing.assert_allclose(params[vb].detach().numpy(), params[torch].detach().numpy(),
                               rtol=1e-10, atol=1e-12)


SCHEDULES = {
    "step": lambda lib, o: lib.optim.lr_scheduler.StepLR(o, step_size=2, gamma=0.5),
    "multistep": lambda lib, o: lib.optim.lr_scheduler.MultiStepLR(o, [1, 3, 3], gamma=0.1),
    "exponential": lambda lib, o: lib.optim.lr_scheduler.ExponentialLR(o, gamma=0.9),
    "lambda": lambda lib, o: lib.optim.lr_scheduler.LambdaLR(o, lambda e: 1 / (e + 1)),
}


@pytest.mark.parametrize("name", list(SCHEDULES))
def test_lr_schedules_give_torchs_learning_rates(name: str) -> None:
    rates = {}
    for lib in (vb, torch):
        opt = lib.optim.SGD([lib.zeros(1, requires_grad=True)], lr=0.3)
        sched = SCHEDULES[name](lib, opt)
        seen = []
        for _ in range(6):
            opt.step()
            sched.step()
            seen.append(sched.get_last_lr()[0])
        rates[lib] = seen
    assert rates[vb] == rates[torch]


# ---- autograd: Function, grad, Variable -----------------------------------------------------


def legendre(lib: Any) -> Any:
    class LegendreP3(lib.autograd.Function):
        @staticmethod
        def forward(ctx: Any, x: Any, scale: float) -> Any:
            ctx.save_for_backward(x)
            ctx.scale = scale
            return scale * 0.5 * (5 * x ** 3 - 3 * x)

        @staticmethod
        def backward(ctx: Any, grad_output: Any) -> Any:
            x, = ctx.saved_tensors
            assert ctx.needs_input_grad == (True, False)
            return grad_output * ctx.scale * 1.5 * (5 * x ** 2 - 1), None

    return LegendreP3


@given(array((2, 3), floats(-1.5, 1.5)))
def test_custom_function_matches_torch(x: np.ndarray) -> None:
    check_op(lambda lib, a: legendre(lib).apply(a * 2, 0.5).sin(), x)


def test_custom_function_in_torch2_style_and_its_errors() -> None:
    class Cube(vb.autograd.Function):
        @staticmethod
        def forward(x: vb.Tensor) -> vb.Tensor:
            return x ** 3

        @staticmethod
        def setup_context(ctx: Any, inputs: tuple[Any, ...], output: Any) -> None:
            ctx.save_for_backward(inputs[0])

        @staticmethod
        def backward(ctx: Any, g: vb.Tensor) -> vb.Tensor:
            return 3 * ctx.saved_tensors[0] ** 2 * g

    x = vb.tensor([1.0, 2.0], requires_grad=True)
    Cube.apply(x).sum().backward()
    assert x.grad.tolist() == [3.0, 12.0]
    with vb.no_grad():
        assert not Cube.apply(x).requires_grad

    class TooMany(vb.autograd.Function):
        @staticmethod
        def forward(ctx: Any, x: vb.Tensor) -> vb.Tensor:
            return x * 1

        @staticmethod
        def backward(ctx: Any, g: vb.Tensor) -> Any:
            return g, g

    with pytest.raises(RuntimeError, match="incorrect number of gradients"):
        TooMany.apply(x).sum().backward()
    with pytest.raises(RuntimeError, match="apply"):
        Cube()


def test_autograd_grad_matches_torch_and_leaves_grad_alone() -> None:
    results = {}
    for lib in (vb, torch):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = lib.tensor(2.0, requires_grad=True)
        z = (x * y).sin().sum() + y ** 2
        gx, gy = lib.autograd.grad(z, (x, y))
        assert x.grad is None and y.grad is None
        unused = lib.tensor(1.0, requires_grad=True)
        with pytest.raises(RuntimeError, match="allow_unused=True"):
            lib.autograd.grad((x * 2).sum(), unused)
        none, = lib.autograd.grad((x * 2).sum(), unused, allow_unused=True)
        assert none is None
        results[lib] = [*gx.tolist(), gy.item()]
    np.testing.assert_allclose(results[vb], results[torch], rtol=1e-6)


def test_variable_is_a_deprecated_alias_that_returns_a_tensor() -> None:
    t = vb.tensor([1.0, 2.0])
    with pytest.warns(FutureWarning, match="Variable is deprecated"):
        v = vb.autograd.Variable(t, requires_grad=True)
    assert isinstance(v, vb.Tensor) and v.requires_grad and v.is_leaf
    assert isinstance(t, vb.autograd.Variable) and not t.requires_grad
    with pytest.warns(FutureWarning), pytest.raises(TypeError, match="has to be a tensor"):
        vb.autograd.Variable([1.0])


# ---- 0-d results ----------------------------------------------------------------------------


def test_zero_d_results_are_arrays_so_in_place_updates_work() -> None:
    w = vb.tensor(1.0, requires_grad=True)
    (w * 3).backward()
    assert isinstance(w.grad._data, np.ndarray)
    w.grad.zero_()
    assert w.grad.item() == 0.0
    correct = 0
    for _ in range(3):
        correct += (vb.tensor([1, 2, 3]) == vb.tensor([1, 0, 3])).sum()
    assert correct.item() == 6 and correct.dtype == vb.int64
    total = vb.tensor(0.0)
    total += vb.tensor([1.5, 2.5]).sum()
    assert total.item() == 4.0 and isinstance((vb.tensor(2.0) * 3)._data, np.ndarray)


def test_sgd_momentum_on_a_zero_d_parameter_matches_torch() -> None:
    values = {}
    for lib in (vb, torch):
        p = lib.tensor(1.0, requires_grad=True)
        opt = lib.optim.SGD([p], lr=0.1, momentum=0.9)
        for _ in range(3):
            opt.zero_grad()
            (2 * p).backward()
            opt.step()
        values[lib] = p.item()
    assert values[vb] == pytest.approx(values[torch]) == pytest.approx(-0.122)


# ---- printing, dtypes, keyword names --------------------------------------------------------

REPRS = [
    lambda lib: lib.tensor([0.5, 1.25, -3.0]),
    lambda lib: lib.tensor([1.0, 2.0, 300.0]),
    lambda lib: lib.tensor([1e-5, 1.0, 3.5]),
    lambda lib: lib.tensor([[1, 20, -3], [4, 5, 6]]),
    lambda lib: lib.tensor([True, False]),
    lambda lib: lib.tensor(3.5),
    lambda lib: lib.tensor([float("nan"), float("inf"), 1.0, -0.0]),
    lambda lib: lib.arange(2000.0),
    lambda lib: lib.arange(24.0).reshape(2, 3, 4) / 7,
    lambda lib: lib.zeros(0, 3),
    lambda lib: lib.tensor([1.5, 2.0], dtype=lib.float64, requires_grad=True),
    lambda lib: lib.tensor([1.5, 2.0], requires_grad=True) * 2,
    lambda lib: lib.tensor([1.0, 2.5], dtype=lib.float16),
    lambda lib: lib.ones(3, 30) / 3,
    lambda lib: lib.tensor([[123456789.0, 1.0]]),
]


@pytest.mark.parametrize("i", range(len(REPRS)))
def test_tensors_print_as_torch_prints_them(i: int) -> None:
    expected = repr(REPRS[i](torch)).replace("torch.", "vibrastic.")
    assert repr(REPRS[i](vb)) == expected
    assert repr(REPRS[i](vb).shape) == repr(REPRS[i](torch).shape).replace("torch.", "vibrastic.")


def test_format_and_type_names_as_torch() -> None:
    for lib in (vb, torch):
        t = lib.tensor(3.14159)
        assert (f"{t:+.2f}", format(lib.tensor(2), ">4"), f"{t}", f"{lib.ones(2)}") == (
            "+3.14", "   2", "3.141590118408203", "tensor([1., 1.])")
        with pytest.raises(TypeError, match="unsupported format string"):
            f"{lib.ones(2):.2f}"
    assert vb.ones(2).type() == "vibrastic.FloatTensor"
    assert vb.ones(2).type(vb.float64).dtype == vb.float64
    assert vb.ones(2).type("torch.LongTensor").dtype == vb.int64
    assert vb.LongTensor([1, 2]).dtype == vb.int64 and vb.FloatTensor(2, 3).shape == (2, 3)


def test_float16_tensors_compute_in_half_precision() -> None:
    h = vb.tensor([1.0, 2.5], dtype=vb.float16)
    assert (h * 2).dtype == vb.float16 and h.half().dtype == vb.half
    assert vb.nn.Linear(2, 2).half().weight.dtype == vb.float16


def test_torch_keyword_names() -> None:
    a, b = vb.tensor([1.0, 2.0]), vb.tensor([3.0, 4.0])
    assert vb.add(input=a, other=b).tolist() == [4.0, 6.0]
    assert vb.mul(input=a, other=2.0).tolist() == [2.0, 4.0]
    assert vb.sum(input=a).item() == 3.0 and vb.max(input=b).item() == 4.0
    assert vb.pow(input=a, exponent=2).tolist() == [1.0, 4.0]
    assert vb.where(a > 1, input=a, other=b).tolist() == [3.0, 2.0]
    assert vb.nn.functional.mse_loss(input=a, target=b).item() == 4.0


def test_creation_functions_take_device_and_like_forms() -> None:
    cpu = vb.device("cpu")
    for t in (vb.zeros(2, device=cpu), vb.ones(2, device="cpu"), vb.eye(2, 3, device=cpu),
              vb.empty(2, device=cpu), vb.full((2,), 1.5, device=cpu),
              vb.arange(3, device=cpu), vb.linspace(0, 1, 3, device=cpu),
              vb.tensor([1.0], device=cpu), vb.randn(2, device=cpu), vb.rand(2, device=cpu)):
        assert t.device == cpu
    x = vb.ones(2, 3, dtype=vb.float64)
    assert vb.zeros_like(x).dtype == vb.float64 and vb.full_like(x, 7).tolist()[0] == [7.0] * 3
    assert vb.rand_like(x).shape == vb.randn_like(x).shape == vb.empty_like(x).shape == (2, 3)
    assert x.new_zeros(4).dtype == vb.float64 and x.new_tensor([1, 2]).dtype == vb.float64
    assert vb.eye(3).tolist() == torch.eye(3).tolist()
    vb.manual_seed(0)
    n = vb.normal(vb.zeros(3), vb.ones(3) * 0.01)
    assert n.shape == (3,) and n.abs().max().item() < 0.1
    assert vb.normal(2.0, 0.5, size=(4, 5)).shape == (4, 5)
    with pytest.raises(RuntimeError, match="CPU only"):
        vb.zeros(2, device="cuda")


def test_in_place_methods_change_the_tensor_and_respect_the_graph() -> None:
    x = vb.tensor([-2.0, 0.5, 3.0])
    assert x.clamp_(min=0, max=2) is x and x.tolist() == [0.0, 0.5, 2.0]
    x.mul_(2).add_(1).pow_(2).sqrt_().neg_().abs_()
    assert x.tolist() == [1.0, 2.0, 5.0]
    x.masked_fill_(x > 1.5, 0.0)
    assert x.tolist() == [1.0, 0.0, 0.0]
    x.uniform_(0, 1)
    assert ((x >= 0) & (x < 1)).all().item()
    w = vb.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        w.clamp_(max=0.5)
    with vb.no_grad():
        w.clamp_(max=0.5)
    assert w.tolist() == [0.5, 0.5]


# ---- what vibrastic does not have -----------------------------------------------------------


@pytest.mark.parametrize("path", ["fft", "nn.Conv2d", "nn.LSTM", "nn.functional.conv2d",
                                  "optim.LBFGS", "autograd.functional", "utils.data.Foo",
                                  "nn.init.trunc_normal_", "cfloat"])
def test_missing_torch_names_say_vibrastic_lacks_them(path: str) -> None:
    *owner, name = path.split(".")
    module = vb
    for part in owner:
        module = getattr(module, part)
    with pytest.raises(AttributeError, match="is not available in vibrastic"):
        getattr(module, name)
    assert not hasattr(module, name)


def test_missing_tensor_methods_say_so_too() -> None:
    with pytest.raises(AttributeError, match=r"torch\.Tensor\.renorm is not available"):
        vb.zeros(1).renorm(2, 0, 1.0)
    with pytest.raises(AttributeError, match=r"torch\.nn\.Module\.register_forward_hook .*no "
                                             r"module hooks"):
        vb.nn.Linear(1, 1).register_forward_hook(print)
    with pytest.raises(AttributeError, match=r"^'Linear' object has no attribute 'wieght'$"):
        vb.nn.Linear(1, 1).wieght  # noqa: B018 (a typo: no torch explanation)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert getattr(vb.zeros(1), "not_a_method", None) is None


def test_print_options_and_legacy_constructor_forms_as_torch() -> None:
    try:
        for lib in (vb, torch):
            lib.set_printoptions(precision=2)
        assert repr(vb.tensor([1.2345, 2.0])) == repr(torch.tensor([1.2345, 2.0]))
        for lib in (vb, torch):
            lib.set_printoptions(sci_mode=True)
        assert repr(vb.tensor([1.5, 2.0])) == repr(torch.tensor([1.5, 2.0]))
    finally:
        for lib in (vb, torch):
            lib.set_printoptions(profile="default")
    assert vb.Tensor(2, 3).shape == torch.Tensor(2, 3).shape
    assert vb.Tensor([[0, 1]]).tolist() == torch.Tensor([[0, 1]]).tolist()
    assert vb.Tensor([1, 2]).dtype == vb.float32


# ---- products and normalisation learners copy: dot, outer, einsum, normalize, cosine ------

RNG = np.random.default_rng(7)
A34, B45, C234 = RNG.normal(size=(3, 4)), RNG.normal(size=(4, 5)), RNG.normal(size=(2, 3, 4))
V4, W4 = RNG.normal(size=4), RNG.normal(size=4)
PRODUCTS: dict[str, tuple[Any, tuple[np.ndarray, ...]]] = {
    "dot": (lambda lib, v, w: lib.dot(v, w), (V4, W4)),
    "Tensor.dot": (lambda lib, v, w: v.dot(w), (V4, W4)),
    "outer": (lambda lib, v, w: lib.outer(v, w), (V4, W4)),
    "einsum ij,jk->ik": (lambda lib, a, b: lib.einsum("ij,jk->ik", a, b), (A34, B45)),
    "einsum implicit output": (lambda lib, a, b: lib.einsum("ij,jk", a, b), (A34, B45)),
    "einsum operands in a list": (lambda lib, a, b: lib.einsum("ij,jk->ki", [a, b]), (A34, B45)),
    "einsum bij,j->bi": (lambda lib, c, v: lib.einsum("bij,j->bi", c, v), (C234, V4)),
    "einsum sum over two axes": (lambda lib, c: lib.einsum("bij->j", c), (C234,)),
    "einsum to a number": (lambda lib, a: lib.einsum("ij->", a), (A34,)),
    "einsum i,j,ak->aij": (lambda lib, v, w, a: lib.einsum("i,j,ak->aij", v, w, a),
                           (V4, W4, A34)),
    "einsum an index only one operand has": (lambda lib, a, v: lib.einsum("ij,k->ik", a, v),
                                             (A34, V4)),
    "normalize": (lambda lib, a: lib.nn.functional.normalize(a), (A34,)),
    "normalize p=1 dim=0": (lambda lib, c: lib.nn.functional.normalize(c, p=1, dim=0), (C234,)),
    "cosine_similarity": (lambda lib, a, b: lib.nn.functional.cosine_similarity(a, b),
                          (A34, A34 * 0.5 + 1)),
    "cosine_similarity dim=0": (
        lambda lib, c, d: lib.nn.functional.cosine_similarity(c, d, dim=0), (C234, C234 ** 2)),
}


@pytest.mark.parametrize("name", list(PRODUCTS))
def test_products_and_normalisation(name: str) -> None:
    fn, arrays = PRODUCTS[name]
    check_op(fn, *arrays)


@pytest.mark.parametrize("lib", [vb, torch], ids=["vibrastic", "torch"])
def test_products_say_what_shapes_they_expect(lib: Any) -> None:
    with pytest.raises(RuntimeError, match="1D tensors expected, but got 2D and 2D tensors"):
        lib.dot(lib.ones(2, 2), lib.ones(2, 2))
    with pytest.raises(RuntimeError, match="inconsistent tensor size"):
        lib.dot(lib.ones(2), lib.ones(3))
    with pytest.raises(RuntimeError, match="outer: Expected 1-D argument self, but got 2-D"):
        lib.outer(lib.ones(2, 2), lib.ones(2))
    with pytest.raises(RuntimeError, match="fewer operands were provided"):
        lib.einsum("ij,jk->ik", lib.ones(2, 3))
    with pytest.raises(RuntimeError, match="einsum"):
        lib.einsum("ij,jk->ik", lib.ones(2, 3), lib.ones(4, 5))


def test_einsum_says_what_it_leaves_out() -> None:
    with pytest.raises(NotImplementedError, match=r"'\.\.\.'"):
        vb.einsum("...ij,jk->...ik", vb.ones(2, 3), vb.ones(3, 4))
    with pytest.raises(NotImplementedError, match="repeated index"):
        vb.einsum("ii->i", vb.ones(3, 3))


@pytest.mark.parametrize("lib", [vb, torch], ids=["vibrastic", "torch"])
def test_type_as_and_logspace(lib: Any) -> None:
    x = lib.tensor([1, 2])
    y = x.type_as(lib.tensor([0.5], dtype=lib.float64))
    assert y.dtype == lib.float64 and y.tolist() == [1.0, 2.0]
    assert lib.logspace(0, 2, 3).tolist() == [1.0, 10.0, 100.0]
    assert lib.logspace(0, 3, 4, base=2).tolist() == [1.0, 2.0, 4.0, 8.0]
    assert lib.logspace(0, 2, 3).dtype == lib.float32


# ---- more activations and the KL divergence -------------------------------------------------

AWAY_FROM_KINKS = np.array([[-7.0, -1.5, -0.4, 0.3], [0.8, 2.5, 5.5, 8.0]])
ACTIVATIONS: dict[str, Any] = {
    "hardtanh": lambda lib, a: lib.nn.functional.hardtanh(a),
    "hardtanh(-2, 3)": lambda lib, a: lib.nn.functional.hardtanh(a, -2.0, 3.0),
    "relu6": lambda lib, a: lib.nn.functional.relu6(a),
    "softsign": lambda lib, a: lib.nn.functional.softsign(a),
    "mish": lambda lib, a: lib.nn.functional.mish(a),
    "ReLU6 module": lambda lib, a: lib.nn.ReLU6()(a),
    "Softsign module": lambda lib, a: lib.nn.Softsign()(a),
    "Mish module": lambda lib, a: lib.nn.Mish()(a),
}


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_more_activations(name: str) -> None:
    check_op(ACTIVATIONS[name], AWAY_FROM_KINKS)


@pytest.mark.parametrize("lib", [vb, torch], ids=["vibrastic", "torch"])
def test_hardtanh_passes_gradients_strictly_inside(lib: Any) -> None:
    x = lib.tensor([-1.0, 0.0, 1.0, 6.0], requires_grad=True)
    (lib.nn.functional.hardtanh(x) + lib.nn.functional.relu6(x)).sum().backward()
    assert x.grad.tolist() == [0.0, 1.0, 1.0, 0.0]


@pytest.mark.parametrize(("shape", "channels"), [((2, 4), 1), ((2, 4), 4), ((2, 4, 3), 4)])
def test_prelu_learns_one_or_one_per_channel_slope(shape: tuple[int, ...], channels: int) -> None:
    x = np.random.default_rng(1).normal(size=shape)
    check_op(lambda lib, a, w: lib.nn.functional.prelu(a, w), x, np.linspace(0.1, 0.4, channels))
    assert [repr(lib.nn.PReLU(channels)) for lib in (vb, torch)] == [
        f"PReLU(num_parameters={channels})"] * 2
    assert vb.nn.PReLU(channels).weight.tolist() == [0.25] * channels


@pytest.mark.parametrize("reduction", ["batchmean", "sum", "none", "mean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div(reduction: str, log_target: bool) -> None:
    rng = np.random.default_rng(2)
    log_p = np.log(rng.dirichlet(np.ones(4), 3))
    q = rng.dirichlet(np.ones(4), 3)
    if not log_target:
        q[0, 1] = 0.0  # 0 · log 0 counts as 0
    target = np.log(q) if log_target else q

    def kl(lib: Any, a: Any) -> Any:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "reduction: 'mean'", UserWarning)
            return lib.nn.KLDivLoss(reduction=reduction, log_target=log_target)(
                a, lib.tensor(target, dtype=lib.float64))

    check_op(kl, log_p)
    if reduction == "mean":  # torch's warning that 'mean' is not the KL divergence
        with pytest.warns(UserWarning, match="'batchmean' divides only by the batch size"):
            vb.nn.functional.kl_div(vb.tensor(log_p), vb.tensor(target), log_target=log_target)
