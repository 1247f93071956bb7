"""Usage metering: features with a limit per tier and application, one counter per user,
feature and billing period, records, and history.

* A user's billing period is given by the injected ``period_resolver`` (for example the
  current period of an active subscription) when it has one, else the calendar month (UTC) of
  the server clock.
* The limits that apply are those of the user's tier, or ``whitelisted`` for a user whose
  whitelist entry bypasses payment; a tier without a row of its own uses ``basic``'s.
* ``record`` moves the counter with one conditional UPDATE in the database (see
  ``storage.usage``). Past the limit, a ``reject`` feature answers 402
  ``USAGE_LIMIT_EXCEEDED`` and records nothing; an ``allow`` feature records the quantity and
  books the part past the limit as overage at the feature's unit price.
* Usage changes only by recorded quantities: nothing is counted behind the caller's back.

Each application gets :data:`DEFAULT_FEATURES` once (recorded in ``usage_settings``); after
that its configuration is whatever the CLI or a seed file's ``usage`` section made it.
"""

from __future__ import annotations

import builtins
import dataclasses
import json
import math
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.clock import Clock
from ..domain.error_codes import ErrorCode
from ..domain.errors import InvalidError, NotFoundError, PaymentRequiredError
from ..domain.ids import new_id
from ..domain.usage import BillingPeriod, FeatureLimit, OveragePolicy, UsageRecord, iso
from ..storage.database import Database
from ..storage.usage import UsageRepository
from .metrics import MetricsRegistry

if TYPE_CHECKING:
    pass

FALLBACK_TIER = "basic"
WHITELISTED_TIER = "whitelisted"
WARNING_THRESHOLDS = (80.0, 100.0)
MAX_QUANTITY = 1e12
MAX_METADATA_BYTES = 8192
MAX_HISTORY_DAYS = 3660
# How far in the future a client's clock may be when it stamps a record.
CLOCK_SKEW = timedelta(minutes=5)
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")
_PERIODS = {
    "daily": "daily",
    "day": "daily",
    "weekly": "weekly",
    "week": "weekly",
    "monthly": "monthly",
    "month": "monthly",
}

PeriodResolver = Callable[
    [str, str, datetime, AsyncConnection | None], Awaitable[BillingPeriod | None]
]
"""``async (application_id, user_id, now, conn) -> period | None``: a user's current billing
period when something (a subscription) defines one; ``None`` falls back to calendar months.
Reads on ``conn`` when given (a record holds a transaction and must not wait for a second
pooled connection)."""
TierResolver = Callable[[str, str | None, AsyncConnection | None], Awaitable[bool]]
"""``async (application_id, email, conn) -> bool``: whether the user gets the whitelisted
limits (reading on ``conn`` when given)."""


@dataclasses.dataclass(frozen=True)
class FeatureDefault:
    """A feature every application starts with."""

    feature: str
    description: str
    limits: Mapping[str, float | None]
    overage: OveragePolicy
    overage_unit_price: float = 0.0


DEFAULT_FEATURES: tuple[FeatureDefault, ...] = (
    FeatureDefault(
        "api_calls",
        "Total API calls",
        {"basic": 1000, "premium": 10000, WHITELISTED_TIER: 100000},
        OveragePolicy.REJECT,
    ),
    FeatureDefault(
        "wallet_verifications",
        "Wallet signature verifications",
        {"basic": 10, "premium": 100, WHITELISTED_TIER: 1000},
        OveragePolicy.ALLOW,
        overage_unit_price=0.05,
    ),
)


def calendar_month(moment: datetime) -> BillingPeriod:
    """The UTC calendar month containing ``moment``."""
    at = moment.astimezone(timezone.utc)
    start = datetime(at.year, at.month, 1, tzinfo=timezone.utc)
    end = datetime(at.year + (at.month == 12), at.month % 12 + 1, 1, tzinfo=timezone.utc)
    return BillingPeriod(start, end)


def validate_feature_name(name: object) -> str:
    """``name`` if it is 1-64 letters, digits, ``_ . : -`` starting with a letter or digit."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise InvalidError(
            "A feature name is 1-64 characters: letters, digits, '_', '.', ':', '-'",
            code=ErrorCode.INVALID_USAGE_FEATURE,
        )
    return name


def validate_quantity(quantity: object) -> float:
    """A positive, finite quantity no larger than :data:`MAX_QUANTITY`."""
    if isinstance(quantity, bool) or not isinstance(quantity, (int, float)):
        raise InvalidError("quantity must be a number", code=ErrorCode.INVALID_USAGE_QUANTITY)
    value = float(quantity)
    if not math.isfinite(value) or value <= 0 or value > MAX_QUANTITY:
        raise InvalidError(
            f"quantity must be greater than 0 and at most {MAX_QUANTITY:g}",
            code=ErrorCode.INVALID_USAGE_QUANTITY,
        )
    return value


def parse_timestamp(text: str) -> datetime:
    """An ISO-8601 timestamp (``Z`` or an offset; none means UTC) as aware UTC."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise InvalidError(
            "timestamp must be an ISO-8601 date and time", code=ErrorCode.INVALID_USAGE_TIMESTAMP
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def _parse_day(text: str, name: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidError(
            f"{name} must be a date YYYY-MM-DD", code=ErrorCode.INVALID_HISTORY_QUERY
        ) from None


def _number(value: float) -> int | float:
    """Integral floats as ints, so ``5.0`` goes on the wire as ``5``."""
    return int(value) if value.is_integer() and abs(value) < 2**53 else value


def _bucket(day: date, period: str) -> date:
    if period == "weekly":
        return day - timedelta(days=day.weekday())
    if period == "monthly":
        return day.replace(day=1)
    return day


def _next_bucket(start: date, period: str) -> date:
    if period == "weekly":
        return start + timedelta(days=7)
    if period == "monthly":
        return date(start.year + (start.month == 12), start.month % 12 + 1, 1)
    return start + timedelta(days=1)


def _percentage(used: float, limit: float | None) -> float | None:
    if limit is None:
        return None
    if limit <= 0:
        return 100.0 if used > 0 else 0.0
    return round(used / limit * 100, 2)


class UsageService:
    """Feature limits, records and history of each application's users."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        metrics: MetricsRegistry,
        *,
        whitelisted: TierResolver | None = None,
        period_resolver: PeriodResolver | None = None,
    ) -> None:
        self._db = db
        self._clock = clock
        self._repo = UsageRepository(db)
        self._whitelisted = whitelisted
        self.period_resolver = period_resolver
        # Only a cache of what usage_settings already says (the database decides).
        self._defaults_done: set[str] = set()
        self._records = metrics.counter(
            "spaps_usage_records_total",
            "Usage records by feature and outcome (recorded, overage, rejected, replayed)",
            ("feature", "outcome"),
        )
        self._quantity = metrics.counter(
            "spaps_usage_quantity_total", "Quantity recorded per feature", ("feature",)
        )

    def count_replay(self, feature: str) -> None:
        """Count a record answered from the idempotency store (nothing recorded)."""
        self._records.inc(feature=feature, outcome="replayed")

    # --- configuration -------------------------------------------------------------------

    async def ensure_defaults(
        self, application_id: str, *, conn: AsyncConnection | None = None
    ) -> None:
        """Give the application :data:`DEFAULT_FEATURES` unless it already had them once
        (in ``conn``'s transaction when given)."""
        if application_id in self._defaults_done:
            return
        if not await self._repo.defaults_applied(application_id, conn=conn):
            async with self._db.use(conn) as c:
                await self._apply_defaults(application_id, c)
        self._defaults_done.add(application_id)

    async def _apply_defaults(self, application_id: str, conn: AsyncConnection) -> None:
        now = self._clock.now()
        if not await self._repo.claim_defaults(application_id, now, conn=conn):
            return
        for default in DEFAULT_FEATURES:
            for tier, limit in default.limits.items():
                await self._repo.put_limit(
                    FeatureLimit(
                        application_id,
                        default.feature,
                        tier,
                        default.description,
                        None if limit is None else float(limit),
                        default.overage,
                        default.overage_unit_price,
                        now,
                        now,
                    ),
                    insert_only=True,
                    conn=conn,
                )

    async def list_limits(
        self, application_id: str, feature: str | None = None
    ) -> builtins.list[FeatureLimit]:
        """The application's configured limits, by feature and tier."""
        await self.ensure_defaults(application_id)
        return await self._repo.list_limits(application_id, feature=feature)

    async def set_limit(
        self,
        application_id: str,
        feature: object,
        tier: object,
        *,
        limit: float | None,
        overage: str | OveragePolicy | None = None,
        overage_unit_price: float | None = None,
        description: str | None = None,
    ) -> FeatureLimit:
        """Create or change the limit of ``feature`` for ``tier`` (``limit`` ``None``:
        unlimited). Unset options keep their current value (new rows: ``reject``, price 0,
        the description of the feature's other tiers)."""
        from .whitelist import validate_tier

        name = validate_feature_name(feature)
        tier_name = validate_tier(tier)
        if limit is not None and (not math.isfinite(limit) or limit < 0):
            raise InvalidError(
                "limit must be a non-negative number", code=ErrorCode.VALIDATION_ERROR
            )
        try:
            policy = OveragePolicy(overage) if overage is not None else None
        except ValueError:
            raise InvalidError(
                "overage must be 'reject' or 'allow'", code=ErrorCode.VALIDATION_ERROR
            ) from None
        if overage_unit_price is not None and (
            not math.isfinite(overage_unit_price) or overage_unit_price < 0
        ):
            raise InvalidError(
                "overage_unit_price must be a non-negative number", code=ErrorCode.VALIDATION_ERROR
            )
        await self.ensure_defaults(application_id)
        existing = await self._repo.list_limits(application_id, feature=name)
        same = next((row for row in existing if row.tier == tier_name), None)
        sibling = same or (existing[0] if existing else None)
        now = self._clock.now()
        row = FeatureLimit(
            application_id=application_id,
            feature=name,
            tier=tier_name,
            description=description
            if description is not None
            else (sibling.description if sibling else None),
            limit=None if limit is None else float(limit),
            overage=policy or (same.overage if same else OveragePolicy.REJECT),
            overage_unit_price=overage_unit_price
            if overage_unit_price is not None
            else (same.overage_unit_price if same else 0.0),
            created_at=same.created_at if same else now,
            updated_at=now,
        )
        await self._repo.put_limit(row)
        return row

    async def remove_limit(
        self, application_id: str, feature: object, tier: str | None = None
    ) -> int:
        """Remove a feature's limit for ``tier`` (or all tiers); ``NotFoundError`` if none."""
        name = validate_feature_name(feature)
        await self.ensure_defaults(application_id)
        removed = await self._repo.delete_limits(application_id, name, tier=tier)
        if not removed:
            raise NotFoundError(
                f"No usage feature {name!r}" + (f" for tier {tier!r}" if tier else ""),
                code=ErrorCode.USAGE_FEATURE_NOT_FOUND,
            )
        return removed

    async def load_seed(self, application_id: str, value: Any) -> None:
        """Apply a seed file's ``usage`` section: ``{"features": [{"name", "description"?,
        "overage"?, "overage_unit_price"?, "limits": {tier: number | null}}]}``."""
        if not isinstance(value, Mapping) or set(value) - {"features"}:
            raise InvalidError(
                "'usage' must be an object with a 'features' list", code=ErrorCode.INVALID_SEED
            )
        items = value.get("features", [])
        if not isinstance(items, builtins.list):
            raise InvalidError("usage.features must be a list", code=ErrorCode.INVALID_SEED)
        for index, item in enumerate(items):
            where = f"usage.features[{index}]"
            if not isinstance(item, Mapping):
                raise InvalidError(f"{where} must be an object", code=ErrorCode.INVALID_SEED)
            unknown = set(item) - {"name", "description", "overage", "overage_unit_price", "limits"}
            if unknown:
                raise InvalidError(
                    f"{where} has unknown keys {sorted(unknown)}", code=ErrorCode.INVALID_SEED
                )
            limits = item.get("limits")
            if not isinstance(limits, Mapping) or not limits:
                raise InvalidError(
                    f"{where}.limits must be an object of tier: limit", code=ErrorCode.INVALID_SEED
                )
            price = item.get("overage_unit_price")
            for tier, limit in limits.items():
                if limit is not None and (
                    isinstance(limit, bool) or not isinstance(limit, (int, float))
                ):
                    raise InvalidError(
                        f"{where}.limits.{tier} must be a number or null",
                        code=ErrorCode.INVALID_SEED,
                    )
                if price is not None and (
                    isinstance(price, bool) or not isinstance(price, (int, float))
                ):
                    raise InvalidError(
                        f"{where}.overage_unit_price must be a number", code=ErrorCode.INVALID_SEED
                    )
                await self.set_limit(
                    application_id,
                    item.get("name"),
                    tier,
                    limit=None if limit is None else float(limit),
                    overage=item.get("overage"),
                    overage_unit_price=None if price is None else float(price),
                    description=item.get("description"),
                )

    # --- periods and tiers ---------------------------------------------------------------

    async def period_for(
        self,
        application_id: str,
        user_id: str,
        now: datetime,
        *,
        conn: AsyncConnection | None = None,
    ) -> BillingPeriod:
        """The user's billing period at ``now``."""
        if self.period_resolver is not None:
            period = await self.period_resolver(application_id, user_id, now, conn)
            if period is not None and period.contains(now):
                return period
        return calendar_month(now)

    async def usage_tier(
        self,
        application_id: str,
        tier: str,
        email: str | None,
        *,
        conn: AsyncConnection | None = None,
    ) -> str:
        """The tier whose limits apply to a user."""
        if self._whitelisted is not None and await self._whitelisted(application_id, email, conn):
            return WHITELISTED_TIER
        return tier

    @staticmethod
    def _pick(rows: Sequence[FeatureLimit], tier: str) -> FeatureLimit | None:
        by_tier = {row.tier: row for row in rows}
        return by_tier.get(tier) or by_tier.get(FALLBACK_TIER)

    async def _limit_for(
        self, application_id: str, feature: str, tier: str, conn: AsyncConnection | None
    ) -> FeatureLimit:
        await self.ensure_defaults(application_id, conn=conn)
        rows = await self._repo.list_limits(application_id, feature=feature, conn=conn)
        row = self._pick(rows, tier)
        if row is None:
            raise NotFoundError(
                f"Unknown usage feature {feature!r} for tier {tier!r}",
                code=ErrorCode.USAGE_FEATURE_NOT_FOUND,
            )
        return row

    # --- reading -------------------------------------------------------------------------

    async def features(
        self, application_id: str, user_id: str, *, tier: str, email: str | None
    ) -> dict[str, Any]:
        """The contract's ``UsageFeaturesResponse``: the period, and per feature the amount
        used, the limit, the percentage, when it resets and the overage policy."""
        now = self._clock.now()
        limits_tier = await self.usage_tier(application_id, tier, email)
        period = await self.period_for(application_id, user_id, now)
        rows = await self.list_limits(application_id)
        used = await self._repo.counters(application_id, user_id, period)
        overage = await self._repo.overage_in_period(application_id, user_id, period)
        names = sorted({row.feature for row in rows})
        features: builtins.list[dict[str, Any]] = []
        charges: builtins.list[dict[str, Any]] = []
        allowed = False
        for name in names:
            row = self._pick([r for r in rows if r.feature == name], limits_tier)
            if row is None:
                continue
            amount = used.get(name, 0.0)
            allowed = allowed or row.overage is OveragePolicy.ALLOW
            over_quantity, over_cost = overage.get(name, (0.0, 0.0))
            features.append(
                {
                    "name": name,
                    "description": row.description,
                    "used": _number(amount),
                    "limit": None if row.limit is None else _number(row.limit),
                    "remaining": None
                    if row.limit is None
                    else _number(max(row.limit - amount, 0.0)),
                    "percentage": _percentage(amount, row.limit),
                    "reset_at": iso(period.end),
                    "overage_policy": row.overage.value,
                    "overage_unit_price": row.overage_unit_price,
                    "overage_used": _number(over_quantity),
                }
            )
            if over_quantity:
                charges.append(
                    {
                        "feature": name,
                        "quantity": _number(over_quantity),
                        "unit_price": row.overage_unit_price,
                        "amount": round(over_cost, 6),
                    }
                )
        return {
            "user_id": user_id,
            "tier": tier,
            "limits_tier": limits_tier,
            "period": {"start": iso(period.start), "end": iso(period.end - timedelta(seconds=1))},
            "features": features,
            "overage": {"allowed": allowed, "charges": charges},
        }

    # --- recording -----------------------------------------------------------------------

    async def record(
        self,
        application_id: str,
        user_id: str,
        *,
        tier: str,
        email: str | None,
        feature: object,
        quantity: object,
        timestamp: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        conn: AsyncConnection | None = None,
    ) -> UsageRecord:
        """Record ``quantity`` of ``feature`` for the user in the current billing period.

        ``timestamp`` (ISO-8601) dates the event for history; it must fall in the current
        period and not be in the future. Runs in ``conn``'s transaction when given (the
        idempotency layer passes one, so the record and its stored reply commit together).
        """
        name = validate_feature_name(feature)
        amount = validate_quantity(quantity)
        meta = dict(metadata or {})
        if len(json.dumps(meta, default=str)) > MAX_METADATA_BYTES:
            raise InvalidError(
                f"metadata is limited to {MAX_METADATA_BYTES} bytes of JSON",
                code=ErrorCode.VALIDATION_ERROR,
            )
        now = self._clock.now()
        stamp = parse_timestamp(timestamp) if timestamp is not None else None
        # Every read runs on the record's own connection: holding a write transaction while
        # waiting for a second pooled connection would stall concurrent records.
        async with self._db.use(conn) as c:
            period = await self.period_for(application_id, user_id, now, conn=c)
            recorded_at = now
            if stamp is not None:
                if stamp > now + CLOCK_SKEW or stamp < period.start:
                    raise InvalidError(
                        "timestamp must lie in the current billing period "
                        f"({iso(period.start)} to now) and not in the future",
                        code=ErrorCode.INVALID_USAGE_TIMESTAMP,
                    )
                recorded_at = min(stamp, now)
            limits_tier = await self.usage_tier(application_id, tier, email, conn=c)
            row = await self._limit_for(application_id, name, limits_tier, c)
            result = await self._apply(
                application_id, user_id, name, amount, period, row, recorded_at, meta, now, c
            )
        self._records.inc(
            feature=name, outcome="overage" if result.overage_quantity else "recorded"
        )
        self._quantity.inc(amount, feature=name)
        return result

    async def _apply(
        self,
        application_id: str,
        user_id: str,
        feature: str,
        amount: float,
        period: BillingPeriod,
        row: FeatureLimit,
        recorded_at: datetime,
        metadata: dict[str, Any],
        now: datetime,
        conn: AsyncConnection,
    ) -> UsageRecord:
        cap = row.limit if row.overage is OveragePolicy.REJECT else None
        await self._repo.ensure_counter(application_id, user_id, feature, period, conn=conn)
        used_after = await self._repo.add_to_counter(
            application_id, user_id, feature, period, amount, limit=cap, conn=conn
        )
        if used_after is None:
            used = await self._repo.counter_used(
                application_id, user_id, feature, period, conn=conn
            )
            self._records.inc(feature=feature, outcome="rejected")
            limit = row.limit or 0.0
            raise PaymentRequiredError(
                f"Usage limit reached for {feature}: {_number(used)} of {_number(limit)} used, "
                f"{_number(amount)} more requested",
                code=ErrorCode.USAGE_LIMIT_EXCEEDED,
                details={
                    "feature": feature,
                    "used": _number(used),
                    "limit": _number(limit),
                    "requested": _number(amount),
                    "remaining": _number(max(limit - used, 0.0)),
                    "reset_at": iso(period.end),
                },
            )
        over = 0.0
        if row.limit is not None and row.overage is OveragePolicy.ALLOW:
            # The counter's old value is exact (it came from the same atomic UPDATE), so the
            # part past the limit is attributed to exactly the records that crossed it.
            over = used_after - max(row.limit, used_after - amount)
            over = max(over, 0.0)
        record = UsageRecord(
            id=new_id("usage"),
            application_id=application_id,
            user_id=user_id,
            feature=feature,
            quantity=amount,
            overage_quantity=over,
            cost=round(over * row.overage_unit_price, 6),
            recorded_at=recorded_at,
            period=period,
            metadata=metadata,
            created_at=now,
            used_after=used_after,
            limit=row.limit,
        )
        await self._repo.insert_record(record, conn=conn)
        return record

    @staticmethod
    def warning_for(record: UsageRecord) -> str | None:
        """The threshold message when this record crossed 80 % or 100 % of the limit (or
        added overage), else ``None``."""
        if record.limit is None:
            return None
        name = record.feature
        limit = record.limit
        after = _percentage(record.used_after, limit) or 0.0
        before = _percentage(record.used_after - record.quantity, limit) or 0.0
        if record.overage_quantity:
            return (
                f"{name}: over the limit of {_number(limit)}; {_number(record.overage_quantity)} "
                "recorded as overage"
            )
        if before < 100.0 <= after:
            return (
                f"{name}: 100% of the limit used ({_number(record.used_after)} of {_number(limit)})"
            )
        if before < 80.0 <= after:
            return (
                f"{name}: 80% of the limit used ({_number(record.used_after)} of {_number(limit)})"
            )
        return None

    @staticmethod
    def record_json(record: UsageRecord) -> dict[str, Any]:
        """The contract's ``UsageRecordResult``."""
        limit = record.limit
        return {
            "record_id": record.id,
            "feature": record.feature,
            "quantity": _number(record.quantity),
            "recorded_at": iso(record.recorded_at),
            "current_usage": {
                "used": _number(record.used_after),
                "limit": None if limit is None else _number(limit),
                "remaining": None
                if limit is None
                else _number(max(limit - record.used_after, 0.0)),
            },
            "overage_quantity": _number(record.overage_quantity),
            "cost": record.cost,
            "period": {"start": iso(record.period.start), "end": iso(record.period.end)},
            "warning": UsageService.warning_for(record),
        }

    # --- history -------------------------------------------------------------------------

    async def history(
        self,
        application_id: str,
        user_id: str,
        *,
        period: str | None = None,
        start_date: str | None = None,
        end_date: str | None = None,
        feature: str | None = None,
        format: str | None = None,
    ) -> dict[str, Any]:
        """The contract's ``UsageHistoryResponse``: quantities per UTC day, ISO week (labelled
        by its Monday) or calendar month in ``[start_date, end_date]``, every bucket of the
        range listed; ``summary`` totals per feature and cost, and per billing period."""
        granularity = _PERIODS.get((period or "daily").strip().lower())
        if granularity is None:
            raise InvalidError(
                "period must be daily, weekly or monthly", code=ErrorCode.INVALID_HISTORY_QUERY
            )
        if format is not None and format.strip().lower() != "json":
            raise InvalidError("format must be json", code=ErrorCode.INVALID_HISTORY_QUERY)
        now = self._clock.now()
        today = now.date()
        first = (
            _parse_day(start_date, "start_date")
            if start_date
            else (await self.period_for(application_id, user_id, now)).start.date()
        )
        last = _parse_day(end_date, "end_date") if end_date else max(today, first)
        if first > last:
            raise InvalidError(
                "start_date must not be after end_date", code=ErrorCode.INVALID_HISTORY_QUERY
            )
        if (last - first).days >= MAX_HISTORY_DAYS:
            raise InvalidError(
                f"the range is limited to {MAX_HISTORY_DAYS} days",
                code=ErrorCode.INVALID_HISTORY_QUERY,
            )
        wanted = [validate_feature_name(feature)] if feature else None
        rows = await self._repo.daily_totals(
            application_id, user_id, first.isoformat(), last.isoformat(), features=wanted
        )
        configured = {row.feature for row in await self.list_limits(application_id)}
        names = sorted(set(wanted) if wanted else configured | {r[2] for r in rows})
        buckets: dict[date, dict[str, float]] = {}
        costs: dict[date, float] = {}
        cursor = _bucket(first, granularity)
        while cursor <= last:
            buckets[cursor] = dict.fromkeys(names, 0.0)
            costs[cursor] = 0.0
            cursor = _next_bucket(cursor, granularity)
        totals = dict.fromkeys(names, 0.0)
        by_period: dict[datetime, dict[str, float]] = {}
        total_cost = 0.0
        for day_text, period_start, name, quantity, cost in rows:
            key = _bucket(date.fromisoformat(day_text), granularity)
            buckets[key][name] = buckets[key].get(name, 0.0) + quantity
            costs[key] += cost
            totals[name] = totals.get(name, 0.0) + quantity
            total_cost += cost
            slot = by_period.setdefault(period_start, {})
            slot[name] = slot.get(name, 0.0) + quantity
        summary: dict[str, Any] = {f"total_{name}": _number(v) for name, v in totals.items()}
        summary["total_cost"] = round(total_cost, 6)
        summary["billing_periods"] = [
            {
                "start": iso(start),
                "features": {k: _number(v) for k, v in sorted(values.items())},
            }
            for start, values in sorted(by_period.items())
        ]
        return {
            "period": granularity,
            "start_date": first.isoformat(),
            "end_date": last.isoformat(),
            "history": [
                {
                    "date": key.isoformat(),
                    "features": {k: _number(v) for k, v in values.items()},
                    "total_cost": round(costs[key], 6),
                }
                for key, values in buckets.items()
            ],
            "summary": summary,
        }
