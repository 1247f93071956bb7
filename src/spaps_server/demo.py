"""``spaps demo``: a throw-away ``spaps local`` and the seed README's journey through it.

The server is a real ``spaps local`` subprocess (free port, temporary data dir) started with
``spaps_client.testing``; every step goes through ``spaps_client`` or, where a person would use
a browser (the hosted checkout page) or a chain (paying a crypto invoice), through plain HTTP.
Webhooks go to a loopback receiver registered with ``--webhook`` and are verified with
``spaps_client.webhooks``. Each step prints one line as it finishes; the first failure ends the
run with the step's name and exit status 1. The server is stopped and its data dir removed on
every way out (success, failure, Ctrl-C, SIGTERM) unless ``--keep`` asks to leave it serving
until Ctrl-C.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import queue
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType
from typing import TextIO
from urllib.parse import urljoin

import httpx

from spaps_client import SpapsClient, SpapsError
from spaps_client.testing import (
    SEED_EMAIL,
    SEED_PASSWORD,
    LocalServer,
    Mailbox,
    SpapsTestingError,
    TestWallet,
    start_local_server,
)
from spaps_client.webhooks import WebhookVerificationError, verify_spaps_webhook

__all__ = ["DEFAULT_CARD", "STEP_NAMES", "DemoOptions", "run_demo"]

EXIT_OK = 0
EXIT_FAILURE = 1

DEFAULT_CARD = "4242424242424242"
"""The test card the hosted checkout page accepts."""

SUCCESS_URL = "https://example.com/success"
CANCEL_URL = "https://example.com/cancel"
MAGIC_LINK_EMAIL = "demo-magic-link@example.com"


@dataclasses.dataclass(frozen=True)
class DemoOptions:
    """How ``spaps demo`` runs: the card the checkout is paid with, and whether the server
    stays up (``keep``) after the journey."""

    card: str = DEFAULT_CARD
    keep: bool = False
    password_profile: str = "production"


class StepFailed(Exception):
    """A step of the journey did not give the expected result."""


class _CheckoutForm(HTMLParser):
    """The first ``<form>`` of a page: its action, method and named inputs with their values."""

    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.method = "get"
        self.fields: dict[str, str] = {}
        self._inside = False
        self._done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "form" and not self._done and self.action is None:
            self.action = values.get("action", "")
            self.method = values.get("method", "get").lower()
            self._inside = True
        elif tag == "input" and self._inside and values.get("name"):
            self.fields[values["name"]] = values.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self._inside:
            self._inside = False
            self._done = True


class _WebhookReceiver:
    """A loopback HTTP endpoint that keeps every delivery (body and headers) and answers 200."""

    def __init__(self) -> None:
        self.deliveries: queue.Queue[tuple[bytes, dict[str, str]]] = queue.Queue()
        received = self.deliveries

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                headers = {name.lower(): value for name, value in self.headers.items()}
                received.put((self.rfile.read(length), headers))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                return  # the demo prints its own lines

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/webhooks/spaps"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def wait_for(
        self, event_type: str, accept: Callable[[bytes], bool], timeout: float
    ) -> tuple[bytes, dict[str, str]]:
        """The first delivery of ``event_type`` whose body ``accept`` takes (others are
        skipped)."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise StepFailed(f"no {event_type} delivery arrived within {timeout:g} s")
            try:
                body, headers = self.deliveries.get(timeout=remaining)
            except queue.Empty:
                continue
            if headers.get("x-spaps-event-type") == event_type and accept(body):
                return body, headers

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def _card_expiry(today: datetime.date) -> str:
    """An expiry date a few years ahead, as a person types it (``MM / YY``)."""
    return f"12 / {(today.year + 3) % 100:02d}"


def _money(amount: int | None, currency: str | None) -> str:
    if amount is None:
        return "no amount"
    return f"{amount / 100:.2f} {(currency or '').upper()}".rstrip()


class _Journey:
    """The steps, in order, sharing one server and one signed-in client."""

    def __init__(
        self, server: LocalServer, options: DemoOptions, receiver: _WebhookReceiver
    ) -> None:
        self.server = server
        self.receiver = receiver
        self.invoice_id: str | None = None
        self.options = options
        self.spaps = SpapsClient(base_url=server.url, api_key=server.api_key)
        self.browser = httpx.Client(timeout=30.0)
        self.mailbox = Mailbox(server.url)
        self.checkout_id: str | None = None
        self.checkout_url: str | None = None

    def close(self) -> None:
        self.spaps.close()
        self.browser.close()
        self.mailbox.close()

    STEPS: tuple[tuple[str, str], ...] = (
        ("sign in", "sign_in"),
        ("current session", "current_session"),
        ("profile", "profile"),
        ("catalog", "catalog"),
        ("checkout created", "checkout_created"),
        ("checkout paid", "checkout_paid"),
        ("subscriptions", "subscriptions"),
        ("payment history", "payment_history"),
        ("magic-link sign-in", "magic_link"),
        ("ethereum wallet sign-in", "ethereum_wallet"),
        ("solana wallet sign-in", "solana_wallet"),
        ("usage recorded", "usage_recorded"),
        ("usage features", "usage_features"),
        ("secure message", "secure_message"),
        ("crypto invoice paid", "crypto_invoice_paid"),
        ("webhook received", "webhook_received"),
        ("metrics", "metrics"),
        ("sign out", "sign_out"),
    )
    """(name printed, method) of every step, in the order they run."""

    def steps(self) -> list[tuple[str, Callable[[], str]]]:
        return [(name, getattr(self, method)) for name, method in self.STEPS]

    def sign_in(self) -> str:
        tokens = self.spaps.auth.sign_in_with_password(email=SEED_EMAIL, password=SEED_PASSWORD)
        user = tokens.user
        tier = user.tier if user is not None else None
        return f"{SEED_EMAIL} (tier {tier}), access token valid for {tokens.expires_in} s"

    def current_session(self) -> str:
        session = self.spaps.sessions.get_current_session()
        return f"{session.session_id}, expires {session.expires_at:%Y-%m-%d %H:%M} UTC"

    def profile(self) -> str:
        user = self.spaps.auth.get_current_user()
        if user.email != SEED_EMAIL:
            raise StepFailed(f"the profile is {user.email!r}, not {SEED_EMAIL!r}")
        return f"{user.email}, tier {user.tier}, role {user.role}"

    def catalog(self) -> str:
        listing = self.spaps.payments.list_products()
        if not listing.products:
            raise StepFailed("the catalogue is empty")
        names = ", ".join(
            f"{product.name} ({', '.join(price.id for price in product.prices)})"
            for product in listing.products
        )
        return f"{listing.total} products: {names}"

    def checkout_created(self) -> str:
        checkout = self.spaps.payments.create_checkout_session(
            price_id="price_plus",
            mode="subscription",
            success_url=SUCCESS_URL,
            cancel_url=CANCEL_URL,
        )
        if not checkout.checkout_url:
            raise StepFailed("the checkout session has no checkout_url")
        self.checkout_id = checkout.session_id
        self.checkout_url = checkout.checkout_url
        return f"{checkout.session_id} for price_plus, pay at {checkout.checkout_url}"

    def checkout_paid(self) -> str:
        if self.checkout_url is None or self.checkout_id is None:
            raise StepFailed("no checkout session to pay")
        page = self.browser.get(self.checkout_url)
        if page.status_code != 200:
            raise StepFailed(f"GET {self.checkout_url} answered {page.status_code}")
        form = _CheckoutForm()
        form.feed(page.text)
        if form.action is None or form.method != "post":
            raise StepFailed("the checkout page has no payment form")
        fields = {
            **form.fields,
            "card_name": "Demo User",
            "card_number": self.options.card,
            "card_exp": _card_expiry(datetime.date.today()),
            "card_cvc": "123",
        }
        # A browser posts the form and follows the redirect; the demo stops at the redirect
        # because success_url belongs to the shop, not to the local server.
        answer = self.browser.post(urljoin(str(page.url), form.action), data=fields)
        if answer.status_code != 303:
            raise StepFailed(
                f"the card {self.options.card} was not accepted "
                f"(HTTP {answer.status_code}: {_page_error(answer.text)})"
            )
        location = answer.headers.get("location", "")
        if location != SUCCESS_URL:
            raise StepFailed(f"the payment redirected to {location!r}, not to success_url")
        session = self.spaps.payments.get_checkout_session(session_id=self.checkout_id)
        if session.payment_status != "paid":
            raise StepFailed(f"the session's payment_status is {session.payment_status!r}")
        return f"card {self.options.card[-4:]} on the hosted page, 303 to {location}, paid"

    def subscriptions(self) -> str:
        listing = self.spaps.payments.list_subscriptions(status="active")
        if not listing.subscriptions:
            raise StepFailed("no active subscription")
        described = ", ".join(
            f"{sub.id} ({sub.plan.interval if sub.plan else 'no plan'})"
            for sub in listing.subscriptions
        )
        return f"{len(listing.subscriptions)} active: {described}"

    def payment_history(self) -> str:
        history = self.spaps.payments.list_payment_history(limit=10)
        if not history.payments:
            raise StepFailed("the payment history is empty")
        latest = history.payments[0]
        return (
            f"{len(history.payments)} payments, latest {latest.id} "
            f"{_money(latest.amount, latest.currency)} {latest.status}"
        )

    def magic_link(self) -> str:
        self.spaps.auth.send_magic_link(email=MAGIC_LINK_EMAIL)
        token = self.mailbox.latest_token(MAGIC_LINK_EMAIL)
        with SpapsClient(base_url=self.server.url, api_key=self.server.api_key) as visitor:
            result = visitor.auth.verify_magic_link(token=token)
            profile = visitor.auth.get_current_user()
        if profile.email != MAGIC_LINK_EMAIL:
            raise StepFailed(f"signed in as {profile.email!r}, not {MAGIC_LINK_EMAIL!r}")
        if result.tokens is None or not result.tokens.access_token:
            raise StepFailed("the magic link gave no access token")
        return f"link mailed to {MAGIC_LINK_EMAIL}, token read from the mailbox, signed in"

    def ethereum_wallet(self) -> str:
        return self._wallet(TestWallet.ethereum())

    def solana_wallet(self) -> str:
        return self._wallet(TestWallet.solana())

    def _wallet(self, wallet: TestWallet) -> str:
        with SpapsClient(base_url=self.server.url, api_key=self.server.api_key) as holder:
            nonce = holder.auth.request_nonce(wallet_address=wallet.address, chain=wallet.chain)
            tokens = holder.auth.verify_wallet(
                wallet_address=wallet.address,
                signature=wallet.sign(nonce.message),
                message=nonce.message,
                chain=wallet.chain,
            )
            session = holder.sessions.get_current_session()
        if not tokens.access_token:
            raise StepFailed("no access token for the wallet")
        return f"{wallet.address} signed the nonce, session {session.session_id}"

    def usage_recorded(self) -> str:
        result = self.spaps.usage.record_usage(feature="api_calls", quantity=3)
        usage = result.current_usage
        return f"3 api_calls recorded ({result.record_id}), {usage.used:g} of {usage.limit:g} used"

    def usage_features(self) -> str:
        snapshot = self.spaps.usage.get_features()
        return ", ".join(
            f"{feature.name} {feature.used:g}/{feature.limit:g}" for feature in snapshot.features
        )

    def secure_message(self) -> str:
        content = "Blood test results are in."
        message = self.spaps.secure_messages.create_message(
            patient_id="patient-123",
            practitioner_id="practitioner-456",
            content=content,
            metadata={"urgency": "high"},
        )
        listed = self.spaps.secure_messages.list_messages()
        if not any(item.id == message.id and item.content == content for item in listed):
            raise StepFailed(f"message {message.id} is not listed with its content")
        return f"{message.id} stored encrypted, read back decrypted ({len(listed)} listed)"

    def crypto_invoice_paid(self) -> str:
        invoice = self.spaps.payments.crypto.create_invoice(
            asset="USDC", network="base", amount="42.75"
        )
        self.invoice_id = invoice.invoice_id
        # The chain is simulated: the dev route records the transfer a wallet would send.
        paid = self.browser.post(
            f"{self.server.url}/_dev/crypto-invoices/{invoice.invoice_id}/payments",
            json={"amount": "42.75"},
        )
        if paid.status_code != 200:
            raise StepFailed(f"paying the invoice answered HTTP {paid.status_code}")
        status = self.spaps.payments.crypto.get_invoice_status(invoice.invoice_id)
        if status.status != "confirmed":
            raise StepFailed(f"the invoice is {status.status!r} after paying it in full")
        return f"{invoice.invoice_id} 42.75 USDC on base, paid on the simulated chain, confirmed"

    def webhook_received(self) -> str:
        secret = self.server.webhook_secret
        if not secret:
            raise StepFailed("the server's start-up record has no webhook_secret")
        invoice_id = self.invoice_id

        def confirmed_invoice(body: bytes) -> bool:
            data = json.loads(body).get("data", {})
            return bool(data.get("invoice_id") == invoice_id and data.get("status") == "confirmed")

        body, headers = self.receiver.wait_for(
            "crypto.invoice.updated", confirmed_invoice, timeout=30.0
        )
        event = verify_spaps_webhook(body, headers.get("x-spaps-signature"), secret)
        return f"{event.type} {event.id} delivered to {self.receiver.url}, signature verified"

    def metrics(self) -> str:
        health = self.spaps.metrics.health()
        snapshot = self.spaps.metrics.get_metrics_json()
        prometheus = self.spaps.metrics.get_prometheus_metrics()
        if "http_requests_total" not in prometheus:
            raise StepFailed("the Prometheus exposition has no http_requests_total")
        requests = snapshot.get("requests", {}).get("total")
        return f"health {health.get('status')}, {requests} requests served, Prometheus text ok"

    def sign_out(self) -> str:
        stored = self.spaps.get_tokens()
        if stored is None:
            raise StepFailed("the client holds no tokens to sign out with")
        self.spaps.auth.logout()
        if self.spaps.get_tokens() is not None:
            raise StepFailed("the client still holds tokens after logout")
        try:
            self.spaps.sessions.get_current_session(access_token_override=stored.access_token)
        except SpapsError as exc:
            if exc.status_code != 401:
                raise
            return f"session revoked; its access token is refused ({exc.status_code})"
        raise StepFailed("the access token still works after logout")


def _page_error(html: str) -> str:
    """The text of the page's error alert, or a short note when there is none."""
    marker = "role='alert'"
    start = html.find(marker)
    if start < 0:
        return "no error shown"
    start = html.find(">", start) + 1
    end = html.find("<", start)
    return html[start:end].strip() or "no error shown"


def _describe(exc: BaseException) -> str:
    if isinstance(exc, SpapsError):
        code = f" {exc.error_code}" if exc.error_code else ""
        return f"{type(exc).__name__} (HTTP {exc.status_code}{code}): {exc}"
    return f"{type(exc).__name__}: {exc}" if not isinstance(exc, StepFailed) else str(exc)


STEP_NAMES: tuple[str, ...] = tuple(name for name, _ in _Journey.STEPS)
"""The journey's steps, in the order they run (each prints one line naming itself)."""


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM ends the demo like Ctrl-C does, so the server is stopped on the way out."""

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _walk(journey: _Journey, out: TextIO) -> str | None:
    """Run the steps; the name of the first one that failed, or None."""
    steps = journey.steps()
    width = max(len(name) for name, _ in steps)
    for number, (name, step) in enumerate(steps, start=1):
        prefix = f"[{number:2d}/{len(steps)}] {name.ljust(width)}"
        try:
            result = step()
        except (
            SpapsError,
            SpapsTestingError,
            StepFailed,
            WebhookVerificationError,
            httpx.HTTPError,
        ) as exc:
            out.write(f"{prefix}  FAIL  {_describe(exc)}\n")
            out.flush()
            return name
        out.write(f"{prefix}  ok    {result}\n")
        out.flush()
    return None


def _serve_until_interrupted(server: LocalServer, out: TextIO) -> None:
    out.write(
        "The server keeps running (Ctrl-C stops it):\n"
        f"  Landing page   {server.url}/\n"
        f"  API reference  {server.url}/docs\n"
        f"  Mailbox        {server.url}/_dev/mailbox\n"
        f"  Payments       {server.url}/_dev/payments\n"
        f"  API key        {server.api_key}\n"
    )
    out.flush()
    while server.running:
        time.sleep(0.5)
    out.write("spaps demo: the server stopped on its own\n")


def run_demo(options: DemoOptions, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Start a server, walk the journey, stop the server; the exit status (0 when every
    step succeeded; 1 naming the failed step; 130 on Ctrl-C)."""
    out = out or sys.stdout
    err = err or sys.stderr
    with _sigterm_as_interrupt():
        server: LocalServer | None = None
        receiver = _WebhookReceiver()
        try:
            out.write("spaps demo: starting a local server (temporary data dir, free port)\n")
            out.flush()
            try:
                server = start_local_server(
                    password_profile=options.password_profile,
                    args=["--webhook", receiver.url, "--webhook-retry-schedule", "1,1,2"],
                )
            except SpapsTestingError as exc:
                err.write(f"spaps demo: error: {exc}\n")
                return EXIT_FAILURE
            out.write(
                f"spaps demo: server {server.url} (pid {server.process.pid}, "
                f"data dir {server.data_dir})\n"
            )
            out.flush()
            journey = _Journey(server, options, receiver)
            try:
                failed = _walk(journey, out)
            finally:
                journey.close()
            if failed is not None:
                err.write(f"spaps demo: error: step {failed!r} failed\n")
                err.flush()
                return EXIT_FAILURE
            out.write(f"spaps demo: all {len(STEP_NAMES)} steps succeeded\n")
            out.flush()
            if options.keep:
                _serve_until_interrupted(server, out)
            return EXIT_OK
        except KeyboardInterrupt:
            err.write("spaps demo: interrupted\n")
            return 130 if not options.keep else EXIT_OK
        finally:
            if server is not None:
                server.stop()
                out.write("spaps demo: server stopped, data dir removed\n")
                out.flush()
            receiver.close()
