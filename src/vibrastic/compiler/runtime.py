"""Names every generated program (and the builder) can use: NumPy, the engine's random
generator, and the exceptions the eager ops raise."""

from __future__ import annotations

import importlib
import math
from typing import Any

import numpy as np

_random_module = importlib.import_module("vibrastic.random")
_functional = importlib.import_module("vibrastic.nn.functional")
_class_loss = _functional._class_loss  # nll_loss / cross_entropy with options: eager's code
_special = importlib.import_module("vibrastic.special")  # vb.special's float64 functions
# F.gelu's erf and vb.special's: the engine's own functions, so the bits are eager's
_erf, _erfc, _erfinv = _special.erf_array, _special.erfc_array, _special.erfinv_array



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


def _pow_da(g: Any, x: Any, y: Any) -> Any:
    """d(x ** y)/dx · g, as ops.pow computes it (0 where y == 0, as torch)."""
    if np.ndim(y) == 0 and y != 0:
        return g * y * np.power(x, y - 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return g * np.where(y == 0, 0.0, y * np.power(x, y - 1))


def _pow_db(g: Any, x: Any, y: Any, out: Any) -> Any:
    """d(x ** y)/dy · g, as ops.pow computes it (0 where x == 0 <= y, as torch)."""
    if np.ndim(x) == 0 and x > 0:
        return g * out * np.log(x)
    with np.errstate(divide="ignore", invalid="ignore"):
        return g * np.where((x == 0) & (y >= 0), 0.0, out * np.log(x))


def _target_error(t: Any, classes: int, ignore_index: int) -> Exception:
    """What a compiled nll_loss / cross_entropy raises when a class index is outside
    [0, classes): eager's IndexError, or (where every such target equals ``ignore_index``,
    which the code was traced without) ``Retrace``, so vb.compile runs the call eagerly and
    traces a version that ignores them."""
    bad = _functional._out_of_bounds(t, classes, ignore_index)
    if bad is not None:
        return IndexError(bad)
    from vibrastic.compiler.codegen import Retrace

    return Retrace(f"a class target equals ignore_index={ignore_index}")


def _logaddexp(x: float, y: float) -> float:
    """log(eˣ + eʸ) on Python floats, as NumPy's logaddexp computes it (for the scalar
    backend's softplus): the larger plus log1p(e^-|x - y|), never overflowing."""
    if x == y:
        return x + math.log(2.0)
    d = x - y
    if d > 0:
        return x + math.log1p(math.exp(-d))
    if d <= 0:
        return y + math.log1p(math.exp(d))
    return d  # a NaN


def _quietly(ufunc: Any, *args: Any) -> Any:
    """A ufunc without divide-by-zero and invalid warnings (where eager's code silences them:
    vb.special's logit and xlogy)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return ufunc(*args)


def _typed(value: Any, cache: list[Any]) -> Any:
    """A hyper-parameter read live (``lr``) as the 0-d array ``cache[1]`` (of the dtype of
    the arrays it multiplies), refreshed when the value changes: NumPy casts a Python number
    to that dtype anyway, and takes a 0-d array in quicker. Anything but a Python number (or
    one the dtype can't hold) is passed on as it is."""
    if value is cache[0]:
        return cache[1]
    if type(value) is not float and (type(value) is not int or abs(value) >= 1 << 53):
        return value
    with np.errstate(over="ignore"):
        cache[1][()] = value
    if math.isfinite(value) and not np.isfinite(cache[1]):
        cache[0] = None
        return value
    cache[0] = value  # held here, so no other object can take its identity
    return cache[1]


try:  # the engine's matmul for big products (BLAS threads chosen per shape), if it has one
    from vibrastic.blas import matmul as _blas_matmul
    from vibrastic.blas import one_thread as _blas_one
except ImportError:  # an engine without blas.py
    _blas_matmul = np.matmul

    def _blas_one() -> None:
        return None


RUNTIME: dict[str, Any] = {
    "_np": np,
    "_math": math,
    "_rng": _rng,
    "_qlog": _qlog,
    "_qlog1p": _qlog1p,
    "_qexp": _qexp,
    "_erf": _erf,
    "_logaddexp": _logaddexp,
    "_erfc": _erfc,
    "_erfinv": _erfinv,
    "_quietly": _quietly,
    "_blas_matmul": _blas_matmul,
    "_blas_one": _blas_one,
    "_pow_da": _pow_da,
    "_pow_db": _pow_db,
    "_class_loss": _class_loss,
    "_target_error": _target_error,
    "_typed": _typed,
    "RuntimeError": RuntimeError,
    "IndexError": IndexError,
    "ValueError": ValueError,
}
