"""The daily digest: one e-mail per person with the board's news they have not read yet.

Optional: it runs only when an SMTP server is configured (``SmtpSettings``, e.g. from
``VIBRASTIC_SMTP_HOST`` / ``_PORT`` / ``_USER`` / ``_PASSWORD`` / ``_FROM`` / ``_STARTTLS``).
Each notification is e-mailed at most once (``emailed_at``), so running the digest twice in a
day sends nothing new, and a failed send is retried the next time.
"""

from __future__ import annotations

import os
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from vibrastic.platform.classroom.models import Course, User
from vibrastic.platform.database import now
from vibrastic.platform.qa.models import Notification, Thread

KIND_WORDS = {
    "new-question": "new question", "new-note": "new private note",
    "new-announcement": "announcement", "answer": "new answer", "comment": "new comment",
    "endorsed": "your answer was endorsed", "merged": "merged into another thread",
}


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 25
    user: str | None = None
    password: str | None = None
    sender: str = "vibrastic@localhost"
    starttls: bool = False

    @classmethod
    def from_env(cls) -> SmtpSettings | None:
        host = os.environ.get("VIBRASTIC_SMTP_HOST")
        if not host:
            return None
        return cls(host=host, port=int(os.environ.get("VIBRASTIC_SMTP_PORT", "25")),
                   user=os.environ.get("VIBRASTIC_SMTP_USER"),
                   password=os.environ.get("VIBRASTIC_SMTP_PASSWORD"),
                   sender=os.environ.get("VIBRASTIC_SMTP_FROM", "vibrastic@localhost"),
                   starttls=os.environ.get("VIBRASTIC_SMTP_STARTTLS", "") == "1")


def digest_messages(engine: Engine, base_url: str, sender: str) -> list[tuple[EmailMessage,
                                                                              list[int]]]:
    """The e-mails to send: one per person with unread, un-mailed notifications."""
    with Session(engine) as session:
        pending = session.scalars(select(Notification).where(
            Notification.read_at.is_(None), Notification.emailed_at.is_(None))
            .order_by(Notification.user_id, Notification.id)).all()
        by_user: dict[int, list[Notification]] = {}
        for n in pending:
            by_user.setdefault(n.user_id, []).append(n)
        out = []
        for user_id, items in by_user.items():
            user = session.get(User, user_id)
            if user is None:
                continue
            lines = []
            for n in items:
                thread = session.get(Thread, n.thread_id)
                course = session.get(Course, thread.course_id) if thread else None
                if thread is None or course is None:
                    continue
                lines.append(f"- {KIND_WORDS.get(n.kind, n.kind)}: {thread.title}\n"
                             f"  {base_url.rstrip('/')}/c/{course.slug}/qa/{thread.id}")
            message = EmailMessage()
            message["From"] = sender
            message["To"] = user.email
            message["Subject"] = f"vibrastic: {len(lines)} update(s) on the Q&A board"
            message.set_content(f"Hello {user.name},\n\nWhat happened on the Q&A board since "
                                "your last digest:\n\n" + "\n".join(lines) +
                                "\n\nRead them on the board to stop them appearing here.\n")
            out.append((message, [n.id for n in items]))
        return out


def send_digests(engine: Engine, smtp: SmtpSettings, base_url: str) -> int:
    """Send every pending digest; returns how many e-mails went out."""
    messages = digest_messages(engine, base_url, smtp.sender)
    if not messages:
        return 0
    sent = 0
    with smtplib.SMTP(smtp.host, smtp.port, timeout=30) as client:
        if smtp.starttls:
            client.starttls()
        if smtp.user:
            client.login(smtp.user, smtp.password or "")
        for message, ids in messages:
            client.send_message(message)
            with Session(engine) as session, session.begin():
                for n in session.scalars(select(Notification).where(Notification.id.in_(ids))):
                    n.emailed_at = now()
            sent += 1
    return sent
