"""Usage counters shared by two ``spaps local`` processes on one PostgreSQL database: parallel
records sent to both never overshoot a limit, and every accepted record is counted once."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

import httpx

from .conftest import DEFAULT_KEY, SpapsProcess, pg_schema, spaps_command, start_spaps_local

RECORD = "/api/usage/record"
USER = "user@example.com"
PASSWORD = "Secret123!"
LIMIT = 30
PER_SERVER = 25


def sign_in(url: str) -> str:
    response = httpx.post(
        f"{url}/api/auth/login",
        json={"email": USER, "password": PASSWORD},
        headers={"X-API-Key": DEFAULT_KEY},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return str(response.json()["data"]["access_token"])


async def burst(url: str, token: str, n: int) -> list[httpx.Response]:
    headers = {"X-API-Key": DEFAULT_KEY, "Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=n)
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as http:
        return list(
            await asyncio.gather(
                *(
                    http.post(RECORD, json={"feature": "api_calls", "quantity": 1}, headers=headers)
                    for _ in range(n)
                )
            )
        )


async def both(targets: list[tuple[str, str]]) -> list[httpx.Response]:
    results = await asyncio.gather(*(burst(url, token, PER_SERVER) for url, token in targets))
    return [response for batch in results for response in batch]


def test_two_processes_share_one_limit(tmp_path: Path) -> None:
    with pg_schema() as (url, schema):
        database = ["--database-url", f"{url}?schema={schema}"]
        servers: list[SpapsProcess] = []
        try:
            for index in range(2):
                servers.append(
                    start_spaps_local(
                        *database, "--data-dir", str(tmp_path / f"data{index}"), timeout=60
                    )
                )
            changed = subprocess.run(
                spaps_command(
                    "usage", "features", "set", "api_calls",
                    "--tier", "basic", "--limit", str(LIMIT), "--overage", "reject",
                    *database, "--data-dir", str(tmp_path / "data0"),
                ),
                capture_output=True, text=True, timeout=60, check=False,
            )  # fmt: skip
            assert changed.returncode == 0, changed.stderr
            targets = [(server.url, sign_in(server.url)) for server in servers]
            responses = asyncio.run(both(targets))
            statuses = sorted(r.status_code for r in responses)
            assert statuses == [200] * LIMIT + [402] * (2 * PER_SERVER - LIMIT), statuses
            seen = sorted(
                r.json()["data"]["current_usage"]["used"] for r in responses if r.is_success
            )
            assert seen == list(range(1, LIMIT + 1))  # each accepted record saw its own total
            for server_url, token in targets:
                features = httpx.get(
                    f"{server_url}/api/usage/features",
                    headers={"X-API-Key": DEFAULT_KEY, "Authorization": f"Bearer {token}"},
                    timeout=30,
                ).json()["data"]["features"]
                used = {f["name"]: f["used"] for f in features}
                assert used["api_calls"] == LIMIT
        finally:
            for server in servers:
                if server.proc.poll() is None:
                    server.stop()
