"""A unit of work never waits for a second pooled connection: nested acquisition is refused
(strict mode, on in the suite), and 20 concurrent refreshes with one token, each holding the
token's row lock in its transaction, all answer with the right statuses."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from spaps_server.storage.database import Database, NestedConnectionError

from .auth_support import PASSWORD, USER, bearer, error_code, running
from .conftest import DEFAULT_KEY, DbTarget


async def test_a_nested_pooled_connection_is_refused_in_strict_mode(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'pool.sqlite3'}", strict_connections=True)
    try:
        async with db.begin() as conn:
            async with db.use(conn) as joined:
                assert joined is conn
            with pytest.raises(NestedConnectionError):
                async with db.read():
                    pass
        # Once released, the next unit of work opens normally.
        async with db.read() as conn:
            assert conn is not None
    finally:
        await db.dispose()


def test_twenty_concurrent_refreshes_with_one_token(db_target: DbTarget) -> None:
    with running(db_target) as live:
        pair = live.login(USER, PASSWORD)

        async def burst() -> list[httpx.Response]:
            async with httpx.AsyncClient(
                base_url=live.url, headers={"X-API-Key": DEFAULT_KEY}, timeout=60
            ) as http:
                return await asyncio.gather(
                    *(
                        http.post(
                            "/api/auth/refresh", json={"refresh_token": pair["refresh_token"]}
                        )
                        for _ in range(20)
                    )
                )

        responses = asyncio.run(burst())
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [200] + [401] * 19, [r.text for r in responses]
        assert {error_code(r) for r in responses if r.status_code == 401} == {
            "REFRESH_TOKEN_REUSED"
        }
        winner = next(r for r in responses if r.status_code == 200).json()["data"]
        current = live.http.get("/api/sessions/current", headers=bearer(winner["access_token"]))
        assert current.status_code == 401 and error_code(current) == "SESSION_REVOKED"


async def test_another_task_is_not_a_nested_connection(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'pool.sqlite3'}", strict_connections=True)

    async def other_request() -> int:
        async with db.read() as conn:
            return int((await conn.exec_driver_sql("SELECT 1")).scalar_one())

    try:
        async with db.read():
            assert await asyncio.create_task(other_request()) == 1
    finally:
        await db.dispose()
