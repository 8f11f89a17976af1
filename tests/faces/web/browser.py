"""Browser-test support: Debian's Chromium for Playwright, and the web course in a real Uvicorn
server thread on 127.0.0.1 (one per test module)."""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "web"
AXE = (Path(__file__).resolve().parents[3] / "src" / "vibrastic" / "faces" / "web" / "static"
       / "vendor" / "axe.min.js")


_CSRF_TOKEN = re.compile(
    r'(name="csrf_token" value="|name="csrf-token" content="|"X-CSRF-Token": ")[^"]*"')


def without_csrf_tokens(html: str) -> str:
    """The page without its random CSRF tokens, so a check that a name is absent cannot trip on
    a token that happens to spell it."""
    return _CSRF_TOKEN.sub(r'\1"', html)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """The web course in a Uvicorn server thread on 127.0.0.1 (stopped by ``stop``)."""

    def __init__(self, root: Path, cache: Path, **config: Any) -> None:
        import uvicorn

        from vibrastic.faces.web import WebConfig, create_app

        self.env = {"VIBRASTIC_HOME": str(root / "home"),
                    "VIBRASTIC_WORKSPACE": str(root / "work")}
        self.saved = {k: os.environ.get(k) for k in self.env}
        os.environ.update(self.env)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.app = create_app(WebConfig(quick_lessons=True, cache_dir=cache, grading_workers=1,
                                        public_url=self.url, **config))
        self.server = uvicorn.Server(uvicorn.Config(self.app, host="127.0.0.1", port=self.port,
                                                    log_level="warning", lifespan="on"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 300  # a bound on a hang: start-up warms the graders
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the server did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(30)
        for key, value in self.saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def axe_violations(page: Any) -> list[str]:
    """axe-core's WCAG 2.1 A/AA violations on the page as loaded (rule: first three nodes)."""
    page.add_script_tag(path=str(AXE))
    return page.evaluate("""async () => (await axe.run(document, {runOnly: {type: 'tag',
        values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})).violations.map(
        v => v.id + ': ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '))""")
