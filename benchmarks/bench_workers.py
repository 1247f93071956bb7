"""Throughput of ``GET /api/sessions/current`` with 1, 2 and 4 worker processes on one
PostgreSQL database, same run, same load generator. Run by hand (no assertions; it prints
requests per second and the ratio to one worker):

    export SPAPS_TEST_DATABASE_URL=$(bash scripts/provision)
    python benchmarks/bench_workers.py [--requests 3000] [--concurrency 32] [--workers 1,2,4]

Each configuration is a fresh ``spaps local --workers N`` on its own throw-away schema. The
load generator is one asyncio process with ``--concurrency`` keep-alive connections (httpx),
so on a small machine it competes with the server for the CPU: read the numbers as relative.
A warm-up burst precedes each measurement.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

API_KEY = "test_key_local_dev_only"


async def _pg(url: str, statement: str) -> None:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(sa.text(statement))
    finally:
        await engine.dispose()


def _asyncpg_url(raw: str) -> str:
    from spaps_server.storage.database import normalize_database_url

    return normalize_database_url(raw).render_as_string(hide_password=False)


async def _load(url: str, token: str, requests: int, concurrency: int) -> float:
    headers = {"X-API-Key": API_KEY, "Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits) as http:
        remaining = requests

        async def client() -> None:
            nonlocal remaining
            while remaining > 0:
                remaining -= 1
                response = await http.get("/api/sessions/current")
                if response.status_code != 200:
                    raise RuntimeError(response.text)

        started = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(concurrency)))
        return requests / (time.perf_counter() - started)


def measure(base_url: str, workers: int, requests: int, concurrency: int) -> float:
    """Requests per second of one ``spaps local --workers N`` on a fresh schema."""
    schema = f"spaps_bench_{secrets.token_hex(4)}"
    asyncio.run(_pg(base_url, f'CREATE SCHEMA "{schema}"'))
    data_dir = tempfile.mkdtemp(prefix="spaps-bench-")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from spaps_server.cli import main; sys.exit(main())",
            "local",
            "--json",
            "--port",
            "0",
            "--workers",
            str(workers),
            "--database-url",
            f"{base_url}?schema={schema}",
            "--data-dir",
            data_dir,
        ],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "SPAPS_PASSWORD_PROFILE": "test"},
    )
    try:
        assert proc.stdout is not None
        record = json.loads(proc.stdout.readline())
        url = record["url"]
        login = httpx.post(
            f"{url}/api/auth/login",
            json={"email": "user@example.com", "password": "Secret123!"},
            headers={"X-API-Key": API_KEY},
        )
        token = login.json()["data"]["access_token"]
        asyncio.run(_load(url, token, max(200, requests // 10), concurrency))
        return asyncio.run(_load(url, token, requests, concurrency))
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
        asyncio.run(_pg(base_url, f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))


def main() -> None:
    """Run the comparison and print one line per worker count."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", default="1,2,4")
    args = parser.parse_args()
    raw = os.environ.get("SPAPS_TEST_DATABASE_URL")
    if not raw:
        sys.exit("set SPAPS_TEST_DATABASE_URL (bash scripts/provision prints one)")
    base_url = _asyncpg_url(raw)
    counts = [int(x) for x in args.workers.split(",")]
    results = {n: measure(base_url, n, args.requests, args.concurrency) for n in counts}
    baseline = results[counts[0]]
    print(f"GET /api/sessions/current on PostgreSQL, {os.cpu_count()} CPUs, {args.requests} req")
    for n, rps in results.items():
        print(f"  workers={n}: {rps:8.0f} req/s  ({rps / baseline:.2f}x workers={counts[0]})")


if __name__ == "__main__":
    main()
