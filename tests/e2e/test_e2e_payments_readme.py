"""The seed README's payments examples, verbatim, with our SpapsClient and AsyncSpapsClient
against a fresh ``spaps local`` subprocess (only the base URL is swapped for the server's)."""

from __future__ import annotations

import asyncio
import textwrap
from typing import Any

import httpx

from spaps_client import AsyncSpapsClient

from .conftest import LocalServer

README_URL = "http://localhost:3300"

QUICKSTART = """
from spaps_client import SpapsClient

spaps = SpapsClient(base_url="http://localhost:3300", api_key="test_key_local_dev_only")

# Authenticate (tokens are persisted automatically)
spaps.auth.sign_in_with_password(email="user@example.com", password="Secret123!")

# Call downstream services using the stored access token
current = spaps.sessions.get_current_session()
print(current.session_id)

checkout = spaps.payments.create_checkout_session(
    price_id="price_123",
    mode="subscription",
    success_url="https://example.com/success",
    cancel_url="https://example.com/cancel",
)
print(checkout.checkout_url)

spaps.close()
"""

SIGN_IN = """
from spaps_client import SpapsClient

spaps = SpapsClient(base_url="http://localhost:3300", api_key="test_key_local_dev_only")
spaps.auth.sign_in_with_password(email="user@example.com", password="Secret123!")
"""

PRODUCT_CATALOG = """
catalog = spaps.payments.list_products(category="subscription", active=True, limit=10)
for product in catalog.products:
    print(product.name, product.default_price)

detail = spaps.payments.get_product("prod_123")
print(detail.prices[0].nickname)
"""

SUBSCRIPTIONS = """
# Fetch active subscriptions for the current user
subs = spaps.payments.list_subscriptions(status="active")
print(subs.subscriptions[0].status)

# Inspect a specific subscription and switch to a new price
detail = spaps.payments.get_subscription(subscription_id="sub_123")
print(detail.plan.interval)

spaps.payments.update_subscription(subscription_id="sub_123", price_id="price_plus")

# Cancel immediately (versus at period end)
spaps.payments.cancel_subscription(subscription_id="sub_123", immediately=True)
"""

CHECKOUT_MANAGEMENT = """
# Lookup previously created checkout sessions
session = spaps.payments.get_checkout_session(session_id="cs_test_123")
print(session.payment_status)

sessions = spaps.payments.list_checkout_sessions(limit=5)
print(len(sessions.sessions))

# Force-expire a stale session
spaps.payments.expire_checkout_session(session_id="cs_test_123")
# API-key-only guest checkout helpers
guest = spaps.payments.create_guest_checkout_session(
    customer_email="guest@example.com",
    mode="payment",
    line_items=[{"price_id": "price_basic", "quantity": 1}],
    success_url="https://example.com/success",
    cancel_url="https://example.com/cancel",
)

guest_detail = spaps.payments.get_guest_checkout_session(session_id=guest.id)
print(guest_detail.payment_status)

guest_sessions = spaps.payments.list_guest_checkout_sessions(limit=10)
print(guest_sessions.sessions[0].session_id)
"""

PAYMENT_HISTORY = """
history = spaps.payments.list_payment_history(limit=20, status="succeeded")
for charge in history.payments:
    print(charge.id, charge.amount, charge.status)

detail = spaps.payments.get_payment_detail(payment_id="pi_123")
print(detail.metadata)
"""


def _run(code: str, server: LocalServer, namespace: dict[str, Any]) -> dict[str, Any]:
    source = textwrap.dedent(code).replace(README_URL, server.url)
    exec(compile(source, "<README>", "exec"), namespace)  # noqa: S102 - the README's own code
    return namespace


def _profile_tier(server: LocalServer, token: str) -> str:
    response = httpx.get(
        f"{server.url}/api/auth/user",
        headers={"X-API-Key": "test_key_local_dev_only", "Authorization": f"Bearer {token}"},
    )
    return str(response.json()["data"]["user"]["tier"])


def test_quickstart_runs_verbatim_and_its_checkout_url_is_payable(local_server, capsys):
    _run(QUICKSTART, local_server, {})
    session_line, url = capsys.readouterr().out.strip().splitlines()
    assert session_line.startswith("sess_")
    assert url.startswith(f"{local_server.url}/checkout/cs_test_")
    page = httpx.get(url)
    assert page.status_code == 200
    assert "autocomplete='cc-number'" in page.text and "9.00 USD" in page.text


def test_payments_examples_run_verbatim_in_order(local_server, capsys):
    namespace = _run(SIGN_IN, local_server, {})
    spaps = namespace["spaps"]
    try:
        _run(PRODUCT_CATALOG, local_server, namespace)
        out = capsys.readouterr().out.splitlines()
        assert out[0].startswith("Sweet Potato Basic ") and "price_123" in out[0]
        assert out[1].startswith("Sweet Potato Plus ")
        assert out[-1] == "Basic monthly"

        token = spaps.get_tokens().access_token
        _run(SUBSCRIPTIONS, local_server, namespace)
        assert capsys.readouterr().out.splitlines() == ["active", "month"]
        final = spaps.payments.get_subscription(subscription_id="sub_123")
        assert final.status == "canceled" and final.plan.price_id == "price_plus"
        assert _profile_tier(local_server, token) == "basic"

        _run(CHECKOUT_MANAGEMENT, local_server, namespace)
        lines = capsys.readouterr().out.splitlines()
        assert lines[0] == "unpaid" and int(lines[1]) >= 1
        assert lines[2] == "unpaid" and lines[3] == namespace["guest"].id
        expired = spaps.payments.get_checkout_session(session_id="cs_test_123")
        assert expired.status == "expired"

        _run(PAYMENT_HISTORY, local_server, namespace)
        lines = capsys.readouterr().out.splitlines()
        assert lines[0] == "pi_123 900 succeeded"
        assert lines[-1] == str(
            {"app_id": local_server.record["application"]["id"], "source": "seed"}
        )
    finally:
        spaps.close()


def test_async_client_runs_the_same_examples(local_server, capsys):
    def awaited(code: str) -> str:
        # The same calls, awaited on the async client (the README says async helpers
        # mirror the synchronous API).
        source = textwrap.dedent(code)
        for call in ("spaps.payments.",):
            source = source.replace(call, "await spaps.payments.")
        return textwrap.indent(source, "    ")

    body = "\n".join(
        awaited(part)
        for part in (PRODUCT_CATALOG, SUBSCRIPTIONS, CHECKOUT_MANAGEMENT, PAYMENT_HISTORY)
    )
    wrapper = (
        "async def main():\n"
        f'    spaps = AsyncSpapsClient(base_url="{local_server.url}", '
        'api_key="test_key_local_dev_only")\n'
        "    try:\n"
        '        await spaps.auth.sign_in_with_password(email="user@example.com", '
        'password="Secret123!")\n'
        + textwrap.indent(body, "    ")
        + "\n    finally:\n        await spaps.aclose()\n"
    )
    namespace: dict[str, Any] = {"AsyncSpapsClient": AsyncSpapsClient}
    exec(compile(wrapper, "<README async>", "exec"), namespace)  # noqa: S102
    asyncio.run(namespace["main"]())
    lines = capsys.readouterr().out.splitlines()
    assert lines[2] == "Basic monthly"
    assert lines[3:5] == ["active", "month"]
    assert lines[5] == "unpaid" and lines[7] == "unpaid"
    assert "pi_123 900 succeeded" in lines
