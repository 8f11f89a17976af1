"""Grading latency: p50 and p95 for a plain challenge (sigma) and a torch one (autograd-g),
on the cold path (a fresh sandbox per submission) and the warm path (one sandbox with numpy and
torch imported, a fresh forked observer per submission).
Targets: warm p50 < 0.3 s plain, < 1 s torch.

    .venv/bin/python benchmarks/bench_grader.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

from vibrastic.platform.course.challenge import get_challenge
from vibrastic.platform.grader.grade import Grader
from vibrastic.platform.grader.launch import isolation_mode


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def measure(grader: Grader, name: str, runs: int) -> list[float]:
    challenge = get_challenge(name)
    grader.expected(challenge)  # computed once per challenge version, cached: not part of a grade
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        result = grader.grade(challenge, challenge.reference)
        times.append(time.perf_counter() - t0)
        assert result.status == "pass", result.to_json()
    return times


def main(runs: int = 10) -> None:
    os.environ.setdefault("VIBRASTIC_HOME", tempfile.mkdtemp(prefix="vibrastic-bench-"))
    print(f"sandbox: {isolation_mode()}, {runs} gradings each")
    print(f"{'path':6} {'challenge':12} {'p50 s':>8} {'p95 s':>8}  target (warm p50)")
    cold = Grader(warm=False)
    t0 = time.perf_counter()
    warm = Grader(warm=True)
    warm.start()
    startup = time.perf_counter() - t0
    try:
        for name, target in (("sigma", 0.3), ("autograd-g", 1.0)):
            for label, grader in (("cold", cold), ("warm", warm)):
                times = measure(grader, name, runs if label == "warm" else max(3, runs // 2))
                p50, p95 = statistics.median(times), percentile(times, 0.95)
                verdict = ""
                if label == "warm":
                    verdict = f"< {target:g} s: {'ok' if p50 < target else 'MISSED'}"
                print(f"{label:6} {name:12} {p50:8.3f} {p95:8.3f}  {verdict}")
    finally:
        warm.close()
    print(f"warm sandbox start-up (numpy + torch imported once): {startup:.2f} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    main(parser.parse_args().runs)
