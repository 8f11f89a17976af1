"""``vb.compile``: trace a model or a whole training step once, then replay it as generated code.

    step = vb.compile(train_step)      # forward, loss, backward(), optimizer.step(), zero_grad()
    compiled = vb.compile(model)       # the model's forward (and its backward, fused)

The first call runs eagerly and records every engine op, the backward pass and the optimizer
update (``trace.py``, ``recorder.py``); each op becomes NumPy calls checked bit for bit against
eager (``rules.py``, ``graph.py``); the record becomes one straight-line Python function over
preallocated buffers (``codegen.py``), or plain Python floats for tiny networks (``scalar.py``).
Later calls run that function while its guards hold (shapes, dtypes, ``requires_grad``, grad
mode, modules, optimizer settings); when one fails, vb.compile traces again. Code it can't
replay (``.item()``, ``if tensor:``, unknown ops) runs eagerly, and vb.compile says why once.
``compiled.code`` shows the generated function; ``vb.compile(f, debug=True)`` prints it.
How it works, for a learner: docs/compile.md.
"""

from __future__ import annotations

import dis
import functools
import importlib
import inspect
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from vibrastic.autograd import is_grad_enabled
from vibrastic.compiler import trace as _trace
from vibrastic.compiler.codegen import ArgGuard, Context, ModuleGuard, Program, Retrace, build
from vibrastic.compiler.graph import CompileError, WarmUp
from vibrastic.compiler.recorder import Recorder
from vibrastic.compiler.rules import engine_mean_of_one_is_itself, engine_takes_one_row
from vibrastic.compiler.trace import tracing
from vibrastic.nn.modules import Module
from vibrastic.tensor import Tensor

_tmod = importlib.import_module("vibrastic.tensor")  # the module, not vb.tensor()
_random = importlib.import_module("vibrastic.random")

__all__ = ["CompileError", "CompileWarning", "CompiledFunction", "CompiledModule", "compile"]

BACKENDS = ("auto", "numpy", "scalar", "eager")
RECOMPILE_LIMIT = 8  # traces per function before it stays eager (torch's recompile_limit)
WARMUP_LIMIT = 3


class CompileWarning(UserWarning):
    """vb.compile runs a function eagerly instead (said once per function)."""


@dataclass
class Entry:
    """One compiled version of the function, valid while its guards hold."""

    program: Program
    trace_ms: float
    timings: dict[str, float]


class CompiledFunction:
    """A function compiled by ``vb.compile``: call it like the original.

    ``code`` is the generated source of the version used last; ``explain()`` says what
    vb.compile did (or why it runs eagerly).
    """

    def __init__(self, fn: Callable[..., Any], *, debug: bool = False, backend: str = "auto",
                 fullgraph: bool = False) -> None:
        if backend == "inductor":  # torch's default name: take our default
            backend = "auto"
        elif backend == "aot_eager":  # torch's trace-but-no-codegen debugging backend: the
            backend = "numpy"  # traced forward and backward run as plain NumPy code
        if backend not in BACKENDS:
            raise ValueError(f"unknown backend {backend!r}; expected one of {', '.join(BACKENDS)}")
        if not callable(fn):
            raise TypeError(f"vb.compile expects a function or an nn.Module, got "
                            f"{type(fn).__name__}")
        self.fn = fn
        self.debug = debug
        self.backend = backend
        self.fullgraph = fullgraph
        self.entries: list[Entry] = []
        self.fallback: str | None = "backend='eager'" if backend == "eager" else None
        self.traces = 0
        self._warmups = 0
        self._fast: Callable[..., Any] | None = None
        self._told = False
        self._why = ""  # the guard that failed last (for explain())
        self._shared: dict[Any, Any] = {}  # what its programs share (codegen.Writer.shared)
        functools.update_wrapper(self, fn, updated=())

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        run = self._fast
        if run is not None and _trace._active is None:
            try:
                return run(*args, **kwargs)
            except Retrace as why:
                self._why = str(why)
        return self._slow(args, kwargs)

    def _slow(self, args: tuple, kwargs: dict) -> Any:
        if self.fallback is not None or _trace._active is not None:
            return self.fn(*args, **kwargs)  # inside another trace: record through it
        for entry in self.entries:
            try:
                result = entry.program.run(*args, **kwargs)
            except Retrace as why:
                self._why = str(why)
                continue
            self._fast = entry.program.run
            return result
        if self.traces >= RECOMPILE_LIMIT:
            self._give_up(f"traced {self.traces} times, last because {self._why}; pass what "
                          "changes on every call as a tensor, or keep it fixed")
            return self.fn(*args, **kwargs)
        return self._trace(args, kwargs)

    # ---- tracing ----
    def _trace(self, args: tuple, kwargs: dict) -> Any:
        self.traces += 1
        t0 = time.perf_counter()
        arg_tensors, arg_guards = _arguments(self.fn, args, kwargs)
        recorder = Recorder(arg_tensors, next(_tmod._sequence))
        for module in _known_modules(self.fn, args, kwargs):
            for name, p in module.named_parameters():
                recorder.param_names.setdefault(id(p), name)
            for name, m in module.named_modules():
                recorder.module_names.setdefault(id(m), name)
        grad_enabled = is_grad_enabled()
        generation = _module_generation()
        engine_takes_one_row()  # ask the engine how it does things, once, before tracing
        engine_mean_of_one_is_itself()
        optimizers = _known_optimizers(self.fn, args, kwargs)
        settings = _settings(optimizers)
        with tracing(recorder) as tracer:
            result = self.fn(*args, **kwargs)
        stopped = tracer.stopped
        if stopped is None and _settings(optimizers) != settings:
            stopped = CompileError(
                "the function changes its optimizer's settings (a scheduler's step() or a new "
                "lr inside it), which is Python work that a replay would skip")
        if stopped is None:
            try:
                recorder.finish(result)
            except CompileError as exc:
                stopped = exc
        if isinstance(stopped, WarmUp):
            self._warmups += 1
            if self._warmups > WARMUP_LIMIT:
                self._give_up(f"{stopped} on every call (a new optimizer each call?)")
            return result
        if stopped is not None:
            where = f" (at {tracer.where})" if tracer.where else ""
            if self.fullgraph:
                raise CompileError(f"{stopped}{where}")
            self._give_up(f"{stopped}{where}")
            return result
        ctx = Context(
            name=_name(self.fn), arg_guards=arg_guards, free_guards=_free_guards(self.fn),
            generation=generation, grad_enabled=grad_enabled, n_args=len(args),
            kwarg_names=tuple(kwargs),
            modules=_module_guards(recorder.modules.values()),
            shared=self._shared,
        )
        entry = self._build(recorder, ctx, args, kwargs)
        entry.trace_ms = (time.perf_counter() - t0) * 1e3
        self.entries.insert(0, entry)
        self._fast = entry.program.run
        if self.debug:
            print(self.code)
        return result

    def _build(self, recorder: Recorder, ctx: Context, args: tuple, kwargs: dict) -> Entry:
        programs: dict[str, Program] = {"numpy": build(recorder, ctx, "numpy")}
        if self.backend in ("auto", "scalar"):
            try:
                programs["scalar"] = build(recorder, ctx, "scalar", programs["numpy"].run)
            except CompileError:
                if self.backend == "scalar":
                    raise
            except Exception as exc:  # a bug of the scalar writer: the NumPy program stands
                if self.backend == "scalar":
                    raise CompileError(f"internal error in vb.compile's scalar backend: "
                                       f"{type(exc).__name__}: {exc}") from exc
        if self.backend == "scalar":
            return Entry(programs["scalar"], 0.0, {})
        if len(programs) == 1:
            return Entry(programs["numpy"], 0.0, {})
        timings = _measure(programs, args, kwargs, recorder)
        if len(timings) < len(programs):
            return Entry(programs["numpy"], 0.0, timings)
        best = min(timings, key=timings.__getitem__)
        return Entry(programs[best], 0.0, timings)

    def _give_up(self, reason: str) -> None:
        self.fallback = reason
        self._fast = None
        if not self._told:
            self._told = True
            warnings.warn(f"vb.compile runs {_name(self.fn)} eagerly: {reason}",
                          CompileWarning, stacklevel=4)

    # ---- what a learner can look at ----
    @property
    def code(self) -> str:
        """The generated Python source of the version used most recently."""
        if not self.entries:
            return f"# not compiled ({self.fallback or 'not called yet'})"
        return self.entries[0].program.source

    def explain(self) -> str:
        """What vb.compile did with this function, in words."""
        if self.fallback:
            return f"{_name(self.fn)} runs eagerly: {self.fallback}"
        if not self.entries:
            return f"{_name(self.fn)} is not compiled yet: it is traced on its first call"
        lines = [f"{_name(self.fn)}: {len(self.entries)} compiled version(s), "
                 f"{self.traces} trace(s)" + (f"; traced again because {self._why}"
                                             if self._why else "")]
        for e in self.entries:
            timing = ", ".join(f"{k} {v:.1f} µs" for k, v in e.timings.items())
            lines.append(f"  {e.program.backend} backend, {e.program.n_kernels} lines of "
                         f"work, traced in {e.trace_ms:.1f} ms" + (f" (measured: {timing})"
                                                                  if timing else ""))
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<vb.compile of {_name(self.fn)}>"


def _measure(programs: dict[str, Program], args: tuple, kwargs: dict,
             recorder: Recorder) -> dict[str, float]:
    """Time each candidate on the real inputs, then put every array back as it was."""
    snapshot = _Snapshot(recorder)
    unset = [src.tensor for src in recorder.sources
             if src.entry_assumed and src.entry_grad is None]  # as they were when traced
    timings: dict[str, float] = {}
    try:
        for name, program in programs.items():
            best = float("inf")
            for _ in range(5):
                t0 = time.perf_counter()
                for _ in range(20):
                    for t in unset:
                        t.grad = None
                    program.run(*args, **kwargs)
                best = min(best, (time.perf_counter() - t0) / 20 * 1e6)
            timings[name] = best
            snapshot.restore()
    except Retrace:
        snapshot.restore()
    return timings


class _Snapshot:
    """Copies of everything a program may change, to undo trial runs."""

    def __init__(self, recorder: Recorder) -> None:
        self.tensors = []
        for src in recorder.sources:
            t = src.tensor
            grad = t.grad
            self.tensors.append((t, t._data, np.array(t._data), grad,
                                 None if grad is None else grad._data.copy()))
        self.rng = _random.default_generator
        self.rng_state = self.rng.get_state()
        self.states = []
        for opt in recorder.optimizers:
            for p, state in opt.optimizer.state.items():
                self.states.append((state, {k: (v.copy() if isinstance(v, np.ndarray) else v)
                                            for k, v in state.items()},
                                    {k: v for k, v in state.items()}))
                del p

    def restore(self) -> None:
        _random.default_generator = self.rng
        self.rng.set_state(self.rng_state)
        for t, array, values, grad, grad_values in self.tensors:
            t._data = array
            if isinstance(array, np.ndarray):
                array[...] = values
            t.grad = grad
            if grad is not None:
                if isinstance(grad._data, np.ndarray):
                    grad._data[...] = grad_values
                else:
                    grad._data = grad_values
        for state, copies, objects in self.states:
            state.clear()
            for k, v in objects.items():
                if isinstance(v, np.ndarray):
                    v[...] = copies[k]
                state[k] = v


# ---- arguments and free variables ----


def _arguments(fn: Callable[..., Any], args: tuple, kwargs: dict
               ) -> tuple[list[tuple[str, str, Tensor]], list[ArgGuard]]:
    """The tensors among the arguments (path, readable name, tensor) and the guards on all."""
    names = _param_names(fn, len(args))
    tensors: list[tuple[str, str, Tensor]] = []
    guards: list[ArgGuard] = []
    seen: set[int] = set()

    def walk(x: Any, path: str, name: str) -> None:
        if isinstance(x, Tensor):
            if id(x) in seen:  # the same tensor twice: the first path finds it
                guards.append(ArgGuard(path, "identity-of", tensors[[id(t) for _, _, t in
                                                                      tensors].index(id(x))][0]))
                return
            seen.add(id(x))
            tensors.append((path, name, x))
            guards.append(ArgGuard(path, "tensor", cls=type(x), shape=x._data.shape,
                                   dtype=x._data.dtype, requires_grad=x.requires_grad,
                                   strides=x._data.strides))
        elif isinstance(x, (list, tuple)) and type(x) in (list, tuple):
            guards.append(ArgGuard(path, "len", len(x)))
            guards.append(ArgGuard(f"type({path})", "identity", type(x)))
            for i, item in enumerate(x):
                walk(item, f"{path}[{i}]", f"{name}_{i}")
        elif x is None or isinstance(x, (bool, int, float, str)):
            guards.append(ArgGuard(path, "value", x))
        else:
            guards.append(ArgGuard(path, "identity", x))

    for i, a in enumerate(args):
        walk(a, f"args[{i}]", names[i])
    for k, v in kwargs.items():
        walk(v, f"kwargs[{k!r}]", k)
    return tensors, guards


def _param_names(fn: Callable[..., Any], n: int) -> list[str]:
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        params = []
    names: list[str] = []
    for p in params:
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            names.append(p.name)
        elif p.kind == p.VAR_POSITIONAL:
            names.extend(f"{p.name}{i}" for i in range(n - len(names)))
    names.extend(f"arg{i}" for i in range(len(names), n))
    return names[:n]


def _free_guards(fn: Any) -> list[tuple[str, str, Any, Any]]:
    """Guards on the variables the function reads from outside (closure cells, globals):
    (variable name, how to read it, where from, the value or object it had)."""
    func = getattr(fn, "__func__", fn)
    code = getattr(func, "__code__", None)
    if code is None:
        return []
    guards: list[tuple[str, str, Any, Any]] = []
    for name, cell in zip(code.co_freevars, func.__closure__ or (), strict=False):
        try:
            value = cell.cell_contents
        except ValueError:
            continue
        guards.append((name, "{}.cell_contents", cell, value))
    glob = func.__globals__
    for name in _global_names(code):
        if name in glob and not inspect.ismodule(glob[name]):
            guards.append((name, "{}[" + repr(name) + "]", glob, glob[name]))
    return guards


def _global_names(code: Any) -> list[str]:
    """The global variables a code object (and the lambdas and comprehensions in it) reads."""
    names: list[str] = []
    for instr in dis.get_instructions(code):
        if instr.opname in ("LOAD_GLOBAL", "LOAD_NAME") and instr.argval not in names:
            names.append(instr.argval)
    for const in code.co_consts:
        if inspect.iscode(const):
            names += [n for n in _global_names(const) if n not in names]
    return names


def _reachable(fn: Any, args: tuple, kwargs: dict) -> list[Any]:
    """What the function can reach directly: itself, its self, its arguments, free names and
    default values."""
    return [fn, getattr(fn, "__self__", None), *args, *kwargs.values(),
            *(value for _, _, _, value in _free_guards(fn)),
            *(getattr(fn, "__defaults__", None) or ()),
            *(getattr(fn, "__kwdefaults__", None) or {}).values()]


def _known_modules(fn: Any, args: tuple, kwargs: dict) -> list[Any]:
    """Modules the function can reach directly."""
    return [m for m in _reachable(fn, args, kwargs) if isinstance(m, Module)]


def _known_optimizers(fn: Any, args: tuple, kwargs: dict) -> list[Any]:
    """Optimizers the function can reach directly (or through a scheduler)."""
    from vibrastic.optim import Optimizer

    found = _reachable(fn, args, kwargs)
    found += [getattr(x, "optimizer", None) for x in found]
    unique = {id(x): x for x in found if isinstance(x, Optimizer)}
    return list(unique.values())


def _settings(optimizers: list[Any]) -> list[list[dict[str, Any]]]:
    """The optimizers' hyper-parameters, group by group (not the parameters)."""
    return [[{k: v for k, v in g.items() if k != "params"} for g in o.param_groups]
            for o in optimizers]


def _name(fn: Any) -> str:
    name = getattr(fn, "__name__", None) or type(fn).__name__
    return "".join(c if c.isalnum() or c == "_" else "_" for c in name)


def _module_generation() -> int:
    return Module._generation


# ---- modules ----


class CompiledModule(Module):
    """``vb.compile(model)``: the model, with its calls compiled (torch's OptimizedModule).

    Parameters, ``state_dict`` and attributes are the model's own (``compiled.fc1`` is
    ``model.fc1``); ``compiled._orig_mod`` is the model.
    """

    def __init__(self, module: Module, **options: Any) -> None:
        super().__init__()
        self._orig_mod = module
        object.__setattr__(self, "_compiled_call", CompiledFunction(module, **options))

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return self._compiled_call(*args, **kwargs)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._compiled_call(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.__dict__["_orig_mod"], name)

    @property
    def code(self) -> str:
        return self._compiled_call.code

    def explain(self) -> str:
        return self._compiled_call.explain()

    def __repr__(self) -> str:
        return f"CompiledModule({self._orig_mod!r})"


def _module_guards(called: Any) -> list[ModuleGuard]:
    """Guards for the modules the traced call used and every module below them: a forward
    that loops over a ModuleList never calls the list itself, yet its contents are the code."""
    seen: dict[int, Any] = {}
    for m in called:
        for sub in m.modules():
            seen.setdefault(id(sub), sub)
    return [ModuleGuard.of(m) for m in seen.values()]


def compile(model: Any = None, *, debug: bool = False, backend: str = "auto",
            fullgraph: bool = False, dynamic: Any = None, mode: Any = None,
            options: Any = None, disable: bool = False) -> Any:
    """Compile a model or a training step (PyTorch's ``torch.compile`` calling convention).

    ``debug=True`` prints the generated code after each trace; ``backend`` is ``"auto"``
    (measure NumPy and scalar code on the first call and keep the faster), ``"numpy"``,
    ``"scalar"`` (plain Python floats, for tiny networks) or ``"eager"`` (don't compile);
    torch's ``"inductor"`` is taken as ``"auto"`` and its ``"aot_eager"`` as ``"numpy"``.
    ``fullgraph=True`` raises instead of running eagerly when the code can't be compiled.
    ``dynamic``, ``mode`` and ``options`` are accepted for torch compatibility and ignored.
    Also a decorator: ``@vb.compile`` or ``@vb.compile(debug=True)``.
    """
    del dynamic, mode, options
    if model is None:
        return lambda fn: compile(fn, debug=debug, backend=backend, fullgraph=fullgraph,
                                  disable=disable)
    if disable:
        return model
    if isinstance(model, Module):
        return CompiledModule(model, debug=debug, backend=backend, fullgraph=fullgraph)
    return CompiledFunction(model, debug=debug, backend=backend, fullgraph=fullgraph)
