"""Checkout sessions: created by a signed-in user or a guest, paid on the hosted page (or its
scripted twin), expired by time or through the API, and, for guests, converted to an account.

Every state change is one method on one database connection (``conn=`` joins the caller's
transaction): created, paid (charge + subscription + tier), declined (a failed charge; the
session stays open), waiting for 3-D Secure, expired, converted. A session is paid at most
once: the row is locked (``SELECT ... FOR UPDATE`` on PostgreSQL, SQLite's write lock) and
its status checked inside the paying transaction.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any
from urllib.parse import quote, urlsplit

from sqlalchemy.ext.asyncio import AsyncConnection

from ...domain.clock import Clock
from ...domain.emails import normalize_email
from ...domain.error_codes import ErrorCode
from ...domain.errors import ConflictError, InvalidError, NotFoundError
from ...domain.ids import new_id
from ...domain.payments import (
    CheckoutMode,
    CheckoutSession,
    CheckoutStatus,
    LineItem,
    PriceType,
)
from ...domain.webhooks import EventType
from ...storage.database import Database
from ...storage.payments import CheckoutRepository
from ...storage.users import UsersRepository
from ..auth_common import ClientInfo
from ..metrics import MetricsRegistry
from ..one_time_links import OneTimeLinkService
from ..users import UserAccounts
from .billing import BillingService, CardUsed
from .cards import AUTHENTICATION_FAILED, CardCheck, CardOutcome, Decline, check_card
from .catalog import MAX_PAGE_SIZE, CatalogService

DEFAULT_LIFETIME = timedelta(hours=24)
MAX_LINE_ITEMS = 20
MAX_QUANTITY = 1000
_MAX_METADATA_KEYS = 50
SESSION_ID_PLACEHOLDER = "{CHECKOUT_SESSION_ID}"


class PayStatus(str, enum.Enum):
    """What an attempt to pay a session did."""

    SUCCEEDED = "succeeded"
    DECLINED = "declined"
    REQUIRES_ACTION = "requires_action"


@dataclasses.dataclass(frozen=True)
class PayResult:
    """The outcome of a payment attempt and where the payer's browser goes next."""

    status: PayStatus
    session: CheckoutSession
    redirect_url: str | None = None
    decline: Decline | None = None


@dataclasses.dataclass(frozen=True)
class ConversionResult:
    """A guest checkout linked to an account."""

    user_id: str
    message: str
    magic_link_sent: bool
    created: bool


def success_redirect(session: CheckoutSession) -> str:
    """``success_url`` with ``{CHECKOUT_SESSION_ID}`` replaced by the session id, as Stripe
    does (the placeholder may appear raw or percent-encoded)."""
    url = session.success_url
    for placeholder in (SESSION_ID_PLACEHOLDER, quote(SESSION_ID_PLACEHOLDER, safe="")):
        url = url.replace(placeholder, session.id)
    return url


def _redirect_url(value: object, name: str) -> str:
    if not isinstance(value, str) or not value:
        raise InvalidError(f"{name} is required", code=ErrorCode.INVALID_REDIRECT_URL)
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(value) > 2048:
        raise InvalidError(
            f"{name} must be an absolute http(s) URL", code=ErrorCode.INVALID_REDIRECT_URL
        )
    return value


def _metadata(value: object) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping) or len(value) > _MAX_METADATA_KEYS:
        raise InvalidError(
            f"metadata must be an object of at most {_MAX_METADATA_KEYS} keys",
            code=ErrorCode.VALIDATION_ERROR,
        )
    return {str(k): v for k, v in value.items()}


def _mode(value: object) -> CheckoutMode:
    try:
        return CheckoutMode(value)
    except ValueError:
        raise InvalidError(
            "mode must be 'payment' or 'subscription'", code=ErrorCode.INVALID_CHECKOUT_MODE
        ) from None


def _not_found(session_id: str) -> NotFoundError:
    return NotFoundError(
        f"Checkout session {session_id} not found", code=ErrorCode.CHECKOUT_SESSION_NOT_FOUND
    )


class CheckoutService:
    """Checkout sessions of each application."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        metrics: MetricsRegistry,
        catalog: CatalogService,
        billing: BillingService,
        accounts: UserAccounts,
        links: OneTimeLinkService,
        *,
        base_url: str,
        lifetime: timedelta = DEFAULT_LIFETIME,
    ) -> None:
        self._db = db
        self._clock = clock
        self._catalog = catalog
        self._billing = billing
        self._accounts = accounts
        self._links = links
        self._users = UsersRepository(db)
        self.repository = CheckoutRepository(db)
        self.base_url = base_url.rstrip("/")
        self.lifetime = lifetime
        self._outcomes = metrics.counter(
            "spaps_checkouts_total",
            "Checkout sessions by outcome (created, completed, declined, expired, ...)",
            ("outcome",),
        )

    def checkout_url(self, session_id: str) -> str:
        """The hosted checkout page of a session on this server."""
        return f"{self.base_url}/checkout/{session_id}"

    # --- creating ---------------------------------------------------------------------

    async def _line_items(
        self,
        application_id: str,
        mode: CheckoutMode,
        raw_items: Sequence[Mapping[str, Any]],
        conn: AsyncConnection | None,
    ) -> tuple[LineItem, ...]:
        if not raw_items or len(raw_items) > MAX_LINE_ITEMS:
            raise InvalidError(
                f"between 1 and {MAX_LINE_ITEMS} line items are required",
                code=ErrorCode.INVALID_LINE_ITEMS,
            )
        items: list[LineItem] = []
        for raw in raw_items:
            if not isinstance(raw, Mapping):
                raise InvalidError("a line item is an object", code=ErrorCode.INVALID_LINE_ITEMS)
            quantity = raw.get("quantity", 1)
            if isinstance(quantity, bool) or not isinstance(quantity, int):
                raise InvalidError(
                    "quantity must be a whole number", code=ErrorCode.INVALID_LINE_ITEMS
                )
            if not 1 <= quantity <= MAX_QUANTITY:
                raise InvalidError(
                    f"quantity must be between 1 and {MAX_QUANTITY}",
                    code=ErrorCode.INVALID_LINE_ITEMS,
                )
            price, product = await self._catalog.get_price(
                application_id, raw.get("price_id", raw.get("price")), conn=conn
            )
            wanted = (
                PriceType.RECURRING if mode is CheckoutMode.SUBSCRIPTION else PriceType.ONE_TIME
            )
            if price.type is not wanted:
                kind = "recurring" if price.type is PriceType.RECURRING else "one-time"
                raise InvalidError(
                    f"You specified {mode.value} mode but passed a {kind} price ({price.id})",
                    code=ErrorCode.INVALID_PRICE,
                )
            items.append(
                LineItem(
                    price_id=price.id,
                    product_id=product.id,
                    quantity=quantity,
                    unit_amount=price.unit_amount,
                    currency=price.currency,
                    description=product.name + (f" ({price.nickname})" if price.nickname else ""),
                    interval=price.interval,
                    interval_count=price.interval_count,
                )
            )
        if len({item.currency for item in items}) != 1:
            raise InvalidError(
                "all line items must have the same currency", code=ErrorCode.INVALID_LINE_ITEMS
            )
        if mode is CheckoutMode.SUBSCRIPTION and len(items) != 1:
            raise InvalidError(
                "a subscription checkout has exactly one line item",
                code=ErrorCode.INVALID_LINE_ITEMS,
            )
        return tuple(items)

    async def create(
        self,
        application_id: str,
        *,
        user_id: str | None,
        customer_email: str | None,
        mode: object,
        line_items: Sequence[Mapping[str, Any]],
        success_url: object,
        cancel_url: object,
        metadata: object = None,
        client_reference_id: str | None = None,
        session_id: str | None = None,
        conn: AsyncConnection | None = None,
    ) -> CheckoutSession:
        """Create an open session for a user (``user_id``) or a guest (``user_id`` None,
        ``customer_email`` required). 400 ``INVALID_PRICE``, ``INVALID_CHECKOUT_MODE``,
        ``INVALID_LINE_ITEMS`` or ``INVALID_REDIRECT_URL`` for bad input."""
        checkout_mode = _mode(mode)
        success = _redirect_url(success_url, "success_url")
        cancel = _redirect_url(cancel_url, "cancel_url")
        meta = _metadata(metadata)
        email = normalize_email(customer_email) if customer_email is not None else None
        if user_id is None and email is None:
            raise InvalidError(
                "customer_email is required for guest checkout", code=ErrorCode.INVALID_EMAIL
            )
        if client_reference_id is not None and (
            not isinstance(client_reference_id, str) or len(client_reference_id) > 200
        ):
            raise InvalidError(
                "client_reference_id must be a string of at most 200 characters",
                code=ErrorCode.VALIDATION_ERROR,
            )
        async with self._db.use(conn) as c:
            items = await self._line_items(application_id, checkout_mode, line_items, c)
            now = self._clock.now()
            session = CheckoutSession(
                id=session_id or new_id("cs_test"),
                application_id=application_id,
                user_id=user_id,
                is_guest=user_id is None,
                customer_email=email,
                mode=checkout_mode,
                status=CheckoutStatus.OPEN,
                payment_status="unpaid",
                currency=items[0].currency,
                amount_total=sum(item.amount for item in items),
                line_items=items,
                success_url=success,
                cancel_url=cancel,
                client_reference_id=client_reference_id,
                metadata=meta,
                payment_intent_id=None,
                subscription_id=None,
                pending_authentication=False,
                created_at=now,
                expires_at=now + self.lifetime,
            )
            await self.repository.insert(session, conn=c)
        self._outcomes.inc(outcome="created")
        return session

    async def create_for_user(
        self,
        application_id: str,
        user_id: str,
        *,
        price_id: object,
        mode: object,
        success_url: object,
        cancel_url: object,
        metadata: object = None,
        conn: AsyncConnection | None = None,
    ) -> CheckoutSession:
        """A signed-in user's session for one price (``create-checkout-session``)."""
        user = await self._users.get(application_id, user_id, conn=conn)
        return await self.create(
            application_id,
            user_id=user_id,
            customer_email=user.email if user else None,
            mode=mode,
            line_items=[{"price_id": price_id, "quantity": 1}],
            success_url=success_url,
            cancel_url=cancel_url,
            metadata=metadata,
            conn=conn,
        )

    # --- reading and expiring ---------------------------------------------------------

    async def _settle_expiry(
        self, session: CheckoutSession, conn: AsyncConnection | None = None
    ) -> CheckoutSession:
        if session.status is CheckoutStatus.OPEN and self._clock.now() >= session.expires_at:
            async with self._db.use(conn) as c:
                return await self._expire(c, session.id)
        return session

    async def _expire(self, conn: AsyncConnection, session_id: str) -> CheckoutSession:
        """Expire one open session (the locked row is re-checked)."""
        current = await self.repository.get(session_id, for_update=True, conn=conn)
        if current is None:
            raise _not_found(session_id)
        if current.status is CheckoutStatus.OPEN:
            await self.repository.update(
                session_id,
                {"status": CheckoutStatus.EXPIRED.value, "pending_authentication": False},
                conn=conn,
            )
            self._outcomes.inc(outcome="expired")
            current = dataclasses.replace(
                current, status=CheckoutStatus.EXPIRED, pending_authentication=False
            )
            await self._billing.events.checkout(conn, EventType.CHECKOUT_SESSION_EXPIRED, current)
        return current

    async def expire_due(self, application_id: str | None = None) -> int:
        """Expire every open session past its expiry time; returns how many."""
        due = await self.repository.due_for_expiry(application_id, self._clock.now())
        if due:
            async with self._db.begin() as conn:
                for session_id in due:
                    await self._expire(conn, session_id)
        return len(due)

    async def find(
        self, session_id: str, *, conn: AsyncConnection | None = None
    ) -> CheckoutSession:
        """A session by id alone (the hosted page), expiry applied."""
        session = await self.repository.get(session_id, conn=conn)
        if session is None:
            raise _not_found(session_id)
        return await self._settle_expiry(session, conn)

    async def get(
        self, application_id: str, session_id: str, *, user_id: str | None, guest: bool
    ) -> CheckoutSession:
        """The user's session (``user_id``) or a guest session (``guest``), else 404."""
        session = await self.repository.get(session_id, application_id=application_id)
        if session is None or (guest and not session.is_guest):
            raise _not_found(session_id)
        if not guest and session.user_id != user_id:
            raise _not_found(session_id)
        return await self._settle_expiry(session)

    async def list_sessions(
        self,
        application_id: str,
        *,
        user_id: str | None,
        guest: bool,
        customer_email: str | None = None,
        limit: int | None = None,
        starting_after: str | None = None,
    ) -> tuple[list[CheckoutSession], bool]:
        """A user's sessions, or guest sessions (optionally of one e-mail), newest first."""
        size = 10 if limit is None else limit
        if not 1 <= size <= MAX_PAGE_SIZE:
            raise InvalidError(
                f"limit must be between 1 and {MAX_PAGE_SIZE}", code=ErrorCode.VALIDATION_ERROR
            )
        await self.expire_due(application_id)
        email = normalize_email(customer_email) if customer_email else None
        return await self.repository.page(
            application_id,
            user_id=user_id,
            guests=guest,
            customer_email=email,
            limit=size,
            starting_after=starting_after or None,
        )

    async def expire(
        self,
        application_id: str,
        session_id: str,
        *,
        user_id: str,
        conn: AsyncConnection | None = None,
    ) -> CheckoutSession:
        """Expire the user's open session (an expired one stays expired); 400
        ``CHECKOUT_SESSION_COMPLETE`` for a paid one."""
        async with self._db.use(conn) as c:
            session = await self.repository.get(
                session_id, application_id=application_id, for_update=True, conn=c
            )
            if session is None or session.user_id != user_id or session.is_guest:
                raise _not_found(session_id)
            if session.status is CheckoutStatus.COMPLETE:
                raise InvalidError(
                    "Only open checkout sessions can be expired; this one is complete",
                    code=ErrorCode.CHECKOUT_SESSION_COMPLETE,
                )
            return await self._expire(c, session_id)

    # --- paying -----------------------------------------------------------------------

    def _payable(self, session: CheckoutSession) -> None:
        if session.status is CheckoutStatus.COMPLETE:
            raise ConflictError(
                "This checkout session is already paid", code=ErrorCode.CHECKOUT_SESSION_COMPLETE
            )
        if not session.is_open_at(self._clock.now()):
            raise InvalidError(
                "This checkout session has expired", code=ErrorCode.CHECKOUT_SESSION_EXPIRED
            )

    async def pay(
        self,
        session_id: str,
        *,
        card_number: object,
        expiry: str | None = None,
        cvc: str | None = None,
        email: str | None = None,
        conn: AsyncConnection | None = None,
    ) -> PayResult:
        """Pay an open session with a card, as the hosted page's form does. A declined card
        records a failed charge and leaves the session open; Stripe's 3-D Secure card leaves
        it waiting for :meth:`authenticate`. 409 ``CHECKOUT_SESSION_COMPLETE`` / 400
        ``CHECKOUT_SESSION_EXPIRED`` when it cannot be paid, 400 ``INVALID_CARD`` for a
        malformed card, 400 ``INVALID_EMAIL`` for a guest session without a valid e-mail."""
        session = await self.find(session_id, conn=conn)
        self._payable(session)
        card = check_card(card_number, expiry=expiry, cvc=cvc, now=self._clock.now())
        payer_email = session.customer_email
        if session.is_guest and email:
            payer_email = normalize_email(email)
        if session.is_guest and payer_email is None:
            raise InvalidError("An email address is required", code=ErrorCode.INVALID_EMAIL)
        async with self._db.use(conn) as c:
            locked = await self.repository.get(session_id, for_update=True, conn=c)
            if locked is None:
                raise _not_found(session_id)
            self._payable(locked)
            if payer_email != locked.customer_email:
                await self.repository.update(session_id, {"customer_email": payer_email}, conn=c)
                locked = dataclasses.replace(locked, customer_email=payer_email)
            if card.outcome is CardOutcome.AUTHENTICATE:
                await self.repository.update(
                    session_id,
                    {"pending_authentication": True, "metadata": locked.metadata},
                    conn=c,
                )
                self._outcomes.inc(outcome="requires_action")
                return PayResult(
                    PayStatus.REQUIRES_ACTION,
                    dataclasses.replace(locked, pending_authentication=True),
                    redirect_url=f"{self.checkout_url(session_id)}/authenticate",
                )
            if card.outcome is CardOutcome.DECLINE:
                return await self._decline(c, locked, card, card.decline)
            return await self._complete(c, locked, card)

    async def authenticate(
        self, session_id: str, *, succeed: bool, conn: AsyncConnection | None = None
    ) -> PayResult:
        """Answer the 3-D Secure challenge of a session: complete the payment or fail it
        (the session stays open). 400 ``AUTHENTICATION_NOT_PENDING`` without a challenge."""
        session = await self.find(session_id, conn=conn)
        self._payable(session)
        async with self._db.use(conn) as c:
            locked = await self.repository.get(session_id, for_update=True, conn=c)
            if locked is None:
                raise _not_found(session_id)
            self._payable(locked)
            if not locked.pending_authentication:
                raise InvalidError(
                    "This checkout session is not waiting for authentication",
                    code=ErrorCode.AUTHENTICATION_NOT_PENDING,
                )
            await self.repository.update(session_id, {"pending_authentication": False}, conn=c)
            locked = dataclasses.replace(locked, pending_authentication=False)
            card = CardCheck(brand="visa", last4="3155", outcome=CardOutcome.SUCCEED)
            if not succeed:
                return await self._decline(c, locked, card, AUTHENTICATION_FAILED)
            return await self._complete(c, locked, card)

    async def _decline(
        self,
        conn: AsyncConnection,
        session: CheckoutSession,
        card: CardCheck,
        decline: Decline | None,
    ) -> PayResult:
        reason = decline or AUTHENTICATION_FAILED
        await self._billing.record_charge(
            conn,
            application_id=session.application_id,
            user_id=session.user_id,
            customer_email=session.customer_email,
            amount=session.amount_total,
            currency=session.currency,
            description=_description(session),
            card=CardUsed(card.brand, card.last4),
            failure_code=reason.code,
            checkout_session_id=session.id,
            metadata=session.metadata,
        )
        self._outcomes.inc(outcome="declined")
        return PayResult(PayStatus.DECLINED, session, decline=reason)

    async def _complete(
        self, conn: AsyncConnection, session: CheckoutSession, card: CardCheck
    ) -> PayResult:
        subscription_id = None
        if session.mode is CheckoutMode.SUBSCRIPTION:
            sub = await self._billing.start_subscription(
                conn,
                application_id=session.application_id,
                user_id=session.user_id,
                customer_email=session.customer_email,
                item=session.line_items[0],
                checkout_session_id=session.id,
                metadata=session.metadata,
            )
            subscription_id = sub.id
        payment = await self._billing.record_charge(
            conn,
            application_id=session.application_id,
            user_id=session.user_id,
            customer_email=session.customer_email,
            amount=session.amount_total,
            currency=session.currency,
            description=_description(session),
            card=CardUsed(card.brand, card.last4),
            checkout_session_id=session.id,
            subscription_id=subscription_id,
            metadata=session.metadata,
        )
        now = self._clock.now()
        values = {
            "status": CheckoutStatus.COMPLETE.value,
            "payment_status": "paid",
            "payment_intent_id": payment.id,
            "subscription_id": subscription_id,
            "pending_authentication": False,
            "completed_at": now,
        }
        await self.repository.update(session.id, values, conn=conn)
        done = dataclasses.replace(
            session,
            status=CheckoutStatus.COMPLETE,
            payment_status="paid",
            payment_intent_id=payment.id,
            subscription_id=subscription_id,
            pending_authentication=False,
            completed_at=now,
        )
        await self._billing.events.checkout(conn, EventType.CHECKOUT_SESSION_COMPLETED, done)
        self._outcomes.inc(outcome="completed")
        return PayResult(PayStatus.SUCCEEDED, done, redirect_url=success_redirect(done))

    # --- guest conversion -------------------------------------------------------------

    async def convert_guest(
        self,
        application_id: str,
        *,
        session_id: str,
        email: object,
        password: str | None,
        send_magic_link: bool | None,
        client: ClientInfo,
        redirect_url: str | None = None,
    ) -> ConversionResult:
        """Link a paid guest checkout (its charge and subscription) to the account of
        ``email``, creating the account with ``password`` or for a magic link if there is
        none. ``email`` must be the checkout's. 400 ``CHECKOUT_NOT_PAID`` before payment.
        The magic link goes to ``redirect_url`` when given; an origin the application does
        not allow is 400 ``INVALID_REDIRECT_URL`` before anything is linked or sent."""
        address = normalize_email(email)
        if send_magic_link and redirect_url:
            await self._links.check_redirect_url(application_id, redirect_url)
        created = False
        async with self._db.begin() as conn:
            session = await self.repository.get(
                session_id, application_id=application_id, for_update=True, conn=conn
            )
            if session is None or not session.is_guest:
                raise _not_found(session_id)
            if session.customer_email != address:
                raise InvalidError(
                    "The email does not match the checkout session's customer email",
                    code=ErrorCode.INVALID_EMAIL,
                )
            if session.status is not CheckoutStatus.COMPLETE:
                raise InvalidError(
                    "Only a paid checkout session can be linked to an account",
                    code=ErrorCode.CHECKOUT_NOT_PAID,
                )
            user = await self._users.get_by_email(application_id, address, conn=conn)
            if user is None:
                if not password and not send_magic_link:
                    raise InvalidError(
                        "A password or send_magic_link is needed to create the account",
                        code=ErrorCode.VALIDATION_ERROR,
                    )
                user = await self._accounts.create_user(
                    application_id, email=address, password=password or None, conn=conn
                )
                created = True
            if session.user_id is None:
                await self.repository.update(session.id, {"user_id": user.id}, conn=conn)
                await self._billing.payments.set_user(
                    application_id, session.id, user.id, conn=conn
                )
                if session.subscription_id:
                    await self._billing.attach_user(
                        conn, application_id, session.subscription_id, user.id
                    )
            elif session.user_id != user.id:
                raise ConflictError(
                    "This checkout session is already linked to another account",
                    code=ErrorCode.CONFLICT,
                )
        sent = False
        if send_magic_link:
            await self._links.send_magic_link(
                application_id, email=address, client=client, redirect_url=redirect_url
            )
            sent = True
        message = (
            "Account created and checkout linked"
            if created
            else ("Checkout linked to existing account")
        )
        self._outcomes.inc(outcome="converted")
        return ConversionResult(user.id, message, sent, created)


def _description(session: CheckoutSession) -> str:
    return ", ".join(
        item.description + (f" x {item.quantity}" if item.quantity > 1 else "")
        for item in session.line_items
    )
