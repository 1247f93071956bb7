"""Webhook endpoints of each application and the secrets their deliveries are signed with.

Secrets live in the database (one per application), so every server process on one database
signs with the same secret. The default application's secret is the data directory's
``webhook_secret`` file, stored on first start-up; other applications get a fresh
``whsec_...`` secret the first time one is needed.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from ..domain.clock import Clock
from ..domain.error_codes import ErrorCode
from ..domain.errors import InvalidError, NotFoundError
from ..domain.ids import new_id
from ..domain.webhooks import WebhookEndpoint
from ..storage.database import Database
from ..storage.webhooks import WebhooksRepository

MAX_URL_LENGTH = 2048
MAX_DESCRIPTION_LENGTH = 500


def new_webhook_secret() -> str:
    """A fresh signing secret, ``whsec_`` + 256 random bits."""
    return "whsec_" + secrets.token_urlsafe(32)


def validate_endpoint_url(url: str) -> str:
    """The URL stripped of surrounding blanks, or 400 ``INVALID_WEBHOOK_URL``."""
    candidate = url.strip()
    try:
        parts = urlsplit(candidate)
        host_ok = bool(parts.hostname)
        _ = parts.port  # raises ValueError for a malformed port
    except ValueError:
        host_ok = False
        parts = urlsplit("")
    if (
        not candidate
        or len(candidate) > MAX_URL_LENGTH
        or parts.scheme not in {"http", "https"}
        or not host_ok
        or any(ch.isspace() for ch in candidate)
    ):
        raise InvalidError(
            "A webhook URL must be an absolute http:// or https:// URL with a host "
            f"(at most {MAX_URL_LENGTH} characters)",
            code=ErrorCode.INVALID_WEBHOOK_URL,
        )
    return candidate


class WebhookEndpointService:
    """Registers, lists and removes endpoints; hands out signing secrets."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._repo = WebhooksRepository(db)
        self._clock = clock
        self._secrets: dict[str, str] = {}

    async def ensure_secret(self, application_id: str, secret: str) -> str:
        """Store ``secret`` for the application unless it has one; return the stored one."""
        stored = await self._repo.store_secret_if_absent(application_id, secret, self._clock.now())
        self._secrets[application_id] = stored
        return stored

    async def secret_for(self, application_id: str) -> str:
        """The application's signing secret (created on first use)."""
        cached = self._secrets.get(application_id)
        if cached is not None:
            return cached
        stored = await self._repo.get_secret(application_id)
        if stored is None:
            return await self.ensure_secret(application_id, new_webhook_secret())
        self._secrets[application_id] = stored
        return stored

    async def add(
        self, application_id: str, url: str, *, description: str | None = None
    ) -> tuple[WebhookEndpoint, bool]:
        """Register ``url`` for the application (or revive it); returns the endpoint and
        whether it is new or revived (False: it was already active).

        Example: ``endpoint, created = await ctx.webhooks.add(app.id, "http://127.0.0.1:9000/hooks")``
        """
        clean = validate_endpoint_url(url)
        if description is not None and len(description) > MAX_DESCRIPTION_LENGTH:
            raise InvalidError(
                f"A description has at most {MAX_DESCRIPTION_LENGTH} characters",
                code=ErrorCode.VALIDATION_ERROR,
            )
        return await self._repo.add_endpoint(
            endpoint_id=new_id("we"),
            application_id=application_id,
            url=clean,
            description=description or None,
            now=self._clock.now(),
        )

    async def list(
        self, application_id: str | None = None, *, include_removed: bool = False
    ) -> list[WebhookEndpoint]:
        """Endpoints, oldest first (every application's when ``application_id`` is None)."""
        return await self._repo.list_endpoints(application_id, include_removed=include_removed)

    async def remove(self, id_or_url: str, *, application_id: str | None = None) -> WebhookEndpoint:
        """Stop delivering to an endpoint (given by id or URL); its pending deliveries fail.
        Raises 404 ``WEBHOOK_ENDPOINT_NOT_FOUND`` when no such endpoint is active."""
        removed = await self._repo.remove_endpoint(
            application_id=application_id, id_or_url=id_or_url.strip(), now=self._clock.now()
        )
        if removed is None:
            raise NotFoundError(
                "No active webhook endpoint with that id or URL",
                code=ErrorCode.WEBHOOK_ENDPOINT_NOT_FOUND,
            )
        return removed
