"""Models of the ``/api/secure-messages`` endpoints."""

from __future__ import annotations

from typing import Any

from pydantic import AliasChoices, Field

from ._base import SpapsModel

__all__ = ["SecureMessage"]


class SecureMessage(SpapsModel):
    """A message between a patient and a practitioner.

    Responses use snake_case; the camelCase spelling of the request body is accepted as well.
    """

    id: str
    application_id: str | None = Field(
        default=None, validation_alias=AliasChoices("application_id", "applicationId")
    )
    patient_id: str = Field(validation_alias=AliasChoices("patient_id", "patientId"))
    practitioner_id: str = Field(validation_alias=AliasChoices("practitioner_id", "practitionerId"))
    content: str
    metadata: dict[str, Any] | None = None
    created_at: str | None = Field(
        default=None, validation_alias=AliasChoices("created_at", "createdAt")
    )
