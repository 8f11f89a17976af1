"""The Q&A board: asking, answering, following, moderating, finding — with who may see what.

Every function takes the ``Viewer`` (who is asking, and their role in the course) and applies the
board's rules itself, so the web pages, the JSON API and exports cannot disagree:
- anonymous posts show "Anonymous" to classmates and always show the author to staff;
- private threads are seen by their author and staff only;
- code and verdicts attached from a challenge are seen by the asker and staff, unless the asker
  shares them; hidden threads and posts are seen by staff only;
- only staff post announcements, pin, hide, endorse and merge; the asker or staff resolves.
Posting is rate-limited per person (counted in the database, so it holds across processes).
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, func, or_, select, text
from sqlalchemy.orm import Session

from vibrastic.platform.classroom.models import STAFF_ROLES, Membership, User
from vibrastic.platform.database import now, reading
from vibrastic.platform.qa.markup import PostTooLong, render_post
from vibrastic.platform.qa.models import (
    TARGET_KINDS,
    THREAD_KINDS,
    Follow,
    Notification,
    Post,
    PostRevision,
    Thread,
)

MAX_TITLE = 200
MIN_TITLE = 5
POSTS_PER_WINDOW = 20
POST_WINDOW = timedelta(minutes=10)
MAX_ATTACHED_CODE = 100_000
WORD = re.compile(r"\w+", re.UNICODE)
STOP_WORDS = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "can", "do", "does", "for", "from",
    "how", "i", "if", "in", "is", "it", "my", "of", "on", "or", "so", "that", "the", "this",
    "to", "what", "when", "where", "which", "why", "with", "you", "your", "me", "we",
})


class BoardError(ValueError):
    """A refused board action; the message says what was wrong and what to do."""


class NotAllowed(BoardError):
    """The viewer's role does not allow this."""


@dataclass(frozen=True)
class Viewer:
    user_id: int
    role: str | None  # learner, ta, instructor; None: not in the course

    @property
    def staff(self) -> bool:
        return self.role in STAFF_ROLES


@dataclass(frozen=True)
class PostView:
    id: int
    kind: str
    author: str
    html: str
    body: str  # the Markdown, for editing (only filled for posts the viewer may edit)
    created_at: str
    edited: bool
    staff_answer: bool
    endorsed: bool
    hidden: bool
    deleted: bool
    mine: bool
    parent_id: int | None


@dataclass(frozen=True)
class ThreadView:
    id: int
    kind: str
    title: str
    target_kind: str
    target: str
    author: str
    anonymous: bool
    private: bool
    pinned: bool
    hidden: bool
    resolved: bool
    answered: bool
    merged_into: int | None
    created_at: str
    activity_at: str
    mine: bool
    answers: int
    attached_code: str | None = None
    attached_verdict: dict | None = None
    attachment_shared: bool = False
    posts: tuple[PostView, ...] = field(default_factory=tuple)


# ---- who sees what -------------------------------------------------------------------------

def _author_label(viewer: Viewer, author: User, anonymous: bool) -> str:
    if author.id == viewer.user_id:
        return "You (anonymous to classmates)" if anonymous else "You"
    if not anonymous:
        return author.name
    return f"{author.name} (anonymous to classmates)" if viewer.staff else "Anonymous"


def _visible(viewer: Viewer):  # type: ignore[no-untyped-def]
    """The SQL condition for threads the viewer may see."""
    if viewer.staff:
        return Thread.id.is_not(None)
    return _learner_may_see(viewer.user_id)


def _learner_may_see(user_id: int):  # type: ignore[no-untyped-def]
    """The SQL condition for threads a learner may see: not hidden, and public or their own."""
    return Thread.hidden.is_(False) & (Thread.private.is_(False) | (Thread.author_id == user_id))


def _require_member(viewer: Viewer) -> None:
    if viewer.role is None:
        raise NotAllowed("only people on this course's roster can use its Q&A board")


def _require_staff(viewer: Viewer, what: str) -> None:
    if not viewer.staff:
        raise NotAllowed(f"only instructors and TAs can {what}")


def _check_rate(session: Session, viewer: Viewer) -> None:
    if viewer.staff:
        return
    since = (datetime.now(UTC) - POST_WINDOW).isoformat(timespec="milliseconds")
    count = session.scalar(select(func.count(Post.id)).where(
        Post.author_id == viewer.user_id, Post.created_at >= since)) or 0
    if count >= POSTS_PER_WINDOW:
        raise BoardError(f"you have posted {count} times in the last "
                         f"{int(POST_WINDOW.total_seconds() // 60)} minutes; wait a few minutes "
                         "before posting again")


def _check_title(title: str) -> str:
    title = " ".join(title.split())
    if not MIN_TITLE <= len(title) <= MAX_TITLE:
        raise BoardError(f"a title needs {MIN_TITLE}–{MAX_TITLE} characters; this one has "
                         f"{len(title)}")
    return title


def _check_body(body: str) -> str:
    if not body.strip():
        raise BoardError("the post is empty; write your question or answer")
    try:
        render_post(body)
    except PostTooLong as exc:
        raise BoardError(str(exc)) from None
    return body


# ---- writing -------------------------------------------------------------------------------

def ask(engine: Engine, viewer: Viewer, course_id: int, *, title: str, body: str,
        target_kind: str = "course", target: str = "", kind: str = "question",
        anonymous: bool = False, private: bool = False, attached_code: str | None = None,
        attached_verdict: dict | None = None, share_attachment: bool = False) -> int:
    """Start a thread; the asker follows it; staff (or, for announcements, everyone) are told."""
    _require_member(viewer)
    if target_kind not in TARGET_KINDS:
        raise BoardError(f"unknown place {target_kind!r}; expected one of "
                         f"{', '.join(TARGET_KINDS)}")
    if kind not in THREAD_KINDS:
        raise BoardError(f"unknown post type {kind!r}; expected one of {', '.join(THREAD_KINDS)}")
    if kind == "announcement":
        _require_staff(viewer, "post announcements")
    if attached_code is not None and len(attached_code) > MAX_ATTACHED_CODE:
        raise BoardError(f"the attached code has {len(attached_code)} characters; at most "
                         f"{MAX_ATTACHED_CODE}")
    title, body = _check_title(title), _check_body(body)
    stamp = now()
    with Session(engine) as session, session.begin():
        _check_rate(session, viewer)
        thread = Thread(
            course_id=course_id, target_kind=target_kind, target=target[:100], kind=kind,
            title=title, author_id=viewer.user_id, anonymous=anonymous, private=private,
            pinned=False, hidden=False, attached_code=attached_code,
            attached_verdict=json.dumps(attached_verdict) if attached_verdict else None,
            attachment_shared=share_attachment, search_text=f"{title}\n{body}",
            created_at=stamp, activity_at=stamp)
        session.add(thread)
        session.flush()
        post = Post(thread_id=thread.id, kind="opening", author_id=viewer.user_id,
                    anonymous=anonymous, staff_answer=False, body=body, hidden=False,
                    created_at=stamp)
        session.add(post)
        session.flush()
        session.add(Follow(user_id=viewer.user_id, thread_id=thread.id))
        _index(session, thread)
        if kind == "announcement":
            readers = _members(session, course_id)
        elif kind == "question":
            readers = _members(session, course_id, staff_only=True)
        else:
            readers = _members(session, course_id, staff_only=True) if private else []
        for user_id in readers:
            if user_id != viewer.user_id:
                session.add(Notification(user_id=user_id, thread_id=thread.id, post_id=post.id,
                                         kind=f"new-{kind}", created_at=stamp))
        return thread.id


def reply(engine: Engine, viewer: Viewer, thread_id: int, body: str, *,
          parent_id: int | None = None, anonymous: bool = False) -> int:
    """An answer (no parent) or a follow-up comment; followers are told; the author follows."""
    _require_member(viewer)
    body = _check_body(body)
    stamp = now()
    with Session(engine) as session, session.begin():
        thread = _thread_for(session, viewer, thread_id)
        if thread.merged_into is not None:
            raise BoardError(f"this thread was merged into thread {thread.merged_into}; "
                             "answer there")
        if parent_id is not None:
            parent = session.get(Post, parent_id)
            if parent is None or parent.thread_id != thread_id:
                raise BoardError(f"post {parent_id} is not in thread {thread_id}")
        _check_rate(session, viewer)
        # the asker of an anonymous thread stays anonymous in it: a signed follow-up would
        # name the asker of the question above it
        anonymous = anonymous or (thread.anonymous and thread.author_id == viewer.user_id)
        post = Post(thread_id=thread_id, parent_id=parent_id,
                    kind="comment" if parent_id else "answer", author_id=viewer.user_id,
                    anonymous=anonymous, staff_answer=viewer.staff and parent_id is None,
                    body=body, hidden=False, created_at=stamp)
        session.add(post)
        session.flush()
        thread.activity_at = stamp
        followers = session.scalars(select(Follow.user_id).where(
            Follow.thread_id == thread_id)).all()
        for user_id in followers:
            if user_id != viewer.user_id and _may_see(session, user_id, thread):
                session.add(Notification(user_id=user_id, thread_id=thread_id, post_id=post.id,
                                         kind=post.kind, created_at=stamp))
        if session.get(Follow, (viewer.user_id, thread_id)) is None:
            session.add(Follow(user_id=viewer.user_id, thread_id=thread_id))
        return post.id


def edit(engine: Engine, viewer: Viewer, post_id: int, body: str,
         title: str | None = None) -> None:
    """Change a post (own, or any for staff); the earlier text is kept as a revision."""
    body = _check_body(body)
    with Session(engine) as session, session.begin():
        post, thread = _post_for(session, viewer, post_id)
        if post.author_id != viewer.user_id and not viewer.staff:
            raise NotAllowed("you can edit only your own posts")
        if post.deleted_at is not None:
            raise BoardError("this post was deleted; it cannot be edited")
        new_title = _check_title(title) if title is not None and post.kind == "opening" else None
        session.add(PostRevision(post_id=post.id, title=thread.title if new_title else None,
                                 body=post.body, edited_by=viewer.user_id, edited_at=now()))
        post.body, post.edited_at = body, now()
        if new_title:
            thread.title = new_title
        if post.kind == "opening":
            thread.search_text = f"{thread.title}\n{body}"
            _index(session, thread)


def delete(engine: Engine, viewer: Viewer, post_id: int) -> None:
    """Delete a post (own, or any for staff): it shows as deleted; its history stays."""
    with Session(engine) as session, session.begin():
        post, _thread = _post_for(session, viewer, post_id)
        if post.author_id != viewer.user_id and not viewer.staff:
            raise NotAllowed("you can delete only your own posts")
        post.deleted_at = post.deleted_at or now()


def history(engine: Engine, viewer: Viewer, post_id: int) -> list[dict]:
    """A post's earlier texts, oldest first (the author and staff only)."""
    with Session(engine) as session:
        post, _thread = _post_for(session, viewer, post_id)
        if post.author_id != viewer.user_id and not viewer.staff:
            raise NotAllowed("only the author and staff can read a post's history")
        return [{"title": r.title, "body": r.body, "edited_at": r.edited_at}
                for r in session.scalars(select(PostRevision).where(
                    PostRevision.post_id == post_id).order_by(PostRevision.id))]


def moderate(engine: Engine, viewer: Viewer, thread_id: int, *, pinned: bool | None = None,
             hidden: bool | None = None) -> None:
    """Pin or hide a thread (staff)."""
    _require_staff(viewer, "pin or hide threads")
    with Session(engine) as session, session.begin():
        thread = _thread_for(session, viewer, thread_id)
        if pinned is not None:
            thread.pinned = pinned
        if hidden is not None:
            thread.hidden = hidden


def hide_post(engine: Engine, viewer: Viewer, post_id: int, hidden: bool = True) -> None:
    _require_staff(viewer, "hide posts")
    with Session(engine) as session, session.begin():
        post, _thread = _post_for(session, viewer, post_id)
        post.hidden = hidden


def endorse(engine: Engine, viewer: Viewer, post_id: int, endorsed: bool = True) -> None:
    """Staff vouch for a learner's answer; its author is told."""
    _require_staff(viewer, "endorse answers")
    with Session(engine) as session, session.begin():
        post, thread = _post_for(session, viewer, post_id)
        if post.kind != "answer":
            raise BoardError("only answers can be endorsed")
        post.endorsed_by = viewer.user_id if endorsed else None
        if endorsed and post.author_id != viewer.user_id:
            session.add(Notification(user_id=post.author_id, thread_id=thread.id,
                                     post_id=post.id, kind="endorsed", created_at=now()))


def resolve(engine: Engine, viewer: Viewer, thread_id: int, resolved: bool = True) -> None:
    """Mark a question resolved (or open again): its asker or staff."""
    with Session(engine) as session, session.begin():
        thread = _thread_for(session, viewer, thread_id)
        if thread.author_id != viewer.user_id and not viewer.staff:
            raise NotAllowed("only the asker or staff can mark a question resolved")
        thread.resolved_at = (thread.resolved_at or now()) if resolved else None


def merge(engine: Engine, viewer: Viewer, duplicate_id: int, into_id: int) -> None:
    """Point a duplicate at the thread it repeats (staff); its followers follow the other."""
    _require_staff(viewer, "merge threads")
    if duplicate_id == into_id:
        raise BoardError("a thread cannot be merged into itself")
    with Session(engine) as session, session.begin():
        duplicate = _thread_for(session, viewer, duplicate_id)
        into = _thread_for(session, viewer, into_id)
        if into.merged_into is not None or duplicate.course_id != into.course_id:
            raise BoardError(f"thread {into_id} cannot take merges (merged itself, or another "
                             "course)")
        duplicate.merged_into = into.id
        for user_id in session.scalars(select(Follow.user_id).where(
                Follow.thread_id == duplicate_id)).all():
            if session.get(Follow, (user_id, into_id)) is None:
                session.add(Follow(user_id=user_id, thread_id=into_id))
            session.add(Notification(user_id=user_id, thread_id=into_id, kind="merged",
                                     created_at=now()))


def follow(engine: Engine, viewer: Viewer, thread_id: int, following: bool = True) -> None:
    with Session(engine) as session, session.begin():
        _thread_for(session, viewer, thread_id)
        row = session.get(Follow, (viewer.user_id, thread_id))
        if following and row is None:
            session.add(Follow(user_id=viewer.user_id, thread_id=thread_id))
        elif not following and row is not None:
            session.delete(row)


# ---- reading -------------------------------------------------------------------------------

def threads(engine: Engine, viewer: Viewer, course_id: int, *, target_kind: str | None = None,
            target: str | None = None, show: str = "all") -> list[ThreadView]:
    """Threads the viewer may see, pinned first then by latest activity.

    ``show``: ``all``, ``unresolved`` (questions not resolved) or ``unanswered`` (questions with
    no answer yet).
    """
    if show not in ("all", "unresolved", "unanswered"):
        raise BoardError(f"unknown filter {show!r}; expected all, unresolved or unanswered")
    with Session(reading(engine)) as session:
        query = select(Thread).where(Thread.course_id == course_id, _visible(viewer),
                                     Thread.merged_into.is_(None))
        if target_kind:
            query = query.where(Thread.target_kind == target_kind)
        if target is not None:
            query = query.where(Thread.target == target)
        found = session.scalars(query.order_by(Thread.pinned.desc(), Thread.activity_at.desc(),
                                               Thread.id.desc())).all()
        views = [_summary(session, viewer, t) for t in found]
    if show == "unresolved":
        views = [v for v in views if v.kind == "question" and not v.resolved]
    elif show == "unanswered":
        views = [v for v in views if v.kind == "question" and not v.answered]
    return views


def open_questions(engine: Engine, viewer: Viewer, course_id: int, target_kind: str,
                   target: str) -> int:
    """How many unresolved questions the viewer can see on one page (for its Q&A link)."""
    return len(threads(engine, viewer, course_id, target_kind=target_kind, target=target,
                       show="unresolved"))


def thread(engine: Engine, viewer: Viewer, thread_id: int) -> ThreadView:
    """One thread with its posts, as the viewer may see it."""
    with Session(engine) as session:
        found = _thread_for(session, viewer, thread_id)
        summary = _summary(session, viewer, found)
        posts = []
        for post in session.scalars(select(Post).where(Post.thread_id == thread_id)
                                    .order_by(Post.id)):
            if post.hidden and not viewer.staff:
                continue
            author = session.get(User, post.author_id)
            assert author is not None
            deleted = post.deleted_at is not None
            mine = post.author_id == viewer.user_id
            posts.append(PostView(
                id=post.id, kind=post.kind,
                author=_author_label(viewer, author, post.anonymous),
                html="" if deleted else render_post(post.body),
                body=post.body if (mine or viewer.staff) and not deleted else "",
                created_at=post.created_at, edited=post.edited_at is not None,
                staff_answer=post.staff_answer, endorsed=post.endorsed_by is not None,
                hidden=post.hidden, deleted=deleted, mine=mine, parent_id=post.parent_id))
        sees_attachment = viewer.staff or found.author_id == viewer.user_id or \
            found.attachment_shared
        return ThreadView(**{**asdict(summary), "posts": tuple(posts),
                             "attached_code": found.attached_code if sees_attachment else None,
                             "attached_verdict": json.loads(found.attached_verdict)
                             if sees_attachment and found.attached_verdict else None,
                             "attachment_shared": found.attachment_shared})


def search(engine: Engine, viewer: Viewer, course_id: int, query: str,
           limit: int = 20) -> list[ThreadView]:
    """Threads matching the words of ``query`` (any of them), best matches first."""
    words = [w for w in WORD.findall(query.lower()) if w not in STOP_WORDS][:12]
    if not words:
        return []
    with Session(engine) as session:
        if session.bind.dialect.name == "sqlite":  # type: ignore[union-attr]
            match = " OR ".join(f'"{w}"' for w in words)
            ids = [row[0] for row in session.execute(text(
                "SELECT rowid FROM qa_search WHERE qa_search MATCH :q ORDER BY rank LIMIT 200"),
                {"q": match})]
        else:
            tsquery = " | ".join(words)
            ids = [row[0] for row in session.execute(text(
                "SELECT id FROM qa_threads, to_tsquery('english', :q) query "
                "WHERE to_tsvector('english', search_text) @@ query "
                "ORDER BY ts_rank(to_tsvector('english', search_text), query) DESC LIMIT 200"),
                {"q": tsquery})]
        if not ids:
            return []
        rows = {t.id: t for t in session.scalars(select(Thread).where(
            Thread.id.in_(ids), Thread.course_id == course_id, _visible(viewer)))}
        return [_summary(session, viewer, rows[i]) for i in ids if i in rows][:limit]


def similar(engine: Engine, viewer: Viewer, course_id: int, title: str,
            limit: int = 5) -> list[ThreadView]:
    """Existing threads like a title being typed: suggested before a duplicate is posted."""
    return [t for t in search(engine, viewer, course_id, title, limit=limit * 2)
            if t.merged_into is None][:limit]


def notifications(engine: Engine, viewer: Viewer, unread_only: bool = False) -> list[dict]:
    """The viewer's notifications, newest first (only of threads they may still see)."""
    with Session(reading(engine)) as session:
        query = select(Notification).where(Notification.user_id == viewer.user_id)
        if unread_only:
            query = query.where(Notification.read_at.is_(None))
        out = []
        for n in session.scalars(query.order_by(Notification.id.desc()).limit(200)):
            found = session.get(Thread, n.thread_id)
            if found is None or not _may_see(session, viewer.user_id, found):
                continue
            out.append({"id": n.id, "kind": n.kind, "thread_id": n.thread_id,
                        "title": found.title, "created_at": n.created_at,
                        "read": n.read_at is not None})
        return out


def unread_count(engine: Engine, viewer: Viewer) -> int:
    """How many of the viewer's notifications are unread (of threads they may still see): one
    query, since every classroom page shows the count."""
    seen_by = viewer.user_id
    member = (Membership.course_id == Thread.course_id) & (Membership.user_id == seen_by) & \
        Membership.removed_at.is_(None)
    may_see = Membership.role.in_(STAFF_ROLES) | _learner_may_see(seen_by)
    with Session(reading(engine)) as session:
        return session.scalar(
            select(func.count(Notification.id))
            .join(Thread, Thread.id == Notification.thread_id).join(Membership, member)
            .where(Notification.user_id == seen_by, Notification.read_at.is_(None), may_see)
        ) or 0


def mark_read(engine: Engine, viewer: Viewer, notification_ids: list[int] | None = None) -> None:
    with Session(engine) as session, session.begin():
        query = select(Notification).where(Notification.user_id == viewer.user_id,
                                           Notification.read_at.is_(None))
        if notification_ids is not None:
            query = query.where(Notification.id.in_(notification_ids))
        for n in session.scalars(query):
            n.read_at = now()


def export(engine: Engine, viewer: Viewer, course_id: int) -> dict:
    """Every thread the viewer may see, with posts, as JSON-ready data (the course record)."""
    _require_staff(viewer, "export the board")
    views = threads(engine, viewer, course_id)
    with Session(engine) as session:
        merged = session.scalars(select(Thread.id).where(
            Thread.course_id == course_id, Thread.merged_into.is_not(None))).all()
    ids = [v.id for v in views] + list(merged)
    return {"format": "vibrastic-qa-export", "version": 1, "course_id": course_id,
            "exported_at": now(),
            "threads": [asdict(thread(engine, viewer, i)) for i in ids]}


# ---- helpers -------------------------------------------------------------------------------

def _summary(session: Session, viewer: Viewer, found: Thread) -> ThreadView:
    author = session.get(User, found.author_id)
    assert author is not None
    answers = session.scalar(select(func.count(Post.id)).where(
        Post.thread_id == found.id, Post.kind == "answer", Post.deleted_at.is_(None),
        or_(Post.hidden.is_(False), viewer.staff))) or 0
    return ThreadView(
        id=found.id, kind=found.kind, title=found.title, target_kind=found.target_kind,
        target=found.target, author=_author_label(viewer, author, found.anonymous),
        anonymous=found.anonymous, private=found.private, pinned=found.pinned,
        hidden=found.hidden, resolved=found.resolved_at is not None, answered=answers > 0,
        merged_into=found.merged_into, created_at=found.created_at,
        activity_at=found.activity_at, mine=found.author_id == viewer.user_id, answers=answers)


def _thread_for(session: Session, viewer: Viewer, thread_id: int) -> Thread:
    found = session.get(Thread, thread_id)
    # the viewer's role is their role in *a* course; the thread's own course decides
    if found is None or not _may_see_as(viewer, found) or \
            not _may_see(session, viewer.user_id, found):
        raise BoardError(f"there is no thread {thread_id} that you can see")
    return found


def _post_for(session: Session, viewer: Viewer, post_id: int) -> tuple[Post, Thread]:
    post = session.get(Post, post_id)
    if post is None or (post.hidden and not viewer.staff):
        raise BoardError(f"there is no post {post_id} that you can see")
    return post, _thread_for(session, viewer, post.thread_id)


def _may_see_as(viewer: Viewer, found: Thread) -> bool:
    if viewer.role is None:
        return False
    if viewer.staff:
        return True
    return not found.hidden and (not found.private or found.author_id == viewer.user_id)


def _may_see(session: Session, user_id: int, found: Thread) -> bool:
    role = session.scalar(select(Membership.role).where(
        Membership.course_id == found.course_id, Membership.user_id == user_id,
        Membership.removed_at.is_(None)))
    return _may_see_as(Viewer(user_id, role), found)


def _members(session: Session, course_id: int, staff_only: bool = False) -> list[int]:
    query = select(Membership.user_id).where(Membership.course_id == course_id,
                                             Membership.removed_at.is_(None))
    if staff_only:
        query = query.where(Membership.role.in_(STAFF_ROLES))
    return list(session.scalars(query))


def _index(session: Session, found: Thread) -> None:
    """Keep SQLite's FTS5 table in step (PostgreSQL indexes the column itself)."""
    if session.bind.dialect.name == "sqlite":  # type: ignore[union-attr]
        session.execute(text("DELETE FROM qa_search WHERE rowid = :id"), {"id": found.id})
        session.execute(text("INSERT INTO qa_search(rowid, search_text) VALUES (:id, :t)"),
                        {"id": found.id, "t": found.search_text})
