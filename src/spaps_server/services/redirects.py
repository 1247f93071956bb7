"""Where e-mailed links (password reset, magic link) may send a browser: each application
has an allow-list of redirect origins. Every application may always use the server's own
origin and the loopback origins ``http://localhost:*`` and ``http://127.0.0.1:*`` (any
port); ``spaps apps redirects add`` and the seed file's ``redirect_origins`` add more.

An origin is ``scheme://host[:port]`` with scheme ``http`` or ``https``, a port or ``*`` for
any port, and nothing else (no user info, path, query or fragment). A redirect URL is
accepted only when it is an absolute ``http(s)`` URL made of printable ASCII whose origin
matches one of the application's; anything else (``javascript:``, ``//host``, CR/LF, user
info such as ``http://localhost@evil.example``) is 400 ``INVALID_REDIRECT_URL``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit, urlunsplit

from ..domain.clock import Clock
from ..domain.error_codes import ErrorCode
from ..domain.errors import InvalidError
from ..storage.database import Database
from ..storage.redirect_origins import RedirectOriginsRepository

LOOPBACK_ORIGINS = ("http://localhost:*", "http://127.0.0.1:*")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_HOST = re.compile(r"^(?:\[[0-9a-f:.]+\]|[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?)$")
_MAX_ORIGIN_LENGTH = 300


def _invalid(message: str) -> InvalidError:
    return InvalidError(message, code=ErrorCode.INVALID_REDIRECT_URL)


def _printable_ascii(text: str) -> bool:
    return all(0x21 <= ord(ch) <= 0x7E and ch != "\\" for ch in text)


def _host_and_port(netloc: str, *, wildcard: bool) -> tuple[str, int | None]:
    """Split ``host[:port]``; the port is ``None`` when absent or (patterns only) ``*``."""
    if "@" in netloc:
        raise _invalid("Redirect URLs may not carry user information")
    if netloc.startswith("["):
        end = netloc.find("]")
        host, rest = netloc[: end + 1], netloc[end + 1 :]
        if end < 0 or (rest and not rest.startswith(":")):
            raise _invalid("Malformed host in redirect URL")
        port_text = rest[1:] if rest else None
    else:
        host, sep, port_text_raw = netloc.partition(":")
        port_text = port_text_raw if sep else None
    host = host.lower()
    if not _HOST.fullmatch(host):
        raise _invalid("Malformed host in redirect URL")
    if port_text is None:
        return host, None
    if wildcard and port_text == "*":
        return host, None
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise _invalid("Malformed port in redirect URL")
    return host, int(port_text)


@dataclass(frozen=True)
class OriginPattern:
    """``scheme://host[:port]``; ``any_port`` stands for ``:*``."""

    scheme: str
    host: str
    port: int
    any_port: bool = False

    @classmethod
    def parse(cls, text: str) -> OriginPattern:
        """Parse an origin (``https://app.example``, ``http://localhost:*``); raises 400
        ``INVALID_REDIRECT_URL`` for anything else."""
        if not text or len(text) > _MAX_ORIGIN_LENGTH or not _printable_ascii(text):
            raise _invalid("An origin is scheme://host[:port] in printable ASCII")
        scheme, sep, rest = text.partition("://")
        scheme = scheme.lower()
        if not sep or scheme not in _DEFAULT_PORTS:
            raise _invalid("An origin starts with http:// or https://")
        netloc = rest[:-1] if rest.endswith("/") else rest
        if any(ch in netloc for ch in "/?#"):
            raise _invalid("An origin has no path, query or fragment")
        any_port = netloc.endswith(":*")
        host, port = _host_and_port(netloc, wildcard=True)
        return cls(scheme, host, port if port is not None else _DEFAULT_PORTS[scheme], any_port)

    def __str__(self) -> str:
        if self.any_port:
            return f"{self.scheme}://{self.host}:*"
        if self.port == _DEFAULT_PORTS[self.scheme]:
            return f"{self.scheme}://{self.host}"
        return f"{self.scheme}://{self.host}:{self.port}"

    def matches(self, scheme: str, host: str, port: int) -> bool:
        """Whether a URL with this scheme, host and (effective) port is of this origin."""
        return self.scheme == scheme and self.host == host and (self.any_port or self.port == port)


def parse_redirect_url(url: str) -> tuple[SplitResult, str, str, int]:
    """``(parts, scheme, host, effective port)`` of an absolute http(s) URL; raises 400
    ``INVALID_REDIRECT_URL`` for a relative, scheme-relative or malformed one."""
    if not url or not _printable_ascii(url):
        raise _invalid("Redirect URLs are absolute http(s) URLs in printable ASCII")
    scheme, sep, _rest = url.partition("://")
    scheme = scheme.lower()
    if not sep or scheme not in _DEFAULT_PORTS:
        raise _invalid("Redirect URLs start with http:// or https://")
    try:
        parts = urlsplit(url)
    except ValueError:
        raise _invalid("Malformed redirect URL") from None
    host, port = _host_and_port(parts.netloc, wildcard=False)
    return parts, scheme, host, port if port is not None else _DEFAULT_PORTS[scheme]


def link_with_token(parts: SplitResult, token: str) -> str:
    """The URL with ``token=<token>`` added to its query (a fragment stays last)."""
    query = f"{parts.query}&token={token}" if parts.query else f"token={token}"
    return urlunsplit(parts._replace(query=query))


class RedirectOriginService:
    """The allow-lists: checking redirect URLs and managing the configured origins."""

    def __init__(self, db: Database, clock: Clock, *, server_origin: str) -> None:
        self._repo = RedirectOriginsRepository(db)
        self._clock = clock
        self._defaults = tuple(
            OriginPattern.parse(origin) for origin in (server_origin.rstrip("/"), *LOOPBACK_ORIGINS)
        )

    def defaults(self) -> list[str]:
        """The origins every application may use."""
        return [str(pattern) for pattern in self._defaults]

    async def configured(self, application_id: str) -> list[str]:
        """The origins added for one application."""
        return await self._repo.list(application_id)

    async def add(self, application_id: str, origin: str) -> tuple[str, bool]:
        """Allow ``origin`` for the application; returns its canonical spelling and whether
        it was new. 400 ``INVALID_REDIRECT_URL`` for a malformed origin."""
        canonical = str(OriginPattern.parse(origin))
        added = await self._repo.add(application_id, canonical, self._clock.now())
        return canonical, added

    async def remove(self, application_id: str, origin: str) -> tuple[str, bool]:
        """Stop allowing ``origin``; returns its canonical spelling and whether it was
        configured (the defaults cannot be removed)."""
        canonical = str(OriginPattern.parse(origin))
        return canonical, await self._repo.remove(application_id, canonical)

    async def check(self, application_id: str, redirect_url: str) -> SplitResult:
        """The parts of ``redirect_url`` when its origin is allowed for the application
        (add the token with :func:`link_with_token`); 400 ``INVALID_REDIRECT_URL``
        otherwise."""
        parts, scheme, host, port = parse_redirect_url(redirect_url)
        if not any(p.matches(scheme, host, port) for p in self._defaults):
            configured = [OriginPattern.parse(o) for o in await self._repo.list(application_id)]
            if not any(p.matches(scheme, host, port) for p in configured):
                raise _invalid("The redirect URL's origin is not allowed for this application")
        return parts
