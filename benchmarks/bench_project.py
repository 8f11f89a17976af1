"""The project's milestones at full settings on the reference mygrad, in the grading sandbox,
next to vibrastic and PyTorch (one thread) from the same initial weights, measured in one run.

Prints each engine's time and the ratio against mygrad (the learner's engine is a teaching
engine: it is expected to be slower than vibrastic), plus whether the milestone passed. The
deck's XOR settings (50,000 epochs, one example per step) take minutes: ``--quick`` runs 2,000.
"""

from __future__ import annotations

import argparse
import os
import tempfile

from vibrastic.platform.course.project import get_project
from vibrastic.platform.grader.grade import Grader
from vibrastic.platform.progress.project import run_milestone


def main(quick: bool = False) -> float:
    os.environ.setdefault("VIBRASTIC_HOME", tempfile.mkdtemp(prefix="bench-project-"))
    files = get_project().reference_package()
    runs = {"perceptron": {}, "digits": {},
            "xor": {"epochs": 2000, "parity_epochs": 500} if quick else {"parity_epochs": 2000}}
    slowest = 0.0
    with Grader() as grader:
        for name, options in runs.items():
            outcome = run_milestone(name, files=files, options=options, grader=grader,
                                    require_passed=False, record=False)
            print(f"{name}: {outcome.result.status} ({outcome.result.summary})")
            for row in outcome.rows:
                print("   " + ", ".join(f"{k}: {v:.4g}" if isinstance(v, float) else f"{k}: {v}"
                                        for k, v in row.items()))
            key = next((k for k in outcome.rows[0] if k.startswith(("s per", "seconds"))), None)
            if key:
                mine = outcome.rows[0][key]
                for row in outcome.rows[1:]:
                    ratio = row[key] / mine
                    slowest = max(slowest, 1 / ratio)
                    print(f"   {row['engine']} / mygrad time ({key}): {ratio:.2f}")
    return slowest


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    main(parser.parse_args().quick)
