"""Passwords, tokens, join codes and login throttling of the classroom."""

import pytest

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


def test_throttle_blocks_after_five_failures_until_the_window_passes() -> None:
    clock = Clock()
    throttle = LoginThrottle(max_failures=5, window=300, clock=clock)
    for _ in range(4):
        throttle.failed("ada@example.org")
        clock.now += 1
    assert throttle.retry_after("ada@example.org") == 0
    throttle.failed("ada@example.org")
    assert throttle.retry_after("ada@example.org") == pytest.approx(296)
    assert throttle.retry_after("bob@example.org") == 0  # keys are separate
    clock.now += 296
    assert throttle.retry_after("ada@example.org") == 0  # the first failure left the window


def test_a_successful_login_clears_the_failures() -> None:
    clock = Clock()
    throttle = LoginThrottle(max_failures=2, window=60, clock=clock)
    throttle.failed("k")
    throttle.succeeded("k")
    throttle.failed("k")
    assert throttle.retry_after("k") == 0
