"""``spaps local`` as a real process on SQLite and PostgreSQL under our AsyncSpapsClient:

* load: 50 concurrent clients, each signed in, mixing reads and writes for a bounded time;
  no call fails and every acknowledged write is in the database;
* crash: SIGKILL while a stream of checkouts is in flight, restart on the same data dir and
  database; every write a client saw acknowledged is still there.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Sequence

import sqlalchemy as sa

from spaps_client import AsyncSpapsClient, RetryConfig
from spaps_client.errors import SpapsError
from spaps_server.config import SQLITE_FILENAME
from spaps_server.storage import tables
from spaps_server.storage.database import Database

from .conftest import DEFAULT_KEY, DbTarget, SpapsProcess, start_spaps_local

LOAD_CLIENTS = 50
LOAD_SECONDS = 20.0
SUCCESS = "https://example.com/success"
CANCEL = "https://example.com/cancel"


def server_args(target: DbTarget) -> list[str]:
    args = ["--data-dir", str(target.data_dir)]
    if target.url is not None:
        args += ["--database-url", f"{target.url}?schema={target.schema}"]
    return args


def database_of(target: DbTarget) -> Database:
    if target.url is None:
        return Database(f"sqlite:///{target.data_dir / SQLITE_FILENAME}")
    return Database(target.url, schema=target.schema)


async def checkout_ids_present(target: DbTarget, ids: Sequence[str]) -> set[str]:
    """Which of ``ids`` are rows of the checkout sessions table."""
    db = database_of(target)
    try:
        async with db.read() as conn:
            found: set[str] = set()
            column = tables.checkout_sessions.c.id
            for start in range(0, len(ids), 500):
                chunk = list(ids[start : start + 500])
                rows = await conn.execute(sa.select(column).where(column.in_(chunk)))
                found.update(str(row[0]) for row in rows)
            return found
    finally:
        await db.dispose()


async def count_checkouts(target: DbTarget) -> int:
    db = database_of(target)
    try:
        async with db.read() as conn:
            query = sa.select(sa.func.count()).select_from(tables.checkout_sessions)
            return int((await conn.execute(query)).scalar_one())
    finally:
        await db.dispose()


async def signed_in_client(url: str, **options: object) -> AsyncSpapsClient:
    client = AsyncSpapsClient(base_url=url, api_key=DEFAULT_KEY, **options)  # type: ignore[arg-type]
    await client.auth.sign_in_with_password(email="user@example.com", password="Secret123!")
    return client


async def create_checkout(client: AsyncSpapsClient) -> str:
    checkout = await client.payments.create_checkout_session(
        price_id="price_basic", mode="payment", success_url=SUCCESS, cancel_url=CANCEL
    )
    return str(checkout.session_id)


def test_fifty_clients_mixing_reads_and_writes_lose_nothing(db_target: DbTarget) -> None:
    server = start_spaps_local(*server_args(db_target))
    try:
        seeded = asyncio.run(count_checkouts(db_target))
        acknowledged, errors, reads = asyncio.run(_load(server.url))
        assert errors == [], errors[:5]
        assert reads > LOAD_CLIENTS and len(acknowledged) > LOAD_CLIENTS
        assert len(set(acknowledged)) == len(acknowledged)
        present = asyncio.run(checkout_ids_present(db_target, acknowledged))
        assert present == set(acknowledged)
        assert asyncio.run(count_checkouts(db_target)) == seeded + len(acknowledged)
    finally:
        server.stop()


async def _load(url: str) -> tuple[list[str], list[str], int]:
    acknowledged: list[str] = []
    errors: list[str] = []
    reads = 0
    clients = [await signed_in_client(url) for _ in range(LOAD_CLIENTS)]
    deadline = time.monotonic() + LOAD_SECONDS

    async def worker(client: AsyncSpapsClient, offset: int) -> None:
        nonlocal reads
        step = offset
        mine: list[str] = []
        while time.monotonic() < deadline:
            step += 1
            try:
                if step % 4 == 0:
                    mine.append(await create_checkout(client))
                    acknowledged.append(mine[-1])
                elif step % 4 == 1:
                    await client.sessions.get_current_session()
                    reads += 1
                elif step % 4 == 2 and mine:
                    detail = await client.payments.get_checkout_session(session_id=mine[-1])
                    assert detail.id == mine[-1]
                    reads += 1
                else:
                    await client.payments.list_products(limit=5)
                    reads += 1
            except (SpapsError, AssertionError) as exc:
                errors.append(f"{type(exc).__name__}: {exc}")

    try:
        await asyncio.gather(*(worker(client, n) for n, client in enumerate(clients)))
    finally:
        for client in clients:
            await client.aclose()
    return acknowledged, errors, reads


CRASH_AFTER_ACKS = 30
CRASH_WRITERS = 6


def test_acknowledged_writes_survive_a_sigkill(db_target: DbTarget) -> None:
    server = start_spaps_local(*server_args(db_target))
    acknowledged: list[str] = []
    try:
        failures = asyncio.run(_write_until_killed(server, acknowledged))
    finally:
        if server.proc.poll() is None:
            server.proc.kill()
        server.proc.communicate(timeout=20)
    assert server.proc.returncode == -signal.SIGKILL
    assert len(acknowledged) >= CRASH_AFTER_ACKS
    # The writes in flight at the kill failed loudly; none was reported as done.
    assert failures >= 1

    restarted = start_spaps_local(*server_args(db_target))
    try:
        present = asyncio.run(checkout_ids_present(db_target, acknowledged))
        assert present == set(acknowledged)
        asyncio.run(_read_back(restarted.url, acknowledged[:: max(1, len(acknowledged) // 10)]))
    finally:
        restarted.stop()


async def _write_until_killed(server: SpapsProcess, acknowledged: list[str]) -> int:
    # No retries: a call in flight at the kill must fail rather than wait for a server that
    # will not come back on this port.
    client = await signed_in_client(server.url, retry_config=RetryConfig(max_attempts=1))
    killed = asyncio.Event()
    failures = 0

    async def writer() -> None:
        nonlocal failures
        while not killed.is_set():
            try:
                acknowledged.append(await create_checkout(client))
            except SpapsError:
                failures += 1
                if server.proc.poll() is not None:
                    return
            if len(acknowledged) >= CRASH_AFTER_ACKS and not killed.is_set():
                # Kill while the other writers' requests are on the wire.
                server.proc.send_signal(signal.SIGKILL)
                killed.set()

    try:
        await asyncio.gather(*(writer() for _ in range(CRASH_WRITERS)))
        # Every writer stopped at its first failed call after the kill.
        await asyncio.to_thread(server.proc.wait, 20)
        try:
            await create_checkout(client)
        except SpapsError:
            failures += 1
    finally:
        await client.aclose()
    return failures


async def _read_back(url: str, session_ids: Sequence[str]) -> None:
    client = await signed_in_client(url)
    try:
        for session_id in session_ids:
            detail = await client.payments.get_checkout_session(session_id=session_id)
            assert detail.id == session_id
    finally:
        await client.aclose()
