"""The deck's XOR training loop (2-3-1, sigmoid, MSELoss, SGD lr=0.01, one sample per step).

Prints µs per training step for vibrastic and PyTorch (eager, one thread), measured side by side.
Target: vibrastic at least 4x faster.
"""

from __future__ import annotations

import argparse
import time
from types import ModuleType

from common import LIBRARIES, copy_weights, report, seed_all
from vibrastic.ml.labs.xor import xor_class


def make_xor(lib: ModuleType):
    """The deck's network, the same class the ``xor`` lab trains."""
    return xor_class(lib)()


def us_per_step(lib: ModuleType, net, epochs: int) -> float:
    inputs = [lib.tensor([s]) for s in ([0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0])]
    targets = [lib.tensor([[t]]) for t in (0.0, 1.0, 1.0, 0.0)]
    criterion = lib.nn.MSELoss()
    optimizer = lib.optim.SGD(net.parameters(), lr=0.01)
    t0 = time.perf_counter()
    for _ in range(epochs):
        for x, y in zip(inputs, targets, strict=True):
            optimizer.zero_grad()
            loss = criterion(net(x), y)
            loss.backward()
            optimizer.step()
    return (time.perf_counter() - t0) / (epochs * 4) * 1e6


def main(epochs: int = 2500, rounds: int = 3) -> float:
    seed_all(0)
    torch_net = make_xor(LIBRARIES["torch"])
    vb_net = make_xor(LIBRARIES["vibrastic"])
    copy_weights(torch_net, vb_net)
    figures: dict[str, list[float]] = {"vibrastic": [], "torch": []}
    for _ in range(rounds):  # interleave the two so machine noise hits both alike
        figures["vibrastic"].append(us_per_step(LIBRARIES["vibrastic"], vb_net, epochs))
        figures["torch"].append(us_per_step(LIBRARIES["torch"], torch_net, epochs))
    ours, theirs = min(figures["vibrastic"]), min(figures["torch"])
    print(report("xor (µs per training step)", "µs", ours, theirs))
    full = 50_000 * 4
    print(f"  the deck's 50,000 epochs: vibrastic ~{ours * full / 1e6:.1f} s, "
          f"torch ~{theirs * full / 1e6:.1f} s")
    return theirs / ours


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=2500)
    args = parser.parse_args()
    main(args.epochs)
