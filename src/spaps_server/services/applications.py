"""Applications and API keys: creation, listing, revocation and key authentication.

Key authentication runs on every ``/api`` request, so live lookups are kept for a short
time in an :class:`ApiKeyCache` (see there for the revocation bound)."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable

from ..domain.clock import Clock
from ..domain.error_codes import ErrorCode
from ..domain.errors import (
    ConflictError,
    ForbiddenError,
    InvalidError,
    NotFoundError,
    UnauthorizedError,
)
from ..domain.ids import new_id
from ..domain.models import ApiKeyRecord, Application
from ..storage.applications import ApplicationsRepository
from ..storage.database import Database
from .metrics import MetricsRegistry

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,99}$")
GENERATED_KEY_PREFIX = "spaps_local_"
# How much of a key is kept in clear for display ("spaps_local_Ab…"); never enough to use.
_DISPLAY_CHARS = 14


def hash_api_key(api_key: str) -> str:
    """SHA-256 hex of a key. Keys are random (≥192 bits) or public, so a fast hash is the
    right tool here: it keeps stolen database rows from being usable as keys."""
    return hashlib.sha256(api_key.encode("utf-8")).hexdigest()


def display_prefix(api_key: str) -> str:
    """The short, non-secret start of a key shown in listings."""
    return api_key[:_DISPLAY_CHARS] + "…"


# How long a successful key lookup is trusted without asking the database again. This is the
# bound within which ``spaps apps revoke`` run from *another* process takes effect.
API_KEY_CACHE_TTL_SECONDS = 2.0
_API_KEY_CACHE_MAX_ENTRIES = 1024


class ApiKeyCache:
    """A small TTL cache of ``key hash -> live Application`` in front of the key lookup.

    Guarantees:

    * only *successful* lookups are cached, so a key created by another process (``spaps apps
      create``) works at once and unknown keys always reach the database;
    * an entry is trusted for at most ``ttl_seconds`` (default
      :data:`API_KEY_CACHE_TTL_SECONDS`, 2 s) after it was read from the database, so a
      revocation committed by another process (``spaps apps revoke NAME`` against the same
      database) is honoured by a running server within that bound;
    * a revocation made through this process's :class:`ApplicationService` drops the
      application's entries as soon as it is committed, and bumps a generation counter so
      that a lookup which read the database *before* the commit cannot put its stale result
      back (in-process revocation is therefore immediate for every later request);
    * at most ``max_entries`` keys are kept (oldest evicted first).

    ``clock`` is a monotonic seconds counter (injectable for tests); the cache is used from
    the server's event loop only.
    """

    def __init__(
        self,
        *,
        ttl_seconds: float = API_KEY_CACHE_TTL_SECONDS,
        max_entries: int = _API_KEY_CACHE_MAX_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if ttl_seconds < 0:
            raise ValueError("ttl_seconds must not be negative")
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self._ttl = ttl_seconds
        self._max = max_entries
        self._clock = clock
        self._entries: OrderedDict[str, tuple[float, Application]] = OrderedDict()
        self._generation = 0

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def generation(self) -> int:
        """Changes whenever entries are invalidated; pass it back to :meth:`put`."""
        return self._generation

    def get(self, key_hash: str) -> Application | None:
        """The cached application for ``key_hash`` if it was read less than the TTL ago."""
        entry = self._entries.get(key_hash)
        if entry is None:
            return None
        expires_at, application = entry
        if self._clock() >= expires_at:
            del self._entries[key_hash]
            return None
        return application

    def put(self, key_hash: str, application: Application, *, generation: int) -> None:
        """Remember a live lookup, unless an invalidation happened since ``generation`` was
        read (the lookup may then predate a revocation)."""
        if generation != self._generation or self._ttl == 0:
            return
        self._entries[key_hash] = (self._clock() + self._ttl, application)
        self._entries.move_to_end(key_hash)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)

    def invalidate_application(self, application_id: str) -> None:
        """Forget every key of ``application_id`` (and any lookup still in flight)."""
        self._generation += 1
        for key_hash in [h for h, (_, a) in self._entries.items() if a.id == application_id]:
            del self._entries[key_hash]

    def clear(self) -> None:
        """Forget everything (and any lookup still in flight)."""
        self._generation += 1
        self._entries.clear()


class ApplicationService:
    """Manages applications and resolves API keys to them (through an :class:`ApiKeyCache`)."""

    def __init__(
        self,
        db: Database,
        metrics: MetricsRegistry,
        *,
        key_cache: ApiKeyCache | None = None,
        clock: Clock | None = None,
    ) -> None:
        self._db = db
        self._now = (clock or Clock()).now
        self._repo = ApplicationsRepository(db)
        self.key_cache = key_cache if key_cache is not None else ApiKeyCache()
        self._auth_failures = metrics.counter(
            "spaps_api_key_rejections_total",
            "Requests refused for a missing or unknown API key",
            ("reason",),
        )

    async def ensure_default(self, name: str, api_key: str) -> Application:
        """Create the default application with ``api_key`` unless it exists; make sure the
        key is attached to it (so a changed configured key also works)."""
        async with self._db.begin() as conn:
            app = await self._repo.get_default(conn=conn)
            if app is None:
                app = Application(
                    id=new_id("app"), name=name, created_at=self._now(), is_default=True
                )
                await self._repo.insert_application(app, conn=conn)
            key_hash = hash_api_key(api_key)
            found = await self._repo.find_active_by_key_hash(key_hash, conn=conn)
            if found is None:
                await self._repo.insert_api_key(
                    ApiKeyRecord(
                        id=new_id("key"),
                        application_id=app.id,
                        key_hash=key_hash,
                        prefix=display_prefix(api_key),
                        created_at=self._now(),
                    ),
                    conn=conn,
                )
        return app

    async def create(self, name: str) -> tuple[Application, str]:
        """Create an application with a fresh API key; return both (the key is shown once
        and only its hash is kept)."""
        name = name.strip()
        if not _NAME.fullmatch(name):
            raise InvalidError(
                "Application names are 1-100 characters: letters, digits, space, '.', '_', '-'",
                code=ErrorCode.INVALID_APPLICATION_NAME,
            )
        api_key = GENERATED_KEY_PREFIX + secrets.token_urlsafe(32)
        async with self._db.begin() as conn:
            if await self._repo.get_by_name(name, conn=conn) is not None:
                raise ConflictError(
                    f"An application named {name!r} already exists",
                    code=ErrorCode.APPLICATION_EXISTS,
                )
            app = Application(id=new_id("app"), name=name, created_at=self._now())
            await self._repo.insert_application(app, conn=conn)
            await self._repo.insert_api_key(
                ApiKeyRecord(
                    id=new_id("key"),
                    application_id=app.id,
                    key_hash=hash_api_key(api_key),
                    prefix=display_prefix(api_key),
                    created_at=self._now(),
                ),
                conn=conn,
            )
        return app, api_key

    async def list(self) -> list[tuple[Application, list[ApiKeyRecord]]]:
        """Every application with its keys (hashes never leave storage for display)."""
        return await self._repo.list_applications()

    async def find(self, name_or_id: str) -> Application:
        """An application by name or id, revoked or not."""
        app = await self._repo.get_by_name(name_or_id) or await self._repo.get(name_or_id)
        if app is None:
            raise NotFoundError(
                f"No application named {name_or_id!r}", code=ErrorCode.APPLICATION_NOT_FOUND
            )
        return app

    async def revoke(self, name_or_id: str) -> Application:
        """Revoke an application and all its keys. The default application cannot be
        revoked (``spaps local --reset`` starts over instead)."""
        app = await self.find(name_or_id)
        if app.is_default:
            raise ForbiddenError(
                "The default application cannot be revoked", code=ErrorCode.DEFAULT_APPLICATION
            )
        try:
            await self._repo.revoke_application(app.id, self._now())
        finally:
            # After the commit, so that no lookup can re-cache the application as live.
            self.key_cache.invalidate_application(app.id)
        return await self.find(app.id)

    async def authenticate(self, api_key: str | None) -> Application:
        """The live application owning ``api_key``; ``UnauthorizedError`` with code
        ``INVALID_API_KEY`` when it is missing, unknown or revoked."""
        if not api_key:
            self._auth_failures.inc(reason="missing")
            raise UnauthorizedError(
                "Missing API key: send it in the X-API-Key header", code=ErrorCode.INVALID_API_KEY
            )
        presented = hash_api_key(api_key)
        cached = self.key_cache.get(presented)
        if cached is not None:
            return cached
        generation = self.key_cache.generation
        found = await self._repo.find_active_by_key_hash(presented)
        # The lookup is by hash; compare again in constant time so the decision itself never
        # depends on where two strings first differ.
        if found is None or not hmac.compare_digest(found[1].key_hash, presented):
            self._auth_failures.inc(reason="invalid")
            raise UnauthorizedError("Invalid API key", code=ErrorCode.INVALID_API_KEY)
        self.key_cache.put(presented, found[0], generation=generation)
        return found[0]
