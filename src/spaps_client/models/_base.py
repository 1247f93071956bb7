"""The base of every response model: lax pydantic v2 that ignores unknown keys."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class SpapsModel(BaseModel):
    """A response model. Unknown keys are ignored so newer servers stay compatible."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True, frozen=False, defer_build=True)


def none_as_empty_list(value: Any) -> Any:
    """Servers send ``null`` for empty lists now and then; read it as ``[]``."""
    return [] if value is None else value
