"""Webhooks over real HTTP on SQLite and PostgreSQL: the transactional outbox, signed
deliveries verified by our SDK and by an independent HMAC check, retries with every attempt
recorded, replay, test events, the /_dev/webhooks page and its forms, clean shutdown, and the
database claims that keep several workers from making one attempt twice."""

from __future__ import annotations

import asyncio
import json
import re
import threading
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from spaps_client.webhooks import SPAPS_SIGNATURE_HEADER, verify_spaps_webhook
from spaps_server.context import open_context
from spaps_server.domain.webhooks import DeliveryStatus, EventType, WebhookAttempt
from spaps_server.storage.webhooks import WebhooksRepository

from .conftest import DbTarget, live_server
from .webhook_support import (
    Receiver,
    all_settled,
    event_state,
    fail_first,
    independent_signature_check,
    wait_until,
)
from .webhook_support import emit_router as emitter

ENVELOPE_KEYS = {
    "id",
    "type",
    "schema_version",
    "application_id",
    "created_at",
    "created",
    "livemode",
    "data",
}


def emit(http: httpx.Client, event_type: str, data: dict[str, Any] | None = None) -> str:
    response = http.post("/_test/emit", json={"type": event_type, "data": data or {}})
    assert response.status_code == 201, response.text
    event_id: str = response.json()["data"]["event"]["id"]
    return event_id


def secret_of(http: httpx.Client) -> str:
    secret: str = http.get("/_dev/webhooks/endpoints").json()["data"]["webhook_secret"]
    return secret


def test_every_event_type_arrives_signed_and_verifiable(db_target: DbTarget):
    with Receiver() as receiver:
        config = db_target.config(webhook_urls=(receiver.url,))
        with (
            live_server(config, extra_routers=[emitter]) as server,
            httpx.Client(base_url=server.url) as http,
        ):
            secret = secret_of(http)
            app_id = server.app.state.context.default_application.id
            emitted = {
                emit(http, t.value, {"object": {"n": i, "amount": "42.75"}}): t.value
                for i, t in enumerate(EventType)
            }
            received = receiver.wait_for(len(emitted))

    # The data dir's secret signs the default application's deliveries.
    assert secret == (db_target.data_dir / "webhook_secret").read_text().strip()
    assert secret.startswith("whsec_")
    assert {r.event_id for r in received} == set(emitted)
    assert len(received) == len(emitted)
    for request in received:
        signature = request.headers[SPAPS_SIGNATURE_HEADER.lower()]
        assert re.fullmatch(r"t=\d+,v1=[0-9a-f]{64}", signature)
        event = verify_spaps_webhook(request.body, signature, secret)
        assert independent_signature_check(secret, signature, request.body)
        assert not independent_signature_check(secret + "x", signature, request.body)
        envelope = json.loads(request.body)
        assert set(envelope) == ENVELOPE_KEYS
        assert event.id == envelope["id"] == request.headers["x-spaps-event-id"]
        assert event.type == envelope["type"] == request.headers["x-spaps-event-type"]
        assert envelope["type"] == emitted[envelope["id"]]
        assert envelope["id"].startswith("evt_")
        assert envelope["schema_version"] == 1
        assert envelope["application_id"] == app_id == event.application_id
        created_at = datetime.fromisoformat(envelope["created_at"].replace("Z", "+00:00"))
        assert created_at.utcoffset() == timedelta(0)
        assert int(created_at.timestamp()) == envelope["created"] == event.created
        assert envelope["data"]["object"]["amount"] == "42.75"
        assert request.headers["content-type"] == "application/json"
        # The exact bytes sent are compact JSON of the envelope.
        assert request.body == json.dumps(
            envelope, separators=(",", ":"), ensure_ascii=False
        ).encode("utf-8")
    sample = received[0]
    print("\nHEADERS", json.dumps(sample.headers, indent=1), "\nBODY", sample.body.decode())


def test_a_rolled_back_change_emits_nothing(db_target: DbTarget):
    with Receiver() as receiver:
        config = db_target.config(webhook_urls=(receiver.url,))
        with (
            live_server(config, extra_routers=[emitter]) as server,
            httpx.Client(base_url=server.url) as http,
        ):
            failed = http.post("/_test/emit", json={"type": "invoice.paid", "fail": True})
            assert failed.status_code == 409
            lost_id = failed.json()["data"]["event"]["id"]
            assert http.get(f"/_dev/webhooks/events/{lost_id}").status_code == 404
            assert http.get("/_dev/webhooks/events").json()["data"]["count"] == 0

            kept_id = emit(http, "invoice.paid")
            received = receiver.wait_for(1)
            assert [r.event_id for r in received] == [kept_id]
            assert http.get("/_dev/webhooks/events").json()["data"]["count"] == 1
            # Unknown event types are a programming error, refused before anything is written.
            with pytest.raises(ValueError, match="unknown event type"):
                server.app.state.context.events.build_event(
                    application_id="app_x", type="invoice.payed", data={}
                )


def test_a_receiver_failing_twice_sees_three_attempts_of_one_event(db_target: DbTarget):
    with Receiver(fail_first(2)) as receiver:
        config = db_target.config(
            webhook_urls=(receiver.url,), webhook_retry_schedule=(0.05, 0.05, 0.05)
        )
        with (
            live_server(config, extra_routers=[emitter]) as server,
            httpx.Client(base_url=server.url) as http,
        ):
            event_id = emit(http, "checkout.session.completed", {"object": {"id": "cs_1"}})
            state = wait_until(lambda: all_settled(http, event_id))
            received = receiver.wait_for(3)

    assert [r.event_id for r in received] == [event_id] * 3
    assert len({r.body for r in received}) == 1  # the same bytes every time
    (delivery,) = state["deliveries"]
    assert delivery["status"] == "succeeded" and delivery["attempt_count"] == 3
    attempts = delivery["attempts"]
    assert [a["attempt"] for a in attempts] == [1, 2, 3]
    assert [a["status_code"] for a in attempts] == [500, 500, 200]
    assert [a["succeeded"] for a in attempts] == [False, False, True]
    assert [a["error"] for a in attempts] == ["HTTP 500", "HTTP 500", None]
    assert [a["response_snippet"] for a in attempts] == [
        "receiver says no",
        "receiver says no",
        "ok",
    ]
    assert all(isinstance(a["latency_ms"], int) and a["latency_ms"] >= 0 for a in attempts)
    print("\n| # | status | latency ms | result | response |")
    for a in attempts:
        print(
            f"| {a['attempt']} | {a['status_code']} | {a['latency_ms']} | "
            f"{'ok' if a['succeeded'] else a['error']} | {a['response_snippet']} |"
        )


def test_timeouts_are_retried_until_the_schedule_ends(db_target: DbTarget):
    with Receiver() as receiver:
        receiver.gate = threading.Event()  # never opened while the server runs: every POST hangs
        config = db_target.config(
            webhook_urls=(receiver.url,),
            webhook_retry_schedule=(0.05,),
            webhook_timeout_seconds=0.3,
        )
        with (
            live_server(config, extra_routers=[emitter]) as server,
            httpx.Client(base_url=server.url) as http,
        ):
            event_id = emit(http, "payment_intent.payment_failed")
            state = wait_until(lambda: all_settled(http, event_id))
        receiver.gate.set()
    (delivery,) = state["deliveries"]
    assert delivery["status"] == "failed" and delivery["next_attempt_at"] is None
    assert [a["status_code"] for a in delivery["attempts"]] == [None, None]
    assert all(a["error"] == "timed out after 0.3 s" for a in delivery["attempts"])


def test_replay_and_test_events(db_target: DbTarget):
    with Receiver() as receiver:
        config = db_target.config(webhook_urls=(receiver.url,))
        with (
            live_server(config, extra_routers=[emitter]) as server,
            httpx.Client(base_url=server.url) as http,
        ):
            secret = secret_of(http)
            event_id = emit(http, "customer.subscription.created", {"object": {"id": "sub_1"}})
            wait_until(lambda: all_settled(http, event_id))

            replayed = http.post(f"/_dev/webhooks/events/{event_id}/replay")
            assert replayed.status_code == 200, replayed.text
            (new_delivery,) = replayed.json()["data"]["deliveries"]
            first, second = receiver.wait_for(2)
            assert first.event_id == second.event_id == event_id
            assert first.body == second.body
            verify_spaps_webhook(second.body, second.headers["x-spaps-signature"], secret)
            state = wait_until(lambda: all_settled(http, event_id))
            assert len(state["deliveries"]) == 2
            assert new_delivery["id"] in {d["id"] for d in state["deliveries"]}
            assert all(d["status"] == "succeeded" for d in state["deliveries"])

            missing = http.post("/_dev/webhooks/events/evt_nope/replay")
            assert missing.status_code == 404
            assert missing.json()["error"]["code"] == "WEBHOOK_EVENT_NOT_FOUND"

            sent = http.post("/_dev/webhooks/test")
            assert sent.status_code == 200, sent.text
            test_id = sent.json()["data"]["event"]["id"]
            third = receiver.wait_for(3)[2]
            event = verify_spaps_webhook(third.body, third.headers["x-spaps-signature"], secret)
            assert (event.id, event.type) == (test_id, "spaps.test")


def test_endpoints_dev_page_and_forms(db_target: DbTarget):
    with (
        Receiver() as receiver,
        live_server(db_target.config(), extra_routers=[emitter]) as server,
        httpx.Client(base_url=server.url) as http,
    ):
        assert http.get("/_dev/webhooks/endpoints").json()["data"]["endpoints"] == []
        no_target = http.post("/_dev/webhooks/test")
        assert no_target.status_code == 409
        assert no_target.json()["error"]["code"] == "NO_WEBHOOK_ENDPOINTS"

        for bad in ("ftp://127.0.0.1/x", "not a url", "http://", "/relative"):
            refused = http.post("/_dev/webhooks/endpoints", json={"url": bad})
            assert refused.status_code == 400, bad
            assert refused.json()["error"]["code"] == "INVALID_WEBHOOK_URL"

        # A form posted from another site is refused and adds nothing.
        foreign = http.post(
            "/_dev/webhooks/form/add",
            content=f"url={receiver.url}",
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Origin": "http://evil.example",
            },
        )
        assert foreign.status_code == 403
        assert http.get("/_dev/webhooks/endpoints").json()["data"]["endpoints"] == []

        own_origin = server.url
        added = http.post(
            "/_dev/webhooks/form/add",
            content=f"url={receiver.url}&description=my+receiver",
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Origin": own_origin,
            },
        )
        assert added.status_code == 200 and "Added" in added.text
        (endpoint,) = http.get("/_dev/webhooks/endpoints").json()["data"]["endpoints"]
        assert endpoint["url"] == receiver.url
        assert endpoint["description"] == "my receiver"
        again = http.post("/_dev/webhooks/endpoints", json={"url": receiver.url})
        assert again.status_code == 200 and again.json()["data"]["created"] is False

        tested = http.post(
            "/_dev/webhooks/form/test",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert tested.status_code == 200 and "Sent test event" in tested.text
        (request,) = receiver.wait_for(1)
        wait_until(lambda: all_settled(http, request.event_id))

        page = http.get("/_dev/webhooks")
        assert page.status_code == 200
        html = page.text
        assert secret_of(http) in html
        assert receiver.url in html and request.event_id in html
        assert "spaps.test" in html and "succeeded" in html
        assert "Replay" in html and "Send test event" in html
        assert "/_dev/webhooks" in http.get("/_dev/").text

        replay_form = http.post(
            "/_dev/webhooks/form/replay",
            content=f"event_id={request.event_id}",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert replay_form.status_code == 200 and "Replaying" in replay_form.text
        assert receiver.wait_for(2)[1].event_id == request.event_id

        removed = http.post(
            "/_dev/webhooks/form/remove",
            content=f"endpoint_id={endpoint['id']}",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert removed.status_code == 200 and "Removed" in removed.text
        assert http.get("/_dev/webhooks/endpoints").json()["data"]["endpoints"] == []
        gone = http.delete(f"/_dev/webhooks/endpoints/{endpoint['id']}")
        assert gone.status_code == 404
        assert gone.json()["error"]["code"] == "WEBHOOK_ENDPOINT_NOT_FOUND"
        # With no endpoint, an event is stored but queues no delivery.
        quiet_id = emit(http, "invoice.paid")
        assert event_state(http, quiet_id)["deliveries"] == []

        # Adding the URL again revives the endpoint (same id).
        revived = http.post("/_dev/webhooks/endpoints", json={"url": receiver.url})
        assert revived.status_code == 201
        assert revived.json()["data"]["endpoint"]["id"] == endpoint["id"]


def test_shutdown_finishes_the_attempt_in_flight(db_target: DbTarget):
    with Receiver() as receiver:
        receiver.gate = threading.Event()
        config = db_target.config(webhook_urls=(receiver.url,))
        with live_server(config, extra_routers=[emitter]) as server:
            with httpx.Client(base_url=server.url) as http:
                event_id = emit(http, "entitlement.granted", {"entitlement": {"id": "ent_1"}})
            receiver.wait_for(1)  # the attempt is now in flight, held by the gate
            worker = server.app.state.context.webhook_worker
            # Leaving the block shuts the server down; open the gate only once the worker is
            # stopping, so the attempt is finished during shutdown, not before it.
            opener = threading.Thread(
                target=lambda: (wait_until(lambda: worker.stopping), receiver.gate.set())
            )
            opener.start()
        opener.join(timeout=30)

    async def delivered() -> list[Any]:
        ctx = await open_context(db_target.config(seed=False))
        try:
            return await ctx.events.deliveries([event_id])
        finally:
            await ctx.close()

    (delivery,) = asyncio.run(delivered())
    assert delivery.status is DeliveryStatus.SUCCEEDED
    assert [a.status_code for a in delivery.attempts] == [200]


async def test_claims_are_exclusive_and_expired_leases_are_taken_over(db_target: DbTarget):
    ctx = await open_context(db_target.config(seed=False))  # no worker runs: claims by hand
    try:
        repo = WebhooksRepository(ctx.db)
        app_id = ctx.default_application.id
        await ctx.webhooks.add(app_id, "http://127.0.0.1:9/a")
        await ctx.webhooks.add(app_id, "http://127.0.0.1:9/b")
        for _ in range(10):
            await ctx.events.emit_now(application_id=app_id, type="spaps.test", data={})
        now = ctx.clock.now()
        lease = timedelta(seconds=30)

        # Ten workers claiming at once share the 20 deliveries without overlap.
        batches = await asyncio.gather(
            *(
                repo.claim_due(now=now, claim_token=f"worker{i}", claim_until=now + lease, limit=5)
                for i in range(10)
            )
        )
        claimed = [d.id for batch in batches for d in batch]
        assert len(claimed) == 20 and len(set(claimed)) == 20
        assert await repo.claim_due(now=now, claim_token="late", claim_until=now, limit=50) == []

        # A worker that died holds its claim only until the lease runs out.
        held = next(batch for batch in batches if batch)[0]
        later = now + lease + timedelta(seconds=1)
        taken = await repo.claim_due(
            now=later, claim_token="rescuer", claim_until=later + lease, limit=50
        )
        assert held.id in {d.id for d in taken} and len(taken) == 20

        def attempt(delivery_id: str, attempt_id: str) -> WebhookAttempt:
            return WebhookAttempt(
                id=attempt_id,
                delivery_id=delivery_id,
                attempt_number=1,
                started_at=later,
                succeeded=True,
                status_code=200,
                latency_ms=1,
                response_snippet=None,
                error=None,
            )

        # The old claim can no longer record its attempt; the new one can, once.
        assert not await repo.record_attempt(
            held,
            attempt(held.id, "wha_old"),
            status=DeliveryStatus.SUCCEEDED,
            next_attempt_at=None,
            now=later,
        )
        rescued = next(d for d in taken if d.id == held.id)
        assert await repo.record_attempt(
            rescued,
            attempt(held.id, "wha_new"),
            status=DeliveryStatus.SUCCEEDED,
            next_attempt_at=None,
            now=later,
        )
        assert not await repo.record_attempt(
            rescued,
            attempt(held.id, "wha_again"),
            status=DeliveryStatus.SUCCEEDED,
            next_attempt_at=None,
            now=later,
        )
        (delivery,) = [d for d in await ctx.events.deliveries([held.event_id]) if d.id == held.id]
        assert delivery.status is DeliveryStatus.SUCCEEDED
        assert [a.id for a in delivery.attempts] == ["wha_new"]
    finally:
        await ctx.close()
