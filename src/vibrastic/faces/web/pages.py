"""HTML pages: home, lessons, labs, challenges, progress (Jinja2 templates, htmx fragments).

Every page reads without JavaScript; forms post to plain routes that redirect back (303), and
htmx or the page script upgrade them in place when JavaScript runs.
"""

from __future__ import annotations

import time
from functools import cache
from html import escape
from typing import Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from vibrastic.faces.web import views
from vibrastic.faces.web.app import Context
from vibrastic.platform.course.render import FIGURES_PLACEHOLDER, markdown_html, pygments_css

router = APIRouter(include_in_schema=False)
STATUS_CLASS = {"passed": "pass", "attempted": "attempted", "not started": "not-started"}


def ctx_of(request: Request) -> Context:
    return request.app.state.ctx


def learner_of(request: Request) -> Any:
    from vibrastic.faces.web.app import learner_of as find

    return find(request)


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> Response:
    return request.app.state.templates.TemplateResponse(request, template, context,
                                                        status_code=status_code)


@router.get("/", name="home")
def home(request: Request) -> Response:
    data = views.course_json(ctx_of(request), learner_of(request))
    entries = []
    for lesson, entry in zip(ctx_of(request).course.lessons, data["lessons"], strict=True):
        challenges = [dict(c, status_class=STATUS_CLASS.get(c["status"], "not-started"))
                      for c in entry["challenges"]]
        entries.append({"lesson": lesson, "labs": entry["labs"] and lesson.labs,
                        "challenges": challenges})
    cont = data["continue"]
    label = (f"Challenge {cont['name']}" if cont["kind"] == "challenge"
             else f"Lesson {cont['lesson']}: {ctx_of(request).course.lesson(cont['name']).title}")
    return render(request, "home.html", title="Course map", course=ctx_of(request).course,
                  entries=entries, cont=cont, cont_url=cont["url"], cont_label=label,
                  solved=data["solved"], total=data["total"],
                  project=_project_summary(learner_of(request)))


def _project_summary(learner: Any) -> dict[str, Any] | None:
    """Stages passed and the next one, for the course map's last entry."""
    from vibrastic.platform.course.project import load_project

    project = load_project()
    if project is None:
        return None
    stages = learner.stage_statuses(project)
    todo = next((s.stage for s in stages.values() if s.status != "passed"), None)
    return {"passed": sum(s.status == "passed" for s in stages.values()), "total": len(stages),
            "next": todo}


@router.get("/progress", name="progress_page")
def progress_page(request: Request) -> Response:
    from vibrastic.platform.course.project import load_project

    learner = learner_of(request)
    rows = learner.rows(ctx_of(request).course)
    project = load_project()
    stages = list(learner.stage_statuses(project).values()) if project else []
    milestones = list(learner.milestone_statuses(project).values()) if project else []
    return render(request, "progress.html", title="Progress", rows=rows,
                  solved=sum(r.passed for r in rows), total=len(rows), stages=stages,
                  milestones=milestones)


@router.get("/pygments.css", name="pygments_css")
def pygments_stylesheet() -> Response:
    return Response(_pygments_css(), media_type="text/css",
                    headers={"Cache-Control": "public, max-age=3600"})


@cache
def _pygments_css() -> str:
    return pygments_css()


# ---- lessons ----

def _lesson_context(request: Request, ref: str) -> dict[str, Any]:
    ctx = ctx_of(request)
    lesson = views.get_lesson_or_404(ctx, ref)
    page, state = ctx.lessons.page(lesson)
    building = state is not None and state.state in ("queued", "running")
    started = state.started_at if state else None
    return {"lesson": lesson, "page": page, "state": state, "building": building,
            "executed": page.executed, "error": page.error if page.executed else None,
            "seconds": page.seconds,
            "elapsed": int(time.time() - started) if building and started else None}


@router.get("/lessons/{ref}", name="lesson_page")
def lesson_page(request: Request, ref: str) -> Response:
    ctx = ctx_of(request)
    data = _lesson_context(request, ref)
    lesson, page = data["lesson"], data["page"]
    body = page.html.replace(FIGURES_PLACEHOLDER, f"/lessons/{lesson.name}/figures/{page.key}")
    lessons = ctx.course.lessons
    index = lessons.index(lesson)
    challenges = views.challenges_of(lesson)
    return render(request, "lesson.html", title=f"{lesson.number}. {lesson.title}", body=body,
                  prev=lessons[index - 1] if index > 0 else None,
                  next=lessons[index + 1] if index + 1 < len(lessons) else None,
                  challenges=challenges, **data)


@router.get("/lessons/{ref}/status", name="lesson_status")
def lesson_status(request: Request, ref: str) -> Response:
    """The status box; when the lesson's outputs are ready, htmx reloads the page."""
    data = _lesson_context(request, ref)
    response = render(request, "lesson_status.html", **data)
    if not data["building"]:
        response.headers["HX-Refresh"] = "true"
    return response


@router.post("/lessons/{ref}/run", name="lesson_run_again")
def lesson_run_again(request: Request, ref: str) -> Response:
    ctx = ctx_of(request)
    lesson = views.get_lesson_or_404(ctx, ref)
    ctx.lessons.schedule(lesson, again=True)
    return RedirectResponse(f"/lessons/{lesson.name}", status_code=303)


@router.get("/lessons/{ref}/figures/{key}/{name}", name="lesson_figure")
def lesson_figure(request: Request, ref: str, key: str, name: str) -> Response:
    ctx = ctx_of(request)
    views.get_lesson_or_404(ctx, ref)
    path = ctx.lessons.cache.figure(key, name)
    if path is None:
        raise HTTPException(404, f"no figure {name!r} in this lesson's cached run {key!r}")
    media = "image/svg+xml" if name.endswith(".svg") else "image/png"
    return FileResponse(path, media_type=media,
                        headers={"Cache-Control": "public, max-age=31536000, immutable"})


@router.get("/lessons/{ref}/notebook", name="lesson_notebook")
def lesson_notebook(request: Request, ref: str) -> Response:
    """The lesson as a Jupyter notebook whose first cell installs vibrastic from this server."""
    import nbformat

    from vibrastic.platform.course.export import build_notebook

    ctx = ctx_of(request)
    lesson = views.get_lesson_or_404(ctx, ref)
    nb = build_notebook(lesson, ctx.course, install_spec=wheel_url(request))
    filename = f"{lesson.number:02d}-{lesson.name}.ipynb"
    return Response(nbformat.writes(nb), media_type="application/x-ipynb+json",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def wheel_url(request: Request) -> str:
    from vibrastic.platform.course.wheel import wheel_name

    base = ctx_of(request).config.public_url or str(request.base_url).rstrip("/")
    return f"{base}/download/{wheel_name()}"


@router.get("/download/vibrastic.whl", name="wheel_download")
def wheel_redirect(request: Request) -> Response:
    from vibrastic.platform.course.wheel import wheel_name

    return RedirectResponse(f"/download/{wheel_name()}", status_code=307)


@router.get("/download/{filename}", name="wheel_file")
def wheel_file(request: Request, filename: str) -> Response:
    from vibrastic.platform.course.wheel import build_wheel, wheel_name

    if filename != wheel_name():
        raise HTTPException(404, f"no download {filename!r}; the wheel is {wheel_name()}")
    path = build_wheel(ctx_of(request).cache_dir / "wheel")
    return FileResponse(path, media_type="application/octet-stream", filename=path.name)


# ---- labs ----

@router.get("/labs/{name}", name="lab_page")
def lab_page(request: Request, name: str) -> Response:
    from vibrastic.ml.labs.params import lab_params

    lab = views.get_lab_or_404(name)
    lessons = [lesson for lesson in ctx_of(request).course.lessons if name in lesson.labs]
    return render(request, "lab.html", title=f"Lab: {name}", lab=lab, params=lab_params(lab),
                  values={}, lesson=lessons[0] if lessons else None, error=None, run=None)


@router.post("/labs/{name}", name="lab_run_form")
async def lab_run_form(request: Request, name: str) -> Response:
    """The form without JavaScript: start the run, then show its page (it refreshes itself)."""
    from vibrastic.ml.labs.params import lab_params

    lab = views.get_lab_or_404(name)
    form = await request.form()
    values = {k: str(v) for k, v in form.items()}
    try:
        run = views.start_lab_run(request, lab, values)
    except HTTPException as exc:
        return render(request, "lab.html", status_code=exc.status_code, title=f"Lab: {name}",
                      lab=lab, params=lab_params(lab), values=values, lesson=None,
                      error=exc.detail, run=None)
    return RedirectResponse(f"/labs/{name}/runs/{run.id}", status_code=303)


@router.get("/labs/{name}/runs/{run_id}", name="lab_run_page")
def lab_run_page(request: Request, name: str, run_id: str) -> Response:
    from vibrastic.ml.labs.params import lab_params

    lab = views.get_lab_or_404(name)
    run = views.get_run_or_404(request, run_id)
    data = views.run_json(run)
    values = {k: ", ".join(f"{x:g}" for x in v) if isinstance(v, list | tuple) else str(v)
              for k, v in run.params.items()}
    if request.headers.get("HX-Request") or request.query_params.get("fragment"):
        return render(request, "lab_result.html", lab=lab, run=run, data=data)
    return render(request, "lab.html", title=f"Lab: {name}", lab=lab, params=lab_params(lab),
                  values=values, lesson=None, error=None, run=run, data=data)


@router.post("/labs/{name}/runs/{run_id}/cancel", name="lab_run_cancel")
def lab_run_cancel(request: Request, name: str, run_id: str) -> Response:
    views.get_run_or_404(request, run_id)
    ctx_of(request).labs.cancel(run_id)
    return RedirectResponse(f"/labs/{name}/runs/{run_id}", status_code=303)


# ---- challenges ----

@router.get("/challenges/{name}", name="challenge_page")
def challenge_page(request: Request, name: str) -> Response:
    ctx = ctx_of(request)
    info = views.get_challenge_or_404(name)
    learner = learner_of(request)
    attempts = learner.attempts(name)
    data = views.challenge_json(ctx, learner, info, attempts)
    lesson_no = views.lesson_of_challenge(ctx).get(name)
    last = attempts[-1]["result"] if attempts else None
    return render(request, "challenge.html", title=f"Challenge: {info.title}", info=info,
                  data=data, statement=markdown_html(info.statement),
                  lesson=ctx.course.lesson(lesson_no) if lesson_no else None,
                  last=last, message=request.query_params.get("message"))


@router.post("/challenges/{name}/save", name="challenge_save_form")
def challenge_save_form(request: Request, name: str, source: str = Form(...),
                        base_sha256: str = Form(""), action: str = Form("save")) -> Response:
    """The editor's form without JavaScript: save (and check, waiting for the verdict)."""
    from vibrastic.faces.web.api import _check_source

    learner = learner_of(request)
    info = views.get_challenge_or_404(name)
    text = _check_source(source.replace("\r\n", "\n"))
    views.save_source_json(learner, info, text, base_sha256 or None, force=True)
    message = "Saved."
    if action == "check":
        job = views.submit_check(learner, info, None)
        learner.wait(job["job_id"], 120)
        message = "Saved and checked."
    return RedirectResponse(f"/challenges/{name}?message={message}", status_code=303)


@router.post("/challenges/{name}/hint", name="challenge_hint")
def challenge_hint(request: Request, name: str) -> Response:
    info = views.get_challenge_or_404(name)
    data = views.next_hint_json(learner_of(request), info)
    if request.headers.get("HX-Request"):
        return render(request, "hints.html", info=info, hints=data["hints"],
                      total=data["total"])
    return RedirectResponse(f"/challenges/{name}#hints-h", status_code=303)


@router.post("/challenges/{name}/give-up", name="challenge_give_up")
def challenge_give_up(request: Request, name: str) -> Response:
    views.give_up_json(learner_of(request), views.get_challenge_or_404(name))
    return RedirectResponse(f"/challenges/{name}#solution-h", status_code=303)


@router.get("/challenges/{name}/attempts", name="challenge_attempts")
def challenge_attempts(request: Request, name: str) -> Response:
    info = views.get_challenge_or_404(name)
    return render(request, "attempts.html",
                  attempts=views.attempt_history(learner_of(request), info))


@router.get("/challenges/{name}/results/{job_id}", name="challenge_results")
def challenge_results(request: Request, name: str, job_id: str) -> Response:
    """The verdict of one grading job as the page's results fragment."""
    views.get_challenge_or_404(name)
    job = views.job_json(learner_of(request), job_id)
    if job["result"] is None:
        message = job.get("error") or f"the job is {job['state']}"
        return HTMLResponse(f'<p class="bad" role="alert">No verdict: {escape(message)}</p>')
    return render(request, "results.html", last=job["result"])


@router.get("/challenges/{name}/side", name="challenge_side")
def challenge_side(request: Request, name: str) -> Response:
    """The parts of the challenge page that change after a check (status, solution, attempts)."""
    return challenge_page(request, name)
