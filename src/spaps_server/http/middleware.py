"""One pure-ASGI middleware around the whole app. For every HTTP request it

* assigns the request id (an incoming well-formed ``X-Request-ID`` is kept) and echoes it;
* enforces the body size limit (413 in the error envelope), buffering the body once;
* records ``http_requests_total`` and ``http_request_duration_seconds`` by route template;
* turns any unhandled exception into a 500 error envelope (the traceback goes to the log,
  never to the client).
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .envelopes import REQUEST_ID_HEADER, error_response

logger = logging.getLogger("spaps_server.http")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")
UNMATCHED_ROUTE = "unmatched"


def new_request_id() -> str:
    """A fresh request id such as ``req_0f1e...``."""
    return f"req_{uuid.uuid4().hex}"


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return bytes(value)
    return None


def _route_template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return str(path) if path else UNMATCHED_ROUTE


class _BodyTooLarge(Exception):
    pass


def _constant_receive(message: Message) -> Receive:
    async def receive() -> Message:
        return message

    return receive


class RequestContextMiddleware:
    """See the module docstring."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        started = time.perf_counter()
        incoming = _header(scope, b"x-request-id")
        text = incoming.decode("latin-1") if incoming else ""
        request_id = text if _REQUEST_ID.match(text) else new_request_id()
        state: dict[str, Any] = scope.setdefault("state", {})
        state["request_id"] = request_id
        status_holder = {"status": 500, "started": False}

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                status_holder["started"] = True
                headers = [
                    (k, v) for k, v in message.get("headers", []) if k.lower() != b"x-request-id"
                ]
                headers.append((b"x-request-id", request_id.encode("latin-1")))
                message = {**message, "headers": headers}
            await send(message)

        try:
            try:
                replay = await self._buffer_body(scope, receive)
            except _BodyTooLarge:
                response = error_response(
                    status_code=413,
                    code="PAYLOAD_TOO_LARGE",
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
                    code="INTERNAL_ERROR",
                    message="An unexpected error occurred",
                    request_id=request_id,
                )
                await response(scope, receive, send_wrapper)
        finally:
            self._observe(scope, int(status_holder["status"]), time.perf_counter() - started)

    async def _buffer_body(self, scope: Scope, receive: Receive) -> Receive:
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
                return _constant_receive(message)
            body = message.get("body", b"")
            size += len(body)
            if size > self.max_body_bytes:
                raise _BodyTooLarge
            chunks.append(body)
            more = bool(message.get("more_body", False))
        buffered: Message = {"type": "http.request", "body": b"".join(chunks), "more_body": False}
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return buffered
            return await receive()

        return replay

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
