"""The challenges catch the mistakes learners (and the deck) make, and name them precisely."""

from __future__ import annotations

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
    assert fails["dg_dx(2, 5) agrees with DG_DX"] == "dg_dx(2.0, 5.0): expected 5.0, got 45.0"


def test_autograd_answers_typed_in_are_not_autograd(grader: Grader) -> None:
    source = variant("autograd-g", "    g(x, y).backward()\n    return x.grad, y.grad",
                     "    return float(y ** 2 - 2 * x * y), float(2 * x * y - x ** 2)")
    fails = failing(grader.grade("autograd-g", source))
    assert list(fails) == ["grad_g returns torch tensors from autograd"]
    assert "expected ['torch.Tensor', 'torch.Tensor'], got ['builtins.float'" in \
        fails["grad_g returns torch tensors from autograd"]


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


def test_train_xor_untrained_network_fails_with_its_error(grader: Grader) -> None:
    source = variant("train-xor", "def train_xor(seed=0, epochs=2000):",
                     "def train_xor(seed=0, epochs=0):")
    fails = failing(grader.grade("train-xor", source))
    message = fails["seed 0: error below 0.05 on all four inputs (recomputed from the weights)"]
    assert message.startswith("outputs [") and "needs < 0.05" in message
    assert "the network has the deck's shape: Linear(2, 3), Linear(3, 1)" not in fails
