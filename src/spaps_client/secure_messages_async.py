"""Async secure-messages sub-client (import path of the published client)."""

from .errors import SecureMessagesError
from .models.secure_messages import SecureMessage
from .resources.secure_messages import AsyncSecureMessagesClient

__all__ = ["AsyncSecureMessagesClient", "SecureMessage", "SecureMessagesError"]
