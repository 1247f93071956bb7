"""Metrics on prometheus_client: one registry per app, route-template labels, the domain
counter API, content negotiation, and multiprocess aggregation across real processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import httpx
import pytest

from spaps_server.services.metrics import MULTIPROCESS_DIR_ENV, MetricsRegistry

from .conftest import DbTarget, serve_in_process, start_spaps_local

HEALTH_OK = 'http_requests_total{method="GET",route="/health",status="200"}'


def _sample(text: str, prefix: str) -> float | None:
    """The value of the exposition line starting with ``prefix`` plus a space."""
    for line in text.splitlines():
        if line.startswith(prefix + " "):
            return float(line.rsplit(" ", 1)[1])
    return None


async def test_two_apps_in_one_process_count_independently(db_target: DbTarget):
    async with (
        serve_in_process(db_target.config()) as (first_app, first),
        serve_in_process(db_target.config()) as (second_app, second),
    ):
        for _ in range(3):
            await first.get("/health")
        await second.get("/health")
        await first_app.state.context.mailbox.send(to="a@example.com", subject="s", text="t")

        first_text = (await first.get("/api/metrics")).text
        second_text = (await second.get("/api/metrics")).text
        assert _sample(first_text, HEALTH_OK) == 3
        assert _sample(second_text, HEALTH_OK) == 1
        assert first_app.state.context.metrics is not second_app.state.context.metrics
        second_json = (await second.get("/api/metrics/json")).json()
        assert second_json["requests"]["by_route"] == {"GET /health": 1, "GET /api/metrics": 1}
        assert second_json["counters"]["spaps_emails_total"]["total"] == 0
        first_json = (await first.get("/api/metrics/json")).json()
        assert first_json["counters"]["spaps_emails_total"]["total"] == 1


async def test_labels_carry_route_templates_never_raw_paths(client: httpx.AsyncClient):
    await client.get("/_dev/mailbox/msg_secretlooking0123")
    await client.request("BREW", "/health")
    text = (await client.get("/api/metrics")).text
    assert "msg_secretlooking0123" not in text
    assert 'route="/_dev/mailbox/{message_id}"' in text
    assert "BREW" not in text  # an unknown method cannot mint a series of its own
    assert 'method="other"' in text


async def test_openmetrics_is_served_when_asked_for(client: httpx.AsyncClient):
    await client.get("/health")
    response = await client.get(
        "/api/metrics", headers={"Accept": "application/openmetrics-text; version=1.0.0"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/openmetrics-text")
    assert response.text.endswith("# EOF\n")
    plain = await client.get("/api/metrics")
    assert plain.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"


async def test_a_domain_counter_shows_in_both_views(client: httpx.AsyncClient):
    metrics = client._transport.app.state.context.metrics  # type: ignore[attr-defined]
    replays = metrics.counter("spaps_test_replays_total", "Replays by outcome", ("outcome",))
    replays.inc(outcome="replayed")
    replays.inc(2, outcome="replayed")
    replays.inc(outcome="conflict")
    body = (await client.get("/api/metrics/json")).json()
    assert body["counters"]["spaps_test_replays_total"] == {
        "total": 4,
        "series": [
            {"labels": {"outcome": "conflict"}, "value": 1},
            {"labels": {"outcome": "replayed"}, "value": 3},
        ],
    }
    text = (await client.get("/api/metrics")).text
    assert "# HELP spaps_test_replays_total Replays by outcome" in text
    assert _sample(text, 'spaps_test_replays_total{outcome="replayed"}') == 3


def test_declarations_are_idempotent_and_checked():
    metrics = MetricsRegistry()
    changes = metrics.counter("spaps_subscription_changes_total", "Changes", ("kind",))
    assert metrics.counter("spaps_subscription_changes_total", "Changes", ("kind",)) is changes
    assert metrics.get("spaps_subscription_changes_total") is changes
    assert metrics.get("spaps_never_declared_total") is None
    with pytest.raises(ValueError, match="another type or labels"):
        metrics.counter("spaps_subscription_changes_total", "Changes", ("plan",))
    with pytest.raises(ValueError, match="another type or labels"):
        metrics.histogram("spaps_subscription_changes_total", "Changes", ("kind",))
    with pytest.raises(ValueError, match="_total"):
        metrics.counter("spaps_checkouts", "Checkouts")
    with pytest.raises(ValueError):
        changes.inc()  # the label is required
    assert changes.value(kind="upgrade") == 0
    assert changes.series() == []  # reading a series does not create it
    histogram = metrics.histogram("spaps_work_seconds", "Work", ("step",), buckets=(0.5,))
    histogram.observe(0.1, step="a")
    histogram.observe(2, step="a")
    assert histogram.count(step="a") == 2 and histogram.count(step="b") == 0
    assert metrics.snapshot()["spaps_work_seconds"]["series"] == [
        {"labels": {"step": "a"}, "count": 2, "sum": 2.1}
    ]


def test_multiprocess_mode_needs_the_variable_before_start(tmp_path: Path):
    # This test process imported prometheus_client without the variable.
    with pytest.raises(RuntimeError, match="before the process starts"):
        MetricsRegistry(multiprocess_dir=tmp_path)
    with pytest.raises(ValueError, match="not a directory"):
        MetricsRegistry(multiprocess_dir=tmp_path / "missing")


WRITER = textwrap.dedent(
    """
    import sys
    from spaps_server.services.metrics import MetricsRegistry

    metrics = MetricsRegistry()
    usage = metrics.counter("spaps_usage_records_total", "Usage records", ("feature",))
    usage.inc(float(sys.argv[1]), feature="api_calls")
    metrics.observe_http_request(method="GET", route="/health", status=200, seconds=0.01)
    """
)

READER = textwrap.dedent(
    """
    import json
    from spaps_server.services.metrics import MetricsRegistry

    metrics = MetricsRegistry()
    usage = metrics.counter("spaps_usage_records_total", "Usage records", ("feature",))
    print(json.dumps({
        "local": usage.value(feature="api_calls"),
        "snapshot": metrics.snapshot(),
        "text": metrics.render_prometheus(),
    }))
    """
)


def _python(code: str, *args: str, multiproc_dir: Path) -> str:
    env = {**os.environ, MULTIPROCESS_DIR_ENV: str(multiproc_dir)}
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_multiprocess_collector_sums_what_two_processes_wrote(tmp_path: Path):
    shared = tmp_path / "prometheus"
    shared.mkdir()
    _python(WRITER, "2", multiproc_dir=shared)
    _python(WRITER, "5", multiproc_dir=shared)
    read = json.loads(_python(READER, multiproc_dir=shared))
    assert read["local"] == 0  # the reading process itself counted nothing
    usage = read["snapshot"]["spaps_usage_records_total"]
    assert usage["total"] == 7
    assert usage["series"] == [{"labels": {"feature": "api_calls"}, "value": 7}]
    requests = read["snapshot"]["http_requests_total"]["series"]
    assert requests == [
        {"labels": {"method": "GET", "route": "/health", "status": "200"}, "value": 2}
    ]
    assert read["snapshot"]["http_request_duration_seconds"]["series"][0]["count"] == 2
    assert _sample(read["text"], 'spaps_usage_records_total{feature="api_calls"}') == 7
    assert (
        _sample(
            read["text"],
            'http_request_duration_seconds_bucket{le="+Inf",method="GET",route="/health",'
            'status="200"}',
        )
        == 2
    )


def test_two_server_processes_expose_one_sum(tmp_path: Path):
    shared = tmp_path / "prometheus"
    shared.mkdir()
    env = {MULTIPROCESS_DIR_ENV: str(shared)}
    first = start_spaps_local("--data-dir", str(tmp_path / "one"), env=env)
    try:
        second = start_spaps_local("--data-dir", str(tmp_path / "two"), env=env)
        try:
            for _ in range(2):
                assert httpx.get(f"{first.url}/health").status_code == 200
            for _ in range(3):
                assert httpx.get(f"{second.url}/health").status_code == 200
            text = httpx.get(f"{first.url}/api/metrics").text
            assert _sample(text, HEALTH_OK) == 5
            body = httpx.get(f"{second.url}/api/metrics/json").json()
            assert body["requests"]["by_route"]["GET /health"] == 5
            assert body["requests"]["by_route"]["GET /api/metrics"] == 1
        finally:
            second.stop()
    finally:
        first.stop()
