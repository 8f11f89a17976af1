"""Real-browser tests: Debian's Chromium driven by Playwright against a real Uvicorn server.

A learner reads lesson 2, runs the learning-rate lab with α = 0.06, solves sigma after a wrong
try and a hint, and sees the progress at home — with the mouse, then with the keyboard only.
axe-core (vendored) checks every page type in the light and the dark theme; screenshots of each
page type go to ``test-artifacts/`` (gitignored).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("playwright")
from browser import ARTIFACTS, CHROMIUM, Server, axe_violations
from playwright.sync_api import Browser, Page, expect

from vibrastic.ml.labs import run_lab
from vibrastic.ml.labs.glossary import lab_tables

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium")


@pytest.fixture(scope="module")
def lesson_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, lesson_cache: Path) -> Iterator[Server]:
    running = Server(tmp_path_factory.mktemp("learner"), lesson_cache)
    ctx = running.app.state.ctx
    ctx.lessons.schedule(ctx.course.lesson(2)).future.result(timeout=300)  # outputs ready
    yield running
    running.stop()


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def type_code(page: Page, code: str) -> None:
    """Replace the editor's text as a learner would: select all, type."""
    editor = page.locator(".cm-content")
    editor.click()
    page.keyboard.press("Control+a")
    page.keyboard.press("Delete")
    for line in code.splitlines():
        page.keyboard.type(line.lstrip())  # CodeMirror indents after ':' by itself
        page.keyboard.press("Enter")
        if not line.strip():
            continue


WRONG = "def sigma(n):\n    return n * n"
RIGHT = "def sigma(n):\n    return sum(i ** 2 for i in range(1, n + 1))"


def test_a_learner_reads_runs_solves_and_sees_progress(server: Server, page: Page) -> None:
    page.goto(server.url + "/")
    expect(page.locator("h1")).to_contain_text("Vibrastic 101")
    shot(page, "home")
    page.get_by_role("link", name="2. PyTorch and autograd").click()
    figure = page.locator(".output-figure img").first
    expect(figure).to_be_visible()
    assert page.evaluate("(img) => img.naturalWidth", figure.element_handle()) > 100
    expect(page.locator("pre.output").first).to_contain_text("tensor(2.)")
    expect(page.locator(".math .katex-html").first).to_be_attached()  # KaTeX typeset it
    tex = page.locator(".math annotation").all_text_contents()  # KaTeX keeps MathML + TeX
    assert any("g(2,5)" in t.replace(" ", "") for t in tex)  # the question: ∂g/∂x at (2, 5)
    shot(page, "lesson")

    page.goto(server.url + "/labs/learning-rate")
    page.get_by_label("learning rates α").fill("0.06")
    page.get_by_role("button", name="Run").click()
    row = page.locator("#metrics tr", has_text="diverging_alphas")
    expect(row).to_contain_text("0.06", timeout=240_000)
    expect(page.locator("#metrics tr", has_text="diverges_alpha=0.06")).to_contain_text("yes")
    expect(page.locator(".lab-figure img").first).to_be_visible()
    # its table as `vibrastic lab run` prints it, columns explained under it
    [alphas] = lab_tables("learning-rate", run_lab("learning-rate", alphas=(0.06,)).tables)
    table = page.locator("#table-alphas")
    expect(table.locator("caption")).to_have_text(alphas.title)
    expect(table.locator("thead th[scope=col]")).to_have_text(alphas.columns)
    expect(table.locator("tbody tr td")).to_have_text(alphas.rows[0])
    expect(page.locator("#columns-alphas li")).to_have_text(
        [f"{c}: {words}" for c, words in alphas.explained.items()])
    shot(page, "lab")

    page.goto(server.url + "/challenges/sigma")
    expect(page.locator(".cm-editor")).to_be_visible()
    type_code(page, WRONG)
    page.get_by_role("button", name="Check").click()
    expect(page.locator("#verdict")).to_contain_text("FAIL", timeout=60_000)
    page.get_by_role("button", name="Show the next hint").click()
    expect(page.locator("#hints li")).to_have_count(1)
    type_code(page, RIGHT)
    page.get_by_role("button", name="Check").click()
    expect(page.locator("#verdict")).to_contain_text("PASS", timeout=60_000)
    expect(page.locator("#hidden-summary")).to_contain_text("Hidden tests: 4 of 4 passed")
    expect(page.locator("#solution-box pre")).to_contain_text("def sigma")
    workspace = Path(server.env["VIBRASTIC_WORKSPACE"]) / "sigma.py"
    assert "range(1, n + 1)" in workspace.read_text(encoding="utf-8")  # the CLI's file
    shot(page, "challenge")

    page.get_by_role("link", name="Course map").click()
    expect(page.locator("#solved")).to_contain_text("1 of 13")
    expect(page.locator("li", has_text="Σ i² as a Python function").last).to_contain_text(
        "passed")
    page.goto(server.url + "/progress")
    expect(page.locator("tr", has_text="sigma")).to_contain_text("passed")
    shot(page, "progress")


def test_the_editor_keeps_a_draft_offline_and_resolves_a_conflict_with_the_file(
        server: Server, page: Page) -> None:
    """The shared code editor (app.js's setupCodeEditor) on a challenge page: autosave, a draft
    kept in this browser while the server cannot be reached and restored on the next visit,
    and the file changed outside the browser (a 409) resolved by loading the file's version."""
    page.goto(server.url + "/challenges/greeter")
    expect(page.locator(".cm-editor")).to_be_visible()
    page.locator(".cm-content").click()
    page.keyboard.press("Control+End")
    page.keyboard.insert_text("\n# first\n")
    state = page.locator("#save-state")
    expect(state).to_contain_text("Saved in", timeout=30_000)
    on_disk = Path(server.env["VIBRASTIC_WORKSPACE"]) / "greeter.py"
    assert "# first" in on_disk.read_text(encoding="utf-8")

    saves = "**/api/challenges/greeter/source"
    page.route(saves, lambda route: route.abort())  # the server cannot be reached for saves
    page.keyboard.insert_text("# offline draft\n")
    expect(state).to_contain_text("the server cannot be reached", timeout=30_000)
    page.reload()  # a new visit while saves still fail: the draft comes back from the browser
    expect(page.locator(".cm-content")).to_contain_text("# offline draft")
    assert "# offline draft" not in on_disk.read_text(encoding="utf-8")
    page.unroute(saves)
    page.locator(".cm-content").click()
    page.keyboard.press("Control+End")
    page.keyboard.insert_text("# back online\n")
    expect(state).to_contain_text("Saved in", timeout=30_000)
    assert "# offline draft" in on_disk.read_text(encoding="utf-8")

    on_disk.write_text("def greet(name):\n    return 'edited in my editor'\n", encoding="utf-8")
    page.locator(".cm-content").click()
    page.keyboard.press("Control+End")
    page.keyboard.insert_text("# in the browser\n")
    expect(page.locator("#conflict")).to_be_visible(timeout=30_000)
    expect(state).to_contain_text("the file changed outside the browser")
    page.get_by_role("button", name="Load the file's version").click()
    expect(state).to_have_text("Loaded the file's version.")
    expect(page.locator(".cm-content")).to_contain_text("edited in my editor")
    expect(page.locator("#conflict")).to_be_hidden()


def test_the_same_with_the_keyboard_only(server: Server, browser: Browser, tmp_path: Path,
                                         lesson_cache: Path) -> None:
    learner = Server(tmp_path, lesson_cache)  # a second learner; lesson 2 is cached already
    page = browser.new_page()
    try:
        page.goto(learner.url + "/")

        def tab_to(selector: str, limit: int = 80) -> None:
            for _ in range(limit):
                page.keyboard.press("Tab")
                if page.evaluate("(s) => document.activeElement.matches(s)", selector):
                    return
            raise AssertionError(f"Tab never reached {selector}")

        tab_to('a[href="/lessons/pytorch-autograd"]')
        page.keyboard.press("Enter")
        expect(page.locator(".output-figure img").first).to_be_visible()
        page.goto(learner.url + "/labs/learning-rate")
        tab_to("#p-alphas")
        page.keyboard.press("Control+a")
        page.keyboard.type("0.06")
        tab_to("#run")
        page.keyboard.press("Enter")
        expect(page.locator("#metrics tr", has_text="diverging_alphas")).to_contain_text(
            "0.06", timeout=240_000)

        page.goto(learner.url + "/challenges/sigma")
        tab_to(".cm-content")
        page.keyboard.press("Control+a")
        page.keyboard.press("Delete")
        for line in WRONG.splitlines():
            page.keyboard.type(line.lstrip())
            page.keyboard.press("Enter")
        page.keyboard.press("Escape")
        tab_to("#check")  # Tab leaves the editor: keyboard users are not trapped
        page.keyboard.press("Enter")
        expect(page.locator("#verdict")).to_contain_text("FAIL", timeout=60_000)
        tab_to("#hint")
        page.keyboard.press("Enter")
        expect(page.locator("#hints li")).to_have_count(1)
        page.locator("#hints-h").focus()
        tab_to(".cm-content")
        page.keyboard.press("Control+a")
        page.keyboard.press("Delete")
        for line in RIGHT.splitlines():
            page.keyboard.type(line.lstrip())
            page.keyboard.press("Enter")
        tab_to("#check")
        page.keyboard.press("Enter")
        expect(page.locator("#verdict")).to_contain_text("PASS", timeout=60_000)
        page.goto(learner.url + "/")
        expect(page.locator("#solved")).to_contain_text("1 of 13")
    finally:
        page.close()
        learner.stop()


PAGES = {"home": "/", "lesson": "/lessons/2", "lab": "/labs/learning-rate",
         "challenge": "/challenges/sigma", "progress": "/progress"}


@pytest.fixture(scope="module")
def lab_run_path(server: Server) -> str:
    """A finished learning-rate run's page: its metrics, table and figures."""
    from vibrastic.faces.web.views import LOCAL_OWNER

    run = server.app.state.ctx.labs.start("learning-rate", {"alphas": [0.05, 0.07],
                                                            "max_iters": 5}, owner=LOCAL_OWNER)
    assert run.wait(300)  # a bound on a hang, not a speed claim
    return f"/labs/learning-rate/runs/{run.id}"


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_accessibility_violations(server: Server, browser: Browser,
                                               scheme: str, lab_run_path: str) -> None:
    context = browser.new_context(color_scheme=scheme)
    page = context.new_page()
    problems = {}
    for kind, path in {**PAGES, "lab-run": lab_run_path}.items():
        page.goto(server.url + path)
        page.wait_for_load_state("networkidle")
        result = axe_violations(page)
        if result:
            problems[kind] = result
        if scheme == "dark":
            shot(page, f"{kind}-dark")
    context.close()
    assert problems == {}


def test_phone_layout_and_reading_without_javascript(server: Server, browser: Browser,
                                                     lab_run_path: str) -> None:
    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = phone.new_page()
    for kind, path in {**PAGES, "lab-run": lab_run_path}.items():
        page.goto(server.url + path)
        overflow = page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"{kind} scrolls sideways on a phone by {overflow}px"
        shot(page, f"{kind}-phone")
    phone.close()
    nojs = browser.new_context(java_script_enabled=False)
    page = nojs.new_page()
    page.goto(server.url + "/lessons/2")
    expect(page.locator("pre.output").first).to_contain_text("tensor(2.)")
    expect(page.locator("math").first).to_be_attached()  # MathML, no KaTeX needed
    expect(page.locator(".output-figure img").first).to_be_visible()
    nojs.close()


def test_copy_docs_screenshots() -> None:
    """Keep the README's tour pictures in step when asked (VIBRASTIC_UPDATE_DOCS=1)."""
    if os.environ.get("VIBRASTIC_UPDATE_DOCS") != "1":
        pytest.skip("set VIBRASTIC_UPDATE_DOCS=1 to copy screenshots into docs/")
    docs = Path(__file__).resolve().parents[3] / "docs" / "screenshots"
    docs.mkdir(parents=True, exist_ok=True)
    for name in ("home", "lesson", "lab", "challenge", "challenge-phone"):
        shutil.copy(ARTIFACTS / f"{name}.png", docs / f"{name}.png")
