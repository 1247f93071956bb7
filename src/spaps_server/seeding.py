"""Start-up seeding of the default application, run by the composition root
(:func:`spaps_server.context.open_context`) after migrations and after the default
application exists.

A seed hook is an async function taking the server context and returning the accounts it
made (or found already made: hooks run at every start, so they must be idempotent). Their
union is ``ctx.seeded_accounts`` and the ``seeded_accounts`` of ``spaps local --json``.
:data:`SEED_HOOKS` lists them in order: the demo accounts, then the ``--seed FILE`` sections.

Demo accounts (password ``Secret123!``, public, dev only): ``user@example.com`` (tier basic),
``premium@example.com`` (tier premium) and ``admin@example.com`` (role admin). They are
created on first start unless ``--no-seed``; later starts find and report them unchanged.

A seed file is JSON, or TOML on Python 3.11+, whose top-level keys are sections, each handled
by its entry in :data:`SEED_FILE_SECTIONS` (a new section is a new entry there). ``users`` is
a list of::

    {"email": "ann@example.com", "password": "Ann-Pass-2024!", "tier": "pro",
     "role": "user", "username": "ann", "wallets": ["0x...", {"address": "...",
     "chain": "solana"}]}

``password`` may be omitted (the user then signs in by magic link or wallet); an e-mail is
required unless the user has wallets. ``whitelist`` is a list of ``{email, tier?,
bypass_payment?, metadata?}`` objects (defaults: premium, true, ``{}``); ``products`` is
described in :mod:`spaps_server.services.payments.seed`; ``redirect_origins`` is a list of
origins (``"https://app.example"``, ``"http://10.0.0.5:*"``) the default application's reset
and magic links may point at, besides the defaults of :mod:`spaps_server.services.redirects`.
"""

from __future__ import annotations

import builtins
import dataclasses
import json
import sys
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .domain.errors import DomainError, InvalidError
from .services.auth_common import wallet_identity
from .services.payments.seed import seed_default_payments

if TYPE_CHECKING:
    from .context import AppContext


@dataclasses.dataclass(frozen=True)
class SeededAccount:
    """A demo account reported at start-up. Its password is a public dev-only value."""

    email: str
    role: str = "user"
    password: str | None = None
    user_id: str | None = None
    wallet_address: str | None = None
    notes: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The record's non-empty fields."""
        return {k: v for k, v in dataclasses.asdict(self).items() if v is not None}


DEMO_PASSWORD = "Secret123!"  # the documented local-dev password, public
DEMO_ACCOUNTS: tuple[dict[str, str], ...] = (
    {"email": "user@example.com", "tier": "basic", "role": "user"},
    {"email": "premium@example.com", "tier": "premium", "role": "user"},
    {"email": "admin@example.com", "tier": "basic", "role": "admin"},
)


class SeedFileError(Exception):
    """The seed file cannot be read or does not have the expected shape."""


SeedSectionHandler = Callable[["AppContext", str, Any], Awaitable[list[SeededAccount]]]
"""``async (ctx, application_id, section_value) -> accounts to report``; must be idempotent
(seeding runs at every start) and raise :class:`SeedFileError` for a malformed section."""


async def _ensure_user(
    ctx: AppContext,
    application_id: str,
    entry: Mapping[str, Any],
    *,
    check_strength: bool,
) -> SeededAccount:
    email = entry.get("email")
    password = entry.get("password")
    tier = str(entry.get("tier") or "basic")
    role = str(entry.get("role") or "user")
    wallets = entry.get("wallets") or []
    if email is not None and not isinstance(email, str):
        raise SeedFileError("users: 'email' must be a string")
    if password is not None and not isinstance(password, str):
        raise SeedFileError(f"users: {email}: 'password' must be a string")
    if not isinstance(wallets, list):
        raise SeedFileError(f"users: {email}: 'wallets' must be a list")
    if email is None and not wallets:
        raise SeedFileError("users: every user needs an 'email' or 'wallets'")
    accounts = ctx.accounts
    users = accounts.repository
    user = await users.get_by_email(application_id, email) if email else None
    first_wallet: str | None = None
    try:
        if user is None:
            if email is None:
                # A wallet-only user already seeded is found through its first wallet.
                first = _wallet_entry(wallets[0])
                existing = await users.find_wallet(
                    application_id, *wallet_identity(first[0], first[1])
                )
                if existing is not None:
                    found = await users.get(application_id, existing.user_id)
                    return SeededAccount(
                        email="",
                        role=role,
                        user_id=found.id if found else None,
                        wallet_address=existing.wallet_address,
                        notes=f"tier {tier}",
                    )
            user = await accounts.create_user(
                application_id,
                email=email,
                password=password,
                username=entry.get("username"),
                phone_number=entry.get("phone_number"),
                tier=tier,
                role=role,
                metadata=entry.get("metadata") or {},
                check_strength=check_strength,
            )
            for raw in wallets:
                address, chain = _wallet_entry(raw)
                wallet = await accounts.link_wallet(
                    user, wallet_address=address, chain=chain, verified=True
                )
                first_wallet = first_wallet or wallet.wallet_address
        else:
            existing_wallets = await users.wallets_of(application_id, user.id)
            first_wallet = existing_wallets[0].wallet_address if existing_wallets else None
    except DomainError as exc:
        raise SeedFileError(f"users: {email or 'wallet user'}: {exc.message}") from None
    return SeededAccount(
        email=user.email or "",
        role=user.role,
        password=password,
        user_id=user.id,
        wallet_address=first_wallet,
        notes=f"tier {user.tier}",
    )


def _wallet_entry(raw: Any) -> tuple[str, str | None]:
    if isinstance(raw, str):
        return raw, None
    if isinstance(raw, Mapping):
        address = raw.get("address") or raw.get("wallet_address")
        chain = raw.get("chain") or raw.get("chain_type")
        if isinstance(address, str) and (chain is None or isinstance(chain, str)):
            return address, chain
    raise SeedFileError("users: a wallet is an address string or {address, chain}")


async def seed_users_section(
    ctx: AppContext, application_id: str, value: Any
) -> list[SeededAccount]:
    """The ``users`` section of a seed file."""
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        raise SeedFileError("'users' must be a list of objects")
    return [await _ensure_user(ctx, application_id, v, check_strength=True) for v in value]


async def seed_whitelist_section(
    ctx: AppContext, application_id: str, value: Any
) -> builtins.list[SeededAccount]:
    """The ``whitelist`` section of a seed file, upserted at every start. Entries are not
    accounts, so nothing is reported."""
    if not isinstance(value, builtins.list):
        raise SeedFileError("'whitelist' must be a list of objects")
    try:
        await ctx.whitelist.load_seed(application_id, value)
    except InvalidError as exc:
        raise SeedFileError(f"whitelist: {exc.message}") from None
    return []


async def seed_products_section(
    ctx: AppContext, application_id: str, value: Any
) -> builtins.list[SeededAccount]:
    """The ``products`` section of a seed file (created if missing, at every start)."""
    if not isinstance(value, list):
        raise SeedFileError("'products' must be a list of objects")
    try:
        await ctx.payments.catalog.ensure_products(application_id, value)
    except DomainError as exc:
        raise SeedFileError(f"products: {exc.message}") from None
    return []


async def seed_usage_section(
    ctx: AppContext, application_id: str, value: Any
) -> builtins.list[SeededAccount]:
    """The ``usage`` section of a seed file (see :meth:`UsageService.load_seed`)."""
    try:
        await ctx.usage.load_seed(application_id, value)
    except InvalidError as exc:
        raise SeedFileError(f"usage: {exc.message}") from None
    return []


async def seed_redirect_origins_section(
    ctx: AppContext, application_id: str, value: Any
) -> builtins.list[SeededAccount]:
    """The ``redirect_origins`` section of a seed file (added if missing, at every start)."""
    if not isinstance(value, builtins.list) or not all(isinstance(o, str) for o in value):
        raise SeedFileError("'redirect_origins' must be a list of origin strings")
    for origin in value:
        try:
            await ctx.redirects.add(application_id, origin)
        except DomainError as exc:
            raise SeedFileError(f"redirect_origins: {exc.message}") from None
    return []


SEED_FILE_SECTIONS: dict[str, SeedSectionHandler] = {
    "users": seed_users_section,
    "whitelist": seed_whitelist_section,
    "products": seed_products_section,
    "usage": seed_usage_section,
    "redirect_origins": seed_redirect_origins_section,
}


def _parse_toml(path: Path, raw: bytes) -> Any:
    if sys.version_info >= (3, 11):
        import tomllib

        try:
            return tomllib.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise SeedFileError(f"seed file {path} is not valid TOML: {exc}") from None
    raise SeedFileError(f"seed file {path}: TOML needs Python 3.11 or newer; use a JSON seed file")


def load_seed_file(path: Path) -> dict[str, Any]:
    """Parse a seed file (``.toml`` as TOML on Python 3.11+, anything else as JSON)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SeedFileError(f"cannot read seed file {path}: {exc.strerror}") from None
    if path.suffix.lower() == ".toml":
        data: Any = _parse_toml(path, raw)
    else:
        try:
            data = json.loads(raw)
        except (UnicodeDecodeError, ValueError) as exc:
            raise SeedFileError(f"seed file {path} is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise SeedFileError(f"seed file {path} must hold an object of sections")
    unknown = sorted(set(data) - set(SEED_FILE_SECTIONS))
    if unknown:
        raise SeedFileError(
            f"seed file {path}: unknown section(s) {', '.join(unknown)} "
            f"(known: {', '.join(sorted(SEED_FILE_SECTIONS))})"
        )
    return data


async def seed_demo_accounts(ctx: AppContext) -> list[SeededAccount]:
    """The three demo accounts in the default application (unless seeding is off)."""
    if not ctx.config.seed:
        return []
    app_id = ctx.default_application.id
    accounts = []
    for spec in DEMO_ACCOUNTS:
        entry = {**spec, "password": DEMO_PASSWORD}
        accounts.append(await _ensure_user(ctx, app_id, entry, check_strength=True))
    return accounts


async def seed_from_file(ctx: AppContext) -> list[SeededAccount]:
    """The ``--seed FILE`` sections, in file order."""
    path = ctx.config.seed_file
    if path is None:
        return []
    data = load_seed_file(path)
    accounts: list[SeededAccount] = []
    for section, value in data.items():
        accounts.extend(await SEED_FILE_SECTIONS[section](ctx, ctx.default_application.id, value))
    return accounts


SeedHook = Callable[["AppContext"], Awaitable[Sequence[SeededAccount]]]


async def seed_payments(ctx: AppContext) -> list[SeededAccount]:
    """The payments simulator's default catalogue and the demo user's billing objects
    (unless seeding is off); they are not accounts, so nothing is reported."""
    if ctx.config.seed:
        await seed_default_payments(
            ctx.db, ctx.payments, ctx.accounts.repository, ctx.default_application.id
        )
    return []


# Run in order at every start-up.
SEED_HOOKS: tuple[SeedHook, ...] = (seed_demo_accounts, seed_from_file, seed_payments)


async def run_seed_hooks(ctx: AppContext, hooks: Sequence[SeedHook]) -> list[SeededAccount]:
    """Run ``hooks`` in order and collect what they report."""
    accounts: list[SeededAccount] = []
    for hook in hooks:
        accounts.extend(await hook(ctx))
    return accounts
