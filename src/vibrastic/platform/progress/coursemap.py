"""The course map: lessons, labs and challenges in course order, with the learner's progress.

Built from the course folder's ``course.toml`` (no lesson is executed, nothing leaves the machine)
and the progress store. A model only: faces render it (``vibrastic`` with no arguments prints it
through ``vibrastic.faces.cli.coursemap``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from vibrastic.platform.course import Course, load_course


@dataclass(frozen=True)
class ChallengeProgress:
    """A challenge and where the learner stands: ``status`` is ``"not started"`` until graded."""

    name: str
    status: str = "not started"
    best_score: float | None = None
    max_score: float | None = None

    @property
    def done(self) -> bool:
        return self.status == "passed"


@dataclass(frozen=True)
class MapEntry:
    """One lesson on the map: its labs and challenges."""

    number: int
    name: str
    title: str
    labs: tuple[str, ...]
    challenges: tuple[ChallengeProgress, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class CourseMap:
    title: str
    entries: tuple[MapEntry, ...]
    progress_available: bool
    project: tuple[ChallengeProgress, ...] = ()  # the project's stages ("Let's build our own")
    project_title: str = ""

    @property
    def solved(self) -> int:
        return sum(c.done for e in self.entries for c in e.challenges)

    @property
    def total(self) -> int:
        return sum(len(e.challenges) for e in self.entries)


def _store_statuses() -> dict[str, dict[str, Any]] | None:
    """The progress store's statuses, or None when it cannot be read (the map still shows)."""
    from sqlalchemy.exc import SQLAlchemyError

    from vibrastic.platform.progress.store import StoreError, challenge_statuses

    try:
        return challenge_statuses()
    except (OSError, SQLAlchemyError, StoreError):
        return None


def _progress(name: str, raw: dict[str, Any] | None) -> ChallengeProgress:
    if not raw:
        return ChallengeProgress(name)
    return ChallengeProgress(name, raw["status"], raw["best_score"], raw["max_score"])


def build_course_map(course: Course | None = None,
                     statuses: Callable[[], dict[str, dict[str, Any]] | None] = _store_statuses,
                     ) -> CourseMap:
    """The map of ``course`` (default: Vibrastic 101) with progress from ``statuses()``."""
    course = course or load_course()
    found = statuses()
    entries = tuple(
        MapEntry(lesson.number, lesson.name, lesson.title, lesson.labs,
                 tuple(_progress(c, (found or {}).get(c)) for c in lesson.challenges))
        for lesson in course.lessons
    )
    from vibrastic.platform.course.project import load_project

    project = load_project(course.root)
    stages = tuple(_stage_progress(s.slug, (found or {}).get(s.name))
                   for s in (project.stages if project else ()))
    return CourseMap(course.title, entries, found is not None, stages,
                     project.title if project else "")


def _stage_progress(slug: str, raw: dict[str, Any] | None) -> ChallengeProgress:
    """A stage as a map row: 'attempted' or 'passed' from its attempts (stored as project-…)."""
    if not raw or not raw.get("attempts"):
        return ChallengeProgress(slug)
    return ChallengeProgress(slug, raw["status"], raw["best_score"], None)
