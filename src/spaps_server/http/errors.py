"""Maps every failure to the error envelope: domain errors by kind, request validation,
Starlette's own 404/405, and anything else (via the middleware's catch-all)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, compile_path

from ..domain.error_codes import ErrorCode
from ..domain.errors import DomainError, ErrorKind, RateLimitedError
from .envelopes import error_response, request_id_of

STATUS_BY_KIND: dict[ErrorKind, int] = {
    ErrorKind.INVALID: 400,
    ErrorKind.UNAUTHORIZED: 401,
    ErrorKind.PAYMENT_REQUIRED: 402,
    ErrorKind.FORBIDDEN: 403,
    ErrorKind.NOT_FOUND: 404,
    ErrorKind.CONFLICT: 409,
    ErrorKind.PAYLOAD_TOO_LARGE: 413,
    ErrorKind.UNPROCESSABLE: 422,
    ErrorKind.RATE_LIMITED: 429,
    ErrorKind.INTERNAL: 500,
    ErrorKind.UNAVAILABLE: 503,
}

CODE_BY_STATUS: dict[int, ErrorCode] = {
    400: ErrorCode.BAD_REQUEST,
    401: ErrorCode.UNAUTHORIZED,
    403: ErrorCode.FORBIDDEN,
    404: ErrorCode.NOT_FOUND,
    405: ErrorCode.METHOD_NOT_ALLOWED,
    406: ErrorCode.NOT_ACCEPTABLE,
    409: ErrorCode.CONFLICT,
    413: ErrorCode.PAYLOAD_TOO_LARGE,
    415: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
    422: ErrorCode.UNPROCESSABLE,
    429: ErrorCode.RATE_LIMITED,
    500: ErrorCode.INTERNAL_ERROR,
    503: ErrorCode.SERVICE_UNAVAILABLE,
}


def status_for(error: DomainError) -> int:
    """The HTTP status of a domain error."""
    return STATUS_BY_KIND.get(error.kind, 500)


async def _domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    headers: dict[str, str] = {}
    if isinstance(exc, RateLimitedError) and exc.retry_after_seconds is not None:
        headers["Retry-After"] = str(max(0, int(exc.retry_after_seconds)))
    if exc.kind is ErrorKind.UNAUTHORIZED and exc.code is not ErrorCode.INVALID_API_KEY:
        headers["WWW-Authenticate"] = "Bearer"
    return error_response(
        status_code=status_for(exc),
        code=exc.code,
        message=exc.message,
        details=exc.details,
        request_id=request_id_of(request),
        headers=headers,
    )


def _validation_details(exc: RequestValidationError) -> list[dict[str, Any]]:
    # Only where and why: the rejected input may be a password or token, so never echo it.
    details = []
    for err in exc.errors():
        details.append(
            {
                "loc": [str(part) for part in err.get("loc", ())],
                "message": str(err.get("msg", "invalid value")),
                "type": str(err.get("type", "value_error")),
            }
        )
    return details


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    details = _validation_details(exc)
    if any(d["type"] == "json_invalid" for d in details):
        return error_response(
            status_code=400,
            code=ErrorCode.INVALID_JSON,
            message="The request body is not valid JSON",
            request_id=request_id_of(request),
        )
    first = details[0] if details else None
    where = ".".join(first["loc"]) if first else "request"
    message = f"Invalid request: {where}: {first['message']}" if first else "Invalid request"
    return error_response(
        status_code=400,
        code=ErrorCode.VALIDATION_ERROR,
        message=message,
        details={"errors": details},
        request_id=request_id_of(request),
    )


RouteMethods = list[tuple[re.Pattern[str], frozenset[str]]]


def route_methods_index(routes: Iterable[BaseRoute]) -> RouteMethods:
    """For each route with methods: its compiled path and its methods (what
    :func:`allowed_methods` searches)."""
    index: RouteMethods = []
    for route in routes:
        path = getattr(route, "path", None)
        methods = getattr(route, "methods", None)
        if isinstance(path, str) and methods:
            pattern, _format, _convertors = compile_path(path)
            index.append((pattern, frozenset(methods)))
    return index


def allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at the request's path (Starlette's own 405 names only
    the methods of the first route whose path matched)."""
    index: RouteMethods = getattr(request.app.state, "route_methods", [])
    path = request.url.path
    methods: set[str] = set()
    for pattern, route_methods in index:
        if pattern.match(path):
            methods.update(route_methods)
    return sorted(methods)


async def _http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    headers = dict(exc.headers or {})
    if status == 405:
        headers["Allow"] = ", ".join(allowed_methods(request)) or headers.get("Allow", "")
    known = CODE_BY_STATUS.get(status)
    code = known.value if known is not None else f"HTTP_{status}"
    if status == 404:
        message = f"No route for {request.method} {request.url.path}"
    elif status == 405:
        message = f"Method {request.method} is not allowed on {request.url.path}"
    elif isinstance(exc.detail, str) and exc.detail:
        message = exc.detail
    else:
        message = code.replace("_", " ").capitalize()
    return error_response(
        status_code=status,
        code=code,
        message=message,
        request_id=request_id_of(request),
        headers=headers,
    )


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers on ``app``."""
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_exception)
