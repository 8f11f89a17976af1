"""A course folder: ``course.toml`` (title, lesson order, labs and challenges per lesson) + lessons.

``course.toml`` is the one place a course's order is written: the lessons in order, and in each
lesson the labs and challenges it ends with, in order. Challenge folders and the ML library's lab
catalogue hold no position of their own; whoever lists them asks the course (``Course.labs``,
``Course.challenges``). The file starts with ``format_version`` (today ``1``), so a later layout
(project stages, say) can be told apart from this one.

Lessons are jupytext percent-format Python files (``# %%`` code cells, ``# %% [markdown]`` text
cells), so they diff cleanly, lint as Python and open as notebooks. A Markdown cell may hold a
line ``{source} module:qualname``: it is replaced by that object's source code as a fenced Python
block, so a lesson shows the very function that the labs run (one source of truth).
"""

from __future__ import annotations

import importlib
import inspect
import re
import textwrap
import threading
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path
from time import monotonic
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nbformat import NotebookNode

DEFAULT_COURSE = "vibrastic101"
FORMAT_VERSION = 1  # the course.toml layout this module reads
SOURCE_DIRECTIVE = re.compile(r"^\{source\}\s+([\w.]+):([\w.]+)\s*$", re.MULTILINE)


class CourseError(ValueError):
    """A course folder or a lesson reference that does not make sense (the message says why)."""


class LessonNotFound(CourseError):
    """No lesson matches a number or name; ``valid`` lists the ones that exist."""

    def __init__(self, ref: str, valid: list[str]) -> None:
        self.ref = ref
        self.valid = valid
        super().__init__(f"no lesson {ref!r}; expected a number or a name: {', '.join(valid)}")


@dataclass(frozen=True)
class Cell:
    """One cell of a lesson: ``kind`` is ``"markdown"`` or ``"code"``."""

    kind: str
    source: str


@dataclass(frozen=True)
class Lesson:
    """One lesson: its place in the course, its text file, the labs and challenges it ends with."""

    number: int
    name: str
    title: str
    path: Path
    summary: str = ""
    slides: tuple[str, ...] = ()
    labs: tuple[str, ...] = ()
    challenges: tuple[str, ...] = ()
    budget_seconds: int = 60

    @property
    def ref(self) -> str:
        """``"3 what-is-ml"``-style label used in lists and messages."""
        return f"{self.number} {self.name}"

    def notebook(self) -> NotebookNode:
        """The lesson as a notebook (no outputs), ``{source}`` directives expanded."""
        import jupytext  # here, not at the top: the course map must start fast

        nb = jupytext.read(self.path, fmt="py:percent")
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                cell.source = expand_sources(cell.source)
        return nb

    def cells(self) -> list[Cell]:
        """Markdown and code cells in order (the text `lesson show` renders)."""
        return [Cell(c.cell_type, c.source) for c in self.notebook().cells
                if c.cell_type in ("markdown", "code") and c.source.strip()]


@dataclass(frozen=True)
class Course:
    """A course: its title and its lessons in order."""

    id: str
    title: str
    root: Path
    description: str = ""
    author: str = ""
    lessons: tuple[Lesson, ...] = field(default_factory=tuple)
    format_version: int = FORMAT_VERSION

    def lesson(self, ref: str | int) -> Lesson:
        """A lesson by number (``3``), name (``what-is-ml``) or file stem (``03-what-is-ml``)."""
        key = str(ref).strip().lower()
        for lesson in self.lessons:
            if key in (str(lesson.number), f"{lesson.number:02d}", lesson.name, lesson.path.stem):
                return lesson
        raise LessonNotFound(str(ref), [lesson.ref for lesson in self.lessons])

    @cached_property
    def challenges(self) -> tuple[str, ...]:
        """Every challenge, in course order."""
        return tuple(c for lesson in self.lessons for c in lesson.challenges)

    @cached_property
    def labs(self) -> tuple[str, ...]:
        """Every lab, in course order."""
        return tuple(lab for lesson in self.lessons for lab in lesson.labs)


#: How long a course folder's file signature (every file's size and modification time) is
#: trusted before the files are looked at again: an author's edit is seen within this time, and
#: a busy classroom server, whose every page asks, scans the folder at most this often.
RESCAN_SECONDS = 1.0
_signatures: dict[tuple[Callable[[Path], tuple], Path], tuple[float, tuple]] = {}
_signatures_lock = threading.Lock()


def recent_signature(root: Path, scan: Callable[[Path], tuple]) -> tuple:
    """``scan(root)``, or its result from under ``RESCAN_SECONDS`` ago (course loaders key
    their caches on it, so edits show without a restart)."""
    key = (scan, root)
    now = monotonic()
    with _signatures_lock:
        known = _signatures.get(key)
    if known is not None and 0 <= now - known[0] < RESCAN_SECONDS:
        return known[1]
    signature = scan(root)
    with _signatures_lock:
        _signatures[key] = (now, signature)
    return signature


def course_root(course_id: str = DEFAULT_COURSE) -> Path:
    """The folder of a course shipped inside the package (``vibrastic/courses/<id>``)."""
    return Path(str(resources.files("vibrastic").joinpath("courses", course_id)))


def load_course(root: Path | None = None) -> Course:
    """Read ``course.toml`` from a course folder (default: the packaged Vibrastic 101)."""
    root = Path(root) if root is not None else course_root()
    toml_path = root / "course.toml"
    if not toml_path.is_file():
        raise CourseError(f"{toml_path} not found: a course folder needs a course.toml")
    try:
        data = tomllib.loads(toml_path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise CourseError(f"{toml_path}: {exc}") from exc
    version = data.get("format_version")
    if version != FORMAT_VERSION:
        found = "has no format_version" if version is None else f"has format_version {version!r}"
        raise CourseError(f"{toml_path} {found}; this vibrastic reads format_version = "
                          f"{FORMAT_VERSION} (a line at the top of the file)")
    meta = data.get("course", {})
    lessons = []
    for number, entry in enumerate(data.get("lessons", []), 1):
        missing = {"name", "title", "file"} - entry.keys()
        if missing:
            raise CourseError(f"{toml_path}: lesson {number} lacks {', '.join(sorted(missing))}")
        path = root / entry["file"]
        if not path.is_file():
            raise CourseError(f"{toml_path}: lesson {entry['name']!r} file {path} not found")
        lessons.append(Lesson(
            number=number, name=entry["name"], title=entry["title"], path=path,
            summary=entry.get("summary", ""), slides=tuple(entry.get("slides", ())),
            labs=tuple(entry.get("labs", ())), challenges=tuple(entry.get("challenges", ())),
            budget_seconds=int(entry.get("budget_seconds", 60)),
        ))
    for kind, names in (("lesson", [lesson.name for lesson in lessons]),
                        ("lab", [lab for lesson in lessons for lab in lesson.labs]),
                        ("challenge", [c for lesson in lessons for c in lesson.challenges])):
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise CourseError(f"{toml_path}: {kind} names must appear once (course.toml is the "
                              f"order); repeated: {', '.join(repeated)}")
    return Course(id=meta.get("id", root.name), title=meta.get("title", root.name), root=root,
                  description=meta.get("description", ""), author=meta.get("author", ""),
                  lessons=tuple(lessons), format_version=version)


def object_source(target: str) -> str:
    """The source of ``module:qualname`` (e.g. ``vibrastic.ml.classic:gradient_descent``)."""
    module_name, _, qualname = target.partition(":")
    obj = importlib.import_module(module_name)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return textwrap.dedent(inspect.getsource(obj)).rstrip()  # type: ignore[arg-type]


def expand_sources(markdown: str) -> str:
    """Replace each ``{source} module:qualname`` line with that object's code in a fence."""

    def fence(match: re.Match[str]) -> str:
        target = f"{match.group(1)}:{match.group(2)}"
        try:
            code = object_source(target)
        except (ImportError, AttributeError, OSError, TypeError) as exc:
            raise CourseError(f"{{source}} {target}: cannot read its source ({exc})") from exc
        return f"```python\n{code}\n```"

    return SOURCE_DIRECTIVE.sub(fence, markdown)
