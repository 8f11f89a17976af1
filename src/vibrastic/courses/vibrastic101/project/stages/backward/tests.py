"""Stage 2: backward() on the deck's f and g, reused nodes, order, deep graphs, accumulation."""

from vibrastic.platform.course.checks import Case, approx, equal
from vibrastic.platform.course.stagechecks import no_recursion_case, value_gradcheck

V = "from mygrad.value import Value\n"
ORDER = "from mygrad.autodiff import topological_order\n"
TWICE = "x is used twice: its gradient is the sum over both paths (+= in backward)."

CASES = [
    value_gradcheck("f = x*y at (1, 2): ∂f/∂x = 2 (the deck)", "x * y", {"x": 1.0, "y": 2.0},
                    hint="Seed grads = {id(root): grad}, then pass each node's gradient to its "
                    "parents with chain_rule, in reversed(topological_order(root))."),
    value_gradcheck("g = x*y**2 - x**2*y at (2, 5): ∂g/∂x = 5, ∂g/∂y = 16 (the deck's challenge)",
                    "x * y**2 - x**2 * y", {"x": 2.0, "y": 5.0}, points=2, hint=TWICE),
    value_gradcheck("a node used twice: x*x + x", "x * x + x", {"x": 3.0}, hint=TWICE),
    value_gradcheck("a diamond: a = 2x feeds both a*a and a.exp()",
                    "(a := 2 * x) * a + a.exp()", {"x": 0.5}, hint=TWICE),
    Case("topological_order: each node once, parents first, root last",
         V + ORDER + "x, y = Value(2.0), Value(3.0)\na = x * y\nroot = a * a + x\n"
         "order = topological_order(root)\n"
         "seen = set()\nparents_first = True\n"
         "for n in order:\n"
         "    parents_first &= all(id(p) in seen for p in n.parents)\n"
         "    seen.add(id(n))\n"
         "[len(order), len(seen), order[-1] is root, parents_first]", equal(),
         hint="Mark id(node) as visited when you first push it, and append it only when it "
         "comes back off the stack with parents_done=True."),
    no_recursion_case("backward() through a chain 10,000 nodes deep",
                      V + "x = Value(1.0)\ny = x\nfor _ in range(10_000):\n    y = y * 1.0001\n"
                      "y.backward()", "x.grad", "backward() on a graph 10,000 nodes deep",
                      hint="No recursion: a while loop over an explicit stack of nodes."),
    Case("backward() twice adds up, as in PyTorch",
         V + "x, y = Value(3.0), Value(-2.0)\nz = x * y\nz.backward()\nz.backward()\n"
         "[x.grad, y.grad]", approx(),
         hint="node.grad = node.grad + g: backward adds to .grad, it does not replace it."),
    value_gradcheck("activations, exp and log in one expression",
                    "(x.tanh() * y.sigmoid() + (x * y).exp()).log() + (x - y).relu()",
                    {"x": 0.7, "y": -0.4}, hidden=True),
    value_gradcheck("division and subtraction", "(x - y) / (x * y) - 3 / x",
                    {"x": 1.5, "y": 0.5}, hidden=True),
    no_recursion_case("a chain of 10,000 additions of the same x",
                      V + "x = Value(0.5)\ny = x\nfor _ in range(10_000):\n    y = y + x\n"
                      "y.backward()", "x.grad", "backward() on a graph 10,000 nodes deep",
                      hidden=True),
    Case("a wide sum of 500 products", V + "xs = [Value(i / 100) for i in range(500)]\n"
         "total = Value(0.0)\nfor v in xs:\n    total = total + v * v\ntotal.backward()\n"
         "[v.grad for v in xs[::50]]", approx(), hidden=True),
]
