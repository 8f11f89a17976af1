"""People in a classroom: sign-up, sign-in, sessions, courses, sections, roles, the roster.

Library functions over the classroom's tables, called by the web pages and by the tests alike.
Every refusal is a ``ClassroomError`` whose message says what was wrong and what to do.
Sessions: ``sign_in`` returns a random token for the cookie; only its digest is stored, with a
per-session CSRF token; sessions expire, and ``sign_out_everywhere`` ends them all.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from vibrastic.platform.classroom.accounts import (
    LoginThrottle,
    hash_password,
    needs_rehash,
    new_join_code,
    new_token,
    token_digest,
    verify_password,
)
from vibrastic.platform.classroom.models import (
    ROLES,
    STAFF_ROLES,
    Course,
    Invitation,
    LoginSession,
    Membership,
    PasswordReset,
    Section,
    User,
)
from vibrastic.platform.classroom.roster import EMAIL, RosterRow
from vibrastic.platform.database import now, reading

SESSION_LIFETIME = timedelta(days=14)
RESET_LIFETIME = timedelta(days=2)
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,63}$")
# A hash to verify against when the e-mail is unknown, so both refusals take the same time.
_DUMMY_HASH = hash_password("not anybody's password")


class ClassroomError(ValueError):
    """A refused classroom action; the message is meant for the person who tried it."""


class SignInThrottled(ClassroomError):
    """Too many failed sign-ins; ``retry_after`` says in how many seconds to try again."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed sign-ins; try again in {retry_after} seconds")
        self.retry_after = retry_after


class NotAllowed(ClassroomError):
    """The signed-in person's role does not allow this action."""


@dataclass(frozen=True)
class SignedIn:
    user_id: int
    token: str  # for the cookie; never stored
    csrf_token: str


def _later(delta: timedelta) -> str:
    return (datetime.now(UTC) + delta).isoformat(timespec="milliseconds")


# ---- users -------------------------------------------------------------------------------

def create_user(engine: Engine, *, email: str, name: str, username: str,
                password: str) -> int:
    """A new account (the password is hashed with argon2); returns its id."""
    email, username, name = email.strip().lower(), username.strip().lower(), name.strip()
    if not EMAIL.match(email):
        raise ClassroomError(f"{email!r} is not an e-mail address (expected name@example.org)")
    if not USERNAME.match(username):
        raise ClassroomError(f"{username!r} cannot be a username: use 2–64 lower-case letters, "
                             "digits, '.', '_' or '-', starting with a letter or digit")
    if not name or len(name) > 200 or any(ord(c) < 32 for c in name):
        raise ClassroomError("a name needs 1–200 characters and no control characters")
    password_hash = hash_password(password)  # PasswordRejected names the rule
    with Session(engine) as session, session.begin():
        taken = session.scalar(select(User).where(
            (func.lower(User.email) == email) | (User.username == username)))
        if taken is not None:
            what = "e-mail address" if taken.email == email else "username"
            raise ClassroomError(f"that {what} already has an account; sign in instead, or ask "
                                 "an instructor to reset its password")
        user = User(email=email, name=name, username=username, password_hash=password_hash,
                    created_at=now())
        session.add(user)
        session.flush()
        return user.id


def start_session(engine: Engine, user_id: int) -> SignedIn:
    """A new session for someone who has just proved who they are another way (chosen their
    password with a join code or an invitation): not a password try, so not throttled."""
    with Session(engine) as session, session.begin():
        return _new_session(session, user_id)


def _new_session(session: Session, user_id: int) -> SignedIn:
    token, csrf = new_token(), new_token()
    session.add(LoginSession(token_digest=token_digest(token), user_id=user_id, csrf_token=csrf,
                             created_at=now(), expires_at=_later(SESSION_LIFETIME)))
    return SignedIn(user_id, token, csrf)


def sign_in(engine: Engine, email: str, password: str, throttle: LoginThrottle | None = None,
            client: str = "") -> SignedIn:
    """A new session for a right e-mail and password; throttled per account, per account and
    client address, and per address (see LoginThrottle), with counts in the database."""
    throttle = throttle or LoginThrottle()
    email = email.strip().lower()
    wait = throttle.retry_after(engine, email, client)
    if wait > 0:
        raise SignInThrottled(math.ceil(wait))
    with Session(engine) as session, session.begin():
        user = session.scalar(select(User).where(User.email == email))
        stored = user.password_hash if user and user.password_hash else _DUMMY_HASH
        right = verify_password(stored, password) and user is not None and bool(
            user.password_hash)
        if right:
            assert user is not None and user.password_hash is not None
            if needs_rehash(user.password_hash):
                user.password_hash = hash_password(password)
            signed = _new_session(session, user.id)
    if not right:  # counted in a transaction of its own (the sign-in's has nothing to keep)
        throttle.failed(engine, email, client)
        raise ClassroomError("that e-mail address and password do not match an account")
    throttle.succeeded(engine, email, client)
    return signed


@dataclass(frozen=True)
class SessionPerson:
    """The person of a live session: their row, the session's CSRF token, their courses."""

    user: User
    csrf: str
    courses: list[dict]  # id, slug, title and role of each course they are in, by title


def signed_in(engine: Engine, token: str | None) -> SessionPerson | None:
    """The person of a live session token, or None (unknown, ended, expired); one round trip
    to the database, since every page needs the person and their courses."""
    if not token:
        return None
    with Session(reading(engine), expire_on_commit=False) as session:
        found = session.execute(
            select(LoginSession, User, *COURSE_COLUMNS)
            .join(User, User.id == LoginSession.user_id)
            .outerjoin(Membership, (Membership.user_id == User.id)
                       & Membership.removed_at.is_(None))
            .outerjoin(Course, Course.id == Membership.course_id)
            .where(LoginSession.token_digest == token_digest(token))
            .order_by(Course.title)).all()
        if not found:
            return None
        row, user = found[0][:2]
        if row.revoked_at is not None or row.expires_at <= now():
            return None
        return SessionPerson(user, row.csrf_token,
                             [_course(*r[2:]) for r in found if r[2] is not None])


def session_user(engine: Engine, token: str | None) -> tuple[User, str] | None:
    """The user and CSRF token of a live session token, or None (unknown, ended, expired)."""
    found = signed_in(engine, token)
    return (found.user, found.csrf) if found else None


def courses_of(engine: Engine, user_id: int) -> list[dict]:
    """The courses a person is in (not removed from): id, slug, title and role, by title."""
    with Session(reading(engine)) as session:
        return _courses(session, user_id)


COURSE_COLUMNS = (Course.id, Course.slug, Course.title, Membership.role)


def _course(id_: int, slug: str, title: str, role: str) -> dict:
    return {"id": id_, "slug": slug, "title": title, "role": role}


def _courses(session: Session, user_id: int) -> list[dict]:
    rows = session.execute(select(*COURSE_COLUMNS)
                           .join(Membership, Membership.course_id == Course.id).where(
        Membership.user_id == user_id, Membership.removed_at.is_(None)).order_by(Course.title))
    return [_course(*row) for row in rows]


def sign_out(engine: Engine, token: str) -> None:
    with Session(engine) as session, session.begin():
        row = session.get(LoginSession, token_digest(token))
        if row is not None and row.revoked_at is None:
            row.revoked_at = now()


def sign_out_everywhere(engine: Engine, user_id: int) -> int:
    """End every session of a user (after a password change, say); returns how many."""
    with Session(engine) as session, session.begin():
        rows = session.scalars(select(LoginSession).where(
            LoginSession.user_id == user_id, LoginSession.revoked_at.is_(None))).all()
        for row in rows:
            row.revoked_at = now()
        return len(rows)


# ---- courses, sections, roles --------------------------------------------------------------

def create_course(engine: Engine, *, slug: str, title: str, instructor_id: int,
                  content: str = "vibrastic101") -> int:
    """A new course run with its first instructor; returns its id."""
    slug = slug.strip().lower()
    if not SLUG.match(slug):
        raise ClassroomError(f"{slug!r} cannot be a course's short name: use 2–64 lower-case "
                             "letters, digits or '-'")
    with Session(engine) as session, session.begin():
        if session.scalar(select(Course).where(Course.slug == slug)) is not None:
            raise ClassroomError(f"a course called {slug!r} exists already; choose another name")
        course = Course(slug=slug, title=title.strip() or slug, content=content,
                        created_at=now())
        session.add(course)
        session.flush()
        session.add(Membership(course_id=course.id, user_id=instructor_id, role="instructor",
                               joined_at=now()))
        return course.id


def role_in(engine: Engine, course_id: int, user_id: int) -> str | None:
    """The user's role in the course: learner, ta, instructor, or None (not in it, or removed)."""
    with Session(engine) as session:
        m = session.scalar(select(Membership).where(
            Membership.course_id == course_id, Membership.user_id == user_id,
            Membership.removed_at.is_(None)))
        return m.role if m else None


def require_role(engine: Engine, course_id: int, user_id: int, *allowed: str) -> str:
    role = role_in(engine, course_id, user_id)
    if role not in allowed:
        raise NotAllowed(f"this needs the role {' or '.join(allowed)} in this course")
    return role  # type: ignore[return-value]


def add_section(engine: Engine, course_id: int, name: str, by: int) -> str:
    """A new section with its own join code (returned); instructors only."""
    require_role(engine, course_id, by, "instructor")
    name = name.strip()
    if not name or len(name) > 100:
        raise ClassroomError("a section needs a name of 1–100 characters")
    with Session(engine) as session, session.begin():
        if session.scalar(select(Section).where(Section.course_id == course_id,
                                                Section.name == name)):
            raise ClassroomError(f"the course already has a section {name!r}")
        code = _unused_code(session)
        session.add(Section(course_id=course_id, name=name, join_code=code))
        return code


def _unused_code(session: Session) -> str:
    while True:
        code = new_join_code()
        if session.scalar(select(Section).where(Section.join_code == code)) is None:
            return code


def join_with_code(engine: Engine, user_id: int, code: str) -> int:
    """Enrol a signed-up user as a learner in the section whose join code this is."""
    code = code.strip().upper().replace(" ", "").replace("-", "")
    with Session(engine) as session, session.begin():
        section = session.scalar(select(Section).where(Section.join_code == code))
        if section is None:
            raise ClassroomError("no section has that join code; check it with your instructor")
        return _enrol(session, section.course_id, user_id, "learner", section.id)


def _enrol(session: Session, course_id: int, user_id: int, role: str,
           section_id: int | None) -> int:
    m = session.scalar(select(Membership).where(Membership.course_id == course_id,
                                                Membership.user_id == user_id))
    if m is None:
        m = Membership(course_id=course_id, user_id=user_id, role=role, section_id=section_id,
                       joined_at=now())
        session.add(m)
    elif m.removed_at is not None:
        m.removed_at, m.section_id = None, section_id
    session.flush()
    return course_id


def import_roster(engine: Engine, course_id: int, rows: list[RosterRow], by: int) -> dict:
    """Invite every row (creating missing sections); people with accounts are enrolled at once.

    Returns counts and the invitation tokens to send (``{"invited": {email: token}, …}``).
    """
    require_role(engine, course_id, by, "instructor")
    invited: dict[str, str] = {}
    enrolled = 0
    with Session(engine) as session, session.begin():
        sections = {s.name: s for s in session.scalars(
            select(Section).where(Section.course_id == course_id))}
        for row in rows:
            section_id = None
            if row.section:
                if row.section not in sections:
                    sections[row.section] = Section(course_id=course_id, name=row.section,
                                                    join_code=_unused_code(session))
                    session.add(sections[row.section])
                    session.flush()
                section_id = sections[row.section].id
            user = session.scalar(select(User).where(User.email == row.email))
            if user is not None:
                _enrol(session, course_id, user.id, "learner", section_id)
                enrolled += 1
                continue
            token = new_token()
            existing = session.scalar(select(Invitation).where(
                Invitation.course_id == course_id, Invitation.email == row.email))
            if existing is not None:
                existing.token_digest, existing.section_id = token_digest(token), section_id
                existing.name = row.name
            else:
                session.add(Invitation(course_id=course_id, email=row.email, name=row.name,
                                       role="learner", section_id=section_id,
                                       token_digest=token_digest(token), created_at=now()))
            invited[row.email] = token
    return {"invited": invited, "enrolled": enrolled, "sections": sorted(sections)}


def accept_invitation(engine: Engine, token: str, *, username: str, password: str) -> int:
    """Create the invited person's account and enrol them; returns the user id."""
    with Session(engine) as session:
        invitation = session.scalar(select(Invitation).where(
            Invitation.token_digest == token_digest(token)))
        if invitation is None or invitation.used_at is not None:
            raise ClassroomError("this invitation link is not valid any more; ask your "
                                 "instructor for a new one")
        email, name = invitation.email, invitation.name
    user_id = create_user(engine, email=email, name=name, username=username, password=password)
    with Session(engine) as session, session.begin():
        invitation = session.scalar(select(Invitation).where(
            Invitation.token_digest == token_digest(token)))
        assert invitation is not None
        invitation.used_at = now()
        _enrol(session, invitation.course_id, user_id, invitation.role, invitation.section_id)
    return user_id


def set_role(engine: Engine, course_id: int, user_id: int, role: str, by: int) -> None:
    """Make a member a learner, TA or instructor; instructors only; never the last instructor."""
    if role not in ROLES:
        raise ClassroomError(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
    require_role(engine, course_id, by, "instructor")
    with Session(engine) as session, session.begin():
        m = _member(session, course_id, user_id)
        if m.role == "instructor" and role != "instructor" and _instructors(session,
                                                                           course_id) == 1:
            raise ClassroomError("a course needs at least one instructor; make someone else "
                                 "instructor first")
        m.role = role


def remove_member(engine: Engine, course_id: int, user_id: int, by: int) -> None:
    """Take someone off the roster; their attempts and grades stay for the record."""
    require_role(engine, course_id, by, "instructor")
    with Session(engine) as session, session.begin():
        m = _member(session, course_id, user_id)
        if m.role == "instructor" and _instructors(session, course_id) == 1:
            raise ClassroomError("the last instructor cannot be removed")
        m.removed_at = now()


def _member(session: Session, course_id: int, user_id: int) -> Membership:
    m = session.scalar(select(Membership).where(Membership.course_id == course_id,
                                                Membership.user_id == user_id,
                                                Membership.removed_at.is_(None)))
    if m is None:
        raise ClassroomError("that person is not on this course's roster")
    return m


def _instructors(session: Session, course_id: int) -> int:
    return session.scalar(select(func.count(Membership.id)).where(
        Membership.course_id == course_id, Membership.role == "instructor",
        Membership.removed_at.is_(None))) or 0


def is_staff(role: str | None) -> bool:
    return role in STAFF_ROLES


# ---- password resets by an instructor ------------------------------------------------------

def make_password_reset(engine: Engine, course_id: int, user_id: int, by: int) -> str:
    """A one-time reset token for a member of the instructor's course (hand it over in person)."""
    require_role(engine, course_id, by, "instructor")
    token = new_token()
    with Session(engine) as session, session.begin():
        _member(session, course_id, user_id)
        session.add(PasswordReset(token_digest=token_digest(token), user_id=user_id, made_by=by,
                                  created_at=now(), expires_at=_later(RESET_LIFETIME)))
    return token


def use_password_reset(engine: Engine, token: str, new_password: str) -> int:
    """Set a new password with a reset token; ends every session of that user."""
    new_hash = hash_password(new_password)
    with Session(engine) as session, session.begin():
        reset = session.get(PasswordReset, token_digest(token))
        if reset is None or reset.used_at is not None or reset.expires_at <= now():
            raise ClassroomError("this reset link is not valid any more; ask your instructor "
                                 "for a new one")
        reset.used_at = now()
        user = session.get(User, reset.user_id)
        assert user is not None
        user.password_hash = new_hash
        user_id = user.id
    sign_out_everywhere(engine, user_id)
    return user_id
