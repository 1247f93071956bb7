"""Keeps secrets out of the access log.

uvicorn logs every request line as ``"GET /path?query HTTP/1.1" 200``, and some links carry a
one-time secret in their query (``/auth/magic-link?token=ml_...``,
``/auth/reset-password?token=pr_...``). :class:`RedactQuerySecrets` replaces the value of every
secret-bearing query parameter with ``[REDACTED]`` before the record is formatted.
"""

from __future__ import annotations

import logging
from urllib.parse import unquote_plus

ACCESS_LOGGER = "uvicorn.access"
REDACTED = "[REDACTED]"

# Parameter names (compared case-insensitively, after percent-decoding) whose value is a secret.
SECRET_QUERY_PARAMETERS = frozenset(
    {
        "token",
        "code",
        "signature",
        "sig",
        "secret",
        "password",
        "api_key",
        "apikey",
        "key",
        "access_token",
        "refresh_token",
        "id_token",
        "magic_token",
        "reset_token",
    }
)


def redact_query_secrets(target: str) -> str:
    """``target`` (a path with an optional query) with every secret parameter's value
    replaced by ``[REDACTED]``; the rest is kept byte for byte."""
    path, question, query = target.partition("?")
    if not question:
        return target
    fragment = ""
    if "#" in query:
        query, _, rest = query.partition("#")
        fragment = "#" + rest
    parts = []
    for pair in query.split("&"):
        name, equals, _value = pair.partition("=")
        if equals and unquote_plus(name).strip().lower() in SECRET_QUERY_PARAMETERS:
            parts.append(f"{name}={REDACTED}")
        else:
            parts.append(pair)
    return f"{path}?{'&'.join(parts)}{fragment}"


class RedactQuerySecrets(logging.Filter):
    """A filter for uvicorn's access logger (see the module docstring). uvicorn passes the
    request target as one of the record's arguments; every string argument holding a query
    is rewritten, so the filter does not depend on the argument order."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact in place; never drops a record."""
        if isinstance(record.args, tuple):
            record.args = tuple(
                redact_query_secrets(arg) if isinstance(arg, str) and "?" in arg else arg
                for arg in record.args
            )
        elif isinstance(record.msg, str) and "?" in record.msg and not record.args:
            record.msg = redact_query_secrets(record.msg)
        return True


def install_access_log_redaction(logger_name: str = ACCESS_LOGGER) -> None:
    """Attach :class:`RedactQuerySecrets` to the access logger (once)."""
    logger = logging.getLogger(logger_name)
    if not any(isinstance(existing, RedactQuerySecrets) for existing in logger.filters):
        logger.addFilter(RedactQuerySecrets())
