"""Tests of autograd-g: the slide's (2, 5), then other points; values must come from torch."""

from vibrastic.platform.course.checks import Case, approx, equal

CASES = [
    Case("g(2, 5) on tensors", "import torch\nfloat(g(torch.tensor(2.0), torch.tensor(5.0)))",
         approx(), hint="g(x, y) = x * y ** 2 - x ** 2 * y works on tensors as on floats."),
    Case("grad_g(2.0, 5.0) gives ∂g/∂x and ∂g/∂y at (2, 5)",
         "[float(v) for v in grad_g(2.0, 5.0)]", approx(1e-5, 1e-6), points=2,
         hint="Call backward() on g(x, y), then return (x.grad, y.grad)."),
    Case("grad_g returns torch tensors from autograd",
         "[type(v).__module__.split('.')[0] + '.' + type(v).__name__ for v in grad_g(1.0, 1.0)]",
         equal(), hint="Return x.grad and y.grad themselves (tensors), not numbers typed in."),
    Case("grad_g at (1, 2) and (-3, 0.5)",
         "[[float(v) for v in grad_g(1.0, 2.0)], [float(v) for v in grad_g(-3.0, 0.5)]]",
         approx(1e-5, 1e-6),
         hint="The gradient changes with the point: build new tensors each call."),
    Case("grad_g at fractional and zero points",
         "[[float(v) for v in grad_g(x, y)] for x, y in [(0.25, -1.5), (0.0, 3.0), (4.0, 0.0)]]",
         approx(1e-5, 1e-6), hidden=True, points=2),
    Case("repeated calls do not accumulate gradients",
         "a = [float(v) for v in grad_g(2.0, 5.0)]\n"
         "b = [float(v) for v in grad_g(2.0, 5.0)]\n[a, b]",
         approx(1e-5, 1e-6), hidden=True,
         hint="Create fresh leaf tensors inside grad_g: .grad accumulates over backward() calls."),
]
