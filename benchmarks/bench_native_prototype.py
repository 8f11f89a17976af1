"""What a native backend for vb.compile would give on the digits step: a measured prototype.

Not part of vibrastic (the engine is NumPy only) and not in ``make bench``: it backs issue 16's
open decision with numbers. The digits step (64-128-10, batch 32, SGD momentum 0.9) is written
the way an Inductor-style backend would generate it: the products stay ``ndarray.dot``; the
elementwise chains become five small C functions (bias+ReLU, bias+softmax cross-entropy forward
and backward, column sums, ReLU backward with the bias gradient, SGD-momentum over the flat
parameters), compiled with the system's C compiler and called through ctypes. It is not equal
to eager's bits (libm's expf/logf, another summation order). Printed side by side in one
process: microseconds per step (best of interleaved stretches) for vb.compile, JAX jit (when
installed) and the prototype, and the prototype's test accuracy after 30 epochs.

    python benchmarks/bench_native_prototype.py      (needs gcc or cc)
"""

from __future__ import annotations

import ctypes
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
import bench_compile as bc

KERNELS = r"""
#include <math.h>
#include <string.h>
void bias_relu(float *h, const float *b, int B, int H) {
  for (int i = 0; i < B; i++) { float *r = h + (long)i * H;
    for (int j = 0; j < H; j++) { float v = r[j] + b[j]; r[j] = v > 0.f ? v : 0.f; } }
}
float bias_ce(float *z, const float *b, const long *y, int B, int C, float *g) {
  double total = 0.0;
  for (int i = 0; i < B; i++) { float *r = z + (long)i * C, *gr = g + (long)i * C;
    float m = -INFINITY;
    for (int j = 0; j < C; j++) { r[j] += b[j]; if (r[j] > m) m = r[j]; }
    float s = 0.f;
    for (int j = 0; j < C; j++) { gr[j] = expf(r[j] - m); s += gr[j]; }
    float inv = 1.f / (s * B);
    for (int j = 0; j < C; j++) gr[j] *= inv;
    gr[y[i]] -= 1.f / B;
    total += (double)(logf(s) + m - r[y[i]]);
  }
  return (float)(total / B);
}
void colsum(const float *g, int B, int C, float *out) {
  memset(out, 0, sizeof(float) * C);
  for (int i = 0; i < B; i++) for (int j = 0; j < C; j++) out[j] += g[(long)i * C + j];
}
void relu_back_colsum(float *ga, const float *h, int B, int H, float *gb) {
  memset(gb, 0, sizeof(float) * H);
  for (int i = 0; i < B; i++) { float *r = ga + (long)i * H; const float *hr = h + (long)i * H;
    for (int j = 0; j < H; j++) { float v = hr[j] > 0.f ? r[j] : 0.f; r[j] = v; gb[j] += v; } }
}
void sgd_momentum(float *p, const float *g, float *buf, long n, float lr, float mom) {
  for (long i = 0; i < n; i++) { float v = buf[i] * mom + g[i]; buf[i] = v; p[i] -= lr * v; }
}
"""
KEYS = ("0.weight", "0.bias", "2.weight", "2.bias")


class NativeDigits:
    """The digits step with its elementwise work in C; parameters, gradients and momentum in
    three flat float32 arrays (views per layer)."""

    def __init__(self, lib: Any, batch: int = 32) -> None:
        init = bc.digits_init()
        self.flat = np.concatenate([init[k].ravel() for k in KEYS]).astype(np.float32)
        self.grads, self.momentum = np.zeros_like(self.flat), np.zeros_like(self.flat)
        ends = np.cumsum([0] + [init[k].size for k in KEYS])
        views = [[a[ends[i]:ends[i + 1]].reshape(init[k].shape) for i, k in enumerate(KEYS)]
                 for a in (self.flat, self.grads)]
        (self.w1, self.b1, self.w2, self.b2), (self.gw1, self.gb1, self.gw2, self.gb2) = views
        self.w1t = np.empty((64, 128), np.float32)
        self.h, self.z = np.empty((batch, 128), np.float32), np.empty((batch, 10), np.float32)
        self.g, self.ga = np.empty((batch, 10), np.float32), np.empty((batch, 128), np.float32)
        self.lib, self.batch = lib, batch
        # the buffers never move: their addresses are taken once, as generated code would
        self.ptr = {name: getattr(self, name).ctypes.data
                    for name in ("h", "b1", "z", "b2", "g", "gb2", "ga", "gb1", "flat", "grads",
                                 "momentum")}

    def step(self, x: np.ndarray, y: np.ndarray) -> float:
        lib, n, ptr = self.lib, self.batch, self.ptr
        np.copyto(self.w1t, self.w1.T)
        x.dot(self.w1t, self.h)
        lib.bias_relu(ptr["h"], ptr["b1"], n, 128)
        self.h.dot(self.w2.T, self.z)
        loss = lib.bias_ce(ptr["z"], ptr["b2"], y.ctypes.data, n, 10, ptr["g"])
        self.g.T.dot(self.h, self.gw2)
        lib.colsum(ptr["g"], n, 10, ptr["gb2"])
        self.g.dot(self.w2, self.ga)
        lib.relu_back_colsum(ptr["ga"], ptr["h"], n, 128, ptr["gb1"])
        self.ga.T.dot(x, self.gw1)
        lib.sgd_momentum(ptr["flat"], ptr["grads"], ptr["momentum"], self.flat.size, 0.05, 0.9)
        return loss

    def accuracy(self, x: np.ndarray, y: np.ndarray) -> float:
        hidden = np.maximum(x.astype(np.float32) @ self.w1.T + self.b1, 0)
        return float(((hidden @ self.w2.T + self.b2).argmax(1) == y).mean())


def build(folder: Path) -> Any:
    compiler = shutil.which("gcc") or shutil.which("cc")
    if compiler is None:
        return None
    (folder / "k.c").write_text(KERNELS)
    subprocess.run([compiler, "-O3", "-march=native", "-shared", "-fPIC", "-o",
                    str(folder / "k.so"), str(folder / "k.c")], check=True)
    lib = ctypes.CDLL(str(folder / "k.so"))
    p, i, n, f = ctypes.c_void_p, ctypes.c_int, ctypes.c_long, ctypes.c_float
    lib.bias_relu.argtypes = [p, p, i, i]
    lib.bias_ce.argtypes, lib.bias_ce.restype = [p, p, p, i, i, p], f
    lib.colsum.argtypes = [p, i, i, p]
    lib.relu_back_colsum.argtypes = [p, p, i, i, p]
    lib.sgd_momentum.argtypes = [p, p, p, n, f, f]
    return lib


def main(rounds: int = 30, steps: int = 300) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        lib = build(Path(tmp))
        if lib is None:
            print("the native prototype needs a C compiler (gcc or cc); none found")
            return
        data = bc.digits_data()
        x_train, x_test, y_train, y_test = data
        ours = bc.DigitsRun("vibrastic", True, data, 2)
        ours.epoch()  # traced
        xb, yb = ours.batches[1][0]
        x, y = np.ascontiguousarray(xb._data), np.ascontiguousarray(yb._data)
        native = NativeDigits(lib)
        runs: dict[str, Any] = {"vb.compile": lambda: ours.step(xb, yb),
                                "native prototype": lambda: native.step(x, y)}
        if bc.jax_or_none() is not None:
            theirs = bc.DigitsRun("jax", False, data, 2)
            theirs.epoch()
            jx, jy = theirs.batches[1][0]
            state = [theirs.params, theirs.momentum]

            def jax_steps(k: int) -> None:  # its own tight loop, as a JAX user writes it
                params, momentum, value = state[0], state[1], None
                for _ in range(k):
                    params, momentum, value = theirs.step(params, momentum, jx, jy)
                value.block_until_ready()
                state[:] = [params, momentum]

            runs["JAX jit"] = jax_steps
        best = dict.fromkeys(runs, float("inf"))
        for _ in range(rounds):
            for name, run in runs.items():
                t0 = time.perf_counter()
                if name == "JAX jit":
                    run(steps)
                else:
                    for _ in range(steps):
                        run()
                best[name] = min(best[name], (time.perf_counter() - t0) / steps)
        print(f"digits step, µs (best of {rounds} interleaved stretches of {steps}; "
              f"{bc.load()}):")
        for name, seconds in best.items():
            print(f"  {name:18s} {seconds * 1e6:7.1f} µs")
        if "JAX jit" in best:
            print(f"  the prototype is {best['JAX jit'] / best['native prototype']:.2f}x JAX jit's "
                  f"speed; vb.compile {best['JAX jit'] / best['vb.compile']:.2f}x")
        trained = NativeDigits(lib)
        order = np.random.default_rng(1)
        for _ in range(30):
            o = order.permutation(len(x_train))
            for s in range(0, len(o) - 31, 32):
                idx = o[s:s + 32]
                trained.step(np.ascontiguousarray(x_train[idx], np.float32),
                             np.ascontiguousarray(y_train[idx]))
        print(f"  the prototype's test accuracy after 30 epochs: "
              f"{trained.accuracy(x_test, y_test):.2%}")


if __name__ == "__main__":
    main()
