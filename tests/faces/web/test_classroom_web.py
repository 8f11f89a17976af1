"""The classroom's pages over HTTP: sign-in, sessions and CSRF, every route's authorisation, the
roster upload, the gradebook exports, and learner-written text that must not become HTML."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import re
from collections.abc import Iterator
from types import SimpleNamespace

import pytest
from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST
from fastapi import Response
from fastapi.testclient import TestClient
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from vibrastic.faces.web import WebConfig, create_app
from vibrastic.faces.web.accounts import COOKIE, COURSE_COOKIE, remember_course
from vibrastic.platform.classroom import accounts
from vibrastic.platform.classroom.accounts import LoginThrottle
from vibrastic.platform.classroom.models import LoginFailure, Submission, User
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


class Site:
    def __init__(self, app, engine) -> None:  # type: ignore[no-untyped-def]
        self.app, self.engine = app, engine
        self.clients: dict[str, TestClient] = {}

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
        page = self.client(who).get("/courses").text
        return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("classroom")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("VIBRASTIC_HOME", str(root / "home"))
        mp.setenv("VIBRASTIC_WORKSPACE", str(root / "work"))
        mp.setattr(accounts, "_hasher", PasswordHasher.from_parameters(CHEAPEST))
        app = create_app(WebConfig(quick_lessons=True, grading_workers=1,
                                   database_url=f"sqlite:///{root / 'room.db'}",
                                   secure_cookies=False))
        engine = app.state.classroom.engine
        ids = {n: create_user(engine, email=f"{n}@example.org", name=n.capitalize(),
                              username=n, password=PASSWORD) for n in WHO[1:]}
        course = create_course(engine, slug="ai-101", title="AI 101", instructor_id=ids["prof"])
        create_course(engine, slug="other-101", title="Other", instructor_id=ids["other"])
        code = add_section(engine, course, "A", by=ids["prof"])
        for n in ("ada", "bob", "ta"):
            join_with_code(engine, ids[n], code)
        set_role(engine, course, ids["ta"], "ta", by=ids["prof"])
        with Session(engine) as session, session.begin():
            session.add(Submission(course_id=course, user_id=ids["ada"], challenge="sigma",
                                   source="def sigma(n):\n    return 0  # ada's secret\n",
                                   state="done", created_at="2026-11-28T09:00:00+00:00",
                                   status="fail", score=0.0,
                                   max_score=get_challenge("sigma").max_score,
                                   hidden_run=True,
                                   result_json=json.dumps({"status": "fail", "tests": []})))
        with TestClient(app):  # runs the lifespan (grading, events)
            site = Site(app, engine)
            yield site
            for client in site.clients.values():
                client.close()


# route, method, who may use it (anyone else: 303 to sign in when anonymous, else 403/404)
GET_ROUTES = [
    ("/c/ai-101/dashboard", {"ta", "prof"}),
    ("/c/ai-101/dashboard/grid", {"ta", "prof"}),
    ("/c/ai-101/gradebook", {"ta", "prof"}),
    ("/c/ai-101/gradebook.csv", {"ta", "prof"}),
    ("/c/ai-101/gradebook.csv?shape=canvas", {"ta", "prof"}),
    ("/c/ai-101/roster", {"prof"}),
    ("/c/ai-101/learners/ada/sigma", {"ta", "prof", "ada"}),
    ("/c/ai-101/grades", {"ada", "bob", "ta", "prof"}),
    ("/courses", {"ada", "bob", "ta", "prof", "other"}),
]


@pytest.mark.parametrize(("path", "allowed"), GET_ROUTES)
@pytest.mark.parametrize("who", WHO)
def test_every_page_answers_only_the_people_it_is_for(site: Site, path: str, allowed: set[str],
                                                      who: str) -> None:
    response = site.client(who).get(path)
    if who == "anonymous":
        assert response.status_code == 303
        assert response.headers["location"].startswith("/signin?next=")
    elif who in allowed:
        assert response.status_code == 200, response.text
    else:
        assert response.status_code in (403, 404), (who, path, response.status_code)
        assert "secret" not in response.text


POST_ROUTES = [
    ("/c/ai-101/roster/section", {"name": "Matrix"}),
    ("/c/ai-101/roster/role", {"username": "bob", "role": "learner"}),
    ("/c/ai-101/roster/reset", {"username": "bob"}),
    ("/c/ai-101/gradebook/override", {"username": "bob", "item": "sigma", "score": "1",
                                      "reason": "matrix test"}),
]


@pytest.mark.parametrize(("path", "form"), POST_ROUTES)
@pytest.mark.parametrize("who", WHO)
def test_only_the_instructor_changes_rosters_and_grades(site: Site, path: str, form: dict,
                                                        who: str) -> None:
    data = dict(form)
    if who != "anonymous":
        data["csrf_token"] = site.csrf(who)
    response = site.client(who).post(path, data=data)
    if who == "prof":
        assert response.status_code in (200, 303), response.text
    elif who == "anonymous":
        assert response.status_code == 303 and "/signin" in response.headers["location"]
    else:
        assert response.status_code in (403, 404)


def test_forms_without_the_sessions_csrf_token_are_refused(site: Site) -> None:
    prof = site.client("prof")
    for token in ("", "forged", site.csrf("ada")):
        response = prof.post("/c/ai-101/roster/section", data={"name": "X", "csrf_token": token})
        assert response.status_code == 403
        assert "CSRF token missing or wrong" in response.text


def test_sign_in_sets_a_safe_cookie_and_a_new_session(site: Site) -> None:
    client = TestClient(site.app, follow_redirects=False)
    client.cookies.set(COOKIE, "planted-by-an-attacker")
    response = client.post("/signin", data={"email": "bob@example.org", "password": PASSWORD})
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    token = response.cookies.get(COOKIE) or client.cookies.get(COOKIE)
    assert token and token != "planted-by-an-attacker"
    bad = TestClient(site.app, follow_redirects=False).post(
        "/signin", data={"email": "bob@example.org", "password": "wrong password!"})
    assert bad.status_code == 400 and "do not match an account" in bad.text
    assert COOKIE not in bad.headers.get("set-cookie", "")


def test_sign_in_redirects_only_to_local_pages(site: Site) -> None:
    client = TestClient(site.app, follow_redirects=False)
    for target, expected in (("/c/ai-101/grades", "/c/ai-101/grades"),
                             ("https://evil.example/", "/"), ("//evil.example", "/"),
                             ("/\\evil.example", "/")):
        response = client.post("/signin", data={"email": "bob@example.org",
                                                "password": PASSWORD, "next": target})
        assert response.headers["location"] == expected


@pytest.fixture
def throttle(site: Site) -> Iterator[LoginThrottle]:
    """Small limits for the sign-in attack tests; their failures are forgotten afterwards."""
    room = site.app.state.classroom
    saved, room.throttle = room.throttle, LoginThrottle(per_pair=3, per_account=5,
                                                        per_client=8, window=600)
    yield room.throttle
    room.throttle = saved
    with Session(site.engine) as session, session.begin():
        session.execute(delete(LoginFailure))


def _sign_in(site: Site, email: str, password: str, address: str):  # type: ignore[no-untyped-def]
    client = TestClient(site.app, follow_redirects=False, client=(address, 40000))
    return client.post("/signin", data={"email": email, "password": password})


def test_a_learners_typos_do_not_lock_out_the_room_behind_one_address(
        site: Site, throttle: LoginThrottle) -> None:
    room = "203.0.113.7"  # one NAT address for the whole classroom
    codes = [_sign_in(site, "bob@example.org", "wrong password!", room).status_code
             for _ in range(3)]
    assert codes == [400] * 3
    locked = _sign_in(site, "bob@example.org", PASSWORD, room)
    assert locked.status_code == 429 and "too many failed sign-ins" in locked.text
    assert _sign_in(site, "ada@example.org", PASSWORD, room).status_code == 303  # a neighbour
    assert _sign_in(site, "ta@example.org", PASSWORD, room).status_code == 303
    assert _sign_in(site, "bob@example.org", PASSWORD, "198.51.100.1").status_code == 303


def test_one_account_is_throttled_after_failures_from_many_addresses(
        site: Site, throttle: LoginThrottle) -> None:
    for n in range(5):  # five machines, one wrong guess each: no address reaches its limit
        assert _sign_in(site, "ta@example.org", "guess number " + str(n),
                        f"192.0.2.{n + 1}").status_code == 400
    refused = _sign_in(site, "ta@example.org", PASSWORD, "192.0.2.200")
    assert refused.status_code == 429
    wait = int(refused.headers["retry-after"])
    assert 0 < wait <= 600
    assert f"try again in {wait} seconds" in refused.text  # the page names when, as the header
    assert COOKIE not in refused.headers.get("set-cookie", "")
    assert _sign_in(site, "ada@example.org", PASSWORD, "192.0.2.200").status_code == 303


def test_a_spray_over_many_accounts_from_one_address_is_throttled(
        site: Site, throttle: LoginThrottle) -> None:
    for n in range(8):  # one try each at eight accounts: below every per-account limit
        assert _sign_in(site, f"user{n}@example.org", "Password123!",
                        "198.51.100.66").status_code == 400
    refused = _sign_in(site, "ada@example.org", PASSWORD, "198.51.100.66")
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
    assert _sign_in(site, "ada@example.org", PASSWORD, "198.51.100.67").status_code == 303


def test_sign_out_everywhere_ends_other_sessions(site: Site) -> None:
    first, second = (TestClient(site.app, follow_redirects=False) for _ in range(2))
    for client in (first, second):
        client.post("/signin", data={"email": "bob@example.org", "password": PASSWORD})
    page = first.get("/courses").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert first.post("/signout-everywhere", data={"csrf_token": csrf}).status_code == 303
    assert second.get("/courses").status_code == 303  # back to sign-in
    site.clients.pop("bob", None)


def test_joining_with_a_code_creates_an_account(site: Site) -> None:
    page = site.client("prof").get("/c/ai-101/roster").text
    code = re.search(r"A: <code>([A-Z0-9]+)</code>", page).group(1)
    client = TestClient(site.app, follow_redirects=False)
    bad = client.post("/join", data={"code": code, "email": "cy@example.org", "name": "Cy",
                                     "username": "cy", "password": "short"})
    assert bad.status_code == 400 and "at least 10 characters" in bad.text
    assert 'value="cy@example.org"' in bad.text  # what was typed is kept
    good = client.post("/join", data={"code": code, "email": "cy@example.org", "name": "Cy",
                                      "username": "cy", "password": PASSWORD})
    assert good.status_code == 303
    assert "AI 101" in client.get("/courses").text


def test_the_course_a_person_opens_stays_open_across_requests(site: Site) -> None:
    with Session(site.engine) as session:
        prof_id = session.scalar(select(User.id).where(User.username == "prof"))
    beta = create_course(site.engine, slug="beta-201", title="Beta", instructor_id=prof_id)
    beta_code = add_section(site.engine, beta, "B1", by=prof_id)
    page = site.client("prof").get("/c/ai-101/roster").text
    code = re.search(r"A: <code>([A-Z0-9]+)</code>", page).group(1)
    client = TestClient(site.app, follow_redirects=False)
    assert client.post("/join", data={"code": code, "email": "fay@example.org", "name": "Fay",
                                      "username": "fay", "password": PASSWORD}
                       ).status_code == 303
    assert "(AI 101)" in client.get("/").text  # one course: that one
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/courses").text).group(1)
    joined = client.post("/join", data={"code": beta_code, "csrf_token": csrf})
    assert joined.status_code == 303  # joining another course opens it
    cookie = joined.headers["set-cookie"]
    assert cookie.startswith(f"{COURSE_COOKIE}=beta-201;")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    for _ in range(2):  # it sticks: every later page is about Beta, the second by title
        assert "(Beta)" in client.get("/").text
        assert "<strong>Beta</strong> (learner), open" in client.get("/courses").text
    assert client.post("/c/ai-101/open", data={}).status_code == 403  # no CSRF token
    opened = client.post("/c/ai-101/open", data={"csrf_token": csrf})
    assert opened.status_code == 303 and opened.headers["location"] == "/"
    assert "(AI 101)" in client.get("/").text and "(AI 101)" in client.get("/progress").text
    refused = client.post("/c/other-101/open", data={"csrf_token": csrf})
    assert refused.status_code == 404 and "(AI 101)" in client.get("/").text


def test_the_course_cookie_is_secure_when_secure_cookies_are_on() -> None:
    request = SimpleNamespace(app=SimpleNamespace(state=SimpleNamespace(
        classroom=SimpleNamespace(secure_cookies=True))))
    response = Response()
    remember_course(request, response, "ai-101")  # type: ignore[arg-type]
    cookie = response.headers["set-cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie


def test_roster_upload_imports_and_names_bad_rows(site: Site) -> None:
    prof, csrf = site.client("prof"), site.csrf("prof")
    good = prof.post("/c/ai-101/roster/import", data={"csrf_token": csrf}, files={
        "roster": ("roster.csv", b"email,name,section\ndee@example.org,Dee,B\n", "text/csv")})
    assert good.status_code == 200 and "1 invited" in good.text
    link = re.search(r"<code>(http://testserver/invite/[^<]+)</code>", good.text).group(1)
    joined = TestClient(site.app, follow_redirects=False).post(
        link.removeprefix("http://testserver"), data={"username": "dee", "password": PASSWORD})
    assert joined.status_code == 303
    bad = prof.post("/c/ai-101/roster/import", data={"csrf_token": csrf}, files={
        "roster": ("roster.csv", b"email,name\nnot-an-email,X\n", "text/csv")})
    assert bad.status_code == 400 and "row 2, column &#39;email&#39;" in bad.text
    huge = prof.post("/c/ai-101/roster/import", data={"csrf_token": csrf}, files={
        "roster": ("roster.csv", b"email,name\n" + b"x" * (1 << 20), "text/csv")})
    assert huge.status_code == 400 and "at most 1048576 bytes" in huge.text
    binary = prof.post("/c/ai-101/roster/import", data={"csrf_token": csrf}, files={
        "roster": ("roster.csv", b"\xff\xfe\x00e\x00m", "text/csv")})
    assert binary.status_code == 400 and "not UTF-8 text" in binary.text


def test_gradebook_exports_have_the_right_rows(site: Site) -> None:
    text = site.client("ta").get("/c/ai-101/gradebook.csv?key=email").text
    rows = {r[0]: r for r in csv.reader(io.StringIO(text))}
    assert rows["email"][:5] == ["email", "name", "section", "triangle", "sigma"]
    assert "ada@example.org" in rows and "prof@example.org" not in rows
    assert site.client("ta").get("/c/ai-101/gradebook.csv?key=name").status_code == 400


def test_dashboard_cells_escape_every_value() -> None:
    """The grid's cells are written in Python for speed: every value in them is escaped."""
    from vibrastic.faces.web.classroom import grid_cells
    from vibrastic.platform.classroom.dashboard import Cell

    evil = '<img src=x onerror=alert(1)>"'
    html = str(grid_cells('c"<', evil, [
        (evil, 2.0, Cell(status="attempted", best=1.5, checks=3, stuck=[evil])),
        ("sigma", 1.0, None), ("greeter", 1.0, Cell(status="passed", best=1.0, checks=1))]))
    assert "<img" not in html and '"<' not in html and "&lt;img" in html
    assert html.count("<td ") == 3 and html.count("<a href=") == 2
    assert "✗ 1.5/2</a>" in html and 'class="cell attempted stuck"' in html
    assert 'class="cell not-started" data-learner="&lt;img' in html
    assert 'aria-label="&lt;img src=x onerror=alert(1)&gt;&quot;, greeter: passed, best 1 of 1' \
           in html


def test_learner_written_text_is_never_html(site: Site) -> None:
    client = TestClient(site.app, follow_redirects=False)
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    page = client.post("/join", data={"code": "NOPE2345", "email": "e@example.org",
                                      "name": evil, "username": "evil", "password": PASSWORD})
    assert "<script>alert" not in page.text and "&lt;script&gt;" in page.text
    override = site.client("prof").post("/c/ai-101/gradebook/override", data={
        "username": "ada", "item": "sigma", "score": "2", "reason": evil,
        "csrf_token": site.csrf("prof")})
    assert override.status_code == 303
    book = site.client("prof").get("/c/ai-101/gradebook").text
    assert "<script>alert" not in book and "<img src=x" not in book
    grades = site.client("ada").get("/c/ai-101/grades").text
    assert "&lt;script&gt;" in grades and "<script>alert" not in grades


SIGMA_OK = "def sigma(n):\n    return sum(i * i for i in range(1, n + 1))\n"


def test_a_learners_code_checks_and_hints_are_their_own(site: Site) -> None:
    ada, bob = site.client("ada"), site.client("bob")
    headers = {"X-CSRF-Token": site.csrf("ada")}
    assert ada.put("/api/challenges/sigma/source", json={"source": SIGMA_OK}).status_code == 403
    saved = ada.put("/api/challenges/sigma/source", json={"source": SIGMA_OK}, headers=headers)
    assert saved.status_code == 200, saved.text
    assert bob.get("/api/challenges/sigma").json()["source"] != SIGMA_OK  # bob's is his own
    job = ada.post("/api/challenges/sigma/check", headers=headers).json()["job_id"]
    result = site.app.state.classroom.grading.wait(job, 120)
    assert result.state == "done"
    status = ada.get(f"/api/jobs/{job}").json()
    assert status["state"] == "done" and status["result"]["status"] == "pass"
    assert bob.get(f"/api/jobs/{job}").status_code == 404  # not bob's to see
    assert ada.get("/api/challenges/sigma").json()["status"] == "passed"
    assert bob.get("/api/challenges/sigma").json()["status"] == "not started"
    hint = ada.post("/api/challenges/slicing/hint", headers=headers).json()
    assert hint["number"] == 1 and bob.get("/api/challenges/slicing").json()["hints"] == []
    grid = site.client("prof").get("/c/ai-101/dashboard/grid").text
    assert 'data-learner="ada" data-challenge="sigma"' in grid and "✓" in grid
    anonymous = site.client("anonymous").get("/api/challenges/sigma")
    assert anonymous.status_code == 401 and "sign in first" in anonymous.json()["detail"]


def test_only_instructors_create_courses(site: Site) -> None:
    created = site.client("prof").post("/courses", data={
        "slug": "ai-102", "title": "AI 102", "csrf_token": site.csrf("prof")})
    assert created.status_code == 303 and created.headers["location"] == "/c/ai-102/roster"
    again = site.client("prof").post("/courses", data={
        "slug": "ai-102", "title": "AI 102", "csrf_token": site.csrf("prof")})
    assert again.status_code == 400 and "exists already" in again.text
    refused = site.client("ada").post("/courses", data={
        "slug": "ada-101", "title": "Mine", "csrf_token": site.csrf("ada")})
    assert refused.status_code == 403


def test_a_cross_site_request_cannot_reveal_a_hint(site: Site) -> None:
    """What another site can make a signed-in learner's browser send (a link or an image: a GET
    with her cookie, as SameSite=Lax allows; a form: a POST without her CSRF token) reveals no
    hint, so nobody can spend her hints or raise the dashboard's "hints exhausted" flag."""
    from vibrastic.platform.classroom.hints import hints_seen
    from vibrastic.platform.classroom.models import Course

    ada, url = site.client("ada"), "/api/challenges/triangle/hint"
    with Session(site.engine) as session:
        course = session.query(Course.id).filter_by(slug="ai-101").scalar()
    linked = ada.get(url)
    assert linked.status_code == 200 and linked.json()["revealed"] is False
    assert linked.json()["hints"] == [] and "POST /api/challenges/triangle/hint" in \
        linked.json()["message"]
    assert ada.get(url, headers={"X-CSRF-Token": site.csrf("bob")}).json()["revealed"] is False
    for path in (url, "/challenges/triangle/hint"):
        for form in ({}, {"csrf_token": "forged"}, {"csrf_token": site.csrf("bob")}):
            refused = ada.post(path, data=form)
            assert refused.status_code == 403 and "CSRF token missing or wrong" in refused.text
    assert ada.get("/api/challenges/triangle").json()["hints"] == []
    assert not any(c == "triangle" for _user, c in hints_seen(site.engine, course))
    mine = {"X-CSRF-Token": site.csrf("ada")}
    first = ada.post(url, headers=mine).json()
    second = ada.get(url, headers=mine).json()  # a script sending the header still may
    assert (first["number"], first["revealed"], second["number"]) == (1, True, 2)
    assert ada.get(url).json()["hints"] == second["hints"]  # reading them again is free


def test_a_learners_project_is_their_own_and_shows_in_the_gradebook(site: Site) -> None:
    from vibrastic.platform.course.project import get_project

    stage = get_project().stages[0]
    ada, bob = site.client("ada"), site.client("bob")
    headers = {"X-CSRF-Token": site.csrf("ada")}
    assert ada.post(f"/api/project/stages/{stage.slug}/start").status_code == 403  # no CSRF
    started = ada.post(f"/api/project/stages/{stage.slug}/start", headers=headers).json()
    assert sorted(started["written"]) == sorted(stage.files)
    for rel, data in stage.reference_files.items():
        saved = ada.put(f"/api/project/files/{rel}", headers=headers,
                        json={"source": data.decode() + "# ada's secret\n", "force": True})
        assert saved.status_code == 200, saved.text
    outside = ada.put("/api/project/files/mygrad/%2E%2E/x.py", headers=headers,
                      json={"source": "x"})
    assert outside.status_code == 400
    assert bob.get("/api/project/files").json() == {}  # bob's package is his own
    assert "secret" not in bob.get(f"/project/stages/{stage.slug}").text
    job = ada.post(f"/api/project/stages/{stage.slug}/check", headers=headers).json()["job_id"]
    assert site.app.state.classroom.grading.wait(job, 120).state == "done"
    assert ada.get(f"/api/jobs/{job}").json()["result"]["status"] == "pass"
    assert bob.get(f"/api/jobs/{job}").status_code == 404
    assert ada.get("/api/project").json()["stages"][0]["status"] == "passed"
    assert bob.get("/api/project").json()["stages"][0]["status"] == "not started"
    text = site.client("prof").get("/c/ai-101/gradebook.csv").text
    rows = {r[0]: r for r in csv.reader(io.StringIO(text))}
    column = rows["username"].index(stage.name)
    assert rows["ada"][column] == f"{stage.max_score:g}" and rows["bob"][column] == ""
    assert stage.name in site.client("prof").get("/c/ai-101/gradebook").text
    grid = site.client("prof").get("/c/ai-101/dashboard/grid").text
    assert f'data-learner="ada" data-challenge="{stage.name}"' in grid
    code = site.client("prof").get(f"/c/ai-101/learners/ada/{stage.name}").text
    assert "# ---- mygrad/operators.py" in code and "ada&#39;s secret" in code


# Every route of the classroom app and who may use it. A new route fails
# test_every_route_is_in_the_authorisation_matrix until it is placed here (and so tested):
# public: anyone; member: a signed-in person, about their own course and work (what is another
# learner's is tested by id below); staff: a course's TAs and instructors (a learner's own latest
# code too); instructor: a course's instructors.
ACCESS = {
    "public": """GET /signin|POST /signin|GET /join|POST /join|GET /invite/{token}|
        POST /invite/{token}|GET /reset/{token}|POST /reset/{token}|GET /api/health|
        GET /pygments.css|MOUNT /static""",
    "member": """GET /|GET /progress|GET /courses|POST /signout|POST /signout-everywhere|
        GET /lessons/{ref}|GET /lessons/{ref}/status|POST /lessons/{ref}/run|
        GET /lessons/{ref}/figures/{key}/{name}|GET /lessons/{ref}/notebook|
        GET /download/vibrastic.whl|GET /download/{filename}|GET /labs/{name}|POST /labs/{name}|
        GET /labs/{name}/runs/{run_id}|POST /labs/{name}/runs/{run_id}/cancel|
        GET /challenges/{name}|POST /challenges/{name}/save|POST /challenges/{name}/hint|
        POST /challenges/{name}/give-up|GET /challenges/{name}/attempts|
        GET /challenges/{name}/results/{job_id}|GET /challenges/{name}/side|
        GET /c/{slug}/grades|POST /c/{slug}/open|GET /project|GET /project/stages/{ref}|
        POST /project/stages/{ref}/start|POST /project/stages/{ref}/save|
        POST /project/stages/{ref}/hint|GET /project/stages/{ref}/side|
        GET /project/results/{job_id}|GET /project/milestones/{name}|
        POST /project/milestones/{name}/run|
        GET /project/milestones/{name}/runs/{run_id}/{figure}.svg|
        GET /qa|GET /qa/on/{kind}/{target}|GET /qa/t/{thread_id}|GET /qa-new|POST /qa-new|
        POST /qa/t/{thread_id}/reply|POST /qa/t/{thread_id}/resolve|POST /qa/t/{thread_id}/follow|
        POST /qa/t/{thread_id}/moderate|POST /qa/t/{thread_id}/merge|POST /qa/p/{post_id}/edit|
        POST /qa/p/{post_id}/delete|POST /qa/p/{post_id}/endorse|POST /qa/p/{post_id}/hide|
        GET /qa/p/{post_id}/history|GET /qa-search|GET /qa-similar|GET /qa-notifications|
        POST /qa-notifications/read|GET /qa-events|GET /qa-export.json|
        GET /api/course|GET /api/challenges/{name}|PUT /api/challenges/{name}/source|
        POST /api/challenges/{name}/check|GET /api/jobs/{job_id}|GET /api/jobs/{job_id}/events|
        GET /api/challenges/{name}/hint|POST /api/challenges/{name}/hint|
        POST /api/challenges/{name}/give-up|GET /api/challenges/{name}/solution|
        GET /api/labs/{name}|POST /api/labs/{name}/runs|GET /api/runs/{run_id}|
        POST /api/runs/{run_id}/cancel|GET /api/runs/{run_id}/events|
        GET /api/runs/{run_id}/figures/{figure}.svg|GET /api/project|GET /api/project/files|
        PUT /api/project/files/{path:path}|GET /api/project/stages/{ref}|
        POST /api/project/stages/{ref}/start|POST /api/project/stages/{ref}/check|
        POST /api/project/stages/{ref}/hint|GET /api/project/milestones/{name}|
        POST /api/project/milestones/{name}/run|GET /api/qa/threads|POST /api/qa/threads|
        GET /api/qa/threads/{thread_id}|POST /api/qa/threads/{thread_id}/posts|
        POST /api/qa/threads/{thread_id}/resolved|PUT /api/qa/posts/{post_id}|
        DELETE /api/qa/posts/{post_id}|POST /api/qa/posts/{post_id}/endorsed|GET /api/qa/search|
        GET /api/qa/similar|GET /api/qa/open|GET /api/qa/notifications|
        POST /api/qa/notifications/read|GET /api/qa/export|
        GET /api/docs|GET /api/openapi.json|GET /docs/oauth2-redirect""",
    "staff": """GET /c/{slug}/dashboard|GET /c/{slug}/dashboard/grid|GET /c/{slug}/dashboard/events|
        GET /c/{slug}/gradebook|GET /c/{slug}/gradebook.csv|
        GET /c/{slug}/learners/{username}/{challenge}""",
    "instructor": """POST /courses|GET /c/{slug}/roster|POST /c/{slug}/roster/import|
        POST /c/{slug}/roster/section|POST /c/{slug}/roster/role|POST /c/{slug}/roster/remove|
        POST /c/{slug}/roster/reset|POST /c/{slug}/gradebook/override""",
}
ROUTES = {route.strip(): who for who, text in ACCESS.items() for route in text.split("|")}


def app_routes(routes: list) -> set[str]:  # type: ignore[type-arg]
    """``METHOD /path`` of every route, included routers too (HEAD is GET's)."""
    found = set()
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            found |= app_routes(inner.routes)
        elif hasattr(route, "methods"):
            found |= {f"{m} {route.path}" for m in route.methods - {"HEAD"}}
        else:
            found.add(f"MOUNT {route.path}")
    return found


def test_every_route_is_in_the_authorisation_matrix(site: Site) -> None:
    routes = app_routes(site.app.routes)
    assert routes - set(ROUTES) == set(), "place these routes in ACCESS (and test them)"
    assert set(ROUTES) - routes == set(), "these routes are gone: take them out of ACCESS"


def _sample(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x", path).replace("/static", "/static/app.css")


@pytest.mark.parametrize("route", sorted(ROUTES))
def test_anonymous_people_reach_only_the_public_routes(site: Site, route: str) -> None:
    method, path = route.split(" ", 1)
    response = site.client("anonymous").request("GET" if method == "MOUNT" else method,
                                                _sample(path))
    if ROUTES[route] == "public":
        assert response.status_code < 500 and response.status_code not in (303, 401), route
    elif path.startswith("/api/"):
        assert response.status_code == 401 and "sign in first" in response.json()["detail"]
    else:
        assert response.status_code == 303, route
        assert response.headers["location"].startswith("/signin?next=")


@pytest.mark.parametrize("who", ["ada", "bob", "ta", "other"])
def test_only_staff_watch_and_only_instructors_change_the_roster(site: Site, who: str) -> None:
    """The routes the GET/POST matrices above cannot call for everyone (a stream, an upload,
    a removal): refused to everyone who may not use them."""
    client, csrf = site.client(who), site.csrf(who)
    if who != "ta":  # a TA may watch; streams are not opened here for those who may
        events = client.get("/c/ai-101/dashboard/events")
        assert events.status_code in (403, 404)
    upload = client.post("/c/ai-101/roster/import", data={"csrf_token": csrf}, files={
        "roster": ("roster.csv", b"email,name\nzed@example.org,Zed\n", "text/csv")})
    removal = client.post("/c/ai-101/roster/remove", data={"username": "bob",
                                                          "csrf_token": csrf})
    assert upload.status_code in (403, 404) and removal.status_code in (403, 404)
    assert "zed@example.org" not in site.client("prof").get("/c/ai-101/roster").text
    assert site.client("bob").get("/c/ai-101/grades").status_code == 200  # still enrolled


def test_another_learners_verdicts_and_code_stay_theirs(site: Site) -> None:
    """Job ids and usernames are guessable: each route that takes one answers only its owner
    (and staff, for a learner's code)."""
    ada, bob = site.client("ada"), site.client("bob")
    headers = {"X-CSRF-Token": site.csrf("ada")}
    job = ada.post("/api/challenges/sigma/check", json={"source": SIGMA_OK},
                   headers=headers).json()["job_id"]
    site.app.state.classroom.grading.wait(job, 120)
    for path in (f"/api/jobs/{job}", f"/api/jobs/{job}/events",
                 f"/challenges/sigma/results/{job}", f"/project/results/{job}"):
        assert ada.get(path).status_code == 200, path
        assert bob.get(path).status_code == 404, path
    assert bob.get("/c/ai-101/learners/ada/sigma").status_code == 403
    assert "return sum" in site.client("ta").get("/c/ai-101/learners/ada/sigma").text


UNKNOWN_RUN = "0123456789ab"


def _run_routes(run_id: str, figure: str) -> list[tuple[str, str]]:
    """Every route that takes a lab run id: (method, path)."""
    return [("GET", f"/api/runs/{run_id}"), ("GET", f"/api/runs/{run_id}/events"),
            ("GET", f"/api/runs/{run_id}/figures/{figure}.svg"),
            ("GET", f"/labs/autograd/runs/{run_id}"), ("POST", f"/api/runs/{run_id}/cancel"),
            ("POST", f"/labs/autograd/runs/{run_id}/cancel")]


def _start_run(site: Site, who: str, lab: str, params: dict) -> str:
    started = site.client(who).post(f"/api/labs/{lab}/runs", json=params,
                                    headers={"X-CSRF-Token": site.csrf(who)})
    assert started.status_code == 202, started.text
    return started.json()["id"]


def test_a_lab_run_is_seen_and_cancelled_only_by_who_started_it_and_staff(site: Site) -> None:
    """Run ids are guessable: every route taking one answers ada's run to ada and the staff
    of her course; to anyone else it is exactly what an unknown id gets."""
    run_id = _start_run(site, "ada", "autograd", {"seed": 0, "backend": "vibrastic"})
    assert site.app.state.ctx.labs.get(run_id).wait(300)  # a bound on a hang
    figure = site.client("ada").get(f"/api/runs/{run_id}").json()["figures"][0]
    for who in ("ada", "ta", "prof", "bob", "other"):
        client, headers = site.client(who), {"X-CSRF-Token": site.csrf(who)}
        for method, path in _run_routes(run_id, figure):
            response = client.request(method, path, headers=headers)
            if who in ("ada", "ta", "prof"):
                assert response.status_code in (200, 303), (who, path, response.text)
                continue
            unknown = client.request(method, path.replace(run_id, UNKNOWN_RUN),
                                     headers=headers)
            assert response.status_code == unknown.status_code == 404, (who, path)
            assert response.text == unknown.text.replace(UNKNOWN_RUN, run_id), (who, path)
    assert site.client("ada").get(f"/api/runs/{run_id}").json()["state"] == "done"


def test_another_web_process_checks_the_runs_owner_from_its_file(site: Site) -> None:
    """A second app on the same database and cache folder stands for another web process of
    ``classroom serve --processes 2``: it knows ada's run only from the shared file."""
    run_id = _start_run(site, "ada", "xor", {"epochs": 200_000})
    cancel_file = site.app.state.ctx.cache_dir / "lab-runs" / f"{run_id}.cancel"
    ctx = site.app.state.ctx  # each test has its own VIBRASTIC_HOME: name the cache folder
    second = create_app(dataclasses.replace(ctx.config, cache_dir=ctx.cache_dir))
    assert second.state.ctx.labs is not ctx.labs
    with TestClient(second):  # runs its lifespan (and closes its lab runs after)
        there = {who: TestClient(second, follow_redirects=False,
                                 cookies=dict(site.client(who).cookies))
                 for who in ("ada", "bob", "ta")}
        assert there["bob"].get(f"/api/runs/{run_id}").status_code == 404
        refused = there["bob"].post(f"/api/runs/{run_id}/cancel",
                                    headers={"X-CSRF-Token": site.csrf("bob")})
        assert refused.status_code == 404 and not cancel_file.exists()
        assert there["ta"].get(f"/api/runs/{run_id}").status_code == 200
        seen = there["ada"].get(f"/api/runs/{run_id}")
        assert seen.status_code == 200 and seen.json()["state"] in ("queued", "running")
        cancelled = there["ada"].post(f"/api/runs/{run_id}/cancel",
                                      headers={"X-CSRF-Token": site.csrf("ada")})
        assert cancelled.status_code == 200 and cancel_file.exists()
        for client in there.values():
            client.close()
    run = site.app.state.ctx.labs.get(run_id)
    assert run.wait(300) and run.state == "cancelled"


def test_too_many_checks_get_a_429_saying_when_to_check_again(
        site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    from vibrastic.platform.classroom import grading

    monkeypatch.setattr(grading, "CHECKS_PER_WINDOW", 1)
    bob, headers = site.client("bob"), {"X-CSRF-Token": site.csrf("bob")}
    for _ in range(3):
        response = bob.post("/api/challenges/sigma/check", json={"source": SIGMA_OK},
                            headers=headers)
        if response.status_code != 202:
            break
        site.app.state.classroom.grading.wait(response.json()["job_id"], 120)
    assert response.status_code == 429
    assert "in the last minute; you can check again in" in response.json()["detail"]
    assert "your code is saved" in response.json()["detail"]
    assert 1 <= int(response.headers["retry-after"]) <= 60
