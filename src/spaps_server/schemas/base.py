"""What every wire schema shares: the base model, fields that are absent rather than
``null``, and the serialiser that honours them. Timestamps are strings formatted by
:func:`spaps_server.domain.clock.iso`."""

from __future__ import annotations

import functools
import typing
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict
from pydantic.fields import FieldInfo

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


def _omittable(field: FieldInfo) -> bool:
    return any(meta is OMIT_WHEN_NONE for meta in field.metadata)


@functools.cache
def _fields_of(model_class: type[BaseModel]) -> tuple[tuple[str, bool], ...]:
    """Each field's name and whether it is omittable, once per class."""
    return tuple((name, _omittable(field)) for name, field in model_class.model_fields.items())


def _may_omit(model_class: type[BaseModel], seen: set[type[BaseModel]]) -> bool:
    if model_class in seen:
        return False  # already being looked at further up
    seen.add(model_class)
    for field in model_class.model_fields.values():
        if _omittable(field):
            return True
        pending: list[Any] = [field.annotation]
        while pending:
            kind = pending.pop()
            if kind is Any or kind is object or kind is BaseModel or isinstance(kind, TypeVar):
                return True  # could hold any model
            if isinstance(kind, type) and issubclass(kind, BaseModel):
                if _may_omit(kind, seen):
                    return True
                continue
            pending.extend(typing.get_args(kind))
    return False


@functools.cache
def _never_omits(model_class: type[BaseModel]) -> bool:
    """Whether no instance of ``model_class`` can hold an omittable field, at any depth
    (then :func:`_absent` has nothing to find)."""
    return not _may_omit(model_class, set())


def _absent(model: BaseModel) -> dict[Any, Any]:
    """The ``exclude`` argument of ``model_dump`` that drops every omittable ``None``."""
    out: dict[Any, Any] = {}
    if _never_omits(type(model)):
        return out
    for name, omittable in _fields_of(type(model)):
        value = getattr(model, name)
        if value is None:
            if omittable:
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


# Core-schema node types whose values pydantic's JSON writer may spell differently from the
# standard library's: floats (``1e-7`` for ``1e-07``, and ``null`` for a non-finite number,
# which the standard encoder refuses) and free-form values (which may hold floats).
_INEXACT_SCHEMA_TYPES = frozenset({"float", "any"})


def _schema_types(node: object, found: set[str]) -> set[str]:
    if isinstance(node, dict):
        kind = node.get("type")
        if isinstance(kind, str):
            found.add(kind)
        if "serialization" in node:
            found.add("any")  # a custom serializer may return anything
        for key, child in node.items():
            if key != "metadata":
                _schema_types(child, found)
    elif isinstance(node, list | tuple):
        for child in node:
            _schema_types(child, found)
    return found


@functools.cache
def _json_writer_is_exact(model_class: type[BaseModel]) -> bool:
    """Whether pydantic's JSON for ``model_class`` is byte for byte what ``json.dumps`` of
    :func:`wire_json` writes (compact, non-ASCII kept): true when the schema holds only
    strings, integers, booleans, nulls, literals and containers of them."""
    schema = model_class.__pydantic_core_schema__
    return not (_schema_types(schema, set()) & _INEXACT_SCHEMA_TYPES)


def wire_bytes(model: BaseModel) -> bytes | None:
    """``model`` as the compact UTF-8 JSON sent on the wire, written by pydantic in one step,
    or ``None`` when its schema holds values pydantic would write differently (then encode
    :func:`wire_json` with the standard library)."""
    if not _json_writer_is_exact(type(model)):
        return None
    return model.model_dump_json(by_alias=True, exclude=_absent(model) or None).encode()
