"""spaps: the Python SDK for SPAPS, the Sweet Potato Authentication & Payment Service.

Quickstart::

    from spaps_client import SpapsClient

    with SpapsClient(base_url="http://localhost:3300", api_key="test_key_local_dev_only") as spaps:
        spaps.auth.sign_in_with_password(email="user@example.com", password="Secret123!")
        print(spaps.sessions.get_current_session().session_id)

Importing this package is cheap: every public name is loaded from its module on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__

# Public name -> the module (relative to this package) that defines it.
_EXPORTS: dict[str, str] = {}


def _export(module: str, *names: str) -> None:
    for name in names:
        _EXPORTS[name] = module


_export(".client", "SpapsClient")
_export(".async_client", "AsyncSpapsClient")
_export(".config", "Settings", "create_http_client", "DEFAULT_API_KEY", "DEFAULT_BASE_URL",
        "DEFAULT_TIMEOUT")  # fmt: skip
_export(".http", "RetryClient", "RetryConfig", "LoggingHooks", "default_logging_hooks")
_export(".http_async", "RetryAsyncClient")
_export(".storage", "StoredTokens", "TokenStorage", "InMemoryTokenStorage", "FileTokenStorage")
_export(
    ".errors",
    "SpapsError",
    "AuthError",
    "SessionError",
    "PaymentsError",
    "CryptoPaymentsError",
    "UsageError",
    "WhitelistError",
    "SecureMessagesError",
    "MetricsError",
    "SpapsConnectionError",
    "SpapsTimeoutError",
    "MalformedResponseError",
    "MissingAccessTokenError",
    "BadRequestError",
    "AuthenticationError",
    "PermissionDeniedError",
    "NotFoundError",
    "ConflictError",
    "RateLimitError",
    "InternalServerError",
)
_export(".error_codes", "ErrorCode")
_export(".resources.auth", "AuthClient", "AsyncAuthClient")
_export(".resources.sessions", "SessionsClient", "AsyncSessionsClient")
_export(".resources.payments", "PaymentsClient", "AsyncPaymentsClient")
_export(".resources.crypto", "CryptoPaymentsClient", "AsyncCryptoPaymentsClient")
_export(".resources.usage", "UsageClient", "AsyncUsageClient")
_export(".resources.whitelist", "WhitelistClient", "AsyncWhitelistClient")
_export(".resources.secure_messages", "SecureMessagesClient", "AsyncSecureMessagesClient")
_export(".resources.metrics", "MetricsClient", "AsyncMetricsClient")
_export(
    ".models.auth",
    "NonceResponse",
    "TokenUser",
    "TokenPair",
    "RegistrationTokens",
    "RegistrationUser",
    "RegistrationResponse",
    "MagicLinkSendResponse",
    "MagicLinkAuthResponse",
    "MessageResponse",
    "PasswordResetRequestResponse",
    "UserWallet",
    "UserProfile",
)
_export(
    ".models.sessions",
    "SessionSummary",
    "SessionValidationResult",
    "SessionRecord",
    "SessionListResult",
    "SessionTouchResult",
    "SessionRevokeResult",
)
_export(
    ".models.payments",
    "CheckoutSession",
    "PaymentIntent",
    "WalletDeposit",
    "WalletTransaction",
    "BalanceAmounts",
    "UsageSummary",
    "BalanceOverview",
    "PaymentMethodUpdateResult",
    "SubscriptionItemPriceRecurring",
    "SubscriptionItemPrice",
    "SubscriptionItem",
    "SubscriptionPlan",
    "SubscriptionDetail",
    "SubscriptionCancellation",
    "SubscriptionList",
    "CheckoutSessionDetails",
    "CheckoutSessionSummary",
    "CheckoutSessionList",
    "ExpireCheckoutSessionResult",
    "GuestCheckoutSession",
    "GuestCheckoutSessionSummary",
    "GuestCheckoutSessionList",
    "GuestCheckoutConversionResult",
    "PaymentRecord",
    "PaymentHistory",
    "ProductPrice",
    "Product",
    "ProductList",
)
_export(".models.crypto", "CryptoInvoice", "CryptoInvoiceStatus", "CryptoReconcileJob")
_export(
    ".models.usage",
    "UsagePeriod",
    "UsageFeature",
    "UsageFeaturesResponse",
    "UsageRecordUsage",
    "UsageRecordResult",
    "UsageHistoryEntry",
    "UsageHistoryResponse",
)
_export(
    ".models.whitelist",
    "WhitelistEntry",
    "WhitelistCheckResult",
    "WhitelistListResult",
    "WhitelistMessage",
)
_export(".models.secure_messages", "SecureMessage")
_export(
    ".permissions",
    "AdminConfig",
    "PermissionCheckResult",
    "PermissionChecker",
    "DEFAULT_ADMIN_ACCOUNTS",
    "is_admin_account",
    "get_user_role",
    "has_permission",
    "can_access_admin",
    "get_role_aware_error_message",
    "get_user_display",
    "create_permission_checker",
    "default_permission_checker",
)
_export(
    ".webhooks",
    "verify_crypto_webhook_signature",
    "verify_spaps_webhook",
    "WebhookEvent",
    "WebhookVerificationError",
    "EntitlementEvent",
    "generate_test_signature",
    "generate_test_payload",
    "parse_entitlement_event",
)

__all__ = ["__version__", *sorted(_EXPORTS)]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


if TYPE_CHECKING:
    from .async_client import AsyncSpapsClient as AsyncSpapsClient
    from .client import SpapsClient as SpapsClient
    from .config import Settings as Settings
    from .config import create_http_client as create_http_client
    from .error_codes import ErrorCode as ErrorCode
    from .errors import AuthenticationError as AuthenticationError
    from .errors import AuthError as AuthError
    from .errors import BadRequestError as BadRequestError
    from .errors import ConflictError as ConflictError
    from .errors import CryptoPaymentsError as CryptoPaymentsError
    from .errors import InternalServerError as InternalServerError
    from .errors import MalformedResponseError as MalformedResponseError
    from .errors import MetricsError as MetricsError
    from .errors import MissingAccessTokenError as MissingAccessTokenError
    from .errors import NotFoundError as NotFoundError
    from .errors import PaymentsError as PaymentsError
    from .errors import PermissionDeniedError as PermissionDeniedError
    from .errors import RateLimitError as RateLimitError
    from .errors import SecureMessagesError as SecureMessagesError
    from .errors import SessionError as SessionError
    from .errors import SpapsConnectionError as SpapsConnectionError
    from .errors import SpapsError as SpapsError
    from .errors import SpapsTimeoutError as SpapsTimeoutError
    from .errors import UsageError as UsageError
    from .errors import WhitelistError as WhitelistError
    from .http import LoggingHooks as LoggingHooks
    from .http import RetryClient as RetryClient
    from .http import RetryConfig as RetryConfig
    from .http import default_logging_hooks as default_logging_hooks
    from .http_async import RetryAsyncClient as RetryAsyncClient
    from .permissions import PermissionChecker as PermissionChecker
    from .storage import FileTokenStorage as FileTokenStorage
    from .storage import InMemoryTokenStorage as InMemoryTokenStorage
    from .storage import StoredTokens as StoredTokens
    from .storage import TokenStorage as TokenStorage
