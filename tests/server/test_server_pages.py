"""/docs, /openapi.json, /_dev/ pages and the mailbox (JSON, HTML, SMTP delivery), including
a real headless chromium loading the pages."""

from __future__ import annotations

import asyncio
import re
import shutil
import socket
import subprocess
import threading
from pathlib import Path

import httpx
import pytest
from fastapi.routing import APIRoute

from spaps_server.config import ServerConfig, SmtpSettings
from spaps_server.context import open_database
from spaps_server.domain.models import MailMessage
from spaps_server.services.mailbox import MailboxService
from spaps_server.services.metrics import MetricsRegistry

from .conftest import DbTarget, live_server, serve_in_process

CHROMIUM = "/usr/bin/chromium"
EXTERNAL = re.compile(r"(?:https?:)?//(?!127\.0\.0\.1[:/])[A-Za-z0-9.-]+", re.I)


def assert_self_contained(html: str) -> None:
    assert html.startswith("<!DOCTYPE html>")
    assert "<script" not in html.lower()
    for attr in re.findall(r'(?:href|src|action)=["\']([^"\']*)["\']', html):
        assert attr.startswith(("/", "#", "?")) or attr == "", attr
    assert not EXTERNAL.search(html), EXTERNAL.search(html)


async def test_openapi_describes_every_route(client: httpx.AsyncClient):
    app = client._transport.app  # type: ignore[attr-defined]
    spec = (await client.get("/openapi.json")).json()
    described = {(method.upper(), path) for path, item in spec["paths"].items() for method in item}
    for route in app.routes:
        if isinstance(route, APIRoute):
            for method in route.methods:
                assert (method, route.path) in described, (method, route.path)
    for path in ("/health", "/health/ready", "/api/metrics", "/api/metrics/json", "/docs"):
        assert path in spec["paths"]


async def test_docs_is_an_offline_reference_of_every_route(client: httpx.AsyncClient):
    response = await client.get("/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert_self_contained(html)
    spec = (await client.get("/openapi.json")).json()
    for path in spec["paths"]:
        assert f"<code>{path}</code>" in html, path
    assert "ErrorEnvelope" in html and 'id="schema-ErrorEnvelope"' in html
    for anchor in re.findall(r'href="#([^"]+)"', html):
        assert f'id="{anchor}"' in html, anchor


async def test_dev_index_and_mailbox_pages(client: httpx.AsyncClient):
    app = client._transport.app  # type: ignore[attr-defined]
    ctx = app.state.context
    index = await client.get("/_dev/")
    assert index.status_code == 200
    assert_self_contained(index.text)
    assert 'href="/_dev/mailbox"' in index.text and 'href="/docs"' in index.text

    empty = await client.get("/_dev/mailbox")
    assert empty.status_code == 200 and "No messages yet" in empty.text
    assert_self_contained(empty.text)

    message = await ctx.mailbox.send(
        to="Someone@Example.com",
        subject="Your <magic> link",
        text="Sign in: /auth/verify?token=abc123",
        html="<p>Sign in <b>now</b><script>alert(1)</script></p>",
        kind="magic_link",
        application_id=ctx.default_application.id,
        metadata={"token": "abc123"},
    )
    listing = await client.get("/_dev/mailbox")
    assert "Your &lt;magic&gt; link" in listing.text and "<magic>" not in listing.text
    detail = await client.get(f"/_dev/mailbox/{message.id}")
    assert detail.status_code == 200
    assert 'sandbox=""' in detail.text and "<script>alert" not in detail.text
    assert_self_contained(detail.text)

    data = (await client.get("/_dev/mailbox/messages", params={"to": "someone@example.com"})).json()
    assert data["success"] is True and data["data"]["count"] == 1
    item = data["data"]["messages"][0]
    assert item["to"] == "Someone@Example.com" and item["kind"] == "magic_link"
    assert item["metadata"] == {"token": "abc123"}
    assert item["application_id"] == ctx.default_application.id
    assert (await client.get("/_dev/mailbox/messages", params={"to": "x@y.z"})).json()["data"][
        "count"
    ] == 0
    one = await client.get(f"/_dev/mailbox/messages/{message.id}")
    assert one.json()["data"]["message"]["id"] == message.id
    missing = await client.get("/_dev/mailbox/messages/msg_nope")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "MESSAGE_NOT_FOUND"
    cleared = await client.delete("/_dev/mailbox/messages")
    assert cleared.json()["data"] == {"deleted": 1}


class _SmtpSink:
    """A minimal SMTP server on loopback that records what it receives."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.port = self.sock.getsockname()[1]
        self.messages: list[str] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn, conn.makefile("rwb") as stream:
                self._session(stream)

    def _session(self, stream) -> None:  # type: ignore[no-untyped-def]
        def reply(line: str) -> None:
            stream.write(line.encode() + b"\r\n")
            stream.flush()

        reply("220 sink ready")
        while True:
            line = stream.readline()
            if not line:
                return
            verb = line.decode().strip().split(" ")[0].upper()
            if verb in {"EHLO", "HELO"}:
                reply("250 sink")
            elif verb in {"MAIL", "RCPT", "RSET", "NOOP"}:
                reply("250 ok")
            elif verb == "DATA":
                reply("354 go on")
                body = []
                while (chunk := stream.readline()) not in (b".\r\n", b""):
                    body.append(chunk.decode())
                self.messages.append("".join(body))
                reply("250 queued")
            elif verb == "QUIT":
                reply("221 bye")
                return
            else:
                reply("502 no")

    def close(self) -> None:
        self.sock.close()


async def test_smtp_delivery_when_configured(sqlite_target: DbTarget):
    sink = _SmtpSink()
    try:
        config = sqlite_target.config(smtp=SmtpSettings(host="127.0.0.1", port=sink.port))
        async with serve_in_process(config) as (app, http):
            ctx = app.state.context
            sent = await ctx.mailbox.send(
                to="dev@example.com", subject="Hello", text="plain body", html="<p>html</p>"
            )
            await ctx.mailbox.drain()
            stored = (await http.get(f"/_dev/mailbox/messages/{sent.id}")).json()["data"]
            assert stored["message"]["delivered_at"] is not None
            assert stored["message"]["delivery_error"] is None
        assert len(sink.messages) == 1
        assert "Subject: Hello" in sink.messages[0] and "plain body" in sink.messages[0]
    finally:
        sink.close()


async def test_smtp_failure_is_recorded_not_raised(sqlite_target: DbTarget):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead_port = probe.getsockname()[1]
    config = sqlite_target.config(smtp=SmtpSettings(host="127.0.0.1", port=dead_port))
    async with serve_in_process(config) as (app, http):
        ctx = app.state.context
        sent = await ctx.mailbox.send(to="dev@example.com", subject="Hi", text="body")
        await ctx.mailbox.drain()
        stored = (await http.get(f"/_dev/mailbox/messages/{sent.id}")).json()["data"]["message"]
        assert stored["delivered_at"] is None and "ConnectionRefused" in stored["delivery_error"]
        metrics = (await http.get("/api/metrics")).text
        assert 'spaps_email_deliveries_total{outcome="failed"} 1' in metrics


async def test_mailbox_rejects_header_injection(client: httpx.AsyncClient):
    from spaps_server.domain.errors import InvalidError

    ctx = client._transport.app.state.context  # type: ignore[attr-defined]
    with pytest.raises(InvalidError):
        await ctx.mailbox.send(to="a@b.c\r\nBcc: x@y.z", subject="s", text="t")
    message = await ctx.mailbox.send(to="a@b.c", subject="one\r\nBcc: x@y.z", text="t")
    assert "\n" not in message.subject


def _dump_dom(url: str, profile: Path) -> str:
    result = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            f"--user-data-dir={profile}",
            "--dump-dom",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


@pytest.mark.browser
def test_pages_render_in_headless_chromium(db_target: DbTarget, tmp_path: Path):
    if not (Path(CHROMIUM).exists() and shutil.which(CHROMIUM)):
        pytest.skip(f"{CHROMIUM} is not installed (run scripts/provision)")
    config = db_target.config()
    with live_server(config) as server:
        message = asyncio.run(_send_from_another_process_view(config))
        docs = _dump_dom(f"{server.url}/docs", tmp_path / "p1")
        assert "SPAPS local server" in docs and "/api/metrics/json" in docs
        assert "/health/ready" in docs
        dev = _dump_dom(f"{server.url}/_dev/", tmp_path / "p2")
        assert "Developer pages" in dev and "Mailbox" in dev
        mailbox = _dump_dom(f"{server.url}/_dev/mailbox", tmp_path / "p3")
        assert "Browser check" in mailbox and "chromium@example.com" in mailbox
        detail = _dump_dom(f"{server.url}/_dev/mailbox/{message.id}", tmp_path / "p4")
        assert "hello" in detail


async def _send_from_another_process_view(config: ServerConfig) -> MailMessage:
    # Writes through a second connection pool, as another process would.
    db, _ = await open_database(config)
    try:
        return await MailboxService(db, MetricsRegistry()).send(
            to="chromium@example.com", subject="Browser check", text="hello"
        )
    finally:
        await db.dispose()


def test_reference_prose_shows_code_spans_and_stays_escaped() -> None:
    from spaps_server.http.pages import prose

    assert prose("Send `X-API-Key`; ``data.user``") == (
        "Send <code>X-API-Key</code>; <code>data.user</code>"
    )
    assert prose("`<script>` & <b>") == "<code>&lt;script&gt;</code> &amp; &lt;b&gt;"
