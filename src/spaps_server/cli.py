"""The ``spaps`` command line: ``spaps local``, ``spaps serve``, ``spaps demo``, ``spaps db``,
``spaps apps`` and the other management commands.

Only the standard library is imported here, so that without the ``server`` extra the
command can say which extra to install instead of failing with a traceback; the real work is
in ``spaps_server.commands``, imported when a command runs.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import Any

# Top-level modules that come with the server extra (a missing one means "install it").
_EXTRA_MODULES = frozenset(
    {
        "fastapi",
        "starlette",
        "uvicorn",
        "sqlalchemy",
        "aiosqlite",
        "pydantic",
        "pydantic_core",
        "anyio",
        "cryptography",
        "h11",
        "greenlet",
        "alembic",
        "mako",
    }
)

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError("the port must be between 0 and 65535")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _version() -> str:
    from importlib import metadata

    try:
        return metadata.version("spaps")
    except metadata.PackageNotFoundError:
        return "unknown"


def _add_storage_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir",
        default=os.environ.get("SPAPS_DATA_DIR", ".spaps"),
        help="where the SQLite file and generated secrets live (default: ./.spaps, "
        "or $SPAPS_DATA_DIR)",
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("SPAPS_DATABASE_URL") or None,
        help="use this database instead of the embedded SQLite file, e.g. "
        "postgresql://user:pass@127.0.0.1:5432/spaps (or $SPAPS_DATABASE_URL)",
    )


def _add_workers_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--workers",
        type=_positive_int,
        default=_env_int("SPAPS_WORKERS", 1),
        metavar="N",
        help="worker processes sharing the port (default: 1, or $SPAPS_WORKERS; more than "
        "one needs PostgreSQL)",
    )


def _env_int(name: str, default: int) -> int:
    text = os.environ.get(name, "").strip()
    return int(text) if text.isdigit() and int(text) > 0 else default


def _add_serve_parser(commands: Any) -> None:
    serve = commands.add_parser(
        "serve",
        help="run SPAPS for a shared deployment (PostgreSQL, SMTP, provided secrets)",
        description="Run SPAPS for non-local use: no demo accounts, no /_dev/ pages, mail "
        "over SMTP, JSON logs, secrets from the environment (VAR or VAR_FILE): "
        "SPAPS_DATABASE_URL, SPAPS_API_KEY, SPAPS_TOKEN_SIGNING_KEY, SPAPS_ENCRYPTION_KEY, "
        "SPAPS_WEBHOOK_SECRET, SPAPS_PUBLIC_URL and SPAPS_SMTP_HOST. See docs/deploy.md.",
    )
    serve.add_argument(
        "--host",
        default=os.environ.get("SPAPS_HOST") or "127.0.0.1",
        help="interface (default: 127.0.0.1, or $SPAPS_HOST)",
    )
    serve.add_argument(
        "--port",
        type=_port,
        default=_env_int("SPAPS_PORT", 3300),
        help="port (default: 3300, or $SPAPS_PORT; 0 picks a free one)",
    )
    _add_workers_option(serve)
    serve.add_argument(
        "--graceful-timeout",
        type=_positive_int,
        default=30,
        metavar="SECONDS",
        help="how long in-flight requests may take to finish on shutdown (default: 30)",
    )
    serve.add_argument(
        "--json",
        action="store_true",
        help="print the start-up record as one JSON line on stdout",
    )
    serve.add_argument(
        "--log-level",
        choices=["debug", "info", "warning", "error"],
        default="info",
        help="level of the JSON log lines on stderr (default: info)",
    )
    serve.add_argument(
        "--no-access-log", action="store_true", help="do not log one line per request"
    )
    serve.add_argument("--access-token-ttl", type=_positive_int, default=900, metavar="SECONDS")
    serve.add_argument(
        "--session-ttl", type=_positive_int, default=30 * 24 * 3600, metavar="SECONDS"
    )
    serve.add_argument(
        "--require-email-confirmation",
        action="store_true",
        help="register sends a confirmation e-mail instead of signing the user in",
    )
    serve.add_argument(
        "--rate-limit",
        action="append",
        default=None,
        metavar="BUCKET=LIMIT/SECONDS",
        help="override a rate limit (repeatable; also $SPAPS_RATE_LIMITS)",
    )


def _add_db_parser(commands: Any) -> None:
    db = commands.add_parser(
        "db",
        help="the database schema: upgrade, current, history",
        description="Inspect and upgrade the database schema (servers upgrade it at start).",
    )
    db.set_defaults(db_parser=db)
    actions = db.add_subparsers(dest="db_command", metavar="ACTION")
    upgrade = actions.add_parser("upgrade", help="apply every pending migration")
    current = actions.add_parser("current", help="print the schema revision of the database")
    history = actions.add_parser("history", help="list the migrations this version knows")
    for sub in (upgrade, current, history):
        _add_storage_options(sub)
        sub.add_argument("--json", action="store_true", help="print JSON")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``spaps``."""
    parser = argparse.ArgumentParser(
        prog="spaps", description="SPAPS developer tools: a local server and its applications."
    )
    parser.add_argument("--version", action="version", version=f"spaps {_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    local = commands.add_parser(
        "local",
        help="run a local SPAPS server",
        description="Run a stateful SPAPS server for development and tests.",
    )
    local.add_argument("--host", default="127.0.0.1", help="interface (default: 127.0.0.1)")
    local.add_argument(
        "--port", type=_port, default=3300, help="port (default: 3300; 0 picks a free one)"
    )
    _add_storage_options(local)
    _add_workers_option(local)
    local.add_argument(
        "--json",
        action="store_true",
        help="print one JSON start-up record on stdout and nothing else",
    )
    local.add_argument(
        "--reset", action="store_true", help="start from an empty database (secrets are kept)"
    )
    auth = local.add_argument_group("accounts and sign-in")
    auth.add_argument(
        "--no-seed",
        action="store_true",
        help="do not create the demo accounts (user@, premium@, admin@example.com)",
    )
    auth.add_argument(
        "--seed",
        metavar="FILE",
        default=os.environ.get("SPAPS_SEED_FILE") or None,
        help="add users (and other seed data) from a JSON or TOML (Python 3.11+) file",
    )
    auth.add_argument(
        "--require-email-confirmation",
        action="store_true",
        help="register sends a confirmation e-mail instead of signing the user in",
    )
    auth.add_argument(
        "--access-token-ttl",
        type=_positive_int,
        default=900,
        metavar="SECONDS",
        help="lifetime of access tokens (default: 900)",
    )
    auth.add_argument(
        "--session-ttl",
        type=_positive_int,
        default=30 * 24 * 3600,
        metavar="SECONDS",
        help="lifetime of a session and its refresh tokens (default: 30 days)",
    )
    auth.add_argument(
        "--rate-limit",
        action="append",
        default=None,
        metavar="BUCKET=LIMIT/SECONDS",
        help="override a rate limit, e.g. login:ip=5/60 (repeatable; also "
        "$SPAPS_RATE_LIMITS, comma-separated). Buckets: login, register, magic-link, "
        "password-reset, nonce, wallet-sign-in, each with :ip or :acct",
    )
    auth.add_argument(
        "--password-profile",
        choices=["production", "test"],
        default=os.environ.get("SPAPS_PASSWORD_PROFILE") or "production",
        help="argon2id cost; 'test' is cheap and only for test suites (default: production, "
        "or $SPAPS_PASSWORD_PROFILE)",
    )
    local.add_argument(
        "--message-key-file",
        default=os.environ.get("SPAPS_MESSAGE_KEY_FILE") or None,
        metavar="FILE",
        help="the secure-message key ring (default: in the data dir; or "
        "$SPAPS_MESSAGE_KEY_FILE); it must exist",
    )
    hooks = local.add_argument_group("webhooks")
    hooks.add_argument(
        "--webhook",
        action="append",
        default=None,
        metavar="URL",
        help="deliver the default application's events to URL (repeatable; kept in the "
        "database, see also spaps webhooks add)",
    )
    hooks.add_argument(
        "--webhook-retry-schedule",
        default=os.environ.get("SPAPS_WEBHOOK_RETRY_SCHEDULE") or None,
        metavar="SECONDS,...",
        help="seconds to wait after each failed delivery attempt, e.g. 1,2,4 (default: "
        "5s, 30s, 2m, 10m, 1h, 3h, 6h, 12h, 24h; or $SPAPS_WEBHOOK_RETRY_SCHEDULE)",
    )
    local.add_argument(
        "--log-level",
        choices=["debug", "info", "warning", "error"],
        default=None,
        help="log level on stderr (default: info, or warning with --json)",
    )

    apps = commands.add_parser(
        "apps",
        help="manage applications and their API keys",
        description="Manage applications and API keys in the local server's database.",
    )
    apps.set_defaults(apps_parser=apps)
    app_commands = apps.add_subparsers(dest="apps_command", metavar="ACTION")
    create = app_commands.add_parser("create", help="create an application and print its key")
    create.add_argument("name")
    create.add_argument(
        "--redirect-origin",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="allow e-mailed links to this origin, e.g. https://app.example (repeatable)",
    )
    listing = app_commands.add_parser("list", help="list applications")
    revoke = app_commands.add_parser("revoke", help="revoke an application and its keys")
    revoke.add_argument("name", help="the application's name or id")
    redirects = app_commands.add_parser(
        "redirects",
        help="origins an application's reset and magic links may point at",
        description="Besides the server's own origin, http://localhost:* and "
        "http://127.0.0.1:*, which every application may use.",
    )
    redirect_commands = redirects.add_subparsers(dest="redirects_command", required=True)
    r_add = redirect_commands.add_parser("add", help="allow an origin")
    r_remove = redirect_commands.add_parser("remove", help="stop allowing an origin")
    r_list = redirect_commands.add_parser("list", help="list the allowed origins")
    for sub in (r_add, r_remove, r_list):
        sub.add_argument("name", help="the application's name or id")
    for sub in (r_add, r_remove):
        sub.add_argument("origin", help="scheme://host[:port], the port may be *")
    for sub in (create, listing, revoke, r_add, r_remove, r_list):
        _add_storage_options(sub)
        sub.add_argument("--json", action="store_true", help="print JSON")

    _add_serve_parser(commands)
    _add_db_parser(commands)

    products = commands.add_parser(
        "products",
        help="manage the default application's product catalogue",
        description="Create, list and archive products and prices in the local database.",
    )
    products.set_defaults(products_parser=products)
    product_commands = products.add_subparsers(dest="products_command", metavar="ACTION")
    p_create = product_commands.add_parser("create", help="create a product with prices")
    p_create.add_argument("name")
    p_create.add_argument("--id", help="product id (default: generated prod_...)")
    p_create.add_argument("--description")
    p_create.add_argument("--category", help="e.g. subscription")
    p_create.add_argument("--tier", help="user tier an active subscription grants")
    p_create.add_argument(
        "--price",
        action="append",
        default=[],
        metavar="AMOUNT[/INTERVAL][:NICKNAME]",
        help="a price in minor units, e.g. 900/month:Monthly or 500:Once (repeatable)",
    )
    p_create.add_argument("--currency", default="usd", help="currency of the prices (default usd)")
    p_list = product_commands.add_parser("list", help="list products and prices")
    p_archive = product_commands.add_parser("archive", help="archive a product and its prices")
    p_archive.add_argument("product_id")
    for sub in (p_create, p_list, p_archive):
        _add_storage_options(sub)
        sub.add_argument("--json", action="store_true", help="print JSON")
    _add_usage_and_keys_commands(commands)

    webhooks = commands.add_parser(
        "webhooks",
        help="manage webhook endpoints, list and replay events",
        description="Manage webhook endpoints and events in the local server's database "
        "(a running server delivers what these commands queue).",
    )
    webhooks.set_defaults(webhooks_parser=webhooks)
    hook_commands = webhooks.add_subparsers(dest="webhooks_command", metavar="ACTION")
    hook_add = hook_commands.add_parser("add", help="deliver an application's events to URL")
    hook_add.add_argument("url")
    hook_add.add_argument("--description", default=None)
    hook_list = hook_commands.add_parser("list", help="list endpoints and signing secrets")
    hook_remove = hook_commands.add_parser("remove", help="stop delivering to an endpoint")
    hook_remove.add_argument("endpoint", help="the endpoint's id or URL")
    hook_events = hook_commands.add_parser("events", help="list recent events and deliveries")
    hook_events.add_argument(
        "--limit", type=_positive_int, default=20, help="at most this many (default: 20)"
    )
    hook_replay = hook_commands.add_parser(
        "replay", help="send an event again to every active endpoint"
    )
    hook_replay.add_argument("event_id")
    for sub in (hook_add, hook_list, hook_remove, hook_events, hook_replay):
        _add_storage_options(sub)
        sub.add_argument(
            "--app",
            default=None,
            metavar="NAME_OR_ID",
            help="the application (default: the default application; list and events "
            "show every application without it)",
        )
        sub.add_argument("--json", action="store_true", help="print JSON")
    crypto = commands.add_parser(
        "crypto",
        help="act as the chain for crypto invoices",
        description="Simulated chain actions on the local server's database.",
    )
    crypto.set_defaults(crypto_parser=crypto)
    crypto_commands = crypto.add_subparsers(dest="crypto_command", metavar="ACTION")
    pay = crypto_commands.add_parser(
        "pay", help="record an on-chain payment to an invoice (e.g. spaps crypto pay inv_... 42.75)"
    )
    pay.add_argument("invoice_id")
    pay.add_argument("amount", help='a decimal amount of the invoice\'s asset, e.g. "42.75"')
    pay.add_argument("--transaction-hash", default=None, help="default: a random one")
    _add_storage_options(pay)
    pay.add_argument("--json", action="store_true", help="print JSON")
    _add_demo_command(commands)
    return parser


def _add_demo_command(commands: Any) -> None:
    """``spaps demo [--keep] [--card NUMBER]``."""
    demo = commands.add_parser(
        "demo",
        help="start a throw-away server and walk through sign-in, payments, usage and more",
        description="Start a local server (temporary data dir, free port) and walk the SDK "
        "through sign-in, checkout, magic links, wallets, usage, secure messages and metrics, "
        "one line per step. Exits 1 naming the step that failed.",
    )
    demo.add_argument(
        "--keep",
        action="store_true",
        help="leave the server running afterwards and print its URLs (Ctrl-C stops it)",
    )
    demo.add_argument(
        "--card",
        default="4242424242424242",
        metavar="NUMBER",
        help="the test card typed into the hosted checkout page (default: 4242424242424242; "
        "4000000000000002 is declined)",
    )


def _add_usage_and_keys_commands(commands: Any) -> None:
    """``spaps usage features list|set|remove`` and ``spaps keys rotate``."""
    usage = commands.add_parser(
        "usage",
        help="configure usage metering",
        description="Configure metered features and their limits per tier.",
    )
    usage.set_defaults(usage_parser=usage)
    usage_commands = usage.add_subparsers(dest="usage_command", metavar="ACTION")
    features = usage_commands.add_parser("features", help="list or change feature limits")
    features.set_defaults(features_parser=features)
    actions = features.add_subparsers(dest="features_command", metavar="ACTION")
    listing = actions.add_parser("list", help="list features and their limits per tier")
    put = actions.add_parser("set", help="create or change a feature's limit for a tier")
    put.add_argument("feature")
    put.add_argument("--tier", required=True, help="e.g. basic, premium, whitelisted")
    put.add_argument("--limit", required=True, help="units per billing period, or 'unlimited'")
    put.add_argument("--overage", choices=["reject", "allow"], default=None)
    put.add_argument("--unit-price", type=float, default=None, help="price of one overage unit")
    put.add_argument("--description", default=None)
    remove = actions.add_parser("remove", help="remove a feature (or one tier's limit)")
    remove.add_argument("feature")
    remove.add_argument("--tier", default=None)
    keys = commands.add_parser(
        "keys",
        help="manage the secure-message encryption keys",
        description="Manage the key ring that encrypts secure messages at rest.",
    )
    keys.set_defaults(keys_parser=keys)
    key_commands = keys.add_subparsers(dest="keys_command", metavar="ACTION")
    rotate = key_commands.add_parser(
        "rotate", help="add a new primary key and re-encrypt every message with it"
    )
    for sub in (listing, put, remove, rotate):
        _add_storage_options(sub)
        sub.add_argument("--json", action="store_true", help="print JSON")
    for sub in (listing, put, remove):
        sub.add_argument("--app", default=None, help="application name or id (default: default)")
    rotate.add_argument(
        "--message-key-file",
        default=os.environ.get("SPAPS_MESSAGE_KEY_FILE") or None,
        help="the key ring file, if not in the data dir (or $SPAPS_MESSAGE_KEY_FILE)",
    )


def _load_commands(command: str) -> ModuleType | None:
    try:
        from . import commands
    except ModuleNotFoundError as exc:
        root = (exc.name or "").split(".")[0]
        if root in _EXTRA_MODULES:
            print(
                f"spaps {command} needs the server extra: pip install 'spaps[server]' "
                f"(missing module: {root})",
                file=sys.stderr,
            )
            return None
        raise
    return commands


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``spaps``; returns the exit status (0 ok, 1 failure, 2 usage or missing extra)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    if args.command == "apps" and args.apps_command is None:
        args.apps_parser.print_help()
        return EXIT_USAGE
    if args.command == "products" and args.products_command is None:
        args.products_parser.print_help()
        return EXIT_USAGE
    for parent, attr in (
        ("usage", "usage_parser"),
        ("keys", "keys_parser"),
    ):
        if args.command == parent and getattr(args, f"{parent}_command", None) is None:
            getattr(args, attr).print_help()
            return EXIT_USAGE
    if args.command == "usage" and args.features_command is None:
        args.features_parser.print_help()
        return EXIT_USAGE
    if args.command == "webhooks" and args.webhooks_command is None:
        args.webhooks_parser.print_help()
        return EXIT_USAGE
    if args.command == "crypto" and args.crypto_command is None:
        args.crypto_parser.print_help()
        return EXIT_USAGE
    if args.command == "db" and args.db_command is None:
        args.db_parser.print_help()
        return EXIT_USAGE
    commands = _load_commands(args.command)
    if commands is None:
        return EXIT_USAGE
    if args.command == "local":
        status: int = commands.run_local(args)
    elif args.command == "webhooks":
        status = commands.run_webhooks(args)
    elif args.command == "serve":
        status = commands.run_serve(args)
    elif args.command == "db":
        status = commands.run_db(args)
    elif args.command == "products":
        status = commands.run_products(args)
    elif args.command == "usage":
        status = commands.run_usage(args)
    elif args.command == "keys":
        status = commands.run_keys(args)
    elif args.command == "crypto":
        status = commands.run_crypto(args)
    elif args.command == "demo":
        status = commands.run_demo(args)
    else:
        status = commands.run_apps(args)
    return status


if __name__ == "__main__":  # pragma: no cover - `python -m spaps_server.cli`
    sys.exit(main())
