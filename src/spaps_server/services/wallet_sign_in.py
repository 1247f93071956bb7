"""Wallet sign-in: issue a single-use message for a wallet to sign (a nonce, 5 minutes),
then verify the signed message and sign in, creating the user with the wallet linked on
first sign-in. A nonce is spent by a conditional update, so it works once."""

from __future__ import annotations

import asyncio
import hashlib

from ..domain.clock import Clock, iso
from ..domain.error_codes import ErrorCode
from ..domain.errors import UnauthorizedError
from ..domain.ids import new_id
from ..domain.models import User, UserWallet, WalletNonce
from ..schemas.auth import NonceOut, TokenPair
from ..security.errors import InvalidSignatureError
from ..security.wallets import (
    NONCE_LIFETIME,
    build_nonce_message,
    new_nonce,
    verify_wallet_signature,
)
from ..storage.database import Database
from ..storage.tokens import TokensRepository
from ..storage.users import UsersRepository
from .auth_common import AuthLimits, AuthMetrics, ClientInfo, wallet_identity
from .session_tokens import SessionTokenService
from .users import UserAccounts


def _message_hash(message: str) -> str:
    return hashlib.sha256(message.encode("utf-8")).hexdigest()


class WalletSignInService:
    """Nonces and signed-message sign-in."""

    def __init__(
        self,
        db: Database,
        accounts: UserAccounts,
        tokens: SessionTokenService,
        limits: AuthLimits,
        metrics: AuthMetrics,
        clock: Clock,
    ) -> None:
        self._db = db
        self._accounts = accounts
        self._users: UsersRepository = accounts.repository
        self._nonces = TokensRepository(db)
        self._tokens = tokens
        self._limits = limits
        self._metrics = metrics
        self._clock = clock

    async def request_nonce(
        self, application_id: str, *, wallet_address: str, chain: str | None, client: ClientInfo
    ) -> NonceOut:
        """Issue a sign-in message for a wallet (single use, 5 minutes)."""
        await self._limits.enforce_ip("nonce", client)
        canonical, address = wallet_identity(wallet_address, chain or "ethereum")
        now = self._clock.now().replace(microsecond=0)
        expires = now + NONCE_LIFETIME
        nonce = new_nonce()
        message = build_nonce_message(
            wallet_address=address,
            chain=canonical,
            application_id=application_id,
            nonce=nonce,
            issued_at=now,
            expires_at=expires,
        )
        await self._nonces.insert_nonce(
            WalletNonce(
                id=new_id("non"),
                application_id=application_id,
                wallet_address=address,
                chain_type=canonical,
                nonce=nonce,
                message=message,
                message_hash=_message_hash(message),
                created_at=now,
                expires_at=expires,
            )
        )
        return NonceOut(
            nonce=nonce,
            message=message,
            wallet_address=address,
            chain=canonical,
            expires_at=iso(expires),
        )

    async def sign_in(
        self,
        application_id: str,
        *,
        wallet_address: str,
        signature: str,
        message: str,
        chain: str | None,
        client: ClientInfo,
    ) -> TokenPair:
        """Verify a signed nonce message and sign in (creating the user with the wallet
        linked on first sign-in)."""
        await self._limits.enforce_ip("wallet-sign-in", client)
        canonical, address = wallet_identity(wallet_address, chain)
        await self._limits.enforce("wallet-sign-in:acct", f"{application_id}:{canonical}:{address}")
        try:
            user, wallet = await self._wallet_user(
                application_id, canonical, address, signature, message
            )
        except UnauthorizedError:
            self._metrics.sign_ins.inc(method="wallet", outcome="failure")
            raise
        return await self._tokens.sign_in(user, method="wallet", client=client, wallet=wallet)

    async def _wallet_user(
        self, application_id: str, chain: str, address: str, signature: str, message: str
    ) -> tuple[User, UserWallet]:
        now = self._clock.now()
        issued = await self._nonces.find_nonce(application_id, _message_hash(message))
        if issued is None or issued.wallet_address != address or issued.chain_type != chain:
            raise UnauthorizedError(
                "This message was not issued for this wallet; request a new nonce",
                code=ErrorCode.NONCE_NOT_FOUND,
            )
        used = UnauthorizedError("This nonce was already used", code=ErrorCode.NONCE_ALREADY_USED)
        if issued.used_at is not None:
            raise used
        if now >= issued.expires_at:
            raise UnauthorizedError("This nonce has expired", code=ErrorCode.NONCE_EXPIRED)
        try:
            await asyncio.to_thread(verify_wallet_signature, chain, address, message, signature)
        except InvalidSignatureError as exc:
            raise UnauthorizedError(
                "The signature does not match the wallet", code=exc.code
            ) from None
        async with self._db.begin() as conn:
            if not await self._nonces.spend_nonce(issued.id, now, conn=conn):
                raise used
            wallet = await self._users.find_wallet(application_id, chain, address, conn=conn)
            if wallet is None:
                user = await self._accounts.create_user(application_id, email=None, conn=conn)
                wallet = await self._accounts.link_wallet(
                    user, wallet_address=address, chain=chain, verified=True, conn=conn
                )
                self._metrics.registrations.inc(method="wallet")
                return user, wallet
            if not wallet.verified:
                await self._users.set_wallet_verified(application_id, wallet.id, conn=conn)
            found = await self._users.get(application_id, wallet.user_id, conn=conn)
            if found is None:
                raise UnauthorizedError(
                    "The wallet's user no longer exists", code=ErrorCode.INVALID_TOKEN
                )
            return found, wallet
