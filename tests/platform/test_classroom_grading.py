"""Classroom grading: local (SQLite, in-process service) and queued (PostgreSQL, procrastinate,
separate worker processes); verdicts land in the database, grader failures never count."""

import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from rooms import Room
from sqlalchemy.orm import Session

from databases import new_postgres_database
from vibrastic.platform.classroom import grading
from vibrastic.platform.classroom.grading import CheckRefused, LocalGrading, QueuedGrading
from vibrastic.platform.course.challenge import UnknownChallenge
from vibrastic.platform.database import connect
from vibrastic.platform.grader.grade import Grader, GraderError

SIGMA_OK = "def sigma(n):\n    return sum(i * i for i in range(1, n + 1))\n"
SIGMA_WRONG = "def sigma(n):\n    return sum(i * i for i in range(n))\n"


@pytest.fixture
def sqlite_room(tmp_path: Path, cheap_passwords: None) -> Room:
    return Room(connect(f"sqlite:///{tmp_path / 'room.db'}"))


@pytest.fixture
def pg_room(postgres: dict[str, str], cheap_passwords: None) -> Room:
    return Room(connect(new_postgres_database(postgres)))


@pytest.fixture
def local(sqlite_room: Room) -> Iterator[LocalGrading]:
    events: list[dict] = []
    service = LocalGrading(sqlite_room.engine, workers=1, on_change=events.append)
    service.events = events  # type: ignore[attr-defined]
    try:
        yield service
    finally:
        service.close()


def test_local_grading_writes_verdicts_to_the_classroom(sqlite_room: Room,
                                                        local: LocalGrading) -> None:
    ada, bob = sqlite_room.v["ada"].user_id, sqlite_room.v["bob"].user_id
    good = local.submit(sqlite_room.course, ada, "sigma", SIGMA_OK)
    bad = local.submit(sqlite_room.course, bob, "sigma", SIGMA_WRONG)
    done_good, done_bad = local.wait(good, 120), local.wait(bad, 120)
    assert done_good.state == "done" and done_good.result["status"] == "pass"
    assert done_bad.state == "done" and done_bad.result["status"] == "fail"
    assert done_good.submission_id != done_bad.submission_id
    states = [(e["user"], e["state"]) for e in local.events]  # type: ignore[attr-defined]
    assert (ada, "queued") in states and (ada, "done") in states


def test_checks_are_refused_with_reasons(sqlite_room: Room, local: LocalGrading) -> None:
    ada = sqlite_room.v["ada"].user_id
    with pytest.raises(UnknownChallenge, match="no challenge named 'nope'"):
        local.submit(sqlite_room.course, ada, "nope", SIGMA_OK)
    with pytest.raises(CheckRefused, match="checks accept up to 1 MiB"):
        local.submit(sqlite_room.course, ada, "sigma", "x" * (2 << 20))


def test_the_check_rate_is_limited_per_learner(sqlite_room: Room,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(grading, "CHECKS_PER_WINDOW", 2)
    service = LocalGrading(sqlite_room.engine, workers=1)
    try:
        ada, bob = sqlite_room.v["ada"].user_id, sqlite_room.v["bob"].user_id
        for _ in range(2):
            service.wait(service.submit(sqlite_room.course, ada, "sigma", SIGMA_WRONG), 120)
        with pytest.raises(CheckRefused, match="checked 2 times in the last minute; you can "
                                               r"check again in \d+ s") as refused:
            service.submit(sqlite_room.course, ada, "sigma", SIGMA_OK)
        assert 1 <= refused.value.retry_after <= 60  # type: ignore[attr-defined]
        service.wait(service.submit(sqlite_room.course, bob, "sigma", SIGMA_OK), 120)
    finally:
        service.close()


class BrokenGrader:
    def grade(self, *args: object, **kwargs: object) -> None:
        raise GraderError("sandbox could not start")

    def close(self) -> None:
        pass


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every sandbox template any grader starts, in order (to see which checks were warm)."""
    templates: list[object] = []
    new_template = Grader._new_template

    def counted(self: Grader, preload: tuple[str, ...]) -> object:
        templates.append(new_template(self, preload))
        return templates[-1]

    monkeypatch.setattr(Grader, "_new_template", counted)
    return templates


def test_a_sqlite_classroom_warms_its_sandbox_before_the_first_check(
        sqlite_room: Room, started: list[object]) -> None:
    """With ``prestart`` (what `vibrastic classroom serve` asks for) the worker thread starts its
    template at once, in the background; the first check is graded in it (no new template)."""
    service = LocalGrading(sqlite_room.engine, workers=1, prestart=True)
    try:
        assert service._service.wait_warm(timeout=600)
        assert len(started) == 1 and started[0].alive  # up before anyone checked
        ticket = service.submit(sqlite_room.course, sqlite_room.v["ada"].user_id, "sigma",
                                SIGMA_OK)
        done = service.wait(ticket, 120)
    finally:
        service.close()
    assert done.state == "done" and done.result["status"] == "pass"
    assert len(started) == 1  # graded in the warm template


def test_a_grader_failure_is_an_error_not_an_attempt(sqlite_room: Room) -> None:
    service = LocalGrading(sqlite_room.engine, workers=1, grader_factory=BrokenGrader)
    try:
        ticket = service.submit(sqlite_room.course, sqlite_room.v["ada"].user_id, "sigma",
                                SIGMA_OK)
        status = service.wait(ticket, 60)
        assert status.state == "error" and "not counted as an attempt" in status.error
        assert status.submission_id is None
    finally:
        service.close()


def test_queued_grading_needs_postgresql(sqlite_room: Room) -> None:
    with pytest.raises(ValueError, match="queued grading needs PostgreSQL"):
        QueuedGrading(sqlite_room.engine)


def test_two_worker_processes_drain_one_queue_exactly_once(pg_room: Room) -> None:
    queue = QueuedGrading(pg_room.engine)
    try:
        users = [pg_room.v[n].user_id for n in ("ada", "bob", "ta")]
        tickets = [queue.submit(pg_room.course, users[i % 3], "sigma",
                                SIGMA_OK if i % 2 else SIGMA_WRONG) for i in range(6)]
        first = queue.status(tickets[0])
        assert first.state == "queued" and first.position == 1
        assert queue.status(tickets[5]).position == 6
        url = pg_room.engine.url.render_as_string(hide_password=False)
        workers = [subprocess.Popen([sys.executable, "-m", "vibrastic", "worker", "--once",
                                     "--database-url", url], stdout=subprocess.PIPE, text=True)
                   for _ in range(2)]
        for worker in workers:
            out, _err = worker.communicate(timeout=600)
            assert worker.returncode == 0
            assert "ready: 1 warm sandbox(es)" in out  # said once it was warm
            assert "nice 10)" in out  # pages on a shared host come first
        done = [queue.status(t) for t in tickets]
        assert [d.state for d in done] == ["done"] * 6
        assert [d.result["status"] for d in done] == ["fail", "pass"] * 3
        names = {d.submission_id for d in done}
        assert len(names) == 6
    finally:
        queue.close()
    with pytest.raises(KeyError):
        queue.status("s999999")


def test_a_worker_warms_its_sandbox_before_it_takes_a_job(
        pg_room: Room, started: list[object]) -> None:
    """The first learner of a class does not wait for a sandbox: the worker's template is up
    before it claims a job, and the job is graded in that template (no new one is started)."""
    queue = QueuedGrading(pg_room.engine)
    seen: dict[str, object] = {}
    try:
        ticket = queue.submit(pg_room.course, pg_room.v["ada"].user_id, "sigma", SIGMA_OK)

        def ready(graders: grading.GraderPool) -> None:
            seen["job"] = queue.status(ticket).state
            seen["warm"] = [g._template is not None and g._template.alive
                            for g in graders.graders]
            seen["templates"] = len(started)

        grading.run_worker(pg_room.engine, concurrency=1, wait=False, on_ready=ready)
        done = queue.status(ticket)
    finally:
        queue.close()
    assert seen == {"job": "queued", "warm": [True], "templates": 1}
    assert done.state == "done" and done.result["status"] == "pass"
    assert len(started) == 1  # graded in the warm template


def test_a_worker_whose_sandbox_cannot_start_takes_no_job(pg_room: Room) -> None:
    class NoSandbox(Grader):
        def start(self) -> None:
            raise GraderError("bubblewrap is missing")

    queue = QueuedGrading(pg_room.engine)
    try:
        ticket = queue.submit(pg_room.course, pg_room.v["ada"].user_id, "sigma", SIGMA_OK)
        with pytest.raises(GraderError, match="bubblewrap is missing"):
            grading.run_worker(pg_room.engine, wait=False,
                               grader_factory=lambda: NoSandbox(warm=True))
        assert queue.status(ticket).state == "queued"  # left for a healthy worker
    finally:
        queue.close()


def test_verdicts_written_anywhere_reach_every_web_process(pg_room: Room) -> None:
    """A verdict a worker writes on another host arrives through LISTEN/NOTIFY."""
    import asyncio

    from vibrastic.faces.web.events import EventBus, listen_postgres
    from vibrastic.platform.classroom.grading import record_verdict
    from vibrastic.platform.classroom.models import Submission
    from vibrastic.platform.grader.grade import grade_source

    with Session(pg_room.engine) as session, session.begin():
        row = Submission(course_id=pg_room.course, user_id=pg_room.v["ada"].user_id,
                         challenge="sigma", source=SIGMA_OK, state="running",
                         created_at="2026-11-28T10:00:00+00:00", hidden_run=True)
        session.add(row)
        session.flush()
        submission = row.id

    async def scenario() -> dict:
        bus = EventBus()
        bus.bind(asyncio.get_running_loop())
        async with bus.subscribe() as queue:
            listening = asyncio.Event()
            listener = asyncio.create_task(listen_postgres(pg_room.engine, bus, listening))
            await asyncio.wait_for(listening.wait(), timeout=60)
            await asyncio.to_thread(record_verdict, pg_room.engine, submission,
                                    grade_source("sigma", SIGMA_OK))
            try:
                return await asyncio.wait_for(queue.get(), timeout=60)
            finally:
                listener.cancel()

    # In a thread of its own: browser tests leave a running event loop in this one.
    found: list[dict] = []
    runner = threading.Thread(target=lambda: found.append(asyncio.run(scenario())))
    runner.start()
    runner.join(120)
    event = found[0]
    assert event["submission"] == submission and event["state"] == "done"
    assert event["status"] == "pass" and event["user"] == pg_room.v["ada"].user_id


def test_project_checks_and_a_milestone_go_through_the_queue(pg_room: Room) -> None:
    """A classroom's workers grade project stages and run milestones: the learner's package is
    saved in the database, the job carries it, the verdict (with the milestone's table and
    figures) comes back to the learner's status and the gradebook."""
    from vibrastic.platform.classroom.grades import gradebook
    from vibrastic.platform.classroom.learner import ClassroomLearner
    from vibrastic.platform.course.project import get_project
    from vibrastic.platform.progress.project import ProjectError

    project = get_project()
    queue = QueuedGrading(pg_room.engine)
    ada = ClassroomLearner(pg_room.engine, pg_room.course, pg_room.v["ada"].user_id, queue,
                           "ai-101")
    try:
        for stage in project.stages[:3]:
            ada.start_stage(project, stage)
        with pytest.raises(ProjectError, match="not passed yet: operators, value, backward"):
            ada.submit_project(project, "milestone-graph")
        starter = ada.submit_project(project, project.stages[0].name)
        for rel, data in project.stages[2].reference_files.items():
            ada.save_project_file(project, rel, data.decode(), None, force=True)
        tickets = [ada.submit_project(project, s.name) for s in project.stages[:3]]
        broken = queue.submit(pg_room.course, pg_room.v["bob"].user_id, project.stages[0].name,
                              "{not json")
        grading.run_worker(pg_room.engine, concurrency=1, wait=False)
        assert ada.job(starter).result.status == "fail"
        assert [ada.job(t).result.status for t in tickets] == ["pass"] * 3
        assert queue.status(broken).state == "error"  # not an attempt
        milestone = ada.submit_project(project, "milestone-graph", {"x": 2.0})
        grading.run_worker(pg_room.engine, concurrency=1, wait=False)
        run = ada.job(milestone).result
    finally:
        queue.close()
    assert run.status == "pass", run.to_json()
    assert sorted(run.extra["figures"]) == ["graph", "graph-vibrastic"]
    assert [row["∂g/∂x"] for row in run.extra["rows"]] == [5.0, 5.0, 5.0]
    assert ada.milestone_statuses(project)["graph"].status == "passed"
    assert [s.status for s in ada.stage_statuses(project).values()][:4] == [
        "passed", "passed", "passed", "not started"]
    book = gradebook(pg_room.engine, pg_room.course, pg_room.v["prof"].user_id)
    assert book.score("ada", project.stages[0].name) == project.stages[0].max_score
    assert book.score("bob", project.stages[0].name) is None


def test_a_learner_never_sees_another_learners_check_even_while_queued(
        sqlite_room: Room) -> None:
    from vibrastic.platform.classroom.learner import ClassroomLearner

    ada, bob = sqlite_room.v["ada"].user_id, sqlite_room.v["bob"].user_id

    class StillQueued:  # no submission row yet, only whose check it is
        def status(self, ticket: str) -> grading.Ticket:
            return grading.Ticket(ticket=ticket, state="queued", position=3, user_id=ada)

    def learner(user: int) -> ClassroomLearner:
        return ClassroomLearner(sqlite_room.engine, sqlite_room.course, user, StillQueued(), "c")

    assert learner(ada).job("j1").position == 3
    with pytest.raises(KeyError):
        learner(bob).job("j1")


def test_a_classroom_package_is_bounded_and_saves_never_clobber(sqlite_room: Room) -> None:
    from vibrastic.platform.classroom.learner import ClassroomLearner
    from vibrastic.platform.course.project import get_project
    from vibrastic.platform.progress.project import MAX_PACKAGE_FILES, ProjectError
    from vibrastic.platform.progress.workspace import SourceConflict

    project = get_project()
    ada = ClassroomLearner(sqlite_room.engine, sqlite_room.course, sqlite_room.v["ada"].user_id,
                           None, "ai-101")
    first = ada.save_project_file(project, "mygrad/a0.py", "x = 0\n", None, force=False)
    with pytest.raises(SourceConflict):  # the editor started from another version
        ada.save_project_file(project, "mygrad/a0.py", "x = 1\n", "0" * 64, force=False)
    assert ada.project_files(project)["mygrad/a0.py"] == ("x = 0\n", first.sha256)
    for i in range(1, MAX_PACKAGE_FILES):
        ada.save_project_file(project, f"mygrad/a{i}.py", "x = 0\n", None, force=False)
    with pytest.raises(ProjectError, match=f"already has {MAX_PACKAGE_FILES} files"):
        ada.save_project_file(project, "mygrad/one_more.py", "x = 0\n", None, force=False)
    ada.save_project_file(project, "mygrad/a1.py", "x = 2\n", None, force=True)  # edits may
    assert len(ada.project_files(project)) == MAX_PACKAGE_FILES
