"""Compatibility import path ``spaps_client.auth``: re-exports only.

Auth sub-client, its error and models;
the code lives in ``spaps_client.resources`` and ``spaps_client.models``.
"""

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
