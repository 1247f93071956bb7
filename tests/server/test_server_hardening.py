"""Hostile input, secrets in logs and storage, token spelling, stalled clients and the OpenAPI
schema's security claims, all over real HTTP (uvicorn on loopback or ``spaps local``), on
SQLite and PostgreSQL where the database matters."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import selectors
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from spaps_server.config import ServerConfig
from spaps_server.context import open_database
from spaps_server.http.access_log import redact_query_secrets
from spaps_server.storage.tables import metadata

from .auth_support import PASSWORD, USER, Live, bearer, error_code, running
from .conftest import DEFAULT_KEY, DbTarget, SpapsProcess, live_server, spaps_command

ADMIN = "admin@example.com"
WHITELIST = "/api/v1/whitelist"


def _admin(live: Live) -> dict[str, str]:
    return bearer(live.login(ADMIN)["access_token"])


@pytest.fixture
def live(db_target: DbTarget) -> Iterator[Live]:
    with running(db_target, password_profile="test") as server:
        yield server


def _raw_json(live: Live, method: str, path: str, text: str, **kw: Any) -> httpx.Response:
    headers = {"Content-Type": "application/json", **kw.pop("headers", {})}
    return live.http.request(method, path, content=text.encode("utf-8"), headers=headers, **kw)


def _whitelisted(live: Live, admin: dict[str, str]) -> list[str]:
    listing = live.http.get(WHITELIST, params={"limit": 100}, headers=admin)
    assert listing.status_code == 200, listing.text
    return [entry["email"] for entry in listing.json()["data"]["entries"]]


# -- 4. hostile strings ---------------------------------------------------------------------


def test_nul_bytes_are_refused_before_the_database(live: Live) -> None:
    admin = _admin(live)
    access = live.login()["access_token"]
    bodies = [
        ("/api/auth/register", {"email": "nul\x00@example.com", "password": "Str0ng!Passw0rd"}),
        (
            "/api/auth/register",
            {"email": "named@example.com", "password": "Str0ng!Passw0rd", "username": "a\x00b"},
        ),
        (
            "/api/auth/register",
            {"email": "phone@example.com", "password": "Str0ng!Passw0rd", "phone_number": "1\x00"},
        ),
        ("/api/auth/login", {"email": USER, "password": "pass\x00word"}),
        ("/api/auth/magic-link", {"email": "user\x00@example.com"}),
        ("/api/auth/password-reset", {"email": "user@example.com\x00"}),
    ]
    for path, body in bodies:
        response = live.post(path, body)
        assert response.status_code == 400, (path, response.text)
        assert error_code(response) == "VALIDATION_ERROR"
    nested = live.http.post(
        WHITELIST,
        json={"email": "meta@example.com", "metadata": {"deep": ["ok", {"k\x00": 1}]}},
        headers=admin,
    )
    assert nested.status_code == 400 and error_code(nested) == "VALIDATION_ERROR"
    urls = [
        ("GET", "/api/sessions?starting_after=%00", bearer(access)),
        ("GET", f"{WHITELIST}/check?email=a%00b@example.com", {}),
        ("PUT", f"{WHITELIST}/a%00b@example.com", admin),
        ("DELETE", f"{WHITELIST}/a%00b@example.com", admin),
        ("GET", "/_dev/mailbox/messages?to=%00", {}),
        ("GET", "/_dev/mailbox/messages?application_id=x%00", {}),
        ("GET", "/_dev/mailbox/messages/msg%00x", {}),
    ]
    for method, url, headers in urls:
        response = live.http.request(method, url, headers=headers, json={"tier": "pro"})
        assert response.status_code == 400, (url, response.text)
        assert error_code(response) == "VALIDATION_ERROR"
    # Nothing was stored, and the server still answers normally.
    assert "meta@example.com" not in _whitelisted(live, admin)
    login = live.post("/api/auth/login", {"email": "named@example.com", "password": "x"})
    assert login.status_code == 401


def test_invisible_characters_in_addresses_are_refused(live: Live) -> None:
    admin = _admin(live)
    for address in [
        "us\u200ber@example.com",  # zero-width space
        "\u202emoc.elpmaxe@resu",  # right-to-left override
        "user\u2066@example.com",  # left-to-right isolate
        "user@exam\u00adple.com",  # soft hyphen
        "user\u0085@example.com",  # a C1 control
    ]:
        register = live.post("/api/auth/register", {"email": address, "password": PASSWORD})
        assert register.status_code == 400, (address, register.text)
        assert error_code(register) == "INVALID_EMAIL"
        added = live.http.post(WHITELIST, json={"email": address}, headers=admin)
        assert added.status_code == 400 and error_code(added) == "INVALID_EMAIL"
        login = live.post("/api/auth/login", {"email": address, "password": PASSWORD})
        assert login.status_code == 400 and error_code(login) == "INVALID_EMAIL"
    assert _whitelisted(live, admin) == []


def test_addresses_are_compared_in_nfc(live: Live) -> None:
    decomposed = "jose\u0301@example.com"
    composed = "jos\u00e9@example.com"
    register = live.post("/api/auth/register", {"email": decomposed, "password": "Str0ng!Passw0rd"})
    assert register.status_code == 201, register.text
    assert register.json()["data"]["user"]["email"] == composed
    again = live.post("/api/auth/register", {"email": composed, "password": "Str0ng!Passw0rd"})
    assert error_code(again) == "EMAIL_ALREADY_EXISTS", again.text
    signed_in = live.post("/api/auth/login", {"email": composed, "password": "Str0ng!Passw0rd"})
    assert signed_in.status_code == 200, signed_in.text
    admin = _admin(live)
    added = live.http.post(WHITELIST, json={"email": composed}, headers=admin)
    assert added.status_code == 201, added.text
    duplicate = live.http.post(WHITELIST, json={"email": decomposed}, headers=admin)
    assert error_code(duplicate) == "ALREADY_WHITELISTED", duplicate.text
    check = live.http.get(f"{WHITELIST}/check", params={"email": decomposed})
    assert check.json()["data"]["entry"]["email"] == composed


def test_out_of_range_integers_are_a_400(live: Live) -> None:
    admin = _admin(live)
    for offset in ["52247746835109011456", str(2**63), "-1"]:
        response = live.http.get(WHITELIST, params={"offset": offset}, headers=admin)
        assert response.status_code == 400, (offset, response.text)
        assert error_code(response) == "VALIDATION_ERROR"
    largest = live.http.get(WHITELIST, params={"offset": str(2**63 - 1)}, headers=admin)
    assert largest.status_code == 200, largest.text
    assert largest.json()["data"]["entries"] == []


# -- 5. non-finite numbers and deep nesting -------------------------------------------------


def test_non_finite_json_numbers_are_refused_and_nothing_is_stored(live: Live) -> None:
    admin = _admin(live)
    for number in ["NaN", "Infinity", "-Infinity"]:
        text = '{"email": "score@example.com", "metadata": {"score": ' + number + "}}"
        response = _raw_json(live, "POST", WHITELIST, text, headers=admin)
        assert response.status_code == 400, (number, response.text)
        assert error_code(response) == "INVALID_JSON"
        login = _raw_json(
            live, "POST", "/api/auth/login", '{"email": ' + number + ', "password": "x"}'
        )
        assert login.status_code == 400 and error_code(login) == "INVALID_JSON"
    assert _whitelisted(live, admin) == []
    # The list, check and update routes keep working.
    assert live.http.get(f"{WHITELIST}/check", params={"email": "score@example.com"}).is_success


def test_deeply_nested_json_is_refused(live: Live) -> None:
    admin = _admin(live)
    for depth in [200, 100_000]:
        nested = "[" * depth + "1" + "]" * depth
        text = '{"email": "deep@example.com", "metadata": {"x": ' + nested + "}}"
        response = _raw_json(live, "POST", WHITELIST, text, headers=admin)
        assert response.status_code == 400, (depth, response.status_code)
        assert error_code(response) == "INVALID_JSON"
    assert _whitelisted(live, admin) == []


# -- 6. secrets stay out of logs and out of the token tables --------------------------------


def test_redaction_keeps_everything_but_secret_values() -> None:
    assert redact_query_secrets("/auth/magic-link?token=ml_abc&next=%2Fhome") == (
        "/auth/magic-link?token=[REDACTED]&next=%2Fhome"
    )
    assert redact_query_secrets("/x?ToKeN=a&%63ode=b&api_key=c&refresh_token=d&q=e") == (
        "/x?ToKeN=[REDACTED]&%63ode=[REDACTED]&api_key=[REDACTED]&refresh_token=[REDACTED]&q=e"
    )
    assert redact_query_secrets("/plain/path") == "/plain/path"


def _start_logging_server(data_dir: Path) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        spaps_command("local", "--port", "0", "--data-dir", str(data_dir), "--log-level", "info"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "SPAPS_PASSWORD_PROFILE": "test"},
    )
    assert proc.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            if not selector.select(timeout=1):
                continue
            line = proc.stdout.readline()
            if not line:
                break
            if "running at " in line:
                return proc, line.split("running at ", 1)[1].strip()
    finally:
        selector.close()
    proc.kill()
    raise RuntimeError(f"spaps local did not start: {proc.communicate()[1]}")


def test_access_log_redacts_one_time_tokens(tmp_path: Path) -> None:
    proc, url = _start_logging_server(tmp_path / "data")
    secrets = ["ml_Zq9secretmagic", "pr_Kx7secretreset", "sig_Yw5secret", "key_Vb3secret"]
    try:
        with httpx.Client(base_url=url) as http:
            http.get("/auth/magic-link", params={"token": secrets[0]})
            http.get("/auth/reset-password", params={"token": secrets[1], "lang": "en"})
            http.get("/health", params={"signature": secrets[2], "api_key": secrets[3]})
    finally:
        proc.send_signal(2)
        _, log = proc.communicate(timeout=30)
    assert "GET /auth/magic-link?token=[REDACTED]" in log, log
    assert "/auth/reset-password?token=[REDACTED]&lang=en" in log, log
    for secret in secrets:
        assert secret not in log


async def _stored_values(config: ServerConfig) -> dict[str, str]:
    db, _ = await open_database(config)
    try:
        dump: dict[str, str] = {}
        async with db.engine.connect() as conn:
            for table in metadata.sorted_tables:
                rows = (await conn.execute(sa.select(table))).all()
                dump[table.name] = json.dumps([list(row) for row in rows], default=str)
        return dump
    finally:
        await db.dispose()


def test_token_tables_store_only_hashes(db_target: DbTarget) -> None:
    config = db_target.config(password_profile="test")
    with running(db_target, password_profile="test") as live:
        login = live.login()
        assert live.post("/api/auth/magic-link", {"email": USER}).status_code == 200
        assert live.post("/api/auth/password-reset", {"email": USER}).status_code == 200
        secrets = [
            login["refresh_token"],
            login["access_token"],
            live.mail(USER, "magic_link")["metadata"]["token"],
            live.mail(USER, "password_reset")["metadata"]["token"],
        ]
    stored = asyncio.run(_stored_values(config))
    assert {"refresh_tokens", "one_time_tokens", "sessions"} <= set(stored)
    for table, values in stored.items():
        if table == "mail_outbox":
            continue  # the mailbox keeps each message as it was sent, link included
        for secret in secrets:
            assert secret not in values, f"{table} stores a usable token"
    assert secrets[2] in stored["mail_outbox"]


# -- 7. canonical token spellings -----------------------------------------------------------


def _respell(token: str) -> list[str]:
    header, payload, signature = token.split(".")
    raw_signature = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
    last = signature[-1]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    # 64 signature bytes leave 4 unused bits in the last character: same bytes, other spelling.
    trailing = alphabet[alphabet.index(last) ^ 1]
    respelled = signature[:-1] + trailing
    assert base64.urlsafe_b64decode(respelled + "==") == raw_signature
    padded_payload = payload + ("=" * (-len(payload) % 4) or "====")
    return [
        f"{header}.{payload}.{signature}==",
        f"{header}.{payload}.{signature}=",
        f"{header}.{payload}.{respelled}",
        f"{header}=.{payload}.{signature}",
        f"{header}.{padded_payload}.{signature}",
        f"{header}.{payload}.{signature.replace('_', '/').replace('-', '+')}",
    ]


def test_only_the_canonical_spelling_of_a_token_is_accepted(live: Live) -> None:
    token = live.login()["access_token"]
    assert live.http.get("/api/auth/user", headers=bearer(token)).status_code == 200
    # The standard-alphabet spelling equals the token when its signature has no "-" or "_".
    spellings = [s for s in _respell(token) if s != token]
    assert len(set(spellings)) == len(spellings) >= 5
    for spelling in spellings:
        response = live.http.get("/api/auth/user", headers={"Authorization": f"Bearer {spelling}"})
        assert response.status_code == 401, (spelling, response.text)
    assert live.http.get("/api/auth/user", headers=bearer(token)).status_code == 200


# -- 9. stalled clients -----------------------------------------------------------------------


def _stalled_connection(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(
        b"POST /api/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"X-API-Key: " + DEFAULT_KEY.encode() + b"\r\n"
        b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
        b'{"email": "user@'
    )
    return sock


def _read_until_closed(sock: socket.socket, deadline: float) -> bytes:
    received = b""
    while True:
        sock.settimeout(max(0.1, deadline - time.monotonic()))
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            raise AssertionError("the server kept a stalled connection open") from None
        if not chunk:
            return received
        received += chunk


def test_stalled_request_bodies_are_cut_off(sqlite_target: DbTarget) -> None:
    config = sqlite_target.config(password_profile="test", body_timeout_seconds=1.0)
    with live_server(config) as server, contextlib.ExitStack() as stack:
        port = int(server.url.rsplit(":", 1)[1])
        stalled = [stack.enter_context(_stalled_connection(port)) for _ in range(100)]
        # A well-behaved client is served while they stall.
        with httpx.Client(base_url=server.url) as http:
            assert http.get("/health").status_code == 200
        deadline = time.monotonic() + 60  # generous: only "closed", never "how fast"
        for sock in stalled:
            answer = _read_until_closed(sock, deadline)
            assert answer.startswith(b"HTTP/1.1 408 "), answer[:200]
            assert b'"REQUEST_TIMEOUT"' in answer
        with httpx.Client(base_url=server.url) as http:
            assert http.get("/health").status_code == 200


def _answer_to_header_block(port: int, padding: int) -> bytes:
    """What the server sends back to a GET whose header block is ``padding`` bytes longer
    than usual, read until the server closes the connection. The request is written from
    another thread while this one reads, so that an answer sent before the server has read
    everything is received rather than lost to a failed write."""
    request = (
        b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        b"X-Padding: " + b"a" * padding + b"\r\n\r\n"
    )
    received = b""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:

        def write() -> None:
            with contextlib.suppress(OSError):  # the server may close before reading it all
                sock.sendall(request)

        writer = threading.Thread(target=write, daemon=True)
        writer.start()
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except ConnectionResetError:
            pass  # closed with the request partly unread; what came first counts
        writer.join(timeout=30)
    return received


def test_oversized_header_blocks_are_refused_whatever_parsers_are_installed(
    spaps_process: SpapsProcess,
) -> None:
    # spaps local parses HTTP with h11 and its 64 KiB limit on an incomplete header block
    # wherever it runs; uvicorn would otherwise switch to httptools when that happens to be
    # installed, which has no such limit and would take a header block of any size.
    port = int(spaps_process.url.rsplit(":", 1)[1])
    assert _answer_to_header_block(port, 1_000).startswith(b"HTTP/1.1 200 ")
    for padding in (200_000, 2_000_000):
        answer = _answer_to_header_block(port, padding)
        assert answer.startswith(b"HTTP/1.1 400 "), (padding, answer[:200])


# -- 10. the OpenAPI schema ------------------------------------------------------------------


def test_openapi_security_and_error_responses_tell_the_truth(live: Live) -> None:
    schema = live.http.get("/openapi.json").json()
    operations = [
        (path, method, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
    ]
    assert schema["paths"][WHITELIST]["get"]["security"] == [{"ApiKey": [], "Bearer": []}]
    assert schema["paths"]["/api/auth/user"]["get"]["security"] == [{"ApiKey": [], "Bearer": []}]
    assert schema["paths"]["/api/auth/login"]["post"]["security"] == [{"ApiKey": []}]
    envelope = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorEnvelope"}}}
    documented_errors = 0
    for path, method, operation in operations:
        assert len(operation.get("security", [])) <= 1, (path, method)
        for status, response in operation["responses"].items():
            if status[0] in "45":
                assert response.get("content") == envelope, (path, method, status)
                documented_errors += 1
    assert documented_errors >= len(operations)
    assert "ErrorEnvelope" in schema["components"]["schemas"]


def test_method_not_allowed_lists_every_allowed_method(live: Live) -> None:
    response = live.http.patch(f"{WHITELIST}/x@example.com", json={})
    assert response.status_code == 405, response.text
    assert error_code(response) == "METHOD_NOT_ALLOWED"
    assert {m.strip() for m in response.headers["allow"].split(",")} == {"PUT", "DELETE"}
    check = live.http.post(f"{WHITELIST}/check")
    assert check.status_code == 405
    assert {m.strip() for m in check.headers["allow"].split(",")} == {
        "GET",
        "PUT",
        "DELETE",
    }
