"""Repository for applications and their API keys."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.models import ApiKeyRecord, Application
from .database import Database
from .direct_reads import DirectQuery
from .tables import api_keys, applications


def _application(row: sa.Row[tuple[object, ...]]) -> Application:
    return _application_of(row._mapping)


def _application_of(m: Mapping[Any, Any]) -> Application:
    return Application(
        id=m["id"],
        name=m["name"],
        created_at=m["created_at"],
        revoked_at=m["revoked_at"],
        is_default=bool(m["is_default"]),
    )


def _api_key(row: sa.Row[tuple[object, ...]]) -> ApiKeyRecord:
    m = row._mapping
    return ApiKeyRecord(
        id=m["id"],
        application_id=m["application_id"],
        key_hash=m["key_hash"],
        prefix=m["prefix"],
        created_at=m["created_at"],
        revoked_at=m["revoked_at"],
    )


# Key authentication runs on (nearly) every request: built once, with a bound parameter, and
# answered by the direct read path.
_ACTIVE_BY_KEY_HASH = DirectQuery(
    sa.select(
        applications,
        api_keys.c.id.label("key_id"),
        api_keys.c.key_hash,
        api_keys.c.prefix,
        api_keys.c.created_at.label("key_created_at"),
    )
    .join(api_keys, api_keys.c.application_id == applications.c.id)
    .where(
        api_keys.c.key_hash == sa.bindparam("key_hash"),
        api_keys.c.revoked_at.is_(None),
        applications.c.revoked_at.is_(None),
    )
)


class ApplicationsRepository:
    """Applications and API keys. Every method accepts ``conn=`` to join a transaction."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def insert_application(
        self, application: Application, *, conn: AsyncConnection | None = None
    ) -> None:
        """Store a new application (the name must be unused)."""
        async with self._db.use(conn) as c:
            await c.execute(
                applications.insert().values(
                    id=application.id,
                    name=application.name,
                    is_default=application.is_default,
                    created_at=application.created_at,
                    revoked_at=application.revoked_at,
                )
            )

    async def insert_api_key(
        self, key: ApiKeyRecord, *, conn: AsyncConnection | None = None
    ) -> None:
        """Store an API key's hash for an application."""
        async with self._db.use(conn) as c:
            await c.execute(
                api_keys.insert().values(
                    id=key.id,
                    application_id=key.application_id,
                    key_hash=key.key_hash,
                    prefix=key.prefix,
                    created_at=key.created_at,
                    revoked_at=key.revoked_at,
                )
            )

    async def get_by_name(
        self, name: str, *, conn: AsyncConnection | None = None
    ) -> Application | None:
        """The application called ``name``, revoked or not."""
        async with self._db.use(conn, write=False) as c:
            row = (
                await c.execute(sa.select(applications).where(applications.c.name == name))
            ).first()
        return _application(row) if row else None

    async def get(
        self, application_id: str, *, conn: AsyncConnection | None = None
    ) -> Application | None:
        """The application with this id, revoked or not."""
        async with self._db.use(conn, write=False) as c:
            row = (
                await c.execute(sa.select(applications).where(applications.c.id == application_id))
            ).first()
        return _application(row) if row else None

    async def get_default(self, *, conn: AsyncConnection | None = None) -> Application | None:
        """The application flagged as the default one."""
        async with self._db.use(conn, write=False) as c:
            row = (
                await c.execute(
                    sa.select(applications)
                    .where(applications.c.is_default.is_(True))
                    .order_by(applications.c.created_at)
                    .limit(1)
                )
            ).first()
        return _application(row) if row else None

    async def list_applications(
        self, *, conn: AsyncConnection | None = None
    ) -> list[tuple[Application, list[ApiKeyRecord]]]:
        """Every application with its keys, oldest first."""
        async with self._db.use(conn, write=False) as c:
            apps = [
                _application(r)
                for r in await c.execute(
                    sa.select(applications).order_by(applications.c.created_at, applications.c.name)
                )
            ]
            keys = [
                _api_key(r)
                for r in await c.execute(sa.select(api_keys).order_by(api_keys.c.created_at))
            ]
        by_app: dict[str, list[ApiKeyRecord]] = {a.id: [] for a in apps}
        for key in keys:
            by_app.setdefault(key.application_id, []).append(key)
        return [(a, by_app[a.id]) for a in apps]

    async def find_active_by_key_hash(
        self, key_hash: str, *, conn: AsyncConnection | None = None
    ) -> tuple[Application, ApiKeyRecord] | None:
        """The live application and key whose hash is ``key_hash``; ``None`` if unknown or
        revoked."""
        m = await self._db.first(_ACTIVE_BY_KEY_HASH, {"key_hash": key_hash}, conn=conn)
        if m is None:
            return None
        key = ApiKeyRecord(
            id=m["key_id"],
            application_id=m["id"],
            key_hash=m["key_hash"],
            prefix=m["prefix"],
            created_at=m["key_created_at"],
        )
        return _application_of(m), key

    async def revoke_application(
        self, application_id: str, at: datetime, *, conn: AsyncConnection | None = None
    ) -> bool:
        """Mark an application and all its keys revoked; ``False`` if it was not live."""
        async with self._db.use(conn) as c:
            result = await c.execute(
                applications.update()
                .where(applications.c.id == application_id, applications.c.revoked_at.is_(None))
                .values(revoked_at=at)
            )
            await c.execute(
                api_keys.update()
                .where(api_keys.c.application_id == application_id, api_keys.c.revoked_at.is_(None))
                .values(revoked_at=at)
            )
        return bool(result.rowcount)
