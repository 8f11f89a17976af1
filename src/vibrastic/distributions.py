"""``vb.distributions``: the part of ``torch.distributions`` that policy-gradient code uses.

``Categorical``, ``Normal`` and ``Bernoulli`` with torch's constructors, properties and methods
(``sample``, ``rsample``, ``log_prob``, ``entropy``, ...), ``Independent`` (a diagonal Gaussian
policy) and ``kl_divergence`` between two of a kind. Each is written with vibrastic's
differentiable ops, following torch's formulas, so ``log_prob`` and ``entropy`` give torch's
values and gradients (REINFORCE: ``loss = -(dist.log_prob(action) * advantage).sum()``).
Samples come from vibrastic's generator: ``vb.manual_seed`` makes them reproducible, but the
numbers differ from torch's for the same seed. Arguments are validated as in torch (on by
default; ``validate_args=False`` or ``Distribution.set_default_validate_args(False)`` turns it
off): a value outside a constraint raises torch's ValueError, naming the constraint. Checks
read values, so vb.compile runs a step that builds a validating distribution eagerly (and says
so); with ``validate_args=False``, a step whose ops it knows (``Normal``'s) compiles.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import numpy as np

from vibrastic import ops
from vibrastic import random as _random
from vibrastic.autograd import enable_grad, no_grad
from vibrastic.missing import module_getattr
from vibrastic.nn.functional import binary_cross_entropy_with_logits, softplus
from vibrastic.special import erf, erfinv
from vibrastic.tensor import Size, Tensor, _new

_t = importlib.import_module("vibrastic.tensor")  # the module (vb.tensor is the function)

__all__ = ["Bernoulli", "Categorical", "Distribution", "Independent", "Normal", "constraints",
           "kl_divergence"]

_ShapeLike = Sequence[int] | Size


# ---- constraints: what a parameter or a value must satisfy (checked when validating) ----


class Constraint:
    """A condition on a tensor's values; ``check`` gives a bool array (True where it holds).

    ``event_dim``: how many right-most dims make one event (a probability vector is one).
    """

    event_dim = 0
    is_discrete = False

    def __init__(self, name: str, test: Callable[[np.ndarray], np.ndarray],
                 event_dim: int = 0, is_discrete: bool = False) -> None:
        self._name, self._test = name, test
        self.event_dim, self.is_discrete = event_dim, is_discrete

    def check(self, value: Tensor) -> np.ndarray:
        return np.asarray(self._test(value._data))

    def __repr__(self) -> str:
        return self._name


def _simplex(x: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return np.all(x >= 0, axis=-1) & (np.abs(x.sum(-1) - 1) < 1e-6)


def _integer_interval(lower: int, upper: int) -> Constraint:
    return Constraint(f"IntegerInterval(lower_bound={lower}, upper_bound={upper})",
                      lambda x: (x % 1 == 0) & (lower <= x) & (x <= upper), is_discrete=True)


class constraints:  # torch's name: torch.distributions.constraints
    """The constraints torch names, for the distributions here (``constraints.positive``)."""

    real = Constraint("Real()", lambda x: x == x)  # False for NaN only
    real_vector = Constraint("IndependentConstraint(Real(), 1)",
                             lambda x: np.all(x == x, axis=-1), event_dim=1)
    positive = Constraint("GreaterThan(lower_bound=0.0)", lambda x: x > 0)
    unit_interval = Constraint("Interval(lower_bound=0.0, upper_bound=1.0)",
                               lambda x: (x >= 0) & (x <= 1))
    simplex = Constraint("Simplex()", _simplex, event_dim=1)
    boolean = Constraint("Boolean()", lambda x: (x == 0) | (x == 1), is_discrete=True)
    integer_interval = staticmethod(_integer_interval)


class lazy_property:  # torch's name
    """A property computed on first use, then stored on the instance (``probs`` from
    ``logits`` or the other way round), computed with gradients on as torch does."""

    def __init__(self, wrapped: Callable[[Any], Any]) -> None:
        self.wrapped = wrapped
        self.__doc__ = wrapped.__doc__
        self.__name__ = wrapped.__name__

    def __get__(self, instance: Any, owner: Any = None) -> Any:
        if instance is None:
            return self
        with enable_grad():
            value = self.wrapped(instance)
        setattr(instance, self.__name__, value)
        return value


def _all_true(check: np.ndarray) -> bool:
    """Whether every check holds, read through ``Tensor.__bool__`` (as torch._is_all_true):
    vb.compile then sees a branch on values and runs the step eagerly, so the check is made on
    every call (a compiled replay would skip Python code that reads arrays directly)."""
    return bool(_new(np.asarray(np.all(check))))


# ---- the base class ----


class Distribution:
    """A probability distribution with a ``batch_shape`` (independent distributions side by
    side) and an ``event_shape`` (the shape of one draw), as ``torch.distributions``."""

    has_rsample = False
    has_enumerate_support = False
    arg_constraints: ClassVar[dict[str, Constraint]] = {}
    support: Constraint | None = None
    _validate_args = __debug__

    @staticmethod
    def set_default_validate_args(value: bool) -> None:
        """Turn validation on or off for distributions made afterwards without
        ``validate_args=`` (on by default, as torch; off under ``python -O``)."""
        if value not in (True, False):
            raise ValueError(f"set_default_validate_args expects True or False, got {value!r}")
        Distribution._validate_args = value

    def __init__(self, batch_shape: _ShapeLike = (), event_shape: _ShapeLike = (),
                 validate_args: bool | None = None) -> None:
        self._batch_shape = Size(batch_shape)
        self._event_shape = Size(event_shape)
        if validate_args is not None:
            self._validate_args = validate_args
        if not self._validate_args:
            return
        for param, constraint in self.arg_constraints.items():
            if param not in self.__dict__ and isinstance(getattr(type(self), param, None),
                                                         lazy_property):
                continue  # the parameter not given: it is computed from the other one
            value = getattr(self, param)
            if not _all_true(constraint.check(value)):
                raise ValueError(
                    f"Expected parameter {param} ({type(value).__name__} of shape "
                    f"{tuple(value.shape)}) of distribution {self!r} to satisfy the constraint "
                    f"{constraint!r}, but found invalid values:\n{value}")

    @property
    def batch_shape(self) -> Size:
        return self._batch_shape

    @property
    def event_shape(self) -> Size:
        return self._event_shape

    @property
    def mean(self) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} does not implement mean")

    @property
    def mode(self) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} does not implement mode")

    @property
    def variance(self) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} does not implement variance")

    @property
    def stddev(self) -> Tensor:
        return self.variance.sqrt()

    def sample(self, sample_shape: _ShapeLike = ()) -> Tensor:
        """A draw of shape ``sample_shape + batch_shape + event_shape``, without gradient."""
        with no_grad():
            return self.rsample(sample_shape)

    def rsample(self, sample_shape: _ShapeLike = ()) -> Tensor:
        raise NotImplementedError(
            f"{type(self).__name__} has no reparameterised sample (rsample); use sample()")

    def log_prob(self, value: Tensor) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} does not implement log_prob")

    def cdf(self, value: Tensor) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} does not implement cdf")

    def icdf(self, value: Tensor) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} does not implement icdf")

    def entropy(self) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} does not implement entropy")

    def perplexity(self) -> Tensor:
        return ops.exp(self.entropy())

    def _extended_shape(self, sample_shape: _ShapeLike = ()) -> Size:
        return Size(tuple(sample_shape) + self._batch_shape + self._event_shape)

    def _validate_sample(self, value: Any) -> None:
        """torch's checks of a value to score: a tensor, broadcastable with the batch, and
        inside the support (else ValueError)."""
        if not isinstance(value, Tensor):
            raise ValueError("The value argument to log_prob must be a Tensor")
        shape = value.shape
        start = len(shape) - len(self._event_shape)
        if shape[start:] != self._event_shape:
            raise ValueError(f"The right-most size of value must match event_shape: {shape} "
                             f"vs {self._event_shape}.")
        expected = self._batch_shape + self._event_shape
        for i, j in zip(reversed(shape), reversed(expected), strict=False):
            if i != 1 and j != 1 and i != j:
                raise ValueError(f"Value is not broadcastable with batch_shape+event_shape: "
                                 f"{shape} vs {Size(expected)}.")
        support = self.support
        if support is not None and not _all_true(support.check(value)):
            raise ValueError(
                f"Expected value argument ({type(value).__name__} of shape {tuple(shape)}) to "
                f"be within the support ({support!r}) of the distribution {self!r}, but found "
                f"invalid values:\n{value}")

    def __repr__(self) -> str:
        names = [k for k in self.arg_constraints if k in self.__dict__]
        shown = {k: self.__dict__[k] for k in names}
        args = ", ".join(f"{k}: {v if v.numel() == 1 else v.size()}" for k, v in shown.items())
        return f"{type(self).__name__}({args})"


def _broadcast_all(*values: Tensor | float | int) -> tuple[Tensor, ...]:
    """Tensors and numbers broadcast to one shape (numbers take the first tensor's dtype, or
    the default dtype), as torch.distributions.utils.broadcast_all."""
    if not all(isinstance(v, (Tensor, int, float)) for v in values):
        raise ValueError("Input arguments must all be instances of Number or vibrastic.Tensor.")
    first = next((v for v in values if isinstance(v, Tensor)), None)
    dtype = first.dtype if first is not None else _t.get_default_dtype()
    tensors = [v if isinstance(v, Tensor) else _t.tensor(v, dtype=dtype) for v in values]
    try:
        shape = np.broadcast_shapes(*(tuple(v.shape) for v in tensors))
    except ValueError:
        raise RuntimeError("shape mismatch: objects cannot be broadcast to a single shape "
                           f"({', '.join(str(tuple(v.shape)) for v in tensors)})") from None
    return tuple(v if tuple(v.shape) == shape else v.expand(shape) for v in tensors)


def _eps(x: Tensor) -> float:
    return float(np.finfo(x._data.dtype).eps)


# ---- Categorical ----


class Categorical(Distribution):
    """One of K classes (0..K-1), from ``probs`` (normalised along the last dim) or ``logits``
    (unnormalised log-probabilities), not both; the leading dims are the batch."""

    arg_constraints: ClassVar[dict[str, Constraint]] = {
        "probs": constraints.simplex, "logits": constraints.real_vector}
    has_enumerate_support = True

    def __init__(self, probs: Tensor | None = None, logits: Tensor | None = None,
                 validate_args: bool | None = None) -> None:
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            if probs.dim() < 1:
                raise ValueError("`probs` parameter must be at least one-dimensional.")
            self.probs = probs / probs.sum(-1, keepdim=True)
            self._param = self.probs
        else:
            assert logits is not None
            if logits.dim() < 1:
                raise ValueError("`logits` parameter must be at least one-dimensional.")
            self.logits = logits - logits.logsumexp(dim=-1, keepdim=True)
            self._param = self.logits
        self._num_events = self._param.shape[-1]
        super().__init__(self._param.shape[:-1], validate_args=validate_args)

    @lazy_property
    def logits(self) -> Tensor:
        """Normalised log-probabilities: log of the probabilities clamped to [eps, 1 - eps]."""
        eps = _eps(self.probs)
        return self.probs.clamp(min=eps, max=1 - eps).log()

    @lazy_property
    def probs(self) -> Tensor:
        """The probabilities: softmax of the logits."""
        return ops.softmax(self.logits, -1)

    @property
    def support(self) -> Constraint:  # type: ignore[override]
        return constraints.integer_interval(0, self._num_events - 1)

    @property
    def param_shape(self) -> Size:
        return self._param.shape

    @property
    def mean(self) -> Tensor:
        """NaN (a class index has no mean), as torch."""
        return _t.full(self._extended_shape(), math.nan, dtype=self.probs.dtype)

    @property
    def variance(self) -> Tensor:
        return _t.full(self._extended_shape(), math.nan, dtype=self.probs.dtype)

    @property
    def mode(self) -> Tensor:
        return self.probs.argmax(dim=-1)

    def sample(self, sample_shape: _ShapeLike = ()) -> Tensor:
        """Class indices (int64) of shape ``sample_shape + batch_shape``: torch's
        ``multinomial(probs, n, replacement=True)``, so the draws are torch's for its seed."""
        shape = self._extended_shape(sample_shape)
        probs_2d = self.probs.detach().reshape(-1, self._num_events)
        drawn = _t.multinomial(probs_2d, Size(sample_shape).numel(), True)
        return drawn.t().reshape(shape)

    def log_prob(self, value: Tensor) -> Tensor:
        """log p(value), value broadcast against the batch (torch's gather of the logits)."""
        if self._validate_args:
            self._validate_sample(value)
        index = value.long().unsqueeze(-1)  # out of bounds: gather raises torch's error
        shape = np.broadcast_shapes(tuple(index.shape), tuple(self.logits.shape))
        index = index.expand(shape)[..., :1]
        return self.logits.expand(shape).gather(-1, index).squeeze(-1)

    def entropy(self) -> Tensor:
        """-Σ p log p (a logit of -inf, where p = 0, counts as the dtype's lowest number)."""
        logits = self.logits.clamp(min=float(np.finfo(self.logits._data.dtype).min))
        return -(logits * self.probs).sum(-1)

    def enumerate_support(self, expand: bool = True) -> Tensor:
        values = _t.arange(self._num_events).reshape((-1,) + (1,) * len(self._batch_shape))
        return values.expand((-1, *self._batch_shape)) if expand else values


# ---- Normal ----


class Normal(Distribution):
    """The Gaussian N(loc, scale²); ``loc`` and ``scale`` broadcast against each other."""

    arg_constraints: ClassVar[dict[str, Constraint]] = {
        "loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc: Tensor | float, scale: Tensor | float,
                 validate_args: bool | None = None) -> None:
        self.loc, self.scale = _broadcast_all(loc, scale)
        numbers = not isinstance(loc, Tensor) and not isinstance(scale, Tensor)
        super().__init__(() if numbers else self.loc.shape, validate_args=validate_args)

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def stddev(self) -> Tensor:
        return self.scale

    @property
    def variance(self) -> Tensor:
        return self.stddev.pow(2)

    def rsample(self, sample_shape: _ShapeLike = ()) -> Tensor:
        """loc + ε·scale with ε ~ N(0, 1) from vibrastic's generator: differentiable in loc
        and scale (the reparameterisation trick)."""
        shape = self._extended_shape(sample_shape)
        eps = _t.randn(*shape, dtype=self.loc.dtype)
        return self.loc + eps * self.scale

    def log_prob(self, value: Tensor | float) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        var = self.scale ** 2
        return (-((value - self.loc) ** 2) / (2 * var) - self.scale.log()
                - math.log(math.sqrt(2 * math.pi)))

    def cdf(self, value: Tensor | float) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        return 0.5 * (1 + erf((value - self.loc) * self.scale.reciprocal() / math.sqrt(2)))

    def icdf(self, value: Tensor | float) -> Tensor:
        """The value with this cumulative probability: loc + scale·√2·erfinv(2p - 1)."""
        return self.loc + self.scale * erfinv(2 * value - 1) * math.sqrt(2)

    def entropy(self) -> Tensor:
        return 0.5 + 0.5 * math.log(2 * math.pi) + self.scale.log()


# ---- Bernoulli ----


class Bernoulli(Distribution):
    """1 with probability ``probs`` (or sigmoid(``logits``)), else 0; not both."""

    arg_constraints: ClassVar[dict[str, Constraint]] = {
        "probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.boolean
    has_enumerate_support = True

    def __init__(self, probs: Tensor | float | None = None, logits: Tensor | float | None = None,
                 validate_args: bool | None = None) -> None:
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        given = probs if probs is not None else logits
        assert given is not None
        (param,) = _broadcast_all(given)
        if probs is not None:
            self.probs = param
        else:
            self.logits = param
        self._param = param
        super().__init__(() if not isinstance(given, Tensor) else param.shape,
                         validate_args=validate_args)

    @lazy_property
    def logits(self) -> Tensor:
        """log(p / (1 - p)), p clamped to [eps, 1 - eps]."""
        eps = _eps(self.probs)
        p = self.probs.clamp(min=eps, max=1 - eps)
        return p.log() - (-p).log1p()

    @lazy_property
    def probs(self) -> Tensor:
        return ops.sigmoid(self.logits)

    @property
    def param_shape(self) -> Size:
        return self._param.shape

    @property
    def mean(self) -> Tensor:
        return self.probs

    @property
    def mode(self) -> Tensor:
        p = self.probs._data
        return _new(np.where(p == 0.5, np.nan, p > 0.5).astype(p.dtype))

    @property
    def variance(self) -> Tensor:
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape: _ShapeLike = ()) -> Tensor:
        """0s and 1s in the probabilities' dtype, from vibrastic's generator."""
        shape = tuple(self._extended_shape(sample_shape))
        p = self.probs._data
        return _new(_random.current(None).bernoulli(np.broadcast_to(p, shape), shape, p.dtype))

    def log_prob(self, value: Tensor) -> Tensor:
        """-BCE(logits, value): stable for large |logits| (no log of a rounded probability)."""
        if self._validate_args:
            self._validate_sample(value)
        logits, value = _broadcast_all(self.logits, value)
        return -binary_cross_entropy_with_logits(logits, value, reduction="none")

    def entropy(self) -> Tensor:
        return binary_cross_entropy_with_logits(self.logits, self.probs, reduction="none")

    def enumerate_support(self, expand: bool = True) -> Tensor:
        values = _t.arange(2, dtype=self._param.dtype)
        values = values.reshape((-1,) + (1,) * len(self._batch_shape))
        return values.expand((-1, *self._batch_shape)) if expand else values


# ---- Independent: batch dims reinterpreted as event dims ----


def _sum_rightmost(value: Tensor, dims: int) -> Tensor:
    return value if dims == 0 else value.reshape(*value.shape[:-dims], -1).sum(-1)


class Independent(Distribution):
    """``base_distribution`` with its ``reinterpreted_batch_ndims`` right-most batch dims made
    event dims: ``log_prob`` and ``entropy`` sum over them (a diagonal Gaussian policy over an
    action vector: ``Independent(Normal(mu, std), 1)``)."""

    def __init__(self, base_distribution: Distribution, reinterpreted_batch_ndims: int,
                 validate_args: bool | None = None) -> None:
        if reinterpreted_batch_ndims > len(base_distribution.batch_shape):
            raise ValueError(
                "Expected reinterpreted_batch_ndims <= len(base_distribution.batch_shape), "
                f"actual {reinterpreted_batch_ndims} vs {len(base_distribution.batch_shape)}")
        shape = base_distribution.batch_shape + base_distribution.event_shape
        event_dim = reinterpreted_batch_ndims + len(base_distribution.event_shape)
        self.base_dist = base_distribution
        self.reinterpreted_batch_ndims = reinterpreted_batch_ndims
        super().__init__(shape[:len(shape) - event_dim], shape[len(shape) - event_dim:],
                         validate_args=validate_args)

    @property
    def has_rsample(self) -> bool:  # type: ignore[override]
        return self.base_dist.has_rsample

    @property
    def mean(self) -> Tensor:
        return self.base_dist.mean

    @property
    def mode(self) -> Tensor:
        return self.base_dist.mode

    @property
    def variance(self) -> Tensor:
        return self.base_dist.variance

    def sample(self, sample_shape: _ShapeLike = ()) -> Tensor:
        return self.base_dist.sample(sample_shape)

    def rsample(self, sample_shape: _ShapeLike = ()) -> Tensor:
        return self.base_dist.rsample(sample_shape)

    def log_prob(self, value: Tensor) -> Tensor:
        return _sum_rightmost(self.base_dist.log_prob(value), self.reinterpreted_batch_ndims)

    def entropy(self) -> Tensor:
        return _sum_rightmost(self.base_dist.entropy(), self.reinterpreted_batch_ndims)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.base_dist}, {self.reinterpreted_batch_ndims})"


# ---- KL divergence ----


def _kl_categorical(p: Categorical, q: Categorical) -> Tensor:
    t = p.probs * (p.logits - q.logits)
    t = ops.where(q.probs == 0, math.inf, t)  # mass where q has none: infinite
    return ops.where(p.probs == 0, 0.0, t).sum(-1)  # 0·log 0 = 0


def _kl_normal(p: Normal, q: Normal) -> Tensor:
    var_ratio = (p.scale / q.scale).pow(2)
    t1 = ((p.loc - q.loc) / q.scale).pow(2)
    return 0.5 * (var_ratio + t1 - 1 - var_ratio.log())


def _kl_bernoulli(p: Bernoulli, q: Bernoulli) -> Tensor:
    t1 = p.probs * (softplus(-q.logits) - softplus(-p.logits))
    t1 = ops.where(p.probs == 0, 0.0, ops.where(q.probs == 0, math.inf, t1))
    t2 = (1 - p.probs) * (softplus(q.logits) - softplus(p.logits))
    t2 = ops.where(p.probs == 1, 0.0, ops.where(q.probs == 1, math.inf, t2))
    return t1 + t2


def _kl_independent(p: Independent, q: Independent) -> Tensor:
    if p.reinterpreted_batch_ndims != q.reinterpreted_batch_ndims:
        raise NotImplementedError("KL(Independent || Independent) needs the same "
                                  "reinterpreted_batch_ndims on both sides")
    return _sum_rightmost(kl_divergence(p.base_dist, q.base_dist), p.reinterpreted_batch_ndims)


_KL: dict[tuple[type, type], Callable[[Any, Any], Tensor]] = {
    (Categorical, Categorical): _kl_categorical,
    (Normal, Normal): _kl_normal,
    (Bernoulli, Bernoulli): _kl_bernoulli,
    (Independent, Independent): _kl_independent,
}


def kl_divergence(p: Distribution, q: Distribution) -> Tensor:
    """KL(p || q) = E_p[log p - log q], batched, with torch's closed forms (for two
    Categoricals, Normals, Bernoullis or Independents of them; the PPO/TRPO penalty)."""
    for (tp, tq), fn in _KL.items():
        if isinstance(p, tp) and isinstance(q, tq):
            return fn(p, q)
    raise NotImplementedError(f"No KL(p || q) is implemented for p type {type(p).__name__} "
                              f"and q type {type(q).__name__}")


__getattr__ = module_getattr(__name__)
