"""Fixtures for the local server: real SQLite files, a real PostgreSQL schema per test (when
SPAPS_TEST_DATABASE_URL is set), the app in-process over ASGI, uvicorn on a loopback port in a
thread, and ``spaps local`` as a subprocess."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import os
import secrets
import selectors
import signal
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi import APIRouter
from sqlalchemy.ext.asyncio import create_async_engine

from spaps_server.app import create_app
from spaps_server.config import ServerConfig
from spaps_server.storage.database import normalize_database_url

PG_ENV = "SPAPS_TEST_DATABASE_URL"
DEFAULT_KEY = "test_key_local_dev_only"


def pg_base_url() -> str | None:
    """The PostgreSQL URL for tests, converted to the asyncpg driver (or None)."""
    raw = os.environ.get(PG_ENV, "").strip()
    if not raw:
        return None
    return normalize_database_url(raw).render_as_string(hide_password=False)


@dataclasses.dataclass(frozen=True)
class DbTarget:
    """Where a test's database lives."""

    kind: str
    url: str | None  # None: the embedded SQLite file in the data dir
    schema: str | None
    data_dir: Path

    def config(self, **overrides: Any) -> ServerConfig:
        values: dict[str, Any] = {
            "data_dir": self.data_dir,
            "database_url": self.url,
            "database_schema": self.schema,
        }
        values.update(overrides)
        return ServerConfig(**values)


async def _pg_exec(url: str, statement: str) -> None:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(sa.text(statement))
    finally:
        await engine.dispose()


@contextlib.contextmanager
def pg_schema() -> Iterator[tuple[str, str]]:
    """A fresh PostgreSQL schema, dropped afterwards; yields (url, schema)."""
    url = pg_base_url()
    if url is None:
        pytest.skip(f"{PG_ENV} is not set: PostgreSQL tests skipped")
    schema = f"spaps_test_{secrets.token_hex(6)}"
    asyncio.run(_pg_exec(url, f'CREATE SCHEMA "{schema}"'))
    try:
        yield url, schema
    finally:
        asyncio.run(_pg_exec(url, f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))


@pytest.fixture(params=["sqlite", "postgresql"])
def db_target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DbTarget]:
    """Runs the test once on a SQLite file and once on a fresh PostgreSQL schema."""
    data_dir = tmp_path / "data"
    if request.param == "sqlite":
        yield DbTarget("sqlite", None, None, data_dir)
        return
    with pg_schema() as (url, schema):
        yield DbTarget("postgresql", url, schema, data_dir)


@pytest.fixture
def sqlite_target(tmp_path: Path) -> DbTarget:
    """The embedded SQLite database in a temporary data dir."""
    return DbTarget("sqlite", None, None, tmp_path / "data")


@contextlib.asynccontextmanager
async def serve_in_process(
    config: ServerConfig, *, extra_routers: Sequence[APIRouter] = ()
) -> AsyncIterator[tuple[Any, httpx.AsyncClient]]:
    """The app with its lifespan entered, and an httpx client speaking ASGI to it."""
    app = create_app(config, extra_routers=extra_routers)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://spaps.test") as client:
            yield app, client


@pytest.fixture
async def client(sqlite_target: DbTarget) -> AsyncIterator[httpx.AsyncClient]:
    """An in-process client against a fresh SQLite-backed app."""
    async with serve_in_process(sqlite_target.config()) as (_app, http):
        yield http


@dataclasses.dataclass
class LiveServer:
    """uvicorn serving the app on a loopback port in a background thread."""

    url: str
    app: Any


class _RecordingHandler(logging.Handler):
    """Keeps the formatted records (with tracebacks) of the logger it is added to."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(logging.Formatter().format(record))

    def text(self) -> str:
        return "\n".join(self.records) or "(nothing logged)"


@contextlib.contextmanager
def live_server(
    config: ServerConfig, *, extra_routers: Sequence[APIRouter] = ()
) -> Iterator[LiveServer]:
    """Serve ``config`` over real HTTP on 127.0.0.1 (a free port) until the block exits."""
    import uvicorn

    from spaps_server.commands import bind_socket

    sock = bind_socket("127.0.0.1", 0)
    port = sock.getsockname()[1]
    app = create_app(config.with_port(port), extra_routers=extra_routers)
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, access_log=False, lifespan="on"))
    # uvicorn reports a failed start-up (the app's lifespan raising) only through its logger.
    startup_errors = _RecordingHandler()
    uvicorn_log = logging.getLogger("uvicorn.error")
    uvicorn_log.addHandler(startup_errors)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    # Generous: migrating a fresh PostgreSQL schema on a loaded 2-core machine takes a while.
    deadline = time.monotonic() + 90
    try:
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError(f"uvicorn did not start:\n{startup_errors.text()}")
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start within 90 s")
            time.sleep(0.01)
    finally:
        uvicorn_log.removeHandler(startup_errors)
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", app)
    finally:
        server.should_exit = True
        thread.join(timeout=20)
        sock.close()


@dataclasses.dataclass
class SpapsProcess:
    """A running ``spaps local --json`` subprocess and its start-up record."""

    proc: subprocess.Popen[str]
    record: dict[str, Any]

    @property
    def url(self) -> str:
        return str(self.record["url"])

    def stop(self, sig: int = signal.SIGINT, timeout: float = 20) -> tuple[int, str, str]:
        """Send ``sig`` and return (exit status, rest of stdout, stderr)."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        out, err = self.proc.communicate(timeout=timeout)
        return self.proc.returncode, out, err


def spaps_command(*args: str) -> list[str]:
    """The command line running the ``spaps`` CLI with this interpreter."""
    return [
        sys.executable,
        "-c",
        "import sys; from spaps_server.cli import main; sys.exit(main())",
        *args,
    ]


def start_spaps_local(
    *args: str, env: dict[str, str] | None = None, timeout: float = 30
) -> SpapsProcess:
    """Start ``spaps local --json --port 0 ARGS`` and wait for its start-up record."""
    return start_spaps("local", *args, env=env, timeout=timeout)


def start_spaps(
    command: str, *args: str, env: dict[str, str] | None = None, timeout: float = 30
) -> SpapsProcess:
    """Start ``spaps COMMAND --json --port 0 ARGS`` and wait for its start-up record."""
    proc = subprocess.Popen(
        spaps_command(command, "--json", "--port", "0", *args),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )
    assert proc.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(proc.stdout, selectors.EVENT_READ)
    line = ""
    deadline = time.monotonic() + timeout
    while not line:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not selector.select(timeout=remaining):
            proc.kill()
            _, err = proc.communicate()
            raise RuntimeError(f"spaps {command} did not start: {err}")
        line = proc.stdout.readline()
        if not line and proc.poll() is not None:
            _, err = proc.communicate()
            raise RuntimeError(f"spaps {command} exited with {proc.returncode}: {err}")
    selector.close()
    return SpapsProcess(proc, json.loads(line))


@pytest.fixture
def spaps_process(tmp_path: Path) -> Iterator[SpapsProcess]:
    """``spaps local`` as a real subprocess on a free port with a fresh data dir."""
    process = start_spaps_local("--data-dir", str(tmp_path / "data"))
    try:
        yield process
    finally:
        if process.proc.poll() is None:
            process.stop()
