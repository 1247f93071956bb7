"""``/api/auth/*`` (protocol §3.2, endpoints #1-#11) and the pages e-mailed links open.

Thin: parse the body, call the sign-in service (password accounts, one-time links, wallet
sign-in, session tokens), respond with the declared envelope. Where the contract reads
``tokens``/``user``/``message`` at the top level, the envelope schema declares them
(Appendix A items 3-5).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field

from ..config import ServerConfig
from ..domain.errors import DomainError
from ..http.deps import Ctx, CurrentApplication, CurrentPrincipal
from ..http.envelopes import Envelope, EnvelopeJSONResponse, respond
from ..http.pages import esc, page, site_nav
from ..schemas.auth import (
    LinkSent,
    MagicLinkEnvelope,
    MagicLinkSignIn,
    NonceOut,
    RegisteredUser,
    RegisterEnvelope,
    TokenPair,
    UserOut,
)
from ..schemas.common import MessageEnvelope, MessageOut
from ..services.auth_common import ClientInfo

router = APIRouter(prefix="/api/auth", tags=["auth"])
pages_router = APIRouter(tags=["auth pages"])

_Secret = Field(min_length=1, max_length=4096)


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=False)


class NonceRequest(_Body):
    wallet_address: str = Field(min_length=1, max_length=128)
    chain: str | None = Field(default=None, max_length=32)


class WalletSignInRequest(_Body):
    wallet_address: str = Field(min_length=1, max_length=128)
    signature: str = _Secret
    message: str = Field(min_length=1, max_length=4096)
    chain_type: str | None = Field(default=None, max_length=32)


class LoginRequest(_Body):
    email: str = Field(max_length=320)
    password: str = Field(max_length=4096)


class RefreshRequest(_Body):
    refresh_token: str = _Secret


class RegisterRequest(_Body):
    email: str = Field(max_length=320)
    password: str = Field(max_length=4096)
    username: str | None = Field(default=None, max_length=100)
    phone_number: str | None = Field(default=None, max_length=64)


class MagicLinkRequest(_Body):
    email: str = Field(max_length=320)
    redirect_url: str | None = Field(default=None, max_length=2048)


class VerifyMagicLinkRequest(_Body):
    token: str = _Secret
    type: str = Field(default="magiclink", max_length=32)


class PasswordResetRequest(_Body):
    email: str = Field(max_length=320)
    redirect_url: str | None = Field(default=None, max_length=2048)


class PasswordResetConfirmRequest(_Body):
    token: str = _Secret
    new_password: str = Field(max_length=4096)


def client_info(request: Request) -> ClientInfo:
    """The caller's address and user agent as plain values for the services."""
    host = request.client.host if request.client else None
    agent = request.headers.get("user-agent")
    return ClientInfo(ip_address=host, user_agent=agent[:512] if agent else None)


@router.post(
    "/nonce", summary="Issue a wallet sign-in message (#1)", response_model=Envelope[NonceOut]
)
async def request_nonce(
    body: NonceRequest, app: CurrentApplication, ctx: Ctx, request: Request
) -> EnvelopeJSONResponse:
    """``data = {nonce, message, wallet_address, chain, expires_at}``; sign ``message``."""
    nonce = await ctx.wallets.request_nonce(
        app.id, wallet_address=body.wallet_address, chain=body.chain, client=client_info(request)
    )
    return respond(Envelope[NonceOut](data=nonce))


@router.post(
    "/wallet-sign-in",
    summary="Sign in with a signed nonce message (#2)",
    response_model=Envelope[TokenPair],
)
async def wallet_sign_in(
    body: WalletSignInRequest, app: CurrentApplication, ctx: Ctx, request: Request
) -> EnvelopeJSONResponse:
    """A token pair whose ``user`` carries ``wallet_address`` and ``chain``."""
    pair = await ctx.wallets.sign_in(
        app.id,
        wallet_address=body.wallet_address,
        signature=body.signature,
        message=body.message,
        chain=body.chain_type,
        client=client_info(request),
    )
    return respond(Envelope[TokenPair](data=pair))


@router.post(
    "/login", summary="Sign in with e-mail and password (#3)", response_model=Envelope[TokenPair]
)
async def login(
    body: LoginRequest, app: CurrentApplication, ctx: Ctx, request: Request
) -> EnvelopeJSONResponse:
    """``data = {access_token, refresh_token, expires_in, token_type, user}``."""
    pair = await ctx.password_auth.login(
        app.id, email=body.email, password=body.password, client=client_info(request)
    )
    return respond(Envelope[TokenPair](data=pair))


@router.post(
    "/refresh",
    summary="Exchange a refresh token for a new pair (#4)",
    response_model=Envelope[TokenPair],
)
async def refresh(body: RefreshRequest, app: CurrentApplication, ctx: Ctx) -> EnvelopeJSONResponse:
    """Rotates the refresh token; a spent one revokes the session (``REFRESH_TOKEN_REUSED``)."""
    pair = await ctx.session_tokens.refresh(app.id, refresh_token=body.refresh_token)
    return respond(Envelope[TokenPair](data=pair))


@router.post(
    "/register",
    summary="Create a password account (#5)",
    status_code=201,
    response_model=RegisterEnvelope,
)
async def register(
    body: RegisterRequest, app: CurrentApplication, ctx: Ctx, request: Request
) -> EnvelopeJSONResponse:
    """201. Auto-login: top-level ``tokens``, ``user``, ``message``. With e-mail confirmation
    required: ``data.user`` and a top-level ``message``."""
    result = await ctx.password_auth.register(
        app.id,
        email=body.email,
        password=body.password,
        username=body.username,
        phone_number=body.phone_number,
        client=client_info(request),
    )
    envelope = RegisterEnvelope(
        data=RegisteredUser(user=result.user),
        message=result.message,
        tokens=result.tokens,
        user=result.user if result.tokens is not None else None,
    )
    return respond(envelope, status_code=201)


@router.post(
    "/magic-link", summary="E-mail a sign-in link (#6)", response_model=MessageEnvelope[LinkSent]
)
async def send_magic_link(
    body: MagicLinkRequest, app: CurrentApplication, ctx: Ctx, request: Request
) -> EnvelopeJSONResponse:
    """Top-level ``message``; ``data = {email, sent_at}``. An optional ``redirect_url`` must
    be of one of the application's redirect origins (400 ``INVALID_REDIRECT_URL``)."""
    sent = await ctx.links.send_magic_link(
        app.id, email=body.email, redirect_url=body.redirect_url, client=client_info(request)
    )
    message = "Magic link sent successfully. Please check your email."
    return respond(MessageEnvelope[LinkSent](data=sent, message=message))


@router.post(
    "/verify-magic-link",
    summary="Sign in with a magic-link token (#7)",
    response_model=MagicLinkEnvelope,
)
async def verify_magic_link(
    body: VerifyMagicLinkRequest, app: CurrentApplication, ctx: Ctx, request: Request
) -> EnvelopeJSONResponse:
    """Top-level ``tokens``, ``user`` and ``message``; 401 ``INVALID_TOKEN`` for an unknown,
    expired or used token."""
    pair = await ctx.links.verify_magic_link(app.id, token=body.token, client=client_info(request))
    message = "Magic link authentication successful"
    envelope = MagicLinkEnvelope(
        data=MagicLinkSignIn(message=message, user=pair.user),
        message=message,
        tokens=pair.tokens(),
        user=pair.user,
    )
    return respond(envelope)


@router.get("/user", summary="The signed-in user's profile (#8)", response_model=Envelope[UserOut])
async def current_user(principal: CurrentPrincipal, ctx: Ctx) -> EnvelopeJSONResponse:
    """``data.user`` with ``wallets`` as objects ``{wallet_address, chain_type, verified}``."""
    profile = await ctx.accounts.current_user(principal)
    return respond(Envelope[UserOut](data=UserOut(user=profile)))


@router.post(
    "/logout", summary="Revoke the current session (#9)", response_model=Envelope[MessageOut]
)
async def logout(principal: CurrentPrincipal, ctx: Ctx) -> EnvelopeJSONResponse:
    """``data.message``; the session and its refresh token stop working at once."""
    await ctx.session_tokens.logout(principal)
    return respond(Envelope[MessageOut](data=MessageOut(message="Successfully logged out")))


@router.post(
    "/password-reset",
    summary="E-mail a password-reset link (#10)",
    response_model=MessageEnvelope[LinkSent],
)
async def request_password_reset(
    body: PasswordResetRequest, app: CurrentApplication, ctx: Ctx, request: Request
) -> EnvelopeJSONResponse:
    """The same answer whether or not the account exists; a ``redirect_url`` outside the
    application's redirect origins is 400 ``INVALID_REDIRECT_URL``."""
    sent = await ctx.links.request_password_reset(
        app.id, email=body.email, redirect_url=body.redirect_url, client=client_info(request)
    )
    message = "If an account with this email exists, a password reset link has been sent."
    return respond(MessageEnvelope[LinkSent](data=sent, message=message))


@router.post(
    "/reset-password-confirm",
    summary="Set a new password with a reset token (#11)",
    response_model=MessageEnvelope[MessageOut],
)
async def confirm_password_reset(
    body: PasswordResetConfirmRequest, app: CurrentApplication, ctx: Ctx, request: Request
) -> EnvelopeJSONResponse:
    """Top-level ``message``; every session of the user is revoked."""
    await ctx.links.confirm_password_reset(
        app.id, token=body.token, new_password=body.new_password, client=client_info(request)
    )
    message = "Password reset successfully. You can now log in with your new password."
    return respond(MessageEnvelope[MessageOut](data=MessageOut(message=message), message=message))


# --- pages opened from e-mailed links (no API key: a browser opens them) ----------------

TokenQuery = Annotated[str, Query(min_length=1, max_length=4096)]


def _token_page(
    config: ServerConfig, title: str, intro: str, token: str, snippet: str
) -> HTMLResponse:
    body = (
        f"<h1>{esc(title)}</h1><p>{esc(intro)}</p>"
        f"<h2>Token</h2><pre id='token'>{esc(token)}</pre>"
        f"<h2>Use it</h2><pre>{esc(snippet)}</pre>"
        "<p class='muted'>The token works once. Treat it like a password.</p>"
    )
    return HTMLResponse(
        page(f"SPAPS: {title}", body, nav=site_nav(config.dev_pages)),
        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
    )


@pages_router.get("/auth/magic-link", response_class=HTMLResponse, summary="Magic-link page")
async def magic_link_page(ctx: Ctx, token: TokenQuery) -> HTMLResponse:
    """Shows the sign-in token from the e-mail and how to exchange it (the page itself does
    not spend it, so link scanners cannot burn it)."""
    return _token_page(
        ctx.config,
        "Sign in with this link",
        "Exchange this token for a session in your application:",
        token,
        f'spaps.auth.verify_magic_link(token="{token}")',
    )


@pages_router.get(
    "/auth/reset-password", response_class=HTMLResponse, summary="Password-reset page"
)
async def reset_password_page(ctx: Ctx, token: TokenQuery) -> HTMLResponse:
    """Shows the reset token from the e-mail and how to use it."""
    return _token_page(
        ctx.config,
        "Reset your password",
        "Choose a new password with this token:",
        token,
        f'spaps.auth.confirm_password_reset(token="{token}", new_password="...")',
    )


@pages_router.get(
    "/auth/confirm-email", response_class=HTMLResponse, summary="E-mail confirmation page"
)
async def confirm_email_page(ctx: Ctx, token: TokenQuery) -> HTMLResponse:
    """Confirms the address of a new account (register with e-mail confirmation on)."""
    try:
        address = await ctx.links.confirm_email(token)
    except DomainError as exc:
        body = f"<h1>Link not valid</h1><p>{esc(exc.message)}</p>"
        return HTMLResponse(
            page("SPAPS: e-mail confirmation", body, nav=site_nav(ctx.config.dev_pages)),
            status_code=400,
        )
    body = f"<h1>E-mail confirmed</h1><p><code>{esc(address)}</code> can now sign in.</p>"
    return HTMLResponse(
        page("SPAPS: e-mail confirmation", body, nav=site_nav(ctx.config.dev_pages))
    )
