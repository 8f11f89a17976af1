"""The classroom's tables: people, courses, sections, who is in which with which role, sessions,
invitations and password resets, and the audit trail of grade overrides.

Removing a learner from a course sets ``Membership.removed_at``; nothing of theirs is deleted, so
their attempts stay for the record. Tokens are stored only as SHA-256 digests.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from vibrastic.platform.database import Base

ROLES = ("learner", "ta", "instructor")
STAFF_ROLES = ("ta", "instructor")


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[str] = mapped_column(String(40))


class Course(Base):
    """A run of a course for a room: its own roster, sections and gradebook."""

    __tablename__ = "courses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    content: Mapped[str] = mapped_column(String(64))  # the packaged course folder, vibrastic101
    created_at: Mapped[str] = mapped_column(String(40))


class Section(Base):
    __tablename__ = "sections"
    __table_args__ = (UniqueConstraint("course_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    join_code: Mapped[str] = mapped_column(String(16), unique=True)


class Membership(Base):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("course_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    section_id: Mapped[int | None] = mapped_column(ForeignKey("sections.id"), nullable=True)
    role: Mapped[str] = mapped_column(String(16))
    joined_at: Mapped[str] = mapped_column(String(40))
    removed_at: Mapped[str | None] = mapped_column(String(40), nullable=True)


class Invitation(Base):
    """An e-mail invited to a course with a role; the roster import creates these."""

    __tablename__ = "invitations"
    __table_args__ = (UniqueConstraint("course_id", "email"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    email: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    section_id: Mapped[int | None] = mapped_column(ForeignKey("sections.id"), nullable=True)
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[str] = mapped_column(String(40))
    used_at: Mapped[str | None] = mapped_column(String(40), nullable=True)


class LoginSession(Base):
    """A signed-in browser: the cookie's token digest, its CSRF token, when it ends."""

    __tablename__ = "login_sessions"

    token_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[str] = mapped_column(String(40))
    expires_at: Mapped[str] = mapped_column(String(40))
    revoked_at: Mapped[str | None] = mapped_column(String(40), nullable=True)


class PasswordReset(Base):
    """A one-time password reset an instructor made for a user."""

    __tablename__ = "password_resets"

    token_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    made_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[str] = mapped_column(String(40))
    expires_at: Mapped[str] = mapped_column(String(40))
    used_at: Mapped[str | None] = mapped_column(String(40), nullable=True)


class GradeOverride(Base):
    """One hand-set score: the newest per (course, learner, item) counts; none is ever deleted."""

    __tablename__ = "grade_overrides"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    item: Mapped[str] = mapped_column(String(100))
    score: Mapped[float | None] = mapped_column(Float, nullable=True)  # None: back to graded
    made_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    made_at: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(Text)


class Submission(Base):
    """A learner's check of a challenge in a course, from queued to its verdict.

    ``state``: queued → running → done (``status``/``score``/``result_json`` set) or error (the
    grader could not run: ``error`` says why; it does not count as an attempt).
    """

    __tablename__ = "class_submissions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    challenge: Mapped[str] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(10), index=True)
    created_at: Mapped[str] = mapped_column(String(40))
    finished_at: Mapped[str | None] = mapped_column(String(40), nullable=True)
    status: Mapped[str | None] = mapped_column(String(10), nullable=True)
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    max_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    hidden_run: Mapped[bool] = mapped_column(Boolean, default=True)
    result_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    worker: Mapped[str | None] = mapped_column(String(100), nullable=True)


class HintState(Base):
    """How many hints of a challenge a learner has seen in a course (and when the last one)."""

    __tablename__ = "class_hints"

    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    challenge: Mapped[str] = mapped_column(String(100), primary_key=True)
    shown: Mapped[int] = mapped_column(Integer, default=0)
    last_at: Mapped[str] = mapped_column(String(40))


class ChallengeWork(Base):
    """A learner's saved code of a challenge in a course (the editor's autosave), and whether
    they gave up on it (which shows the solution)."""

    __tablename__ = "class_work"

    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    challenge: Mapped[str] = mapped_column(String(100), primary_key=True)
    source: Mapped[str | None] = mapped_column(Text, nullable=True)
    source_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    saved_at: Mapped[str | None] = mapped_column(String(40), nullable=True)
    started_at: Mapped[str] = mapped_column(String(40))
    gave_up_at: Mapped[str | None] = mapped_column(String(40), nullable=True)


class LoginFailure(Base):
    """One failed sign-in under one throttle key (the SHA-256 of the key: what was typed as an
    e-mail address is not kept); every web process counts the same rows."""

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_key_at", "key", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64))
    at: Mapped[float] = mapped_column(Float, index=True)  # seconds since the epoch
