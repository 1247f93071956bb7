"""A loopback HTTP proxy that injects faults, for testing code that talks to SPAPS.

Put :class:`FaultProxy` between a client and a server, script what happens to the next
requests, and check what the server ended up with::

    from spaps_client import SpapsClient
    from spaps_client.testing.faults import Fault, FaultProxy

    with FaultProxy("http://127.0.0.1:3300") as proxy:
        proxy.script(Fault.drop_after(), path="/api/stripe/checkout-sessions")
        client = SpapsClient(base_url=proxy.url, api_key="test_key_local_dev_only")
        ...  # the first checkout's response is lost; the SDK retries with the same key

Faults (one per request, consumed in the order scripted; a request no scripted fault matches
is forwarded unchanged):

* :meth:`Fault.drop_before`: close the connection before anything reaches the server;
* :meth:`Fault.drop_after`: forward, let the server finish, then close the connection
  without a byte of the response (the response is lost);
* :meth:`Fault.status` (and :meth:`Fault.rate_limited`, :meth:`Fault.unavailable`): answer
  with that status (and ``Retry-After``) without contacting the server;
* :meth:`Fault.stall`: read the request and answer nothing for a while, then close.

Every request the proxy saw is recorded in :attr:`FaultProxy.requests` (method, path,
headers, the fault applied, when it arrived). The proxy runs its own event loop in a daemon
thread, so it serves synchronous and asynchronous clients alike; it uses only the standard
library. Each forwarded request gets its own upstream connection and the client connection is
closed after each response (``Connection: close``), so what one request suffers never leaks
into the next.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import enum
import json
import threading
import time
import urllib.parse
from collections.abc import Callable
from typing import Any

__all__ = ["Fault", "FaultKind", "FaultProxy", "ProxiedRequest"]

_MAX_HEAD_BYTES = 64 * 1024
_REASONS = {
    408: "Request Timeout",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


class FaultKind(enum.Enum):
    """What the proxy does with one request."""

    FORWARD = "forward"
    DROP_BEFORE = "drop_before"
    DROP_AFTER = "drop_after"
    STATUS = "status"
    STALL = "stall"


@dataclasses.dataclass(frozen=True)
class Fault:
    """One scripted fault; build it with the class methods."""

    kind: FaultKind
    status_code: int = 0
    retry_after: str | None = None
    stall_seconds: float = 0.0

    @classmethod
    def forward(cls) -> Fault:
        """Pass the request through unchanged (a placeholder in a script)."""
        return cls(FaultKind.FORWARD)

    @classmethod
    def drop_before(cls) -> Fault:
        """Close the connection after reading the request, before contacting the server."""
        return cls(FaultKind.DROP_BEFORE)

    @classmethod
    def drop_after(cls) -> Fault:
        """Forward the request, wait for the server's full response, then drop it."""
        return cls(FaultKind.DROP_AFTER)

    @classmethod
    def status(cls, status_code: int, *, retry_after: float | str | None = None) -> Fault:
        """Answer ``status_code`` with the error envelope (and ``Retry-After`` if given)."""
        if not 400 <= status_code <= 599:
            raise ValueError("status_code must be an HTTP error status (400-599)")
        header = None if retry_after is None else _retry_after_text(retry_after)
        return cls(FaultKind.STATUS, status_code=status_code, retry_after=header)

    @classmethod
    def rate_limited(cls, retry_after: float | str | None = 1) -> Fault:
        """Answer 429 with ``Retry-After`` (seconds or an HTTP date)."""
        return cls.status(429, retry_after=retry_after)

    @classmethod
    def unavailable(cls, retry_after: float | str | None = None) -> Fault:
        """Answer 503 (with ``Retry-After`` if given)."""
        return cls.status(503, retry_after=retry_after)

    @classmethod
    def stall(cls, seconds: float = 3600.0) -> Fault:
        """Read the request and answer nothing for ``seconds``, then close the connection."""
        if seconds < 0:
            raise ValueError("seconds must not be negative")
        return cls(FaultKind.STALL, stall_seconds=seconds)


def _retry_after_text(value: float | str) -> str:
    if isinstance(value, str):
        return value
    if value < 0:
        raise ValueError("retry_after must not be negative")
    return str(int(value)) if float(value).is_integer() else repr(float(value))


@dataclasses.dataclass
class ProxiedRequest:
    """One request the proxy received, and what it did with it."""

    method: str
    path: str
    headers: dict[str, str]
    fault: Fault
    received_at: float
    """``time.monotonic()`` when the request's head was read."""
    server_answered: bool = False
    """Whether the upstream server sent a complete response (forward and drop-after)."""
    client_gone_early: bool = False
    """Whether the client hung up while a stall was still running."""

    def header(self, name: str) -> str | None:
        """A request header, case-insensitively (``None`` when absent)."""
        return self.headers.get(name.lower())


@dataclasses.dataclass
class _Rule:
    fault: Fault
    method: str | None
    path: str | None
    matches: Callable[[ProxiedRequest], bool] | None

    def applies_to(self, method: str, path: str, request: ProxiedRequest) -> bool:
        if self.method is not None and self.method != method:
            return False
        if self.path is not None and urllib.parse.urlsplit(path).path != self.path:
            return False
        return self.matches is None or self.matches(request)


class FaultProxy:
    """A fault-injecting HTTP/1.1 proxy on ``127.0.0.1`` in front of ``upstream``.

    Use it as a context manager (or call :meth:`start` and :meth:`stop`). :attr:`url` is the
    base URL to give the client under test.
    """

    def __init__(self, upstream: str, *, host: str = "127.0.0.1", port: int = 0) -> None:
        parts = urllib.parse.urlsplit(upstream)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError("upstream must be an http:// URL")
        self.upstream_host: str = parts.hostname
        self.upstream_port: int = parts.port or 80
        self._host = host
        self._port = port
        self._lock = threading.Lock()
        self._rules: list[_Rule] = []
        self._requests: list[ProxiedRequest] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.AbstractServer | None = None
        self._thread: threading.Thread | None = None
        self._bound_port: int | None = None
        self._connections: set[asyncio.Task[None]] = set()

    # --- lifecycle ------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The proxy's base URL (``http://127.0.0.1:<port>``); valid once started."""
        if self._bound_port is None:
            raise RuntimeError("the proxy is not running")
        return f"http://{self._host}:{self._bound_port}"

    def start(self) -> FaultProxy:
        """Listen on the loopback port and serve in a daemon thread."""
        if self._thread is not None:
            raise RuntimeError("the proxy is already running")
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                self._server = loop.run_until_complete(
                    asyncio.start_server(self._handle, self._host, self._port)
                )
                self._bound_port = self._server.sockets[0].getsockname()[1]
            except BaseException as exc:  # reported to start()'s caller
                failure.append(exc)
                ready.set()
                loop.close()
                return
            ready.set()
            try:
                loop.run_forever()
            finally:
                loop.close()

        self._thread = threading.Thread(target=run, name="spaps-fault-proxy", daemon=True)
        self._thread.start()
        ready.wait()
        if failure:
            self._thread.join()
            self._thread = None
            raise failure[0]
        return self

    def stop(self) -> None:
        """Stop listening, cut every open connection and join the thread (idempotent)."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        future = asyncio.run_coroutine_threadsafe(self._shutdown(), loop)
        future.result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        self._thread = None
        self._loop = None
        self._bound_port = None

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._connections):
            task.cancel()
        if self._connections:
            await asyncio.gather(*self._connections, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self.url if self._bound_port is not None else "stopped"
        return f"FaultProxy({where} -> {self.upstream_host}:{self.upstream_port})"

    # --- scripting ------------------------------------------------------------------------

    def script(
        self,
        *faults: Fault,
        method: str | None = None,
        path: str | None = None,
        matches: Callable[[ProxiedRequest], bool] | None = None,
    ) -> None:
        """Queue ``faults`` for the next requests matching ``method``, ``path`` (the URL
        path, without the query) and ``matches``; one fault per request, in order."""
        wanted_method = method.upper() if method is not None else None
        with self._lock:
            self._rules.extend(_Rule(fault, wanted_method, path, matches) for fault in faults)

    def clear(self) -> None:
        """Forget the faults not yet used and the recorded requests."""
        with self._lock:
            self._rules.clear()
            self._requests.clear()

    @property
    def pending(self) -> int:
        """How many scripted faults have not been applied yet."""
        with self._lock:
            return len(self._rules)

    @property
    def requests(self) -> list[ProxiedRequest]:
        """A snapshot of the requests received so far, in arrival order."""
        with self._lock:
            return list(self._requests)

    def requests_to(self, path: str, method: str | None = None) -> list[ProxiedRequest]:
        """The recorded requests for one URL path (and method)."""
        wanted = method.upper() if method is not None else None
        return [
            request
            for request in self.requests
            if urllib.parse.urlsplit(request.path).path == path
            and (wanted is None or request.method == wanted)
        ]

    def _take_fault(self, request: ProxiedRequest) -> Fault:
        with self._lock:
            for index, rule in enumerate(self._rules):
                if rule.applies_to(request.method, request.path, request):
                    del self._rules[index]
                    return rule.fault
        return Fault.forward()

    # --- serving --------------------------------------------------------------------------

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            await self._serve_one(reader, writer)
        except (asyncio.IncompleteReadError, ConnectionError, ValueError, asyncio.CancelledError):
            # A client that hangs up mid-request, a malformed request, or the proxy stopping:
            # the connection is closed below either way.
            pass
        finally:
            self._connections.discard(task)
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()

    async def _serve_one(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        if len(head) > _MAX_HEAD_BYTES:
            raise ValueError("request head too large")
        request_line, headers = _parse_head(head)
        method, target, _version = request_line.split(" ", 2)
        body = await _read_body(reader, headers)
        record = ProxiedRequest(
            method=method.upper(),
            path=target,
            headers={name: value for name, value in headers},
            fault=Fault.forward(),
            received_at=time.monotonic(),
        )
        record.fault = fault = self._take_fault(record)
        with self._lock:
            self._requests.append(record)

        if fault.kind is FaultKind.DROP_BEFORE:
            _abort(writer)
            return
        if fault.kind is FaultKind.STATUS:
            writer.write(_status_response(fault))
            await writer.drain()
            return
        if fault.kind is FaultKind.STALL:
            await self._stall(reader, record, fault.stall_seconds)
            return
        response = await self._forward(method, target, headers, body)
        record.server_answered = True
        if fault.kind is FaultKind.DROP_AFTER:
            _abort(writer)
            return
        writer.write(response)
        await writer.drain()

    async def _stall(
        self, reader: asyncio.StreamReader, record: ProxiedRequest, seconds: float
    ) -> None:
        # Reading while stalled notices the client hanging up (EOF) before the stall ends.
        try:
            await asyncio.wait_for(reader.read(), timeout=seconds)
        except asyncio.TimeoutError:
            return
        record.client_gone_early = True

    async def _forward(
        self, method: str, target: str, headers: list[tuple[str, str]], body: bytes
    ) -> bytes:
        upstream_reader, upstream_writer = await asyncio.open_connection(
            self.upstream_host, self.upstream_port
        )
        try:
            lines = [f"{method} {target} HTTP/1.1"]
            for name, value in headers:
                if name in ("connection", "keep-alive", "transfer-encoding", "content-length"):
                    continue
                lines.append(f"{name}: {value}")
            lines.append(f"content-length: {len(body)}")
            lines.append("connection: close")
            upstream_writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
            await upstream_writer.drain()
            # The upstream was asked to close after its response: EOF marks the end.
            return await upstream_reader.read()
        finally:
            upstream_writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await upstream_writer.wait_closed()


def _parse_head(head: bytes) -> tuple[str, list[tuple[str, str]]]:
    text = head.decode("latin-1")
    lines = text.split("\r\n")
    headers: list[tuple[str, str]] = []
    for line in lines[1:]:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep:
            raise ValueError("malformed header line")
        headers.append((name.strip().lower(), value.strip()))
    return lines[0], headers


async def _read_body(reader: asyncio.StreamReader, headers: list[tuple[str, str]]) -> bytes:
    values = dict(headers)
    if "chunked" in values.get("transfer-encoding", "").lower():
        chunks: list[bytes] = []
        while True:
            size_line = await reader.readuntil(b"\r\n")
            size = int(size_line.split(b";", 1)[0].strip(), 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                return b"".join(chunks)
            chunks.append(await reader.readexactly(size))
            await reader.readexactly(2)
    length = int(values.get("content-length", "0") or "0")
    return await reader.readexactly(length) if length > 0 else b""


def _status_response(fault: Fault) -> bytes:
    reason = _REASONS.get(fault.status_code, "Error")
    body = json.dumps(
        {
            "success": False,
            "error": {
                "code": "FAULT_INJECTED",
                "message": f"{fault.status_code} {reason} (injected by the fault proxy)",
            },
        }
    ).encode()
    lines = [
        f"HTTP/1.1 {fault.status_code} {reason}",
        "content-type: application/json",
        f"content-length: {len(body)}",
        "connection: close",
    ]
    if fault.retry_after is not None:
        lines.append(f"retry-after: {fault.retry_after}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def _abort(writer: asyncio.StreamWriter) -> None:
    """Cut the connection at once (a reset where the platform allows it), sending nothing."""
    transport: Any = writer.transport
    transport.abort()
