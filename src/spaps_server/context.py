"""The composition root: opens storage, applies migrations, builds the services and runs the
seed hooks. One :class:`AppContext` per running server, reachable from routes through the
``Ctx`` dependency (``spaps_server.http.deps``) and from services that are handed it.

Later issues add their services as fields of :class:`AppContext` and build them in
:func:`open_context` (after the ones they depend on).
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Sequence

from .config import DataDirError, ServerConfig
from .domain.clock import Clock
from .domain.models import Application
from .security.passwords import PasswordHasher, PasswordPolicy
from .security.tokens import TokenSigner
from .services.applications import ApplicationService
from .services.auth import AuthService, AuthSettings, build_rate_limiter
from .services.crypto import CryptoService
from .services.idempotency import IdempotencyService
from .services.mailbox import MailboxService
from .services.metrics import MetricsRegistry
from .services.payments import PaymentsServices, build_payments
from .services.seeding import SEED_HOOKS, SeededAccount, SeedHook, run_seed_hooks
from .services.sessions import SessionPolicy, SessionService
from .services.wallet_payments import WalletPaymentsService
from .services.whitelist import WhitelistService
from .storage.database import Database, DatabaseConfigError, DatabaseKind, redact_database_url
from .storage.migrations import migrate, reset_database
from .storage.tables import metadata

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
    auth: AuthService
    whitelist: WhitelistService
    idempotency: IdempotencyService
    payments: PaymentsServices
    crypto: CryptoService
    wallet_payments: WalletPaymentsService
    seeded_accounts: list[SeededAccount] = dataclasses.field(default_factory=list)
    applied_migrations: list[int] = dataclasses.field(default_factory=list)

    async def close(self) -> None:
        """Finish pending e-mail deliveries and close the database pool."""
        await self.mailbox.drain()
        await self.db.dispose()


async def open_database(config: ServerConfig) -> tuple[Database, list[int]]:
    """Prepare the data directory, connect, honour ``config.reset`` and migrate.

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
    config: ServerConfig, *, seed_hooks: Sequence[SeedHook] = SEED_HOOKS
) -> AppContext:
    """Open storage, build the services and run the seed hooks."""
    db, applied = await open_database(config)
    try:
        metrics = MetricsRegistry()
        applications = ApplicationService(db, metrics)
        default_app = await applications.ensure_default(
            config.default_application_name, config.default_api_key
        )
        clock = Clock()
        signer = TokenSigner(config.secrets.token_signing_key_pem, clock=clock.timestamp)
        sessions = SessionService(
            db,
            signer,
            clock,
            metrics,
            SessionPolicy(access_token_ttl=config.access_token_ttl, session_ttl=config.session_ttl),
        )
        mailbox = MailboxService(db, metrics, config.smtp)
        policy = (
            PasswordPolicy.for_tests()
            if config.password_profile == "test"
            else PasswordPolicy.production()
        )
        # Whitelisted users get the entry's tier and see its payment bypass in their profile.
        whitelist = WhitelistService(db, metrics)
        auth = AuthService(
            db,
            sessions,
            signer,
            clock,
            metrics,
            mailbox,
            PasswordHasher(policy),
            build_rate_limiter(config.rate_limits),
            AuthSettings(
                base_url=config.base_url,
                require_email_confirmation=config.require_email_confirmation,
            ),
            tier_override=whitelist.tier_for,
            profile_metadata=whitelist.profile_metadata,
        )
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
            auth=auth,
            whitelist=whitelist,
            idempotency=IdempotencyService(db, clock),
            payments=build_payments(db, clock, metrics, auth, base_url=config.base_url),
            crypto=CryptoService(db, clock),
            wallet_payments=WalletPaymentsService(db, clock),
            applied_migrations=applied,
        )
        ctx.seeded_accounts = await run_seed_hooks(ctx, seed_hooks)
    except BaseException:
        await db.dispose()
        raise
    return ctx
