"""The composition root: opens storage, applies migrations, builds the services and runs the
seed hooks (:mod:`spaps_server.seeding`). One :class:`AppContext` per running server,
reachable from routes through the ``Ctx`` dependency (``spaps_server.http.deps``). Services
never see it: each is handed exactly the services, repositories and clock it uses.

A new service is a field of :class:`AppContext`, built in :func:`open_context` after the
services it depends on.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import os
from collections.abc import Awaitable, Callable, Sequence

from sqlalchemy.ext.asyncio import AsyncConnection

from .config import DataDirError, ServerConfig
from .domain.clock import Clock
from .domain.errors import DomainError
from .domain.models import Application
from .security.aead import KeyRingError, KeyRingFile
from .security.passwords import PasswordHasher, PasswordPolicy
from .security.tokens import TokenSigner
from .seeding import SEED_HOOKS, SeededAccount, SeedHook, run_seed_hooks
from .services.applications import ApplicationService
from .services.auth_common import AuthLimits, AuthMetrics, AuthSettings, build_rate_limit_rules
from .services.crypto import CryptoService
from .services.events import DeliverySignal, EventService
from .services.idempotency import IdempotencyService
from .services.mailbox import MailboxService
from .services.metrics import MetricsRegistry
from .services.one_time_links import OneTimeLinkService
from .services.password_auth import PasswordAuthService
from .services.payments import PaymentsServices, build_payments
from .services.rate_limits import DatabaseRateLimiter
from .services.redirects import RedirectOriginService
from .services.secure_messages import SecureMessageService
from .services.session_tokens import SessionTokenService
from .services.sessions import SessionPolicy, SessionService
from .services.usage import UsageService
from .services.users import UserAccounts
from .services.wallet_payments import WalletPaymentsService
from .services.wallet_sign_in import WalletSignInService
from .services.webhook_delivery import WebhookDeliveryWorker
from .services.webhook_endpoints import WebhookEndpointService
from .services.whitelist import WhitelistService
from .storage.database import Database, DatabaseConfigError, DatabaseKind, redact_database_url
from .storage.migrations import migrate, require_current_schema, reset_database
from .storage.tables import metadata
from .storage.usage import active_subscription_period

logger = logging.getLogger("spaps_server")


@dataclasses.dataclass
class AppContext:
    """Everything a running server holds: config (and secrets), database and services."""

    config: ServerConfig
    db: Database
    metrics: MetricsRegistry
    applications: ApplicationService
    mailbox: MailboxService
    default_application: Application
    clock: Clock
    signer: TokenSigner
    sessions: SessionService
    accounts: UserAccounts
    session_tokens: SessionTokenService
    password_auth: PasswordAuthService
    links: OneTimeLinkService
    wallets: WalletSignInService
    whitelist: WhitelistService
    idempotency: IdempotencyService
    payments: PaymentsServices
    usage: UsageService
    secure_messages: SecureMessageService
    events: EventService
    webhooks: WebhookEndpointService
    webhook_worker: WebhookDeliveryWorker
    # The default application's webhook signing secret (shown on /_dev/webhooks).
    webhook_secret: str
    crypto: CryptoService
    wallet_payments: WalletPaymentsService
    redirects: RedirectOriginService
    seeded_accounts: list[SeededAccount] = dataclasses.field(default_factory=list)
    applied_migrations: list[int] = dataclasses.field(default_factory=list)

    async def close(self) -> None:
        """Stop the webhook worker (after its attempts in flight), finish pending e-mail
        deliveries and close the database pool."""
        await self.webhook_worker.stop()
        await self.mailbox.drain()
        await self.db.dispose()


async def open_database(
    config: ServerConfig, *, migrate_schema: bool = True
) -> tuple[Database, list[int]]:
    """Prepare the data directory, connect, honour ``config.reset`` and migrate (or, with
    ``migrate_schema=False``, only check that the schema is current: worker processes, whose
    parent migrated once before starting them).

    Raises ``DataDirError``, ``DatabaseConfigError`` or ``MigrationError`` with a one-line
    message; never leaks a database password.
    """
    config.prepare_data_dir()
    url = config.effective_database_url
    try:
        db = Database(url, schema=config.database_schema)
    except ModuleNotFoundError as exc:
        if exc.name == "asyncpg":
            raise DatabaseConfigError(
                "PostgreSQL needs the postgres extra: pip install 'spaps[postgres]'"
            ) from exc
        raise
    if config.reset and db.kind is DatabaseKind.SQLITE and db.sqlite_path is not None:
        # A file database is reset by removing it; WAL and shared-memory files go with it.
        for suffix in ("", "-wal", "-shm", "-journal"):
            db.sqlite_path.with_name(db.sqlite_path.name + suffix).unlink(missing_ok=True)
    path = db.sqlite_path
    if path is not None and not path.exists():
        # Create the file private before SQLite does (it would honour the umask instead);
        # SQLite gives its -wal and -shm files the same mode.
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            pass
        except OSError as exc:
            await db.dispose()
            raise DataDirError(f"cannot create {path}: {exc.strerror}") from exc
    try:
        await db.ping()
        if not migrate_schema:
            await require_current_schema(db)
            applied: list[int] = []
        else:
            if config.reset and db.kind is DatabaseKind.POSTGRESQL:
                await reset_database(db, metadata)
            applied = await migrate(db)
    except (OSError, DatabaseConfigError) as exc:
        await db.dispose()
        raise DatabaseConfigError(
            f"cannot open database {redact_database_url(url)}: {exc}"
        ) from exc
    except Exception as exc:
        await db.dispose()
        if type(exc).__module__.startswith(("sqlalchemy", "asyncpg", "sqlite3", "aiosqlite")):
            reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
            raise DatabaseConfigError(
                f"cannot open database {redact_database_url(url)}: {reason}"
            ) from exc
        raise
    if applied:
        logger.info("applied schema migrations %s", applied)
    return db, applied


async def open_context(
    config: ServerConfig,
    *,
    seed_hooks: Sequence[SeedHook] = SEED_HOOKS,
    migrate_schema: bool = True,
) -> AppContext:
    """Open storage, build the services and run the seed hooks. A worker process passes
    ``migrate_schema=False`` and no seed hooks: its parent did both once."""
    db, applied = await open_database(config, migrate_schema=migrate_schema)
    try:
        metrics = MetricsRegistry()
        clock = Clock()
        applications = ApplicationService(db, metrics, clock=clock)
        default_app = await applications.ensure_default(
            config.default_application_name, config.default_api_key
        )
        signer = TokenSigner(config.secrets.token_signing_key_pem, clock=clock.timestamp)
        policy = SessionPolicy(
            access_token_ttl=config.access_token_ttl, session_ttl=config.session_ttl
        )
        sessions = SessionService(db, signer, clock, metrics, policy)
        mailbox = MailboxService(db, metrics, config.smtp, clock=clock)
        passwords = (
            PasswordPolicy.for_tests()
            if config.password_profile == "test"
            else PasswordPolicy.production()
        )
        # Whitelisted users get the entry's tier and see its payment bypass in their profile.
        whitelist = WhitelistService(db, metrics, clock)
        accounts = UserAccounts(
            db,
            PasswordHasher(passwords),
            clock,
            tier_override=whitelist.tier_for,
            profile_metadata=whitelist.profile_metadata,
            metrics=metrics,
        )
        # Webhooks: the default application signs with the data dir's secret (kept in the
        # database, so every process on it signs alike); --webhook URLs are registered for it.
        delivery_signal = DeliverySignal()
        webhooks = WebhookEndpointService(db, clock)
        webhook_secret = await webhooks.ensure_secret(default_app.id, config.secrets.webhook_secret)
        for url in config.webhook_urls:
            await webhooks.add(default_app.id, url, description="spaps local --webhook")
        events = EventService(db, clock, delivery_signal)
        webhook_worker = WebhookDeliveryWorker(
            db,
            clock,
            webhooks,
            delivery_signal,
            retry_schedule=config.webhook_retry_schedule,
            timeout_seconds=config.webhook_timeout_seconds,
            poll_interval=config.webhook_poll_interval,
        )
        auth_metrics = AuthMetrics(metrics)
        limits = AuthLimits(
            DatabaseRateLimiter(db, build_rate_limit_rules(config.rate_limits), clock),
            auth_metrics,
        )
        settings = AuthSettings(
            base_url=config.base_url,
            require_email_confirmation=config.require_email_confirmation,
        )
        session_tokens = SessionTokenService(db, accounts, signer, clock, policy, auth_metrics)
        redirects = RedirectOriginService(db, clock, server_origin=config.base_url)
        links = OneTimeLinkService(
            db, accounts, session_tokens, mailbox, redirects, limits, auth_metrics, settings, clock
        )
        # A subscriber's usage resets with their subscription period, others' monthly.
        usage = UsageService(
            db,
            clock,
            metrics,
            whitelisted=whitelist_bypasses_payment(db),
            period_resolver=functools.partial(active_subscription_period, db),
        )
        secure_messages = SecureMessageService(db, open_key_ring(config), clock, metrics)
        ctx = AppContext(
            config=config,
            db=db,
            metrics=metrics,
            applications=applications,
            mailbox=mailbox,
            default_application=default_app,
            clock=clock,
            signer=signer,
            sessions=sessions,
            accounts=accounts,
            session_tokens=session_tokens,
            password_auth=PasswordAuthService(
                accounts, session_tokens, links, limits, auth_metrics, settings, clock
            ),
            links=links,
            wallets=WalletSignInService(db, accounts, session_tokens, limits, auth_metrics, clock),
            whitelist=whitelist,
            idempotency=IdempotencyService(db, clock),
            payments=build_payments(
                db, clock, metrics, accounts, links, base_url=config.base_url, events=events
            ),
            usage=usage,
            secure_messages=secure_messages,
            events=events,
            webhooks=webhooks,
            webhook_worker=webhook_worker,
            webhook_secret=webhook_secret,
            crypto=CryptoService(db, clock, events),
            wallet_payments=WalletPaymentsService(db, clock, events),
            redirects=redirects,
            applied_migrations=applied,
        )
        ctx.seeded_accounts = await run_seed_hooks(ctx, seed_hooks)
    except BaseException:
        await db.dispose()
        raise
    return ctx


def open_key_ring(config: ServerConfig) -> KeyRingFile:
    """The secure-message key ring of ``config`` (created on first use in the data dir,
    starting from the data dir's encryption key; a configured key file must exist)."""
    path = config.message_key_path
    try:
        if config.message_key_file is not None:
            return KeyRingFile(path, create=False)
        return KeyRingFile(path, initial_key=config.secrets.encryption_key)
    except KeyRingError as exc:
        raise DataDirError(str(exc)) from exc
    except OSError as exc:
        raise DataDirError(f"cannot create key file {path}: {exc.strerror}") from exc


def whitelist_bypasses_payment(
    db: Database,
) -> Callable[[str, str | None, AsyncConnection | None], Awaitable[bool]]:
    """Whether a user's whitelist entry lets them skip payment (they get whitelisted limits),
    read on the caller's connection when given."""
    from .domain.emails import normalize_email
    from .storage.whitelist import WhitelistRepository

    repo = WhitelistRepository(db)

    async def check(application_id: str, email: str | None, conn: AsyncConnection | None) -> bool:
        if not email:
            return False
        try:
            address = normalize_email(email)
        except DomainError:
            return False
        entry = await repo.get(application_id, address, conn=conn)
        return bool(entry and entry.bypass_payment)

    return check
