"""``vibrastic.optim``: SGD, Adam, AdamW, RMSprop and Adagrad, step for step as torch's.

Learning-rate schedules are in ``vibrastic.optim.lr_scheduler``.

Updates are applied to the parameters' arrays in place, outside the graph, as torch does under
``no_grad``.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from vibrastic.missing import module_getattr
from vibrastic.tensor import Tensor, _new, _to_numpy


class Optimizer:
    """Holds parameter groups (dicts with 'params' and hyper-parameters) and per-parameter state.

    Every subclass's ``step`` notes that it was called (``_opt_called``), so that a scheduler
    stepped before the optimizer can warn as torch's does.
    """

    _opt_called = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        step = cls.__dict__.get("step")
        if step is not None and not getattr(step, "_notes_call", False):
            @functools.wraps(step)
            def noted(self: Optimizer, *args: Any, **kw: Any) -> Any:
                self._opt_called = True
                return step(self, *args, **kw)

            noted._notes_call = True  # type: ignore[attr-defined]
            cls.step = noted  # type: ignore[method-assign]

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        self.state: dict[Tensor, dict[str, Any]] = {}
        self.param_groups: list[dict[str, Any]] = []
        params = list(params)
        if not params:
            raise ValueError("optimizer got an empty parameter list")
        groups = params if isinstance(params[0], dict) else [{"params": params}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, group: dict[str, Any]) -> None:
        group = dict(group)
        group["params"] = list(group["params"])
        for p in group["params"]:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, got {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
        for key, value in self.defaults.items():
            group.setdefault(key, value)
        self.param_groups.append(group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients (set them to None by default, as torch >= 2.0)."""
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none:
                    p.grad = None
                elif p.grad is not None:
                    p.grad.zero_()

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        raise NotImplementedError

    # ---- saving and loading (torch's layout: parameters are numbered across groups) ----
    def state_dict(self) -> dict[str, Any]:
        """``{'state': {index: {name: tensor}}, 'param_groups': [{..., 'params': [index]}]}``.

        The state's tensors share memory with the optimizer's buffers, as torch's do; Adam's
        ``step`` is a 0-d float32 tensor, as torch's.
        """
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            packed["params"] = [index.setdefault(id(p), len(index)) for p in group["params"]]
            groups.append(packed)
        state = {
            index[id(p)]: {name: _export(name, value) for name, value in s.items()}
            for p, s in self.state.items() if id(p) in index
        }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore hyper-parameters and buffers from ``state_dict()`` (vibrastic's or torch's)."""
        if not isinstance(state_dict, dict) or not {"state", "param_groups"} <= set(state_dict):
            raise ValueError("optimizer state_dict must be a dict with 'state' and 'param_groups' "
                             "(as returned by optimizer.state_dict())")
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(s["params"]) != len(g["params"])
               for s, g in zip(saved_groups, self.param_groups, strict=True)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match "
                             "the size of optimizer's group")
        params = {}
        for saved, group in zip(saved_groups, self.param_groups, strict=True):
            params.update(zip(saved["params"], group["params"], strict=True))
            for key, value in saved.items():  # keys this optimizer does not have are skipped
                if key != "params" and key in self.defaults:
                    group[key] = tuple(value) if isinstance(value, list) else value
        self.state = {}
        for key, saved_state in state_dict["state"].items():
            p = params.get(int(key))
            if p is None:
                continue
            self.state[p] = {name: _import(name, value, p._data.dtype)
                             for name, value in saved_state.items()}

    def __repr__(self) -> str:
        """torch's: each group's settings in alphabetical order."""
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {key}: {group[key]}" for key in sorted(group) if key != "params"]
        return "\n".join(lines) + "\n)"


def _torch_flags(capturable: bool = False, differentiable: bool = False) -> None:
    """torch's implementation switches: ``foreach`` and ``fused`` change only how torch loops
    (vibrastic updates whole arrays either way), so they are accepted and kept in the groups;
    these two ask for what vibrastic does not have."""
    if capturable:
        raise AssertionError("If capturable=True, params and state_steps must be on supported "
                             "devices: ['cuda', 'xpu', 'hpu', 'privateuseone', 'xla']. "
                             "(vibrastic runs on the CPU only.)")
    if differentiable:
        raise NotImplementedError("differentiable=True is not available in vibrastic: its "
                                  "optimizers update the parameters outside the graph")


def _gradient(p: Tensor, group: dict[str, Any]) -> np.ndarray:
    """p's gradient as an update uses it: negated to maximize, plus weight_decay·p (L2)."""
    g = p.grad._data
    if group["maximize"]:
        g = -g
    if group["weight_decay"]:
        g = g + group["weight_decay"] * p._data
    return g


def _export(name: str, value: Any) -> Any:
    """A state entry as state_dict shows it: arrays as tensors (shared), Adam's step as torch's."""
    if name == "step" and isinstance(value, int):
        return _new(np.asarray(value, dtype=np.float32))
    if isinstance(value, np.ndarray):
        return _new(value)
    return value


def _import(name: str, value: Any, dtype: np.dtype) -> Any:
    """A state_dict entry back as the optimizer keeps it (a copy, in the parameter's dtype)."""
    if value is None:
        return None
    if name == "step":
        return round(float(_to_numpy(value)))
    arr = _to_numpy(value)
    if isinstance(arr, np.ndarray):
        return arr.astype(dtype if arr.dtype.kind == "f" else arr.dtype, copy=True)
    return value


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with momentum, exactly as ``torch.optim.SGD``.

    With gᵗ the gradient (plus weight_decay·w):
        bᵗ = momentum·bᵗ⁻¹ + (1 - dampening)·gᵗ   (b¹ = g¹),   w ← w - lr·bᵗ
    (nesterov uses gᵗ + momentum·bᵗ instead of bᵗ). For a fixed lr and dampening = 0 this is the
    deck's momentum rule Δw(t) = -α∇E + βΔw(t-1) with α = lr and β = momentum: since
    Δw(t) = -lr·bᵗ, the two sequences of steps are identical.

    Parameters
    ----------
    params : iterable of Tensor or of dict
        The leaf tensors to update (e.g. ``model.parameters()``), or parameter groups: dicts
        with a 'params' list and their own hyper-parameters.
    lr : float
        The learning rate α.
    momentum : float
        β, the share of the previous step kept in the next (0 turns momentum off).
    dampening : float
        Scales down the new gradient in the momentum buffer.
    weight_decay : float
        L2 penalty: adds weight_decay·w to every gradient.
    nesterov : bool
        Look-ahead momentum (needs momentum > 0 and dampening = 0).
    maximize : bool
        Climb the objective instead of descending it.

    Attributes
    ----------
    param_groups : list of dict
        The groups and their hyper-parameters (change ``group['lr']`` to schedule the rate).
    state : dict
        Per parameter: 'momentum_buffer', an array of the parameter's shape.

    Examples
    --------
    Two steps on E(w) = Σ w², whose gradient is 2w:

    >>> import vibrastic as vb
    >>> w = vb.tensor([1.0, -2.0], requires_grad=True)
    >>> optimizer = vb.optim.SGD([w], lr=0.1, momentum=0.9)
    >>> for _ in range(2):
    ...     optimizer.zero_grad()
    ...     (w * w).sum().backward()
    ...     optimizer.step()
    >>> w
    tensor([ 0.4600, -0.9200], requires_grad=True)
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        _torch_flags(differentiable=differentiable)
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov,
                                      maximize=maximize, foreach=foreach,
                                      differentiable=differentiable, fused=fused))

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        loss = closure() if closure is not None else None
        for group in self.param_groups:
            lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
            weight_decay, nesterov, maximize = (
                group["weight_decay"], group["nesterov"], group["maximize"]
            )
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad._data
                if maximize:
                    g = -g
                if weight_decay:
                    g = g + weight_decay * p._data
                if momentum:
                    state = self.state.setdefault(p, {})
                    buf = state.get("momentum_buffer")
                    if buf is None:
                        buf = state["momentum_buffer"] = np.array(g)  # a copy, even 0-d
                    else:
                        buf *= momentum
                        buf += (1 - dampening) * g
                    g = g + momentum * buf if nesterov else buf
                p._data -= lr * g
        return loss


class Adam(Optimizer):
    """Adam (Kingma & Ba), with torch's bias correction and epsilon placement.

        m ← β₁m + (1-β₁)g,  v ← β₂v + (1-β₂)g²,
        w ← w - lr/(1-β₁ᵗ) · m / (√v / √(1-β₂ᵗ) + eps)

    Parameters
    ----------
    params : iterable of Tensor or of dict
        The leaf tensors to update, or parameter groups.
    lr : float
        The step size.
    betas : (float, float)
        β₁ and β₂, the decay rates of the running mean m and of the running square v.
    eps : float
        Added to the denominator so it is never 0.
    weight_decay : float
        L2 penalty added to the gradient.
    amsgrad : bool
        Divide by the largest v seen so far.
    maximize : bool
        Climb the objective instead of descending it.

    Examples
    --------
    The first Adam step moves every weight by about lr, whatever the gradient's size:

    >>> import vibrastic as vb
    >>> w = vb.tensor([1.0, -2.0], requires_grad=True)
    >>> optimizer = vb.optim.Adam([w], lr=0.1)
    >>> (w * w).sum().backward()
    >>> optimizer.step()
    >>> w
    tensor([ 0.9000, -1.9000], requires_grad=True)
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
        decoupled_weight_decay: bool = False,
    ) -> None:
        _torch_flags(capturable, differentiable)
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not (0.0 <= betas[0] < 1.0 and 0.0 <= betas[1] < 1.0):
            raise ValueError(f"Invalid beta parameters: {betas}")
        if eps < 0.0:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay, amsgrad=amsgrad,
                                      maximize=maximize, foreach=foreach, capturable=capturable,
                                      differentiable=differentiable, fused=fused,
                                      decoupled_weight_decay=decoupled_weight_decay))

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        loss = closure() if closure is not None else None
        for group in self.param_groups:
            lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad._data
                if group["maximize"]:
                    g = -g
                if group["weight_decay"]:
                    if group["decoupled_weight_decay"]:  # AdamW: shrink the weights directly
                        p._data *= 1 - lr * group["weight_decay"]
                    else:
                        g = g + group["weight_decay"] * p._data
                state = self.state.setdefault(p, {})
                if not state:
                    state["step"] = 0
                    state["exp_avg"] = np.zeros_like(p._data)
                    state["exp_avg_sq"] = np.zeros_like(p._data)
                    if group["amsgrad"]:
                        state["max_exp_avg_sq"] = np.zeros_like(p._data)
                state["step"] += 1
                t = state["step"]
                m, v = state["exp_avg"], state["exp_avg_sq"]
                m += (1 - beta1) * (g - m)  # torch's lerp_: m = m + (1-β₁)(g - m)
                v *= beta2
                v += (1 - beta2) * g * g
                if group["amsgrad"]:
                    np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
                    v = state["max_exp_avg_sq"]
                step_size = lr / (1 - beta1**t)
                denom = np.sqrt(v) / math.sqrt(1 - beta2**t) + eps
                p._data -= step_size * (m / denom)
        return loss


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter): w ← w·(1 - lr·λ) before each step."""

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         foreach=foreach, capturable=capturable,
                         differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)


class RMSprop(Optimizer):
    """RMSprop (Hinton), as ``torch.optim.RMSprop``:

        v ← αv + (1-α)g²,  w ← w - lr · g / (√v + eps)
    (``centered`` subtracts the squared running mean of g from v; ``momentum`` keeps a buffer
    b ← μb + g / (√v + eps) and steps by lr·b).
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        _torch_flags(capturable, differentiable)
        for name, value in (("learning rate", lr), ("epsilon value", eps),
                            ("momentum value", momentum), ("weight_decay value", weight_decay),
                            ("alpha value", alpha)):
            if value < 0.0:
                raise ValueError(f"Invalid {name}: {value}")
        super().__init__(params, dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps,
                                      centered=centered, weight_decay=weight_decay,
                                      capturable=capturable, foreach=foreach, maximize=maximize,
                                      differentiable=differentiable))

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        loss = closure() if closure is not None else None
        for group in self.param_groups:
            lr, alpha, eps, momentum = group["lr"], group["alpha"], group["eps"], group["momentum"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = _gradient(p, group)
                state = self.state.setdefault(p, {})
                if not state:
                    state["step"] = 0
                    state["square_avg"] = np.zeros_like(p._data)
                    if momentum > 0:
                        state["momentum_buffer"] = np.zeros_like(p._data)
                    if group["centered"]:
                        state["grad_avg"] = np.zeros_like(p._data)
                state["step"] += 1
                v = state["square_avg"]
                v *= alpha
                v += (1 - alpha) * g * g
                if group["centered"]:
                    m = state["grad_avg"]
                    m += (1 - alpha) * (g - m)
                    avg = np.sqrt(v - m * m)
                else:
                    avg = np.sqrt(v)
                avg += eps
                if momentum > 0:
                    buf = state["momentum_buffer"]
                    buf *= momentum
                    buf += g / avg
                    p._data -= lr * buf
                else:
                    p._data -= lr * (g / avg)
        return loss


class Adagrad(Optimizer):
    """Adagrad (Duchi et al.), as ``torch.optim.Adagrad``: each weight's step shrinks with the
    sum of its squared gradients so far.

        s ← s + g²,  w ← w - clr · g / (√s + eps),  clr = lr / (1 + (t - 1)·lr_decay)

    Parameters
    ----------
    params : iterable of Tensor or of dict
        The leaf tensors to update, or parameter groups.
    lr : float
        The initial step size.
    lr_decay : float
        Shrinks the step size with the step count t.
    weight_decay : float
        L2 penalty added to the gradient.
    initial_accumulator_value : float
        The starting value of s (0: the first step moves every weight by about lr).
    eps : float
        Added to the denominator so it is never 0.
    maximize : bool
        Climb the objective instead of descending it.

    Attributes
    ----------
    state : dict
        Per parameter, from construction on (as torch): 'step' and 'sum' (s).
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        _torch_flags(differentiable=differentiable)
        for name, value in (("learning rate", lr), ("lr_decay value", lr_decay),
                            ("weight_decay value", weight_decay),
                            ("initial_accumulator_value value", initial_accumulator_value),
                            ("epsilon value", eps)):
            if not value >= 0.0:  # NaN too
                raise ValueError(f"Invalid {name}: {value}")
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, eps=eps,
                                      weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value,
                                      foreach=foreach, maximize=maximize,
                                      differentiable=differentiable, fused=fused))
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p, group)

    def _init_state(self, p: Tensor, group: dict[str, Any]) -> dict[str, Any]:
        state = self.state.setdefault(p, {})
        if not state:
            state["step"] = 0
            state["sum"] = np.full_like(p._data, group["initial_accumulator_value"])
        return state

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        loss = closure() if closure is not None else None
        for group in self.param_groups:
            lr, lr_decay, eps = group["lr"], group["lr_decay"], group["eps"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = _gradient(p, group)
                state = self._init_state(p, group)  # a group added later starts here
                state["step"] += 1
                clr = lr / (1 + (state["step"] - 1) * lr_decay)
                s = state["sum"]
                s += g * g
                std = np.sqrt(s)
                std += eps
                p._data += (-clr * g) / std  # torch's addcdiv_: (value·g) / std
        return loss


from vibrastic.optim import lr_scheduler  # noqa: E402  (it builds on Optimizer)

__all__ = ["SGD", "Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop", "lr_scheduler"]

__getattr__ = module_getattr(__name__)
