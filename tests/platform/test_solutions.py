"""One give-up rule for every face: the reference solution shows after a pass or a recorded
give-up, whoever keeps the learner's progress (the workspace store or the classroom database)."""

from __future__ import annotations

from pathlib import Path

import pytest

from vibrastic.platform.classroom.learner import ClassroomLearner
from vibrastic.platform.classroom.people import create_course, create_user
from vibrastic.platform.course.challenge import get_challenge
from vibrastic.platform.database import connect
from vibrastic.platform.grader.results import GradeResult, TestResult
from vibrastic.platform.progress import store
from vibrastic.platform.progress.learner import (
    Learner,
    LocalLearner,
    SolutionLocked,
    reveal_solution,
    solution_unlocked,
)


@pytest.fixture(params=["workspace", "classroom"])
def learner(request: pytest.FixtureRequest, tmp_path: Path, learner_workspace: Path) -> Learner:
    if request.param == "workspace":
        return LocalLearner(learner_workspace)
    engine = connect(f"sqlite:///{tmp_path / 'classroom.db'}")
    prof = create_user(engine, email="prof@example.org", name="Prof", username="prof",
                       password="correct horse battery")
    ada = create_user(engine, email="ada@example.org", name="Ada", username="ada",
                      password="correct horse battery")
    course = create_course(engine, slug="ai-101", title="AI 101", instructor_id=prof)
    return ClassroomLearner(engine, course, ada, grading=None, course_slug="ai-101")


def test_the_solution_needs_a_pass_or_a_recorded_give_up(learner: Learner) -> None:
    sigma = get_challenge("sigma")
    assert not solution_unlocked(learner, "sigma")
    with pytest.raises(SolutionLocked, match="the solution of sigma shows after you pass it"):
        reveal_solution(learner, sigma)
    assert not learner.gave_up("sigma")  # asking is not giving up

    given = reveal_solution(learner, sigma, give_up=True)
    assert given.gave_up_now and learner.gave_up("sigma")
    assert "def sigma(n)" in given.code and "BEGIN SOLUTION" not in given.code
    again = reveal_solution(learner, sigma, give_up=True)  # recorded once
    assert not again.gave_up_now and again.code == given.code
    assert solution_unlocked(learner, "sigma") and not solution_unlocked(learner, "triangle")


def test_a_pass_opens_the_solution_without_a_give_up(learner_workspace: Path) -> None:
    learner = LocalLearner(learner_workspace)
    store.record_attempt(GradeResult(challenge="triangle", status="pass", score=6, max_score=6,
                                     tests=[TestResult("t", "pass", 6, 6)], hidden_run=True),
                         "def triangle(n): ...\n")
    shown = reveal_solution(learner, get_challenge("triangle"))
    assert not shown.gave_up_now and not learner.gave_up("triangle")


def test_a_give_up_moves_the_continue_point_on_as_next_does(learner: Learner) -> None:
    """The web's "continue where you left off" treats a give-up as done, like ``vibrastic
    next``: the learner who gave up on sigma is sent to the challenge after it."""
    from vibrastic.platform.course import load_course
    from vibrastic.platform.progress.report import continue_point

    course = load_course()
    sigma = get_challenge("sigma")
    learner.save_source(sigma, sigma.starter + "# trying\n", None, False)  # working on sigma
    assert continue_point(learner.rows(course), course).name == "sigma"
    reveal_solution(learner, sigma, give_up=True)
    after = continue_point(learner.rows(course), course)
    assert (after.name, after.why) == ("slicing", "you gave up on sigma; slicing is next")
