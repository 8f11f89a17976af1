"""`make bench`: every benchmark, each printing vibrastic's figure, its peer's, and the ratio."""

from __future__ import annotations

import importlib
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

BENCHMARKS = ("bench_imports", "bench_xor", "bench_digits", "bench_compile", "bench_blas_grid",
              "bench_labs", "bench_grader", "bench_web", "bench_classroom", "bench_project",
              "bench_compat")


def main() -> int:
    failures = 0
    for name in BENCHMARKS:
        if not (Path(__file__).parent / f"{name}.py").exists():
            continue
        print(f"== {name} ==", flush=True)
        t0 = time.perf_counter()
        try:
            importlib.import_module(name).main()
        except Exception as exc:  # a broken benchmark must not hide the others' figures
            failures += 1
            print(f"{name} failed: {type(exc).__name__}: {exc}")
        print(f"({time.perf_counter() - t0:.1f} s)\n", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
