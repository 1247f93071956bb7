"""Crypto payments sub-client (contract §3.5, endpoints #38-#41), every test run sync and async,
both through ``payments.crypto`` and standalone."""

from __future__ import annotations

import inspect
import json
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from spaps_client.errors import (
    CryptoPaymentsError,
    MalformedResponseError,
    MissingAccessTokenError,
    PaymentsError,
    SpapsError,
)
from spaps_client.http import RetryClient
from spaps_client.http_async import RetryAsyncClient
from spaps_client.models.crypto import CryptoInvoice, CryptoInvoiceStatus, CryptoReconcileJob
from spaps_client.resources.crypto import (
    AsyncCryptoPaymentsClient,
    CryptoPaymentsClient,
    CryptoPaymentsResource,
)
from spaps_client.resources.payments import AsyncPaymentsClient, PaymentsClient

BASE = "http://test"
TOKEN_MESSAGE = "Access token is required for payment operations"
Crypto = CryptoPaymentsClient | AsyncCryptoPaymentsClient


class Harness:
    """A crypto client of one flavour over a mock transport that answers with queued
    responses and records each request."""

    def __init__(self, flavour: str) -> None:
        self.flavour = flavour
        self.requests: list[httpx.Request] = []
        self.responses: list[httpx.Response] = []
        self._http: list[httpx.Client | httpx.AsyncClient] = []
        self.payments = self.make_payments(access_token="tok")
        self.client: Crypto = self.payments.crypto

    def _handle(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        assert self.responses, f"unexpected request {request.method} {request.url}"
        return self.responses.pop(0)

    def _http_client(self, retry: bool) -> httpx.Client | httpx.AsyncClient:
        transport = httpx.MockTransport(self._handle)
        http: httpx.Client | httpx.AsyncClient
        if self.flavour == "sync":
            if retry:
                http = RetryClient(base_url=BASE, transport=transport, sleep=lambda _: None)
            else:
                http = httpx.Client(base_url=BASE, transport=transport)
        else:

            async def no_sleep(_: float) -> None:
                return None

            if retry:
                http = RetryAsyncClient(base_url=BASE, transport=transport, sleep=no_sleep)
            else:
                http = httpx.AsyncClient(base_url=BASE, transport=transport)
        self._http.append(http)
        return http

    def make_payments(
        self, *, retry: bool = False, **kwargs: Any
    ) -> PaymentsClient | AsyncPaymentsClient:
        cls = PaymentsClient if self.flavour == "sync" else AsyncPaymentsClient
        return cls(base_url=BASE, api_key="k", client=self._http_client(retry), **kwargs)

    def make_standalone(self, **kwargs: Any) -> Crypto:
        cls = CryptoPaymentsClient if self.flavour == "sync" else AsyncCryptoPaymentsClient
        return cls(base_url=BASE, api_key="k", client=self._http_client(False), **kwargs)

    def reply(self, status: int = 200, body: Any = None, **kwargs: Any) -> None:
        if body is not None:
            kwargs["json"] = body
        self.responses.append(httpx.Response(status, **kwargs))

    def ok(self, data: Any) -> None:
        self.reply(200, {"success": True, "data": data})

    async def call(self, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        result = method(*args, **kwargs)
        return await result if inspect.isawaitable(result) else result

    async def run(self, name: str, *args: Any, client: Any = None, **kwargs: Any) -> Any:
        return await self.call(getattr(client or self.client, name), *args, **kwargs)

    @property
    def sent(self) -> httpx.Request:
        assert len(self.requests) == 1
        return self.requests[0]

    async def close(self) -> None:
        for http in self._http:
            if isinstance(http, httpx.AsyncClient):
                await http.aclose()
            else:
                http.close()


@pytest.fixture(params=["sync", "async"])
async def h(request: pytest.FixtureRequest) -> AsyncIterator[Harness]:
    harness = Harness(request.param)
    yield harness
    await harness.close()


def body_of(request: httpx.Request) -> Any:
    return json.loads(request.content) if request.content else None


INVOICE = {
    "invoice_id": "inv_01J1CJZ3H6TQ1FA6HJX2Y5M3VE",
    "asset": "USDC",
    "network": "base",
    "amount": "42.75",
    "status": "pending",
    "expires_at": "2025-01-09T10:45:00Z",
    "metadata": {"order_id": "ord_123", "application_id": "app_789"},
}
STATUS = {
    "invoice_id": "inv_01J1CJZ3H6TQ1FA6HJX2Y5M3VE",
    "status": "confirmed",
    "finalized_at": "2025-01-09T11:00:00Z",
    "normalized_amount": "42.75",
    "settlement_ids": ["ledg_01J1CK5K3QPKM783X2TSZGSQEG"],
}
JOB = {
    "job_id": "job_123",
    "scheduled_at": "2025-01-09T11:05:00Z",
    "cursor": {"last_invoice_id": "inv_01J1CJZ3H6TQ1FA6HJX2Y5M3VE"},
}


@dataclass
class Case:
    id: str
    name: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    method: str
    path: str
    body: Any
    data: dict[str, Any]
    model: type[Any]
    expect: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    idempotent: bool = False


CASES = [
    Case(
        "38-create-invoice",
        "create_invoice",
        (),
        {
            "asset": "USDC",
            "network": "base",
            "amount": "42.75",
            "expires_in_seconds": 900,
            "beneficiary": {"address": "0xbeef"},
            "metadata": {"order_id": "ord_123"},
        },
        "POST",
        "/api/payments/crypto/invoices",
        {
            "asset": "USDC",
            "network": "base",
            "amount": "42.75",
            "expires_in_seconds": 900,
            "beneficiary": {"address": "0xbeef"},
            "metadata": {"order_id": "ord_123"},
        },
        {"invoice": INVOICE},
        CryptoInvoice,
        {
            "invoice_id": "inv_01J1CJZ3H6TQ1FA6HJX2Y5M3VE",
            "amount": "42.75",
            "expires_at": "2025-01-09T10:45:00Z",
            "metadata": {"order_id": "ord_123", "application_id": "app_789"},
        },
        idempotent=True,
    ),
    Case(
        "39-get-invoice",
        "get_invoice",
        ("inv_123",),
        {},
        "GET",
        "/api/payments/crypto/invoices/inv_123",
        None,
        {"invoice": {**{k: v for k, v in INVOICE.items() if k != "invoice_id"}, "id": "inv_123"}},
        CryptoInvoice,
        {"invoice_id": "inv_123", "id": "inv_123", "status": "pending", "network": "base"},
    ),
    Case(
        "40-get-invoice-status",
        "get_invoice_status",
        ("inv_123",),
        {},
        "GET",
        "/api/payments/crypto/invoices/inv_123/status",
        None,
        STATUS,
        CryptoInvoiceStatus,
        {
            "status": "confirmed",
            "normalized_amount": "42.75",
            "settlement_ids": ["ledg_01J1CK5K3QPKM783X2TSZGSQEG"],
            "underpaid": None,
        },
    ),
    Case(
        "41-reconcile",
        "reconcile",
        (),
        {"recon_token": "recon-secret", "cursor": {"last_invoice_id": "inv_0"}},
        "POST",
        "/api/payments/crypto/reconcile",
        {"cursor": {"last_invoice_id": "inv_0"}},
        JOB,
        CryptoReconcileJob,
        {"job_id": "job_123", "cursor": {"last_invoice_id": "inv_01J1CJZ3H6TQ1FA6HJX2Y5M3VE"}},
        headers={"x-recon-token": "recon-secret"},
    ),
]
CASE_IDS = [case.id for case in CASES]


@pytest.fixture(params=["via-payments", "standalone"])
def crypto(request: pytest.FixtureRequest, h: Harness) -> Crypto:
    """The crypto client under test: reached through ``payments.crypto`` or built alone."""
    if request.param == "standalone":
        return h.make_standalone(access_token="tok")
    return h.client


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
async def test_request_is_as_the_contract_says(h: Harness, crypto: Crypto, case: Case) -> None:
    h.ok(case.data)
    await h.run(case.name, *case.args, client=crypto, **case.kwargs)
    sent = h.sent
    assert sent.method == case.method
    assert sent.url.path == case.path
    assert sent.url.query == b""
    assert body_of(sent) == case.body
    assert sent.headers["x-api-key"] == "k"
    assert sent.headers["authorization"] == "Bearer tok"
    for name, value in case.headers.items():
        assert sent.headers[name] == value
    if "x-recon-token" not in case.headers:
        assert "x-recon-token" not in sent.headers
    if case.idempotent:
        key = sent.headers["idempotency-key"]
        assert str(uuid.UUID(key)) == key
    else:
        assert "idempotency-key" not in sent.headers


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
async def test_fixture_reply_is_parsed(h: Harness, crypto: Crypto, case: Case) -> None:
    h.ok(case.data)
    result = await h.run(case.name, *case.args, client=crypto, **case.kwargs)
    assert type(result) is case.model
    for name, expected in case.expect.items():
        assert getattr(result, name) == expected, name


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
async def test_error_envelope_raises_crypto_error(h: Harness, crypto: Crypto, case: Case) -> None:
    h.reply(
        422,
        {"success": False, "error": {"code": "INVALID_INVOICE", "message": "bad invoice"}},
        headers={"X-Request-ID": "req_crypto"},
    )
    with pytest.raises(CryptoPaymentsError) as caught:
        await h.run(case.name, *case.args, client=crypto, **case.kwargs)
    exc = caught.value
    assert not isinstance(exc, (MalformedResponseError, PaymentsError))
    # D12: the async client reports the request id too (the published one did not).
    assert (exc.status_code, exc.error_code, exc.request_id) == (
        422,
        "INVALID_INVOICE",
        "req_crypto",
    )
    assert str(exc) == "bad invoice"


@pytest.mark.parametrize(
    "reply",
    [
        {"content": b"Service Unavailable"},
        {"json": {"success": True, "data": "pending"}},
        {"json": {"success": True, "data": {"unexpected": 1}}},
        {"json": {"success": True, "data": {"invoice": None, "status": "x"}}},
    ],
    ids=["text", "data-string", "missing-fields", "null-invoice"],
)
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
async def test_malformed_success_is_a_crypto_error(
    h: Harness, case: Case, reply: dict[str, Any]
) -> None:
    h.reply(200, headers={"X-Request-ID": "req_bad"}, **reply)
    with pytest.raises(MalformedResponseError) as caught:
        await h.run(case.name, *case.args, **case.kwargs)
    assert isinstance(caught.value, CryptoPaymentsError)
    assert (caught.value.status_code, caught.value.request_id) == (200, "req_bad")


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
async def test_without_token_fails_before_sending(h: Harness, case: Case) -> None:
    for client in (h.make_payments().crypto, h.make_standalone()):
        with pytest.raises(MissingAccessTokenError) as caught:
            await h.run(case.name, *case.args, client=client, **case.kwargs)
        assert isinstance(caught.value, ValueError)
        assert str(caught.value) == TOKEN_MESSAGE
    assert h.requests == []


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
async def test_access_token_override_wins(h: Harness, case: Case) -> None:
    h.ok(case.data)
    await h.run(case.name, *case.args, access_token_override="other", **case.kwargs)
    assert h.sent.headers["authorization"] == "Bearer other"


async def test_token_set_on_payments_later_is_used(h: Harness) -> None:
    payments = h.make_payments()
    crypto = payments.crypto
    payments.access_token = "fresh"
    h.ok(JOB)
    await h.run("reconcile", client=crypto)
    assert h.sent.headers["authorization"] == "Bearer fresh"


# --- request details --------------------------------------------------------------------------


async def test_create_invoice_omits_none_but_keeps_falsy(h: Harness) -> None:
    h.ok({"invoice": INVOICE})
    h.ok({"invoice": INVOICE})
    await h.run("create_invoice", asset="USDC", network="base", amount="1")
    await h.run(
        "create_invoice",
        asset="USDC",
        network="base",
        amount="1",
        expires_in_seconds=0,
        beneficiary={},
        metadata={},
    )
    assert body_of(h.requests[0]) == {"asset": "USDC", "network": "base", "amount": "1"}
    assert body_of(h.requests[1]) == {
        "asset": "USDC",
        "network": "base",
        "amount": "1",
        "expires_in_seconds": 0,
        "beneficiary": {},
        "metadata": {},
    }


async def test_create_invoice_idempotency_key(h: Harness) -> None:
    h.ok({"invoice": INVOICE})
    h.ok({"invoice": INVOICE})
    h.ok({"invoice": INVOICE})
    await h.run("create_invoice", asset="USDC", network="base", amount="1")
    await h.run("create_invoice", asset="USDC", network="base", amount="1")
    await h.run(
        "create_invoice", asset="USDC", network="base", amount="1", idempotency_key="ord_123"
    )
    first, second, third = (request.headers["idempotency-key"] for request in h.requests)
    assert first != second
    assert third == "ord_123"


async def test_retried_create_invoice_reuses_the_key(h: Harness) -> None:
    crypto = h.make_payments(retry=True, access_token="tok").crypto
    h.reply(502, content=b"bad gateway")
    h.ok({"invoice": INVOICE})
    result = await h.run("create_invoice", client=crypto, asset="USDC", network="base", amount="1")
    assert result.invoice_id == INVOICE["invoice_id"]
    assert len(h.requests) == 2
    assert len({request.headers["idempotency-key"] for request in h.requests}) == 1


async def test_retried_reconcile_is_not_repeated(h: Harness) -> None:
    crypto = h.make_payments(retry=True, access_token="tok").crypto
    h.reply(503, {"error": {"code": "BUSY", "message": "busy"}})
    with pytest.raises(CryptoPaymentsError):
        await h.run("reconcile", client=crypto)
    assert len(h.requests) == 1


async def test_reconcile_defaults(h: Harness) -> None:
    h.ok(JOB)
    h.ok(JOB)
    await h.run("reconcile")
    await h.run("reconcile", recon_token="", cursor={})
    assert h.requests[0].content == b"{}"
    assert "x-recon-token" not in h.requests[0].headers
    assert body_of(h.requests[1]) == {"cursor": {}}
    assert "x-recon-token" not in h.requests[1].headers


@pytest.mark.parametrize(
    ("invoice_id", "raw_path"),
    [
        ("inv/../reconcile", b"/api/payments/crypto/invoices/inv%2F..%2Freconcile"),
        ("inv 1?status=paid", b"/api/payments/crypto/invoices/inv%201%3Fstatus%3Dpaid"),
        ("inv#1", b"/api/payments/crypto/invoices/inv%231"),
    ],
)
@pytest.mark.parametrize("name", ["get_invoice", "get_invoice_status"])
async def test_invoice_id_is_percent_encoded(
    h: Harness, name: str, invoice_id: str, raw_path: bytes
) -> None:
    h.reply(404, {"error": {"code": "NOT_FOUND", "message": "no"}})
    with pytest.raises(CryptoPaymentsError):
        await h.run(name, invoice_id)
    suffix = b"/status" if name == "get_invoice_status" else b""
    assert h.sent.url.raw_path == raw_path + suffix


@pytest.mark.parametrize("name", ["get_invoice", "get_invoice_status"])
async def test_empty_invoice_id_is_rejected_locally(h: Harness, name: str) -> None:
    with pytest.raises(ValueError, match="invoice_id is required") as caught:
        await h.run(name, "")
    assert not isinstance(caught.value, SpapsError)
    assert h.requests == []


@pytest.mark.parametrize("name", ["get_invoice", "get_invoice_status"])
async def test_invoice_id_is_positional_or_keyword(h: Harness, name: str) -> None:
    data = {"invoice": INVOICE} if name == "get_invoice" else STATUS
    h.ok(data)
    await h.run(name, invoice_id="inv_9")
    assert h.sent.url.path.endswith("/inv_9" if name == "get_invoice" else "/inv_9/status")


def test_invoice_path_helper() -> None:
    assert CryptoPaymentsClient._invoice_path("inv_1") == "/invoices/inv_1"
    assert (
        AsyncCryptoPaymentsClient._invoice_path("a/b", include_prefix=True)
        == "/api/payments/crypto/invoices/a%2Fb"
    )
    assert CryptoPaymentsResource._invoice_path("x", True) == "/api/payments/crypto/invoices/x"
    with pytest.raises(ValueError, match="invoice_id is required"):
        CryptoPaymentsClient._invoice_path("")


# --- reply shapes and model traps ---------------------------------------------------------------


async def test_invoice_read_from_data_without_invoice_key(h: Harness) -> None:
    h.ok({**INVOICE, "beneficiary": {"address": "0xbeef"}})
    result = await h.run("get_invoice", "inv_1")
    assert result.beneficiary == {"address": "0xbeef"}


async def test_invoice_without_envelope(h: Harness) -> None:
    h.reply(200, {"invoice": {**INVOICE, "id": "inv_top"}})
    result = await h.run("get_invoice", "inv_1")
    # ``invoice_id`` comes first when both keys are present.
    assert result.invoice_id == INVOICE["invoice_id"]


async def test_invoice_amount_must_be_a_string(h: Harness) -> None:
    h.ok({"invoice": {**INVOICE, "amount": 42.75}})
    with pytest.raises(MalformedResponseError, match="CryptoInvoice"):
        await h.run("get_invoice", "inv_1")


async def test_status_reads_only_invoice_id(h: Harness) -> None:
    h.ok({"id": "inv_1", "status": "confirmed"})
    with pytest.raises(MalformedResponseError, match="CryptoInvoiceStatus"):
        await h.run("get_invoice_status", "inv_1")


async def test_status_normalized_amount_must_be_a_string(h: Harness) -> None:
    h.ok({**STATUS, "normalized_amount": 42.75, "underpaid": False, "overpaid": True})
    with pytest.raises(MalformedResponseError):
        await h.run("get_invoice_status", "inv_1")


async def test_reconcile_job_needs_scheduled_at(h: Harness) -> None:
    h.ok({"job_id": "job_1"})
    with pytest.raises(MalformedResponseError, match="CryptoReconcileJob"):
        await h.run("reconcile")


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_sync_and_async_signatures_match(case: Case) -> None:
    sync_client = CryptoPaymentsClient(base_url=BASE)
    async_client = AsyncCryptoPaymentsClient(base_url=BASE)
    sync_method = getattr(sync_client, case.name)
    async_method = getattr(async_client, case.name)
    assert inspect.signature(sync_method) == inspect.signature(async_method)
    assert inspect.iscoroutinefunction(async_method)
    assert not inspect.iscoroutinefunction(sync_method)
    assert sync_method.__doc__
    sync_client.close()


def test_compatibility_modules() -> None:
    import spaps_client.crypto as crypto_module
    import spaps_client.crypto_async as crypto_async_module
    import spaps_client.payments as payments_module
    import spaps_client.payments_async as payments_async_module
    from spaps_client.webhooks import verify_crypto_webhook_signature

    for module in (crypto_module, crypto_async_module, payments_module, payments_async_module):
        for name in module.__all__:
            assert getattr(module, name) is not None
    assert crypto_module.verify_crypto_webhook_signature is verify_crypto_webhook_signature
    assert crypto_module.CryptoPaymentsClient is CryptoPaymentsClient
    assert crypto_async_module.AsyncCryptoPaymentsClient is AsyncCryptoPaymentsClient
    assert payments_module.PaymentsClient is PaymentsClient
    assert payments_module.PaymentsError is PaymentsError
    assert payments_async_module.AsyncPaymentsClient is AsyncPaymentsClient
    assert {"CryptoInvoice", "CryptoInvoiceStatus", "CryptoReconcileJob"} <= set(
        crypto_module.__all__
    )
    assert {"SubscriptionDetail", "GuestCheckoutConversionResult", "ProductList"} <= set(
        payments_module.__all__
    )
