"""Gradebook, overrides with their audit trail, and the dashboard, on SQLite and PostgreSQL.

Verdict rows are written here as the graders write them (grading itself is tested in
test_classroom_grading), so the numbers below are known exactly.
"""

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from rooms import Room
from sqlalchemy.orm import Session

from vibrastic.platform.classroom import dashboard as dash
from vibrastic.platform.classroom.grades import audit_trail, gradebook, my_grades, set_override
from vibrastic.platform.classroom.hints import next_hint, shown_hints
from vibrastic.platform.classroom.models import Submission
from vibrastic.platform.classroom.people import ClassroomError, NotAllowed, remove_member
from vibrastic.platform.course.challenge import get_challenge


def checked(room: Room, who: str, challenge: str, status: str, score: float,
            at: datetime, failing: tuple[str, ...] = ()) -> None:
    tests = [{"name": name, "status": "fail"} for name in failing]
    with Session(room.engine) as session, session.begin():
        session.add(Submission(
            course_id=room.course, user_id=room.v[who].user_id, challenge=challenge,
            source=f"# {who}'s {challenge}\n", state="done", created_at=at.isoformat(),
            status=status, score=score, max_score=get_challenge(challenge).max_score,
            hidden_run=True, result_json=json.dumps({"status": status, "tests": tests})))


@pytest.fixture
def graded(room: Room) -> Room:
    t0 = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
    sigma = get_challenge("sigma").max_score
    checked(room, "ada", "sigma", "fail", 2, t0, ("sigma(2)",))
    checked(room, "ada", "sigma", "pass", sigma, t0 + timedelta(minutes=1))
    checked(room, "ada", "triangle", "fail", 1, t0 + timedelta(minutes=2), ("height 3",))
    for i in range(5):
        checked(room, "bob", "sigma", "fail", i % 3, t0 + timedelta(minutes=i), ("sigma(2)",))
    return room


def test_the_gradebook_has_best_scores_and_exports(graded: Room) -> None:
    room = graded
    sigma = get_challenge("sigma").max_score
    book = gradebook(room.engine, room.course, room.v["prof"].user_id)
    assert [learner.username for learner in book.learners] == ["ada", "bob"]  # staff are not rows
    assert book.score("ada", "sigma") == sigma and book.score("bob", "sigma") == 2
    assert book.score("ada", "triangle") == 1 and book.score("bob", "triangle") is None
    table = list(csv.reader(io.StringIO(book.to_csv("email"))))
    assert table[0][:5] == ["email", "name", "section", "triangle", "sigma"]
    assert table[0][-1] == "total" and len(table) == 3
    by_email = {r[0]: r for r in table[1:]}
    column = table[0].index("sigma")
    assert by_email["ada@example.org"][column] == f"{sigma:g}"
    assert by_email["bob@example.org"][column] == "2"


def test_overrides_win_and_are_audited(graded: Room) -> None:
    room, prof = graded, graded.v["prof"].user_id
    bob = room.v["bob"].user_id
    set_override(room.engine, room.course, bob, "sigma", 7, by=prof, reason="grader outage")
    assert gradebook(room.engine, room.course, prof).score("bob", "sigma") == 7
    set_override(room.engine, room.course, bob, "sigma", None, by=prof, reason="undo")
    assert gradebook(room.engine, room.course, prof).score("bob", "sigma") == 2
    trail = audit_trail(room.engine, room.course, prof)
    assert [(t["learner"], t["score"], t["by"], t["reason"]) for t in trail] == [
        ("bob", 7, "prof", "grader outage"), ("bob", None, "prof", "undo")]
    with pytest.raises(NotAllowed):
        set_override(room.engine, room.course, bob, "sigma", 9, by=room.v["ta"].user_id,
                     reason="TAs cannot")
    with pytest.raises(ClassroomError, match="say why"):
        set_override(room.engine, room.course, bob, "sigma", 1, by=prof, reason=" ")
    with pytest.raises(ClassroomError, match="between 0 and"):
        set_override(room.engine, room.course, bob, "sigma", 1000, by=prof, reason="x")
    with pytest.raises(ClassroomError, match="no graded item 'nope'"):
        set_override(room.engine, room.course, bob, "nope", 1, by=prof, reason="x")


def test_learners_see_only_their_own_grades(graded: Room) -> None:
    room = graded
    mine = {g["item"]: g for g in my_grades(room.engine, room.course, room.v["bob"].user_id)}
    assert mine["sigma"]["score"] == 2 and mine["triangle"]["score"] is None
    for who in ("ada", "bob"):
        with pytest.raises(NotAllowed):
            gradebook(room.engine, room.course, room.v[who].user_id)
        with pytest.raises(NotAllowed):
            audit_trail(room.engine, room.course, room.v[who].user_id)
    with pytest.raises(NotAllowed):
        my_grades(room.engine, room.course, room.v["eve"].user_id)


def test_removed_learners_leave_the_roster_but_keep_their_record(graded: Room) -> None:
    room, prof = graded, graded.v["prof"].user_id
    remove_member(room.engine, room.course, room.v["bob"].user_id, by=prof)
    assert [learner.username for learner in gradebook(room.engine, room.course,
                                                      prof).learners] == ["ada"]
    latest = dash.latest_submission(room.engine, room.course, room.v["bob"].user_id, "sigma",
                                    prof)
    assert latest["status"] == "fail"


def test_the_dashboard_grid_stuck_flags_rates_and_failing_tests(graded: Room) -> None:
    room = graded
    at = datetime(2026, 11, 28, 9, 30, tzinfo=UTC)
    for _ in get_challenge("triangle").hints:
        next_hint(room.engine, room.course, room.v["ada"].user_id, "triangle")
    board = dash.dashboard(room.engine, room.course, room.v["ta"].user_id, at=at)
    ada, bob = room.v["ada"].user_id, room.v["bob"].user_id
    assert board.cell(ada, "sigma").status == "passed"
    assert board.cell(bob, "sigma").status == "attempted" and board.cell(bob, "sigma").checks == 5
    assert board.cell(bob, "triangle").status == "not started"
    stuck = {(row.username, name): reasons for row, name, reasons in board.stuck}
    assert stuck[("bob", "sigma")] == ["5 failed checks", "idle 26 min after a failed check"]
    assert stuck[("ada", "triangle")] == ["idle 28 min after a failed check", "read every hint"]
    assert ("ada", "sigma") not in stuck
    assert board.pass_rates["sigma"] == {"passed": 1, "attempted": 2, "learners": 2}
    assert board.failing_tests["sigma"] == [("sigma(2)", 6)]
    assert shown_hints(room.engine, room.course, ada, "triangle") == list(
        get_challenge("triangle").hints)
    assert next_hint(room.engine, room.course, ada, "triangle") is None


def test_the_grid_counts_new_failures_after_earlier_reloads(graded: Room) -> None:
    """A failed check's tests are read once; later reloads add the new checks' tests."""
    room, ta = graded, graded.v["ta"].user_id
    assert dash.dashboard(room.engine, room.course, ta).failing_tests["sigma"] == [
        ("sigma(2)", 6)]
    checked(room, "bob", "sigma", "fail", 0, datetime(2026, 11, 28, 9, 40, tzinfo=UTC),
            ("sigma(2)", "sigma(0)"))
    again = dash.dashboard(room.engine, room.course, ta)
    assert again.failing_tests["sigma"] == [("sigma(2)", 7), ("sigma(0)", 1)]
    assert again.cell(room.v["bob"].user_id, "sigma").checks == 6


def test_only_staff_and_the_learner_see_code(graded: Room) -> None:
    room = graded
    ada = room.v["ada"].user_id
    assert dash.latest_submission(room.engine, room.course, ada, "sigma", ada)["source"] == \
        "# ada's sigma\n"
    with pytest.raises(NotAllowed):
        dash.latest_submission(room.engine, room.course, ada, "sigma", room.v["bob"].user_id)
    with pytest.raises(NotAllowed):
        dash.dashboard(room.engine, room.course, room.v["bob"].user_id)


def test_project_stages_are_gradebook_columns_in_every_export(graded: Room) -> None:
    from vibrastic.platform.course.project import get_project

    room, prof = graded, graded.v["prof"].user_id
    stages = get_project().stages
    value = stages[1]
    with Session(room.engine) as session, session.begin():
        for score in (1.0, value.max_score - 1, 2.0):  # the best of three checks counts
            session.add(Submission(
                course_id=room.course, user_id=room.v["ada"].user_id, challenge=value.name,
                source="{}", state="done", created_at="2026-11-28T09:40:00+00:00",
                status="fail", score=score, max_score=value.max_score, hidden_run=True,
                result_json="{}"))
    book = gradebook(room.engine, room.course, prof)
    assert [c.name for c in book.columns][-len(stages):] == [s.name for s in stages]
    assert book.score("ada", value.name) == value.max_score - 1
    assert book.score("bob", value.name) is None
    for key in ("username", "email"):
        table = list(csv.reader(io.StringIO(book.to_csv(key))))
        column = table[0].index(value.name)
        assert [r[column] for r in table[1:]] == [f"{value.max_score - 1:g}", ""]
        assert table[0][-1] == "total"
    canvas = list(csv.reader(io.StringIO(book.to_canvas_csv())))
    column = canvas[0].index(f"Project stage 1: {value.title}")
    assert canvas[1][column] == f"{value.max_score:g}"  # points possible
    assert canvas[2][column] == f"{value.max_score - 1:g}"
    set_override(room.engine, room.course, room.v["bob"].user_id, value.name, 3, by=prof,
                 reason="checked by hand")
    mine = {g["item"]: g for g in my_grades(room.engine, room.course, room.v["bob"].user_id)}
    assert mine[value.name]["score"] == 3 and mine[value.name]["overridden"]
