"""vb.compile's rules beyond the deck's ops: the other activations, embedding, gather,
logsumexp (a REINFORCE step with Categorical) and einsum. Each step is compiled with
``fullgraph=True`` (a fallback to eager would raise) and must give eager's numbers to the last
bit over several calls, with SGD momentum and with Adam."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import vibrastic as vb

F = vb.nn.functional

ACTIVATIONS: dict[str, Callable[[], vb.nn.Module]] = {
    "gelu": lambda: vb.nn.GELU(),
    "gelu_tanh": lambda: vb.nn.GELU(approximate="tanh"),
    "silu": lambda: vb.nn.SiLU(),
    "elu": lambda: vb.nn.ELU(alpha=0.7),
    "softplus": lambda: vb.nn.Softplus(beta=2.0, threshold=3.0),
    "hardtanh": lambda: vb.nn.Hardtanh(-0.5, 0.75),
    "relu6": lambda: vb.nn.ReLU6(),
    "softsign": lambda: vb.nn.Softsign(),
    "mish": lambda: vb.nn.Mish(),
    "prelu": lambda: vb.nn.PReLU(),
}


def optimizer(name: str, params: Any) -> vb.optim.Optimizer:
    if name == "adam":
        return vb.optim.Adam(params, lr=0.05)
    return vb.optim.SGD(params, lr=0.1, momentum=0.9)


def training_step(optim: vb.optim.Optimizer, loss_of: Callable[..., vb.Tensor]
                  ) -> Callable[..., vb.Tensor]:
    def step(*args: Any) -> vb.Tensor:
        optim.zero_grad()
        loss = loss_of(*args)
        loss.backward()
        optim.step()
        return loss

    return step


def run_twice(make: Callable[[], tuple[vb.nn.Module, Callable[..., vb.Tensor]]],
              inputs: list[tuple[Any, ...]], opt: str) -> None:
    """Train from the same start eagerly and compiled (fullgraph); assert equal bits."""
    runs = []
    for compiled in (False, True):
        model, loss_of = make()
        step = training_step(optimizer(opt, model.parameters()), loss_of)
        fn = vb.compile(step, fullgraph=True, backend="numpy") if compiled else step
        losses = [fn(*args)._data.copy() for args in inputs]
        params = {n: (p._data.copy(), p.grad._data.copy())
                  for n, p in model.named_parameters()}
        runs.append((losses, params))
    (eager_losses, eager_params), (losses, params) = runs
    for a, b in zip(eager_losses, losses, strict=True):
        np.testing.assert_array_equal(a, b, strict=True)
    assert eager_params.keys() == params.keys()
    for name, (w, g) in eager_params.items():
        np.testing.assert_array_equal(w, params[name][0], err_msg=name, strict=True)
        np.testing.assert_array_equal(g, params[name][1], err_msg=name, strict=True)


def mlp_inputs(dtype: Any, n_in: int, seed: int, steps: int = 3, scale: float = 3.0
               ) -> list[tuple[vb.Tensor, vb.Tensor]]:
    rng = np.random.default_rng(seed)
    return [(vb.tensor(rng.standard_normal((6, n_in)) * scale, dtype=dtype),
             vb.tensor(rng.standard_normal((6, 2)), dtype=dtype)) for _ in range(steps)]


def activation_mlp(name: str, dtype: Any, width: int, depth: int, seed: int
                   ) -> Callable[[], tuple[vb.nn.Module, Callable[..., vb.Tensor]]]:
    def make() -> tuple[vb.nn.Module, Callable[..., vb.Tensor]]:
        vb.manual_seed(seed)
        layers: list[vb.nn.Module] = [vb.nn.Linear(3, width, dtype=dtype)]
        for _ in range(depth - 1):
            layers += [ACTIVATIONS[name](), vb.nn.Linear(width, width, dtype=dtype)]
        layers += [ACTIVATIONS[name](), vb.nn.Linear(width, 2, dtype=dtype)]
        net = vb.nn.Sequential(*layers).to(dtype)
        return net, lambda x, y: F.mse_loss(net(x), y)

    return make


@pytest.mark.parametrize("opt", ["momentum", "adam"])
@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_steps_compile_bit_for_bit(name: str, opt: str) -> None:
    """float32, inputs wide enough to reach every branch (softplus's linear part, hardtanh's
    clipped ends, ELU's negative side)."""
    run_twice(activation_mlp(name, vb.float32, 5, 1, 0), mlp_inputs(vb.float32, 3, 1), opt)


@settings(max_examples=15, deadline=None)
@given(name=st.sampled_from(sorted(ACTIVATIONS)), dtype=st.sampled_from([vb.float32, vb.float64]),
       width=st.integers(1, 5), depth=st.integers(1, 2), seed=st.integers(0, 2 ** 16),
       opt=st.sampled_from(["momentum", "adam"]))
def test_random_activation_mlps_compile_bit_for_bit(name: str, dtype: Any, width: int,
                                                    depth: int, seed: int, opt: str) -> None:
    run_twice(activation_mlp(name, dtype, width, depth, seed),
              mlp_inputs(dtype, 3, seed, steps=2), opt)


def test_activations_at_extremes_keep_eager_bits() -> None:
    """Huge, tiny, infinite and NaN pre-activations (overflowing exponentials included)."""
    values = np.array([[0.0, -0.0, 1e-30, -1e-30, 50.0, -50.0, 800.0, -800.0, np.inf, -np.inf,
                        np.nan, 6.0, -1.0, 1.0, 20.0]], np.float32)
    for name in sorted(ACTIVATIONS):
        def make(name: str = name) -> tuple[vb.nn.Module, Callable[..., vb.Tensor]]:
            vb.manual_seed(0)
            act = ACTIVATIONS[name]()
            scale = vb.nn.Linear(1, 1, bias=False)
            scale.weight.data.fill_(1.0)
            net = vb.nn.Sequential(scale, act)

            def loss(x: vb.Tensor) -> vb.Tensor:
                return net(x.reshape(-1, 1)).sum()

            return net, loss

        with np.errstate(all="ignore"):
            run_twice(make, [(vb.tensor(values),)] * 2, "momentum")


def test_gelu_compiled_code_calls_the_engines_erf() -> None:
    vb.manual_seed(0)
    net = vb.nn.Sequential(vb.nn.Linear(2, 3), vb.nn.GELU())
    opt = vb.optim.SGD(net.parameters(), lr=0.1)

    def step(x: vb.Tensor) -> vb.Tensor:
        opt.zero_grad()
        loss = net(x).sum()
        loss.backward()
        opt.step()
        return loss

    fn = vb.compile(step, fullgraph=True, backend="numpy")
    fn(vb.randn(4, 2))
    assert "_erf(" in fn.code


@pytest.mark.parametrize("opt", ["momentum", "adam"])
@pytest.mark.parametrize("padding_idx", [None, 2])
def test_embedding_and_linear_step_compiles_bit_for_bit(opt: str, padding_idx: int | None
                                                        ) -> None:
    """Repeated indices: the weight's gradient adds up in np.add.at's order, as eager."""
    rng = np.random.default_rng(0)
    inputs = [(vb.tensor(rng.integers(0, 7, (4, 5))), vb.tensor(rng.integers(0, 3, 4)))
              for _ in range(3)]

    def make() -> tuple[vb.nn.Module, Callable[..., vb.Tensor]]:
        vb.manual_seed(0)
        net = vb.nn.ModuleDict({"emb": vb.nn.Embedding(7, 4, padding_idx=padding_idx),
                                "out": vb.nn.Linear(4, 3)})

        def loss(tokens: vb.Tensor, labels: vb.Tensor) -> vb.Tensor:
            return F.cross_entropy(net["out"](net["emb"](tokens).mean(dim=1)), labels)

        return net, loss

    run_twice(make, inputs, opt)


def test_compiled_embedding_checks_its_indices_on_every_call() -> None:
    emb = vb.nn.Embedding(5, 2)
    fn = vb.compile(lambda idx: emb(idx).sum(), fullgraph=True, backend="numpy")
    fn(vb.tensor([0, 4, 1]))
    with pytest.raises(IndexError, match=r"index out of range in self \(indices must be in "
                                         r"\[0, 5\)\)"):
        fn(vb.tensor([0, 5, 1]))
    with pytest.raises(IndexError, match="index out of range"):
        fn(vb.tensor([-1, 0, 1]))


def reinforce(dtype: Any, opt: str, entropy: bool) -> None:
    rng = np.random.default_rng(3)
    inputs = [(vb.tensor(rng.standard_normal((6, 4)), dtype=dtype),
               vb.tensor(rng.integers(0, 3, 6)),
               vb.tensor(rng.standard_normal(6), dtype=dtype)) for _ in range(3)]

    def make() -> tuple[vb.nn.Module, Callable[..., vb.Tensor]]:
        vb.manual_seed(0)
        policy = vb.nn.Sequential(vb.nn.Linear(4, 8, dtype=dtype), vb.nn.Tanh(),
                                  vb.nn.Linear(8, 3, dtype=dtype))

        def loss(states: vb.Tensor, actions: vb.Tensor, returns: vb.Tensor) -> vb.Tensor:
            dist = vb.distributions.Categorical(logits=policy(states), validate_args=False)
            out = -(dist.log_prob(actions) * returns).mean()
            return out - 0.01 * dist.entropy().mean() if entropy else out

        return policy, loss

    run_twice(make, inputs, opt)


@pytest.mark.parametrize(("dtype", "opt", "entropy"), [
    (vb.float32, "momentum", False), (vb.float32, "adam", True), (vb.float64, "adam", False)])
def test_reinforce_step_with_categorical_compiles_bit_for_bit(dtype: Any, opt: str,
                                                              entropy: bool) -> None:
    reinforce(dtype, opt, entropy)


def test_compiled_gather_checks_its_indices_like_torch() -> None:
    logits = vb.randn(3, 4, requires_grad=True)
    fn = vb.compile(lambda i: logits.gather(1, i).sum(), fullgraph=True, backend="numpy")
    fn(vb.tensor([[0], [3], [1]]))
    for bad, named in (([[0], [4], [-1]], 4), ([[0], [-2], [9]], -2)):
        with pytest.raises(RuntimeError, match=f"^index {named} is out of bounds for "
                                               "dimension 1 with size 4$"):
            fn(vb.tensor(bad))
        with pytest.raises(RuntimeError, match=f"^index {named} is out of bounds for "
                                               "dimension 1 with size 4$"):
            logits.gather(1, vb.tensor(bad))


@pytest.mark.parametrize(("dim", "keepdim"), [(0, False), (1, True), ((0, 1), False)])
def test_logsumexp_compiles_bit_for_bit_with_infinite_rows(dim: Any, keepdim: bool) -> None:
    x = np.array([[0.5, -np.inf, 2.0], [-np.inf, -np.inf, -np.inf], [80.0, 90.0, -3.0]],
                 np.float32)
    inputs = [(vb.tensor(x),), (vb.tensor(x[::-1].copy()),)]

    def make() -> tuple[vb.nn.Module, Callable[..., vb.Tensor]]:
        vb.manual_seed(0)
        lin = vb.nn.Linear(3, 3)
        return lin, lambda t: (lin(vb.where(vb.isfinite(t), t, 0.0)) + t).logsumexp(
            dim, keepdim).sum()

    with np.errstate(all="ignore"):
        run_twice(make, inputs, "momentum")


@pytest.mark.parametrize("equation", ["bi,oi->bo", "bi,i->b", "bij,bjk->bik", "ij,jk,k->i",
                                      "bi,oj->bo", "ij->i"])
def test_einsum_steps_compile_bit_for_bit(equation: str) -> None:
    """Products, a batched product, three operands, an index only one operand has (its
    gradient spread back) and a single-operand sum."""
    ins, _ = equation.split("->")
    subs = ins.split(",")
    sizes = {"b": 3, "i": 4, "j": 2, "k": 5, "o": 3}
    rng = np.random.default_rng(1)
    inputs = [(vb.tensor(rng.standard_normal([sizes[c] for c in subs[0]]),
                         dtype=vb.float32),) for _ in range(3)]

    def with_params() -> tuple[vb.nn.Module, Callable[..., vb.Tensor]]:
        vb.manual_seed(0)
        params = vb.nn.ParameterList([vb.nn.Parameter(vb.randn(*[sizes[c] for c in s]))
                                      for s in subs[1:]])

        def loss(x: vb.Tensor) -> vb.Tensor:
            out = vb.einsum(equation, vb.tanh(x), *params)
            return (out * out).sum()

        return params, loss

    def one_operand() -> tuple[vb.nn.Module, Callable[..., vb.Tensor]]:
        vb.manual_seed(0)  # no parameters in the equation: give the input a learnable scale
        scale = vb.nn.Linear(1, 1, bias=False)

        def loss(x: vb.Tensor) -> vb.Tensor:
            return vb.einsum(equation, scale(x.unsqueeze(-1)).squeeze(-1)).pow(2).sum()

        return scale, loss

    run_twice(one_operand if len(subs) == 1 else with_params, inputs, "adam")


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_scalar_backend_runs_the_activations_close_to_eager(name: str) -> None:
    """The scalar backend has a Python form for each new kernel (erf, logaddexp): float64
    results within rounding of eager's."""
    results = []
    for backend in (None, "scalar"):
        vb.manual_seed(0)
        net, loss_of = activation_mlp(name, vb.float64, 3, 1, 0)()
        step = training_step(vb.optim.SGD(net.parameters(), lr=0.05, momentum=0.9), loss_of)
        fn = step if backend is None else vb.compile(step, backend=backend, fullgraph=True)
        losses = [fn(x[:1], y[:1]).item() for x, y in mlp_inputs(vb.float64, 3, 2)]
        results.append((losses, [p._data.copy() for p in net.parameters()]))
        if backend is not None:
            assert fn.entries[0].program.backend == "scalar"
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-9, atol=1e-12)
    for a, b in zip(results[0][1], results[1][1], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("pick", ["rows_and_targets", "slice_and_targets", "slice_and_few"])
def test_advanced_indexing_with_several_indices_compiles_bit_for_bit(pick: str) -> None:
    """x[rows, t], x[:, t], x[1:3, t[:2]]: their gradients are np.add.at with the whole index
    as one tuple."""
    rng = np.random.default_rng(0)
    inputs = [(vb.tensor(rng.standard_normal((4, 3)), dtype=vb.float32),
               vb.tensor([0, 4, 4, 2])) for _ in range(3)]

    def make() -> tuple[vb.nn.Module, Callable[..., vb.Tensor]]:
        vb.manual_seed(0)
        lin = vb.nn.Linear(3, 5)

        def loss(x: vb.Tensor, t: vb.Tensor) -> vb.Tensor:
            h = lin(x)
            picked = {"rows_and_targets": lambda: h[vb.arange(4), t],
                      "slice_and_targets": lambda: h[:, t],
                      "slice_and_few": lambda: h[1:3, t[:2]]}[pick]()
            return (picked * picked).sum()

        return lin, loss

    run_twice(make, inputs, "momentum")


def special_ops(h: vb.Tensor, y: vb.Tensor) -> vb.Tensor:
    return (vb.erf(h) + h.erfc() * vb.erfinv(vb.tanh(h)) + vb.special.ndtr(h * 3)
            + vb.logit(vb.sigmoid(h)) + vb.logit(vb.sigmoid(h * 4), eps=0.1)
            + vb.xlogy(vb.relu(h), vb.sigmoid(y)))


OPS: dict[str, Callable[[vb.Tensor, vb.Tensor], vb.Tensor]] = {
    "sinh": lambda h, y: vb.sinh(vb.tanh(h)), "cosh": lambda h, y: vb.cosh(vb.tanh(h)),
    "tan": lambda h, y: vb.tan(h * 0.3), "asin": lambda h, y: vb.asin(vb.tanh(h)),
    "acos": lambda h, y: vb.acos(vb.tanh(h)), "atan": lambda h, y: vb.atan(h),
    "log2": lambda h, y: vb.log2(h * h + 1), "log10": lambda h, y: vb.log10(h * h + 1),
    "log1p": lambda h, y: vb.log1p(h * h), "expm1": lambda h, y: vb.expm1(vb.tanh(h)),
    "reciprocal": lambda h, y: vb.reciprocal(h * h + 1), "rsqrt": lambda h, y: vb.rsqrt(h * h + 1),
    "floor_ceil_trunc_sign_round": lambda h, y: h * (vb.floor(h) + vb.ceil(h) + vb.trunc(h)
                                                     + vb.sign(h) + vb.round(h, decimals=1)),
    "frac": lambda h, y: vb.frac(h * 3),
    "masked_fill": lambda h, y: h.masked_fill(h > 0.5, -1.5),
    "index_select": lambda h, y: h.index_select(1, vb.tensor([0, 1, 1, 0])),
    "cumsum": lambda h, y: h.cumsum(1) + h.cumsum(0),
    "flip": lambda h, y: h.flip(1) * h + h.flip((0, 1)),
    "repeat": lambda h, y: h.repeat(2, 3) * 1.5,
    "prod": lambda h, y: h.prod() + h.prod(1).sum() + h.prod(0, keepdim=True).sum()
                         + vb.relu(h).prod(1).sum(),  # (zeros among the factors)
    "scatter": lambda h, y: h.scatter(1, vb.tensor([[1], [0], [1], [1], [0], [0]]), 0.5)
                            * vb.zeros(6, 2).scatter(1, vb.tensor([[1], [0]] * 3), h * y),
    "one_hot": lambda h, y: h * F.one_hot(vb.tensor([0, 1, 1, 0, 1, 0]), 2).float(),
    "kl_div": lambda h, y: F.kl_div(F.log_softmax(h, 1), F.softmax(y, 1) * (y > -1),
                                    reduction="batchmean"),
    # the permutation is worked out again on every call (the inputs change between calls)
    "sort_argsort_topk": lambda h, y: h.sort(1)[0] * h.sort(0, descending=True).values
                                      + h * h.argsort(0).float()
                                      + h.topk(1, 1)[0] * h.topk(4, 0, largest=False).values.sum(),
    "special": lambda h, y: special_ops(h * 0.2, y),
    "normal_cdf_icdf": lambda h, y: vb.distributions.Normal(h, 1.5, validate_args=False).cdf(y)
                                    + vb.distributions.Normal(y, vb.exp(vb.tanh(h)),
                                                              validate_args=False
                                                              ).icdf(vb.full((6, 2), 0.3)),
    "any_all_isclose": lambda h, y: h * (h > 0).any(1, keepdim=True).float()
                                    + h * (h > -0.5).all().float() + h * vb.isclose(h, y, atol=0.5),
    "clamp_by_tensors_clone_like": lambda h, y: vb.clamp(h, min=y, max=y + 1) * h.clone()
                                                + vb.full_like(h, 2.0) * h @ vb.eye(2),
    "l1_loss": lambda h, y: F.l1_loss(h, y),
    "smooth_l1_loss": lambda h, y: F.smooth_l1_loss(h, y, beta=0.5) + F.smooth_l1_loss(
        h, y, reduction="sum"),
    "huber_loss": lambda h, y: F.huber_loss(h, y, delta=0.7),
    "bce_with_logits": lambda h, y: F.binary_cross_entropy_with_logits(h, (y > 0).float()),
    "bce_with_logits_weights": lambda h, y: F.binary_cross_entropy_with_logits(
        h, (y > 0).float(), weight=vb.tensor([0.5, 2.0]), pos_weight=vb.tensor([3.0, 0.5]),
        reduction="sum"),
}


@pytest.mark.parametrize("name", sorted(OPS))
def test_more_ops_and_losses_compile_bit_for_bit(name: str) -> None:
    """Each op after a linear layer, its result squared and summed (the losses as they are),
    trained with momentum: eager's bits on every call."""
    def make() -> tuple[vb.nn.Module, Callable[..., vb.Tensor]]:
        vb.manual_seed(0)
        lin = vb.nn.Linear(3, 2)

        def loss(x: vb.Tensor, y: vb.Tensor) -> vb.Tensor:
            out = OPS[name](lin(x), y)
            return out if out.ndim == 0 else (out * out).sum()

        return lin, loss

    run_twice(make, mlp_inputs(vb.float32, 3, 4, scale=1.5), "momentum")


def test_eval_mode_batch_norm_reads_running_statistics_on_every_call() -> None:
    """A compiled eval-mode step after the running statistics moved (an eager training pass
    between calls) uses the new statistics, as eager does (it used the traced ones)."""
    rng = np.random.default_rng(5)
    data = [vb.tensor(rng.standard_normal((8, 3)) * (i + 1) + i, dtype=vb.float32)
            for i in range(6)]
    runs = []
    for compiled in (False, True):
        vb.manual_seed(0)
        net = vb.nn.Sequential(vb.nn.Linear(3, 4), vb.nn.BatchNorm1d(4), vb.nn.Linear(4, 1))
        step = training_step(vb.optim.SGD(net.parameters(), lr=0.05),
                             lambda x, net=net: (net(x) ** 2).mean())
        fn = vb.compile(step, fullgraph=True, backend="numpy") if compiled else step
        losses = []
        for x, moved in zip(data[::2], data[1::2], strict=True):
            net.eval()
            losses.append(fn(x)._data.copy())
            net.train()
            with vb.no_grad():
                net(moved)  # the running statistics move
        runs.append((losses, [p._data.copy() for p in net.parameters()]))
    for a, b in zip(runs[0][0], runs[1][0], strict=True):
        np.testing.assert_array_equal(a, b, strict=True)
    for a, b in zip(runs[0][1], runs[1][1], strict=True):
        np.testing.assert_array_equal(a, b, strict=True)


@pytest.mark.parametrize("p", [0.3, 1.0])
def test_dropout_in_training_draws_its_mask_again_on_every_call(p: float) -> None:
    """Two dropouts and a vb.randn in one step, with Adam: the compiled code draws from the
    engine's generator in eager's order, so losses, weights and the generator's next number
    are eager's."""
    runs = []
    for compiled in (False, True):
        rng = np.random.default_rng(0)
        vb.manual_seed(0)
        net = vb.nn.Sequential(vb.nn.Linear(3, 8), vb.nn.ReLU(), vb.nn.Dropout(p),
                               vb.nn.Linear(8, 2))
        step = training_step(vb.optim.Adam(net.parameters(), lr=0.05),
                             lambda x, y, net=net: F.mse_loss(
                                 F.dropout(net(x), 0.2) + vb.randn(5, 2) * 0.1, y))
        fn = vb.compile(step, fullgraph=True, backend="numpy") if compiled else step
        losses = [fn(vb.tensor(rng.standard_normal((5, 3)), dtype=vb.float32),
                     vb.tensor(rng.standard_normal((5, 2)), dtype=vb.float32))._data.copy()
                  for _ in range(4)]
        runs.append(losses + [q._data.copy() for q in net.parameters()] + [vb.rand(3)._data])
    for a, b in zip(*runs, strict=True):
        np.testing.assert_array_equal(a, b, strict=True)


# ---- whole programs: layers called one by one, DQN, attention, VAE, PPO ----


def program(name: str) -> tuple[vb.nn.Module, Callable[..., vb.Tensor], list[tuple[Any, ...]]]:
    """A training step as PyTorch code writes it, its model and three batches."""
    nn, rng = vb.nn, np.random.default_rng(7)

    def floats(*shape: int) -> vb.Tensor:
        return vb.tensor(rng.standard_normal(shape), dtype=vb.float32)

    if name == "dqn":  # gather of the actions taken, a target network, gradient clipping
        q = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3))
        target_q = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3))
        opt = vb.optim.Adam(q.parameters(), lr=1e-2)

        def dqn(s: vb.Tensor, a: vb.Tensor, r: vb.Tensor, s2: vb.Tensor) -> vb.Tensor:
            chosen = q(s).gather(1, a.unsqueeze(1)).squeeze(1)
            with vb.no_grad():
                target = r + 0.99 * target_q(s2).max(1).values
            loss = F.smooth_l1_loss(chosen, target)
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(q.parameters(), 1.0)
            opt.step()
            return loss

        return q, dqn, [(floats(8, 4), vb.tensor(rng.integers(0, 3, 8)), floats(8),
                         floats(8, 4)) for _ in range(3)]
    if name == "attention":  # embedding, q/k/v split, scaled dot products, AdamW
        emb, qkv, head, norm = nn.Embedding(10, 8), nn.Linear(8, 24), nn.Linear(8, 10), \
            nn.LayerNorm(8)
        model = nn.ModuleList([emb, qkv, head, norm])
        opt = vb.optim.AdamW(model.parameters(), lr=1e-2)
        causal = vb.tensor(np.tril(np.ones((5, 5))))

        def attention(tokens: vb.Tensor, targets: vb.Tensor) -> vb.Tensor:
            h = emb(tokens)
            q, k, v = qkv(norm(h)).split(8, dim=-1)
            scores = (q @ k.transpose(-2, -1)) / 8 ** 0.5
            weights = F.softmax(scores.masked_fill(causal == 0, float("-inf")), dim=-1)
            logits = head(h + weights @ v)
            loss = F.cross_entropy(logits.view(-1, 10), targets.view(-1))
            opt.zero_grad()
            loss.backward()
            opt.step()
            return loss

        return model, attention, [(vb.tensor(rng.integers(0, 10, (2, 5))),
                                   vb.tensor(rng.integers(0, 10, (2, 5)))) for _ in range(3)]
    if name == "vae":  # two layers called one by one (both have a "weight"), randn_like, chunk
        enc, dec = nn.Linear(6, 4), nn.Linear(2, 6)
        model = nn.ModuleList([enc, dec])
        opt = vb.optim.SGD(model.parameters(), lr=1e-2, momentum=0.9)

        def vae(x: vb.Tensor) -> vb.Tensor:
            mu, logvar = enc(x).chunk(2, dim=1)
            z = mu + vb.exp(0.5 * logvar) * vb.randn_like(mu)
            kl = -0.5 * vb.sum(1 + logvar - mu.pow(2) - logvar.exp())
            loss = F.binary_cross_entropy_with_logits(dec(z), x, reduction="sum") + kl
            opt.zero_grad()
            loss.backward()
            opt.step()
            return loss

        return model, vae, [(vb.tensor((rng.random((4, 6)) > 0.5).astype(np.float32)),)
                            for _ in range(3)]
    policy = nn.Sequential(nn.Linear(4, 16), nn.Tanh(), nn.Linear(16, 2))  # PPO's clipped loss
    opt = vb.optim.Adam(policy.parameters(), lr=3e-3)

    def ppo(s: vb.Tensor, a: vb.Tensor, old_logp: vb.Tensor, adv: vb.Tensor) -> vb.Tensor:
        dist = vb.distributions.Categorical(logits=policy(s), validate_args=False)
        ratio = (dist.log_prob(a) - old_logp).exp()
        loss = -vb.min(ratio * adv, vb.clamp(ratio, 0.8, 1.2) * adv).mean() \
            - 0.01 * dist.entropy().mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss

    return policy, ppo, [(floats(6, 4), vb.tensor(rng.integers(0, 2, 6)), floats(6) - 1,
                          floats(6)) for _ in range(3)]


@pytest.mark.parametrize("name", ["dqn", "attention", "vae", "ppo"])
def test_common_training_programs_compile_bit_for_bit(name: str) -> None:
    runs = []
    for compiled in (False, True):
        vb.manual_seed(0)
        model, step, inputs = program(name)
        fn = vb.compile(step, fullgraph=True, backend="numpy") if compiled else step
        losses = [fn(*args)._data.copy() for args in inputs]
        runs.append(losses + [p._data.copy() for p in model.parameters()])
    for a, b in zip(*runs, strict=True):
        np.testing.assert_array_equal(a, b, strict=True)


def test_scalar_backend_takes_slices_of_a_layers_output() -> None:
    """h[:, :2] + h[:, 2:] on the scalar backend (its gradient writes a 2-D block into
    zeros): close to eager in float64."""
    runs = []
    for backend in (None, "scalar"):
        vb.manual_seed(0)
        enc, dec = vb.nn.Linear(3, 4, dtype=vb.float64), vb.nn.Linear(2, 1, dtype=vb.float64)
        step = training_step(vb.optim.SGD([*enc.parameters(), *dec.parameters()], lr=0.05,
                                          momentum=0.9),
                             lambda x, enc=enc, dec=dec: dec(enc(x)[:, :2] + enc(x)[:, 2:]).sum())
        fn = step if backend is None else vb.compile(step, backend=backend, fullgraph=True)
        x = vb.tensor(np.random.default_rng(0).standard_normal((1, 3)))
        runs.append([fn(x).item() for _ in range(3)] + [enc.weight._data.copy()])
    np.testing.assert_allclose(runs[0][:3], runs[1][:3], rtol=1e-9)
    np.testing.assert_allclose(runs[0][3], runs[1][3], rtol=1e-9)
