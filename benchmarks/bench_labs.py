"""`vibrastic lab run --all` end to end (the full 50,000-epoch XOR included), per backend.

Prints the wall time on the vibrastic backend (target: under 60 s on these 2-core machines) and on
the torch backend, measured one after the other in the same run, and their ratio.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import report


def wall_time(backend: str) -> float:
    with tempfile.TemporaryDirectory() as out:
        cmd = [sys.executable, "-m", "vibrastic", "lab", "run", "--all", "--backend", backend,
               "--out", str(Path(out))]
        t0 = time.perf_counter()
        done = subprocess.run(cmd, capture_output=True, text=True)
        elapsed = time.perf_counter() - t0
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {done.returncode}: {done.stderr[-2000:]}")
    return elapsed


def main() -> float:
    ours = wall_time("vibrastic")
    theirs = wall_time("torch")
    print(report("lab run --all (wall time, s)", "s", ours, theirs))
    print(f"  target: vibrastic backend under 60 s -> {'met' if ours < 60 else 'NOT met'}")
    return theirs / ours


if __name__ == "__main__":
    main()
