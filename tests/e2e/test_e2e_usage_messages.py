"""Our SDK (sync and async) against a real ``spaps local`` subprocess: the README's usage and
secure-message sections run verbatim, then the usage and secure-message flows end to end
(limits and 402, idempotent retries, history, access rules)."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from spaps_client import AsyncSpapsClient, SpapsClient
from spaps_client.errors import SecureMessagesError, UsageError

from .conftest import API_KEY, LocalServer

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_block(heading: str) -> str:
    """The first Python block under ``## heading`` in README.md, as written."""
    section = README.read_text().split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
    found = re.search(r"```python\n(.*?)```", section, re.S)
    assert found, heading
    return found.group(1)


def run(code: str, namespace: dict[str, Any]) -> None:
    exec(compile(code, "<README>", "exec"), namespace)  # noqa: S102 - the README's own code


def test_readme_usage_and_secure_message_examples_run_verbatim(
    local_server: LocalServer, capsys, monkeypatch
):
    # The blocks make their own client from $SPAPS_API_URL and sign in.
    monkeypatch.setenv("SPAPS_API_URL", local_server.url)
    monkeypatch.setenv("SPAPS_API_KEY", API_KEY)
    namespace: dict[str, Any] = {}
    clients: list[SpapsClient] = []
    try:
        run(readme_block("Usage metering"), namespace)
        clients.append(namespace["spaps"])
        out = capsys.readouterr().out.splitlines()
        assert out[:2] == ["api_calls 0.0 1000.0", "wallet_verifications 0.0 10.0"]
        assert out[2] == "995.0"  # the record of 5 against basic's 1000
        assert "total_api_calls" in out[3]
        # Run again: the idempotency key makes the record a replay, not a second charge.
        run(readme_block("Usage metering"), namespace)
        clients.append(namespace["spaps"])
        assert capsys.readouterr().out.splitlines()[0] == "api_calls 5.0 1000.0"
        assert namespace["spaps"].usage.get_features().features[0].used == 5

        run(readme_block("Secure messages"), namespace)
        clients.append(namespace["spaps"])
        out = capsys.readouterr().out.splitlines()
        message = namespace["message"]
        assert out[0].startswith(f"{message.id} ") and message.id.startswith("msg_")
        assert out[1] == "patient-123 Encrypted payload"
    finally:
        for client in clients:
            client.close()


def test_sync_sdk_usage_and_messages(local_server: LocalServer):
    with (
        SpapsClient(base_url=local_server.url, api_key=API_KEY) as user,
        SpapsClient(base_url=local_server.url, api_key=API_KEY) as premium,
        SpapsClient(base_url=local_server.url, api_key=API_KEY) as admin,
    ):
        user.auth.sign_in_with_password(email="user@example.com", password="Secret123!")
        premium.auth.sign_in_with_password(email="premium@example.com", password="Secret123!")
        admin.auth.sign_in_with_password(email="admin@example.com", password="Secret123!")

        result = user.usage.record_usage(feature="wallet_verifications", quantity=8)
        assert result.warning and "80%" in result.warning
        over = user.usage.record_usage(feature="wallet_verifications", quantity=4)
        assert over.current_usage.used == 12 and over.current_usage.remaining == 0
        # Reject policy: a record past the limit is a 402 UsageError, and nothing is counted.
        user.usage.record_usage(feature="api_calls", quantity=1000)
        with pytest.raises(UsageError) as refused:
            user.usage.record_usage(feature="api_calls", quantity=1)
        assert refused.value.status_code == 402
        assert refused.value.error_code == "USAGE_LIMIT_EXCEEDED"
        snapshot = user.usage.get_features()
        assert {f.name: f.used for f in snapshot.features} == {
            "api_calls": 1000,
            "wallet_verifications": 12,
        }
        assert snapshot.overage and snapshot.overage["charges"][0]["quantity"] == 2
        assert premium.usage.get_features().tier == "premium"
        history = user.usage.get_history(period="weekly")
        assert history.summary is not None and history.summary["total_api_calls"] == 1000

        premium_id = premium.auth.get_current_user().id
        sent = user.secure_messages.create_message(
            patient_id=premium_id, practitioner_id="practitioner-9", content="take with food"
        )
        assert [m.id for m in premium.secure_messages.list_messages()] == [sent.id]
        assert sent.id in [m.id for m in admin.secure_messages.list_messages()]
        assert [m.content for m in user.secure_messages.list_messages()] == ["take with food"]
        # Someone else's message is never listed, and reading it directly is a 403.
        private = premium.secure_messages.create_message(
            patient_id="patient-x", practitioner_id="practitioner-y", content="private"
        )
        assert private.id not in [m.id for m in user.secure_messages.list_messages()]
        token = user.get_tokens()
        assert token is not None
        direct = httpx.get(
            f"{local_server.url}/api/secure-messages/{private.id}",
            headers={"X-API-Key": API_KEY, "Authorization": f"Bearer {token.access_token}"},
        )
        assert direct.status_code == 403
        assert direct.json()["error"]["code"] == "SECURE_MESSAGE_FORBIDDEN"
        with pytest.raises(SecureMessagesError) as bad:
            user.secure_messages.create_message(patient_id="", practitioner_id="b", content="c")
        assert bad.value.status_code == 400


def test_async_sdk_usage_and_messages(local_server: LocalServer):
    async def scenario() -> None:
        async with AsyncSpapsClient(base_url=local_server.url, api_key=API_KEY) as client:
            await client.auth.sign_in_with_password(email="user@example.com", password="Secret123!")
            results = await asyncio.gather(
                *(client.usage.record_usage(feature="api_calls", quantity=1) for _ in range(20))
            )
            assert sorted(r.current_usage.used for r in results) == list(range(1, 21))
            first = await client.usage.record_usage(
                feature="api_calls", quantity=2, idempotency_key="async-1"
            )
            again = await client.usage.record_usage(
                feature="api_calls", quantity=2, idempotency_key="async-1"
            )
            assert again.record_id == first.record_id
            features = await client.usage.get_features()
            assert {f.name: f.used for f in features.features}["api_calls"] == 22
            history = await client.usage.get_history(period="daily", feature="api_calls")
            assert history.summary == {
                "total_api_calls": 22,
                "total_cost": 0,
                "billing_periods": history.summary["billing_periods"],
            }
            message = await client.secure_messages.create_message(
                patient_id="patient-1", practitioner_id="practitioner-1", content="async note"
            )
            listed = await client.secure_messages.list_messages()
            assert [(m.id, m.content) for m in listed] == [(message.id, "async note")]

    asyncio.run(scenario())
