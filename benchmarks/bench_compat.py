"""The compatibility corpus (tests/engine/compat/programs) timed under PyTorch and under vibrastic.

Each program runs with only its import swapped (the tests' shim), both engines interleaved, best
of ``rounds``; a program that fails or prints different numbers under vibrastic is listed as such.
Prints one line per program (vibrastic ms, torch ms, torch/vibrastic) and the geometric mean.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
from pathlib import Path

import common  # noqa: F401  (pins torch to one thread)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "engine" / "compat"))

import shim


def time_program(program: Path, rounds: int, workdir: Path) -> tuple[float, float, str]:
    """Best-of-rounds seconds under vibrastic and torch, and 'same' / 'differs' / an error."""
    best = {"vibrastic": math.inf, "torch": math.inf}
    verdict = "same"
    for r in range(rounds):
        runs = {}
        for engine in ("torch", "vibrastic"):
            try:
                runs[engine] = shim.run(program, engine, workdir / f"{engine}{r}")
            except Exception as exc:  # a failing program is a finding, not a crash
                return math.nan, best["torch"], f"{engine} fails: {type(exc).__name__}: {exc}"
            best[engine] = min(best[engine], runs[engine].seconds)
        if shim.compare(runs["torch"].output, runs["vibrastic"].output,
                        *shim.tolerances(program)):
            verdict = "differs"
    return best["vibrastic"], best["torch"], verdict


def main(rounds: int = 3) -> float:
    ratios = []
    with tempfile.TemporaryDirectory() as tmp:
        shim.run(shim.programs()[0], "torch", Path(tmp) / "warm")  # torch's first-call set-up
        print(f"{'program':42s} {'vibrastic':>10s} {'torch':>10s} {'torch/vb':>9s}")
        for program in shim.programs():
            ours, theirs, verdict = time_program(program, rounds, Path(tmp) / program.stem)
            if verdict != "same" and not verdict.startswith("differs"):
                print(f"{program.stem:42s} {verdict[:70]}")
                continue
            ratio = theirs / ours
            ratios.append(ratio)
            note = "" if verdict == "same" else "  (prints different numbers)"
            print(f"{program.stem:42s} {ours * 1e3:8.1f}ms {theirs * 1e3:8.1f}ms "
                  f"{ratio:8.2f}x{note}")
    geo = math.exp(sum(map(math.log, ratios)) / len(ratios)) if ratios else math.nan
    print(f"{len(ratios)}/{len(shim.programs())} programs run; geometric mean torch/vibrastic "
          f"time {geo:.2f}x ({'vibrastic faster' if geo >= 1 else 'torch faster'})")
    return geo


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    main(parser.parse_args().rounds)
