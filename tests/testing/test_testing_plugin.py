"""spaps_client.testing as users meet it: the pytest plugin run by pytest in a subprocess on a
small test file (pytest-asyncio in strict and in auto mode), and the script helpers against a
real ``spaps local`` subprocess."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from importlib import metadata
from pathlib import Path

import pytest

from spaps_client import SpapsClient
from spaps_client.testing import (
    MailNotFoundError,
    SpapsTestingError,
    TestWallet,
    local_server,
)

USER_TESTS = """
import pytest

from spaps_client.testing import TestWallet


def test_server_record(spaps_server):
    assert spaps_server.url.startswith("http://127.0.0.1:")
    assert spaps_server.api_key == "test_key_local_dev_only"
    assert spaps_server.data_dir.is_dir()
    assert spaps_server.webhook_secret is None or len(spaps_server.webhook_secret) > 10


def test_signed_in_sync_client(spaps_client):
    assert spaps_client.auth.get_current_user().email == "user@example.com"


def test_magic_link_through_the_mailbox(spaps_client, mailbox):
    spaps_client.auth.send_magic_link(email="plugin-reader@example.com")
    token = mailbox.latest_token("plugin-reader@example.com")
    signed_in = spaps_client.auth.verify_magic_link(token=token)
    assert signed_in.user.email == "plugin-reader@example.com"


def test_password_reset_token(spaps_client, mailbox):
    spaps_client.auth.request_password_reset(email="premium@example.com")
    token = mailbox.latest_token("premium@example.com", kind="password_reset")
    spaps_client.auth.confirm_password_reset(token=token, new_password="Another-Pass-2024!")


@pytest.mark.parametrize("make", [TestWallet.ethereum, TestWallet.solana])
def test_wallet_sign_in(spaps_client, make):
    wallet = make()
    nonce = spaps_client.auth.request_nonce(wallet_address=wallet.address, chain=wallet.chain)
    tokens = spaps_client.auth.verify_wallet(
        wallet_address=wallet.address,
        signature=wallet.sign(nonce.message),
        message=nonce.message,
        chain=wallet.chain,
    )
    assert tokens.access_token


@pytest.mark.asyncio
async def test_signed_in_async_client(async_spaps_client, mailbox):
    profile = await async_spaps_client.auth.get_current_user()
    assert profile.email == "user@example.com"
    await async_spaps_client.auth.send_magic_link(email="async-reader@example.com")
    assert await mailbox.alatest_token("async-reader@example.com")


def test_sessions_are_isolated_per_test(spaps_client):
    spaps_client.auth.logout()
    assert spaps_client.get_tokens() is None


def test_a_fresh_client_after_sign_out(spaps_client):
    assert spaps_client.get_tokens() is not None
"""

AUTO_ONLY = """
async def test_unmarked_coroutine_runs_in_auto_mode(async_spaps_client):
    session = await async_spaps_client.sessions.get_current_session()
    assert session.session_id
"""


def run_pytest(
    directory: Path, *args: str, autoload: bool = True
) -> subprocess.CompletedProcess[str]:
    """pytest in a fresh interpreter, rooted in ``directory`` (not this project's settings)."""
    (directory / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    if not autoload:
        env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=directory,
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )


def outcome(result: subprocess.CompletedProcess[str]) -> dict[str, int]:
    counts = dict.fromkeys(("passed", "failed", "error", "skipped"), 0)
    for number, word in re.findall(r"(\d+) (passed|failed|errors?|skipped)", result.stdout):
        counts[word.rstrip("s") if word.startswith("error") else word] += int(number)
    return counts


def test_the_plugin_is_registered_as_a_pytest11_entry_point() -> None:
    points = metadata.entry_points(group="pytest11")
    assert any(p.value == "spaps_client.testing.plugin" for p in points)


def test_plugin_under_pytest_asyncio_strict_mode(tmp_path: Path) -> None:
    (tmp_path / "test_user.py").write_text(USER_TESTS, encoding="utf-8")
    # Plugins given explicitly with -p, without entry-point autoloading.
    result = run_pytest(
        tmp_path,
        "-o",
        "asyncio_mode=strict",
        "-p",
        "pytest_asyncio.plugin",
        "-p",
        "spaps_client.testing.plugin",
        autoload=False,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert outcome(result) == {"passed": 9, "failed": 0, "error": 0, "skipped": 0}


def test_plugin_under_pytest_asyncio_auto_mode(tmp_path: Path) -> None:
    (tmp_path / "test_user.py").write_text(USER_TESTS + AUTO_ONLY, encoding="utf-8")
    # The entry point loads the plugin.
    result = run_pytest(tmp_path, "-o", "asyncio_mode=auto")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert outcome(result) == {"passed": 10, "failed": 0, "error": 0, "skipped": 0}


def test_a_failing_user_test_fails(tmp_path: Path) -> None:
    (tmp_path / "test_user.py").write_text(
        textwrap.dedent(
            """
            def test_wrong_token(spaps_client, mailbox):
                spaps_client.auth.send_magic_link(email="x-reader@example.com")
                token = mailbox.latest_token("x-reader@example.com")
                spaps_client.auth.verify_magic_link(token=token + "x")
            """
        ),
        encoding="utf-8",
    )
    result = run_pytest(tmp_path)
    assert result.returncode == 1
    assert outcome(result)["failed"] == 1
    assert "INVALID_TOKEN" in result.stdout or "Invalid or expired" in result.stdout


def test_script_helper_starts_and_stops_the_server() -> None:
    with local_server() as server:
        assert server.running
        with SpapsClient(base_url=server.url, api_key=server.api_key) as spaps:
            spaps.auth.send_magic_link(email="script@example.com")
        with server.mailbox(timeout=0.5) as box:
            token = box.latest_token("script@example.com")
            assert token and token in box.messages("script@example.com")[0]["text"]
            with pytest.raises(MailNotFoundError, match=r"nobody@example\.com"):
                box.latest_token("nobody@example.com")
            assert box.clear() >= 1
            assert box.messages() == []
        data_dir = server.data_dir
        assert (data_dir / "spaps.sqlite3").exists()
    assert not server.running
    assert not data_dir.exists()


def test_a_server_that_cannot_start_says_why() -> None:
    with (
        pytest.raises(SpapsTestingError, match="invalid rate limit"),
        local_server(args=["--rate-limit", "login:ip"]),
    ):
        pass


def test_wallet_signatures_verify_with_independent_libraries() -> None:
    from eth_account import Account
    from eth_account.messages import encode_defunct
    from nacl.signing import VerifyKey

    from spaps_server.security.base58 import b58decode

    message = "Sign this message to authenticate with Sweet Potato: n-1 ünïcode"
    eth = TestWallet.ethereum()
    recovered = Account.recover_message(encode_defunct(text=message), signature=eth.sign(message))
    assert recovered == eth.address

    sol = TestWallet.solana()
    VerifyKey(b58decode(sol.address)).verify(message.encode(), b58decode(sol.sign(message)))
    assert "private" not in repr(eth).lower() and sol.address in repr(sol)


def test_fixed_keys_give_fixed_addresses() -> None:
    key = bytes(range(1, 33))
    assert TestWallet.ethereum(key).address == TestWallet.ethereum(key).address
    assert TestWallet.solana(key).sign("m") == TestWallet.solana(key).sign("m")


BLOCKED_IMPORTS = """
import sys
for name in ("coincurve", "Crypto", "cryptography", "fastapi", "uvicorn"):
    sys.modules[name] = None  # importing it now raises ImportError, as if not installed
import spaps_client, spaps_client.testing
from spaps_client.testing import MissingExtraError, TestWallet
for make, module in ((TestWallet.ethereum, "coincurve"), (TestWallet.solana, "cryptography")):
    try:
        make()
    except MissingExtraError as exc:
        assert module in str(exc) and "spaps[server]" in str(exc), exc
    else:
        raise SystemExit("no error")
print("ok")
"""


def test_core_import_needs_no_extra_and_wallets_say_which_is_missing() -> None:
    result = subprocess.run(
        [sys.executable, "-c", BLOCKED_IMPORTS], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
