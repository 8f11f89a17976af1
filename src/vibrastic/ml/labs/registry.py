"""The labs the library has: read from ``labs.toml`` without importing any lab; run by name.

A lab's module (which loads matplotlib, scikit-learn or torch) is imported the first time its
``Lab.run`` is used, so listing labs costs a TOML read. ``register`` adds a lab at run time (a
test's, or a learner's own experiment). Course order is not the library's business: ``REGISTRY`` is
alphabetical, and a course orders its labs in its ``course.toml``.
"""

from __future__ import annotations

import importlib
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vibrastic.ml.labs.base import BACKENDS, LabResult

CATALOGUE = Path(__file__).with_name("labs.toml")
LabFn = Callable[..., LabResult]


@dataclass(frozen=True)
class Lab:
    """A hands-on: its deck section, one-line summary, and what runs it.

    ``target`` is the lab function itself or, for the catalogue's labs, its ``"module:function"``
    name, imported on first use of ``run``.
    """

    name: str
    section: str
    summary: str
    target: LabFn | str
    backends: tuple[str, ...] = BACKENDS  # ("numpy",) for labs that neither train nor differentiate

    @property
    def run(self) -> LabFn:
        """The lab function ``run(backend=..., seed=..., **config) -> LabResult``."""
        if callable(self.target):
            return self.target
        module, _, function = self.target.partition(":")
        return getattr(importlib.import_module(module), function)

    def backend_for(self, requested: str | None) -> str:
        """``requested`` when this lab supports it; else vibrastic (if None) or the lab's own."""
        if requested in self.backends:
            return requested
        if requested is None and "vibrastic" in self.backends:
            return "vibrastic"
        return self.backends[0]


def read_catalogue(path: Path = CATALOGUE) -> dict[str, Lab]:
    """The labs listed in ``labs.toml`` (see its header for the fields), by name."""
    entries = tomllib.loads(path.read_text(encoding="utf-8")).get("labs", [])
    labs = {}
    for entry in entries:
        missing = {"name", "run", "section", "summary"} - entry.keys()
        if missing:
            raise ValueError(f"{path}: lab {entry.get('name', '?')!r} lacks "
                             f"{', '.join(sorted(missing))}")
        if ":" not in entry["run"]:
            raise ValueError(f"{path}: lab {entry['name']!r} has run = {entry['run']!r}; "
                             "expected \"module:function\"")
        labs[entry["name"]] = Lab(entry["name"], entry["section"], entry["summary"],
                                  entry["run"], tuple(entry.get("backends", BACKENDS)))
    return dict(sorted(labs.items()))


REGISTRY: dict[str, Lab] = read_catalogue()


def register(
    name: str, section: str, summary: str, backends: tuple[str, ...] = BACKENDS
) -> Callable[[LabFn], LabFn]:
    """Decorator: add a lab function ``run(backend=..., seed=..., **config) -> LabResult`` at run
    time (the library's own labs are listed in ``labs.toml`` instead)."""

    def wrap(fn: LabFn) -> LabFn:
        REGISTRY[name] = Lab(name, section, summary, fn, backends)
        return fn

    return wrap


class UnknownLabError(LookupError):
    """No lab has this name; the message lists the valid ones."""


def get_lab(name: str) -> Lab:
    """The lab called ``name``."""
    try:
        return REGISTRY[name]
    except KeyError:
        valid = ", ".join(sorted(REGISTRY)) or "(none registered)"
        raise UnknownLabError(f"unknown lab {name!r}; valid labs: {valid}") from None


def run_lab(name: str, backend: str | None = None, seed: int | None = None,
            **config: Any) -> LabResult:
    """Run one lab. A backend the lab does not support falls back to the lab's own, with a note.

    ``backend`` must be one of BACKENDS (or None for the lab's default); ``seed=None`` keeps the
    lab's default seed; ``config`` goes to the lab (small sizes for tests).
    """
    if backend is not None and backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; expected one of {', '.join(BACKENDS)}")
    lab = get_lab(name)
    used = lab.backend_for(backend)
    kwargs: dict[str, Any] = dict(config, backend=used)
    if seed is not None:
        kwargs["seed"] = seed
    result = lab.run(**kwargs)
    if backend is not None and used != backend:
        result.notes.insert(0, f"{name} does not run on {backend}; ran it on {used} "
                               f"(it supports: {', '.join(lab.backends)})")
    return result
