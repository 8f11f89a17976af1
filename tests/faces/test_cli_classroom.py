"""`vibrastic classroom init` and `vibrastic worker` through the CLI: messages, exit codes."""

import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from vibrastic.faces.cli import app
from vibrastic.platform.classroom.people import role_in
from vibrastic.platform.database import connect

runner = CliRunner()
PASSWORD = "correct horse battery"


def init(url: str, *extra: str, **kwargs: object):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["classroom", "init", "--database-url", url, *extra], **kwargs)


def test_init_from_flags_creates_the_course_and_its_instructor(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'room.db'}"
    result = init(url, "--email", "Prof@Example.org", "--name", "Prof", "--username", "prof",
                  "--password", PASSWORD, "--course", "ai-101", "--title", "AI at ITS")
    assert result.exit_code == 0, result.output
    assert "course ai-101 with instructor prof@example.org" in result.output
    assert "Next: vibrastic classroom serve" in result.output
    assert role_in(connect(url), 1, 1) == "instructor"


def test_init_asks_for_what_is_missing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'room.db'}"
    answers = f"ada@example.org\nAda Lovelace\n\n{PASSWORD}\n{PASSWORD}\n"
    result = init(url, input=answers)
    assert result.exit_code == 0, result.output
    assert "course vibrastic101 with instructor ada@example.org" in result.output


def test_init_reads_the_password_from_the_environment(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIBRASTIC_INSTRUCTOR_PASSWORD", PASSWORD)
    monkeypatch.setenv("VIBRASTIC_DATABASE_URL", f"sqlite:///{tmp_path / 'env.db'}")
    result = runner.invoke(app, ["classroom", "init", "--email", "p@example.org", "--name", "P",
                                 "--username", "pp"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "env.db").exists()


@pytest.mark.parametrize(("extra", "message"), [
    (["--password", "short"], "at least 10 characters; this one has 5"),
    (["--password", PASSWORD, "--course", "Has Spaces"], "cannot be a course's short name"),
    (["--password", PASSWORD, "--username", "<x>"], "cannot be a username"),
])
def test_init_refuses_bad_values_with_exit_2(tmp_path: Path, extra: list[str],
                                             message: str) -> None:
    base = ["--email", "p@example.org", "--name", "P", "--username", "pp"]
    args = base + extra if "--username" not in extra else base[:4] + extra
    result = init(f"sqlite:///{tmp_path / 'room.db'}", *args)
    assert result.exit_code == 2
    assert message in result.output


def test_init_twice_names_the_existing_account(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'room.db'}"
    args = ["--email", "p@example.org", "--name", "P", "--username", "pp", "--password", PASSWORD]
    assert init(url, *args).exit_code == 0
    again = init(url, *args, "--course", "second")
    assert again.exit_code == 2 and "already has an account" in again.output


def test_bad_database_urls_exit_2() -> None:
    result = init("mysql://root@localhost/db", "--email", "p@example.org")
    assert result.exit_code == 2 and "SQLite or PostgreSQL, not 'mysql'" in result.output
    down = init("postgresql+psycopg://u:secret@127.0.0.1:1/db", "--email", "p@example.org")
    assert down.exit_code == 2 and "cannot open the database" in down.output
    assert "secret" not in down.output


def test_a_worker_needs_postgresql(tmp_path: Path) -> None:
    result = runner.invoke(app, ["worker", "--database-url", f"sqlite:///{tmp_path / 'r.db'}"])
    assert result.exit_code == 2
    assert "grading workers need a PostgreSQL classroom database" in result.output
    niceness = runner.invoke(app, ["worker", "--nice", "20", "--database-url",
                                   f"sqlite:///{tmp_path / 'r.db'}"])
    assert niceness.exit_code == 2 and "--nice" in niceness.output


def test_classroom_serve_refuses_a_busy_port_and_a_bad_database(tmp_path: Path) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = runner.invoke(app, ["classroom", "serve", "--database-url",
                                     f"sqlite:///{tmp_path / 'r.db'}", "--port", str(port)])
        assert result.exit_code == 2 and f"cannot listen on 127.0.0.1:{port}" in result.output
    bad = runner.invoke(app, ["classroom", "serve", "--database-url", "mysql://x@h/db"])
    assert bad.exit_code == 2 and "SQLite or PostgreSQL" in bad.output


def test_classroom_serve_on_sqlite_starts_its_sandboxes_with_the_server(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import socket
    import threading

    import uvicorn

    from vibrastic.faces.web.app import SERVE_SETTINGS, classroom_app
    from vibrastic.platform.grader.grade import Grader

    starts: list[str] = []
    monkeypatch.setattr(Grader, "start", lambda self: starts.append(
        threading.current_thread().name))
    seen: dict[str, object] = {}

    def run(target: str, **kwargs: object) -> None:
        assert target == "vibrastic.faces.web.app:classroom_app" and kwargs["factory"]
        seen["processes"] = kwargs["workers"]  # SQLite: one
        seen["proxies"] = kwargs["forwarded_allow_ips"]
        app = classroom_app()  # what Uvicorn does in each web process
        service = app.state.classroom.grading._service
        seen["warm"] = service.wait_warm(timeout=60)  # started without a check
        seen["switch interval"] = sys.getswitchinterval()
        app.state.classroom.grading.close()

    monkeypatch.setattr(uvicorn, "run", run)
    monkeypatch.setenv(SERVE_SETTINGS, "")  # the command sets it: put back afterwards
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    before = sys.getswitchinterval()
    try:
        result = runner.invoke(app, ["classroom", "serve", "--database-url",
                                     f"sqlite:///{tmp_path / 'r.db'}", "--port", str(port),
                                     "--grading-workers", "2",
                                     "--trusted-proxies", "10.0.0.5"])
    finally:
        sys.setswitchinterval(before)
    assert result.exit_code == 0, result.output
    # pages waiting on the database get the interpreter back quickly (see `serve`)
    assert seen == {"warm": True, "switch interval": 0.0005, "processes": 1,
                    "proxies": "10.0.0.5"}
    several = runner.invoke(app, ["classroom", "serve", "--database-url",
                                  f"sqlite:///{tmp_path / 'r.db'}", "--processes", "2"])
    assert several.exit_code == 2 and "several web processes need PostgreSQL" in several.output
    monkeypatch.delenv(SERVE_SETTINGS)  # Uvicorn pointed at the factory by hand
    with pytest.raises(RuntimeError, match="start the classroom with `vibrastic classroom serve"):
        classroom_app()
    assert sorted(starts) == ["grading-worker-0", "grading-worker-1"]  # in the background


def test_the_digest_needs_an_smtp_server_and_names_a_dead_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'room.db'}"
    result = runner.invoke(app, ["classroom", "digest", "--database-url", url])
    assert result.exit_code == 2 and "no SMTP server configured" in result.output
    monkeypatch.setenv("VIBRASTIC_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("VIBRASTIC_SMTP_PORT", "1")
    empty = runner.invoke(app, ["classroom", "digest", "--database-url", url])
    assert empty.exit_code == 0 and "0 digest e-mail(s) sent" in empty.output  # nothing due


def test_the_digest_sends_through_a_real_smtp_server(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Sink

    from vibrastic.platform.qa import board
    from vibrastic.platform.qa.board import Viewer

    url = f"sqlite:///{tmp_path / 'room.db'}"
    assert init(url, "--email", "prof@example.org", "--name", "Prof", "--username", "prof",
                "--password", PASSWORD).exit_code == 0
    engine = connect(url)
    from vibrastic.platform.classroom.people import add_section, create_user, join_with_code

    ada = create_user(engine, email="ada@example.org", name="Ada", username="ada",
                      password=PASSWORD)
    join_with_code(engine, ada, add_section(engine, 1, "A", by=1))
    board.ask(engine, Viewer(ada, "learner"), 1, title="Why does sigma(2) give 5?",
              body="I get 4.", target_kind="challenge", target="sigma")
    received: list[bytes] = []

    class Inbox(Sink):
        async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
            received.append(envelope.content)
            return "250 OK"

    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    controller = Controller(Inbox(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        monkeypatch.setenv("VIBRASTIC_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("VIBRASTIC_SMTP_PORT", str(port))
        result = runner.invoke(app, ["classroom", "digest", "--database-url", url])
    finally:
        controller.stop()
    assert result.exit_code == 0, result.output
    assert "1 digest e-mail(s) sent" in result.output
    assert len(received) == 1 and b"To: prof@example.org" in received[0]
    assert b"new question: Why does sigma(2) give 5?" in received[0]
