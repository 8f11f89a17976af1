"""Start-up of the CLI: import time of `vibrastic --help`, `challenge list` and `lab list`.

Each command runs in a fresh interpreter under ``python -X importtime`` several times; the figure
is the median of the summed per-module import times (and of the whole process's wall time), shown
next to two peers measured in the same run: a bare interpreter and ``import vibrastic`` (the
engine, which every command pays). It also lists which heavy libraries each command pulls in; the
target is none of them for ``--help`` and ``lab list``.

    python benchmarks/bench_imports.py [--runs 5] [--src path/to/another/checkout/src]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
HEAVY = ("sqlalchemy", "matplotlib", "sklearn", "scipy", "torch", "jupytext", "nbformat",
         "nbclient", "watchfiles")
COMMANDS: dict[str, list[str]] = {
    "python -c pass (peer)": ["-c", "pass"],
    "import vibrastic (peer)": ["-c", "import vibrastic"],
    "vibrastic --help": ["-m", "vibrastic", "--help"],
    "vibrastic challenge list": ["-m", "vibrastic", "challenge", "list"],
    "vibrastic lab list": ["-m", "vibrastic", "lab", "list"],
}


@dataclass
class Measured:
    import_ms: float  # median over runs of the summed "self" times in -X importtime's report
    wall_ms: float  # median wall time of the whole process
    heavy: tuple[str, ...]  # heavy top-level packages imported (the same in every run)


def parse_importtime(stderr: str) -> tuple[float, set[str]]:
    """Total import time in ms and the top-level package names from ``-X importtime``'s lines
    (``import time: self [us] | cumulative | name``)."""
    total_us, names = 0, set()
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, _cumulative, name = line[len("import time:"):].split("|")
        total_us += int(self_us)
        names.add(name.strip().split(".")[0])
    return total_us / 1000, names


def measure(args: list[str], src: Path, runs: int, home: str) -> Measured:
    env = dict(os.environ, PYTHONPATH=str(src), VIBRASTIC_HOME=home, COLUMNS="100",
               PYTHONDONTWRITEBYTECODE="1")
    imports, walls, heavy = [], [], set()
    for _ in range(runs):
        t0 = time.perf_counter()
        done = subprocess.run([sys.executable, "-X", "importtime", *args], env=env,
                              capture_output=True, text=True, cwd=home)
        walls.append((time.perf_counter() - t0) * 1000)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} exited {done.returncode}: {done.stderr[-1500:]}")
        total, names = parse_importtime(done.stderr)
        imports.append(total)
        heavy |= names & set(HEAVY)
    return Measured(statistics.median(imports), statistics.median(walls),
                    tuple(h for h in HEAVY if h in heavy))


def main(argv: list[str] | None = None) -> dict[str, Measured]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per command (median)")
    parser.add_argument("--src", type=Path, default=SRC, help="the src/ folder to measure")
    options = parser.parse_args(argv if argv is not None else [])
    with tempfile.TemporaryDirectory() as home:
        # one unmeasured run of each first, so every command finds compiled bytecode on disk
        for args in COMMANDS.values():
            measure(args, options.src, 1, home)
        results = {name: measure(args, options.src, options.runs, home)
                   for name, args in COMMANDS.items()}
    engine = results["import vibrastic (peer)"].import_ms
    print(f"start-up of {options.src} (median of {options.runs} runs, python -X importtime)")
    print(f"{'command':<28}{'imports ms':>11}{'x engine':>9}{'wall ms':>9}  heavy libraries")
    for name, m in results.items():
        print(f"{name:<28}{m.import_ms:>11.0f}{m.import_ms / engine:>9.2f}{m.wall_ms:>9.0f}  "
              f"{', '.join(m.heavy) or '-'}")
    for name in ("vibrastic --help", "vibrastic lab list"):
        bad = set(results[name].heavy) & {"sqlalchemy", "matplotlib", "sklearn", "scipy", "torch"}
        print(f"  target for {name}: none of sqlalchemy/matplotlib/sklearn/scipy/torch -> "
              f"{'met' if not bad else 'NOT met (' + ', '.join(sorted(bad)) + ')'}")
    return results


if __name__ == "__main__":
    main(sys.argv[1:])
