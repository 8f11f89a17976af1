"""Hints in a classroom: each learner's next hint of a challenge, counted for the dashboard."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from vibrastic.platform.classroom.models import HintState
from vibrastic.platform.course.challenge import get_challenge
from vibrastic.platform.database import now


def next_hint(engine: Engine, course_id: int, user_id: int, challenge: str,
              hints: Sequence[str] | None = None) -> tuple[int, str] | None:
    """The next hint (1-based number, text), remembered; None when all have been shown.
    ``hints``: the item's hints when it is not a challenge (a project stage)."""
    hints = get_challenge(challenge).hints if hints is None else hints
    with Session(engine) as session, session.begin():
        state = session.get(HintState, (course_id, user_id, challenge))
        if state is None:
            state = HintState(course_id=course_id, user_id=user_id, challenge=challenge,
                              shown=0, last_at=now())
            session.add(state)
        if state.shown >= len(hints):
            return None
        state.shown += 1
        state.last_at = now()
        return state.shown, hints[state.shown - 1]


def shown_hints(engine: Engine, course_id: int, user_id: int, challenge: str) -> list[str]:
    """The hints this learner has already seen, in order (to read them again)."""
    hints = get_challenge(challenge).hints
    with Session(engine) as session:
        state = session.get(HintState, (course_id, user_id, challenge))
        return list(hints[: state.shown]) if state else []


def hints_seen(engine: Engine, course_id: int) -> dict[tuple[int, str], int]:
    """(user, challenge) → hints seen, for one course."""
    with Session(engine) as session:
        return {(h.user_id, h.challenge): h.shown for h in session.scalars(
            select(HintState).where(HintState.course_id == course_id))}
