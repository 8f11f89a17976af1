"""The project pages and API over HTTP (one learner): overview, stage start that never
overwrites, the package's files saved with conflicts and bad input refused, stage checks and a
milestone run through the grading service, with the milestone's table and figures."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from vibrastic.platform.course.project import get_project
from vibrastic.platform.progress.project import earlier_stages_warning

PROJECT = get_project()
STAGE0, STAGE2 = PROJECT.stages[0], PROJECT.stages[2]


def wait(client: TestClient, job: str) -> dict:
    client.app.state.ctx.grading.wait(job, 300)
    return client.get(f"/api/jobs/{job}").json()


def check(client: TestClient, stage: str) -> dict:
    started = client.post(f"/api/project/stages/{stage}/check")
    assert started.status_code == 202, started.text
    return wait(client, started.json()["job_id"])


def test_the_project_is_linked_and_lists_stages_and_milestones(client: TestClient) -> None:
    home = client.get("/").text
    assert 'href="/project"' in home and "Stages passed: 0 of 6" in home
    page = client.get("/project")
    assert page.status_code == 200
    for stage in PROJECT.stages:
        assert f'href="/project/stages/{stage.slug}"' in page.text
    data = client.get("/api/project").json()
    assert [s["slug"] for s in data["stages"]] == [s.slug for s in PROJECT.stages]
    assert {s["status"] for s in data["stages"]} == {"not started"}
    assert [m["available"] for m in data["milestones"]] == [False] * len(PROJECT.milestones)
    assert data["next"] == STAGE0.slug


def test_unknown_stages_and_milestones_are_404_naming_the_valid_ones(client: TestClient) -> None:
    for method, path in [("get", "/project/stages/nope"), ("get", "/api/project/stages/nope"),
                         ("post", "/api/project/stages/nope/start"),
                         ("post", "/api/project/stages/9/check"),
                         ("post", "/api/project/stages/nope/hint"),
                         ("get", "/project/milestones/nope"),
                         ("post", "/api/project/milestones/nope/run")]:
        response = getattr(client, method)(path)
        assert response.status_code == 404, (path, response.text)
        assert "expected one of" in response.text


def test_a_stage_starts_without_overwriting_and_its_files_save(client: TestClient,
                                                               web_home: Path) -> None:
    page = client.get(f"/project/stages/{STAGE0.slug}")
    assert "not in your package yet" in page.text and 'class="math' in page.text  # KaTeX input
    nothing = client.post(f"/api/project/stages/{STAGE0.slug}/check")
    assert nothing.status_code == 409 and "start stage" in nothing.json()["detail"]
    started = client.post(f"/api/project/stages/{STAGE0.slug}/start").json()
    assert sorted(started["written"]) == sorted(STAGE0.files) and started["kept"] == []
    rel = STAGE0.files[-1]
    files = client.get("/api/project/files").json()
    assert files[rel]["source"] == STAGE0.starter_files[rel].decode()
    mine = files[rel]["source"] + "\n# my notes\n"
    saved = client.put(f"/api/project/files/{rel}",
                       json={"source": mine, "base_sha256": files[rel]["sha256"]})
    assert saved.status_code == 200, saved.text
    again = client.post(f"/project/stages/{STAGE0.slug}/start", follow_redirects=False)
    assert again.status_code == 303 and "Already+started" in again.headers["location"].replace(
        "%20", "+")
    assert (web_home / "work" / rel).read_text() == mine  # kept, not overwritten
    stale = client.put(f"/api/project/files/{rel}",
                       json={"source": "x = 1\n", "base_sha256": files[rel]["sha256"]})
    assert stale.status_code == 409 and stale.json()["detail"]["current"] == mine
    assert (web_home / "work" / rel).read_text() == mine
    page = client.get(f"/project/stages/{STAGE0.slug}?file={rel}")
    assert 'id="source"' in page.text and "# my notes" in page.text
    assert client.get("/project/stages/0?file=mygrad/nope.py").status_code == 404
    assert client.get("/api/project").json()["stages"][0]["status"] == "started"


def test_a_later_stage_warns_that_earlier_ones_have_not_passed_but_starts(
        client: TestClient) -> None:
    earlier = [s.slug for s in PROJECT.stages[:STAGE2.number]]
    warning = earlier_stages_warning(earlier)
    page = client.post(f"/project/stages/{STAGE2.slug}/start")  # the form, redirected
    assert page.status_code == 200 and "Started: wrote" in page.text
    assert 'id="earlier-stages"' in page.text and warning in page.text
    data = client.get(f"/api/project/stages/{STAGE2.slug}").json()
    assert data["status"] == "started" and data["unpassed_before"] == earlier
    assert data["warning"] == warning
    assert 'id="earlier-stages"' not in client.get(f"/project/stages/{STAGE0.slug}").text


@pytest.mark.parametrize(("path", "body", "status", "words"), [
    ("mygrad/%2E%2E/%2E%2E/evil.py", {"source": "x"}, 400, "not a file of your package"),
    ("mygrad/notes.txt", {"source": "x"}, 400, "not a file of your package"),
    ("other/value.py", {"source": "x"}, 400, "not a file of your package"),
    ("mygrad/big.py", {"source": "#" * (256 * 1024 + 1)}, 413, "limit"),
    ("mygrad/value.py", b"\xff\xfe = 1", 400, "not UTF-8"),
    ("mygrad/value.py", b"{not json", 400, "malformed JSON"),
])
def test_bad_saves_are_refused_with_a_message(client: TestClient, web_home: Path, path: str,
                                              body: dict | bytes, status: int,
                                              words: str) -> None:
    if isinstance(body, bytes):
        kind = "text/plain" if body.startswith(b"\xff") else "application/json"
        response = client.put(f"/api/project/files/{path}", content=body,
                              headers={"Content-Type": kind})
    else:
        response = client.put(f"/api/project/files/{path}", json=body)
    assert response.status_code == status, response.text
    assert words in response.json()["detail"]
    assert not (web_home / "evil.py").exists() and not (web_home / "work" / "evil.py").exists()


def test_stage_checks_fail_then_pass_and_a_milestone_runs(client: TestClient) -> None:
    failed = check(client, STAGE0.slug)
    assert failed["state"] == "done" and failed["result"]["status"] == "fail"
    fragment = client.get(f"/project/results/{failed['id']}").text
    assert 'id="verdict"' in fragment and "FAIL" in fragment
    assert client.get(f"/api/project/stages/{STAGE0.slug}/hint").status_code == 405
    hint = client.post(f"/api/project/stages/{STAGE0.slug}/hint").json()
    assert hint["number"] == 1 and hint["text"] == STAGE0.hints[0]
    locked = client.post("/api/project/milestones/graph/run")
    assert locked.status_code == 409 and "not passed yet" in locked.json()["detail"]
    assert 'id="locked"' in client.get("/project/milestones/graph").text

    files = client.get("/api/project/files").json()
    for rel, data in STAGE2.reference_files.items():  # stages 0-2 written as the reference
        base = files.get(rel, {}).get("sha256")
        saved = client.put(f"/api/project/files/{rel}",
                           json={"source": data.decode(), "base_sha256": base})
        assert saved.status_code == 200, saved.text
    for stage in PROJECT.stages[:3]:
        verdict = check(client, stage.slug)
        assert verdict["result"]["status"] == "pass", verdict["result"]["summary"]
    overview = client.get("/api/project").json()
    assert [s["status"] for s in overview["stages"][:3]] == ["passed"] * 3
    after = PROJECT.stages[3]  # everything before it passed: no warning any more
    assert client.get(f"/api/project/stages/{after.slug}").json()["warning"] is None
    assert 'id="earlier-stages"' not in client.get(f"/project/stages/{after.slug}").text
    assert overview["stages"][0]["attempts"] == 2
    assert "passed" in client.get("/project").text
    assert "Stages passed: 3 of 6" in client.get("/").text
    progress = client.get("/progress").text
    assert 'id="project-progress"' in progress and progress.count(">passed</td>") >= 3

    bad = client.post("/api/project/milestones/graph/run", json={"options": {"nope": 1}})
    assert bad.status_code == 422 and "unknown option" in bad.json()["detail"]
    started = client.post("/api/project/milestones/graph/run", json={"options": {"x": 2}})
    assert started.status_code == 202, started.text
    job = wait(client, started.json()["job_id"])
    assert job["result"]["status"] == "pass", job["result"]["summary"]
    data = client.get("/api/project/milestones/graph").json()
    assert data["status"] == "passed" and len(data["runs"]) == 1
    run = data["runs"][0]
    assert [r["∂g/∂x"] for r in run["rows"]] == [5.0, 5.0, 5.0]  # mine, vibrastic, torch
    page = client.get("/project/milestones/graph").text
    assert 'id="side-by-side"' in page and "vibrastic" in page
    for url in run["figures"].values():
        assert url in page
        svg = client.get(url)
        assert svg.status_code == 200 and svg.headers["content-type"] == "image/svg+xml"
        assert "default-src 'none'" in svg.headers["content-security-policy"]  # no scripts
        assert svg.text.lstrip().startswith("<?xml") and "<svg" in svg.text
    assert client.get(f"/project/milestones/graph/runs/{run['id']}/nope.svg").status_code == 404
    assert client.get("/project/milestones/graph/runs/999999/graph.svg").status_code == 404


def test_the_form_routes_work_without_javascript(client: TestClient, web_home: Path) -> None:
    rel = STAGE0.files[-1]
    text = STAGE0.reference_files[rel].decode() + "\n# saved by a form\n"
    response = client.post(f"/project/stages/{STAGE0.slug}/save", follow_redirects=False,
                           data={"path": rel, "source": text, "action": "save"})
    assert response.status_code == 303 and (web_home / "work" / rel).read_text() == text
    outside = client.post(f"/project/stages/{STAGE0.slug}/save",
                          data={"path": "../escape.py", "source": "x", "action": "save"})
    assert outside.status_code == 400 and "not a file of your package" in outside.text
    hint = client.post(f"/project/stages/{STAGE0.slug}/hint", headers={"HX-Request": "true"})
    assert hint.status_code == 200 and STAGE0.hints[0] in hint.text
