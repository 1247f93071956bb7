"""The settings of ``spaps serve``, read from the environment and refused when unsafe.

Every secret comes from ``NAME`` or from the file named by ``NAME_FILE`` (one of the two;
a file's trailing newline is dropped), as systemd credentials, Docker/Kubernetes secrets and
``.env`` files provide them. Nothing is generated: a missing value stops the start with one
line naming it, and so do the development API key, a database other than PostgreSQL, no
public URL and no SMTP server. :class:`UnsafeConfigError` carries that line; no message
ever contains a secret's value.
"""

from __future__ import annotations

import base64
import dataclasses
import os
from collections.abc import Mapping
from pathlib import Path

from .config import DEFAULT_API_KEY, ServerSecrets, SmtpSettings
from .storage.database import DatabaseConfigError, normalize_database_url

# Shortest API key accepted: a generated key (spaps apps create) is 55 characters.
MIN_API_KEY_LENGTH = 24


class UnsafeConfigError(Exception):
    """``spaps serve`` refuses this configuration; the message is one line for the operator."""


@dataclasses.dataclass(frozen=True)
class DeploymentSettings:
    """What ``spaps serve`` needs beyond its flags; ``repr()`` shows no secret."""

    database_url: str = dataclasses.field(repr=False)
    api_key: str = dataclasses.field(repr=False)
    secrets: ServerSecrets = dataclasses.field(repr=False)
    public_url: str
    smtp: SmtpSettings


def read_secret(env: Mapping[str, str], name: str) -> str | None:
    """``env[name]``, or the content of the file ``env[name + "_FILE"]``; ``None`` if
    neither is set. Both set, or an unreadable file, is an :class:`UnsafeConfigError`."""
    value = env.get(name, "")
    file_name = env.get(f"{name}_FILE", "").strip()
    if value and file_name:
        raise UnsafeConfigError(f"set {name} or {name}_FILE, not both")
    if file_name:
        try:
            text = Path(file_name).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or type(exc).__name__
            raise UnsafeConfigError(f"cannot read {name}_FILE ({file_name}): {reason}") from None
        return text.rstrip("\r\n") or None
    return value or None


def _required(env: Mapping[str, str], name: str, what: str) -> str:
    value = read_secret(env, name)
    if value is None:
        raise UnsafeConfigError(f"{name} (or {name}_FILE) is not set: {what}")
    return value


def _signing_key(pem_text: str) -> bytes:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    pem = pem_text.strip().encode("ascii", "replace") + b"\n"
    try:
        key = load_pem_private_key(pem, password=None)
    except (ValueError, TypeError):
        key = None
    if not isinstance(key, Ed25519PrivateKey):
        raise UnsafeConfigError(
            "SPAPS_TOKEN_SIGNING_KEY is not an unencrypted Ed25519 private key in PEM "
            "(make one with: openssl genpkey -algorithm ed25519)"
        )
    return pem


def _encryption_key(text: str) -> bytes:
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except ValueError:
        raw = b""
    if len(raw) != 32:
        raise UnsafeConfigError(
            "SPAPS_ENCRYPTION_KEY must be 32 random bytes in base64 "
            "(make one with: openssl rand -base64 32)"
        )
    return raw


def load_deployment_settings(env: Mapping[str, str] | None = None) -> DeploymentSettings:
    """Read and check every setting ``spaps serve`` takes from the environment, in a fixed
    order so that the first problem is the one reported."""
    source = os.environ if env is None else env
    database_url = _required(source, "SPAPS_DATABASE_URL", "spaps serve needs PostgreSQL")
    try:
        backend = normalize_database_url(database_url).get_backend_name()
    except DatabaseConfigError as exc:
        raise UnsafeConfigError(f"SPAPS_DATABASE_URL: {exc}") from None
    if backend != "postgresql":
        raise UnsafeConfigError(
            "spaps serve needs PostgreSQL: SPAPS_DATABASE_URL must be postgresql://... "
            "(the SQLite file is for spaps local)"
        )
    api_key = _required(source, "SPAPS_API_KEY", "the default application's API key")
    if api_key == DEFAULT_API_KEY:
        raise UnsafeConfigError(
            f"SPAPS_API_KEY is the public development key {DEFAULT_API_KEY}: "
            "use a secret one (spaps apps create prints one)"
        )
    if len(api_key) < MIN_API_KEY_LENGTH:
        raise UnsafeConfigError(
            f"SPAPS_API_KEY is too short to be secret (at least {MIN_API_KEY_LENGTH} characters)"
        )
    signing_pem = _signing_key(
        _required(source, "SPAPS_TOKEN_SIGNING_KEY", "the Ed25519 key that signs access tokens")
    )
    encryption_key = _encryption_key(
        _required(source, "SPAPS_ENCRYPTION_KEY", "the key that encrypts data at rest")
    )
    webhook_secret = _required(
        source, "SPAPS_WEBHOOK_SECRET", "the secret that signs outgoing webhooks"
    )
    recon_token = _required(
        source, "SPAPS_RECON_TOKEN", "the default application's crypto reconciliation token"
    )
    public_url = (source.get("SPAPS_PUBLIC_URL") or "").strip()
    if not public_url.startswith(("https://", "http://")):
        raise UnsafeConfigError(
            "SPAPS_PUBLIC_URL is not set to the http(s):// address clients use "
            "(e-mailed links point there)"
        )
    try:
        smtp = SmtpSettings.from_env(dict(source))
    except ValueError as exc:
        raise UnsafeConfigError(str(exc)) from None
    if smtp is None:
        raise UnsafeConfigError("SPAPS_SMTP_HOST is not set: spaps serve sends e-mail over SMTP")
    smtp_password = read_secret(source, "SPAPS_SMTP_PASSWORD")
    if smtp_password is not None:
        smtp = dataclasses.replace(smtp, password=smtp_password)
    return DeploymentSettings(
        database_url=database_url,
        api_key=api_key,
        secrets=ServerSecrets(
            signing_key_pem=signing_pem,
            encryption_key=encryption_key,
            webhook_secret=webhook_secret,
            recon_token=recon_token,
        ),
        public_url=public_url.rstrip("/"),
        smtp=smtp,
    )
