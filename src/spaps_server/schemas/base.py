"""What every wire schema shares: the base model, fields that are absent rather than
``null``, and the serialiser that honours them. Timestamps are strings formatted by
:func:`spaps_server.domain.clock.iso`."""

from __future__ import annotations

from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict

T = TypeVar("T")


class _OmitWhenNone:
    """Marks a field the contract leaves out, rather than sending ``null``, when unset."""

    def __repr__(self) -> str:
        return "OMIT_WHEN_NONE"


OMIT_WHEN_NONE = _OmitWhenNone()

Omittable = Annotated[T | None, OMIT_WHEN_NONE]
"""``Omittable[X]``: an ``X`` when present; ``None`` leaves the key out of the body. Give
the field the default ``None`` so the schema shows it as optional."""


class WireModel(BaseModel):
    """Base of every wire schema. Frozen: a body is built once, then serialised."""

    model_config = ConfigDict(frozen=True)


class Envelope(WireModel, Generic[T]):
    """The success envelope ``{"success": true, "data": ...}``: the ``response_model`` of a
    route and the object it responds with (``spaps_server.http.envelopes.respond``)."""

    success: Literal[True] = True
    data: T


def _absent(model: BaseModel) -> dict[Any, Any]:
    """The ``exclude`` argument of ``model_dump`` that drops every omittable ``None``."""
    out: dict[Any, Any] = {}
    for name, field in type(model).model_fields.items():
        value = getattr(model, name)
        if value is None:
            if any(meta is OMIT_WHEN_NONE for meta in field.metadata):
                out[name] = True
        elif isinstance(value, BaseModel):
            nested = _absent(value)
            if nested:
                out[name] = nested
        elif isinstance(value, list | tuple):
            items = {
                index: nested
                for index, item in enumerate(value)
                if isinstance(item, BaseModel) and (nested := _absent(item))
            }
            if items:
                out[name] = items
    return out


def wire_json(model: BaseModel) -> dict[str, Any]:
    """``model`` as the JSON object sent on the wire (omittable ``None`` fields left out)."""
    return model.model_dump(mode="json", by_alias=True, exclude=_absent(model) or None)
