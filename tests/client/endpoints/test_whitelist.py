"""Whitelist sub-client (contract §3.7, endpoints #45-#49, rule U3), sync and async alike."""

from __future__ import annotations

import inspect
from typing import Any

import httpx
import pytest

from spaps_client.errors import MalformedResponseError, MissingAccessTokenError, WhitelistError
from spaps_client.models.whitelist import (
    WhitelistCheckResult,
    WhitelistEntry,
    WhitelistListResult,
    WhitelistMessage,
)
from spaps_client.resources.whitelist import AsyncWhitelistClient, WhitelistClient
from spaps_client.storage import InMemoryTokenStorage, StoredTokens

BASE = "http://test"


CLIENTS = (WhitelistClient, AsyncWhitelistClient)
Harness = Any  # the shared harness of conftest.py (api / h fixtures)


ENTRY = {
    "email": "user@example.com",
    "application_id": "app_123",
    "tier": "premium",
    "bypass_payment": True,
}
ERROR = {"error": {"code": "INTERNAL_ERROR", "message": "boom"}}


def assert_bearer(request: httpx.Request, token: str = "tok") -> None:
    assert request.headers["X-API-Key"] == "k"
    assert request.headers["Authorization"] == f"Bearer {token}"


def assert_malformed(error: WhitelistError, message: str | None = None) -> None:
    assert isinstance(error, MalformedResponseError)
    if message is not None:
        assert str(error) == message


# ---- #45 GET /api/v1/whitelist/check ----------------------------------------------------


async def test_check_found_fixture_and_key_only(api: Harness) -> None:
    body = {
        "success": True,
        "message": "Magic",
        "data": {
            "entry": ENTRY,
            "message": "Email user@example.com is whitelisted with tier: premium",
        },
    }
    api.reply(200, body)
    result = await api.call("check", email="user+tag@example.com")

    request = api.sent
    assert request.method == "GET"
    assert request.url.path == "/api/v1/whitelist/check"
    assert dict(request.url.params) == {"email": "user+tag@example.com"}
    assert b"user%2Btag%40example.com" in request.url.raw_path
    assert request.headers["X-API-Key"] == "k"
    assert "Authorization" not in request.headers  # never a bearer, even with a token
    assert isinstance(result, WhitelistCheckResult)
    assert result.message == "Email user@example.com is whitelisted with tier: premium"
    assert result.entry == WhitelistEntry(**ENTRY)


async def test_check_not_found_and_without_any_token(api: Harness) -> None:
    client = api.make()
    api.reply(200, {"success": True, "data": {"message": "Email x@example.com is not whitelisted"}})
    result = await api.call("check", email="x@example.com", client=client)
    assert result.entry is None
    assert result.message == "Email x@example.com is not whitelisted"
    assert "Authorization" not in api.sent.headers


async def test_check_falls_back_to_top_level_message(api: Harness) -> None:
    api.reply(200, {"message": "Top", "data": {"entry": "not-an-object"}})
    result = await api.call("check", email="x@example.com")
    assert result.message == "Top" and result.entry is None


async def test_check_missing_message(api: Harness) -> None:
    api.reply(200, {"success": True, "data": {"entry": ENTRY}})
    with pytest.raises(WhitelistError) as info:
        await api.call("check", email="x@example.com")
    assert_malformed(info.value, "Whitelist check response missing message")


async def test_check_error_envelope(api: Harness) -> None:
    api.reply(500, ERROR, headers={"X-Request-ID": "req_check"})
    with pytest.raises(WhitelistError) as info:
        await api.call("check", email="x@example.com")
    error = info.value
    assert not isinstance(error, MalformedResponseError)
    assert (error.status_code, error.error_code, error.request_id) == (
        500,
        "INTERNAL_ERROR",
        "req_check",
    )
    assert str(error) == "boom"


# ---- #46 GET /api/v1/whitelist ----------------------------------------------------------


async def test_list_request_and_fixture(api: Harness) -> None:
    entries = [
        {"email": "a@example.com", "application_id": "app", "tier": "basic"},
        {"email": "b@example.com", "application_id": "app", "tier": "premium"},
    ]
    api.reply(200, {"success": True, "data": {"entries": entries, "total": 2}})
    result = await api.call("list")

    request = api.sent
    assert request.method == "GET"
    assert request.url.path == "/api/v1/whitelist"
    assert request.url.raw_path == b"/api/v1/whitelist?limit=10&offset=0"
    assert_bearer(request)
    assert isinstance(result, WhitelistListResult)
    assert result.total == 2
    assert [e.email for e in result.entries] == ["a@example.com", "b@example.com"]
    assert result.entries[1].tier == "premium"


async def test_list_params_and_override(api: Harness) -> None:
    api.reply(200, {"data": {"entries": []}})
    await api.call("list", limit=50, offset=100, tier="premium", access_token_override="o")
    assert dict(api.sent.url.params) == {"limit": "50", "offset": "100", "tier": "premium"}
    assert_bearer(api.sent, "o")


@pytest.mark.parametrize(
    ("body", "count", "total"),
    [
        ({"data": {"entries": [ENTRY]}}, 1, 1),
        ({"data": {"entries": [ENTRY], "total": 9}}, 1, 9),
        ({"data": {"entries": None}}, 0, 0),
        ({"entries": [ENTRY], "total": 1}, 0, 0),  # top-level entries are ignored (U3)
        ({"data": "nope"}, 0, 0),
    ],
)
async def test_list_defaults(api: Harness, body: dict[str, Any], count: int, total: int) -> None:
    api.reply(200, body)
    result = await api.call("list", tier="")
    assert "tier" not in api.sent.url.params
    assert (len(result.entries), result.total) == (count, total)


async def test_list_error_and_malformed(api: Harness) -> None:
    api.reply(
        403,
        {"error": {"code": "FORBIDDEN", "message": "Admins only"}},
        headers={"X-Request-ID": "req_list"},
    )
    with pytest.raises(WhitelistError) as info:
        await api.call("list")
    assert (info.value.status_code, info.value.error_code) == (403, "FORBIDDEN")
    assert info.value.request_id == "req_list"

    api.reply(200, {"data": {"entries": [{"tier": "basic"}]}})
    with pytest.raises(WhitelistError) as bad:
        await api.call("list")
    assert_malformed(bad.value)


# ---- #47 POST /api/v1/whitelist ---------------------------------------------------------


async def test_add_request_and_fixture(api: Harness) -> None:
    api.reply(201, {"success": True, "data": {"entry": ENTRY}})
    result = await api.call("add", email="user@example.com")

    request = api.sent
    assert request.method == "POST"
    assert request.url.raw_path == b"/api/v1/whitelist"
    assert_bearer(request)
    assert request.headers["Content-Type"] == "application/json"
    assert api.sent_json() == {
        "email": "user@example.com",
        "tier": "premium",
        "bypass_payment": True,
    }
    assert isinstance(result, WhitelistEntry)
    assert result == WhitelistEntry(**ENTRY)


async def test_add_with_all_fields(api: Harness) -> None:
    api.reply(201, {"data": {"entry": ENTRY | {"metadata": {"note": "vip"}}}})
    result = await api.call(
        "add", email="v@example.com", tier="basic", bypass_payment=False, metadata={"note": "vip"}
    )
    assert api.sent_json() == {
        "email": "v@example.com",
        "tier": "basic",
        "bypass_payment": False,
        "metadata": {"note": "vip"},
    }
    assert result.metadata == {"note": "vip"}


async def test_add_needs_entry_under_data(api: Harness) -> None:
    api.reply(201, {"success": True, "entry": ENTRY})
    with pytest.raises(WhitelistError) as info:
        await api.call("add", email="user@example.com")
    assert_malformed(info.value, "Whitelist add response missing entry")


async def test_add_error_envelope(api: Harness) -> None:
    api.reply(500, ERROR, headers={"X-Request-ID": "req_add"})
    with pytest.raises(WhitelistError) as info:
        await api.call("add", email="user@example.com")
    assert (info.value.status_code, info.value.error_code) == (500, "INTERNAL_ERROR")
    assert info.value.request_id == "req_add"


# ---- #48 PUT /api/v1/whitelist/{email} --------------------------------------------------


async def test_update_request_and_fixture(api: Harness) -> None:
    updated = ENTRY | {"tier": "enterprise", "bypass_payment": False}
    api.reply(200, {"data": {"entry": updated}})
    result = await api.call(
        "update", email="user@example.com", tier="enterprise", bypass_payment=False
    )

    request = api.sent
    assert request.method == "PUT"
    assert request.url.raw_path == b"/api/v1/whitelist/user%40example.com"
    assert_bearer(request)
    assert api.sent_json() == {"tier": "enterprise", "bypass_payment": False}
    assert result.tier == "enterprise" and result.bypass_payment is False


async def test_update_sends_empty_object_and_encodes_path(api: Harness) -> None:
    api.reply(200, {"data": {"entry": ENTRY}})
    await api.call("update", email="a/b?c@example.com")
    assert api.sent.url.raw_path == b"/api/v1/whitelist/a%2Fb%3Fc%40example.com"
    assert api.sent.url.query == b""
    assert api.sent_json() == {}


async def test_update_missing_entry(api: Harness) -> None:
    api.reply(200, {"data": {"message": "ok"}})
    with pytest.raises(WhitelistError) as info:
        await api.call("update", email="user@example.com", tier="basic")
    assert_malformed(info.value, "Whitelist update response missing entry")


async def test_update_error_envelope(api: Harness) -> None:
    body = {"error": {"code": "NOT_FOUND", "message": "No entry"}, "metadata": {"request_id": "r1"}}
    api.reply(404, body)
    with pytest.raises(WhitelistError) as info:
        await api.call("update", email="user@example.com", tier="basic")
    assert (info.value.status_code, info.value.error_code) == (404, "NOT_FOUND")
    assert info.value.request_id == "r1"


# ---- #49 DELETE /api/v1/whitelist/{email} -----------------------------------------------


async def test_remove_request_and_fixture(api: Harness) -> None:
    message = "Email user@example.com removed from whitelist"
    api.reply(200, {"success": True, "data": {"message": message}})
    result = await api.call("remove", email="user@example.com")

    request = api.sent
    assert request.method == "DELETE"
    assert request.url.raw_path == b"/api/v1/whitelist/user%40example.com"
    assert_bearer(request)
    assert request.content == b""
    assert result == WhitelistMessage(message=message)


async def test_remove_top_level_message(api: Harness) -> None:
    api.reply(200, {"success": True, "message": "Removed"})
    assert (await api.call("remove", email="a@example.com")).message == "Removed"


@pytest.mark.parametrize("status", [200, 204])
async def test_remove_empty_body(api: Harness, status: int) -> None:
    api.reply(status)
    result = await api.call("remove", email="a@example.com")
    assert result.message == "Email a@example.com removed from whitelist"


async def test_remove_missing_message(api: Harness) -> None:
    api.reply(200, {"success": True, "data": {}})
    with pytest.raises(WhitelistError) as info:
        await api.call("remove", email="a@example.com")
    assert_malformed(info.value, "Whitelist remove response missing message")


async def test_remove_not_json(api: Harness) -> None:
    api.reply(200, content=b"removed")
    with pytest.raises(WhitelistError) as info:
        await api.call("remove", email="a@example.com")
    assert_malformed(info.value)


async def test_remove_error_envelope(api: Harness) -> None:
    api.reply(500, ERROR, headers={"X-Request-ID": "req_remove"})
    with pytest.raises(WhitelistError) as info:
        await api.call("remove", email="a@example.com")
    assert info.value.request_id == "req_remove"
    assert info.value.error_code == "INTERNAL_ERROR"


# ---- local validation and tokens --------------------------------------------------------


@pytest.mark.parametrize("name", ["update", "remove"])
async def test_email_path_required(api: Harness, name: str) -> None:
    with pytest.raises(ValueError, match="email is required"):
        await api.call(name, email="")
    assert api.requests == []


async def test_admin_calls_need_a_token(api: Harness) -> None:
    client = api.make()
    calls: list[tuple[str, dict[str, Any]]] = [
        ("list", {}),
        ("add", {"email": "a@example.com"}),
        ("update", {"email": "a@example.com", "tier": "basic"}),
        ("remove", {"email": "a@example.com"}),
    ]
    for name, kwargs in calls:
        with pytest.raises(MissingAccessTokenError) as info:
            await api.call(name, client=client, **kwargs)
        assert isinstance(info.value, ValueError)
        assert str(info.value) == "This operation requires an access token"
    assert api.requests == []


async def test_token_read_from_storage_at_call_time(api: Harness) -> None:
    storage = InMemoryTokenStorage()
    client = api.make(token_storage=storage)
    storage.save(StoredTokens("stored", None, None, "Bearer"))
    api.reply(200, {"data": {"entries": []}})
    await api.call("list", client=client)
    assert_bearer(api.sent, "stored")


async def test_list_signature_shows_result_type(api: Harness) -> None:
    assert inspect.signature(api.client.list).return_annotation == "WhitelistListResult"
