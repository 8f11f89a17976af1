"""What comes next for a learner: the first unfinished thing in course order (``vibrastic next``).

Course order is ``course.toml``'s: each lesson, then its labs, then its challenges, and after the
last lesson the project's stages ("let's build our own"). A lesson is finished once read (``lesson
show``) or run, a lab once run, a challenge once passed or given up, a project stage once passed.
Plain data in, plain data out, so the web course can show the same step as the terminal.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vibrastic.platform.course import Course, load_course


@dataclass(frozen=True)
class Step:
    """One thing to do: ``kind`` is "lesson", "lab", "challenge", "stage" (of the project) or
    "done" (the course is finished); ``command`` is what to type; ``why`` says where the learner
    stands."""

    kind: str
    name: str
    title: str
    command: str
    why: str
    lesson: int = 0


def next_step(course: Course | None = None, statuses: dict[str, dict[str, Any]] | None = None,
              done: set[tuple[str, str]] | None = None, db_path: str | Path | None = None,
              project_stages: bool = True) -> Step:
    """The first unfinished step of ``course`` given the challenge ``statuses`` and the lessons
    and labs ``done`` (both read from the progress store at ``db_path`` when not given); then,
    with ``project_stages``, the project's stages (read from the current workspace)."""
    from vibrastic.platform.progress import store

    course = course or load_course()
    statuses = store.challenge_statuses(db_path) if statuses is None else statuses
    done = store.done_items(db_path) if done is None else done
    for lesson in course.lessons:
        if ("lesson", lesson.name) not in done:
            return Step("lesson", lesson.name, lesson.title,
                        f"vibrastic lesson show {lesson.number}",
                        f"lesson {lesson.number} is not read yet", lesson.number)
        for lab in lesson.labs:
            if ("lab", lab) not in done:
                return Step("lab", lab, f"the {lab} lab", f"vibrastic lab run {lab}",
                            f"lesson {lesson.number}'s lab {lab} has not been run yet",
                            lesson.number)
        for name in lesson.challenges:
            info = statuses.get(name, {})
            if info.get("status") == "passed" or info.get("gave_up"):
                continue
            if info.get("started") or info.get("status") == "attempted":
                tried = info.get("attempts", 0)
                return Step("challenge", name, f"challenge {name}",
                            f"vibrastic challenge check {name}",
                            f"challenge {name} is started but not passed yet "
                            f"({tried} attempt{'s' if tried != 1 else ''} so far)",
                            lesson.number)
            return Step("challenge", name, f"challenge {name}", f"vibrastic challenge start {name}",
                        f"challenge {name} is not started yet", lesson.number)
    if project_stages:
        step = _next_stage(course)
        if step is not None:
            return step
    return Step("done", "", course.title, "vibrastic progress",
                "every lesson is read, every lab run and every challenge passed or given up")


def _next_stage(course: Course) -> Step | None:
    """The first project stage not passed yet (None: no project, or every stage passed)."""
    from vibrastic.platform.course.project import load_project
    from vibrastic.platform.progress.project import stage_statuses

    project = load_project(course.root)
    if project is None:
        return None
    for status in stage_statuses(project).values():
        stage = status.stage
        if status.status == "passed":
            continue
        title = f"project stage {stage.number}: {stage.title}"
        if status.status == "not started":
            return Step("stage", stage.slug, title, f"vibrastic project start {stage.number}",
                        "every challenge is done; the project (build your own autograd "
                        f"engine) continues with stage {stage.number}")
        return Step("stage", stage.slug, title, f"vibrastic project check {stage.number}",
                    f"project stage {stage.number} is {status.status} but not passed yet")
    return None
