"""Special functions, as ``torch.special``: the error function and its relatives, logit and xlogy.

Each is a differentiable op with torch's gradient. The error function is computed in NumPy with
Cephes' rational approximations (relative error below about 2e-16 in float64), so it runs on
whole arrays at NumPy speed rather than calling ``math.erf`` once per element; the inverse
starts from Giles' approximation and is polished with Halley steps on that ``erf``.
Float32 inputs are computed in float64 and rounded once, so they are correctly rounded or
within one unit in the last place. Names ``torch.special`` has and vibrastic does not raise an
AttributeError that says so.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from vibrastic import missing
from vibrastic.autograd import record
from vibrastic.ops import _binary, _float, _operands, log_softmax, logsumexp, softmax
from vibrastic.ops import sigmoid as expit
from vibrastic.tensor import Tensor, TensorLike

__all__ = ["erf", "erfc", "erfinv", "expit", "log_softmax", "logit", "logsumexp", "ndtr",
           "softmax", "xlogy"]

_TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)

# Cephes (ndtr.c): erf(x) = x T(x²)/U(x²) for |x| ≤ 1; erfc(x) = e^(-x²) P(x)/Q(x) for
# 1 ≤ x < 8 and e^(-x²) R(x)/S(x) from 8 on. U, Q and S have a leading coefficient 1.
_T = (9.60497373987051638749e0, 9.00260197203842689217e1, 2.23200534594684319226e3,
      7.00332514112805075473e3, 5.55923013010394962768e4)
_U = (1.0, 3.35617141647503099647e1, 5.21357949780152679795e2, 4.59432382970980127987e3,
      2.26290000613890934246e4, 4.92673942608635921086e4)
_P = (2.46196981473530512524e-10, 5.64189564831068821977e-1, 7.46321056442269912687e0,
      4.86371970985681366614e1, 1.96520832956077098242e2, 5.26445194995477358631e2,
      9.34528527171957607540e2, 1.02755188689515710272e3, 5.57535335369399327526e2)
_Q = (1.0, 1.32281951154744992508e1, 8.67072140885989742329e1, 3.54937778887819891062e2,
      9.75708501743205489753e2, 1.82390916687909736289e3, 2.24633760818710981792e3,
      1.65666309194161350182e3, 5.57535340817727675546e2)
_R = (5.64189583547755073984e-1, 1.27536670759978104416e0, 5.01905042251180477414e0,
      6.16021097993053585195e0, 7.40974269950448939160e0, 2.97886665372100240670e0)
_S = (1.0, 2.26052863220117276590e0, 9.39603524938001434673e0, 1.20489539808096656605e1,
      1.70814450747565897222e1, 9.60896809063285878198e0, 3.36907645100081516050e0)

# Giles, "Approximating the erfinv function" (2010), single-precision version: a start for
# Halley's method, in w = -log(1 - y²) below 5 and in √w - 3 above.
_GILES_LOW = (2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,
              -0.00125372503, -0.00417768164, 0.246640727, 1.50140941)
_GILES_HIGH = (-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
               -0.0076224613, 0.00943887047, 1.00167406, 2.83297682)


def _poly(x: np.ndarray, coefficients: tuple[float, ...]) -> np.ndarray:
    """The polynomial with these coefficients (highest power first) at x, by Horner's rule."""
    out = np.full_like(x, coefficients[0])
    for c in coefficients[1:]:
        out *= x
        out += c
    return out


def _erf_small(x: np.ndarray) -> np.ndarray:
    """erf on [-1, 1] (float64)."""
    z = x * x
    return x * _poly(z, _T) / _poly(z, _U)


def _erfc_large(a: np.ndarray) -> np.ndarray:
    """erfc on [1, ∞) (float64, 1-D), relative accuracy kept far into the tail.

    e^(-a²) is taken as e^(-m²)·e^(-(2mf + f²)) with m = a rounded to 1/128 (Cephes' expx2),
    so the rounding of a² is not magnified by the exponential.
    """
    a = np.minimum(a, 30.0)  # erfc(27) is below float64's smallest number; keeps inf finite
    m = np.floor(a * 128 + 0.5) / 128
    f = a - m
    rational = _by_size(a, a < 8, lambda v: _poly(v, _P) / _poly(v, _Q),
                        lambda v: _poly(v, _R) / _poly(v, _S))
    return np.exp(-m * m) * np.exp(-(2 * m * f + f * f)) * rational


def _by_size(x: np.ndarray, small: np.ndarray, inside: Any, outside: Any) -> np.ndarray:
    """``inside(x)`` where ``small``, ``outside(x)`` elsewhere, each computed only where used."""
    if small.all():
        return inside(x)
    out = np.empty_like(x)
    out[small] = inside(x[small])
    large = ~small
    out[large] = outside(x[large])
    return out


def erf_array(x: np.ndarray) -> np.ndarray:
    """erf of a float array, in float64."""
    x = np.asarray(x, np.float64)
    return _by_size(x, np.abs(x) <= 1, _erf_small,
                    lambda v: np.copysign(1 - _erfc_large(np.abs(v)), v))


def erfc_array(x: np.ndarray) -> np.ndarray:
    """erfc = 1 - erf of a float array, in float64, accurate where it is tiny (large x)."""
    x = np.asarray(x, np.float64)

    def tail(v: np.ndarray) -> np.ndarray:
        out = _erfc_large(np.abs(v))
        return np.where(v < 0, 2 - out, out)

    return _by_size(x, np.abs(x) < 1, lambda v: 1 - _erf_small(v), tail)


def erfinv_array(y: np.ndarray) -> np.ndarray:
    """The inverse of erf on [-1, 1] (±inf at ±1, NaN outside), in float64."""
    y = np.asarray(y, np.float64)
    t = np.abs(y)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        w = -np.log((1 - t) * (1 + t))
        x = np.where(w < 5, _poly(w - 2.5, _GILES_LOW), _poly(np.sqrt(w) - 3, _GILES_HIGH)) * t
        # beyond Giles' range (1 - t < 1e-7), start from erfc(x) ~ e^(-x²)/(x√π) instead
        q = -np.log(1 - t)
        x = np.where(q > 16, np.sqrt(q - np.log(np.sqrt(np.pi * q))), x)
        x = np.where(np.isfinite(x), x, 0.0)
        middle = t < 0.5
        for _ in range(3):
            # in the middle, Halley's method on erf(x) - t (cubic convergence from Giles' ~1e-7);
            # towards ±1, Newton's on log erfc(x) - log(1 - t), nearly linear in x² out there,
            # with 1 - t exact, so the tail keeps its digits
            f = erf_array(x) - t
            halley = x - f / (_TWO_OVER_SQRT_PI * np.exp(-x * x) + x * f)
            tail = erfc_array(x)
            newton = x + (np.log(tail) - np.log(1 - t)) * tail / (
                _TWO_OVER_SQRT_PI * np.exp(-x * x))
            x = np.where(middle, halley, newton)
    x = np.where(t == 1, np.inf, np.where(t > 1, np.nan, x))
    return np.copysign(x, y)


def _rounded(out: np.ndarray, like: np.ndarray) -> np.ndarray:
    """A float64 result in the input's float dtype (torch keeps float32 as float32)."""
    return out.astype(like.dtype, copy=False)


def erf(input: Tensor) -> Tensor:
    """The error function 2/√π ∫₀ˣ e^(-t²) dt: d/dx = 2/√π e^(-x²)."""
    x = _float(input._data)
    out = _rounded(erf_array(x), x)
    return record(out, (input,), lambda g: (g * (_TWO_OVER_SQRT_PI * np.exp(-x * x)),), "Erf")


def erfc(input: Tensor) -> Tensor:
    """1 - erf(x), without the cancellation where erf is near 1: d/dx = -2/√π e^(-x²)."""
    x = _float(input._data)
    out = _rounded(erfc_array(x), x)
    return record(out, (input,), lambda g: (g * (-_TWO_OVER_SQRT_PI * np.exp(-x * x)),), "Erfc")


def erfinv(input: Tensor) -> Tensor:
    """The inverse error function on [-1, 1]: d/dy = √π/2 e^(erfinv(y)²)."""
    y = _float(input._data)
    out = _rounded(erfinv_array(y), y)

    def backward(g: np.ndarray) -> tuple[np.ndarray]:
        with np.errstate(over="ignore"):  # inf at ±1, as torch
            return (g * (math.sqrt(math.pi) / 2 * np.exp(out * out)),)

    return record(out, (input,), backward, "Erfinv")


def ndtr(input: Tensor) -> Tensor:
    """The standard normal CDF Φ(x) = erfc(-x/√2)/2, accurate in the lower tail."""
    x = _float(input._data)
    out = _rounded(0.5 * erfc_array(-x / math.sqrt(2)), x)
    return record(out, (input,),
                  lambda g: (g * (np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)),), "Ndtr")


def logit(input: Tensor, eps: float | None = None) -> Tensor:
    """log(p / (1 - p)), the inverse of sigmoid. With ``eps``, p is first clamped to
    [eps, 1 - eps], and the gradient is 0 outside that range (as torch)."""
    p = _float(input._data)
    if eps is None:
        z = p
        inside: Any = True
    else:
        z = np.clip(p, eps, 1 - eps)
        inside = (p >= eps) & (p <= 1 - eps)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.log(z / (1 - z))

    def backward(g: np.ndarray) -> tuple[np.ndarray]:
        with np.errstate(divide="ignore", invalid="ignore"):
            return (np.where(inside, g / (z * (1 - z)), 0).astype(z.dtype, copy=False),)

    return record(out, (input,), backward, "Logit")


def xlogy(input: TensorLike, other: TensorLike) -> Tensor:
    """x·log(y), and 0 where x is 0 (unless y is NaN): the entropy terms p·log p without
    0·(-inf) = NaN. d/dx = log(y) where x ≠ 0, d/dy = x/y."""
    x, y = (_float(v) if isinstance(v, np.ndarray) else v for v in _operands(input, other))
    zero = (x == 0) & ~np.isnan(y)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_y = np.log(y)
        out = np.asarray(np.where(zero, 0.0, x * log_y)).astype(np.result_type(x * log_y),
                                                                copy=False)

    def d_input(g: np.ndarray) -> np.ndarray:
        return g * np.where(zero, 0.0, log_y).astype(out.dtype, copy=False)

    def d_other(g: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return g * x / y

    return _binary(out, input, other, d_input, d_other, "Xlogy")


__getattr__ = missing.module_getattr(__name__)
