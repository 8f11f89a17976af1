"""The schedulers give torch's learning rates, float for float: CosineAnnealingLR,
ReduceLROnPlateau, the warm-ups (LinearLR, ConstantLR, SequentialLR, OneCycleLR) and the closed
forms that ``step(epoch)`` and SequentialLR's milestones use."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import pytest
import torch

import vibrastic as vb

Make = Callable[[Any, Any], Any]


def lrs(lib: Any, make: Make, epochs: int, metrics: list[float] | None = None) -> list[Any]:
    """The learning rates of two parameter groups after construction and after every step."""
    a, b = lib.zeros(1, requires_grad=True), lib.zeros(1, requires_grad=True)
    opt = lib.optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.05}], lr=0.3)
    sched = make(lib, opt)
    seen = [sched.get_last_lr()]
    for epoch in range(epochs):
        opt.step()
        if metrics is None:
            sched.step()
        else:
            sched.step(metrics[epoch])
        seen.append(sched.get_last_lr())
        assert seen[-1] == [g["lr"] for g in opt.param_groups]
    return seen


@pytest.mark.parametrize(("t_max", "eta_min"), [(10, 0.0), (7, 0.01), (1, 0.0), (4, 0.1)])
def test_cosine_annealing_is_torchs_over_three_periods(t_max: int, eta_min: float) -> None:
    def make(lib: Any, opt: Any) -> Any:
        return lib.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=t_max, eta_min=eta_min)

    ours = lrs(vb, make, 3 * t_max + 2)
    assert ours == lrs(torch, make, 3 * t_max + 2)  # exactly the same floats
    assert ours[t_max][0] == pytest.approx(eta_min, abs=1e-12)  # the bottom after T_max epochs
    assert ours[2 * t_max][0] == pytest.approx(0.3)  # and back up after 2·T_max


def test_cosine_annealing_follows_a_hand_changed_lr_resumes_and_jumps_as_torch() -> None:
    runs = {}
    for lib in (vb, torch):
        opt = lib.optim.SGD([lib.zeros(1, requires_grad=True)], lr=1.0)
        sched = lib.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=6)
        seen = []
        for epoch in range(8):
            opt.step()
            sched.step()
            if epoch == 2:
                opt.param_groups[0]["lr"] = 0.5  # the recursive form continues from here
            seen.append(sched.get_last_lr()[0])
        resumed = lib.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=6, last_epoch=8)
        seen.append(resumed.get_last_lr()[0])  # resuming keeps the current lr first
        with pytest.warns(UserWarning, match="epoch parameter in `scheduler.step\\(\\)`"):
            resumed.step(3)  # an explicit epoch uses the closed form
        seen.append(resumed.get_last_lr()[0])
        runs[lib] = (seen, sorted(k for k in resumed.state_dict()
                                  if k not in ("_step_count", "_get_lr_called_within_step")))
    assert runs[vb] == runs[torch]


PLATEAU_METRICS = [1.0, 0.9, 0.9, 0.9, 0.9, 0.95, 0.5, 0.49995, 0.5, 0.5, 0.5, 0.4,
                   0.6, 0.7, 0.2, 0.2, 0.2, 0.3, 0.19, 0.2, 0.2, 0.2, 0.2]
PLATEAU_SETTINGS = {
    "default_patience_2": dict(patience=2),
    "cooldown": dict(patience=1, cooldown=2, factor=0.5),
    "max_mode": dict(mode="max", patience=1, factor=0.5),
    "abs_threshold": dict(threshold_mode="abs", threshold=0.01, patience=1, factor=0.5),
    "max_abs": dict(mode="max", threshold_mode="abs", threshold=0.05, patience=1, factor=0.5),
    "min_lr_per_group": dict(patience=0, min_lr=[0.1, 0.001], factor=0.3),
    "big_eps": dict(patience=0, factor=0.9, eps=0.01),
}


@pytest.mark.parametrize("label", list(PLATEAU_SETTINGS))
def test_reduce_lr_on_plateau_is_torchs(label: str) -> None:
    def make(lib: Any, opt: Any) -> Any:
        return lib.optim.lr_scheduler.ReduceLROnPlateau(opt, **PLATEAU_SETTINGS[label])

    n = len(PLATEAU_METRICS)
    ours = lrs(vb, make, n, PLATEAU_METRICS)
    assert ours == lrs(torch, make, n, PLATEAU_METRICS)
    assert ours[-1] != ours[0]  # every setting reduces at least once


def test_reduce_lr_on_plateau_counts_patience_and_cooldown() -> None:
    opt = vb.optim.SGD([vb.zeros(1, requires_grad=True)], lr=1.0)
    sched = vb.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=2, cooldown=1, factor=0.5)
    seen = []
    for loss in [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]:
        sched.step(vb.tensor(loss))  # a 0-d tensor metric, as learners pass the loss
        seen.append(sched.get_last_lr()[0])
    # 3 bad epochs (> patience 2) halve the lr; 1 cooldown epoch; then 3 more bad epochs
    assert seen == [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.25]


def test_reduce_lr_on_plateau_state_dict_round_trips_with_torch() -> None:
    settings = dict(mode="max", patience=1, cooldown=1, factor=0.5)
    saved, scheds, opts = {}, {}, {}
    for lib in (vb, torch):
        opts[lib] = lib.optim.SGD([lib.zeros(1, requires_grad=True)], lr=1.0)
        scheds[lib] = lib.optim.lr_scheduler.ReduceLROnPlateau(opts[lib], **settings)
        for metric in PLATEAU_METRICS[:9]:
            scheds[lib].step(metric)
        saved[lib] = scheds[lib].state_dict()
    assert saved[vb] == saved[torch]
    # a fresh vibrastic scheduler loads torch's state and carries on exactly as torch
    fresh = vb.optim.lr_scheduler.ReduceLROnPlateau(opts[vb], mode="min")
    fresh.load_state_dict(saved[torch])
    assert fresh.mode == "max" and fresh.mode_worse == float("-inf")
    for metric in PLATEAU_METRICS[9:]:
        fresh.step(metric)
        scheds[torch].step(metric)
        assert fresh.get_last_lr() == scheds[torch].get_last_lr()


@pytest.mark.parametrize("lib", [vb, torch], ids=["vibrastic", "torch"])
def test_reduce_lr_on_plateau_bad_arguments(lib: Any) -> None:
    opt = lib.optim.SGD([lib.zeros(1, requires_grad=True)], lr=1.0)
    plateau = lib.optim.lr_scheduler.ReduceLROnPlateau
    with pytest.raises(ValueError, match=r"Factor should be < 1\.0"):
        plateau(opt, factor=1.0)
    with pytest.raises(ValueError, match="mode avg is unknown"):
        plateau(opt, mode="avg")
    with pytest.raises(ValueError, match="threshold mode relative is unknown"):
        plateau(opt, threshold_mode="relative")
    with pytest.raises(ValueError, match="expected 1 min_lrs, got 2"):
        plateau(opt, min_lr=[0.1, 0.2])
    with pytest.raises(TypeError, match="is not an Optimizer"):
        plateau([lib.zeros(1)])


SCHEDULERS: dict[str, Callable[[Any, Any], Any]] = {
    "StepLR": lambda lib, opt: lib.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5),
    "MultiStepLR": lambda lib, opt: lib.optim.lr_scheduler.MultiStepLR(opt, [1, 3]),
    "ExponentialLR": lambda lib, opt: lib.optim.lr_scheduler.ExponentialLR(opt, 0.9),
    "LambdaLR": lambda lib, opt: lib.optim.lr_scheduler.LambdaLR(opt, lambda e: 0.5 ** e),
    "CosineAnnealingLR": lambda lib, opt: lib.optim.lr_scheduler.CosineAnnealingLR(opt, 4),
    "LinearLR": lambda lib, opt: lib.optim.lr_scheduler.LinearLR(opt, 0.25, total_iters=2),
    "ConstantLR": lambda lib, opt: lib.optim.lr_scheduler.ConstantLR(opt, 0.5, total_iters=2),
    "OneCycleLR": lambda lib, opt: lib.optim.lr_scheduler.OneCycleLR(opt, 0.5, total_steps=5),
}


def _warnings_of(lib: Any, make: Callable[[Any, Any], Any], optimizer_first: bool
                 ) -> tuple[list[str], dict[str, Any]]:
    w = lib.zeros(2, requires_grad=True)
    opt = lib.optim.SGD([w], lr=0.1)
    scheduler = make(lib, opt)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(3):
            w.grad = lib.ones(2)
            if optimizer_first:
                opt.step()
            scheduler.step()
            if not optimizer_first:
                opt.step()
        scheduler.get_lr()  # by hand: torch says to use get_last_lr()
    return [str(c.message) for c in caught], scheduler.state_dict()


@pytest.mark.parametrize("optimizer_first", [True, False], ids=["right-order", "wrong-order"])
@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_torchs_warnings_and_state_dict(name: str, optimizer_first: bool) -> None:
    """scheduler.step() before optimizer.step() warns once, as torch (the first lr of the
    schedule is skipped); get_lr() by hand warns; state_dict has torch's keys and values."""
    ours = _warnings_of(vb, SCHEDULERS[name], optimizer_first)
    theirs = _warnings_of(torch, SCHEDULERS[name], optimizer_first)
    assert ours[0] == theirs[0]
    assert any("before `optimizer.step()`" in m for m in ours[0]) is not optimizer_first
    assert ours[0][-1] == ("To get the last learning rate computed by the scheduler, please "
                           "use `get_last_lr()`.")
    assert list(ours[1].items()) == list(theirs[1].items())


def test_a_lambda_lr_callable_object_saves_its_attributes_as_torch() -> None:
    class Warmup:
        def __init__(self, steps: int) -> None:
            self.steps = steps

        def __call__(self, epoch: int) -> float:
            return min(1.0, (epoch + 1) / self.steps)

    states = []
    for lib in (vb, torch):
        opt = lib.optim.SGD([lib.zeros(1, requires_grad=True)], lr=0.1)
        states.append(lib.optim.lr_scheduler.LambdaLR(opt, Warmup(4)).state_dict())
    assert states[0] == states[1] and states[0]["lr_lambdas"] == [{"steps": 4}]
    opt = vb.optim.SGD([vb.zeros(1, requires_grad=True)], lr=0.1)
    scheduler = vb.optim.lr_scheduler.LambdaLR(opt, Warmup(2))
    scheduler.load_state_dict(states[1])
    assert scheduler.lr_lambdas[0].steps == 4 and callable(scheduler.lr_lambdas[0])


# ---- warm-up schedules: LinearLR, ConstantLR, SequentialLR, OneCycleLR ----


@pytest.mark.parametrize("make", [
    lambda lib, opt: lib.optim.lr_scheduler.LinearLR(opt, start_factor=0.1, total_iters=4),
    lambda lib, opt: lib.optim.lr_scheduler.LinearLR(opt, start_factor=1.0, end_factor=0.2),
    lambda lib, opt: lib.optim.lr_scheduler.ConstantLR(opt, factor=0.5, total_iters=3),
    lambda lib, opt: lib.optim.lr_scheduler.SequentialLR(opt, [
        lib.optim.lr_scheduler.LinearLR(opt, start_factor=0.1, total_iters=3),
        lib.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=6, eta_min=1e-4)], milestones=[3]),
    lambda lib, opt: lib.optim.lr_scheduler.SequentialLR(opt, [
        lib.optim.lr_scheduler.ConstantLR(opt, factor=0.1, total_iters=2),
        lib.optim.lr_scheduler.ExponentialLR(opt, gamma=0.9),
        lib.optim.lr_scheduler.StepLR(opt, step_size=2)], milestones=[2, 5]),
], ids=["linear-warmup", "linear-decay", "constant", "warmup-cosine", "three"])
def test_warm_up_schedules_give_torchs_floats(make: Make) -> None:
    assert lrs(vb, make, 10) == lrs(torch, make, 10)


def _one_cycle(lib: Any, three_phase: bool, strategy: str, adam: bool) -> list[Any]:
    w = lib.zeros(1, requires_grad=True)
    opt = (lib.optim.AdamW([w], lr=1e-3) if adam else
           lib.optim.SGD([w], lr=0.1, momentum=0.9))
    sched = lib.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.01, epochs=2, steps_per_epoch=5,
                                              anneal_strategy=strategy, three_phase=three_phase)
    seen = []
    for _ in range(10):
        group = opt.param_groups[0]
        seen.append((group["lr"], group["betas"][0] if adam else group["momentum"]))
        opt.step()
        sched.step()
    return seen


@pytest.mark.parametrize("three_phase", [False, True])
@pytest.mark.parametrize("strategy", ["cos", "linear"])
@pytest.mark.parametrize("adam", [False, True])
def test_one_cycle_gives_torchs_lrs_and_momenta(three_phase: bool, strategy: str,
                                                adam: bool) -> None:
    assert _one_cycle(vb, three_phase, strategy, adam) == _one_cycle(torch, three_phase,
                                                                     strategy, adam)


@pytest.mark.parametrize("bad", [
    lambda lib, opt: lib.optim.lr_scheduler.LinearLR(opt, start_factor=0),
    lambda lib, opt: lib.optim.lr_scheduler.LinearLR(opt, end_factor=1.5),
    lambda lib, opt: lib.optim.lr_scheduler.ConstantLR(opt, factor=2),
    lambda lib, opt: lib.optim.lr_scheduler.SequentialLR(opt, [], milestones=[]),
    lambda lib, opt: lib.optim.lr_scheduler.SequentialLR(
        opt, [lib.optim.lr_scheduler.ConstantLR(opt)], milestones=[1]),
    lambda lib, opt: lib.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1),
    lambda lib, opt: lib.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=0),
    lambda lib, opt: lib.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=5,
                                                       pct_start=1),
    lambda lib, opt: lib.optim.lr_scheduler.OneCycleLR(opt, max_lr=[0.1, 0.2], total_steps=5),
    lambda lib, opt: lib.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=5,
                                                       anneal_strategy="exp"),
])
def test_warm_up_schedule_errors_are_torchs(bad: Make) -> None:
    def run(lib: Any) -> None:
        bad(lib, lib.optim.SGD([lib.zeros(1, requires_grad=True)], lr=0.1, momentum=0.9))

    with pytest.raises(ValueError) as theirs:
        run(torch)
    with pytest.raises(ValueError) as ours:
        run(vb)
    assert str(ours.value) == str(theirs.value)


def test_one_cycle_stepped_past_its_total_says_so() -> None:
    for lib in (torch, vb):
        opt = lib.optim.SGD([lib.zeros(1, requires_grad=True)], lr=0.1, momentum=0.9)
        sched = lib.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=2)
        opt.step()
        sched.step()
        sched.step()
        with pytest.raises(ValueError, match=r"Tried to step 3 times\. The specified number of "
                                             r"total steps is 2"):
            sched.step()


def test_sequential_state_dict_round_trip_continues_the_schedule() -> None:
    def run(lib: Any) -> list[Any]:
        opt = lib.optim.SGD([lib.zeros(1, requires_grad=True)], lr=0.1)
        make = lambda: lib.optim.lr_scheduler.SequentialLR(opt, [  # noqa: E731
            lib.optim.lr_scheduler.LinearLR(opt, start_factor=0.5, total_iters=2),
            lib.optim.lr_scheduler.ExponentialLR(opt, gamma=0.5)], milestones=[2])
        sched = make()
        for _ in range(3):
            opt.step()
            sched.step()
        state = sched.state_dict()
        again = make()
        again.load_state_dict(state)
        opt.step()
        again.step()
        return [again.last_epoch, again.get_last_lr(), sorted(state)]

    assert run(vb) == run(torch)


@pytest.mark.parametrize("make", [
    lambda lib, opt: lib.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5),
    lambda lib, opt: lib.optim.lr_scheduler.MultiStepLR(opt, milestones=[2, 2, 5], gamma=0.5),
    lambda lib, opt: lib.optim.lr_scheduler.ExponentialLR(opt, gamma=0.8),
    lambda lib, opt: lib.optim.lr_scheduler.LinearLR(opt, start_factor=0.25, total_iters=4),
    lambda lib, opt: lib.optim.lr_scheduler.ConstantLR(opt, factor=0.5, total_iters=3),
], ids=["step", "multistep", "exponential", "linear", "constant"])
def test_step_with_an_epoch_uses_torchs_closed_forms(make: Make) -> None:
    def run(lib: Any) -> list[Any]:
        opt = lib.optim.SGD([lib.zeros(1, requires_grad=True)], lr=0.4)
        sched = make(lib, opt)
        seen = []
        with pytest.warns(UserWarning, match="The epoch parameter"):
            for epoch in (4, 1, 7, 2):
                opt.step()
                sched.step(epoch)
                seen.append(sched.get_last_lr())
        return seen

    assert run(vb) == run(torch)
