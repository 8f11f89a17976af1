"""Courses: loading a course folder (course.toml + lessons), rendering, running, notebook export.

Only the content model is imported here (fast, for the course map); ``course.runner``,
``course.notebooks`` and ``course.render`` are imported where they are used.
"""

from vibrastic.course.model import (
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
