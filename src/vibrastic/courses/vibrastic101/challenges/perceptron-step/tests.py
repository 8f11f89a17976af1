"""Tests of perceptron-step: predictions, single updates with numbers, training on logic gates."""

from vibrastic.platform.course.checks import Case, approx, equal

GATES = "import numpy as np\nX = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])\n"


def _as_list(name: str) -> str:
    return f"import numpy as np\nw, b = {name}\n[[float(v) for v in w], float(b)]"


CASES = [
    Case("predict is 1 when w·x + b > 0", "[predict([1.0, 1.0], -0.5, [1, 0]), "
         "predict([1.0, 1.0], -1.5, [1, 0])]", equal(),
         hint="Return the int 1 or 0, from the sign of the net input."),
    Case("predict is 0 when w·x + b is exactly 0", "predict([1.0, -1.0], 0.0, [2, 2])", equal(),
         hint="The step is 1 only for a strictly positive net input."),
    Case("one step on a misclassified sample", _as_list(
        "perceptron_step(np.array([0.5, -0.5]), 0.0, np.array([1.0, 2.0]), 1, 0.1)"),
         approx(), hint="ŷ = 0 and y = 1 here, so w grows by α·x and b by α.", ),
    Case("no change on a correct sample", _as_list(
        "perceptron_step(np.array([0.5, -0.5]), 0.2, np.array([1.0, 0.0]), 1, 0.1)"),
         approx(), hint="When ŷ = y, (y − ŷ) = 0 and nothing changes."),
    Case("perceptron_step does not change its arguments",
         "w = np.array([0.5, -0.5])\nperceptron_step(w, 0.0, np.array([1.0, 2.0]), 1, 0.1)\n"
         "[float(v) for v in w]", approx(),
         hint="w + alpha * … makes a new array; w += … would change the caller's array."),
    Case("train_perceptron learns AND", GATES + "w, b = train_perceptron(X, [0, 0, 0, 1])\n"
         "[predict(w, b, x) for x in X]", equal(), points=2,
         hint="Loop epochs times over all four samples, updating (w, b) each time."),
    Case("train_perceptron's weights for AND",
         GATES + _as_list("train_perceptron(X, [0, 0, 0, 1])"),
         approx(1e-9, 1e-12), hint="Start from zeros and visit the samples in order."),
    Case("train_perceptron learns OR and NAND", GATES +
         "[[predict(*train_perceptron(X, Y, 0.25, 30), x) for x in X] "
         "for Y in ([0, 1, 1, 1], [1, 1, 1, 0])]", equal(), hidden=True, points=2),
    Case("a 3-input step with a larger alpha", _as_list(
        "perceptron_step(np.array([0.2, -0.4, 0.1]), 0.3, np.array([1.0, 1.0, 2.0]), 0, 0.5)"),
         approx(), hidden=True),
]
