"""The Q&A board in a real browser (Debian's Chromium via Playwright) against a real classroom
server (Uvicorn on 127.0.0.1, SQLite): the issue's flow across several people at once.

Ada asks from the sigma page with her code attached; Bob sees the question as Anonymous and
without the code, and answers; the instructor's bell counts the question live (no reload), he
answers and endorses Bob's answer; Ada marks it resolved; Cy, typing a similar title, is
offered the thread.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("playwright")
from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST
from browser import CHROMIUM, Server, axe_violations, without_csrf_tokens
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy.orm import Session

from vibrastic.platform.classroom import accounts
from vibrastic.platform.classroom.learner import ClassroomLearner
from vibrastic.platform.classroom.models import Submission
from vibrastic.platform.classroom.people import (
    add_section,
    create_course,
    create_user,
    join_with_code,
)
from vibrastic.platform.course.challenge import get_challenge

PASSWORD = "correct horse battery"
ADA_CODE = "def sigma(n):\n    return sum(range(n))  # ada-stops-one-short\n"
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium")


@pytest.fixture(scope="module")
def classroom(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A classroom server with prof (instructor) and learners ada, bob, cy; ada has worked on
    sigma (saved code, one failed check). Yields its URL."""
    root = tmp_path_factory.mktemp("qa-browser")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(accounts, "_hasher", PasswordHasher.from_parameters(CHEAPEST))
        server = Server(root, root / "cache", database_url=f"sqlite:///{root / 'room.db'}",
                        secure_cookies=False)
        engine = server.app.state.classroom.engine
        ids = {n: create_user(engine, email=f"{n}@example.org", name=n.capitalize(),
                              username=n, password=PASSWORD) for n in ("prof", "ada", "bob", "cy")}
        course = create_course(engine, slug="ai-101", title="AI 101", instructor_id=ids["prof"])
        code = add_section(engine, course, "A", by=ids["prof"])
        for n in ("ada", "bob", "cy"):
            join_with_code(engine, ids[n], code)
        sigma = get_challenge("sigma")
        ClassroomLearner(engine, course, ids["ada"], None, "ai-101").save_source(
            sigma, ADA_CODE, None, True)
        with Session(engine) as session, session.begin():
            session.add(Submission(course_id=course, user_id=ids["ada"], challenge="sigma",
                                   source=ADA_CODE, state="done",
                                   created_at="2026-11-28T09:00:00+00:00", status="fail",
                                   score=0.0, max_score=sigma.max_score, hidden_run=True,
                                   result_json=json.dumps({"status": "fail", "tests": [],
                                                           "summary": "1 of 3 tests passed"})))
        try:
            yield server.url
        finally:
            server.stop()


def signed_in(browser: Browser, url: str, who: str) -> tuple[BrowserContext, Page]:
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{url}/signin")
    page.fill("#email", f"{who}@example.org")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]:has-text('Sign in')")
    expect(page.locator("#bell")).to_be_visible()
    return context, page


def test_a_question_from_sigma_reaches_staff_live_and_gets_resolved(browser: Browser,
                                                                    classroom: str) -> None:
    title = "Why does my sigma stop one number short"
    prof_ctx, prof = signed_in(browser, classroom, "prof")
    ada_ctx, ada = signed_in(browser, classroom, "ada")
    bob_ctx, bob = signed_in(browser, classroom, "bob")
    try:
        prof.goto(f"{classroom}/qa")
        expect(prof.locator("#bell-count")).to_have_text("0")

        # Ada asks from the sigma page, anonymously, with her code attached
        ada.goto(f"{classroom}/challenges/sigma")
        expect(ada.locator(".qa-link")).to_contain_text("(0 open)")
        ada.click("#ask-about")
        expect(ada.locator("#attach-preview")).to_contain_text("ada-stops-one-short")
        expect(ada.locator("#anonymity-note")).to_have_text(
            "Anonymous to classmates; instructors and TAs can see that you wrote it.")
        ada.fill("#qa-title", title)
        ada.fill("#qa-body", "I sum `range(n)` and get $\\sigma(3) = 3$. Why?")
        ada.check("#qa-anonymous")
        ada.click("#qa-post")
        expect(ada.locator("#thread-title")).to_have_text(title)
        expect(ada.locator("#attached")).to_contain_text("ada-stops-one-short")
        expect(ada.locator("#attached-verdict")).to_contain_text("1 of 3 tests passed")
        expect(ada.locator(".qa-body .math .katex").first).to_be_attached()  # math typeset
        thread_url = ada.url

        # the instructor's bell counts it without a reload
        expect(prof.locator("#bell-count")).to_have_text("1")

        # Bob sees it as Anonymous, without the code, and answers
        bob.goto(f"{classroom}/challenges/sigma")
        expect(bob.locator(".qa-link")).to_contain_text("(1 open)")
        bob.click(".qa-link")
        bob.click(f"text={title}")
        expect(bob.locator("#thread-title")).to_have_text(title)
        expect(bob.locator(".qa-author").first).to_have_text("Anonymous")
        expect(bob.locator("#attached")).to_have_count(0)
        seen = without_csrf_tokens(bob.content())
        assert "Ada" not in seen and "ada-stops-one-short" not in seen
        bob.fill("#answer-body", "range(n) stops at n - 1; try range(1, n + 1).")
        bob.click("#answer")
        expect(bob.locator(".qa-post", has_text="range(1, n + 1)")).to_be_visible()

        # the instructor sees who asked and the code, answers and endorses Bob's answer
        prof.goto(thread_url)
        expect(prof.locator(".qa-author").first).to_have_text("Ada (anonymous to classmates)")
        expect(prof.locator("#attached")).to_contain_text("ada-stops-one-short")
        prof.fill("#answer-body", "Bob is right: the deck's sum runs from 1 to n.")
        prof.click("#answer")
        expect(prof.locator(".badge", has_text="Instructor answer")).to_be_visible()
        bob_answer = prof.locator(".qa-post", has_text="range(1, n + 1)")
        bob_answer.locator("button", has_text="Endorse").click()
        expect(prof.locator(".qa-post", has_text="range(1, n + 1)")).to_contain_text(
            "Endorsed by staff")
        assert axe_violations(prof) == []

        # Ada (told live: two answers) resolves it
        expect(ada.locator("#bell-count")).to_have_text("2")
        ada.reload()
        ada.click("#resolve")
        expect(ada.locator("#resolved")).to_be_visible()
    finally:
        for context in (prof_ctx, ada_ctx, bob_ctx):
            context.close()

    # Cy, typing a similar title, is offered the thread before posting a duplicate
    cy_ctx, cy = signed_in(browser, classroom, "cy")
    try:
        cy.goto(f"{classroom}/qa-new?kind=challenge&target=sigma")
        cy.locator("#qa-title").press_sequentially("sigma stops short", delay=30)
        expect(cy.locator("#similar-list")).to_contain_text(title)
        expect(cy.locator("#similar-list")).to_contain_text("resolved")
        assert axe_violations(cy) == []
        cy.goto(f"{classroom}/qa")
        assert axe_violations(cy) == []
    finally:
        cy_ctx.close()
