"""Lab pages and the lab API: parameters, runs with progress over SSE, figures, cancellation."""

from __future__ import annotations

import json
from dataclasses import asdict
from html.parser import HTMLParser

from fastapi.testclient import TestClient

from vibrastic.ml.labs import get_lab, run_lab
from vibrastic.ml.labs.glossary import GLOSSARY, explain, lab_tables
from vibrastic.ml.labs.params import lab_params


class PageTables(HTMLParser):
    """A page's tables as a reader meets them: caption, column headers (``scope="col"``, else
    None) and rows of cell text, then the column notes listed under each."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, dict] = {}
        self.notes: dict[str, list[str]] = {}
        self._text: list[str] | None = None
        self._table: dict | None = None
        self._notes: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attr = dict(attrs)
        if tag == "table":
            self._table = self.tables.setdefault(attr.get("id", ""), {
                "caption": "", "header": [], "rows": [], "describedby": attr.get(
                    "aria-describedby")})
        elif tag == "ul" and "id" in attr:
            self._notes = self.notes.setdefault(attr["id"], [])
        elif tag == "th" and self._table is not None and attr.get("scope") != "row":
            self._table["header"].append(None if attr.get("scope") != "col" else "")
        elif tag == "tr" and self._table is not None:
            self._table["rows"].append([])
        if tag in ("caption", "th", "td", "li"):
            self._text = []

    def handle_data(self, data: str) -> None:
        if self._text is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        text = "".join(self._text or []).strip()
        if tag == "caption" and self._table is not None:
            self._table["caption"] = text
        elif tag == "th" and self._table is not None and self._table["header"] and \
                self._table["header"][-1] == "":
            self._table["header"][-1] = text
        elif tag == "td" and self._table is not None:
            self._table["rows"][-1].append(text)
        elif tag == "li" and self._notes is not None:
            self._notes.append(" ".join(text.split()))
        elif tag == "table":
            self._table = None
        elif tag == "ul":
            self._notes = None
        if tag in ("caption", "th", "td", "li"):
            self._text = None


def test_lab_page_is_a_labelled_form_with_the_labs_knobs(client: TestClient) -> None:
    page = client.get("/labs/learning-rate")
    assert page.status_code == 200
    for param in lab_params(get_lab("learning-rate")):
        assert f'<label for="p-{param.name}">' in page.text
        assert f'id="p-{param.name}"' in page.text
    assert 'value="0.02, 0.03, 0.04, 0.05, 0.06, 0.07"' in page.text


def test_api_lab_schema(client: TestClient) -> None:
    data = client.get("/api/labs/xor").json()
    props = data["parameters"]["properties"]
    assert props["epochs"]["default"] == 50_000 and props["epochs"]["type"] == "integer"
    assert props["backend"]["enum"] == ["torch", "vibrastic"]
    assert client.get("/api/labs/nope").status_code == 404


def test_bad_parameters_are_422_naming_the_parameter(client: TestClient) -> None:
    for body, words in (({"alphas": "fast"}, "alphas (learning rates α): expected"),
                        ({"max_iters": 0}, "max_iters (iterations): 0 is out of range"),
                        ({"alpha": 0.1}, "has no parameter 'alpha'"),
                        ({"backend": "jax"}, "backend: expected one of torch, vibrastic")):
        response = client.post("/api/labs/learning-rate/runs", json=body)
        assert response.status_code == 422 and words in response.json()["detail"], body
    malformed = client.post("/api/labs/learning-rate/runs", content=b"{",
                            headers={"Content-Type": "application/json"})
    assert malformed.status_code == 400 and "malformed JSON" in malformed.json()["detail"]
    assert client.post("/api/labs/nope/runs", json={}).status_code == 404
    assert client.get("/api/runs/nope").status_code == 404


def test_learning_rate_at_0_06_diverges_with_figures_and_progress_events(
        client: TestClient) -> None:
    started = client.post("/api/labs/learning-rate/runs",
                          json={"alphas": "0.06", "backend": "torch"}).json()
    run = client.app.state.ctx.labs.get(started["id"])
    assert run.wait(300)
    with client.stream("GET", started["events_url"]) as events:
        text = "".join(events.iter_text())
    assert "event: status" in text and text.rstrip().endswith("event: end\ndata: {}")
    data = client.get(started["status_url"]).json()
    assert data["state"] == "done", data["error"]
    metrics = data["result"]["metrics"]
    assert metrics["diverging_alphas"] == "0.06" and metrics["diverges_alpha=0.06"] is True
    assert data["explanations"]["lambda_max"].startswith("largest eigenvalue")
    svg = client.get(data["figure_urls"]["alphas-study"])
    assert svg.status_code == 200 and b"<svg" in svg.content
    page = client.get(started["page_url"])
    assert "diverges_alpha=0.06" in page.text and "whether α = 0.06 is above 2/λ_max" in page.text

    # the table the terminal prints (same library function, on a run in this process)
    [expected] = lab_tables("learning-rate", run_lab("learning-rate", **run.params).tables)
    assert data["tables"] == [asdict(expected)]
    seen = PageTables()
    seen.feed(page.text)
    shown = seen.tables["table-alphas"]
    assert shown["caption"] == expected.title == "alphas"
    assert shown["header"] == expected.columns and shown["rows"][1:] == expected.rows
    assert shown["rows"][0] == [] and len(expected.rows) == 1  # the header row, one α
    assert shown["describedby"] == "columns-alphas"
    assert expected.numeric and set(expected.numeric) < set(expected.columns)  # not diverges
    for column in expected.columns:  # numbers right-aligned, header and cells
        aligned = column in expected.numeric
        assert (f'<th scope="col" class="num">{column}</th>' in page.text) is aligned
        assert (f'<th scope="col">{column}</th>' in page.text) is not aligned
    assert seen.notes["columns-alphas"] == [f"{c}: {words}"
                                            for c, words in expected.explained.items()]
    assert "spectral_radius: how much each step multiplies" in " ".join(seen.notes[
        "columns-alphas"])


def test_a_long_xor_run_can_be_cancelled(client: TestClient) -> None:
    started = client.post("/api/labs/xor/runs", json={"epochs": 200_000}).json()
    cancelled = client.post(f"/api/runs/{started['id']}/cancel").json()
    assert cancelled["id"] == started["id"]
    run = client.app.state.ctx.labs.get(started["id"])
    assert run.wait(300)  # a bound on a hang, not a speed claim (torch may still be loading)
    assert client.get(started["status_url"]).json()["state"] == "cancelled"


def test_the_form_runs_a_lab_without_javascript(client: TestClient) -> None:
    response = client.post("/labs/autograd", data={"seed": "0", "backend": "vibrastic",
                                                    "f_at": "1, 2", "g_at": "2, 5"},
                           follow_redirects=False)
    assert response.status_code == 303
    run_id = response.headers["location"].rsplit("/", 1)[1]
    assert client.app.state.ctx.labs.get(run_id).wait(300)
    page = client.get(response.headers["location"])
    assert "dg_dx_by_hand" in page.text and "<td class=\"num\">5</td>" in page.text
    bad = client.post("/labs/autograd", data={"g_at": "2"})
    assert bad.status_code == 422 and "exactly 2 comma-separated values" in bad.text


def test_every_glossary_pattern_is_a_valid_regex_and_words_fill_gaps() -> None:
    import re

    for lab, entries in GLOSSARY.items():
        get_lab(lab)
        for pattern, _ in entries:
            re.compile(pattern)
    assert explain("xor", "predicted_1_0") == "the trained network's output for the input (1, 0)"
    assert explain("xor", "brand_new_metric") == "brand new metric"
    json.dumps(GLOSSARY)
