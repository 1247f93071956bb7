"""1,000 concurrent calls through one AsyncSpapsClient with default settings against a real
``spaps local``: from a client that has made no request yet (cold: no connection open), then
again once its pool is warm. Every call succeeds; waiting happens in the engine's queue."""

from __future__ import annotations

import asyncio

from spaps_client import AsyncSpapsClient, InMemoryTokenStorage

from .conftest import API_KEY, LocalServer

CALLS = 1000


def test_a_thousand_concurrent_calls_all_succeed_cold_and_warm(local_server: LocalServer) -> None:
    async def scenario() -> None:
        storage = InMemoryTokenStorage()
        async with AsyncSpapsClient(
            base_url=local_server.url, api_key=API_KEY, token_storage=storage
        ) as signer:
            await signer.auth.sign_in_with_password(email="user@example.com", password="Secret123!")
        # A new client on the stored tokens: no connection, nothing resolved yet.
        async with AsyncSpapsClient(
            base_url=local_server.url, api_key=API_KEY, token_storage=storage
        ) as client:
            for _round in ("cold", "warm"):
                results = await asyncio.gather(
                    *(client.sessions.get_current_session() for _ in range(CALLS)),
                    return_exceptions=True,
                )
                failures = [r for r in results if isinstance(r, BaseException)]
                assert failures == [], failures[:3]
                assert {r.session_id for r in results if not isinstance(r, BaseException)} != set()

    asyncio.run(scenario())
