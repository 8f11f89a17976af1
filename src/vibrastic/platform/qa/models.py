"""The Q&A board's tables: threads attached to a page, their posts, edit history, follows,
notifications, and a search index (SQLite FTS5 or PostgreSQL full-text search).

A thread belongs to a course and to a place in it (``target_kind`` lesson, lab, challenge, stage
or course, and ``target`` its name). Nothing is deleted: a deleted post keeps its row and history
with ``deleted_at`` set, and merging a duplicate points it at the thread it duplicates.
"""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from vibrastic.platform.database import Base

TARGET_KINDS = ("course", "lesson", "lab", "challenge", "stage")
THREAD_KINDS = ("question", "note", "announcement")


class Thread(Base):
    __tablename__ = "qa_threads"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    target_kind: Mapped[str] = mapped_column(String(16))
    target: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    private: Mapped[bool] = mapped_column(Boolean, default=False)
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    resolved_at: Mapped[str | None] = mapped_column(String(40), nullable=True)
    merged_into: Mapped[int | None] = mapped_column(ForeignKey("qa_threads.id"), nullable=True)
    attached_code: Mapped[str | None] = mapped_column(Text, nullable=True)
    attached_verdict: Mapped[str | None] = mapped_column(Text, nullable=True)
    attachment_shared: Mapped[bool] = mapped_column(Boolean, default=False)
    search_text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[str] = mapped_column(String(40))
    activity_at: Mapped[str] = mapped_column(String(40))


class Post(Base):
    """The opening post, an answer, or a comment (``parent_id`` names what it follows up)."""

    __tablename__ = "qa_posts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("qa_threads.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("qa_posts.id"), nullable=True)
    kind: Mapped[str] = mapped_column(String(16))  # opening | answer | comment
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    staff_answer: Mapped[bool] = mapped_column(Boolean, default=False)
    body: Mapped[str] = mapped_column(Text)
    endorsed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[str] = mapped_column(String(40))
    edited_at: Mapped[str | None] = mapped_column(String(40), nullable=True)
    deleted_at: Mapped[str | None] = mapped_column(String(40), nullable=True)


class PostRevision(Base):
    """Every earlier text of a post (and of its thread's title), kept when it is edited."""

    __tablename__ = "qa_post_revisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("qa_posts.id"), index=True)
    title: Mapped[str | None] = mapped_column(String(200), nullable=True)
    body: Mapped[str] = mapped_column(Text)
    edited_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    edited_at: Mapped[str] = mapped_column(String(40))


class Follow(Base):
    __tablename__ = "qa_follows"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("qa_threads.id"), primary_key=True)


class Notification(Base):
    __tablename__ = "qa_notifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("qa_threads.id"))
    post_id: Mapped[int | None] = mapped_column(ForeignKey("qa_posts.id"), nullable=True)
    kind: Mapped[str] = mapped_column(String(24))  # new-question | answer | comment | …
    created_at: Mapped[str] = mapped_column(String(40))
    read_at: Mapped[str | None] = mapped_column(String(40), nullable=True)
    emailed_at: Mapped[str | None] = mapped_column(String(40), nullable=True)
