"""The contract's JSON envelopes (protocol §2 and Appendix A).

* success: ``{"success": true, "data": ...}``
* error: ``{"success": false, "error": {"code", "message", "details"?},
  "metadata": {"request_id"}}`` plus an ``X-Request-ID`` header (added by the middleware).

A route declares ``response_model=Envelope[TheirSchema]`` and returns
``respond(Envelope[TheirSchema](data=...))``: the body on the wire is serialised from the same
object whose model ``/openapi.json`` documents, so the two cannot drift. Where the contract puts
keys beside ``data`` (``message``, ``tokens``, ``user`` on some auth routes, protocol §2.1),
subclass the envelope and declare them as fields::

    class RegisterEnvelope(Envelope[RegisterData]):
        message: str
        tokens: Omittable[TokenSet] = None
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Literal

from fastapi.encoders import jsonable_encoder
from pydantic import BaseModel
from starlette.requests import HTTPConnection
from starlette.responses import JSONResponse

from ..domain.error_codes import ErrorCode
from ..schemas.base import Envelope as Envelope  # re-exported: routes import it from here
from ..schemas.base import wire_bytes, wire_json

REQUEST_ID_HEADER = "X-Request-ID"


class ErrorBody(BaseModel):
    """``error`` of the error envelope."""

    code: str
    message: str
    details: Any | None = None


class ErrorMetadata(BaseModel):
    """``metadata`` of the error envelope."""

    request_id: str


class ErrorEnvelope(BaseModel):
    """The error envelope, for documenting responses."""

    success: Literal[False] = False
    error: ErrorBody
    metadata: ErrorMetadata


# json.dumps with any non-default option builds a new encoder on every call.
_COMPACT_JSON = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))


# The error answers every route documents (a router mounted flat, without include-time
# options, declares them itself).
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    "4XX": {"model": ErrorEnvelope, "description": "Error envelope"},
    "5XX": {"model": ErrorEnvelope, "description": "Error envelope"},
}


class EnvelopeJSONResponse(JSONResponse):
    """Compact UTF-8 JSON (``bytes`` content is taken as JSON already written)."""

    def render(self, content: Any) -> bytes:
        if isinstance(content, bytes):
            return content
        return _COMPACT_JSON.encode(content).encode("utf-8")


def request_id_of(conn: HTTPConnection) -> str:
    """The request id the middleware assigned (``req_unknown`` outside of it)."""
    state = conn.scope.get("state") or {}
    return str(state.get("request_id", "req_unknown"))


def respond(
    envelope: Envelope[Any],
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> EnvelopeJSONResponse:
    """The response for a success envelope (see the module documentation)."""
    body = wire_bytes(envelope)
    return EnvelopeJSONResponse(
        wire_json(envelope) if body is None else body,
        status_code=status_code,
        headers=dict(headers or {}),
    )


def ok(
    data: Any,
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> EnvelopeJSONResponse:
    """A success envelope from plain data, for bodies that have no schema of their own
    (the developer pages' JSON). Routes with a schema use :func:`respond`. ``extra`` adds
    top-level keys beside ``data``."""
    body: dict[str, Any] = {"success": True, "data": jsonable_encoder(data)}
    if extra:
        body.update(jsonable_encoder(dict(extra)))
    return EnvelopeJSONResponse(body, status_code=status_code, headers=dict(headers or {}))


def error_content(
    *, code: ErrorCode | str, message: str, request_id: str, details: Any | None = None
) -> dict[str, Any]:
    """The error envelope as a dict. ``code`` is a catalogue member, or a plain string only
    for a status the catalogue has no member for (``HTTP_<status>``)."""
    error: dict[str, Any] = {"code": str(code), "message": message}
    if details is not None:
        error["details"] = jsonable_encoder(details)
    return {"success": False, "error": error, "metadata": {"request_id": request_id}}


def error_response(
    *,
    status_code: int,
    code: ErrorCode | str,
    message: str,
    request_id: str,
    details: Any | None = None,
    headers: Mapping[str, str] | None = None,
) -> EnvelopeJSONResponse:
    """An error envelope response."""
    merged = dict(headers or {})
    merged[REQUEST_ID_HEADER] = request_id
    return EnvelopeJSONResponse(
        error_content(code=code, message=message, request_id=request_id, details=details),
        status_code=status_code,
        headers=merged,
    )
