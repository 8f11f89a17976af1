"""The challenges catch the mistakes learners (and the deck) make, and name them precisely."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest

from vibrastic.platform.course.challenge import get_challenge, strip_markers
from vibrastic.platform.grader.grade import Grader
from vibrastic.platform.grader.results import GradeResult


@pytest.fixture(scope="module")
def grader(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Grader]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("VIBRASTIC_HOME", str(tmp_path_factory.mktemp("home")))
        with Grader(warm=True) as g:
            yield g


def variant(name: str, old: str, new: str) -> str:
    """The reference solution with one mistake put in."""
    source = strip_markers(get_challenge(name).reference)
    assert old in source, f"{old!r} not in the {name} reference"
    return source.replace(old, new)


def failing(result: GradeResult) -> dict[str, str]:
    return {t.name: t.message for t in result.tests if not t.passed}


def test_triangle_off_by_one(grader: Grader) -> None:
    result = grader.grade("triangle", variant("triangle", "range(1, h + 1)", "range(h)"))
    fails = failing(result)
    assert fails["triangle(3) prints the slide's triangle"] == (
        "triangle(3): line 1: expected '*', got ''")
    assert "triangle(0) prints nothing" not in fails  # range(0) prints nothing either


def test_slicing_in_place_replace_is_caught(grader: Grader) -> None:
    source = variant("slicing", "    out = nums[:]\n    out[2:4] = new\n    return out",
                     "    nums[2:4] = new\n    return nums")
    fails = failing(grader.grade("slicing", source))
    assert list(fails) == ["replace_middle leaves its argument unchanged"]
    message = fails["replace_middle leaves its argument unchanged"]
    assert message.startswith("expected [0, 1, 2, 3, 4]")


def test_dict_legs_wording_matters(grader: Grader) -> None:
    source = variant("dict-legs", "'A %s has %d legs'", "'%s: %d legs'")
    fails = failing(grader.grade("dict-legs", source))
    assert fails["describe_legs prints the deck's three lines"] == (
        "describe_legs({'person': 2, 'cat': 4, 'spider': 8}): line 1: expected "
        "'A person has 2 legs', got 'person: 2 legs'")


def test_greeter_with_the_decks_bugs_fails_question(grader: Grader) -> None:
    source = variant("greeter", "    def __init__(self, name):\n        super()",
                     "    def ___init__(self, name):\n        super()")
    source = source.replace("    def ask(self):", "def ask(self):")
    fails = failing(grader.grade("greeter", source))
    assert "Question('Fred').ask() prints 'Are you Fred?'" in fails
    assert "AttributeError" in fails["Question('Fred').ask() prints 'Are you Fred?'"]
    assert "Greeter('Fred').greet() prints 'Hello, Fred'" not in fails


def test_partial_by_hand_wrong_sign(grader: Grader) -> None:
    source = variant("partial-by-hand", "return y ** 2 - 2 * x * y", "return y ** 2 + 2 * x * y")
    fails = failing(grader.grade("partial-by-hand", source))
    assert fails["dg_dx(2, 5) agrees with DG_DX"] == (
        "dg_dx(2.0, 5.0) - DG_DX: expected 0.0, got 40.0")
    assert "the formulas match a finite-difference check" in fails  # abs() catches it now


def test_partial_by_hand_never_shows_the_answer_worked_out_by_hand(grader: Grader) -> None:
    source = variant("partial-by-hand", "DG_DX = 5\nDG_DY = 16", "DG_DX = 6\nDG_DY = 15")
    fails = failing(grader.grade("partial-by-hand", source))
    assert fails["DG_DX: ∂g/∂x at (2, 5)"] == (
        "DG_DX: 6 is not the right value (the expected one is not shown: work it out by hand)")
    assert "16" not in fails["DG_DY: ∂g/∂y at (2, 5)"]
    assert "5" not in fails["DG_DX: ∂g/∂x at (2, 5)"].replace("(2, 5)", "")


def test_autograd_answers_typed_in_are_not_autograd(grader: Grader) -> None:
    typed = variant("autograd-g", "    g(x, y).backward()\n    return x.grad, y.grad",
                    "    return (torch.tensor(float(y ** 2 - 2 * x * y)),\n"
                    "            torch.tensor(float(2 * x * y - x ** 2)))")
    fails = failing(grader.grade("autograd-g", typed))
    assert set(fails) >= {"grad_g at (2, 5): ∂g/∂x and ∂g/∂y by backward()",
                          "grad_g at a point chosen by the grader"}
    assert fails["grad_g at (2, 5): ∂g/∂x and ∂g/∂y by backward()"].startswith(
        "the gradients did not come from autograd")
    # .grad set by hand, without backward(): the hooks on the grader's tensors never fire
    by_hand = variant("autograd-g", "    g(x, y).backward()\n",
                      "    with torch.no_grad():\n        x.grad = y ** 2 - 2 * x * y\n"
                      "        y.grad = 2 * x * y - x ** 2\n")
    assert failing(grader.grade("autograd-g", by_hand))[
        "grad_g at (2, 5): ∂g/∂x and ∂g/∂y by backward()"].startswith(
        "the gradients did not come from autograd")


def test_autograd_without_backward_names_the_missing_gradient(grader: Grader) -> None:
    source = variant("autograd-g", "    g(x, y).backward()\n", "    g(x, y)\n")
    fails = failing(grader.grade("autograd-g", source))
    assert fails["grad_g at (2, 5): ∂g/∂x and ∂g/∂y by backward()"] == (
        "your function returned None for x.grad — did you call backward()?")


def test_relu_prime_at_zero(grader: Grader) -> None:
    source = variant("activation-derivatives", "np.asarray(x, dtype=float) > 0, 1.0, 0.0",
                     "np.asarray(x, dtype=float) >= 0, 1.0, 0.0")
    fails = failing(grader.grade("activation-derivatives", source))
    assert "differs at [4]: 1.0 vs 0.0" in fails["relu_prime on [-4, 4], 0 at x = 0"]


def test_perceptron_step_must_not_mutate(grader: Grader) -> None:
    source = variant("perceptron-step",
                     "    return w + alpha * (y - y_hat) * x, b + alpha * (y - y_hat)",
                     "    w += alpha * (y - y_hat) * x\n    return w, b + alpha * (y - y_hat)")
    source = source.replace("    w = np.asarray(w, dtype=float)\n", "")
    fails = failing(grader.grade("perceptron-step", source))
    assert "perceptron_step does not change its arguments" in fails


def test_gradient_descent_with_the_decks_global_bug(grader: Grader) -> None:
    source = variant("gradient-descent", "linear_regression_gradient(X, y, w)",
                     "linear_regression_gradient(X_bias, y, w)")
    source = source.replace("if __name__", "X_bias = np.hstack((np.arange(5.0)[:, None], "
                            "np.ones((5, 1))))\n\n\nif __name__")
    fails = failing(grader.grade("gradient-descent", source))
    assert "gradient_descent uses its argument X, not a global" in fails


def test_momentum_without_memory_is_plain_descent(grader: Grader) -> None:
    source = variant("momentum", "        omega = delta_weights\n", "")
    fails = failing(grader.grade("momentum", source))
    assert "the deck's run: α = 0.05, β = 0.5, 25 steps" in fails
    assert "β = 0 is plain gradient descent" not in fails
    assert "the first step equals plain gradient descent's" not in fails


def test_backprop_with_the_decks_output_sign(grader: Grader) -> None:
    source = variant("backprop-deltas", "delta2 = y_hat - y", "delta2 = y - y_hat")
    fails = failing(grader.grade("backprop-deltas", source))
    assert "δ of the output layer is ŷ − y" in fails
    assert "forward pass of the example network" not in fails


def test_train_xor_on_vibrastic_engine_passes(grader: Grader) -> None:
    source = variant("train-xor",
                     "import torch\nimport torch.nn as nn\nimport torch.optim as optim",
                     "import vibrastic as torch\nimport vibrastic.nn as nn\n"
                     "import vibrastic.optim as optim")
    result = grader.grade("train-xor", source)
    assert result.status == "pass", result.to_json()


def test_train_xor_with_weights_set_by_hand_fails(grader: Grader) -> None:
    """A network that solves XOR with hand-picked weights, and no training loop at all."""
    source = variant("train-xor", "    criterion = nn.MSELoss()\n",
                     "    with torch.no_grad():\n"
                     "        net.fc1.weight.copy_(torch.tensor([[6.0, 6.0], [-6.0, -6.0], "
                     "[0.0, 0.0]]))\n"
                     "        net.fc1.bias.copy_(torch.tensor([-3.0, 9.0, 0.0]))\n"
                     "        net.fc2.weight.copy_(torch.tensor([[1.0, 1.0, 0.0]]))\n"
                     "        net.fc2.bias.copy_(torch.tensor([-1.0]))\n"
                     "    return [1.0] + [0.0] * (epochs - 1)\n    criterion = nn.MSELoss()\n")
    fails = failing(grader.grade("train-xor", source))
    assert "one epoch from the grader's starting weights is one SGD step" in fails
    assert "ten epochs follow SGD with momentum 0.9" in fails
    assert "the network has the deck's shape: Linear(2, 3), Linear(3, 1)" not in fails


def test_train_xor_untrained_network_fails_with_its_error(grader: Grader) -> None:
    source = variant("train-xor", "    for _ in range(epochs):", "    for _ in range(0):")
    fails = failing(grader.grade("train-xor", source))
    message = fails["training from the grader's starting weights learns XOR (error < 0.05)"]
    assert message == "train(net, 2000) returned 0 losses, one per epoch expected"
    assert "the network's forward pass: a sigmoid hidden layer, a linear output" not in fails


def test_sigma_that_also_prints_passes(grader: Grader) -> None:
    source = variant("sigma", "    return total", "    print(total)\n    return total")
    assert grader.grade("sigma", source).status == "pass"


def test_hidden_inputs_are_drawn_per_attempt(grader: Grader) -> None:
    """A submission that memorised one attempt's hidden answers fails the next attempt."""
    sigma = get_challenge("sigma")
    codes = {c.probe(random.Random(seed)) for c in sigma.cases if c.vary
             for seed in range(20)}
    assert len(codes) > 20
    memorised = "def sigma(n):\n    return {0: 0, 1: 1, 2: 5, 3: 14, 4: 30}.get(n, 0)\n"
    result = grader.grade("sigma", memorised)
    assert result.status == "fail"
