"""Grading latency and throughput through the grading service (what every face uses).

1. p50/p95 latency, one submission at a time, for a plain challenge (sigma) and a torch one
   (autograd-g): submit to verdict, each in a fresh sandbox forked from a warm template.
   Targets: p50 < 0.3 s plain, < 1 s torch.
2. A burst: 200 submissions (a mix of right and wrong sigma and triangle files) from 50 simulated
   learners, all submitted at once, in-process: time to clear the backlog and the p95 wait.
   Target: cleared in < 60 s.
3. For comparison, the cold path (a template started per grading: `vibrastic challenge check`).

    .venv/bin/python benchmarks/bench_grader.py [--runs N] [--burst N] [--learners N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

from vibrastic.platform.course.challenge import get_challenge, strip_markers
from vibrastic.platform.grader.grade import Grader
from vibrastic.platform.grader.launch import isolation_mode
from vibrastic.platform.progress.service import GradingService


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def latencies(service: GradingService, name: str, runs: int) -> list[float]:
    challenge = get_challenge(name)
    source = strip_markers(challenge.reference)
    service.wait(service.submit(name, source), timeout=600)  # expected values, warm template
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        result = service.wait(service.submit(name, source), timeout=600)
        times.append(time.perf_counter() - t0)
        assert result.status == "pass", result.to_json()
    return times


def burst(service: GradingService, submissions: int, learners: int) -> tuple[float, list[float]]:
    """Submit everything at once; (seconds to clear, each job's wait from submit to verdict)."""
    sources = []
    for name in ("sigma", "triangle"):
        challenge = get_challenge(name)
        sources += [(name, strip_markers(challenge.reference)), (name, challenge.starter)]
    t0 = time.perf_counter()
    jobs = [service.submit(*sources[i % len(sources)], learner=f"learner-{i % learners}")
            for i in range(submissions)]
    for job in jobs:
        service.wait(job, timeout=600)
    cleared = time.perf_counter() - t0
    waits = []
    for job in jobs:
        status = service.status(job)
        assert status.finished_at is not None
        waits.append(status.finished_at - status.submitted_at)
    return cleared, waits


def main(runs: int = 20, submissions: int = 200, learners: int = 50) -> None:
    os.environ.setdefault("VIBRASTIC_HOME", tempfile.mkdtemp(prefix="vibrastic-bench-"))
    workers = os.cpu_count() or 1
    print(f"sandbox: {isolation_mode()}, {workers} workers (one per core), {runs} gradings each")
    t0 = time.perf_counter()
    service = GradingService(workers=workers, max_queued=submissions,
                             max_per_learner=submissions)
    print(f"{'path':14} {'challenge':12} {'p50 s':>8} {'p95 s':>8}  target")
    warm_p50: dict[str, float] = {}
    try:
        for name, target in (("sigma", 0.3), ("autograd-g", 1.0)):
            times = latencies(service, name, runs)
            p50, p95 = statistics.median(times), percentile(times, 0.95)
            warm_p50[name] = p50
            print(f"{'service (warm)':14} {name:12} {p50:8.3f} {p95:8.3f}  p50 < {target:g} s: "
                  f"{'ok' if p50 < target else 'MISSED'}")
        startup = time.perf_counter() - t0
        cleared, waits = burst(service, submissions, learners)
        print(f"burst: {submissions} submissions from {learners} learners cleared in "
              f"{cleared:.1f} s ({submissions / cleared:.1f}/s), wait p50 "
              f"{statistics.median(waits):.2f} s, p95 {percentile(waits, 0.95):.2f} s; "
              f"target < 60 s: {'ok' if cleared < 60 else 'MISSED'}")
    finally:
        service.close()
    cold = Grader(warm=False)
    for name in ("sigma", "autograd-g"):
        challenge = get_challenge(name)
        source = strip_markers(challenge.reference)
        cold.grade(challenge, source)
        times = []
        for _ in range(max(3, runs // 4)):
            t0 = time.perf_counter()
            cold.grade(challenge, source)
            times.append(time.perf_counter() - t0)
        cold_p50 = statistics.median(times)
        print(f"{'cold (CLI)':14} {name:12} {cold_p50:8.3f} {percentile(times, 0.95):8.3f}  "
              f"-> the warm service is {cold_p50 / warm_p50[name]:.1f}x faster")
    print(f"service start-up and the latency runs (templates import numpy and torch): "
          f"{startup:.1f} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--burst", type=int, default=200)
    parser.add_argument("--learners", type=int, default=50)
    args = parser.parse_args()
    main(args.runs, args.burst, args.learners)
