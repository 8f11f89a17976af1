"""A small classroom for platform tests: a course with staff, learners and an outsider."""

from sqlalchemy import Engine

from vibrastic.platform.classroom.people import (
    add_section,
    create_course,
    create_user,
    join_with_code,
    set_role,
)
from vibrastic.platform.qa import board
from vibrastic.platform.qa.board import Viewer

PASSWORD = "correct horse battery"


class Room:
    """A course with an instructor, a TA, two learners (ada, bob) and an outsider (eve)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        people = {}
        for name in ("prof", "ta", "ada", "bob", "eve"):
            people[name] = create_user(engine, email=f"{name}@example.org",
                                       name=name.capitalize(), username=name, password=PASSWORD)
        self.course = create_course(engine, slug="ai-101", title="AI 101",
                                    instructor_id=people["prof"])
        code = add_section(engine, self.course, "A", by=people["prof"])
        for name in ("ta", "ada", "bob"):
            join_with_code(engine, people[name], code)
        set_role(engine, self.course, people["ta"], "ta", by=people["prof"])
        roles = {"prof": "instructor", "ta": "ta", "ada": "learner", "bob": "learner",
                 "eve": None}
        self.v = {n: Viewer(people[n], roles[n]) for n in people}

    def ask(self, who: str, title: str = "Why does sigma(2) give 5?", **kw) -> int:
        kw.setdefault("body", "I get 4. Is range(n) wrong?")
        kw.setdefault("target_kind", "challenge")
        kw.setdefault("target", "sigma")
        return board.ask(self.engine, self.v[who], self.course, title=title, **kw)
