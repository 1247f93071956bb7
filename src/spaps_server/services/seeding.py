"""Start-up seeding: hooks that create demo data in the default application.

A hook is an async function taking the server context and returning the accounts it made
(or found already made: hooks run at every start, so they must be idempotent). Their union
is ``ctx.seeded_accounts`` and the ``seeded_accounts`` of ``spaps local --json``.

To add one, write ``async def seed_users(ctx: AppContext) -> list[SeededAccount]`` in your
service module and append it to :data:`SEED_HOOKS`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..context import AppContext


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


SeedHook = Callable[["AppContext"], Awaitable[Sequence[SeededAccount]]]


async def _seed_demo_accounts(ctx: AppContext) -> Sequence[SeededAccount]:
    # Imported here: seed_users imports this module for SeededAccount.
    from .seed_users import seed_demo_accounts

    return await seed_demo_accounts(ctx)


async def _seed_from_file(ctx: AppContext) -> Sequence[SeededAccount]:
    from .seed_users import seed_from_file

    return await seed_from_file(ctx)


async def _seed_payments(ctx: AppContext) -> Sequence[SeededAccount]:
    from .payments.seed import seed_default_payments

    return await seed_default_payments(ctx)


# Run in order at every start-up, after migrations and after the default application exists.
SEED_HOOKS: tuple[SeedHook, ...] = (_seed_demo_accounts, _seed_from_file, _seed_payments)


async def run_seed_hooks(ctx: AppContext, hooks: Sequence[SeedHook]) -> list[SeededAccount]:
    """Run ``hooks`` in order and collect what they report."""
    accounts: list[SeededAccount] = []
    for hook in hooks:
        accounts.extend(await hook(ctx))
    return accounts
