"""``vibrastic doctor``: check the installation, the sandbox, the progress store and the workspace.

Each check returns a ``Finding`` (what was looked at, "ok" | "warning" | "problem", what was seen,
what to do). Nothing a learner saved is deleted or changed, with one exception the store makes
anyway: a damaged progress database is moved aside (kept) and a fresh one started.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import platform
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

OK, WARNING, PROBLEM = "ok", "warning", "problem"
REQUIRED = ("numpy", "scipy", "matplotlib", "torch", "sklearn", "sqlalchemy", "typer", "rich",
            "nbclient", "ipykernel", "jupytext", "watchfiles", "platformdirs")


@dataclass(frozen=True)
class Finding:
    """One check's outcome; ``fix`` says what to do when ``status`` is not ok."""

    area: str
    status: str
    detail: str
    fix: str = ""


def check_installation() -> Iterator[Finding]:
    """vibrastic's version and location, the Python, the packages it needs, the course."""
    import vibrastic

    try:
        version = importlib.metadata.version("vibrastic")
    except importlib.metadata.PackageNotFoundError:
        version = f"{vibrastic.__version__} (not installed as a package: running from source)"
    yield Finding("installation", OK, f"vibrastic {version} at {Path(vibrastic.__file__).parent}; "
                  f"Python {platform.python_version()} ({sys.executable})")
    missing = [name for name in REQUIRED if importlib.util.find_spec(name) is None]
    if missing:
        yield Finding("installation", PROBLEM, f"missing packages: {', '.join(missing)}",
                      "reinstall: `make run` in the repository, or `pip install vibrastic`")
    else:
        yield Finding("installation", OK, f"the {len(REQUIRED)} packages vibrastic needs are there")
    try:
        from vibrastic.platform.course import load_course
        from vibrastic.platform.course.challenge import load_challenges

        course = load_course()
        count = len(load_challenges())
    except Exception as exc:  # a broken course folder: say so, do not crash the doctor
        yield Finding("course", PROBLEM, f"the course cannot be loaded: {exc}",
                      "reinstall vibrastic (the packaged course files are damaged)")
    else:
        yield Finding("course", OK, f"{course.title}: {len(course.lessons)} lessons, "
                      f"{count} challenges")


def check_sandbox(grade: bool = True) -> Iterator[Finding]:
    """Which sandbox grades submissions, and (``grade``) that it passes a reference solution."""
    from vibrastic.platform.grader.launch import FALLBACK_WARNING, isolation_mode

    mode = isolation_mode()
    if mode == "bubblewrap":
        yield Finding("sandbox", OK, "bubblewrap (bwrap) isolates submissions")
    else:
        yield Finding("sandbox", WARNING, FALLBACK_WARNING,
                      "install bubblewrap (Debian/Ubuntu: `sudo apt-get install bubblewrap`)")
    if not grade:
        return
    from vibrastic.platform.course.challenge import get_challenge, strip_markers
    from vibrastic.platform.grader.grade import Grader

    challenge = get_challenge("sigma")
    try:
        with Grader(warm=False) as grader:
            result = grader.grade(challenge, strip_markers(challenge.reference))
    except Exception as exc:
        yield Finding("sandbox", PROBLEM, f"the grader could not run: {type(exc).__name__}: {exc}",
                      "run `vibrastic doctor` again; if it persists, report it with this line")
        return
    if result.status == "pass":
        yield Finding("sandbox", OK, f"graded sigma's reference solution: pass "
                      f"({result.seconds:.1f} s, not recorded)")
    else:
        yield Finding("sandbox", PROBLEM, f"sigma's reference solution did not pass: "
                      f"{result.summary}", "reinstall vibrastic; if it persists, report it")


def check_store(db_path: Path | None = None) -> Iterator[Finding]:
    """The workspace's progress store opens and is intact (a damaged one is moved aside)."""
    from vibrastic.platform.progress import store

    path = Path(db_path) if db_path else store.default_db_path()
    if not path.exists() and not path.is_symlink():
        yield Finding("progress store", OK, f"{path} does not exist yet (created on the first "
                      "start, check or hint)")
    else:
        try:
            recovery = store.check_store(path)
            attempts = store.attempts(None, path)
        except Exception as exc:
            from vibrastic.platform.progress.store import StoreError

            what = str(exc) if isinstance(exc, StoreError) else f"{type(exc).__name__}: {exc}"
            yield Finding("progress store", PROBLEM, what,
                          f"move {path} away (it is kept, not needed to start over); "
                          "vibrastic then starts a fresh store")
        else:
            if recovery:
                yield Finding("progress store", WARNING, recovery.describe(),
                              f"nothing to do; {recovery.moved_to} may be deleted once you no "
                              "longer need it")
            else:
                yield Finding("progress store", OK, f"{path}: intact, {len(attempts)} "
                              f"attempt{'s' if len(attempts) != 1 else ''} recorded")
            if not os.access(path.parent, os.W_OK):
                yield Finding("progress store", PROBLEM, f"{path.parent} is not writable",
                              "make it writable (`chmod u+w`), or choose another workspace")
    legacy = store.legacy_db_path()
    if legacy.exists() and legacy != path:
        yield Finding("progress store", WARNING,
                      f"an older per-user store exists at {legacy}; progress is now kept per "
                      f"workspace, so it is not used",
                      f"to keep that progress in this workspace: copy {legacy} (and its -wal "
                      f"file, if any) to {path} before anything is recorded here")


def check_workspace(start: Path | None = None) -> Iterator[Finding]:
    """Where the workspace is, how it was found, that it is writable, which files it holds."""
    from vibrastic.platform.course.challenge import load_challenges
    from vibrastic.platform.progress.workspace import DEFAULT_NAME, locate_workspace

    location = locate_workspace(start)
    if not location.exists:
        yield Finding("workspace", OK, location.describe())
        return
    if not os.access(location.path, os.W_OK):
        yield Finding("workspace", PROBLEM, f"{location.path} is not writable",
                      "make it writable (`chmod u+w`), or set VIBRASTIC_WORKSPACE to another "
                      "folder")
    files = [c.filename for c in load_challenges() if (location.path / c.filename).exists()]
    yield Finding("workspace", OK, f"{location.describe()}; {len(files)} challenge file"
                  f"{'s' if len(files) != 1 else ''}")
    nested = location.path / DEFAULT_NAME
    if nested.is_dir():
        yield Finding("workspace", WARNING,
                      f"a nested workspace {nested} (older versions made it when run from "
                      "inside the workspace); its files are not used",
                      f"move the files you want from {nested} up into {location.path}")


def run_checks(grade: bool = True) -> Iterator[Finding]:
    """Every finding, in order (installation, sandbox, store, workspace)."""
    yield from check_installation()
    yield from check_sandbox(grade)
    yield from check_store()
    yield from check_workspace()
