"""Secure-messages sub-client (contract §3.8, endpoints #50-#51), sync and async alike
(contract D12: the same optional bearer and tolerant U4 parsing for both)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from spaps_client.errors import MalformedResponseError, SecureMessagesError
from spaps_client.models.secure_messages import SecureMessage
from spaps_client.resources.secure_messages import (
    AsyncSecureMessagesClient,
    SecureMessagesClient,
)

BASE = "http://test"


CLIENTS = (SecureMessagesClient, AsyncSecureMessagesClient)
Harness = Any  # the shared harness of conftest.py (api / h fixtures)


MESSAGE = {
    "id": "msg-1d9b80b4",
    "application_id": "app-secure",
    "patient_id": "patient-123",
    "practitioner_id": "practitioner-456",
    "content": "Encrypted payload",
    "metadata": {"urgency": "high"},
    "created_at": "2025-01-15T18:59:00.000Z",
}
EXPECTED = SecureMessage(**MESSAGE)


# ---- #50 POST /api/secure-messages ------------------------------------------------------


async def test_create_message_request_and_fixture(api: Harness) -> None:
    api.reply(201, {"success": True, "data": MESSAGE})
    result = await api.call(
        "create_message",
        patient_id="patient-123",
        practitioner_id="practitioner-456",
        content="Encrypted payload",
        metadata={"urgency": "high"},
    )

    request = api.sent
    assert request.method == "POST"
    assert request.url.raw_path == b"/api/secure-messages"
    assert request.headers["X-API-Key"] == "k"
    assert request.headers["Authorization"] == "Bearer tok"
    assert request.headers["Content-Type"] == "application/json"
    assert api.sent_json() == {
        "patientId": "patient-123",
        "practitionerId": "practitioner-456",
        "content": "Encrypted payload",
        "metadata": {"urgency": "high"},
    }
    assert isinstance(result, SecureMessage)
    assert result == EXPECTED
    assert result.created_at == "2025-01-15T18:59:00.000Z"


async def test_create_message_without_token_sends_key_only(api: Harness) -> None:
    client = api.make()
    api.reply(201, {"data": MESSAGE})
    await api.call(
        "create_message", client=client, patient_id="p", practitioner_id="d", content="c"
    )
    assert api.sent.headers["X-API-Key"] == "k"
    assert "Authorization" not in api.sent.headers
    assert api.sent_json() == {"patientId": "p", "practitionerId": "d", "content": "c"}


async def test_create_message_override_wins(api: Harness) -> None:
    api.reply(201, {"data": MESSAGE})
    await api.call(
        "create_message",
        patient_id="p",
        practitioner_id="d",
        content="c",
        metadata={},
        access_token_override="other",
    )
    assert api.sent.headers["Authorization"] == "Bearer other"
    assert api.sent_json()["metadata"] == {}


@pytest.mark.parametrize(
    "body",
    [
        MESSAGE,  # no envelope (rule U4 falls back to the body)
        {"success": True, "data": None, **MESSAGE},
        {
            "data": {
                **{k: v for k, v in MESSAGE.items() if not k.endswith("_id")},
                "applicationId": "app-secure",
                "patientId": "patient-123",
                "practitionerId": "practitioner-456",
            }
        },
    ],
)
async def test_create_message_tolerant_shapes(api: Harness, body: dict[str, Any]) -> None:
    api.reply(201, body)
    result = await api.call("create_message", patient_id="p", practitioner_id="d", content="c")
    assert result == EXPECTED


async def test_create_message_error_envelope(api: Harness) -> None:
    body = {"success": False, "error": {"code": "FORBIDDEN", "message": "Not your patient"}}
    api.reply(403, body, headers={"X-Request-ID": "req_msg"})
    with pytest.raises(SecureMessagesError) as info:
        await api.call("create_message", patient_id="p", practitioner_id="d", content="c")
    error = info.value
    assert not isinstance(error, MalformedResponseError)
    assert (error.status_code, error.error_code, error.request_id) == (
        403,
        "FORBIDDEN",
        "req_msg",
    )
    assert str(error) == "Not your patient"


@pytest.mark.parametrize(
    "reply",
    [
        {"json": {"data": {"id": "m1", "content": "x"}}},
        {"json": ["not", "an", "object"]},
        {"content": b""},
    ],
)
async def test_create_message_malformed(api: Harness, reply: dict[str, Any]) -> None:
    api.responses.append(httpx.Response(201, **reply))
    with pytest.raises(SecureMessagesError) as info:
        await api.call("create_message", patient_id="p", practitioner_id="d", content="c")
    assert isinstance(info.value, MalformedResponseError)
    assert info.value.status_code == 201


# ---- #51 GET /api/secure-messages -------------------------------------------------------


async def test_list_messages_request_and_fixture(api: Harness) -> None:
    api.reply(200, {"success": True, "data": {"messages": [MESSAGE]}})
    result = await api.call("list_messages")

    request = api.sent
    assert request.method == "GET"
    assert request.url.raw_path == b"/api/secure-messages"
    assert request.headers["X-API-Key"] == "k"
    assert request.headers["Authorization"] == "Bearer tok"
    assert request.content == b""
    assert result == [EXPECTED]


async def test_list_messages_without_token(api: Harness) -> None:
    client = api.make()
    api.reply(200, {"data": {"messages": []}})
    assert await api.call("list_messages", client=client) == []
    assert "Authorization" not in api.sent.headers


@pytest.mark.parametrize(
    "body",
    [{"data": {}}, {"data": {"messages": None}}, {"success": True}, {"data": "x"}],
)
async def test_list_messages_defaults_to_empty(api: Harness, body: dict[str, Any]) -> None:
    api.reply(200, body)
    assert await api.call("list_messages") == []


async def test_list_messages_top_level_messages(api: Harness) -> None:
    api.reply(200, {"messages": [MESSAGE]})
    assert await api.call("list_messages") == [EXPECTED]


async def test_list_messages_error_envelope(api: Harness) -> None:
    body = {"error": {"code": "SECURE_MESSAGE_LIST_FAILED", "message": "List failed"}}
    api.reply(500, body, headers={"X-Request-ID": "req_list_msgs"})
    with pytest.raises(SecureMessagesError) as info:
        await api.call("list_messages")
    assert (info.value.status_code, info.value.error_code) == (500, "SECURE_MESSAGE_LIST_FAILED")
    assert info.value.request_id == "req_list_msgs"


@pytest.mark.parametrize(
    "body",
    [{"data": {"messages": {"id": "m"}}}, {"data": {"messages": [{"id": "m"}]}}, [MESSAGE]],
)
async def test_list_messages_malformed(api: Harness, body: Any) -> None:
    api.reply(200, body)
    with pytest.raises(SecureMessagesError) as info:
        await api.call("list_messages")
    assert isinstance(info.value, MalformedResponseError)
