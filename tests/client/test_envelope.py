"""Error mapping and success-envelope reading (contract §2, departures D1 and D2)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pydantic
import pytest
from pydantic import BaseModel

from spaps_client._envelope import Reply, error_from_response, request_id_of
from spaps_client.errors import (
    AuthAuthenticationError,
    AuthenticationError,
    AuthError,
    CryptoPaymentsError,
    InternalServerError,
    MalformedResponseError,
    PaymentsError,
    PaymentsInternalServerError,
    SecureMessagesError,
    SessionError,
    SessionInternalServerError,
    SpapsError,
    UsageError,
    WhitelistError,
    WhitelistInternalServerError,
    malformed_error_class,
    status_error_class,
)

DOMAINS: list[type[SpapsError]] = [
    AuthError,
    SessionError,
    PaymentsError,
    CryptoPaymentsError,
    UsageError,
    WhitelistError,
    SecureMessagesError,
]


def reply_of(
    body: Any = None,
    *,
    status: int = 200,
    content: bytes | None = None,
    headers: dict[str, str] | None = None,
    domain: type[SpapsError] = SessionError,
) -> Reply:
    if content is None:
        content = json.dumps(body).encode()
    return Reply(httpx.Response(status, content=content, headers=headers), domain)


def error_of(
    body: Any = None,
    *,
    status: int = 400,
    content: bytes | None = None,
    headers: dict[str, str] | None = None,
    domain: type[SpapsError] = AuthError,
) -> SpapsError:
    if content is None:
        content = json.dumps(body).encode()
    response = httpx.Response(status, content=content, headers=headers)
    return error_from_response(response, domain)


# ---------------------------------------------------------------- error_from_response


def test_canonical_error_envelope() -> None:
    error = error_of(
        {
            "success": False,
            "error": {"code": "INVALID_CREDENTIALS", "message": "Invalid email or password"},
        },
        status=401,
        headers={"X-Request-ID": "req_login_error"},
    )
    assert type(error) is AuthAuthenticationError
    assert isinstance(error, AuthError) and isinstance(error, AuthenticationError)
    assert str(error) == "Invalid email or password"
    assert error.error_code == "INVALID_CREDENTIALS"
    assert error.status_code == 401
    assert error.request_id == "req_login_error"
    assert error.response is not None
    assert error.response.status_code == 401
    assert error.details is None
    assert error.body_snippet is not None
    assert "Invalid email or password" in error.body_snippet


def test_envelope_without_success_flag() -> None:
    error = error_of(
        {"error": {"code": "INTERNAL_ERROR", "message": "boom"}}, status=500, domain=WhitelistError
    )
    assert type(error) is WhitelistInternalServerError
    assert (str(error), error.error_code, error.status_code) == ("boom", "INTERNAL_ERROR", 500)


def test_error_details_are_attached() -> None:
    details = {"fields": [{"name": "email", "problem": "taken"}]}
    error = error_of(
        {"error": {"code": "EMAIL_ALREADY_EXISTS", "message": "Taken", "details": details}}
    )
    assert error.details == details


def test_error_as_string_with_description() -> None:
    error = error_of(
        {"error": "invalid_grant", "error_description": "Refresh token expired"}, status=401
    )
    assert str(error) == "Refresh token expired"
    assert error.error_code == "invalid_grant"


def test_error_as_bare_string() -> None:
    error = error_of({"error": "fail"}, status=500)
    assert str(error) == "fail"
    assert error.error_code == "fail"


def test_error_as_sentence_takes_code_from_top_level() -> None:
    error = error_of({"error": "Something went wrong", "code": "OOPS"}, status=500)
    assert str(error) == "Something went wrong"
    assert error.error_code == "OOPS"


def test_error_description_without_error() -> None:
    error = error_of({"error_description": "Bad client"}, status=400)
    assert str(error) == "Bad client"
    assert error.error_code is None


def test_top_level_message() -> None:
    error = error_of({"success": False, "message": "Not allowed", "code": "FORBIDDEN"}, status=403)
    assert str(error) == "Not allowed"
    assert error.error_code == "FORBIDDEN"


def test_error_object_without_message_uses_top_level_message() -> None:
    error = error_of({"error": {"code": "X_FAILED"}, "message": "Top-level text"}, status=400)
    assert str(error) == "Top-level text"
    assert error.error_code == "X_FAILED"


def test_non_string_error_fields_are_ignored() -> None:
    error = error_of({"error": {"code": 42, "message": ["not", "text"]}}, status=500)
    assert str(error) == "Authentication request failed (HTTP 500)"
    assert error.error_code is None


def test_html_body() -> None:
    content = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
    error = error_of(content=content, status=502, domain=PaymentsError)
    assert type(error) is PaymentsInternalServerError
    assert str(error) == "Payments request failed (HTTP 502)"
    assert error.error_code is None
    assert error.status_code == 502
    assert error.body_snippet == content.decode()


def test_json_list_body() -> None:
    error = error_of(["unexpected", "list"], status=500, domain=UsageError)
    assert str(error) == "Usage request failed (HTTP 500)"
    assert error.error_code is None
    assert error.request_id is None


@pytest.mark.parametrize("content", [b"", b"   \n", b'"just a string"', b"null", b"\xff\xfe\x00"])
def test_bodies_without_an_object(content: bytes) -> None:
    error = error_of(content=content, status=503, domain=SessionError)
    assert str(error) == "Session request failed (HTTP 503)"
    assert error.status_code == 503


@pytest.mark.parametrize("domain", DOMAINS, ids=lambda c: c.__name__)
def test_each_domain_class_default_message(domain: type[SpapsError]) -> None:
    error = error_of(content=b"", status=500, domain=domain)
    assert type(error) is status_error_class(domain, 500)
    assert isinstance(error, domain) and isinstance(error, InternalServerError)
    assert str(error) == f"{domain.default_message} (HTTP 500)"


def test_request_id_header_wins() -> None:
    error = error_of(
        {"error": {"message": "x"}, "request_id": "top", "metadata": {"request_id": "meta"}},
        headers={"x-request-id": "header"},
    )
    assert error.request_id == "header"


def test_request_id_top_level_beats_metadata() -> None:
    error = error_of(
        {"error": {"message": "x"}, "request_id": "top", "metadata": {"request_id": "meta"}}
    )
    assert error.request_id == "top"


def test_request_id_from_metadata() -> None:
    error = error_of({"error": {"message": "x"}, "metadata": {"request_id": "meta"}})
    assert error.request_id == "meta"


@pytest.mark.parametrize(
    "body",
    [
        {"metadata": "req_in_a_string"},
        {"metadata": {"request_id": 17}},
        {"request_id": ""},
        {"request_id": None, "metadata": None},
    ],
)
def test_request_id_junk_is_ignored(body: dict[str, Any]) -> None:
    assert error_of(body).request_id is None


def test_request_id_from_header_even_for_html() -> None:
    error = error_of(content=b"<html>oops</html>", status=500, headers={"X-Request-ID": "r-1"})
    assert error.request_id == "r-1"
    response = httpx.Response(500, headers={"X-Request-ID": "r-2"})
    assert request_id_of(response, None) == "r-2"


def test_secret_values_are_masked_in_body_snippet() -> None:
    body = {
        "error": {"code": "INVALID_TOKEN", "message": "Invalid token"},
        "password": "hunter2-PASSWORD-SECRET",
        "data": {
            "access_token": "ACCESS-SECRET-VALUE",
            "refresh_token": "REFRESH-SECRET-VALUE",
            "signature": "0xSIGNATURE-SECRET",
        },
        "note": "a jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1In0.c2lnbmF0dXJl in text",
    }
    error = error_of(body, status=401)
    snippet = error.body_snippet or ""
    for secret in (
        "hunter2-PASSWORD-SECRET",
        "ACCESS-SECRET-VALUE",
        "REFRESH-SECRET-VALUE",
        "0xSIGNATURE-SECRET",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1In0.c2lnbmF0dXJl",
    ):
        assert secret not in snippet
        assert secret not in str(error)
        assert secret not in repr(error)
    assert '"password":"***"' in snippet
    assert "Invalid token" in snippet


def test_body_snippet_is_truncated() -> None:
    error = error_of(content=b"x" * 5000, status=500)
    assert error.body_snippet == "x" * 500 + "…"


def test_deeply_nested_json_does_not_escape() -> None:
    content = b"[" * 100_000 + b"]" * 100_000
    error = error_of(content=content, status=500, domain=SessionError)
    assert type(error) is SessionInternalServerError
    assert str(error) == "Session request failed (HTTP 500)"
    assert error.body_snippet is not None
    assert len(error.body_snippet) <= 501


def test_nested_json_just_under_the_parser_limit_does_not_escape() -> None:
    # Deep enough to parse, deep enough that masking it recursively would overflow.
    content = b'{"a":' * 900 + b'{"password":"NESTED-SECRET"}' + b"}" * 900
    error = error_of(content=content, status=500)
    assert "NESTED-SECRET" not in (error.body_snippet or "")


# ---------------------------------------------------------------- Reply: rule U1


def test_u1_uses_data_when_present() -> None:
    reply = reply_of({"success": True, "data": {"id": "s1"}, "metadata": {"x": 1}})
    assert reply.data() == {"id": "s1"}


def test_u1_uses_whole_body_without_data() -> None:
    body = {"access_token": "a", "user": {"id": "u"}}
    assert reply_of(body).data() == body


def test_u1_success_false_is_still_data() -> None:
    assert reply_of({"success": False, "data": {"id": "s1"}}).data() == {"id": "s1"}


@pytest.mark.parametrize("data", [None, [1, 2], "text", 3, True])
def test_u1_data_that_is_not_an_object_is_malformed(data: Any) -> None:
    reply = reply_of(
        {"success": True, "data": data}, headers={"X-Request-ID": "req_u1"}, domain=PaymentsError
    )
    with pytest.raises(MalformedResponseError) as info:
        reply.data()
    error = info.value
    assert isinstance(error, PaymentsError)
    assert type(error) is malformed_error_class(PaymentsError)
    assert error.status_code == 200
    assert error.request_id == "req_u1"
    assert error.response is reply.response
    assert error.body_snippet is not None
    assert "'data'" in str(error)


@pytest.mark.parametrize("body", [[{"id": 1}], "text", 12, None])
def test_u1_body_that_is_not_an_object_is_malformed(body: Any) -> None:
    with pytest.raises(malformed_error_class(SessionError)):
        reply_of(body).data()


@pytest.mark.parametrize(
    "content", [b"<html>ok</html>", b"not json", b"{", b"\xff\xfe", b"[" * 50_000]
)
def test_non_json_2xx_is_malformed(content: bytes) -> None:
    reply = reply_of(content=content, domain=AuthError)
    assert not reply.is_empty
    with pytest.raises(AuthError) as info:
        reply.json()
    assert isinstance(info.value, MalformedResponseError)
    assert str(info.value) == "Expected a JSON response body"
    with pytest.raises(MalformedResponseError):
        reply.data()


def test_json_returns_any_value() -> None:
    assert reply_of([1, {"a": None}]).json() == [1, {"a": None}]
    assert reply_of(content=b"null").json() is None


# ---------------------------------------------------------------- Reply: U3, U4, nested


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"success": True, "data": {"email": "a@b.c"}}, {"email": "a@b.c"}),
        ({"success": True, "data": None}, {}),
        ({"success": True, "data": ["x"]}, {}),
        ({"success": True, "message": "ok"}, {}),
    ],
)
def test_u3_data_object(body: dict[str, Any], expected: dict[str, Any]) -> None:
    assert reply_of(body).data_object() == expected


def test_u3_needs_an_object_body() -> None:
    with pytest.raises(MalformedResponseError):
        reply_of(["x"]).data_object()


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"data": {"id": "m1"}}, {"id": "m1"}),
        ({"data": None, "id": "m2"}, {"data": None, "id": "m2"}),
        ({"data": [1], "id": "m3"}, {"data": [1], "id": "m3"}),
        ({"id": "m4"}, {"id": "m4"}),
    ],
)
def test_u4_data_or_body(body: dict[str, Any], expected: dict[str, Any]) -> None:
    assert reply_of(body).data_or_body() == expected


def test_nested_key() -> None:
    reply = reply_of({"data": {"session": {"id": "s1"}, "valid": True}})
    data = reply.data()
    assert reply.nested(data, "session") == {"id": "s1"}
    assert reply.nested(data, "invoice") == data
    assert reply.nested({"session": "not-an-object"}, "session") == {"session": "not-an-object"}


# ---------------------------------------------------------------- Reply: models


class Item(BaseModel):
    id: str
    count: int = 0


def test_model_validates() -> None:
    reply = reply_of({"data": {"id": "i1", "count": "3", "extra": True}})
    item = reply.model(Item, reply.data())
    assert item == Item(id="i1", count=3)


@pytest.mark.parametrize("value", [{"count": 1}, {"id": None}, {"id": "x", "count": "many"}, []])
def test_model_validation_error_becomes_malformed(value: Any) -> None:
    reply = reply_of({"data": value}, domain=UsageError)
    with pytest.raises(SpapsError) as info:
        reply.model(Item, value)
    error = info.value
    assert not isinstance(error, pydantic.ValidationError)
    assert isinstance(error, UsageError)
    assert isinstance(error, MalformedResponseError)
    assert "Response did not match Item" in str(error)
    # The pydantic error is not chained in, so a traceback stays short and value-free.
    assert error.__cause__ is None
    assert error.__suppress_context__


def test_model_error_names_the_fields() -> None:
    reply = reply_of({})
    with pytest.raises(MalformedResponseError, match=r"fields: count, id"):
        reply.model(Item, {"count": "x"})


def test_models_list() -> None:
    reply = reply_of({})
    assert reply.models(Item, None) == []
    assert reply.models(Item, [{"id": "a"}, {"id": "b", "count": 2}]) == [
        Item(id="a"),
        Item(id="b", count=2),
    ]
    with pytest.raises(MalformedResponseError, match="Expected a list of Item"):
        reply.models(Item, {"id": "a"})
    with pytest.raises(MalformedResponseError):
        reply.models(Item, [{"id": "a"}, {"nope": 1}])


# ---------------------------------------------------------------- Reply: empty bodies


@pytest.mark.parametrize(("status", "content"), [(204, b""), (200, b""), (202, b"  \r\n")])
def test_empty_bodies(status: int, content: bytes) -> None:
    reply = reply_of(content=content, status=status)
    assert reply.is_empty
    with pytest.raises(MalformedResponseError):
        reply.json()


@pytest.mark.parametrize("content", [b"{}", b"null", b"0", b"garbage"])
def test_non_empty_bodies(content: bytes) -> None:
    assert not reply_of(content=content).is_empty


def test_text_is_the_raw_body() -> None:
    assert reply_of(content=b"# HELP up 1\n").text() == "# HELP up 1\n"


def test_deep_nesting_cannot_crash_even_with_a_raised_recursion_limit() -> None:
    # With a huge recursion limit the C JSON parser would overflow the C stack (a segfault);
    # the depth check must reject the body before it reaches the parser.
    import subprocess
    import sys

    code = (
        "import sys, httpx\n"
        "sys.setrecursionlimit(1_000_000)\n"
        "from spaps_client._envelope import error_from_response\n"
        "from spaps_client.errors import SessionError\n"
        "body = b'[' * 200_000 + b']' * 200_000\n"
        "error = error_from_response(httpx.Response(500, content=body), SessionError)\n"
        "print(type(error).__name__, error.body_snippet)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "SessionInternalServerError <deeply nested JSON omitted>"
