"""The FastAPI application: configuration, shared state, templates, error pages and JSON errors."""

from __future__ import annotations

import functools
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from starlette.exceptions import HTTPException as StarletteHTTPException

from vibrastic.ml.labs.glossary import format_value
from vibrastic.platform.course import Course, load_course
from vibrastic.platform.paths import home_dir

HERE = Path(__file__).resolve().parent
MAX_SOURCE_BYTES = 256 * 1024  # a challenge source larger than this is refused (413)


@dataclass
class WebConfig:
    """How the web course runs. Defaults: the packaged course, the learner's data folder, the
    CLI's workspace folder, lessons executed in full (``VIBRASTIC_QUICK=1``: quick)."""

    course_root: Path | None = None
    cache_dir: Path | None = None
    workspace: Path | None = None
    quick_lessons: bool = field(default_factory=lambda: os.environ.get("VIBRASTIC_QUICK") == "1")
    grading_workers: int | None = None
    lab_workers: int = 1
    # the server's address as learners see it, when it differs from the request's (a proxy):
    # served notebooks fetch the wheel from there (default: the address they were loaded from)
    public_url: str | None = None
    database_url: str | None = None  # set: the classroom (accounts, many learners)
    secure_cookies: bool = True  # classroom session cookies only over HTTPS (off on loopback)
    # classroom on SQLite: start the grading sandboxes with the server (in the background), not
    # at the first check, as `vibrastic worker` does (the CLI's `classroom serve` turns it on)
    warm_grading: bool = False


class Context:
    """What every route needs: the course, lesson pages, lab runs, grading, the workspace."""

    def __init__(self, config: WebConfig) -> None:
        from vibrastic.faces.web.lessons import LessonPages
        from vibrastic.ml.labs.runs import LabRuns
        from vibrastic.platform.progress.workspace import workspace_dir

        self.config = config
        self.course: Course = load_course(config.course_root)
        self.cache_dir = config.cache_dir or home_dir() / "cache"
        self.lessons = LessonPages(self.course, self.cache_dir / "lessons",
                                   quick=config.quick_lessons)
        # a classroom may be served by several processes: each shows and cancels any run
        self.labs = LabRuns(max_workers=config.lab_workers, shared_dir=(
            self.cache_dir / "lab-runs" if config.database_url else None))
        self.workspace = config.workspace or workspace_dir()
        self._grading: Any = None
        from vibrastic.platform.progress.learner import LocalLearner

        self.local_learner = LocalLearner(self.workspace, lambda: self.grading)

    @property
    def grading(self) -> Any:
        """The grading service, started on first use (warm graders cost memory)."""
        if self._grading is None:
            from vibrastic.platform.progress.service import GradingService

            self._grading = GradingService(workers=self.config.grading_workers)
        return self._grading

    def close(self) -> None:
        self.lessons.close()
        self.labs.close()
        if self._grading is not None:
            self._grading.close()


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes} min {secs} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def _solution_html(reference: str) -> str:
    from vibrastic.platform.course.challenge import strip_markers
    from vibrastic.platform.course.render import highlight_python

    return highlight_python(strip_markers(reference).rstrip())


def make_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.globals["duration"] = _duration
    templates.env.globals["solution_html"] = _solution_html
    templates.env.filters["lab_value"] = format_value
    return templates


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _validation_message(exc: RequestValidationError) -> tuple[int, str]:
    """400 for a body that is not JSON, 422 otherwise; the message names the field and why."""
    parts = []
    for err in exc.errors():
        if err.get("type") == "json_invalid":
            ctx = err.get("ctx", {}).get("error", "")
            return 400, f"malformed JSON body: {ctx or err.get('msg')}"
        loc = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "body"
        parts.append(f"{loc}: {err.get('msg')}")
    return 422, "invalid request: " + "; ".join(parts)


def create_app(config: WebConfig | None = None) -> FastAPI:
    """The web course as an ASGI app (``vibrastic serve`` runs it with Uvicorn)."""
    from contextlib import asynccontextmanager

    from vibrastic.faces.web import api, pages

    config = config or WebConfig()
    ctx = Context(config)

    room = _classroom(config) if config.database_url else None

    @asynccontextmanager
    async def lifespan(_app: FastAPI):  # type: ignore[no-untyped-def]
        import asyncio

        listener = None
        if room is not None:
            from vibrastic.faces.web.events import listen_postgres

            room.events.bind(asyncio.get_running_loop())
            if room.engine.dialect.name == "postgresql":
                listener = asyncio.create_task(listen_postgres(room.engine, room.events))
        yield
        if listener is not None:
            listener.cancel()
        if room is not None and room.grading is not None:
            room.grading.close()
        ctx.close()

    app = FastAPI(
        title="vibrastic web course", version="1",
        description="The JSON API the pages use (editors and scripts can use it too).",
        docs_url="/api/docs", redoc_url=None, openapi_url="/api/openapi.json",
        lifespan=lifespan,
    )
    app.state.ctx = ctx
    app.state.classroom = room
    app.state.templates = make_templates()
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    def static(path: str) -> str:
        return f"/static/{path}"

    app.state.templates.env.globals["static"] = static

    def current_person(request: Request) -> Any:
        if room is None:
            return None
        from vibrastic.faces.web.accounts import person_of

        return person_of(request)

    app.state.templates.env.globals["current_person"] = current_person

    def current_run(request: Request) -> dict | None:
        """The course run the signed-in person's pages are about (None on one-learner pages)."""
        if current_person(request) is None:
            return None
        from vibrastic.faces.web.accounts import current_course

        return current_course(request)

    app.state.templates.env.globals["current_run"] = current_run

    def csrf_field(request: Request) -> Markup:
        """The hidden CSRF input every classroom form carries (nothing on one-learner pages)."""
        person = current_person(request)
        if person is None:
            return Markup("")
        return Markup('<input type="hidden" name="csrf_token" value="{}">').format(person.csrf)

    app.state.templates.env.globals["csrf_field"] = csrf_field
    @functools.lru_cache(maxsize=4096)
    def cached_path(route: str, params: tuple[tuple[str, Any], ...]) -> str:
        return str(app.url_path_for(route, **dict(params)))

    # routes never change while the app runs, and finding one tries every route in turn
    app.state.templates.env.globals["path_for"] = lambda route, /, **params: cached_path(
        route, tuple(sorted(params.items())))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):  # type: ignore[no-untyped-def]
        location = (getattr(exc, "headers", None) or {}).get("Location")
        if exc.status_code == 303 and location:  # "sign in first"
            return RedirectResponse(location, status_code=303)
        if exc.detail == "There was an error parsing the body":  # FastAPI's, for bad bytes
            exc.detail = ("the request body could not be read: send UTF-8 JSON (or a UTF-8 "
                          "form) matching the documented schema")
        if is_api(request) or request.headers.get("accept", "").startswith("application/json"):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code,
                                headers=getattr(exc, "headers", None))
        title = {404: "Not found", 400: "Bad request", 405: "Not allowed"}.get(
            exc.status_code, "Something went wrong")
        return app.state.templates.TemplateResponse(
            request, "error.html", {"title": title, "message": str(exc.detail)},
            status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError):  # type: ignore[no-untyped-def]
        status, message = _validation_message(exc)
        if is_api(request):
            return JSONResponse({"detail": message, "errors": json.loads(
                json.dumps(exc.errors(), default=str))}, status_code=status)
        return app.state.templates.TemplateResponse(
            request, "error.html", {"title": "Bad request", "message": message},
            status_code=status)

    from fastapi import Depends

    guarded = [Depends(csrf_guard)]
    if room is not None:
        from vibrastic.faces.web import accounts, classroom

        app.include_router(accounts.router, dependencies=guarded)
        app.include_router(classroom.router, dependencies=guarded)
        app.add_middleware(SignedInOnly)
    from vibrastic.faces.web import project, qa

    qa.install(app.state.templates)
    app.include_router(project.api, dependencies=guarded)
    app.include_router(project.router, dependencies=guarded)
    app.include_router(qa.router, dependencies=guarded)
    app.include_router(api.router, dependencies=guarded)
    app.include_router(pages.router, dependencies=guarded)
    app.add_middleware(ServerTiming)
    return app


class ServerTiming:
    """Adds ``Server-Timing: app;dur=<ms>`` to every response: the time from the request
    reaching the app to its response starting, which browsers' developer tools (and the load
    benchmark) show beside the round trip, telling the server's own time from queueing."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        begin = time.perf_counter()

        async def timed_send(message: dict) -> None:
            if message["type"] == "http.response.start":
                took = 1000 * (time.perf_counter() - begin)
                message["headers"] = [*message.get("headers", []),
                                      (b"server-timing", f"app;dur={took:.1f}".encode())]
            await send(message)

        await self.app(scope, receive, timed_send)


#: ``vibrastic classroom serve`` hands each of its web processes their settings through this
#: environment variable (JSON of ``WebConfig`` fields): Uvicorn starts every process afresh.
SERVE_SETTINGS = "VIBRASTIC_CLASSROOM_SETTINGS"


def classroom_app() -> FastAPI:
    """The app of one of ``classroom serve``'s web processes, from ``SERVE_SETTINGS``."""
    import sys

    settings = os.environ.get(SERVE_SETTINGS)
    if not settings:
        raise RuntimeError(f"{SERVE_SETTINGS} is not set: start the classroom with `vibrastic "
                           "classroom serve`, which sets it for each web process")
    # Pages mostly wait on the database; a thread whose reply has come should get the
    # interpreter back within half a millisecond, not Python's default 5 ms, or each of a
    # page's queries waits behind whichever page is rendering (the GIL convoy).
    sys.setswitchinterval(0.0005)
    return create_app(WebConfig(**json.loads(settings)))


PUBLIC_PATHS = ("/signin", "/join", "/invite/", "/reset/", "/static/", "/api/health",
                "/pygments.css")
UNSAFE = ("POST", "PUT", "PATCH", "DELETE")


class SignedInOnly:
    """In a classroom every page but sign-in, joining and resets needs a signed-in person: the
    rest get a redirect to sign-in (the API a 401). Plain ASGI: it runs on every request."""

    def __init__(self, app: Any) -> None:
        from vibrastic.faces.web.accounts import person_of

        self.app, self.person_of = app, person_of

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"].startswith(PUBLIC_PATHS):
            await self.app(scope, receive, send)
            return
        from starlette.concurrency import run_in_threadpool

        # the session lookup is a database call: off the event loop, so one slow query does not
        # hold up every other request (and it is kept in the request's state for the route)
        if await run_in_threadpool(self.person_of, Request(scope)) is None:
            path = scope["path"]
            if path.startswith("/api/"):
                refusal: Any = JSONResponse(
                    {"detail": "sign in first: this classroom needs an account"},
                    status_code=401)
            else:
                refusal = RedirectResponse(f"/signin?next={path}", status_code=303)
            await refusal(scope, receive, send)
            return
        await self.app(scope, receive, send)


async def csrf_guard(request: Request) -> None:
    """Every change in a classroom carries the session's CSRF token (form field
    ``csrf_token`` or the ``X-CSRF-Token`` header); the one place it is checked."""
    import hmac

    from fastapi import HTTPException

    if request.app.state.classroom is None or request.method not in UNSAFE or \
            request.url.path.startswith(PUBLIC_PATHS):
        return
    from vibrastic.faces.web.accounts import require_person

    person = require_person(request)
    token = request.headers.get("x-csrf-token", "")
    kind = request.headers.get("content-type", "")
    if not token and kind.startswith(("application/x-www-form-urlencoded",
                                      "multipart/form-data")):
        token = str((await request.form()).get("csrf_token", ""))
    if not hmac.compare_digest(token.encode(), person.csrf.encode()):
        raise HTTPException(403, "this form is out of date or was not sent from this site (CSRF "
                                 "token missing or wrong); reload the page and try again")


def csrf_header_valid(request: Request) -> bool:
    """True when a signed-in person's request carries their ``X-CSRF-Token`` header (which
    another site cannot make a browser send), so a GET may change something safely."""
    import hmac

    from vibrastic.faces.web.accounts import person_of

    person = person_of(request)
    token = request.headers.get("x-csrf-token", "")
    return person is not None and bool(token) and hmac.compare_digest(
        token.encode(), person.csrf.encode())


def learner_of(request: Request) -> Any:
    """Whose course this request is about: the person on this machine, or (in a classroom)
    the signed-in person in their course (the ``course`` cookie picks one of several); one
    learner per request, so what it reads from the database is read once."""
    room = request.app.state.classroom
    if room is None:
        return request.app.state.ctx.local_learner
    cached = getattr(request.state, "learner", None)
    if cached is not None:
        return cached
    from vibrastic.faces.web.accounts import current_course, require_person
    from vibrastic.platform.classroom.learner import ClassroomLearner

    person = require_person(request)
    chosen = current_course(request)
    if chosen is None:
        from fastapi import HTTPException

        raise HTTPException(403, "you are not in a course yet: join one with the code your "
                                 "instructor gave you (/join)")
    learner = ClassroomLearner(room.engine, chosen["id"], person.id, room.grading,
                               chosen["slug"])
    request.state.learner = learner
    return learner


def _classroom(config: WebConfig):  # type: ignore[no-untyped-def]
    """The classroom's shared state: its database, sign-in throttle, grading and live events."""
    from vibrastic.faces.web.accounts import Classroom
    from vibrastic.faces.web.events import EventBus
    from vibrastic.platform.classroom.accounts import LoginThrottle
    from vibrastic.platform.classroom.grading import LocalGrading, QueuedGrading
    from vibrastic.platform.database import connect

    assert config.database_url is not None
    engine = connect(config.database_url)
    events = EventBus()
    if engine.dialect.name == "postgresql":
        grading = QueuedGrading(engine)
    else:
        grading = LocalGrading(engine, workers=config.grading_workers, on_change=events.publish,
                               prestart=config.warm_grading)
    return Classroom(engine=engine, throttle=LoginThrottle(), secure_cookies=config.secure_cookies,
                     grading=grading, events=events)
