"""EdDSA access tokens, the JWKS, and opaque tokens."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from spaps_server.security.errors import ExpiredTokenError, InvalidTokenError, SigningKeyError
from spaps_server.security.tokens import (
    AccessClaims,
    AccessTokenVerifier,
    TokenSigner,
    constant_time_equals,
    generate_signing_key_pem,
    hash_token,
    jwk_thumbprint,
    load_signing_key,
    new_opaque_token,
    new_refresh_token,
)

NOW = 1_736_416_800  # 2025-01-09T10:00:00Z


class FakeClock:
    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def pem() -> bytes:
    return generate_signing_key_pem()


@pytest.fixture
def signer(pem: bytes, clock: FakeClock) -> TokenSigner:
    return TokenSigner(pem, clock=clock)


def issue(signer: TokenSigner, **overrides: Any) -> str:
    params: dict[str, Any] = {
        "user_id": "user_123",
        "session_id": "sess_123",
        "application_id": "app_789",
        "tier": "pro",
        "role": "user",
    }
    params.update(overrides)
    token, _ = signer.issue_access_token(**params)
    return token


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_issue_and_verify_round_trip(signer: TokenSigner) -> None:
    token, expires_in = signer.issue_access_token(
        user_id="user_123",
        session_id="sess_123",
        application_id="app_789",
        tier="pro",
        role="admin",
        extra_claims={"email": "user@example.com"},
    )
    assert expires_in == 900
    claims = signer.verify_access_token(token)
    assert isinstance(claims, AccessClaims)
    assert claims.user_id == "user_123"
    assert claims.session_id == "sess_123"
    assert claims.application_id == "app_789"
    assert (claims.tier, claims.role) == ("pro", "admin")
    assert claims.issued_at == NOW
    assert claims.expires_at == NOW + 900
    assert claims.issuer == "spaps-local"
    assert claims.extra == {"email": "user@example.com"}
    assert len(claims.token_id) >= 16


def test_token_header_and_payload_shape(signer: TokenSigner) -> None:
    token = issue(signer, ttl_seconds=60)
    header = jwt.get_unverified_header(token)
    assert header == {"alg": "EdDSA", "kid": signer.kid, "typ": "at+jwt"}
    payload = jwt.decode(token, options={"verify_signature": False})
    assert payload["iss"] == "spaps-local"
    assert payload["sub"] == "user_123"
    assert payload["sid"] == "sess_123"
    assert payload["aud"] == payload["app"] == "app_789"
    assert payload["exp"] - payload["iat"] == 60


def test_each_token_has_a_fresh_jti(signer: TokenSigner) -> None:
    ids = {signer.verify_access_token(issue(signer)).token_id for _ in range(5)}
    assert len(ids) == 5


def test_expired_token_is_reported_as_expired(signer: TokenSigner, clock: FakeClock) -> None:
    token = issue(signer, ttl_seconds=900)
    clock.now = NOW + 899
    assert signer.verify_access_token(token).user_id == "user_123"
    clock.now = NOW + 900  # "on or after" exp is expired (RFC 7519 §4.1.4)
    with pytest.raises(ExpiredTokenError) as info:
        signer.verify_access_token(token)
    assert info.value.code == "TOKEN_EXPIRED"


def test_leeway_tolerates_small_clock_skew(pem: bytes, clock: FakeClock) -> None:
    signer = TokenSigner(pem, clock=clock, leeway_seconds=30)
    token = issue(signer, ttl_seconds=60)
    clock.now = NOW + 80
    signer.verify_access_token(token)
    clock.now = NOW + 90
    with pytest.raises(ExpiredTokenError):
        signer.verify_access_token(token)


def test_token_issued_in_the_future_is_invalid(signer: TokenSigner, clock: FakeClock) -> None:
    token = issue(signer)
    clock.now = NOW - 10
    with pytest.raises(InvalidTokenError) as info:
        signer.verify_access_token(token)
    assert info.value.code == "INVALID_TOKEN"


def test_tampered_payload_is_invalid(signer: TokenSigner) -> None:
    header, payload, signature = issue(signer).split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["role"] = "admin"
    forged = ".".join([header, b64url(json.dumps(claims).encode()), signature])
    with pytest.raises(InvalidTokenError) as info:
        signer.verify_access_token(forged)
    assert not isinstance(info.value, ExpiredTokenError)


def test_tampered_signature_is_invalid(signer: TokenSigner) -> None:
    header, payload, signature = issue(signer).split(".")
    raw = bytearray(base64.urlsafe_b64decode(signature + "=="))
    raw[0] ^= 1
    with pytest.raises(InvalidTokenError):
        signer.verify_access_token(".".join([header, payload, b64url(bytes(raw))]))


def test_expired_and_tampered_is_invalid_not_expired(signer: TokenSigner, clock: FakeClock) -> None:
    header, payload, signature = issue(signer).split(".")
    raw = bytearray(base64.urlsafe_b64decode(signature + "=="))
    raw[-1] ^= 1
    clock.now = NOW + 10_000
    with pytest.raises(InvalidTokenError):
        signer.verify_access_token(".".join([header, payload, b64url(bytes(raw))]))


def test_token_signed_with_another_key_is_invalid(signer: TokenSigner, clock: FakeClock) -> None:
    other = TokenSigner(generate_signing_key_pem(), clock=clock)
    with pytest.raises(InvalidTokenError):
        signer.verify_access_token(issue(other))


def test_other_key_reusing_our_kid_is_invalid(signer: TokenSigner) -> None:
    intruder = Ed25519PrivateKey.generate()
    payload = jwt.decode(issue(signer), options={"verify_signature": False})
    forged = jwt.encode(
        payload, intruder, algorithm="EdDSA", headers={"kid": signer.kid, "typ": "at+jwt"}
    )
    with pytest.raises(InvalidTokenError):
        signer.verify_access_token(forged)


def test_alg_none_and_hmac_confusion_are_rejected(signer: TokenSigner) -> None:
    payload = jwt.decode(issue(signer), options={"verify_signature": False})
    unsigned = jwt.encode(
        payload, key="", algorithm="none", headers={"kid": signer.kid, "typ": "at+jwt"}
    )
    public_pem = signer.jwks()["keys"][0]["x"]
    hmac_token = jwt.encode(
        payload, public_pem, algorithm="HS256", headers={"kid": signer.kid, "typ": "at+jwt"}
    )
    for token in (unsigned, hmac_token):
        with pytest.raises(InvalidTokenError):
            signer.verify_access_token(token)


def test_wrong_token_type_header_is_rejected(pem: bytes, signer: TokenSigner) -> None:
    payload = jwt.decode(issue(signer), options={"verify_signature": False})
    key = load_signing_key(pem)
    as_plain_jwt = jwt.encode(payload, key, algorithm="EdDSA", headers={"kid": signer.kid})
    with pytest.raises(InvalidTokenError):
        signer.verify_access_token(as_plain_jwt)


def test_wrong_issuer_is_rejected(pem: bytes, clock: FakeClock) -> None:
    other_issuer = TokenSigner(pem, clock=clock, issuer="someone-else")
    with pytest.raises(InvalidTokenError):
        TokenSigner(pem, clock=clock).verify_access_token(issue(other_issuer))


def test_missing_required_claim_is_rejected(pem: bytes, signer: TokenSigner) -> None:
    payload = jwt.decode(issue(signer), options={"verify_signature": False})
    del payload["sid"]
    token = jwt.encode(
        payload,
        load_signing_key(pem),
        algorithm="EdDSA",
        headers={"kid": signer.kid, "typ": "at+jwt"},
    )
    with pytest.raises(InvalidTokenError):
        signer.verify_access_token(token)


def test_application_binding(signer: TokenSigner) -> None:
    token = issue(signer, application_id="app_A")
    assert signer.verify_access_token(token, application_id="app_A").application_id == "app_A"
    with pytest.raises(InvalidTokenError):
        signer.verify_access_token(token, application_id="app_B")


@pytest.mark.parametrize("garbage", ["", "abc", "a.b.c", "eyJhbGciOiJFZERTQSJ9..", "x" * 5000])
def test_garbage_is_invalid(signer: TokenSigner, garbage: str) -> None:
    with pytest.raises(InvalidTokenError):
        signer.verify_access_token(garbage)


def test_issue_rejects_bad_arguments(signer: TokenSigner) -> None:
    with pytest.raises(ValueError):
        issue(signer, ttl_seconds=0)
    with pytest.raises(ValueError):
        issue(signer, user_id="")
    with pytest.raises(ValueError, match="sub"):
        issue(signer, extra_claims={"sub": "someone_else"})


# --- JWKS --------------------------------------------------------------------------------


def test_jwks_shape(signer: TokenSigner) -> None:
    jwks = signer.jwks()
    assert list(jwks) == ["keys"]
    (key,) = jwks["keys"]
    assert key["kty"] == "OKP"
    assert key["crv"] == "Ed25519"
    assert key["use"] == "sig"
    assert key["alg"] == "EdDSA"
    assert key["kid"] == signer.kid
    assert len(base64.urlsafe_b64decode(key["x"] + "=")) == 32
    assert set(key) == {"kty", "crv", "x", "kid", "use", "alg"}  # no private "d"
    json.dumps(jwks)


def test_kid_is_the_rfc7638_thumbprint(signer: TokenSigner) -> None:
    key = signer.jwks()["keys"][0]
    canonical = '{"crv":"Ed25519","kty":"OKP","x":"' + key["x"] + '"}'
    expected = b64url(hashlib.sha256(canonical.encode()).digest())
    assert signer.kid == expected


def test_rfc8037_thumbprint_vector() -> None:
    # RFC 8037 appendix A.3: the thumbprint of the A.2 public key.
    public = Ed25519PrivateKey.from_private_bytes(
        bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
    ).public_key()
    assert jwk_thumbprint(public) == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"


def test_token_verifies_with_only_the_published_jwks(signer: TokenSigner) -> None:
    token = issue(signer)
    published = json.loads(json.dumps(signer.jwks()))  # as served over HTTP
    del signer  # nothing below can reach the private key

    jwk = jwt.PyJWK(published["keys"][0])
    claims = jwt.decode(
        token,
        key=jwk,
        algorithms=["EdDSA"],
        audience="app_789",
        issuer="spaps-local",
        options={"verify_exp": False, "verify_iat": False},
    )
    assert claims["sub"] == "user_123"

    jwk_set = jwt.PyJWKSet.from_dict(published)
    kid = jwt.get_unverified_header(token)["kid"]
    assert jwk_set[kid].key_id == kid


def test_verifier_built_from_jwks_alone(signer: TokenSigner, clock: FakeClock) -> None:
    token = issue(signer)
    verifier = AccessTokenVerifier.from_jwks(json.loads(json.dumps(signer.jwks())), clock=clock)
    assert verifier.verify(token, application_id="app_789").session_id == "sess_123"
    other = TokenSigner(generate_signing_key_pem(), clock=clock)
    with pytest.raises(InvalidTokenError):
        verifier.verify(issue(other))


def test_verifier_with_several_keys_picks_by_kid(clock: FakeClock) -> None:
    old_pem = generate_signing_key_pem()
    old = TokenSigner(old_pem, clock=clock)
    new = TokenSigner(generate_signing_key_pem(), clock=clock)
    jwks = {"keys": old.jwks()["keys"] + new.jwks()["keys"]}
    verifier = AccessTokenVerifier.from_jwks(jwks, clock=clock)
    assert verifier.verify(issue(old, user_id="user_old")).user_id == "user_old"
    assert verifier.verify(issue(new, user_id="user_new")).user_id == "user_new"
    # The key is the one the header's kid names, not any key that happens to verify: a
    # token validly signed by old's key but labelled with new's kid is refused.
    payload = jwt.decode(issue(old), options={"verify_signature": False})
    relabelled = jwt.encode(
        payload,
        load_signing_key(old_pem),
        algorithm="EdDSA",
        headers={"kid": new.kid, "typ": "at+jwt"},
    )
    with pytest.raises(InvalidTokenError):
        verifier.verify(relabelled)


def test_from_jwks_skips_unusable_and_mislabelled_keys(signer: TokenSigner) -> None:
    good = signer.jwks()["keys"][0]
    wrong_kid = {**good, "kid": "not-the-thumbprint"}
    rsa_like = {"kty": "RSA", "n": "AQAB", "e": "AQAB"}
    with pytest.raises(SigningKeyError):
        AccessTokenVerifier.from_jwks({"keys": [wrong_kid, rsa_like, "junk"]})
    with pytest.raises(SigningKeyError):
        AccessTokenVerifier.from_jwks({"nokeys": []})


# --- keys --------------------------------------------------------------------------------


def test_generated_pem_loads_and_is_pkcs8(pem: bytes) -> None:
    assert pem.startswith(b"-----BEGIN PRIVATE KEY-----")
    assert isinstance(load_signing_key(pem), Ed25519PrivateKey)


def test_same_key_gives_same_kid(pem: bytes) -> None:
    assert TokenSigner(pem).kid == TokenSigner(pem).kid


@pytest.mark.parametrize("bad", [b"", b"not a pem", b"-----BEGIN PRIVATE KEY-----\nAAAA\n"])
def test_unreadable_pem_is_a_signing_key_error(bad: bytes) -> None:
    with pytest.raises(SigningKeyError) as info:
        TokenSigner(bad)
    assert info.value.code is None  # the server's own failure: no wire code


def test_non_ed25519_key_is_rejected() -> None:
    ec_pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    with pytest.raises(SigningKeyError, match="Ed25519"):
        load_signing_key(ec_pem)


def test_reprs_and_errors_hold_no_key_material(pem: bytes, signer: TokenSigner) -> None:
    key_body = pem.decode().splitlines()[1]
    assert key_body not in repr(signer)
    assert key_body not in repr(signer.verifier)
    with pytest.raises(SigningKeyError) as info:
        load_signing_key(pem[:-40])
    assert key_body not in repr(info.value)
    assert key_body not in str(info.value)


def test_token_errors_do_not_echo_the_token(signer: TokenSigner, clock: FakeClock) -> None:
    token = issue(signer)
    clock.now = NOW + 10_000
    with pytest.raises(ExpiredTokenError) as info:
        signer.verify_access_token(token)
    for part in token.split("."):
        assert part not in repr(info.value)
        assert part not in str(info.value)


# --- opaque tokens -----------------------------------------------------------------------


def test_refresh_tokens_are_prefixed_random_and_url_safe() -> None:
    tokens = {new_refresh_token() for _ in range(50)}
    assert len(tokens) == 50
    for token in tokens:
        assert re.fullmatch(r"rt_[A-Za-z0-9_-]{43}", token)


def test_opaque_token_prefixes() -> None:
    assert new_opaque_token("ml").startswith("ml_")
    assert len(new_opaque_token("pr", nbytes=48)) == 3 + 64
    for bad in ("", "ML", "a_b", "1x", "x" * 17):
        with pytest.raises(ValueError):
            new_opaque_token(bad)
    with pytest.raises(ValueError):
        new_opaque_token("rt", nbytes=8)


def test_hash_token_is_sha256_hex() -> None:
    assert hash_token("abc") == ("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    token = new_refresh_token()
    assert hash_token(token) == hash_token(token)
    assert hash_token(token) != hash_token(token + "x")
    assert token not in hash_token(token)


def test_constant_time_equals() -> None:
    assert constant_time_equals("rt_abc", "rt_abc")
    assert not constant_time_equals("rt_abc", "rt_abd")
    assert not constant_time_equals("rt_abc", "rt_ab")
    assert constant_time_equals(b"\x00\x01", b"\x00\x01")
    assert constant_time_equals("pässwörd", "pässwörd")
    assert not constant_time_equals("pässwörd", "passwörd")
    assert constant_time_equals("x", b"x")
