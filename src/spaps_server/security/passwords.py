"""Password hashing (argon2id) and the minimum-strength rule.

Hashes are PHC strings (``$argon2id$v=19$m=...,t=...,p=...$salt$hash``), so each stored hash
records its own parameters and older hashes keep verifying after the policy changes;
:meth:`PasswordHasher.needs_rehash` tells the login flow when to upgrade one.

Passwords are hashed as their UTF-8 bytes, without Unicode normalisation, so a hash never
depends on the normalisation tables of the Python that produced it.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

import argon2
from argon2.exceptions import HashingError, InvalidHashError, VerificationError

from .errors import PasswordHashingError, WeakPasswordError

__all__ = [
    "MAX_PASSWORD_LENGTH",
    "MIN_PASSWORD_LENGTH",
    "PasswordHasher",
    "PasswordPolicy",
    "check_password_strength",
]

MIN_PASSWORD_LENGTH = 8
# Long enough for any passphrase or password manager, short enough that nobody can make
# the server hash megabytes per request.
MAX_PASSWORD_LENGTH = 1024


@dataclass(frozen=True)
class PasswordPolicy:
    """argon2id cost parameters.

    ``memory_cost`` is in KiB. Use :meth:`production` in the server and :meth:`for_tests`
    only in test suites, where hashing must be cheap.
    """

    time_cost: int
    memory_cost: int
    parallelism: int
    hash_len: int = 32
    salt_len: int = 16

    def __post_init__(self) -> None:
        if self.time_cost < 1 or self.parallelism < 1:
            raise ValueError("time_cost and parallelism must be at least 1")
        if self.memory_cost < 8 * self.parallelism:
            raise ValueError("memory_cost must be at least 8 KiB per lane")
        if self.hash_len < 16 or self.salt_len < 16:
            raise ValueError("hash_len and salt_len must be at least 16 bytes")

    @classmethod
    def production(cls) -> PasswordPolicy:
        """OWASP's argon2id recommendation: 19 MiB of memory, 2 iterations, 1 lane."""
        return cls(time_cost=2, memory_cost=19 * 1024, parallelism=1)

    @classmethod
    def for_tests(cls) -> PasswordPolicy:
        """The cheapest argon2id parameters: for test suites only, never for real accounts."""
        return cls(time_cost=1, memory_cost=8, parallelism=1)


class PasswordHasher:
    """Hashes and verifies passwords with argon2id under a :class:`PasswordPolicy`."""

    def __init__(self, policy: PasswordPolicy | None = None) -> None:
        """Build a hasher; this computes one hash (the dummy used by :meth:`dummy_verify`)."""
        self._policy = policy if policy is not None else PasswordPolicy.production()
        self._hasher = argon2.PasswordHasher(
            time_cost=self._policy.time_cost,
            memory_cost=self._policy.memory_cost,
            parallelism=self._policy.parallelism,
            hash_len=self._policy.hash_len,
            salt_len=self._policy.salt_len,
            type=argon2.Type.ID,
        )
        # Made up front (one hash) rather than on first use, so that even the first login for
        # an unknown account costs exactly one verification.
        self._dummy_hash = self.hash(secrets.token_urlsafe(32))

    @property
    def policy(self) -> PasswordPolicy:
        """The cost parameters new hashes are made with."""
        return self._policy

    def __repr__(self) -> str:
        return f"PasswordHasher(policy={self._policy!r})"

    def hash(self, password: str) -> str:
        """Return the argon2id PHC string of ``password`` with a fresh random salt.

        Raises :class:`PasswordHashingError` if argon2 fails.
        """
        try:
            return str(self._hasher.hash(password))
        except HashingError as exc:
            raise PasswordHashingError() from exc

    def verify(self, password_hash: str, password: str) -> bool:
        """Return whether ``password`` matches ``password_hash``.

        Never raises on a mismatch or on a corrupt stored hash (both give False). A corrupt
        hash still costs one full hash computation, so it is not distinguishable by timing.
        """
        try:
            return bool(self._hasher.verify(password_hash, password))
        except InvalidHashError:
            self.dummy_verify(password)
            return False
        except VerificationError:
            # VerifyMismatchError is a subclass: wrong password.
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        """Return whether ``password_hash`` was made with other parameters than the policy's.

        Call after a successful :meth:`verify` and store a fresh :meth:`hash` if True. A hash
        that cannot be parsed also needs a rehash.
        """
        try:
            return bool(self._hasher.check_needs_rehash(password_hash))
        except (InvalidHashError, ValueError):
            return True

    def dummy_verify(self, password: str) -> bool:
        """Spend the same time as a real :meth:`verify`, and return False.

        Call it when a login names an unknown account, so the response time does not reveal
        whether the account exists. The dummy hash uses this hasher's policy, hence the same
        cost as verifying a hash made under the current policy.
        """
        with contextlib.suppress(VerificationError, InvalidHashError):
            self._hasher.verify(self._dummy_hash, password)
        return False


# The most common passwords and password stems of public breach corpora. A password is also
# rejected when, once leading and trailing digits and symbols are stripped, what remains is
# one of these (so "Password1!" and "Qwerty2024!" are rejected).
_COMMON_PASSWORDS: frozenset[str] = frozenset(
    {
        "123456",
        "1234567",
        "12345678",
        "123456789",
        "1234567890",
        "0123456789",
        "987654321",
        "111111",
        "11111111",
        "000000",
        "00000000",
        "123123",
        "123123123",
        "654321",
        "666666",
        "888888",
        "112233",
        "121212",
        "147258369",
        "159753",
        "password",
        "passw0rd",
        "p@ssw0rd",
        "p@ssword",
        "pass",
        "password1",
        "qwerty",
        "qwertyuiop",
        "qwerty123",
        "asdfgh",
        "asdfghjkl",
        "zxcvbnm",
        "1q2w3e4r",
        "1q2w3e4r5t",
        "1qaz2wsx",
        "qazwsx",
        "abc123",
        "abcd1234",
        "abcdef",
        "abcdefg",
        "abcdefgh",
        "iloveyou",
        "admin",
        "administrator",
        "root",
        "toor",
        "letmein",
        "welcome",
        "monkey",
        "dragon",
        "master",
        "login",
        "princess",
        "sunshine",
        "football",
        "baseball",
        "superman",
        "batman",
        "trustno1",
        "starwars",
        "shadow",
        "michael",
        "jennifer",
        "charlie",
        "jordan",
        "hunter",
        "freedom",
        "whatever",
        "changeme",
        "default",
        "guest",
        "test",
        "tester",
        "testing",
        "computer",
        "internet",
        "hello",
        "helloworld",
        "access",
        "killer",
        "pokemon",
        "cheese",
        "summer",
        "winter",
        "spring",
        "autumn",
        "flower",
        "lovely",
        "loveme",
        "mustang",
        "ninja",
        "azerty",
        "solo",
        "zaq12wsx",
        "sweetpotato",
        "spaps",
    }
)

_STRIP_CHARS = "0123456789!@#$%^&*()-_=+[]{};:'\",.<>/?\\|`~ "


def check_password_strength(password: str, *, user_inputs: Iterable[str] = ()) -> None:
    """Raise :class:`WeakPasswordError` unless ``password`` meets the minimum-strength rule.

    The rule: 8 to 1024 characters; not a very common password (nor one with only digits
    and symbols added around a common stem); at least three of lower-case letters,
    upper-case letters, digits and symbols; and, for each of ``user_inputs`` of four or more
    characters (e-mail local part, username), not containing it. The error's ``message`` is
    fit to show to the user and its ``reason`` says which part failed.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPasswordError(
            f"Password must be at least {MIN_PASSWORD_LENGTH} characters long.",
            reason="too_short",
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise WeakPasswordError(
            f"Password must be at most {MAX_PASSWORD_LENGTH} characters long.",
            reason="too_long",
        )
    lowered = password.casefold()
    stem = lowered.strip(_STRIP_CHARS)
    if lowered in _COMMON_PASSWORDS or stem in _COMMON_PASSWORDS:
        raise WeakPasswordError(
            "Password is too common; choose a less predictable one.", reason="common"
        )
    classes = sum(
        (
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        )
    )
    if classes < 3:
        raise WeakPasswordError(
            "Password must contain at least three of: lower-case letters, upper-case "
            "letters, digits and symbols.",
            reason="too_simple",
        )
    for value in user_inputs:
        folded = value.casefold().strip()
        if len(folded) >= 4 and folded in lowered:
            raise WeakPasswordError(
                "Password must not contain your e-mail address or username.",
                reason="contains_user_data",
            )
