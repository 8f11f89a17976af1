"""The JSON API under ``/api`` (documented at ``/api/docs``): the pages use it, so can scripts."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from vibrastic.faces.web import views
from vibrastic.faces.web.app import MAX_SOURCE_BYTES, Context

router = APIRouter(prefix="/api", tags=["api"])


def ctx_of(request: Request) -> Context:
    return request.app.state.ctx


def learner_of(request: Request) -> Any:
    from vibrastic.faces.web.app import learner_of as find

    return find(request)


class SourceBody(BaseModel):
    """A challenge source to save: ``base_sha256`` is the hash of the file the editor started
    from (as GET /api/challenges/{name} returned it; null when there was no file). As
    ``text/plain``, the body is the source and an ``If-Match`` header the base hash."""

    source: str = Field(description="the learner's Python code (UTF-8 text)")
    base_sha256: str | None = Field(default=None, description="hash of the file it replaces")
    force: bool = Field(default=False, description="save even when the file changed on disk "
                                                    "(the disk's version is kept as a .bak)")


class CheckBody(BaseModel):
    source: str | None = Field(default=None, description="code to grade; omitted: the saved "
                                                         "file")


def _check_source(text: str) -> str:
    """Refuse text that cannot be saved as UTF-8 or is too large (413/400 naming why)."""
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError as exc:
        raise HTTPException(400, f"source is not valid UTF-8 text: character {exc.start} is an "
                                 f"unpaired surrogate ({text[exc.start]!r})") from None
    if size > MAX_SOURCE_BYTES:
        raise HTTPException(413, f"source is {size} bytes; the limit is {MAX_SOURCE_BYTES} "
                                 f"bytes ({MAX_SOURCE_BYTES // 1024} KiB)")
    return text


async def _body_json(request: Request, model: type[BaseModel], *,
                     text_field: str | None = None, optional: bool = False) -> Any:
    """Parse the request body as ``model``: JSON, or (when ``text_field``) plain UTF-8 text."""
    raw = await request.body()
    if len(raw) > MAX_SOURCE_BYTES * 6 + 4096:  # JSON escapes can grow text up to 6 times
        raise HTTPException(413, f"request body is {len(raw)} bytes; a source may be at most "
                                 f"{MAX_SOURCE_BYTES} bytes")
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if not raw.strip() and optional:
        return model()
    if kind == "text/plain" and text_field:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise HTTPException(400, f"source is not UTF-8 text: byte {raw[exc.start]:#04x} at "
                                     f"position {exc.start} cannot be decoded") from None
        match = request.headers.get("if-match", "").strip().strip('"') or None
        # text/plain (an editor or curl -T): If-Match carries the base hash; without it the
        # text replaces the file, whose previous version is kept as a .bak backup
        return model(**{text_field: text, "base_sha256": match, "force": match is None})
    if kind not in ("application/json", ""):
        raise HTTPException(415, f"unsupported content type {kind!r}; send application/json"
                                 + (" or text/plain" if text_field else ""))
    try:
        data = json.loads(raw)
    except UnicodeDecodeError as exc:
        raise HTTPException(400, f"body is not UTF-8: byte {raw[exc.start]:#04x} at position "
                                 f"{exc.start}") from None
    except json.JSONDecodeError as exc:
        raise HTTPException(400, f"malformed JSON body: {exc.msg} at line {exc.lineno} column "
                                 f"{exc.colno}") from None
    if not isinstance(data, dict):
        raise HTTPException(422, f"the JSON body must be an object, got {type(data).__name__}")
    from pydantic import ValidationError

    try:
        return model(**data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}"
                             for e in exc.errors())
        raise HTTPException(422, f"invalid request: {problems}") from None


SOURCE_DOC = {"requestBody": {"content": {
    "application/json": {"schema": SourceBody.model_json_schema()},
    "text/plain": {"schema": {"type": "string"}}}, "required": True}}
CHECK_DOC = {"requestBody": {"content": {
    "application/json": {"schema": CheckBody.model_json_schema()}}, "required": False}}


@router.get("/course", summary="The course map with the learner's progress")
def course(request: Request) -> dict[str, Any]:
    return views.course_json(ctx_of(request), learner_of(request))


@router.get("/challenges/{name}", summary="A challenge: statement, saved source, hints shown, "
                                          "attempts")
def challenge(request: Request, name: str) -> dict[str, Any]:
    return views.challenge_json(ctx_of(request), learner_of(request),
                                views.get_challenge_or_404(name))


@router.put("/challenges/{name}/source", summary="Save the learner's code to the workspace file",
            openapi_extra=SOURCE_DOC, responses={409: {"description": "the file changed on disk"},
                                                 413: {"description": "source too large"}})
async def put_source(request: Request, name: str) -> Any:
    info = views.get_challenge_or_404(name)
    body = await _body_json(request, SourceBody, text_field="source")
    text = _check_source(body.source)
    return await run_in_threadpool(lambda: views.save_source_json(
        learner_of(request), info, text, body.base_sha256, body.force))


@router.post("/challenges/{name}/check", status_code=202, openapi_extra=CHECK_DOC,
             summary="Grade the saved file (or the given source); returns the job id")
async def check(request: Request, name: str) -> dict[str, Any]:
    info = views.get_challenge_or_404(name)
    body = await _body_json(request, CheckBody, optional=True)
    source = _check_source(body.source) if body.source is not None else None
    # the database and the queue are called in a thread, never on the event loop
    return await run_in_threadpool(lambda: views.submit_check(learner_of(request), info, source))


@router.get("/jobs/{job_id}", summary="A grading job: state, queue position, then the verdict")
def job(request: Request, job_id: str) -> dict[str, Any]:
    return views.job_json(learner_of(request), job_id)


@router.get("/jobs/{job_id}/events", summary="The job's states as Server-Sent Events",
            response_class=StreamingResponse)
async def job_events(request: Request, job_id: str) -> StreamingResponse:
    learner = await run_in_threadpool(learner_of, request)
    await run_in_threadpool(views.job_json, learner, job_id)  # 404 before the stream starts
    room = request.app.state.classroom

    def about_this_job(event: dict[str, Any]) -> bool:
        return job_id in (event.get("ticket"), f"s{event.get('submission')}")

    return _sse(request, lambda: views.job_json(learner, job_id),
                lambda data: data["state"] in ("done", "error"),
                bus=room.events if room is not None else None, relevant=about_this_job)


HINT_GET_DOC = """The next hint, remembered (as `vibrastic hint` in the terminal).

In a classroom a hint counts (the dashboard flags a learner whose hints are exhausted), so a GET
reveals one only when it carries the session's `X-CSRF-Token` header, which another site cannot
make a browser send; without the header nothing is recorded and the reply lists the hints already
shown (`revealed: false`). Pages and new scripts use `POST /api/challenges/{name}/hint`."""


@router.get("/challenges/{name}/hint", summary="The next hint (classroom: with X-CSRF-Token)",
            description=HINT_GET_DOC)
def hint(request: Request, name: str) -> dict[str, Any]:
    from vibrastic.faces.web.app import csrf_header_valid

    info = views.get_challenge_or_404(name)
    if request.app.state.classroom is not None and not csrf_header_valid(request):
        return views.shown_hints_json(learner_of(request), info)
    return views.next_hint_json(learner_of(request), info)


@router.post("/challenges/{name}/hint", summary="Reveal the next hint (recorded)",
             description="The next hint, remembered. In a classroom the request carries the "
                         "session's CSRF token (`X-CSRF-Token`), as every change does.")
def reveal_hint(request: Request, name: str) -> dict[str, Any]:
    return views.next_hint_json(learner_of(request), views.get_challenge_or_404(name))


@router.post("/challenges/{name}/give-up", summary="Give up: recorded, then the solution shows")
def give_up(request: Request, name: str) -> dict[str, Any]:
    return views.give_up_json(learner_of(request), views.get_challenge_or_404(name))


@router.get("/challenges/{name}/solution", summary="The reference solution, once passed or "
                                                   "given up", responses={403: {}})
def solution(request: Request, name: str) -> dict[str, Any]:
    return views.solution_json(learner_of(request), views.get_challenge_or_404(name))


@router.get("/labs/{name}", summary="A lab's parameters (JSON schema) and its description")
def lab(request: Request, name: str) -> dict[str, Any]:
    return views.lab_json(views.get_lab_or_404(name))


@router.post("/labs/{name}/runs", status_code=202, summary="Start a lab run with parameters",
             openapi_extra={"requestBody": {"content": {"application/json": {"schema": {
                 "type": "object", "description": "parameter name -> value; see GET "
                 "/api/labs/{name} for the names, types and ranges"}}}, "required": False}})
async def start_run(request: Request, name: str) -> dict[str, Any]:
    lab_ = views.get_lab_or_404(name)
    raw = await request.body()
    try:
        params = json.loads(raw) if raw.strip() else {}
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise HTTPException(400, f"malformed JSON body: {exc}") from None
    if not isinstance(params, dict):
        raise HTTPException(422, "the JSON body must be an object of parameter values")
    run = views.start_lab_run(request, lab_, params)
    return {"id": run.id, "status_url": f"/api/runs/{run.id}",
            "events_url": f"/api/runs/{run.id}/events", "page_url": f"/labs/{name}/runs/{run.id}"}


@router.get("/runs/{run_id}", summary="A lab run: state, progress, then metrics and figures")
def run_status(request: Request, run_id: str) -> dict[str, Any]:
    return views.run_json(views.get_run_or_404(request, run_id))


@router.post("/runs/{run_id}/cancel", summary="Cancel a lab run")
def cancel_run(request: Request, run_id: str) -> dict[str, Any]:
    views.get_run_or_404(request, run_id)
    return views.run_json(ctx_of(request).labs.cancel(run_id))


@router.get("/runs/{run_id}/events", summary="The run's progress as Server-Sent Events",
            response_class=StreamingResponse)
async def run_events(request: Request, run_id: str) -> StreamingResponse:
    labs = ctx_of(request).labs
    # once (off the event loop: it may ask the database): who may see a run never changes
    await run_in_threadpool(views.get_run_or_404, request, run_id)
    return _sse(request, lambda: views.run_json(labs.get(run_id), brief=True),
                lambda data: data["state"] in ("done", "error", "cancelled"))


@router.get("/runs/{run_id}/figures/{figure}.svg", summary="One figure of a finished run (SVG)",
            response_class=Response)
def run_figure(request: Request, run_id: str, figure: str) -> Response:
    run = views.get_run_or_404(request, run_id)
    if figure not in run.figures:
        raise HTTPException(404, f"run {run_id} has no figure {figure!r}; it has: "
                                 f"{', '.join(run.figures) or 'none yet'}")
    return Response(run.figures[figure], media_type="image/svg+xml",
                    headers={"Cache-Control": "private, max-age=3600"})


def _sse(request: Request, snapshot: Callable[[], dict[str, Any]],
         finished: Callable[[dict[str, Any]], bool], *, bus: Any = None,
         relevant: Callable[[dict[str, Any]], bool] | None = None) -> StreamingResponse:
    """Send ``snapshot()`` whenever it changes, until ``finished`` (then one last event).

    ``snapshot`` runs in a thread (it may read the database). Without ``bus`` it is taken ten
    times a second; with a classroom's event bus, when a ``relevant`` event arrives (and every
    few seconds in case one was missed), so hundreds of waiting learners cost nothing between
    verdicts."""

    async def stream() -> AsyncIterator[str]:
        last = None
        async with bus.subscribe() if bus is not None else contextlib.nullcontext() as queue:
            while True:
                data = await run_in_threadpool(snapshot)
                text = json.dumps(data)
                if text != last:
                    last = text
                    yield f"event: status\ndata: {text}\n\n"
                if finished(data):
                    yield "event: end\ndata: {}\n\n"
                    return
                if await request.is_disconnected():
                    return
                if queue is None:
                    await asyncio.sleep(0.1)
                    continue
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(3):
                        while not (relevant is None or relevant(await queue.get())):
                            pass

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


@router.get("/health", include_in_schema=False)
def health() -> JSONResponse:
    return JSONResponse({"ok": True})
