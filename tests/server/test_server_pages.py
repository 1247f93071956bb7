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
from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute

from spaps_server.config import ServerConfig, SmtpSettings
from spaps_server.context import open_database
from spaps_server.domain.models import MailMessage
from spaps_server.services.mailbox import MailboxService
from spaps_server.services.metrics import MetricsRegistry

from .cdp import Browser
from .conftest import DEFAULT_KEY, DbTarget, live_server, serve_in_process

CHROMIUM = "/usr/bin/chromium"
EXTERNAL = re.compile(r"(?:https?:)?//(?!127\.0\.0\.1[:/])[A-Za-z0-9.-]+", re.I)


def assert_self_contained(html: str) -> None:
    assert html.startswith("<!DOCTYPE html>")
    # Scripts only from this server, none inline (so a strict CSP could allow them).
    for attrs, inline in re.findall(r"<script([^>]*)>(.*?)</script>", html, re.I | re.S):
        assert re.search(r'src="/[^/]', attrs) and not inline.strip(), attrs
    for attr in re.findall(r'(?:href|src|action)=["\']([^"\']*)["\']', html):
        assert attr.startswith(("/", "#", "?")) or attr == "", attr
    assert not EXTERNAL.search(html), EXTERNAL.search(html)


async def test_openapi_describes_every_route(client: httpx.AsyncClient):
    app = client._transport.app  # type: ignore[attr-defined]
    spec = (await client.get("/openapi.json")).json()
    described = {(method.upper(), path) for path, item in spec["paths"].items() for method in item}
    for route in app.routes:
        if isinstance(route, APIRoute) and route.include_in_schema:
            for method in route.methods:
                assert (method, route.path) in described, (method, route.path)
    for path in ("/health", "/health/ready", "/api/metrics", "/api/metrics/json", "/docs", "/"):
        assert path in spec["paths"]


async def test_docs_reference_without_javascript_lists_every_route(client: httpx.AsyncClient):
    response = await client.get("/docs/reference")
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
        docs = _dump_dom(f"{server.url}/docs/reference", tmp_path / "p1")
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


# --- the landing page, the interactive reference, the live mailbox -----------------------

example_pages = APIRouter()


@example_pages.get(
    "/_dev/example-domain", summary="Example domain (HTML)", response_class=HTMLResponse
)
async def example_domain_page() -> HTMLResponse:
    """A page another domain adds; the landing page must find it."""
    return HTMLResponse("<!DOCTYPE html><p>example</p>")


async def test_landing_page_links_every_developer_page(sqlite_target: DbTarget):
    async with serve_in_process(sqlite_target.config(), extra_routers=[example_pages]) as (
        _app,
        http,
    ):
        landing = await http.get("/")
        assert landing.status_code == 200
        assert_self_contained(landing.text)
        links = set(re.findall(r'href="([^"]+)"', landing.text))
        for path in ("/docs", "/docs/reference", "/openapi.json", "/_dev/", "/_dev/mailbox"):
            assert path in links, path
        assert "/_dev/example-domain" in links and "Example domain" in landing.text
        assert "/_dev/mailbox/messages" not in links  # JSON views are not pages
        assert "user@example.com" in landing.text and "test_key_local_dev_only" in landing.text
        index = await http.get("/_dev/")
        assert 'href="/_dev/example-domain"' in index.text
        for page_link in links - {"/openapi.json"}:
            assert (await http.get(page_link)).status_code == 200, page_link


async def test_docs_and_dev_resolve_with_and_without_the_slash(client: httpx.AsyncClient):
    for path, same in (("/docs/", "/docs"), ("/_dev", "/_dev/")):
        response = await client.get(path)
        assert response.status_code == 200 and "location" not in response.headers
        assert response.text == (await client.get(same)).text


async def test_interactive_docs_ship_their_assets(client: httpx.AsyncClient):
    page_html = (await client.get("/docs")).text
    assert_self_contained(page_html)
    assert 'data-openapi-url="/openapi.json"' in page_html
    assets = re.findall(r'(?:src|href)="(/docs/assets/[^"]+)"', page_html)
    assert len(assets) == 4
    for asset in assets:
        response = await client.get(asset)
        assert response.status_code == 200, asset
        assert response.headers["content-type"].split(";")[0] in {
            "text/javascript",
            "text/css",
            "image/png",
        }
    init = (await client.get("/docs/assets/spaps-docs.js")).text
    assert "validatorUrl: null" in init and not EXTERNAL.search(init)
    for name in ("index.html", "..%2F..%2Fapp.py", "swagger-ui-bundle.js.map"):
        missing = await client.get(f"/docs/assets/{name}")
        assert missing.status_code == 404, name
        assert missing.json()["error"]["code"] == "NOT_FOUND"


async def test_mailbox_can_be_emptied_from_the_page(client: httpx.AsyncClient):
    ctx = client._transport.app.state.context  # type: ignore[attr-defined]
    await ctx.mailbox.send(to="a@example.com", subject="One", text="t")
    page_html = (await client.get("/_dev/mailbox")).text
    assert "action='/_dev/mailbox/clear'" in page_html and "mailbox.js" in page_html
    refused = await client.post(
        "/_dev/mailbox/clear", headers={"origin": "http://attacker.example"}
    )
    assert refused.status_code == 403
    assert len(await ctx.mailbox.list()) == 1
    emptied = await client.post("/_dev/mailbox/clear", headers={"origin": "http://spaps.test"})
    assert emptied.status_code == 303 and emptied.headers["location"] == "/_dev/mailbox"
    assert await ctx.mailbox.list() == []
    assert "No messages yet" in (await client.get("/_dev/mailbox")).text


def _need_chromium() -> None:
    if not (Path(CHROMIUM).exists() and shutil.which(CHROMIUM)):
        pytest.skip(f"{CHROMIUM} is not installed (run scripts/provision)")


@pytest.mark.browser
def test_landing_page_in_headless_chromium(sqlite_target: DbTarget, tmp_path: Path):
    _need_chromium()
    with (
        live_server(sqlite_target.config(), extra_routers=[example_pages]) as server,
        Browser(tmp_path / "profile") as browser,
    ):
        browser.navigate(f"{server.url}/")
        assert browser.evaluate("document.title") == "SPAPS local server"
        hrefs = browser.evaluate("[...document.links].map(a => a.getAttribute('href'))")
        assert {"/docs", "/_dev/", "/_dev/mailbox", "/_dev/example-domain"} <= set(hrefs)
        browser.evaluate("document.querySelector('a[href=\"/_dev/mailbox\"]').click()")
        browser.wait_for(
            "location.pathname === '/_dev/mailbox' && document.readyState === 'complete'"
        )
        assert "Mailbox" in browser.evaluate("document.querySelector('h1').textContent")


@pytest.mark.browser
def test_try_it_out_on_the_interactive_reference(sqlite_target: DbTarget, tmp_path: Path):
    _need_chromium()
    with live_server(sqlite_target.config()) as server, Browser(tmp_path / "profile") as browser:
        browser.navigate(f"{server.url}/docs")
        block = (
            "[...document.querySelectorAll('.opblock')].find(b => "
            "b.querySelector('.opblock-summary-path')?.getAttribute('data-path') === '/health' "
            "&& b.classList.contains('opblock-get'))"
        )
        browser.wait_for(f"!!({block})")
        # The API key is authorised up front; the bearer scheme is offered too.
        assert browser.evaluate("ui.authSelectors.authorized().has('ApiKey')") is True
        assert browser.evaluate("!!document.querySelector('.btn.authorize')") is True
        schemes = browser.evaluate("Object.keys(ui.specSelectors.securityDefinitions().toJS())")
        assert set(schemes) == {"ApiKey", "Bearer"}
        browser.evaluate(f"({block}).querySelector('.opblock-summary-control').click()")
        browser.wait_for(f"!!({block}).querySelector('.try-out__btn')")
        browser.evaluate(f"({block}).querySelector('.try-out__btn').click()")
        browser.wait_for(f"!!({block}).querySelector('.execute')")
        browser.evaluate(f"({block}).querySelector('.execute').click()")
        status = browser.wait_for(
            f"({block}).querySelector('.live-responses-table tr.response "
            ".response-col_status')?.textContent"
        )
        assert status.strip().startswith("200")
        shown = browser.evaluate(f"({block}).querySelector('.live-responses-table').textContent")
        assert '"healthy"' in shown and "spaps-local" in shown


@pytest.mark.browser
def test_mailbox_page_shows_new_mail_without_a_reload(db_target: DbTarget, tmp_path: Path):
    _need_chromium()
    with live_server(db_target.config()) as server, Browser(tmp_path / "profile") as browser:
        browser.navigate(f"{server.url}/_dev/mailbox")
        assert "No messages yet" in browser.evaluate("document.body.textContent")
        browser.evaluate("window.sameDocument = true")
        sent = httpx.post(
            f"{server.url}/api/auth/magic-link",
            json={"email": "live-reader@example.com"},
            headers={"X-API-Key": DEFAULT_KEY},
        )
        assert sent.status_code == 200
        browser.wait_for(
            "document.getElementById('mail-list').textContent.includes('live-reader@example.com')"
        )
        assert browser.evaluate("window.sameDocument") is True  # updated, not reloaded
        link = browser.evaluate("document.querySelector('#mail-list a').getAttribute('href')")
        assert link.startswith("/_dev/mailbox/msg")
        browser.evaluate(
            "document.querySelector(\"form[action='/_dev/mailbox/clear'] button\").click()"
        )
        browser.wait_for("!window.sameDocument && document.readyState === 'complete'")
        assert "No messages yet" in browser.evaluate("document.body.textContent")
        listing = httpx.get(f"{server.url}/_dev/mailbox/messages").json()
        assert listing["data"]["count"] == 0
