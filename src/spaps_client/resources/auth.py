"""``/api/auth``: password, magic-link, wallet and password-reset flows.

Sign-in calls store the returned tokens in the client's token storage, so the calls that need a
bearer token (and the automatic refresh) pick them up without further work.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel

from .._engine import AsyncEngine, SyncEngine, compact
from .._envelope import Reply
from .._resource import AsyncResource, E, Resource, SyncResource, endpoint
from .._tokens import (
    AUTH_ENDPOINTS,
    AUTH_PREFIX,
    refresh_operation,
    store_pair,
    token_pair,
    token_saver,
)
from ..errors import MissingAccessTokenError
from ..models.auth import (
    MagicLinkAuthResponse,
    MagicLinkSendResponse,
    MessageResponse,
    NonceResponse,
    PasswordResetRequestResponse,
    RegistrationResponse,
    RegistrationTokens,
    TokenPair,
    UserProfile,
)
from ..storage import StoredTokens, TokenStorage

__all__ = ["AsyncAuthClient", "AuthClient", "AuthResource", "refresh_operation"]

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)
_AUTH = AUTH_ENDPOINTS


def _store_embedded(storage: TokenStorage | None) -> Callable[[Any], None] | None:
    save = token_saver(storage)
    if save is None:
        return None

    def store(result: RegistrationResponse | MagicLinkAuthResponse) -> None:
        tokens: RegistrationTokens | None = result.tokens
        if tokens is not None:
            save(tokens.access_token, tokens.refresh_token, tokens.expires_in, "Bearer")

    return store


def _message(reply: Reply, missing: str, *, top_level_first: bool = True) -> str:
    body = reply.body()
    data = body.get("data")
    candidates = [body.get("message"), data.get("message") if isinstance(data, dict) else None]
    if not top_level_first:
        candidates.reverse()
    for candidate in candidates:
        if isinstance(candidate, str) and candidate:
            return candidate
    raise reply.malformed(missing)


def _sent_notice(model: type[M], missing: str) -> Callable[[Reply], M]:
    """Magic-link and password-reset requests: message at the top level or in ``data``."""

    def parse(reply: Reply) -> M:
        message = _message(reply, missing)
        data = reply.data_object()
        fields = {"email": data.get("email"), "sent_at": data.get("sent_at"), "message": message}
        return reply.model(model, fields)

    return parse


def _with_user(model: type[M], missing: str) -> Callable[[Reply], M]:
    """Register and verify-magic-link: ``user``, ``tokens`` and ``message`` at the top level
    (``data`` is read as a fallback, which newer servers use)."""

    def parse(reply: Reply) -> M:
        body = reply.body()
        data = reply.data_object()
        user = body.get("user") or data.get("user")
        if not isinstance(user, dict):
            raise reply.malformed(missing)
        tokens = body.get("tokens")
        if not isinstance(tokens, dict):
            tokens = data.get("tokens") if isinstance(data.get("tokens"), dict) else None
        message = body.get("message") or data.get("message")
        return reply.model(model, {"user": user, "tokens": tokens, "message": message})

    return parse


class AuthResource(Resource[E]):
    """Authentication: sign in, register, magic links, wallets, password reset, profile."""

    AUTH_PREFIX = AUTH_PREFIX

    @property
    def _storage(self) -> TokenStorage | None:
        return self._credentials.storage

    @endpoint
    def request_nonce(self, *, wallet_address: str, chain: str | None = None) -> NonceResponse:
        """Ask for a message to sign with a wallet (``chain`` is ``ethereum`` or ``solana``).

        Example:
            >>> nonce = spaps.auth.request_nonce(wallet_address="0xabc...", chain="ethereum")
            >>> signature = wallet.sign(nonce.message)
        """
        body: dict[str, Any] = {"wallet_address": wallet_address}
        if chain:
            body["chain"] = chain
        return self._request(
            _AUTH.key(
                "POST",
                "/nonce",
                lambda reply: reply.model(NonceResponse, reply.data()),
                json=body,
            )
        )

    @endpoint
    def verify_wallet(
        self, *, wallet_address: str, signature: str, message: str, chain: str | None = None
    ) -> TokenPair:
        """Sign in with a wallet signature over the nonce message; stores the tokens."""
        body: dict[str, Any] = {
            "wallet_address": wallet_address,
            "signature": signature,
            "message": message,
        }
        if chain:
            body["chain_type"] = chain
        return self._request(
            _AUTH.key(
                "POST",
                "/wallet-sign-in",
                token_pair,
                json=body,
                on_success=store_pair(self._storage),
            )
        )

    @endpoint
    def sign_in_with_password(self, *, email: str, password: str) -> TokenPair:
        """Sign in with e-mail and password; stores the tokens.

        Example:
            >>> tokens = spaps.auth.sign_in_with_password(
            ...     email="user@example.com", password="Secret123!"
            ... )
            >>> tokens.user.email
            'user@example.com'
        """
        return self._request(
            _AUTH.key(
                "POST",
                "/login",
                token_pair,
                json={"email": email, "password": password},
                on_success=store_pair(self._storage),
            )
        )

    @endpoint
    def refresh_tokens(self, *, refresh_token: str | None = None) -> TokenPair:
        """Exchange a refresh token for new tokens (the stored one when not given); stores
        them. The SDK also does this by itself when a token expires."""
        if not refresh_token:
            stored = self._storage.load() if self._storage is not None else None
            refresh_token = stored.refresh_token if stored is not None else None
        if not refresh_token:
            raise MissingAccessTokenError("A refresh token is required to refresh the session")
        return self._request(refresh_operation(refresh_token, self._storage))

    @endpoint
    def register(
        self,
        *,
        email: str,
        password: str,
        username: str | None = None,
        phone_number: str | None = None,
    ) -> RegistrationResponse:
        """Create an account. With auto-login the response carries tokens, which are stored."""
        body = compact(email=email, password=password, username=username, phone_number=phone_number)
        return self._request(
            _AUTH.key(
                "POST",
                "/register",
                _with_user(RegistrationResponse, "Registration response missing user payload"),
                json=body,
                on_success=_store_embedded(self._storage),
            )
        )

    @endpoint
    def send_magic_link(self, *, email: str) -> MagicLinkSendResponse:
        """E-mail a one-time sign-in link (on ``spaps local`` it lands in ``/_dev/mailbox``)."""
        return self._request(
            _AUTH.key(
                "POST",
                "/magic-link",
                _sent_notice(MagicLinkSendResponse, "Magic link response missing message"),
                json={"email": email},
            )
        )

    @endpoint
    def verify_magic_link(self, *, token: str, type: str = "magiclink") -> MagicLinkAuthResponse:
        """Exchange the token from a magic link for a session; stores the tokens."""
        return self._request(
            _AUTH.key(
                "POST",
                "/verify-magic-link",
                _with_user(MagicLinkAuthResponse, "Magic link verification response missing user"),
                json={"token": token, "type": type},
                on_success=_store_embedded(self._storage),
            )
        )

    @endpoint
    def get_current_user(self, *, access_token: str | None = None) -> UserProfile:
        """The signed-in user's profile, with linked wallets.

        Example:
            >>> profile = spaps.auth.get_current_user()
            >>> print(profile.id, profile.email, profile.tier)
        """

        def parse(reply: Reply) -> UserProfile:
            body = reply.body()
            data = body.get("data")
            user = (
                data.get("user") if isinstance(data, dict) and "user" in data else body.get("user")
            )
            if not isinstance(user, dict):
                raise reply.malformed("User profile response missing user payload")
            return reply.model(UserProfile, user)

        return self._request(
            _AUTH.bearer(
                "GET",
                "/user",
                parse,
                access_token,
                missing_token_message="Access token is required to fetch the current user profile",
            )
        )

    @endpoint
    def logout(self, *, access_token: str | None = None) -> MessageResponse:
        """Revoke the current session on the server, then forget the stored tokens."""
        storage = self._storage

        def parse(reply: Reply) -> MessageResponse:
            if reply.is_empty:
                return MessageResponse(message="Successfully logged out")
            return MessageResponse(
                message=_message(reply, "Logout response missing message", top_level_first=False)
            )

        def forget(_: MessageResponse) -> None:
            if storage is not None:
                storage.clear()

        return self._request(
            _AUTH.bearer(
                "POST",
                "/logout",
                parse,
                access_token,
                missing_token_message="Access token is required for logout",
                on_success=forget,
            )
        )

    @endpoint
    def request_password_reset(
        self, *, email: str, redirect_url: str | None = None
    ) -> PasswordResetRequestResponse:
        """E-mail a password-reset link. The answer is the same whether or not the account
        exists."""
        return self._request(
            _AUTH.key(
                "POST",
                "/password-reset",
                _sent_notice(
                    PasswordResetRequestResponse, "Password reset response missing message"
                ),
                json=compact(email=email, redirect_url=redirect_url),
            )
        )

    @endpoint
    def confirm_password_reset(self, *, token: str, new_password: str) -> MessageResponse:
        """Set a new password with the token from the reset e-mail."""
        return self._request(
            _AUTH.key(
                "POST",
                "/reset-password-confirm",
                lambda reply: MessageResponse(
                    message=_message(reply, "Password reset confirmation response missing message")
                ),
                json={"token": token, "new_password": new_password},
            )
        )

    def get_stored_tokens(self) -> StoredTokens | None:
        """The tokens in the token storage, or ``None``."""
        return self._storage.load() if self._storage is not None else None

    def clear_stored_tokens(self) -> None:
        """Forget the stored tokens (no request is made)."""
        if self._storage is not None:
            self._storage.clear()


class AuthClient(SyncResource, AuthResource[SyncEngine]):
    """Blocking auth sub-client (``spaps.auth``)."""


class AsyncAuthClient(AsyncResource, AuthResource[AsyncEngine]):
    """Asyncio auth sub-client (``client.auth``); every endpoint is a coroutine."""
