"""Webhooks across real ``spaps local`` processes: a delivery pending when the server is
killed with SIGKILL is delivered after a restart, two servers on one database make each
attempt exactly once, and the ``spaps webhooks`` commands."""

from __future__ import annotations

import collections
import json
import signal
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from spaps_client.webhooks import verify_spaps_webhook

from .conftest import SpapsProcess, pg_schema, spaps_command, start_spaps_local
from .webhook_support import Receiver, all_settled, fail_first, wait_until


def run_spaps(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        spaps_command(*args), capture_output=True, text=True, timeout=60, check=False
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_delivery_pending_at_sigkill_is_delivered_after_restart(tmp_path: Path):
    data_dir = str(tmp_path / "data")
    port = free_port()  # the receiver is down: nothing listens here yet
    url = f"http://127.0.0.1:{port}/hooks"
    schedule = ",".join(["0.5"] * 40)
    first = start_spaps_local(
        "--data-dir", data_dir, "--webhook", url, "--webhook-retry-schedule", schedule
    )
    try:
        with httpx.Client(base_url=first.url) as http:
            sent = http.post("/_dev/webhooks/test")
            assert sent.status_code == 200, sent.text
            event_id = sent.json()["data"]["event"]["id"]

            def failed_once() -> bool:
                (delivery,) = http.get(f"/_dev/webhooks/events/{event_id}").json()["data"][
                    "deliveries"
                ]
                return delivery["status"] == "pending" and delivery["attempt_count"] >= 1

            wait_until(failed_once)
    finally:
        first.proc.send_signal(signal.SIGKILL)
        first.proc.communicate(timeout=20)
    assert first.proc.returncode == -signal.SIGKILL

    with Receiver(port=port) as receiver:
        second = start_spaps_local("--data-dir", data_dir, "--webhook-retry-schedule", schedule)
        try:
            (request,) = receiver.wait_for(1)
            assert request.event_id == event_id
            verify_spaps_webhook(
                request.body, request.headers["x-spaps-signature"], second.record["webhook_secret"]
            )
            with httpx.Client(base_url=second.url) as http:
                state = wait_until(lambda: all_settled(http, event_id))
        finally:
            second.stop()
    (delivery,) = state["deliveries"]
    attempts = delivery["attempts"]
    assert delivery["status"] == "succeeded"
    assert [a["attempt"] for a in attempts] == list(range(1, len(attempts) + 1))
    assert attempts[-1]["status_code"] == 200
    assert all(a["status_code"] is None and a["error"] for a in attempts[:-1])


@pytest.fixture(params=["sqlite", "postgresql"])
def shared_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[list[str]]:
    """Storage flags for two servers on one database: one SQLite file, or one PostgreSQL
    schema (each server with its own data dir)."""
    if request.param == "sqlite":
        yield ["--data-dir", str(tmp_path / "shared")]
        return
    with pg_schema() as (url, schema):
        yield ["--database-url", f"{url}?schema={schema}"]


def test_two_servers_on_one_database_make_each_attempt_once(
    shared_database: list[str], tmp_path: Path
):
    events = 20
    with Receiver(fail_first(1)) as receiver:
        servers: list[SpapsProcess] = []
        try:
            for index in range(2):
                storage = list(shared_database)
                if "--data-dir" not in storage:
                    storage += ["--data-dir", str(tmp_path / f"data{index}")]
                servers.append(
                    start_spaps_local(
                        *storage,
                        "--webhook",
                        receiver.url,
                        "--webhook-retry-schedule",
                        "0.2,0.2,0.2",
                        "--no-seed",
                    )
                )
            # One database, one secret: both servers sign alike.
            secrets = {server.record["webhook_secret"] for server in servers}
            assert len(secrets) == 1
            (secret,) = secrets
            clients = [httpx.Client(base_url=server.url) for server in servers]
            emitted = []
            for index in range(events):
                sent = clients[index % 2].post("/_dev/webhooks/test")
                assert sent.status_code == 200, sent.text
                emitted.append(sent.json()["data"]["event"]["id"])
            received = receiver.wait_for(2 * events)
            states = [wait_until(lambda e=e: all_settled(clients[0], e)) for e in emitted]
            for client in clients:
                client.close()
        finally:
            for server in servers:
                server.stop()
        received = list(receiver.requests)

    # One endpoint (registered by both servers, stored once), so one delivery per event:
    # exactly one failed first attempt and one successful second attempt, never more.
    assert collections.Counter(r.event_id for r in received) == {e: 2 for e in emitted}
    for request in received:
        verify_spaps_webhook(request.body, request.headers["x-spaps-signature"], secret)
    for state in states:
        (delivery,) = state["deliveries"]
        assert delivery["status"] == "succeeded"
        assert [(a["attempt"], a["status_code"]) for a in delivery["attempts"]] == [
            (1, 500),
            (2, 200),
        ]


def test_webhooks_commands(tmp_path: Path):
    data = ["--data-dir", str(tmp_path / "data")]
    with Receiver() as receiver:
        added = run_spaps("webhooks", "add", receiver.url, "--description", "cli", *data, "--json")
        assert added.returncode == 0, added.stderr
        endpoint = json.loads(added.stdout)["endpoint"]
        assert endpoint["url"] == receiver.url and endpoint["description"] == "cli"
        assert json.loads(added.stdout)["created"] is True

        listed = run_spaps("webhooks", "list", *data, "--json")
        assert listed.returncode == 0, listed.stderr
        listing = json.loads(listed.stdout)
        assert [e["id"] for e in listing["endpoints"]] == [endpoint["id"]]
        secret = (tmp_path / "data" / "webhook_secret").read_text().strip()
        assert listing["secrets"] == {endpoint["application_id"]: secret}
        human = run_spaps("webhooks", "list", *data)
        assert receiver.url in human.stdout and secret in human.stdout

        bad = run_spaps("webhooks", "add", "mailto:someone@example.com", *data)
        assert bad.returncode == 1 and bad.stdout == ""
        assert bad.stderr.startswith("spaps webhooks: error: A webhook URL must be")
        assert "Traceback" not in bad.stderr
        assert run_spaps("webhooks", *data).returncode == 2  # no action: usage

        server = start_spaps_local(*data, "--webhook-retry-schedule", "0.2")
        try:
            assert server.record["webhook_secret"] == secret
            with httpx.Client(base_url=server.url) as http:
                event_id = http.post("/_dev/webhooks/test").json()["data"]["event"]["id"]
                receiver.wait_for(1)
                wait_until(lambda: all_settled(http, event_id))

                shown = run_spaps("webhooks", "events", *data, "--json")
                assert shown.returncode == 0, shown.stderr
                (row,) = json.loads(shown.stdout)["events"]
                assert row["event"]["id"] == event_id and row["event"]["type"] == "spaps.test"
                assert [d["status"] for d in row["deliveries"]] == ["succeeded"]
                text = run_spaps("webhooks", "events", *data).stdout
                assert event_id in text and "succeeded" in text

                # A replay queued by the CLI is delivered by the running server.
                replayed = run_spaps("webhooks", "replay", event_id, *data)
                assert replayed.returncode == 0, replayed.stderr
                assert f"Replaying {event_id} to 1 endpoint(s)" in replayed.stdout
                again = receiver.wait_for(2)[1]
                assert again.event_id == event_id and again.body == receiver.requests[0].body
                missing = run_spaps("webhooks", "replay", "evt_missing", *data)
                assert missing.returncode == 1
                assert "No webhook event with that id" in missing.stderr

                removed = run_spaps("webhooks", "remove", receiver.url, *data, "--json")
                assert removed.returncode == 0, removed.stderr
                assert json.loads(removed.stdout)["endpoint"]["active"] is False
                assert http.get("/_dev/webhooks/endpoints").json()["data"]["endpoints"] == []
                nothing = run_spaps("webhooks", "remove", receiver.url, *data)
                assert nothing.returncode == 1 and "No active webhook endpoint" in nothing.stderr
        finally:
            server.stop()


@pytest.mark.parametrize(
    ("flags", "fragment"),
    [
        (["--webhook", "not-a-url"], "--webhook 'not-a-url': A webhook URL must be"),
        (["--webhook-retry-schedule", "1,soon"], "invalid webhook retry schedule"),
        (["--webhook-retry-schedule", "-1"], "invalid webhook retry schedule"),
    ],
)
def test_bad_webhook_flags_fail_with_one_line(tmp_path: Path, flags: list[str], fragment: str):
    result = run_spaps("local", "--port", "0", "--data-dir", str(tmp_path / "d"), *flags)
    assert result.returncode == 1 and result.stdout == ""
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("spaps local: error: ") and fragment in line, line
