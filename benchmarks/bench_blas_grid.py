"""BLAS threads that never hurt: the MLP 64→h→10 grid, eager, at 1 and 2 threads, vs PyTorch.

One training step (Linear, ReLU, Linear, cross-entropy, SGD with momentum) for
h ∈ {8, 32, 128, 512, 2048} × batch ∈ {1, 32, 256, 1024}, measured side by side in one run,
interleaved, best of the rounds:

* ``vb 1``: ``vb.set_num_threads(1)``;
* ``vb 2``: ``vb.set_num_threads(2)``: each product gets 2 threads only where measured faster;
* ``np 2``: vibrastic with the thread policy off and NumPy's BLAS on 2 threads (what the engine
  did before the policy);
* ``pt 1``, ``pt 2``: PyTorch eager with ``torch.set_num_threads(1)`` and ``(2)``.

Ratios: ``pt/vb`` > 1 means vibrastic is faster at that thread count; ``vb2/vb1`` ≤ ~1 is the
promise (two allowed threads never slower than one); ``np2/vb1`` is the slowdown the policy avoids.
"""

from __future__ import annotations

import argparse
import os
import time
from types import ModuleType

import numpy as np
import torch
from threadpoolctl import threadpool_limits

import vibrastic as vb
from common import seed_all
from vibrastic import blas

HIDDEN = (8, 32, 128, 512, 2048)
BATCHES = (1, 32, 256, 1024)
CONFIGS = ("vb 1", "vb 2", "np 2", "pt 1", "pt 2")


def make_step(lib: ModuleType, hidden: int, batch: int, seed: int):
    """A closure doing one training step of the MLP on fixed random data."""
    lib.manual_seed(seed)
    net = lib.nn.Sequential(lib.nn.Linear(64, hidden), lib.nn.ReLU(), lib.nn.Linear(hidden, 10))
    rng = np.random.default_rng(seed)
    x = lib.tensor(rng.standard_normal((batch, 64), dtype=np.float32))
    y = lib.tensor(rng.integers(0, 10, batch))
    criterion = lib.nn.CrossEntropyLoss()
    optimizer = lib.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)

    def step() -> None:
        optimizer.zero_grad()
        criterion(net(x), y).backward()
        optimizer.step()

    return step


def us_per_step(step, budget: float) -> float:
    """Best µs per step over repeats that fill ``budget`` seconds (at least 3 steps)."""
    step()  # warm-up (and the thread policy's first trials)
    best, spent = float("inf"), 0.0
    while spent < budget:
        t0 = time.perf_counter()
        step()
        dt = time.perf_counter() - t0
        best, spent = min(best, dt), spent + dt
        if spent > budget / 4 and dt > budget / 3:  # a slow configuration: 3-4 steps are enough
            break
    return best * 1e6


def measure(config: str, steps: dict[str, object], budget: float) -> float:
    lib, threads = config.split()
    n = int(threads)
    if lib == "pt":
        torch.set_num_threads(n)
        try:
            return us_per_step(steps["torch"], budget)
        finally:
            torch.set_num_threads(1)
    if lib == "np":  # the engine as it was: NumPy's BLAS threading, no per-product choice
        blas.adaptive = False
        try:
            with threadpool_limits(limits=n, user_api="blas"):
                return us_per_step(steps["vibrastic"], budget)
        finally:
            blas.adaptive = True
    vb.set_num_threads(n)
    return us_per_step(steps["vibrastic"], budget)


def main(budget: float = 0.12, rounds: int = 2) -> dict[tuple[int, int], dict[str, float]]:
    seed_all(0)
    default_threads = vb.get_num_threads()
    results: dict[tuple[int, int], dict[str, float]] = {}
    print(f"µs per training step (best of {rounds} interleaved rounds); machine load "
          f"{[round(v, 1) for v in os.getloadavg()]}, BLAS default "
          f"{default_threads} threads")
    header = "".join(f"{c:>9}" for c in CONFIGS)
    print(f"{'h':>5} {'batch':>5}{header}   pt1/vb1  pt2/vb2  vb2/vb1  np2/vb1")
    for hidden in HIDDEN:
        for batch in BATCHES:
            steps = {"vibrastic": make_step(vb, hidden, batch, 0),
                     "torch": make_step(torch, hidden, batch, 0)}
            cell = {c: float("inf") for c in CONFIGS}
            for _ in range(rounds):
                for config in CONFIGS:
                    cell[config] = min(cell[config], measure(config, steps, budget))
            results[(hidden, batch)] = cell
            r = (cell["pt 1"] / cell["vb 1"], cell["pt 2"] / cell["vb 2"],
                 cell["vb 2"] / cell["vb 1"], cell["np 2"] / cell["vb 1"])
            print(f"{hidden:5d} {batch:5d}" + "".join(f"{cell[c]:9.0f}" for c in CONFIGS)
                  + "".join(f"{v:9.2f}" for v in r), flush=True)
    vb.set_num_threads(default_threads)
    worst = max(results.items(), key=lambda kv: kv[1]["vb 2"] / kv[1]["vb 1"])
    print(f"worst vb2/vb1: {worst[1]['vb 2'] / worst[1]['vb 1']:.2f} at h={worst[0][0]}, "
          f"batch={worst[0][1]} (1.00 = two allowed threads cost nothing)")
    (h, b), slow = max(results.items(), key=lambda kv: kv[1]["np 2"] / kv[1]["vb 1"])
    print(f"without the policy, NumPy's 2 threads were up to {slow['np 2'] / slow['vb 1']:.1f}x "
          f"slower than 1 thread (h={h}, batch={b})")
    for threads in (1, 2):
        lost = [k for k, c in results.items() if c[f"pt {threads}"] < c[f"vb {threads}"]]
        print(f"PyTorch faster at {threads} thread(s) on: "
              + (", ".join(f"h={h}/b={b}" for h, b in lost) or "none of the grid"))
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--budget", type=float, default=0.12, help="seconds per measurement")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    main(args.budget, args.rounds)
