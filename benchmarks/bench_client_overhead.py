"""SDK overhead per call against a raw httpx baseline, with no network in the picture.

Both sides talk to the same in-memory transport (``httpx.MockTransport``), so the ratio shows
only what the SDK adds on the client (headers, token resolution, the request loop, envelope
parsing, pydantic models); ``bench_sdk_calls.py`` measures the same against a live server.
Sync (``SpapsClient`` vs ``httpx.Client``) and async (``AsyncSpapsClient`` vs
``httpx.AsyncClient``), the two sides in alternating batches (A B, B A, ...), CPU time of this
process per call, medians. Run:

    .venv/bin/python benchmarks/bench_client_overhead.py [--rounds 21] [--calls 500]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable

import httpx
from _sdk_support import load_average, table

from spaps_client import AsyncSpapsClient, SpapsClient

SESSION = {
    "success": True,
    "data": {
        "session": {
            "id": "sess_123",
            "user_id": "user_456",
            "application_id": "app_789",
            "tier": "basic",
            "created_at": "2025-01-09T10:00:00Z",
            "expires_at": "2025-01-10T10:00:00Z",
            "last_activity": "2025-01-09T10:25:00Z",
            "wallets_count": 2,
            "duration_minutes": 600,
            "idle_minutes": 5,
        }
    },
}
BASE = "http://bench.test"
HEADERS = {"X-API-Key": "k", "Authorization": "Bearer t"}


def handler(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json=SESSION)


def transport() -> httpx.MockTransport:
    return httpx.MockTransport(handler)


def cpu_per_call(fn: Callable[[], object], calls: int) -> float:
    started = time.process_time()
    for _ in range(calls):
        fn()
    return (time.process_time() - started) / calls


async def acpu_per_call(fn: Callable[[], Awaitable[object]], calls: int) -> float:
    started = time.process_time()
    for _ in range(calls):
        await fn()
    return (time.process_time() - started) / calls


def sync_pair(rounds: int, calls: int) -> tuple[list[float], list[float]]:
    raw = httpx.Client(base_url=BASE, transport=transport())
    spaps = SpapsClient(
        base_url=BASE, http_client=httpx.Client(base_url=BASE, transport=transport())
    )
    spaps.set_tokens(access_token="t")

    def baseline() -> object:
        return raw.get("/api/sessions/current", headers=HEADERS).json()["data"]["session"]["id"]

    def sdk() -> object:
        return spaps.sessions.get_current_session().session_id

    raw_times: list[float] = []
    sdk_times: list[float] = []
    cpu_per_call(baseline, calls)  # warm-up
    cpu_per_call(sdk, calls)
    for round_ in range(rounds):
        pair = [(baseline, raw_times), (sdk, sdk_times)]
        for fn, times in pair if round_ % 2 == 0 else reversed(pair):
            times.append(cpu_per_call(fn, calls))
    return raw_times, sdk_times


async def async_pair(rounds: int, calls: int) -> tuple[list[float], list[float]]:
    raw = httpx.AsyncClient(base_url=BASE, transport=transport())
    spaps = AsyncSpapsClient(
        base_url=BASE, http_client=httpx.AsyncClient(base_url=BASE, transport=transport())
    )
    spaps.set_tokens(access_token="t")

    async def baseline() -> object:
        response = await raw.get("/api/sessions/current", headers=HEADERS)
        return response.json()["data"]["session"]["id"]

    async def sdk() -> object:
        return (await spaps.sessions.get_current_session()).session_id

    raw_times: list[float] = []
    sdk_times: list[float] = []
    await acpu_per_call(baseline, calls)
    await acpu_per_call(sdk, calls)
    for round_ in range(rounds):
        pair = [(baseline, raw_times), (sdk, sdk_times)]
        for fn, times in pair if round_ % 2 == 0 else reversed(pair):
            times.append(await acpu_per_call(fn, calls))
    return raw_times, sdk_times


def main() -> None:
    """Measure both flavours and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=21)
    parser.add_argument("--calls", type=int, default=500)
    args = parser.parse_args()
    measured = {
        "sync": sync_pair(args.rounds, args.calls),
        "async": asyncio.run(async_pair(args.rounds, args.calls)),
    }
    rows = []
    for flavour, (raw_times, sdk_times) in measured.items():
        raw_cpu, sdk_cpu = statistics.median(raw_times), statistics.median(sdk_times)
        rows.append(
            [
                flavour,
                f"{raw_cpu * 1e6:.1f}",
                f"{sdk_cpu * 1e6:.1f}",
                f"{(sdk_cpu - raw_cpu) * 1e6:+.1f}",
                f"{sdk_cpu / raw_cpu:.3f}x",
            ]
        )
    print(
        f"get_current_session over an in-memory transport, CPU per call, medians of "
        f"{args.rounds} interleaved batches of {args.calls}; load average {load_average()}\n"
    )
    print(table(["flavour", "raw µs", "SDK µs", "SDK - raw µs", "ratio"], rows))


if __name__ == "__main__":
    main()
