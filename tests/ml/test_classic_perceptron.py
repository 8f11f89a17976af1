"""The perceptron rule: hand-computed steps, convergence on AND/OR, none on XOR."""

import numpy as np
import pytest

from vibrastic.ml import data
from vibrastic.ml.classic.perceptron import Perceptron, step


def test_step_activation() -> None:
    assert [step(v) for v in (-1.0, 0.0, 1e-12, 3.0)] == [0.0, 0.0, 1.0, 1.0]


def test_first_epoch_on_and_by_hand() -> None:
    """From w = 0, b = 0, α = 1: only (1, 1) is wrong (ŷ = 0, y = 1), so w = (1, 1), b = 1."""
    X, y = data.and_gate()
    p = Perceptron(alpha=1.0, max_epochs=1, w_0=[0.0, 0.0], b_0=0.0).fit(X, y)
    np.testing.assert_array_equal(p.history_.w_hist[1], [1.0, 1.0])
    assert p.history_.b_hist[1] == 1.0
    assert p.history_.errors == [1]


def test_momentum_steps_by_hand() -> None:
    """Δw(t) = α(y − ŷ)x + βΔw(t−1): the step keeps moving after the error is gone."""
    X, y = np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([1.0, 1.0])
    p = Perceptron(alpha=0.5, beta=0.5, max_epochs=5, w_0=[0.0, 0.0], b_0=0.0).fit(X, y)
    # epoch 1: x1 wrong → Δw = (0.5, 0), Δb = 0.5; x2 right → Δw = (0.25, 0), Δb = 0.25
    np.testing.assert_allclose(p.history_.w_hist[1], [0.75, 0.0])
    assert p.history_.b_hist[1] == pytest.approx(0.75)
    # epoch 2: no error, the momentum alone adds 0.125 then 0.0625
    np.testing.assert_allclose(p.history_.w_hist[2], [0.9375, 0.0])
    assert p.history_.b_hist[2] == pytest.approx(0.9375)
    assert p.history_.errors == [1, 0] and p.history_.converged


@pytest.mark.parametrize("gate", [data.and_gate, data.or_gate], ids=["AND", "OR"])
@pytest.mark.parametrize("beta", [0.0, 0.5])
@pytest.mark.parametrize("seed", range(5))
def test_converges_on_linearly_separable_gates(gate, beta: float, seed: int) -> None:
    X, y = gate()
    p = Perceptron(alpha=0.1, beta=beta, max_epochs=200, random_state=seed).fit(X, y)
    h = p.history_
    assert h.converged and h.errors[-1] == 0 and h.epochs < 200
    np.testing.assert_array_equal(p.predict(X), y)
    assert p.score(X, y) == 1.0
    assert h.n_updates == sum(h.errors)


@pytest.mark.parametrize("beta", [0.0, 0.5])
@pytest.mark.parametrize("seed", range(5))
def test_never_converges_on_xor(beta: float, seed: int) -> None:
    X, y = data.xor()
    p = Perceptron(alpha=0.1, beta=beta, max_epochs=150, random_state=seed).fit(X, y)
    assert not p.history_.converged
    assert p.history_.epochs == 150
    assert p.score(X, y) <= 0.75  # no line gets all four XOR points right
    assert min(p.history_.errors) >= 1


def test_seeded_initial_weights_are_reproducible() -> None:
    X, y = data.or_gate()
    a = Perceptron(random_state=3).fit(X, y).history_
    b = Perceptron(random_state=3).fit(X, y).history_
    np.testing.assert_array_equal(a.w_hist, b.w_hist)
    assert not np.array_equal(a.w_hist[0], Perceptron(random_state=4).initial_weights(2)[0])


@pytest.mark.parametrize("kwargs", [{"alpha": 0.0}, {"alpha": 1.5}, {"beta": -0.1}])
def test_bad_rates_are_rejected(kwargs: dict) -> None:
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        Perceptron(**kwargs)


def test_bad_shapes_are_rejected() -> None:
    with pytest.raises(ValueError, match="expected X"):
        Perceptron().fit(np.zeros(4), np.zeros(4))
