"""Auth sub-client, its error and models (import path of the published client)."""

from .errors import AuthError
from .models.auth import (
    MagicLinkAuthResponse,
    MagicLinkSendResponse,
    MessageResponse,
    NonceResponse,
    PasswordResetRequestResponse,
    RegistrationResponse,
    RegistrationTokens,
    RegistrationUser,
    TokenPair,
    TokenUser,
    UserProfile,
    UserWallet,
)
from .resources.auth import AuthClient

__all__ = [
    "AuthClient",
    "AuthError",
    "MagicLinkAuthResponse",
    "MagicLinkSendResponse",
    "MessageResponse",
    "NonceResponse",
    "PasswordResetRequestResponse",
    "RegistrationResponse",
    "RegistrationTokens",
    "RegistrationUser",
    "TokenPair",
    "TokenUser",
    "UserProfile",
    "UserWallet",
]
