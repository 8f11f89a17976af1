"""The autograd module itself: gradcheck's verdicts and messages, recording a new op, the engine's
docstring examples, and that importing the engine pulls in nothing but NumPy."""

from __future__ import annotations

import doctest
import importlib
import os
import re
import subprocess
import sys

import numpy as np
import pytest
from scipy.special import expit

import vibrastic as vb
from vibrastic.autograd import GradcheckError, gradcheck, record


def _square_with_a_wrong_element(x: vb.Tensor) -> vb.Tensor:
    """x², recorded with a gradient rule that is right everywhere except at element (1, 0)."""
    data = x.detach().numpy()

    def backward(g: np.ndarray) -> tuple[np.ndarray]:
        grad = 2 * data * g
        grad[1, 0] *= 3  # the deliberate mistake
        return (grad,)

    return record(data * data, (x,), backward, "WrongSquare")


def test_gradcheck_is_torchs_path_and_passes_on_correct_ops() -> None:
    rng = np.random.default_rng(0)
    a = vb.tensor(rng.standard_normal((3, 4)), dtype=vb.float64, requires_grad=True)
    b = vb.tensor(rng.standard_normal((4, 2)), dtype=vb.float64, requires_grad=True)
    y = vb.tensor([1, 0, 1])
    assert vb.autograd.gradcheck is gradcheck
    assert gradcheck(lambda a, b: (a @ b).sigmoid() * a.sum(), (a, b))
    assert gradcheck(lambda a, b, y: vb.nn.functional.cross_entropy(a @ b, y), (a, b, y))
    assert gradcheck(lambda a: a.max(dim=1), a)  # (values, int64 indices): values are checked


def test_gradcheck_names_the_input_the_element_and_both_values() -> None:
    x = vb.tensor([[0.5, -1.0], [2.0, 0.25]], dtype=vb.float64, requires_grad=True)
    w = vb.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=vb.float64, requires_grad=True)
    with pytest.raises(GradcheckError) as err:
        gradcheck(lambda w, x: (w * _square_with_a_wrong_element(x)).sum(), (w, x))
    message = str(err.value)
    assert "with respect to input 1 (element (1, 0))" in message
    numeric, analytic = (float(v) for v in re.findall(r"(?:numeric|analytic) (-?[\d.]+)", message))
    assert numeric == pytest.approx(3.0 * 2 * 2.0, rel=1e-6)  # w[1,0] · 2x[1,0]
    assert analytic == pytest.approx(3 * numeric)
    assert isinstance(err.value, RuntimeError)  # as torch's GradcheckError


def test_gradcheck_names_the_output_element_of_a_wrong_jacobian_row() -> None:
    x = vb.tensor([[0.5, -1.0], [2.0, 0.25]], dtype=vb.float64, requires_grad=True)
    with pytest.raises(GradcheckError, match=r"output 0 \(element \(1, 0\)\) with respect to "
                                             r"input 0 \(element \(1, 0\)\)"):
        gradcheck(_square_with_a_wrong_element, x)
    assert gradcheck(_square_with_a_wrong_element, x, raise_exception=False) is False


def test_gradcheck_works_in_float64_and_leaves_its_inputs_alone() -> None:
    x32 = vb.tensor([0.3, -1.2, 2.5], requires_grad=True)  # float32: checked on a float64 copy
    before = x32.detach().numpy().copy()
    assert gradcheck(lambda x: x.exp() * x.tanh(), (x32,), atol=1e-9, rtol=1e-7)
    np.testing.assert_array_equal(x32.detach().numpy(), before)
    assert x32.grad is None and x32.dtype == vb.float32


def test_gradcheck_rejects_inputs_that_need_no_gradient() -> None:
    with pytest.raises(ValueError, match="at least one input tensor to require gradient"):
        gradcheck(lambda x: x * 2, (vb.ones(3),))
    with pytest.raises(TypeError, match="expected a float tensor"):
        gradcheck(lambda x: x.argmax(), (vb.ones(3, requires_grad=True),))


def test_sigmoid_matches_scipy_expit_to_float_precision() -> None:
    """The NumPy form replaced SciPy's expit: the same values, to a couple of ulps, and the
    same zeros where e^-x overflows."""
    xs = np.concatenate([np.linspace(-1000, 1000, 40001), np.linspace(-95, -80, 3001),
                         np.linspace(-750, -700, 3001)])
    for dtype in (vb.float32, vb.float64):
        x = vb.tensor(xs, dtype=dtype)
        ours, scipy = vb.sigmoid(x).numpy(), expit(x.numpy())
        assert ours.dtype == scipy.dtype
        np.testing.assert_array_equal(ours == 0, scipy == 0)
        np.testing.assert_allclose(ours, scipy, rtol=4 * np.finfo(scipy.dtype).eps, atol=0)


def test_importing_the_engine_loads_only_numpy() -> None:
    code = (
        "import sys, vibrastic as vb\n"
        "m = vb.nn.Sequential(vb.nn.Linear(2, 3), vb.nn.Sigmoid(), vb.nn.Linear(3, 1))\n"
        "loss = vb.nn.MSELoss()(m(vb.ones(4, 2)), vb.zeros(4, 1)); loss.backward()\n"
        "vb.optim.SGD(m.parameters(), lr=0.1).step()\n"
        "heavy = ('scipy', 'torch', 'matplotlib', 'sklearn', 'sqlalchemy')\n"
        "print(sorted({n.split('.')[0] for n in sys.modules} & set(heavy)))\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         check=True, timeout=120)
    assert out.stdout.strip() == "[]"


ENGINE_MODULES = ["vibrastic.tensor", "vibrastic.autograd", "vibrastic.ops", "vibrastic.optim",
                  "vibrastic.nn.modules", "vibrastic.nn.functional", "vibrastic.nn.init"]


@pytest.mark.parametrize("name", ENGINE_MODULES)
def test_docstring_examples_run(name: str) -> None:
    """pytest --doctest-modules, for the engine's files only (lessons are run elsewhere)."""
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
    if name in ("vibrastic.autograd", "vibrastic.optim", "vibrastic.nn.modules"):
        assert result.attempted > 0


def test_grad_fn_types_are_named_as_torchs() -> None:
    """``type(t.grad_fn).__name__`` is the node's name, as learners print it in torch."""
    import torch

    names = []
    for lib in (vb, torch):
        w = lib.ones(2, requires_grad=True)
        y = (w * 3).relu().sum()
        node = y.grad_fn
        chain = [type(node).__name__]
        while node.next_functions:
            node = node.next_functions[0][0]
            chain.append(type(node).__name__)
        names.append(chain)
    assert names[0] == names[1] == ["SumBackward0", "ReluBackward0", "MulBackward0",
                                    "AccumulateGrad"]
