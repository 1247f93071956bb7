"""What ``spaps local``, ``spaps serve``, ``spaps db``, ``spaps apps`` and ``spaps products``
do (imported by ``spaps_server.cli`` on demand).

Failures a user can cause (busy port, unusable data dir, bad database URL) end with one line
on stderr and exit status 1, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import difflib
import errno
import json
import os
import socket
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from .config import (
    DEFAULT_API_KEY,
    DataDirError,
    ServerConfig,
    SmtpSettings,
    parse_rate_limit,
    parse_rate_limits,
    parse_retry_schedule,
)
from .context import AppContext, open_context, open_database
from .deployment import UnsafeConfigError, load_deployment_settings
from .domain.clock import Clock, iso_or_none
from .domain.errors import DomainError
from .seeding import SEED_HOOKS, SeedFileError, SeedHook
from .services.applications import ApplicationService
from .services.auth_common import dev_auth_rules
from .services.metrics import MetricsRegistry
from .services.redirects import OriginPattern, RedirectOriginService
from .services.webhook_endpoints import validate_endpoint_url
from .serving import (
    ServeOptions,
    WorkerPoolError,
    configure_logging,
    run_worker_pool,
    serve_context,
)
from .storage.database import (
    Database,
    DatabaseConfigError,
    normalize_database_url,
    redact_database_url,
)
from .storage.migrations import PACKAGED_SCRIPTS, MigrationError, SchemaVersion, schema_version

EXIT_OK = 0
EXIT_FAILURE = 1

_STARTUP_ERRORS = (DataDirError, DatabaseConfigError, MigrationError, SeedFileError)


def _fail(command: str, message: str) -> int:
    print(f"spaps {command}: error: {message}", file=sys.stderr, flush=True)
    return EXIT_FAILURE


def _config_from(args: argparse.Namespace, **extra: Any) -> ServerConfig:
    return ServerConfig(
        data_dir=Path(args.data_dir),
        database_url=args.database_url,
        **extra,
    )


# --- spaps local -------------------------------------------------------------------------


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (``port`` 0 picks a free one)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        if sys.platform != "win32":
            # Allows an immediate restart while old connections sit in TIME_WAIT; on
            # Linux and macOS it does not allow two listeners on one port.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
    except BaseException:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


def _bind_error(host: str, port: int, exc: OSError) -> str:
    if exc.errno == errno.EADDRINUSE:
        return (
            f"port {port} on {host} is already in use (stop the other server, choose "
            "another --port, or use --port 0 for a free one)"
        )
    if exc.errno in (errno.EACCES, errno.EPERM):
        return f"not allowed to listen on {host}:{port} (ports below 1024 need privileges)"
    if isinstance(exc, socket.gaierror) or exc.errno == errno.EADDRNOTAVAIL:
        return f"cannot listen on {host}:{port}: unknown or unavailable address"
    return f"cannot listen on {host}:{port}: {exc.strerror or exc}"


def startup_record(ctx: AppContext) -> dict[str, Any]:
    """The ``--json`` record (also the source of the human banner)."""
    config = ctx.config
    base = config.base_url
    return {
        "url": base,
        "docs_url": f"{base}/docs",
        "dev_url": f"{base}/_dev/",
        "host": config.host,
        "port": config.port,
        "data_dir": str(config.data_dir),
        "database": ctx.db.kind.value,
        "database_path": str(ctx.db.sqlite_path) if ctx.db.sqlite_path else None,
        "api_key": config.default_api_key,
        "application": {"id": ctx.default_application.id, "name": ctx.default_application.name},
        "recon_token": config.secrets.recon_token,
        "seeded_accounts": [a.to_json() for a in ctx.seeded_accounts],
        "applied_migrations": ctx.applied_migrations,
        "pid": os.getpid(),
        "webhook_secret": ctx.webhook_secret,
        "webhooks_url": f"{base}/_dev/webhooks",
    }


def _banner(record: dict[str, Any]) -> str:
    lines = [
        f"SPAPS local server running at {record['url']}",
        f"  API reference  {record['docs_url']}",
        f"  Dev pages      {record['dev_url']}",
        f"  API key        {record['api_key']}",
        f"  Recon token    {record['recon_token']}",
        f"  Database       {record['database']}"
        + (f" ({record['database_path']})" if record["database_path"] else ""),
        f"  Data dir       {record['data_dir']}",
        f"  Webhooks       {record['webhooks_url']} (secret {record['webhook_secret']})",
    ]
    for account in record["seeded_accounts"]:
        password = f" / {account['password']}" if account.get("password") else ""
        lines.append(f"  Account        {account['email']}{password} ({account.get('role')})")
    lines.append("Press Ctrl-C to stop.")
    return "\n".join(lines)


def _print_startup(record: dict[str, Any], as_json: bool) -> None:
    out = json.dumps(record) if as_json else _banner(record)
    sys.stdout.write(out + "\n")
    sys.stdout.flush()


StartupCheck = Callable[[AppContext], Awaitable[str | None]]
"""Runs on the opened context before serving; a message refuses the start."""


@dataclasses.dataclass(frozen=True)
class StartPlan:
    """How a command starts its server: processes, seeding, checks, the record printed."""

    command: str
    workers: int
    options: ServeOptions
    as_json: bool
    seed_hooks: Sequence[SeedHook] = SEED_HOOKS
    check: StartupCheck | None = None
    record: Callable[[AppContext], dict[str, Any]] = dataclasses.field(
        default=lambda ctx: startup_record(ctx)
    )


async def _open_checked(config: ServerConfig, plan: StartPlan) -> AppContext | str:
    try:
        ctx = await open_context(config, seed_hooks=plan.seed_hooks)
    except _STARTUP_ERRORS as exc:
        return str(exc)
    refusal = await plan.check(ctx) if plan.check is not None else None
    if refusal is not None:
        await ctx.close()
        return refusal
    return ctx


async def _serve_here(config: ServerConfig, sock: socket.socket, plan: StartPlan) -> int:
    """One process: open the context and serve it here."""
    ctx = await _open_checked(config, plan)
    if isinstance(ctx, str):
        return _fail(plan.command, ctx)
    try:
        started = await serve_context(
            ctx, sock, plan.options, lambda: _print_startup(plan.record(ctx), plan.as_json)
        )
    finally:
        await ctx.close()
    if not started:
        return _fail(plan.command, "the server did not start")
    return EXIT_OK


async def _prepare_once(config: ServerConfig, plan: StartPlan) -> dict[str, Any] | str:
    """Migrate and seed once before the workers start; the start-up record, or the error."""
    ctx = await _open_checked(config, plan)
    if isinstance(ctx, str):
        return ctx
    try:
        return plan.record(ctx)
    finally:
        await ctx.close()


def serve_config(config: ServerConfig, sock: socket.socket, plan: StartPlan) -> int:
    """Serve ``config`` on ``sock`` with ``plan.workers`` processes (1: in this process);
    prints the start-up record once serving. Closes ``sock``."""
    try:
        if plan.workers == 1:
            status = asyncio.run(_serve_here(config, sock, plan))
        else:
            prepared = asyncio.run(_prepare_once(config, plan))
            if isinstance(prepared, str):
                return _fail(plan.command, prepared)

            def ready(pids: list[int]) -> None:
                record = {**prepared, "workers": plan.workers, "worker_pids": pids}
                _print_startup(record, plan.as_json)

            try:
                run_worker_pool(config, sock, plan.workers, plan.options, ready)
            except WorkerPoolError as exc:
                return _fail(plan.command, str(exc))
            status = EXIT_OK
    except KeyboardInterrupt:  # Ctrl-C before the handlers were installed
        status = EXIT_OK
    finally:
        sock.close()
    if status == EXIT_OK and not plan.as_json:
        print(f"spaps {plan.command}: stopped", file=sys.stderr, flush=True)
    return status


def _refuse_sqlite_workers(command: str, workers: int, database_url: str | None) -> str | None:
    if workers > 1 and not _is_postgresql(database_url):
        return (
            f"--workers {workers} needs PostgreSQL (--database-url postgresql://...): "
            "the SQLite file takes one server process"
        )
    return None


def _is_postgresql(database_url: str | None) -> bool:
    if not database_url:
        return False
    try:
        return normalize_database_url(database_url).get_backend_name() == "postgresql"
    except DatabaseConfigError:
        return False


def known_rate_limit_buckets() -> list[str]:
    """The buckets ``--rate-limit`` can set, e.g. ``login:ip``. A bare family (``login``)
    is not one: the more specific default rules would always win over it."""
    return sorted(dev_auth_rules())


def check_rate_limit_bucket(bucket: str) -> None:
    """Raise ``ValueError`` naming the known buckets when ``bucket`` is not one of them
    (a misspelt bucket would otherwise be a limit that never applies)."""
    known = known_rate_limit_buckets()
    if bucket in known:
        return
    close = difflib.get_close_matches(bucket, known, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise ValueError(f"unknown rate-limit bucket {bucket!r}{hint} (known: {', '.join(known)})")


def _webhook_options(args: argparse.Namespace) -> dict[str, Any]:
    """``--webhook`` URLs (validated) and ``--webhook-retry-schedule`` as config fields."""
    options: dict[str, Any] = {}
    urls = []
    for url in args.webhook or ():
        try:
            urls.append(validate_endpoint_url(url))
        except DomainError as exc:
            raise ValueError(f"--webhook {url!r}: {exc.message}") from None
    if urls:
        options["webhook_urls"] = tuple(urls)
    if args.webhook_retry_schedule is not None:
        options["webhook_retry_schedule"] = parse_retry_schedule(args.webhook_retry_schedule)
    return options


def run_local(args: argparse.Namespace) -> int:
    """``spaps local``."""
    configure_logging(args.log_level or ("warning" if args.json else "info"))
    refused = _refuse_sqlite_workers("local", args.workers, args.database_url)
    if refused:
        return _fail("local", refused)
    try:
        smtp = SmtpSettings.from_env()
    except ValueError as exc:
        return _fail("local", str(exc))
    try:
        limits = parse_rate_limits(os.environ.get("SPAPS_RATE_LIMITS", ""))
        limits += tuple(parse_rate_limit(text) for text in args.rate_limit or ())
        for bucket, _, _ in limits:
            check_rate_limit_bucket(bucket)
        webhook_options = _webhook_options(args)
    except ValueError as exc:
        return _fail("local", str(exc))
    try:
        sock = bind_socket(args.host, args.port)
    except OSError as exc:
        return _fail("local", _bind_error(args.host, args.port, exc))
    port = int(sock.getsockname()[1])
    config = _config_from(
        args,
        host=args.host,
        port=port,
        reset=args.reset,
        smtp=smtp,
        seed=not args.no_seed,
        seed_file=Path(args.seed) if args.seed else None,
        require_email_confirmation=args.require_email_confirmation,
        access_token_ttl=args.access_token_ttl,
        session_ttl=args.session_ttl,
        rate_limits=limits,
        password_profile=args.password_profile,
        message_key_file=Path(args.message_key_file) if args.message_key_file else None,
        **webhook_options,
    )
    options = ServeOptions(log_level=args.log_level or "info", access_log=not args.json)
    plan = StartPlan("local", args.workers, options, args.json)
    return serve_config(config, sock, plan)


# --- spaps serve -------------------------------------------------------------------------


def serve_record(ctx: AppContext) -> dict[str, Any]:
    """The start-up record of ``spaps serve``: no key, no accounts, no developer pages."""
    return {
        "url": ctx.config.base_url,
        "host": ctx.config.host,
        "port": ctx.config.port,
        "database": ctx.db.kind.value,
        "application": {"id": ctx.default_application.id, "name": ctx.default_application.name},
        "applied_migrations": ctx.applied_migrations,
        "pid": os.getpid(),
    }


async def refuse_development_key(ctx: AppContext) -> str | None:
    """A database that still accepts the public development key is not fit to serve."""
    try:
        await ctx.applications.authenticate(DEFAULT_API_KEY)
    except DomainError:
        return None
    return (
        f"the database accepts the public development API key {DEFAULT_API_KEY} "
        "(it was used by spaps local): give spaps serve a database of its own"
    )


def _serve_banner(record: dict[str, Any]) -> str:
    return f"SPAPS serving {record['url']} (listening on {record['host']}:{record['port']})"


def run_serve(args: argparse.Namespace) -> int:
    """``spaps serve``."""
    configure_logging(args.log_level, json_logs=True)
    try:
        settings = load_deployment_settings()
        limits = parse_rate_limits(os.environ.get("SPAPS_RATE_LIMITS", ""))
        limits += tuple(parse_rate_limit(text) for text in args.rate_limit or ())
        for bucket, _, _ in limits:
            check_rate_limit_bucket(bucket)
    except (UnsafeConfigError, ValueError) as exc:
        return _fail("serve", str(exc))
    try:
        sock = bind_socket(args.host, args.port)
    except OSError as exc:
        return _fail("serve", _bind_error(args.host, args.port, exc))
    key_file = os.environ.get("SPAPS_MESSAGE_KEY_FILE") or None
    config = ServerConfig(
        host=args.host,
        port=int(sock.getsockname()[1]),
        data_dir=Path(os.environ.get("SPAPS_DATA_DIR") or ".spaps"),
        message_key_file=Path(key_file) if key_file else None,
        database_url=settings.database_url,
        default_api_key=settings.api_key,
        provided_secrets=settings.secrets,
        public_url=settings.public_url,
        smtp=settings.smtp,
        seed=False,
        dev_pages=False,
        password_profile="production",
        require_email_confirmation=args.require_email_confirmation,
        access_token_ttl=args.access_token_ttl,
        session_ttl=args.session_ttl,
        rate_limits=limits,
    )
    options = ServeOptions(
        log_level=args.log_level,
        json_logs=True,
        access_log=not args.no_access_log,
        graceful_shutdown_seconds=args.graceful_timeout,
    )
    plan = StartPlan(
        "serve",
        args.workers,
        options,
        as_json=True,
        seed_hooks=(),
        check=refuse_development_key,
        record=serve_record,
    )
    return serve_config(config, sock, plan)


# --- spaps db ----------------------------------------------------------------------------


async def _db(args: argparse.Namespace) -> int:
    config = _config_from(args)
    action = args.db_command
    try:
        migrations = PACKAGED_SCRIPTS.migrations
    except MigrationError as exc:
        return _fail("db", str(exc))
    head = migrations[-1].version
    if action == "history":
        rows = [{"version": m.version, "name": m.name} for m in migrations]
        if args.json:
            print(json.dumps({"migrations": rows, "head": head}))
        else:
            for row in rows:
                print(f"{row['version']:04d}  {row['name']}")
        return EXIT_OK
    if action == "upgrade":
        try:
            db, applied = await open_database(config)
        except _STARTUP_ERRORS as exc:
            return _fail("db", str(exc))
    else:
        # Reading the version changes nothing: no data dir, no migration.
        applied = []
        try:
            db = Database(config.effective_database_url, schema=config.database_schema)
        except (DatabaseConfigError, ModuleNotFoundError) as exc:
            return _fail("db", str(exc))
    try:
        missing_file = db.sqlite_path is not None and not db.sqlite_path.exists()
        state = SchemaVersion(0, adopted=True) if missing_file else await schema_version(db)
    except MigrationError as exc:
        return _fail("db", str(exc))
    except Exception as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        return _fail("db", f"cannot read the schema version: {reason}")
    finally:
        await db.dispose()
    current = state.version
    if args.json:
        record: dict[str, Any] = {"current": current, "head": head, "applied": applied}
        if not state.adopted:
            record["legacy"] = True
        print(json.dumps(record))
    elif action == "upgrade":
        print(f"applied {applied}" if applied else f"already at the latest schema ({head:04d})")
    else:
        if not state.adopted:
            state_text = "made by an older spaps: run spaps db upgrade"
        elif current == head:
            state_text = "latest"
        else:
            state_text = f"behind {head:04d}: run spaps db upgrade"
        print(f"{current:04d} ({state_text})")
    return EXIT_OK


def run_db(args: argparse.Namespace) -> int:
    """``spaps db upgrade|current|history``."""
    return asyncio.run(_db(args))


# --- spaps apps --------------------------------------------------------------------------


def _storage_notice(config: ServerConfig) -> str | None:
    """Say on stderr which data dir and database a command uses; return an error message
    instead when there is no database yet (creating an empty one would hide a wrong
    ``--data-dir``)."""
    data_dir = config.data_dir.resolve()
    if config.database_url:
        where = redact_database_url(config.database_url)
    else:
        where = str(config.sqlite_path.resolve())
        if not config.sqlite_path.exists():
            return (
                f"no database in {data_dir}: run `spaps local` first (it creates one), "
                "or pass --data-dir DIR (or $SPAPS_DATA_DIR) pointing at an existing one"
            )
    print(f"spaps apps: data dir {data_dir}, database {where}", file=sys.stderr, flush=True)
    return None


async def _apps(args: argparse.Namespace) -> int:
    config = _config_from(args)
    problem = _storage_notice(config)
    if problem is not None:
        return _fail("apps", problem)
    try:
        db, _ = await open_database(config)
    except _STARTUP_ERRORS as exc:
        return _fail("apps", str(exc))
    try:
        service = ApplicationService(db, MetricsRegistry())
        await service.ensure_default(config.default_application_name, config.default_api_key)
        redirects = RedirectOriginService(db, Clock(), server_origin=config.base_url)
        action = args.apps_command
        if action == "create":
            # Origins are checked before the application exists, so a typo creates nothing.
            origins = [str(OriginPattern.parse(origin)) for origin in args.redirect_origin]
            app, key = await service.create(args.name)
            for origin in origins:
                await redirects.add(app.id, origin)
            record = {"id": app.id, "name": app.name, "api_key": key, "redirect_origins": origins}
            if args.json:
                print(json.dumps(record))
            else:
                print(f"Created application {app.name} ({app.id})")
                print(f"API key (shown once, store it now): {key}")
                for origin in origins:
                    print(f"Redirect origin: {origin}")
        elif action == "redirects":
            return await _app_redirects(args, service, redirects)
        elif action == "revoke":
            app = await service.revoke(args.name)
            if args.json:
                print(
                    json.dumps(
                        {"id": app.id, "name": app.name, "revoked_at": iso_or_none(app.revoked_at)}
                    )
                )
            else:
                print(f"Revoked application {app.name} ({app.id}) and its API keys")
        else:
            rows: list[dict[str, Any]] = [
                {
                    "id": app.id,
                    "name": app.name,
                    "default": app.is_default,
                    "created_at": iso_or_none(app.created_at),
                    "revoked_at": iso_or_none(app.revoked_at),
                    "keys": [
                        {"id": k.id, "prefix": k.prefix, "revoked_at": iso_or_none(k.revoked_at)}
                        for k in keys
                    ],
                }
                for app, keys in await service.list()
            ]
            if args.json:
                print(json.dumps({"applications": rows}))
            else:
                for row in rows:
                    status = "revoked" if row["revoked_at"] else "active"
                    keys = ", ".join(k["prefix"] for k in row["keys"] if not k["revoked_at"])
                    mark = " (default)" if row["default"] else ""
                    print(f"{row['name']}{mark}\t{row['id']}\t{status}\t{keys or '-'}")
    except DomainError as exc:
        return _fail("apps", exc.message)
    finally:
        await db.dispose()
    return EXIT_OK


async def _app_redirects(
    args: argparse.Namespace, service: ApplicationService, redirects: RedirectOriginService
) -> int:
    app = await service.find(args.name)
    action = args.redirects_command
    if action in ("add", "remove"):
        change = redirects.add if action == "add" else redirects.remove
        origin, changed = await change(app.id, args.origin)
        if action == "remove" and not changed:
            return _fail("apps", f"{origin} is not a configured redirect origin of {app.name}")
        if args.json:
            print(json.dumps({"application": app.name, "origin": origin, "changed": changed}))
        elif action == "add":
            print(f"{app.name}: links may go to {origin}" + ("" if changed else " (already)"))
        else:
            print(f"{app.name}: links may no longer go to {origin}")
        return EXIT_OK
    configured = await redirects.configured(app.id)
    if args.json:
        print(
            json.dumps(
                {
                    "application": app.name,
                    "redirect_origins": configured,
                    "default_origins": redirects.defaults(),
                }
            )
        )
    else:
        for origin in configured:
            print(origin)
        for origin in redirects.defaults():
            print(f"{origin}\t(default)")
    return EXIT_OK


def run_apps(args: argparse.Namespace) -> int:
    """``spaps apps create|list|revoke|redirects``."""
    return asyncio.run(_apps(args))


# --- spaps products ----------------------------------------------------------------------


def parse_price_option(text: str, currency: str) -> dict[str, Any]:
    """``AMOUNT[/INTERVAL][:NICKNAME]`` (``900/month:Monthly``) as a price specification."""
    head, _, nickname = text.partition(":")
    amount_text, _, interval = head.partition("/")
    try:
        amount = int(amount_text)
    except ValueError:
        raise ValueError(f"--price {text!r}: the amount is a whole number of minor units") from None
    spec: dict[str, Any] = {"unit_amount": amount, "currency": currency}
    if interval:
        spec["interval"] = interval
    if nickname:
        spec["nickname"] = nickname
    return spec


async def _products(args: argparse.Namespace) -> int:
    from .domain.clock import Clock
    from .routes.payments import product_out
    from .services.payments.catalog import CatalogService

    config = _config_from(args)
    try:
        db, _ = await open_database(config)
    except _STARTUP_ERRORS as exc:
        return _fail("products", str(exc))
    try:
        apps = ApplicationService(db, MetricsRegistry())
        app = await apps.ensure_default(config.default_application_name, config.default_api_key)
        catalog = CatalogService(db, Clock())
        action = args.products_command
        if action == "create":
            try:
                prices = [parse_price_option(p, args.currency) for p in args.price]
            except ValueError as exc:
                return _fail("products", str(exc))
            spec: dict[str, Any] = {"name": args.name, "prices": prices}
            for field in ("id", "description", "category", "tier"):
                if getattr(args, field):
                    spec[field] = getattr(args, field)
            made = [await catalog.create_product(app.id, spec)]
        elif action == "archive":
            made = [await catalog.archive_product(app.id, args.product_id)]
        else:
            made, _total = await catalog.list_products(app.id)
        if args.json:
            print(json.dumps({"products": [product_out(p) for p in made]}))
        else:
            for product in made:
                state = "active" if product.active else "archived"
                print(f"{product.id}\t{product.name}\t{state}\ttier={product.tier or '-'}")
                for price in product.prices:
                    every = f"/{price.interval}" if price.interval else " once"
                    print(
                        f"  {price.id}\t{price.unit_amount} {price.currency}{every}"
                        f"\t{price.nickname or ''}"
                    )
    except DomainError as exc:
        return _fail("products", exc.message)
    finally:
        await db.dispose()
    return EXIT_OK


def run_products(args: argparse.Namespace) -> int:
    """``spaps products create|list|archive``."""
    return asyncio.run(_products(args))


# --- spaps usage features / spaps keys rotate -------------------------------------------


async def _usage(args: argparse.Namespace) -> int:
    from .services.usage import UsageService

    config = _config_from(args)
    try:
        db, _ = await open_database(config)
    except _STARTUP_ERRORS as exc:
        return _fail("usage", str(exc))
    try:
        apps = ApplicationService(db, MetricsRegistry())
        default = await apps.ensure_default(config.default_application_name, config.default_api_key)
        app = await apps.find(args.app) if args.app else default
        service = UsageService(db, Clock(), MetricsRegistry())
        action = args.features_command
        if action == "set":
            text = args.limit.strip().lower()
            try:
                limit = None if text in {"unlimited", "none"} else float(text)
            except ValueError:
                return _fail(
                    "usage", f"--limit must be a number or 'unlimited', not {args.limit!r}"
                )
            row = await service.set_limit(
                app.id,
                args.feature,
                args.tier,
                limit=limit,
                overage=args.overage,
                overage_unit_price=args.unit_price,
                description=args.description,
            )
            print(json.dumps(row.to_json()) if args.json else _limit_line(row.to_json()))
        elif action == "remove":
            removed = await service.remove_limit(app.id, args.feature, args.tier)
            if args.json:
                print(json.dumps({"feature": args.feature, "removed": removed}))
            else:
                print(f"Removed {removed} limit(s) of {args.feature} from {app.name}")
        else:
            rows = [row.to_json() for row in await service.list_limits(app.id)]
            if args.json:
                print(json.dumps({"application": app.name, "features": rows}))
            else:
                for item in rows:
                    print(_limit_line(item))
    except DomainError as exc:
        return _fail("usage", exc.message)
    finally:
        await db.dispose()
    return EXIT_OK


def _limit_line(item: dict[str, Any]) -> str:
    limit = "unlimited" if item["limit"] is None else f"{item['limit']:g}"
    price = f" at {item['overage_unit_price']:g}/unit" if item["overage"] == "allow" else ""
    return f"{item['feature']}\t{item['tier']}\t{limit}\toverage {item['overage']}{price}"


def run_usage(args: argparse.Namespace) -> int:
    """``spaps usage features list|set|remove``."""
    return asyncio.run(_usage(args))


async def _keys(args: argparse.Namespace) -> int:
    from .context import open_key_ring
    from .services.secure_messages import SecureMessageService

    file = Path(args.message_key_file) if args.message_key_file else None
    config = _config_from(args, message_key_file=file)
    try:
        db, _ = await open_database(config)
    except _STARTUP_ERRORS as exc:
        return _fail("keys", str(exc))
    try:
        service = SecureMessageService(db, open_key_ring(config), Clock(), MetricsRegistry())
        report = await service.rotate_keys()
    except DataDirError as exc:
        return _fail("keys", str(exc))
    finally:
        await db.dispose()
    record = {
        "primary_key_id": report.new_key_id,
        "resealed_messages": report.resealed,
        "removed_key_ids": report.removed_key_ids,
        "key_ids": report.key_ids,
        "key_file": str(config.message_key_path),
    }
    if args.json:
        print(json.dumps(record))
    else:
        print(f"New primary key {report.new_key_id}; re-encrypted {report.resealed} message(s)")
        if report.removed_key_ids:
            print(f"Removed unused keys: {', '.join(report.removed_key_ids)}")
        print(f"Keys in {config.message_key_path}: {', '.join(report.key_ids)}")
    return EXIT_OK


def run_keys(args: argparse.Namespace) -> int:
    """``spaps keys rotate``."""
    return asyncio.run(_keys(args))


# --- spaps webhooks ----------------------------------------------------------------------


def _delivery_summary(delivery: dict[str, Any]) -> str:
    attempts = delivery["attempts"]
    last = attempts[-1] if attempts else None
    result = ""
    if last is not None:
        result = f", last {last['status_code'] or last['error']}"
    return f"{delivery['url']} {delivery['status']} ({delivery['attempt_count']} attempts{result})"


async def _webhooks(args: argparse.Namespace) -> int:
    from .services.events import DeliverySignal, EventService
    from .services.webhook_endpoints import WebhookEndpointService

    config = _config_from(args)
    try:
        db, _ = await open_database(config)
    except _STARTUP_ERRORS as exc:
        return _fail("webhooks", str(exc))
    try:
        clock = Clock()
        apps = ApplicationService(db, MetricsRegistry())
        default_app = await apps.ensure_default(
            config.default_application_name, config.default_api_key
        )
        endpoints = WebhookEndpointService(db, clock)
        await endpoints.ensure_secret(default_app.id, config.secrets.webhook_secret)
        events = EventService(db, clock, DeliverySignal())
        app = await apps.find(args.app) if args.app else None
        action = args.webhooks_command
        if action == "add":
            target = app or default_app
            endpoint, created = await endpoints.add(
                target.id, args.url, description=args.description
            )
            if args.json:
                print(json.dumps({"endpoint": endpoint.to_json(), "created": created}))
            else:
                verb = "Added" if created else "Already registered:"
                print(f"{verb} {endpoint.url} ({endpoint.id}) for application {target.name}")
                print(f"Signing secret: {await endpoints.secret_for(target.id)}")
        elif action == "remove":
            removed = await endpoints.remove(args.endpoint, application_id=app.id if app else None)
            if args.json:
                print(json.dumps({"endpoint": removed.to_json()}))
            else:
                print(f"Removed {removed.url} ({removed.id})")
        elif action == "list":
            listed = await endpoints.list(app.id if app else None)
            app_ids = sorted({e.application_id for e in listed} | {(app or default_app).id})
            secrets = {app_id: await endpoints.secret_for(app_id) for app_id in app_ids}
            if args.json:
                print(json.dumps({"endpoints": [e.to_json() for e in listed], "secrets": secrets}))
            else:
                for e in listed:
                    print(f"{e.url}\t{e.id}\t{e.application_id}")
                if not listed:
                    print("No webhook endpoints (add one with: spaps webhooks add URL)")
                for app_id, secret in secrets.items():
                    print(f"Signing secret of {app_id}: {secret}")
        elif action == "events":
            recent = await events.recent(application_id=app.id if app else None, limit=args.limit)
            deliveries = await events.deliveries([e.id for e in recent])
            rows: list[dict[str, Any]] = [
                {
                    "event": e.envelope(),
                    "deliveries": [d.to_json() for d in deliveries if d.event_id == e.id],
                }
                for e in recent
            ]
            if args.json:
                print(json.dumps({"events": rows}))
            else:
                for row in rows:
                    event = row["event"]
                    print(f"{event['created_at']}\t{event['type']}\t{event['id']}")
                    for shown in row["deliveries"]:
                        print(f"    -> {_delivery_summary(shown)}")
                if not rows:
                    print("No webhook events yet")
        else:
            queued = await events.replay(args.event_id, application_id=app.id if app else None)
            if args.json:
                print(
                    json.dumps(
                        {"event_id": args.event_id, "deliveries": [d.to_json() for d in queued]}
                    )
                )
            else:
                print(f"Replaying {args.event_id} to {len(queued)} endpoint(s):")
                for delivery in queued:
                    print(f"    -> {delivery.url} ({delivery.id})")
    except DomainError as exc:
        return _fail("webhooks", exc.message)
    finally:
        await db.dispose()
    return EXIT_OK


def run_webhooks(args: argparse.Namespace) -> int:
    """``spaps webhooks add|list|remove|events|replay``."""
    return asyncio.run(_webhooks(args))


# --- spaps crypto ------------------------------------------------------------------------


async def _crypto(args: argparse.Namespace) -> int:
    from .domain.clock import Clock
    from .services.crypto import CryptoService

    config = _config_from(args)
    try:
        db, _ = await open_database(config)
    except _STARTUP_ERRORS as exc:
        return _fail("crypto", str(exc))
    try:
        invoice = await CryptoService(db, Clock()).record_payment(
            args.invoice_id, args.amount, transaction_hash=args.transaction_hash
        )
    except DomainError as exc:
        return _fail("crypto", exc.message)
    finally:
        await db.dispose()
    status = invoice.status_json()
    if args.json:
        print(json.dumps({"invoice": invoice.to_json(), "status": status}))
    else:
        print(
            f"Invoice {invoice.id}: {status['status']}, received "
            f"{invoice.to_json()['received_amount']} of {invoice.to_json()['amount']} "
            f"{invoice.asset}"
            + (f" (excess {status['excess_amount']})" if invoice.overpaid else "")
        )
    return EXIT_OK


def run_crypto(args: argparse.Namespace) -> int:
    """``spaps crypto pay INVOICE_ID AMOUNT``."""
    return asyncio.run(_crypto(args))


# --- spaps demo --------------------------------------------------------------------------


def run_demo(args: argparse.Namespace) -> int:
    """``spaps demo``."""
    from .demo import DemoOptions, run_demo

    # The server's password hashing follows $SPAPS_PASSWORD_PROFILE, as `spaps local` does.
    profile = os.environ.get("SPAPS_PASSWORD_PROFILE") or "production"
    return run_demo(
        DemoOptions(card=args.card.replace(" ", ""), keep=args.keep, password_profile=profile)
    )
