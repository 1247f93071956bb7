"""Repository for usage metering: feature limits, per-period counters and records.

Counters move only through :meth:`UsageRepository.add_to_counter`, a single conditional
``UPDATE ... SET used = used + :q WHERE ... [AND used + :q <= :limit] RETURNING used``: the
database serialises concurrent records on the row (PostgreSQL re-checks the condition after
taking the row lock; SQLite writers hold the database lock), so ``used`` never drifts and a
limit is never overshot, whatever the number of server processes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.ids import new_id
from ..domain.usage import BillingPeriod, FeatureLimit, OveragePolicy, UsageRecord
from .database import Database, DatabaseKind
from .tables import usage_counters, usage_features, usage_records, usage_settings


def _limit(row: sa.Row[tuple[object, ...]]) -> FeatureLimit:
    m = row._mapping
    return FeatureLimit(
        application_id=m["application_id"],
        feature=m["feature"],
        tier=m["tier"],
        description=m["description"],
        limit=None if m["limit_value"] is None else float(m["limit_value"]),
        overage=OveragePolicy(m["overage"]),
        overage_unit_price=float(m["overage_unit_price"]),
        created_at=m["created_at"],
        updated_at=m["updated_at"],
    )


def _counter_key(
    application_id: str, user_id: str, feature: str, period_start: datetime
) -> sa.ColumnElement[bool]:
    c = usage_counters.c
    return sa.and_(
        c.application_id == application_id,
        c.user_id == user_id,
        c.feature == feature,
        c.period_start == period_start,
    )


class UsageRepository:
    """The usage tables; every method accepts ``conn=`` to join a transaction."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def _insert(self, table: sa.Table) -> Any:
        dialect = postgresql if self._db.kind is DatabaseKind.POSTGRESQL else sqlite
        return dialect.insert(table)

    # --- configuration -------------------------------------------------------------------

    async def claim_defaults(
        self, application_id: str, now: datetime, *, conn: AsyncConnection | None = None
    ) -> bool:
        """Mark the application's default features as applied; ``False`` if they already
        were (so defaults are written once, even by racing processes)."""
        stmt = (
            self._insert(usage_settings)
            .values(application_id=application_id, defaults_applied_at=now)
            .on_conflict_do_nothing(index_elements=["application_id"])
        )
        async with self._db.use(conn) as c:
            result = await c.execute(stmt)
        return bool(result.rowcount)

    async def defaults_applied(
        self, application_id: str, *, conn: AsyncConnection | None = None
    ) -> bool:
        """Whether :meth:`claim_defaults` ran for the application."""
        query = sa.select(usage_settings.c.application_id).where(
            usage_settings.c.application_id == application_id
        )
        async with self._db.use(conn, write=False) as c:
            return (await c.execute(query)).first() is not None

    async def list_limits(
        self,
        application_id: str,
        *,
        feature: str | None = None,
        conn: AsyncConnection | None = None,
    ) -> list[FeatureLimit]:
        """The application's limits (optionally of one feature), by feature and tier."""
        c = usage_features.c
        query = sa.select(usage_features).where(c.application_id == application_id)
        if feature is not None:
            query = query.where(c.feature == feature)
        query = query.order_by(c.feature, c.tier)
        async with self._db.use(conn, write=False) as cx:
            return [_limit(r) for r in await cx.execute(query)]

    async def put_limit(
        self, limit: FeatureLimit, *, insert_only: bool = False, conn: AsyncConnection | None = None
    ) -> None:
        """Create or replace the limit of (application, feature, tier); with
        ``insert_only`` an existing row is left as it is."""
        values = {
            "id": new_id("uf"),
            "application_id": limit.application_id,
            "feature": limit.feature,
            "tier": limit.tier,
            "description": limit.description,
            "limit_value": limit.limit,
            "overage": limit.overage.value,
            "overage_unit_price": limit.overage_unit_price,
            "created_at": limit.created_at,
            "updated_at": limit.updated_at,
        }
        stmt = self._insert(usage_features).values(**values)
        keys = ["application_id", "feature", "tier"]
        if insert_only:
            stmt = stmt.on_conflict_do_nothing(index_elements=keys)
        else:
            changed = ("description", "limit_value", "overage", "overage_unit_price", "updated_at")
            stmt = stmt.on_conflict_do_update(
                index_elements=keys, set_={k: stmt.excluded[k] for k in changed}
            )
        async with self._db.use(conn) as c:
            await c.execute(stmt)

    async def delete_limits(
        self,
        application_id: str,
        feature: str,
        *,
        tier: str | None = None,
        conn: AsyncConnection | None = None,
    ) -> int:
        """Remove a feature's limit for one tier (or every tier); returns rows removed."""
        c = usage_features.c
        stmt = usage_features.delete().where(
            c.application_id == application_id, c.feature == feature
        )
        if tier is not None:
            stmt = stmt.where(c.tier == tier)
        async with self._db.use(conn) as cx:
            result = await cx.execute(stmt)
        return int(result.rowcount or 0)

    # --- counters --------------------------------------------------------------------------

    async def ensure_counter(
        self,
        application_id: str,
        user_id: str,
        feature: str,
        period: BillingPeriod,
        *,
        conn: AsyncConnection | None = None,
    ) -> None:
        """Create the period's counter at 0 unless it exists."""
        stmt = (
            self._insert(usage_counters)
            .values(
                application_id=application_id,
                user_id=user_id,
                feature=feature,
                period_start=period.start,
                period_end=period.end,
                used=0.0,
            )
            .on_conflict_do_nothing(
                index_elements=["application_id", "user_id", "feature", "period_start"]
            )
        )
        async with self._db.use(conn) as c:
            await c.execute(stmt)

    async def add_to_counter(
        self,
        application_id: str,
        user_id: str,
        feature: str,
        period: BillingPeriod,
        quantity: float,
        *,
        limit: float | None,
        conn: AsyncConnection | None = None,
    ) -> float | None:
        """Add ``quantity`` atomically and return the new total; with ``limit``, only if the
        total stays within it (``None`` when it would not: nothing changed)."""
        c = usage_counters.c
        where = _counter_key(application_id, user_id, feature, period.start)
        if limit is not None:
            where = sa.and_(where, c.used + quantity <= limit)
        stmt = usage_counters.update().where(where).values(used=c.used + quantity).returning(c.used)
        async with self._db.use(conn) as cx:
            row = (await cx.execute(stmt)).first()
        return None if row is None else float(row[0])

    async def counter_used(
        self,
        application_id: str,
        user_id: str,
        feature: str,
        period: BillingPeriod,
        *,
        conn: AsyncConnection | None = None,
    ) -> float:
        """The period's total so far (0 without a counter)."""
        query = sa.select(usage_counters.c.used).where(
            _counter_key(application_id, user_id, feature, period.start)
        )
        async with self._db.use(conn, write=False) as c:
            value = (await c.execute(query)).scalar()
        return float(value or 0.0)

    async def counters(
        self,
        application_id: str,
        user_id: str,
        period: BillingPeriod,
        *,
        conn: AsyncConnection | None = None,
    ) -> dict[str, float]:
        """Every feature's total in the period."""
        c = usage_counters.c
        query = sa.select(c.feature, c.used).where(
            c.application_id == application_id, c.user_id == user_id, c.period_start == period.start
        )
        async with self._db.use(conn, write=False) as cx:
            return {str(f): float(u) for f, u in await cx.execute(query)}

    # --- records ---------------------------------------------------------------------------

    async def insert_record(
        self, record: UsageRecord, *, conn: AsyncConnection | None = None
    ) -> None:
        """Store an accepted record."""
        async with self._db.use(conn) as c:
            await c.execute(
                usage_records.insert().values(
                    id=record.id,
                    application_id=record.application_id,
                    user_id=record.user_id,
                    feature=record.feature,
                    quantity=record.quantity,
                    overage_quantity=record.overage_quantity,
                    cost=record.cost,
                    recorded_at=record.recorded_at,
                    recorded_on=record.recorded_at.date().isoformat(),
                    period_start=record.period.start,
                    metadata=record.metadata,
                    created_at=record.created_at,
                )
            )

    async def overage_in_period(
        self,
        application_id: str,
        user_id: str,
        period: BillingPeriod,
        *,
        conn: AsyncConnection | None = None,
    ) -> dict[str, tuple[float, float]]:
        """Per feature: (overage quantity, cost) recorded in the period."""
        r = usage_records.c
        query = (
            sa.select(r.feature, sa.func.sum(r.overage_quantity), sa.func.sum(r.cost))
            .where(
                r.application_id == application_id,
                r.user_id == user_id,
                r.period_start == period.start,
                r.overage_quantity > 0,
            )
            .group_by(r.feature)
        )
        async with self._db.use(conn, write=False) as c:
            return {str(f): (float(q), float(m)) for f, q, m in await c.execute(query)}

    async def daily_totals(
        self,
        application_id: str,
        user_id: str,
        first_day: str,
        last_day: str,
        *,
        features: Sequence[str] | None = None,
        conn: AsyncConnection | None = None,
    ) -> list[tuple[str, datetime, str, float, float]]:
        """(day, billing period start, feature, quantity, cost) sums for every UTC day in
        ``[first_day, last_day]`` (``YYYY-MM-DD``) that has records."""
        r = usage_records.c
        query = sa.select(
            r.recorded_on, r.period_start, r.feature, sa.func.sum(r.quantity), sa.func.sum(r.cost)
        ).where(
            r.application_id == application_id,
            r.user_id == user_id,
            r.recorded_on >= first_day,
            r.recorded_on <= last_day,
        )
        if features is not None:
            query = query.where(r.feature.in_(list(features)))
        query = query.group_by(r.recorded_on, r.period_start, r.feature).order_by(r.recorded_on)
        async with self._db.use(conn, write=False) as c:
            return [
                (str(day), start, str(feature), float(quantity), float(cost))
                for day, start, feature, quantity, cost in await c.execute(query)
            ]


class UsageOverviewRepository:
    """Read-only views of usage across users, for the developer page."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def counters(self, application_id: str, *, limit: int = 200) -> list[dict[str, Any]]:
        """The newest counters of the application: user, feature, period and amount used."""
        c = usage_counters.c
        query = (
            sa.select(c.user_id, c.feature, c.period_start, c.period_end, c.used)
            .where(c.application_id == application_id)
            .order_by(c.period_start.desc(), c.user_id, c.feature)
            .limit(limit)
        )
        async with self._db.read() as conn:
            return [dict(r._mapping) for r in await conn.execute(query)]

    async def recent_records(self, application_id: str, *, limit: int = 50) -> list[dict[str, Any]]:
        """The newest records of the application."""
        r = usage_records.c
        query = (
            sa.select(
                r.id, r.user_id, r.feature, r.quantity, r.overage_quantity, r.cost, r.recorded_at
            )
            .where(r.application_id == application_id)
            .order_by(r.created_at.desc())
            .limit(limit)
        )
        async with self._db.read() as conn:
            return [dict(row._mapping) for row in await conn.execute(query)]


async def active_subscription_period(
    db: Database,
    application_id: str,
    user_id: str,
    now: datetime,
    conn: AsyncConnection | None = None,
) -> BillingPeriod | None:
    """The current period of the user's active subscription that covers ``now`` (the most
    recently started one if several do), or ``None``."""
    from ..domain.payments import TIER_GRANTING_STATUSES
    from .tables import subscriptions as s

    query = (
        sa.select(s.c.current_period_start, s.c.current_period_end)
        .where(
            s.c.application_id == application_id,
            s.c.user_id == user_id,
            s.c.status.in_(sorted(TIER_GRANTING_STATUSES)),
            s.c.current_period_start <= now,
            s.c.current_period_end > now,
        )
        .order_by(s.c.current_period_start.desc())
        .limit(1)
    )
    async with db.use(conn, write=False) as c:
        row = (await c.execute(query)).first()
    return BillingPeriod(row[0], row[1]) if row else None
