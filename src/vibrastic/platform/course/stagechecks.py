"""Checks for the project's stages: gradient checks and shape checks of a learner's engine.

Like every test in the checks DSL (``checks.py``), a stage test is a *probe* — a snippet the
sandbox runs next to the learner's package ``mygrad`` — and a *check* that judges its plain-data
observation in the grader's trusted process, against the reference engine's observation of the
same probe. The probes import the learner's ``mygrad`` and NumPy, nothing else.

A gradient check builds ``f(inputs)`` with the engine under test, runs its ``backward()`` and
reports the analytic gradients; the probe also computes central differences of the forward pass,
(f(x + h) − f(x − h)) / 2h. The trusted check compares the learner's forward value with the
reference's, then each analytic gradient with the *reference engine's* numeric gradient, so a
message names the operation, the input, the two numbers and where they differ:

    tensor_gradcheck("a * b, b broadcast over rows", "a * b", {"a": (3, 4), "b": (4,)})
    -> "a * b, input b: analytic gradient [...] but numeric (central differences) [...]"
"""

from __future__ import annotations

import functools
import random
import textwrap
from typing import Any

from vibrastic.platform.course.checks import Case, Check, equal, same, show

GRAD_REL, GRAD_ABS = 1e-5, 1e-7

_GRADCHECK = '''
import numpy as _np

def _gradcheck(f, inputs, make, seeded, h=1e-6):
    """f's value, analytic gradients from backward(), numeric ones by central differences."""
    leaves = {k: make(v) for k, v in inputs.items()}
    out = f(**leaves)
    value = _np.asarray(out.data, dtype=float)
    up = _np.random.default_rng(0).uniform(0.5, 1.5, value.shape) if seeded else _np.ones(())
    out.backward(up) if seeded else out.backward()
    grads = {k: _np.asarray(t.grad, dtype=float) for k, t in leaves.items()}
    numeric = {}
    for k, v in inputs.items():
        v = _np.asarray(v, dtype=float)
        num = _np.zeros(v.shape)
        for i in _np.ndindex(v.shape):
            ends = []
            for step in (h, -h):
                w = v.copy()
                w[i] += step
                args = {n: make(u) for n, u in inputs.items()}
                args[k] = make(w if w.ndim else float(w))
                ends.append(float((_np.asarray(f(**args).data, dtype=float) * up).sum()))
            num[i] = (ends[0] - ends[1]) / (2 * h)
        numeric[k] = num
    return {"value": value.tolist(), "shape": list(value.shape),
            "grad": {k: g.tolist() for k, g in grads.items()},
            "grad_shape": {k: list(g.shape) for k, g in grads.items()},
            "numeric": {k: n.tolist() for k, n in numeric.items()},
            "input_shape": {k: list(_np.shape(v)) for k, v in inputs.items()}}
'''

_LOCAL = '''
from mygrad.value import Value as _V

def _local(f, inputs, h=1e-6):
    """f's value, its parents and local gradients, and ∂f/∂input by central differences."""
    leaves = [_V(v) for v in inputs]
    out = f(*leaves)
    numeric = []
    for i in range(len(inputs)):
        ends = []
        for step in (h, -h):
            moved = list(inputs)
            moved[i] += step
            ends.append(f(*[_V(v) for v in moved]).data)
        numeric.append((ends[0] - ends[1]) / (2 * h))
    parents = list(out.parents)
    return {"value": float(out.data), "parents": len(parents),
            "parents_are_inputs": [p is v for p, v in zip(parents, leaves)],
            "local_grads": [float(g) for g in out.local_grads], "numeric": numeric}
'''


def guarded(check: Check) -> Check:
    """A check that can never crash the grader: any exception becomes a failure message."""

    @functools.wraps(check)
    def safe(got: dict, want: dict) -> str | None:
        try:
            return check(got, want)
        except Exception as exc:  # a learner's value of an unexpected shape or type
            return (f"could not read this result ({type(exc).__name__}: {exc}); "
                    f"got {show(got.get('value'), 200)}")

    for attr in ("needs_reference", "describe"):
        if hasattr(check, attr):
            setattr(safe, attr, getattr(check, attr))
    return safe


def _shape(value: Any) -> tuple[int, ...]:
    return tuple(int(n) for n in value) if isinstance(value, list) else ()


def _values(name: str, rng: random.Random, shape: tuple[int, ...], positive: bool) -> Any:
    """Deterministic inputs: uniform in [0.5, 2] when ``positive`` (log, division), else [−2, 2]
    away from 0 (so relu's kink is never hit by the finite differences)."""
    def one() -> float:
        x = rng.uniform(0.5, 2.0)
        return round(x if positive or rng.random() < 0.5 else -x, 3)

    def build(dims: tuple[int, ...]) -> Any:
        return one() if not dims else [build(dims[1:]) for _ in range(dims[0])]

    return build(shape)


# ---------------------------------------------------------------- trusted checks


def local_gradcheck(op: str, rel: float = GRAD_REL, abs_: float = GRAD_ABS) -> Check:
    """Stage 1: the forward value, the parents (the inputs, in order) and each local gradient
    ∂out/∂parent against the reference's central difference."""

    def check(got: dict, want: dict) -> str | None:
        g, w = got["value"], want["value"]
        if not isinstance(g, dict):
            return f"{op}: expected the probe's record, got {show(g, 120)}"
        if same(g["value"], w["value"], rel, abs_):
            return f"{op}: the value is {show(g['value'])}, expected {show(w['value'])}"
        if g["parents"] != w["parents"] or not all(g["parents_are_inputs"]):
            return (f"{op}: parents should be the {w['parents']} input Value(s) themselves, in "
                    f"order; got {g['parents']} parent(s), the inputs: {g['parents_are_inputs']}")
        if len(g["local_grads"]) != w["parents"]:
            return (f"{op}: expected one local gradient per parent ({w['parents']}), got "
                    f"{len(g['local_grads'])}")
        for i, (mine, numeric) in enumerate(zip(g["local_grads"], w["numeric"], strict=True)):
            if same(mine, numeric, rel, abs_):
                return (f"{op}: local gradient ∂out/∂(input {i}) is {mine!r}, but the numeric "
                        f"one (central differences) is {numeric:.6g}")
        return None

    return guarded(check)


def gradcheck(op: str, rel: float = GRAD_REL, abs_: float = GRAD_ABS) -> Check:
    """Stages 2–4: the forward value, then for each input the gradient's shape and its values,
    analytic (the learner's backward) against numeric (the reference's central differences)."""

    def check(got: dict, want: dict) -> str | None:
        g, w = got["value"], want["value"]
        if not isinstance(g, dict):
            return f"{op}: expected the probe's record, got {show(g, 120)}"
        if _shape(g["shape"]) != _shape(w["shape"]):
            return (f"{op}: the result has shape {_shape(g['shape'])}, expected "
                    f"{_shape(w['shape'])}")
        problem = same(g["value"], w["value"], rel, abs_)
        if problem:
            return f"{op}: forward value {show(g['value'], 160)}, expected {show(w['value'], 160)}"
        out_shape = _shape(w["shape"])
        for name, numeric in w["numeric"].items():
            want_shape = _shape(w["input_shape"][name])
            got_shape = _shape(g["grad_shape"].get(name))
            if got_shape != want_shape:
                why = (" — sum the gradient over the axes broadcasting added or stretched "
                       "(unbroadcast)" if want_shape != out_shape else "")
                return (f"{op}, input {name}: the gradient has shape {got_shape}, expected "
                        f"{want_shape} (the shape of {name}){why}")
            problem = same(g["grad"][name], numeric, rel, abs_)
            if problem:
                where = problem.split(":")[0].replace("differs", "").strip()
                return (f"{op}, input {name}: analytic gradient {show(g['grad'][name], 160)} "
                        f"but numeric (central differences) {show(numeric, 160)}"
                        + (f" — first difference {where}" if where else ""))
        return None

    return guarded(check)


def array_check(what: str, rel: float = 1e-9, abs_: float = 1e-12) -> Check:
    """An array observed as {"shape", "value"}: the shape first, then the values."""

    def check(got: dict, want: dict) -> str | None:
        g, w = got["value"], want["value"]
        if not isinstance(g, dict):
            return f"{what}: expected an array, got {show(g, 120)}"
        if _shape(g["shape"]) != _shape(w["shape"]):
            return f"{what}: shape {_shape(g['shape'])}, expected {_shape(w['shape'])}"
        if same(g["value"], w["value"], rel, abs_):
            return f"{what}: got {show(g['value'], 160)}, expected {show(w['value'], 160)}"
        return None

    return guarded(check)


def no_recursion(what: str) -> Check:
    """The probe reports {"raised": name} for a RecursionError; otherwise compare values."""
    inner = equal()

    def check(got: dict, want: dict) -> str | None:
        g = got["value"]
        if isinstance(g, dict) and g.get("raised") == "RecursionError":
            return (f"{what} raised RecursionError: Python allows about 1,000 nested calls; use a "
                    f"loop with an explicit stack instead of recursion")
        if isinstance(g, dict) and "value" in g and isinstance(want["value"], dict):
            problem = same(g["value"], want["value"]["value"], 1e-9, 1e-12)
            return (f"{what}: got {show(g['value'])}, expected {show(want['value']['value'])}"
                    if problem else None)
        return inner(got, want)

    return guarded(check)


def trajectory_check(what: str, advice: str = "", rel: float = 1e-7, abs_: float = 1e-10
                     ) -> Check:
    """A list of states, one per step (e.g. an optimiser's weights): names the first step that
    differs from the reference's, with both states and ``advice``."""

    def check(got: dict, want: dict) -> str | None:
        g, w = got["value"], want["value"]
        if not isinstance(g, list) or len(g) != len(w):
            return f"{what}: expected {len(w)} steps, got {show(g, 120)}"
        for step, (mine, theirs) in enumerate(zip(g, w, strict=True)):
            if same(mine, theirs, rel, abs_):
                return (f"{what}: after step {step + 1} of {len(w)} the weights are "
                        f"{show(mine, 120)}, expected {show(theirs, 120)}"
                        + (f" — {advice}" if advice and step else ""))
        return None

    return guarded(check)


def finite_check(what: str, advice: str, rel: float = 1e-7, abs_: float = 1e-9) -> Check:
    """An observation {"value", "grad", "finite"}: not finite → ``advice``; else compare."""

    def check(got: dict, want: dict) -> str | None:
        g, w = got["value"], want["value"]
        if not isinstance(g, dict):
            return f"{what}: expected the probe's record, got {show(g, 120)}"
        if not g.get("finite"):
            return f"{what} gave {show(g.get('value'), 80)} (not finite): {advice}"
        if same(g["value"], w["value"], rel, abs_):
            return f"{what}: got {show(g['value'])}, expected {show(w['value'])}"
        if same(g["grad"], w["grad"], rel, abs_):
            return f"{what}: gradient {show(g['grad'], 160)}, expected {show(w['grad'], 160)}"
        return None

    return guarded(check)


# ---------------------------------------------------------------- probes (sandbox code)


def probe(*lines: str) -> str:
    """Join dedented snippets into one probe."""
    return "\n".join(textwrap.dedent(line).strip("\n") for line in lines) + "\n"


def local_case(name: str, expr: str, inputs: list[float], **case: Any) -> Case:
    """Stage 1: ``expr`` over Values named a, b, … (parents must be exactly those Values)."""
    args = ", ".join("abcd"[: len(inputs)])
    code = probe(_LOCAL, f"_local(lambda {args}: {expr}, {inputs!r})")
    return Case(name, code, local_gradcheck(expr), **case)


def value_gradcheck(name: str, expr: str, inputs: dict[str, float], **case: Any) -> Case:
    """Stage 2: backward() through ``expr`` over scalar Values, against central differences."""
    args = ", ".join(inputs)
    code = probe("from mygrad.value import Value", _GRADCHECK,
                 f"_gradcheck(lambda {args}: {expr}, {inputs!r}, Value, seeded=False)")
    return Case(name, code, gradcheck(expr), **case)


def tensor_gradcheck(name: str, expr: str, shapes: dict[str, tuple[int, ...]], *,
                     positive: bool = False, setup: str = "", **case: Any) -> Case:
    """Stages 3–4: backward(∂L/∂out) through ``expr`` over Tensors of the given shapes (values
    drawn once, deterministically from the case's name), against central differences."""
    rng = random.Random(name)
    inputs = {k: _values(k, rng, tuple(s), positive) for k, s in shapes.items()}
    args = ", ".join(shapes)
    code = probe("from mygrad.tensor import Tensor", setup, _GRADCHECK,
                 f"_gradcheck(lambda {args}: {expr}, {inputs!r}, Tensor, seeded=True)")
    return Case(name, code, gradcheck(expr), **case)


def array_case(name: str, setup: str, expr: str, **case: Any) -> Case:
    """An array-valued ``expr`` (after ``setup``), checked shape first, then values."""
    code = probe("import numpy as _np", setup,
                 f"_a = _np.asarray({expr}, dtype=float)\n"
                 "{'shape': list(_a.shape), 'value': _a.tolist()}")
    return Case(name, code, array_check(expr), **case)


def no_recursion_case(name: str, setup: str, expr: str, what: str, **case: Any) -> Case:
    """Run ``setup`` then observe ``expr``; a RecursionError is reported as data, not raised."""
    body = textwrap.indent(probe(setup, f"return {{'value': {expr}}}"), "    ")
    code = ("def _run():\n" + body + "try:\n    _out = _run()\nexcept RecursionError:\n"
            "    _out = {'raised': 'RecursionError'}\n_out\n")
    return Case(name, code, no_recursion(what), **case)


#: Checks a stage's tests.py may use besides these (re-exported for one import line).
__all__ = ["array_case", "array_check", "finite_check", "gradcheck", "guarded", "local_case",
           "local_gradcheck", "no_recursion", "no_recursion_case", "probe", "tensor_gradcheck",
           "trajectory_check", "value_gradcheck"]
