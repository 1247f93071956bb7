"""One pure-ASGI middleware around the whole app. For every HTTP request it

* assigns the request id (an incoming well-formed ``X-Request-ID`` is kept) and echoes it;
* enforces the body size limit (413 in the error envelope), buffering the body once;
* bounds the time to receive that body (408 and the connection closed), so a client that
  sends headers and stalls cannot hold a connection open;
* refuses hostile input before any route or database sees it: a NUL character in the path,
  the query or any string of a JSON or form body (400 ``VALIDATION_ERROR``), and JSON that
  Python would accept but the standard does not: ``NaN``, ``Infinity`` (400 ``INVALID_JSON``)
  or nesting deeper than :data:`MAX_JSON_DEPTH`;
* records ``http_requests_total`` and ``http_request_duration_seconds`` by route template;
* turns any unhandled exception into a 500 error envelope (the traceback goes to the log,
  never to the client).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import os
import re
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..domain.error_codes import ErrorCode
from .envelopes import REQUEST_ID_HEADER, error_response

logger = logging.getLogger("spaps_server.http")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")
UNMATCHED_ROUTE = "unmatched"


class _RequestIds:
    """Unique request ids without a system call each: a random 64-bit prefix per process
    and a counter (request ids identify, they are not secrets)."""

    def __init__(self) -> None:
        self.renew()

    def renew(self) -> None:
        self.prefix = os.urandom(8).hex()
        self.counter = itertools.count()

    def next(self) -> str:
        return f"req_{self.prefix}{next(self.counter) & 0xFFFF_FFFF_FFFF_FFFF:016x}"


_request_ids = _RequestIds()
if hasattr(os, "register_at_fork"):
    # A forked child must not repeat its parent's ids.
    os.register_at_fork(after_in_child=_request_ids.renew)


def new_request_id() -> str:
    """A fresh request id such as ``req_0f1e...`` (32 hex digits, unique across processes)."""
    return _request_ids.next()


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return bytes(value)
    return None


def _route_template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return str(path) if path else UNMATCHED_ROUTE


# Deeper than any payload of the contract; far below the recursion limit of the parser.
MAX_JSON_DEPTH = 64


class _BodyTooLarge(Exception):
    pass


class _RefusedInput(Exception):
    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _refuse_non_finite(constant: str) -> Any:
    raise _RefusedInput(ErrorCode.INVALID_JSON, f"The request body contains {constant}")


def _check_json_strings(value: Any) -> None:
    # Iterative, so hostile nesting cannot exhaust the stack here either.
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                raise _RefusedInput(
                    ErrorCode.VALIDATION_ERROR, "A string in the request body contains NUL"
                )
        elif isinstance(item, dict | list):
            if depth > MAX_JSON_DEPTH:
                raise _RefusedInput(
                    ErrorCode.INVALID_JSON,
                    f"The request body is nested deeper than {MAX_JSON_DEPTH} levels",
                )
            if isinstance(item, dict):
                stack.extend((key, depth) for key in item)
                stack.extend((child, depth + 1) for child in item.values())
            else:
                stack.extend((child, depth + 1) for child in item)


_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NESTING_STEPS = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


def _nested_too_deeply(body: bytes) -> bool:
    # Measured on the raw text before parsing: the C parser's own recursion guard depends on
    # the thread's stack size, and a deep enough document can exhaust the stack first.
    if body.count(b"[") + body.count(b"{") <= MAX_JSON_DEPTH:
        return False
    depth = 0
    for byte in _JSON_STRING.sub(b'""', body):
        depth += _NESTING_STEPS.get(byte, 0)
        if depth > MAX_JSON_DEPTH:
            return True
    return False


def _media_type(scope: Scope) -> str | None:
    raw = _header(scope, b"content-type")
    if raw is None:
        return None
    return raw.decode("latin-1").split(";", 1)[0].strip().lower()


def _percent_decodes_to_nul(raw: bytes) -> bool:
    # What ``b"\x00" in urllib.parse.unquote_to_bytes(raw)`` answers, without decoding: only
    # a NUL byte itself or the escape %00 becomes NUL.
    return b"\x00" in raw or b"%00" in raw


def check_request_input(scope: Scope, body: bytes) -> None:
    """Raise ``_RefusedInput`` for input no route may see (see the module docstring)."""
    if "\x00" in scope.get("path", "") or _percent_decodes_to_nul(scope.get("query_string", b"")):
        raise _RefusedInput(ErrorCode.VALIDATION_ERROR, "The request URL contains NUL")
    if not body:
        return
    media_type = _media_type(scope)
    if media_type == "application/x-www-form-urlencoded":
        if _percent_decodes_to_nul(body):
            raise _RefusedInput(ErrorCode.VALIDATION_ERROR, "The request body contains NUL")
        return
    if media_type is not None and not (
        media_type == "application/json" or media_type.endswith("+json")
    ):
        return
    if _nested_too_deeply(body):
        raise _RefusedInput(
            ErrorCode.INVALID_JSON,
            f"The request body is nested deeper than {MAX_JSON_DEPTH} levels",
        )
    try:
        parsed = json.loads(body, parse_constant=_refuse_non_finite)
    except ValueError:
        # Not JSON (or not UTF-8): the route's own parsing reports it as INVALID_JSON.
        return
    _check_json_strings(parsed)


def _scan_headers(scope: Scope) -> tuple[bytes | None, bool]:
    """The incoming ``X-Request-ID`` and whether the request has a body, in one pass. A
    request carries a body only if it declares one, by a non-zero Content-Length or by
    Transfer-Encoding (RFC 9112 §6.3); without either its body is empty."""
    request_id: bytes | None = None
    has_body = False
    for key, value in scope.get("headers", ()):
        name = key.lower()
        if name == b"x-request-id":
            if request_id is None:
                request_id = bytes(value)
        elif name == b"transfer-encoding" or (name == b"content-length" and value.strip() != b"0"):
            has_body = True
    return request_id, has_body


def _constant_receive(message: Message) -> Receive:
    async def receive() -> Message:
        return message

    return receive


class RequestContextMiddleware:
    """See the module docstring."""

    def __init__(
        self, app: ASGIApp, *, max_body_bytes: int, body_timeout_seconds: float = 10.0
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.body_timeout_seconds = body_timeout_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        started = time.perf_counter()
        incoming, has_body = _scan_headers(scope)
        text = incoming.decode("latin-1") if incoming else ""
        request_id = text if text and _REQUEST_ID.fullmatch(text) else new_request_id()
        state: dict[str, Any] = scope.setdefault("state", {})
        state["request_id"] = request_id
        status_holder = {"status": 500, "started": False}
        own_header = (b"x-request-id", request_id.encode("latin-1"))

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                status_holder["started"] = True
                headers = [
                    (k, v) for k, v in message.get("headers", ()) if k.lower() != b"x-request-id"
                ]
                headers.append(own_header)
                message = {**message, "headers": headers}
            await send(message)

        try:
            try:
                if has_body:
                    replay, body = await asyncio.wait_for(
                        self._buffer_body(scope, receive), self.body_timeout_seconds
                    )
                else:
                    # Nothing to buffer or to wait for: the app reads the (empty) body itself.
                    replay, body = receive, b""
                check_request_input(scope, body)
            except asyncio.TimeoutError:
                response = error_response(
                    status_code=408,
                    code=ErrorCode.REQUEST_TIMEOUT.value,
                    message=(
                        f"The request body did not arrive within {self.body_timeout_seconds:g} s"
                    ),
                    request_id=request_id,
                    headers={"Connection": "close"},
                )
                await response(scope, receive, send_wrapper)
                return
            except _RefusedInput as refused:
                response = error_response(
                    status_code=400,
                    code=refused.code.value,
                    message=refused.message,
                    request_id=request_id,
                )
                await response(scope, receive, send_wrapper)
                return
            except _BodyTooLarge:
                response = error_response(
                    status_code=413,
                    code=ErrorCode.PAYLOAD_TOO_LARGE,
                    message=f"The request body exceeds {self.max_body_bytes} bytes",
                    request_id=request_id,
                    headers={"Connection": "close"},
                )
                await response(scope, receive, send_wrapper)
                return
            await self.app(scope, replay, send_wrapper)
        except Exception:
            logger.exception(
                "unhandled error in %s %s (request %s)",
                scope.get("method"),
                _route_template(scope),
                request_id,
            )
            if not status_holder["started"]:
                response = error_response(
                    status_code=500,
                    code=ErrorCode.INTERNAL_ERROR,
                    message="An unexpected error occurred",
                    request_id=request_id,
                )
                await response(scope, receive, send_wrapper)
        finally:
            self._observe(scope, int(status_holder["status"]), time.perf_counter() - started)

    async def _buffer_body(self, scope: Scope, receive: Receive) -> tuple[Receive, bytes]:
        declared = _header(scope, b"content-length")
        if (
            declared is not None
            and declared.strip().isdigit()
            and int(declared) > self.max_body_bytes
        ):
            raise _BodyTooLarge
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                # The client went away before sending its body; let the app see that.
                return _constant_receive(message), b""
            body = message.get("body", b"")
            size += len(body)
            if size > self.max_body_bytes:
                raise _BodyTooLarge
            chunks.append(body)
            more = bool(message.get("more_body", False))
        whole = b"".join(chunks)
        buffered: Message = {"type": "http.request", "body": whole, "more_body": False}
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return buffered
            return await receive()

        return replay, whole

    def _observe(self, scope: Scope, status: int, elapsed: float) -> None:
        app = scope.get("app")
        ctx = getattr(getattr(app, "state", None), "context", None)
        metrics = getattr(ctx, "metrics", None)
        if metrics is None:
            return
        metrics.observe_http_request(
            method=str(scope.get("method", "")),
            route=_route_template(scope),
            status=status,
            seconds=elapsed,
        )


__all__ = ["REQUEST_ID_HEADER", "RequestContextMiddleware", "new_request_id"]
