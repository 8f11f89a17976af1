"""The classroom in a real browser (Debian's Chromium, Playwright, a real Uvicorn server):
an instructor creates a course and imports a roster; two learners join in their own browser
contexts (an invitation link, a join code) and check sigma; the instructor's dashboard changes
without a reload; the gradebook CSV downloaded from the page has the right rows."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("playwright")
from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST
from browser import CHROMIUM, Server
from playwright.sync_api import Browser, Page, expect

from vibrastic.platform.classroom import accounts
from vibrastic.platform.classroom.people import create_course, create_user
from vibrastic.platform.course.challenge import get_challenge

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium")
PASSWORD = "correct horse battery"
RIGHT = "def sigma(n):\n    return sum(i ** 2 for i in range(1, n + 1))"
WRONG = "def sigma(n):\n    return n"


@pytest.fixture(scope="module")
def classroom(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("classroom")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(accounts, "_hasher", PasswordHasher.from_parameters(CHEAPEST))
        server = Server(root, root / "cache", database_url=f"sqlite:///{root / 'room.db'}",
                        secure_cookies=False)
        engine = server.app.state.classroom.engine
        prof = create_user(engine, email="prof@example.org", name="Prof", username="prof",
                           password=PASSWORD)
        create_course(engine, slug="setup", title="Set-up course", instructor_id=prof)
        try:
            yield server
        finally:
            server.stop()


def sign_in(page: Page, url: str, email: str) -> None:
    page.goto(f"{url}/signin")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def check_sigma(page: Page, url: str, code: str, expect_text: str = "passed") -> None:
    page.goto(f"{url}/challenges/sigma")
    editor = page.locator(".cm-content")
    editor.click()
    page.keyboard.press("Control+a")
    page.keyboard.press("Delete")
    for line in code.splitlines():
        page.keyboard.type(line.lstrip())
        page.keyboard.press("Enter")
    page.get_by_role("button", name="Check", exact=True).click()
    expect(page.locator("#results")).to_contain_text(expect_text, timeout=120_000)


def test_a_class_from_roster_to_gradebook(browser: Browser, classroom: Server,
                                          tmp_path: Path) -> None:
    url = classroom.url
    prof = browser.new_context().new_page()
    sign_in(prof, url, "prof@example.org")
    prof.goto(f"{url}/courses")
    prof.get_by_label("Short name").fill("ai-lab")
    prof.get_by_label("Title").fill("AI lab, ITS")
    prof.get_by_role("button", name="Create the course").click()
    expect(prof.get_by_role("heading", name="Roster", exact=True)).to_be_visible()
    prof.get_by_label("New section").fill("Monday")
    prof.get_by_role("button", name="Add section").click()
    code = re.search(r"join code ([A-Z0-9]{8})", prof.locator("p.notice").inner_text()).group(1)
    roster = tmp_path / "roster.csv"
    roster.write_text("email,name,section\nada@example.org,Ada Lovelace,Monday\n")
    prof.get_by_label("CSV file").set_input_files(str(roster))
    prof.get_by_role("button", name="Import").click()
    expect(prof.locator("p.notice")).to_contain_text("1 invited")
    invite = prof.locator("code", has_text="/invite/").inner_text()

    ada = browser.new_context().new_page()  # from the invitation link
    ada.goto(invite)
    ada.get_by_label("Choose a username").fill("ada")
    ada.get_by_label("Choose a password").fill(PASSWORD)
    ada.get_by_role("button", name="Create my account").click()
    expect(ada.get_by_role("button", name="Sign out")).to_be_visible()

    bob = browser.new_context().new_page()  # with the section's join code
    bob.goto(f"{url}/join")
    bob.get_by_label("Join code").fill(code)
    bob.get_by_label("E-mail").fill("bob@example.org")
    bob.get_by_label("Your name").fill("Bob")
    bob.get_by_label("Username").fill("bob")
    bob.get_by_label("Password").fill(PASSWORD)
    bob.get_by_role("button", name="Join").click()
    expect(bob.get_by_role("button", name="Sign out")).to_be_visible()

    prof.goto(f"{url}/c/ai-lab/dashboard")
    expect(prof.locator("#live-status")).to_have_text("Live.")
    ada_cell = prof.locator('td[data-learner="ada"][data-challenge="sigma"]')
    bob_cell = prof.locator('td[data-learner="bob"][data-challenge="sigma"]')
    expect(ada_cell).to_have_attribute("class", re.compile("not-started"))

    check_sigma(ada, url, RIGHT)
    expect(ada_cell).to_have_attribute("class", re.compile("passed"), timeout=60_000)
    check_sigma(bob, url, WRONG, expect_text="FAIL")
    expect(bob_cell).to_have_attribute("class", re.compile("attempted"), timeout=60_000)

    prof.goto(f"{url}/c/ai-lab/gradebook")
    with prof.expect_download() as download:
        prof.get_by_role("link", name="CSV by e-mail").click()
    rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text())))
    header, body = rows[0], {r[0]: r for r in rows[1:]}
    assert set(body) == {"ada@example.org", "bob@example.org"}
    sigma, full = header.index("sigma"), get_challenge("sigma").max_score
    assert float(body["ada@example.org"][sigma]) == full
    assert 0 <= float(body["bob@example.org"][sigma]) < full
    assert body["ada@example.org"][2] == "Monday" and body["bob@example.org"][2] == "Monday"

    prof.goto(f"{url}/courses")  # the instructor is in two courses: the other one opens
    expect(prof.locator("#course-run")).to_have_text("(AI lab, ITS)")  # first by title
    prof.locator("li", has_text="Set-up course").get_by_role(
        "button", name="Open its course map").click()
    expect(prof.locator("#course-run")).to_have_text("(Set-up course)")
    prof.goto(f"{url}/courses")  # and stays open
    expect(prof.locator("li", has_text="Set-up course")).to_contain_text(", open")


def test_another_site_cannot_reveal_a_signed_in_learners_hint(browser: Browser,
                                                              classroom: Server) -> None:
    """A page on another site sends a signed-in learner's browser to the hint API (a link: a
    top-level GET, which carries her SameSite=Lax cookie), posts the page's hint form, and
    tries a credentialed fetch with a made-up token: no hint is revealed or counted."""
    from vibrastic.platform.classroom.hints import shown_hints
    from vibrastic.platform.classroom.people import add_section, join_with_code

    engine = classroom.app.state.classroom.engine
    prof = create_user(engine, email="prof2@example.org", name="Prof", username="prof2",
                       password=PASSWORD)
    course = create_course(engine, slug="attacked", title="Attacked", instructor_id=prof)
    cy = create_user(engine, email="cy@example.org", name="Cy", username="cy",
                     password=PASSWORD)
    join_with_code(engine, cy, add_section(engine, course, "A", by=prof))
    context = browser.new_context()
    page = context.new_page()
    sign_in(page, classroom.url, "cy@example.org")
    target = f"{classroom.url}/api/challenges/triangle/hint"
    evil = {
        "link": f'<script>location.href = "{target}"</script>',
        "form": f'<form method="post" action="{classroom.url}/challenges/triangle/hint">'
                '<input name="csrf_token" value="guessed"></form>'
                "<script>document.forms[0].submit()</script>",
        "fetch": "<p>fetch</p>"}
    context.route("http://attacker.test/**", lambda route: route.fulfill(
        content_type="text/html", body=evil[route.request.url.rsplit("/", 1)[1]]))
    page.goto("http://attacker.test/link")
    page.wait_for_url(target)
    assert '"revealed":false' in page.content()
    page.goto("http://attacker.test/form")
    page.wait_for_url(re.compile(re.escape(classroom.url)))
    page.goto("http://attacker.test/fetch")
    outcome = page.evaluate("""url => fetch(url, {method: "POST", credentials: "include",
        headers: {"X-CSRF-Token": "guessed"}}).then(r => r.status, () => "blocked")""", target)
    assert outcome == "blocked"  # the preflight is refused: no CORS for other sites
    assert shown_hints(engine, course, cy, "triangle") == []
    page.goto(f"{classroom.url}/challenges/triangle")  # her own click still works
    page.get_by_role("button", name="Show the next hint").click()
    expect(page.locator("#hints li")).to_have_count(1)
    assert len(shown_hints(engine, course, cy, "triangle")) == 1
    context.close()
