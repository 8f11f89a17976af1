"""The course content model: a course folder (course.toml, lessons, challenges) as Python objects.

``model`` (course.toml and lessons), ``challenge`` (challenge folders; starters generated from
reference solutions), ``checks`` (the DSL a challenge's ``tests.py`` is written in), ``execute``
(running a lesson in a Jupyter kernel) and ``export`` (lessons as notebooks). May import the ML
library and the engine; nothing else of the platform. Only the model is imported here (fast, for
the course map); the other modules are imported where they are used.
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
