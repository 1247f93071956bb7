"""No secret in any log record, repr or error text (departure D6).

The default logging hooks are driven through real requests (mock transport, plus one real
loopback socket) that carry every kind of secret, and every captured record is searched:
message, formatted line, ``record.__dict__`` (the extras) and reprs.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from spaps_client._engine import Auth, Credentials, Operation, SyncEngine
from spaps_client._redact import redact_url
from spaps_client.config import Settings
from spaps_client.errors import AuthError, SpapsError
from spaps_client.http import LoggingHooks, RetryClient, RetryConfig, default_logging_hooks
from spaps_client.http_async import RetryAsyncClient
from spaps_client.storage import FileTokenStorage, InMemoryTokenStorage, StoredTokens

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import FakeTime, ScriptedTransport

API_KEY = "spaps_key_APIKEYSECRET0001"
ACCESS = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJBQ0NFU1NTRUNSRVQifQ.QUNDRVNTU0lHTkFUVVJF"
REFRESH = "rt_REFRESHSECRET000000000001"
MAGIC = "MAGICLINKSECRET0000001"
RESET = "RESETTOKENSECRET000001"
PASSWORD = "hunter2-PASSWORDSECRET"
SIGNATURE = "0xSIGNATURESECRETdeadbeefcafe"
USER_PASSWORD = "URLUSERINFOSECRET"
SECRETS = [API_KEY, ACCESS, REFRESH, MAGIC, RESET, PASSWORD, SIGNATURE, USER_PASSWORD]

SECRET_HEADERS = {"X-API-Key": API_KEY, "Authorization": f"Bearer {ACCESS}"}
SECRET_QUERY = f"/api/auth/verify-magic-link?token={MAGIC}&refresh_token={REFRESH}&page=2"
SECRET_BODY = {"email": "a@example.com", "password": PASSWORD, "signature": SIGNATURE}
FORMATTER = logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s")


def everything_logged(records: list[logging.LogRecord]) -> str:
    parts: list[str] = []
    for record in records:
        parts.append(record.getMessage())
        parts.append(FORMATTER.format(record))
        parts.append(repr(record))
        parts.append(repr(record.__dict__))
        parts.extend(str(value) for value in record.__dict__.values())
    return "\n".join(parts)


def assert_no_secret(text: str) -> None:
    leaked = [secret for secret in SECRETS if secret in text]
    assert leaked == [], f"secrets leaked: {leaked}"


class Records:
    """The records caplog captured in the test's call phase."""

    def __init__(self, caplog: pytest.LogCaptureFixture) -> None:
        self.caplog = caplog

    def all(self) -> list[logging.LogRecord]:
        return self.caplog.records


@pytest.fixture
def records(caplog: pytest.LogCaptureFixture) -> Records:
    caplog.set_level(logging.DEBUG, logger="spaps_client.http")
    return Records(caplog)


def secret_response(request: httpx.Request) -> httpx.Response:
    # Bodies are never logged; this one would leak everything if they were.
    return httpx.Response(
        200,
        json={"access_token": ACCESS, "refresh_token": REFRESH, "echo": request.url.query.decode()},
        headers={"X-Request-ID": "req_logged", "Set-Cookie": f"sid={ACCESS}"},
    )


def run_secret_traffic(client: RetryClient) -> None:
    with client:
        response = client.get(SECRET_QUERY, headers=SECRET_HEADERS)
        assert response.status_code == 200
        response = client.post(
            f"/api/auth/reset-password?reset_token={RESET}",
            json=SECRET_BODY,
            headers=SECRET_HEADERS,
        )
        assert response.status_code == 500
        with pytest.raises(httpx.ConnectError):
            client.get(f"https://admin:{USER_PASSWORD}@api.example.com/api/x?api_key={API_KEY}")


def secret_steps(scripted: type[ScriptedTransport]) -> ScriptedTransport:
    return scripted(
        httpx.Response(503, text=f"upstream had {ACCESS}"),
        secret_response,
        # Some transports quote the URL they failed on; the query secret must not follow.
        httpx.ConnectError(f"connection refused for ?reset_token={RESET}"),
        httpx.Response(500, json={"error": {"message": "boom"}, "password": PASSWORD}),
        httpx.ConnectError("refused"),
        httpx.ConnectError("refused"),
        httpx.ConnectError("refused"),
    )


def check_records(records: list[logging.LogRecord]) -> None:
    messages = [(r.levelname, r.getMessage()) for r in records]
    # GET: request, 503, retry, 200. POST: request, error, retry, 500. GET: request + 3 errors.
    assert messages.count(("DEBUG", "HTTP request")) == 3
    assert messages.count(("INFO", "HTTP response")) == 3
    assert messages.count(("DEBUG", "HTTP retry")) == 4
    assert messages.count(("WARNING", "HTTP error")) == 4
    first_response = next(r for r in records if r.getMessage() == "HTTP response")
    # What a reader of the log needs: method, path, status, duration and request id.
    assert first_response.__dict__["method"] in {"GET", "POST"}
    assert first_response.__dict__["path"].startswith("/")
    assert isinstance(first_response.__dict__["status"], int)
    assert first_response.__dict__["duration_ms"] >= 0
    assert "request_id" in first_response.__dict__
    extras: dict[str, Any] = first_response.__dict__
    assert extras["method"] == "GET"
    assert extras["status"] == 503
    assert extras["attempt"] == 1
    assert "token=%2A%2A%2A" in extras["url"] or "token=***" in extras["url"]
    assert "page=2" in extras["url"]
    ok = [r for r in records if r.getMessage() == "HTTP response" and r.__dict__["status"] == 200]
    assert ok[0].__dict__["request_id"] == "req_logged"
    errors = [r.__dict__["error"] for r in records if r.getMessage() == "HTTP error"]
    assert errors[0] == "ConnectError: connection refused for ?reset_token=***"
    assert_no_secret(everything_logged(records))


def test_default_hooks_log_no_secret_sync(
    records: Records,
    scripted: type[ScriptedTransport],
    fake_time: FakeTime,
) -> None:
    client = RetryClient(
        base_url="https://api.example.com",
        transport=secret_steps(scripted),
        logging_hooks=default_logging_hooks(),
        sleep=fake_time.sleep,
        clock=fake_time.clock,
    )
    run_secret_traffic(client)
    check_records(records.all())


def test_default_hooks_log_no_secret_async(
    records: Records,
    scripted: type[ScriptedTransport],
    fake_time: FakeTime,
) -> None:
    async def go() -> None:
        async with RetryAsyncClient(
            base_url="https://api.example.com",
            transport=secret_steps(scripted),
            logging_hooks=default_logging_hooks(),
            sleep=fake_time.async_sleep,
            clock=fake_time.clock,
        ) as client:
            response = await client.get(SECRET_QUERY, headers=SECRET_HEADERS)
            assert response.status_code == 200
            response = await client.post(
                f"/api/auth/reset-password?reset_token={RESET}",
                json=SECRET_BODY,
                headers=SECRET_HEADERS,
            )
            assert response.status_code == 500
            with pytest.raises(httpx.ConnectError):
                await client.get(
                    f"https://admin:{USER_PASSWORD}@api.example.com/api/x?api_key={API_KEY}"
                )

    asyncio.run(go())
    check_records(records.all())


def test_default_hooks_accept_a_custom_logger(
    caplog: pytest.LogCaptureFixture, scripted: type[ScriptedTransport]
) -> None:
    caplog.set_level(logging.DEBUG, logger="my.app.http")
    hooks = default_logging_hooks(logging.getLogger("my.app.http"))
    with RetryClient(
        base_url="https://api.example.com",
        transport=scripted(httpx.Response(204)),
        logging_hooks=hooks,
    ) as client:
        client.get(SECRET_QUERY, headers=SECRET_HEADERS)
    assert [r.name for r in caplog.records] == ["my.app.http", "my.app.http"]
    assert_no_secret(everything_logged(caplog.records))


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A loopback socket that accepts connections and never answers."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            accepted.append(conn)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    port = listener.getsockname()[1]
    yield port
    stop.set()
    # Wake the blocked accept() so the thread can see the stop flag.
    with socket.create_connection(("127.0.0.1", port), timeout=5):
        pass
    listener.close()
    for conn in accepted:
        conn.close()
    thread.join(timeout=5)


def test_transport_error_quoting_a_header_is_masked(
    records: Records, silent_server: int, fake_time: FakeTime
) -> None:
    # A key read from a file keeps its newline; h11 then refuses the header and quotes it in
    # the exception message, which the on_error hook would otherwise log verbatim.
    with (
        RetryClient(
            base_url=f"http://127.0.0.1:{silent_server}",
            logging_hooks=default_logging_hooks(),
            retry_config=RetryConfig(max_attempts=1),
            timeout=5.0,
        ) as client,
        pytest.raises(httpx.LocalProtocolError) as info,
    ):
        client.get("/api/x", headers={"X-API-Key": API_KEY + "\n"})
    assert API_KEY in str(info.value)  # the raw exception does quote it
    errors = [r for r in records.all() if r.getMessage() == "HTTP error"]
    assert len(errors) == 1
    assert errors[0].__dict__["error"].startswith("LocalProtocolError: ")
    assert_no_secret(everything_logged(records.all()))


def test_redact_url() -> None:
    url = f"https://u:{USER_PASSWORD}@h.example.com/p?token={MAGIC}&code=123456&limit=10&q=a+b"
    redacted = redact_url(url)
    assert_no_secret(redacted)
    assert "123456" not in redacted
    assert redacted.startswith("https://h.example.com/p?")
    assert "limit=10" in redacted
    assert redact_url("https://h.example.com/health") == "https://h.example.com/health"


# ---------------------------------------------------------------- reprs and error texts


def test_reprs_hide_secrets(tmp_path: Path) -> None:
    settings = Settings(base_url="https://h.example.com", api_key=API_KEY)
    stored = StoredTokens(access_token=ACCESS, refresh_token=REFRESH, token_type="Bearer")
    memory = InMemoryTokenStorage()
    memory.save(stored)
    file_store = FileTokenStorage(path=tmp_path / "tokens.json")
    file_store.save(stored)
    http = RetryClient(base_url="https://h.example.com", headers={"X-API-Key": API_KEY})
    engine = SyncEngine(http, api_key=API_KEY, storage=memory)
    credentials = Credentials(memory, access_token=ACCESS)
    objects: list[Any] = [settings, stored, memory, file_store, engine, credentials]
    text = "\n".join(f"{obj!r}\n{obj!s}" for obj in objects)
    assert_no_secret(text)
    assert "https://h.example.com" in repr(engine)
    http.close()


def test_errors_from_secret_bodies_hide_secrets(scripted: type[ScriptedTransport]) -> None:
    body = {
        "success": False,
        "error": {"code": "INVALID_TOKEN", "message": "Invalid reset token"},
        "reset_token": RESET,
        "data": {"access_token": ACCESS, "refresh_token": REFRESH, "password": PASSWORD},
        "signature": SIGNATURE,
    }
    transport = scripted(httpx.Response(401, json=body, headers={"X-Request-ID": "r1"}))
    with RetryClient(base_url="https://h.example.com", transport=transport) as http:
        engine = SyncEngine(http, api_key=API_KEY)
        operation: Operation[None] = Operation(
            method="POST",
            path="/api/auth/reset-password",
            parse=lambda reply: None,
            error=AuthError,
            auth=Auth.BEARER,
            json={"token": RESET, "new_password": PASSWORD},
            access_token=ACCESS,
        )
        with pytest.raises(AuthError) as info:
            engine.run(operation)
    error = info.value
    assert str(error) == "Invalid reset token"
    assert error.request_id == "r1"
    text = "\n".join([str(error), repr(error), error.body_snippet or "", repr(error.args)])
    assert_no_secret(text)


def test_transport_errors_hide_secrets(scripted: type[ScriptedTransport]) -> None:
    transport = scripted(httpx.ConnectError(f"could not connect for token={MAGIC}"))
    with httpx.Client(base_url="https://h.example.com", transport=transport) as http:
        engine = SyncEngine(http, api_key=API_KEY, retry_config=RetryConfig(max_attempts=1))
        operation: Operation[None] = Operation(
            method="GET",
            path="/api/auth/verify-magic-link",
            params={"token": MAGIC, "refresh_token": REFRESH},
            parse=lambda reply: None,
            error=AuthError,
        )
        with pytest.raises(SpapsError) as info:
            engine.run(operation)
    assert_no_secret(f"{info.value}\n{info.value!r}")


def test_a_custom_hook_sees_the_real_request() -> None:
    # Hooks are the caller's code: they get the real request, which must still carry the key.
    seen: list[str] = []
    hooks = LoggingHooks(on_request=lambda request: seen.append(request.headers["x-api-key"]))
    transport = httpx.MockTransport(lambda request: httpx.Response(200))
    with RetryClient(
        base_url="https://h.example.com", transport=transport, logging_hooks=hooks
    ) as client:
        client.get("/x", headers={"X-API-Key": API_KEY})
    assert seen == [API_KEY]
