"""Progress of a running lab, for faces that show it (the web page's live progress bar).

A lab's long loops call ``report(done, total, stage)`` every so often; it costs one context-variable
lookup when nobody listens. A face listens with ``with reporting(callback): run_lab(...)``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

Reporter = Callable[[int, int, str], None]
_reporter: ContextVar[Reporter | None] = ContextVar("vibrastic_lab_reporter", default=None)


def report(done: int, total: int, stage: str = "") -> None:
    """Tell the listener (if any) that ``done`` of ``total`` steps of ``stage`` are finished."""
    callback = _reporter.get()
    if callback is not None:
        callback(done, total, stage)


@contextmanager
def reporting(callback: Reporter) -> Iterator[None]:
    """Send every ``report`` made inside the block to ``callback``."""
    token = _reporter.set(callback)
    try:
        yield
    finally:
        _reporter.reset(token)
