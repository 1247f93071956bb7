"""``/api/secure-messages``: messages between patients and practitioners.

The bearer token is sent whenever one is available (from ``access_token_override``, the
sub-client or the token storage); without one the call goes out with the API key alone. Sync
and async behave the same (contract D12).
"""

from __future__ import annotations

from typing import Any

from .._engine import AsyncEngine, Auth, Operation, SyncEngine
from .._envelope import Reply
from .._resource import AsyncResource, E, Resource, SyncResource, endpoint
from ..errors import SecureMessagesError
from ..models.secure_messages import SecureMessage

__all__ = ["AsyncSecureMessagesClient", "SecureMessagesClient", "SecureMessagesResource"]

SECURE_MESSAGES_PREFIX = "/api/secure-messages"


def _message(reply: Reply) -> SecureMessage:
    return reply.model(SecureMessage, reply.data_or_body())


def _messages(reply: Reply) -> list[SecureMessage]:
    return reply.models(SecureMessage, reply.data_or_body().get("messages"))


class SecureMessagesResource(Resource[E]):
    """Create and list secure messages."""

    SECURE_MESSAGES_PREFIX = SECURE_MESSAGES_PREFIX

    @endpoint
    def create_message(
        self,
        *,
        patient_id: str,
        practitioner_id: str,
        content: str,
        metadata: dict[str, Any] | None = None,
        access_token_override: str | None = None,
    ) -> SecureMessage:
        """Store a message between a patient and a practitioner.

        Example:
            >>> message = spaps.secure_messages.create_message(
            ...     patient_id="patient-123",
            ...     practitioner_id="practitioner-456",
            ...     content="Encrypted payload",
            ...     metadata={"urgency": "high"},
            ... )
            >>> print(message.id, message.created_at)
        """
        # The service reads a camelCase request and answers in snake_case.
        body: dict[str, Any] = {
            "patientId": patient_id,
            "practitionerId": practitioner_id,
            "content": content,
        }
        if metadata is not None:
            body["metadata"] = metadata
        return self._request(
            Operation(
                "POST",
                SECURE_MESSAGES_PREFIX,
                _message,
                SecureMessagesError,
                auth=Auth.OPTIONAL_BEARER,
                access_token=access_token_override,
                json=body,
            )
        )

    @endpoint
    def list_messages(self, *, access_token_override: str | None = None) -> list[SecureMessage]:
        """The messages visible to the caller (an empty list when there are none).

        Example:
            >>> for message in spaps.secure_messages.list_messages():
            ...     print(message.patient_id, message.content)
        """
        return self._request(
            Operation(
                "GET",
                SECURE_MESSAGES_PREFIX,
                _messages,
                SecureMessagesError,
                auth=Auth.OPTIONAL_BEARER,
                access_token=access_token_override,
            )
        )


class SecureMessagesClient(SyncResource, SecureMessagesResource[SyncEngine]):
    """Blocking secure-messages sub-client (``spaps.secure_messages``)."""


class AsyncSecureMessagesClient(AsyncResource, SecureMessagesResource[AsyncEngine]):
    """Asyncio secure-messages sub-client (``client.secure_messages``); every endpoint is a
    coroutine."""
