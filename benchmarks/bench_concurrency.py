"""1,000 concurrent calls through one ``AsyncSpapsClient`` with default settings, next to raw
``httpx.AsyncClient`` configurations, against one live ``spaps local`` (SQLite).

Every run starts a new client and fires 1,000 ``GET /api/sessions/current`` at once
(``asyncio.gather``), either *cold* (the client has made no request yet: no connection open,
tokens from storage) or *warm* (right after a sign-in through the same client). The sides:

* ``AsyncSpapsClient()``: the SDK as shipped, nothing configured;
* ``httpx default``: ``httpx.AsyncClient()`` with its defaults (100 connections, 5 s pool
  timeout);
* ``httpx limits=64``: the SDK's pool limits (64 connections, all kept alive);
* ``httpx limits=64, no pool timeout``: the same without a pool timeout (waits as long as needed);
* ``httpx limits=64 + Semaphore(64)``: the same limits, at most 64 requests in flight (as
  many as the pool holds);
* ``httpx limits=64 + Semaphore(16)``: the same limits, at most 16 requests in flight (what the
  SDK does).

The raw sides send the same headers and decode the same JSON. Runs are interleaved (round 1:
every side cold and warm in one order, round 2 in another, ...); the table shows medians over
the rounds of successes, wall time, throughput (successful calls per second) and client CPU,
and the TCP connections each client opened (counted with httpcore's ``trace`` request
extension, added to every request of every side by a request event hook). The verdict takes,
round by round, the SDK's throughput over the best raw side's of the same round, and the
median of those ratios (the load of a shared machine drifts more between rounds than within
one). Run:

    .venv/bin/python benchmarks/bench_concurrency.py [--rounds 5] [--calls 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from _sdk_support import API_KEY, EMAIL, PASSWORD, live_server, load_average, table

from spaps_client import AsyncSpapsClient
from spaps_client._engine import USER_AGENT

SDK = "AsyncSpapsClient()"
POOL = 64


@dataclass
class Run:
    """One run of one side: what came back and what it cost."""

    succeeded: int
    calls: int
    seconds: float
    cpu_seconds: float
    connections: int
    errors: Counter[str]

    @property
    def throughput(self) -> float:
        return self.succeeded / self.seconds


@dataclass
class ConnectionCounter:
    """Counts TCP connections a client opens, through httpcore's ``trace`` extension."""

    opened: int = 0

    async def trace(self, event: str, info: dict[str, Any]) -> None:
        if event == "connection.connect_tcp.complete":
            self.opened += 1

    def install(self, http: httpx.AsyncClient) -> None:
        async def add_trace(request: httpx.Request) -> None:
            request.extensions = {**request.extensions, "trace": self.trace}

        http.event_hooks = {"request": [add_trace], "response": []}


@dataclass
class Side:
    """How one side makes its client (``AsyncSpapsClient`` or ``httpx.AsyncClient``) and its
    call."""

    name: str
    make: Callable[[str], AsyncSpapsClient | httpx.AsyncClient]
    call: Callable[[Any, str], Awaitable[object]]
    sign_in: Callable[[Any], Awaitable[str]]
    results: dict[str, list[Run]] = field(default_factory=lambda: {"cold": [], "warm": []})


async def sdk_sign_in(client: AsyncSpapsClient) -> str:
    tokens = await client.auth.sign_in_with_password(email=EMAIL, password=PASSWORD)
    return tokens.access_token


async def sdk_call(client: AsyncSpapsClient, token: str) -> object:
    return (await client.sessions.get_current_session()).session_id


async def raw_sign_in(http: httpx.AsyncClient) -> str:
    response = await http.post(
        "/api/auth/login",
        json={"email": EMAIL, "password": PASSWORD},
        headers={"X-API-Key": API_KEY},
    )
    response.raise_for_status()
    return str(response.json()["data"]["access_token"])


def raw_call(semaphore_size: int | None) -> Callable[[httpx.AsyncClient, str], Awaitable[object]]:
    semaphores: dict[int, asyncio.Semaphore] = {}

    async def get(http: httpx.AsyncClient, token: str) -> object:
        headers = {"X-API-Key": API_KEY, "Authorization": f"Bearer {token}"}
        response = await http.get("/api/sessions/current", headers=headers)
        response.raise_for_status()
        data = response.json()["data"]
        return data.get("session", data)["id"]

    if semaphore_size is None:
        return get

    async def limited(http: httpx.AsyncClient, token: str) -> object:
        # One semaphore per client (the client lives for one run).
        semaphore = semaphores.setdefault(id(http), asyncio.Semaphore(semaphore_size))
        async with semaphore:
            return await get(http, token)

    return limited


def sides() -> list[Side]:
    sdk_limits = httpx.Limits(max_connections=POOL, max_keepalive_connections=POOL)

    def raw(name: str, semaphore: int | None = None, **options: Any) -> Side:
        def make(url: str) -> httpx.AsyncClient:
            return httpx.AsyncClient(base_url=url, headers={"User-Agent": USER_AGENT}, **options)

        return Side(name, make, raw_call(semaphore), raw_sign_in)

    def sdk(url: str) -> AsyncSpapsClient:
        return AsyncSpapsClient(base_url=url, api_key=API_KEY)

    # The SDK and the raw side doing what it does come one after the other in every rotation
    # but one, so the per-round ratio compares runs made under the same load.
    return [
        Side(SDK, sdk, sdk_call, sdk_sign_in),
        raw("httpx limits=64 + Semaphore(16)", semaphore=16, limits=sdk_limits),
        raw("httpx limits=64 + Semaphore(64)", semaphore=64, limits=sdk_limits),
        raw("httpx default"),
        raw("httpx limits=64", limits=sdk_limits),
        raw(
            "httpx limits=64, no pool timeout",
            limits=sdk_limits,
            timeout=httpx.Timeout(5.0, pool=None),
        ),
    ]


async def one_run(side: Side, url: str, warm: bool, calls: int, stored_token: str) -> Run:
    client = side.make(url)
    if isinstance(client, AsyncSpapsClient):
        http = client.http_client
        if not warm:
            # Cold: tokens from storage, as a process that signed in earlier would have them.
            client.set_tokens(access_token=stored_token)
    else:
        http = client
    counter = ConnectionCounter()
    counter.install(http)
    try:
        token = await side.sign_in(client) if warm else stored_token
        cpu, started = time.process_time(), time.perf_counter()
        outcomes = await asyncio.gather(
            *(side.call(client, token) for _ in range(calls)), return_exceptions=True
        )
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    finally:
        await client.aclose()
    errors = Counter(type(o).__name__ for o in outcomes if isinstance(o, BaseException))
    return Run(calls - sum(errors.values()), calls, seconds, cpu, counter.opened, errors)


async def measure(url: str, rounds: int, calls: int) -> list[Side]:
    all_sides = sides()
    async with httpx.AsyncClient(base_url=url) as http:
        stored_token = await raw_sign_in(http)
    for round_ in range(rounds):
        # Rotate the order every round, so no side always runs first or after the same one.
        shift = round_ % len(all_sides)
        order = all_sides[shift:] + all_sides[:shift]
        for warm in (False, True) if round_ % 2 == 0 else (True, False):
            for side in order:
                run = await one_run(side, url, warm, calls, stored_token)
                side.results["warm" if warm else "cold"].append(run)
                print(
                    f"round {round_ + 1} {'warm' if warm else 'cold'} {side.name}: "
                    f"{run.succeeded}/{run.calls} in {run.seconds:.2f} s, "
                    f"{run.connections} connections {dict(run.errors) or ''}",
                    flush=True,
                )
    return all_sides


def report(all_sides: list[Side], rounds: int, calls: int) -> None:
    print(
        f"\n{calls} concurrent calls per run, medians of {rounds} interleaved runs per side; "
        f"load average {load_average()}\n"
    )
    header = [
        "start",
        "client",
        "succeeded",
        "wall s",
        "calls/s",
        "client CPU s",
        "TCP connections",
        "errors (all runs)",
    ]
    rows = []
    verdicts = []
    for phase in ("cold", "warm"):
        best_raw = 0.0
        sdk_runs: list[Run] = []
        for side in all_sides:
            runs = side.results[phase]
            throughput = statistics.median(r.throughput for r in runs)
            errors: Counter[str] = Counter()
            for r in runs:
                errors.update(r.errors)
            rows.append(
                [
                    phase,
                    side.name,
                    f"{min(r.succeeded for r in runs)}-{max(r.succeeded for r in runs)}",
                    f"{statistics.median(r.seconds for r in runs):.2f}",
                    f"{throughput:.0f}",
                    f"{statistics.median(r.cpu_seconds for r in runs):.2f}",
                    f"{statistics.median(r.connections for r in runs):.0f}",
                    ", ".join(f"{k} x{v}" for k, v in errors.items()) or "-",
                ]
            )
            if side.name == SDK:
                sdk_runs = runs
            else:
                best_raw = max(best_raw, throughput)
        sdk_throughput = statistics.median(r.throughput for r in sdk_runs)
        all_ok = all(r.succeeded == r.calls for r in sdk_runs)
        # Round by round: the SDK against the best raw side of the same round.
        paired = statistics.median(
            sdk_run.throughput
            / max(side.results[phase][i].throughput for side in all_sides if side.name != SDK)
            for i, sdk_run in enumerate(sdk_runs)
        )
        verdicts.append(
            f"{phase}: SDK {'all' if all_ok else 'NOT all'} {calls} succeeded in every run; "
            f"SDK / best raw throughput: {sdk_throughput / best_raw:.2f}x of the medians, "
            f"{paired:.2f}x median of the per-round ratios "
            f"({'holds' if all_ok and paired >= 1.0 else 'does not hold'})"
        )
    print(table(header, rows))
    print()
    print("\n".join(verdicts))


def main() -> None:
    """Start a server, run every side cold and warm, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="runs per side and start")
    parser.add_argument("--calls", type=int, default=1000, help="concurrent calls per run")
    args = parser.parse_args()
    # Every warm run signs in once; the default login limits would turn that into 429s.
    limits = ("--rate-limit", "login:ip=1000000/60", "--rate-limit", "login:acct=1000000/60")
    with live_server(*limits) as server:
        probe = AsyncSpapsClient(base_url=server.url)
        pool = probe.http_client._transport._pool  # type: ignore[attr-defined]
        print(
            f"spaps local at {server.url}; load average {load_average()}; the SDK's own pool: "
            f"{pool._max_connections} connections, {probe._engine.max_in_flight} in flight",
            flush=True,
        )
        asyncio.run(probe.aclose())
        all_sides = asyncio.run(measure(server.url, args.rounds, args.calls))
    report(all_sides, args.rounds, args.calls)


if __name__ == "__main__":
    main()
