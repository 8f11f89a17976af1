"""The speed-ups keep the numbers: BLAS thread choices (decided per shape, never changing a
result), integer powers by multiplication, and the cheaper gradient formulas. No timing here:
the thread policy is driven by a fake clock and a fake BLAS controller."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
import torch

import vibrastic as vb
from vibrastic import blas

BIG = (64, 256)  # (rows, cols) of x: x @ w.T with w (512, 256) is 8M multiply-adds


class FakeBlas:
    """Stands in for threadpoolctl's controller: records every thread count set."""

    filepath = "fake"

    def __init__(self, threads: int = 2) -> None:
        self.num_threads = threads
        self.calls: list[int] = []

    def set_num_threads(self, n: int) -> None:
        self.calls.append(n)
        self.num_threads = n


class FakeClock:
    """Seconds that pass per product depend on the thread count in use (``seconds[n]``)."""

    def __init__(self, seconds: dict[int, float]) -> None:
        self.seconds, self.now, self.started = seconds, 0.0, False

    def __call__(self) -> float:
        if self.started:  # the end of a timed product
            self.now += self.seconds[blas._State.current]
        self.started = not self.started
        return self.now


@pytest.fixture
def policy(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A fresh thread policy over a fake BLAS with 2 threads and an idle core."""
    fake = FakeBlas()
    monkeypatch.setattr(blas, "_plans", {})
    monkeypatch.setattr(blas._State, "ready", True)
    monkeypatch.setattr(blas._State, "libraries", [fake])
    monkeypatch.setattr(blas._State, "most", 2)
    monkeypatch.setattr(blas._State, "current", 0)
    monkeypatch.setattr(blas, "spare_core", lambda: True)
    monkeypatch.setattr(blas, "adaptive", True)
    yield fake


def _products(n: int, x_shape: tuple[int, int] = BIG) -> list[np.ndarray]:
    x = np.ones(x_shape, np.float32)
    w = np.ones((512, x_shape[1]), np.float32)
    return [blas.matmul(x, w.T) for _ in range(n)]


def test_small_products_never_get_more_than_one_thread(policy: FakeBlas, monkeypatch) -> None:
    monkeypatch.setattr(blas, "clock", FakeClock({1: 1.0, 2: 0.1}))  # even if more were faster
    _products(50, x_shape=(32, 64))  # 1M multiply-adds, below FLOOR
    assert set(policy.calls) == {1} and not blas._plans


def test_a_large_shape_keeps_two_threads_when_they_were_faster(policy: FakeBlas,
                                                               monkeypatch) -> None:
    monkeypatch.setattr(blas, "clock", FakeClock({1: 1.0, 2: 0.5}))
    _products(2 * blas.TRIALS + 10)
    (plan,) = blas._plans.values()
    assert plan.threads == 2 and blas._State.current == 2
    assert policy.calls[: 2 * blas.TRIALS] == [1, 2] * blas.TRIALS  # trials alternate


def test_a_large_shape_stays_on_one_thread_when_two_were_slower(policy: FakeBlas,
                                                                monkeypatch) -> None:
    monkeypatch.setattr(blas, "clock", FakeClock({1: 1.0, 2: 3.0}))
    _products(2 * blas.TRIALS + 10)
    (plan,) = blas._plans.values()
    assert plan.threads == 1 and blas._State.current == 1


def test_two_threads_that_become_slow_go_back_to_one_and_are_retried_later(
        policy: FakeBlas, monkeypatch) -> None:
    clock = FakeClock({1: 1.0, 2: 0.5})
    monkeypatch.setattr(blas, "clock", clock)
    _products(2 * blas.TRIALS)
    (plan,) = blas._plans.values()
    assert plan.threads == 2
    clock.seconds[2] = 5.0  # the machine got busy: two threads now lose to one
    _products(1)
    assert plan.threads == 1
    _products(15)
    assert blas._State.current == 1 and plan.trials == 0  # waits 16 calls before trying again
    _products(1)
    assert plan.trials == 2 * blas.TRIALS - 1  # a new round of trials has begun


def test_a_thread_count_changed_outside_vibrastic_is_put_back(policy: FakeBlas,
                                                               monkeypatch) -> None:
    """threadpool_limits(2) around vibrastic code: the policy reads the count back (at once
    for big products, within 256 small ones) and gives products one thread again."""
    monkeypatch.setattr(blas, "clock", FakeClock({1: 1.0, 2: 3.0}))
    monkeypatch.setattr(blas, "spare_core", lambda: False)  # a busy machine: one thread
    _products(3, x_shape=(32, 64))
    assert policy.num_threads == 1
    policy.num_threads = 2  # changed behind vibrastic's back
    _products(256, x_shape=(32, 64))
    assert policy.num_threads == 1 and policy.calls[-1] == 1
    policy.num_threads = 2
    _products(1)  # a big product reads the count first
    assert policy.num_threads == 1


def test_no_second_thread_while_no_core_is_idle(policy: FakeBlas, monkeypatch) -> None:
    monkeypatch.setattr(blas, "clock", FakeClock({1: 1.0, 2: 0.1}))
    monkeypatch.setattr(blas, "spare_core", lambda: False)
    _products(2 * blas.TRIALS + 40)
    assert set(policy.calls) == {1}


def test_set_num_threads_caps_the_choice_and_rejects_nonsense(policy: FakeBlas,
                                                              monkeypatch) -> None:
    monkeypatch.setattr(blas, "clock", FakeClock({1: 1.0, 2: 0.1}))
    vb.set_num_threads(1)
    assert vb.get_num_threads() == 1
    _products(20)
    assert set(policy.calls) == {1}
    for bad in (0, -2, 1.5, True):
        with pytest.raises(ValueError, match="positive integer"):
            vb.set_num_threads(bad)


def test_training_gives_the_same_numbers_on_one_or_two_real_blas_threads(monkeypatch) -> None:
    """The real BLAS, forced onto 2 threads for every large product, against 1 thread."""
    blas.get_num_threads()  # finds the BLAS
    if not blas._State.libraries:
        pytest.skip("threadpoolctl found no BLAS to control")
    monkeypatch.setattr(blas, "spare_core", lambda: True)
    results = []
    for threads, seconds in ((1, {1: 1.0}), (2, {1: 1.0, 2: 0.5})):
        monkeypatch.setattr(blas, "_plans", {})
        monkeypatch.setattr(blas._State, "most", threads)
        monkeypatch.setattr(blas, "clock", FakeClock({0: 1.0, **seconds}))
        vb.manual_seed(0)
        net = vb.nn.Sequential(vb.nn.Linear(64, 2048), vb.nn.ReLU(), vb.nn.Linear(2048, 10))
        x = vb.randn(256, 64)
        y = vb.randint(0, 10, (256,))
        opt = vb.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
        used = set()
        for _ in range(2 * blas.TRIALS + 2):
            opt.zero_grad()
            vb.nn.functional.cross_entropy(net(x), y).backward()
            opt.step()
            used.add(blas._State.current)
        assert max(used) == threads
        results.append([p.detach().numpy().copy() for p in net.parameters()])
    blas._use(1)
    for one, two in zip(*results, strict=True):
        np.testing.assert_array_equal(one, two)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_integer_powers_are_numpys_and_torchs_numbers(dtype) -> None:
    data = np.random.default_rng(0).standard_normal(1000).astype(dtype) * 3
    x = vb.tensor(data, requires_grad=True)
    t = torch.tensor(data, requires_grad=True)
    for p in (2, 3, 2.0, 3.0):
        out, expected = x**p, t**p
        np.testing.assert_array_equal(out.detach().numpy(), expected.detach().numpy())
        assert out.grad_fn.name() == expected.grad_fn.name() == "PowBackward0"
        assert out.dtype == x.dtype
        x.grad = t.grad = None
        out.sum().backward()
        expected.sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=4 * np.finfo(dtype).eps)
    np.testing.assert_array_equal((x**2).detach().numpy(), data**2)  # NumPy's own x**2


def test_integer_powers_keep_the_dtype_rules() -> None:
    ints = vb.tensor([1, -2, 3])
    assert (ints**2).dtype == vb.int64 and (ints**2).tolist() == [1, 4, 9]
    assert (ints**3).tolist() == [1, -8, 27]
    assert (ints**2.0).dtype == vb.float32  # a float exponent makes floats, as torch
    with pytest.raises(RuntimeError, match="negative integer powers"):  # torch's error
        ints**-1


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("dtype", [vb.float32, vb.float64])
@pytest.mark.parametrize("shape", [(1, 1), (4, 3)])
def test_mse_gradient_is_the_textbook_formula_to_the_last_bit(reduction, dtype, shape) -> None:
    rng = np.random.default_rng(1)
    x = vb.tensor(rng.standard_normal(shape), dtype=dtype, requires_grad=True)
    y = vb.tensor(rng.standard_normal(shape), dtype=dtype, requires_grad=True)
    loss = vb.nn.functional.mse_loss(x, y, reduction=reduction)
    g = np.ones(loss.shape, loss.numpy(force=True).dtype)
    loss.backward(vb.tensor(g))
    d = x.numpy(force=True) - y.numpy(force=True)
    spread = g if reduction == "none" else g * (1.0 / d.size if reduction == "mean" else 1.0)
    np.testing.assert_array_equal(x.grad.numpy(), 2 * d * spread)
    np.testing.assert_array_equal(y.grad.numpy(), -2 * d * spread)
    total = (d * d).sum() if reduction != "none" else d * d
    expected = total / d.size if reduction == "mean" else total
    np.testing.assert_array_equal(loss.numpy(force=True), expected)


def test_linear_bias_gradient_of_one_row_is_that_row() -> None:
    layer = vb.nn.Linear(3, 2)
    for rows in (1, 2):
        layer.bias.grad = None
        (layer(vb.ones(rows, 3)) * vb.tensor([2.0, -1.0])).sum().backward()
        assert layer.bias.grad.tolist() == [2.0 * rows, -1.0 * rows]


_TEMPORARIES = """
import resource
import numpy as np
import vibrastic as vb
from vibrastic import memory

imported_only = memory.kept  # a process that only imports vibrastic keeps glibc's settings
w = vb.ones(3, requires_grad=True)
(w * 2).sum().backward()  # the first backward pass: training

def step():  # six 4 MiB temporaries alive at once, then freed: an eager step of a wide layer
    arrays = [np.ones(1 << 20, np.float32) for _ in range(6)]
    return sum(float(a[-1]) for a in arrays)

step()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(10):
    step()
print(imported_only, memory.kept, resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc thresholds")
@pytest.mark.parametrize("setting", ["", "system"])
def test_after_the_first_backward_freed_temporaries_stay_mapped_for_the_next_step(setting) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "VIBRASTIC_MALLOC": setting}
    out = subprocess.run([sys.executable, "-c", _TEMPORARIES], capture_output=True, text=True,
                         env=env, check=True, timeout=120)
    imported_only, kept, faults = out.stdout.split()
    assert imported_only == "False"
    if setting == "system":  # glibc's own settings: each step maps its 24 MiB again
        assert (kept, int(faults) > 10 * 6 * 256) == ("False", True)
    else:
        assert (kept, int(faults)) == ("True", 0)
