"""Tests of gradient-descent: the deck's data and settings, then other data and learning rates."""

from vibrastic.platform.course.checks import Case, approx

DECK = ("import numpy as np\nX = np.array([[0.0], [1.0], [2.0], [3.0], [4.0]])\n"
        "X_bias = np.hstack((X, np.ones((5, 1))))\ny = np.array([10.5, 5.0, 3.0, 2.5, 1.0])\n")
OTHER = ("import numpy as np\nrng = np.random.default_rng(7)\nX = rng.normal(size=(12, 3))\n"
         "y = X @ np.array([1.5, -2.0, 0.5]) + 0.1 * rng.normal(size=12)\n")
TOL = approx(1e-7, 1e-9)

CASES = [
    Case("error at w_0 = [-3, 2] on the deck's data", DECK + "float(error(X_bias, y, [-3, 2]))",
         TOL, hint="Half the squared norm of the residual Xw − y."),
    Case("the gradient at w_0 on the deck's data",
         DECK + "linear_regression_gradient(X_bias, y, np.array([-3.0, 2.0]))", TOL,
         hint="The residual Xw − y, sent back through X transposed."),
    Case("w_hist for α = 0.05, 25 steps (the deck's run)",
         DECK + "gradient_descent(X_bias, y, [-3, 2], 0.05, 25)", TOL, points=2,
         hint="26 rows: w_0 first, then one row per step of w ← w − α∇E."),
    Case("gradient_descent uses its argument X, not a global",
         DECK + "gradient_descent(X_bias[:3], y[:3], [0, 0], 0.1, 5)", TOL,
         hint="Call linear_regression_gradient(X, y, w) with the function's own X and y."),
    Case("w_0 is not modified", DECK + "w_0 = np.array([-3.0, 2.0])\n"
         "gradient_descent(X_bias, y, w_0, 0.05, 3)\nw_0", TOL,
         hint="Make a float copy of w_0 before updating it."),
    Case("the error decreases for α = 0.02",
         DECK + "h = gradient_descent(X_bias, y, [-3, 2], 0.02, 10)\n"
         "[float(error(X_bias, y, w)) for w in h]", TOL, hidden=True),
    Case("three features, α = 0.01, 40 steps",
         OTHER + "gradient_descent(X, y, [0, 0, 0], 0.01, 40)",
         TOL, hidden=True, points=2),
    Case("zero steps return w_0 alone", DECK + "gradient_descent(X_bias, y, [1, 1], 0.05, 0)", TOL,
         hidden=True),
]
