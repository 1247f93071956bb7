"""Reading SPAPS responses: success envelopes (rules U1-U4 of the contract) and error mapping.

Everything here is pure: it looks at a finished :class:`httpx.Response` and either returns
plain values or raises a :class:`~spaps_client.errors.SpapsError` subclass. Nothing can escape
as ``JSONDecodeError``, ``AttributeError`` or a raw pydantic error.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from . import _json as safe_json
from ._redact import body_snippet
from .errors import SpapsError, malformed_error_class, status_error_class

ModelT = TypeVar("ModelT", bound=BaseModel)

_MISSING: Any = object()


def request_id_of(response: httpx.Response, body: Any) -> str | None:
    """Header first, then a top-level ``request_id``, then ``metadata.request_id``."""
    header: str | None = response.headers.get("x-request-id")
    if header:
        return header
    if isinstance(body, dict):
        top = body.get("request_id")
        if isinstance(top, str) and top:
            return top
        metadata = body.get("metadata")
        if isinstance(metadata, dict):
            nested = metadata.get("request_id")
            if isinstance(nested, str) and nested:
                return nested
    return None


def _decode(response: httpx.Response) -> Any:
    content = response.content
    if not content.strip():
        return _MISSING
    try:
        return safe_json.loads(content)
    except (UnicodeDecodeError, ValueError):
        return _MISSING


def error_from_response(response: httpx.Response, domain: type[SpapsError]) -> SpapsError:
    """The exception for an HTTP error status (400 and above), whatever the body looks like:
    an instance of ``domain`` and of the status class (``RateLimitError``, ...).

    Accepts ``error`` as an object (``code``, ``message``, ``details``) or a string, an
    ``error_description``, a top-level ``message``; an HTML or empty body gets the class's
    default message with the status.
    """
    body = _decode(response)
    message: str | None = None
    code: str | None = None
    details: Any = None
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            message = _text(error.get("message"))
            code = _text(error.get("code"))
            details = error.get("details")
        elif isinstance(error, str) and error:
            description = _text(body.get("error_description"))
            message = description or error
            code = error if " " not in error else _text(body.get("code"))
        if message is None:
            message = _text(body.get("error_description")) or _text(body.get("message"))
        if code is None:
            code = _text(body.get("code"))
    if message is None:
        message = f"{domain.default_message} (HTTP {response.status_code})"
    return status_error_class(domain, response.status_code)(
        message,
        status_code=response.status_code,
        error_code=code,
        response=response,
        request_id=request_id_of(response, body if body is not _MISSING else None),
        details=details,
        body_snippet=body_snippet(response.content),
    )


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


class Reply:
    """A successful response, with the accessors endpoint parsers are written against."""

    __slots__ = ("_body", "domain", "response")

    def __init__(self, response: httpx.Response, domain: type[SpapsError]) -> None:
        self.response = response
        self.domain = domain
        self._body: Any = _decode(response)

    @property
    def is_empty(self) -> bool:
        """True for 204 or an empty body, which some operations accept (contract D2)."""
        return self._body is _MISSING and not self.response.content.strip()

    def malformed(self, message: str | None = None) -> SpapsError:
        """The error to raise when the body does not have the promised shape."""
        body = None if self._body is _MISSING else self._body
        cls = malformed_error_class(self.domain)
        return cls(
            message or f"{cls.default_message} (HTTP {self.response.status_code})",
            status_code=self.response.status_code,
            response=self.response,
            request_id=request_id_of(self.response, body),
            body_snippet=body_snippet(self.response.content),
        )

    def json(self) -> Any:
        """The decoded body (any JSON value)."""
        if self._body is _MISSING:
            raise self.malformed("Expected a JSON response body")
        return self._body

    def text(self) -> str:
        return self.response.text

    def body(self) -> dict[str, Any]:
        """The whole body, which must be a JSON object."""
        body = self.json()
        if not isinstance(body, dict):
            raise self.malformed("Expected a JSON object in the response body")
        return body

    def data(self) -> dict[str, Any]:
        """Rule U1: ``body["data"]`` if the key exists (it must be an object), else the body."""
        body = self.body()
        if "data" not in body:
            return body
        data = body["data"]
        if not isinstance(data, dict):
            raise self.malformed("Expected 'data' to be a JSON object")
        return data

    def data_or_body(self) -> dict[str, Any]:
        """Rule U4: ``data`` when it is an object, otherwise the whole body."""
        body = self.body()
        data = body.get("data")
        return data if isinstance(data, dict) else body

    def data_object(self) -> dict[str, Any]:
        """Rule U3: ``data`` when it is an object, otherwise ``{}``."""
        data = self.body().get("data")
        return data if isinstance(data, dict) else {}

    def nested(self, data: dict[str, Any], key: str) -> dict[str, Any]:
        """``data[key]`` if it is an object, else ``data`` (sessions, invoices, payments)."""
        inner = data.get(key)
        return inner if isinstance(inner, dict) else data

    def model(self, model: type[ModelT], value: Any) -> ModelT:
        """Validate ``value`` as ``model``; a mismatch becomes a malformed-response error."""
        try:
            return model.model_validate(value)
        except ValidationError as exc:
            fields = sorted(
                {".".join(str(p) for p in err["loc"]) or "<root>" for err in exc.errors()}
            )
            shown = ", ".join(fields[:5])
            raise self.malformed(
                f"Response did not match {model.__name__} (fields: {shown})"
            ) from None

    def models(self, model: type[ModelT], values: Any) -> list[ModelT]:
        if values is None:
            return []
        if not isinstance(values, list):
            raise self.malformed(f"Expected a list of {model.__name__}")
        return [self.model(model, value) for value in values]


def data_model(model: type[ModelT]) -> Callable[[Reply], ModelT]:
    """A parser reading ``model`` from the response with rule U1."""
    return lambda reply: reply.model(model, reply.data())
