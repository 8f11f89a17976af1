"""A lab's parameters as a schema, read from its ``run`` signature, and checked input for it.

A lab marks the keyword arguments a learner may steer with ``Annotated[type, Knob(...)]``; the
default stays the deck's value, so calling ``run()`` reproduces the deck. ``seed`` and ``backend``
are every lab's. Faces build forms and JSON schemas from ``lab_params`` and pass what a learner
typed through ``parse_params``, which names the parameter and what was expected when it is wrong.
"""

from __future__ import annotations

import inspect
import math
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from vibrastic.ml.labs.registry import Lab

MAX_SEED = 2**32 - 1


@dataclass(frozen=True)
class Knob:
    """How a lab parameter is shown and bounded: ``label`` in words (with the deck's symbol),
    ``help`` one sentence, inclusive ``min``/``max`` per number, ``length`` for fixed-size
    tuples given as sequences, ``max_items`` for lists of any length."""

    label: str
    help: str = ""
    min: float | None = None
    max: float | None = None
    length: int | None = None
    max_items: int = 12


@dataclass(frozen=True)
class Param:
    """One parameter of a lab: ``kind`` is int, float, ints, floats or choice."""

    name: str
    kind: str
    default: Any
    label: str
    help: str = ""
    min: float | None = None
    max: float | None = None
    length: int | None = None
    max_items: int = 12
    choices: tuple[str, ...] = ()

    @property
    def text_default(self) -> str:
        """The default as a learner types it (lists comma-separated)."""
        if self.kind in ("ints", "floats"):
            return ", ".join(f"{v:g}" for v in self.default)
        return f"{self.default:g}" if isinstance(self.default, float) else str(self.default)

    def describe(self) -> str:
        """What a valid value looks like, for messages and form help."""
        number = "an integer" if self.kind in ("int", "ints") else "a number"
        bounds = ""
        if self.min is not None and self.max is not None:
            bounds = f" from {self.min:g} to {self.max:g}"
        elif self.min is not None:
            bounds = f" ≥ {self.min:g}"
        elif self.max is not None:
            bounds = f" ≤ {self.max:g}"
        if self.kind == "choice":
            return "one of " + ", ".join(self.choices)
        if self.kind in ("int", "float"):
            return number + bounds
        count = (f"exactly {self.length}" if self.length
                 else f"1 to {self.max_items}")
        return f"{count} comma-separated values, each {number}{bounds}"

    def json_schema(self) -> dict[str, Any]:
        item = {"type": "integer" if self.kind in ("int", "ints") else "number"}
        if self.min is not None:
            item["minimum"] = self.min
        if self.max is not None:
            item["maximum"] = self.max
        if self.kind == "choice":
            schema: dict[str, Any] = {"type": "string", "enum": list(self.choices)}
        elif self.kind in ("int", "float"):
            schema = dict(item)
        else:
            schema = {"type": "array", "items": item,
                      "minItems": self.length or 1, "maxItems": self.length or self.max_items}
        schema.update(title=self.label, description=self.help or self.describe(),
                      default=list(self.default) if isinstance(self.default, tuple | list)
                      else self.default)
        return schema


class LabParamError(ValueError):
    """A lab parameter that is unknown or out of range; the message names it."""


def _kind(annotation: Any, knob: Knob) -> tuple[str, int | None]:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if annotation is int:
        return "int", None
    if annotation is float:
        return "float", None
    if origin in (tuple, Sequence, list) or (origin is not None and issubclass(origin, Sequence)):
        fixed = len(args) if args and Ellipsis not in args and origin is tuple else None
        element = args[0] if args else float
        kind = "ints" if element is int else "floats"
        return kind, knob.length or fixed
    raise TypeError(f"unsupported knob type {annotation!r}")


def lab_params(lab: Lab) -> list[Param]:
    """``seed``, ``backend`` (when the lab has more than one) and the lab's own knobs."""
    fn = lab.run
    hints = typing.get_type_hints(fn, include_extras=True)
    signature = inspect.signature(fn)
    seed_default = signature.parameters["seed"].default if "seed" in signature.parameters else 0
    params = [Param("seed", "int", seed_default, "seed",
                    "every random draw of the lab comes from this seed", 0, MAX_SEED)]
    if len(lab.backends) > 1:
        params.append(Param("backend", "choice", lab.backend_for(None), "backend",
                            "the tensor library that runs the lab (the other one is compared "
                            "with it from the same initial weights)", choices=lab.backends))
    for name, parameter in signature.parameters.items():
        hint = hints.get(name)
        if typing.get_origin(hint) is not typing.Annotated:
            continue
        base, *extras = typing.get_args(hint)
        knob = next((e for e in extras if isinstance(e, Knob)), None)
        if knob is None:
            continue
        kind, length = _kind(base, knob)
        default = parameter.default
        if kind in ("ints", "floats"):
            default = tuple(default)
        params.append(Param(name, kind, default, knob.label, knob.help, knob.min, knob.max,
                            length, knob.max_items))
    return params


def _number(param: Param, raw: Any, integer: bool) -> int | float:
    where = f"{param.name} ({param.label})"
    if isinstance(raw, bool):
        raise LabParamError(f"{where}: expected {param.describe()}, got {raw!r}")
    if isinstance(raw, str):
        text = raw.strip()
        try:
            value: float = int(text) if integer else float(text)
        except ValueError:
            raise LabParamError(f"{where}: expected {param.describe()}, got {raw!r}") from None
    elif isinstance(raw, int | float):
        value = raw
    else:
        raise LabParamError(f"{where}: expected {param.describe()}, got {raw!r}")
    if integer and (not float(value).is_integer()):
        raise LabParamError(f"{where}: expected {param.describe()}, got {raw!r}")
    if not math.isfinite(value):
        raise LabParamError(f"{where}: expected a finite number, got {raw!r}")
    if (param.min is not None and value < param.min) or (
            param.max is not None and value > param.max):
        raise LabParamError(f"{where}: {value:g} is out of range; expected {param.describe()}")
    return int(value) if integer else float(value)


def parse_value(param: Param, raw: Any) -> Any:
    """One parameter's value from form text or JSON; LabParamError says what was expected."""
    if param.kind == "choice":
        if raw not in param.choices:
            raise LabParamError(f"{param.name}: expected {param.describe()}, got {raw!r}")
        return raw
    if param.kind in ("int", "float"):
        return _number(param, raw, param.kind == "int")
    items = raw
    if isinstance(raw, str):
        items = [p for p in raw.replace(";", ",").split(",") if p.strip()]
    if not isinstance(items, list | tuple):
        raise LabParamError(f"{param.name} ({param.label}): expected {param.describe()}, "
                            f"got {raw!r}")
    count_ok = len(items) == param.length if param.length else 1 <= len(items) <= param.max_items
    if not count_ok:
        raise LabParamError(f"{param.name} ({param.label}): expected {param.describe()}, "
                            f"got {len(items)} values")
    return tuple(_number(param, item, param.kind == "ints") for item in items)


def parse_params(lab: Lab, raw: Mapping[str, Any]) -> dict[str, Any]:
    """Checked keyword arguments for ``run_lab`` from ``raw`` (missing names keep defaults)."""
    params = {p.name: p for p in lab_params(lab)}
    unknown = sorted(set(raw) - set(params))
    if unknown:
        raise LabParamError(f"lab {lab.name} has no parameter {', '.join(map(repr, unknown))}; "
                            f"its parameters are: {', '.join(params)}")
    return {name: parse_value(params[name], value) for name, value in raw.items()
            if not (isinstance(value, str) and not value.strip() and name != "backend")}
