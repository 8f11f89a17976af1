"""A course's labs: the ML library's labs in the order of ``course.toml``, each with its lesson.

The library (``vibrastic.ml.labs``) knows what a lab is and how to run it, not where it sits in a
course; ``course.toml`` knows the order and nothing else about a lab. This joins the two without
importing any lab module (listing labs stays instant).
"""

from __future__ import annotations

from dataclasses import dataclass

from vibrastic.ml.labs import Lab
from vibrastic.ml.labs import registry as library
from vibrastic.platform.course.model import Course, CourseError, Lesson, load_course


@dataclass(frozen=True)
class CourseLab:
    """A lab and the lesson that ends with it (None: in the library, not in this course)."""

    lab: Lab
    lesson: Lesson | None

    @property
    def name(self) -> str:
        return self.lab.name


def course_labs(course: Course | None = None, registry: dict[str, Lab] | None = None,
                ) -> list[CourseLab]:
    """Every lab of ``registry`` (default: the library's): first those ``course`` (default:
    Vibrastic 101) names, in its order, then the library's others by name.

    Raises CourseError when ``course.toml`` names a lab the library does not have.
    """
    course = course or load_course()
    registry = library.REGISTRY if registry is None else registry
    unknown = [name for name in course.labs if name not in registry]
    if unknown:
        raise CourseError(f"{course.root / 'course.toml'} names lab(s) {', '.join(unknown)} that "
                          f"the library does not have; its labs: {', '.join(sorted(registry))}")
    listed = [CourseLab(registry[name], lesson) for lesson in course.lessons
              for name in lesson.labs]
    others = [CourseLab(lab, None) for name, lab in sorted(registry.items())
              if name not in course.labs]
    return listed + others
