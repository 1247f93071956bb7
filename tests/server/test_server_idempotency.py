"""The idempotency piece (``http.idempotency`` + ``services.idempotency``) over real HTTP on
SQLite and PostgreSQL, through a test route whose operation writes a real row: replays,
conflicting reuse, concurrent requests with one key, failures that release the key, a lease
taken over after a crash, scoping, and malformed keys."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi import APIRouter, Request
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.responses import Response

from spaps_server.domain.error_codes import ErrorCode
from spaps_server.domain.errors import PaymentRequiredError
from spaps_server.domain.ids import new_id
from spaps_server.domain.whitelist import WhitelistEntry
from spaps_server.http.deps import Ctx, CurrentApplication
from spaps_server.http.envelopes import ok
from spaps_server.http.idempotency import idempotent
from spaps_server.storage.database import Database
from spaps_server.storage.idempotency import IdempotencyRepository
from spaps_server.storage.tables import idempotency_keys, whitelist_entries
from spaps_server.storage.whitelist import WhitelistRepository

from .conftest import DEFAULT_KEY, DbTarget, LiveServer, live_server

ROUTE = "/_test/orders"


class OrderIn(BaseModel):
    email: str
    delay: float = 0.0
    fail: bool = False


def _router() -> APIRouter:
    router = APIRouter()

    @router.post(ROUTE)
    async def create_order(
        body: OrderIn, request: Request, app: CurrentApplication, ctx: Ctx
    ) -> Response:
        async def operation(conn: AsyncConnection) -> Response:
            now = datetime.now(timezone.utc)
            entry = WhitelistEntry(
                id=new_id("wl"),
                application_id=app.id,
                email=f"{new_id('o')}-{body.email}",
                tier="basic",
                bypass_payment=False,
                metadata={},
                created_at=now,
                updated_at=now,
            )
            await WhitelistRepository(ctx.db).insert(entry, conn=conn)
            if body.delay:
                await asyncio.sleep(body.delay)
            if body.fail:
                raise PaymentRequiredError("declined", code=ErrorCode.CARD_DECLINED)
            return ok({"order_id": entry.id}, status_code=201)

        return await idempotent(
            request, ctx, application_id=app.id, caller="test", operation=operation
        )

    return router


@contextlib.contextmanager
def serve(db_target: DbTarget) -> Iterator[LiveServer]:
    with live_server(db_target.config(), extra_routers=[_router()]) as server:
        yield server


def own_database(server: LiveServer) -> Database:
    """A second handle on the server's database, for this thread's event loop (the server's
    own engine belongs to the loop of its thread)."""
    config = server.app.state.context.config
    return Database(config.effective_database_url, schema=config.database_schema)


async def _rows(server: LiveServer, table: sa.Table) -> int:
    db = own_database(server)
    try:
        async with db.read() as conn:
            count = await conn.execute(sa.select(sa.func.count()).select_from(table))
            return int(count.scalar_one())
    finally:
        await db.dispose()


def rows(server: LiveServer, table: sa.Table = whitelist_entries) -> int:
    return asyncio.run(_rows(server, table))


def insert_claim(server: LiveServer, *, key: str, locked_until: datetime) -> None:
    """Leave a claim on ``key`` as another request (or a killed server) would."""
    ctx = server.app.state.context

    async def insert() -> None:
        db = own_database(server)
        try:
            now = ctx.clock.now()
            assert await IdempotencyRepository(db).insert_claim(
                record_id=new_id("idem"),
                application_id=ctx.default_application.id,
                caller="test",
                key=key,
                request_hash="0" * 64,
                claim_token=new_id("claim"),
                now=now,
                locked_until=locked_until,
                expires_at=now + timedelta(days=1),
            )
        finally:
            await db.dispose()

    asyncio.run(insert())


def post(
    http: httpx.Client, body: dict[str, Any], key: str | None, header: str = "Idempotency-Key"
) -> httpx.Response:
    headers = {"X-API-Key": DEFAULT_KEY}
    if key is not None:
        headers[header] = key
    return http.post(ROUTE, json=body, headers=headers)


def test_same_key_and_body_replays_the_stored_answer(db_target: DbTarget) -> None:
    with serve(db_target) as server, httpx.Client(base_url=server.url) as http:
        first = post(http, {"email": "a@example.com"}, "key-1")
        second = post(http, {"email": "a@example.com"}, "key-1")
        assert first.status_code == second.status_code == 201
        assert second.json() == first.json()
        assert second.headers["Idempotent-Replayed"] == "true"
        assert "Idempotent-Replayed" not in first.headers
        assert rows(server) == 1


def test_the_usage_header_name_is_the_same_key(db_target: DbTarget) -> None:
    with serve(db_target) as server, httpx.Client(base_url=server.url) as http:
        first = post(http, {"email": "a@example.com"}, "k", header="X-Idempotency-Key")
        second = post(http, {"email": "a@example.com"}, "k")
        assert second.json() == first.json()
        assert rows(server) == 1


def test_same_key_with_another_body_is_refused(db_target: DbTarget) -> None:
    with serve(db_target) as server, httpx.Client(base_url=server.url) as http:
        assert post(http, {"email": "a@example.com"}, "key-1").status_code == 201
        reused = post(http, {"email": "b@example.com"}, "key-1")
        assert reused.status_code == 400
        assert reused.json()["error"]["code"] == "IDEMPOTENCY_KEY_REUSED"
        assert rows(server) == 1


def test_ten_concurrent_requests_with_one_key_create_one_row(db_target: DbTarget) -> None:
    with serve(db_target) as server:

        async def burst() -> list[httpx.Response]:
            async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
                return await asyncio.gather(
                    *(
                        http.post(
                            ROUTE,
                            json={"email": "a@example.com", "delay": 0.3},
                            headers={"X-API-Key": DEFAULT_KEY, "Idempotency-Key": "burst"},
                        )
                        for _ in range(10)
                    )
                )

        responses = asyncio.run(burst())
        statuses = sorted(r.status_code for r in responses)
        assert statuses.count(201) >= 1, statuses
        assert set(statuses) <= {201, 409}, statuses
        in_use = [r for r in responses if r.status_code == 409]
        assert all(r.json()["error"]["code"] == "IDEMPOTENCY_KEY_IN_USE" for r in in_use)
        originals = {r.json()["data"]["order_id"] for r in responses if r.status_code == 201}
        assert len(originals) == 1
        assert rows(server) == 1
        with httpx.Client(base_url=server.url) as http:
            later = post(http, {"email": "a@example.com", "delay": 0.3}, "burst")
        assert later.status_code == 201
        assert later.json()["data"]["order_id"] in originals
        assert rows(server) == 1


def test_a_failed_request_releases_its_key(db_target: DbTarget) -> None:
    with serve(db_target) as server, httpx.Client(base_url=server.url) as http:
        failed = post(http, {"email": "a@example.com", "fail": True}, "retry-me")
        assert failed.status_code == 402
        assert rows(server) == 0  # the write rolled back with the failure
        assert rows(server, idempotency_keys) == 0
        again = post(http, {"email": "a@example.com", "fail": True}, "retry-me")
        assert again.status_code == 402  # ran again, not replayed
        assert "Idempotent-Replayed" not in again.headers


def test_a_claim_whose_lease_ran_out_is_taken_over(db_target: DbTarget) -> None:
    with serve(db_target) as server, httpx.Client(base_url=server.url) as http:
        # What a server killed mid-request leaves behind: a claim and no change.
        insert_claim(server, key="orphan", locked_until=server.app.state.context.clock.now())
        taken = post(http, {"email": "a@example.com"}, "orphan")
        assert taken.status_code == 201
        assert rows(server) == 1
        assert post(http, {"email": "a@example.com"}, "orphan").json() == taken.json()


def test_a_live_claim_answers_in_use(db_target: DbTarget) -> None:
    with serve(db_target) as server, httpx.Client(base_url=server.url) as http:
        first = post(http, {"email": "a@example.com"}, "held")
        assert first.status_code == 201
        insert_claim(
            server, key="busy", locked_until=server.app.state.context.clock.now().replace(year=2999)
        )
        busy = post(http, {"email": "a@example.com"}, "busy")
        assert busy.status_code == 409
        assert busy.json()["error"]["code"] == "IDEMPOTENCY_KEY_IN_USE"
        assert rows(server) == 1


def test_keys_expire_after_the_retention(db_target: DbTarget) -> None:
    with serve(db_target) as server, httpx.Client(base_url=server.url) as http:
        first = post(http, {"email": "a@example.com"}, "daily")
        server.app.state.context.clock.advance(seconds=24 * 3600 + 1)
        second = post(http, {"email": "a@example.com"}, "daily")
        assert second.status_code == 201
        assert second.json() != first.json()
        assert rows(server) == 2
        assert rows(server, idempotency_keys) == 1


def test_without_a_key_every_request_runs(db_target: DbTarget) -> None:
    with serve(db_target) as server, httpx.Client(base_url=server.url) as http:
        assert post(http, {"email": "a@example.com"}, None).status_code == 201
        assert post(http, {"email": "a@example.com"}, None).status_code == 201
        assert rows(server) == 2
        assert rows(server, idempotency_keys) == 0


@pytest.mark.parametrize("key", [b"", b"x" * 256, b"tab\there", "é-accent".encode()])
def test_malformed_keys_are_refused(sqlite_target: DbTarget, key: bytes) -> None:
    with serve(sqlite_target) as server, httpx.Client(base_url=server.url) as http:
        response = http.post(
            ROUTE,
            json={"email": "a@example.com"},
            headers={"X-API-Key": DEFAULT_KEY, "Idempotency-Key": key},
        )
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "VALIDATION_ERROR"
        assert rows(server) == 0


def test_the_two_header_names_must_agree(sqlite_target: DbTarget) -> None:
    with serve(sqlite_target) as server, httpx.Client(base_url=server.url) as http:
        response = http.post(
            ROUTE,
            json={"email": "a@example.com"},
            headers={"X-API-Key": DEFAULT_KEY, "Idempotency-Key": "a", "X-Idempotency-Key": "b"},
        )
        assert response.status_code == 400
        assert rows(server) == 0
