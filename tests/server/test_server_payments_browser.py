"""The hosted checkout page in a real headless chromium, driven over the DevTools protocol
(``--remote-debugging-pipe``: NUL-separated JSON on file descriptors 3 and 4, so no extra
library is needed): type a test card, submit, land on ``success_url``; type the declining
card and see the reason on the page. Keeps a screenshot at
``tests/artifacts/checkout-page.png``."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import select
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from .conftest import DEFAULT_KEY, DbTarget, live_server

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"


class Browser:
    """A headless chromium page spoken to over the DevTools pipe."""

    def __init__(self, profile: Path) -> None:
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()

        def wire() -> None:  # runs in the child: DevTools reads fd 3 and writes fd 4
            os.dup2(to_child_r, 3)
            os.dup2(from_child_w, 4)

        self.proc = subprocess.Popen(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--remote-debugging-pipe",
                f"--user-data-dir={profile}",
                "--window-size=900,1000",
                "about:blank",
            ],
            # 3 and 4 are listed so that the fd clean-up after preexec_fn keeps them.
            pass_fds=(3, 4, to_child_r, from_child_w),
            preexec_fn=wire,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_child_r)
        os.close(from_child_w)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []
        targets = self.call("Target.getTargets")["targetInfos"]
        page = next(t for t in targets if t["type"] == "page")
        self.session = self.call("Target.attachToTarget", targetId=page["targetId"], flatten=True)[
            "sessionId"
        ]
        self.call("Page.enable", session=True)

    def _read(self, timeout: float = 20) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while b"\0" not in self._buffer:
            remaining = deadline - time.monotonic()
            ready, _, _ = select.select([self._from_child], [], [], max(remaining, 0))
            if not ready:
                raise TimeoutError("chromium did not answer")
            chunk = os.read(self._from_child, 1 << 16)
            if not chunk:
                raise RuntimeError("chromium closed the DevTools pipe")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        message: dict[str, Any] = json.loads(raw)
        return message

    def call(self, method: str, *, session: bool = False, **params: Any) -> dict[str, Any]:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = self.session
        os.write(self._to_child, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._read()
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                result: dict[str, Any] = reply.get("result", {})
                return result
            self.events.append(reply)

    def wait_for_load(self) -> None:
        while True:
            for index, event in enumerate(self.events):
                if event.get("method") == "Page.loadEventFired":
                    del self.events[: index + 1]
                    return
            self.events.append(self._read())

    def evaluate(self, expression: str) -> Any:
        result = self.call(
            "Runtime.evaluate", session=True, expression=expression, returnByValue=True
        )
        return result["result"].get("value")

    def goto(self, url: str) -> None:
        self.events.clear()
        self.call("Page.navigate", session=True, url=url)
        self.wait_for_load()

    def type_into(self, element_id: str, text: str) -> None:
        self.evaluate(f"document.getElementById({json.dumps(element_id)}).focus()")
        self.call("Input.insertText", session=True, text=text)

    def click_and_wait(self, element_id: str) -> None:
        self.events.clear()
        self.evaluate(f"document.getElementById({json.dumps(element_id)}).click()")
        self.wait_for_load()

    def screenshot(self, path: Path) -> None:
        data = self.call("Page.captureScreenshot", session=True, format="png")["data"]
        path.write_bytes(base64.b64decode(data))

    def close(self) -> None:
        with contextlib.suppress(RuntimeError, TimeoutError, OSError):
            self.call("Browser.close")
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._to_child)
        os.close(self._from_child)


@pytest.fixture
def browser(tmp_path: Path):
    if not (Path(CHROMIUM).exists() and shutil.which(CHROMIUM)):
        pytest.skip(f"{CHROMIUM} is not installed")
    instance = Browser(tmp_path / "profile")
    try:
        yield instance
    finally:
        instance.close()


def _checkout(url: str, price: str, mode: str) -> str:
    with httpx.Client(base_url=url, headers={"X-API-Key": DEFAULT_KEY}) as http:
        login = http.post(
            "/api/auth/login", json={"email": "user@example.com", "password": "Secret123!"}
        )
        token = login.json()["data"]["access_token"]
        created = http.post(
            "/api/payments/create-checkout-session",
            json={
                "price_id": price,
                "mode": mode,
                # Local pages, so the browser really lands somewhere while offline.
                "success_url": f"{url}/health?paid={{CHECKOUT_SESSION_ID}}",
                "cancel_url": f"{url}/health?cancelled=1",
            },
            headers={"Authorization": f"Bearer {token}"},
        )
        return str(created.json()["data"]["checkout_url"])


def _fill(browser: Browser, card: str) -> None:
    browser.type_into("card_name", "Ada Lovelace")
    browser.type_into("card_number", card)
    browser.type_into("card_exp", "12 / 34")
    browser.type_into("card_cvc", "123")


def test_paying_in_chromium_lands_on_success_url(sqlite_target: DbTarget, browser: Browser):
    with live_server(sqlite_target.config(password_profile="test")) as server:
        checkout_url = _checkout(server.url, "price_123", "subscription")
        session_id = checkout_url.rsplit("/", 1)[-1]
        browser.goto(checkout_url)
        fields = browser.evaluate(
            "[...document.querySelectorAll('input')].map(i => i.autocomplete).join(',')"
        )
        assert fields == "cc-name,cc-number,cc-exp,cc-csc"
        _fill(browser, "4242 4242 4242 4242")
        ARTIFACTS.mkdir(exist_ok=True)
        browser.screenshot(ARTIFACTS / "checkout-page.png")
        assert (ARTIFACTS / "checkout-page.png").stat().st_size > 1000
        browser.click_and_wait("pay")
        assert browser.evaluate("location.href") == f"{server.url}/health?paid={session_id}"
        with httpx.Client(base_url=server.url) as http:
            page = http.get(f"/checkout/{session_id}")
        assert page.status_code == 410


def test_declining_card_shows_the_reason_in_chromium(sqlite_target: DbTarget, browser: Browser):
    with live_server(sqlite_target.config(password_profile="test")) as server:
        checkout_url = _checkout(server.url, "price_basic", "payment")
        browser.goto(checkout_url)
        _fill(browser, "4000 0000 0000 0002")
        browser.click_and_wait("pay")
        assert browser.evaluate("location.href") == checkout_url
        alert = browser.evaluate("document.getElementById('card-error').textContent")
        assert alert == "Your card was declined."
        # The session is still open: the right card pays it.
        _fill(browser, "4242424242424242")
        browser.click_and_wait("pay")
        assert browser.evaluate("location.href").startswith(f"{server.url}/health?paid=")
