"""In-place changes inside the graph, as torch records them (CopySlices, ReluBackward0 on the
changed tensor, ...): each program runs on torch and on vibrastic and must give the same values,
gradients and node names, or the same error.

vibrastic keeps torch's rules (``autograd.change_in_place``): the changed tensor becomes the op's
node; what was recorded from it before keeps its earlier version; a backward that needs values
that were overwritten raises torch's error instead of using the new ones.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import vibrastic as vb
from vibrastic.compiler import CompileWarning

torch.set_num_threads(1)
MODIFIED = "one of the variables needed for gradient computation has been modified by an inplace"


def run(lib: Any, program: Callable[[Any], Any]) -> Any:
    """What the program returns, or its error's type and the start of its message."""
    try:
        return program(lib)
    except RuntimeError as e:
        return ("RuntimeError", str(e)[:len(MODIFIED)])


def grads(*tensors: Any) -> list[Any]:
    return [t.grad.tolist() for t in tensors]


def node(t: Any) -> str:
    return t.grad_fn.name().removeprefix("torch::autograd::")


def index_assignment(lib: Any) -> Any:  # torch's docs example of CopySlices
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y[0] = 5.0
    y.sum().backward()
    return grads(x), y.tolist(), node(y)


def rows_written_into_a_zeros_buffer(lib: Any) -> Any:  # out[i] = f(x_i), a learner's loop
    x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    out = lib.zeros(3, 2)
    for i in range(3):
        out[i] = x[i] * lib.tensor([1.0, 2.0])
    (out ** 2).sum().backward()
    return grads(x), out.tolist(), out.requires_grad, out.is_leaf


def a_masked_assignment(lib: Any) -> Any:  # h[h < 0] = 0
    x = lib.tensor([[1.0, -2.0], [3.0, -4.0]], requires_grad=True)
    h = x * 1.5
    h[h < 0] = 0.0
    h.sum().backward()
    return grads(x), h.tolist()


def a_value_that_needs_gradients(lib: Any) -> Any:
    x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    w = lib.tensor([2.0], requires_grad=True)
    y = x * 1
    y[1:] = w * 10  # broadcast over two elements: w's gradient sums them
    (y * y).sum().backward()
    return grads(x, w), y.tolist()


def earlier_uses_keep_the_earlier_version(lib: Any) -> Any:
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    z = y + 1  # recorded before the change: its gradient reaches all of y's old elements
    y[0] = 5.0
    (z.sum() + (y * 3).sum()).backward()
    return grads(x), z.tolist()


def three_versions_of_one_tensor(lib: Any) -> Any:
    x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 2
    a = y * 1
    y[0] = 0.0
    b = y * 1
    y[1] = x[2]
    c = y * 1
    (a.sum() + 2 * b.sum() + 4 * c.sum()).backward()
    return grads(x), [a.tolist(), b.tolist(), c.tolist()]


def mul_by_a_tensor_that_needs_gradients(lib: Any) -> Any:
    x = lib.tensor([-1.0, 2.0, 5.0], requires_grad=True)
    w = lib.tensor([3.0, 4.0, 0.5], requires_grad=True)
    y = x * 3
    y.mul_(w)
    (y * y).sum().backward()
    return grads(x, w), y.tolist(), node(y)


def clamp_then_mul_by_a_number(lib: Any) -> Any:
    x = lib.tensor([-1.0, 2.0, 5.0], requires_grad=True)
    y = x * 3
    y.clamp_(max=7.0)
    y.mul_(2)
    (y * y).sum().backward()
    return grads(x), y.tolist(), node(y)


def clamp_then_sigmoid(lib: Any) -> Any:
    x = lib.tensor([-1.0, 2.0, 5.0], dtype=lib.float64, requires_grad=True)
    y = x * 3
    y.clamp_(max=7.0)
    y.sigmoid_()
    (y * y).sum().backward()
    return np.round(x.grad.numpy(), 12).tolist(), node(y)


def relu_and_add_with_alpha(lib: Any) -> Any:
    x = lib.tensor([-1.0, 2.0, 5.0], requires_grad=True)
    w = lib.tensor([3.0, 4.0, 0.5], requires_grad=True)
    y = x * 3
    y.add_(w, alpha=2)
    names = [node(y)]
    y.relu_()
    names.append(node(y))
    (y * 2).sum().backward()
    return grads(x, w), y.tolist(), names


def zero_fill_and_copy(lib: Any) -> Any:
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.zero_()
    names = [node(y)]
    z = lib.zeros(2)
    z.copy_(x * 3)
    names.append(node(z))
    v = x * 1
    v.fill_(4.0)
    names.append(node(v))
    (y + x).sum().backward()
    first = grads(x)
    x.grad = None
    ((z * z).sum() + v.sum()).backward()
    return first, grads(x), names


def views_and_detached_copies_see_the_change(lib: Any) -> Any:
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    d = y.detach()
    y[0] = 5.0
    return d.tolist()


def an_overwritten_output_was_needed(lib: Any) -> Any:  # exp keeps its result for backward
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()
    y[0] = 5.0
    y.sum().backward()
    return grads(x)


def an_overwritten_input_was_needed(lib: Any) -> Any:  # y * w keeps y for w's gradient
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    w = lib.tensor([3.0, 4.0], requires_grad=True)
    y = x * 1
    z = y * w
    y[0] = 9.0
    z.sum().backward()
    return grads(w)


def a_sigmoid_changed_after_use(lib: Any) -> Any:
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = x.sigmoid()
    z = y * 1
    y.mul_(2)
    z.sum().backward()
    return grads(x)


def a_leaf_that_requires_grad(lib: Any) -> Any:
    errors = []
    for change in (lambda t: t.add_(1), lambda t: t.zero_(), lambda t: t.fill_(2.0),
                   lambda t: t.copy_(lib.ones(2)), lambda t: t.__setitem__(0, 3.0),
                   lambda t: t.relu_()):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        try:
            change(x)
        except RuntimeError as e:
            errors.append(str(e))
    with lib.no_grad():  # the manual update: allowed, as in torch
        x.zero_()
    return errors, x.tolist()


def autograd_grad_of_a_changed_tensor(lib: Any) -> Any:
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y[0] = 3.0
    return [t.tolist() for t in lib.autograd.grad((y * y).sum(), [x, y])]


def masked_fill_and_scatter_in_place(lib: Any) -> Any:
    x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 1
    y.masked_fill_(lib.tensor([True, False, False]), 0.0)
    y.scatter_(0, lib.tensor([2]), lib.tensor([9.0]))
    (y * lib.tensor([1.0, 2.0, 3.0])).sum().backward()
    return grads(x), y.tolist()


def values_of_another_dtype_and_an_index_tensor(lib: Any) -> Any:
    x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    v = lib.tensor([10.0, 20.0], dtype=lib.float64, requires_grad=True)
    y = x * 1
    y[lib.tensor([0, 2])] = v.float()
    (y * lib.tensor([1.0, 2.0, 3.0])).sum().backward()
    return grads(x, v), str(v.grad.dtype).split(".")[-1], str(y.dtype).split(".")[-1]


def backward_twice_through_a_change(lib: Any) -> Any:
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y[1] = x[0] * 5
    z = y.sum()
    z.backward(retain_graph=True)
    z.backward()
    return grads(x)


PROGRAMS = [index_assignment, rows_written_into_a_zeros_buffer, a_masked_assignment,
            a_value_that_needs_gradients, earlier_uses_keep_the_earlier_version,
            three_versions_of_one_tensor, mul_by_a_tensor_that_needs_gradients,
            clamp_then_mul_by_a_number, clamp_then_sigmoid, relu_and_add_with_alpha,
            zero_fill_and_copy,
            views_and_detached_copies_see_the_change, an_overwritten_output_was_needed,
            an_overwritten_input_was_needed, a_sigmoid_changed_after_use,
            a_leaf_that_requires_grad, autograd_grad_of_a_changed_tensor,
            masked_fill_and_scatter_in_place, values_of_another_dtype_and_an_index_tensor,
            backward_twice_through_a_change]


@pytest.mark.parametrize("program", PROGRAMS, ids=[p.__name__ for p in PROGRAMS])
def test_same_as_torch(program: Callable[[Any], Any]) -> None:
    assert run(vb, program) == run(torch, program)


def test_the_errors_are_the_ones_expected() -> None:
    """The comparison above must compare torch's behaviour, not two identical crashes."""
    for program in (an_overwritten_output_was_needed, an_overwritten_input_was_needed,
                    a_sigmoid_changed_after_use):
        assert run(vb, program) == ("RuntimeError", MODIFIED)
    assert run(vb, index_assignment) == ([[0.0, 2.0]], [5.0, 4.0], "CopySlices")
    errors, values = run(vb, a_leaf_that_requires_grad)
    assert len(errors) == 6 and values == [0.0, 0.0]
    assert all(e.endswith("leaf Variable that requires grad is being used in an in-place "
                          "operation.") for e in errors)


def test_where_torch_refuses_a_saved_result_vibrastic_computes_from_the_saved_copy() -> None:
    """torch's relu_ keeps its result, so a later add_ makes torch's backward raise; vibrastic
    computed relu_ from a copy of the old values, so it can give the right gradients: those of
    the same program written out of place."""
    def out_of_place(lib: Any) -> Any:
        x = lib.tensor([-1.0, 2.0, 5.0], requires_grad=True)
        w = lib.tensor([3.0, 4.0, 0.5], requires_grad=True)
        y = (x * 3).relu() + 2 * w
        (y * y).sum().backward()
        return grads(x, w), y.tolist()

    def in_place(lib: Any) -> Any:
        x = lib.tensor([-1.0, 2.0, 5.0], requires_grad=True)
        w = lib.tensor([3.0, 4.0, 0.5], requires_grad=True)
        y = x * 3
        y.relu_()
        y.add_(w, alpha=2)
        (y * y).sum().backward()
        return grads(x, w), y.tolist()

    assert run(torch, in_place) == ("RuntimeError", MODIFIED)
    assert run(vb, in_place) == run(torch, out_of_place) == run(vb, out_of_place)


def test_a_random_series_of_writes_matches_torch() -> None:
    """Writes of constants and of values that need gradients, at random rows, between uses."""
    rng = np.random.default_rng(0)
    for _ in range(20):
        steps = [(int(rng.integers(0, 4)), bool(rng.integers(0, 2)), float(rng.normal()))
                 for _ in range(5)]

        def program(lib: Any, steps: list[tuple[int, bool, float]] = steps) -> Any:
            x = lib.tensor([[0.5, -1.0], [2.0, 0.25], [1.5, -0.5], [-2.0, 1.0]],
                           dtype=lib.float64, requires_grad=True)
            w = lib.tensor([0.3, -0.7], dtype=lib.float64, requires_grad=True)
            y = x.tanh()  # keeps its output: a write before its backward must raise
            h = y * 2
            total = h.sum() * 0
            for row, needs_grad, value in steps:
                h[row] = w * value if needs_grad else value
                total = total + (h * h).sum()
            total.backward()
            return np.round(x.grad.numpy(), 12).tolist(), np.round(w.grad.numpy(), 12).tolist()

        assert run(vb, program) == run(torch, program)


USES = {  # an op recorded before its input changes in place: torch raises only if it saved it
    "y + y": lambda lib, y: y + y,
    "y * 3": lambda lib, y: y * 3,
    "y * w": lambda lib, y: y * lib.tensor([2.0, 3.0], requires_grad=True),
    "y ** 2": lambda lib, y: y ** 2,
    "exp": lambda lib, y: y.exp(),
    "log": lambda lib, y: y.log(),
    "relu": lambda lib, y: y.relu(),
    "sigmoid": lambda lib, y: y.sigmoid(),
    "sum": lambda lib, y: y.sum(),
    "y[1:] * 1": lambda lib, y: y[1:] * 1,
    "y[[1, 1]]": lambda lib, y: y[lib.tensor([1, 1])],
    "where": lambda lib, y: lib.where(y > 1, y, lib.zeros(2)),
    "cat": lambda lib, y: lib.cat([y, y]),
    "softmax": lambda lib, y: y.softmax(0),
    "cross_entropy": lambda lib, y: lib.nn.functional.cross_entropy(y.reshape(1, 2),
                                                                      lib.tensor([1])),
    "linear with a weight that learns": lambda lib, y: lib.nn.functional.linear(
        y, lib.ones(3, 2, requires_grad=True)),
}


@pytest.mark.parametrize("use", USES.values(), ids=USES.keys())
def test_an_earlier_use_raises_exactly_where_torch_raises(use: Callable[[Any, Any], Any]) -> None:
    def program(lib: Any) -> Any:
        x = lib.tensor([1.5, 2.0], requires_grad=True)
        y = x * 1
        z = use(lib, y)
        y[0] = 5.0
        z.sum().backward()
        return np.round(x.grad.numpy(), 5).tolist()

    assert run(vb, program) == run(torch, program)


def test_a_view_taken_before_the_change_is_refused_at_backward() -> None:
    """torch re-bases such a view on the changed tensor (its gradient then skips the written
    element); vibrastic can't, so it refuses rather than give the view's old gradient."""
    x = vb.tensor([1.5, 2.0], requires_grad=True)
    y = x * 1
    v = y.reshape(2, 1)
    y[0] = 5.0
    assert v.tolist() == [[5.0], [2.0]]  # the values follow, as in torch
    with pytest.raises(RuntimeError, match=r"view of a tensor .* taken before .*y\.clone\(\)"):
        (v * 3).sum().backward()


def test_a_view_is_refused_with_a_message_that_says_what_to_do() -> None:
    """torch rebases a view's base too; vibrastic refuses instead of changing a tensor behind
    its graph's back (the one in-place case it does not follow)."""
    x = vb.tensor([1.0, 2.0], requires_grad=True)
    y = (x * 2).reshape(2, 1)
    with pytest.raises(RuntimeError, match=r"view of another tensor .* y = y\.clone\(\)"):
        y[0] = 5.0
    y = y.clone()
    y[0] = 5.0
    y.sum().backward()
    assert x.grad.tolist() == [0.0, 2.0]


def test_graphs_without_in_place_changes_are_untouched() -> None:
    """A graph made after a change elsewhere: no stand-ins, the usual gradients."""
    a = vb.tensor([1.0], requires_grad=True)
    b = a * 1
    b[0] = 2.0  # some change, somewhere, earlier in the process
    x = vb.tensor([1.0, 2.0], requires_grad=True)
    (x.exp() * x).sum().backward()
    assert np.allclose(x.grad.numpy(), np.exp([1.0, 2.0]) * (1 + np.array([1.0, 2.0])))


def test_vb_compile_runs_a_step_with_an_in_place_change_eagerly_and_says_why() -> None:
    """The recorder's graph would miss the change, so the step runs eagerly (and trains as
    eager does, step for step), with one warning that names the line."""
    nets = [vb.nn.Linear(3, 2) for _ in range(2)]
    nets[1].load_state_dict(nets[0].state_dict())

    def step_for(net: Any) -> Callable[[Any], Any]:
        opt = vb.optim.SGD(net.parameters(), lr=0.1)

        def step(x: Any) -> Any:
            opt.zero_grad()
            h = net(x)
            h[:, 0] = 0.0
            loss = (h * h).sum()
            loss.backward()
            opt.step()
            return loss

        return step

    compiled, eager = vb.compile(step_for(nets[0])), step_for(nets[1])
    x = vb.randn(4, 3)
    with pytest.warns(CompileWarning, match=r"changed in place .* h\[:, 0\] = 0.0"):
        losses = [compiled(x).item()]
    losses += [compiled(x).item() for _ in range(2)]
    assert losses == [eager(x).item() for _ in range(3)]
    assert nets[0].weight.tolist() == nets[1].weight.tolist()
    assert "changed in place" in compiled.explain()


def test_inplace_activations_of_torch_code_give_torch_values_and_gradients() -> None:
    """nn.ReLU(inplace=True) and friends, as in copied torch models: accepted, printed as torch
    prints them, and computed out of place (vibrastic leaves the input as it was)."""
    def program(lib: Any) -> Any:
        lib.manual_seed(0)
        nn, F = lib.nn, lib.nn.functional
        net = nn.Sequential(nn.Linear(2, 4), nn.ReLU(inplace=True), nn.Linear(4, 4),
                            nn.LeakyReLU(0.2, inplace=True), nn.Linear(4, 1))
        net.load_state_dict({k: lib.tensor(v) for k, v in weights.items()})
        x = lib.tensor([[0.5, -1.0], [2.0, 0.25], [-1.5, 1.0]])
        y = F.relu(net(x), inplace=True) + F.leaky_relu(net(x), 0.1, inplace=True)
        y.sum().backward()
        return (repr(net), np.round(y.detach().numpy(), 5).tolist(),
                [np.round(p.grad.numpy(), 5).tolist() for p in net.parameters()])

    rng = np.random.default_rng(3)
    weights = {k: rng.normal(size=s).astype(np.float32) for k, s in
               {"0.weight": (4, 2), "0.bias": (4,), "2.weight": (4, 4), "2.bias": (4,),
                "4.weight": (1, 4), "4.bias": (1,)}.items()}
    assert program(vb) == program(torch)
    assert "ReLU(inplace=True)" in program(vb)[0]
