"""The course content model: a course folder (course.toml, lessons, challenges) as Python objects.

Owns ``model`` (course.toml, the only place the course's order is written, and its lessons),
``challenge`` (challenge folders, ordered by course.toml; starters generated from reference
solutions), ``checks`` (the DSL a challenge's ``tests.py`` is written in), ``labs`` (the ML
library's labs in the course's order, with their lessons), ``execute`` (running a lesson in a
Jupyter kernel) and ``export`` (lessons as notebooks). May import the ML library and the engine;
nothing else of the platform. Only the model is imported here (fast, for the course map and
``lab list``); the other modules are imported where they are used.
"""

from vibrastic.platform.course.model import (
    Cell,
    Course,
    CourseError,
    Lesson,
    LessonNotFound,
    course_root,
    load_course,
)

__all__ = ["Cell", "Course", "CourseError", "Lesson", "LessonNotFound", "course_root",
           "load_course"]
