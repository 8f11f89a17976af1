"""HTTP tests of the JSON API: challenge source, hints, give-up, labs; every bad input a 4xx."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from vibrastic.platform.progress import store


def _file(web_home: Path, name: str) -> Path:
    return web_home / "work" / (name.replace("-", "_") + ".py")


def test_challenge_json_starts_from_the_starter(client: TestClient, web_home: Path) -> None:
    data = client.get("/api/challenges/sigma").json()
    assert data["saved"] is False and data["source_sha256"] is None
    assert "def sigma(n):" in data["source"] and "raise NotImplementedError" in data["source"]
    assert data["file"] == str(_file(web_home, "sigma"))
    assert data["solution"] is None and data["solution_unlocked"] is False
    assert (data["public_tests"], data["hidden_tests"]) == (4, 4)
    assert data["next"] == "slicing"


def test_put_source_saves_the_cli_workspace_file(client: TestClient, web_home: Path) -> None:
    code = "def sigma(n):\n    return 0\n"
    saved = client.put("/api/challenges/sigma/source", json={"source": code}).json()
    path = _file(web_home, "sigma")
    assert saved["path"] == str(path) and path.read_text(encoding="utf-8") == code
    assert saved["sha256"] == hashlib.sha256(code.encode()).hexdigest()
    assert client.get("/api/challenges/sigma").json()["source"] == code
    assert store.challenge_statuses()["sigma"]["started"] is True
    # plain text works too (editors, curl -T)
    more = code + "# edited\n"
    response = client.put("/api/challenges/sigma/source", content=more.encode(),
                          headers={"Content-Type": "text/plain; charset=utf-8"})
    assert response.status_code == 200
    assert path.read_text(encoding="utf-8") == more
    assert Path(response.json()["backup"]).read_text(encoding="utf-8") == code
    stale = client.put("/api/challenges/sigma/source", content=b"x = 1\n",
                       headers={"Content-Type": "text/plain", "If-Match": saved["sha256"]})
    assert stale.status_code == 409 and path.read_text(encoding="utf-8") == more


def test_a_file_changed_on_disk_is_a_conflict_and_nothing_is_lost(
        client: TestClient, web_home: Path) -> None:
    first = client.put("/api/challenges/triangle/source", json={"source": "v1\n"}).json()
    path = _file(web_home, "triangle")
    path.write_text("edited in my own editor\n", encoding="utf-8")
    response = client.put("/api/challenges/triangle/source",
                          json={"source": "v2\n", "base_sha256": first["sha256"]})
    assert response.status_code == 409
    detail = response.json()["detail"]
    assert "changed since you loaded it" in detail["message"]
    assert detail["current"] == "edited in my own editor\n"
    assert path.read_text(encoding="utf-8") == "edited in my own editor\n"
    forced = client.put("/api/challenges/triangle/source",
                        json={"source": "v2\n", "base_sha256": first["sha256"], "force": True})
    assert forced.status_code == 200
    backup = Path(forced.json()["backup"])
    assert backup.read_text(encoding="utf-8") == "edited in my own editor\n"
    assert path.read_text(encoding="utf-8") == "v2\n"


@pytest.mark.parametrize(("kwargs", "status", "words"), [
    ({"content": b"{not json", "headers": {"Content-Type": "application/json"}}, 400,
     "malformed JSON body"),
    ({"content": b"\xff\xfe print(1)", "headers": {"Content-Type": "text/plain"}}, 400,
     "not UTF-8 text: byte 0xff at position 0"),
    ({"content": json.dumps({"source": "\ud800"}).encode(),
      "headers": {"Content-Type": "application/json"}}, 400, "unpaired surrogate"),
    ({"json": {"source": "x" * (256 * 1024 + 1)}}, 413, "the limit is 262144 bytes"),
    ({"json": {"text": "print(1)"}}, 422, "source: Field required"),
    ({"json": ["print(1)"]}, 422, "must be an object"),
    ({"content": b"<xml/>", "headers": {"Content-Type": "application/xml"}}, 415,
     "unsupported content type 'application/xml'"),
])
def test_bad_sources_are_refused_naming_why_and_the_file_stays(
        client: TestClient, web_home: Path, kwargs: dict, status: int, words: str) -> None:
    client.put("/api/challenges/slicing/source", json={"source": "kept = True\n"})
    response = client.put("/api/challenges/slicing/source", **kwargs)
    assert response.status_code == status
    assert words in response.json()["detail"]
    assert _file(web_home, "slicing").read_text(encoding="utf-8") == "kept = True\n"


def test_unknown_challenge_is_404_listing_the_valid_ones(client: TestClient) -> None:
    for method, url in (("GET", "/api/challenges/nope"), ("PUT", "/api/challenges/nope/source"),
                        ("POST", "/api/challenges/nope/check"),
                        ("GET", "/api/challenges/nope/hint")):
        response = client.request(method, url, json={"source": "x"})
        assert response.status_code == 404, url
        assert "expected one of: triangle, sigma" in response.json()["detail"]


def test_hints_come_one_at_a_time_and_are_remembered(client: TestClient) -> None:
    first = client.get("/api/challenges/greeter/hint").json()
    second = client.get("/api/challenges/greeter/hint").json()
    assert (first["number"], second["number"]) == (1, 2)
    assert second["hints"] == [first["text"], second["text"]]
    assert store.hints_shown("greeter") == 2
    assert client.get("/api/challenges/greeter").json()["hints"] == second["hints"]
    third = client.post("/api/challenges/greeter/hint").json()  # what the pages use
    assert third["number"] == 3 and third["revealed"] is True


def test_solution_only_after_an_explicit_recorded_give_up(client: TestClient) -> None:
    locked = client.get("/api/challenges/dict-legs/solution")
    assert locked.status_code == 403 and "give up" in locked.json()["detail"]
    given = client.post("/api/challenges/dict-legs/give-up").json()
    assert given["gave_up"] is True and "def total_legs(d)" in given["solution"]
    assert "BEGIN SOLUTION" not in given["solution"]  # as the CLI shows it
    assert store.gave_up("dict-legs")
    assert client.get("/api/challenges/dict-legs/solution").status_code == 200
    page = client.get("/challenges/dict-legs")
    assert "Give up and show the solution" not in page.text


def test_hint_and_give_up_forms_work_without_javascript(client: TestClient) -> None:
    response = client.post("/challenges/partial-by-hand/hint", follow_redirects=False)
    assert response.status_code == 303
    page = client.get("/challenges/partial-by-hand")
    assert store.hints_shown("partial-by-hand") == 1 and "<li>" in page.text
    fragment = client.post("/challenges/partial-by-hand/hint", headers={"HX-Request": "true"})
    assert fragment.text.count("<li>") == 2 and "<html" not in fragment.text


def test_check_grades_through_the_service_and_records_the_attempt(client: TestClient) -> None:
    wrong = "def sigma(n):\n    return n * n\n"
    client.put("/api/challenges/sigma/source", json={"source": wrong, "force": True})
    job = client.post("/api/challenges/sigma/check")  # no body: the saved file
    assert job.status_code == 202
    job_id = job.json()["job_id"]
    client.app.state.ctx.grading.wait(job_id, timeout=120)
    with client.stream("GET", f"/api/jobs/{job_id}/events") as events:
        assert "event: end" in "".join(events.iter_text())
    data = client.get(f"/api/jobs/{job_id}").json()
    assert data["state"] == "done" and data["result"]["status"] == "fail"
    assert data["hidden"]["run"] is True and data["hidden"]["total"] == 4
    fixed = "def sigma(n):\n    return sum(i * i for i in range(1, n + 1))\n"
    job_id = client.post("/api/challenges/sigma/check", json={"source": fixed}).json()["job_id"]
    client.app.state.ctx.grading.wait(job_id, timeout=120)
    result = client.get(f"/api/jobs/{job_id}").json()["result"]
    assert result["status"] == "pass" and result["score"] == result["max_score"] == 9
    assert [a["status"] for a in store.attempts("sigma")] == ["fail", "pass"]
    assert client.get("/api/challenges/sigma/solution").status_code == 200
    fragment = client.get(f"/challenges/sigma/results/{job_id}")
    assert "Hidden tests: 4 of 4 passed." in fragment.text
    assert client.get("/api/jobs/nope").status_code == 404


def test_check_without_a_saved_file_or_with_bad_input(client: TestClient) -> None:
    response = client.post("/api/challenges/train-xor/check")
    assert response.status_code == 409 and "not saved yet" in response.json()["detail"]
    big = client.post("/api/challenges/train-xor/check", json={"source": "#" * 300_000})
    assert big.status_code == 413
    bad = client.post("/api/challenges/train-xor/check", content=b"{",
                      headers={"Content-Type": "application/json"})
    assert bad.status_code == 400
