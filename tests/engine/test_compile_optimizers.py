"""vb.compile replays every optimizer of ``vb.optim`` (SGD, Adam, AdamW, RMSprop, Adagrad) with
each option eager has: bit for bit eager's parameters, losses and ``state_dict()``, with a
learning-rate scheduler stepped between calls, and eager steps afterwards carry on from the
compiled ones as if every step had been eager."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import vibrastic as vb
from vibrastic.compiler import CompileError, CompileWarning

optim = vb.optim
CONFIGS: dict[str, Callable[[Any], vb.optim.Optimizer]] = {
    "sgd_nesterov_maximize": lambda g: optim.SGD(g, lr=0.05, momentum=0.9, nesterov=True,
                                                  weight_decay=0.01, maximize=True),
    "adam_maximize": lambda g: optim.Adam(g, lr=0.01, weight_decay=0.1, maximize=True),
    "adam_decoupled": lambda g: optim.Adam(g, lr=0.01, weight_decay=0.1,
                                           decoupled_weight_decay=True),
    "adamw": lambda g: optim.AdamW(g, lr=0.01),
    "adamw_amsgrad_maximize": lambda g: optim.AdamW(g, lr=0.01, betas=(0.8, 0.99), eps=1e-6,
                                                     weight_decay=0.05, amsgrad=True,
                                                     maximize=True),
    "rmsprop": lambda g: optim.RMSprop(g, lr=0.01),
    "rmsprop_centered_momentum": lambda g: optim.RMSprop(g, lr=0.01, alpha=0.9, eps=1e-6,
                                                         weight_decay=0.1, momentum=0.9,
                                                         centered=True),
    "rmsprop_momentum_maximize": lambda g: optim.RMSprop(g, lr=0.01, momentum=0.5,
                                                         maximize=True),
    "adagrad": lambda g: optim.Adagrad(g, lr=0.1),
    "adagrad_all": lambda g: optim.Adagrad(g, lr=0.1, lr_decay=0.01, weight_decay=0.1,
                                           initial_accumulator_value=0.2, eps=1e-8,
                                           maximize=True),
}
STEPS, COMPILED = 7, 4  # compiled calls first, then eager ones


def setup(name: str) -> tuple[vb.nn.Module, vb.optim.Optimizer, Any]:
    """A float32 3-5-2 tanh MLP; two parameter groups (the first layer at half the rate); a
    scheduler that changes the rate after every step."""
    vb.manual_seed(0)
    net = vb.nn.Sequential(vb.nn.Linear(3, 5), vb.nn.Tanh(), vb.nn.Linear(5, 2))
    opt = CONFIGS[name]([{"params": net[0].parameters()}, {"params": net[2].parameters()}])
    opt.param_groups[0]["lr"] *= 0.5
    return net, opt, optim.lr_scheduler.ExponentialLR(opt, gamma=0.8)


def data() -> list[tuple[vb.Tensor, vb.Tensor]]:
    rng = np.random.default_rng(1)
    return [(vb.tensor(rng.standard_normal((4, 3)), dtype=vb.float32),
             vb.tensor(rng.standard_normal((4, 2)), dtype=vb.float32)) for _ in range(STEPS)]


def step_for(net: vb.nn.Module, opt: vb.optim.Optimizer) -> Callable[..., vb.Tensor]:
    def train_step(x: vb.Tensor, y: vb.Tensor) -> vb.Tensor:
        opt.zero_grad()
        loss = ((net(x) - y) ** 2).mean()
        loss.backward()
        opt.step()
        return loss

    return train_step


def snapshot(net: vb.nn.Module, opt: vb.optim.Optimizer) -> dict[str, Any]:
    """Parameters and a deep copy of the optimizer's state_dict, as eager code sees them."""
    sd = opt.state_dict()
    state = {i: {k: (v.numpy().copy() if isinstance(v, vb.Tensor) else v) for k, v in s.items()}
             for i, s in sd["state"].items()}
    return {"params": [p.detach().numpy().copy() for p in net.parameters()], "state": state,
            "groups": sd["param_groups"]}


def assert_same(a: dict[str, Any], b: dict[str, Any]) -> None:
    for p, q in zip(a["params"], b["params"], strict=True):
        np.testing.assert_array_equal(p, q, strict=True)
    assert a["groups"] == b["groups"]
    assert a["state"].keys() == b["state"].keys()
    for i in a["state"]:
        assert a["state"][i].keys() == b["state"][i].keys()
        for key, value in a["state"][i].items():
            np.testing.assert_array_equal(value, b["state"][i][key], strict=True, err_msg=key)


@pytest.mark.parametrize("name", list(CONFIGS))
def test_compiled_steps_then_eager_steps_give_all_eager_bits(name: str) -> None:
    batches = data()
    runs = []
    for compiled in (False, True):
        net, opt, scheduler = setup(name)
        eager = step_for(net, opt)
        fast = vb.compile(eager, backend="numpy", fullgraph=True) if compiled else eager
        losses, middle = [], None
        with warnings.catch_warnings():
            warnings.simplefilter("error", CompileWarning)
            for i, (x, y) in enumerate(batches):
                losses.append((fast if i < COMPILED else eager)(x, y).detach().numpy().copy())
                scheduler.step()  # outside the compiled function: read live on the next call
                if i == COMPILED - 1:
                    middle = snapshot(net, opt)
        runs.append((losses, middle, snapshot(net, opt)))
        if compiled:  # one trace (after a first eager step where the state is made then)
            assert len(fast.entries) == 1 and fast.traces <= 2, fast.explain()
            assert f"{type(opt).__name__}.step()" in fast.code
    (eager_losses, eager_middle, eager_end), (losses, middle, end) = runs
    for a, b in zip(eager_losses, losses, strict=True):
        np.testing.assert_array_equal(a, b, strict=True)
    assert_same(eager_middle, middle)
    assert_same(eager_end, end)


def test_the_update_runs_once_over_all_parameters_where_it_can() -> None:
    """RMSprop's and Adagrad's elementwise update lines run over flat arrays (lanes.py), and
    their state arrays become views of those, holding eager's values."""
    for name, roles in (("rmsprop_centered_momentum", ("square_avg", "grad_avg",
                                                       "momentum_buffer")),
                        ("adagrad_all", ("sum",))):
        net, opt, _ = setup(name)
        step = vb.compile(step_for(net, opt), backend="numpy", fullgraph=True)
        for x, y in data()[:3]:
            step(x, y)
        for role in roles:
            assert f"all_{role}" in step.code and "# ‹all›" in step.code
            bases = {opt.state[p][role].base is not None for p in net.parameters()}
            assert bases == {True}, role


@pytest.mark.parametrize("name", ["adamw", "adagrad_all"])
def test_step_counts_that_drift_apart_trace_again(name: str) -> None:
    """A group's parameters share one step count in the program (its bias corrections made
    once, the update over flat arrays) while their counts are equal; a count changed for one
    parameter (here set back by hand; a parameter left out of some steps does the same) is
    guarded: a new trace with a count per parameter, still eager's bits."""
    results = []
    for compiled in (False, True):
        net, opt, _ = setup(name)
        step = step_for(net, opt)
        run = vb.compile(step, backend="numpy", fullgraph=True) if compiled else step
        for i, (x, y) in enumerate(data()):
            if i == 3:
                opt.state[net[2].bias]["step"] = 1
            run(x, y)
        results.append(snapshot(net, opt))
        if compiled:
            assert len(run.entries) == 2 and "step counts" in run._why
            shared, apart = run.entries[1].program.source, run.entries[0].program.source
            # one count per group (two groups), then the second group's count per parameter
            assert shared.count("_step + 1") == 2 and apart.count("_step + 1") == 3
    assert_same(*results)


def test_a_changed_setting_traces_again() -> None:
    """Adam's decoupled weight decay switched off between calls is guarded (a new trace, still
    eager's bits), not replayed with the old setting."""
    results = []
    for compiled in (False, True):
        net, opt, _ = setup("adam_decoupled")
        step = step_for(net, opt)
        run = vb.compile(step, backend="numpy", fullgraph=True) if compiled else step
        for i, (x, y) in enumerate(data()):
            if i == 3:
                for group in opt.param_groups:
                    group["decoupled_weight_decay"] = False
            run(x, y)
        results.append(snapshot(net, opt))
        if compiled:
            assert len(run.entries) == 2
    assert_same(*results)


def test_a_subclass_with_its_own_step_is_refused_by_name() -> None:
    """vb.compile replays the classes of vb.optim; a subclass may change the update, so a
    fullgraph compile names it and the optimizers it does replay."""

    class Clipped(optim.RMSprop):
        def step(self, closure: Any = None) -> Any:
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is not None:
                        p.grad.clamp_(-1, 1)
            return super().step(closure)

    net, _, _ = setup("rmsprop")
    step = vb.compile(step_for(net, Clipped(net.parameters())), fullgraph=True)
    with pytest.raises(CompileError, match=r"optimizer Clipped is not supported by vb.compile "
                                           r"\(SGD, Adam, AdamW, RMSprop and Adagrad are\)"):
        for x, y in data()[:2]:
            step(x, y)
