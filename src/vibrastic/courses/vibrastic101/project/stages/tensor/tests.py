"""Stage 3: unbroadcast, then a gradient check of every Tensor operation, with broadcasting."""

from vibrastic.platform.course.checks import Case, equal
from vibrastic.platform.course.stagechecks import array_case, tensor_gradcheck

T = "from mygrad.tensor import Tensor, unbroadcast\nimport numpy as np\n"
UNBROADCAST = ("Sum over the leading axes broadcasting added, then with keepdims=True over each "
               "axis where the target shape has 1.")

CASES = [
    Case("Tensor([1, 2]) holds float64 data and zero grad",
         T + "t = Tensor([1, 2])\n[str(t.data.dtype), list(t.shape), t.grad.tolist()]", equal(),
         hint="np.array(data, dtype=np.float64); grad = np.zeros_like(data)."),
    array_case("unbroadcast to (4,) sums the rows", T, "unbroadcast(np.ones((3, 4)), (4,))",
               hint=UNBROADCAST),
    array_case("unbroadcast to (3, 1) keeps the axis", T,
               "unbroadcast(np.arange(12.0).reshape(3, 4), (3, 1))", hint=UNBROADCAST),
    array_case("unbroadcast from (2, 3, 4) to (1, 4)", T,
               "unbroadcast(np.arange(24.0).reshape(2, 3, 4), (1, 4))", hint=UNBROADCAST),
    array_case("unbroadcast to () sums everything", T,
               "unbroadcast(np.arange(6.0).reshape(2, 3), ())", hint=UNBROADCAST),
    tensor_gradcheck("a + b, same shapes", "a + b", {"a": (2, 3), "b": (2, 3)},
                     hint="Both vjps are lambda g: g."),
    tensor_gradcheck("a + b, b of shape (4,) broadcast over 3 rows", "a + b",
                     {"a": (3, 4), "b": (4,)}, points=2, hint=UNBROADCAST),
    tensor_gradcheck("a * b, shapes (3, 1) and (1, 4) stretch each other", "a * b",
                     {"a": (3, 1), "b": (1, 4)}, points=2, hint=UNBROADCAST),
    tensor_gradcheck("a - b and a / b", "(a - b) / b", {"a": (2, 3), "b": (3,)}, positive=True,
                     hint="Built from +, * and ** -1: fix those and this follows."),
    tensor_gradcheck("a ** 3", "a ** 3", {"a": (2, 2)}, hint="g * n * a ** (n - 1)"),
    tensor_gradcheck("A @ B, (2, 3) by (3, 4)", "a @ b", {"a": (2, 3), "b": (3, 4)}, points=2,
                     hint="A gets g @ B.T, B gets A.T @ g."),
    tensor_gradcheck("a.sum()", "a.sum()", {"a": (2, 3)},
                     hint="Every element gets g: np.broadcast_to(g, self.shape)."),
    tensor_gradcheck("a.sum(axis=0) and a.sum(axis=1, keepdims=True)",
                     "a.sum(axis=0) * a.sum(axis=1, keepdims=True)", {"a": (3, 4)},
                     hint="Without keepdims, np.expand_dims(g, axis) before broadcasting."),
    tensor_gradcheck("a.mean(axis=1)", "a.mean(axis=1)", {"a": (2, 5)},
                     hint="mean is built from sum: fix sum first."),
    tensor_gradcheck("a.exp() and a.log()", "a.exp() + a.log()", {"a": (3,)}, positive=True,
                     hint="g * e^a and g / a."),
    tensor_gradcheck("a.relu()", "a.relu()", {"a": (2, 4)}, hint="g * (a > 0)"),
    tensor_gradcheck("a.sigmoid()", "a.sigmoid()", {"a": (2, 3)}, hint="g * s * (1 - s)"),
    tensor_gradcheck("a.tanh()", "a.tanh()", {"a": (2, 3)}, hint="g * (1 - t * t)"),
    tensor_gradcheck("a.T and a.reshape(3, 2)", "a.T * a.reshape(3, 2)", {"a": (2, 3)},
                     hint="The vjp undoes the change of shape: g.T, g.reshape(self.shape)."),
    tensor_gradcheck("a layer: (x @ W.T + b).tanh(), b broadcast", "(x @ w.T + b).tanh()",
                     {"x": (4, 3), "w": (2, 3), "b": (2,)}, points=2,
                     hint="Each piece passes on its own; if it fails, look at b: unbroadcast."),
    Case("sigmoid of ±1000 is 0 and 1 (no overflow)",
         T + "import warnings\nwarnings.simplefilter('error')\n"
         "Tensor([-1000.0, 0.0, 1000.0]).sigmoid().data.tolist()", equal(), hidden=True),
    tensor_gradcheck("a scalar-shaped tensor times a matrix", "a * b", {"a": (), "b": (2, 3)},
                     hidden=True),
    tensor_gradcheck("3-D broadcasting: (2, 1, 3) + (4, 1)", "(a + b) * (a + b)",
                     {"a": (2, 1, 3), "b": (4, 1)}, hidden=True),
    tensor_gradcheck("numbers on either side: 2 * a - 1 / a + 3", "2 * a - 1 / a + 3",
                     {"a": (2, 2)}, positive=True, hidden=True),
    tensor_gradcheck("a softmax built from the operations",
                     "(a - a.sum(axis=1, keepdims=True)).exp() / "
                     "(a - a.sum(axis=1, keepdims=True)).exp().sum(axis=1, keepdims=True)",
                     {"a": (2, 3)}, hidden=True),
]
