"""Compatibility import path ``spaps_client.secure_messages``: re-exports only.

Secure-messages sub-client, its error and model;
the code lives in ``spaps_client.resources`` and ``spaps_client.models``.
"""

from .errors import SecureMessagesError
from .models.secure_messages import SecureMessage
from .resources.secure_messages import SecureMessagesClient

__all__ = ["SecureMessage", "SecureMessagesClient", "SecureMessagesError"]
