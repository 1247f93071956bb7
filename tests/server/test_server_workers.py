"""``spaps local --workers N`` on one PostgreSQL database: the workers share one port, the
metrics are summed over them, and every guarantee (single-use refresh tokens and nonces,
idempotency keys, revocations) holds across processes. Real processes, real HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from spaps_server.services.applications import API_KEY_CACHE_TTL_SECONDS

from .auth_support import PASSWORD, USER, bearer, error_code, eth_sign, eth_wallet
from .conftest import DEFAULT_KEY, SpapsProcess, pg_schema, spaps_command, start_spaps

SUCCESS = "https://shop.example/ok?cs={CHECKOUT_SESSION_ID}"
CANCEL = "https://shop.example/cancel"
# Needs only the API key (the route the revocation test watches).
WHITELIST_CHECK = "/api/v1/whitelist/check?email=a@example.com"


@contextlib.contextmanager
def workers(tmp_path: Path, count: int) -> Iterator[tuple[SpapsProcess, str]]:
    """``spaps local --workers COUNT`` on a fresh PostgreSQL schema; yields the process and
    the database URL (with its schema) for CLI commands against the same database."""
    with pg_schema() as (url, schema):
        database_url = f"{url}?schema={schema}"
        process = start_spaps(
            "local",
            "--workers",
            str(count),
            "--database-url",
            database_url,
            "--data-dir",
            str(tmp_path / "data"),
            timeout=90,
        )
        try:
            yield process, database_url
        finally:
            status, _out, err = process.stop()
            assert status == 0, err


async def _gather(
    url: str, count: int, method: str, path: str, **kwargs: Any
) -> list[httpx.Response]:
    # One connection per request, so that the kernel hands each to whichever worker accepts.
    limits = httpx.Limits(max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as http:
        return await asyncio.gather(*(http.request(method, path, **kwargs) for _ in range(count)))


def burst(url: str, count: int, method: str, path: str, **kwargs: Any) -> list[httpx.Response]:
    """``count`` concurrent requests, each on its own connection."""
    return asyncio.run(_gather(url, count, method, path, **kwargs))


def answering_pids(url: str, count: int = 120) -> set[int]:
    """The pids of the workers answering ``count`` concurrent requests."""
    responses = burst(url, count, "GET", "/api/metrics/json")
    refused = [(r.status_code, r.text[:200]) for r in responses if r.status_code != 200]
    assert not refused, refused
    return {int(r.json()["system"]["pid"]) for r in responses}


def login(url: str) -> dict[str, Any]:
    with httpx.Client(base_url=url, headers={"X-API-Key": DEFAULT_KEY}) as http:
        response = http.post("/api/auth/login", json={"email": USER, "password": PASSWORD})
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


@pytest.mark.parametrize("count", [2, 4])
def test_workers_share_one_port_and_sum_their_metrics(tmp_path: Path, count: int) -> None:
    with workers(tmp_path, count) as (process, _):
        record = process.record
        assert record["workers"] == count and len(record["worker_pids"]) == count
        assert record["port"] == int(record["url"].rsplit(":", 1)[1]) != 0
        pids = answering_pids(process.url)
        assert pids <= set(record["worker_pids"])
        assert len(pids) >= 2, pids
        # 120 scrapes of the JSON view were answered by several processes; the Prometheus
        # text (read by one of them) counts all of them.
        with httpx.Client(base_url=process.url) as http:
            text = http.get("/api/metrics").text
        line = next(
            x for x in text.splitlines() if x.startswith("http_requests_total{") and "json" in x
        )
        assert float(line.rsplit(" ", 1)[1]) == 120


def test_migrations_and_seeding_ran_once_in_the_parent(tmp_path: Path) -> None:
    with workers(tmp_path, 2) as (process, _):
        assert process.record["applied_migrations"]
        emails = [a["email"] for a in process.record["seeded_accounts"]]
        assert USER in emails
        assert login(process.url)["user"]["email"] == USER


def test_twenty_parallel_refreshes_with_one_token(tmp_path: Path) -> None:
    with workers(tmp_path, 2) as (process, _):
        pair = login(process.url)
        responses = burst(
            process.url,
            20,
            "POST",
            "/api/auth/refresh",
            json={"refresh_token": pair["refresh_token"]},
            headers={"X-API-Key": DEFAULT_KEY},
        )
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [200] + [401] * 19, [r.text for r in responses]
        assert {error_code(r) for r in responses if r.status_code == 401} == {
            "REFRESH_TOKEN_REUSED"
        }
        winner = next(r for r in responses if r.status_code == 200).json()["data"]
        # Reuse detection revoked the session: even the winner's new tokens are dead.
        with httpx.Client(base_url=process.url, headers={"X-API-Key": DEFAULT_KEY}) as http:
            current = http.get("/api/sessions/current", headers=bearer(winner["access_token"]))
        assert current.status_code == 401 and error_code(current) == "SESSION_REVOKED"


def test_parallel_wallet_sign_ins_with_one_nonce(tmp_path: Path) -> None:
    address, account = eth_wallet()
    with workers(tmp_path, 2) as (process, _):
        with httpx.Client(base_url=process.url, headers={"X-API-Key": DEFAULT_KEY}) as http:
            nonce = http.post("/api/auth/nonce", json={"wallet_address": address}).json()
        message = nonce["data"]["message"]
        body = {
            "wallet_address": address,
            "message": message,
            "signature": eth_sign(account, message),
            "chain_type": "ethereum",
        }
        responses = burst(
            process.url,
            12,
            "POST",
            "/api/auth/wallet-sign-in",
            json=body,
            headers={"X-API-Key": DEFAULT_KEY},
        )
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [200] + [401] * 11, [r.text for r in responses]
        assert {error_code(r) for r in responses if r.status_code == 401} == {"NONCE_ALREADY_USED"}


def test_fifty_parallel_checkouts_with_one_idempotency_key(tmp_path: Path) -> None:
    with workers(tmp_path, 2) as (process, _):
        token = login(process.url)["access_token"]
        headers = {**bearer(token), "X-API-Key": DEFAULT_KEY, "Idempotency-Key": "order-50"}
        body = {
            "price_id": "price_basic",
            "mode": "payment",
            "success_url": SUCCESS,
            "cancel_url": CANCEL,
        }
        responses = burst(
            process.url,
            50,
            "POST",
            "/api/payments/create-checkout-session",
            json=body,
            headers=headers,
        )
        assert all(
            r.status_code == 200
            or (r.status_code == 409 and error_code(r) == "IDEMPOTENCY_KEY_IN_USE")
            for r in responses
        ), [r.text for r in responses if r.status_code not in (200, 409)]
        created = {r.json()["data"]["session_id"] for r in responses if r.status_code == 200}
        assert len(created) == 1
        with httpx.Client(base_url=process.url, headers={"X-API-Key": DEFAULT_KEY}) as http:
            listing = http.get(
                "/api/stripe/checkout-sessions", headers=bearer(token), params={"limit": 100}
            ).json()["data"]["sessions"]
        assert [s["id"] for s in listing if s["amount_total"] == 500] == list(created)


def test_a_session_revoked_on_one_worker_is_refused_by_all_at_once(tmp_path: Path) -> None:
    with workers(tmp_path, 2) as (process, _):
        pair = login(process.url)
        auth = {**bearer(pair["access_token"]), "X-API-Key": DEFAULT_KEY}
        before = burst(process.url, 40, "GET", "/api/sessions/current", headers=auth)
        assert all(r.status_code == 200 for r in before)
        session_id = before[0].json()["data"]["session"]["id"]
        with httpx.Client(base_url=process.url) as http:
            revoked = http.delete(f"/api/sessions/{session_id}", headers=auth)
        assert revoked.status_code == 200, revoked.text
        after = burst(process.url, 40, "GET", "/api/sessions/current", headers=auth)
        assert {(r.status_code, error_code(r)) for r in after} == {(401, "SESSION_REVOKED")}


def _cli(*args: str) -> dict[str, Any]:
    done = subprocess.run(spaps_command(*args, "--json"), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_an_api_key_revoked_elsewhere_is_refused_by_every_worker_within_the_bound(
    tmp_path: Path,
) -> None:
    with workers(tmp_path, 2) as (process, database_url):
        storage = ("--database-url", database_url, "--data-dir", str(tmp_path / "data"))
        made = _cli("apps", "create", "shop", *storage)
        key = {"X-API-Key": made["api_key"]}
        # Every worker has the key cached as live.
        warm = burst(process.url, 60, "GET", WHITELIST_CHECK, headers=key)
        assert {r.status_code for r in warm} == {200}, warm[0].text
        _cli("apps", "revoke", "shop", *storage)
        revoked_at = time.monotonic()
        # The documented bound: a key revoked by another process is refused by every worker
        # once API_KEY_CACHE_TTL_SECONDS have passed since the revocation committed.
        time.sleep(max(0.0, revoked_at + API_KEY_CACHE_TTL_SECONDS + 0.2 - time.monotonic()))
        after = burst(process.url, 60, "GET", WHITELIST_CHECK, headers=key)
        assert {(r.status_code, error_code(r)) for r in after} == {(401, "INVALID_API_KEY")}


def test_sqlite_refuses_more_than_one_worker(tmp_path: Path) -> None:
    done = subprocess.run(
        spaps_command("local", "--workers", "2", "--data-dir", str(tmp_path / "data")),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "--workers 2 needs PostgreSQL" in lines[0], done.stderr


def test_db_current_upgrade_history(tmp_path: Path) -> None:
    storage = ("--data-dir", str(tmp_path / "data"))
    assert _cli("db", "current", *storage)["current"] == 0
    history = _cli("db", "history", *storage)
    upgraded = _cli("db", "upgrade", *storage)
    assert upgraded["applied"] == [m["version"] for m in history["migrations"]]
    assert _cli("db", "current", *storage)["current"] == history["head"]
    assert _cli("db", "upgrade", *storage)["applied"] == []
