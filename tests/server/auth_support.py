"""Helpers shared by the auth and session tests: a live server (real HTTP on loopback) with
its context at hand (to move the clock), sign-in shortcuts and mailbox reading."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator
from typing import Any

import httpx
from eth_account import Account
from eth_account.messages import encode_defunct
from nacl.signing import SigningKey

from spaps_server.config import ServerConfig
from spaps_server.context import AppContext, open_database
from spaps_server.security.base58 import b58encode
from spaps_server.services.applications import ApplicationService
from spaps_server.services.metrics import MetricsRegistry

from .conftest import DEFAULT_KEY, DbTarget, live_server

PASSWORD = "Secret123!"
USER = "user@example.com"


@dataclasses.dataclass
class Live:
    """A running server, an API-keyed HTTP client, and the server's context."""

    url: str
    http: httpx.Client
    ctx: AppContext

    def post(self, path: str, body: dict[str, Any] | None = None, **kw: Any) -> httpx.Response:
        return self.http.post(path, json=body if body is not None else {}, **kw)

    def login(self, email: str = USER, password: str = PASSWORD) -> dict[str, Any]:
        response = self.post("/api/auth/login", {"email": email, "password": password})
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()["data"]
        return data

    def mail(self, to: str, kind: str) -> dict[str, Any]:
        """The newest message of ``kind`` to ``to``."""
        messages = self.http.get("/_dev/mailbox/messages", params={"to": to}).json()["data"]
        found = [m for m in messages["messages"] if m["kind"] == kind]
        assert found, f"no {kind} mail to {to}"
        return dict(found[0])


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def error_code(response: httpx.Response) -> str:
    return str(response.json()["error"]["code"])


@contextlib.contextmanager
def running(target: DbTarget, **overrides: Any) -> Iterator[Live]:
    """Serve ``target`` with config ``overrides`` over real HTTP."""
    with (
        live_server(target.config(**overrides)) as server,
        httpx.Client(base_url=server.url, headers={"X-API-Key": DEFAULT_KEY}) as http,
    ):
        yield Live(server.url, http, server.app.state.context)


def eth_wallet() -> tuple[str, Any]:
    account = Account.create()
    return str(account.address), account


def eth_sign(account: Any, message: str) -> str:
    signed = account.sign_message(encode_defunct(text=message))
    return "0x" + bytes(signed.signature).hex()


def sol_wallet() -> tuple[str, SigningKey]:
    key = SigningKey.generate()
    return b58encode(bytes(key.verify_key)), key


def sol_sign(key: SigningKey, message: str) -> str:
    return b58encode(key.sign(message.encode("utf-8")).signature)


async def create_application(config: ServerConfig, name: str) -> str:
    """Create a second application in ``config``'s database before a server starts; returns
    its API key."""
    db, _ = await open_database(config)
    try:
        _app, key = await ApplicationService(db, MetricsRegistry()).create(name)
    finally:
        await db.dispose()
    return key
