"""Tests of train-xor: the grader recomputes the network's outputs from its weights itself."""

import math

from vibrastic.platform.course.checks import Case, satisfies

TARGETS = [0.0, 1.0, 1.0, 0.0]
POINTS = [(0.0, 0.0), (0.0, 1.0), (1.0, 0.0), (1.0, 1.0)]

WEIGHTS = """\
net = train_xor(seed={seed})
def _plain(t):
    t = t.detach() if hasattr(t, 'detach') else t
    return t.tolist()
[_plain(p) for p in (net.fc1.weight, net.fc1.bias, net.fc2.weight, net.fc2.bias)]
"""

OWN_OUTPUTS = """\
net = train_xor(seed=0)
points = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
if type(net.fc1.weight).__module__.startswith('torch'):
    import torch
    out = net(torch.tensor(points)).detach()
else:
    import vibrastic as vb
    out = net(vb.tensor(points)).detach()
[float(v) for v in out.reshape(-1).tolist()]
"""


def _outputs(weights):
    """The 2-3-1 sigmoid network's outputs on the four XOR inputs, from plain lists of weights."""
    W1, b1, W2, b2 = weights
    outs = []
    for x in POINTS:
        hidden = [1.0 / (1.0 + math.exp(-(W1[j][0] * x[0] + W1[j][1] * x[1] + b1[j])))
                  for j in range(3)]
        outs.append(sum(W2[0][j] * hidden[j] for j in range(3)) + b2[0])
    return outs


def _shape_problem(weights):
    try:
        W1, b1, W2, b2 = weights
        ok = (len(W1) == 3 and all(len(r) == 2 for r in W1) and len(b1) == 3 and len(W2) == 1
              and len(W2[0]) == 3 and len(b2) == 1)
        flat = [v for row in W1 for v in row] + [*b1, *W2[0], *b2]
        floats = all(isinstance(v, int | float) for v in flat)
    except (TypeError, ValueError):
        return "expected fc1 = Linear(2, 3) and fc2 = Linear(3, 1) weights"
    if not ok or not floats:
        return "expected fc1 = Linear(2, 3) and fc2 = Linear(3, 1): weight (3, 2), bias (3,), " \
               "weight (1, 3), bias (1,)"
    return None


def _learned(weights):
    problem = _shape_problem(weights)
    if problem:
        return problem
    outs = _outputs(weights)
    worst = max(abs(o - t) for o, t in zip(outs, TARGETS, strict=True))
    if worst < 0.05:
        return None
    shown = ", ".join(f"{o:.3f}" for o in outs)
    return f"outputs [{shown}] for targets [0, 1, 1, 0]: largest error {worst:.3f}, needs < 0.05"


def _shape_only(weights):
    return _shape_problem(weights)


def _consistent(outs):
    if not (isinstance(outs, list) and len(outs) == 4
            and all(isinstance(v, int | float) for v in outs)):
        return "net(inputs) should give four numbers"
    worst = max(abs(o - t) for o, t in zip(outs, TARGETS, strict=True))
    if worst < 0.05:
        return None
    shown = [round(v, 3) for v in outs]
    return f"net(inputs) gave {shown}: largest error {worst:.3f}, needs < 0.05"


CASES = [
    Case("the network has the deck's shape: Linear(2, 3), Linear(3, 1)",
         WEIGHTS.format(seed=0), satisfies(_shape_only),
         hint="self.fc1 = nn.Linear(2, 3, True) and self.fc2 = nn.Linear(3, 1, True)."),
    Case("seed 0: error below 0.05 on all four inputs (recomputed from the weights)",
         WEIGHTS.format(seed=0), satisfies(_learned), points=3,
         hint="Train longer or with a larger learning rate; check that the loss goes down."),
    Case("the network's own forward agrees (sigmoid hidden layer, linear output)",
         OWN_OUTPUTS, satisfies(_consistent),
         hint="forward: torch.sigmoid(self.fc1(x)), then self.fc2 — no activation at the end."),
    Case("seed 1: error below 0.05 too", WEIGHTS.format(seed=1), satisfies(_learned),
         hidden=True, points=2,
         hint="Training must work for any seed, not only the one you tried."),
]
