"""vb.special (and vb.erf & co.) against torch and SciPy: values over the whole real line and
in the tails, gradients, edge values (±1, 0, inf, NaN), dtypes, and Normal.icdf."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import scipy.special
import torch

import vibrastic as vb
from vibrastic.special import erf_array, erfc_array, erfinv_array

torch.set_num_threads(1)

WIDE = np.concatenate([np.linspace(-30, 30, 60001), np.logspace(-300, 1.5, 3000),
                       -np.logspace(-300, 1.5, 3000)])


def ulps(got: np.ndarray, want: np.ndarray) -> float:
    """The largest distance in units in the last place (float64) where ``want`` is normal."""
    keep = np.isfinite(want) & (np.abs(want) > 1e-300)
    return float(np.max(np.abs(got[keep] - want[keep]) / np.spacing(np.abs(want[keep]))))


def test_erf_and_erfc_are_within_a_few_ulps_of_the_c_library_everywhere() -> None:
    assert ulps(erf_array(WIDE), np.vectorize(math.erf)(WIDE)) <= 4
    # erfc keeps its relative accuracy far into the tail (erfc(26) ~ 6e-296), not just 1 - erf;
    # (SciPy's erfc computes e^(-x²) directly and is ~500 ulps off there, so libm is the judge)
    assert ulps(erfc_array(WIDE), np.vectorize(math.erfc)(WIDE)) <= 16
    assert erfc_array(np.array(26.0)) == pytest.approx(math.erfc(26.0), rel=1e-14)


def test_erfinv_inverts_erf_and_matches_scipy_up_to_the_ends() -> None:
    y = np.concatenate([np.linspace(-1, 1, 20001)[1:-1], 1 - np.logspace(-16, -1, 500),
                        -1 + np.logspace(-16, -1, 500), np.logspace(-300, -1, 300)])
    x = erfinv_array(y)
    assert ulps(x, scipy.special.erfinv(y)) <= 8
    assert np.max(np.abs(erf_array(x) - y)) <= 2 * np.spacing(1.0)


def test_erfinv_edges_as_torch() -> None:
    values = [1.0, -1.0, 0.0, -0.0, 1.5, -2.0, np.nan]
    want = [np.inf, -np.inf, 0.0, -0.0, np.nan, np.nan, np.nan]
    got = vb.erfinv(vb.tensor(values, dtype=vb.float64)).numpy()
    np.testing.assert_array_equal(got, torch.erfinv(torch.tensor(values, dtype=torch.float64)))
    np.testing.assert_array_equal(got, want)
    assert np.signbit(got[3])  # -0.0 keeps its sign


def test_erf_edges_and_empty() -> None:
    got = vb.erf(vb.tensor([np.inf, -np.inf, np.nan, 0.0])).numpy()
    np.testing.assert_array_equal(got, [1.0, -1.0, np.nan, 0.0])
    np.testing.assert_array_equal(vb.erfc(vb.tensor([np.inf, -np.inf])).numpy(), [0.0, 2.0])
    assert vb.erf(vb.tensor([])).shape == (0,)
    assert vb.erf(vb.tensor(0.5)).item() == pytest.approx(math.erf(0.5), rel=1e-7)


FUNCTIONS = {  # name -> (vibrastic op, torch op, inputs)
    "erf": (vb.erf, torch.erf, [-3.0, -1.2, -0.3, 0.0, 0.7, 1.0, 2.5, 6.0]),
    "erfc": (vb.special.erfc, torch.special.erfc, [-3.0, -0.3, 0.0, 0.99, 1.01, 4.0, 9.0]),
    "erfinv": (vb.special.erfinv, torch.special.erfinv, [-0.999, -0.5, 0.0, 0.2, 0.9, 0.99999]),
    "ndtr": (vb.special.ndtr, torch.special.ndtr, [-2.0, -0.5, 0.0, 1.0, 3.0]),
    "logit": (vb.logit, torch.logit, [0.01, 0.2, 0.5, 0.75, 0.999]),
    "expit": (vb.special.expit, torch.special.expit, [-5.0, 0.0, 2.0]),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_values_and_gradients_match_torch(name: str, dtype: Any) -> None:
    ours, theirs, values = FUNCTIONS[name]
    a = np.asarray(values, dtype=dtype)
    x, tx = vb.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    y, ty = ours(x), theirs(tx)
    (y * vb.tensor(np.arange(1, a.size + 1, dtype=dtype))).sum().backward()
    (ty * torch.tensor(np.arange(1, a.size + 1, dtype=dtype))).sum().backward()
    assert y.dtype == getattr(vb, str(ty.dtype).removeprefix("torch."))
    rtol = 2e-6 if dtype == np.float32 else 1e-13
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=rtol, atol=0)
    assert x.grad is not None and tx.grad is not None
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=rtol * 4, atol=0)
    assert y.grad_fn is not None
    if name != "ndtr":  # torch builds ndtr from erf (MulBackward); vibrastic has one node
        assert y.grad_fn.name() == ty.grad_fn.name()


def test_ndtr_keeps_the_lower_tail_where_torch_rounds_it_to_zero() -> None:
    x = np.array([-9.0, -20.0, -37.0])
    got = vb.special.ndtr(vb.tensor(x)).numpy()
    # (rtol: rounding x/√2 alone moves Φ(-37) by x²·2⁻⁵² ≈ 3e-13 relative)
    np.testing.assert_allclose(got, scipy.special.ndtr(x), rtol=1e-12)
    assert torch.special.ndtr(torch.tensor(x)).tolist() == [0.0, 0.0, 0.0]  # 1 + erf(x/√2)
    lower = vb.special.ndtr(vb.tensor([-5.0])).item()  # float32: torch's is 4 % off here
    assert lower == pytest.approx(scipy.special.ndtr(-5.0), rel=1e-6)


def test_tensor_methods_and_top_level_names() -> None:
    x = vb.tensor([0.25, 0.5])
    for name in ("erf", "erfc", "erfinv", "logit"):
        want = getattr(torch.tensor([0.25, 0.5]), name)().numpy()
        np.testing.assert_allclose(getattr(x, name)().numpy(), want, rtol=1e-6)
    np.testing.assert_allclose(x.xlogy(vb.tensor([2.0, 3.0])).numpy(),
                               torch.tensor([0.25, 0.5]).xlogy(torch.tensor([2.0, 3.0])).numpy())
    assert vb.special.logsumexp is vb.logsumexp and vb.special.softmax is vb.softmax


def test_an_int_tensor_gives_the_default_float_as_torch() -> None:
    got, want = vb.erf(vb.tensor([0, 1, 2])), torch.erf(torch.tensor([0, 1, 2]))
    assert got.dtype == vb.float32 and want.dtype == torch.float32
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-7)


def test_logit_with_eps_clamps_and_stops_the_gradient_outside() -> None:
    a = np.array([0.0, 1e-4, 0.3, 0.9999, 1.0])
    x, tx = vb.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    y, ty = vb.logit(x, eps=1e-3), torch.logit(tx, eps=1e-3)
    y.sum().backward()
    ty.sum().backward()
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-13)
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-13)
    assert x.grad.numpy()[0] == 0 and x.grad.numpy()[-1] == 0
    # without eps: ±inf at the ends, as torch
    np.testing.assert_array_equal(vb.logit(vb.tensor([0.0, 1.0])).numpy(), [-np.inf, np.inf])


def test_xlogy_is_zero_where_x_is_zero_and_broadcasts_with_torchs_gradients() -> None:
    xa = np.array([[0.0, 1.0, 2.0], [0.0, 0.5, 3.0]])
    ya = np.array([0.0, 2.0, np.e])
    x, tx = vb.tensor(xa, requires_grad=True), torch.tensor(xa, requires_grad=True)
    y, ty = vb.tensor(ya, requires_grad=True), torch.tensor(ya, requires_grad=True)
    out, tout = vb.xlogy(x, y), torch.xlogy(tx, ty)
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-15)
    assert out.detach().numpy()[0, 0] == 0  # 0·log 0 = 0, not NaN
    out.sum().backward()
    tout.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-15)
    np.testing.assert_allclose(y.grad.numpy(), ty.grad.numpy(), rtol=1e-15, equal_nan=True)
    # a Python number on either side
    np.testing.assert_allclose(vb.xlogy(2.0, vb.tensor([3.0, 4.0])).numpy(),
                               torch.xlogy(2.0, torch.tensor([3.0, 4.0])).numpy(), rtol=1e-6)
    np.testing.assert_allclose(vb.xlogy(vb.tensor([0.0, 2.0]), 3.0).numpy(),
                               torch.xlogy(torch.tensor([0.0, 2.0]), 3.0).numpy(), rtol=1e-6)
    assert np.isnan(vb.xlogy(vb.tensor([0.0]), vb.tensor([np.nan])).item())  # as torch


def test_normal_icdf_inverts_cdf_with_torchs_values_and_gradients() -> None:
    p = np.array([1e-6, 0.025, 0.5, 0.9, 0.999999])
    loc, tloc = vb.tensor(1.5, requires_grad=True), torch.tensor(1.5, requires_grad=True)
    scale, tscale = vb.tensor(2.0, requires_grad=True), torch.tensor(2.0, requires_grad=True)
    q = vb.distributions.Normal(loc, scale).icdf(vb.tensor(p, dtype=vb.float32))
    tq = torch.distributions.Normal(tloc, tscale).icdf(torch.tensor(p, dtype=torch.float32))
    np.testing.assert_allclose(q.detach().numpy(), tq.detach().numpy(), rtol=2e-6)
    q.sum().backward()
    tq.sum().backward()
    np.testing.assert_allclose([loc.grad.item(), scale.grad.item()],
                               [tloc.grad.item(), tscale.grad.item()], rtol=1e-5)
    normal = vb.distributions.Normal(1.5, 2.0)
    # (2p - 1 rounds p to 2⁻⁵³ absolute: 6e-11 relative at 1e-6)
    np.testing.assert_allclose(normal.cdf(normal.icdf(vb.tensor(p))).numpy(), p, rtol=1e-10)
    with pytest.raises(NotImplementedError, match="Bernoulli does not implement icdf"):
        vb.distributions.Bernoulli(probs=0.3).icdf(vb.tensor(0.5))


def test_a_name_torch_special_has_and_vibrastic_does_not_says_so() -> None:
    with pytest.raises(AttributeError, match=r"torch\.special\.gammaln is not available"):
        vb.special.gammaln  # noqa: B018
