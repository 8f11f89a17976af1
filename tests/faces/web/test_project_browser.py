"""The project in a real browser (Debian's Chromium, Playwright, a real Uvicorn server): a learner
opens the project from the course map, starts stage 0, sees its check fail, writes a correct
solution in the editor, checks again and sees the stage pass; axe-core checks the project's page
types in the light and the dark theme."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("playwright")
from browser import ARTIFACTS, CHROMIUM, Server, axe_violations
from playwright.sync_api import Browser, Page, expect

from vibrastic.platform.course.project import get_project
from vibrastic.platform.progress.project import earlier_stages_warning

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium")
STAGE, LATER = get_project().stages[0], get_project().stages[2]
FILE = "mygrad/operators.py"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = Server(tmp_path_factory.mktemp("learner"), tmp_path_factory.mktemp("cache"))
    yield running
    running.stop()


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_a_learner_starts_fails_fixes_and_passes_stage_0(server: Server, page: Page) -> None:
    page.goto(server.url + "/")
    page.get_by_role("link", name="Project: let's build our own").click()
    expect(page.locator("#stage-operators")).to_contain_text("not started")
    page.get_by_role("link", name=STAGE.title).click()
    expect(page.locator(".math .katex-html").first).to_be_attached()  # the deck's formulas
    page.get_by_role("button", name="Start stage 0").click()
    expect(page.locator("#save-state")).to_contain_text("Started")
    page.locator("#file-tree").get_by_role("link", name=FILE).click()
    expect(page.locator(".cm-editor")).to_be_visible()
    expect(page.locator(".cm-content")).to_contain_text('NotImplementedError("stage 0')

    page.get_by_role("button", name="Check stage 0").click()
    expect(page.locator("#verdict")).to_contain_text("FAIL", timeout=120_000)
    expect(page.locator("#status")).to_have_text("attempted")

    page.locator(".cm-content").click()
    page.keyboard.press("Control+a")
    page.keyboard.press("Delete")
    page.keyboard.insert_text(STAGE.reference_files[FILE].decode())
    expect(page.locator("#save-state")).to_contain_text("Saved in", timeout=30_000)
    saved = Path(server.env["VIBRASTIC_WORKSPACE"]) / FILE
    assert saved.read_text(encoding="utf-8") == STAGE.reference_files[FILE].decode()
    page.get_by_role("button", name="Check stage 0").click()
    expect(page.locator("#verdict")).to_contain_text("PASS", timeout=120_000)
    expect(page.locator("#status")).to_have_text("passed")
    expect(page.locator("#attempts tbody tr")).to_have_count(2)
    shot(page, "project-stage")

    page.get_by_role("link", name="Project", exact=True).first.click()
    expect(page.locator("#stage-operators")).to_contain_text("passed")
    expect(page.locator("#stages-passed")).to_contain_text(f"1 of {len(get_project().stages)}")
    shot(page, "project")

    page.get_by_role("link", name=LATER.title).click()  # read ahead: a note, not a lock
    expect(page.locator("#earlier-stages")).to_contain_text(
        earlier_stages_warning([get_project().stages[1].slug]))
    expect(page.get_by_role("button", name=f"Start stage {LATER.number}")).to_be_enabled()


PAGES = {"project": "/project", "stage": f"/project/stages/{STAGE.slug}?file={FILE}",
         "later-stage": f"/project/stages/{LATER.slug}", "milestone": "/project/milestones/graph"}


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_accessibility_violations_on_project_pages(
        server: Server, browser: Browser, scheme: str) -> None:
    context = browser.new_context(color_scheme=scheme)
    page = context.new_page()
    problems = {}
    for kind, path in PAGES.items():
        page.goto(server.url + path)
        page.wait_for_load_state("networkidle")
        result = axe_violations(page)
        if result:
            problems[kind] = result
    context.close()
    assert problems == {}
