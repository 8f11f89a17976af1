"""Stage 0: activations and their derivatives on floats; large inputs must not overflow."""

from vibrastic.platform.course.checks import Case, approx

OPS = "from mygrad import operators as op\n"
GRID = "xs = [-4.0, -1.5, -0.25, 0.0, 0.25, 1.5, 4.0]\n"
CLOSE = approx(1e-9, 1e-12)

CASES = [
    Case("sigmoid on a grid, 0.5 at 0", OPS + GRID + "[op.sigmoid(x) for x in xs]", CLOSE,
         hint="1 / (1 + math.exp(-x))"),
    Case("sigmoid(±1000) is 0 and 1, without OverflowError",
         OPS + "[op.sigmoid(-1000.0), op.sigmoid(1000.0)]", approx(0, 1e-12),
         hint="math.exp(1000) overflows: for x < 0 use math.exp(x) / (1 + math.exp(x))."),
    Case("sigmoid_prime on a grid, 0.25 at 0", OPS + GRID + "[op.sigmoid_prime(x) for x in xs]",
         CLOSE, hint="sigmoid(x) * (1 - sigmoid(x))"),
    Case("tanh on a grid", OPS + GRID + "[op.tanh(x) for x in xs]", CLOSE,
         hint="(e^x − e^−x) / (e^x + e^−x), or the form without overflow in the statement"),
    Case("tanh(±1000) is ±1, without OverflowError",
         OPS + "[op.tanh(-1000.0), op.tanh(1000.0)]", approx(0, 1e-12),
         hint="Only exponentiate −2|x|; the sign comes back with math.copysign."),
    Case("tanh_prime on a grid, 1 at 0", OPS + GRID + "[op.tanh_prime(x) for x in xs]", CLOSE,
         hint="1 - tanh(x) ** 2"),
    Case("relu and relu_prime on a grid, relu_prime(0) is 0",
         OPS + GRID + "[[op.relu(x) for x in xs], [op.relu_prime(x) for x in xs]]", CLOSE,
         hint="relu_prime is 1 only where x > 0, strictly."),
    Case("leaky_relu and its derivative with the default slope 0.01",
         OPS + GRID + "[[op.leaky_relu(x) for x in xs], [op.leaky_relu_prime(x) for x in xs]]",
         CLOSE, hint="x for x > 0, else 0.01 * x; the derivative is 1 or 0.01."),
    Case("leaky_relu with negative_slope=0.2",
         OPS + GRID + "[[op.leaky_relu(x, 0.2) for x in xs], "
         "[op.leaky_relu_prime(x, negative_slope=0.2) for x in xs]]",
         CLOSE, hint="Use the negative_slope argument, not the constant 0.01."),
    Case("softmax([1, 2, 3]) sums to 1", OPS + "op.softmax([1.0, 2.0, 3.0])", CLOSE,
         hint="e^x_i / Σ_j e^x_j"),
    Case("softmax([1000, 0, -1000]) is [1, 0, 0], without overflow",
         OPS + "op.softmax([1000.0, 0.0, -1000.0])", approx(0, 1e-12),
         hint="Subtract max(xs) from every x before exponentiating; the result is the same."),
    Case("sigmoid_prime and tanh_prime far from 0", OPS +
         "xs = [-800.0, -30.0, 30.0, 800.0]\n"
         "[[op.sigmoid_prime(x) for x in xs], [op.tanh_prime(x) for x in xs]]",
         approx(1e-9, 1e-12), hidden=True),
    Case("softmax of one number, and of shifted inputs", OPS +
         "[op.softmax([5.0]), op.softmax([1001.0, 1002.0, 1003.0]), op.softmax([-2.5, 7.0])]",
         CLOSE, hidden=True),
    Case("at exactly 0: relu_prime 0, leaky_relu_prime the slope", OPS +
         "[op.relu(0.0), op.relu_prime(0.0), op.leaky_relu(0.0), op.leaky_relu_prime(0.0, 0.3)]",
         CLOSE, hidden=True),
]
