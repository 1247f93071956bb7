"""Helpers of the usage and secure-message tests: a live server with a seed file of users,
a whitelisted user and custom features, sign-in, and a second database handle."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx

from spaps_server.context import AppContext
from spaps_server.storage.database import Database

from .conftest import DEFAULT_KEY, DbTarget, live_server

T = TypeVar("T")
PASSWORD = "Secret123!"
SEED: dict[str, Any] = {
    "users": [
        {"email": "carol@example.com", "password": PASSWORD, "tier": "basic"},
        {"email": "dave@example.com", "password": PASSWORD, "tier": "basic"},
        {"email": "vip@example.com", "password": PASSWORD, "tier": "basic"},
    ],
    "whitelist": [{"email": "vip@example.com", "tier": "basic", "bypass_payment": True}],
    "usage": {
        "features": [
            {
                "name": "searches",
                "description": "Searches",
                "overage": "reject",
                "limits": {"basic": 30, "premium": 100, "whitelisted": None},
            },
            {
                "name": "exports",
                "description": "Exports",
                "overage": "allow",
                "overage_unit_price": 0.5,
                "limits": {"basic": 10},
            },
        ]
    },
}


@dataclasses.dataclass
class Server:
    """A running server, its context, and an HTTP client sending the API key."""

    url: str
    http: httpx.Client
    ctx: AppContext
    tokens: dict[str, str] = dataclasses.field(default_factory=dict)

    def token(self, email: str) -> str:
        if email not in self.tokens:
            response = self.http.post(
                "/api/auth/login", json={"email": email, "password": PASSWORD}
            )
            assert response.status_code == 200, response.text
            self.tokens[email] = response.json()["data"]["access_token"]
        return self.tokens[email]

    def as_user(self, email: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(email)}"}

    def user_id(self, email: str) -> str:
        response = self.http.get("/api/auth/user", headers=self.as_user(email))
        assert response.status_code == 200, response.text
        body = response.json()
        return str(body["data"]["user"]["id"])

    def database(self) -> Database:
        """A second handle on the server's database for the test thread's event loop."""
        config = self.ctx.config
        return Database(config.effective_database_url, schema=config.database_schema)

    def run_db(self, work: Callable[[Database], Awaitable[T]]) -> T:
        async def main() -> T:
            db = self.database()
            try:
                return await work(db)
            finally:
                await db.dispose()

        return asyncio.run(main())


def write_seed(directory: Path, seed: dict[str, Any] | None = None) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "seed.json"
    path.write_text(json.dumps(seed or SEED))
    return path


@contextlib.contextmanager
def serving(target: DbTarget, tmp: Path, **overrides: Any) -> Iterator[Server]:
    """Serve ``target`` with the seed file over real HTTP."""
    config = target.config(seed_file=write_seed(tmp), **overrides)
    with (
        live_server(config) as server,
        httpx.Client(base_url=server.url, headers={"X-API-Key": DEFAULT_KEY}, timeout=60) as http,
    ):
        yield Server(server.url, http, server.app.state.context)


def data_of(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()["data"]


def error_of(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is False and body["error"]["code"] == code, body
    error: dict[str, Any] = body["error"]
    return error
