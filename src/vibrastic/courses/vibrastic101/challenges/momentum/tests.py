"""Tests of momentum: the deck's α = 0.05, β = 0.5 run, β = 0, other data."""

from vibrastic.platform.course.checks import Case, approx

DECK = ("import numpy as np\nX = np.array([[0.0], [1.0], [2.0], [3.0], [4.0]])\n"
        "X_bias = np.hstack((X, np.ones((5, 1))))\ny = np.array([10.5, 5.0, 3.0, 2.5, 1.0])\n")
TOL = approx(1e-7, 1e-9)

CASES = [
    Case("the deck's run: α = 0.05, β = 0.5, 25 steps",
         DECK + "gradient_descent_with_momentum(X_bias, y, (-3, 2), 0.05, 0.5, 25)", TOL, points=2,
         hint="Δw = −α∇E + β·Δw_previous; the first Δw_previous is zeros."),
    Case("the first step equals plain gradient descent's",
         DECK + "gradient_descent_with_momentum(X_bias, y, (-3, 2), 0.05, 0.5, 1)", TOL,
         hint="omega starts at zeros, so step 1 is −α∇E only."),
    Case("β = 0 is plain gradient descent",
         DECK + "gradient_descent_with_momentum(X_bias, y, (-3, 2), 0.05, 0.0, 10)", TOL,
         hint="With beta = 0 the momentum term vanishes."),
    Case("the shape is (max_iters + 1, len(w_0))",
         DECK + "list(gradient_descent_with_momentum(X_bias, y, [0, 0], 0.01, 0.9, 7).shape)",
         approx(), hint="w_hist[0] = w_0, then one row per step."),
    Case("a large β overshoots as in the deck's study",
         DECK + "gradient_descent_with_momentum(X_bias, y, (-3, 2), 0.02, 0.9, 40)", TOL,
         hidden=True),
    Case("three features", "import numpy as np\nrng = np.random.default_rng(3)\n"
         "X = rng.normal(size=(10, 3))\ny = X @ np.array([0.5, 1.0, -1.0])\n"
         "gradient_descent_with_momentum(X, y, [0, 0, 0], 0.02, 0.7, 30)", TOL, hidden=True,
         points=2),
]
