"""The Q&A board's pages and JSON API: a course-wide board, a thread list per lesson, lab,
challenge and project stage, threads with answers and comments, search, similar-title
suggestions, notifications (a bell, live over SSE) and the instructors' JSON export.

Thin: every route finds the board (database, course, viewer) and calls one function of
``vibrastic.platform.qa.board``, which applies every visibility rule; refusals become 403s and
bad input 400s with the library's message. In a classroom the board is the signed-in person's
course; in the one-learner ``vibrastic serve`` it is a personal notes page kept in
``notes.db`` in the vibrastic home (one local person, the course's instructor, made on first use).
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response, StreamingResponse
from markupsafe import Markup
from pydantic import BaseModel, Field
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from vibrastic.platform.qa import board
from vibrastic.platform.qa.board import BoardError, NotAllowed, Viewer
from vibrastic.platform.qa.models import TARGET_KINDS

router = APIRouter()
PLACE_KINDS = tuple(k for k in TARGET_KINDS if k != "course")
PLACE_WORDS = {"course": "the course", "lesson": "lesson", "lab": "lab", "challenge": "challenge",
               "stage": "project stage"}
MAX_FIELD = 40_000  # characters in any one form field (the library refuses long posts itself)
LOCAL_EMAIL, LOCAL_SLUG = "me@vibrastic.local", "my-notes"


@dataclass(frozen=True)
class Board:
    """Where a request's board lives and who is looking at it."""

    engine: Engine
    course_id: int
    viewer: Viewer
    local: bool  # the one-learner personal notes board

    @property
    def staff(self) -> bool:
        return self.viewer.staff


# ---- finding the board ---------------------------------------------------------------------

def _local_engine(request: Request) -> Engine:
    from vibrastic.platform.database import connect, sqlite_url
    from vibrastic.platform.paths import home_dir

    return connect(sqlite_url(home_dir() / "notes.db"))


def _local_board(request: Request) -> Board:
    """The personal notes board: one local person who runs their own course."""
    from vibrastic.platform.classroom.models import Course, User
    from vibrastic.platform.classroom.people import create_course, create_user

    engine = _local_engine(request)
    with Session(engine) as session:
        user_id = session.scalar(select(User.id).where(User.email == LOCAL_EMAIL))
        course_id = session.scalar(select(Course.id).where(Course.slug == LOCAL_SLUG))
    if user_id is None:
        user_id = create_user(engine, email=LOCAL_EMAIL, name="You", username="me",
                              password=secrets.token_urlsafe(24))
    if course_id is None:
        course_id = create_course(engine, slug=LOCAL_SLUG, title="My notes",
                                  instructor_id=user_id)
    return Board(engine, course_id, Viewer(user_id, "instructor"), local=True)


def board_of(request: Request) -> Board:
    """The board of this request (cached on the request)."""
    cached = getattr(request.state, "qa_board", None)
    if cached is not None:
        return cached
    room = request.app.state.classroom
    if room is None:
        found = _local_board(request)
    else:
        from vibrastic.faces.web.accounts import current_course, require_person

        person = require_person(request)
        chosen = current_course(request)
        if chosen is None:
            raise HTTPException(403, "you are not in a course yet: join one with the code your "
                                     "instructor gave you (/join)")
        found = Board(room.engine, chosen["id"], Viewer(person.id, chosen["role"]), local=False)
    request.state.qa_board = found
    return found


def _publish(request: Request, found: Board, thread_id: int | None = None) -> None:
    """Tell the live streams something changed on the board (each recounts its own bell)."""
    room = request.app.state.classroom
    if room is not None and room.events is not None:
        room.events.publish({"kind": "qa", "qa_course": found.course_id, "thread": thread_id})


def _call(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """A library call with its refusals as HTTP errors carrying its message."""
    try:
        return fn(*args, **kwargs)
    except NotAllowed as exc:
        raise HTTPException(403, str(exc)) from None
    except BoardError as exc:
        raise HTTPException(_status(exc), str(exc)) from None


def _status(exc: BoardError) -> int:
    """403 refused by role, 404 not visible, 429 posting too fast, else 400."""
    if isinstance(exc, NotAllowed):
        return 403
    if "that you can see" in str(exc):
        return 404
    return 429 if "before posting again" in str(exc) else 400


def _check_place(request: Request, kind: str, target: str) -> None:
    """404 for a place that is not in the course (names from course.toml and the challenges)."""
    from vibrastic.faces.web import views

    ctx = request.app.state.ctx
    if kind == "course":
        return
    if kind == "lesson":
        views.get_lesson_or_404(ctx, target)
    elif kind == "challenge":
        views.get_challenge_or_404(target)
    elif kind == "lab":
        views.get_lab_or_404(target)
    elif kind == "stage":
        _stage_name(request, target)
    else:
        raise HTTPException(404, f"no place kind {kind[:40]!r}; expected one of "
                                 f"{', '.join(PLACE_KINDS)}")


def _stage_name(request: Request, ref: str) -> str:
    """A project stage by number or name (404 naming the stages when it is not one)."""
    from vibrastic.platform.course.project import UnknownStage, load_project

    project = load_project(request.app.state.ctx.config.course_root)
    if project is None:
        raise HTTPException(404, "this course has no project, so no project stages")
    try:
        return project.stage(ref).slug
    except UnknownStage as exc:
        raise HTTPException(404, str(exc)[:300]) from None


def _canonical(request: Request, kind: str, target: str) -> str:
    """One name per place: lessons and stages may be named by number."""
    if kind == "lesson":
        return _lesson_name(request, target)
    return _stage_name(request, target) if kind == "stage" else target


def _lesson_name(request: Request, ref: str) -> str:
    from vibrastic.faces.web import views

    return views.get_lesson_or_404(request.app.state.ctx, ref).name


def place_url(kind: str, target: str) -> str:
    return "/qa" if kind == "course" else f"/qa/on/{kind}/{target}"


def page_url(kind: str, target: str) -> str | None:
    """The course page a place's questions are about."""
    return {"lesson": f"/lessons/{target}", "lab": f"/labs/{target}",
            "challenge": f"/challenges/{target}", "stage": f"/project/stages/{target}"}.get(kind)


def _render(request: Request, template: str, status_code: int = 200, **context: Any) -> Response:
    found = board_of(request)
    context.setdefault("board", found)
    context.setdefault("place_url", place_url)
    context.setdefault("page_url", page_url)
    context.setdefault("place_words", PLACE_WORDS)
    return request.app.state.templates.TemplateResponse(request, template, context,
                                                        status_code=status_code)


def _field(value: Any, name: str) -> str:
    """A form field as text, refused (400) when it is a file or absurdly long."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise HTTPException(400, f"{name} must be text, not a file upload")
    if len(value) > MAX_FIELD:
        raise HTTPException(413, f"{name} has {len(value)} characters; at most {MAX_FIELD}")
    return value.replace("\r\n", "\n")


async def _form(request: Request) -> dict[str, str]:
    """The posted form as text fields (a body that is not UTF-8 is a 400 naming it)."""
    try:
        form = await request.form()
    except (UnicodeDecodeError, ValueError) as exc:
        raise HTTPException(400, f"the form could not be read ({exc}); send it as UTF-8 "
                                 "application/x-www-form-urlencoded") from None
    return {k: _field(v, k) for k, v in form.items()}


def _flag(value: str | None) -> bool:
    return (value or "").lower() in ("1", "on", "true", "yes")


def _int(value: str | None, name: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except ValueError:
        raise HTTPException(400, f"{name} must be a whole number, not {value[:40]!r}") from None


# ---- template helpers: the link on each page, the bell -------------------------------------

def qa_link(request: Request, kind: str, target: str) -> Markup:
    """The link from a lesson, lab or challenge page to its questions, with the open count."""
    room = request.app.state.classroom
    if room is None:
        from vibrastic.platform.paths import home_dir

        if not (home_dir() / "notes.db").exists():  # not made just to draw a link
            return Markup('<a class="qa-link" href="{}">My notes on this {}</a>').format(
                place_url(kind, target), PLACE_WORDS[kind])
    try:
        found = board_of(request)
    except HTTPException:
        return Markup("")
    count = board.open_questions(found.engine, found.viewer, found.course_id, kind, target)
    label = "My notes" if found.local else "Questions"
    return Markup('<a class="qa-link" href="{}">{} on this {} ({} open)</a>').format(
        place_url(kind, target), label, PLACE_WORDS[kind], count)


def qa_unread(request: Request) -> int | None:
    """The signed-in person's unread notifications (None outside a classroom)."""
    room = request.app.state.classroom
    if room is None:
        return None
    from vibrastic.faces.web.accounts import person_of

    person = person_of(request)
    if person is None:
        return None
    return board.unread_count(room.engine, Viewer(person.id, None))


def install(templates: Any) -> None:
    templates.env.globals["qa_link"] = qa_link
    templates.env.globals["qa_unread"] = qa_unread


# ---- lists ---------------------------------------------------------------------------------

def _show(value: str) -> str:
    if value not in ("all", "unresolved", "unanswered"):
        raise HTTPException(400, f"unknown filter {value[:40]!r}; expected all, unresolved or "
                                 "unanswered")
    return value


@router.get("/qa", name="qa_board", include_in_schema=False)
def course_board(request: Request, show: str = "all") -> Response:
    found = board_of(request)
    items = _call(board.threads, found.engine, found.viewer, found.course_id, show=_show(show))
    return _render(request, "qa/list.html", title="Q&A board" if not found.local else "My notes",
                   kind="course", target="", threads=items, show=show)


@router.get("/qa/on/{kind}/{target}", name="qa_place", include_in_schema=False)
def place_board(request: Request, kind: str, target: str, show: str = "all") -> Response:
    _check_place(request, kind, target)
    target = _canonical(request, kind, target)
    found = board_of(request)
    items = _call(board.threads, found.engine, found.viewer, found.course_id, target_kind=kind,
                  target=target, show=_show(show))
    return _render(request, "qa/list.html", title=f"Q&A · {PLACE_WORDS[kind]} {target}",
                   kind=kind, target=target, threads=items, show=show)


@router.get("/qa-search", name="qa_search", include_in_schema=False)
def search_page(request: Request, q: str = "") -> Response:
    found = board_of(request)
    items = board.search(found.engine, found.viewer, found.course_id, q[:400]) if q else []
    return _render(request, "qa/search.html", title="Search the board", q=q[:400],
                   threads=items)


@router.get("/qa-similar", name="qa_similar", include_in_schema=False)
def similar_fragment(request: Request, title: str = "") -> Response:
    """htmx: threads like the title being typed (shown under the title field)."""
    found = board_of(request)
    items = board.similar(found.engine, found.viewer, found.course_id, title[:200]) \
        if len(title.strip()) >= 3 else []
    return _render(request, "qa/similar.html", threads=items)


# ---- asking --------------------------------------------------------------------------------

def _attachment(request: Request, kind: str, target: str) -> tuple[str | None, dict | None]:
    """The learner's current code and last verdict on a challenge (None when there is none)."""
    if kind != "challenge":
        return None, None
    from vibrastic.faces.web import views
    from vibrastic.faces.web.app import learner_of

    info = views.get_challenge_or_404(target)
    try:
        learner = learner_of(request)
    except HTTPException:
        return None, None
    saved = learner.read_source(info)
    attempts = learner.attempts(info.name)
    verdict = None
    if attempts:
        last = attempts[-1]
        verdict = {"status": last["status"], "score": last["score"],
                   "max_score": last["max_score"],
                   "summary": last["result"].get("summary", ""), "at": last["created_at"]}
    return (saved[0] if saved else None), verdict


@router.get("/qa-new", name="qa_new", include_in_schema=False)
def new_thread_page(request: Request, kind: str = "course", target: str = "",
                    attach: str = "") -> Response:
    _check_place(request, kind, target)
    target = _canonical(request, kind, target)
    code, verdict = _attachment(request, kind, target) if _flag(attach) else (None, None)
    return _render(request, "qa/new.html", title="Ask a question", kind=kind, target=target,
                   values={"attach": "1" if _flag(attach) else ""}, code=code, verdict=verdict,
                   error=None)


@router.post("/qa-new", name="qa_ask", include_in_schema=False)
async def ask_form(request: Request) -> Response:
    form = await _form(request)
    kind, target = form.get("target_kind", "course"), form.get("target", "")
    _check_place(request, kind, target)
    target = _canonical(request, kind, target)
    found = board_of(request)
    attach = _flag(form.get("attach"))
    code, verdict = _attachment(request, kind, target) if attach else (None, None)
    try:
        tid = board.ask(found.engine, found.viewer, found.course_id, title=form.get("title", ""),
                        body=form.get("body", ""), target_kind=kind, target=target,
                        kind=form.get("kind", "question"),
                        anonymous=_flag(form.get("anonymous")),
                        private=_flag(form.get("private")), attached_code=code,
                        attached_verdict=verdict, share_attachment=_flag(form.get("share")))
    except BoardError as exc:
        return _render(request, "qa/new.html", status_code=_status(exc), title="Ask a question",
                       kind=kind, target=target, values=form, code=code, verdict=verdict,
                       error=str(exc))
    _publish(request, found, tid)
    return RedirectResponse(f"/qa/t/{tid}", status_code=303)


# ---- a thread ------------------------------------------------------------------------------

@router.get("/qa/t/{thread_id}", name="qa_thread", include_in_schema=False)
def thread_page(request: Request, thread_id: int) -> Response:
    found = board_of(request)
    view = _call(board.thread, found.engine, found.viewer, thread_id)
    if view.merged_into is not None and not request.query_params.get("stay"):
        return RedirectResponse(f"/qa/t/{view.merged_into}", status_code=303)
    answers = [p for p in view.posts if p.kind == "answer"]
    comments: dict[int, list] = {}
    for p in view.posts:
        if p.kind == "comment" and p.parent_id is not None:
            comments.setdefault(p.parent_id, []).append(p)
    opening = next((p for p in view.posts if p.kind == "opening"), None)
    return _render(request, "qa/thread.html", title=view.title, t=view, opening=opening,
                   answers=answers, comments=comments, error=request.query_params.get("error"))


def _back(thread_id: int, anchor: str = "") -> Response:
    return RedirectResponse(f"/qa/t/{thread_id}{anchor}", status_code=303)


def _post_thread(found: Board, post_id: int) -> int:
    """The thread of a post the viewer may see (404 otherwise)."""
    from vibrastic.platform.qa.models import Post

    with Session(found.engine) as session:
        post = session.get(Post, post_id)
        thread_id = post.thread_id if post is not None else None
    if thread_id is None:
        raise HTTPException(404, f"there is no post {post_id} that you can see")
    _call(board.thread, found.engine, found.viewer, thread_id)  # 404 unless visible
    return thread_id


@router.post("/qa/t/{thread_id}/reply", name="qa_reply", include_in_schema=False)
async def reply_form(request: Request, thread_id: int) -> Response:
    form = await _form(request)
    found = board_of(request)
    post_id = _call(board.reply, found.engine, found.viewer, thread_id, form.get("body", ""),
                    parent_id=_int(form.get("parent_id"), "parent_id"),
                    anonymous=_flag(form.get("anonymous")))
    _publish(request, found, thread_id)
    return _back(thread_id, f"#post-{post_id}")


@router.post("/qa/t/{thread_id}/resolve", name="qa_resolve", include_in_schema=False)
async def resolve_form(request: Request, thread_id: int) -> Response:
    form = await _form(request)
    found = board_of(request)
    _call(board.resolve, found.engine, found.viewer, thread_id, _flag(form.get("resolved")))
    _publish(request, found, thread_id)
    return _back(thread_id)


@router.post("/qa/t/{thread_id}/moderate", name="qa_moderate", include_in_schema=False)
async def moderate_form(request: Request, thread_id: int) -> Response:
    form = await _form(request)
    found = board_of(request)
    _call(board.moderate, found.engine, found.viewer, thread_id,
          pinned=_flag(form["pinned"]) if "pinned" in form else None,
          hidden=_flag(form["hidden"]) if "hidden" in form else None)
    _publish(request, found, thread_id)
    return _back(thread_id)


@router.post("/qa/t/{thread_id}/merge", name="qa_merge", include_in_schema=False)
async def merge_form(request: Request, thread_id: int) -> Response:
    form = await _form(request)
    found = board_of(request)
    into = _int(form.get("into"), "into")
    if into is None:
        raise HTTPException(400, "name the thread to merge into (its number)")
    _call(board.merge, found.engine, found.viewer, thread_id, into)
    _publish(request, found, into)
    return _back(into)


@router.post("/qa/t/{thread_id}/follow", name="qa_follow", include_in_schema=False)
async def follow_form(request: Request, thread_id: int) -> Response:
    form = await _form(request)
    found = board_of(request)
    _call(board.follow, found.engine, found.viewer, thread_id, _flag(form.get("following")))
    return _back(thread_id)


@router.post("/qa/p/{post_id}/edit", name="qa_edit", include_in_schema=False)
async def edit_form(request: Request, post_id: int) -> Response:
    form = await _form(request)
    found = board_of(request)
    thread_id = _post_thread(found, post_id)
    _call(board.edit, found.engine, found.viewer, post_id, form.get("body", ""),
          title=form.get("title") or None)
    _publish(request, found, thread_id)
    return _back(thread_id, f"#post-{post_id}")


@router.post("/qa/p/{post_id}/delete", name="qa_delete", include_in_schema=False)
async def delete_form(request: Request, post_id: int) -> Response:
    found = board_of(request)
    thread_id = _post_thread(found, post_id)
    _call(board.delete, found.engine, found.viewer, post_id)
    _publish(request, found, thread_id)
    return _back(thread_id)


@router.post("/qa/p/{post_id}/endorse", name="qa_endorse", include_in_schema=False)
async def endorse_form(request: Request, post_id: int) -> Response:
    form = await _form(request)
    found = board_of(request)
    thread_id = _post_thread(found, post_id)
    _call(board.endorse, found.engine, found.viewer, post_id, _flag(form.get("endorsed")))
    _publish(request, found, thread_id)
    return _back(thread_id, f"#post-{post_id}")


@router.post("/qa/p/{post_id}/hide", name="qa_hide_post", include_in_schema=False)
async def hide_post_form(request: Request, post_id: int) -> Response:
    form = await _form(request)
    found = board_of(request)
    thread_id = _post_thread(found, post_id)
    _call(board.hide_post, found.engine, found.viewer, post_id, _flag(form.get("hidden")))
    return _back(thread_id)


@router.get("/qa/p/{post_id}/history", name="qa_history", include_in_schema=False)
def history_page(request: Request, post_id: int) -> Response:
    found = board_of(request)
    thread_id = _post_thread(found, post_id)
    revisions = _call(board.history, found.engine, found.viewer, post_id)
    return _render(request, "qa/history.html", title="Earlier versions", thread_id=thread_id,
                   post_id=post_id, revisions=revisions)


# ---- notifications -------------------------------------------------------------------------

@router.get("/qa-notifications", name="qa_notifications", include_in_schema=False)
def notifications_page(request: Request) -> Response:
    found = board_of(request)
    items = board.notifications(found.engine, found.viewer)
    return _render(request, "qa/notifications.html", title="Notifications", items=items)


@router.post("/qa-notifications/read", name="qa_mark_read", include_in_schema=False)
def mark_read_form(request: Request) -> Response:
    found = board_of(request)
    board.mark_read(found.engine, found.viewer)
    _publish(request, found)
    return RedirectResponse("/qa-notifications", status_code=303)


@router.get("/qa-events", name="qa_events", include_in_schema=False)
async def bell_events(request: Request) -> StreamingResponse:
    """Server-sent events: the signed-in person's own unread count, sent when it changes."""
    from vibrastic.faces.web.accounts import classroom_of, require_person

    room = classroom_of(request)
    me = Viewer(require_person(request).id, None)

    def count() -> int:
        return board.unread_count(room.engine, me)

    async def stream() -> AsyncIterator[str]:
        last = await asyncio.to_thread(count)
        yield f"event: bell\ndata: {json.dumps({'unread': last})}\n\n"
        async with room.events.subscribe() as queue:
            while not await request.is_disconnected():
                try:
                    event = await asyncio.wait_for(queue.get(), timeout=15)
                except TimeoutError:
                    yield ": keep-alive\n\n"
                    continue
                if event.get("kind") != "qa":
                    continue
                now = await asyncio.to_thread(count)
                if now != last:
                    last = now
                    yield f"event: bell\ndata: {json.dumps({'unread': now})}\n\n"

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


@router.get("/qa-export.json", name="qa_export", include_in_schema=False)
def export_file(request: Request) -> Response:
    found = board_of(request)
    data = _call(board.export, found.engine, found.viewer, found.course_id)
    return JSONResponse(data, headers={
        "Content-Disposition": f'attachment; filename="qa-course-{found.course_id}.json"'})


# ---- the JSON API (same rules: the library's views are what it returns) --------------------

class AskBody(BaseModel):
    title: str = Field(max_length=MAX_FIELD)
    body: str = Field(max_length=MAX_FIELD)
    kind: str = "question"
    target_kind: str = "course"
    target: str = Field("", max_length=100)
    anonymous: bool = False
    private: bool = False
    attach: bool = False
    share: bool = False


class ReplyBody(BaseModel):
    body: str = Field(max_length=MAX_FIELD)
    parent_id: int | None = None
    anonymous: bool = False


class EditBody(BaseModel):
    body: str = Field(max_length=MAX_FIELD)
    title: str | None = Field(None, max_length=MAX_FIELD)


class FlagBody(BaseModel):
    value: bool = True


def _json_list(items: list) -> list[dict]:
    return [asdict(t) for t in items]


@router.get("/api/qa/threads", tags=["Q&A"])
def api_threads(request: Request, target_kind: str | None = None, target: str | None = None,
                show: str = "all") -> list[dict]:
    """Threads the signed-in person may see (optionally on one page; filter by state)."""
    found = board_of(request)
    return _json_list(_call(board.threads, found.engine, found.viewer, found.course_id,
                            target_kind=target_kind, target=target, show=_show(show)))


@router.post("/api/qa/threads", tags=["Q&A"], status_code=201)
def api_ask(request: Request, payload: AskBody) -> dict:
    _check_place(request, payload.target_kind, payload.target)
    target = _canonical(request, payload.target_kind, payload.target)
    found = board_of(request)
    code, verdict = _attachment(request, payload.target_kind, target) if payload.attach \
        else (None, None)
    tid = _call(board.ask, found.engine, found.viewer, found.course_id, title=payload.title,
                body=payload.body, target_kind=payload.target_kind, target=target,
                kind=payload.kind, anonymous=payload.anonymous, private=payload.private,
                attached_code=code, attached_verdict=verdict, share_attachment=payload.share)
    _publish(request, found, tid)
    return asdict(board.thread(found.engine, found.viewer, tid))


@router.get("/api/qa/threads/{thread_id}", tags=["Q&A"])
def api_thread(request: Request, thread_id: int) -> dict:
    found = board_of(request)
    return asdict(_call(board.thread, found.engine, found.viewer, thread_id))


@router.post("/api/qa/threads/{thread_id}/posts", tags=["Q&A"], status_code=201)
def api_reply(request: Request, thread_id: int, payload: ReplyBody) -> dict:
    found = board_of(request)
    post_id = _call(board.reply, found.engine, found.viewer, thread_id, payload.body,
                    parent_id=payload.parent_id, anonymous=payload.anonymous)
    _publish(request, found, thread_id)
    return {"id": post_id, "thread_id": thread_id}


@router.post("/api/qa/threads/{thread_id}/resolved", tags=["Q&A"])
def api_resolve(request: Request, thread_id: int, payload: FlagBody) -> dict:
    found = board_of(request)
    _call(board.resolve, found.engine, found.viewer, thread_id, payload.value)
    _publish(request, found, thread_id)
    return {"id": thread_id, "resolved": payload.value}


@router.put("/api/qa/posts/{post_id}", tags=["Q&A"])
def api_edit(request: Request, post_id: int, payload: EditBody) -> dict:
    found = board_of(request)
    thread_id = _post_thread(found, post_id)
    _call(board.edit, found.engine, found.viewer, post_id, payload.body, title=payload.title)
    return {"id": post_id, "thread_id": thread_id}


@router.delete("/api/qa/posts/{post_id}", tags=["Q&A"])
def api_delete(request: Request, post_id: int) -> dict:
    found = board_of(request)
    thread_id = _post_thread(found, post_id)
    _call(board.delete, found.engine, found.viewer, post_id)
    return {"id": post_id, "thread_id": thread_id, "deleted": True}


@router.post("/api/qa/posts/{post_id}/endorsed", tags=["Q&A"])
def api_endorse(request: Request, post_id: int, payload: FlagBody) -> dict:
    found = board_of(request)
    thread_id = _post_thread(found, post_id)
    _call(board.endorse, found.engine, found.viewer, post_id, payload.value)
    _publish(request, found, thread_id)
    return {"id": post_id, "endorsed": payload.value}


@router.get("/api/qa/search", tags=["Q&A"])
def api_search(request: Request, q: str = "") -> list[dict]:
    found = board_of(request)
    return _json_list(board.search(found.engine, found.viewer, found.course_id, q[:400]))


@router.get("/api/qa/similar", tags=["Q&A"])
def api_similar(request: Request, title: str = "") -> list[dict]:
    found = board_of(request)
    return _json_list(board.similar(found.engine, found.viewer, found.course_id, title[:200]))


@router.get("/api/qa/open", tags=["Q&A"])
def api_open(request: Request, target_kind: str, target: str) -> dict:
    """How many open questions a page has (what its Q&A link shows)."""
    _check_place(request, target_kind, target)
    target = _canonical(request, target_kind, target)
    found = board_of(request)
    return {"target_kind": target_kind, "target": target,
            "open": board.open_questions(found.engine, found.viewer, found.course_id,
                                         target_kind, target)}


@router.get("/api/qa/notifications", tags=["Q&A"])
def api_notifications(request: Request, unread_only: bool = False) -> list[dict]:
    found = board_of(request)
    return board.notifications(found.engine, found.viewer, unread_only=unread_only)


@router.post("/api/qa/notifications/read", tags=["Q&A"])
def api_mark_read(request: Request) -> dict:
    found = board_of(request)
    board.mark_read(found.engine, found.viewer)
    _publish(request, found)
    return {"unread": 0}


@router.get("/api/qa/export", tags=["Q&A"])
def api_export(request: Request) -> dict:
    found = board_of(request)
    return _call(board.export, found.engine, found.viewer, found.course_id)
