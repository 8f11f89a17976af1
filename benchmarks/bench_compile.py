"""vb.compile side by side with vibrastic eager, PyTorch eager and JAX ``jit`` (when installed).

* the deck's XOR step (2-3-1, sigmoid, MSELoss, SGD lr=0.01, one sample per step): µs per step,
  the quickest of interleaved stretches (and their median); targets: vb.compile faster than JAX
  jit and > 15x PyTorch;
* the deck's full 50,000-epoch XOR run (200,000 steps) with vb.compile, three times: seconds
  (target < 4 s);
* the digits MLP (64-128-10, batch 32, SGD momentum 0.9): ms per epoch, the quickest of the
  epochs, each library's epochs interleaved with the others', and test accuracy after the same
  epochs from the same initial weights and batch order (target: at least JAX jit's speed);
* a grid MLP 64->h->10 x batch: µs per step, eager and compiled vs PyTorch (one thread);
* the digits-sized step with each optimizer vb.compile replays (SGD momentum, Adam, AdamW,
  RMSprop, Adagrad): µs per step, eager and compiled vs PyTorch;
* peak memory (RSS above the data-loaded baseline) of training the digits MLP.

Everything runs in one process except the memory figures (one fresh process each). JAX runs on
the CPU with one thread; every library here uses one thread. The machines are shared: each figure
is printed with the 1-minute load average when it was taken, and quickest-of figures are the ones
least disturbed by other processes.
"""

from __future__ import annotations

import argparse
import functools
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

os.environ.setdefault("JAX_PLATFORMS", "cpu")
os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false "
                                   "intra_op_parallelism_threads=1")

import numpy as np

import vibrastic as vb
from common import LIBRARIES
from vibrastic.ml.labs.xor import XOR_TABLE, initial_weights, xor_class

torch = LIBRARIES["torch"]


def jax_or_none() -> Any:
    try:
        import jax
    except ImportError:
        return None
    return jax


# ---- the deck's XOR ----


def vb_xor_step(backend: str | None, net: Any = None) -> Callable[..., Any]:
    net = net if net is not None else xor_class(vb)()
    net.load_state_dict({k: vb.tensor(v) for k, v in initial_weights(0).items()})
    criterion, opt = vb.nn.MSELoss(), vb.optim.SGD(net.parameters(), lr=0.01)

    def train_step(x: Any, y: Any) -> Any:
        opt.zero_grad()
        loss = criterion(net(x), y)
        loss.backward()
        opt.step()
        return loss

    return train_step if backend is None else vb.compile(train_step, backend=backend)


def torch_xor_step() -> Callable[..., Any]:
    net = xor_class(torch)()
    net.load_state_dict({k: torch.tensor(v) for k, v in initial_weights(0).items()})
    criterion, opt = torch.nn.MSELoss(), torch.optim.SGD(net.parameters(), lr=0.01)

    def train_step(x: Any, y: Any) -> Any:
        opt.zero_grad()
        loss = criterion(net(x), y)
        loss.backward()
        opt.step()
        return loss

    return train_step


def jax_xor_step(jax: Any) -> Callable[..., Any]:
    jnp = jax.numpy
    params = {k: jnp.asarray(v) for k, v in initial_weights(0).items()}

    def loss(p: Any, x: Any, y: Any) -> Any:
        h = jax.nn.sigmoid(x @ p["fc1.weight"].T + p["fc1.bias"])
        return jnp.mean((h @ p["fc2.weight"].T + p["fc2.bias"] - y) ** 2)

    @jax.jit
    def step(p: Any, x: Any, y: Any) -> Any:
        value, grads = jax.value_and_grad(loss)(p, x, y)
        return jax.tree_util.tree_map(lambda w, g: w - 0.01 * g, p, grads), value

    state = [params]

    def train_step(x: Any, y: Any) -> Any:
        state[0], value = step(state[0], x, y)
        return value

    return train_step


def xor_data(lib: Any) -> list[tuple[Any, Any]]:
    if lib == "jax":
        jnp = jax_or_none().numpy
        return [(jnp.asarray([[a, b]], jnp.float32), jnp.asarray([[t]], jnp.float32))
                for a, b, t in XOR_TABLE]
    module = vb if lib == "vibrastic" else torch
    return [(module.tensor([[a, b]]), module.tensor([[t]])) for a, b, t in XOR_TABLE]


def time_steps(step: Callable[..., Any], data: list[tuple[Any, Any]], n: int) -> float:
    """µs per step over n steps (a warm-up epoch first: traces and jit compiles)."""
    for x, y in data * 3:
        step(x, y)
    last = None
    t0 = time.perf_counter()
    for _ in range(n // len(data)):
        for x, y in data:
            last = step(x, y)
    if hasattr(last, "block_until_ready"):
        last.block_until_ready()
    return (time.perf_counter() - t0) / n * 1e6


def load() -> str:
    """The 1-minute load average, to print beside every figure."""
    return f"load {os.getloadavg()[0]:.1f}"


def bench_xor(steps: int, rounds: int) -> dict[str, float]:
    jax = jax_or_none()
    candidates: dict[str, tuple[Callable[..., Any], Any]] = {
        "vibrastic eager": (vb_xor_step(None), xor_data("vibrastic")),
        "vb.compile": (vb_xor_step("auto"), xor_data("vibrastic")),
        "vb.compile numpy": (vb_xor_step("numpy"), xor_data("vibrastic")),
        "PyTorch eager": (torch_xor_step(), xor_data("torch")),
    }
    if jax is not None:
        candidates["JAX jit"] = (jax_xor_step(jax), xor_data("jax"))
    figures: dict[str, list[float]] = {name: [] for name in candidates}
    for _ in range(rounds):  # interleaved, so that machine noise hits every library alike
        for name, (step, data) in candidates.items():
            slow = name in ("vibrastic eager", "PyTorch eager")
            figures[name].append(time_steps(step, data, steps // 4 if slow else steps))
    result = {name: min(v) for name, v in figures.items()}
    backend = candidates["vb.compile"][0].entries[0].program.backend
    print(f"XOR step (µs per step, quickest and median of {rounds} interleaved stretches; "
          f"{load()}):")
    for name, value in result.items():
        label = f"{name} ({backend} backend)" if name == "vb.compile" else name
        print(f"  {label:32s} {value:8.1f} µs (median {statistics.median(figures[name]):7.1f})"
              f"   {result['PyTorch eager'] / value:6.1f}x PyTorch eager")
    ours = result["vb.compile"]
    print(f"  vb.compile is {result['vibrastic eager'] / ours:.1f}x vibrastic eager, "
          f"{result['PyTorch eager'] / ours:.1f}x PyTorch eager (target > 15x)")
    if "JAX jit" in result:
        print(f"  vb.compile is {result['JAX jit'] / ours:.2f}x JAX jit's speed "
              "(target > 1)")
    else:
        print("  JAX is not installed (pip install 'vibrastic[bench]' to compare)")
    return result


def deck_xor_run(epochs: int = 50_000, runs: int = 3) -> float:
    """The deck's whole run: 50,000 epochs over the four samples, compiled step (each run
    from the same initial weights, tracing included)."""
    times = []
    for _ in range(runs):
        net = xor_class(vb)()
        step = vb_xor_step("auto", net)
        data = xor_data("vibrastic")
        t0 = time.perf_counter()
        for _ in range(epochs):
            for x, y in data:
                step(x, y)
        times.append(time.perf_counter() - t0)
        with vb.no_grad():
            worst = max(abs(net(x).item() - y.item()) for x, y in data)
        print(f"the deck's {epochs:,} epochs ({epochs * 4:,} steps) with vb.compile: "
              f"{times[-1]:.2f} s (target < 4 s; {load()}); largest error afterwards "
              f"{worst:.4f}")
    return min(times)


# ---- the digits MLP ----


def digits_data() -> tuple[np.ndarray, ...]:
    from vibrastic.ml import data

    return data.digits(seed=0)


def digits_init(seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    b1, b2 = 1 / np.sqrt(64), 1 / np.sqrt(128)
    return {"0.weight": rng.uniform(-b1, b1, (128, 64)), "0.bias": rng.uniform(-b1, b1, 128),
            "2.weight": rng.uniform(-b2, b2, (10, 128)), "2.bias": rng.uniform(-b2, b2, 10)}


class DigitsRun:
    """One library training the digits MLP epoch by epoch (same initial weights and batch order
    for every library); ``epoch()`` returns its seconds, ``accuracy()`` the test accuracy."""

    def __init__(self, lib: str, compiled: bool, data: Any, epochs: int, batch: int = 32,
                 init: dict[str, np.ndarray] | None = None) -> None:
        x_train, self.x_test, y_train, self.y_test = data
        init = {k: v.astype(np.float32) for k, v in (init or digits_init()).items()}
        order_rng = np.random.default_rng(1)
        orders = [order_rng.permutation(len(x_train)) for _ in range(epochs)]
        self.lib, self.done = lib, 0
        if lib == "jax":
            self._jax_setup(init, orders, x_train, y_train, batch)
            return
        module = self.module = vb if lib == "vibrastic" else torch
        nn = module.nn
        net = self.net = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
        net.load_state_dict({k: module.tensor(v) for k, v in init.items()})
        opt = module.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
        criterion = nn.CrossEntropyLoss()

        def train_step(xb: Any, yb: Any) -> Any:
            opt.zero_grad()
            loss = criterion(net(xb), yb)
            loss.backward()
            opt.step()
            return loss

        self.step = vb.compile(train_step) if compiled else train_step
        xs, ys = module.tensor(x_train), module.tensor(y_train)
        self.batches = [[(xs[module.tensor(o[s:s + batch])], ys[module.tensor(o[s:s + batch])])
                         for s in range(0, len(o), batch)] for o in orders]

    def _jax_setup(self, init: dict[str, np.ndarray], orders: list, x_train: np.ndarray,
                   y_train: np.ndarray, batch: int) -> None:
        jax = jax_or_none()
        jnp = jax.numpy
        self.params = {k: jnp.asarray(v) for k, v in init.items()}
        self.momentum = jax.tree_util.tree_map(jnp.zeros_like, self.params)

        def forward(p: Any, x: Any) -> Any:
            h = jax.nn.relu(x @ p["0.weight"].T + p["0.bias"])
            return h @ p["2.weight"].T + p["2.bias"]

        def loss(p: Any, x: Any, y: Any) -> Any:
            logits = forward(p, x)
            picked = jnp.take_along_axis(logits, y[:, None], axis=1)[:, 0]
            return jnp.mean(jax.nn.logsumexp(logits, axis=1) - picked)

        @jax.jit
        def step(p: Any, m: Any, x: Any, y: Any) -> Any:
            value, grads = jax.value_and_grad(loss)(p, x, y)
            m = jax.tree_util.tree_map(lambda b, g: 0.9 * b + g, m, grads)  # torch: b1 = g1
            return jax.tree_util.tree_map(lambda w, b: w - 0.05 * b, p, m), m, value

        self.forward, self.step = jax.jit(forward), step
        self.batches = [[(jnp.asarray(x_train[o[s:s + batch]]),
                          jnp.asarray(y_train[o[s:s + batch]]))
                         for s in range(0, len(o), batch)] for o in orders]

    def epoch(self) -> float:
        batches = self.batches[self.done]
        self.done += 1
        if self.lib == "jax":
            params, momentum, value = self.params, self.momentum, None
            t0 = time.perf_counter()
            for xb, yb in batches:
                params, momentum, value = self.step(params, momentum, xb, yb)
            value.block_until_ready()
            seconds = time.perf_counter() - t0
            self.params, self.momentum = params, momentum
            return seconds
        step = self.step
        t0 = time.perf_counter()
        for xb, yb in batches:
            step(xb, yb)
        return time.perf_counter() - t0

    def accuracy(self) -> float:
        if self.lib == "jax":
            predicted = np.asarray(self.forward(self.params, self.x_test).argmax(axis=1))
        else:
            with self.module.no_grad():
                out = self.net(self.module.tensor(self.x_test))
            predicted = out.argmax(dim=1).numpy()
        return float((predicted == self.y_test).mean())


def bench_digits(epochs: int, pair: bool = False) -> dict[str, tuple[float, float]]:
    """ms per epoch (the quickest epoch after the first, each library's epochs interleaved with
    the others') and test accuracy after the same epochs. ``pair``: vb.compile and JAX only
    (no slow neighbours whose epochs disturb the next library's)."""
    data = digits_data()
    runs = {"vibrastic eager": ("vibrastic", False), "vb.compile": ("vibrastic", True),
            "PyTorch eager": ("torch", False)}
    if jax_or_none() is not None:
        runs["JAX jit"] = ("jax", False)
    if pair:
        if "JAX jit" not in runs:
            print("JAX is not installed (pip install 'vibrastic[bench]' to compare)")
            return {}
        runs = {k: runs[k] for k in ("vb.compile", "JAX jit")}
    trainers = {name: DigitsRun(lib, compiled, data, epochs) for name, (lib, compiled)
                in runs.items()}
    times: dict[str, list[float]] = {name: [] for name in runs}
    loads = []
    names = list(trainers)
    for epoch in range(epochs):  # the order turns each epoch: PyTorch's idle threads spin on
        for name in names[epoch % len(names):] + names[:epoch % len(names)]:  # for a while,
            seconds = trainers[name].epoch()  # slowing whatever runs right after it
            if epoch:  # the first epoch warms up (traces, momentum buffers, jit): not counted
                times[name].append(seconds)
        loads.append(os.getloadavg()[0])
    result = {name: (min(times[name]), trainers[name].accuracy()) for name in runs}
    print(f"digits MLP 64-128-10, batch 32, {epochs} epochs (ms per epoch: the quickest and the "
          f"median of {epochs - 1}, interleaved; load {min(loads):.1f}-{max(loads):.1f}):")
    for name, (seconds, accuracy) in result.items():
        median = statistics.median(times[name]) * 1e3
        versus = (f"   {result['PyTorch eager'][0] / seconds:5.1f}x PyTorch eager"
                  if "PyTorch eager" in result else "")
        print(f"  {name:18s} {seconds * 1e3:8.2f} ms (median {median:6.2f})   test accuracy "
              f"{accuracy:.2%}{versus}")
    if "JAX jit" in result:
        ours, theirs = result["vb.compile"], result["JAX jit"]
        print(f"  vb.compile is {theirs[0] / ours[0]:.2f}x JAX jit's speed on the quickest epochs "
              f"(target >= 1; accuracy {ours[1]:.2%} vs {theirs[1]:.2%})")
        paired = paired_ratios(times["JAX jit"], times["vb.compile"])
        print(f"  round by round (each library's epoch of a round, run one after the other): "
              f"vb.compile is "
              f"{paired['median']:.2f}x JAX jit's speed (median of {paired['rounds']} rounds; "
              f"quartiles {paired['low']:.2f}-{paired['high']:.2f}; ahead in "
              f"{paired['ahead']} of {paired['rounds']})")
    return result


def paired_ratios(theirs: list[float], ours: list[float]) -> dict[str, float]:
    """Their time over ours, round by round (a round runs each library's epoch one after the
    other, so both see the same load): the median and quartiles, and the rounds we were ahead.
    A shared machine's load drifts over a run; a round's ratio cancels the drift that the
    quickest epochs of the whole run, taken at different moments, do not."""
    ratios = sorted(t / o for t, o in zip(theirs, ours, strict=True))
    low, _, high = statistics.quantiles(ratios, n=4)
    return {"median": statistics.median(ratios), "low": low, "high": high,
            "rounds": len(ratios), "ahead": sum(r >= 1 for r in ratios)}


# ---- a grid of MLP sizes ----


def bench_grid(hidden: tuple[int, ...], batches: tuple[int, ...], steps: int,
               threads: tuple[int, ...] = (1, 2)) -> None:
    """µs per step, eager and compiled vibrastic vs PyTorch, with 1 and 2 threads allowed."""
    from threadpoolctl import threadpool_limits

    default = vb.get_num_threads()
    for n_threads in threads:  # vibrastic's policy may use up to n (one where more lose)
        torch.set_num_threads(n_threads)
        vb.set_num_threads(n_threads)
        with threadpool_limits(n_threads):
            _grid(hidden, batches, steps, n_threads)
    torch.set_num_threads(1)
    vb.set_num_threads(default)


def _grid(hidden: tuple[int, ...], batches: tuple[int, ...], steps: int, n_threads: int) -> None:
    rng = np.random.default_rng(0)
    print(f"grid MLP 64->h->10, SGD momentum, cross-entropy (µs per step, {n_threads} "
          f"thread{'s' if n_threads > 1 else ''} for NumPy's BLAS and for PyTorch; {load()}):")
    print(f"  {'h':>5s} {'batch':>6s} {'eager':>9s} {'compiled':>9s} {'PyTorch':>9s}   "
          "compiled vs PyTorch")
    for h in hidden:
        for batch in batches:
            x = rng.standard_normal((batch, 64)).astype(np.float32)
            y = rng.integers(0, 10, batch)
            init = {"0.weight": rng.uniform(-0.1, 0.1, (h, 64)), "0.bias": np.zeros(h),
                    "2.weight": rng.uniform(-0.1, 0.1, (10, h)), "2.bias": np.zeros(10)}
            n = max(3, min(steps, int(1e7 / (batch * h * 64 + 1))))
            row = [_grid_step_us(lib, compiled, h, init, x, y, n)
                   for lib, compiled in (("vibrastic", False), ("vibrastic", True),
                                         ("torch", False))]
            ratio = row[2] / row[1]
            print(f"  {h:5d} {batch:6d} {row[0]:9.1f} {row[1]:9.1f} {row[2]:9.1f}   "
                  f"{ratio:6.2f}x {'faster' if ratio >= 1 else 'SLOWER'}")


def _grid_step_us(lib: str, compiled: bool, h: int, init: dict[str, np.ndarray],
                  x: np.ndarray, y: np.ndarray, n: int) -> float:
    module = vb if lib == "vibrastic" else torch
    nn = module.nn
    net = nn.Sequential(nn.Linear(64, h), nn.ReLU(), nn.Linear(h, 10))
    net.load_state_dict({k: module.tensor(v.astype(np.float32)) for k, v in init.items()})
    opt = module.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    criterion = nn.CrossEntropyLoss()

    def train_step(xb: Any, yb: Any) -> Any:
        opt.zero_grad()
        loss = criterion(net(xb), yb)
        loss.backward()
        opt.step()
        return loss

    step = vb.compile(train_step) if compiled else train_step
    xt, yt = module.tensor(x), module.tensor(y)
    for _ in range(3):  # warm-up: momentum buffers, traces
        step(xt, yt)
    best = float("inf")
    for _ in range(3):  # the quickest of three stretches: a busy machine interrupts some
        t0 = time.perf_counter()
        for _ in range(n):
            step(xt, yt)
        best = min(best, (time.perf_counter() - t0) / n * 1e6)
    return best


# ---- each optimizer ----

OPTIMIZERS: dict[str, Callable[[Any, Any], Any]] = {
    "SGD momentum": lambda m, p: m.optim.SGD(p, lr=0.05, momentum=0.9),
    "Adam": lambda m, p: m.optim.Adam(p, lr=1e-3),
    "AdamW": lambda m, p: m.optim.AdamW(p, lr=1e-3),
    "RMSprop": lambda m, p: m.optim.RMSprop(p, lr=1e-3),
    "RMSprop centered+mom": lambda m, p: m.optim.RMSprop(p, lr=1e-3, momentum=0.9,
                                                         centered=True),
    "Adagrad": lambda m, p: m.optim.Adagrad(p, lr=0.01),
}


def bench_optimizers(steps: int, rounds: int) -> dict[str, tuple[float, float, float]]:
    """The digits-sized step (64-128-10, batch 32, cross-entropy) with each optimizer: µs per
    step, vibrastic eager, vb.compile and PyTorch eager, the quickest of interleaved stretches."""
    init = digits_init(0)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 64)).astype(np.float32)
    y = rng.integers(0, 10, 32)
    runs: dict[tuple[str, str], Callable[[], Any]] = {}
    for name, make in OPTIMIZERS.items():
        for lib, compiled in (("vibrastic", False), ("vibrastic", True), ("torch", False)):
            module = vb if lib == "vibrastic" else torch
            nn = module.nn
            net = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
            net.load_state_dict({k: module.tensor(v.astype(np.float32))
                                 for k, v in init.items()})
            opt, criterion = make(module, net.parameters()), nn.CrossEntropyLoss()

            def train_step(xb: Any, yb: Any, net: Any = net, opt: Any = opt,
                           criterion: Any = criterion) -> Any:
                opt.zero_grad()
                loss = criterion(net(xb), yb)
                loss.backward()
                opt.step()
                return loss

            step = vb.compile(train_step, backend="numpy") if compiled else train_step
            xt, yt = module.tensor(x), module.tensor(y)
            for _ in range(3):  # warm-up: the optimizer's state, the trace
                step(xt, yt)
            key = "vb.compile" if compiled else "vibrastic eager" if lib == "vibrastic" \
                else "PyTorch eager"
            runs[(name, key)] = functools.partial(step, xt, yt)
    best = dict.fromkeys(runs, float("inf"))
    for _ in range(rounds):  # interleaved: a busy spell slows every library alike
        for key, run in runs.items():
            t0 = time.perf_counter()
            for _ in range(steps):
                run()
            best[key] = min(best[key], (time.perf_counter() - t0) / steps * 1e6)
    print(f"\nOne digits-sized step (64-128-10, batch 32) per optimizer, µs ({load()}):")
    print(f"  {'optimizer':22s} {'vb eager':>9s} {'vb.compile':>10s} {'PyTorch':>9s}"
          "   compile vs eager   compile vs PyTorch")
    out = {}
    for name in OPTIMIZERS:
        row = tuple(best[(name, k)] for k in ("vibrastic eager", "vb.compile", "PyTorch eager"))
        out[name] = row
        print(f"  {name:22s} {row[0]:9.1f} {row[1]:10.1f} {row[2]:9.1f}   "
              f"{row[0] / row[1]:14.2f}x   {row[2] / row[1]:16.2f}x")
    return out


# ---- peak memory ----

_MEMORY = """
import os, sys
os.environ.setdefault("JAX_PLATFORMS", "cpu")
import numpy as np
def peak_kb():  # VmHWM: this process's peak RSS (ru_maxrss would carry the parent's over exec)
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmHWM"))
d = np.load(sys.argv[1])
x, y = d["x"], d["y"]
before = peak_kb()
lib = sys.argv[2]
if lib == "jax":
    import jax, jax.numpy as jnp
    rng = np.random.default_rng(0)
    p = [jnp.asarray(rng.uniform(-.1, .1, s).astype(np.float32)) for s in ((128, 64), (128,),
                                                                             (10, 128), (10,))]
    def loss(p, xb, yb):
        logits = jax.nn.relu(xb @ p[0].T + p[1]) @ p[2].T + p[3]
        picked = jnp.take_along_axis(logits, yb[:, None], axis=1)[:, 0]
        return jnp.mean(jax.nn.logsumexp(logits, axis=1) - picked)
    step = jax.jit(lambda p, xb, yb: [w - 0.05 * g for w, g in zip(p, jax.grad(loss)(p, xb, yb))])
    for _ in range(3):
        for s in range(0, len(x) - 31, 32):
            p = step(p, jnp.asarray(x[s:s + 32]), jnp.asarray(y[s:s + 32]))
    p[0].block_until_ready()
else:
    if lib == "torch":
        import torch as m
        m.set_num_threads(1)
    else:
        import vibrastic as m
    nn = m.nn
    net = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
    opt = m.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    criterion = nn.CrossEntropyLoss()
    def train_step(xb, yb):
        opt.zero_grad()
        loss = criterion(net(xb), yb)
        loss.backward()
        opt.step()
        return loss
    step = m.compile(train_step) if sys.argv[3] == "1" else train_step
    xs, ys = m.tensor(x), m.tensor(y)
    for _ in range(3):
        for s in range(0, len(x) - 31, 32):
            step(xs[s:s + 32], ys[s:s + 32])
print((peak_kb() - before) / 1024)
"""


def bench_memory() -> dict[str, float]:
    """Peak RSS of importing the library and training 3 epochs, above a process that has
    only NumPy and the data (one fresh process per library)."""
    import tempfile

    runs = {"vibrastic eager": ("vibrastic", "0"), "vb.compile": ("vibrastic", "1"),
            "PyTorch eager": ("torch", "0")}
    if jax_or_none() is not None:
        runs["JAX jit"] = ("jax", "0")
    x_train, _, y_train, _ = digits_data()
    result = {}
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "digits.npz")
        np.savez(path, x=x_train, y=y_train)
        for name, (lib, compiled) in runs.items():
            out = subprocess.run([sys.executable, "-c", _MEMORY, path, lib, compiled],
                                 capture_output=True, text=True, check=True,
                                 env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
            result[name] = float(out.stdout.strip().splitlines()[-1])
    print("peak memory: importing the library and training the digits MLP for 3 epochs "
          "(MB of RSS above NumPy and the data):")
    for name, mb in result.items():
        print(f"  {name:18s} {mb:8.1f} MB")
    return result


PARTS = ("xor", "deck", "digits", "digits-pair", "grid", "optimizers", "memory")


def main(quick: bool = False, only: tuple[str, ...] = PARTS) -> float:
    from threadpoolctl import threadpool_limits

    rounds = 3 if quick else 9
    ratio = float("nan")
    with threadpool_limits(1):  # one thread each, as PyTorch (common.py) and JAX here
        if "xor" in only:
            xor = bench_xor(steps=2_000 if quick else 8_000, rounds=rounds)
            ratio = xor["PyTorch eager"] / xor["vb.compile"]
        if "deck" in only:
            deck_xor_run(5_000 if quick else 50_000, runs=1 if quick else 3)
        if "digits" in only:
            bench_digits(epochs=4 if quick else 30)
        if "digits-pair" in only:
            bench_digits(epochs=4 if quick else 41, pair=True)
        if "optimizers" in only:
            bench_optimizers(steps=100 if quick else 400, rounds=rounds)
    if "grid" in only:
        bench_grid((8, 32, 128, 512, 2048), (1, 32, 256, 1024), steps=10 if quick else 50)
    if "memory" in only:
        bench_memory()
    return ratio


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer steps and rounds")
    parser.add_argument("--only", nargs="+", choices=PARTS, default=PARTS,
                        help="run only these parts")
    args = parser.parse_args()
    main(args.quick, tuple(args.only))
