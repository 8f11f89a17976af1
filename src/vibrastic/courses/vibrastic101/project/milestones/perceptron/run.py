"""Milestone "perceptron": one sigmoid neuron per gate on the learner's Value and backward()."""

import time

from mygrad.value import Value

GATES = {"AND": (0, 0, 0, 1), "OR": (0, 1, 1, 1), "XOR": (0, 1, 1, 0)}
INPUTS = ((0.0, 0.0), (0.0, 1.0), (1.0, 0.0), (1.0, 1.0))


def train(gate, weights, epochs, lr):
    """Per-example gradient descent on (ŷ − y)²; returns losses per epoch and the weights."""
    w1, w2, b = (Value(v) for v in weights)
    losses = []
    for _ in range(epochs):
        total = 0.0
        for (x1, x2), target in zip(INPUTS, GATES[gate]):
            out = (w1 * x1 + w2 * x2 + b).sigmoid()
            loss = (out - target) ** 2
            for p in (w1, w2, b):
                p.grad = 0.0
            loss.backward()
            for p in (w1, w2, b):
                p.data -= lr * p.grad
            total += loss.data
        losses.append(total / len(INPUTS))
    outputs = [(w1 * x1 + w2 * x2 + b).sigmoid().data for x1, x2 in INPUTS]
    return {"losses": losses, "weights": [w1.data, w2.data, b.data], "outputs": outputs}


def run(weights, epochs=300, lr=1.0):
    started = time.perf_counter()
    result = {gate: train(gate, weights[gate], int(epochs), lr) for gate in GATES}
    result["seconds"] = time.perf_counter() - started
    return result
