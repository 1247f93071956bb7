"""argon2id hashing and the password-strength rule (cheap test profile only)."""

from __future__ import annotations

import pytest
from argon2.low_level import Type, hash_secret

from spaps_server.security.errors import PasswordHashingError, WeakPasswordError
from spaps_server.security.passwords import (
    PasswordHasher,
    PasswordPolicy,
    check_password_strength,
)

CHEAP = PasswordPolicy.for_tests()


@pytest.fixture
def hasher() -> PasswordHasher:
    return PasswordHasher(CHEAP)


def test_hash_is_argon2id_with_the_policy_parameters(hasher: PasswordHasher) -> None:
    encoded = hasher.hash("Secret123!")
    assert encoded.startswith("$argon2id$v=19$m=8,t=1,p=1$")
    assert "Secret123!" not in encoded


def test_same_password_hashes_differently_each_time(hasher: PasswordHasher) -> None:
    assert hasher.hash("Secret123!") != hasher.hash("Secret123!")


def test_verify_accepts_the_right_password(hasher: PasswordHasher) -> None:
    assert hasher.verify(hasher.hash("Secret123!"), "Secret123!") is True


def test_verify_rejects_a_wrong_password_without_raising(hasher: PasswordHasher) -> None:
    encoded = hasher.hash("Secret123!")
    assert hasher.verify(encoded, "Secret123?") is False
    assert hasher.verify(encoded, "") is False


@pytest.mark.parametrize(
    "corrupt",
    ["", "not-a-hash", "$argon2id$v=19$m=8,t=1,p=1$AAAA", "$2b$12$abcdefghijklmnopqrstuv"],
)
def test_verify_returns_false_for_corrupt_hashes(hasher: PasswordHasher, corrupt: str) -> None:
    assert hasher.verify(corrupt, "Secret123!") is False


def test_non_ascii_passwords_round_trip(hasher: PasswordHasher) -> None:
    encoded = hasher.hash("Pässwörd-Ünïcødé-密码")
    assert hasher.verify(encoded, "Pässwörd-Ünïcødé-密码")
    assert not hasher.verify(encoded, "Passwort-Unicode-密码")


def test_a_hash_from_another_policy_still_verifies_but_needs_rehash(
    hasher: PasswordHasher,
) -> None:
    stronger = PasswordHasher(PasswordPolicy(time_cost=2, memory_cost=16, parallelism=1))
    old = stronger.hash("Secret123!")
    assert hasher.verify(old, "Secret123!")
    assert hasher.needs_rehash(old) is True
    assert hasher.needs_rehash(hasher.hash("Secret123!")) is False


def test_needs_rehash_of_garbage_is_true(hasher: PasswordHasher) -> None:
    assert hasher.needs_rehash("garbage") is True


def test_hash_made_independently_with_argon2_low_level_verifies(hasher: PasswordHasher) -> None:
    encoded = hash_secret(
        b"Sup3rStrong!",
        b"0123456789abcdef",
        time_cost=1,
        memory_cost=8,
        parallelism=1,
        hash_len=32,
        type=Type.ID,
    ).decode()
    assert hasher.verify(encoded, "Sup3rStrong!")
    assert not hasher.verify(encoded, "Sup3rStrong?")


def test_dummy_verify_is_false_for_any_password(hasher: PasswordHasher) -> None:
    assert hasher.dummy_verify("Secret123!") is False
    assert hasher.dummy_verify("") is False


def test_dummy_verify_really_runs_argon2_with_the_policy(
    hasher: PasswordHasher, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The constant-time property rests on dummy_verify doing one real argon2 verification
    # against a hash with the current parameters; check exactly that, not wall-clock time.
    seen: list[str] = []
    inner = hasher._hasher

    class Spy:
        def verify(self, encoded: str, password: str) -> bool:
            seen.append(encoded)
            return bool(inner.verify(encoded, password))

        def hash(self, password: str) -> str:
            return str(inner.hash(password))

    monkeypatch.setattr(hasher, "_hasher", Spy())
    hasher.dummy_verify("whatever")
    hasher.dummy_verify("whatever-else")
    assert len(seen) == 2
    assert seen[0] == seen[1]
    assert seen[0].startswith("$argon2id$v=19$m=8,t=1,p=1$")


def test_production_profile_follows_owasp() -> None:
    policy = PasswordPolicy.production()
    assert (policy.memory_cost, policy.time_cost, policy.parallelism) == (19456, 2, 1)
    assert PasswordHasher().policy == policy


@pytest.mark.parametrize(
    "kwargs",
    [
        {"time_cost": 0, "memory_cost": 8, "parallelism": 1},
        {"time_cost": 1, "memory_cost": 4, "parallelism": 1},
        {"time_cost": 1, "memory_cost": 8, "parallelism": 1, "salt_len": 8},
    ],
)
def test_policy_rejects_unsafe_parameters(kwargs: dict[str, int]) -> None:
    with pytest.raises(ValueError):
        PasswordPolicy(**kwargs)


def test_hashing_failure_is_typed_and_carries_no_password(
    hasher: PasswordHasher, monkeypatch: pytest.MonkeyPatch
) -> None:
    from argon2.exceptions import HashingError

    class Failing:
        def hash(self, password: str) -> str:
            raise HashingError("out of memory")

    monkeypatch.setattr(hasher, "_hasher", Failing())
    with pytest.raises(PasswordHashingError) as info:
        hasher.hash("Secret123!")
    assert info.value.code is None  # the server's own failure: no wire code
    assert "Secret123!" not in repr(info.value)


def test_repr_shows_no_secret(hasher: PasswordHasher) -> None:
    hasher.dummy_verify("x")
    assert "$argon2" not in repr(hasher)


# --- strength ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "password",
    ["Secret123!", "Sup3rStrong!", "correct Horse battery staple", "Zz9!zz9!zz", "ÄÖÜäöü12"],
)
def test_strong_passwords_pass(password: str) -> None:
    check_password_strength(password)


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("abc", "too_short"),
        ("Ab1!", "too_short"),
        ("password", "common"),
        ("12345678", "common"),
        ("Password1!", "common"),
        ("QWERTY2024!", "common"),
        ("letmein!!", "common"),
        ("abcdefghij", "too_simple"),
        ("ZXQWPLMN12", "too_simple"),
        ("lowercase!", "too_simple"),
        ("98765432", "too_simple"),
        ("A1!" * 400, "too_long"),
    ],
)
def test_weak_passwords_fail_with_a_reason(password: str, reason: str) -> None:
    with pytest.raises(WeakPasswordError) as info:
        check_password_strength(password)
    error = info.value
    assert error.code == "WEAK_PASSWORD"
    assert error.reason == reason
    assert error.message and password not in error.message
    assert password not in repr(error)


def test_password_containing_user_data_fails() -> None:
    with pytest.raises(WeakPasswordError) as info:
        check_password_strength("Alice2024!x", user_inputs=["alice", "a@b.c"])
    assert info.value.reason == "contains_user_data"
    # Short inputs are ignored: they would reject too many good passwords.
    check_password_strength("Bob-Secret123!", user_inputs=["bob"])


def test_weak_password_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        check_password_strength("abc")
