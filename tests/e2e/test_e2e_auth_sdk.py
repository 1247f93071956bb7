"""Our SDK (sync and async) against a real ``spaps local`` subprocess: the seed README's
auth and session examples run as written (only the base URL and the wallet helpers are
supplied), every auth flow, wallet sign-in on both chains, and automatic refresh."""

from __future__ import annotations

import asyncio
import textwrap
from typing import Any

import httpx
import pytest
from eth_account import Account
from eth_account.messages import encode_defunct
from nacl.signing import SigningKey

from spaps_client import AsyncSpapsClient, SpapsClient
from spaps_client.errors import AuthError, SessionError, SpapsError
from spaps_server.security.base58 import b58encode

from .conftest import API_KEY, LocalServer

README_URL = "http://localhost:3300"

# The seed README, verbatim (auth and sessions parts of the quickstart and the sections
# after it). The wallet placeholder address "0xabc..." is swapped for a real one.
QUICKSTART = """
from spaps_client import SpapsClient

spaps = SpapsClient(base_url="http://localhost:3300", api_key="test_key_local_dev_only")

# Authenticate (tokens are persisted automatically)
spaps.auth.sign_in_with_password(email="user@example.com", password="Secret123!")

# Call downstream services using the stored access token
current = spaps.sessions.get_current_session()
print(current.session_id)
"""

MAGIC_AND_WALLET = """
# Send a sign-in email
spaps.auth.send_magic_link(email="user@example.com")

# Later, exchange the token from the link for session tokens (persisted automatically)
magic_result = spaps.auth.verify_magic_link(token="token-from-email")
print(magic_result.user.email)

# Wallet flow (Solana/Ethereum)
nonce = spaps.auth.request_nonce(wallet_address="0xabc...", chain="ethereum")
signature = sign_message_with_wallet(nonce.message)  # your wallet integration
wallet_tokens = spaps.auth.verify_wallet(
    wallet_address="0xabc...",
    signature=signature,
    message=nonce.message,
    chain="ethereum",
)
print(wallet_tokens.user.wallet_address)
"""

PROFILE = """
profile = spaps.auth.get_current_user()
print(profile.id, profile.email, profile.tier)
"""

PASSWORD_RESET = """
spaps.auth.request_password_reset(email="user@example.com")

spaps.auth.confirm_password_reset(
    token="reset-token-from-email",
    new_password="Sup3rStrong!",
)
"""

ASYNC_QUICKSTART = """
import asyncio
from spaps_client import AsyncSpapsClient

async def main():
    client = AsyncSpapsClient(base_url="http://localhost:3300", api_key="test_key_local_dev_only")
    try:
        await client.auth.sign_in_with_password(email="user@example.com", password="Secret123!")
        current = await client.sessions.list_sessions()
        print(len(current.sessions))
    finally:
        await client.aclose()

asyncio.run(main())
"""

ASYNC_WALLET = """
nonce = await client.auth.request_nonce(wallet_address="0xabc...", chain="solana")
signature = await sign_message_async(nonce.message)
await client.auth.verify_wallet(
    wallet_address="0xabc...",
    signature=signature,
    message=nonce.message,
    chain="solana",
)
profile = await client.auth.get_current_user()
print(profile.username)
"""


def _mail_token(server: LocalServer, to: str, kind: str) -> str:
    messages = httpx.get(f"{server.url}/_dev/mailbox/messages", params={"to": to}).json()
    found = [m for m in messages["data"]["messages"] if m["kind"] == kind]
    return str(found[0]["metadata"]["token"])


def _run(code: str, server: LocalServer, namespace: dict[str, Any]) -> dict[str, Any]:
    source = textwrap.dedent(code).replace(README_URL, server.url)
    exec(compile(source, "<README>", "exec"), namespace)  # noqa: S102 - the README's own code
    return namespace


def test_readme_sync_examples_run_verbatim(local_server: LocalServer, capsys):
    account = Account.create()
    namespace: dict[str, Any] = {
        "sign_message_with_wallet": lambda message: (
            "0x" + bytes(account.sign_message(encode_defunct(text=message)).signature).hex()
        )
    }
    _run(QUICKSTART, local_server, namespace)
    spaps: SpapsClient = namespace["spaps"]
    try:
        assert capsys.readouterr().out.strip().startswith("sess_")
        _run(PROFILE, local_server, namespace)
        assert "user@example.com basic" in capsys.readouterr().out

        # The magic link's token is read from the mailbox, as a user would from the e-mail.
        flow = MAGIC_AND_WALLET.replace("0xabc...", account.address)
        first, second = flow.split("magic_result = ", 1)
        _run(first, local_server, namespace)
        token = _mail_token(local_server, "user@example.com", "magic_link")
        _run("magic_result = " + second.replace("token-from-email", token), local_server, namespace)
        out = capsys.readouterr().out.splitlines()
        assert out == ["user@example.com", account.address]
        assert namespace["wallet_tokens"].user.chain == "ethereum"

        request, confirm = PASSWORD_RESET.split("spaps.auth.confirm_password_reset(", 1)
        _run(request, local_server, namespace)
        token = _mail_token(local_server, "user@example.com", "password_reset")
        confirm = "spaps.auth.confirm_password_reset(" + confirm
        _run(confirm.replace("reset-token-from-email", token), local_server, namespace)
        pair = spaps.auth.sign_in_with_password(email="user@example.com", password="Sup3rStrong!")
        assert pair.user.email == "user@example.com"
    finally:
        spaps.close()


def test_readme_async_examples_run_verbatim(local_server: LocalServer, capsys):
    _run(ASYNC_QUICKSTART, local_server, {})
    assert capsys.readouterr().out.strip() == "1"

    key = SigningKey.generate()
    address = b58encode(bytes(key.verify_key))

    async def sign_message_async(message: str) -> str:
        return b58encode(key.sign(message.encode()).signature)

    body = textwrap.indent(ASYNC_WALLET.replace("0xabc...", address), "        ")
    wrapper = (
        "async def wallet_main():\n"
        f'    client = AsyncSpapsClient(base_url="{README_URL}", api_key="{API_KEY}")\n'
        "    try:\n"
        f"{body}\n"
        "        return profile\n"
        "    finally:\n"
        "        await client.aclose()\n"
    )
    namespace = _run(
        wrapper,
        local_server,
        {"AsyncSpapsClient": AsyncSpapsClient, "sign_message_async": sign_message_async},
    )
    profile = asyncio.run(namespace["wallet_main"]())
    assert capsys.readouterr().out.strip() == "None"  # wallet users have no username
    assert profile.wallets[0].wallet_address == address
    assert profile.wallets[0].chain_type == "solana" and profile.wallets[0].verified is True


def test_sdk_flows_and_error_codes(local_server: LocalServer):
    client = SpapsClient(base_url=local_server.url, api_key=API_KEY)
    try:
        with pytest.raises(AuthError) as wrong:
            client.auth.sign_in_with_password(email="user@example.com", password="nope-nope")
        assert wrong.value.status_code == 401 and wrong.value.error_code == "INVALID_CREDENTIALS"
        assert wrong.value.request_id

        registered = client.auth.register(
            email="sdk@example.com", password="Sdk-Pass-2024!", username="sdk"
        )
        assert registered.tokens is not None and registered.user.username == "sdk"
        assert client.get_tokens() is not None
        with pytest.raises(AuthError) as duplicate:
            client.auth.register(email="sdk@example.com", password="Sdk-Pass-2024!")
        assert duplicate.value.error_code == "EMAIL_ALREADY_EXISTS"
        with pytest.raises(AuthError) as weak:
            client.auth.register(email="weak@example.com", password="weak")
        assert weak.value.error_code == "WEAK_PASSWORD"

        sessions = client.sessions.list_sessions()
        assert sessions.total == 1 and sessions.sessions[0].is_current
        assert client.sessions.validate_session().valid is True
        assert client.sessions.touch_session().session_id == sessions.sessions[0].session_id

        other = SpapsClient(base_url=local_server.url, api_key=API_KEY)
        try:
            other.auth.sign_in_with_password(email="sdk@example.com", password="Sdk-Pass-2024!")
            second = other.sessions.get_current_session().session_id
            revoked = client.sessions.revoke_session(second)
            assert revoked.message == "Session revoked successfully"
            # 401 SESSION_REVOKED; the SDK's automatic refresh then fails too (the refresh
            # token died with the session), so the caller sees a 401 either way.
            with pytest.raises(SpapsError) as refused:
                other.sessions.get_current_session()
            assert refused.value.status_code == 401
            with pytest.raises(SessionError) as missing:
                client.sessions.revoke_session("sess_nope")
            assert missing.value.error_code == "SESSION_NOT_FOUND"
        finally:
            other.close()

        stored = client.get_tokens()
        assert stored is not None and stored.refresh_token
        client.auth.refresh_tokens(refresh_token=stored.refresh_token)
        with pytest.raises(AuthError) as reused:
            client.auth.refresh_tokens(refresh_token=stored.refresh_token)
        assert reused.value.error_code == "REFRESH_TOKEN_REUSED"

        client.auth.sign_in_with_password(email="sdk@example.com", password="Sdk-Pass-2024!")
        assert client.auth.logout().message
        assert client.get_tokens() is None
    finally:
        client.close()


def test_async_sdk_flows(local_server: LocalServer):
    async def scenario() -> None:
        async with AsyncSpapsClient(base_url=local_server.url, api_key=API_KEY) as client:
            pair = await client.auth.sign_in_with_password(
                email="premium@example.com", password="Secret123!"
            )
            assert pair.user.tier == "premium"
            current = await client.sessions.get_current_session()
            assert current.user_id == pair.user.user_id
            assert (await client.sessions.validate_session()).valid
            profile = await client.auth.get_current_user()
            assert profile.email == "premium@example.com" and profile.wallets == []
            account = Account.create()
            nonce = await client.auth.request_nonce(wallet_address=account.address, chain="eth")
            signature = (
                "0x"
                + bytes(account.sign_message(encode_defunct(text=nonce.message)).signature).hex()
            )
            tokens = await client.auth.verify_wallet(
                wallet_address=account.address,
                signature=signature,
                message=nonce.message,
                chain="ethereum",
            )
            assert tokens.user.wallet_address == account.address
            with pytest.raises(AuthError) as replay:
                await client.auth.verify_wallet(
                    wallet_address=account.address,
                    signature=signature,
                    message=nonce.message,
                    chain="ethereum",
                )
            assert replay.value.error_code == "NONCE_ALREADY_USED"
            await client.auth.logout()
            assert client.get_tokens() is None

    asyncio.run(scenario())


def _refreshes(server: LocalServer) -> int:
    snapshot = httpx.get(f"{server.url}/api/metrics/json").json()
    metric = snapshot["counters"].get("spaps_auth_refreshes_total", {})
    return sum(s["value"] for s in metric.get("series", []) if s["labels"]["outcome"] == "success")


def test_automatic_refresh_against_the_real_server(local_server_factory):
    server = local_server_factory("--access-token-ttl", "5")
    client = SpapsClient(base_url=server.url, api_key=API_KEY)
    try:
        first = client.auth.sign_in_with_password(email="user@example.com", password="Secret123!")
        assert first.expires_in == 5
        # Within the SDK's refresh margin: it refreshes before the call, with the real server.
        client.sessions.get_current_session()
        after = client.get_tokens()
        assert after is not None and after.refresh_token != first.refresh_token
        assert _refreshes(server) == 1

        # A 401 path: a token the server refuses, with a valid refresh token stored.
        client.set_tokens(
            access_token="not-a-token", refresh_token=after.refresh_token, expires_in=3600
        )
        assert client.sessions.validate_session().valid is True
        assert _refreshes(server) == 2
    finally:
        client.close()


def test_async_automatic_refresh_is_shared_by_concurrent_callers(local_server: LocalServer):
    async def scenario() -> None:
        async with AsyncSpapsClient(base_url=local_server.url, api_key=API_KEY) as client:
            await client.auth.sign_in_with_password(email="user@example.com", password="Secret123!")
            stored = client.get_tokens()
            assert stored is not None
            # Every caller gets 401 for this token; one refresh must serve them all.
            client.set_tokens(
                access_token="not-a-token", refresh_token=stored.refresh_token, expires_in=3600
            )
            results = await asyncio.gather(
                *(client.sessions.get_current_session() for _ in range(5))
            )
            assert len({r.session_id for r in results}) == 1

    asyncio.run(scenario())
    assert _refreshes(local_server) == 1
