"""Throughput of ``POST /api/usage/record`` on ``spaps local`` (SQLite, and PostgreSQL when
``SPAPS_TEST_DATABASE_URL`` is set), next to ``GET /api/sessions/current`` (the same auth path,
read-only) on the same server as the baseline. Run by hand (no assertions; prints numbers):

    python benchmarks/bench_usage.py [--requests 2000] [--concurrency 8] [--idempotent]

Every record is one transaction: the conditional counter UPDATE plus the record INSERT (and,
with ``--idempotent``, the idempotency claim and the stored response).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

API_KEY = "test_key_local_dev_only"


def _start(data_dir: Path, database_url: str | None) -> tuple[subprocess.Popen[str], str]:
    args = [sys.executable, "-c", "import sys; from spaps_server.cli import main; sys.exit(main())"]
    args += [
        "local",
        "--json",
        "--port",
        "0",
        "--data-dir",
        str(data_dir),
        "--password-profile",
        "test",
    ]
    if database_url:
        args += ["--database-url", database_url]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        raise RuntimeError(f"spaps local did not start: {proc.communicate()[1]}")
    return proc, str(json.loads(line)["url"])


def _raise_limit(data_dir: Path, database_url: str | None) -> None:
    args = [sys.executable, "-c", "import sys; from spaps_server.cli import main; sys.exit(main())"]
    args += ["usage", "features", "set", "api_calls", "--tier", "basic", "--limit", "unlimited"]
    args += ["--data-dir", str(data_dir)]
    if database_url:
        args += ["--database-url", database_url]
    subprocess.run(args, check=True, capture_output=True)


def _rate(url: str, token: str, n: int, concurrency: int, method: str, idempotent: bool) -> float:
    headers = {"X-API-Key": API_KEY, "Authorization": f"Bearer {token}"}
    counter = iter(range(n))
    lock = threading.Lock()

    def worker() -> None:
        with httpx.Client(base_url=url, headers=headers, timeout=60) as http:
            while True:
                with lock:
                    index = next(counter, None)
                if index is None:
                    return
                if method == "record":
                    extra = {"Idempotency-Key": f"bench-{index}"} if idempotent else {}
                    response = http.post(
                        "/api/usage/record",
                        json={"feature": "api_calls", "quantity": 1},
                        headers=extra,
                    )
                else:
                    response = http.get("/api/sessions/current")
                response.raise_for_status()

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return n / (time.perf_counter() - start)


def _measure(label: str, database_url: str | None, args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        proc, url = _start(data_dir, database_url)
        try:
            _raise_limit(data_dir, database_url)
            login = httpx.post(
                f"{url}/api/auth/login",
                json={"email": "user@example.com", "password": "Secret123!"},
                headers={"X-API-Key": API_KEY},
            )
            token = login.json()["data"]["access_token"]
            _rate(url, token, 100, args.concurrency, "record", False)  # warm-up
            base = _rate(url, token, args.requests, args.concurrency, "current", False)
            rec = _rate(url, token, args.requests, args.concurrency, "record", args.idempotent)
            used = httpx.get(
                f"{url}/api/usage/features",
                headers={"X-API-Key": API_KEY, "Authorization": f"Bearer {token}"},
            ).json()["data"]["features"][0]["used"]
            print(
                f"{label}: POST /api/usage/record {rec:,.0f} req/s"
                f"{' (idempotent)' if args.idempotent else ''}; "
                f"GET /api/sessions/current {base:,.0f} req/s; ratio {rec / base:.2f}; "
                f"counter {used} (expected {100 + args.requests})"
            )
        finally:
            proc.terminate()
            proc.communicate(timeout=20)


async def _pg_schema(url: str, statement: str) -> None:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    from spaps_server.storage.database import normalize_database_url

    engine = create_async_engine(normalize_database_url(url), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(statement))
    finally:
        await engine.dispose()


def main() -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--idempotent", action="store_true")
    args = parser.parse_args()
    _measure("SQLite", None, args)
    pg = os.environ.get("SPAPS_TEST_DATABASE_URL", "").strip()
    if pg:
        schema = f"bench_usage_{secrets.token_hex(4)}"
        asyncio.run(_pg_schema(pg, f'CREATE SCHEMA "{schema}"'))
        try:
            separator = "&" if "?" in pg else "?"
            _measure("PostgreSQL", f"{pg}{separator}schema={schema}", args)
        finally:
            asyncio.run(_pg_schema(pg, f'DROP SCHEMA "{schema}" CASCADE'))


if __name__ == "__main__":
    main()
