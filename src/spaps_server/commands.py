"""What ``spaps local`` and ``spaps apps`` do (imported by ``spaps_server.cli`` on demand).

Failures a user can cause (busy port, unusable data dir, bad database URL) end with one line
on stderr and exit status 1, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import difflib
import errno
import json
import logging
import os
import signal
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import uvicorn

from .app import create_app
from .config import (
    DataDirError,
    ServerConfig,
    SmtpSettings,
    parse_rate_limit,
    parse_rate_limits,
    parse_retry_schedule,
)
from .context import AppContext, open_context, open_database
from .domain.clock import Clock, iso_or_none
from .domain.errors import DomainError
from .http.access_log import install_access_log_redaction
from .seeding import SeedFileError
from .services.applications import ApplicationService
from .services.auth_common import dev_auth_rules
from .services.metrics import MetricsRegistry
from .services.webhook_endpoints import validate_endpoint_url
from .storage.database import DatabaseConfigError, redact_database_url
from .storage.migrations import MigrationError

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


class _Server(uvicorn.Server):
    """uvicorn's server without its own signal handling: ``spaps local`` installs handlers
    that shut down gracefully and then let the process exit normally (uvicorn would re-raise
    the signal, turning Ctrl-C into a KeyboardInterrupt after shutdown)."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = asyncio.Event()

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        self.ready.set()


def _configure_logging(level_name: str) -> None:
    level = getattr(logging, level_name.upper())
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # uvicorn's life-cycle chatter is noise next to our banner unless debugging.
    logging.getLogger("uvicorn.error").setLevel(min(max(level, logging.WARNING), logging.ERROR))
    if level > logging.DEBUG:
        logging.getLogger("aiosqlite").setLevel(logging.WARNING)


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


async def _serve(config: ServerConfig, sock: socket.socket, args: argparse.Namespace) -> int:
    try:
        ctx = await open_context(config)
    except _STARTUP_ERRORS as exc:
        sock.close()
        return _fail("local", str(exc))
    try:
        app = create_app(context=ctx)
        install_access_log_redaction()
        server = _Server(
            uvicorn.Config(
                app,
                log_config=None,
                access_log=not args.json,
                lifespan="on",
                server_header=False,
                proxy_headers=False,
                timeout_graceful_shutdown=5,
                # Idle keep-alive connections and oversized header blocks are dropped; a
                # stalled body is bounded by the app's middleware (408).
                timeout_keep_alive=5,
                h11_max_incomplete_event_size=64 * 1024,
            )
        )
        loop = asyncio.get_running_loop()

        def stop() -> None:
            if server.should_exit:
                server.force_exit = True  # a second Ctrl-C: stop waiting for requests
            server.should_exit = True

        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop)

        task = asyncio.create_task(server.serve(sockets=[sock]))
        ready = asyncio.create_task(server.ready.wait())
        await asyncio.wait({task, ready}, return_when=asyncio.FIRST_COMPLETED)
        ready.cancel()
        if not server.started:
            await task
            return _fail("local", "the server did not start")
        record = startup_record(ctx)
        out = json.dumps(record) if args.json else _banner(record)
        sys.stdout.write(out + "\n")
        sys.stdout.flush()
        await task
    finally:
        sock.close()
        await ctx.close()
    if not args.json:
        print("spaps local: stopped", file=sys.stderr, flush=True)
    return EXIT_OK


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
    _configure_logging(args.log_level or ("warning" if args.json else "info"))
    try:
        smtp = SmtpSettings.from_env()
    except ValueError as exc:
        return _fail("local", str(exc))
    try:
        sock = bind_socket(args.host, args.port)
    except OSError as exc:
        return _fail("local", _bind_error(args.host, args.port, exc))
    try:
        limits = parse_rate_limits(os.environ.get("SPAPS_RATE_LIMITS", ""))
        limits += tuple(parse_rate_limit(text) for text in args.rate_limit or ())
        for bucket, _, _ in limits:
            check_rate_limit_bucket(bucket)
        webhook_options = _webhook_options(args)
    except ValueError as exc:
        sock.close()
        return _fail("local", str(exc))
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
    try:
        return asyncio.run(_serve(config, sock, args))
    except KeyboardInterrupt:  # Ctrl-C before the handlers were installed
        return EXIT_OK


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
        action = args.apps_command
        if action == "create":
            app, key = await service.create(args.name)
            record = {"id": app.id, "name": app.name, "api_key": key}
            if args.json:
                print(json.dumps(record))
            else:
                print(f"Created application {app.name} ({app.id})")
                print(f"API key (shown once, store it now): {key}")
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


def run_apps(args: argparse.Namespace) -> int:
    """``spaps apps create|list|revoke``."""
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
