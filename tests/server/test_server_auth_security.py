"""Sign-in hardening over real HTTP on SQLite and PostgreSQL: redirect allow-lists for
e-mailed links, no pre-account takeover with e-mail confirmation, rate limits reserved in the
database (under concurrency and across server processes), reset confirmation that checks the
token before argon2, and the same work for password resets of known and unknown accounts."""

from __future__ import annotations

import asyncio
import json
import subprocess
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from spaps_server.config import DEFAULT_APPLICATION_NAME

from .auth_support import PASSWORD, USER, Live, error_code, running
from .conftest import DEFAULT_KEY, DbTarget, pg_schema, spaps_command, start_spaps_local
from .test_server_payments import _guest, _pay

# Rate-limit windows are aligned to the epoch; one this long (about 31 years) cannot end
# during a test, so every attempt of a burst falls in the same window.
LONG_WINDOW = 1e9

HOSTILE_REDIRECTS = [
    "https://evil.example/steal",
    "javascript:alert(document.cookie)",
    "//evil.example/steal",
    "/relative/path",
    "http://localhost:3000/reset\r\nSet-Cookie: a=b",
    "http://localhost:3000/re set",
    "http://localhost@evil.example/steal",
    "http://localhost:3000@evil.example/steal",
    "http://127.0.0.1.evil.example/steal",
    "http://evil.example\\@localhost:3000/",
    "https://localhost:3000/",  # the loopback defaults are http only
    "http://localhost:99999/",
    "data:text/html,<script>alert(1)</script>",
]


def _mail_count(live: Live, to: str) -> int:
    messages = live.http.get("/_dev/mailbox/messages", params={"to": to}).json()["data"]
    return len(messages["messages"])


def _hash_operations(live: Live, operation: str) -> float:
    counter = live.ctx.metrics.get("spaps_password_hash_operations_total")
    assert counter is not None
    return counter.value(operation=operation)


@pytest.fixture
def live(db_target: DbTarget) -> Iterator[Live]:
    with running(db_target, password_profile="test") as server:
        yield server


# -- redirect allow-lists -------------------------------------------------------------------


def test_links_refuse_redirects_outside_the_allow_list(live: Live) -> None:
    before = _mail_count(live, USER)
    for url in HOSTILE_REDIRECTS:
        for path in ("/api/auth/password-reset", "/api/auth/magic-link"):
            refused = live.post(path, {"email": USER, "redirect_url": url})
            assert refused.status_code == 400, (path, url, refused.text)
            assert error_code(refused) == "INVALID_REDIRECT_URL"
    assert _mail_count(live, USER) == before  # nothing was sent


def test_links_go_to_allowed_origins_with_the_token(live: Live) -> None:
    reset = live.post(
        "/api/auth/password-reset",
        {"email": USER, "redirect_url": "http://localhost:5173/reset?step=2#top"},
    )
    assert reset.status_code == 200, reset.text
    mail = live.mail(USER, "password_reset")
    token = mail["metadata"]["token"]
    assert mail["metadata"]["link"] == f"http://localhost:5173/reset?step=2&token={token}#top"
    own = f"{live.url}/signed-in"
    assert live.post("/api/auth/magic-link", {"email": USER, "redirect_url": own}).is_success
    link = live.mail(USER, "magic_link")["metadata"]
    assert link["link"] == f"{own}?token={link['token']}"
    # Without a redirect the links open the server's own pages, as before.
    assert live.post("/api/auth/magic-link", {"email": USER}).is_success
    assert live.mail(USER, "magic_link")["metadata"]["link"].startswith(
        f"{live.url}/auth/magic-link?token="
    )


def _spaps(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(spaps_command(*args), capture_output=True, text=True, timeout=60)


def test_spaps_apps_manages_the_redirect_origins(sqlite_target: DbTarget) -> None:
    data_dir = str(sqlite_target.data_dir)
    target = {"email": USER, "redirect_url": "https://app.example/reset"}
    with running(sqlite_target, password_profile="test") as live:
        assert error_code(live.post("/api/auth/password-reset", target)) == "INVALID_REDIRECT_URL"
        added = _spaps(
            "apps", "redirects", "add", DEFAULT_APPLICATION_NAME, "HTTPS://App.Example/",
            "--data-dir", data_dir,
        )  # fmt: skip
        assert added.returncode == 0, added.stderr
        assert live.post("/api/auth/password-reset", target).status_code == 200
        listed = _spaps(
            "apps", "redirects", "list", DEFAULT_APPLICATION_NAME, "--json", "--data-dir", data_dir
        )
        record = json.loads(listed.stdout)
        assert record["redirect_origins"] == ["https://app.example"]
        assert "http://localhost:*" in record["default_origins"]
        bad = _spaps(
            "apps", "redirects", "add", DEFAULT_APPLICATION_NAME, "https://x.example/path",
            "--data-dir", data_dir,
        )  # fmt: skip
        assert bad.returncode != 0
        assert (
            bad.stderr.splitlines()[-1]
            == "spaps apps: error: An origin has no path, query or fragment"
        )
        removed = _spaps(
            "apps", "redirects", "remove", DEFAULT_APPLICATION_NAME, "https://app.example",
            "--data-dir", data_dir,
        )  # fmt: skip
        assert removed.returncode == 0, removed.stderr
        assert error_code(live.post("/api/auth/password-reset", target)) == "INVALID_REDIRECT_URL"
        created = _spaps(
            "apps", "create", "Portal", "--redirect-origin", "https://portal.example:8443",
            "--json", "--data-dir", data_dir,
        )  # fmt: skip
        assert created.returncode == 0, created.stderr
        portal = json.loads(created.stdout)
        assert portal["redirect_origins"] == ["https://portal.example:8443"]
        portal_http = httpx.Client(base_url=live.url, headers={"X-API-Key": portal["api_key"]})
        with portal_http:
            ok = portal_http.post(
                "/api/auth/magic-link",
                json={"email": "new@example.com", "redirect_url": "https://portal.example:8443/in"},
            )
            assert ok.status_code == 200, ok.text
            # Each application has its own list: the default one does not allow Portal's.
            other = live.post(
                "/api/auth/magic-link",
                {"email": USER, "redirect_url": "https://portal.example:8443/in"},
            )
            assert error_code(other) == "INVALID_REDIRECT_URL"


def test_the_seed_file_adds_redirect_origins(db_target: DbTarget, tmp_path: Path) -> None:
    seed = tmp_path / "seed.json"
    seed.write_text(
        json.dumps({"redirect_origins": ["https://seeded.example", "http://10.0.0.5:*"]})
    )
    with running(db_target, password_profile="test", seed_file=seed) as live:
        for url in ("https://seeded.example/r", "http://10.0.0.5:8080/r"):
            assert live.post(
                "/api/auth/password-reset", {"email": USER, "redirect_url": url}
            ).is_success
        refused = live.post(
            "/api/auth/password-reset",
            {"email": USER, "redirect_url": "https://seeded.example.evil/"},
        )
        assert error_code(refused) == "INVALID_REDIRECT_URL"


def test_guest_conversion_checks_the_magic_link_redirect_first(live: Live) -> None:
    guest = _guest(live, "buyer@example.com")
    assert _pay(live, guest["id"], "4242424242424242").status_code == 200
    body = {"session_id": guest["id"], "email": "buyer@example.com", "send_magic_link": True}
    refused = live.post(
        "/api/stripe/guest-checkout-sessions/convert",
        {**body, "redirect_url": "https://evil.example/steal"},
    )
    assert refused.status_code == 400 and error_code(refused) == "INVALID_REDIRECT_URL"
    assert _mail_count(live, "buyer@example.com") - _receipts(live) == 0
    # Nothing was linked or created: the conversion still creates the account afterwards.
    done = live.post(
        "/api/stripe/guest-checkout-sessions/convert",
        {**body, "redirect_url": "http://localhost:5173/welcome"},
    )
    assert done.status_code == 200 and done.json()["data"]["accountCreated"] is True
    link = live.mail("buyer@example.com", "magic_link")["metadata"]["link"]
    assert link.startswith("http://localhost:5173/welcome?token=")


def _receipts(live: Live) -> int:
    messages = live.http.get("/_dev/mailbox/messages", params={"to": "buyer@example.com"}).json()[
        "data"
    ]["messages"]
    return sum(1 for m in messages if m["kind"] != "magic_link")


# -- pre-account takeover -------------------------------------------------------------------


def test_a_password_set_before_confirmation_does_not_survive_a_magic_link(
    db_target: DbTarget,
) -> None:
    with running(db_target, password_profile="test", require_email_confirmation=True) as live:
        victim, chosen = "victim@example.com", "Attack3r-Chosen!"
        # The attacker registers the victim's address with a password of their choosing.
        assert (
            live.post("/api/auth/register", {"email": victim, "password": chosen}).status_code
            == 201
        )
        early = live.post("/api/auth/login", {"email": victim, "password": chosen})
        assert early.status_code == 403 and error_code(early) == "EMAIL_NOT_CONFIRMED"
        # The victim later signs in by magic link, which confirms the address.
        assert live.post("/api/auth/magic-link", {"email": victim}).is_success
        token = live.mail(victim, "magic_link")["metadata"]["token"]
        signed_in = live.post("/api/auth/verify-magic-link", {"token": token})
        assert signed_in.status_code == 200 and signed_in.json()["user"]["email_confirmed"] is True
        # The attacker's password no longer opens the (now confirmed) account.
        late = live.post("/api/auth/login", {"email": victim, "password": chosen})
        assert late.status_code == 401 and error_code(late) == "INVALID_CREDENTIALS"
        # The owner gets a password through a reset.
        assert live.post("/api/auth/password-reset", {"email": victim}).is_success
        reset = live.mail(victim, "password_reset")["metadata"]["token"]
        confirmed = live.post(
            "/api/auth/reset-password-confirm", {"token": reset, "new_password": "Own3r-Password!"}
        )
        assert confirmed.status_code == 200, confirmed.text
        assert live.login(victim, "Own3r-Password!")["user"]["email"] == victim


# -- limits under concurrency ---------------------------------------------------------------


async def _concurrent_logins(urls: list[str], email: str, attempts: int) -> Counter[int]:
    clients = [
        httpx.AsyncClient(base_url=url, headers={"X-API-Key": DEFAULT_KEY}, timeout=120)
        for url in urls
    ]
    try:
        responses = await asyncio.gather(
            *(
                clients[i % len(clients)].post(
                    "/api/auth/login", json={"email": email, "password": f"wrong-{i}"}
                )
                for i in range(attempts)
            )
        )
    finally:
        for client in clients:
            await client.aclose()
    return Counter(response.status_code for response in responses)


def test_concurrent_wrong_passwords_are_limited(db_target: DbTarget) -> None:
    rules = (("login:acct", 10, LONG_WINDOW),)
    with running(db_target, password_profile="test", rate_limits=rules) as live:
        statuses = asyncio.run(_concurrent_logins([live.url], USER, 100))
        assert statuses == Counter({401: 10, 429: 90})
        # The right password is refused too while the account is locked.
        assert (
            live.post("/api/auth/login", {"email": USER, "password": PASSWORD}).status_code == 429
        )


def test_two_server_processes_share_one_limit(tmp_path: Path) -> None:
    with pg_schema() as (url, schema):
        args = [
            "--database-url", f"{url}?schema={schema}", "--password-profile", "test",
            "--rate-limit", f"login:acct=5/{LONG_WINDOW:.0f}",
        ]  # fmt: skip
        first = start_spaps_local("--data-dir", str(tmp_path / "one"), *args)
        try:
            second = start_spaps_local("--data-dir", str(tmp_path / "two"), *args)
            try:
                statuses = asyncio.run(_concurrent_logins([first.url, second.url], USER, 50))
            finally:
                second.stop()
        finally:
            first.stop()
    assert statuses == Counter({401: 5, 429: 45})


def test_reset_confirmation_checks_the_token_before_argon2_and_is_limited(
    db_target: DbTarget,
) -> None:
    rules = (("password-reset-confirm:ip", 3, LONG_WINDOW),)
    with running(db_target, password_profile="test", rate_limits=rules) as live:
        hashes = _hash_operations(live, "hash")
        body = {"token": "pr_not-a-real-token", "new_password": "Sup3rStrong-Enough!"}
        for _ in range(3):
            refused = live.post("/api/auth/reset-password-confirm", body)
            assert refused.status_code == 401 and error_code(refused) == "INVALID_TOKEN"
        assert _hash_operations(live, "hash") == hashes  # no argon2 for an invalid token
        limited = live.post("/api/auth/reset-password-confirm", body)
        assert limited.status_code == 429 and error_code(limited) == "RATE_LIMITED"
        assert int(limited.headers["Retry-After"]) >= 1


# -- equal work for known and unknown accounts ----------------------------------------------


def _statements_of(live: Live, body: dict[str, Any]) -> list[str]:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        seen.append(" ".join(statement.split()))

    engine = live.ctx.db.engine.sync_engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        assert live.post("/api/auth/password-reset", body).status_code == 200
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    return seen


def test_password_reset_does_the_same_work_for_unknown_accounts(live: Live) -> None:
    _statements_of(live, {"email": "warm-up@example.com"})  # the limiter's first prune
    hashes = _hash_operations(live, "hash")
    known = _statements_of(live, {"email": USER})
    unknown = _statements_of(live, {"email": "ghost@example.com"})
    assert _hash_operations(live, "hash") == hashes
    outbox = [s for s in known if s.startswith("INSERT INTO mail_outbox")]
    assert len(outbox) == 1
    # The same statements in the same transactions (a token row is written either way); the
    # known account's e-mail is the one more row, in the same transaction.
    assert [s for s in known if s not in outbox] == unknown
    assert any(s.startswith("INSERT INTO one_time_tokens") for s in unknown)
    assert _mail_count(live, "ghost@example.com") == 0
