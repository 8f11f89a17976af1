"""Passwords, tokens, join codes and login throttling of the classroom."""

import pytest
from sqlalchemy import Engine

from vibrastic.platform.classroom.accounts import (
    JOIN_CODE_ALPHABET,
    MIN_PASSWORD_LENGTH,
    LoginThrottle,
    PasswordRejected,
    hash_password,
    needs_rehash,
    new_join_code,
    new_token,
    token_digest,
    verify_password,
)
from vibrastic.platform.database import connect


def test_a_password_hash_verifies_the_password_and_nothing_else() -> None:
    stored = hash_password("correct horse battery")
    assert stored.startswith("$argon2id$")
    assert "correct horse" not in stored
    assert verify_password(stored, "correct horse battery")
    assert not verify_password(stored, "correct horse batterY")
    assert not verify_password(stored, "")
    assert not needs_rehash(stored)


def test_the_same_password_hashes_differently_each_time() -> None:
    assert hash_password("same password!") != hash_password("same password!")


def test_unreadable_hashes_and_huge_passwords_are_refusals_not_crashes() -> None:
    assert not verify_password("not-a-hash", "whatever password")
    assert needs_rehash("not-a-hash")
    stored = hash_password("a fine password")
    assert not verify_password(stored, "x" * 100_000)


def test_weak_passwords_are_rejected_with_the_rule() -> None:
    with pytest.raises(PasswordRejected, match=f"at least {MIN_PASSWORD_LENGTH} characters; "
                                               "this one has 5"):
        hash_password("short")
    with pytest.raises(PasswordRejected, match="at most 1024"):
        hash_password("x" * 1025)


def test_tokens_are_random_and_stored_as_digests() -> None:
    tokens = {new_token() for _ in range(100)}
    assert len(tokens) == 100
    token = new_token()
    assert len(token) >= 43
    assert token_digest(token) == token_digest(token)
    assert token not in token_digest(token) and len(token_digest(token)) == 64


def test_join_codes_avoid_look_alike_characters() -> None:
    codes = [new_join_code() for _ in range(200)]
    assert all(len(c) == 8 and set(c) <= set(JOIN_CODE_ALPHABET) for c in codes)
    assert not set("".join(codes)) & set("01OI")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def engine(database_url: str) -> Engine:
    return connect(database_url)


def test_throttle_blocks_an_account_and_address_after_five_failures_until_the_window_passes(
        engine: Engine) -> None:
    clock = Clock()
    throttle = LoginThrottle(per_pair=5, per_account=8, per_client=20, window=300, clock=clock)
    for _ in range(4):
        throttle.failed(engine, "ada@example.org", "10.0.0.1")
        clock.now += 1
    assert throttle.retry_after(engine, "ada@example.org", "10.0.0.1") == 0
    throttle.failed(engine, "ada@example.org", "10.0.0.1")
    assert throttle.retry_after(engine, "ada@example.org", "10.0.0.1") == pytest.approx(296)
    assert throttle.retry_after(engine, "bob@example.org", "10.0.0.1") == 0  # same room
    assert throttle.retry_after(engine, "ada@example.org", "10.0.0.2") == 0  # another machine
    # a second throttle object (another web process) reads the same counts
    other = LoginThrottle(per_pair=5, per_account=8, per_client=20, window=300, clock=clock)
    assert other.retry_after(engine, "ada@example.org", "10.0.0.1") == pytest.approx(296)
    clock.now += 296
    assert throttle.retry_after(engine, "ada@example.org", "10.0.0.1") == 0  # the first left


def test_throttle_limits_one_account_from_anywhere_and_one_address_over_many_accounts(
        engine: Engine) -> None:
    clock = Clock()
    throttle = LoginThrottle(per_pair=5, per_account=3, per_client=4, window=60, clock=clock)
    for n in range(3):
        throttle.failed(engine, "ada@example.org", f"10.0.1.{n}")
    assert throttle.retry_after(engine, "ada@example.org", "10.0.1.9") == pytest.approx(60)
    assert throttle.retry_after(engine, "ada@example.org", "") == pytest.approx(60)
    for n in range(4):
        throttle.failed(engine, f"user{n}@example.org", "10.0.2.1")
    assert throttle.retry_after(engine, "someone@example.org", "10.0.2.1") == pytest.approx(60)
    assert throttle.retry_after(engine, "someone@example.org", "10.0.2.2") == 0


def test_a_successful_login_clears_only_its_account_and_address(engine: Engine) -> None:
    clock = Clock()
    throttle = LoginThrottle(per_pair=2, per_account=3, per_client=10, window=60, clock=clock)
    throttle.failed(engine, "ada@example.org", "10.0.0.1")
    throttle.succeeded(engine, "ada@example.org", "10.0.0.1")
    throttle.failed(engine, "ada@example.org", "10.0.0.1")
    assert throttle.retry_after(engine, "ada@example.org", "10.0.0.1") == 0
    throttle.failed(engine, "ada@example.org", "10.0.0.2")  # the account's third failure
    assert throttle.retry_after(engine, "ada@example.org", "10.0.0.1") == pytest.approx(60)
