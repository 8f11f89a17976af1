"""HTTP tests of the pages: home, lessons (rendering, cache, figures, notebook), progress."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
from fastapi.testclient import TestClient

from vibrastic.platform.course import load_course


def test_home_lists_the_course_in_order_with_a_continue_link(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    course = load_course()
    titles = [m for m in re.findall(r'<a href="/lessons/([\w-]+)">', page.text)]
    assert titles == [lesson.name for lesson in course.lessons]
    positions = [page.text.index(f'href="/challenges/{c}"') for c in course.challenges]
    assert positions == sorted(positions)  # challenges in course order
    for lab in course.labs:
        assert f'href="/labs/{lab}"' in page.text
    assert 'id="continue" href="/lessons/python-refresher"' in page.text
    assert "0 of 13" in page.text


def test_unknown_pages_are_404_naming_what_exists(client: TestClient) -> None:
    lesson = client.get("/lessons/99")
    assert lesson.status_code == 404 and "no lesson &#39;99&#39;" in lesson.text
    assert "pytorch-autograd" in lesson.text
    challenge = client.get("/challenges/nope")
    assert challenge.status_code == 404 and "sigma" in challenge.text
    lab = client.get("/labs/nope")
    assert lab.status_code == 404 and "learning-rate" in lab.text


def test_a_lesson_reads_without_outputs_then_with_them_once_executed(client: TestClient) -> None:
    ctx = client.app.state.ctx
    lesson = ctx.course.lesson(2)
    first = client.get("/lessons/2")
    assert first.status_code == 200
    assert "<math" in first.text and 'data-tex="g(x,y)=xy^2-x^2y' in first.text
    assert ('<span class="kn">import</span><span class="w"> </span><span class="nn">torch</span>'
            in first.text)
    state = ctx.lessons.state(lesson)
    assert state is not None and state.future is not None
    state.future.result(timeout=300)  # the background build, waited for (no sleeping)
    status = client.get("/lessons/2/status")
    assert status.headers.get("HX-Refresh") == "true"
    page = client.get("/lessons/pytorch-autograd")
    assert "tensor(2.)" in page.text and "vibrastic: df/dx = 2.0" in page.text
    [figure] = re.findall(r'<img src="(/lessons/pytorch-autograd/figures/[^"]+\.svg)"', page.text)
    svg = client.get(figure)
    assert svg.status_code == 200 and svg.headers["content-type"] == "image/svg+xml"
    assert svg.content.lstrip().startswith(b"<?xml") and b"<svg" in svg.content
    assert "immutable" in svg.headers["cache-control"]
    # cached by content hash: a second look neither rebuilds nor changes the page
    assert client.get("/lessons/2").text == page.text
    assert ctx.lessons.state(lesson).state == "done"


def test_figure_names_and_keys_are_checked(client: TestClient) -> None:
    assert client.get("/lessons/2/figures/0123456789abcdef/cell01-1.svg").status_code == 404
    assert client.get("/lessons/2/figures/..%2F..%2Fetc/passwd").status_code == 404
    assert client.get("/lessons/2/figures/zz/page.json").status_code == 404


def test_run_again_rebuilds_in_the_background(client: TestClient) -> None:
    ctx = client.app.state.ctx
    response = client.post("/lessons/3/run", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/lessons/what-is-ml"
    state = ctx.lessons.state(ctx.course.lesson(3))
    assert state.state in ("queued", "running", "done")
    state.future.result(timeout=300)
    assert state.state == "done" and state.error is None


def test_lesson_downloads_as_a_notebook_that_installs_from_this_server(
        client: TestClient) -> None:
    response = client.get("/lessons/7/notebook")
    assert response.status_code == 200
    assert 'filename="07-learning-rate-momentum.ipynb"' in response.headers["content-disposition"]
    nb = nbformat.reads(response.text, as_version=4)
    nbformat.validate(nb)
    setup = nb.cells[0].source
    assert "http://testserver/download/vibrastic-" in setup and ".whl" in setup
    assert nb.metadata["vibrastic"]["lesson"] == "learning-rate-momentum"


def test_progress_page_lists_every_challenge(client: TestClient) -> None:
    page = client.get("/progress")
    assert page.status_code == 200
    for name in load_course().challenges:
        assert f'href="/challenges/{name}"' in page.text
    assert page.text.count("not started") == 13 + 6  # and the project's six stages


def test_api_course_matches_the_course_map(client: TestClient) -> None:
    data = client.get("/api/course").json()
    course = load_course()
    assert [lesson["name"] for lesson in data["lessons"]] == [le.name for le in course.lessons]
    assert data["total"] == 13 and data["solved"] == 0
    sigma = next(c for le in data["lessons"] for c in le["challenges"] if c["name"] == "sigma")
    assert sigma["status"] == "not started" and sigma["max_score"] == 9
    assert data["continue"] == {"kind": "lesson", "name": "python-refresher", "lesson": 1,
                                "why": "start at the beginning", "url": "/lessons/python-refresher"}


def test_openapi_documents_every_api_route(client: TestClient) -> None:
    spec = client.get("/api/openapi.json").json()
    paths = set(spec["paths"])
    for path in ("/api/course", "/api/challenges/{name}", "/api/challenges/{name}/source",
                 "/api/challenges/{name}/check", "/api/jobs/{job_id}",
                 "/api/challenges/{name}/hint", "/api/labs/{name}/runs", "/api/runs/{run_id}"):
        assert path in paths, path
    assert client.get("/api/docs").status_code == 200


def test_static_assets_are_served(client: TestClient) -> None:
    for path in ("/static/app.css", "/static/app.js", "/static/vendor/codemirror.js",
                 "/static/vendor/katex/katex.min.js", "/static/vendor/htmx.min.js",
                 "/pygments.css"):
        assert client.get(path).status_code == 200, path


def test_lesson_cache_survives_a_damaged_entry(client: TestClient, web_home: Path) -> None:
    ctx = client.app.state.ctx
    key = ctx.lessons.key(ctx.course.lesson(2))
    (ctx.lessons.cache.root / key / "page.json").write_text("{not json", encoding="utf-8")
    assert ctx.lessons.cache.load(key) is None
    # the page still renders, without outputs, while it rebuilds
    assert client.get("/lessons/2").status_code == 200
    ctx.lessons.state(ctx.course.lesson(2)).future.result(timeout=300)
    assert ctx.lessons.cache.load(key) is not None


def test_web_processes_sharing_a_cache_execute_a_lesson_once(tmp_path: Path,
                                                              monkeypatch) -> None:
    """Two ``LessonPages`` on one folder stand for two web processes of a classroom: both are
    asked for the same new lesson, one executes it, the other waits and shows that page; "run
    again" executes it anew."""
    from vibrastic.faces.web.lessons import LessonPages
    from vibrastic.platform.course.render import LessonCache

    executed: list[str] = []
    build = LessonCache.build

    def counted(self: LessonCache, lesson, *, quick: bool = False):  # type: ignore[no-untyped-def]
        executed.append(lesson.name)
        return build(self, lesson, quick=quick)

    monkeypatch.setattr(LessonCache, "build", counted)
    course = load_course()
    lesson = course.lesson(1)
    first, second = (LessonPages(course, tmp_path, quick=True) for _ in range(2))
    try:
        states = [first.schedule(lesson), second.schedule(lesson)]
        for state in states:
            state.future.result(timeout=300)  # a bound on a hang, not a speed claim
        assert executed == [lesson.name] and [s.state for s in states] == ["done", "done"]
        assert first.page(lesson, build=False)[0].executed
        assert second.page(lesson, build=False)[0].executed
        second.schedule(lesson, again=True).future.result(timeout=300)
        assert executed == [lesson.name, lesson.name]
    finally:
        first.close()
        second.close()
