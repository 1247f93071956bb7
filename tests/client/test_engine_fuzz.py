"""Property tests: whatever a server answers, an engine call returns a parsed result or raises a
SpapsError subclass, never anything else (departure D1)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from email.utils import formatdate
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from spaps_client._engine import AsyncEngine, Auth, Operation, SyncEngine
from spaps_client._envelope import Reply, error_from_response
from spaps_client.errors import (
    MalformedResponseError,
    PaymentsError,
    SpapsConnectionError,
    SpapsError,
    status_error_class,
)
from spaps_client.http import RetryClient, RetryConfig
from spaps_client.http_async import RetryAsyncClient

BASE = "https://fuzz.example.com"


class Payment(BaseModel):
    id: str
    amount: int = 0
    currency: str | None = None


PARSERS: dict[str, Callable[[Reply], Any]] = {
    "u1-model": lambda reply: reply.model(Payment, reply.data()),
    "u1-nested": lambda reply: reply.model(Payment, reply.nested(reply.data(), "payment")),
    "u3": lambda reply: reply.data_object(),
    "u4-model": lambda reply: reply.model(Payment, reply.data_or_body()),
    "list": lambda reply: reply.models(Payment, reply.data().get("items")),
    "empty-ok": lambda reply: None if reply.is_empty else reply.body(),
}

header_text = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=0, max_size=40
)
retry_after = st.one_of(
    st.integers(min_value=0, max_value=10**6).map(str),
    st.floats(min_value=-1e6, max_value=2e11, allow_nan=False).map(formatdate),
    header_text,
)
headers = st.fixed_dictionaries(
    {},
    optional={
        "Retry-After": retry_after,
        "X-Request-ID": header_text,
        "Content-Type": st.sampled_from(
            [
                "application/json",
                "application/json; charset=utf-16",
                "text/html; charset=nonsense",
                "text/plain",
            ]
        )
        | header_text,
        "Content-Encoding": st.sampled_from(["gzip", "deflate", "identity", "br", "zstd"])
        | header_text,
        "Location": header_text,
        "X-Junk": header_text,
    },
)

json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=15,
)
payment_like = st.fixed_dictionaries(
    {},
    optional={
        "id": st.text(max_size=10) | json_values,
        "amount": st.integers() | json_values,
        "currency": st.sampled_from(["usd", "eur"]) | json_values,
        "payment": json_values,
        "items": st.lists(st.fixed_dictionaries({"id": st.text(max_size=5)}), max_size=3)
        | json_values,
    },
)
envelopes = st.fixed_dictionaries(
    {},
    optional={
        "success": st.booleans() | json_values,
        "data": payment_like | json_values,
        "error": st.fixed_dictionaries(
            {},
            optional={
                "code": st.text(max_size=10) | json_values,
                "message": st.text(max_size=20) | json_values,
                "details": json_values,
            },
        )
        | st.text(max_size=20)
        | json_values,
        "error_description": st.text(max_size=20) | json_values,
        "message": st.text(max_size=20) | json_values,
        "request_id": st.text(max_size=10) | json_values,
        "metadata": st.fixed_dictionaries({}, optional={"request_id": json_values}) | json_values,
    },
)
bodies = st.one_of(
    st.binary(max_size=200),
    json_values.map(lambda value: json.dumps(value).encode()),
    envelopes.map(lambda value: json.dumps(value).encode()),
    payment_like.map(lambda value: json.dumps(value).encode()),
    st.text(max_size=100).map(lambda text: f"<html><body>{text}</body></html>".encode()),
    st.just(b""),
)
statuses = st.integers(min_value=100, max_value=599)
parsers = st.sampled_from(sorted(PARSERS))


def operation(parser: str) -> Operation[Any]:
    return Operation(
        method="GET",
        path="/api/stripe/payments/p1",
        parse=PARSERS[parser],
        error=PaymentsError,
        auth=Auth.KEY,
    )


def responder(status: int, header_map: dict[str, str], body: bytes) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, headers=header_map, content=body)

    return httpx.MockTransport(handle)


def check_outcome(outcome: Any, status: int, parser: str) -> None:
    if not isinstance(outcome, BaseException):
        assert status < 400
        if parser.endswith("model") or parser == "u1-nested":
            assert isinstance(outcome, Payment)
        elif parser == "list":
            assert isinstance(outcome, list)
            assert all(isinstance(item, Payment) for item in outcome)
        elif parser == "u3":
            assert isinstance(outcome, dict)
        else:
            assert outcome is None or isinstance(outcome, dict)
        return
    assert isinstance(outcome, (PaymentsError, SpapsConnectionError))
    assert str(outcome)
    assert outcome.request_id is None or isinstance(outcome.request_id, str)
    if isinstance(outcome, SpapsConnectionError):
        # Only a body the transport cannot decode (a bogus Content-Encoding) gets here.
        assert outcome.status_code is None
    elif status >= 400:
        assert outcome.status_code == status
        assert not isinstance(outcome, MalformedResponseError)
    else:
        assert isinstance(outcome, MalformedResponseError)
        assert outcome.status_code == status


def run_sync(
    status: int,
    header_map: dict[str, str],
    body: bytes,
    parser: str,
    config: RetryConfig,
    sleeps: list[float],
) -> Any:
    now = [0.0]

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        now[0] += seconds

    with RetryClient(
        base_url=BASE,
        transport=responder(status, header_map, body),
        retry_config=config,
        sleep=sleep,
        clock=lambda: now[0],
    ) as http:
        engine = SyncEngine(http, api_key="fuzz-key")
        try:
            return engine.run(operation(parser))
        except SpapsError as exc:
            return exc


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(status=statuses, header_map=headers, body=bodies, parser=parsers)
def test_sync_engine_outcome_is_result_or_spaps_error(
    status: int, header_map: dict[str, str], body: bytes, parser: str
) -> None:
    sleeps: list[float] = []
    outcome = run_sync(status, header_map, body, parser, RetryConfig(max_attempts=1), sleeps)
    check_outcome(outcome, status, parser)
    assert sleeps == []


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(status=statuses, header_map=headers, body=bodies, parser=parsers)
def test_sync_engine_with_retries_waits_within_bounds(
    status: int, header_map: dict[str, str], body: bytes, parser: str
) -> None:
    config = RetryConfig(max_attempts=3, max_backoff=2.0, max_retry_after=5.0, total_timeout=60)
    sleeps: list[float] = []
    outcome = run_sync(status, header_map, body, parser, config, sleeps)
    check_outcome(outcome, status, parser)
    assert len(sleeps) <= 2
    assert all(0.0 <= seconds <= 5.0 for seconds in sleeps)
    if status not in config.status_codes:
        assert sleeps == []


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(status=statuses, header_map=headers, body=bodies, parser=parsers)
def test_async_engine_outcome_is_result_or_spaps_error(
    status: int, header_map: dict[str, str], body: bytes, parser: str
) -> None:
    async def go() -> Any:
        async with RetryAsyncClient(
            base_url=BASE,
            transport=responder(status, header_map, body),
            retry_config=RetryConfig(max_attempts=1),
        ) as http:
            engine = AsyncEngine(http, api_key="fuzz-key")
            try:
                return await engine.run(operation(parser))
            except SpapsError as exc:
                return exc

    check_outcome(asyncio.run(go()), status, parser)


@settings(max_examples=300, deadline=None)
@given(status=st.integers(min_value=400, max_value=599), header_map=headers, body=bodies)
def test_error_mapping_never_leaks_a_foreign_exception(
    status: int, header_map: dict[str, str], body: bytes
) -> None:
    try:
        response = httpx.Response(status, headers=header_map, content=body)
    except httpx.DecodingError:
        return  # httpx itself refuses the body (bogus Content-Encoding); nothing to map
    error = error_from_response(response, PaymentsError)
    assert type(error) is status_error_class(PaymentsError, status)
    assert isinstance(error, PaymentsError)
    assert error.status_code == status
    assert error.body_snippet is not None
    assert len(error.body_snippet) <= 501
