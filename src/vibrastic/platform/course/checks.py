"""How a challenge's ``tests.py`` declares its tests, and the trusted checks that judge them.

A test is a *probe* (a short Python snippet the sandbox evaluates next to the learner's code; the
value of its last expression is observed) plus a *check* that runs in the grader on plain JSON
data: the learner's observation against the reference solution's observation of the same probe.

    from vibrastic.platform.course.checks import Case, approx, printed

    CASES = [
        Case("sigma(2) is 5, as on the slide", "sigma(2)", hint="1² + 2² = 5"),
        Case("sigma(10)", "sigma(10)", hidden=True, points=2),
        Case("triangle(3) prints three rows", "triangle(3)", check=printed()),
    ]
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

#: A check gets the learner's observation and the reference's, returns None (pass) or a message.
Check = Callable[[dict[str, Any], dict[str, Any]], "str | None"]


def show(value: Any, limit: int = 300) -> str:
    """A short, readable rendering of an observed value for feedback."""
    if isinstance(value, dict) and "__repr__" in value:
        text = f"{value['__repr__']} (a {value['__type__']}, not plain data)"
    elif isinstance(value, dict) and "__float__" in value:
        text = value["__float__"]
    else:
        text = repr(value)
    return text if len(text) <= limit else text[:limit] + "…"


def is_number(value: Any) -> bool:
    """A plain, finite number of sensible size (not a bool, not NaN or infinite, not an int too
    big for a float): the only numbers the checks do arithmetic with."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    if isinstance(value, int):
        return abs(value) < 2**63
    return math.isfinite(value)


def same(got: Any, want: Any, rel: float, abs_: float, path: str = "") -> str | None:
    """Structural comparison of plain data, numbers within tolerance; returns where it differs.
    Values are validated before any arithmetic: a huge int, NaN or infinity never reaches it."""
    where = f" at {path}" if path else ""
    if isinstance(want, bool) or isinstance(got, bool):
        return None if type(got) is type(want) and got == want else f"differs{where}"
    if isinstance(want, int | float):
        if not is_number(got):
            return f"expected a finite number{where}, got {show(got, 80)}"
        if (rel == 0 and abs_ == 0) or not is_number(want):
            return None if got == want else f"differs{where}"
        if math.isclose(got, want, rel_tol=rel, abs_tol=abs_):
            return None
        return f"differs{where}: {got!r} vs {want!r}"
    if isinstance(want, list):
        if not isinstance(got, list):
            return f"expected a list{where}, got {show(got, 80)}"
        if len(got) != len(want):
            return f"expected {len(want)} items{where}, got {len(got)}"
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            problem = same(g, w, rel, abs_, f"{path}[{i}]")
            if problem:
                return problem
        return None
    if isinstance(want, dict):
        if not isinstance(got, dict) or set(got) != set(want):
            return f"expected a dict with keys {sorted(want)}{where}, got {show(got, 80)}"
        for key in want:
            problem = same(got[key], want[key], rel, abs_, f"{path}[{key!r}]")
            if problem:
                return problem
        return None
    return None if type(got) is type(want) and got == want else f"differs{where}"


def approx(rel: float = 1e-6, abs: float = 1e-9, *, reveal: bool = True) -> Check:
    """The returned value equals the reference's, numbers within ``rel``/``abs`` tolerance.
    ``reveal=False`` keeps the expected value out of the message (an answer to work out by
    hand must not be handed over by the verdict)."""

    def check(got: dict, want: dict) -> str | None:
        problem = same(got["value"], want["value"], rel, abs)
        if problem is None:
            return None
        if not reveal:
            return (f"{show(got['value'])} is not the right value (the expected one is not "
                    "shown: work it out by hand)")
        where = f" ({problem})" if " at [" in problem else ""
        return f"expected {show(want['value'])}, got {show(got['value'])}{where}"

    check.describe = f"value within rel {rel:g} / abs {abs:g}"  # type: ignore[attr-defined]
    return check


def equal() -> Check:
    """The returned value equals the reference's exactly (numbers by value: 5 equals 5.0)."""
    return approx(0.0, 0.0)


def _lines(text: str) -> list[str]:
    lines = [line.rstrip() for line in text.splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def printed() -> Check:
    """What the probe printed equals the reference's output (trailing spaces ignored)."""

    def check(got: dict, want: dict) -> str | None:
        g, w = _lines(got["stdout"]), _lines(want["stdout"])
        if g == w:
            return None

        def n(k: int) -> str:
            return f"{k} line" if k == 1 else f"{k} lines"

        for i, (a, b) in enumerate(zip(g, w, strict=False)):
            if a != b:
                return f"line {i + 1}: expected {b!r}, got {a!r}"
        if len(g) < len(w):
            return (f"expected {n(len(w))}, got {len(g)}; "
                    f"line {len(g) + 1} should be {w[len(g)]!r}")
        return f"expected {n(len(w))}, got {len(g)}; line {len(w) + 1} is extra: {g[len(w)]!r}"

    return check


def satisfies(predicate: Callable[[Any], str | None]) -> Check:
    """A property of the learner's value alone (e.g. "error below 0.05"), judged in the grader."""

    def check(got: dict, want: dict) -> str | None:
        return predicate(got["value"])

    check.needs_reference = False  # type: ignore[attr-defined]
    return check


def all_of(*checks: Check) -> Check:
    """Every one of ``checks`` must pass (e.g. the right value *and* nothing printed)."""

    def check(got: dict, want: dict) -> str | None:
        for one in checks:
            problem = one(got, want)
            if problem:
                return problem
        return None

    return check


@dataclass(frozen=True)
class Case:
    """One test: a probe, how it is checked, its points, whether it is hidden, and a hint.

    ``vary`` draws the probe's inputs afresh for every attempt (so a leaked or memorised value is
    of no use next time): it gets a ``random.Random`` and returns the names that fill the
    ``{placeholders}`` of ``code`` (write literal braces as ``{{`` and ``}}``). The reference
    solution is then run on the same inputs for that attempt.
    """

    name: str
    code: str
    check: Check = field(default_factory=approx)
    points: float = 1.0
    hidden: bool = False
    hint: str = ""
    vary: Callable[[random.Random], dict[str, Any]] | None = None

    def probe(self, rng: random.Random) -> str:
        """The code to run for one attempt (``code`` with freshly drawn inputs, if it varies)."""
        return self.code.format(**self.vary(rng)) if self.vary else self.code
