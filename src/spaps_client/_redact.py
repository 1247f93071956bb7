"""Masking of secrets before anything reaches a log record, a repr or an error snippet."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx

from ._json import nesting_depth_exceeds

MASK = "***"

# Lower-cased JSON keys, query parameter names and header names whose values are secrets.
SECRET_NAMES = frozenset(
    {
        "access_token",
        "refresh_token",
        "id_token",
        "token",
        "password",
        "new_password",
        "current_password",
        "signature",
        "api_key",
        "apikey",
        "x-api-key",
        "authorization",
        "cookie",
        "set-cookie",
        "x-recon-token",
        "recon_token",
        "client_secret",
        "secret",
        "otp",
    }
)

SNIPPET_LIMIT = 500


def is_secret_name(name: str) -> bool:
    lowered = name.lower()
    return lowered in SECRET_NAMES or lowered.endswith(("_token", "_secret", "password"))


def redact_url(url: httpx.URL | str) -> str:
    """The URL with secret query values masked and any userinfo dropped."""
    parsed = httpx.URL(str(url))
    if parsed.userinfo:
        parsed = parsed.copy_with(username=None, password=None)
    if not parsed.query:
        return str(parsed)
    pairs = parse_qsl(parsed.query.decode("ascii", "replace"), keep_blank_values=True)
    # In a query string ``code`` is an OAuth-style one-time code; in bodies it is an error code.
    masked = [
        (key, MASK if is_secret_name(key) or key.lower() == "code" else value)
        for key, value in pairs
    ]
    return str(parsed.copy_with(query=urlencode(masked, safe="*").encode("ascii")))


def redact_headers(headers: httpx.Headers) -> dict[str, str]:
    return {name: (MASK if is_secret_name(name) else value) for name, value in headers.items()}


_UNPRINTABLE = re.compile(r"[\s\x00-\x1f\x7f]+")


def redact_error(request: httpx.Request, exc: BaseException) -> str:
    """``"<type>: <message>"`` with the request's secret header and query values masked.

    Some transport errors quote what they refused (h11's ``Illegal header value b'...'`` for
    a key that kept its trailing newline), so each printable run of a secret is masked.
    """
    text = f"{type(exc).__name__}: {exc}"
    values = [value for name, value in request.headers.items() if is_secret_name(name)]
    values += [value for name, value in request.url.params.multi_items() if is_secret_name(name)]
    pieces = {piece for value in values for piece in _UNPRINTABLE.split(value) if len(piece) >= 4}
    for piece in sorted(pieces, key=len, reverse=True):
        text = text.replace(piece, MASK)
    return text


def redact_json(value: Any) -> Any:
    """A copy of a decoded JSON value with the values of secret keys masked."""
    if isinstance(value, dict):
        return {
            key: (
                MASK if isinstance(key, str) and is_secret_name(key) and item else redact_json(item)
            )
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [redact_json(item) for item in value]
    return value


_TOKENISH = re.compile(r"(eyJ[\w-]+\.[\w-]+\.[\w-]+|\b(?:rt|ml|pr)_[\w-]{16,})")


def body_snippet(content: bytes) -> str:
    """The first bytes of a response body, for debugging, with secrets masked."""
    text = content.decode("utf-8", "replace")
    if nesting_depth_exceeds(text):
        # Too deep to mask key by key, so none of it is shown.
        return "<deeply nested JSON omitted>"
    try:
        decoded = json.loads(text)
    except ValueError:
        pass
    else:
        text = json.dumps(redact_json(decoded), separators=(",", ":"))
    text = _TOKENISH.sub(MASK, text)
    if len(text) > SNIPPET_LIMIT:
        return text[:SNIPPET_LIMIT] + "…"
    return text
