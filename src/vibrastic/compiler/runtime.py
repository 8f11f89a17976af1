"""Names every generated program (and the builder) can use: NumPy, the engine's random
generator, and the exceptions the eager ops raise."""

from __future__ import annotations

import importlib
import math
from typing import Any

import numpy as np

_random_module = importlib.import_module("vibrastic.random")



def _rng() -> Any:
    """The engine's global ``vibrastic.random.Generator``, as the eager ops draw from it."""
    return _random_module.default_generator


def _qlog(x: Any, out: Any = None) -> Any:
    """log without the divide-by-zero warning (binary_cross_entropy takes log(0) = -inf)."""
    with np.errstate(divide="ignore"):
        return np.log(x) if out is None else np.log(x, out)


def _qexp(x: Any, out: Any = None) -> Any:
    """exp without the overflow warning (the engine's sigmoid lets e^-x overflow to inf)."""
    with np.errstate(over="ignore"):
        return np.exp(x) if out is None else np.exp(x, out)


def _qlog1p(x: Any, out: Any = None) -> Any:
    with np.errstate(divide="ignore"):
        return np.log1p(x) if out is None else np.log1p(x, out)


try:  # the engine's matmul for big products (BLAS threads chosen per shape), if it has one
    from vibrastic.blas import matmul as _blas_matmul
except ImportError:  # an engine without blas.py
    _blas_matmul = np.matmul


RUNTIME: dict[str, Any] = {
    "_np": np,
    "_math": math,
    "_rng": _rng,
    "_qlog": _qlog,
    "_qlog1p": _qlog1p,
    "_qexp": _qexp,
    "_blas_matmul": _blas_matmul,
    "RuntimeError": RuntimeError,
    "IndexError": IndexError,
    "ValueError": ValueError,
}
