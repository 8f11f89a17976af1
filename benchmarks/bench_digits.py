"""An MLP 64-128-10 on scikit-learn's digits, minibatch 32, 10 epochs, on both libraries.

Prints seconds per epoch and final test accuracy for vibrastic and PyTorch (one thread), from
the same initial weights and batch order. Target: at least as fast, accuracy within 1 point.
"""

from __future__ import annotations

import argparse
import time
from types import ModuleType

import numpy as np

from common import LIBRARIES, copy_weights, report, seed_all
from vibrastic.ml import data


def make_mlp(lib: ModuleType):
    nn = lib.nn
    return nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))


def train(lib: ModuleType, net, epochs: int, batch: int, seed: int) -> tuple[float, float]:
    """Return (seconds per epoch, test accuracy)."""
    x_train, x_test, y_train, y_test = data.digits(seed=0)
    xs, ys = lib.tensor(x_train), lib.tensor(y_train)
    criterion = lib.nn.CrossEntropyLoss()
    optimizer = lib.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    order_rng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    for _ in range(epochs):
        order = order_rng.permutation(len(x_train))
        for start in range(0, len(order), batch):
            idx = lib.tensor(order[start : start + batch])
            optimizer.zero_grad()
            loss = criterion(net(xs[idx]), ys[idx])
            loss.backward()
            optimizer.step()
    per_epoch = (time.perf_counter() - t0) / epochs
    with lib.no_grad():
        predicted = net(lib.tensor(x_test)).argmax(dim=1).numpy()
    return per_epoch, float((predicted == y_test).mean())


def main(epochs: int = 10, batch: int = 32, rounds: int = 2) -> float:
    seed_all(0)
    results: dict[str, list[tuple[float, float]]] = {"vibrastic": [], "torch": []}
    for r in range(rounds):
        torch_net = make_mlp(LIBRARIES["torch"])
        vb_net = make_mlp(LIBRARIES["vibrastic"])
        copy_weights(torch_net, vb_net)
        results["vibrastic"].append(train(LIBRARIES["vibrastic"], vb_net, epochs, batch, r))
        results["torch"].append(train(LIBRARIES["torch"], torch_net, epochs, batch, r))
    ours = min(t for t, _ in results["vibrastic"])
    theirs = min(t for t, _ in results["torch"])
    print(report("digits MLP 64-128-10 (s per epoch)", "s", ours, theirs))
    acc_vb = results["vibrastic"][-1][1]
    acc_torch = results["torch"][-1][1]
    print(f"  test accuracy after {epochs} epochs: vibrastic {acc_vb:.2%}, torch {acc_torch:.2%} "
          f"(difference {abs(acc_vb - acc_torch) * 100:.2f} points)")
    return theirs / ours


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=10)
    args = parser.parse_args()
    main(args.epochs)
