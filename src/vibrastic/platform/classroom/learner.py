"""A learner in a classroom course, behind the same interface as the learner on a laptop
(``vibrastic.platform.progress.learner.Learner``): code saved in the database, checks through
the classroom's grading, hints and give-ups per course, progress from graded checks."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from vibrastic.platform.classroom.hints import next_hint
from vibrastic.platform.classroom.models import ChallengeWork, HintState, Submission
from vibrastic.platform.course import Course
from vibrastic.platform.course.challenge import Challenge, load_challenges
from vibrastic.platform.course.project import Project, Stage
from vibrastic.platform.database import now, reading
from vibrastic.platform.grader.results import GradeResult
from vibrastic.platform.progress.learner import Job
from vibrastic.platform.progress.project import (
    MAX_PACKAGE_FILES,
    MilestoneStatus,
    ProjectError,
    StageStatus,
    check_package_text,
    milestone_statuses,
    package_file,
    prepare_check,
    statuses_from,
)
from vibrastic.platform.progress.report import ChallengeRow
from vibrastic.platform.progress.workspace import Saved, SourceConflict


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class _Snapshot:
    """What one learner's pages read, loaded in one round trip: graded checks (no code or
    results), hints shown, and the per-challenge work rows."""

    checks: list[tuple[str, str | None, float | None, bool, str]]  # challenge, status, score,
    # hidden run, created_at; graded ones only, oldest first
    hints: dict[str, int]
    work: dict[str, tuple[str | None, str | None, str | None, str | None]]  # started_at,
    # gave_up_at, source, source_sha256


class ClassroomLearner:
    """One learner in one course, meant to live for one request: what it reads is kept until it
    writes or sees a verdict come in (a page reads the same rows several times)."""

    def __init__(self, engine: Engine, course_id: int, user_id: int, grading: Any,
                 course_slug: str) -> None:
        self.engine, self.course_id, self.user_id = engine, course_id, user_id
        self.grading, self.course_slug = grading, course_slug
        self._snapshot: _Snapshot | None = None
        self._attempts: dict[str, list[dict[str, Any]]] = {}

    def _changed(self) -> None:
        self._snapshot = None
        self._attempts.clear()

    def _read(self) -> _Snapshot:
        if self._snapshot is None:
            mine = (self.course_id, self.user_id)
            with Session(reading(self.engine)) as session:
                checks = [tuple(row) for row in session.execute(
                    select(Submission.challenge, Submission.status, Submission.score,
                           Submission.hidden_run, Submission.created_at).where(
                        Submission.course_id == mine[0], Submission.user_id == mine[1],
                        Submission.state == "done").order_by(Submission.id))]
                hints = {h.challenge: h.shown for h in session.scalars(select(HintState).where(
                    HintState.course_id == mine[0], HintState.user_id == mine[1]))}
                work = {w.challenge: (w.started_at, w.gave_up_at, w.source, w.source_sha256)
                        for w in session.scalars(select(ChallengeWork).where(
                            ChallengeWork.course_id == mine[0],
                            ChallengeWork.user_id == mine[1]))}
            self._snapshot = _Snapshot(checks, hints, work)  # type: ignore[arg-type]
        return self._snapshot

    def location(self, challenge: Challenge) -> str:
        return f"your account in {self.course_slug} (saved on the course server)"

    def _work(self, session: Session, challenge: str) -> ChallengeWork:
        work = session.get(ChallengeWork, (self.course_id, self.user_id, challenge))
        if work is None:
            work = ChallengeWork(course_id=self.course_id, user_id=self.user_id,
                                 challenge=challenge, started_at=now())
            session.add(work)
        return work

    def statuses(self) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        seen = self._read()
        for name, status, score, hidden_run, _at in seen.checks:
            entry = out.setdefault(name, {"status": "attempted", "best_score": 0.0,
                                          "attempts": 0})
            entry["attempts"] += 1
            entry["best_score"] = max(entry["best_score"], score or 0.0)
            if status == "pass" and hidden_run:
                entry["status"] = "passed"
        for name, shown in seen.hints.items():
            out.setdefault(name, {"status": "not started", "best_score": 0.0,
                                  "attempts": 0})["hints_shown"] = shown
        known = {c.name: c for c in load_challenges()}
        for name, entry in out.items():
            entry.setdefault("hints_shown", 0)
            entry["max_score"] = known[name].max_score if name in known else 0.0
        return out

    def rows(self, course: Course) -> list[ChallengeRow]:
        statuses = self.statuses()
        seen = self._read()
        spans: dict[str, tuple[str, str]] = {}
        for name, _status, _score, _hidden, at in seen.checks:
            first, last = spans.get(name, (at, at))
            spans[name] = (min(first, at), max(last, at))
        starts = {name: w[0] for name, w in seen.work.items()}
        rows = []
        known = {c.name: c for c in load_challenges()}
        for lesson in course.lessons:
            for name in lesson.challenges:
                info = known[name]
                raw = statuses.get(name, {})
                first, last = spans.get(name, (None, None))  # type: ignore[assignment]
                begin = min(t for t in (starts.get(name), first) if t) if (
                    starts.get(name) or first) else None
                spent = None
                if begin and last:
                    spent = max(0.0, (datetime.fromisoformat(last) -
                                      datetime.fromisoformat(begin)).total_seconds())
                activity = [t for t in (last, starts.get(name)) if t]
                rows.append(ChallengeRow(
                    name=name, title=info.title, lesson=lesson.number,
                    status=raw.get("status", "not started"),
                    best_score=float(raw.get("best_score", 0.0)), max_score=info.max_score,
                    attempts=int(raw.get("attempts", 0)),
                    hints_shown=int(raw.get("hints_shown", 0)), hints_total=len(info.hints),
                    seconds_spent=spent, last_activity=max(activity) if activity else None,
                    gave_up=bool(seen.work.get(name, (None, None))[1])))
        return rows

    def attempts(self, challenge: str) -> list[dict[str, Any]]:
        """The learner's graded checks of one challenge or stage, oldest first, with results
        (only pages about that one item need the results, which may be large)."""
        if challenge not in self._attempts:
            with Session(reading(self.engine)) as session:
                self._attempts[challenge] = [
                    {"id": s.id, "challenge": s.challenge, "created_at": s.created_at,
                     "status": s.status, "score": s.score, "max_score": s.max_score,
                     "hidden_run": s.hidden_run,
                     "result": json.loads(s.result_json) if s.result_json else {}}
                    for s in session.scalars(select(Submission).where(
                        Submission.course_id == self.course_id,
                        Submission.user_id == self.user_id, Submission.challenge == challenge,
                        Submission.state == "done").order_by(Submission.id))]
        return [dict(a) for a in self._attempts[challenge]]

    def _graded(self, name: str) -> list[dict[str, Any]]:
        """Status, score and hidden run of each graded check of ``name``, from the snapshot:
        what stage and milestone statuses need, without reading any results."""
        return [{"status": status, "score": score, "hidden_run": hidden}
                for challenge, status, score, hidden, _at in self._read().checks
                if challenge == name]

    def hints_shown(self, challenge: str) -> int:
        return self._read().hints.get(challenge, 0)

    def next_hint(self, challenge: Challenge) -> tuple[int, str] | None:
        self._changed()
        return next_hint(self.engine, self.course_id, self.user_id, challenge.name,
                         challenge.hints)

    def gave_up(self, challenge: str) -> bool:
        work = self._read().work.get(challenge)
        return bool(work and work[1])

    def give_up(self, challenge: str) -> None:
        self._changed()
        with Session(self.engine) as session, session.begin():
            work = self._work(session, challenge)
            work.gave_up_at = work.gave_up_at or now()

    def read_source(self, challenge: Challenge) -> tuple[str, str] | None:
        work = self._read().work.get(challenge.name)
        if work is None or work[2] is None:
            return None
        return work[2], work[3] or _sha(work[2])

    def save_source(self, challenge: Challenge, text: str, base_sha256: str | None,
                    force: bool) -> Saved:
        from pathlib import PurePosixPath

        self._changed()
        with Session(self.engine) as session, session.begin():
            work = self._work(session, challenge.name)
            current = work.source_sha256
            if current is not None and current != base_sha256 and not force:
                raise SourceConflict(PurePosixPath(challenge.filename),  # type: ignore[arg-type]
                                     work.source or "", current)
            work.source, work.source_sha256, work.saved_at = text, _sha(text), now()
            return Saved(path=PurePosixPath(challenge.filename),  # type: ignore[arg-type]
                         sha256=work.source_sha256, backup=None)

    def submit(self, challenge: Challenge, source: str) -> str:
        self._changed()
        return self.grading.submit(self.course_id, self.user_id, challenge.name, source)

    def job(self, job_id: str) -> Job:
        ticket = self.grading.status(job_id)  # KeyError when unknown
        if ticket.user_id is not None and ticket.user_id != self.user_id:
            raise KeyError(job_id)  # another learner's check: not yours to see
        if ticket.submission_id is not None and ticket.user_id is None:
            with Session(reading(self.engine)) as session:
                row = session.get(Submission, ticket.submission_id)
                if row is None or row.user_id != self.user_id:
                    raise KeyError(job_id)  # another learner's check: not yours to see
        if ticket.state in ("done", "error"):
            self._changed()  # a verdict came in since this learner's rows were read
        result = GradeResult.from_dict(ticket.result) if ticket.result else None
        return Job(id=job_id, state=ticket.state, challenge=result.challenge if result else None,
                   position=ticket.position, error=ticket.error,
                   attempt_id=ticket.submission_id, result=result)

    def wait(self, job_id: str, timeout: float | None = None) -> Job:
        waited = getattr(self.grading, "wait", None)
        if waited is not None:
            waited(job_id, timeout)
        return self.job(job_id)

    # ---- the project: each file of the package is a class_work row keyed by its path ----
    def project_files(self, project: Project) -> dict[str, tuple[str, str]]:
        """The learner's package as saved on the course server: path -> (text, sha256)."""
        work = self._read().work
        return {name: (work[name][2] or "", work[name][3] or _sha(work[name][2] or ""))
                for name in sorted(work)
                if name.startswith(project.package + "/") and work[name][2] is not None}

    def save_project_file(self, project: Project, rel: str, text: str,
                          base_sha256: str | None, force: bool) -> Saved:
        from pathlib import PurePosixPath

        package_file(rel, Path("."), project)  # ProjectError: not a file of the package
        check_package_text(rel, text)
        self._changed()
        with Session(self.engine) as session, session.begin():
            work = session.get(ChallengeWork, (self.course_id, self.user_id, rel))
            if (work is None or work.source is None) and (session.scalar(
                    select(func.count()).select_from(ChallengeWork).where(
                        ChallengeWork.course_id == self.course_id,
                        ChallengeWork.user_id == self.user_id,
                        ChallengeWork.challenge.startswith(project.package + "/"),
                        ChallengeWork.source.is_not(None))) or 0) >= MAX_PACKAGE_FILES:
                raise ProjectError(f"your {project.package}/ package already has "
                                   f"{MAX_PACKAGE_FILES} files, the most a package may have; "
                                   "put this code in one of them")
            work = self._work(session, rel)
            current = work.source_sha256
            if current is not None and current not in (base_sha256, _sha(text)) and not force:
                raise SourceConflict(PurePosixPath(rel), work.source or "",  # type: ignore[arg-type]
                                     current)
            work.source, work.source_sha256, work.saved_at = text, _sha(text), now()
            return Saved(path=PurePosixPath(rel), sha256=work.source_sha256,  # type: ignore[arg-type]
                         backup=None)

    def start_stage(self, project: Project, stage: Stage) -> tuple[list[str], list[str]]:
        """Save the stage's starters that are missing; (written, kept)."""
        self._changed()
        written, kept = [], []
        with Session(self.engine) as session, session.begin():
            for rel, data in stage.starter_files.items():
                work = self._work(session, rel)
                if work.source is not None:
                    kept.append(rel)
                    continue
                text = data.decode("utf-8")
                work.source, work.source_sha256, work.saved_at = text, _sha(text), now()
                written.append(rel)
            self._work(session, stage.name)  # when the stage was started
        return written, kept

    def stage_statuses(self, project: Project) -> dict[str, StageStatus]:
        files = self.project_files(project)
        return statuses_from(project, self._graded, lambda rel: rel in files)

    def milestone_statuses(self, project: Project) -> dict[str, MilestoneStatus]:
        return milestone_statuses(project, self.stage_statuses(project), self._graded)

    def submit_project(self, project: Project, name: str,
                       options: dict[str, Any] | None = None) -> str:
        """Queue a stage check or milestone run of the saved package through the classroom's
        grading (its workers on PostgreSQL); the ticket."""
        self._changed()
        files = {rel: text.encode("utf-8") for rel, (text, _) in
                 self.project_files(project).items()}
        _, _, _, payload = prepare_check(name, files, self.stage_statuses(project), options,
                                         project)
        return self.grading.submit(self.course_id, self.user_id, name, payload)
