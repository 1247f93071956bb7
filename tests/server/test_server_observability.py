"""Health, readiness, metrics (registry, Prometheus text, JSON) and the secrets/config."""

from __future__ import annotations

import base64
import re
import stat

import httpx
import pytest

from spaps_server.config import ServerConfig, SmtpSettings
from spaps_server.services.metrics import MetricsRegistry
from spaps_server.storage.database import Database

from .conftest import DbTarget, serve_in_process


async def test_health_and_readiness(db_target: DbTarget):
    async with serve_in_process(db_target.config()) as (_app, http):
        health = await http.get("/health")
        assert health.status_code == 200
        assert health.json()["status"] == "healthy"
        ready = await http.get("/health/ready")
        assert ready.status_code == 200
        body = ready.json()
        assert body["ready"] is True
        assert body["checks"]["database"] == {
            "status": "ok",
            "kind": db_target.kind,
            "latency_ms": body["checks"]["database"]["latency_ms"],
        }


async def test_readiness_fails_when_the_database_is_unreachable(client: httpx.AsyncClient):
    app = client._transport.app  # type: ignore[attr-defined]
    ctx = app.state.context
    working = ctx.db
    ctx.db = Database("postgresql://nobody:pw@127.0.0.1:1/none")
    try:
        response = await client.get("/health/ready")
    finally:
        await ctx.db.dispose()
        ctx.db = working
    assert response.status_code == 503
    body = response.json()
    assert body["ready"] is False and body["success"] is False
    assert body["error"]["code"] == "NOT_READY"
    assert body["checks"]["database"]["status"] == "error"
    assert "pw" not in response.text.replace("postgresql", "")
    assert (await client.get("/health/ready")).status_code == 200


async def test_prometheus_metrics_by_route_template_and_status(client: httpx.AsyncClient):
    await client.get("/health")
    await client.get("/health")
    await client.get("/_dev/mailbox/msg_unknown")  # 404 from a templated route
    await client.get("/no/such/route")
    response = await client.get("/api/metrics", headers={"Accept": "text/plain"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert "# HELP http_requests_total Total HTTP requests received" in text
    assert "# TYPE http_requests_total counter" in text
    assert 'http_requests_total{method="GET",route="/health",status="200"} 2' in text
    assert (
        'http_requests_total{method="GET",route="/_dev/mailbox/{message_id}",status="404"} 1'
        in text
    )
    assert 'http_requests_total{method="GET",route="unmatched",status="404"} 1' in text
    assert "# TYPE http_request_duration_seconds histogram" in text
    buckets = re.findall(
        r'^http_request_duration_seconds_bucket\{le="([^"]+)",method="GET",route="/health",'
        r'status="200"\} ([0-9.]+)$',
        text,
        re.M,
    )
    assert buckets[-1] == ("+Inf", "2.0")
    counts = [float(n) for _, n in buckets]
    assert counts == sorted(counts)  # cumulative
    assert re.search(r'http_request_duration_seconds_count\{[^}]*route="/health"[^}]*\} 2', text)
    assert re.search(r"^process_resident_memory_bytes [0-9.e+]+$", text, re.M)
    assert re.search(r"^process_uptime_seconds [0-9.e-]+$", text, re.M)


async def test_metrics_json_shape_and_domain_counters(client: httpx.AsyncClient):
    app = client._transport.app  # type: ignore[attr-defined]
    ctx = app.state.context
    await ctx.mailbox.send(to="a@example.com", subject="s", text="t", kind="magic_link")
    await client.get("/health")
    await client.get("/api/probe-missing")
    response = await client.get("/api/metrics/json", headers={"Accept": "application/json"})
    assert response.status_code == 200
    body = response.json()
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", body["timestamp"])
    assert isinstance(body["uptime_seconds"], (int, float)) and body["uptime_seconds"] >= 0
    assert body["system"]["memory"]["rss_mb"] > 1
    assert body["requests"]["total"] == 2
    assert body["requests"]["by_status"] == {"200": 1, "404": 1}
    assert body["requests"]["by_route"]["GET /health"] == 1
    emails = body["counters"]["spaps_emails_total"]
    assert emails["total"] == 1
    assert emails["series"] == [{"labels": {"kind": "magic_link"}, "value": 1}]
    assert "spaps_emails_total" in (await client.get("/api/metrics")).text


def test_registry_api_for_domain_counters():
    registry = MetricsRegistry()
    logins = registry.counter("spaps_logins_total", "Sign-ins", ("method",))
    assert registry.counter("spaps_logins_total", "Sign-ins", ("method",)) is logins
    logins.inc(method="password")
    logins.inc(2, method='wal"let\n')
    assert logins.value(method="password") == 1 and logins.total() == 3
    with pytest.raises(ValueError):
        logins.inc(method="password", extra="x")
    with pytest.raises(ValueError):
        logins.inc(-1, method="password")
    with pytest.raises(ValueError):
        registry.gauge("spaps_logins_total", "clash")
    with pytest.raises(ValueError):
        registry.counter("bad name", "x")
    plain = registry.counter("spaps_plain_total", "No labels")
    gauge = registry.gauge("spaps_queue_depth", "Depth", ("queue",))
    gauge.set(4, queue="mail")
    gauge.inc(-1.5, queue="mail")
    hist = registry.histogram("spaps_work_seconds", "Work", buckets=(0.1, 1))
    hist.observe(0.05)
    hist.observe(0.5)
    hist.observe(5)
    text = registry.render_prometheus()
    assert 'spaps_logins_total{method="wal\\"let\\n"} 2' in text
    assert "spaps_plain_total 0" in text  # an unlabelled counter is shown from the start
    assert 'spaps_queue_depth{queue="mail"} 2.5' in text
    assert 'spaps_work_seconds_bucket{le="0.1"} 1.0' in text
    assert 'spaps_work_seconds_bucket{le="1.0"} 2.0' in text
    assert 'spaps_work_seconds_bucket{le="+Inf"} 3.0' in text
    assert "spaps_work_seconds_count 3.0" in text
    assert "spaps_work_seconds_sum 5.55" in text
    snapshot = registry.snapshot()
    assert snapshot["spaps_logins_total"]["total"] == 3
    assert plain.total() == 0


def test_secrets_are_generated_once_private_and_never_shown(tmp_path):
    config = ServerConfig(data_dir=tmp_path / "data")
    config.prepare_data_dir()
    secrets = config.secrets
    assert stat.S_IMODE(config.data_dir.stat().st_mode) == 0o700
    for name in ("token_signing_key.pem", "encryption_key", "webhook_secret"):
        assert stat.S_IMODE((config.data_dir / name).stat().st_mode) == 0o600
    assert secrets.token_signing_key_pem.startswith(b"-----BEGIN PRIVATE KEY-----")
    assert len(secrets.encryption_key) == 32
    assert secrets.webhook_secret.startswith("whsec_") and len(secrets.webhook_secret) > 30
    signature = secrets.token_signing_key.sign(b"message")
    secrets.token_signing_key.public_key().verify(signature, b"message")
    assert re.fullmatch(r"[0-9a-f]{16}", secrets.token_key_id)

    again = ServerConfig(data_dir=tmp_path / "data").secrets
    assert again.token_signing_key_pem == secrets.token_signing_key_pem
    assert again.encryption_key == secrets.encryption_key
    assert again.webhook_secret == secrets.webhook_secret

    shown = repr(secrets) + repr(config)
    assert secrets.webhook_secret not in shown
    assert base64.b64encode(secrets.encryption_key).decode() not in shown
    assert "test_key_local_dev_only" not in repr(config)


def test_smtp_settings_from_environment():
    assert SmtpSettings.from_env({}) is None
    smtp = SmtpSettings.from_env(
        {
            "SPAPS_SMTP_HOST": "mail.local",
            "SPAPS_SMTP_PORT": "2525",
            "SPAPS_SMTP_USERNAME": "u",
            "SPAPS_SMTP_PASSWORD": "hunter2",
            "SPAPS_SMTP_STARTTLS": "true",
        }
    )
    assert smtp is not None and smtp.port == 2525 and smtp.starttls and not smtp.use_ssl
    assert "hunter2" not in repr(smtp)
    with pytest.raises(ValueError):
        SmtpSettings.from_env({"SPAPS_SMTP_HOST": "h", "SPAPS_SMTP_PORT": "x"})
