"""vb.compile's guards and hand-over: what changes between calls is noticed (traced again or
read live), code it can't replay runs eagerly and says why, and eager code sees the same
parameters, gradients and optimizer state afterwards."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import vibrastic as vb
from vibrastic.compiler import CompileError, CompileWarning
from vibrastic.ml.labs.xor import XOR_TABLE, initial_weights, xor_class

DATA = [(vb.tensor([[a, b]]), vb.tensor([[t]])) for a, b, t in XOR_TABLE]


def xor_net() -> vb.nn.Module:
    net = xor_class(vb)()
    net.load_state_dict({k: vb.tensor(v) for k, v in initial_weights(0).items()})
    return net


def step_for(net: vb.nn.Module, opt: vb.optim.Optimizer) -> Callable[..., vb.Tensor]:
    criterion = vb.nn.MSELoss()

    def train_step(x: vb.Tensor, y: vb.Tensor) -> vb.Tensor:
        opt.zero_grad()
        loss = criterion(net(x), y)
        loss.backward()
        opt.step()
        return loss

    return train_step


def pair(make_opt: Callable[[Any], vb.optim.Optimizer] = lambda p: vb.optim.SGD(p, lr=0.1),
         backend: str = "numpy") -> tuple[Any, ...]:
    """An eager and a compiled copy of the same training setup."""
    nets = [xor_net(), xor_net()]
    opts = [make_opt(n.parameters()) for n in nets]
    steps = [step_for(nets[0], opts[0]),
             vb.compile(step_for(nets[1], opts[1]), backend=backend, fullgraph=True)]
    return nets, opts, steps


def assert_nets_equal(a: vb.nn.Module, b: vb.nn.Module) -> None:
    for (name, p), (_, q) in zip(a.named_parameters(), b.named_parameters(), strict=True):
        np.testing.assert_array_equal(p.numpy(force=True), q.numpy(force=True), err_msg=name)
        if p.grad is None:
            assert q.grad is None, name
        else:
            np.testing.assert_array_equal(p.grad.numpy(), q.grad.numpy(), err_msg=name)


def run(steps: list[Any], n: int = 2) -> None:
    for _ in range(n):
        for x, y in DATA:
            a, b = (s(x, y) for s in steps)
            assert a.item() == b.item()


# ---- what eager code sees afterwards ----


def test_parameters_grads_and_state_are_visible_after_a_compiled_step() -> None:
    nets, opts, steps = pair(lambda p: vb.optim.SGD(p, lr=0.1, momentum=0.9))
    run(steps, 3)
    assert_nets_equal(*nets)
    for p, q in zip(nets[0].parameters(), nets[1].parameters(), strict=True):
        np.testing.assert_array_equal(opts[0].state[p]["momentum_buffer"],
                                      opts[1].state[q]["momentum_buffer"])
    # the momentum buffers start on the first step: that call runs eagerly, then it compiles
    assert steps[1].traces == 2 and len(steps[1].entries) == 1
    printed = repr(nets[1].fc1.weight)
    assert printed.startswith("Parameter containing:") and "requires_grad=True" in printed


def test_a_gradient_the_learner_keeps_is_not_overwritten() -> None:
    nets, _, steps = pair()
    run(steps, 1)
    kept = nets[1].fc1.weight.grad
    values = kept.numpy().copy()
    run(steps, 1)
    np.testing.assert_array_equal(kept.numpy(), values)  # still the old step's gradient
    assert nets[1].fc1.weight.grad is not kept
    assert_nets_equal(*nets)


def test_one_flat_update_follows_eager_changes_to_grads_and_optimizer_state() -> None:
    """The momentum step runs over flat arrays (lanes.py): a kept .grad of one parameter
    leaves it intact, and optimizer state replaced by eager code (load_state_dict, an eager
    step) is taken over; weights, grads and buffers stay equal to eager's throughout."""
    nets, opts, steps = pair(lambda p: vb.optim.SGD(p, lr=0.1, momentum=0.9))
    run(steps, 2)
    assert "‹all›" in steps[1].code  # the step over all parameters at once
    kept = nets[1].fc2.bias.grad
    values = kept.numpy().copy()
    run(steps, 1)
    np.testing.assert_array_equal(kept.numpy(), values)
    saved = [opt.state_dict() for opt in opts]
    run(steps, 2)
    for opt, state in zip(opts, saved, strict=True):
        opt.load_state_dict(state)
    run(steps, 1)
    eager_step = step_for(nets[1], opts[1])  # the same model and optimizer, eagerly
    eager_step(*DATA[0])
    steps[0](*DATA[0])
    run(steps, 2)
    assert_nets_equal(*nets)
    for p, q in zip(nets[0].parameters(), nets[1].parameters(), strict=True):
        np.testing.assert_array_equal(opts[0].state[p]["momentum_buffer"],
                                      opts[1].state[q]["momentum_buffer"])


def test_the_returned_loss_looks_like_eager_after_backward() -> None:
    _, _, steps = pair()
    eager, compiled = (s(*DATA[1]) for s in steps)
    assert repr(compiled) == repr(eager)
    assert compiled.requires_grad and compiled.grad_fn.name() == eager.grad_fn.name()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        compiled.backward()
    kept = steps[1](*DATA[2])
    steps[1](*DATA[3])
    assert kept.item() == steps[0](*DATA[2]).item()  # each call returns a new tensor


def test_gradients_accumulate_across_calls_without_zero_grad() -> None:
    results = []
    for compiled in (False, True):
        net = xor_net()
        criterion = vb.nn.MSELoss()

        def accumulate(x: vb.Tensor, y: vb.Tensor) -> vb.Tensor:
            loss = criterion(net(x), y)  # noqa: B023 - each loop defines its own
            loss.backward()
            return loss

        fn = vb.compile(accumulate, backend="numpy", fullgraph=True) if compiled else accumulate
        for x, y in DATA * 2:
            fn(x, y)
        results.append(net)
    assert_nets_equal(*results)


# ---- guards: what changes between calls ----


def test_a_new_learning_rate_applies_at_once_without_tracing_again() -> None:
    nets, opts, steps = pair()
    run(steps, 1)
    for opt in opts:
        opt.param_groups[0]["lr"] = 0.5
    run(steps, 1)
    assert_nets_equal(*nets)
    assert steps[1].traces == 1


def test_learning_rate_and_momentum_changed_on_every_call_keep_eager_bits() -> None:
    """lr and momentum reach NumPy as 0-d float32 arrays refreshed when they change: a new
    float object on each call, an int, -0.0, values float32 can't hold exactly, all give
    eager's bits on every step, without tracing again."""
    nets, opts, steps = pair(lambda p: vb.optim.SGD(p, lr=0.1, momentum=0.9))
    run(steps, 1)  # warm-up: the momentum buffers are made, and the step traced again
    traces = steps[1].traces
    lrs = [0.1, 1, -0.0, 1e-3 / 7, 0.3, 2, 0.1]
    momenta = [0.9, 0.5, 1, 0.7 / 3]
    for k, (x, y) in enumerate(DATA * 3):
        lr, momentum = lrs[k % len(lrs)], momenta[k % len(momenta)]
        for opt in opts:  # float(repr(v)): a new object with the same value
            opt.param_groups[0]["lr"] = float(repr(lr)) if type(lr) is float else lr
            opt.param_groups[0]["momentum"] = momentum
        a, b = (s(x, y) for s in steps)
        np.testing.assert_array_equal(a.numpy(force=True), b.numpy(force=True), strict=True)
        assert_nets_equal(*nets)
    assert steps[1].traces == traces
    assert "lr_f32 = _typed(lr, " in steps[1].code and "momentum_f32 = _typed(" in steps[1].code


def mlp_pair() -> tuple[list[Any], list[Any], list[Any]]:
    """An eager and a compiled copy of a 4-6-3 ReLU MLP with SGD momentum."""
    nets = []
    for _ in range(2):
        vb.manual_seed(0)
        nets.append(vb.nn.Sequential(vb.nn.Linear(4, 6), vb.nn.ReLU(), vb.nn.Linear(6, 3)))
    opts = [vb.optim.SGD(n.parameters(), lr=0.1, momentum=0.9) for n in nets]
    steps = [step_for(nets[0], opts[0]),
             vb.compile(step_for(nets[1], opts[1]), backend="numpy", fullgraph=True)]
    return nets, opts, steps


def test_an_argument_in_another_layout_traces_again_with_eager_bits() -> None:
    """Products may be written as ndarray.dot for the layouts seen when tracing (rules.py),
    so an argument's strides are guarded: the same values laid out column by column trace
    again, and every step keeps eager's bits."""
    rng = np.random.default_rng(0)
    nets, _, steps = mlp_pair()
    for k in range(6):
        x = vb.tensor(rng.standard_normal((5, 4)).astype(np.float32))
        if k >= 3:  # the same values, stored column by column
            x = vb.tensor(np.ascontiguousarray(x.numpy().T)).T
            assert x._data.flags.f_contiguous and not x._data.flags.c_contiguous
        y = vb.tensor(rng.standard_normal((5, 3)).astype(np.float32))
        a, b = (s(x, y) for s in steps)
        np.testing.assert_array_equal(a.numpy(force=True), b.numpy(force=True), strict=True)
        assert_nets_equal(*nets)
    assert ".dot(" in steps[1].code
    assert steps[1].traces == 3  # the first call, the momentum buffers' warm-up, the layout
    assert steps[1].code.count("._data.strides != ") == 1  # x's; the code doesn't rely on y's


def test_two_batch_sizes_share_the_grads_and_the_optimizer_state() -> None:
    """A step traced for two batch sizes (the last batch of an epoch is smaller) switches
    between its two programs without making new .grad tensors or moving the momentum
    buffers, and every step keeps eager's bits."""
    rng = np.random.default_rng(1)
    nets, opts, steps = mlp_pair()
    seen: set[tuple[int, ...]] = set()
    for k in range(12):
        rows = 3 if k % 4 == 3 else 5
        x = vb.tensor(rng.standard_normal((rows, 4)).astype(np.float32))
        y = vb.tensor(rng.standard_normal((rows, 3)).astype(np.float32))
        a, b = (s(x, y) for s in steps)
        np.testing.assert_array_equal(a.numpy(force=True), b.numpy(force=True), strict=True)
        assert_nets_equal(*nets)
        if k >= 4:  # both programs made: from now on the same .grad and state objects
            params = list(nets[1].parameters())
            seen.add(tuple(id(o) for p in params
                           for o in (p.grad, p.grad._data, opts[1].state[p]["momentum_buffer"])))
    assert len(steps[1].entries) == 2 and len(seen) == 1


def test_turning_on_momentum_traces_again() -> None:
    nets, opts, steps = pair()
    run(steps, 1)
    for opt in opts:
        opt.param_groups[0]["momentum"] = 0.9
    run(steps, 2)
    assert_nets_equal(*nets)
    assert steps[1].traces >= 2


def test_load_state_dict_values_are_read_on_the_next_call() -> None:
    nets, _, steps = pair()
    run(steps, 1)
    fresh = {k: vb.tensor(v) for k, v in initial_weights(7).items()}
    for net in nets:
        net.load_state_dict(fresh)
    run(steps, 1)
    assert_nets_equal(*nets)
    assert steps[1].traces == 1


def test_a_replaced_parameter_is_used_like_eager() -> None:
    nets, opts, steps = pair()
    run(steps, 1)
    for net in nets:
        net.fc1.weight = vb.nn.Parameter(vb.ones(3, 2))
    run(steps, 2)
    assert_nets_equal(*nets)
    # traced again for the new parameter, and once more: no optimizer zeroes its .grad, so
    # from the second call on it accumulates, as in eager
    assert steps[1].traces == 3
    # a new optimizer for the new parameters: the step's closure changed, so it traces again
    opts = [vb.optim.SGD(n.parameters(), lr=0.1) for n in nets]
    steps = [step_for(nets[0], opts[0]), vb.compile(step_for(nets[1], opts[1]), backend="numpy")]
    run(steps, 1)
    assert_nets_equal(*nets)


def test_tensor_replaced_through_data_and_to_are_followed() -> None:
    nets, _, steps = pair()
    run(steps, 1)
    for net in nets:
        with vb.no_grad():
            net.fc2.bias.data = vb.tensor([0.25])
    run(steps, 1)
    assert_nets_equal(*nets)
    for net in nets:
        net.double()
    xs = [(x.double(), y.double()) for x, y in DATA]
    for x, y in xs:
        assert steps[0](x, y).item() == steps[1](x, y).item()
    assert_nets_equal(*nets)


def test_other_shapes_and_requires_grad_trace_again_and_keep_each_version() -> None:
    nets, _, steps = pair()
    batch = (vb.tensor([[0.0, 1.0], [1.0, 1.0], [1.0, 0.0]]), vb.tensor([[1.0], [0.0], [1.0]]))
    for args in (DATA[0], batch, DATA[1], batch):
        a, b = (s(*args) for s in steps)
        assert a.item() == b.item()
    assert steps[1].traces == 2 and len(steps[1].entries) == 2
    x = vb.tensor([[1.0, 0.0]], requires_grad=True)
    a, b = (s(x, DATA[2][1]) for s in steps)
    assert a.item() == b.item() and steps[1].traces == 3
    assert_nets_equal(*nets)


def test_train_and_eval_mode_are_guarded() -> None:
    class Noisy(vb.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = vb.nn.Linear(2, 1)

        def forward(self, x: vb.Tensor) -> vb.Tensor:
            out = self.fc(x)
            return out * 2.0 if self.training else out  # Python sees only the flag

    vb.manual_seed(0)
    model = Noisy()
    forward = vb.compile(lambda x: model(x).sum(), fullgraph=True)
    x = vb.tensor([[1.0, 2.0]])
    with vb.no_grad():
        train_value = forward(x).item()
        model.eval()
        eval_value = forward(x).item()
        model.train()
        assert forward(x).item() == train_value
        assert eval_value * 2.0 == train_value
    assert forward.traces == 2


class Looping(vb.nn.Module):
    """A forward that loops over its layers: the container itself is never called."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        first = vb.nn.Linear(2, 2)
        if kind == "ModuleList":
            self.layers = vb.nn.ModuleList([first])
        elif kind == "ModuleDict":
            self.layers = vb.nn.ModuleDict({"a": first})
        else:  # a plain list, which Module does not register (a known torch pitfall)
            self.first, self.layers = first, [first]

    def forward(self, x: vb.Tensor) -> vb.Tensor:
        for layer in (self.layers.values() if isinstance(self.layers, vb.nn.ModuleDict)
                      else self.layers):
            x = layer(x)
        return x


@pytest.mark.parametrize("kind", ["ModuleList", "ModuleDict", "plain list", "Sequential"])
def test_layers_added_or_removed_after_compiling_are_followed(kind: str) -> None:
    """The compiled code of a loop over layers is only right for those layers: a change to the
    container (append, a new key, del) traces again instead of replaying the old loop."""
    vb.manual_seed(0)
    model = vb.nn.Sequential(vb.nn.Linear(2, 2)) if kind == "Sequential" else Looping(kind)
    compiled = vb.compile(model, fullgraph=True)
    x = vb.tensor([[1.0, -2.0]])
    with vb.no_grad():
        assert compiled(x).tolist() == model(x).tolist()
        extra = vb.nn.Linear(2, 2)
        if kind == "ModuleDict":
            model.layers["b"] = extra
        else:
            (model if kind == "Sequential" else model.layers).append(extra)
        assert compiled(x).tolist() == model(x).tolist() != extra(x).tolist()
        if kind == "ModuleDict":
            del model.layers["a"]
        else:
            del (model if kind == "Sequential" else model.layers)[0]
        assert compiled(x).tolist() == model(x).tolist() == extra(x).tolist()
    assert "3 trace(s)" in compiled.explain()


def test_a_changed_closure_variable_traces_again() -> None:
    scale = 2.0
    w = vb.tensor([1.0, 2.0])

    def scaled(x: vb.Tensor) -> vb.Tensor:
        return x * w * scale

    compiled = vb.compile(scaled, fullgraph=True)
    x = vb.tensor([3.0, 4.0])
    assert compiled(x).tolist() == [6.0, 16.0]
    scale = 3.0
    assert compiled(x).tolist() == [9.0, 24.0]
    assert compiled.traces == 2


def test_random_draws_are_made_again_on_every_call() -> None:
    def noisy(x: vb.Tensor) -> vb.Tensor:
        return x + vb.randn(3) * 0.1

    compiled = vb.compile(noisy, backend="numpy", fullgraph=True)
    x = vb.zeros(3)
    vb.manual_seed(5)
    expected = [noisy(x).tolist() for _ in range(3)]
    vb.manual_seed(5)
    assert [compiled(x).tolist() for _ in range(3)] == expected


# ---- code that can't be compiled ----


def test_python_control_flow_on_a_value_runs_eagerly_and_says_where() -> None:
    net = xor_net()

    def branchy(x: vb.Tensor) -> vb.Tensor:
        out = net(x)
        if out.sum() > 0:  # needs the value in Python
            return out * 2
        return out

    compiled = vb.compile(branchy)
    with pytest.warns(CompileWarning, match="control flow") as caught:
        first = compiled(DATA[1][0])
    assert "test_compile_guards.py" in str(caught[0].message)
    assert first.tolist() == branchy(DATA[1][0]).tolist()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for x, _ in DATA:  # runs eagerly from now on, quietly
            assert compiled(x).tolist() == branchy(x).tolist()
    assert "runs eagerly" in compiled.explain() and compiled.code.startswith("# not compiled")


def test_fullgraph_raises_instead_of_running_eagerly() -> None:
    def reads_item(x: vb.Tensor) -> float:
        return (x * 2).sum().item()

    with pytest.raises(CompileError, match=r"item\(\)"):
        vb.compile(reads_item, fullgraph=True)(vb.ones(2))


class _Twice(vb.autograd.Function):  # a learner's own op: vb.compile has no rule for it
    @staticmethod
    def forward(ctx: Any, x: vb.Tensor) -> vb.Tensor:
        return x * 2

    @staticmethod
    def backward(ctx: Any, grad: vb.Tensor) -> vb.Tensor:
        return grad * 2


def test_an_op_without_a_rule_runs_eagerly() -> None:
    compiled = vb.compile(lambda x: _Twice.apply(x) + 1)
    x = vb.tensor([[1.0, 5.0], [3.0, 2.0]], requires_grad=True)
    with pytest.warns(CompileWarning, match=r"\(_Twice\) vb.compile does not know"):
        assert compiled(x).tolist() == [[3.0, 11.0], [7.0, 5.0]]
    assert "does not know" in compiled.explain()


def test_errors_of_the_learners_code_are_eager_errors() -> None:
    compiled = vb.compile(lambda a, b: a @ b)
    with pytest.raises(RuntimeError, match="cannot be multiplied"):
        compiled(vb.ones(2, 3), vb.ones(2, 3))


# ---- showing the code ----


def test_debug_prints_the_generated_code_and_code_shows_it(capsys: Any) -> None:
    nets = xor_net()
    opt = vb.optim.SGD(nets.parameters(), lr=0.1)
    step = vb.compile(step_for(nets, opt), debug=True, backend="numpy")
    step(*DATA[0])
    printed = capsys.readouterr().out
    assert "def train_step(" in printed and "# -- guards" in printed
    assert "fc1_weight" in printed and "_np_matmul(" in printed
    assert step.code == printed.rstrip("\n") + "\n"
    assert "numpy backend" in step.explain()


def test_decorator_forms_and_the_eager_backend() -> None:
    @vb.compile
    def double(x: vb.Tensor) -> vb.Tensor:
        return x * 2

    @vb.compile(backend="eager")
    def triple(x: vb.Tensor) -> vb.Tensor:
        return x * 3

    assert double(vb.ones(2)).tolist() == [2.0, 2.0]
    assert triple(vb.ones(2)).tolist() == [3.0, 3.0] and not triple.entries
    with pytest.raises(ValueError, match="unknown backend"):
        vb.compile(double, backend="jit")


def test_a_compiled_model_inside_a_compiled_step_is_traced_through() -> None:
    nets = [xor_net(), xor_net()]
    opts = [vb.optim.SGD(n.parameters(), lr=0.1) for n in nets]
    inner = vb.compile(nets[1], backend="numpy")
    inner(DATA[0][0])  # compiled on its own first
    steps = [step_for(nets[0], opts[0]),
             vb.compile(step_for(inner, opts[1]), backend="numpy", fullgraph=True)]
    run(steps, 2)
    assert_nets_equal(*nets)
    assert "backward of linear" in steps[1].code  # one program: forward, backward, update


def test_ops_of_other_threads_are_not_recorded() -> None:
    import threading

    started, done = threading.Event(), threading.Event()
    results: list[Any] = []

    def elsewhere() -> None:
        started.wait()
        results.append((vb.ones(3) * 5).tolist())  # while the trace is under way
        done.set()

    def traced(x: vb.Tensor) -> vb.Tensor:
        y = x * 2
        started.set()
        done.wait()
        return y + 1

    worker = threading.Thread(target=elsewhere)
    worker.start()
    compiled = vb.compile(traced, fullgraph=True)
    assert compiled(vb.ones(2)).tolist() == [3.0, 3.0]
    worker.join()
    assert results == [[5.0, 5.0, 5.0]]
    assert "* 5" not in compiled.code and "mul" in compiled.code


def test_a_value_that_changes_every_call_ends_in_eager_with_the_reason() -> None:
    calls = {"n": 0}

    def counted(x: vb.Tensor) -> vb.Tensor:
        calls["n"] += 1
        return x * 2

    compiled = vb.compile(counted)
    with pytest.warns(CompileWarning, match="traced 8 times, last because the tensor args"):
        for n in range(1, 11):
            assert compiled(vb.ones(n)).tolist() == [2.0] * n
    assert calls["n"] == 10 and "runs eagerly" in compiled.explain()


def test_zero_grad_without_none_and_several_steps_in_one_call() -> None:
    """zero_grad(set_to_none=False) zeroes .grad in place; a whole XOR epoch (four steps,
    four backward passes) compiles into one function."""
    results = []
    for compiled in (False, True):
        net = xor_net()
        opt = vb.optim.SGD(net.parameters(), lr=0.1, momentum=0.5)
        criterion = vb.nn.MSELoss()

        def epoch(xs: list[vb.Tensor], ys: list[vb.Tensor]) -> list[vb.Tensor]:
            losses = []
            for x, y in zip(xs, ys, strict=True):
                opt.zero_grad(set_to_none=False)  # noqa: B023 - each loop has its own
                loss = criterion(net(x), y)  # noqa: B023
                loss.backward()
                opt.step()  # noqa: B023
                losses.append(loss)
            return losses

        fn = vb.compile(epoch, backend="numpy", fullgraph=True) if compiled else epoch
        xs, ys = [x for x, _ in DATA], [y for _, y in DATA]
        history = [[loss.item() for loss in fn(xs, ys)] for _ in range(4)]
        results.append((net, history))
    assert results[0][1] == results[1][1]
    assert_nets_equal(results[0][0], results[1][0])


def test_the_scalar_code_survives_values_beyond_float32() -> None:
    """Python floats overflow later than float32: writing 1e39 back raises in struct, so that
    call stores through NumPy (inf), as eager's float32 arithmetic would have."""
    nets = [xor_net(), xor_net()]
    opts = [vb.optim.SGD(n.parameters(), lr=1e19) for n in nets]
    steps = [step_for(nets[0], opts[0]), vb.compile(step_for(nets[1], opts[1]),
                                                    backend="scalar")]
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for _ in range(3):
            for x, y in DATA:
                for s in steps:
                    s(x, y)
    for a, b in zip(nets[0].parameters(), nets[1].parameters(), strict=True):
        assert not np.isfinite(a.numpy(force=True)).all()
        assert not np.isfinite(b.numpy(force=True)).all()


def test_the_first_compiled_call_of_a_process_may_come_inside_no_grad() -> None:
    """vb.compile asks the engine a question with a backward pass at its first trace; inside
    no_grad that must still work (a fresh process: the answer is kept once asked)."""
    program = (
        "import vibrastic as vb\n"
        "model = vb.nn.Linear(2, 1)\n"
        "with vb.no_grad():\n"
        "    print(vb.compile(model, fullgraph=True)(vb.ones(3, 2)).shape)\n"
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                          timeout=120,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "vibrastic.Size([3, 1])"


@pytest.mark.parametrize("change", ["clamp_", "uniform_", "nn.init.constant_"])
def test_a_parameter_changed_in_place_by_a_method_without_a_rule_runs_eagerly(change: str) -> None:
    """Weight clipping after the update (``w.clamp_(-c, c)``) and friends: vb.compile does not
    replay them, so the step must run eagerly (it once skipped them silently)."""
    vb.manual_seed(0)
    nets = [vb.nn.Linear(2, 1) for _ in range(2)]
    nets[1].load_state_dict(nets[0].state_dict())
    x, y = vb.randn(4, 2), vb.randn(4, 1)

    def step_for(net: Any) -> Callable[[], Any]:
        opt = vb.optim.SGD(net.parameters(), lr=0.5)

        def step() -> Any:
            opt.zero_grad()
            loss = ((net(x) - y) ** 2).mean()
            loss.backward()
            opt.step()
            with vb.no_grad():
                if change == "clamp_":
                    net.weight.clamp_(-0.1, 0.1)
                elif change == "uniform_":
                    net.bias.uniform_(0.5, 0.5)
                else:
                    vb.nn.init.constant_(net.bias, 0.25)
            return loss

        return step

    compiled, eager = vb.compile(step_for(nets[0])), step_for(nets[1])
    with pytest.warns(CompileWarning, match=r"in place|not replayed"):
        compiled()
    for _ in range(2):
        compiled()
    for _ in range(3):
        eager()
    assert nets[0].weight.tolist() == nets[1].weight.tolist()
    assert nets[0].bias.tolist() == nets[1].bias.tolist()


USER_CHANGES: dict[str, Callable[[Any], Any]] = {
    "p.grad.mul_(0.5)": lambda net: net.weight.grad.mul_(0.5),
    "p.grad /= 2": lambda net: net.weight.grad.__itruediv__(2),
    "p.grad[0] = 0": lambda net: net.weight.grad.__setitem__(0, 0.0),
    "p.grad.zero_()": lambda net: net.weight.grad.zero_(),
    "p.grad.copy_(...)": lambda net: net.weight.grad.copy_(vb.ones(1, 2)),
    "p.grad = None": lambda net: setattr(net.weight, "grad", None),
    "p -= 0.1": lambda net: net.weight.sub_(0.1),
    "p.data.copy_(...)": lambda net: net.weight.data.copy_(net.weight.data * 0.5),
    "clip_grad_value_": lambda net: vb.nn.utils.clip_grad_value_(net.parameters(), 0.01),
}


@pytest.mark.parametrize("change", list(USER_CHANGES))
def test_a_tiny_step_that_changes_grads_or_parameters_itself_trains_as_eager(change: str) -> None:
    """Between backward() and step(): a tiny network picks the scalar backend, which could not
    follow such changes (it skipped or mis-ordered them); these steps take the NumPy program,
    bit for bit eager's."""
    weights = []
    for compiled in (True, False):
        vb.manual_seed(0)
        net = vb.nn.Linear(2, 1)
        opt = vb.optim.SGD(net.parameters(), lr=0.5, momentum=0.9)
        x, y = vb.randn(4, 2), vb.randn(4, 1)

        def step(net: Any = net, opt: Any = opt, x: Any = x, y: Any = y) -> Any:
            opt.zero_grad()
            loss = ((net(x) - y) ** 2).mean()
            loss.backward()
            with vb.no_grad():
                USER_CHANGES[change](net)
            opt.step()
            return loss

        run = vb.compile(step) if compiled else step
        for _ in range(4):
            run()
        weights.append((net.weight.tolist(), net.bias.tolist()))
        if compiled:
            assert run.entries[0].program.backend == "numpy"
    assert weights[0] == weights[1]


@pytest.mark.parametrize("where", ["scheduler", "lr *= 0.5"])
def test_a_step_that_changes_the_learning_rate_itself_runs_eagerly(where: str) -> None:
    """scheduler.step() (or a new lr) inside the compiled function is Python work a replay
    would skip: the learning rate would stay at its first value. It runs eagerly instead."""
    weights = []
    for compiled in (True, False):
        vb.manual_seed(0)
        net = vb.nn.Linear(2, 1)
        opt = vb.optim.SGD(net.parameters(), lr=0.5)
        scheduler = vb.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
        x, y = vb.randn(4, 2), vb.randn(4, 1)

        def step(net: Any = net, opt: Any = opt, scheduler: Any = scheduler, x: Any = x,
                 y: Any = y) -> Any:
            opt.zero_grad()
            loss = ((net(x) - y) ** 2).mean()
            loss.backward()
            opt.step()
            if where == "scheduler":
                scheduler.step()
            else:
                opt.param_groups[0]["lr"] *= 0.5
            return loss

        if compiled:
            run = vb.compile(step)
            with pytest.warns(CompileWarning, match="changes its optimizer's settings"):
                run()
        else:
            run = step
            run()
        for _ in range(3):
            run()
        weights.append((net.weight.tolist(), opt.param_groups[0]["lr"]))
    assert weights[0] == weights[1]
    assert weights[0][1] == 0.5 ** 5


@pytest.mark.parametrize("layer", ["Dropout", "BatchNorm1d", "both"])
def test_dropout_and_batch_norm_compile_in_training_and_in_eval(layer: str) -> None:
    """Dropout's mask is drawn again on each replayed call (``vb.bernoulli`` is recorded as a
    random draw, from the same generator as eager) and batch norm's running statistics and
    batch count are updated by the replay: compiled training equals eager to the bit."""
    results = []
    for compiled in (True, False):
        vb.manual_seed(0)
        middle: list[Any] = {"Dropout": [vb.nn.Dropout(0.3)], "BatchNorm1d": [vb.nn.BatchNorm1d(8)],
                             "both": [vb.nn.BatchNorm1d(8), vb.nn.Dropout(0.5)]}[layer]
        net = vb.nn.Sequential(vb.nn.Linear(4, 8), *middle, vb.nn.ReLU(), vb.nn.Linear(8, 2))
        opt = vb.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
        x, y = vb.randn(8, 4), vb.randn(8, 2)

        def step(net: Any = net, opt: Any = opt, x: Any = x, y: Any = y) -> Any:
            opt.zero_grad()
            loss = ((net(x) - y) ** 2).mean()
            loss.backward()
            opt.step()
            return loss

        # backend="numpy": "auto" may time the scalar code quicker, which is close, not bitwise
        run = vb.compile(step, fullgraph=True, backend="numpy") if compiled else step
        losses = [run().item() for _ in range(6)]
        if compiled:
            assert "1 compiled version" in run.explain()
        net.eval()
        evaluate = vb.compile(net, fullgraph=True) if compiled else net
        with vb.no_grad():
            predictions = [evaluate(x).tolist() for _ in range(2)]
        results.append((losses, {k: v.tolist() for k, v in net.state_dict().items()},
                        predictions))
    assert results[0] == results[1]
    if layer != "Dropout":
        assert results[0][1]["1.num_batches_tracked"] == 6
    if layer != "BatchNorm1d":
        assert len(set(results[0][0])) == 6  # a new mask each call, not the first one replayed


def test_random_draws_from_another_generator_or_probabilities_run_eagerly() -> None:
    """Replays draw from the default generator with a number p: anything else says so."""
    g = vb.Generator().manual_seed(3)
    w = vb.ones(3, requires_grad=True)
    for draw, match in [(lambda: vb.rand(3, generator=g), r"rand\(generator=...\)"),
                        (lambda: vb.bernoulli(vb.full((3,), 0.5)), r"bernoulli\(probabilities\)")]:
        def step(draw: Any = draw) -> Any:
            return (w * draw()).sum()

        with pytest.raises(CompileError, match=match):
            vb.compile(step, fullgraph=True)()


def test_a_replaced_buffer_or_tensor_attribute_is_used() -> None:
    """``self.mask = new_tensor`` or a new buffer after compiling: the compiled code read the
    old tensor until something else changed; it now traces again."""

    class Masked(vb.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = vb.nn.Linear(2, 2)
            self.mask = vb.tensor([1.0, 0.0])
            self.register_buffer("shift", vb.tensor([0.5, 0.5]))

        def forward(self, x: vb.Tensor) -> vb.Tensor:
            return self.fc(x) * self.mask + self.shift

    vb.manual_seed(0)
    model = Masked()
    compiled = vb.compile(model, backend="numpy", fullgraph=True)
    x = vb.ones(1, 2)
    with vb.no_grad():
        assert compiled(x).tolist() == model(x).tolist()
        model.mask = vb.tensor([0.0, 1.0])
        assert compiled(x).tolist() == model(x).tolist()
        model.shift = vb.tensor([-3.0, 3.0])
        assert compiled(x).tolist() == model(x).tolist()
        model.shift[0] = 7.0  # in place: the same tensor, read on every call
        assert compiled(x).tolist() == model(x).tolist()
    assert "3 trace(s)" in compiled.explain()


@pytest.mark.parametrize("change", ["add_param_group", "append to a group"])
def test_parameters_given_to_the_optimizer_after_compiling_are_updated(change: str) -> None:
    """A second group (fine-tuning a new head) or a parameter appended to a group: the
    compiled step updated only the parameters it was traced with."""
    states = []
    for compiled in (True, False):
        vb.manual_seed(0)
        net = vb.nn.Sequential(vb.nn.Linear(2, 3), vb.nn.Tanh(), vb.nn.Linear(3, 1))
        opt = vb.optim.SGD(list(net[0].parameters()), lr=0.1, momentum=0.9)
        x, y = vb.randn(4, 2), vb.randn(4, 1)

        def step(net: Any = net, opt: Any = opt, x: Any = x, y: Any = y) -> Any:
            opt.zero_grad()
            loss = ((net(x) - y) ** 2).mean()
            loss.backward()
            opt.step()
            return loss

        run = vb.compile(step, backend="numpy") if compiled else step
        for i in range(5):
            if i == 2 and change == "add_param_group":
                opt.add_param_group({"params": list(net[2].parameters()), "lr": 0.05})
            elif i == 2:
                opt.param_groups[0]["params"].append(net[2].weight)
            run()
        states.append({k: v.tolist() for k, v in net.state_dict().items()})
    assert states[0] == states[1]


@pytest.mark.parametrize("shuffle", [False, True])
def test_a_dataloader_looped_over_inside_runs_eagerly_with_the_way_out(shuffle: bool) -> None:
    """A whole epoch in the compiled function would be replayed unrolled (or stop at the
    shuffle's draw with a vaguer reason): it runs eagerly, as eager, and says what to write."""
    from vibrastic.utils.data import DataLoader, TensorDataset

    results = []
    for compiled in (True, False):
        vb.manual_seed(0)
        data = TensorDataset(vb.randn(64, 4), vb.randint(0, 3, (64,)))
        loader = DataLoader(data, batch_size=16, shuffle=shuffle)
        net = vb.nn.Linear(4, 3)
        opt = vb.optim.SGD(net.parameters(), lr=0.1)

        def epoch(loader: Any = loader, net: Any = net, opt: Any = opt) -> Any:
            for x, y in loader:
                loss = vb.nn.functional.cross_entropy(net(x), y)
                opt.zero_grad()
                loss.backward()
                opt.step()
            return loss

        run = vb.compile(epoch) if compiled else epoch
        if compiled:
            with pytest.warns(CompileWarning, match=r"DataLoader is looped over .* for x, y in "
                                                    r"loader: step\(x, y\)"):
                run()
        else:
            run()
        results.append([run().item() for _ in range(2)] + net.weight.tolist())
    assert results[0] == results[1]
    with pytest.raises(CompileError, match="DataLoader is looped over"):
        vb.compile(epoch, fullgraph=True)()
