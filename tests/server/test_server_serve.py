"""``spaps serve``: every unsafe configuration refused with one line naming it (and never a
secret), and, on PostgreSQL, a deployment without demo accounts or developer pages, with
JSON access logs (secrets redacted) and a graceful shutdown that finishes in-flight requests."""

from __future__ import annotations

import base64
import json
import os
import secrets
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from .conftest import DEFAULT_KEY, pg_schema, spaps_command, start_spaps

API_KEY = "spaps_live_" + secrets.token_urlsafe(24)


def _pem() -> str:
    key = Ed25519PrivateKey.generate()
    return key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()


def valid_env(database_url: str = "postgresql://spaps:pw@127.0.0.1:1/spaps") -> dict[str, str]:
    """A complete ``spaps serve`` environment (the database need not exist for refusals
    that happen before connecting)."""
    return {
        "SPAPS_DATABASE_URL": database_url,
        "SPAPS_API_KEY": API_KEY,
        "SPAPS_TOKEN_SIGNING_KEY": _pem(),
        "SPAPS_ENCRYPTION_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
        "SPAPS_WEBHOOK_SECRET": "whsec_" + secrets.token_urlsafe(24),
        "SPAPS_RECON_TOKEN": "rcn_" + secrets.token_urlsafe(24),
        "SPAPS_PUBLIC_URL": "https://auth.example.com",
        "SPAPS_SMTP_HOST": "127.0.0.1",
        "SPAPS_SMTP_PORT": "1",
    }


def clean_env(overrides: dict[str, str]) -> dict[str, str]:
    """The test process's environment without any SPAPS_ setting, plus ``overrides``."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("SPAPS_")}
    base["SPAPS_PASSWORD_PROFILE"] = "test"
    return {**base, **overrides}


def run_serve(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        spaps_command("serve", "--port", "0"),
        capture_output=True,
        text=True,
        timeout=60,
        env=clean_env(env),
    )


def _without(name: str) -> dict[str, str]:
    env = valid_env()
    del env[name]
    return env


def _with(**changes: str) -> dict[str, str]:
    return {**valid_env(), **changes}


REFUSALS: list[tuple[str, dict[str, str], str]] = [
    ("no database", _without("SPAPS_DATABASE_URL"), "SPAPS_DATABASE_URL"),
    (
        "sqlite",
        _with(SPAPS_DATABASE_URL="sqlite:////tmp/spaps.sqlite3"),
        "spaps serve needs PostgreSQL",
    ),
    ("no api key", _without("SPAPS_API_KEY"), "SPAPS_API_KEY"),
    ("development key", _with(SPAPS_API_KEY=DEFAULT_KEY), "public development key"),
    ("short key", _with(SPAPS_API_KEY="short"), "too short"),
    ("no signing key", _without("SPAPS_TOKEN_SIGNING_KEY"), "SPAPS_TOKEN_SIGNING_KEY"),
    ("bad signing key", _with(SPAPS_TOKEN_SIGNING_KEY="not a pem"), "SPAPS_TOKEN_SIGNING_KEY"),
    ("no encryption key", _without("SPAPS_ENCRYPTION_KEY"), "SPAPS_ENCRYPTION_KEY"),
    ("short encryption key", _with(SPAPS_ENCRYPTION_KEY="YWJj"), "SPAPS_ENCRYPTION_KEY"),
    ("no webhook secret", _without("SPAPS_WEBHOOK_SECRET"), "SPAPS_WEBHOOK_SECRET"),
    ("no recon token", _without("SPAPS_RECON_TOKEN"), "SPAPS_RECON_TOKEN"),
    ("no public url", _without("SPAPS_PUBLIC_URL"), "SPAPS_PUBLIC_URL"),
    ("no smtp", _without("SPAPS_SMTP_HOST"), "SPAPS_SMTP_HOST"),
    (
        "value and file",
        _with(SPAPS_API_KEY_FILE="/nonexistent"),
        "set SPAPS_API_KEY or SPAPS_API_KEY_FILE, not both",
    ),
    (
        "unreadable file",
        {**_without("SPAPS_API_KEY"), "SPAPS_API_KEY_FILE": "/nonexistent/key"},
        "cannot read SPAPS_API_KEY_FILE",
    ),
]


@pytest.mark.parametrize(
    ("env", "expected"), [r[1:] for r in REFUSALS], ids=[r[0] for r in REFUSALS]
)
def test_unsafe_configurations_are_refused_with_one_line(
    env: dict[str, str], expected: str
) -> None:
    done = run_serve(env)
    assert done.returncode == 1, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("spaps serve: error: ") and expected in lines[0], lines[0]
    for name in (
        "SPAPS_API_KEY",
        "SPAPS_ENCRYPTION_KEY",
        "SPAPS_WEBHOOK_SECRET",
        "SPAPS_RECON_TOKEN",
    ):
        value = env.get(name)
        if value and value != DEFAULT_KEY and len(value) > 8:
            assert value not in done.stderr
    assert done.stdout == ""


def test_secrets_are_read_from_files(tmp_path: Path) -> None:
    # A file-provided key is checked like a value: the development key is refused from a file.
    key_file = tmp_path / "api_key"
    key_file.write_text(DEFAULT_KEY + "\n")
    env = {**_without("SPAPS_API_KEY"), "SPAPS_API_KEY_FILE": str(key_file)}
    done = run_serve(env)
    assert done.returncode == 1 and "public development key" in done.stderr


def test_a_database_that_accepts_the_development_key_is_refused(tmp_path: Path) -> None:
    with pg_schema() as (url, schema):
        database_url = f"{url}?schema={schema}"
        local = start_spaps(
            "local", "--database-url", database_url, "--data-dir", str(tmp_path / "d")
        )
        local.stop()
        done = run_serve(valid_env(database_url))
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "accepts the public development API key" in lines[0], lines


def _start_serve(env: dict[str, str], *args: str) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    proc = subprocess.Popen(
        spaps_command("serve", "--port", "0", *args),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_env(env),
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        _, err = proc.communicate(timeout=30)
        raise AssertionError(f"spaps serve did not start: {err}")
    return proc, json.loads(line)


@pytest.mark.parametrize("workers", ["1", "2"])
def test_serve_on_postgresql(workers: str) -> None:
    with pg_schema() as (url, schema):
        env = valid_env(f"{url}?schema={schema}")
        proc, record = _start_serve(env, "--workers", workers, "--graceful-timeout", "20")
        try:
            assert "api_key" not in record and "seeded_accounts" not in record
            assert record["url"] == "https://auth.example.com"
            base = f"http://127.0.0.1:{record['port']}"
            with httpx.Client(base_url=base, headers={"X-API-Key": API_KEY}) as http:
                assert http.get("/_dev/").status_code == 404
                assert http.get("/_dev/mailbox").status_code == 404
                assert http.get("/_dev/mailbox/messages").status_code == 404
                assert http.get("/_dev/usage").status_code == 404
                assert http.get("/_dev/webhooks").status_code == 404
                # The public pages never show the deployment's API key, nor link to the
                # developer pages it does not serve.
                for path in ("/", "/docs", "/docs/reference", "/openapi.json"):
                    shown = http.get(path)
                    assert shown.status_code == 200, (path, shown.status_code)
                    assert API_KEY not in shown.text, path
                    assert 'href="/_dev' not in shown.text, path
                login = http.post(
                    "/api/auth/login",
                    json={"email": "user@example.com", "password": "Secret123!"},
                )
                assert login.status_code == 401  # no demo accounts
                dev = http.get(
                    "/api/v1/whitelist/check",
                    params={"email": "a@example.com"},
                    headers={"X-API-Key": DEFAULT_KEY},
                )
                assert dev.status_code == 401
                ok = http.get(
                    "/api/v1/whitelist/check", params={"email": "a@example.com", "token": "s3cr3t"}
                )
                assert ok.status_code == 200, ok.text
            # An in-flight request (its body still arriving) finishes after SIGTERM.
            body = json.dumps({"email": "nobody@example.com", "password": "Wrong-pass-1"})
            with socket.create_connection(("127.0.0.1", record["port"]), timeout=30) as sock:
                head = (
                    "POST /api/auth/login HTTP/1.1\r\nHost: t\r\n"
                    f"X-API-Key: {API_KEY}\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(body)}\r\n\r\n"
                )
                sock.sendall(head.encode() + body[:10].encode())
                time.sleep(0.5)
                proc.send_signal(signal.SIGTERM)
                time.sleep(0.5)
                sock.sendall(body[10:].encode())
                answer = sock.recv(65536).decode()
            assert answer.startswith("HTTP/1.1 401"), answer
            _, err = proc.communicate(timeout=60)
            assert proc.returncode == 0, err
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    access = [json.loads(x) for x in err.splitlines() if x.startswith("{")]
    checks = [a for a in access if a.get("path", "").startswith("/api/v1/whitelist/check")]
    assert checks and all(a["logger"] == "uvicorn.access" for a in checks)
    assert any("token=[REDACTED]" in a["path"] and a["status"] == 200 for a in checks), checks
    assert "s3cr3t" not in err and API_KEY not in err
