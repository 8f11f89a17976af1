"""vb.distributions against torch.distributions: values and gradients of log_prob, entropy and
cdf on fixed inputs, samples (shapes, dtypes, reproducibility, frequencies), validation errors,
a REINFORCE step, and what vb.compile does with a distribution in a training step."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pytest
import torch

import vibrastic as vb
from vibrastic.compiler import CompileWarning

torch.set_num_threads(1)

D, TD = vb.distributions, torch.distributions
LIBS = pytest.mark.parametrize("lib", [vb, torch], ids=["vibrastic", "torch"])
DTYPES = pytest.mark.parametrize("dtype", [np.float32, np.float64])
RNG = np.random.default_rng(7)
LOGITS = RNG.normal(size=(2, 3, 4)) * 2  # batch (2, 3), 4 classes
ACTIONS = np.array([[[0, 3, 1]], [[2, 2, 0]], [[3, 1, 1]]])  # (3, 1, 3): broadcasts to (3, 2, 3)


def tol(dtype: Any) -> dict[str, float]:
    return {"rtol": 1e-5, "atol": 1e-6} if dtype == np.float32 else {"rtol": 1e-12, "atol": 1e-12}


def both(arr: np.ndarray, dtype: Any) -> tuple[vb.Tensor, torch.Tensor]:
    """The same values as a vibrastic and a torch leaf that requires grad."""
    a = np.asarray(arr, dtype=dtype)
    return vb.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)


def close(v: vb.Tensor, t: torch.Tensor, dtype: Any) -> None:
    assert v.shape == tuple(t.shape)
    assert v.detach().numpy().dtype == t.detach().numpy().dtype
    np.testing.assert_allclose(v.detach().numpy(), t.detach().numpy(), **tol(dtype))


# ---- Categorical ----


@DTYPES
@pytest.mark.parametrize("kind", ["logits", "probs"])
def test_categorical_matches_torch_values_and_gradients(kind: str, dtype: Any) -> None:
    arr = LOGITS if kind == "logits" else np.exp(LOGITS)  # unnormalised either way
    x, tx = both(arr, dtype)
    d, td = D.Categorical(**{kind: x}), TD.Categorical(**{kind: tx})
    assert (d.batch_shape, d.event_shape, d.param_shape) == ((2, 3), (), (2, 3, 4))
    for name in ("probs", "logits"):
        close(getattr(d, name), getattr(td, name), dtype)
    lp, tlp = d.log_prob(vb.tensor(ACTIONS)), td.log_prob(torch.tensor(ACTIONS))
    close(lp, tlp, dtype)  # value (3, 1, 3) broadcast against the batch (2, 3)
    close(d.entropy(), td.entropy(), dtype)
    weights = RNG.normal(size=(3, 2, 3))  # a weighted sum, as an advantage would weigh it
    ((lp * vb.tensor(weights, dtype=lp.dtype)).sum() + d.entropy().sum()).backward()
    ((tlp * torch.tensor(weights, dtype=tlp.dtype)).sum() + td.entropy().sum()).backward()
    close(x.grad, tx.grad, dtype)
    close(d.mode, td.mode, dtype)
    close(d.enumerate_support(), td.enumerate_support(), dtype)
    assert np.isnan(d.mean.numpy()).all() and d.variance.shape == (2, 3)


def test_categorical_with_a_zero_probability() -> None:
    p = [0.5, 0.0, 0.5]
    x, tx = vb.tensor(p, requires_grad=True), torch.tensor(p, requires_grad=True)
    d, td = D.Categorical(probs=x), TD.Categorical(probs=tx)
    close(d.logits, td.logits, np.float32)  # log of eps, not -inf
    d.entropy().backward()
    td.entropy().backward()
    close(x.grad, tx.grad, np.float32)
    minus_inf = [0.0, -math.inf, 0.0]  # logits of -inf: the entropy stays finite, as torch's
    close(D.Categorical(logits=vb.tensor(minus_inf)).entropy(),
          TD.Categorical(logits=torch.tensor(minus_inf)).entropy(), np.float32)


def test_categorical_samples_shapes_reproducibility_and_frequencies() -> None:
    probs = np.array([[0.1, 0.0, 0.6, 0.3], [0.25, 0.25, 0.25, 0.25]])
    d = D.Categorical(probs=vb.tensor(probs))
    assert d.sample().shape == (2,) and d.sample().dtype == vb.int64
    vb.manual_seed(3)
    n = 20_000
    draws = d.sample((n,))
    assert draws.shape == (n, 2) and draws.dtype == vb.int64
    vb.manual_seed(3)
    assert np.array_equal(d.sample((n,)).numpy(), draws.numpy())
    assert d.sample((4, 5)).shape == (4, 5, 2)
    for row in range(2):
        freq = np.bincount(draws.numpy()[:, row], minlength=4) / n
        # 5 standard errors of a frequency over n draws (0 where p is 0: never drawn)
        bound = 5 * np.sqrt(probs[row] * (1 - probs[row]) / n)
        assert np.all(np.abs(freq - probs[row]) <= bound), (freq, probs[row])


# ---- Normal ----


@DTYPES
def test_normal_matches_torch_values_and_gradients(dtype: Any) -> None:
    loc, tloc = both(RNG.normal(size=(3, 1)), dtype)  # broadcast with scale (4,): batch (3, 4)
    scale, tscale = both(RNG.uniform(0.5, 2.0, size=4), dtype)
    d, td = D.Normal(loc, scale), TD.Normal(tloc, tscale)
    assert d.batch_shape == (3, 4) and d.event_shape == ()
    value = RNG.normal(size=(2, 3, 4)).astype(dtype)
    for v, t in ((d.log_prob(vb.tensor(value)), td.log_prob(torch.tensor(value))),
                 (d.cdf(vb.tensor(value)), td.cdf(torch.tensor(value))),
                 (d.entropy(), td.entropy()), (d.mean, td.mean), (d.stddev, td.stddev),
                 (d.variance, td.variance)):
        close(v, t, dtype)
    total = (d.log_prob(vb.tensor(value)).sum() + d.cdf(vb.tensor(value)).sum()
             + d.entropy().sum())
    total.backward()
    (td.log_prob(torch.tensor(value)).sum() + td.cdf(torch.tensor(value)).sum()
     + td.entropy().sum()).backward()
    close(loc.grad, tloc.grad, dtype)
    close(scale.grad, tscale.grad, dtype)


def test_normal_of_numbers_is_a_scalar_distribution() -> None:
    d, td = D.Normal(0.0, 2.0), TD.Normal(0.0, 2.0)
    assert d.batch_shape == () and d.loc.dtype == vb.float32
    close(d.log_prob(vb.tensor(1.0)), td.log_prob(torch.tensor(1.0)), np.float32)
    assert repr(d) == "Normal(loc: 0.0, scale: 2.0)"


def test_normal_rsample_is_differentiable_and_sample_is_not() -> None:
    loc = vb.tensor([0.0, 10.0], dtype=vb.float64, requires_grad=True)
    scale = vb.tensor([1.0, 0.5], dtype=vb.float64, requires_grad=True)
    d = D.Normal(loc, scale)
    vb.manual_seed(1)
    x = d.rsample((3,))
    vb.manual_seed(1)
    s = d.sample((3,))
    assert x.shape == s.shape == (3, 2) and not s.requires_grad
    np.testing.assert_array_equal(x.detach().numpy(), s.numpy())  # the same noise
    x.sum().backward()
    eps = (x.detach().numpy() - loc.detach().numpy()) / scale.detach().numpy()
    np.testing.assert_allclose(loc.grad.numpy(), [3.0, 3.0])  # d(loc + eps·scale)/dloc = 1
    np.testing.assert_allclose(scale.grad.numpy(), eps.sum(0), rtol=1e-12)  # d/dscale = eps


def test_normal_sample_statistics() -> None:
    vb.manual_seed(5)
    n = 20_000
    x = D.Normal(vb.tensor([1.0, -3.0]), vb.tensor([0.5, 2.0])).sample((n,)).numpy()
    scale = np.array([0.5, 2.0])
    # 5 standard errors: of a mean, σ/√n; of a standard deviation, about σ/√(2n)
    assert np.all(np.abs(x.mean(0) - [1.0, -3.0]) <= 5 * scale / np.sqrt(n))
    assert np.all(np.abs(x.std(0) - scale) <= 5 * scale / np.sqrt(2 * n))


# ---- Bernoulli ----


@DTYPES
@pytest.mark.parametrize("kind", ["logits", "probs"])
def test_bernoulli_matches_torch_values_and_gradients(kind: str, dtype: Any) -> None:
    logits = np.array([[-40.0, -2.0, 0.3], [1.5, 5.0, 40.0]])  # extreme logits stay finite
    arr = logits if kind == "logits" else np.array([[0.0, 0.1, 0.5], [0.7, 0.99, 1.0]])
    x, tx = both(arr, dtype)
    d, td = D.Bernoulli(**{kind: x}), TD.Bernoulli(**{kind: tx})
    value = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]], dtype=dtype)
    lp, tlp = d.log_prob(vb.tensor(value)), td.log_prob(torch.tensor(value))
    close(lp, tlp, dtype)
    for v, t in ((d.entropy(), td.entropy()), (d.mean, td.mean), (d.variance, td.variance),
                 (d.probs, td.probs), (d.logits, td.logits)):
        close(v, t, dtype)
    (lp.sum() + d.entropy().sum()).backward()
    (tlp.sum() + td.entropy().sum()).backward()
    close(x.grad, tx.grad, dtype)


def test_bernoulli_samples() -> None:
    p = np.array([0.0, 0.2, 0.9], dtype=np.float64)
    d = D.Bernoulli(probs=vb.tensor(p))
    vb.manual_seed(2)
    n = 20_000
    draws = d.sample((n,))
    assert draws.shape == (n, 3) and draws.dtype == vb.float64
    vb.manual_seed(2)
    assert np.array_equal(d.sample((n,)).numpy(), draws.numpy())
    assert D.Bernoulli(0.5).sample().shape == ()
    assert np.all(np.abs(draws.numpy().mean(0) - p) <= 5 * np.sqrt(p * (1 - p) / n))


# ---- Independent and kl_divergence ----


def test_independent_normal_matches_torch() -> None:
    """A diagonal Gaussian policy over 2-d actions: batch (3,), event (2,)."""
    loc, tloc = both(RNG.normal(size=(3, 2)), np.float64)
    scale, tscale = both(RNG.uniform(0.5, 2.0, size=(3, 2)), np.float64)
    d = D.Independent(D.Normal(loc, scale), 1)
    td = TD.Independent(TD.Normal(tloc, tscale), 1)
    assert (d.batch_shape, d.event_shape) == ((3,), (2,))
    assert d.sample((5,)).shape == (5, 3, 2) and d.has_rsample
    value = RNG.normal(size=(5, 3, 2))
    lp, tlp = d.log_prob(vb.tensor(value)), td.log_prob(torch.tensor(value))
    close(lp, tlp, np.float64)
    close(d.entropy(), td.entropy(), np.float64)
    (lp.sum() + d.entropy().sum()).backward()
    (tlp.sum() + td.entropy().sum()).backward()
    close(loc.grad, tloc.grad, np.float64)
    close(scale.grad, tscale.grad, np.float64)
    assert repr(d).startswith("Independent(Normal(loc: vibrastic.Size([3, 2])")
    with pytest.raises(ValueError, match="reinterpreted_batch_ndims <= len"):
        D.Independent(D.Normal(loc, scale), 3)


@DTYPES
def test_kl_divergence_matches_torch(dtype: Any) -> None:
    pairs = [
        ("Categorical", {"logits": LOGITS}, {"logits": LOGITS[::-1] * 0.5}),
        ("Normal", {"loc": RNG.normal(size=3), "scale": RNG.uniform(0.5, 2, size=3)},
         {"loc": RNG.normal(size=3), "scale": RNG.uniform(0.5, 2, size=3)}),
        ("Bernoulli", {"logits": np.array([-3.0, 0.2, 4.0])},
         {"logits": np.array([1.0, -0.7, 2.0])}),
    ]
    for name, p_args, q_args in pairs:
        leaves = {k: both(v, dtype) for k, v in (p_args | {f"q_{k}": v for k, v in
                                                            q_args.items()}).items()}
        mine, theirs = [], []
        for lib, i in ((D, 0), (TD, 1)):
            p = getattr(lib, name)(**{k: leaves[k][i] for k in p_args})
            q = getattr(lib, name)(**{k: leaves[f"q_{k}"][i] for k in q_args})
            kl = lib.kl_divergence(p, q)
            kl.sum().backward()
            (mine if lib is D else theirs).append(kl)
        close(mine[0], theirs[0], dtype)
        for v, t in leaves.values():
            close(v.grad, t.grad, dtype)


def test_kl_divergence_where_a_probability_is_zero() -> None:
    for lib in (D, TD):
        t = vb if lib is D else torch
        cat = lib.kl_divergence(lib.Categorical(probs=t.tensor([[0.5, 0.5, 0.0], [0.5, 0.5, 0.0]])),
                                lib.Categorical(probs=t.tensor([[0.5, 0.0, 0.5], [0.2, 0.3, 0.5]])))
        ber = lib.kl_divergence(lib.Bernoulli(t.tensor([0.0, 1.0, 0.3])),
                                lib.Bernoulli(t.tensor([0.5, 0.0, 0.0])))
        assert np.isinf(cat.numpy()[0]) and np.isfinite(cat.numpy()[1])
        np.testing.assert_array_equal(np.isinf(ber.numpy()), [False, True, True])
        np.testing.assert_allclose(cat.numpy()[1],
                                   0.5 * np.log(0.5 / 0.2) + 0.5 * np.log(0.5 / 0.3), rtol=1e-6)
    with pytest.raises(NotImplementedError, match="No KL\\(p \\|\\| q\\) is implemented for p "
                                                  "type Normal and q type Bernoulli"):
        D.kl_divergence(D.Normal(0.0, 1.0), D.Bernoulli(0.5))


# ---- validation: torch's exception types ----


@LIBS
def test_invalid_parameters_raise_value_error_naming_the_constraint(lib: Any) -> None:
    dist = lib.distributions
    with pytest.raises(ValueError, match=r"parameter scale .* GreaterThan\(lower_bound=0\.0\)"):
        dist.Normal(lib.tensor([0.0, 1.0]), lib.tensor([1.0, 0.0]))
    with pytest.raises(ValueError, match=r"Simplex\(\)"):
        dist.Categorical(probs=lib.tensor([-0.5, 1.0, 0.5]))
    with pytest.raises(ValueError, match=r"Interval\(lower_bound=0\.0, upper_bound=1\.0\)"):
        dist.Bernoulli(1.5)
    for args in ({}, {"probs": lib.ones(2), "logits": lib.zeros(2)}):
        with pytest.raises(ValueError, match="Either `probs` or `logits` must be specified"):
            dist.Categorical(**args)
    with pytest.raises(ValueError, match="at least one-dimensional"):
        dist.Categorical(logits=lib.tensor(1.0))
    assert dist.Normal(0.0, -1.0, validate_args=False).scale.item() == -1.0  # not checked


@LIBS
def test_invalid_values_raise(lib: Any) -> None:
    dist = lib.distributions
    cat = dist.Categorical(logits=lib.zeros(3))
    with pytest.raises(ValueError, match=r"within the support \(IntegerInterval\(lower_bound=0, "
                                         r"upper_bound=2\)\)"):
        cat.log_prob(lib.tensor(3))
    with pytest.raises(ValueError, match="not broadcastable with batch_shape"):
        dist.Categorical(logits=lib.zeros(2, 3)).log_prob(lib.tensor([0, 1, 2]))
    with pytest.raises(ValueError, match=r"support \(Boolean\(\)\)"):
        dist.Bernoulli(lib.tensor([0.3])).log_prob(lib.tensor([0.5]))
    with pytest.raises(ValueError, match="The value argument to log_prob must be a Tensor"):
        dist.Normal(0.0, 1.0).log_prob(0.5)
    unchecked = dist.Categorical(logits=lib.zeros(3), validate_args=False)
    with pytest.raises(RuntimeError, match="index 3 is out of bounds for dimension 0 with size 3"):
        unchecked.log_prob(lib.tensor(3))


def test_default_validation_can_be_turned_off() -> None:
    D.Distribution.set_default_validate_args(False)
    try:
        assert D.Normal(0.0, 0.0).scale.item() == 0.0
    finally:
        D.Distribution.set_default_validate_args(True)
    with pytest.raises(ValueError, match="GreaterThan"):
        D.Normal(0.0, 0.0)


def test_a_missing_distribution_says_so() -> None:
    with pytest.raises(AttributeError, match=r"torch\.distributions\.Beta is not available"):
        _ = vb.distributions.Beta


# ---- policy gradients ----


def test_reinforce_step_gives_torch_gradients() -> None:
    """-(log π(a|s) · G).mean() plus an entropy bonus on a Linear policy: same gradients."""
    w, b = RNG.normal(size=(3, 4)), RNG.normal(size=3)
    states, actions = RNG.normal(size=(6, 4)), np.array([0, 2, 1, 1, 0, 2])
    returns = np.array([1.0, -0.5, 2.0, 0.0, 0.3, -1.2])
    grads = []
    for lib in (vb, torch):
        policy = lib.nn.Linear(4, 3).double()
        with lib.no_grad():
            policy.weight.copy_(lib.tensor(w))
            policy.bias.copy_(lib.tensor(b))
        dist = lib.distributions.Categorical(logits=policy(lib.tensor(states)))
        advantage = lib.tensor(returns)
        loss = -(dist.log_prob(lib.tensor(actions)) * advantage).mean() \
            - 0.01 * dist.entropy().mean()
        loss.backward()
        grads.append((policy.weight.grad.numpy(), policy.bias.grad.numpy()))
    for mine, theirs in zip(*grads, strict=True):
        np.testing.assert_allclose(mine, theirs, rtol=1e-12, atol=1e-14)


# ---- vb.compile ----


def test_compiled_validating_categorical_step_runs_eagerly_and_says_why() -> None:
    """Validation reads values (``__bool__``): a step that builds a validating Categorical
    runs eagerly (one CompileWarning naming the line) with eager's numbers. Without
    validation it compiles (test_compile_more_rules.py)."""

    def losses(compiled: bool) -> list[float]:
        vb.manual_seed(0)
        policy = vb.nn.Linear(4, 3)
        opt = vb.optim.SGD(policy.parameters(), lr=0.1)
        states, actions, returns = vb.randn(5, 4), vb.tensor([0, 1, 2, 1, 0]), vb.randn(5)

        def step() -> vb.Tensor:
            dist = vb.distributions.Categorical(logits=policy(states))
            loss = -(dist.log_prob(actions) * returns).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            return loss

        run = vb.compile(step) if compiled else step
        return [run().item() for _ in range(3)]

    with pytest.warns(CompileWarning, match=r"runs step eagerly: .*Categorical"):
        compiled = losses(True)
    assert compiled == losses(False)


def test_compiled_normal_step_compiles_without_validation() -> None:
    """Validation reads values (``__bool__``), so a step that builds a validating Normal runs
    eagerly and says so; with validate_args=False its ops (randn among them, drawn again on
    every call) all compile, and the step gives eager's numbers bit for bit."""

    def run(compiled: bool, validate: bool | None) -> tuple[list[float], np.ndarray, str]:
        vb.manual_seed(0)
        policy = vb.nn.Linear(4, 2)
        opt = vb.optim.SGD(policy.parameters(), lr=0.1)
        states = vb.randn(5, 4)

        def step() -> vb.Tensor:
            dist = vb.distributions.Normal(policy(states), 0.5, validate_args=validate)
            x = dist.rsample()
            loss = (x ** 2).mean() - dist.log_prob(x.detach()).mean() - dist.entropy().mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            return loss

        fn = vb.compile(step) if compiled else step
        out = [fn().item() for _ in range(4)]
        return out, policy.weight.detach().numpy().copy(), fn.explain() if compiled else ""

    eager = run(False, None)
    with pytest.warns(CompileWarning, match=r"control flow .* vb\.distributions\.Normal"):
        validating = run(True, None)
    assert "runs eagerly" in validating[2] and validating[0] == eager[0]
    with warnings.catch_warnings():
        warnings.simplefilter("error", CompileWarning)
        compiled = run(True, False)
    assert "1 compiled version" in compiled[2]
    assert compiled[0] == eager[0] and len(set(eager[0])) == 4  # fresh noise on every call
    np.testing.assert_array_equal(compiled[1], eager[1])


def test_validation_runs_on_every_call_of_a_compiled_function() -> None:
    def score(loc: vb.Tensor) -> vb.Tensor:
        return D.Normal(loc, 1.0).log_prob(vb.zeros(2)).sum()

    fn = vb.compile(score)
    with pytest.warns(CompileWarning, match="control flow"):
        fn(vb.zeros(2))
    fn(vb.ones(2))
    with pytest.raises(ValueError, match=r"parameter loc .* Real\(\)"):
        fn(vb.tensor([0.0, math.nan]))
