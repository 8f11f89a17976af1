"""Accounts: password hashing, session tokens and login throttling for the classroom server.

Passwords are hashed with argon2id (argon2-cffi's defaults, the RFC 9106 low-memory profile). A
session is a random token the browser keeps in a cookie; the server stores only its SHA-256, so a
copy of the database does not hold live sessions. Throttling counts failed logins in the database
(shared by every web process) per account, per account and address, and per address, in a
sliding window, and refuses further tries until the window has passed, so guessing a password
costs time.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from vibrastic.platform.classroom.models import LoginFailure

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024  # argon2 takes any length; this bounds the work one request can ask for

_hasher = PasswordHasher()


class PasswordRejected(ValueError):
    """A new password that does not meet the rules (the message says which)."""


def check_new_password(password: str) -> None:
    """Raise PasswordRejected naming the rule a new password breaks."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordRejected(
            f"a password needs at least {MIN_PASSWORD_LENGTH} characters; this one has "
            f"{len(password)}")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise PasswordRejected(f"a password may have at most {MAX_PASSWORD_LENGTH} characters")


def hash_password(password: str) -> str:
    """The argon2id hash of a new password (checked against the rules first)."""
    check_new_password(password)
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    """True when ``password`` matches; False for a wrong password or an unreadable hash."""
    if len(password) > MAX_PASSWORD_LENGTH:
        return False
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's (rehash at next login)."""
    try:
        return _hasher.check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True


def new_token(nbytes: int = 32) -> str:
    """A random URL-safe token (sessions, invitations, password resets, CSRF)."""
    return secrets.token_urlsafe(nbytes)


def token_digest(token: str) -> str:
    """What the server stores for a token: its SHA-256, hex."""
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()


JOIN_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud in a room


def new_join_code(length: int = 8) -> str:
    """A join code an instructor can read out or write on a board (no look-alike characters)."""
    return "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(length))


@dataclass(frozen=True)
class LoginThrottle:
    """Failed sign-ins, counted in the database so every web process sees the same counts.

    Three keys, each with its own limit in a sliding ``window`` of seconds:

    - one account from one address (``per_pair``): a learner's typos lock out only their own
      account from their own machine, not a room that shares one NAT address;
    - one account from anywhere (``per_account``): guessing one password from many addresses;
    - one address over any accounts (``per_client``, higher): one machine trying many accounts.

    ``retry_after`` is 0 while tries are allowed, else the seconds until a key under its limit
    again. A success clears only its account-and-address key: the account and address counts age
    out, so a guesser cannot reset them by signing in to an account of their own. Rows are keyed
    by a digest, so what someone typed as an e-mail address is not stored. The clock is injected
    so tests need no sleeping.
    """

    per_pair: int = 5
    per_account: int = 20
    per_client: int = 100
    window: float = 600.0
    clock: Callable[[], float] = field(default=time.time, compare=False)

    def keys(self, email: str, client: str) -> list[tuple[str, int]]:
        """(digest, limit) of every key a sign-in of ``email`` from ``client`` counts under."""
        keys = [(token_digest(f"account:{email}"), self.per_account)]
        if client:
            keys += [(self._pair(email, client), self.per_pair),
                     (token_digest(f"client:{client}"), self.per_client)]
        return keys

    @staticmethod
    def _pair(email: str, client: str) -> str:
        return token_digest(f"pair:{client}:{email}")

    def retry_after(self, engine: Engine, email: str, client: str = "") -> float:
        """Seconds until ``email`` may try from ``client`` again (0: now)."""
        now = self.clock()
        wait = 0.0
        with Session(engine) as session:
            for key, limit in self.keys(email, client):
                recent = session.scalars(
                    select(LoginFailure.at).where(LoginFailure.key == key,
                                                  LoginFailure.at > now - self.window)
                    .order_by(LoginFailure.at.desc()).limit(limit)).all()
                if len(recent) >= limit:  # under the limit once the limit-th newest ages out
                    wait = max(wait, recent[-1] + self.window - now)
        return wait

    def failed(self, engine: Engine, email: str, client: str = "") -> None:
        """Count a failed sign-in (and forget failures older than the window)."""
        now = self.clock()
        with Session(engine) as session, session.begin():
            session.execute(delete(LoginFailure).where(LoginFailure.at <= now - self.window))
            session.add_all(LoginFailure(key=key, at=now) for key, _ in self.keys(email, client))

    def succeeded(self, engine: Engine, email: str, client: str = "") -> None:
        """A right password from ``client``: its account-and-address failures are forgotten."""
        if client:
            with Session(engine) as session, session.begin():
                session.execute(delete(LoginFailure).where(
                    LoginFailure.key == self._pair(email, client)))
