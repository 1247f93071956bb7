"""Compatibility import path ``spaps_client.secure_messages_async``: re-exports only.

Async secure-messages sub-client;
the code lives in ``spaps_client.resources`` and ``spaps_client.models``.
"""

from .errors import SecureMessagesError
from .models.secure_messages import SecureMessage
from .resources.secure_messages import AsyncSecureMessagesClient

__all__ = ["AsyncSecureMessagesClient", "SecureMessage", "SecureMessagesError"]
