"""What the pages and the JSON API both show, built from platform and lab functions.

Every function here looks something up (404 naming the valid names when it is not there), calls
one library function and returns plain data; ``pages`` renders it as HTML, ``api`` as JSON.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict
from typing import Any

from fastapi import HTTPException, Request

from vibrastic.faces.web.app import Context
from vibrastic.platform.course import Lesson, LessonNotFound
from vibrastic.platform.course.challenge import (
    Challenge,
    UnknownChallenge,
    get_challenge,
    load_challenges,
)
from vibrastic.platform.progress.learner import Learner, SolutionLocked, reveal_solution
from vibrastic.platform.progress.report import continue_point

STATUS_NOT_STARTED = "not started"

# ---- look-ups (404 with the valid names) ----


def get_lesson_or_404(ctx: Context, ref: str) -> Lesson:
    try:
        return ctx.course.lesson(ref)
    except LessonNotFound as exc:
        raise HTTPException(404, f"no lesson {ref!r}; expected a number or a name: "
                                 f"{', '.join(exc.valid)}") from None


def get_challenge_or_404(name: str) -> Challenge:
    try:
        return get_challenge(name)
    except UnknownChallenge as exc:
        raise HTTPException(404, str(exc)) from None


def challenges_of(lesson: Lesson) -> list[Challenge]:
    """The lesson's challenges, in its order (one load of the course's challenges)."""
    found = {c.name: c for c in load_challenges()}
    missing = [name for name in lesson.challenges if name not in found]
    if missing:
        raise HTTPException(404, str(UnknownChallenge(missing[0], list(found))))
    return [found[name] for name in lesson.challenges]


def get_lab_or_404(name: str) -> Any:
    from vibrastic.ml.labs import UnknownLabError, get_lab

    try:
        return get_lab(name)
    except UnknownLabError as exc:
        raise HTTPException(404, str(exc)) from None


LOCAL_OWNER = "local"  # who starts every lab run of the one-learner course (no accounts)


def _person_key(request: Request) -> str:
    """Whom a lab run started by this request belongs to: the signed-in person (a classroom),
    else the learner on this machine."""
    if request.app.state.classroom is None:
        return LOCAL_OWNER
    from vibrastic.faces.web.accounts import require_person

    return str(require_person(request).id)


def get_run_or_404(request: Request, run_id: str) -> Any:
    """The lab run ``run_id`` if this request may see it: whoever started it may, and so may the
    TAs and instructors of the classroom course it was started in (as with a learner's code).
    To anyone else it does not exist: the 404 of an unknown id. The one place for this rule;
    every route that takes a run id goes through it (in any web process: the owner is in the
    run's shared file)."""
    from vibrastic.ml.labs.runs import UnknownRun

    ctx: Context = request.app.state.ctx
    try:
        run = ctx.labs.get(run_id)
    except UnknownRun:
        run = None
    if run is None or not _may_see(request, run):
        raise HTTPException(404, f"no lab run {run_id!r} of yours (the server keeps your "
                                 f"latest runs while it runs)")
    return run


def _may_see(request: Request, run: Any) -> bool:
    person = _person_key(request)
    if run.owner == person:
        return True
    room = request.app.state.classroom
    if room is None or run.course is None:
        return False
    from vibrastic.platform.classroom.people import is_staff, role_in

    return is_staff(role_in(room.engine, run.course, int(person)))


# ---- course map and progress ----

def lesson_of_challenge(ctx: Context) -> dict[str, int]:
    return {c: lesson.number for lesson in ctx.course.lessons for c in lesson.challenges}


def course_json(ctx: Context, learner: Learner) -> dict[str, Any]:
    """The course map in order, every challenge with the learner's numbers, and where to go."""
    rows = {r.name: r for r in learner.rows(ctx.course)}
    cont = continue_point(list(rows.values()), ctx.course)
    lessons = []
    for lesson in ctx.course.lessons:
        lessons.append({
            "number": lesson.number, "name": lesson.name, "title": lesson.title,
            "summary": lesson.summary, "url": f"/lessons/{lesson.name}",
            "labs": [{"name": lab, "url": f"/labs/{lab}"} for lab in lesson.labs],
            "challenges": [{
                "name": c, "title": rows[c].title, "status": rows[c].status,
                "best_score": rows[c].best_score, "max_score": rows[c].max_score,
                "attempts": rows[c].attempts, "hints_shown": rows[c].hints_shown,
                "seconds_spent": rows[c].seconds_spent, "url": f"/challenges/{c}"}
                for c in lesson.challenges],
        })
    solved = sum(r.passed for r in rows.values())
    return {"title": ctx.course.title, "description": ctx.course.description,
            "lessons": lessons, "solved": solved, "total": len(rows),
            "continue": {"kind": cont.kind, "name": cont.name, "lesson": cont.lesson,
                         "why": cont.why, "url": continue_url(cont)}}


def continue_url(cont: Any) -> str:
    return f"/{'challenges' if cont.kind == 'challenge' else 'lessons'}/{cont.name}"


# ---- challenges ----

def shown_hints(learner: Learner, info: Challenge) -> list[str]:
    return list(info.hints[:learner.hints_shown(info.name)])


def attempt_history(learner: Learner, info: Challenge,
                    attempts: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Every attempt (``attempts``: the learner's, already read), newest first, with its
    summary line."""
    out = []
    for a in reversed(learner.attempts(info.name) if attempts is None else attempts):
        out.append({"id": a["id"], "created_at": a["created_at"], "status": a["status"],
                    "score": a["score"], "max_score": a["max_score"],
                    "summary": a["result"].get("summary", "")})
    return out


def challenge_json(ctx: Context, learner: Learner, info: Challenge,
                   attempts: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The challenge with the learner's code, status, hints and attempts (``attempts``: the
    learner's, when the caller has read them already)."""
    saved = learner.read_source(info)
    raw = learner.statuses().get(info.name, {})
    try:
        solution: str | None = reveal_solution(learner, info, status=raw.get("status")).code
    except SolutionLocked:
        solution = None
    names = list(ctx.course.challenges)
    index = names.index(info.name) if info.name in names else -1
    return {
        "name": info.name, "title": info.title, "section": info.section,
        "statement": info.statement, "starter": info.starter,
        "source": saved[0] if saved else info.starter,
        "source_sha256": saved[1] if saved else None,
        "file": learner.location(info),
        "saved": saved is not None,
        "status": raw.get("status", STATUS_NOT_STARTED),
        "best_score": raw.get("best_score", 0.0), "max_score": info.max_score,
        "hints_total": len(info.hints), "hints": shown_hints(learner, info),
        "attempts": attempt_history(learner, info, attempts),
        "solution_unlocked": solution is not None, "solution": solution,
        "gave_up": learner.gave_up(info.name),
        "next": names[index + 1] if 0 <= index < len(names) - 1 else None,
        "public_tests": sum(not c.hidden for c in info.cases),
        "hidden_tests": sum(c.hidden for c in info.cases),
    }


def save_source_json(learner: Learner, info: Challenge, text: str, base: str | None,
                     force: bool) -> dict[str, Any]:
    from vibrastic.platform.progress.workspace import SourceConflict

    try:
        saved = learner.save_source(info, text, base, force)
    except SourceConflict as exc:
        raise HTTPException(409, {"message": str(exc), "current": exc.current,
                                  "current_sha256": exc.sha256}) from None
    except OSError as exc:
        raise HTTPException(507, f"could not save {exc.filename}: {exc.strerror}") from None
    return {"saved": True, "path": str(saved.path), "sha256": saved.sha256,
            "backup": str(saved.backup) if saved.backup else None}


def submit_check(learner: Learner, info: Challenge, source: str | None) -> dict[str, Any]:
    """Queue a grading job for ``source`` or the saved file; 409 when there is nothing saved."""
    if source is None:
        saved = learner.read_source(info)
        if saved is None:
            raise HTTPException(409, f"nothing to check: {info.filename} is not saved yet; "
                                     f"send {{\"source\": ...}} or save it first")
        source = saved[0]
    from vibrastic.platform.classroom.grading import CheckTooLarge, TooManyChecks
    from vibrastic.platform.progress.service import QueueFull, SubmissionError

    try:
        job_id = learner.submit(info, source)
    except (SubmissionError, CheckTooLarge) as exc:
        raise HTTPException(413, str(exc)) from None
    except (QueueFull, TooManyChecks) as exc:
        wait = getattr(exc, "retry_after", 5)
        raise HTTPException(429, str(exc), headers={"Retry-After": str(wait)}) from None
    return {"job_id": job_id, "status_url": f"/api/jobs/{job_id}",
            "events_url": f"/api/jobs/{job_id}/events",
            "source_sha256": hashlib.sha256(source.encode("utf-8")).hexdigest()}


def job_json(learner: Learner, job_id: str) -> dict[str, Any]:
    try:
        status = learner.job(job_id)
    except KeyError:
        raise HTTPException(404, f"no grading job {job_id!r}") from None
    result = status.result
    data = {"id": job_id, "state": status.state, "position": status.position,
            "challenge": status.challenge, "error": status.error or None,
            "attempt_id": status.attempt_id,
            "result": result.to_dict() if result is not None else None}
    if result is not None:
        hidden = [t for t in result.tests if t.hidden]
        data["hidden"] = {"run": result.hidden_run, "passed": sum(t.passed for t in hidden),
                          "total": len(hidden)}
    return data


def next_hint_json(learner: Learner, info: Challenge) -> dict[str, Any]:
    if not info.hints:
        return {"number": 0, "total": 0, "text": None, "hints": [],
                "revealed": False, "message": f"{info.name} has no hints"}
    found = learner.next_hint(info)
    number, text = found if found else (len(info.hints), info.hints[-1])
    return {"number": number, "total": len(info.hints), "text": text,
            "hints": shown_hints(learner, info), "all_shown": number == len(info.hints),
            "revealed": found is not None}


def shown_hints_json(learner: Learner, info: Challenge) -> dict[str, Any]:
    """The hints already shown, recording nothing (a classroom GET without the CSRF header)."""
    hints = shown_hints(learner, info)
    return {"number": len(hints), "total": len(info.hints), "text": hints[-1] if hints else None,
            "hints": hints, "all_shown": len(hints) == len(info.hints), "revealed": False,
            "message": f"nothing revealed: to see the next hint, POST /api/challenges/"
                       f"{info.name}/hint (or send this GET with the X-CSRF-Token header)"}


def give_up_json(learner: Learner, info: Challenge) -> dict[str, Any]:
    return {"gave_up": True, "solution": reveal_solution(learner, info, give_up=True).code}


def solution_json(learner: Learner, info: Challenge) -> dict[str, Any]:
    try:
        solution = reveal_solution(learner, info)
    except SolutionLocked as exc:
        raise HTTPException(403, f"{exc}: POST /api/challenges/{info.name}/give-up") from None
    return {"name": info.name, "solution": solution.code}


# ---- labs ----

def lab_json(lab: Any) -> dict[str, Any]:
    from vibrastic.ml.labs.params import lab_params

    params = lab_params(lab)
    return {"name": lab.name, "section": lab.section, "summary": lab.summary,
            "backends": list(lab.backends),
            "parameters": {"type": "object", "additionalProperties": False,
                           "properties": {p.name: p.json_schema() for p in params}}}


def start_lab_run(request: Request, lab: Any, raw: dict[str, Any]) -> Any:
    """Start a run of ``lab`` for whoever sent ``request`` (in the course their pages are
    about, so that its staff may see it too)."""
    from vibrastic.ml.labs.params import LabParamError, parse_params

    try:
        params = parse_params(lab, raw)
    except LabParamError as exc:
        raise HTTPException(422, str(exc)) from None
    course = None
    if request.app.state.classroom is not None:
        from vibrastic.faces.web.accounts import current_course

        chosen = current_course(request)
        course = chosen["id"] if chosen else None
    return request.app.state.ctx.labs.start(lab.name, params, owner=_person_key(request),
                                            course=course)


def run_json(run: Any, *, brief: bool = False) -> dict[str, Any]:
    """A lab run as JSON (``brief``: without its result, for progress events)."""
    data = run.status()
    if brief:
        data.pop("result", None)
    elif run.result is not None:
        from vibrastic.ml.labs.glossary import explain, lab_tables

        data["explanations"] = {k: explain(run.lab, k) for k in run.result["metrics"]}
        data["tables"] = [asdict(t) for t in lab_tables(run.lab, run.result.get("tables", {}))]
        data["figure_urls"] = {n: f"/api/runs/{run.id}/figures/{n}.svg" for n in run.figures}
    return data
