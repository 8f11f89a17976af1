"""The Q&A board's pages and JSON API over HTTP: who may open and do what, anonymity in every
learner-facing answer (HTML, JSON, search, notifications), attached code, bad input and markup
injection in every field, and the one-learner notes board."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser

import pytest
from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST
from browser import without_csrf_tokens
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from vibrastic.faces.web import WebConfig, create_app
from vibrastic.platform.classroom import accounts
from vibrastic.platform.classroom.models import Submission
from vibrastic.platform.classroom.people import (
    add_section,
    create_course,
    create_user,
    join_with_code,
    set_role,
)
from vibrastic.platform.course.challenge import get_challenge

PASSWORD = "correct horse battery"
WHO = ("anonymous", "ada", "bob", "ta", "other", "prof")
SECRET_CODE = "def sigma(n):\n    return n * n  # ada-secret-attempt\n"


class Site:
    def __init__(self, app) -> None:  # type: ignore[no-untyped-def]
        self.app = app
        self.clients: dict[str, TestClient] = {}
        self.tokens: dict[str, str] = {}

    def client(self, who: str) -> TestClient:
        if who not in self.clients:
            client = TestClient(self.app, follow_redirects=False)
            if who != "anonymous":
                r = client.post("/signin", data={"email": f"{who}@example.org",
                                                 "password": PASSWORD})
                assert r.status_code == 303, r.text
            self.clients[who] = client
        return self.clients[who]

    def csrf(self, who: str) -> str:
        if who not in self.tokens:
            page = self.client(who).get("/courses").text
            self.tokens[who] = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        return self.tokens[who]

    def post(self, who: str, path: str, data: dict | None = None):  # type: ignore[no-untyped-def]
        token = "" if who == "anonymous" else self.csrf(who)
        return self.client(who).post(path, data={**(data or {}), "csrf_token": token})

    def api(self, who: str, method: str, path: str, body: dict | None = None):  # type: ignore[no-untyped-def]
        headers = {} if who == "anonymous" else {"X-CSRF-Token": self.csrf(who)}
        return self.client(who).request(method, path, json=body, headers=headers)

    def ask(self, who: str, title: str, **form: str) -> int:
        form.setdefault("body", "I get 4 for sigma(2). Is range(n) wrong?")
        form.setdefault("target_kind", "challenge")
        form.setdefault("target", "sigma")
        r = self.post(who, "/qa-new", {"title": title, **form})
        assert r.status_code == 303, r.text
        return int(r.headers["location"].rsplit("/", 1)[1])


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("qa")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("VIBRASTIC_HOME", str(root / "home"))
        mp.setenv("VIBRASTIC_WORKSPACE", str(root / "work"))
        mp.setattr(accounts, "_hasher", PasswordHasher.from_parameters(CHEAPEST))
        app = create_app(WebConfig(quick_lessons=True, grading_workers=1,
                                   database_url=f"sqlite:///{root / 'room.db'}",
                                   secure_cookies=False))
        engine = app.state.classroom.engine
        ids = {n: create_user(engine, email=f"{n}@example.org", name=n.capitalize(),
                              username=n, password=PASSWORD)
               for n in ("ada", "bob", "ta", "other", "prof", "cy")}
        course = create_course(engine, slug="ai-101", title="AI 101", instructor_id=ids["prof"])
        create_course(engine, slug="other-101", title="Other", instructor_id=ids["other"])
        code = add_section(engine, course, "A", by=ids["prof"])
        for n in ("ada", "bob", "ta", "cy"):
            join_with_code(engine, ids[n], code)
        set_role(engine, course, ids["ta"], "ta", by=ids["prof"])
        with Session(engine) as session, session.begin():
            session.add(Submission(course_id=course, user_id=ids["ada"], challenge="sigma",
                                   source=SECRET_CODE, state="done",
                                   created_at="2026-11-28T09:00:00+00:00", status="fail",
                                   score=0.0, max_score=get_challenge("sigma").max_score,
                                   hidden_run=True, result_json=json.dumps(
                                       {"status": "fail", "summary": "0 of 3 tests passed",
                                        "tests": []})))
        with TestClient(app):  # runs the lifespan (events)
            site = Site(app)
            saved = site.api("ada", "PUT", "/api/challenges/sigma/source",
                             {"source": SECRET_CODE, "force": True})
            assert saved.status_code == 200, saved.text
            yield site
            for client in site.clients.values():
                client.close()


@pytest.fixture(scope="module")
def asked(site: Site) -> dict[str, int]:
    """Threads the tests share: ada's anonymous question with code, her private one, a note."""
    return {
        "anon": site.ask("ada", "Why does my sigma loop stop early", anonymous="1", attach="1"),
        "private": site.ask("ada", "Private worry about grading deadline", private="1",
                            target_kind="course", target=""),
        "open": site.ask("bob", "Momentum lab diverges with beta one", target_kind="lesson",
                         target="2"),
    }


def test_an_anonymous_question_with_code_is_anonymous_to_classmates_only(
        site: Site, asked: dict[str, int]) -> None:
    tid = asked["anon"]
    ada = site.client("ada").get(f"/qa/t/{tid}").text
    assert "You (anonymous to classmates)" in ada and "ada-secret-attempt" in ada
    assert "0 of 3 tests passed" in ada
    for staff in ("ta", "prof"):
        page = site.client(staff).get(f"/qa/t/{tid}").text
        assert "Ada (anonymous to classmates)" in page and "ada-secret-attempt" in page
    bob = site.client("bob")
    learner_views = [without_csrf_tokens(text) for text in (
        bob.get(f"/qa/t/{tid}").text, bob.get("/qa").text, bob.get("/qa/on/challenge/sigma").text,
        bob.get("/qa-search?q=sigma loop").text, bob.get("/qa-similar?title=sigma loop").text,
        bob.get(f"/api/qa/threads/{tid}").text, bob.get("/api/qa/threads").text,
        bob.get("/api/qa/search?q=sigma").text, bob.get("/api/qa/similar?title=sigma loop").text,
    )]
    assert "Why does my sigma loop stop early" in learner_views[0]
    assert "Anonymous" in learner_views[0]
    assert bob.get(f"/api/qa/threads/{tid}").json()["attached_code"] is None
    for text in learner_views:
        assert "Ada" not in text and "ada@" not in text and "ada-secret-attempt" not in text
    # bob answers; ada is notified, and nothing bob is told names her
    assert site.post("bob", f"/qa/t/{tid}/reply", {"body": "Try range(1, n + 1)."}) \
        .status_code == 303
    assert any(n["kind"] == "answer" for n in site.client("ada").get(
        "/api/qa/notifications").json())
    assert site.post("ada", f"/qa/t/{tid}/reply", {"body": "Thanks, that was it."}) \
        .status_code == 303
    notes = without_csrf_tokens(bob.get("/api/qa/notifications").text
                                + bob.get("/qa-notifications").text)
    assert "Why does my sigma loop stop early" in notes and "Ada" not in notes
    assert "Ada" not in without_csrf_tokens(bob.get(f"/qa/t/{tid}").text)


def test_private_threads_and_other_courses_stay_out_of_sight(
        site: Site, asked: dict[str, int]) -> None:
    tid = asked["private"]
    for who in ("ada", "ta", "prof"):
        assert site.client(who).get(f"/qa/t/{tid}").status_code == 200
    for who in ("bob", "other"):
        for path in (f"/qa/t/{tid}", f"/api/qa/threads/{tid}"):
            response = site.client(who).get(path)
            assert response.status_code == 404, (who, path)
            assert "Private worry" not in response.text
        assert "Private worry" not in site.client(who).get("/qa").text
        assert "Private worry" not in site.client(who).get("/api/qa/search?q=worry").text
    other = site.client("other")
    assert "sigma loop" not in other.get("/qa").text  # his board is his own course's
    assert site.api("other", "GET", "/api/qa/export").json()["threads"] == []
    assert site.post("other", f"/qa/t/{asked['anon']}/moderate", {"hidden": "1"}) \
        .status_code == 404


# path, who may open it (everyone else: 403 or 404; anonymous: sign in first)
GET_ROUTES = [
    ("/qa", {"ada", "bob", "ta", "prof", "other"}),
    ("/qa?show=unanswered", {"ada", "bob", "ta", "prof", "other"}),
    ("/qa/on/challenge/sigma", {"ada", "bob", "ta", "prof", "other"}),
    ("/qa/on/lesson/2", {"ada", "bob", "ta", "prof", "other"}),
    ("/qa/on/lab/autograd", {"ada", "bob", "ta", "prof", "other"}),
    ("/qa/on/stage/tensor", {"ada", "bob", "ta", "prof", "other"}),
    ("/qa-new?kind=challenge&target=sigma&attach=1", {"ada", "bob", "ta", "prof", "other"}),
    ("/qa-search?q=sigma", {"ada", "bob", "ta", "prof", "other"}),
    ("/qa-similar?title=sigma", {"ada", "bob", "ta", "prof", "other"}),
    ("/qa-notifications", {"ada", "bob", "ta", "prof", "other"}),
    ("/qa-export.json", {"ta", "prof", "other"}),
    ("/api/qa/threads", {"ada", "bob", "ta", "prof", "other"}),
    ("/api/qa/open?target_kind=challenge&target=sigma", {"ada", "bob", "ta", "prof", "other"}),
    ("/api/qa/export", {"ta", "prof", "other"}),
    ("PRIVATE", {"ada", "ta", "prof"}),
    ("HISTORY", {"ada", "ta", "prof"}),
]


@pytest.mark.parametrize(("path", "allowed"), GET_ROUTES)
def test_every_page_answers_only_the_people_it_is_for(site: Site, asked: dict[str, int],
                                                      path: str, allowed: set[str]) -> None:
    if path == "PRIVATE":
        path = f"/qa/t/{asked['private']}"
    elif path == "HISTORY":
        opening = site.api("ada", "GET", f"/api/qa/threads/{asked['private']}").json()
        post_id = opening["posts"][0]["id"]
        site.post("ada", f"/qa/p/{post_id}/edit", {"body": "Edited: first words were kept."})
        path = f"/qa/p/{post_id}/history"
    for who in WHO:
        response = site.client(who).get(path)
        if who == "anonymous":
            expected = 401 if path.startswith("/api/") else 303
            assert response.status_code == expected, path
        elif who in allowed:
            assert response.status_code == 200, (who, path, response.text[:300])
        else:
            assert response.status_code in (403, 404), (who, path, response.status_code)
            assert "Private worry" not in response.text


def test_staff_only_actions_are_refused_to_learners(site: Site, asked: dict[str, int]) -> None:
    tid = asked["open"]
    answer = site.api("ada", "POST", f"/api/qa/threads/{tid}/posts",
                      {"body": "Lower the learning rate."}).json()["id"]
    forms = [(f"/qa/t/{tid}/moderate", {"pinned": "1"}), (f"/qa/t/{tid}/moderate",
                                                          {"hidden": "0"}),
             (f"/qa/t/{tid}/merge", {"into": str(asked["anon"])}),
             (f"/qa/p/{answer}/endorse", {"endorsed": "1"}),
             (f"/qa/p/{answer}/hide", {"hidden": "0"})]
    for path, form in forms:
        for who in ("ada", "bob"):
            response = site.post(who, path, form)
            assert response.status_code == 403, (who, path)
            assert "only instructors and TAs" in response.text
        assert site.post("anonymous", path, form).status_code == 303
    announce = site.post("bob", "/qa-new", {"title": "Class is cancelled today", "body": "no",
                                            "kind": "announcement"})
    assert announce.status_code == 403 and "announcements" in announce.text
    assert site.api("bob", "POST", f"/api/qa/posts/{answer}/endorsed", {"value": True}) \
        .status_code == 403
    assert site.api("bob", "GET", "/api/qa/export").status_code == 403
    # staff may: pin, endorse (its author is told), announce
    assert site.post("ta", f"/qa/t/{tid}/moderate", {"pinned": "1"}).status_code == 303
    assert site.post("prof", f"/qa/p/{answer}/endorse", {"endorsed": "1"}).status_code == 303
    assert "Endorsed by staff" in site.client("bob").get(f"/qa/t/{tid}").text
    assert any(n["kind"] == "endorsed" for n in site.api("ada", "GET",
                                                         "/api/qa/notifications").json())
    assert site.post("prof", "/qa-new", {"title": "Office hours moved to Friday",
                                         "body": "Room 3.", "kind": "announcement",
                                         "target_kind": "course"}).status_code == 303
    assert site.client("bob").get("/qa").text.count("pinned") >= 1


def test_resolving_editing_and_deleting_belong_to_the_author_or_staff(
        site: Site, asked: dict[str, int]) -> None:
    tid = site.ask("ada", "Is the hint for sigma about range")
    assert site.post("bob", f"/qa/t/{tid}/resolve", {"resolved": "1"}).status_code == 403
    assert site.post("ada", f"/qa/t/{tid}/resolve", {"resolved": "1"}).status_code == 303
    assert "Resolved" in site.client("bob").get(f"/qa/t/{tid}").text
    assert f"/qa/t/{tid}\"" not in site.client("bob").get("/qa?show=unresolved").text
    opening = site.api("ada", "GET", f"/api/qa/threads/{tid}").json()["posts"][0]["id"]
    assert site.post("bob", f"/qa/p/{opening}/edit", {"body": "mine"}).status_code == 403
    assert site.post("bob", f"/qa/p/{opening}/delete").status_code == 403
    assert site.client("bob").get(f"/qa/p/{opening}/history").status_code == 403
    assert site.api("bob", "PUT", f"/api/qa/posts/{opening}", {"body": "x"}).status_code == 403
    assert site.post("ada", f"/qa/p/{opening}/edit",
                     {"body": "Second version.", "title": "Is the sigma hint about range()"}) \
        .status_code == 303
    history = site.client("ada").get(f"/qa/p/{opening}/history").text
    assert "I get 4 for sigma(2)" in history and "Is the hint for sigma about range" in history
    assert site.api("ada", "DELETE", f"/api/qa/posts/{opening}").status_code == 200
    assert "This post was deleted." in site.client("bob").get(f"/qa/t/{tid}").text
    merged = site.ask("bob", "Sigma hint range question again")
    assert site.post("prof", f"/qa/t/{merged}/merge", {"into": str(tid)}).status_code == 303
    assert site.client("bob").get(f"/qa/t/{merged}").headers["location"] == f"/qa/t/{tid}"


def test_the_pages_link_to_their_questions_with_the_open_count(
        site: Site, asked: dict[str, int]) -> None:
    bob = site.client("bob")
    challenge = bob.get("/challenges/sigma").text
    count = site.api("bob", "GET", "/api/qa/open?target_kind=challenge&target=sigma").json()
    assert count["open"] >= 1
    assert f'href="/qa/on/challenge/sigma">Questions on this challenge ({count["open"]} open)' \
        in challenge
    assert 'id="ask-about"' in challenge
    assert "Questions on this lesson (" in bob.get("/lessons/2").text
    assert "Questions on this lab (0 open)" in bob.get("/labs/autograd").text
    assert 'id="bell"' in challenge


def test_the_ask_form_says_plainly_who_sees_what(site: Site) -> None:
    page = site.client("bob").get("/qa-new?kind=challenge&target=sigma&attach=1").text
    assert "Anonymous to classmates; instructors and TAs can see that you wrote it." in page
    assert 'name="private"' in page and 'value="announcement"' not in page
    assert 'value="announcement"' in site.client("ta").get("/qa-new").text
    ada = site.client("ada").get("/qa-new?kind=challenge&target=sigma&attach=1").text
    assert "ada-secret-attempt" in ada  # the preview of what will be attached


INJECTIONS = [
    "<script>alert('x')</script>",
    '<img src=x onerror="alert(1)">',
    "[click](javascript:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    '<svg onload="alert(1)"><circle r="9"/></svg>',
    "[t](<javascript:alert(1)>) ![i](data:image/svg+xml;base64,PHN2Zz4=)",
    '<iframe src="//evil.example"></iframe>',
]


class _Elements(HTMLParser):
    """Every element and attribute of a page, as a browser would build them."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict]] = []
        self.script_text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.found.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.script_text.append(data)


def _assert_inert(html: str) -> None:
    """No element the user wrote: no inline script, handler, svg/iframe, or script URL."""
    parser = _Elements()
    parser.feed(html)
    assert not parser.script_text
    for tag, attrs in parser.found:
        assert tag not in ("svg", "iframe", "object", "embed"), tag
        if tag == "script":
            assert attrs.get("src", "").startswith("/static/"), attrs
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name)
            if name in ("href", "src", "action"):
                assert not (value or "").strip().lower().startswith(("javascript:", "data:")), \
                    (tag, name, value)


@pytest.mark.parametrize("payload", INJECTIONS)
def test_markup_in_every_field_is_shown_as_text(site: Site, payload: str) -> None:
    tid = site.ask("ta", f"Title {payload}", body=f"Body {payload}", target_kind="course",
                   target="")
    assert site.post("ta", f"/qa/t/{tid}/reply", {"body": f"Answer {payload}"}) \
        .status_code == 303
    answer = site.api("ta", "GET", f"/api/qa/threads/{tid}").json()["posts"][1]["id"]
    assert site.post("ta", f"/qa/t/{tid}/reply", {"body": f"Comment {payload}",
                                                  "parent_id": str(answer)}).status_code == 303
    assert site.post("ta", f"/qa/p/{answer}/edit", {"body": f"Edited {payload}"}) \
        .status_code == 303
    bob, prof = site.client("bob"), site.client("prof")
    for page in (bob.get(f"/qa/t/{tid}").text, bob.get("/qa").text,
                 bob.get("/qa-search?q=title").text, bob.get("/qa-similar?title=title").text,
                 prof.get(f"/qa/p/{answer}/history").text, prof.get("/qa-notifications").text):
        _assert_inert(page)


def test_bad_input_gets_a_clear_message(site: Site, asked: dict[str, int]) -> None:
    ada = site.client("ada")
    empty = site.post("ada", "/qa-new", {"title": "", "body": ""})
    assert empty.status_code == 400 and "a title needs 5–200 characters" in empty.text
    no_body = site.post("ada", "/qa-new", {"title": "A fine title", "body": "   "})
    assert no_body.status_code == 400 and "the post is empty" in no_body.text
    long_post = site.post("ada", "/qa-new", {"title": "A fine title", "body": "x" * 30_000})
    assert long_post.status_code == 400 and "characters" in long_post.text
    huge = site.post("ada", "/qa-new", {"title": "A fine title", "body": "x" * 50_000})
    assert huge.status_code == 413 and "at most 40000" in huge.text
    raw = ada.post("/qa-new", content=b"title=\xff\xfe\xfa&body=\xc3\x28&csrf_token="
                   + site.csrf("ada").encode(),
                   headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert raw.status_code == 400, raw.text
    not_json = ada.post("/api/qa/threads", content=b"\xff\xfe{", headers={
        "Content-Type": "application/json", "X-CSRF-Token": site.csrf("ada")})
    assert not_json.status_code == 400 and "UTF-8 JSON" in not_json.text
    for path in ("/qa/t/999999", "/api/qa/threads/999999", "/qa/p/999999/history"):
        response = ada.get(path)
        assert response.status_code == 404 and "999999" in response.text, path
    assert site.post("ada", "/qa/t/999999/reply", {"body": "hello"}).status_code == 404
    assert site.post("ada", "/qa/p/999999/edit", {"body": "hello"}).status_code == 404
    assert ada.get("/qa/t/not-a-number").status_code == 422
    assert ada.get("/qa/on/challenge/no-such").status_code == 404
    assert ada.get("/qa/on/planet/mars").status_code == 404
    no_stage = ada.get("/qa/on/stage/warp-drive")
    assert no_stage.status_code == 404 and "tensor" in no_stage.text  # names the stages
    assert "Questions on project stage tensor" in ada.get("/qa/on/stage/3").text
    assert ada.get("/qa?show=everything").status_code == 400
    assert site.post("ada", f"/qa/t/{asked['open']}/reply",
                     {"body": "x", "parent_id": "abc"}).status_code == 400
    assert site.post("prof", f"/qa/t/{asked['open']}/merge", {"into": ""}).status_code == 400
    no_csrf = ada.post(f"/qa/t/{asked['open']}/reply", data={"body": "hello"})
    assert no_csrf.status_code == 403 and "CSRF" in no_csrf.text


def test_posting_too_fast_is_refused_with_429(site: Site) -> None:
    from vibrastic.platform.qa.board import POSTS_PER_WINDOW

    tid = site.ask("prof", "Thread for the rate test", target_kind="course", target="")
    statuses = [site.api("cy", "POST", f"/api/qa/threads/{tid}/posts",
                         {"body": f"post {i}"}).status_code for i in range(POSTS_PER_WINDOW + 1)]
    assert statuses == [201] * POSTS_PER_WINDOW + [429]
    assert "wait a few minutes" in site.api("cy", "POST", f"/api/qa/threads/{tid}/posts",
                                            {"body": "again"}).text


def test_the_export_is_for_staff_and_keeps_the_record(site: Site, asked: dict[str, int]) -> None:
    data = site.client("prof").get("/qa-export.json")
    assert data.status_code == 200 and "attachment" in data.headers["content-disposition"]
    threads = {t["id"]: t for t in data.json()["threads"]}
    assert threads[asked["anon"]]["author"] == "Ada (anonymous to classmates)"
    assert threads[asked["anon"]]["attached_code"] == SECRET_CODE
    assert asked["private"] in threads
    assert site.client("bob").get("/qa-export.json").status_code == 403


def test_one_learner_serve_has_a_personal_notes_board(client: TestClient) -> None:
    challenge = client.get("/challenges/sigma").text
    assert 'href="/qa/on/challenge/sigma">My notes on this challenge' in challenge
    made = client.post("/qa-new", data={"title": "Remember: range stops early",
                                        "body": "`range(n)` ends at n - 1.",
                                        "target_kind": "challenge", "target": "sigma"},
                       follow_redirects=False)
    assert made.status_code == 303
    thread = client.get(made.headers["location"]).text
    assert "<code>range(n)</code> ends at n - 1." in thread and "Remember" in thread
    assert "(1 open)" in client.get("/challenges/sigma").text
    assert "Remember: range stops early" in client.get("/qa-search?q=range").text
    assert client.get("/api/qa/threads").json()[0]["author"] == "You"
    assert client.get("/qa-events").status_code == 404  # no bell without a classroom


def test_following_a_thread_brings_its_answers_to_the_bell(site: Site) -> None:
    tid = site.ask("ada", "Does sigma need to handle n equal to zero", target_kind="course",
                   target="")
    assert site.post("bob", f"/qa/t/{tid}/follow", {"following": "1"}).status_code == 303
    site.post("prof", f"/qa/t/{tid}/reply", {"body": "Yes: sigma(0) is 0."})
    mine = [n for n in site.api("bob", "GET", "/api/qa/notifications?unread_only=true").json()
            if n["thread_id"] == tid]
    assert [n["kind"] for n in mine] == ["answer"]
    unread = len(site.api("bob", "GET", "/api/qa/notifications?unread_only=true").json())
    assert f'<span id="bell-count">{unread}</span>' in site.client("bob").get("/qa").text
    assert site.post("bob", "/qa-notifications/read").status_code == 303
    assert site.api("bob", "GET", "/api/qa/notifications?unread_only=true").json() == []
    assert '<span id="bell-count">0</span>' in site.client("bob").get("/qa").text
    assert site.post("bob", f"/qa/t/{tid}/follow", {"following": "0"}).status_code == 303
    site.post("prof", f"/qa/t/{tid}/reply", {"body": "And negative n is refused."})
    assert site.api("bob", "GET", "/api/qa/notifications?unread_only=true").json() == []
    assert site.client("anonymous").get("/qa-events").status_code == 303  # sign in first
