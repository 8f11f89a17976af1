"""What the compat corpus's newer programs (p30-p35) needed, each against torch: values,
gradients, dtypes and error messages of repeat_interleave, cdist, mode, scatter_add(_),
index_add(_), bincount and unique; out-of-range dims; the repr of empty tensors and LayerNorm;
cross_entropy's label_smoothing; multinomial and Categorical.sample drawing as torch does."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

import vibrastic as vb

LIBS = (torch, vb)


def _np(x: Any) -> Any:
    if isinstance(x, (tuple, list)):
        return [_np(v) for v in x]
    return x.detach().numpy() if hasattr(x, "detach") else np.asarray(x)


def _same(run: Callable[[Any], Any], rtol: float = 1e-5, atol: float = 1e-6) -> None:
    """``run(lib)`` gives the same arrays (and dtypes) under torch and vibrastic."""
    expected, actual = _np(run(torch)), _np(run(vb))
    for e, a in zip(_flat(expected), _flat(actual), strict=True):
        assert e.dtype == a.dtype and e.shape == a.shape, (e, a)
        np.testing.assert_allclose(a, e, rtol=rtol, atol=atol)


def _flat(x: Any) -> list[np.ndarray]:
    return [v for item in x for v in _flat(item)] if isinstance(x, list) else [np.asarray(x)]


def _error(run: Callable[[Any], Any]) -> tuple[str, str]:
    with pytest.raises(Exception) as info:
        run(torch)
    with pytest.raises(type(info.value)) as ours:
        run(vb)
    assert str(ours.value) == str(info.value)
    return type(info.value).__name__, str(info.value)


def _grads(lib: Any, make: Callable[..., Any], *arrays: np.ndarray) -> list[Any]:
    xs = [lib.tensor(a, requires_grad=True) for a in arrays]
    out = make(lib, *xs)
    (out * lib.arange(out.numel(), dtype=out.dtype).reshape(out.shape)).sum().backward()
    return [out, *(x.grad for x in xs)]


def test_repeat_interleave_values_gradients_and_the_index_form() -> None:
    _same(lambda lib: lib.arange(6.).view(2, 3).repeat_interleave(2))
    _same(lambda lib: lib.repeat_interleave(lib.arange(6.).view(2, 3), lib.tensor([1, 3]), dim=0))
    _same(lambda lib: lib.arange(6.).view(2, 3).repeat_interleave(lib.tensor(2), dim=-1))
    _same(lambda lib: lib.repeat_interleave(lib.tensor([2, 0, 1])))
    _same(lambda lib: lib.tensor(5).repeat_interleave(3))
    _same(lambda lib: _grads(lib, lambda lb, w: w.repeat_interleave(lb.tensor([1, 2, 3])),
                             np.ones(3, np.float32)))


@pytest.mark.parametrize("bad", [
    lambda lib: lib.ones(2, 3).repeat_interleave(-1),
    lambda lib: lib.ones(2, 3).repeat_interleave(lib.tensor([1, 2, 3]), dim=0),
    lambda lib: lib.ones(2, 3).repeat_interleave(lib.tensor([[1]])),
    lambda lib: lib.ones(2, 3).repeat_interleave(2, dim=2),
    lambda lib: lib.ones(2, 3).repeat_interleave(lib.tensor([1., 2.]), dim=0),
    lambda lib: lib.repeat_interleave(lib.tensor([-1, 2])),
    lambda lib: lib.ones(2, 3).repeat_interleave(2, output_size=5),
])
def test_repeat_interleave_errors_are_torchs(bad: Callable[[Any], Any]) -> None:
    _error(bad)


@pytest.mark.parametrize("p", [2.0, 1.0, 0.0, float("inf"), 3.0, 0.5])
@pytest.mark.parametrize("rows", [4, 30])  # 30 > 25: torch's matrix-product formula for p=2
def test_cdist_values_and_gradients(p: float, rows: int) -> None:
    rng = np.random.default_rng(0)
    a = rng.standard_normal((2, rows, 3)).astype(np.float32)
    b = rng.standard_normal((2, 5, 3)).astype(np.float32)
    b[0, 1] = a[0, 2]  # a zero distance
    _same(lambda lib: _grads(lib, lambda lb, x, y: lb.cdist(x, y, p=p), a, b),
          rtol=1e-4, atol=2e-3 if rows > 25 else 1e-4)


@pytest.mark.parametrize("bad", [
    lambda lib: lib.cdist(lib.ones(3, 2), lib.ones(4, 3)),
    lambda lib: lib.cdist(lib.ones(3, 2), lib.ones(3, 2), p=-1),
    lambda lib: lib.cdist(lib.ones(2), lib.ones(3, 2)),
    lambda lib: lib.cdist(lib.ones(3, 2).long(), lib.ones(3, 2).long()),
])
def test_cdist_errors_are_torchs(bad: Callable[[Any], Any]) -> None:
    _error(bad)


def test_mode_picks_the_smallest_most_frequent_value_and_its_last_index() -> None:
    x = [[1, 2, 2, 1, 3], [3, 3, 0, 0, 3]]
    _same(lambda lib: list(lib.mode(lib.tensor(x), 1)))
    _same(lambda lib: list(lib.tensor(x).mode(dim=0, keepdim=True)))
    _same(lambda lib: list(lib.mode(lib.tensor([2., 1., 2., 1.]))))
    _same(lambda lib: list(lib.mode(lib.tensor(3.))))
    _same(lambda lib: _grads(lib, lambda lb, t: lb.mode(t).values,
                             np.array([[1., 2., 2.], [0., 5., 0.]], np.float32)))
    _same(lambda lib: [lib.sort(lib.tensor(3.)).values, lib.topk(lib.tensor(3.), 1).values,
                       lib.gather(lib.tensor(3.), 0, lib.tensor(0))])


def test_scatter_add_and_index_add_values_gradients_and_in_place_forms() -> None:
    idx = np.array([[0, 0], [3, 1], [2, 2]])
    _same(lambda lib: _grads(lib, lambda lb, x, s: lb.scatter_add(x, 1, lb.tensor(idx), s),
                             np.zeros((3, 4), np.float32), np.arange(1., 7., dtype=np.float32)
                             .reshape(3, 2)))
    _same(lambda lib: _grads(lib, lambda lb, x, s: x.index_add(0, lb.tensor([0, 4, 0]), s,
                                                               alpha=2.),
                             np.ones((5, 2), np.float32), np.arange(6., dtype=np.float32)
                             .reshape(3, 2)))
    _same(lambda lib: [lib.zeros(2, 3).index_add_(1, lib.tensor([2, 2]), lib.ones(2, 2)),
                       lib.zeros(3).scatter_add_(0, lib.tensor([1, 1]), lib.ones(2))])
    _error(lambda lib: lib.zeros(2, 3).index_add(0, lib.tensor([0]), lib.ones(2, 3)))
    _error(lambda lib: lib.zeros(2, 3).scatter_add(0, lib.tensor([0]), lib.ones(2)))


def test_bincount_and_unique() -> None:
    _same(lambda lib: [lib.bincount(lib.tensor([1, 1, 3])),
                       lib.tensor([1, 1, 3]).bincount(minlength=6),
                       lib.bincount(lib.tensor([1, 1, 3]), weights=lib.tensor([0.5, 1., 2.])),
                       lib.bincount(lib.tensor([], dtype=lib.long))])
    for bad in (lambda lib: lib.bincount(lib.tensor([-1, 2])),
                lambda lib: lib.bincount(lib.tensor([[1]])),
                lambda lib: lib.bincount(lib.tensor([1.])),
                lambda lib: lib.bincount(lib.tensor([1]), minlength=-1),
                lambda lib: lib.bincount(lib.tensor([1, 2]), weights=lib.ones(3))):
        _error(bad)
    x = [[3, 1], [1, 3], [3, 1]]
    _same(lambda lib: [lib.unique(lib.tensor(x)),
                       *lib.tensor(x).unique(return_inverse=True, return_counts=True),
                       *lib.unique(lib.tensor(x), dim=0, return_inverse=True)])


OUT_OF_RANGE = {
    "softmax": lambda lib, x: lib.softmax(x, 2), "log_softmax": lambda lib, x: x.log_softmax(-3),
    "F.softmax": lambda lib, x: lib.nn.functional.softmax(x, dim=2),
    "argmax": lambda lib, x: x.argmax(2), "argmin": lambda lib, x: x.argmin(-3),
    "max": lambda lib, x: x.max(2), "min": lambda lib, x: x.min(-3),
    "sort": lambda lib, x: x.sort(2), "argsort": lambda lib, x: x.argsort(2),
    "topk": lambda lib, x: x.topk(1, 2), "cumsum": lambda lib, x: x.cumsum(2),
    "index_select": lambda lib, x: x.index_select(2, lib.tensor([0])),
    "gather": lambda lib, x: x.gather(2, lib.zeros(2, 3, dtype=lib.long)),
    "cat": lambda lib, x: lib.cat([x, x], 2), "stack": lambda lib, x: lib.stack([x, x], 3),
    "unsqueeze": lambda lib, x: x.unsqueeze(3), "squeeze": lambda lib, x: x.squeeze(2),
    "transpose": lambda lib, x: x.transpose(0, 2), "flip": lambda lib, x: x.flip(2),
    "chunk": lambda lib, x: x.chunk(2, 2), "split": lambda lib, x: x.split(1, 2),
    "narrow": lambda lib, x: x.narrow(2, 0, 1), "unbind": lambda lib, x: x.unbind(2),
    "flatten": lambda lib, x: x.flatten(0, 2), "prod": lambda lib, x: x.prod(2),
    "norm": lambda lib, x: x.norm(dim=2), "var": lambda lib, x: x.var(-3),
    "logsumexp": lambda lib, x: x.logsumexp(2), "mean": lambda lib, x: x.mean(2),
}


@pytest.mark.parametrize("name", list(OUT_OF_RANGE))
def test_an_out_of_range_dim_raises_torchs_index_error_instead_of_wrapping(name: str) -> None:
    """NumPy-style wrapping (dim 2 of a 2-D tensor taken as dim 0) gave silently wrong numbers."""
    assert _error(lambda lib: OUT_OF_RANGE[name](lib, lib.ones(2, 3)))[0] == "IndexError"


def test_out_of_range_dims_raise_torchs_index_error() -> None:
    assert _error(lambda lib: lib.ones(2, 3).sum(dim=2))[0] == "IndexError"
    _error(lambda lib: lib.ones(2, 3).mean(-3))
    _error(lambda lib: lib.tensor(1.).sum(1))
    _same(lambda lib: [lib.tensor(1.).sum(0), lib.tensor(2.).sum(-1)])


def test_an_empty_tensor_prints_its_dtype_unless_it_is_the_default_float() -> None:
    def reprs(lib: Any) -> list[str]:
        return [repr(t).replace(lib.__name__, "torch") for t in (
            lib.zeros(0, dtype=lib.int64), lib.zeros(0, 3, dtype=lib.bool), lib.zeros(0),
            lib.zeros(2, 0, dtype=lib.long), lib.tensor([1, 2]))]
    assert reprs(vb) == reprs(torch)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("probabilities", [False, True])
def test_cross_entropy_label_smoothing_values_and_gradients(reduction: str,
                                                            probabilities: bool) -> None:
    rng = np.random.default_rng(1)
    logits = rng.standard_normal((5, 4)).astype(np.float32)
    target = rng.dirichlet(np.ones(4), 5).astype(np.float32) if probabilities else \
        np.array([0, 3, 1, 1, 2])

    def run(lib: Any) -> list[Any]:
        x = lib.tensor(logits, requires_grad=True)
        loss = lib.nn.functional.cross_entropy(x, lib.tensor(target), reduction=reduction,
                                               label_smoothing=0.2)
        module = lib.nn.CrossEntropyLoss(reduction=reduction, label_smoothing=0.2)
        (loss * lib.arange(1., loss.numel() + 1).reshape(loss.shape)).sum().backward()
        return [loss, x.grad, module(x, lib.tensor(target))]

    _same(run)
    _error(lambda lib: lib.nn.functional.cross_entropy(lib.ones(2, 3), lib.tensor([0, 1]),
                                                       label_smoothing=1.5))


def test_layer_norm_repr_names_its_bias() -> None:
    def reprs(lib: Any) -> list[str]:
        return [repr(lib.nn.LayerNorm(3)), repr(lib.nn.LayerNorm((2, 3), bias=False)),
                repr(lib.nn.LayerNorm(4, elementwise_affine=False))]
    assert reprs(vb) == reprs(torch)


def _with_torchs_bits(run: Callable[[Any], Any], seed: int) -> tuple[Any, Any]:
    """``run(lib)`` after seeding, vibrastic drawing torch's random bits (the corpus shim)."""
    sys.path.insert(0, str(Path(__file__).parent / "compat"))
    import shim

    torch.manual_seed(seed)
    expected = run(torch)
    with shim.torch_draws():
        vb.manual_seed(seed)
        actual = run(vb)
    return _np(expected), _np(actual)


@pytest.mark.parametrize(("shape", "n", "replacement"), [
    ((5,), 1, False), ((4, 6), 1, True), ((4, 6), 3, False), ((4, 6), 5, True), ((7,), 7, False),
    ((3, 2), 4, True)])
def test_multinomial_draws_what_torch_draws_for_the_same_bits(shape: tuple[int, ...], n: int,
                                                              replacement: bool) -> None:
    weights = np.random.default_rng(2).random(shape).astype(np.float32)
    weights.flat[1] = 0.0  # a class of weight 0 is never drawn with replacement
    for seed in range(5):
        expected, actual = _with_torchs_bits(
            lambda lib: lib.multinomial(lib.tensor(weights), n, replacement=replacement), seed)
        assert actual.dtype == expected.dtype and (actual == expected).all()


def test_categorical_samples_are_torchs_for_the_same_bits() -> None:
    logits = np.random.default_rng(3).standard_normal((3, 4)).astype(np.float32)

    def run(lib: Any) -> list[Any]:
        d = lib.distributions.Categorical(logits=lib.tensor(logits))
        return [d.sample(), d.sample((5,)), d.sample((2, 2))]

    expected, actual = _with_torchs_bits(run, 0)
    for e, a in zip(expected, actual, strict=True):
        assert e.shape == a.shape and (e == a).all()


@pytest.mark.parametrize("bad", [
    lambda lib: lib.multinomial(lib.tensor([0.2, 0.3, 0.5]), 4),
    lambda lib: lib.multinomial(lib.tensor([0.2, 0.3, 0.5]), 0),
    lambda lib: lib.multinomial(lib.tensor([-0.1, 1.]), 1),
    lambda lib: lib.multinomial(lib.tensor([float("nan"), 1.]), 1),
    lambda lib: lib.multinomial(lib.tensor([0., 0.]), 1),
    lambda lib: lib.multinomial(lib.ones(2, 2, 2), 1),
    lambda lib: lib.tensor([1, 2]).multinomial(1),
])
def test_multinomial_errors_are_torchs(bad: Callable[[Any], Any]) -> None:
    _error(bad)


def test_compile_takes_torchs_aot_eager_backend_as_its_numpy_backend() -> None:
    vb.manual_seed(0)
    model = vb.nn.Linear(3, 2)
    x = vb.randn(4, 3)

    def loss_of(inputs: vb.Tensor) -> vb.Tensor:
        return model(inputs).pow(2).mean()

    compiled = vb.compile(loss_of, backend="aot_eager")
    assert compiled.backend == "numpy"
    assert [compiled(x).item() for _ in range(3)] == [loss_of(x).item()] * 3
    assert compiled.traces >= 1 and compiled.fallback is None
