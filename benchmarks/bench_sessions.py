"""Login latency and bearer-route throughput of ``spaps local``, against baselines measured in
the same run. Run by hand (no assertions; it prints numbers and ratios):

    python benchmarks/bench_sessions.py [--logins 50] [--requests 2000] [--concurrency 8]

* Login: the median of ``--logins`` sequential ``POST /api/auth/login`` over HTTP against a
  ``spaps local`` subprocess using the **production** argon2id profile (19 MiB, t=2), next
  to the median of ``GET /health`` on the same server (the HTTP floor).
* Token validation: requests per second of ``GET /api/sessions/current`` (API key lookup,
  JWT signature check, session-row check, summary query) against a bare FastAPI endpoint
  served by the same uvicorn stack in another subprocess, both with ``--concurrency``
  client threads.
* When ``SPAPS_TEST_DATABASE_URL`` is set (``bash scripts/provision``), the token-validation
  part runs again against PostgreSQL (a throw-away schema), compared with the same bare
  baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx

API_KEY = "test_key_local_dev_only"

BARE_APP = """
import sys
import uvicorn
from fastapi import FastAPI
from fastapi.responses import JSONResponse

app = FastAPI()

@app.get("/bare")
async def bare() -> JSONResponse:
    return JSONResponse({"success": True, "data": {"ok": True}})

uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_ready(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer")


def _start_spaps(
    data_dir: Path, port: int, database_url: str | None = None
) -> subprocess.Popen[bytes]:
    env = {**os.environ, "SPAPS_PASSWORD_PROFILE": "production"}
    storage = ["--database-url", database_url, "--reset"] if database_url else []
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from spaps_server.cli import main; sys.exit(main())",
            "local",
            "--json",
            "--port",
            str(port),
            "--data-dir",
            str(data_dir),
            *storage,
            "--rate-limit",
            "login:ip=100000/60",
            "--rate-limit",
            "login:acct=100000/60",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )


def _median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def _timed(call: Callable[[], httpx.Response], n: int) -> list[float]:
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        response = call()
        samples.append(time.perf_counter() - started)
        response.raise_for_status()
    return samples


def _throughput(url: str, headers: dict[str, str], total: int, threads: int) -> float:
    """Requests per second with ``threads`` keep-alive clients sharing ``total`` requests."""
    per_thread = total // threads
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            with httpx.Client(headers=headers) as client:
                for _ in range(per_thread):
                    client.get(url).raise_for_status()
        except BaseException as exc:  # reported after the run
            errors.append(exc)

    with httpx.Client(headers=headers) as warm:
        for _ in range(50):
            warm.get(url).raise_for_status()
    pool = [threading.Thread(target=worker) for _ in range(threads)]
    started = time.perf_counter()
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise errors[0]
    return per_thread * threads / elapsed


async def _pg_exec(url: str, statement: str) -> None:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    from spaps_server.storage.database import normalize_database_url

    engine = create_async_engine(normalize_database_url(url), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(statement))
    finally:
        await engine.dispose()


def _postgres_throughput(
    url: str, data_dir: Path, requests: int, threads: int
) -> tuple[float, float]:
    """(sessions/current, health) requests per second of ``spaps local`` on PostgreSQL, in
    a schema created for the run and dropped afterwards."""
    schema = f"spaps_bench_{secrets.token_hex(4)}"
    asyncio.run(_pg_exec(url, f'CREATE SCHEMA "{schema}"'))
    port = _free_port()
    separator = "&" if "?" in url else "?"
    spaps = _start_spaps(data_dir, port, f"{url}{separator}schema={schema}")
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_ready(base + "/health")
        with httpx.Client(base_url=base, headers={"X-API-Key": API_KEY}) as http:
            response = http.post(
                "/api/auth/login", json={"email": "user@example.com", "password": "Secret123!"}
            )
            token = response.raise_for_status().json()["data"]["access_token"]
        auth = {"X-API-Key": API_KEY, "Authorization": f"Bearer {token}"}
        current = _throughput(base + "/api/sessions/current", auth, requests, threads)
        health = _throughput(base + "/health", {}, requests, threads)
        return current, health
    finally:
        spaps.terminate()
        spaps.wait(timeout=20)
        asyncio.run(_pg_exec(url, f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--logins", type=int, default=50)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()

    spaps_port, bare_port = _free_port(), _free_port()
    with tempfile.TemporaryDirectory() as tmp:
        spaps = _start_spaps(Path(tmp) / "data", spaps_port)
        bare = subprocess.Popen(
            [sys.executable, "-c", BARE_APP, str(bare_port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            base = f"http://127.0.0.1:{spaps_port}"
            _wait_ready(base + "/health")
            _wait_ready(f"http://127.0.0.1:{bare_port}/bare")
            with httpx.Client(base_url=base, headers={"X-API-Key": API_KEY}) as http:

                def login() -> httpx.Response:
                    return http.post(
                        "/api/auth/login",
                        json={"email": "user@example.com", "password": "Secret123!"},
                    )

                _timed(login, 3)  # warm-up
                logins = _timed(login, args.logins)
                health = _timed(lambda: http.get("/health"), args.logins)
                token = login().json()["data"]["access_token"]

            login_ms, health_ms = _median_ms(logins), _median_ms(health)
            print(f"login (production argon2id), median of {args.logins}: {login_ms:.1f} ms")
            print(f"  p90 {sorted(logins)[int(len(logins) * 0.9)] * 1000:.1f} ms")
            print(f"GET /health median (HTTP floor): {health_ms:.2f} ms")
            print(f"  login / health ratio: {login_ms / health_ms:.1f}x")

            auth = {"X-API-Key": API_KEY, "Authorization": f"Bearer {token}"}
            current_rps = _throughput(
                base + "/api/sessions/current", auth, args.requests, args.concurrency
            )
            bare_rps = _throughput(
                f"http://127.0.0.1:{bare_port}/bare", {}, args.requests, args.concurrency
            )
            health_rps = _throughput(base + "/health", {}, args.requests, args.concurrency)
            print(
                f"GET /api/sessions/current: {current_rps:.0f} req/s "
                f"({args.concurrency} client threads, {args.requests} requests)"
            )
            print(f"bare FastAPI endpoint:     {bare_rps:.0f} req/s")
            print(f"GET /health on spaps:      {health_rps:.0f} req/s (middleware floor)")
            print(f"  sessions/current / bare ratio: {current_rps / bare_rps:.2f}")
            print(f"  sessions/current / spaps health ratio: {current_rps / health_rps:.2f}")

            pg_url = os.environ.get("SPAPS_TEST_DATABASE_URL", "").strip()
            if pg_url:
                pg_current, pg_health = _postgres_throughput(
                    pg_url, Path(tmp) / "pg-data", args.requests, args.concurrency
                )
                print(f"PostgreSQL GET /api/sessions/current: {pg_current:.0f} req/s")
                print(f"PostgreSQL GET /health on spaps:      {pg_health:.0f} req/s")
                print(f"  PostgreSQL sessions/current / bare ratio: {pg_current / bare_rps:.2f}")
                print(
                    "  PostgreSQL sessions/current / spaps health ratio: "
                    f"{pg_current / pg_health:.2f}"
                )
            else:
                print("(set SPAPS_TEST_DATABASE_URL to also measure PostgreSQL)")
        finally:
            for proc in (spaps, bare):
                proc.terminate()
                proc.wait(timeout=20)


if __name__ == "__main__":
    main()
