"""Repository for single-use tokens (magic links, password resets, e-mail confirmations)
and wallet sign-in nonces. Only hashes of secret tokens are stored (the e-mail carrying a
token is in ``mail_outbox``); nonces are public challenges and are kept as issued."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.models import OneTimeToken, WalletNonce
from .database import Database
from .tables import one_time_tokens, wallet_nonces


def _one_time(row: sa.Row[tuple[object, ...]]) -> OneTimeToken:
    m = row._mapping
    return OneTimeToken(
        id=m["id"],
        application_id=m["application_id"],
        kind=m["kind"],
        token_hash=m["token_hash"],
        user_id=m["user_id"],
        email=m["email"],
        created_at=m["created_at"],
        expires_at=m["expires_at"],
        used_at=m["used_at"],
    )


def _nonce(row: sa.Row[tuple[object, ...]]) -> WalletNonce:
    m = row._mapping
    return WalletNonce(
        id=m["id"],
        application_id=m["application_id"],
        wallet_address=m["wallet_address"],
        chain_type=m["chain_type"],
        nonce=m["nonce"],
        message=m["message"],
        message_hash=m["message_hash"],
        created_at=m["created_at"],
        expires_at=m["expires_at"],
        used_at=m["used_at"],
    )


class TokensRepository:
    """One-time tokens and wallet nonces; ``conn=`` joins a transaction."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def insert_one_time(
        self, token: OneTimeToken, *, conn: AsyncConnection | None = None
    ) -> None:
        """Store a one-time token's hash."""
        async with self._db.use(conn) as c:
            await c.execute(
                one_time_tokens.insert().values(
                    id=token.id,
                    application_id=token.application_id,
                    kind=token.kind,
                    token_hash=token.token_hash,
                    user_id=token.user_id,
                    email=token.email,
                    created_at=token.created_at,
                    expires_at=token.expires_at,
                    used_at=token.used_at,
                )
            )

    async def find_one_time(
        self,
        application_id: str,
        kind: str,
        token_hash: str,
        *,
        conn: AsyncConnection | None = None,
    ) -> OneTimeToken | None:
        """A one-time token of ``kind`` by the hash of its value."""
        query = sa.select(one_time_tokens).where(
            one_time_tokens.c.application_id == application_id,
            one_time_tokens.c.kind == kind,
            one_time_tokens.c.token_hash == token_hash,
        )
        async with self._db.use(conn, write=False) as c:
            row = (await c.execute(query)).first()
        return _one_time(row) if row else None

    async def find_one_time_any_application(
        self, kind: str, token_hash: str, *, conn: AsyncConnection | None = None
    ) -> OneTimeToken | None:
        """A one-time token of ``kind`` by hash, whatever its application (for links opened
        in a browser, which carry no API key; the hash itself is unguessable)."""
        query = sa.select(one_time_tokens).where(
            one_time_tokens.c.kind == kind, one_time_tokens.c.token_hash == token_hash
        )
        async with self._db.use(conn, write=False) as c:
            row = (await c.execute(query)).first()
        return _one_time(row) if row else None

    async def spend_one_time(
        self, token_id: str, at: datetime, *, conn: AsyncConnection | None = None
    ) -> bool:
        """Mark a token used if it was unused; returns whether this call spent it."""
        async with self._db.use(conn) as c:
            result = await c.execute(
                one_time_tokens.update()
                .where(one_time_tokens.c.id == token_id, one_time_tokens.c.used_at.is_(None))
                .values(used_at=at)
            )
        return bool(result.rowcount)

    async def insert_nonce(
        self, nonce: WalletNonce, *, conn: AsyncConnection | None = None
    ) -> None:
        """Store an issued sign-in message."""
        async with self._db.use(conn) as c:
            await c.execute(
                wallet_nonces.insert().values(
                    id=nonce.id,
                    application_id=nonce.application_id,
                    wallet_address=nonce.wallet_address,
                    chain_type=nonce.chain_type,
                    nonce=nonce.nonce,
                    message=nonce.message,
                    message_hash=nonce.message_hash,
                    created_at=nonce.created_at,
                    expires_at=nonce.expires_at,
                    used_at=nonce.used_at,
                )
            )

    async def find_nonce(
        self, application_id: str, message_hash: str, *, conn: AsyncConnection | None = None
    ) -> WalletNonce | None:
        """An issued message by the hash of its exact text."""
        query = sa.select(wallet_nonces).where(
            wallet_nonces.c.application_id == application_id,
            wallet_nonces.c.message_hash == message_hash,
        )
        async with self._db.use(conn, write=False) as c:
            row = (await c.execute(query)).first()
        return _nonce(row) if row else None

    async def spend_nonce(
        self, nonce_id: str, at: datetime, *, conn: AsyncConnection | None = None
    ) -> bool:
        """Mark a nonce used if it was unused; returns whether this call spent it."""
        async with self._db.use(conn) as c:
            result = await c.execute(
                wallet_nonces.update()
                .where(wallet_nonces.c.id == nonce_id, wallet_nonces.c.used_at.is_(None))
                .values(used_at=at)
            )
        return bool(result.rowcount)
