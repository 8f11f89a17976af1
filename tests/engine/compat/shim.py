"""Run a corpus program under PyTorch or under vibrastic, with only the import swapped.

A program is an ordinary PyTorch script (``import torch``, ``from torch.utils.data import ...``).
``run(path, "vibrastic")`` executes the same source with an ``__import__`` that turns every
``torch``/``torch.x.y`` import into ``vibrastic``/``vibrastic.x.y``; nothing else in the program
changes. Output is what the program prints.

Same initial weights: vibrastic's random numbers differ from torch's for the same seed, so for the
vibrastic run ``torch_draws()`` makes vibrastic's ``Generator`` (the one source of all its random
numbers: rand/randn, initialisers, dropout masks, DataLoader shuffling) draw its numbers from a
torch generator seeded the same way. Every draw still goes through vibrastic's code paths, in
vibrastic's order; only the bits come from torch. The maths (forward, backward, optimizers) is
vibrastic's alone.
"""

from __future__ import annotations

import builtins
import contextlib
import io
import math
import re
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

import vibrastic as vb
from vibrastic import random as vb_random

with warnings.catch_warnings():  # torch.compile's first call imports torch.utils.mkldnn, which
    warnings.simplefilter("ignore", DeprecationWarning)  # warns about torch's own internals
    import torch.utils.mkldnn  # here, so its warnings are not counted as the program's

PROGRAMS_DIR = Path(__file__).parent / "programs"
ENGINES = ("torch", "vibrastic")
NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?|[-+]?\b(?:inf|nan)\b")


def programs() -> list[Path]:
    return sorted(PROGRAMS_DIR.glob("*.py"))


def header(path: Path) -> dict[str, str]:
    """``# key: value`` lines at the top of a program (tolerances, expected extra warnings)."""
    meta = {}
    for line in path.read_text().splitlines():
        m = re.match(r"#\s*([a-z-]+):\s*(.+)$", line)
        if m:
            meta[m.group(1)] = m.group(2).strip()
        elif line.strip() and not line.startswith("#"):
            break
    return meta


# ---- the import swap ----


def _vibrastic_import(name: str, globals: Any = None, locals: Any = None,
                      fromlist: Any = (), level: int = 0) -> Any:
    if level == 0 and (name == "torch" or name.startswith("torch.")):
        name = "vibrastic" + name[len("torch"):]
    return builtins.__import__(name, globals, locals, fromlist, level)


def _builtins(engine: str) -> dict[str, Any]:
    table = dict(vars(builtins))
    if engine == "vibrastic":
        table["__import__"] = _vibrastic_import
    return table


# ---- the same random bits ----

_TORCH_DTYPES = {np.dtype(np.float32): torch.float32, np.dtype(np.float64): torch.float64,
                 np.dtype(np.float16): torch.float16}


def _torch_gen(gen: vb_random.Generator) -> torch.Generator:
    tg = gen.__dict__.get("_torch")
    if tg is None:
        tg = gen._torch = torch.Generator().manual_seed(gen.initial_seed())
    return tg


def _manual_seed(self: vb_random.Generator, seed: int) -> vb_random.Generator:
    self._initial_seed = int(seed) & ((1 << 64) - 1)
    self._torch = torch.Generator().manual_seed(int(seed))
    return self


def _uniform(self: vb_random.Generator, shape: tuple[int, ...], low: float, high: float,
             dtype: np.dtype) -> np.ndarray:
    out = torch.empty(shape, dtype=_TORCH_DTYPES[np.dtype(dtype)])
    return out.uniform_(low, high, generator=_torch_gen(self)).numpy()


def _normal(self: vb_random.Generator, shape: tuple[int, ...], mean: Any, std: Any,
            dtype: np.dtype) -> np.ndarray:
    tdtype = _TORCH_DTYPES[np.dtype(dtype)]
    if np.ndim(mean) or np.ndim(std):  # torch.normal(mean_tensor, std_tensor)
        m = torch.tensor(np.broadcast_to(mean, shape), dtype=tdtype)
        s = torch.tensor(np.broadcast_to(std, shape), dtype=tdtype)
        return torch.normal(m, s, generator=_torch_gen(self)).numpy()
    out = torch.empty(shape, dtype=tdtype)
    return out.normal_(float(mean), float(std), generator=_torch_gen(self)).numpy()


def _integers(self: vb_random.Generator, low: int, high: int, shape: tuple[int, ...]
              ) -> np.ndarray:
    return torch.randint(low, high, shape, generator=_torch_gen(self)).numpy()


def _permutation(self: vb_random.Generator, n: int) -> np.ndarray:
    return torch.randperm(n, generator=_torch_gen(self)).numpy()


def _bernoulli(self: vb_random.Generator, p: Any, shape: tuple[int, ...], dtype: np.dtype
               ) -> np.ndarray:
    out = torch.empty(shape, dtype=_TORCH_DTYPES[np.dtype(dtype)])
    return out.bernoulli_(float(p), generator=_torch_gen(self)).numpy()


def _exponential(self: vb_random.Generator, shape: tuple[int, ...], dtype: np.dtype
                 ) -> np.ndarray:
    out = torch.empty(shape, dtype=_TORCH_DTYPES[np.dtype(dtype)])
    return out.exponential_(generator=_torch_gen(self)).numpy()


def _random64(self: vb_random.Generator) -> int:
    return int(torch.empty((), dtype=torch.int64).random_(generator=_torch_gen(self)).item())


def _get_state(self: vb_random.Generator) -> vb.Tensor:
    return vb.from_numpy(_torch_gen(self).get_state().numpy().copy())


def _set_state(self: vb_random.Generator, state: vb.Tensor) -> vb_random.Generator:
    _torch_gen(self).set_state(torch.from_numpy(np.array(state, dtype=np.uint8)))
    return self


_PATCHES = {"get_state": _get_state, "set_state": _set_state, "manual_seed": _manual_seed,
            "uniform": _uniform, "normal": _normal, "integers": _integers,
            "permutation": _permutation, "bernoulli": _bernoulli, "exponential": _exponential,
            "random64": _random64}


@contextlib.contextmanager
def torch_draws() -> Iterator[None]:
    """Make every vibrastic Generator draw torch's numbers for the same seed (see module doc)."""
    saved = {name: vars(vb_random.Generator)[name] for name in _PATCHES}
    default = vb_random.default_generator
    for name, fn in _PATCHES.items():
        setattr(vb_random.Generator, name, fn)
    vb_random.default_generator = vb_random.Generator().manual_seed(default.initial_seed())
    try:
        yield
    finally:
        for name, fn in saved.items():
            setattr(vb_random.Generator, name, fn)
        vb_random.default_generator = default


# ---- running ----


@dataclass
class Run:
    """What one program printed under one engine, the warnings it raised, and its time."""

    output: str
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0


@contextlib.contextmanager
def _isolated(engine: str, workdir: Path) -> Iterator[None]:
    """Run in ``workdir`` and put back the global state a program may change."""
    workdir.mkdir(parents=True, exist_ok=True)
    torch_dtype, vb_dtype = torch.get_default_dtype(), vb.get_default_dtype()
    torch_grad, vb_grad = torch.is_grad_enabled(), vb.is_grad_enabled()
    # torch.compile's first call turns torch.distributions' argument validation off for good
    validate = (torch.distributions.Distribution._validate_args,
                vb.distributions.Distribution._validate_args)
    with contextlib.chdir(workdir), contextlib.ExitStack() as stack:
        if engine == "vibrastic":
            stack.enter_context(torch_draws())
        try:
            yield
        finally:
            torch.set_printoptions(profile="default")
            vb.set_printoptions(profile="default")
            torch.set_default_dtype(torch_dtype)
            vb.set_default_dtype(vb_dtype)
            torch.set_grad_enabled(torch_grad)
            vb.set_grad_enabled(vb_grad)
            torch.distributions.Distribution.set_default_validate_args(validate[0])
            vb.distributions.Distribution.set_default_validate_args(validate[1])


def run(path: Path, engine: str, workdir: Path) -> Run:
    """Execute the program at ``path`` under ``engine`` ("torch" or "vibrastic")."""
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, got {engine!r}")
    code = compile(path.read_text(), str(path), "exec")
    namespace = {"__name__": "__main__", "__file__": str(path), "__builtins__": _builtins(engine)}
    out = io.StringIO()
    with _isolated(engine, workdir), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        start = time.perf_counter()
        with contextlib.redirect_stdout(out):
            exec(code, namespace)
        seconds = time.perf_counter() - start
    messages = [f"{w.category.__name__}: {w.message}" for w in caught]
    return Run(out.getvalue(), messages, seconds)


# ---- comparing ----


def numbers(text: str) -> list[tuple[int, float]]:
    """Every number printed, with the index of its line."""
    return [(n, float(m)) for n, line in enumerate(text.splitlines())
            for m in NUMBER.findall(line)]


def skeleton(text: str) -> str:
    """The printed text without its numbers and runs of blanks; vibrastic spelled torch."""
    text = NUMBER.sub("#", text.replace("vibrastic", "torch"))
    return re.sub(r"[ \t]+", " ", text).strip()


def compare(expected: str, actual: str, rtol: float, atol: float) -> list[str]:
    """The differences between torch's output and vibrastic's (empty when they agree)."""
    problems = []
    if skeleton(expected) != skeleton(actual):
        problems.append(f"the text differs:\n--- torch\n{expected}\n--- vibrastic\n{actual}")
        return problems
    lines = expected.splitlines(), actual.splitlines()
    for (n, w), (m, g) in zip(numbers(expected), numbers(actual), strict=True):
        same = (math.isnan(w) and math.isnan(g)) or math.isclose(g, w, rel_tol=rtol,
                                                                  abs_tol=atol)
        if not same:
            problems.append(f"line {n + 1}: torch {w!r} in {lines[0][n]!r}, vibrastic {g!r} in "
                            f"{lines[1][m]!r}")
    return problems


def tolerances(path: Path) -> tuple[float, float]:
    meta = header(path)
    return float(meta.get("rtol", 1e-4)), float(meta.get("atol", 1e-5))


def expected_warnings(path: Path) -> list[str]:
    """Warning categories a program raises under vibrastic only (declared in its header)."""
    meta = header(path)
    return meta.get("vibrastic-warns", "").split() if "vibrastic-warns" in meta else []


def run_both(path: Path, workdir: Path) -> dict[str, Run]:
    return {engine: run(path, engine, workdir / engine) for engine in ENGINES}

