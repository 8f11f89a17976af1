"""``check("sigma")`` and ``hint("sigma")`` for learners working in a notebook (Colab or Jupyter).

How a notebook challenge works (the exported lessons set it up; Kaggle-course style):

1. A ``%%writefile sigma.py`` cell holds the starter code. The learner edits it and runs it, which
   saves the code to ``sigma.py`` in the notebook's working folder. ``%%writefile`` is an IPython
   magic, so this works the same on Colab and on a bare Jupyter, and the learner's code is a
   plain file that ``vibrastic challenge check`` could grade too.
2. ``check("sigma")`` reads that file and hands it to vibrastic's grader, which runs it in a
   sandboxed subprocess against the challenge's tests (hidden ones included); the learner's code
   never runs in the notebook's own process. The verdict is printed and returned (a
   ``GradeResult``: ``.status``, ``.score``, ``.max_score``, ``.tests``).
3. ``hint("sigma")`` prints the challenge's next hint (in order; the last one repeats).

Attempts and hints shown are saved in the progress store, so ``vibrastic`` (the course map)
and ``vibrastic challenge …`` see them.

``check("sigma", path="elsewhere.py")`` grades another file. The file name is the challenge name
with ``-`` turned into ``_`` (``dict-legs`` → ``dict_legs.py``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


class NotebookChallengeError(ValueError):
    """A ``check``/``hint`` call that cannot proceed (unknown challenge, file not written yet)."""


def _challenge(name: str) -> Any:
    from vibrastic.platform.course.challenge import UnknownChallenge, get_challenge

    try:
        return get_challenge(name)
    except UnknownChallenge as exc:
        raise NotebookChallengeError(str(exc)) from None


def submission_path(name: str, path: str | Path | None = None) -> Path:
    """The file ``check(name)`` grades: ``path``, else ``<name>.py`` in the working folder."""
    return Path(path) if path is not None else Path.cwd() / _challenge(name).filename


class Verdict:
    """What ``check`` returns: the grader's ``GradeResult`` (its attributes read through), shown
    as one line when a notebook cell ends with ``check(...)``."""

    def __init__(self, result: Any) -> None:
        self.result = result

    def __getattr__(self, name: str) -> Any:
        return getattr(self.result, name)

    def __repr__(self) -> str:
        r = self.result
        return f"<{r.challenge}: {r.status}, {r.score:g}/{r.max_score:g} points>"


def check(name: str, path: str | Path | None = None, *, quiet: bool = False) -> Verdict:
    """Grade the learner's file for challenge ``name`` in the sandboxed grader; print the verdict.

    Returns a ``Verdict`` (``.status``, ``.score``, ``.max_score``, ``.tests``; ``.result`` is
    the grader's ``GradeResult``).
    """
    file = submission_path(name, path)
    if not file.is_file():
        raise NotebookChallengeError(
            f"{file} not found: run the challenge's `%%writefile {file.name}` cell first "
            f"(or pass path=...)")
    from vibrastic.platform.progress.submit import submit

    result = submit(name, file, warm=True)
    if not quiet:
        print(format_result(result))
    return Verdict(result)


def format_result(result: Any) -> str:
    """A plain-text verdict: status, summary, then one line per test with its hint on failure."""
    lines = [f"{result.challenge}: {str(result.status).upper()} — {result.summary}"]
    for test in result.tests:
        mark = "✓" if test.passed else "✗"
        label = f"{test.name} (hidden)" if test.hidden else test.name
        line = f"  {mark} {label}"
        if not test.passed and test.message and not test.hidden:
            line += f": {test.message}"
        lines.append(line)
    if result.message and str(result.status) != "pass":
        lines.append(result.message)
    if str(result.status) != "pass":
        lines.append(f'Stuck? hint("{result.challenge}")')
    return "\n".join(lines)


class Shown(str):
    """Text that was already printed: a notebook cell ending with ``hint(...)`` does not show it
    a second time as the cell's value (IPython calls ``_ipython_display_`` instead of repr)."""

    def _ipython_display_(self) -> None:
        pass


def hints(name: str) -> list[str]:
    """Every hint of challenge ``name``, in order."""
    return list(_challenge(name).hints)


def hint(name: str) -> str:
    """Print (and return) the next hint of challenge ``name``, remembered in the progress store
    (shared with ``vibrastic challenge hint``); once all were shown, the last one repeats.
    The returned text is not displayed again when a notebook cell ends with ``hint(...)``."""
    from vibrastic.platform.progress.store import next_hint

    all_hints = hints(name)
    if not all_hints:
        text = f"{name}: no hints for this challenge."
    else:
        shown = next_hint(name, all_hints)
        number, hint_text = shown if shown else (len(all_hints), all_hints[-1])
        text = f"{name} — hint {number}/{len(all_hints)}: {hint_text}"
    print(text)
    return Shown(text)
