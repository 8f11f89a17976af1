"""The classroom's pages under ``/c/{course}``: dashboard (live), gradebook and its exports,
roster, a learner's latest code, and a learner's own grades.

Thin: each route finds the course and the signed-in person, calls one function of
``vibrastic.platform.classroom`` (which checks the role), and renders. Refusals become 403s
with the platform's message; unknown courses and people 404.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from html import escape
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from vibrastic.faces.web.accounts import (
    classroom_of,
    current_course,
    my_courses,
    require_person,
)
from vibrastic.platform.classroom import dashboard as dash
from vibrastic.platform.classroom import grades, people
from vibrastic.platform.classroom.models import Course, Invitation, Membership, Section, User
from vibrastic.platform.classroom.people import ClassroomError, NotAllowed
from vibrastic.platform.classroom.roster import MAX_ROSTER_BYTES, RosterError, parse_roster

router = APIRouter(include_in_schema=False)


def _render(request: Request, template: str, status_code: int = 200, **context: Any) -> Response:
    context.setdefault("person", require_person(request))
    return request.app.state.templates.TemplateResponse(request, template, context,
                                                        status_code=status_code)


def _course(request: Request, slug: str) -> tuple[int, str, str]:
    """(id, slug, title) of a course the signed-in person is in (404 otherwise)."""
    room = classroom_of(request)
    person = require_person(request)
    with Session(room.engine) as session:
        course = session.scalar(select(Course).where(Course.slug == slug))
        if course is None or people.role_in(room.engine, course.id, person.id) is None:
            raise HTTPException(404, f"no course {slug!r} that you are in")
        return course.id, course.slug, course.title


def _role(request: Request, course_id: int) -> str | None:
    return people.role_in(classroom_of(request).engine, course_id, require_person(request).id)


def _forbidden(exc: Exception) -> HTTPException:
    return HTTPException(403, str(exc))


def _user_id(request: Request, course_id: int, username: str) -> int:
    with Session(classroom_of(request).engine) as session:
        user = session.scalar(select(User).join(Membership, Membership.user_id == User.id)
                              .where(User.username == username,
                                     Membership.course_id == course_id))
        if user is None:
            raise HTTPException(404, f"no one called {username!r} has been in this course")
        return user.id


@router.get("/courses", name="my_courses")
def courses(request: Request, error: str | None = None, status_code: int = 200) -> Response:
    person = require_person(request)
    mine = my_courses(classroom_of(request).engine, person.id)
    return _render(request, "classroom/courses.html", status_code=status_code,
                   title="Your courses", courses=mine, error=error,
                   current=current_course(request),
                   can_create=any(c["role"] == "instructor" for c in mine))


@router.post("/courses", name="create_course")
def create_course(request: Request, slug: str = Form(""), title: str = Form("")) -> Response:
    """A new course run, by someone who already teaches one (its first instructor)."""
    person = require_person(request)
    engine = classroom_of(request).engine
    if not any(c["role"] == "instructor" for c in my_courses(engine, person.id)):
        raise HTTPException(403, "only instructors can create courses; ask the person who "
                                 "set up this classroom (`vibrastic classroom init`)")
    try:
        people.create_course(engine, slug=slug, title=title, instructor_id=person.id)
    except ClassroomError as exc:
        return courses(request, error=str(exc), status_code=400)
    return RedirectResponse(f"/c/{slug.strip().lower()}/roster", status_code=303)


# ---- the dashboard ---------------------------------------------------------------------------

@router.get("/c/{slug}/dashboard", name="dashboard")
def dashboard_page(request: Request, slug: str) -> Response:
    course_id, slug, title = _course(request, slug)
    data = _dashboard(request, course_id)
    return _render(request, "classroom/dashboard.html", title=f"Dashboard · {title}",
                   slug=slug, course_title=title, board=data, rows=_grid_rows(slug, data))


@router.get("/c/{slug}/dashboard/grid", name="dashboard_grid")
def dashboard_grid(request: Request, slug: str) -> Response:
    course_id, slug, _title = _course(request, slug)
    board = _dashboard(request, course_id)
    return _render(request, "classroom/dashboard_grid.html", slug=slug, board=board,
                   rows=_grid_rows(slug, board))


def _grid_rows(slug: str, board: dash.Dashboard) -> list[tuple[dash.Row, Markup]]:
    """Each learner with their row of cells, in the board's column order."""
    columns = [(name, max_score) for name, _title, max_score in board.challenges]
    return [(row, grid_cells(slug, row.username, [
        (name, max_score, board.cells.get((row.user_id, name))) for name, max_score in columns]))
        for row in board.learners]


NOT_STARTED = '<span class="muted" aria-label="not started">·</span>'


def _score(value: float | None) -> str:
    return f"{value or 0:g}"


def grid_cells(slug: str, username: str, cells: list[tuple[str, float, dash.Cell | None]]
               ) -> Markup:
    """One learner's row of dashboard cells as HTML. Written here, not in the template: a
    class's grid has thousands of cells and is redrawn on every check, and escaping each value
    as a template does made it the classroom's costliest page. Every value is escaped."""
    who = escape(username)
    out = []
    for name, max_score, cell in cells:
        where = f'data-learner="{who}" data-challenge="{escape(name)}"'
        if cell is None:
            out.append(f'<td class="cell not-started" {where}>{NOT_STARTED}</td>')
            continue
        inner = NOT_STARTED
        if cell.checks:
            label = (f"{username}, {name}: {cell.status}, best {_score(cell.best)} of "
                     f"{_score(max_score)}, {cell.checks} checks"
                     f"{', stuck' if cell.stuck else ''}")
            inner = (f'<a href="/c/{escape(slug)}/learners/{who}/{escape(name)}" '
                     f'aria-label="{escape(label)}">{"✓" if cell.status == "passed" else "✗"} '
                     f"{_score(cell.best)}/{_score(max_score)}</a>")
        stuck = ""
        if cell.stuck:
            stuck = (f'<span class="stuck-flag" title="{escape("; ".join(cell.stuck))}">'
                     "stuck</span>")
        kind = escape(cell.status.replace(" ", "-")) + (" stuck" if cell.stuck else "")
        out.append(f'<td class="cell {kind}" {where}>{inner}{stuck}</td>')
    return Markup("".join(out))


def _dashboard(request: Request, course_id: int) -> dash.Dashboard:
    try:
        return dash.dashboard(classroom_of(request).engine, course_id,
                              require_person(request).id, at=datetime.now(UTC))
    except NotAllowed as exc:
        raise _forbidden(exc) from None


@router.get("/c/{slug}/dashboard/events", name="dashboard_events")
async def dashboard_events(request: Request, slug: str) -> StreamingResponse:
    """Server-sent events: one ``change`` per graded check in this course (staff only)."""
    course_id, _slug, _title = _course(request, slug)
    if _role(request, course_id) not in ("ta", "instructor"):
        raise HTTPException(403, "only instructors and TAs can watch the dashboard")
    bus = classroom_of(request).events

    async def stream() -> AsyncIterator[str]:
        yield "event: ready\ndata: {}\n\n"
        async with bus.subscribe() as queue:
            while not await request.is_disconnected():
                try:
                    event = await asyncio.wait_for(queue.get(), timeout=15)
                except TimeoutError:
                    yield ": keep-alive\n\n"
                    continue
                if event.get("course") == course_id:
                    yield f"event: change\ndata: {json.dumps(event)}\n\n"

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


@router.get("/c/{slug}/learners/{username}/{challenge}", name="learner_code")
def learner_code(request: Request, slug: str, username: str, challenge: str) -> Response:
    course_id, slug, _title = _course(request, slug)
    user_id = _user_id(request, course_id, username)
    try:
        latest = dash.latest_submission(classroom_of(request).engine, course_id, user_id,
                                        challenge, require_person(request).id)
    except NotAllowed as exc:
        raise _forbidden(exc) from None
    return _render(request, "classroom/learner_code.html", title=f"{username} · {challenge}",
                   slug=slug, username=username, challenge=challenge, latest=latest)


# ---- grades ----------------------------------------------------------------------------------

@router.get("/c/{slug}/gradebook", name="gradebook")
def gradebook_page(request: Request, slug: str) -> Response:
    course_id, slug, title = _course(request, slug)
    person = require_person(request)
    engine = classroom_of(request).engine
    try:
        book = grades.gradebook(engine, course_id, person.id)
        trail = grades.audit_trail(engine, course_id, person.id)
    except NotAllowed as exc:
        raise _forbidden(exc) from None
    return _render(request, "classroom/gradebook.html", title=f"Gradebook · {title}",
                   slug=slug, book=book, trail=trail, error=None,
                   instructor=_role(request, course_id) == "instructor")


@router.get("/c/{slug}/gradebook.csv", name="gradebook_csv")
def gradebook_csv(request: Request, slug: str, key: str = "username",
                  shape: str = "plain") -> Response:
    course_id, slug, _title = _course(request, slug)
    if key not in ("username", "email") or shape not in ("plain", "canvas"):
        raise HTTPException(400, "key must be username or email, and shape plain or canvas")
    try:
        book = grades.gradebook(classroom_of(request).engine, course_id,
                                require_person(request).id)
    except NotAllowed as exc:
        raise _forbidden(exc) from None
    text = book.to_canvas_csv() if shape == "canvas" else book.to_csv(key)  # type: ignore[arg-type]
    name = f"{slug}-gradebook-{'canvas' if shape == 'canvas' else key}.csv"
    return Response(text, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.post("/c/{slug}/gradebook/override", name="grade_override")
def grade_override(request: Request, slug: str, username: str = Form(""), item: str = Form(""),
                   score: str = Form(""), reason: str = Form("")) -> Response:
    course_id, slug, _title = _course(request, slug)
    person = require_person(request)
    user_id = _user_id(request, course_id, username)
    try:
        value = None if score.strip() == "" else float(score)
    except ValueError:
        raise HTTPException(400, f"score must be a number (or empty to go back to the graded "
                                 f"score), not {score[:20]!r}") from None
    try:
        grades.set_override(classroom_of(request).engine, course_id, user_id, item, value,
                            by=person.id, reason=reason)
    except NotAllowed as exc:
        raise _forbidden(exc) from None
    except ClassroomError as exc:
        raise HTTPException(400, str(exc)) from None
    return RedirectResponse(f"/c/{slug}/gradebook", status_code=303)


@router.get("/c/{slug}/grades", name="my_grades")
def my_grades(request: Request, slug: str) -> Response:
    course_id, slug, title = _course(request, slug)
    rows = grades.my_grades(classroom_of(request).engine, course_id, require_person(request).id)
    return _render(request, "classroom/grades.html", title=f"Your grades · {title}", slug=slug,
                   rows=rows)


# ---- the roster ------------------------------------------------------------------------------

def _roster(request: Request, course_id: int) -> dict:
    with Session(classroom_of(request).engine) as session:
        members = session.execute(
            select(User, Membership, Section.name).join(Membership, Membership.user_id == User.id)
            .outerjoin(Section, Section.id == Membership.section_id)
            .where(Membership.course_id == course_id).order_by(User.username)).all()
        sections = session.scalars(select(Section).where(Section.course_id == course_id)
                                   .order_by(Section.name)).all()
        invited = session.scalars(select(Invitation).where(
            Invitation.course_id == course_id, Invitation.used_at.is_(None))
            .order_by(Invitation.email)).all()
        return {
            "members": [{"username": u.username, "name": u.name, "email": u.email,
                         "role": m.role, "section": s, "removed": m.removed_at is not None}
                        for u, m, s in members],
            "sections": [{"name": s.name, "code": s.join_code} for s in sections],
            "invited": [{"email": i.email, "name": i.name} for i in invited],
        }


@router.get("/c/{slug}/roster", name="roster")
def roster_page(request: Request, slug: str, message: str = "") -> Response:
    course_id, slug, title = _course(request, slug)
    if _role(request, course_id) != "instructor":
        raise HTTPException(403, "only instructors can see and change the roster")
    return _render(request, "classroom/roster.html", title=f"Roster · {title}", slug=slug,
                   roster=_roster(request, course_id), message=message[:300], links={},
                   error=None)


def _instructor_action(request: Request, slug: str) -> tuple[int, int, str]:
    course_id, slug, _title = _course(request, slug)
    person = require_person(request)
    if _role(request, course_id) != "instructor":
        raise HTTPException(403, "only instructors can change the roster")
    return course_id, person.id, slug


@router.post("/c/{slug}/roster/import", name="roster_import")
async def roster_import(request: Request, slug: str, roster: Annotated[UploadFile, File()],
) -> Response:
    course_id, by, slug = _instructor_action(request, slug)
    data = await roster.read(MAX_ROSTER_BYTES + 1)
    try:
        rows = parse_roster(data)
        outcome = people.import_roster(classroom_of(request).engine, course_id, rows, by=by)
    except RosterError as exc:
        return _render(request, "classroom/roster.html", status_code=400, title="Roster",
                       slug=slug, roster=_roster(request, course_id), message="", links={},
                       error=exc.problems)
    base = str(request.base_url).rstrip("/")
    links = {email: f"{base}/invite/{token}" for email, token in outcome["invited"].items()}
    return _render(request, "classroom/roster.html", title="Roster", slug=slug,
                   roster=_roster(request, course_id), links=links, error=None,
                   message=f"Imported {len(rows)} learners: {outcome['enrolled']} enrolled "
                           f"now, {len(outcome['invited'])} invited (send them their links).")


@router.post("/c/{slug}/roster/section", name="roster_section")
def roster_section(request: Request, slug: str, name: str = Form("")) -> Response:
    course_id, by, slug = _instructor_action(request, slug)
    try:
        code = people.add_section(classroom_of(request).engine, course_id, name, by=by)
    except ClassroomError as exc:
        raise HTTPException(400, str(exc)) from None
    return RedirectResponse(f"/c/{slug}/roster?message=Section+{name.strip()}+added:+join+code+"
                            f"{code}", status_code=303)


@router.post("/c/{slug}/roster/role", name="roster_role")
def roster_role(request: Request, slug: str, username: str = Form(""),
                role: str = Form("")) -> Response:
    course_id, by, slug = _instructor_action(request, slug)
    try:
        people.set_role(classroom_of(request).engine, course_id,
                        _user_id(request, course_id, username), role, by=by)
    except ClassroomError as exc:
        raise HTTPException(400, str(exc)) from None
    return RedirectResponse(f"/c/{slug}/roster", status_code=303)


@router.post("/c/{slug}/roster/remove", name="roster_remove")
def roster_remove(request: Request, slug: str, username: str = Form("")) -> Response:
    course_id, by, slug = _instructor_action(request, slug)
    try:
        people.remove_member(classroom_of(request).engine, course_id,
                             _user_id(request, course_id, username), by=by)
    except ClassroomError as exc:
        raise HTTPException(400, str(exc)) from None
    return RedirectResponse(f"/c/{slug}/roster", status_code=303)


@router.post("/c/{slug}/roster/reset", name="roster_reset")
def roster_reset(request: Request, slug: str, username: str = Form("")) -> Response:
    course_id, by, slug = _instructor_action(request, slug)
    try:
        token = people.make_password_reset(classroom_of(request).engine, course_id,
                                           _user_id(request, course_id, username), by=by)
    except ClassroomError as exc:
        raise HTTPException(400, str(exc)) from None
    link = f"{str(request.base_url).rstrip('/')}/reset/{token}"
    return _render(request, "classroom/roster.html", title="Roster", slug=slug,
                   roster=_roster(request, course_id), error=None, links={username: link},
                   message=f"A one-time password reset link for {username} (valid two days): "
                           "hand it over in person.")
