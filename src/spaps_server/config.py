"""Settings of the local server and the secrets kept in its data directory.

Only the standard library is imported at module level so that ``spaps_server.cli`` can build a
:class:`ServerConfig` before it knows whether the ``server`` extra is installed.

Secrets live in the data directory (mode 0700), one file each (mode 0600), created on first
use and reused afterwards:

* ``token_signing_key.pem``: an Ed25519 private key (PKCS#8 PEM) for signing access tokens;
* ``encryption_key``: 32 random bytes, base64, for encrypting data at rest (secure messages);
* ``webhook_secret``: ``whsec_`` + a random token, for signing outgoing webhooks.
* ``recon_token``: ``rcn_`` + a random token, the default application's crypto
  reconciliation token (``X-Recon-Token``).

Later code reads them through ``config.secrets`` (see :class:`ServerSecrets`).
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import functools
import hashlib
import os
import secrets as _secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .domain.webhooks import DEFAULT_RETRY_SCHEDULE

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 3300
DEFAULT_DATA_DIR = ".spaps"
DEFAULT_API_KEY = "test_key_local_dev_only"  # the documented local-dev key, public
DEFAULT_APPLICATION_NAME = "default"
SQLITE_FILENAME = "spaps.sqlite3"
DEFAULT_MAX_BODY_BYTES = 1024 * 1024
DEFAULT_BODY_TIMEOUT_SECONDS = 10.0

DEFAULT_ACCESS_TOKEN_TTL = 900
DEFAULT_SESSION_TTL = 30 * 24 * 3600
PASSWORD_PROFILES = ("production", "test")

SIGNING_KEY_FILE = "token_signing_key.pem"
ENCRYPTION_KEY_FILE = "encryption_key"
WEBHOOK_SECRET_FILE = "webhook_secret"
MESSAGE_KEYS_FILE = "secure_message_keys.json"
RECON_TOKEN_FILE = "recon_token"


def parse_rate_limit(text: str) -> tuple[str, int, float]:
    """Parse ``BUCKET=LIMIT/SECONDS`` (e.g. ``login:ip=5/60``) into a rate-limit override."""
    bucket, sep, rule = text.strip().partition("=")
    limit_text, sep2, window_text = rule.partition("/")
    try:
        if not (sep and sep2 and bucket.strip()):
            raise ValueError
        limit, window = int(limit_text), float(window_text)
        if limit < 1 or not window > 0:
            raise ValueError
    except ValueError:
        raise ValueError(
            f"invalid rate limit {text!r}: expected BUCKET=LIMIT/SECONDS, e.g. login:ip=5/60"
        ) from None
    return bucket.strip(), limit, window


def parse_retry_schedule(text: str) -> tuple[float, ...]:
    """Parse a webhook retry schedule such as ``1,2,4`` (seconds to wait after each failed
    attempt; an empty string means "never retry")."""
    values: list[float] = []
    for part in text.split(","):
        if not part.strip():
            continue
        try:
            value = float(part)
        except ValueError:
            value = -1.0
        if not 0 <= value <= 7 * 24 * 3600:
            raise ValueError(
                f"invalid webhook retry schedule {text!r}: expected comma-separated seconds "
                "between 0 and 604800, e.g. 1,2,4"
            )
        values.append(value)
    return tuple(values)


def parse_rate_limits(text: str) -> tuple[tuple[str, int, float], ...]:
    """Parse a comma-separated list of rate-limit overrides (``$SPAPS_RATE_LIMITS``)."""
    return tuple(parse_rate_limit(part) for part in text.split(",") if part.strip())


class DataDirError(Exception):
    """The data directory or a secret file in it cannot be created, read or written."""


@dataclasses.dataclass(frozen=True)
class SmtpSettings:
    """Where the mailbox also delivers e-mails, when configured (``SPAPS_SMTP_*``)."""

    host: str
    port: int = 25
    username: str | None = None
    password: str | None = dataclasses.field(default=None, repr=False)
    sender: str = "SPAPS Local <no-reply@spaps.local>"
    starttls: bool = False
    use_ssl: bool = False
    timeout_seconds: float = 10.0

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> SmtpSettings | None:
        """Read ``SPAPS_SMTP_HOST`` (required to enable), ``_PORT``, ``_USERNAME``,
        ``_PASSWORD``, ``_FROM``, ``_STARTTLS`` and ``_SSL``; ``None`` when no host is set."""
        source = os.environ if env is None else env
        host = source.get("SPAPS_SMTP_HOST", "").strip()
        if not host:
            return None

        def flag(name: str) -> bool:
            return source.get(name, "").strip().lower() in {"1", "true", "yes", "on"}

        port_text = source.get("SPAPS_SMTP_PORT", "").strip()
        try:
            port = int(port_text) if port_text else 25
        except ValueError as exc:
            raise ValueError(f"SPAPS_SMTP_PORT is not a number: {port_text!r}") from exc
        return cls(
            host=host,
            port=port,
            username=source.get("SPAPS_SMTP_USERNAME") or None,
            password=source.get("SPAPS_SMTP_PASSWORD") or None,
            sender=source.get("SPAPS_SMTP_FROM") or cls.sender,
            starttls=flag("SPAPS_SMTP_STARTTLS"),
            use_ssl=flag("SPAPS_SMTP_SSL"),
        )


class ServerSecrets:
    """The server's generated secrets. ``repr()`` never shows them."""

    def __init__(
        self,
        *,
        signing_key_pem: bytes,
        encryption_key: bytes,
        webhook_secret: str,
        recon_token: str,
    ):
        if len(encryption_key) != 32:
            raise DataDirError("the encryption key must be 32 bytes")
        self._signing_key_pem = signing_key_pem
        self._encryption_key = encryption_key
        self._webhook_secret = webhook_secret
        self._recon_token = recon_token

    @property
    def token_signing_key_pem(self) -> bytes:
        """The Ed25519 private key, PKCS#8 PEM, for signing tokens."""
        return self._signing_key_pem

    @functools.cached_property
    def token_signing_key(self) -> Ed25519PrivateKey:
        """The Ed25519 private key as a ``cryptography`` object (loaded on first use)."""
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
        from cryptography.hazmat.primitives.serialization import load_pem_private_key

        key = load_pem_private_key(self._signing_key_pem, password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise DataDirError("the token signing key is not an Ed25519 key")
        return key

    @functools.cached_property
    def token_key_id(self) -> str:
        """A stable key id (``kid``) derived from the public key, for JWT headers and JWKS."""
        from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

        raw = self.token_signing_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        return hashlib.sha256(raw).hexdigest()[:16]

    @property
    def encryption_key(self) -> bytes:
        """32 random bytes for symmetric encryption (e.g. AES-256-GCM)."""
        return self._encryption_key

    @property
    def webhook_secret(self) -> str:
        """The ``whsec_...`` secret that signs outgoing webhooks."""
        return self._webhook_secret

    @property
    def recon_token(self) -> str:
        """The ``rcn_...`` token the default application's reconciliation calls present."""
        return self._recon_token

    def __repr__(self) -> str:
        return "ServerSecrets(<redacted>)"

    def __getstate__(self) -> dict[str, Any]:
        # Only the raw values travel (to a worker process); loaded key objects are rebuilt.
        return {
            "signing_key_pem": self._signing_key_pem,
            "encryption_key": self._encryption_key,
            "webhook_secret": self._webhook_secret,
            "recon_token": self._recon_token,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(**state)  # type: ignore[misc]


def _new_signing_key_pem() -> bytes:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        NoEncryption,
        PrivateFormat,
    )

    return Ed25519PrivateKey.generate().private_bytes(
        Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()
    )


def _write_secret_file(path: Path, content: bytes) -> None:
    """Create ``path`` with mode 0600, failing if it exists (O_EXCL): never overwrite a key."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags, 0o600)
    try:
        os.write(fd, content)
        os.fsync(fd)
    finally:
        os.close(fd)


def _read_or_create(path: Path, make: Any) -> bytes:
    if path.is_symlink():
        raise DataDirError(f"refusing to follow a symlink for a secret file: {path}")
    if not path.exists():
        # Another process may create it first; then read theirs.
        with contextlib.suppress(FileExistsError):
            _write_secret_file(path, make())
    if path.stat().st_mode & 0o077:
        os.chmod(path, 0o600)
    return path.read_bytes()


@dataclasses.dataclass(frozen=True)
class ServerConfig:
    """Everything ``create_app`` needs. Build one directly in tests; the CLI builds it from
    flags. ``secrets`` is loaded (and generated on first use) from ``data_dir``."""

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    data_dir: Path = Path(DEFAULT_DATA_DIR)
    database_url: str | None = None
    # PostgreSQL only: the schema to use (set as search_path); ``None`` keeps the server's.
    database_schema: str | None = None
    reset: bool = False
    default_api_key: str = dataclasses.field(default=DEFAULT_API_KEY, repr=False)
    default_application_name: str = DEFAULT_APPLICATION_NAME
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    smtp: SmtpSettings | None = None
    # The externally visible base URL (used in e-mailed links); defaults to http://host:port.
    public_url: str | None = None
    # argon2id cost: "production" (OWASP parameters) or "test" (cheap; test suites only).
    # Read from $SPAPS_PASSWORD_PROFILE so a test suite can set it once for every server,
    # in-process or subprocess.
    password_profile: str = dataclasses.field(
        default_factory=lambda: os.environ.get("SPAPS_PASSWORD_PROFILE", "production")
    )
    access_token_ttl: int = DEFAULT_ACCESS_TOKEN_TTL
    # How long a session (and its refresh token chain) lives without sign-in.
    session_ttl: int = DEFAULT_SESSION_TTL
    require_email_confirmation: bool = False
    # Create the demo accounts (user@, premium@, admin@example.com) on start-up.
    seed: bool = True
    # A JSON (or TOML, Python 3.11+) file of extra users and other seed data.
    seed_file: Path | None = None
    # Rate-limit overrides: (bucket, limit, window seconds), e.g. ("login:ip", 5, 60.0).
    rate_limits: tuple[tuple[str, int, float], ...] = ()
    # How long a client may take to send a request body once its headers are in (408 after).
    body_timeout_seconds: float = DEFAULT_BODY_TIMEOUT_SECONDS
    # The secure-message key ring (JSON, mode 0600); ``None``: MESSAGE_KEYS_FILE in data_dir.
    message_key_file: Path | None = None
    # Webhook endpoints registered for the default application at start-up.
    webhook_urls: tuple[str, ...] = ()
    # Seconds to wait after each failed delivery attempt (the last one ends in "failed").
    webhook_retry_schedule: tuple[float, ...] = DEFAULT_RETRY_SCHEDULE
    webhook_timeout_seconds: float = 10.0
    # How often the delivery worker looks for work queued by other processes.
    webhook_poll_interval: float = 1.0
    # Secrets given by the operator (``spaps serve`` reads them from the environment or
    # files); ``None`` generates and keeps them in ``data_dir`` instead.
    provided_secrets: ServerSecrets | None = dataclasses.field(
        default=None, repr=False, compare=False
    )
    # Mount the developer pages (``/_dev/``: mailbox, payment twins). ``spaps serve`` has none.
    dev_pages: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "data_dir", Path(self.data_dir).expanduser().absolute())
        if self.password_profile not in PASSWORD_PROFILES:
            raise ValueError(
                f"unknown password profile {self.password_profile!r} "
                f"(expected one of {', '.join(PASSWORD_PROFILES)})"
            )
        if self.access_token_ttl < 1 or self.session_ttl < 1:
            raise ValueError("token lifetimes must be positive")
        if any(delay < 0 for delay in self.webhook_retry_schedule):
            raise ValueError("webhook retry delays must not be negative")
        if not (self.webhook_timeout_seconds > 0 and self.webhook_poll_interval > 0):
            raise ValueError("webhook timeout and poll interval must be positive")

    @property
    def base_url(self) -> str:
        """The URL clients use to reach this server (no trailing slash)."""
        if self.public_url:
            return self.public_url.rstrip("/")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def sqlite_path(self) -> Path:
        """The embedded database file used when no ``database_url`` is given."""
        return self.data_dir / SQLITE_FILENAME

    @property
    def effective_database_url(self) -> str:
        """The configured database URL, or the embedded SQLite file in the data directory."""
        return self.database_url or f"sqlite:///{self.sqlite_path}"

    @property
    def message_key_path(self) -> Path:
        """Where the secure-message key ring lives (never in the database)."""
        if self.message_key_file is not None:
            return Path(self.message_key_file).expanduser().absolute()
        return self.data_dir / MESSAGE_KEYS_FILE

    def with_port(self, port: int) -> ServerConfig:
        """A copy bound to ``port`` (used once ``--port 0`` has been resolved)."""
        return dataclasses.replace(self, port=port)

    def prepare_data_dir(self) -> None:
        """Create the data directory (mode 0700) and its secrets; raise DataDirError if not
        possible. Safe to call repeatedly and from several processes. With provided secrets
        no secret file is created (the directory still holds the secure-message key ring).
        """
        try:
            self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            if not self.data_dir.is_dir():
                raise DataDirError(f"data dir is not a directory: {self.data_dir}")
            if self.data_dir.stat().st_mode & 0o077:
                os.chmod(self.data_dir, 0o700)
            if not os.access(self.data_dir, os.W_OK | os.X_OK):
                raise DataDirError(f"data dir is not writable: {self.data_dir}")
            if self.provided_secrets is None:
                _ = self.secrets
        except DataDirError:
            raise
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise DataDirError(f"cannot use data dir {self.data_dir}: {reason}") from exc

    @functools.cached_property
    def secrets(self) -> ServerSecrets:
        """The token-signing key, encryption key and webhook secret: the provided ones, or
        those of the data directory, generated on first use."""
        if self.provided_secrets is not None:
            return self.provided_secrets
        self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        pem = _read_or_create(self.data_dir / SIGNING_KEY_FILE, _new_signing_key_pem)
        enc_text = _read_or_create(
            self.data_dir / ENCRYPTION_KEY_FILE,
            lambda: base64.b64encode(_secrets.token_bytes(32)) + b"\n",
        )
        hook = _read_or_create(
            self.data_dir / WEBHOOK_SECRET_FILE,
            lambda: ("whsec_" + _secrets.token_urlsafe(32) + "\n").encode(),
        )
        recon = _read_or_create(
            self.data_dir / RECON_TOKEN_FILE,
            lambda: ("rcn_" + _secrets.token_urlsafe(32) + "\n").encode(),
        )
        try:
            enc = base64.b64decode(enc_text.strip(), validate=True)
        except ValueError as exc:
            raise DataDirError(f"corrupt encryption key file in {self.data_dir}") from exc
        return ServerSecrets(
            signing_key_pem=pem,
            encryption_key=enc,
            webhook_secret=hook.decode().strip(),
            recon_token=recon.decode().strip(),
        )
