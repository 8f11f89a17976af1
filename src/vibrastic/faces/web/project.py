"""The project pages ("Let's build our own") and their JSON API, for one learner or a classroom.

Thin: look the stage or milestone up (404 naming the valid ones), call the learner's project
methods (``vibrastic.platform.progress.learner.Learner``: the workspace's ``mygrad/`` on a
laptop, saved files on a classroom server) and render. Checks and milestone runs go through the
grading service (a classroom's queue and workers) and are followed with the job routes of the
API (``/api/jobs/{id}`` and its events), as challenge checks are.
"""

from __future__ import annotations

from html import escape
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from vibrastic.faces.web import views
from vibrastic.faces.web.api import SOURCE_DOC, SourceBody, _body_json, _check_source
from vibrastic.platform.course.project import Milestone, Project, Stage, UnknownStage
from vibrastic.platform.course.render import markdown_html

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/project", tags=["project"])


# ---- look-ups ----

def learner_of(request: Request) -> Any:
    from vibrastic.faces.web.app import learner_of as find

    return find(request)


def project_or_404() -> Project:
    from vibrastic.platform.course.project import load_project

    project = load_project()
    if project is None:
        raise HTTPException(404, "this course has no project")
    return project


def stage_or_404(project: Project, ref: str) -> Stage:
    try:
        return project.stage(ref)
    except UnknownStage as exc:
        raise HTTPException(404, str(exc)) from None


def milestone_or_404(project: Project, name: str) -> Milestone:
    try:
        return project.milestone(name)
    except UnknownStage as exc:
        raise HTTPException(404, str(exc)) from None


def _project_error(exc: Exception) -> HTTPException:
    """A ProjectError as the right 4xx: a path outside the package 400, too large 413, not
    UTF-8 400, anything else (no package yet, stages not passed) 409."""
    from vibrastic.platform.progress.project import BadPackageText, FileTooLarge, NotInPackage

    if isinstance(exc, NotInPackage | BadPackageText):
        return HTTPException(400, str(exc))
    if isinstance(exc, FileTooLarge):
        return HTTPException(413, str(exc))
    return HTTPException(409, str(exc))


# ---- what the pages and the API show ----

def overview_json(project: Project, learner: Any) -> dict[str, Any]:
    """Stages in course order with the learner's status, then the milestones."""
    stages = learner.stage_statuses(project)
    milestones = learner.milestone_statuses(project)
    todo = next((s for s in stages.values() if s.status != "passed"), None)
    return {
        "title": project.title, "package": project.package,
        "stages": [{"number": s.stage.number, "slug": s.stage.slug, "title": s.stage.title,
                    "section": s.stage.section, "status": s.status,
                    "best_score": s.best_score, "max_score": s.max_score,
                    "attempts": s.attempts, "files": list(s.stage.files),
                    "url": f"/project/stages/{s.stage.slug}"} for s in stages.values()],
        "milestones": [{"slug": m.milestone.slug, "title": m.milestone.title,
                        "requires": m.milestone.requires, "available": m.available,
                        "status": m.status, "runs": m.runs,
                        "url": f"/project/milestones/{m.milestone.slug}"}
                       for m in milestones.values()],
        "passed": sum(s.status == "passed" for s in stages.values()),
        "next": todo.stage.slug if todo else None,
    }


def files_json(project: Project, learner: Any) -> dict[str, Any]:
    from vibrastic.platform.progress.project import ProjectError

    try:
        files = learner.project_files(project)
    except ProjectError as exc:
        raise _project_error(exc) from None
    return {rel: {"source": text, "sha256": sha} for rel, (text, sha) in files.items()}


def stage_json(project: Project, learner: Any, stage: Stage) -> dict[str, Any]:
    from vibrastic.platform.progress.project import earlier_stages_warning, unpassed_before

    statuses = learner.stage_statuses(project)
    status = statuses[stage.slug]
    unpassed = unpassed_before(stage, statuses, project)
    shown = learner.hints_shown(stage.name)
    return {
        "number": stage.number, "slug": stage.slug, "name": stage.name, "title": stage.title,
        "section": stage.section, "statement": stage.statement, "files": list(stage.files),
        "status": status.status, "unpassed_before": unpassed,
        "warning": earlier_stages_warning(unpassed), "best_score": status.best_score,
        "max_score": status.max_score, "hints_total": len(stage.hints),
        "hints": list(stage.hints[:shown]),
        "public_tests": sum(not c.hidden for c in stage.cases),
        "hidden_tests": sum(c.hidden for c in stage.cases),
        "attempts": _attempts(learner, stage.name),
        "package": files_json(project, learner),
    }


def _attempts(learner: Any, name: str) -> list[dict[str, Any]]:
    return [{"id": a["id"], "created_at": a["created_at"], "status": a["status"],
             "score": a["score"], "max_score": a["max_score"],
             "summary": a["result"].get("summary", "")} for a in reversed(learner.attempts(name))]


def submit(learner: Any, project: Project, name: str,
           options: dict[str, Any] | None = None) -> dict[str, Any]:
    """Queue a stage check or milestone run; 409/413/429 naming why it was not queued."""
    from vibrastic.platform.classroom.grading import CheckTooLarge, TooManyChecks
    from vibrastic.platform.progress.project import ProjectError
    from vibrastic.platform.progress.service import QueueFull, SubmissionError

    try:
        job_id = learner.submit_project(project, name, options)
    except ProjectError as exc:
        raise _project_error(exc) from None
    except (SubmissionError, CheckTooLarge) as exc:
        raise HTTPException(413, str(exc)) from None
    except (QueueFull, TooManyChecks) as exc:
        raise HTTPException(429, str(exc), headers={"Retry-After": "5"}) from None
    return {"job_id": job_id, "status_url": f"/api/jobs/{job_id}",
            "events_url": f"/api/jobs/{job_id}/events",
            "results_url": f"/project/results/{job_id}"}


def save_file(project: Project, learner: Any, rel: str, text: str, base: str | None,
              force: bool) -> dict[str, Any]:
    from vibrastic.platform.progress.project import ProjectError, check_package_text, package_file
    from vibrastic.platform.progress.workspace import SourceConflict

    try:
        package_file(rel, None, project)
        check_package_text(rel, text)
        saved = learner.save_project_file(project, rel, text, base, force)
    except ProjectError as exc:
        raise _project_error(exc) from None
    except SourceConflict as exc:
        raise HTTPException(409, {"message": str(exc), "current": exc.current,
                                  "current_sha256": exc.sha256}) from None
    except OSError as exc:
        raise HTTPException(507, f"could not save {exc.filename}: {exc.strerror}") from None
    return {"saved": True, "path": str(saved.path), "sha256": saved.sha256,
            "backup": str(saved.backup) if saved.backup else None}


def start_json(project: Project, learner: Any, stage: Stage) -> dict[str, Any]:
    written, kept = learner.start_stage(project, stage)
    return {"stage": stage.slug, "written": written, "kept": kept}


def hint_json(learner: Any, stage: Stage) -> dict[str, Any]:
    if not stage.hints:
        return {"number": 0, "total": 0, "text": None, "hints": [],
                "message": f"stage {stage.slug} has no hints"}
    found = learner.next_hint(stage)
    number, text = found if found else (len(stage.hints), stage.hints[-1])
    return {"number": number, "total": len(stage.hints), "text": text,
            "hints": list(stage.hints[:learner.hints_shown(stage.name)]),
            "all_shown": number == len(stage.hints)}


def milestone_runs(learner: Any, milestone: Milestone) -> list[dict[str, Any]]:
    """The learner's runs of a milestone, newest first, each with its table and figure URLs."""
    out = []
    for a in reversed(learner.attempts(milestone.name)):
        extra = a["result"].get("extra") or {}
        out.append({"id": a["id"], "created_at": a["created_at"], "status": a["status"],
                    "score": a["score"], "max_score": a["max_score"],
                    "summary": a["result"].get("summary", ""), "rows": extra.get("rows", []),
                    "options": extra.get("options", {}),
                    "figures": {name: f"/project/milestones/{milestone.slug}/runs/{a['id']}/"
                                      f"{name}.svg" for name in extra.get("figures", {})}})
    return out


def milestone_json(project: Project, learner: Any, milestone: Milestone) -> dict[str, Any]:
    status = learner.milestone_statuses(project)[milestone.slug]
    from vibrastic.platform.progress.project import missing_stages

    return {"slug": milestone.slug, "title": milestone.title, "statement": milestone.statement,
            "requires": milestone.requires, "available": status.available,
            "missing": missing_stages(milestone, learner.stage_statuses(project), project),
            "status": status.status, "options": milestone.options,
            "runs": milestone_runs(learner, milestone)}


def _options(raw: dict[str, Any], milestone: Milestone) -> dict[str, Any]:
    from vibrastic.platform.progress.milestones import options_for

    try:
        options_for(milestone, raw)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    return raw


# ---- pages ----

def render(request: Request, template: str, status_code: int = 200, **context: Any) -> Response:
    return request.app.state.templates.TemplateResponse(request, template, context,
                                                        status_code=status_code)


@router.get("/project", name="project_page")
def project_page(request: Request) -> Response:
    project = project_or_404()
    data = overview_json(project, learner_of(request))
    return render(request, "project.html", title=project.title, project=project, data=data)


@router.get("/project/stages/{ref}", name="stage_page")
def stage_page(request: Request, ref: str) -> Response:
    project = project_or_404()
    stage = stage_or_404(project, ref)
    learner = learner_of(request)
    data = stage_json(project, learner, stage)
    package = data["package"]
    wanted = request.query_params.get("file") or next(
        (f for f in stage.files if f in package), stage.files[0])
    if wanted not in package and wanted not in stage.files:
        raise HTTPException(404, f"no file {wanted!r} in your {project.package}/ package; it "
                                 f"has: {', '.join(package) or 'nothing yet'}")
    tree = sorted(set(package) | set(stage.files))
    last = None
    tries = learner.attempts(stage.name)
    if tries:
        last = tries[-1]["result"]
    stages = project.stages
    return render(request, "stage.html", title=f"Stage {stage.number}: {stage.title}",
                  project=project, stage=stage, data=data, tree=tree, current=wanted,
                  source=package.get(wanted, {}).get("source"),
                  sha=package.get(wanted, {}).get("sha256"),
                  statement=markdown_html(stage.statement), last=last,
                  prev=stages[stage.number - 1] if stage.number > 0 else None,
                  next=stages[stage.number + 1] if stage.number + 1 < len(stages) else None,
                  unlocks=[m for m in project.milestones if m.requires == stage.slug],
                  message=request.query_params.get("message"))


def _back(stage: Stage, rel: str | None, message: str) -> RedirectResponse:
    where = f"/project/stages/{stage.slug}?" + (f"file={quote(rel)}&" if rel else "")
    return RedirectResponse(where + f"message={quote(message)}", status_code=303)


@router.post("/project/stages/{ref}/start", name="stage_start")
def stage_start_form(request: Request, ref: str) -> Response:
    project = project_or_404()
    stage = stage_or_404(project, ref)
    done = start_json(project, learner_of(request), stage)
    message = (f"Started: wrote {', '.join(done['written'])}." if done["written"] else
               "Already started: your files were kept as they are.")
    return _back(stage, None, message)


@router.post("/project/stages/{ref}/save", name="stage_save_form")
def stage_save_form(request: Request, ref: str, path: str = Form(...), source: str = Form(...),
                    base_sha256: str = Form(""), action: str = Form("save")) -> Response:
    """The editor's form without JavaScript: save the file (and check, waiting)."""
    project = project_or_404()
    stage = stage_or_404(project, ref)
    learner = learner_of(request)
    text = _check_source(source.replace("\r\n", "\n"))
    save_file(project, learner, path, text, base_sha256 or None, force=True)
    message = "Saved."
    if action == "check":
        job = submit(learner, project, stage.name)
        learner.wait(job["job_id"], 300)
        message = "Saved and checked."
    return _back(stage, path, message)


@router.post("/project/stages/{ref}/hint", name="stage_hint")
def stage_hint(request: Request, ref: str) -> Response:
    project = project_or_404()
    stage = stage_or_404(project, ref)
    data = hint_json(learner_of(request), stage)
    if request.headers.get("HX-Request"):
        return render(request, "hints.html", hints=data["hints"], total=data["total"])
    return RedirectResponse(f"/project/stages/{stage.slug}#hints-h", status_code=303)


@router.get("/project/stages/{ref}/side", name="stage_side")
def stage_side(request: Request, ref: str) -> Response:
    """The parts of the stage page that change after a check (status, attempts)."""
    return stage_page(request, ref)


@router.get("/project/results/{job_id}", name="project_results")
def project_results(request: Request, job_id: str) -> Response:
    """The verdict of one stage check (or milestone run) as the page's results fragment."""
    job = views.job_json(learner_of(request), job_id)
    if job["result"] is None:
        message = job.get("error") or f"the job is {job['state']}"
        return HTMLResponse(f'<p class="bad" role="alert">No verdict: {escape(message)}</p>')
    return render(request, "results.html", last=job["result"])


@router.get("/project/milestones/{name}", name="milestone_page")
def milestone_page(request: Request, name: str) -> Response:
    project = project_or_404()
    milestone = milestone_or_404(project, name)
    data = milestone_json(project, learner_of(request), milestone)
    return render(request, "milestone.html", title=f"Milestone: {milestone.title}",
                  project=project, milestone=milestone, data=data,
                  statement=markdown_html(milestone.statement),
                  message=request.query_params.get("message"))


@router.post("/project/milestones/{name}/run", name="milestone_run_form")
async def milestone_run_form(request: Request, name: str) -> Response:
    """The run form without JavaScript: queue the run, wait for it, show the page."""
    import asyncio

    project = project_or_404()
    milestone = milestone_or_404(project, name)
    form = await request.form()
    raw = {k: str(v) for k, v in form.items() if k in milestone.options and str(v).strip()}
    learner = learner_of(request)
    job = submit(learner, project, milestone.name, _options(raw, milestone))
    done = await asyncio.to_thread(learner.wait, job["job_id"], milestone.time_limit + 120)
    message = "Run finished." if done.result is not None else f"No result: {done.error}"
    return RedirectResponse(f"/project/milestones/{milestone.slug}?message={quote(message)}",
                            status_code=303)


@router.get("/project/milestones/{name}/runs/{run_id}/{figure}.svg", name="milestone_figure")
def milestone_figure(request: Request, name: str, run_id: int, figure: str) -> Response:
    project = project_or_404()
    milestone = milestone_or_404(project, name)
    for a in learner_of(request).attempts(milestone.name):
        if a["id"] == run_id:
            figures = (a["result"].get("extra") or {}).get("figures", {})
            if figure not in figures:
                raise HTTPException(404, f"run {run_id} has no figure {figure!r}; it has: "
                                         f"{', '.join(figures) or 'none'}")
            return Response(figures[figure], media_type="image/svg+xml",
                            headers={"Cache-Control": "private, max-age=3600",
                                     "Content-Security-Policy": "default-src 'none'; "
                                     "style-src 'unsafe-inline'; img-src data:"})
    raise HTTPException(404, f"no run {run_id} of milestone {milestone.slug}")


# ---- JSON API ----

class MilestoneBody(BaseModel):
    options: dict[str, float] = Field(default_factory=dict, description="option name -> value "
                                      "(see GET /api/project/milestones/{name})")


@api.get("", summary="The project: stages in course order with your status, milestones")
def api_project(request: Request) -> dict[str, Any]:
    return overview_json(project_or_404(), learner_of(request))


@api.get("/files", summary="Your package: every file's source and sha256")
def api_files(request: Request) -> dict[str, Any]:
    return files_json(project_or_404(), learner_of(request))


@api.put("/files/{path:path}", summary="Save one file of your package (mygrad/…)",
         openapi_extra=SOURCE_DOC, responses={400: {"description": "not a file of mygrad/"},
                                              409: {"description": "the file changed"},
                                              413: {"description": "file too large"}})
async def api_save_file(request: Request, path: str) -> dict[str, Any]:
    project = project_or_404()
    body = await _body_json(request, SourceBody, text_field="source")
    text = _check_source(body.source)
    return save_file(project, learner_of(request), path, text, body.base_sha256, body.force)


@api.get("/stages/{ref}", summary="A stage: statement, files, status, hints shown, attempts")
def api_stage(request: Request, ref: str) -> dict[str, Any]:
    project = project_or_404()
    return stage_json(project, learner_of(request), stage_or_404(project, ref))


@api.post("/stages/{ref}/start", summary="Add the stage's starter files (never overwrites)")
def api_start(request: Request, ref: str) -> dict[str, Any]:
    project = project_or_404()
    return start_json(project, learner_of(request), stage_or_404(project, ref))


@api.post("/stages/{ref}/check", status_code=202,
          summary="Grade your saved package against the stage; returns the job id")
def api_check(request: Request, ref: str) -> dict[str, Any]:
    project = project_or_404()
    stage = stage_or_404(project, ref)
    return submit(learner_of(request), project, stage.name)


@api.post("/stages/{ref}/hint", summary="Reveal the stage's next hint (recorded; the hints "
          "already shown are in GET /api/project/stages/{ref})")
def api_hint(request: Request, ref: str) -> dict[str, Any]:
    project = project_or_404()
    return hint_json(learner_of(request), stage_or_404(project, ref))


@api.get("/milestones/{name}", summary="A milestone: whether it may run, your runs")
def api_milestone(request: Request, name: str) -> dict[str, Any]:
    project = project_or_404()
    return milestone_json(project, learner_of(request), milestone_or_404(project, name))


@api.post("/milestones/{name}/run", status_code=202,
          summary="Run the milestone on your engine (next to vibrastic and PyTorch)",
          openapi_extra={"requestBody": {"content": {"application/json": {
              "schema": MilestoneBody.model_json_schema()}}, "required": False}})
async def api_run(request: Request, name: str) -> dict[str, Any]:
    project = project_or_404()
    milestone = milestone_or_404(project, name)
    body = await _body_json(request, MilestoneBody, optional=True)
    return submit(learner_of(request), project, milestone.name,
                  _options(dict(body.options), milestone))
