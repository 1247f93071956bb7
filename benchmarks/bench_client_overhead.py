"""SDK overhead per call against a raw httpx baseline, measured in the same run.

Both sides talk to the same in-memory transport, so the network is out of the picture and the
ratio shows what the SDK adds (headers, token resolution, envelope parsing, pydantic models,
the retry wrapper). Run by hand:

    python benchmarks/bench_client_overhead.py [--calls 5000]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import httpx

from spaps_client import SpapsClient

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


def transport() -> httpx.MockTransport:
    return httpx.MockTransport(lambda request: httpx.Response(200, json=SESSION))


def best_of(rounds: int, calls: int, fn: Callable[[], object]) -> float:
    timings = []
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(calls):
            fn()
        timings.append((time.perf_counter() - started) / calls)
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    raw = httpx.Client(base_url=BASE, transport=transport())
    headers = {"X-API-Key": "k", "Authorization": "Bearer t"}

    def baseline() -> object:
        return raw.get("/api/sessions/current", headers=headers).json()["data"]["session"]["id"]

    spaps = SpapsClient(
        base_url=BASE, http_client=httpx.Client(base_url=BASE, transport=transport())
    )
    spaps.set_tokens(access_token="t")

    def sdk() -> object:
        return spaps.sessions.get_current_session().session_id

    for fn in (baseline, sdk):
        best_of(1, 200, fn)  # warm up
    base_time = best_of(args.rounds, args.calls, baseline)
    sdk_time = best_of(args.rounds, args.calls, sdk)
    print(f"raw httpx + json      : {base_time * 1e6:8.1f} µs/call")
    print(f"SpapsClient (parsed)  : {sdk_time * 1e6:8.1f} µs/call")
    print(f"ratio SDK / baseline  : {sdk_time / base_time:8.2f}x")


if __name__ == "__main__":
    main()
