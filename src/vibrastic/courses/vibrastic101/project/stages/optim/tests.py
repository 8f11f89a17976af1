"""Stage 5: SGD (the deck's momentum) and Adam, compared step by step."""

from vibrastic.platform.course.checks import Case, approx
from vibrastic.platform.course.stagechecks import trajectory_check

OPT = "import numpy as np\nfrom mygrad.tensor import Tensor\nfrom mygrad import optim\n"
MOMENTUM = ("the deck's Δw(t) = −α∇E + βΔw(t−1): the previous step is added (times β), "
            "then w ← w + Δw")
DECK_LINE = OPT + """
X = Tensor([[0.0, 1.0], [1.0, 1.0], [2.0, 1.0], [3.0, 1.0], [4.0, 1.0]])
y = Tensor([10.5, 5.0, 3.0, 2.5, 1.0])
w = Tensor([-3.0, 2.0])
def loss():  # the deck's E = ½‖X·w − y‖²
    return 0.5 * (((X @ w.reshape(2, 1)).reshape(5) - y) ** 2).sum()
"""
BOWL = OPT + """
w = Tensor([1.0, -2.0, 3.0])
b = Tensor([[0.5, -0.5]])
target, scale = np.array([0.5, 0.0, -1.0]), np.array([1.0, 4.0, 0.5])
def loss():
    return (((w - target) ** 2) * scale).sum() + (b * b).sum()
"""


def steps(optimizer: str, n: int, state: str = "[w.data.tolist(), b.data.tolist()]") -> str:
    return (f"opt = {optimizer}\nhistory = []\nfor _ in range({n}):\n    opt.zero_grad()\n"
            f"    loss().backward()\n    opt.step()\n    history.append({state})\nhistory")


CASES = [
    Case("the deck's momentum study: α = 0.05, β = 0.5 from w = (−3, 2), 25 steps",
         DECK_LINE + steps("optim.SGD([w], lr=0.05, momentum=0.5)", 25, "w.data.tolist()"),
         trajectory_check("SGD(lr=0.05, momentum=0.5) on the deck's line", MOMENTUM), points=2,
         hint="self.deltas[i] = -self.lr * p.grad + self.momentum * self.deltas[i]"),
    Case("plain SGD: w ← w − α∇E", BOWL + steps("optim.SGD([w, b], lr=0.1)", 4),
         trajectory_check("SGD(lr=0.1)"), hint="With momentum 0, Δw = −α·grad."),
    Case("SGD with momentum 0.9 on two parameters",
         BOWL + steps("optim.SGD([w, b], lr=0.05, momentum=0.9)", 6),
         trajectory_check("SGD(lr=0.05, momentum=0.9)", MOMENTUM), points=2,
         hint="Each parameter keeps its own Δw(t−1)."),
    Case("Adam, as torch.optim.Adam", BOWL + steps("optim.Adam([w, b], lr=0.1)", 5),
         trajectory_check("Adam(lr=0.1)", "bias-correct m and v with the step number t from 1"),
         points=2, hint="m̂ = m / (1 − β1ᵗ), v̂ = v / (1 − β2ᵗ), then w −= lr·m̂/(√v̂ + eps)."),
    Case("momentum 0.5 on the deck's line reaches the minimum's neighbourhood",
         DECK_LINE + steps("optim.SGD([w], lr=0.02, momentum=0.5)", 200, "w.data.tolist()")
         + "\n[history[-1], float(loss().data)]", approx(1e-6, 1e-9), hidden=True),
    Case("Adam with other betas and eps", BOWL +
         steps("optim.Adam([w, b], lr=0.03, betas=(0.8, 0.99), eps=1e-6)", 7),
         trajectory_check("Adam(lr=0.03, betas=(0.8, 0.99), eps=1e-6)"), hidden=True),
    Case("SGD with momentum 0.3 keeps going after zero_grad", BOWL +
         steps("optim.SGD([w], lr=0.2, momentum=0.3)", 8), trajectory_check("SGD"),
         hidden=True),
]
