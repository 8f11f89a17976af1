"""Tests of autograd-g: the grader makes the tensors (at points drawn for every attempt) and
watches autograd's backward pass reach them, so numbers typed in cannot pass."""

from vibrastic.platform.course.checks import Case, approx, show

# The grader's own leaf tensors, with hooks that fire only when backward() flows into them.
CALL = """\
import torch
x = torch.tensor({x}, requires_grad=True)
y = torch.tensor({y}, requires_grad=True)
reached = []
x.register_hook(lambda grad: reached.append("x"))
y.register_hook(lambda grad: reached.append("y"))
got = grad_g(x, y)
pair = list(got) if isinstance(got, (tuple, list)) else [got]
{{"reached": sorted(reached), "grads": pair,
  "same": [len(pair) == 2 and pair[0] is x.grad, len(pair) == 2 and pair[1] is y.grad]}}
"""


def _point(rng):
    return {"x": round(rng.uniform(-4, 4), 3), "y": round(rng.uniform(-4, 4), 3)}


def by_autograd():
    """x.grad and y.grad of the grader's tensors, filled by backward(), equal the reference's."""
    values = approx(1e-5, 1e-6)

    def check(got, want):
        obs = got["value"]
        if not isinstance(obs, dict) or not isinstance(obs.get("grads"), list):
            return f"grad_g(x, y) should return the pair (x.grad, y.grad), got {show(obs)}"
        grads = obs["grads"]
        if len(grads) != 2:
            return f"grad_g(x, y) should return two gradients, got {len(grads)} values"
        for name, grad in zip("xy", grads, strict=True):
            if grad is None:
                return (f"your function returned None for {name}.grad — did you call "
                        "backward()?")
        missing = [n for n in "xy" if n not in (obs.get("reached") or [])]
        if missing or obs.get("same") != [True, True]:
            return ("the gradients did not come from autograd: compute g(x, y) from the tensors "
                    "you were given, call backward() on it and return x.grad and y.grad")
        return values({"value": grads}, {"value": want["value"]["grads"]})

    return check


CASES = [
    Case("g(2, 5) on tensors", "import torch\nfloat(g(torch.tensor(2.0), torch.tensor(5.0)))",
         approx(), hint="Plain Python operators work on tensors as they do on floats."),
    Case("grad_g at (2, 5): ∂g/∂x and ∂g/∂y by backward()", CALL.format(x=2.0, y=5.0),
         by_autograd(), points=2,
         hint="Build g from the tensors you were given, call backward() on the result."),
    Case("grad_g at a point chosen by the grader", CALL, by_autograd(), vary=_point,
         hint="The gradient changes with the point: nothing may be typed in."),
    Case("grad_g at another point", CALL, by_autograd(), hidden=True, points=2, vary=_point),
    Case("grad_g at a point with a zero coordinate", CALL, by_autograd(), hidden=True,
         vary=lambda rng: {"x": 0.0, "y": round(rng.uniform(1, 4), 3)}),
]
