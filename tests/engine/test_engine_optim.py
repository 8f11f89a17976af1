"""SGD and Adam follow ``torch.optim`` step for step (float64, same start, same data)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import vibrastic as vb

torch.set_num_threads(1)

STEPS = 20


def make_models(lib_seed: int = 0) -> tuple[Any, Any]:
    """A small 3-5-2 tanh network in both engines, float64, with the same weights."""
    torch.manual_seed(lib_seed)
    t = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.Tanh(), torch.nn.Linear(5, 2))
    t.double()
    v = vb.nn.Sequential(vb.nn.Linear(3, 5), vb.nn.Tanh(), vb.nn.Linear(5, 2))
    v.double()
    v.load_state_dict(t.state_dict())
    return v, t


def run(lib: Any, model: Any, opt: Any, x: np.ndarray, y: np.ndarray) -> list[list[np.ndarray]]:
    """STEPS optimizer steps on an MSE loss; the parameters after every step."""
    xs, ys = lib.tensor(x), lib.tensor(y)
    trajectory = []
    for i in range(STEPS):
        if i == STEPS // 2:  # a learning-rate schedule edits param_groups, as in torch
            for group in opt.param_groups:
                group["lr"] *= 0.5
        opt.zero_grad()
        batch = slice(i % 4, i % 4 + 4)  # the data changes from step to step
        loss = lib.nn.functional.mse_loss(model(xs[batch]), ys[batch])
        loss.backward()
        opt.step()
        trajectory.append([p.detach().numpy().copy() for p in model.parameters()])
    return trajectory


SGD_CONFIGS = {
    "plain": dict(lr=0.1),
    "momentum": dict(lr=0.05, momentum=0.9),
    "dampening": dict(lr=0.05, momentum=0.9, dampening=0.5),
    "nesterov": dict(lr=0.05, momentum=0.9, nesterov=True),
    "weight_decay": dict(lr=0.1, weight_decay=0.01),
    "momentum_weight_decay": dict(lr=0.05, momentum=0.8, weight_decay=0.05),
    "nesterov_weight_decay": dict(lr=0.05, momentum=0.5, nesterov=True, weight_decay=0.1),
    "maximize": dict(lr=0.01, momentum=0.9, maximize=True),
}
ADAM_CONFIGS = {
    "default": dict(),
    "lr": dict(lr=0.05),
    "weight_decay": dict(lr=0.01, weight_decay=0.1),
    "amsgrad": dict(lr=0.02, amsgrad=True),
    "betas_eps": dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6),
    "maximize": dict(lr=0.01, maximize=True),
}
CASES = [("SGD", k, c) for k, c in SGD_CONFIGS.items()] + [
    ("Adam", k, c) for k, c in ADAM_CONFIGS.items()
]


@pytest.mark.parametrize(("optimizer", "label", "config"), CASES, ids=[f"{o}-{k}" for o, k, _ in
                                                                       CASES])
def test_trajectory_matches_torch(optimizer: str, label: str, config: dict[str, Any]) -> None:
    v_model, t_model = make_models()
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((8, 3)), rng.standard_normal((8, 2))
    v_opt = getattr(vb.optim, optimizer)(v_model.parameters(), **config)
    t_opt = getattr(torch.optim, optimizer)(t_model.parameters(), **config)
    v_traj = run(vb, v_model, v_opt, x, y)
    t_traj = run(torch, t_model, t_opt, x, y)
    start = [p.detach().numpy() for p in make_models()[1].parameters()]
    moved = max(np.abs(a - b).max() for a, b in zip(t_traj[-1], start, strict=True))
    assert moved > 1e-3, "the test should move the weights"
    for step, (vs, ts) in enumerate(zip(v_traj, t_traj, strict=True)):
        for i, (a, b) in enumerate(zip(vs, ts, strict=True)):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12,
                                       err_msg=f"step {step + 1}, parameter {i}")


def test_deck_momentum_rule_is_torch_sgd_momentum() -> None:
    """Δw(t) = -α∇E + βΔw(t-1) gives the same weights as SGD(lr=α, momentum=β)."""
    alpha, beta = 0.1, 0.9
    w = vb.tensor([2.0, -1.0], dtype=vb.float64, requires_grad=True)
    opt = vb.optim.SGD([w], lr=alpha, momentum=beta)
    w_deck, delta = np.array([2.0, -1.0]), np.zeros(2)
    for _ in range(15):
        opt.zero_grad()
        (w * w).sum().backward()  # E = Σw², ∇E = 2w
        opt.step()
        delta = -alpha * 2 * w_deck + beta * delta
        w_deck = w_deck + delta
        np.testing.assert_allclose(w.detach().numpy(), w_deck, rtol=1e-12, atol=1e-14)


def test_parameters_without_grad_are_skipped_and_zero_grad_sets_none() -> None:
    a = vb.tensor([1.0], requires_grad=True)
    b = vb.tensor([5.0], requires_grad=True)
    for opt in (vb.optim.SGD([a, b], lr=0.5, momentum=0.9), vb.optim.Adam([a, b], lr=0.5)):
        (a * 3).sum().backward()
        opt.step()
        assert b.tolist() == [5.0] and a.item() != 1.0
        opt.zero_grad()
        assert a.grad is None and b.grad is None
    assert a.is_leaf and a.grad_fn is None  # updates never add to the graph


def test_param_groups_use_their_own_lr() -> None:
    a = vb.tensor([1.0], requires_grad=True)
    b = vb.tensor([1.0], requires_grad=True)
    opt = vb.optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)
    (a + b).sum().backward()
    opt.step()
    assert a.item() == pytest.approx(0.9) and b.item() == pytest.approx(0.5)


def test_invalid_hyper_parameters_raise_value_error_like_torch() -> None:
    w = [vb.tensor([1.0], requires_grad=True)]
    tw = [torch.tensor([1.0], requires_grad=True)]
    for lib, params in ((vb, w), (torch, tw)):
        with pytest.raises(ValueError, match="learning rate"):
            lib.optim.SGD(params, lr=-1.0)
        with pytest.raises(ValueError, match=r"[Nn]esterov"):
            lib.optim.SGD(params, lr=0.1, nesterov=True)
        with pytest.raises(ValueError, match="beta"):
            lib.optim.Adam(params, betas=(1.0, 0.999))
        with pytest.raises(ValueError, match="empty"):
            lib.optim.SGD([], lr=0.1)


def test_adagrad_state_exists_from_construction_and_bad_values_raise_like_torch() -> None:
    states = {}
    for lib in (vb, torch):
        w = lib.tensor([1.0, -2.0], requires_grad=True)
        opt = lib.optim.Adagrad([w], initial_accumulator_value=0.5)
        states[lib] = {k: v.tolist() for k, v in opt.state_dict()["state"][0].items()}
        for bad, match in ((dict(lr=-1.0), "Invalid learning rate: -1.0"),
                           (dict(lr_decay=-0.1), "Invalid lr_decay value: -0.1"),
                           (dict(initial_accumulator_value=-1), "initial_accumulator_value"),
                           (dict(eps=-1e-3), "Invalid epsilon value")):
            with pytest.raises(ValueError, match=match):
                lib.optim.Adagrad([w], **bad)
    assert states[vb] == states[torch] == {"step": 0.0, "sum": [0.5, 0.5]}


class SignSGD(vb.optim.Optimizer):
    """A learner's own optimizer: w ← w - lr·sign(g)."""

    def __init__(self, params: Any, lr: float) -> None:
        super().__init__(params, {"lr": lr})

    def step(self, closure: Any = None) -> None:
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    p._data -= group["lr"] * np.sign(p.grad._data)


def test_vb_compile_runs_an_optimizer_it_does_not_know_eagerly_and_says_so() -> None:
    from vibrastic.compiler import CompileWarning

    def train(compiled: bool) -> list[float]:
        vb.manual_seed(0)
        net = vb.nn.Linear(3, 1)
        opt = SignSGD(net.parameters(), lr=0.1)
        x, y = vb.ones(4, 3), vb.zeros(4, 1)

        def step() -> vb.Tensor:
            opt.zero_grad()
            loss = ((net(x) - y) ** 2).mean()
            loss.backward()
            opt.step()
            return loss

        run = vb.compile(step) if compiled else step
        return [run().item() for _ in range(4)]

    eager = train(False)
    with pytest.warns(CompileWarning, match="optimizer SignSGD is not supported by vb.compile "
                                            r"\(SGD, Adam, AdamW, RMSprop and Adagrad are\)"):
        assert train(True) == eager


OPTIMIZERS = ("SGD", "Adam", "AdamW", "RMSprop", "Adagrad")


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_print_and_param_groups_read_as_torchs(name: str) -> None:
    """``print(optimizer)`` and ``state_dict()['param_groups']``: torch's keys, order, defaults
    (0, not 0.0) and implementation switches (foreach, fused, ...)."""
    import torch

    ours = getattr(vb.optim, name)([vb.zeros(2, requires_grad=True)], lr=0.1)
    theirs = getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)], lr=0.1)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()["param_groups"][0].items()) == \
        list(theirs.state_dict()["param_groups"][0].items())


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_torchs_implementation_switches_are_accepted_or_refused_clearly(name: str) -> None:
    """foreach/fused change only how torch loops: same numbers; capturable (CUDA graphs) and
    differentiable (a step inside the graph) say why not."""
    runs = []
    for flags in ({}, {"foreach": True}, {"foreach": False}, {"fused": True}):
        if name == "RMSprop" and "fused" in flags:
            continue  # torch's RMSprop has no fused switch either
        w = vb.tensor([1.0, -2.0], requires_grad=True)
        opt = getattr(vb.optim, name)([w], lr=0.1, **flags)
        for _ in range(3):
            opt.zero_grad()
            (w * w).sum().backward()
            opt.step()
        runs.append(w.tolist())
    assert all(run == runs[0] for run in runs)
    with pytest.raises(NotImplementedError, match="differentiable=True is not available"):
        getattr(vb.optim, name)([vb.zeros(1, requires_grad=True)], differentiable=True)
    if name in ("Adam", "AdamW", "RMSprop"):
        with pytest.raises(AssertionError, match=r"capturable=True.*CPU only"):
            getattr(vb.optim, name)([vb.zeros(1, requires_grad=True)], capturable=True)
