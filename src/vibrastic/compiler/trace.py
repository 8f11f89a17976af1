"""Tracing: run the function once, eagerly, and hand every engine event to the recorder.

For the length of one call, the engine's public entry points (the ops, ``Tensor`` methods,
``backward``, the optimizers' ``step`` and ``zero_grad``, ``Module.__call__``) are replaced by
wrappers that first run the original and then report what happened. Nothing in the engine
changes; the wrappers are removed when the call returns. Only the outermost op is reported
(``var`` calls ``sub`` and ``mean``: those are reported, ``var`` is not wrapped).

A call that reads a value into Python (``.item()``, ``bool(t)``, printing) can't be replayed
without Python, so it *breaks* the trace: the call finishes eagerly and the compiled function
stays eager, saying why once.
"""

from __future__ import annotations

import functools
import importlib
import linecache
import os
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from vibrastic import autograd
from vibrastic.compiler.graph import CompileError, WarmUp
from vibrastic.compiler.recorder import Recorder, is_compiled_optimizer, unsupported_optimizer
from vibrastic.tensor import Tensor

_ops = importlib.import_module("vibrastic.ops")
_tmod = importlib.import_module("vibrastic.tensor")  # the module, not vb.tensor()

_ENGINE_DIR = os.path.dirname(os.path.abspath(_tmod.__file__))
_LIBRARY_DIRS = tuple(os.path.join(_ENGINE_DIR, d) + os.sep
                      for d in ("ml", "courses", "platform", "faces"))

# ops.py function name -> the rule that compiles it
OPS = {
    "add": "add", "sub": "sub", "mul": "mul", "div": "div", "pow": "pow",
    "remainder": "remainder", "neg": "neg", "exp": "exp", "log": "log", "sqrt": "sqrt",
    "abs": "abs", "sin": "sin", "cos": "cos", "tanh": "tanh", "sigmoid": "sigmoid",
    "relu": "relu", "leaky_relu": "leaky_relu", "clamp": "clamp", "where": "where",
    "maximum": "maximum", "minimum": "minimum", "sum": "sum", "mean": "mean",
    "reshape": "reshape", "transpose": "transpose", "permute": "permute", "t": "t",
    "expand": "expand", "getitem": "getitem", "cat": "cat", "stack": "stack",
    "matmul": "matmul", "linear": "linear", "softmax": "softmax", "log_softmax": "log_softmax",
    "lt": "lt", "le": "le", "gt": "gt", "ge": "ge", "eq": "eq", "ne": "ne",
    "logical_not": "logical_not", "logical_and": "logical_and", "logical_or": "logical_or",
    "floor_divide": "floor_divide", "argmax": "argmax", "argmin": "argmin",
    "max": "max", "min": "min", "amax": "amax", "amin": "amin", "gather": "gather",
    "logsumexp": "logsumexp", "einsum": "einsum", "isfinite": "isfinite", "isnan": "isnan",
    "isinf": "isinf", "sinh": "sinh", "cosh": "cosh", "tan": "tan", "asin": "asin",
    "acos": "acos", "atan": "atan", "log2": "log2", "log10": "log10", "log1p": "log1p",
    "expm1": "expm1", "reciprocal": "reciprocal", "rsqrt": "rsqrt", "floor": "floor",
    "ceil": "ceil", "trunc": "trunc", "sign": "sign", "round": "round", "frac": "frac",
    "masked_fill": "masked_fill", "index_select": "index_select", "cumsum": "cumsum",
    "flip": "flip", "repeat": "repeat", "prod": "prod", "scatter": "scatter",
    "sort": "sort", "topk": "topk", "any": "any", "all": "all", "isclose": "isclose",
    "tril": "tril", "triu": "triu", "logaddexp": "logaddexp", "roll": "roll",
    "hypot": "hypot", "atan2": "atan2", "nan_to_num": "nan_to_num",
}
SPECIAL = ("erf", "erfc", "erfinv", "ndtr", "logit", "xlogy")  # vb.special's own ops
LOSSES = ("mse_loss", "binary_cross_entropy", "nll_loss", "cross_entropy", "l1_loss",
          "smooth_l1_loss", "huber_loss", "binary_cross_entropy_with_logits")  # nn.functional
FUNCTIONAL = (  # nn.functional's own ops with a rule (relu6, mish, softsign, prelu: made of them)
    *LOSSES, "silu", "elu", "softplus", "hardtanh", "gelu", "embedding", "one_hot", "selu",
    "celu", "logsigmoid", "hardsigmoid", "hardswish", "hardshrink", "softshrink", "threshold",
    "pad", "_value_check")
UNSUPPORTED_OPS: tuple[str, ...] = ()  # ops.py functions with no rule yet (a clear break)
DATA_DEPENDENT = ("nonzero", "unique", "masked_select")  # result shapes follow the values
INPLACE = {  # ops.py's in-place ops (a += b, a.add_(b)) -> the ufunc they apply
    "iadd": "add", "isub": "subtract", "imul": "multiply", "itruediv": "true_divide",
    "add_": "add", "sub_": "subtract", "mul_": "multiply", "div_": "true_divide",
}
INPLACE_OPS = {"add": "add", "subtract": "sub", "multiply": "mul", "true_divide": "div"}
UNRECORDED_INPLACE = (  # Tensor methods that change a tensor without a rule: they break it
    "clamp_", "clip_", "pow_", "neg_", "abs_", "exp_", "log_", "sqrt_", "relu_", "sigmoid_",
    "tanh_", "round_", "floor_", "masked_fill_", "scatter_", "index_fill_", "uniform_",
    "normal_", "detach_", "clamp_min_", "clamp_max_", "square_", "tril_", "triu_", "lerp_",
    "nan_to_num_",
)
PYTHON_VALUE = {  # Tensor methods that hand a value to Python: they break the trace
    "item": "{t}.item() reads a tensor's value into Python",
    "tolist": "{t}.tolist() reads a tensor's values into Python",
    "numpy": "{t}.numpy() hands a tensor's values to NumPy outside the graph",
    "__float__": "float({t}) reads a tensor's value into Python",
    "__int__": "int({t}) reads a tensor's value into Python",
    "__index__": "using a tensor as a Python index reads its value",
    "__bool__": "Python control flow (if/while/and/or) depends on a tensor's value",
    "__array__": "a tensor is turned into a NumPy array",
    "__repr__": "a tensor is printed",
    "retain_grad": "retain_grad() on a tensor inside the compiled function",
    "requires_grad_": "requires_grad_() is changed inside the compiled function",
    "register_hook": "a hook is registered inside the compiled function",
}
CONSTANTS = ("tensor", "zeros", "ones", "full", "zeros_like", "ones_like", "full_like", "eye",
             "arange", "linspace", "tril_indices", "triu_indices")
RANDOM = ("rand", "randn", "randint", "randperm", "bernoulli")

_active: Tracer | None = None


class Tracer:
    """One traced call: the recorder, and the first reason it had to stop (if any)."""

    def __init__(self, recorder: Recorder) -> None:
        self.rec = recorder
        self.thread = threading.get_ident()  # other threads' ops are not this call's
        self.depth = 0
        self.stopped: CompileError | None = None
        self.where = ""
        self.modules: list[str] = []  # the modules being run, innermost last

    def run(self, step: Callable[[], Any]) -> None:
        """Run one recording step; a CompileError stops recording (eager goes on)."""
        if self.stopped is not None:
            return
        try:
            step()
        except CompileError as exc:
            self.stop(exc)
        except Exception as exc:  # a bug in vb.compile must not break the learner's eager code
            self.stop(CompileError(f"internal error in vb.compile: {type(exc).__name__}: {exc}"))

    def stop(self, exc: CompileError) -> None:
        if self.stopped is None:
            self.stopped = exc
            self.where = callsite()

    @property
    def recording(self) -> bool:
        return self.stopped is None and self.depth == 0 and threading.get_ident() == self.thread

    def where_now(self) -> str:
        """The module being run (if any) and the learner's line, for the code's comments."""
        line = callsite()
        if self.modules:
            return f"[{self.modules[-1]}]  {line}"
        return line


def callsite() -> str:
    """``file.py:12  the line`` of the learner's code that called into the engine."""
    frame = sys._getframe(1)
    while frame is not None:
        filename = os.path.abspath(frame.f_code.co_filename)
        inside = filename.startswith(_ENGINE_DIR + os.sep) and not filename.startswith(
            _LIBRARY_DIRS)
        if not inside and "contextlib" not in filename and "functools" not in filename:
            line = linecache.getline(filename, frame.f_lineno).strip()
            return f"{os.path.basename(filename)}:{frame.f_lineno}  {line}"
        frame = frame.f_back  # type: ignore[assignment]
    return ""


# ---- the wrappers ----


def _wrap_op(orig: Callable[..., Any], rule: str) -> Callable[..., Any]:
    @functools.wraps(orig)
    def op(*args: Any, **kwargs: Any) -> Any:
        tr = _active
        if tr is None or not tr.recording:
            return orig(*args, **kwargs)
        tr.run(lambda: _prepare(tr, args, kwargs))
        tr.depth += 1
        try:
            out = orig(*args, **kwargs)
        finally:
            tr.depth -= 1
        if out is not NotImplemented:
            tr.run(lambda: tr.rec.op(rule, args, kwargs, out, tr.where_now()))
        return out

    return op


def _prepare(tr: Tracer, args: tuple, kwargs: dict) -> None:
    """Give every input a node before the op runs (snapshots outside tensors unchanged)."""
    from vibrastic.compiler.recorder import _tensors_in

    for t in _tensors_in((args, kwargs)):
        tr.rec.node_for(t)


def _wrap_unsupported(orig: Callable[..., Any], what: str) -> Callable[..., Any]:
    """A wrapper that stops the trace, then runs the original eagerly."""
    @functools.wraps(orig)
    def unsupported(*args: Any, **kwargs: Any) -> Any:
        tr = _active
        if tr is not None and tr.recording:
            tr.stop(CompileError(what))
        return orig(*args, **kwargs)

    return unsupported


def _wrap_inplace(orig: Callable[..., Any], kernel: str) -> Callable[..., Any]:
    @functools.wraps(orig)
    def inplace(self: Tensor, other: Any, **kwargs: Any) -> Any:  # ops.iadd(a, b) and friends
        tr = _active
        if tr is None or not tr.recording:
            return orig(self, other, **kwargs)
        if kwargs.get("alpha") is not None:
            tr.stop(CompileError("the alpha= argument of in-place ops is not supported"))
            return orig(self, other, **kwargs)
        tr.run(lambda: _prepare(tr, (self, other), {}))
        tr.depth += 1
        try:
            out = orig(self, other, **kwargs)
        finally:
            tr.depth -= 1
        if out is self:
            tr.run(lambda: tr.rec.inplace(kernel, self, other, callsite()))
        else:  # inside the graph, ``a += b`` means ``a = a + b``
            tr.run(lambda: tr.rec.op(INPLACE_OPS[kernel], (self, other), {}, out, callsite()))
        return out

    return inplace


def _wrap_python_value(orig: Callable[..., Any], message: str) -> Callable[..., Any]:
    @functools.wraps(orig)
    def to_python(self: Tensor, *args: Any, **kwargs: Any) -> Any:
        tr = _active
        if tr is not None and tr.recording:
            tr.stop(CompileError(message.format(t="tensor")))
        return orig(self, *args, **kwargs)

    return to_python


def _wrap_event(orig: Callable[..., Any],
                before: Callable[..., Any] | None,
                after: Callable[..., Any] | None = None, nest: bool = True) -> Callable[..., Any]:
    """A wrapper that tells the recorder before and after the original runs (``nest``: the
    ops the original calls are its own business, not reported)."""

    @functools.wraps(orig)
    def event(*args: Any, **kwargs: Any) -> Any:
        tr = _active
        if tr is None or not tr.recording:
            return orig(*args, **kwargs)
        state: list[Any] = [None]
        if before is not None:
            tr.run(lambda: state.__setitem__(0, before(tr, *args, **kwargs)))
        tr.depth += nest
        try:
            out = orig(*args, **kwargs)
        finally:
            tr.depth -= nest
        if after is not None:
            tr.run(lambda: after(tr, state[0], out, *args, **kwargs))
        return out

    return event


def _before_backward(tr: Tracer, self: Tensor, gradient: Any = None,
                     retain_graph: Any = None, create_graph: bool = False) -> Any:
    if retain_graph:
        raise CompileError("backward(retain_graph=True) is not supported by vb.compile")
    if autograd._hooked:
        raise CompileError("a tensor has hooks (register_hook), which vb.compile's backward "
                           "would not call")
    return tr.rec.backward(self, gradient, callsite())


def _after_backward(tr: Tracer, reached: Any, out: Any, *args: Any, **kwargs: Any) -> None:
    tr.rec.after_backward(reached)


def _before_step(tr: Tracer, self: Any, closure: Any = None) -> None:
    if closure is not None:
        raise CompileError("optimizer.step(closure) is not supported by vb.compile")
    tr.rec.step(self, callsite())


def _after_step(tr: Tracer, _: Any, out: Any, self: Any, closure: Any = None) -> None:
    tr.rec.after_step(self)


def _before_zero_grad(tr: Tracer, self: Any, set_to_none: bool = True) -> None:
    from vibrastic.nn import Module

    if isinstance(self, Module):
        params = list(self.parameters())
    else:
        params = [p for group in self.param_groups for p in group["params"]]
    tr.rec.zero_grad(params, set_to_none)


def _before_module_call(tr: Tracer, self: Any, *args: Any, **kwargs: Any) -> None:
    tr.rec.module_called(self)
    name = tr.rec.module_names.get(id(self), "")
    tr.modules.append(f"{name}: {type(self).__name__}" if name else type(self).__name__)


def _after_module_call(tr: Tracer, _: Any, out: Any, self: Any, *args: Any, **kwargs: Any
                       ) -> None:
    if tr.modules:
        tr.modules.pop()


def _after_detach(tr: Tracer, _: Any, out: Tensor, self: Tensor) -> None:
    tr.rec.alias(self, out)


def _before_to(tr: Tracer, self: Tensor, *args: Any, **kwargs: Any) -> None:
    _prepare(tr, (self,), {})


def _after_to(tr: Tracer, _: Any, out: Tensor, self: Tensor, *args: Any, **kwargs: Any) -> None:
    if out is not self:
        tr.rec.op("to", (self,), {"dtype": out._data.dtype}, out, callsite())


def _before_setitem(tr: Tracer, self: Tensor, idx: Any, value: Any) -> None:
    _prepare(tr, (self, idx, value), {})


def _after_setitem(tr: Tracer, _: Any, out: Any, self: Tensor, idx: Any, value: Any) -> None:
    tr.rec.setitem(self, idx, value, callsite())


def _before_fill(tr: Tracer, self: Tensor, *args: Any) -> None:
    _prepare(tr, (self, *args), {})


def _after_zero(tr: Tracer, _: Any, out: Any, self: Tensor) -> None:
    tr.rec.fill(self, 0, callsite())


def _after_fill(tr: Tracer, _: Any, out: Any, self: Tensor, value: float) -> None:
    tr.rec.fill(self, value, callsite())


def _after_copy(tr: Tracer, _: Any, out: Any, self: Tensor, src: Any) -> None:
    tr.rec.setitem(self, Ellipsis, src, callsite())


def _created(kind: str) -> Callable[..., None]:
    def after(tr: Tracer, _: Any, out: Tensor, *args: Any, **kwargs: Any) -> None:
        tr.rec.created(out, kind, {}, callsite())

    return after


def _after_random(name: str) -> Callable[..., None]:
    def after(tr: Tracer, _: Any, out: Tensor, *args: Any, **kwargs: Any) -> None:
        shape, dtype = out._data.shape, out._data.dtype
        if kwargs.get("generator") is not None:
            raise CompileError(f"{name}(generator=...): vb.compile draws again from the default "
                               f"generator only")
        if name == "bernoulli":
            p = args[1] if len(args) > 1 else kwargs.get("p")
            if p is None:
                raise CompileError("bernoulli(probabilities) is not supported by vb.compile yet "
                                   "(bernoulli(x, p) with a number p is)")
            attrs = {"kernel": "bernoulli", "p": float(p), "size": shape, "dtype": dtype}
        elif name in ("rand", "randn"):
            method = "uniform" if name == "rand" else "normal"  # vibrastic.random.Generator
            attrs = {"kernel": "random", "method": _raw_text(method), "size": shape,
                     "dtype": dtype}
        elif name == "randint":
            bound = _bind_randint(*args, **kwargs)
            attrs = {"kernel": "randint", "low": bound[0], "high": bound[1], "size": shape,
                     "dtype": dtype}
        else:
            attrs = {"kernel": "permutation", "n": int(args[0] if args else kwargs["n"]),
                     "dtype": dtype}
        tr.rec.created(out, "random", attrs, callsite())

    return after


def _raw_text(text: str) -> Any:
    from vibrastic.compiler.graph import raw

    return raw(text)


def _bind_randint(low: int, high: int | None = None, *args: Any, **kwargs: Any) -> tuple:
    return (0, low) if high is None else (low, high)


# ---- installing and removing the wrappers ----


def _engine_namespaces() -> list[Any]:
    """Every engine module whose globals may hold an op (not the compiler's own modules)."""
    names = [n for n in list(sys.modules) if n == "vibrastic" or n.startswith("vibrastic.")]
    return [sys.modules[n] for n in names
            if not n.startswith("vibrastic.compiler") and sys.modules[n] is not None]


@contextmanager
def installed() -> Iterator[None]:
    """Replace the engine's entry points by the wrappers for the duration of a trace."""
    from vibrastic import optim
    from vibrastic.nn import Module

    replaced: list[tuple[Any, str, Any]] = []

    def put(owner: Any, attr: str, new: Any) -> None:
        replaced.append((owner, attr, owner.__dict__[attr]))
        setattr(owner, attr, new)

    from vibrastic.nn import functional as _functional
    from vibrastic.nn import init as _init
    from vibrastic.random import Generator

    by_identity: dict[int, Any] = {}
    for name, rule in OPS.items():
        orig = getattr(_ops, name)
        by_identity[id(orig)] = _wrap_op(orig, rule)
    for name in FUNCTIONAL:
        orig = getattr(_functional, name)
        by_identity[id(orig)] = _wrap_op(orig, name)
    _special = importlib.import_module("vibrastic.special")
    for name in SPECIAL:
        orig = getattr(_special, name)
        by_identity[id(orig)] = _wrap_op(orig, name)
    for name, kernel in INPLACE.items():
        orig = getattr(_ops, name)
        by_identity[id(orig)] = _wrap_inplace(orig, kernel)
    for name in UNSUPPORTED_OPS:
        orig = getattr(_ops, name)
        by_identity[id(orig)] = _wrap_unsupported(
            orig, f"{name}() is not supported by vb.compile yet")
    for name in DATA_DEPENDENT:
        orig = getattr(_ops, name)
        by_identity[id(orig)] = _wrap_unsupported(
            orig, f"{name}() gives a result whose shape depends on the values, which "
                  "vb.compile's straight-line code can't follow")
    for name in CONSTANTS:
        orig = getattr(_tmod, name)
        by_identity[id(orig)] = _wrap_event(orig, None, _created("constant"))
    for name in RANDOM:
        orig = getattr(_tmod, name)
        by_identity[id(orig)] = _wrap_event(orig, None, _after_random(name))
    orig = _tmod.from_numpy
    by_identity[id(orig)] = _wrap_unsupported(
        orig, "from_numpy() inside a compiled function shares memory with an array vb.compile "
              "can't follow; pass a tensor in")

    for module in _engine_namespaces():
        for attr, value in list(vars(module).items()):
            wrapper = by_identity.get(id(value))
            if wrapper is not None and callable(value):
                put(module, attr, wrapper)
    for attr, value in list(vars(Tensor).items()):
        if isinstance(value, property) and id(value.fget) in by_identity:
            put(Tensor, attr, property(by_identity[id(value.fget)], value.fset))
        elif callable(value) and id(value) in by_identity:
            put(Tensor, attr, by_identity[id(value)])
    for attr, message in PYTHON_VALUE.items():
        if attr in vars(Tensor):
            put(Tensor, attr, _wrap_python_value(vars(Tensor)[attr], message))
    put(Tensor, "backward", _wrap_event(vars(Tensor)["backward"], _before_backward,
                                        _after_backward))
    put(Tensor, "detach", _wrap_event(vars(Tensor)["detach"], None, _after_detach))
    put(Tensor, "clone", _wrap_op(vars(Tensor)["clone"], "clone"))
    data = vars(Tensor)["data"]
    put(Tensor, "data", property(
        _wrap_event(data.fget, None, _after_detach),
        _wrap_unsupported(data.fset, "assigning tensor.data = ... is not supported by "
                                     "vb.compile; update in place (tensor.data -= ...)")))
    put(Tensor, "to", _wrap_event(vars(Tensor)["to"], _before_to, _after_to))
    for name in ("uniform", "normal", "integers", "permutation", "bernoulli", "random64"):
        put(Generator, name, _wrap_unsupported(  # a draw not made through vb.rand & co.
            vars(Generator)[name], "a random draw vb.compile would not make again on each "
                                   "call (nn.init, a distribution's sample, vb.normal, ...)"))
    from vibrastic.utils.data import DataLoader

    put(DataLoader, "__iter__", _wrap_unsupported(
        vars(DataLoader)["__iter__"],
        "a DataLoader is looped over inside the compiled function, which would replay one "
        "epoch's batches, unrolled; compile the step for one batch and loop outside: "
        "step = vb.compile(train_step), then for x, y in loader: step(x, y)"))
    for name in UNRECORDED_INPLACE:
        if name in vars(Tensor):
            instead = (f"write x = x.{name[:-1]}(...), or call it outside"
                       if name[:-1] in vars(Tensor) else "call it outside")
            put(Tensor, name, _wrap_unsupported(
                vars(Tensor)[name], f"tensor.{name}() changes a tensor in place, which vb.compile "
                f"does not replay yet ({instead})"))
    for name, value in list(vars(_init).items()):
        if name.endswith("_") and not name.startswith("_") and callable(value):
            put(_init, name, _wrap_unsupported(
                value, f"nn.init.{name}() inside a compiled function is not replayed by "
                       "vb.compile; initialise outside it"))
    put(Tensor, "register_hook", _wrap_unsupported(
        vars(Tensor)["register_hook"], "register_hook() inside a compiled function: its hooks "
                                       "run eagerly"))
    put(Tensor, "__setitem__", _wrap_event(vars(Tensor)["__setitem__"], _before_setitem,
                                           _after_setitem))
    put(Tensor, "zero_", _wrap_event(vars(Tensor)["zero_"], _before_fill, _after_zero))
    put(Tensor, "fill_", _wrap_event(vars(Tensor)["fill_"], _before_fill, _after_fill))
    put(Tensor, "copy_", _wrap_event(vars(Tensor)["copy_"], _before_fill, _after_copy))
    put(Tensor, "__init__", _wrap_event(vars(Tensor)["__init__"], None, _after_init))
    for cls in _subclasses(optim.Optimizer):
        if "step" in vars(cls):
            if is_compiled_optimizer(cls):
                put(cls, "step", _wrap_event(vars(cls)["step"], _before_step, _after_step))
            else:
                put(cls, "step", _wrap_unsupported(vars(cls)["step"],
                                                   unsupported_optimizer(cls.__name__)))
        if "zero_grad" in vars(cls):
            put(cls, "zero_grad", _wrap_event(vars(cls)["zero_grad"], _before_zero_grad))
    for cls in [Module, *_subclasses(Module)]:
        if "zero_grad" in vars(cls):
            put(cls, "zero_grad", _wrap_event(vars(cls)["zero_grad"], _before_zero_grad))
        if "__call__" in vars(cls):
            put(cls, "__call__", _wrap_event(vars(cls)["__call__"], _before_module_call,
                                             _after_module_call, nest=False))
    try:
        yield
    finally:
        for owner, attr, value in reversed(replaced):
            setattr(owner, attr, value)


def _after_init(tr: Tracer, _: Any, out: Any, self: Tensor, *args: Any, **kwargs: Any) -> None:
    tr.rec.created(self, "constant", {}, callsite())


def _subclasses(cls: type) -> list[type]:
    out: list[type] = [cls]
    for sub in cls.__subclasses__():
        out.extend(_subclasses(sub))
    return list(dict.fromkeys(out))


@contextmanager
def tracing(recorder: Recorder) -> Iterator[Tracer]:
    """Install the wrappers and make ``recorder`` the one that hears about this call."""
    global _active
    if _active is not None:
        raise CompileError("a compiled function called another one while it was being traced; "
                           "compile the outer function only")
    tracer = Tracer(recorder)

    def changed_in_place() -> None:  # the recorder's graph would miss it: run eagerly instead
        tracer.stop(CompileError("a tensor of the graph is changed in place (torch's in-place "
                                 "ops and index assignment inside the graph are not compiled)"))

    with installed():
        _active = tracer
        autograd.on_change_in_place.append(changed_in_place)
        try:
            yield tracer
        finally:
            autograd.on_change_in_place.remove(changed_in_place)
            _active = None


__all__ = ["CompileError", "Tracer", "WarmUp", "callsite", "tracing"]
