"""Shared fixtures of the web face's tests: an app on a throwaway data folder and workspace."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from vibrastic.faces.web import WebConfig, create_app


@pytest.fixture(scope="module")
def web_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """VIBRASTIC_HOME and VIBRASTIC_WORKSPACE in a fresh folder for one test module."""
    root = tmp_path_factory.mktemp("web")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("VIBRASTIC_HOME", str(root / "home"))
        mp.setenv("VIBRASTIC_WORKSPACE", str(root / "work"))
        yield root


@pytest.fixture(scope="module")
def client(web_home: Path) -> Iterator[TestClient]:
    app = create_app(WebConfig(quick_lessons=True, grading_workers=1))
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict:
    return {"executable_path": "/usr/bin/chromium", "headless": True,
            "args": ["--headless", "--no-sandbox", "--disable-gpu",
                     "--disable-background-networking", "--disable-component-update",
                     "--disable-sync", "--no-first-run"]}


@pytest.fixture(scope="session")
def base_url() -> None:
    """Each test starts its own server (pytest-base-url's fixture warns on new pytest)."""
    return None


@pytest.fixture(scope="session", autouse=True)
def patient_expectations() -> None:
    """Playwright's ``expect`` waits up to 30 s instead of 5 for what a page should show: a
    bound on a hang, not a speed claim (a busy CI machine renders and answers slowly)."""
    from playwright.sync_api import expect

    expect.set_options(timeout=30_000)
