"""Throughput of ``POST /api/payments/create-checkout-session`` on ``spaps local`` with its
embedded SQLite database, next to ``GET /health`` on the same server (the HTTP floor).
Run by hand (no assertions; it prints numbers):

    python benchmarks/bench_checkout.py [--requests 1000] [--concurrency 8] [--idempotent]

Each request creates a new open session (a write transaction: price lookup, user lookup,
insert). ``--idempotent`` sends a fresh ``Idempotency-Key`` on every request, which adds the
key's claim and the stored response to the work.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable

import httpx

API_KEY = "test_key_local_dev_only"


def start_server(data_dir: str) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from spaps_server.cli import main; sys.exit(main())",
            "local",
            "--json",
            "--port",
            "0",
            "--data-dir",
            data_dir,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    record = json.loads(proc.stdout.readline())
    return proc, str(record["url"])


def run(total: int, concurrency: int, call: Callable[[httpx.Client], None], url: str) -> float:
    """Requests per second of ``call`` from ``concurrency`` threads."""
    per_thread = total // concurrency
    errors: list[BaseException] = []

    def worker() -> None:
        with httpx.Client(base_url=url, headers={"X-API-Key": API_KEY}) as client:
            try:
                for _ in range(per_thread):
                    call(client)
            except BaseException as exc:
                errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    if errors:
        raise errors[0]
    return per_thread * concurrency / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--idempotent", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data_dir:
        proc, url = start_server(data_dir)
        try:
            with httpx.Client(base_url=url, headers={"X-API-Key": API_KEY}) as http:
                token = http.post(
                    "/api/auth/login",
                    json={"email": "user@example.com", "password": "Secret123!"},
                ).json()["data"]["access_token"]
            body = {
                "price_id": "price_basic",
                "mode": "payment",
                "success_url": "https://example.com/success",
                "cancel_url": "https://example.com/cancel",
            }

            def create(client: httpx.Client) -> None:
                headers = {"Authorization": f"Bearer {token}"}
                if args.idempotent:
                    headers["Idempotency-Key"] = uuid.uuid4().hex
                response = client.post(
                    "/api/payments/create-checkout-session", json=body, headers=headers
                )
                if response.status_code != 200:
                    raise RuntimeError(response.text)

            def health(client: httpx.Client) -> None:
                client.get("/health").raise_for_status()

            run(100, args.concurrency, create, url)  # warm-up
            floor = run(args.requests, args.concurrency, health, url)
            rate = run(args.requests, args.concurrency, create, url)
        finally:
            proc.terminate()
            proc.wait()
    kind = "with Idempotency-Key" if args.idempotent else "without Idempotency-Key"
    print(f"GET /health                                  {floor:8.0f} req/s")
    print(f"POST create-checkout-session (SQLite, {kind}) {rate:8.0f} req/s")
    print(f"ratio to the HTTP floor                      {rate / floor:8.2f}")


if __name__ == "__main__":
    main()
