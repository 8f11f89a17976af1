"""Accounts: password hashing, session tokens and login throttling for the classroom server.

Passwords are hashed with argon2id (argon2-cffi's defaults, the RFC 9106 low-memory profile). A
session is a random token the browser keeps in a cookie; the server stores only its SHA-256, so a
copy of the database does not hold live sessions. Throttling counts failed logins per key (an
account, a client address) in a sliding window and refuses further tries until the window has
passed, so guessing a password costs time; the clock is injected so tests need no sleeping.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

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


@dataclass
class LoginThrottle:
    """At most ``max_failures`` failed logins per key within ``window`` seconds.

    ``retry_after(key)`` is 0 while tries are allowed, else the seconds until the oldest failure
    leaves the window. A success clears the key's failures.
    """

    max_failures: int = 5
    window: float = 300.0
    clock: Callable[[], float] = time.monotonic
    _failures: dict[str, deque[float]] = field(default_factory=dict, repr=False)

    def _recent(self, key: str) -> deque[float]:
        now = self.clock()
        failures = self._failures.setdefault(key, deque())
        while failures and now - failures[0] >= self.window:
            failures.popleft()
        return failures

    def retry_after(self, key: str) -> float:
        failures = self._recent(key)
        if len(failures) < self.max_failures:
            return 0.0
        return max(0.0, self.window - (self.clock() - failures[0]))

    def failed(self, key: str) -> None:
        self._recent(key).append(self.clock())

    def succeeded(self, key: str) -> None:
        self._failures.pop(key, None)
