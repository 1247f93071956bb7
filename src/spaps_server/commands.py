"""What ``spaps local`` and ``spaps apps`` do (imported by ``spaps_server.cli`` on demand).

Failures a user can cause (busy port, unusable data dir, bad database URL) end with one line
on stderr and exit status 1, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
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
from .config import DataDirError, ServerConfig, SmtpSettings, parse_rate_limit, parse_rate_limits
from .context import AppContext, open_context, open_database
from .domain.errors import DomainError
from .services.applications import ApplicationService
from .services.metrics import MetricsRegistry
from .services.seed_users import SeedFileError
from .storage.database import DatabaseConfigError
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
        server = _Server(
            uvicorn.Config(
                app,
                log_config=None,
                access_log=not args.json,
                lifespan="on",
                server_header=False,
                proxy_headers=False,
                timeout_graceful_shutdown=5,
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
    )
    try:
        return asyncio.run(_serve(config, sock, args))
    except KeyboardInterrupt:  # Ctrl-C before the handlers were installed
        return EXIT_OK


# --- spaps apps --------------------------------------------------------------------------


def _iso(value: Any) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


async def _apps(args: argparse.Namespace) -> int:
    config = _config_from(args)
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
                    json.dumps({"id": app.id, "name": app.name, "revoked_at": _iso(app.revoked_at)})
                )
            else:
                print(f"Revoked application {app.name} ({app.id}) and its API keys")
        else:
            rows: list[dict[str, Any]] = [
                {
                    "id": app.id,
                    "name": app.name,
                    "default": app.is_default,
                    "created_at": _iso(app.created_at),
                    "revoked_at": _iso(app.revoked_at),
                    "keys": [
                        {"id": k.id, "prefix": k.prefix, "revoked_at": _iso(k.revoked_at)}
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
