"""Secure-messages sub-client, its error and model (import path of the published client)."""

from .errors import SecureMessagesError
from .models.secure_messages import SecureMessage
from .resources.secure_messages import SecureMessagesClient

__all__ = ["SecureMessage", "SecureMessagesClient", "SecureMessagesError"]
