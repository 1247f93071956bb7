"""Repository for users and their wallets (SQLAlchemy Core, parameterised)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.emails import canonical_email
from ..domain.models import User, UserWallet
from .database import Database
from .tables import user_wallets, users


def _user(row: sa.Row[tuple[object, ...]]) -> User:
    m = row._mapping
    return User(
        id=m["id"],
        application_id=m["application_id"],
        email=m["email"],
        username=m["username"],
        phone_number=m["phone_number"],
        password_hash=m["password_hash"],
        tier=m["tier"],
        role=m["role"],
        email_confirmed=bool(m["email_confirmed"]),
        metadata=dict(m["metadata"] or {}),
        created_at=m["created_at"],
        updated_at=m["updated_at"],
        last_sign_in_at=m["last_sign_in_at"],
    )


def _wallet(row: sa.Row[tuple[object, ...]]) -> UserWallet:
    m = row._mapping
    return UserWallet(
        id=m["id"],
        application_id=m["application_id"],
        user_id=m["user_id"],
        wallet_address=m["wallet_address"],
        chain_type=m["chain_type"],
        verified=bool(m["verified"]),
        created_at=m["created_at"],
    )


class UsersRepository:
    """Users and user wallets, always scoped by application id. Every method accepts
    ``conn=`` to join a caller's transaction."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def insert(self, user: User, *, conn: AsyncConnection | None = None) -> None:
        """Store a new user (the e-mail, if any, must be unused in the application)."""
        async with self._db.use(conn) as c:
            await c.execute(
                users.insert().values(
                    id=user.id,
                    application_id=user.application_id,
                    email=canonical_email(user.email) if user.email else None,
                    username=user.username,
                    phone_number=user.phone_number,
                    password_hash=user.password_hash,
                    tier=user.tier,
                    role=user.role,
                    email_confirmed=user.email_confirmed,
                    metadata=user.metadata,
                    created_at=user.created_at,
                    updated_at=user.updated_at,
                    last_sign_in_at=user.last_sign_in_at,
                )
            )

    async def get(
        self, application_id: str, user_id: str, *, conn: AsyncConnection | None = None
    ) -> User | None:
        """The user with this id in the application."""
        query = sa.select(users).where(
            users.c.application_id == application_id, users.c.id == user_id
        )
        async with self._db.use(conn, write=False) as c:
            row = (await c.execute(query)).first()
        return _user(row) if row else None

    async def get_by_email(
        self, application_id: str, email: str, *, conn: AsyncConnection | None = None
    ) -> User | None:
        """The user with this e-mail (case-insensitive) in the application."""
        query = sa.select(users).where(
            users.c.application_id == application_id, users.c.email == canonical_email(email)
        )
        async with self._db.use(conn, write=False) as c:
            row = (await c.execute(query)).first()
        return _user(row) if row else None

    async def update(
        self,
        application_id: str,
        user_id: str,
        values: Mapping[str, Any],
        *,
        conn: AsyncConnection | None = None,
    ) -> None:
        """Set columns of one user (names as in the ``users`` table)."""
        allowed = {c.name for c in users.columns} - {"id", "application_id", "created_at"}
        unknown = set(values) - allowed
        if unknown:
            raise ValueError(f"unknown user columns: {sorted(unknown)}")
        async with self._db.use(conn) as c:
            await c.execute(
                users.update()
                .where(users.c.application_id == application_id, users.c.id == user_id)
                .values(**dict(values))
            )

    async def touch_sign_in(
        self,
        application_id: str,
        user_id: str,
        at: datetime,
        *,
        conn: AsyncConnection | None = None,
    ) -> None:
        """Record a successful sign-in time."""
        await self.update(application_id, user_id, {"last_sign_in_at": at}, conn=conn)

    async def count(self, application_id: str, *, conn: AsyncConnection | None = None) -> int:
        """How many users the application has."""
        query = sa.select(sa.func.count()).select_from(users)
        query = query.where(users.c.application_id == application_id)
        async with self._db.use(conn, write=False) as c:
            return int((await c.execute(query)).scalar_one())

    # --- wallets ---------------------------------------------------------------------

    async def insert_wallet(
        self, wallet: UserWallet, *, conn: AsyncConnection | None = None
    ) -> None:
        """Link a wallet to a user (an address is linked to at most one user per chain)."""
        async with self._db.use(conn) as c:
            await c.execute(
                user_wallets.insert().values(
                    id=wallet.id,
                    application_id=wallet.application_id,
                    user_id=wallet.user_id,
                    wallet_address=wallet.wallet_address,
                    chain_type=wallet.chain_type,
                    verified=wallet.verified,
                    created_at=wallet.created_at,
                )
            )

    async def find_wallet(
        self,
        application_id: str,
        chain_type: str,
        wallet_address: str,
        *,
        conn: AsyncConnection | None = None,
    ) -> UserWallet | None:
        """The wallet row of a (normalised) address on a chain."""
        query = sa.select(user_wallets).where(
            user_wallets.c.application_id == application_id,
            user_wallets.c.chain_type == chain_type,
            user_wallets.c.wallet_address == wallet_address,
        )
        async with self._db.use(conn, write=False) as c:
            row = (await c.execute(query)).first()
        return _wallet(row) if row else None

    async def set_wallet_verified(
        self, application_id: str, wallet_id: str, *, conn: AsyncConnection | None = None
    ) -> None:
        """Mark a wallet as proven by a signature."""
        async with self._db.use(conn) as c:
            await c.execute(
                user_wallets.update()
                .where(
                    user_wallets.c.application_id == application_id,
                    user_wallets.c.id == wallet_id,
                )
                .values(verified=True)
            )

    async def wallets_of(
        self, application_id: str, user_id: str, *, conn: AsyncConnection | None = None
    ) -> list[UserWallet]:
        """A user's wallets, oldest first."""
        query = (
            sa.select(user_wallets)
            .where(
                user_wallets.c.application_id == application_id,
                user_wallets.c.user_id == user_id,
            )
            .order_by(user_wallets.c.created_at, user_wallets.c.id)
        )
        async with self._db.use(conn, write=False) as c:
            return [_wallet(r) for r in await c.execute(query)]
