"""Tests of backprop-deltas: a hand-sized network, then random ones; shapes and values."""

from vibrastic.platform.course.checks import Case, approx

NET = ("import numpy as np\nW1 = np.array([[0.5, -0.3], [0.8, 0.2], [-0.6, 0.9]])\n"
       "b1 = np.array([0.1, -0.2, 0.05])\nW2 = np.array([[1.0, -1.5, 0.7]])\nb2 = np.array([0.3])\n"
       "x = np.array([1.0, 0.0])\ny = np.array([1.0])\n")
RANDOM = ("import numpy as np\nrng = np.random.default_rng({seed})\n"
          "W1, b1 = rng.normal(size=(3, 2)), rng.normal(size=3)\n"
          "W2, b2 = rng.normal(size=(1, 3)), rng.normal(size=1)\n"
          "x, y = rng.uniform(-1, 1, size=2), rng.uniform(-1, 1, size=1)\n")
TOL = approx(1e-7, 1e-10)

CASES = [
    Case("forward pass of the example network", NET + "forward(W1, b1, W2, b2, x)", TOL,
         hint="The hidden net input has shape (3,); the output layer has no activation."),
    Case("δ of the output layer is ŷ − y", NET + "deltas(W1, b1, W2, b2, x, y)[1]", TOL,
         hint="The output δ is the error of the prediction, shape (1,)."),
    Case("δ of the hidden layer", NET + "deltas(W1, b1, W2, b2, x, y)[0]", TOL, points=2,
         hint="The sigmoid's f′ at each hidden unit, times the output δ sent back through W2."),
    Case("gradients of the example network", NET + "gradients(W1, b1, W2, b2, x, y)", TOL, points=2,
         hint="Each weight gradient is the outer product of a layer's δ and that layer's input."),
    Case("gradient shapes match the parameters",
         NET + "[list(np.shape(g)) for g in gradients(W1, b1, W2, b2, x, y)]", approx(),
         hint="dW1 is (3, 2) like W1 and dW2 is (1, 3) like W2."),
    Case("random network, seed 1", RANDOM.format(seed=1) + "gradients(W1, b1, W2, b2, x, y)", TOL,
         hidden=True, points=2),
    Case("random network, seed 2: deltas", RANDOM.format(seed=2) + "deltas(W1, b1, W2, b2, x, y)",
         TOL, hidden=True),
    Case("the four XOR inputs",
         NET + "[deltas(W1, b1, W2, b2, np.array(p, dtype=float), np.array([t], dtype=float))[0] "
         "for p, t in [((0, 0), 0), ((0, 1), 1), ((1, 0), 1), ((1, 1), 0)]]", TOL, hidden=True),
]
