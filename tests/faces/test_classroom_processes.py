"""`vibrastic classroom serve --processes 2` on PostgreSQL: two web processes share the port and
any of them serves any request, a lab run included (started by one, polled through both)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx2 as httpx

from databases import free_port, new_postgres_database, postgres  # noqa: F401  (a fixture)

PASSWORD = "correct horse battery"


def _web_processes(pid: int) -> list[str]:
    """The command lines of the server's child processes that serve pages (Uvicorn's spawned
    workers; not multiprocessing's resource tracker)."""
    found = []
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        cmdline = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        if "spawn_main" in cmdline:
            found.append(cmdline)
    return found


def test_two_web_processes_serve_one_classroom(postgres: dict[str, str],  # noqa: F811
                                               tmp_path: Path) -> None:
    from vibrastic.platform.classroom.people import (
        add_section,
        create_course,
        create_user,
        join_with_code,
    )
    from vibrastic.platform.database import connect

    url = new_postgres_database(postgres)
    engine = connect(url)
    prof = create_user(engine, email="prof@example.org", name="Prof", username="prof",
                       password=PASSWORD)
    course = create_course(engine, slug="ai-101", title="AI 101", instructor_id=prof)
    ada = create_user(engine, email="ada@example.org", name="Ada", username="ada",
                      password=PASSWORD)
    join_with_code(engine, ada, add_section(engine, course, "A", by=prof))
    engine.dispose()
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "vibrastic", "classroom", "serve", "--database-url", url,
         "--port", str(port), "--no-secure-cookies", "--processes", "2"],
        env=dict(os.environ, VIBRASTIC_HOME=str(tmp_path / "home"), VIBRASTIC_QUICK="1"),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    # a fresh connection per request, so the kernel may hand each to either process
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60,
                          limits=httpx.Limits(max_keepalive_connections=0))
    try:
        deadline = time.monotonic() + 120  # a bound on a hang, not a speed claim
        while True:
            try:
                if client.get("/api/health").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, server.stdout.read()
            time.sleep(0.2)
        assert len(_web_processes(server.pid)) == 2
        signed = client.post("/signin", data={"email": "ada@example.org",
                                              "password": PASSWORD})
        assert signed.status_code == 303
        page = client.get("/courses")
        marker = 'name="csrf-token" content="'
        start = page.text.index(marker) + len(marker)
        csrf = page.text[start:page.text.index('"', start)]
        started = client.post("/api/labs/autograd/runs", headers={"X-CSRF-Token": csrf},
                              json={"seed": 0, "backend": "vibrastic"})
        assert started.status_code in (200, 201, 202), started.text
        status_url, events_url = started.json()["status_url"], started.json()["events_url"]
        assert client.get(status_url).status_code == 200  # whichever process answers
        with client.stream("GET", events_url, timeout=300) as events:  # until the run ends
            assert events.status_code == 200
            events_seen = [json.loads(line.removeprefix("data: "))
                           for line in events.iter_lines() if line.startswith("data: ")]
        states = [e["state"] for e in events_seen if "state" in e]  # (then the stream's end)
        assert states[-1] == "done", events_seen
        for _ in range(20):  # both processes show the finished run, and the pages
            assert client.get(status_url).json()["state"] == "done"
            assert client.get("/").status_code == 200
        assert "2 web processes" in " ".join(_output_so_far(server).split())
    finally:
        client.close()
        server.terminate()
        server.wait(60)


def _output_so_far(server: subprocess.Popen) -> str:
    """What the command printed before starting (the line naming the processes)."""
    assert server.stdout is not None
    os.set_blocking(server.stdout.fileno(), False)
    return server.stdout.read() or ""
