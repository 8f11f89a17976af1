"""The daily digest goes through a real SMTP server (aiosmtpd on loopback), once per item."""

import socket
from collections.abc import Iterator
from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Sink
from rooms import Room

from vibrastic.platform.qa import board
from vibrastic.platform.qa.digest import SmtpSettings, send_digests


class Inbox(Sink):
    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content)))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    handler, port = Inbox(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


def test_staff_get_a_digest_of_new_questions_once(room: Room, inbox: tuple[Inbox, int]) -> None:
    handler, port = inbox
    tid = room.ask("ada", anonymous=True)
    smtp = SmtpSettings(host="127.0.0.1", port=port, sender="course@example.org")
    assert send_digests(room.engine, smtp, "http://127.0.0.1:8000") == 2  # prof and ta
    recipients = sorted(r[0] for r, _ in handler.messages)
    assert recipients == ["prof@example.org", "ta@example.org"]
    body = handler.messages[0][1].get_payload()
    assert "new question: Why does sigma(2) give 5?" in body
    assert f"http://127.0.0.1:8000/c/ai-101/qa/{tid}" in body
    assert send_digests(room.engine, smtp, "http://127.0.0.1:8000") == 0  # nothing twice
    board.reply(room.engine, room.v["prof"], tid, "Check range's end.")
    assert send_digests(room.engine, smtp, "http://127.0.0.1:8000") == 1
    assert handler.messages[-1][0] == ["ada@example.org"]
    assert "Ada" not in str(handler.messages[-1][1]["Subject"])


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert SmtpSettings.from_env() is None
    monkeypatch.setenv("VIBRASTIC_SMTP_HOST", "mail.example.org")
    monkeypatch.setenv("VIBRASTIC_SMTP_PORT", "587")
    monkeypatch.setenv("VIBRASTIC_SMTP_STARTTLS", "1")
    assert SmtpSettings.from_env() == SmtpSettings(host="mail.example.org", port=587,
                                                   starttls=True)
