"""SDK cost per call against a live server, next to raw httpx sending the same headers.

One ``spaps local`` subprocess (SQLite) serves both sides. The client side signs in once, then
runs three representative calls through ``SpapsClient`` and through a plain ``httpx.Client``
that sends the same headers (User-Agent, X-API-Key, bearer, Idempotency-Key) and decodes the
same JSON; then the same with ``AsyncSpapsClient`` against ``httpx.AsyncClient`` (sequential
awaits on one event loop). The two sides run in alternating batches (A B, B A, A B, ...) and
each batch records the wall time and the CPU time of this process (``time.process_time``; the
server is another process, so its work is not counted). The table shows the medians per call
and the SDK/raw ratios. Run:

    .venv/bin/python benchmarks/bench_sdk_calls.py [--rounds 15] [--calls 100]

``--profile`` additionally runs the SDK side of each sync call under cProfile, prints the top
entries by internal time and saves the profile in a temporary directory (path printed).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import functools
import itertools
import pstats
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from _sdk_support import API_KEY, EMAIL, PASSWORD, live_server, load_average, median, table

import spaps_client
from spaps_client import AsyncSpapsClient, SpapsClient
from spaps_client._engine import USER_AGENT

CHECKOUT_BODY = {
    "price_id": "price_123",
    "mode": "subscription",
    "success_url": "https://example.com/success",
    "cancel_url": "https://example.com/cancel",
}
# A checkout costs the server several times what a read does; its batches are this much smaller,
# so the run stays short while every batch still spans many calls.
SLOW_CALL_DIVISOR = 4
_keys = itertools.count()


def next_key(side: str) -> str:
    """A fresh idempotency key: every checkout is a new one on both sides."""
    return f"bench-{side}-{next(_keys)}"


@dataclass
class Samples:
    """Per-call wall and CPU seconds of each batch of one side."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    def add(self, wall: float, cpu: float, calls: int) -> None:
        self.wall.append(wall / calls)
        self.cpu.append(cpu / calls)


@dataclass
class Result:
    flavour: str
    call: str
    sdk: Samples
    raw: Samples


# --- the calls, written twice: through the SDK and by hand with httpx ---------------------------


def sync_cases(spaps: SpapsClient, raw: httpx.Client, token: str) -> dict[str, Any]:
    bearer = {"X-API-Key": API_KEY, "Authorization": f"Bearer {token}"}
    key_only = {"X-API-Key": API_KEY}

    def raw_session() -> object:
        response = raw.get("/api/sessions/current", headers=bearer)
        response.raise_for_status()
        data = response.json()["data"]
        return data.get("session", data)["id"]

    def raw_whitelist() -> object:
        response = raw.get("/api/v1/whitelist/check", params={"email": EMAIL}, headers=key_only)
        response.raise_for_status()
        return response.json()["data"]["message"]

    def raw_checkout() -> object:
        headers = {**bearer, "Idempotency-Key": next_key("raw")}
        response = raw.post(
            "/api/payments/create-checkout-session", json=CHECKOUT_BODY, headers=headers
        )
        response.raise_for_status()
        return response.json()["data"]["checkout_url"]

    return {
        "sessions.get_current_session()": (
            lambda: spaps.sessions.get_current_session().session_id,
            raw_session,
        ),
        "whitelist.check(email)": (
            lambda: spaps.whitelist.check(email=EMAIL).message,
            raw_whitelist,
        ),
        "payments.create_checkout_session(key)": (
            lambda: (
                spaps.payments.create_checkout_session(
                    **CHECKOUT_BODY, idempotency_key=next_key("sdk")
                ).checkout_url
            ),
            raw_checkout,
        ),
    }


def async_cases(spaps: AsyncSpapsClient, raw: httpx.AsyncClient, token: str) -> dict[str, Any]:
    bearer = {"X-API-Key": API_KEY, "Authorization": f"Bearer {token}"}
    key_only = {"X-API-Key": API_KEY}

    async def sdk_session() -> object:
        return (await spaps.sessions.get_current_session()).session_id

    async def raw_session() -> object:
        response = await raw.get("/api/sessions/current", headers=bearer)
        response.raise_for_status()
        data = response.json()["data"]
        return data.get("session", data)["id"]

    async def sdk_whitelist() -> object:
        return (await spaps.whitelist.check(email=EMAIL)).message

    async def raw_whitelist() -> object:
        response = await raw.get(
            "/api/v1/whitelist/check", params={"email": EMAIL}, headers=key_only
        )
        response.raise_for_status()
        return response.json()["data"]["message"]

    async def sdk_checkout() -> object:
        checkout = await spaps.payments.create_checkout_session(
            **CHECKOUT_BODY, idempotency_key=next_key("sdk")
        )
        return checkout.checkout_url

    async def raw_checkout() -> object:
        headers = {**bearer, "Idempotency-Key": next_key("raw")}
        response = await raw.post(
            "/api/payments/create-checkout-session", json=CHECKOUT_BODY, headers=headers
        )
        response.raise_for_status()
        return response.json()["data"]["checkout_url"]

    return {
        "sessions.get_current_session()": (sdk_session, raw_session),
        "whitelist.check(email)": (sdk_whitelist, raw_whitelist),
        "payments.create_checkout_session(key)": (sdk_checkout, raw_checkout),
    }


# --- measuring ----------------------------------------------------------------------------------


def batch_size(name: str, calls: int) -> int:
    return max(1, calls // SLOW_CALL_DIVISOR) if "checkout" in name else calls


def batch(fn: Callable[[], object], calls: int, samples: Samples) -> None:
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(calls):
        fn()
    samples.add(time.perf_counter() - wall, time.process_time() - cpu, calls)


async def abatch(fn: Callable[[], Awaitable[object]], calls: int, samples: Samples) -> None:
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(calls):
        await fn()
    samples.add(time.perf_counter() - wall, time.process_time() - cpu, calls)


def measure_sync(url: str, rounds: int, calls: int, profile_dir: Path | None) -> list[Result]:
    results = []
    with (
        SpapsClient(base_url=url, api_key=API_KEY) as spaps,
        httpx.Client(base_url=url, headers={"User-Agent": USER_AGENT}) as raw,
    ):
        spaps.auth.sign_in_with_password(email=EMAIL, password=PASSWORD)
        tokens = spaps.get_tokens()
        assert tokens is not None
        for name, (sdk, baseline) in sync_cases(spaps, raw, tokens.access_token).items():
            size = batch_size(name, calls)
            sdk_samples, raw_samples = Samples(), Samples()
            batch(sdk, size, Samples())  # warm-up
            batch(baseline, size, Samples())
            for round_ in range(rounds):
                pair = [(sdk, sdk_samples), (baseline, raw_samples)]
                for fn, samples in pair if round_ % 2 == 0 else reversed(pair):
                    batch(fn, size, samples)
            results.append(Result("sync", name, sdk_samples, raw_samples))
            if profile_dir is not None:
                profiled = functools.partial(batch, sdk, size * 5, Samples())
                write_profile(profile_dir, name, profiled)
    return results


async def measure_async(url: str, rounds: int, calls: int) -> list[Result]:
    results = []
    async with (
        AsyncSpapsClient(base_url=url, api_key=API_KEY) as spaps,
        httpx.AsyncClient(base_url=url, headers={"User-Agent": USER_AGENT}) as raw,
    ):
        await spaps.auth.sign_in_with_password(email=EMAIL, password=PASSWORD)
        tokens = spaps.get_tokens()
        assert tokens is not None
        for name, (sdk, baseline) in async_cases(spaps, raw, tokens.access_token).items():
            size = batch_size(name, calls)
            sdk_samples, raw_samples = Samples(), Samples()
            await abatch(sdk, size, Samples())
            await abatch(baseline, size, Samples())
            for round_ in range(rounds):
                pair = [(sdk, sdk_samples), (baseline, raw_samples)]
                for fn, samples in pair if round_ % 2 == 0 else reversed(pair):
                    await abatch(fn, size, samples)
            results.append(Result("async", name, sdk_samples, raw_samples))
    return results


def write_profile(directory: Path, name: str, run: Callable[[], None]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    profiler = cProfile.Profile()
    profiler.runcall(run)
    target = directory / ("sdk_" + "".join(c if c.isalnum() else "_" for c in name) + ".prof")
    profiler.dump_stats(target)
    print(f"\nprofile of the SDK side of {name} -> {target}")
    pstats.Stats(profiler).sort_stats("tottime").print_stats(15)


def report(results: list[Result], rounds: int, calls: int) -> None:
    rows = []
    for result in results:
        sdk_wall, raw_wall = median(result.sdk.wall), median(result.raw.wall)
        sdk_cpu, raw_cpu = median(result.sdk.cpu), median(result.raw.cpu)
        rows.append(
            [
                result.flavour,
                result.call,
                f"{raw_wall * 1e6:.0f}",
                f"{sdk_wall * 1e6:.0f}",
                f"{sdk_wall / raw_wall:.3f}x",
                f"{raw_cpu * 1e6:.0f}",
                f"{sdk_cpu * 1e6:.0f}",
                f"{sdk_cpu / raw_cpu:.3f}x",
            ]
        )
    print(
        f"\nmedians per call of {rounds} interleaved batches per side ({calls} calls each, "
        f"{batch_size('checkout', calls)} for the checkout); load average {load_average()}\n"
    )
    header = [
        "flavour",
        "call",
        "raw wall µs",
        "SDK wall µs",
        "wall ratio",
        "raw CPU µs",
        "SDK CPU µs",
        "CPU ratio",
    ]
    print(table(header, rows))
    worst = {
        flavour: max(median(r.sdk.cpu) / median(r.raw.cpu) for r in results if r.flavour == flavour)
        for flavour in ("sync", "async")
    }
    verdict = all(ratio <= 1.10 for ratio in worst.values())
    print(
        f"\nworst CPU ratio: sync {worst['sync']:.3f}x, async {worst['async']:.3f}x "
        f"(target <= 1.10x: {'holds' if verdict else 'does not hold'})"
    )


def main() -> None:
    """Start a server, measure both flavours, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15, help="batches per side (default 15)")
    parser.add_argument("--calls", type=int, default=100, help="calls per batch (default 100)")
    parser.add_argument("--profile", action="store_true", help="also cProfile the SDK side")
    args = parser.parse_args()
    profile_dir = Path(tempfile.mkdtemp(prefix="spaps-sdk-profile-")) if args.profile else None
    with live_server() as server:
        print(f"spaps local at {server.url}; SDK from {Path(spaps_client.__file__).parent}")
        results = measure_sync(server.url, args.rounds, args.calls, profile_dir)
        results += asyncio.run(measure_async(server.url, args.rounds, args.calls))
    report(results, args.rounds, args.calls)


if __name__ == "__main__":
    main()
