"""What every ``vibrastic`` command shares: usage errors, and progress-store trouble said plainly.

A command that touches the progress store is wrapped in ``store_errors``: a store that cannot be
opened becomes one line naming the file and exit code 1 (never a traceback), and a damaged store
that the store moved aside is announced on stderr once, with where it went.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

err = Console(stderr=True, soft_wrap=True)
F = TypeVar("F", bound=Callable[..., Any])
_listening = False


def usage_error(message: str) -> typer.Exit:
    """Print a usage error (what was wrong, what was expected); the caller raises it (exit 2)."""
    err.print(f"[red]error:[/red] {escape(message)}")
    return typer.Exit(2)


def _announce(recovery: Any) -> None:
    err.print(f"[yellow]warning:[/yellow] {escape(recovery.describe())}.")


def announce_recoveries() -> None:
    """Say so on stderr whenever the store moves a damaged database aside (once per process)."""
    global _listening
    if not _listening:
        from vibrastic.platform.progress import store

        store.recovery_listeners.append(_announce)
        _listening = True


def store_problem(exc: BaseException) -> str | None:
    """The learner-facing text for a progress-store failure, or None if ``exc`` is not one."""
    from sqlalchemy.exc import DatabaseError

    from vibrastic.platform.progress.store import StoreError

    if isinstance(exc, StoreError):
        return str(exc)
    if isinstance(exc, DatabaseError):
        return f"the progress store could not be used: {getattr(exc, 'orig', exc)}"
    return None


def store_errors(fn: F) -> F:
    """Run a command with store recoveries announced and store failures as one clear line."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        announce_recoveries()
        try:
            return fn(*args, **kwargs)
        except (typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except Exception as exc:
            problem = store_problem(exc)
            if problem is None:
                raise
            err.print(f"[red]error:[/red] {escape(problem)}")
            err.print("`vibrastic doctor` checks the store and the workspace and says what to do.")
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]
