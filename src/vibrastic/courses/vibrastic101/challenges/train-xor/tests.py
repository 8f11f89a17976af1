"""Tests of train-xor: the grader chooses the starting weights, runs the learner's training loop
from them and recomputes the outputs from the weights itself — so the loop must do the learning
(weights set by hand, or a loop that does not follow SGD, do not pass)."""

import math

from vibrastic.platform.course.checks import Case, approx, satisfies

TARGETS = [0.0, 1.0, 1.0, 0.0]
POINTS = [(0.0, 0.0), (0.0, 1.0), (1.0, 0.0), (1.0, 1.0)]

# Start the learner's network from weights the grader draws (torch or vibrastic's engine).
START = """\
import random
net = XOR()
_lib = __import__(type(net.fc1.weight).__module__.split(".")[0])
_rng = random.Random({seed})
with _lib.no_grad():
    for _p in (net.fc1.weight, net.fc1.bias, net.fc2.weight, net.fc2.bias):
        _p.copy_(_lib.tensor([_rng.uniform(-1, 1) for _ in range(_p.numel())])
                 .reshape(tuple(_p.shape)))
def _weights(net):
    return [_p.detach().tolist() for _p in (net.fc1.weight, net.fc1.bias, net.fc2.weight,
                                            net.fc2.bias)]
"""
AFTER = START + "losses = train(net, {epochs})\n_weights(net)\n"
LEARNED = START + """losses = train(net, 2000)
losses = [float(v) for v in losses] if isinstance(losses, (list, tuple)) else []
[len(losses), losses[0] if losses else None, losses[-1] if losses else None, _weights(net)]
"""
FORWARD = START + """\
_out = net(_lib.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])).detach()
[float(v) for v in _out.reshape(-1).tolist()]
"""


def _finite(values):
    return all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
               and abs(v) < 1e6 for v in values)


def _shape_problem(weights):
    try:
        W1, b1, W2, b2 = weights
        ok = (len(W1) == 3 and all(len(r) == 2 for r in W1) and len(b1) == 3 and len(W2) == 1
              and len(W2[0]) == 3 and len(b2) == 1)
        flat = [v for row in W1 for v in row] + [*b1, *W2[0], *b2]
    except (TypeError, ValueError):
        return "expected fc1 = Linear(2, 3) and fc2 = Linear(3, 1) weights"
    if not ok:
        return "expected fc1 = Linear(2, 3) and fc2 = Linear(3, 1): weight (3, 2), bias (3,), " \
               "weight (1, 3), bias (1,)"
    if not _finite(flat):
        return "the weights are not finite numbers of a sensible size (did training diverge?)"
    return None


def _outputs(weights):
    """The 2-3-1 sigmoid network's outputs on the four XOR inputs, from plain lists of weights."""
    W1, b1, W2, b2 = weights
    outs = []
    for x in POINTS:
        hidden = [1.0 / (1.0 + math.exp(-min(60.0, max(-60.0, W1[j][0] * x[0] + W1[j][1] * x[1]
                                                        + b1[j])))) for j in range(3)]
        outs.append(sum(W2[0][j] * hidden[j] for j in range(3)) + b2[0])
    return outs


def _learned(value):
    if not (isinstance(value, list) and len(value) == 4):
        return "train(net, 2000) should return the list of 2000 losses"
    count, first, last, weights = value
    if count != 2000:
        return f"train(net, 2000) returned {count} losses, one per epoch expected"
    problem = _shape_problem(weights)
    if problem:
        return problem
    if not _finite([first, last]) or not last < first / 10:
        return f"the loss did not fall (first epoch {first!r}, last {last!r})"
    outs = _outputs(weights)
    worst = max(abs(o - t) for o, t in zip(outs, TARGETS, strict=True))
    if worst < 0.05:
        return None
    shown = ", ".join(f"{o:.3f}" for o in outs)
    return f"outputs [{shown}] for targets [0, 1, 1, 0]: largest error {worst:.3f}, needs < 0.05"


def _shape_only(weights):
    return _shape_problem(weights)


STEP = approx(1e-4, 1e-6)  # float32 on either engine

CASES = [
    Case("the network has the deck's shape: Linear(2, 3), Linear(3, 1)",
         START.format(seed=11) + "_weights(net)", satisfies(_shape_only),
         hint="Keep the deck's layers, named fc1 and fc2."),
    Case("the network's forward pass: a sigmoid hidden layer, a linear output",
         FORWARD.format(seed=12), approx(1e-5, 1e-6),
         hint="The hidden layer goes through a sigmoid; the output layer has no activation."),
    Case("one epoch from the grader's starting weights is one SGD step",
         AFTER.format(seed=13, epochs=1), STEP,
         hint="One epoch: clear the old gradients, compute the loss on all four inputs, "
              "backpropagate, update."),
    Case("ten epochs follow SGD with momentum 0.9", AFTER.format(seed=14, epochs=10), STEP,
         hint="Create the optimizer once, before the loop: momentum lives in it."),
    Case("training from the grader's starting weights learns XOR (error < 0.05)",
         LEARNED.format(seed=15), satisfies(_learned), points=3,
         hint="Check that your losses go down epoch after epoch, and return them."),
    Case("one SGD step from other starting weights", AFTER.format(seed=21, epochs=1), STEP,
         hidden=True),
    Case("learns XOR from other starting weights", LEARNED.format(seed=22), satisfies(_learned),
         hidden=True, points=2),
]
