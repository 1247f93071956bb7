"""Signed access tokens (JWT, EdDSA over Ed25519), the JWKS, and opaque tokens.

Access tokens are short-lived JWTs signed with the server's Ed25519 key; anyone holding the
published JWKS (``/.well-known/jwks.json``) can verify them. Refresh, magic-link and
password-reset tokens are opaque random strings; the token tables (``refresh_tokens``,
``one_time_tokens``) store only their SHA-256 (:func:`hash_token`). The one copy in clear is
the e-mail that carries a magic-link or reset token: ``mail_outbox`` keeps each message as
sent, link included, like a real mailbox would.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from .errors import ExpiredTokenError, InvalidTokenError, SigningKeyError

__all__ = [
    "ACCESS_TOKEN_TYPE",
    "DEFAULT_ACCESS_TOKEN_TTL",
    "DEFAULT_ISSUER",
    "MAGIC_LINK_TOKEN_PREFIX",
    "PASSWORD_RESET_TOKEN_PREFIX",
    "REFRESH_TOKEN_PREFIX",
    "VERIFIED_TOKEN_CACHE_SIZE",
    "AccessClaims",
    "AccessTokenVerifier",
    "TokenSigner",
    "constant_time_equals",
    "generate_signing_key_pem",
    "hash_token",
    "jwk_thumbprint",
    "load_signing_key",
    "new_opaque_token",
    "new_refresh_token",
    "public_jwk",
]

DEFAULT_ISSUER = "spaps-local"
DEFAULT_ACCESS_TOKEN_TTL = 900
# RFC 9068 media type of JWT access tokens; checked on verification so that any other JWT
# this key might one day sign (an ID token, say) is never accepted as an access token.
ACCESS_TOKEN_TYPE = "at+jwt"
# How many distinct verified access tokens the server's verifier remembers (about 1 KiB
# each), so that a client reusing its token does not pay for an Ed25519 check per request.
VERIFIED_TOKEN_CACHE_SIZE = 4096
_ALGORITHM = "EdDSA"

# Public prefixes that tell token kinds apart; not secrets.
REFRESH_TOKEN_PREFIX = "rt"
MAGIC_LINK_TOKEN_PREFIX = "ml"
PASSWORD_RESET_TOKEN_PREFIX = "pr"

_RESERVED_CLAIMS = frozenset(
    {"iss", "sub", "aud", "exp", "nbf", "iat", "jti", "sid", "app", "tier", "role"}
)
_PREFIX_RE = re.compile(r"[a-z][a-z0-9]{0,15}")

Clock = Callable[[], float]


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


_B64URL_SEGMENT = re.compile(r"^[A-Za-z0-9_-]+$")


def is_canonical_jws(token: str) -> bool:
    """Whether ``token`` is three base64url segments each in its one canonical spelling (no
    padding, no stray characters, no bits set past the data). Decoders tolerate the other
    spellings, which would give one signed token many accepted forms."""
    segments = token.split(".")
    if len(segments) != 3:
        return False
    for segment in segments:
        if not _B64URL_SEGMENT.match(segment) or len(segment) % 4 == 1:
            return False
        if _b64url(_b64url_decode(segment)) != segment:
            return False
    return True


# --- keys ------------------------------------------------------------------------------


def generate_signing_key_pem() -> bytes:
    """Return a new Ed25519 private key as unencrypted PKCS#8 PEM (store it with mode 0600)."""
    return Ed25519PrivateKey.generate().private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.NoEncryption(),
    )


def load_signing_key(pem: bytes, *, password: bytes | None = None) -> Ed25519PrivateKey:
    """Load an Ed25519 private key from PEM bytes.

    Raises :class:`SigningKeyError` if the bytes are not a PEM private key or the key is not
    Ed25519 (the message never includes the key material).
    """
    try:
        key = serialization.load_pem_private_key(pem, password=password)
    except (ValueError, TypeError) as exc:
        raise SigningKeyError("The signing key is not a readable PEM private key.") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError("The signing key must be an Ed25519 key.")
    return key


def _raw_public_bytes(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(
        encoding=serialization.Encoding.Raw, format=serialization.PublicFormat.Raw
    )


def jwk_thumbprint(key: Ed25519PublicKey) -> str:
    """Return the RFC 7638 JWK thumbprint (SHA-256, base64url) of an Ed25519 public key.

    For an OKP key the required members are ``crv``, ``kty`` and ``x``, serialised in that
    (lexicographic) order without whitespace.
    """
    canonical = json.dumps(
        {"crv": "Ed25519", "kty": "OKP", "x": _b64url(_raw_public_bytes(key))},
        separators=(",", ":"),
        sort_keys=True,
    )
    return _b64url(hashlib.sha256(canonical.encode("ascii")).digest())


def public_jwk(key: Ed25519PublicKey) -> dict[str, str]:
    """Return the public JWK (RFC 8037 OKP) of ``key``, with its thumbprint as ``kid``."""
    return {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": _b64url(_raw_public_bytes(key)),
        "kid": jwk_thumbprint(key),
        "use": "sig",
        "alg": _ALGORITHM,
    }


# --- access tokens ---------------------------------------------------------------------


@dataclass(frozen=True)
class AccessClaims:
    """The verified claims of an access token."""

    user_id: str
    """``sub``."""
    session_id: str
    """``sid``."""
    application_id: str
    """``app`` (also the ``aud``)."""
    tier: str
    role: str
    issued_at: int
    """``iat``, unix seconds."""
    expires_at: int
    """``exp``, unix seconds."""
    token_id: str
    """``jti``, unique per token."""
    issuer: str
    extra: Mapping[str, Any] = field(default_factory=dict)
    """Claims beyond the registered ones, as issued."""


class AccessTokenVerifier:
    """Verifies access tokens with public keys only (for instance, from a JWKS document).

    With ``cache_size`` > 0 the result of the expensive, time-independent part of
    verification (header, Ed25519 signature, issuer, claim shapes) is remembered for that
    many distinct tokens, keyed by the SHA-256 of the token. That part is a pure function of
    the token and this verifier's fixed key set, so remembering it changes no answer: the
    time checks (``iat``, ``exp`` against the injected clock) and the application check run
    on every call, and tokens that fail are never remembered.
    """

    def __init__(
        self,
        public_keys: Mapping[str, Ed25519PublicKey],
        *,
        issuer: str = DEFAULT_ISSUER,
        clock: Clock = time.time,
        leeway_seconds: int = 0,
        cache_size: int = 0,
    ) -> None:
        if not public_keys:
            raise SigningKeyError("At least one public key is required.")
        if leeway_seconds < 0:
            raise ValueError("leeway_seconds must not be negative")
        if cache_size < 0:
            raise ValueError("cache_size must not be negative")
        self._keys = dict(public_keys)
        self._issuer = issuer
        self._clock = clock
        self._leeway = leeway_seconds
        self._cache_size = cache_size
        self._verified: OrderedDict[bytes, AccessClaims] = OrderedDict()
        # Tokens are verified from the event loop, but tests also serve from other threads.
        self._cache_lock = threading.Lock()

    @classmethod
    def from_jwks(
        cls,
        jwks: Mapping[str, Any],
        *,
        issuer: str = DEFAULT_ISSUER,
        clock: Clock = time.time,
        leeway_seconds: int = 0,
    ) -> AccessTokenVerifier:
        """Build a verifier from a JWKS document (``{"keys": [...]}``).

        Only Ed25519 OKP keys meant for signatures are kept; a key's ``kid`` must be its
        RFC 7638 thumbprint. Raises :class:`SigningKeyError` if no usable key remains.
        """
        keys: dict[str, Ed25519PublicKey] = {}
        entries = jwks.get("keys")
        if not isinstance(entries, list):
            raise SigningKeyError("The JWKS has no key list.")
        for entry in entries:
            if not isinstance(entry, Mapping):
                continue
            if entry.get("kty") != "OKP" or entry.get("crv") != "Ed25519":
                continue
            if entry.get("use", "sig") != "sig" or entry.get("alg", _ALGORITHM) != _ALGORITHM:
                continue
            x = entry.get("x")
            if not isinstance(x, str):
                continue
            try:
                key = Ed25519PublicKey.from_public_bytes(_b64url_decode(x))
            except (ValueError, TypeError):
                continue
            kid = jwk_thumbprint(key)
            if entry.get("kid", kid) != kid:
                continue
            keys[kid] = key
        if not keys:
            raise SigningKeyError("The JWKS holds no usable Ed25519 signing key.")
        return cls(keys, issuer=issuer, clock=clock, leeway_seconds=leeway_seconds)

    def __repr__(self) -> str:
        return f"AccessTokenVerifier(kids={sorted(self._keys)!r}, issuer={self._issuer!r})"

    def verify(self, token: str, *, application_id: str | None = None) -> AccessClaims:
        """Verify ``token`` and return its claims.

        Checks the header (``alg`` EdDSA, ``typ`` at+jwt, a known ``kid``), the signature,
        ``iss``, the presence and types of every claim, ``iat`` (not in the future) and
        ``exp`` against the injected clock, and, if ``application_id`` is given, that the
        token was issued for that application. Raises :class:`ExpiredTokenError` when only
        the expiry fails and :class:`InvalidTokenError` for everything else.
        """
        if self._cache_size:
            digest = hashlib.sha256(token.encode("utf-8")).digest()
            with self._cache_lock:
                claims = self._verified.get(digest)
                if claims is not None:
                    self._verified.move_to_end(digest)
            if claims is None:
                claims = self._verify_signed_part(token)
                with self._cache_lock:
                    self._verified[digest] = claims
                    while len(self._verified) > self._cache_size:
                        self._verified.popitem(last=False)
        else:
            claims = self._verify_signed_part(token)
        now = self._clock()
        if claims.issued_at > now + self._leeway:
            raise InvalidTokenError(reason="issued_in_future")
        if now >= claims.expires_at + self._leeway:
            raise ExpiredTokenError()
        if application_id is not None and not hmac.compare_digest(
            claims.application_id.encode(), application_id.encode()
        ):
            raise InvalidTokenError(reason="wrong_application")
        return claims

    @property
    def cached_tokens(self) -> int:
        """How many verified tokens are remembered (see the class docstring)."""
        return len(self._verified)

    def _verify_signed_part(self, token: str) -> AccessClaims:
        """Everything that does not depend on the time or the caller: header, key, signature,
        issuer, and the presence and types of the claims."""
        if not is_canonical_jws(token):
            raise InvalidTokenError(reason="malformed")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise InvalidTokenError(reason="malformed") from exc
        if header.get("alg") != _ALGORITHM or header.get("typ") != ACCESS_TOKEN_TYPE:
            raise InvalidTokenError(reason="bad_header")
        kid = header.get("kid")
        key = self._keys.get(kid) if isinstance(kid, str) else None
        if key is None:
            raise InvalidTokenError(reason="unknown_key")
        try:
            payload: dict[str, Any] = jwt.decode(
                token,
                key=key,
                algorithms=[_ALGORITHM],
                issuer=self._issuer,
                options={
                    "require": ["iss", "sub", "aud", "exp", "iat", "jti"],
                    # Time claims are checked below against the injected clock.
                    "verify_exp": False,
                    "verify_iat": False,
                    "verify_nbf": False,
                    # The audience is checked below, only when the caller names one.
                    "verify_aud": False,
                },
            )
        except jwt.PyJWTError as exc:
            raise InvalidTokenError(reason="bad_signature_or_claims") from exc
        return _claims_from_payload(payload)


def _claims_from_payload(payload: dict[str, Any]) -> AccessClaims:
    strings = {name: payload.get(name) for name in ("sub", "sid", "app", "aud", "tier", "role")}
    strings["jti"] = payload.get("jti")
    strings["iss"] = payload.get("iss")
    if not all(isinstance(value, str) and value for value in strings.values()):
        raise InvalidTokenError(reason="bad_claims")
    if strings["aud"] != strings["app"]:
        raise InvalidTokenError(reason="bad_claims")
    iat, exp = payload.get("iat"), payload.get("exp")
    if type(iat) is not int or type(exp) is not int or exp <= iat:
        raise InvalidTokenError(reason="bad_claims")
    extra = {name: value for name, value in payload.items() if name not in _RESERVED_CLAIMS}
    return AccessClaims(
        user_id=str(strings["sub"]),
        session_id=str(strings["sid"]),
        application_id=str(strings["app"]),
        tier=str(strings["tier"]),
        role=str(strings["role"]),
        issued_at=iat,
        expires_at=exp,
        token_id=str(strings["jti"]),
        issuer=str(strings["iss"]),
        extra=extra,
    )


class TokenSigner:
    """Issues and verifies access tokens with the server's Ed25519 key."""

    def __init__(
        self,
        private_key_pem: bytes,
        *,
        issuer: str = DEFAULT_ISSUER,
        clock: Clock = time.time,
        leeway_seconds: int = 0,
        verified_cache_size: int = VERIFIED_TOKEN_CACHE_SIZE,
    ) -> None:
        self._private_key = load_signing_key(private_key_pem)
        self._public_key = self._private_key.public_key()
        self._kid = jwk_thumbprint(self._public_key)
        self._issuer = issuer
        self._clock = clock
        self._verifier = AccessTokenVerifier(
            {self._kid: self._public_key},
            issuer=issuer,
            clock=clock,
            leeway_seconds=leeway_seconds,
            cache_size=verified_cache_size,
        )

    @property
    def kid(self) -> str:
        """The key id (RFC 7638 thumbprint) put in every token header."""
        return self._kid

    @property
    def issuer(self) -> str:
        """The ``iss`` of issued tokens."""
        return self._issuer

    @property
    def verifier(self) -> AccessTokenVerifier:
        """A verifier holding only this signer's public key."""
        return self._verifier

    def __repr__(self) -> str:
        return f"TokenSigner(kid={self._kid!r}, issuer={self._issuer!r})"

    def issue_access_token(
        self,
        *,
        user_id: str,
        session_id: str,
        application_id: str,
        tier: str,
        role: str,
        ttl_seconds: int = DEFAULT_ACCESS_TOKEN_TTL,
        extra_claims: Mapping[str, Any] | None = None,
    ) -> tuple[str, int]:
        """Sign an access token and return ``(token, expires_in)``.

        ``expires_in`` equals ``ttl_seconds``. ``extra_claims`` must be JSON-serialisable and
        must not redefine a registered claim (``iss sub aud exp nbf iat jti sid app tier
        role``), otherwise ``ValueError``.
        """
        if ttl_seconds <= 0:
            raise ValueError("ttl_seconds must be positive")
        for name, value in (
            ("user_id", user_id),
            ("session_id", session_id),
            ("application_id", application_id),
            ("tier", tier),
            ("role", role),
        ):
            if not value:
                raise ValueError(f"{name} must be a non-empty string")
        extra = dict(extra_claims or {})
        clashing = sorted(set(extra) & _RESERVED_CLAIMS)
        if clashing:
            raise ValueError(f"extra_claims must not redefine {', '.join(clashing)}")
        issued_at = int(self._clock())
        payload: dict[str, Any] = {
            **extra,
            "iss": self._issuer,
            "sub": user_id,
            "aud": application_id,
            "app": application_id,
            "sid": session_id,
            "tier": tier,
            "role": role,
            "iat": issued_at,
            "exp": issued_at + ttl_seconds,
            "jti": secrets.token_urlsafe(16),
        }
        token = jwt.encode(
            payload,
            self._private_key,
            algorithm=_ALGORITHM,
            headers={"kid": self._kid, "typ": ACCESS_TOKEN_TYPE},
        )
        return str(token), ttl_seconds

    def verify_access_token(self, token: str, *, application_id: str | None = None) -> AccessClaims:
        """Verify a token issued by this signer; see :meth:`AccessTokenVerifier.verify`."""
        return self._verifier.verify(token, application_id=application_id)

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        """Return the public key set served at ``/.well-known/jwks.json``."""
        return {"keys": [public_jwk(self._public_key)]}


# --- opaque tokens ---------------------------------------------------------------------


def new_opaque_token(prefix: str, *, nbytes: int = 32) -> str:
    """Return ``"<prefix>_<random>"`` with ``nbytes`` (at least 16) of randomness, URL-safe.

    The prefix (1 to 16 lower-case letters and digits, starting with a letter) tells token
    kinds apart in logs and bug reports without revealing the token.
    """
    if not _PREFIX_RE.fullmatch(prefix):
        raise ValueError("prefix must be 1-16 lower-case letters/digits, starting with a letter")
    if nbytes < 16:
        raise ValueError("nbytes must be at least 16")
    return f"{prefix}_{secrets.token_urlsafe(nbytes)}"


def new_refresh_token() -> str:
    """Return a new opaque refresh token (``rt_...``, 256 bits of randomness)."""
    return new_opaque_token(REFRESH_TOKEN_PREFIX)


def hash_token(token: str) -> str:
    """Return the SHA-256 hex digest of an opaque token: the form it is stored and looked up in.

    Opaque tokens carry 256 bits of randomness, so an unsalted fast hash is enough: there is
    nothing to brute-force, and a deterministic digest allows lookup by hash.
    """
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def constant_time_equals(a: str | bytes, b: str | bytes) -> bool:
    """Compare two secrets in time independent of where they differ.

    Strings are compared as UTF-8, so non-ASCII input is accepted.
    """
    left = a.encode("utf-8") if isinstance(a, str) else a
    right = b.encode("utf-8") if isinstance(b, str) else b
    return hmac.compare_digest(left, right)
