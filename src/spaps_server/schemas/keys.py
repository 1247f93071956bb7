"""Body of ``/.well-known/jwks.json`` (raw JSON, the format JWT libraries read)."""

from __future__ import annotations

from .base import WireModel


class PublicJwk(WireModel):
    """An Ed25519 public key that verifies access tokens."""

    kty: str
    crv: str
    x: str
    kid: str
    use: str
    alg: str


class JwksOut(WireModel):
    """The key set."""

    keys: list[PublicJwk]
