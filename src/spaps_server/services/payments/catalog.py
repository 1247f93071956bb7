"""The product catalogue: products and their one-time or recurring prices, per application.

Products are created by ``spaps products create``, the seed file's ``products`` section and
the default seed; they are archived (``active`` false, prices too) rather than deleted, so
subscriptions and past charges keep pointing at something real.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from ...domain.clock import Clock
from ...domain.error_codes import ErrorCode
from ...domain.errors import ConflictError, InvalidError, NotFoundError
from ...domain.ids import new_id
from ...domain.payments import CheckoutMode, Price, PriceType, Product
from ...storage.database import Database
from ...storage.payments import CatalogRepository

MAX_PAGE_SIZE = 100
INTERVALS = ("day", "week", "month", "year")
_ID = re.compile(r"^[A-Za-z0-9_]{3,64}$")
_CURRENCY = re.compile(r"^[a-z]{3}$")
# Stripe's ceiling for a unit amount (99,999,999.99 in a two-decimal currency).
MAX_UNIT_AMOUNT = 99_999_999_99


def _invalid(message: str) -> InvalidError:
    return InvalidError(message, code=ErrorCode.INVALID_PRODUCT)


def _optional_id(value: Any, prefix: str, what: str) -> str:
    if value is None:
        return new_id(prefix)
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise _invalid(f"{what} id must be 3-64 letters, digits or '_'")
    return value


def parse_price(
    raw: Mapping[str, Any], *, application_id: str, product_id: str, clock: Clock
) -> Price:
    """A price from ``{id?, unit_amount, currency?, interval?, interval_count?, nickname?,
    active?}``: recurring when ``interval`` is given, one-time otherwise."""
    unknown = set(raw) - {
        "id",
        "unit_amount",
        "currency",
        "interval",
        "interval_count",
        "nickname",
        "active",
        "type",
    }
    if unknown:
        raise _invalid(f"unknown price fields {sorted(unknown)}")
    amount = raw.get("unit_amount")
    if (
        isinstance(amount, bool)
        or not isinstance(amount, int)
        or not 0 <= amount <= MAX_UNIT_AMOUNT
    ):
        raise _invalid("unit_amount must be a whole number of minor units (e.g. cents), >= 0")
    currency = raw.get("currency", "usd")
    if not isinstance(currency, str) or not _CURRENCY.fullmatch(currency.lower()):
        raise _invalid("currency must be a three-letter ISO code such as 'usd'")
    interval = raw.get("interval")
    declared = raw.get("type")
    if declared not in (None, PriceType.ONE_TIME.value, PriceType.RECURRING.value):
        raise _invalid("type must be 'one_time' or 'recurring'")
    if interval is not None and interval not in INTERVALS:
        raise _invalid(f"interval must be one of {', '.join(INTERVALS)}")
    if declared == PriceType.RECURRING.value and interval is None:
        raise _invalid("a recurring price needs an interval")
    if declared == PriceType.ONE_TIME.value and interval is not None:
        raise _invalid("a one-time price has no interval")
    count = raw.get("interval_count", 1)
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 365:
        raise _invalid("interval_count must be a whole number from 1 to 365")
    nickname = raw.get("nickname")
    if nickname is not None and (not isinstance(nickname, str) or len(nickname) > 200):
        raise _invalid("nickname must be a string of at most 200 characters")
    active = raw.get("active", True)
    if not isinstance(active, bool):
        raise _invalid("active must be a boolean")
    return Price(
        id=_optional_id(raw.get("id"), "price", "a price"),
        application_id=application_id,
        product_id=product_id,
        unit_amount=amount,
        currency=currency.lower(),
        type=PriceType.RECURRING if interval else PriceType.ONE_TIME,
        interval=interval,
        interval_count=count if interval else 1,
        nickname=nickname,
        active=active,
        created_at=clock.now(),
    )


class CatalogService:
    """Products and prices of each application."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock
        self.repository = CatalogRepository(db)

    async def list_products(
        self,
        application_id: str,
        *,
        category: str | None = None,
        active: bool | None = None,
        limit: int | None = None,
        starting_after: str | None = None,
        mode: str | None = None,
    ) -> tuple[list[Product], int]:
        """Products matching the filters (oldest first) and how many match in all.
        ``mode`` ``payment`` keeps products with a one-time price, ``subscription`` those
        with a recurring one."""
        if limit is not None and not 1 <= limit <= MAX_PAGE_SIZE:
            raise InvalidError(
                f"limit must be between 1 and {MAX_PAGE_SIZE}", code=ErrorCode.VALIDATION_ERROR
            )
        price_type = None
        if mode is not None:
            price_type = _price_type_for_mode(mode)
        return await self.repository.list_products(
            application_id,
            category=category or None,
            active=active,
            price_type=price_type,
            limit=limit,
            starting_after=starting_after,
        )

    async def get_product(self, application_id: str, product_id: str) -> Product:
        """One product with its prices, or 404 ``NOT_FOUND``."""
        product = await self.repository.get_product(application_id, product_id)
        if product is None:
            raise NotFoundError(f"Product {product_id} not found", code=ErrorCode.NOT_FOUND)
        return product

    async def get_price(
        self, application_id: str, price_id: object, *, conn: AsyncConnection | None = None
    ) -> tuple[Price, Product]:
        """An active price of an active product and its product, or 400 ``INVALID_PRICE``."""
        if not isinstance(price_id, str) or not price_id:
            raise InvalidError("price_id is required", code=ErrorCode.INVALID_PRICE)
        price = await self.repository.get_price(application_id, price_id, conn=conn)
        product = (
            await self.repository.get_product(application_id, price.product_id, conn=conn)
            if price is not None
            else None
        )
        if price is None or product is None:
            raise InvalidError(f"No such price: {price_id}", code=ErrorCode.INVALID_PRICE)
        if not price.active or not product.active:
            raise InvalidError(
                f"The price {price_id} is archived and cannot be bought",
                code=ErrorCode.INVALID_PRICE,
            )
        return price, product

    async def create_product(
        self, application_id: str, spec: Mapping[str, Any], *, conn: AsyncConnection | None = None
    ) -> Product:
        """Create a product from ``{id?, name, description?, category?, tier?, images?,
        metadata?, active?, prices: [...]}`` (see :func:`parse_price`); ``tier`` is stored as
        ``metadata["tier"]``. 409 ``CONFLICT`` if the id is taken."""
        product = self.build_product(application_id, spec)
        try:
            async with self._db.use(conn) as c:
                await self.repository.insert_product(product, conn=c)
        except IntegrityError:
            raise ConflictError(
                "A product or price with this id already exists", code=ErrorCode.CONFLICT
            ) from None
        return product

    def build_product(self, application_id: str, spec: Mapping[str, Any]) -> Product:
        """Validate a product specification (see :meth:`create_product`) without storing it."""
        unknown = set(spec) - {
            "id",
            "name",
            "description",
            "category",
            "tier",
            "images",
            "metadata",
            "active",
            "prices",
            "default_price",
        }
        if unknown:
            raise _invalid(f"unknown product fields {sorted(unknown)}")
        name = spec.get("name")
        if not isinstance(name, str) or not name.strip() or len(name) > 200:
            raise _invalid("a product needs a name of 1-200 characters")
        product_id = _optional_id(spec.get("id"), "prod", "a product")
        metadata = spec.get("metadata") or {}
        if not isinstance(metadata, Mapping):
            raise _invalid("metadata must be an object")
        metadata = dict(metadata)
        tier = spec.get("tier")
        if tier is not None:
            if not isinstance(tier, str) or not re.match(
                r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$", tier
            ):
                raise _invalid("tier must be 1-64 letters, digits, '_', '.', '-'")
            metadata["tier"] = tier
        images = spec.get("images") or []
        if not isinstance(images, list) or not all(isinstance(i, str) for i in images):
            raise _invalid("images must be a list of URLs")
        for field in ("description", "category"):
            value = spec.get(field)
            if value is not None and not isinstance(value, str):
                raise _invalid(f"{field} must be a string")
        active = spec.get("active", True)
        if not isinstance(active, bool):
            raise _invalid("active must be a boolean")
        raw_prices = spec.get("prices") or []
        if not isinstance(raw_prices, list) or not all(isinstance(p, Mapping) for p in raw_prices):
            raise _invalid("prices must be a list of objects")
        product_prices = tuple(
            parse_price(p, application_id=application_id, product_id=product_id, clock=self._clock)
            for p in raw_prices
        )
        ids = [p.id for p in product_prices]
        if len(set(ids)) != len(ids):
            raise _invalid("price ids must be unique")
        default = spec.get("default_price")
        if default is not None and default not in ids:
            raise _invalid("default_price must be the id of one of the product's prices")
        now = self._clock.now()
        return Product(
            id=product_id,
            application_id=application_id,
            name=name.strip(),
            description=spec.get("description"),
            category=spec.get("category"),
            active=active,
            images=list(images),
            metadata=metadata,
            default_price_id=default or (ids[0] if ids else None),
            created_at=now,
            updated_at=now,
            prices=product_prices,
        )

    async def archive_product(self, application_id: str, product_id: str) -> Product:
        """Archive a product and its prices (they can no longer be bought); 404 otherwise."""
        found = await self.repository.set_product_active(
            application_id, product_id, False, self._clock.now()
        )
        if not found:
            raise NotFoundError(f"Product {product_id} not found", code=ErrorCode.NOT_FOUND)
        return await self.get_product(application_id, product_id)

    async def ensure_products(
        self, application_id: str, specs: Sequence[Mapping[str, Any]]
    ) -> list[Product]:
        """Create each product of ``specs`` whose id does not exist yet (seeding runs at
        every start and must not duplicate or overwrite what a user changed)."""
        made: list[Product] = []
        for index, spec in enumerate(specs):
            if not isinstance(spec, Mapping):
                raise _invalid(f"products[{index}] must be an object")
            existing = (
                await self.repository.get_product(application_id, spec["id"])
                if isinstance(spec.get("id"), str)
                else None
            )
            made.append(existing or await self.create_product(application_id, spec))
        return made


def _price_type_for_mode(mode: str) -> PriceType:
    try:
        checkout_mode = CheckoutMode(mode)
    except ValueError:
        raise InvalidError(
            "mode must be 'payment' or 'subscription'", code=ErrorCode.INVALID_CHECKOUT_MODE
        ) from None
    return PriceType.ONE_TIME if checkout_mode is CheckoutMode.PAYMENT else PriceType.RECURRING
