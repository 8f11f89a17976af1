"""Stage 1: values, parents and local gradients of every operation, checked numerically."""

from vibrastic.platform.course.checks import Case, approx, equal
from vibrastic.platform.course.stagechecks import local_case

V = "from mygrad.value import Value\n"

CASES = [
    Case("a new Value: data as a float, grad 0, no parents",
         V + "v = Value(3)\n[v.data, type(v.data).__name__, v.grad, list(v.parents)]", equal(),
         hint="Value(3) stores float(3); parents and local_grads default to ()."),
    local_case("a + b: local gradients 1 and 1", "a + b", [2.0, 5.0],
               hint="Value(a.data + b.data, (a, b), (1.0, 1.0), '+')"),
    local_case("f = x*y at (1, 2): ∂f/∂x = y = 2 (the deck)", "a * b", [1.0, 2.0],
               hint="∂(ab)/∂a = b and ∂(ab)/∂b = a: local_grads = (b.data, a.data)."),
    local_case("a ** 3: local gradient 3a²", "a ** 3", [1.5],
               hint="n * a.data ** (n - 1), with one parent."),
    local_case("a.exp()", "a.exp()", [0.5], hint="The local gradient of eᵃ is eᵃ itself."),
    local_case("a.log()", "a.log()", [2.5], hint="The local gradient of ln a is 1 / a."),
    local_case("a.sigmoid() uses stage 0", "a.sigmoid()", [-0.75],
               hint="operators.sigmoid(a.data) and operators.sigmoid_prime(a.data)."),
    local_case("a.tanh() uses stage 0", "a.tanh()", [0.6],
               hint="operators.tanh(a.data) and operators.tanh_prime(a.data)."),
    local_case("a.relu() uses stage 0", "a.relu()", [1.25],
               hint="operators.relu(a.data) and operators.relu_prime(a.data)."),
    Case("chain_rule(3.0) of a·b gives (a, 3·b) and (b, 3·a)",
         V + "a, b = Value(2.0), Value(-4.0)\n"
         "[[p is q, g] for (p, g), q in zip((a * b).chain_rule(3.0), (a, b))]", approx(),
         hint="[(parent, grad * local) for parent, local in zip(self.parents, self.local_grads)]"),
    Case("g = x*y**2 - x**2*y at (2, 5) is 30 (the deck's challenge, forward)",
         V + "x, y = Value(2.0), Value(5.0)\n(x * y**2 - x**2 * y).data", approx(),
         hint="Uses *, ** and -, which is written with + and * by -1."),
    Case("numbers mix with Values: 2*a + 1, 1 - a, a / 4, 3 / a",
         V + "a = Value(1.5)\n[(2 * a + 1).data, (1 - a).data, (a / 4).data, (3 / a).data]",
         approx(), hidden=True),
    local_case("a * b with negative numbers", "a * b", [-1.5, 0.5], hidden=True),
    local_case("a ** 0.5", "a ** 0.5", [2.0], hidden=True),
    local_case("a ** -1", "a ** -1.0", [0.8], hidden=True),
    local_case("a.relu() below zero", "a.relu()", [-2.0], hidden=True),
    local_case("a.sigmoid() far below 0 does not overflow", "a.sigmoid()", [-800.0],
               hidden=True),
    local_case("a.tanh() far above 0 does not overflow", "a.tanh()", [800.0], hidden=True),
]
