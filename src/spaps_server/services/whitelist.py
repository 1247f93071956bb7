"""The whitelist: e-mail addresses admitted to an application with a tier and, optionally,
without having to pay. Administrators manage entries; anyone holding the API key may check
an address; sign-in consults it for the user's tier (see :meth:`WhitelistService.tier_for`).

Addresses are compared case-insensitively: they are stored and looked up lower-case. A seed
file's ``whitelist`` section is applied by :meth:`WhitelistService.load_seed`.
"""

from __future__ import annotations

import builtins
import re
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.clock import Clock
from ..domain.emails import normalize_email
from ..domain.error_codes import ErrorCode
from ..domain.errors import ConflictError, InvalidError, NotFoundError
from ..domain.ids import new_id
from ..domain.whitelist import WhitelistEntry
from ..storage.database import Database
from ..storage.whitelist import WhitelistRepository
from .metrics import MetricsRegistry

DEFAULT_TIER = "premium"
MAX_PAGE_SIZE = 1000
_TIER = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


def validate_tier(tier: object) -> str:
    """``tier`` if it is a short name of letters, digits, ``_``, ``.`` or ``-``."""
    if not isinstance(tier, str) or not _TIER.fullmatch(tier):
        raise InvalidError(
            "A tier is 1-64 characters: letters, digits, '_', '.', '-'", code=ErrorCode.INVALID_TIER
        )
    return tier


def _not_whitelisted(email: str) -> NotFoundError:
    return NotFoundError(f"Email {email} is not whitelisted", code=ErrorCode.NOT_WHITELISTED)


class WhitelistService:
    """Whitelist entries of each application. Every method is scoped by ``application_id``."""

    def __init__(self, db: Database, metrics: MetricsRegistry, clock: Clock) -> None:
        self._db = db
        self._clock = clock
        self._repo = WhitelistRepository(db)
        self._checks = metrics.counter(
            "spaps_whitelist_checks_total",
            "Whitelist look-ups (the check endpoint and sign-in) by outcome",
            ("outcome",),
        )
        self._changes = metrics.counter(
            "spaps_whitelist_changes_total",
            "Whitelist entries added, updated or removed",
            ("action",),
        )

    async def check(self, application_id: str, email: object) -> WhitelistEntry | None:
        """The entry for ``email``, or ``None`` when it is not whitelisted."""
        try:
            address = normalize_email(email)
        except InvalidError:
            self._checks.inc(outcome="invalid")
            raise
        entry = await self._repo.get(application_id, address)
        self._checks.inc(outcome="whitelisted" if entry else "not_whitelisted")
        return entry

    async def get(self, application_id: str, email: object) -> WhitelistEntry:
        """The entry for ``email``, or ``NotFoundError`` (``NOT_WHITELISTED``)."""
        address = normalize_email(email)
        entry = await self._repo.get(application_id, address)
        if entry is None:
            raise _not_whitelisted(address)
        return entry

    async def list(
        self,
        application_id: str,
        *,
        limit: int = 10,
        offset: int = 0,
        tier: str | None = None,
    ) -> tuple[list[WhitelistEntry], int]:
        """A page of entries ordered by e-mail, and how many entries match in all."""
        if not 1 <= limit <= MAX_PAGE_SIZE:
            raise InvalidError(
                f"limit must be between 1 and {MAX_PAGE_SIZE}", code=ErrorCode.VALIDATION_ERROR
            )
        if offset < 0:
            raise InvalidError("offset must not be negative", code=ErrorCode.VALIDATION_ERROR)
        wanted = validate_tier(tier) if tier else None
        return await self._repo.list(application_id, tier=wanted, limit=limit, offset=offset)

    async def add(
        self,
        application_id: str,
        email: object,
        *,
        tier: object = DEFAULT_TIER,
        bypass_payment: bool = True,
        metadata: Mapping[str, Any] | None = None,
        created_by: str | None = None,
    ) -> WhitelistEntry:
        """Whitelist ``email``; ``ConflictError`` (``ALREADY_WHITELISTED``) if it is."""
        address = normalize_email(email)
        now = self._clock.now()
        entry = WhitelistEntry(
            id=new_id("wl"),
            application_id=application_id,
            email=address,
            tier=validate_tier(tier),
            bypass_payment=bool(bypass_payment),
            metadata=dict(metadata or {}),
            created_at=now,
            updated_at=now,
            created_by=created_by,
        )
        conflict = ConflictError(
            f"Email {address} is already whitelisted", code=ErrorCode.ALREADY_WHITELISTED
        )
        try:
            async with self._db.begin() as conn:
                if await self._repo.get(application_id, address, conn=conn) is not None:
                    raise conflict
                await self._repo.insert(entry, conn=conn)
        except IntegrityError:
            # A concurrent add of the same address won the race for the unique key.
            raise conflict from None
        self._changes.inc(action="added")
        return entry

    async def update(
        self,
        application_id: str,
        email: object,
        *,
        tier: object | None = None,
        bypass_payment: bool | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> WhitelistEntry:
        """Change the fields given (``None`` leaves a field as it is; ``metadata`` replaces
        the stored object). With nothing given, returns the entry unchanged."""
        address = normalize_email(email)
        changes: dict[str, Any] = {}
        if tier is not None:
            changes["tier"] = validate_tier(tier)
        if bypass_payment is not None:
            changes["bypass_payment"] = bool(bypass_payment)
        if metadata is not None:
            changes["metadata"] = dict(metadata)
        if changes:
            changes["updated_at"] = self._clock.now()
        entry = await self._repo.update(application_id, address, changes)
        if entry is None:
            raise _not_whitelisted(address)
        if changes:
            self._changes.inc(action="updated")
        return entry

    async def remove(self, application_id: str, email: object) -> str:
        """Remove ``email``; returns the normalised address. ``NotFoundError`` if absent."""
        address = normalize_email(email)
        if not await self._repo.delete(application_id, address):
            raise _not_whitelisted(address)
        self._changes.inc(action="removed")
        return address

    async def upsert(
        self,
        application_id: str,
        email: object,
        *,
        tier: object = DEFAULT_TIER,
        bypass_payment: bool = True,
        metadata: Mapping[str, Any] | None = None,
        created_by: str | None = None,
    ) -> WhitelistEntry:
        """Add ``email`` or bring its entry to the values given (seed files use this, so
        that loading one twice changes nothing)."""
        try:
            return await self.add(
                application_id,
                email,
                tier=tier,
                bypass_payment=bypass_payment,
                metadata=metadata,
                created_by=created_by,
            )
        except ConflictError:
            return await self.update(
                application_id,
                email,
                tier=tier,
                bypass_payment=bypass_payment,
                metadata=dict(metadata or {}),
            )

    async def lookup(
        self, application_id: str, email: str | None, *, conn: AsyncConnection | None = None
    ) -> WhitelistEntry | None:
        """The entry of a signed-in user's address, if any (never raises for a missing or
        malformed address: a user without a usable e-mail is simply not whitelisted);
        ``conn`` joins the caller's unit of work."""
        if not email:
            return None
        try:
            address = normalize_email(email)
        except InvalidError:
            return None
        return await self._repo.get(application_id, address, conn=conn)

    async def tier_for(
        self, application_id: str, email: str | None, *, conn: AsyncConnection | None = None
    ) -> str | None:
        """The tier a whitelisted user gets, or ``None`` to keep the user's own tier."""
        entry = await self.lookup(application_id, email, conn=conn)
        return entry.tier if entry else None

    async def profile_metadata(self, application_id: str, email: str | None) -> dict[str, Any]:
        """What a whitelisted user's profile ``metadata`` gains: ``bypass_payment``."""
        entry = await self.lookup(application_id, email)
        return {"bypass_payment": entry.bypass_payment} if entry else {}

    async def load_seed(
        self, application_id: str, items: Sequence[Mapping[str, Any]]
    ) -> builtins.list[WhitelistEntry]:
        """Apply a seed file's ``whitelist`` section: a list of ``{email, tier?,
        bypass_payment?, metadata?}`` objects, upserted in order."""
        entries: builtins.list[WhitelistEntry] = []
        for index, item in enumerate(items):
            if not isinstance(item, Mapping):
                raise InvalidError(
                    f"whitelist[{index}] must be an object", code=ErrorCode.INVALID_SEED
                )
            unknown = set(item) - {"email", "tier", "bypass_payment", "metadata"}
            if unknown:
                raise InvalidError(
                    f"whitelist[{index}] has unknown keys {sorted(unknown)}",
                    code=ErrorCode.INVALID_SEED,
                )
            bypass = item.get("bypass_payment", True)
            metadata = item.get("metadata") or {}
            if not isinstance(bypass, bool) or not isinstance(metadata, Mapping):
                raise InvalidError(
                    f"whitelist[{index}]: bypass_payment must be a boolean and metadata an object",
                    code=ErrorCode.INVALID_SEED,
                )
            entries.append(
                await self.upsert(
                    application_id,
                    item.get("email"),
                    tier=item.get("tier", DEFAULT_TIER),
                    bypass_payment=bypass,
                    metadata=metadata,
                    created_by="seed",
                )
            )
        return entries
