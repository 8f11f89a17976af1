"""Grades in a classroom: best scores from graded checks, instructors' audited overrides, and the
gradebook that the exports are written from. Staff see everyone's grades; a learner only theirs.
"""

from __future__ import annotations

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from vibrastic.platform.classroom.gradebook import Column, Gradebook, Learner, Override
from vibrastic.platform.classroom.models import (
    Course,
    GradeOverride,
    Membership,
    Section,
    Submission,
    User,
)
from vibrastic.platform.classroom.people import ClassroomError, require_role
from vibrastic.platform.course.challenge import load_challenges
from vibrastic.platform.course.project import load_project
from vibrastic.platform.database import now, reading


def columns(engine: Engine, course_id: int) -> list[Column]:
    """The graded items of a course in course order: challenges, then the project's stages."""
    with Session(reading(engine)) as session:
        course = session.get(Course, course_id)
        if course is None:
            raise ClassroomError(f"there is no course {course_id}")
    out = [Column(c.name, c.title, c.max_score) for c in load_challenges()]
    project = load_project()
    if project is not None:
        out += [Column(s.name, f"Project stage {s.number}: {s.title}", s.max_score)
                for s in project.stages]
    return out


def best_scores(engine: Engine, course_id: int,
                user_id: int | None = None) -> dict[tuple[int, str], float]:
    with Session(reading(engine)) as session:
        query = select(Submission.user_id, Submission.challenge, func.max(Submission.score)) \
            .where(Submission.course_id == course_id, Submission.state == "done") \
            .group_by(Submission.user_id, Submission.challenge)
        if user_id is not None:
            query = query.where(Submission.user_id == user_id)
        return {(u, c): float(s or 0.0) for u, c, s in session.execute(query)}


def current_overrides(engine: Engine, course_id: int) -> dict[tuple[int, str], Override]:
    """The newest override per (learner, item); one that set None means 'back to graded'."""
    out: dict[tuple[int, str], Override] = {}
    with Session(reading(engine)) as session:
        rows = session.execute(select(GradeOverride, User.username).join(
            User, User.id == GradeOverride.made_by).where(
            GradeOverride.course_id == course_id).order_by(GradeOverride.id))
        for row, by in rows:
            key = (row.user_id, row.item)
            if row.score is None:
                out.pop(key, None)
            else:
                out[key] = Override(row.score, by, row.made_at, row.reason)
    return out


def gradebook(engine: Engine, course_id: int, viewer_id: int) -> Gradebook:
    """The whole course's gradebook (instructors and TAs)."""
    require_role(engine, course_id, viewer_id, "instructor", "ta")
    with Session(reading(engine)) as session:
        rows = session.execute(
            select(User, Section.name).join(Membership, Membership.user_id == User.id)
            .outerjoin(Section, Section.id == Membership.section_id)
            .where(Membership.course_id == course_id, Membership.role == "learner",
                   Membership.removed_at.is_(None)).order_by(User.username)).all()
        learners = [Learner(u.username, u.email, u.name, section) for u, section in rows]
        ids = {u.username: u.id for u, _ in rows}
    names = {uid: username for username, uid in ids.items()}  # scores read once, not per learner
    best = {(names[u], c): s for (u, c), s in best_scores(engine, course_id).items()
            if u in names}
    overrides = {(names[u], c): o for (u, c), o in current_overrides(engine, course_id).items()
                 if u in names}
    return Gradebook(columns(engine, course_id), learners, best, overrides)


def my_grades(engine: Engine, course_id: int, user_id: int) -> list[dict]:
    """A learner's own grades: per item, the score that counts and whether it was set by hand."""
    require_role(engine, course_id, user_id, "learner", "ta", "instructor")
    best = best_scores(engine, course_id, user_id)
    overrides = current_overrides(engine, course_id)
    out = []
    for column in columns(engine, course_id):
        override = overrides.get((user_id, column.name))
        out.append({"item": column.name, "title": column.title, "max_score": column.max_score,
                    "score": override.score if override else best.get((user_id, column.name)),
                    "overridden": override is not None,
                    "reason": override.reason if override else None})
    return out


def set_override(engine: Engine, course_id: int, user_id: int, item: str, score: float | None,
                 by: int, reason: str) -> None:
    """Set (or with None, clear) a learner's score by hand; instructors only; always audited."""
    require_role(engine, course_id, by, "instructor")
    reason = reason.strip()
    if not reason:
        raise ClassroomError("say why the score is changed (the reason is kept in the audit "
                             "trail)")
    limits = {c.name: c.max_score for c in columns(engine, course_id)}
    if item not in limits:
        raise ClassroomError(f"no graded item {item!r}; expected one of "
                             f"{', '.join(limits)}")
    if score is not None and not 0 <= score <= limits[item]:
        raise ClassroomError(f"a score for {item} must be between 0 and {limits[item]:g}")
    with Session(engine) as session, session.begin():
        member = session.scalar(select(Membership).where(
            Membership.course_id == course_id, Membership.user_id == user_id))
        if member is None:
            raise ClassroomError("that person has never been on this course's roster")
        session.add(GradeOverride(course_id=course_id, user_id=user_id, item=item, score=score,
                                  made_by=by, made_at=now(), reason=reason[:2000]))


def audit_trail(engine: Engine, course_id: int, viewer_id: int) -> list[dict]:
    """Every override ever made in the course, oldest first (staff)."""
    require_role(engine, course_id, viewer_id, "instructor", "ta")
    with Session(reading(engine)) as session:
        learner, maker = User.__table__.alias("learner"), User.__table__.alias("maker")
        rows = session.execute(
            select(GradeOverride, learner.c.username, maker.c.username)
            .join(learner, learner.c.id == GradeOverride.user_id)
            .join(maker, maker.c.id == GradeOverride.made_by)
            .where(GradeOverride.course_id == course_id).order_by(GradeOverride.id))
        return [{"learner": who, "item": o.item, "score": o.score, "by": by, "at": o.made_at,
                 "reason": o.reason} for o, who, by in rows]
