"""Accounts on the classroom server: sign in and out, join with a code, accept an invitation,
reset a password; the signed-in person of a request; CSRF on every form.

The session cookie holds a random token (``HttpOnly``, ``SameSite=Lax``, ``Secure`` unless the
server runs on loopback for development); the server keeps only its digest. Every sign-in makes a
new session (no fixation), and every state-changing form carries the session's CSRF token, or
the ``X-CSRF-Token`` header for the JSON API.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import Engine

from vibrastic.platform.classroom.accounts import LoginThrottle, PasswordRejected
from vibrastic.platform.classroom.people import (
    ClassroomError,
    SignInThrottled,
    accept_invitation,
    courses_of,
    create_user,
    join_with_code,
    sign_in,
    sign_out,
    sign_out_everywhere,
    signed_in,
    start_session,
    use_password_reset,
)

COOKIE = "vibrastic_session"
COURSE_COOKIE = "vibrastic_course"
router = APIRouter(include_in_schema=False)


@dataclass
class Classroom:
    """What the classroom pages share: the database, the sign-in throttle, grading, events."""

    engine: Engine
    throttle: LoginThrottle
    secure_cookies: bool
    grading: Any = None  # LocalGrading or QueuedGrading
    events: Any = None  # an EventBus


@dataclass(frozen=True)
class Person:
    """The signed-in person of a request."""

    id: int
    username: str
    name: str
    email: str
    csrf: str
    token: str


def classroom_of(request: Request) -> Classroom:
    room = getattr(request.app.state, "classroom", None)
    if room is None:
        raise HTTPException(404, "this server runs the one-learner course; there are no "
                                 "accounts (start it with `vibrastic classroom serve`)")
    return room


def person_of(request: Request) -> Person | None:
    """The signed-in person, or None (no cookie, or an ended or expired session)."""
    cached = getattr(request.state, "person", False)
    if cached is not False:
        return cached
    room = classroom_of(request)
    token = request.cookies.get(COOKIE)
    found = signed_in(room.engine, token)
    person = None
    if found is not None and token:
        user = found.user
        person = Person(user.id, user.username, user.name, user.email, found.csrf, token)
        request.state.my_courses = found.courses  # read with the session: one round trip
    request.state.person = person
    return person


def require_person(request: Request) -> Person:
    """The signed-in person; anonymous pages redirect to sign-in, the API gets a 401."""
    person = person_of(request)
    if person is None:
        if request.url.path.startswith("/api/"):
            raise HTTPException(401, "sign in first: this classroom needs an account")
        raise HTTPException(303, "sign in first", headers={
            "Location": f"/signin?next={request.url.path}"})
    return person


def my_courses(engine: Engine, user_id: int) -> list[dict]:
    """The courses a person is in: id, slug, title and their role, by title."""
    return courses_of(engine, user_id)


def _request_courses(request: Request) -> list[dict]:
    """The signed-in person's courses, as read with their session for this request (else read
    now); 401 when nobody is signed in."""
    person = require_person(request)
    courses = getattr(request.state, "my_courses", None)
    return courses if courses is not None else my_courses(classroom_of(request).engine,
                                                          person.id)


def current_course(request: Request) -> dict | None:
    """The signed-in person's course this request is about (the ``vibrastic_course`` cookie
    picks one of several; else the first), or None; looked up once per request."""
    cached = getattr(request.state, "course", False)
    if cached is not False:
        return cached
    courses = _request_courses(request)
    wanted = request.cookies.get(COURSE_COOKIE)
    chosen = next((c for c in courses if c["slug"] == wanted), courses[0]) if courses else None
    request.state.course = chosen
    return chosen


def remember_course(request: Request, response: Response, slug: str) -> None:
    """Make ``slug`` the course the person's pages are about from now on (the course map, the
    challenges, the Q&A): a preference cookie, sent only to this server's pages."""
    response.set_cookie(COURSE_COOKIE, slug, httponly=True, samesite="lax",
                        secure=classroom_of(request).secure_cookies, path="/",
                        max_age=365 * 24 * 3600)


@router.post("/c/{slug}/open", name="open_course")
def open_course(request: Request, slug: str) -> Response:
    """Open one of the person's courses: its course map becomes the home page (a person in
    several courses, say a TA in one and a learner in another, switches here)."""
    # the CSRF token was checked by the app's middleware
    if not any(c["slug"] == slug for c in _request_courses(request)):
        raise HTTPException(404, f"no course {slug!r} that you are in")
    response = RedirectResponse("/", status_code=303)
    remember_course(request, response, slug)
    return response


def _render(request: Request, template: str, status_code: int = 200, **context: Any) -> Response:
    context.setdefault("person", person_of(request))
    return request.app.state.templates.TemplateResponse(request, template, context,
                                                        status_code=status_code)


def _signed_in(request: Request, token: str, target: str = "/") -> Response:
    response = RedirectResponse(_safe_next(target), status_code=303)
    response.set_cookie(COOKIE, token, httponly=True, samesite="lax",
                        secure=classroom_of(request).secure_cookies, path="/",
                        max_age=14 * 24 * 3600)
    return response


def _safe_next(target: str | None) -> str:
    """Only local paths: an open redirect would let a link send people elsewhere."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _client(request: Request) -> str:
    return request.client.host if request.client else ""


@router.get("/signin", name="signin")
def signin_page(request: Request, next: str = "/") -> Response:
    return _render(request, "classroom/signin.html", title="Sign in", next=_safe_next(next),
                   error=None, email="")


@router.post("/signin")
def signin(request: Request, email: str = Form(""), password: str = Form(""),
           next: str = Form("/")) -> Response:
    room = classroom_of(request)
    old = request.cookies.get(COOKIE)
    try:
        signed = sign_in(room.engine, email, password, room.throttle, client=_client(request))
    except ClassroomError as exc:
        throttled = isinstance(exc, SignInThrottled)
        response = _render(request, "classroom/signin.html", status_code=429 if throttled else 400,
                           title="Sign in", next=_safe_next(next), error=str(exc),
                           email=email[:200])
        if throttled:
            response.headers["Retry-After"] = str(exc.retry_after)
        return response
    if old:
        sign_out(room.engine, old)  # the old session (if any) ends: no fixation
    return _signed_in(request, signed.token, next)


@router.post("/signout", name="signout")
def signout(request: Request) -> Response:
    person = require_person(request)  # the CSRF token was checked by the app's middleware
    sign_out(classroom_of(request).engine, person.token)
    response = RedirectResponse("/signin", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


@router.post("/signout-everywhere", name="signout_everywhere")
def signout_everywhere(request: Request) -> Response:
    person = require_person(request)
    sign_out_everywhere(classroom_of(request).engine, person.id)
    response = RedirectResponse("/signin", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


@router.get("/join", name="join")
def join_page(request: Request, code: str = "") -> Response:
    return _render(request, "classroom/join.html", title="Join a course", error=None,
                   values={"code": code[:20]})


@router.post("/join")
def join(request: Request, code: str = Form(""), email: str = Form(""), name: str = Form(""),
         username: str = Form(""), password: str = Form("")) -> Response:
    """Sign up with a section's join code (or, signed in, join another course with it)."""
    room = classroom_of(request)
    person = person_of(request)
    values = {"code": code[:20], "email": email[:200], "name": name[:200],
              "username": username[:64]}
    try:
        if person is None:
            user_id = create_user(room.engine, email=email, name=name, username=username,
                                  password=password)
        else:
            user_id = person.id
        course_id = join_with_code(room.engine, user_id, code)
        if person is not None:  # joined another course: it opens
            response = RedirectResponse("/", status_code=303)
            slug = next(c["slug"] for c in my_courses(room.engine, user_id)
                        if c["id"] == course_id)
            remember_course(request, response, slug)
            return response
        signed = start_session(room.engine, user_id)
    except (ClassroomError, PasswordRejected) as exc:
        return _render(request, "classroom/join.html", status_code=400, title="Join a course",
                       error=str(exc), values=values)
    return _signed_in(request, signed.token)


@router.get("/invite/{token}", name="invitation")
def invitation_page(request: Request, token: str) -> Response:
    return _render(request, "classroom/invite.html", title="Accept your invitation",
                   token=token, error=None, username="")


@router.post("/invite/{token}")
def invitation(request: Request, token: str, username: str = Form(""),
               password: str = Form("")) -> Response:
    room = classroom_of(request)
    try:
        user_id = accept_invitation(room.engine, token, username=username, password=password)
    except (ClassroomError, PasswordRejected) as exc:
        return _render(request, "classroom/invite.html", status_code=400,
                       title="Accept your invitation", token=token, error=str(exc),
                       username=username[:64])
    return _signed_in(request, start_session(room.engine, user_id).token)


@router.get("/reset/{token}", name="password_reset")
def reset_page(request: Request, token: str) -> Response:
    return _render(request, "classroom/reset.html", title="Choose a new password", token=token,
                   error=None)


@router.post("/reset/{token}")
def reset(request: Request, token: str, password: str = Form("")) -> Response:
    room = classroom_of(request)
    try:
        use_password_reset(room.engine, token, password)
    except (ClassroomError, PasswordRejected) as exc:
        return _render(request, "classroom/reset.html", status_code=400,
                       title="Choose a new password", token=token, error=str(exc))
    response = RedirectResponse("/signin", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response
