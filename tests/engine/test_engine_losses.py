"""Losses against torch: nll_loss / cross_entropy with weight, ignore_index, label_smoothing,
probability targets and (N, C, d1, ...) input, and the other losses of ``nn.functional``;
values and input gradients for every reduction in float32 and float64, torch's errors, and
vb.compile giving eager's bits for the options it replays."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import vibrastic as vb

REDUCTIONS = ("mean", "sum", "none")
DTYPES = (np.float32, np.float64)


def _to(lib: Any, v: Any) -> Any:
    return lib.tensor(v) if isinstance(v, np.ndarray) else v


def against_torch(name: str, inputs: list[np.ndarray], grads: int = 1, **kw: Any) -> None:
    """Run ``F.name(*inputs, **kw)`` in both libraries; compare the loss and the gradients of
    the first ``grads`` inputs (float inputs of the tested dtype)."""
    results = []
    for lib in (torch, vb):
        args = [lib.tensor(a, requires_grad=i < grads) if i < grads else lib.tensor(a)
                for i, a in enumerate(inputs)]
        loss = getattr(lib.nn.functional, name)(*args, **{k: _to(lib, v) for k, v in kw.items()})
        g = np.linspace(0.5, 1.5, loss.numel()).reshape(tuple(loss.shape)).astype(inputs[0].dtype)
        loss.backward(lib.tensor(g))
        results.append((loss.detach().numpy(), [a.grad.numpy() for a in args[:grads]]))
    (want, want_g), (got, got_g) = results
    tol = 2e-5 if inputs[0].dtype == np.float32 else 1e-11
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol, err_msg=f"{name} {kw}")
    for a, b in zip(got_g, want_g, strict=True):
        assert a.dtype == b.dtype
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol, err_msg=f"{name} {kw} gradient")


# ---- nll_loss and cross_entropy: torch's options ----

SHAPES = {"NC": (5, 4), "C": (4,), "NCd": (3, 4, 2)}


def class_case(shape: tuple[int, ...], seed: int = 0) -> tuple[np.ndarray, np.ndarray,
                                                                np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=shape)
    target_shape = shape[:1] + shape[2:] if len(shape) > 1 else ()
    t = rng.integers(0, shape[1 if len(shape) > 1 else 0], size=target_shape)
    return x, t, rng.uniform(0.5, 2.0, size=shape[1 if len(shape) > 1 else 0])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES, ids=list(SHAPES))
def test_class_losses_options_match_torch(shape: str, dtype: Any) -> None:
    x, t, w = class_case(SHAPES[shape])
    x, w = x.astype(dtype), w.astype(dtype)
    with_ignored = t.copy()
    if t.ndim:
        with_ignored.flat[1] = -100
    for reduction, weight, (target, ignore) in itertools.product(
            REDUCTIONS, (None, w), ((t, -100), (with_ignored, -100), (t, 1))):
        kw = dict(weight=weight, ignore_index=ignore, reduction=reduction)
        against_torch("nll_loss", [x, target], **kw)
        for smoothing in (0.0, 0.25):
            against_torch("cross_entropy", [x, target], label_smoothing=smoothing, **kw)


@pytest.mark.parametrize("dtype", DTYPES)
def test_cross_entropy_probability_targets_match_torch(dtype: Any) -> None:
    for shape in SHAPES.values():
        x, _, w = class_case(shape, seed=1)
        p = np.random.default_rng(2).uniform(size=shape)
        p = (p / p.sum(axis=1 if len(shape) > 1 else 0, keepdims=True)).astype(dtype)
        for reduction, weight, smoothing in itertools.product(REDUCTIONS, (None, w.astype(dtype)),
                                                             (0.0, 0.3)):
            against_torch("cross_entropy", [x.astype(dtype), p], weight=weight,
                          reduction=reduction, label_smoothing=smoothing)


@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_all_targets_ignored_gives_nan_mean_and_no_gradient(smoothing: float) -> None:
    x = np.random.default_rng(3).normal(size=(3, 4))
    for reduction, weight in itertools.product(REDUCTIONS, (None, np.ones(4))):
        against_torch("cross_entropy", [x, np.full(3, -100)], weight=weight,
                      reduction=reduction, label_smoothing=smoothing)
        against_torch("nll_loss", [x, np.full(3, -100)], weight=weight, reduction=reduction)


BAD_CLASS_CALLS: dict[str, tuple[str, tuple[int, ...], Any, dict[str, Any]]] = {
    "target above": ("cross_entropy", (4, 3), np.array([0, 5, 1, 1]), {}),
    "target below": ("nll_loss", (4, 3), np.array([0, -1, 1, 1]), {}),
    "ignored is not another": ("cross_entropy", (4, 3), np.array([0, -100, 1, 1]),
                               {"ignore_index": 1}),
    "batch": ("cross_entropy", (4, 3), np.array([0, 1]), {}),
    "float target": ("nll_loss", (4, 3), np.array([0.0, 1, 2, 1]), {}),
    "int32 target": ("cross_entropy", (4, 3), np.array([0, 1, 2, 1], np.int32), {}),
    "2-d target": ("nll_loss", (4, 3), np.zeros((4, 3), np.int64), {}),
    "extra dims": ("cross_entropy", (2, 3, 4), np.zeros((2, 5), np.int64), {}),
    "smoothing": ("cross_entropy", (4, 3), np.array([0, 1, 2, 1]), {"label_smoothing": 1.5}),
    "smoothing probs": ("cross_entropy", (4, 3), np.zeros((4, 3)), {"label_smoothing": 1.01}),
    "weight size": ("nll_loss", (4, 3), np.array([0, 1, 2, 1]), {"weight": np.ones(2)}),
    "weight probs": ("cross_entropy", (4, 3), np.zeros((4, 3)), {"weight": np.ones(2)}),
    "weight dtype": ("cross_entropy", (4, 3), np.array([0, 1, 2, 1]),
                     {"weight": np.ones(3, np.float32)}),
    "ignore probs": ("cross_entropy", (4, 3), np.zeros((4, 3)), {"ignore_index": 1}),
    "reduction": ("cross_entropy", (4, 3), np.array([0, 1, 2, 1]), {"reduction": "avg"}),
}


@pytest.mark.parametrize("case", BAD_CLASS_CALLS)
def test_class_losses_refuse_what_torch_refuses(case: str) -> None:
    name, shape, target, kw = BAD_CLASS_CALLS[case]
    errors = []
    for lib in (torch, vb):
        with pytest.raises(Exception) as info:  # the type is compared below
            getattr(lib.nn.functional, name)(lib.zeros(shape, dtype=lib.float64),
                                             lib.tensor(target),
                                             **{k: _to(lib, v) for k, v in kw.items()})
        errors.append((type(info.value), str(info.value)))
    assert errors[1] == errors[0]


def test_loss_modules_take_torchs_arguments() -> None:
    w = np.array([1.0, 2.0, 0.5], np.float32)
    for lib in (torch, vb):
        ce = lib.nn.CrossEntropyLoss(lib.tensor(w), ignore_index=2, reduction="sum",
                                     label_smoothing=0.1)
        nll = lib.nn.NLLLoss(weight=lib.tensor(w), ignore_index=0)
        assert (repr(ce), repr(nll)) == ("CrossEntropyLoss()", "NLLLoss()")
        assert (ce.ignore_index, ce.label_smoothing, ce.reduction) == (2, 0.1, "sum")
        assert list(dict(ce.named_buffers())) == ["weight"] and nll.ignore_index == 0
        assert lib.nn.CrossEntropyLoss().weight is None
    x, t = class_case((5, 3))[:2]
    got = [lib.nn.CrossEntropyLoss(lib.tensor(w.astype(np.float64)), ignore_index=1,
                                   label_smoothing=0.1)(lib.tensor(x), lib.tensor(t)).item()
           for lib in (torch, vb)]
    assert got[1] == pytest.approx(got[0], rel=1e-12)


def test_legacy_size_average_and_reduce_warn_as_torch() -> None:
    x, t = class_case((5, 3))[:2]
    for lib in (torch, vb):
        with pytest.warns(UserWarning, match="please use reduction='sum' instead"):
            loss = lib.nn.functional.nll_loss(lib.tensor(x), lib.tensor(t), size_average=False)
        assert loss.item() == pytest.approx(-x[np.arange(5), t].sum(), rel=1e-12)


# ---- vb.compile: the options give eager's bits ----

F = vb.nn.functional
COMPILED_OPTIONS: dict[str, tuple[int, Callable[[vb.Tensor, vb.Tensor, vb.Tensor], vb.Tensor]]] = {
    "weight": (-100, lambda h, y, w: F.cross_entropy(h, y, weight=w)),
    "ignore_index": (2, lambda h, y, w: F.cross_entropy(h, y, ignore_index=2)),
    "label_smoothing": (-100, lambda h, y, w: F.cross_entropy(h, y, label_smoothing=0.1,
                                                              reduction="sum")),
    "all": (0, lambda h, y, w: F.cross_entropy(h, y, weight=w, ignore_index=0,
                                               label_smoothing=0.2)),
    "nll weight": (1, lambda h, y, w: F.nll_loss(F.log_softmax(h, dim=1), y, weight=w,
                                                 ignore_index=1, reduction="none").sum()),
    "module": (-100, lambda h, y, w: vb.nn.CrossEntropyLoss(w, label_smoothing=0.05)(h, y)),
    "default": (-100, lambda h, y, w: F.cross_entropy(h, y)),
    # after a random draw a retrace would draw again: eager's function runs in the code instead
    "default after dropout": (-100, lambda h, y, w: F.cross_entropy(F.dropout(h, 0.3), y)),
}


def training_step(net: vb.nn.Module, loss_of: Callable[[vb.Tensor, vb.Tensor], vb.Tensor]
                  ) -> Callable[[vb.Tensor, vb.Tensor], vb.Tensor]:
    opt = vb.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)

    def step(x: vb.Tensor, y: vb.Tensor) -> vb.Tensor:
        opt.zero_grad()
        loss = loss_of(net(x), y)
        loss.backward()
        opt.step()
        return loss

    return step


@pytest.mark.parametrize("dtype", [vb.float32, vb.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("option", COMPILED_OPTIONS)
def test_compiled_class_loss_options_give_eager_bits(option: str, dtype: Any) -> None:
    """A training step with each option, eager and compiled (fullgraph: no fallback), over
    batches without and with ignored targets (the default -100 too: the code traced without
    any traces again), all of them ignored in the last."""
    ignore, loss_of = COMPILED_OPTIONS[option]
    rng = np.random.default_rng(4)
    batches = [(rng.normal(size=(6, 3)), rng.integers(0, 4, size=6)) for _ in range(4)]
    batches[1][1][2] = ignore
    batches[3][1][:] = ignore
    runs = []
    for compiled in (False, True):
        vb.manual_seed(0)
        net = vb.nn.Linear(3, 4, dtype=dtype)
        w = vb.tensor([1.0, 2.0, 0.5, 1.5], dtype=dtype)
        step = training_step(net, lambda h, y, w=w: loss_of(h, y, w))
        fn = vb.compile(step, fullgraph=True, backend="numpy") if compiled else step
        losses = [fn(vb.tensor(x, dtype=dtype), vb.tensor(y))._data.copy() for x, y in batches]
        runs.append((losses, net.weight._data.copy(), net.bias._data.copy()))
    for eager, ours in zip(*runs, strict=True):
        np.testing.assert_array_equal(np.asarray(eager), np.asarray(ours), strict=True)


def test_compiled_cross_entropy_extra_dims_gives_eager_bits() -> None:
    rng = np.random.default_rng(5)
    h = vb.tensor(rng.normal(size=(2, 3, 4)), requires_grad=True)

    def loss_of(h: vb.Tensor, y: vb.Tensor) -> vb.Tensor:
        return vb.nn.functional.cross_entropy(h, y, reduction="none").sum()

    compiled = vb.compile(loss_of, fullgraph=True, backend="numpy")
    for _ in range(2):
        y = vb.tensor(rng.integers(0, 3, size=(2, 4)))
        grads = []
        for fn in (loss_of, compiled):
            h.grad = None
            loss = fn(h, y)
            loss.backward()
            grads.append((loss._data.copy(), h.grad._data.copy()))
        for a, b in zip(*grads, strict=True):
            np.testing.assert_array_equal(a, b, strict=True)


def test_compiled_deprecated_reduce_runs_eagerly_and_says_why() -> None:
    def loss_of(h: vb.Tensor, y: vb.Tensor) -> vb.Tensor:
        return vb.nn.functional.cross_entropy(h, y, reduce=False).sum()

    compiled = vb.compile(loss_of, backend="numpy")
    h, y = vb.tensor(np.ones((2, 3))), vb.tensor([0, 1])
    with pytest.warns(UserWarning) as caught:
        assert compiled(h, y).item() == pytest.approx(2 * np.log(3))
    assert any("size_average/reduce" in str(w.message) for w in caught)


# ---- the other losses ----


def _signs(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return rng.choice([-1.0, 1.0], size=shape)


def loss_cases(dtype: Any) -> dict[str, tuple[list[np.ndarray], int, list[dict[str, Any]]]]:
    """name -> (inputs, how many of them get gradients, keyword variants)."""
    rng = np.random.default_rng(6)

    def f(*shape: int) -> np.ndarray:
        return rng.normal(size=shape).astype(dtype)

    var = rng.uniform(0.1, 2.0, size=(4, 3)).astype(dtype)
    var[0, 0] = 1e-8  # clamped to eps
    counts = rng.poisson(2.0, size=(4, 3)).astype(dtype)
    labels = (rng.uniform(size=(4, 3)) > 0.5).astype(dtype)
    return {
        "gaussian_nll_loss": ([f(4, 3), f(4, 3), var], 3, [{}, {"full": True, "eps": 1e-3}]),
        "gaussian_nll_loss/homoscedastic": ([f(4, 3), f(4, 3), var[:, 0]], 3, [{}]),
        "poisson_nll_loss": ([f(4, 3), counts], 1, [{}, {"full": True}]),
        "poisson_nll_loss/rates": ([np.abs(f(4, 3)) + 0.1, counts], 1,
                                   [{"log_input": False}, {"log_input": False, "full": True}]),
        "margin_ranking_loss": ([f(6), f(6), _signs(rng, (6,)).astype(dtype)], 2,
                                [{}, {"margin": 0.5}]),
        "hinge_embedding_loss": ([f(6), _signs(rng, (6,)).astype(dtype)], 1,
                                 [{}, {"margin": 0.3}]),
        "cosine_embedding_loss": ([f(5, 3), f(5, 3), _signs(rng, (5,)).astype(dtype)], 2,
                                  [{}, {"margin": 0.2}]),
        "triplet_margin_loss": ([f(5, 3), f(5, 3), f(5, 3)], 3,
                                [{}, {"margin": 0.5, "p": 1, "swap": True}, {"p": 3.0}]),
        "soft_margin_loss": ([f(4, 3), _signs(rng, (4, 3)).astype(dtype)], 1, [{}]),
        "multilabel_soft_margin_loss": ([f(4, 3), labels], 1,
                                        [{}, {"weight": np.array([1.0, 2.0, 0.5], dtype)}]),
        "multi_margin_loss": ([f(5, 4), rng.integers(0, 4, size=5)], 1,
                              [{}, {"p": 2, "margin": 0.7},
                               {"weight": np.array([1.0, 2.0, 0.5, 1.5], dtype)}]),
        "multi_margin_loss/vector": ([f(4), np.array(2)], 1, [{}]),
    }


@pytest.mark.parametrize("dtype", DTYPES)
def test_other_losses_match_torch(dtype: Any) -> None:
    for name, (inputs, grads, variants) in loss_cases(dtype).items():
        for kw, reduction in itertools.product(variants, REDUCTIONS):
            against_torch(name.split("/")[0], inputs, grads, reduction=reduction, **kw)


BAD_OTHER_CALLS: dict[str, tuple[str, list[Any], dict[str, Any]]] = {
    "gaussian var < 0": ("gaussian_nll_loss", [np.zeros(3), np.zeros(3), -np.ones(3)], {}),
    "gaussian var size": ("gaussian_nll_loss", [np.zeros((2, 3)), np.zeros((2, 3)),
                                                np.ones((3, 2))], {}),
    "gaussian reduction": ("gaussian_nll_loss", [np.zeros(3), np.zeros(3), np.ones(3)],
                           {"reduction": "avg"}),
    "poisson reduction": ("poisson_nll_loss", [np.zeros(3), np.zeros(3)], {"reduction": "x"}),
    "ranking dims": ("margin_ranking_loss", [np.zeros(3), np.zeros(3), np.ones((1, 3))], {}),
    "cosine 2-d target": ("cosine_embedding_loss", [np.zeros((2, 3)), np.zeros((2, 3)),
                                                    np.ones((2, 1))], {}),
    "cosine 1-d inputs": ("cosine_embedding_loss", [np.zeros(3), np.zeros(3), np.ones(3)], {}),
    "triplet margin": ("triplet_margin_loss", [np.zeros((2, 3))] * 3, {"margin": 0.0}),
    "triplet dims": ("triplet_margin_loss", [np.zeros((2, 3)), np.zeros((2, 3)),
                                             np.zeros(3)], {}),
    "multi margin p": ("multi_margin_loss", [np.zeros((2, 3)), np.array([0, 1])], {"p": 3}),
    "multi margin target": ("multi_margin_loss", [np.zeros((2, 3)), np.array([0, 3])], {}),
    "multi margin size": ("multi_margin_loss", [np.zeros((2, 3)), np.array([0, 1, 2])], {}),
    "multi margin 2-d target": ("multi_margin_loss", [np.zeros((2, 3)), np.array([[0], [1]])],
                                {}),
    "multi margin empty": ("multi_margin_loss", [np.zeros((2, 0)), np.array([0, 1])], {}),
    "multi margin weight": ("multi_margin_loss", [np.zeros((2, 3)), np.array([0, 1])],
                            {"weight": np.ones(2)}),
    "multilabel reduction": ("multilabel_soft_margin_loss", [np.zeros((2, 3)), np.ones((2, 3))],
                             {"reduction": "avg"}),
}


@pytest.mark.parametrize("case", BAD_OTHER_CALLS)
def test_other_losses_refuse_what_torch_refuses(case: str) -> None:
    name, inputs, kw = BAD_OTHER_CALLS[case]
    errors = []
    for lib in (torch, vb):
        with pytest.raises(Exception) as info:  # the type is compared below
            getattr(lib.nn.functional, name)(*[lib.tensor(a) for a in inputs],
                                             **{k: _to(lib, v) for k, v in kw.items()})
        errors.append((type(info.value), str(info.value)))
    assert errors[1] == errors[0]


MODULES = {  # name -> (arguments, attributes compared, the loss_cases input)
    "GaussianNLLLoss": ({"full": True, "eps": 1e-3}, ("full", "eps", "reduction"),
                        "gaussian_nll_loss"),
    "PoissonNLLLoss": ({"log_input": False, "full": True}, ("log_input", "full", "eps"),
                       "poisson_nll_loss/rates"),
    "MarginRankingLoss": ({"margin": 0.5}, ("margin", "reduction"), "margin_ranking_loss"),
    "HingeEmbeddingLoss": ({}, ("margin",), "hinge_embedding_loss"),
    "CosineEmbeddingLoss": ({"reduction": "sum"}, ("margin", "reduction"),
                            "cosine_embedding_loss"),
    "TripletMarginLoss": ({"p": 1.0, "swap": True}, ("margin", "p", "eps", "swap"),
                          "triplet_margin_loss"),
    "SoftMarginLoss": ({}, ("reduction",), "soft_margin_loss"),
    "MultiLabelSoftMarginLoss": ({}, ("reduction", "weight"), "multilabel_soft_margin_loss"),
    "MultiMarginLoss": ({"p": 2, "margin": 0.5}, ("p", "margin", "weight"), "multi_margin_loss"),
}


@pytest.mark.parametrize("name", MODULES)
def test_other_loss_modules_as_torchs(name: str) -> None:
    kw, attrs, case_name = MODULES[name]
    made = [getattr(lib.nn, name)(**kw) for lib in (torch, vb)]
    assert repr(made[1]) == repr(made[0]) == f"{name}()"
    assert [getattr(made[1], a) for a in attrs] == [getattr(made[0], a) for a in attrs]
    case = loss_cases(np.float64)[case_name][0]
    got = [m(*[lib.tensor(a) for a in case]).item()
           for m, lib in zip(made, (torch, vb), strict=True)]
    assert got[1] == pytest.approx(got[0], rel=1e-10)


@pytest.mark.parametrize("name", ["gaussian_nll_loss", "margin_ranking_loss",
                                  "cosine_embedding_loss", "triplet_margin_loss",
                                  "multilabel_soft_margin_loss", "multi_margin_loss"])
def test_other_losses_compile_to_eager_bits(name: str) -> None:
    """They are made of engine ops with rules: a fullgraph compile replays them exactly."""
    inputs, grads, variants = loss_cases(np.float32)[name]
    kw = variants[-1]

    def loss_of(*args: vb.Tensor) -> vb.Tensor:
        return getattr(vb.nn.functional, name)(*args, **{k: _to(vb, v) for k, v in kw.items()})

    compiled = vb.compile(loss_of, fullgraph=True, backend="numpy")
    for shift in (0.0, 0.25):
        results = []
        for fn in (loss_of, compiled):
            args = [vb.tensor(a + shift if i < grads else a, requires_grad=i < grads)
                    for i, a in enumerate(inputs)]
            loss = fn(*args)
            loss.backward()
            results.append([loss._data.copy()] + [a.grad._data.copy() for a in args[:grads]])
        for a, b in zip(*results, strict=True):
            np.testing.assert_array_equal(a, b, strict=True)


def test_compiled_losses_check_values_on_every_call() -> None:
    """torch's checks on values (a negative variance, a class out of range) are in the
    compiled code: a later call raises eager's error instead of giving numbers."""
    F = vb.nn.functional

    def gaussian(x: vb.Tensor, var: vb.Tensor) -> vb.Tensor:
        return F.gaussian_nll_loss(x, vb.zeros(3), var)

    def margin(x: vb.Tensor, y: vb.Tensor) -> vb.Tensor:
        return F.multi_margin_loss(x, y)

    x = vb.tensor([0.5, -1.0, 2.0])
    cases = [(gaussian, (x, vb.ones(3)), (x, vb.tensor([1.0, -0.5, 1.0])), ValueError,
              "var has negative entry/entries"),
             (margin, (vb.ones(2, 3), vb.tensor([0, 2])), (vb.ones(2, 3), vb.tensor([0, 3])),
              RuntimeError, "target out of range")]
    for fn, good, bad, error, message in cases:
        compiled = vb.compile(fn, fullgraph=True, backend="numpy")
        assert compiled(*good).item() == fn(*good).item()
        for run in (fn, compiled):
            with pytest.raises(error, match=f"^{message}$"):
                run(*bad)
        assert compiled.traces == 1


@pytest.mark.parametrize("dtype", DTYPES)
def test_binary_cross_entropy_weight_matches_torch(dtype: Any) -> None:
    rng = np.random.default_rng(7)
    p = rng.uniform(0.05, 0.95, size=(4, 3)).astype(dtype)
    y = (rng.uniform(size=(4, 3)) > 0.5).astype(dtype)
    for weight, reduction in itertools.product(
            (None, rng.uniform(0.5, 2, 3).astype(dtype), rng.uniform(size=(4, 3)).astype(dtype)),
            REDUCTIONS):
        against_torch("binary_cross_entropy", [p, y], weight=weight, reduction=reduction)
    for lib in (torch, vb):
        assert repr(lib.nn.BCELoss(lib.ones(3))) == "BCELoss()"
        with pytest.raises(ValueError, match=r"^Using a target size \(torch.Size\(\[4, 1\]\)\) "
                           r"that is different to the input size \(torch.Size\(\[4\]\)\)"):
            lib.nn.functional.binary_cross_entropy(lib.ones(4) / 2, lib.ones(4, 1))


def test_compiled_binary_cross_entropy_weight_gives_eager_bits() -> None:
    rng = np.random.default_rng(8)
    w = vb.tensor(rng.uniform(0.5, 2, 3).astype(np.float32))

    def loss_of(h: vb.Tensor, y: vb.Tensor) -> vb.Tensor:
        return vb.nn.BCELoss(w)(vb.sigmoid(h), y)

    compiled = vb.compile(loss_of, fullgraph=True, backend="numpy")
    for _ in range(2):
        h0 = rng.normal(size=(4, 3)).astype(np.float32)
        y = vb.tensor((rng.uniform(size=(4, 3)) > 0.5).astype(np.float32))
        results = []
        for fn in (loss_of, compiled):
            h = vb.tensor(h0, requires_grad=True)
            loss = fn(h, y)
            loss.backward()
            results.append((loss._data.copy(), h.grad._data.copy()))
        for a, b in zip(*results, strict=True):
            np.testing.assert_array_equal(a, b, strict=True)


def test_every_loss_module_takes_torchs_deprecated_flags() -> None:
    """size_average/reduce go through the loss base, as torch's _Loss (KLDivLoss took them
    and dropped them)."""
    import warnings

    for name in ("KLDivLoss", "MSELoss", "L1Loss", "CrossEntropyLoss", "PoissonNLLLoss"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ours = getattr(vb.nn, name)(size_average=False).reduction
            theirs = getattr(torch.nn, name)(size_average=False).reduction
        assert ours == theirs == "sum"
