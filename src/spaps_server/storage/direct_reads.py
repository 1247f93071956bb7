"""Direct reads: the hot indexed lookups (a bearer token's session row, an API key) without
SQLAlchemy's async adapter.

Through the async engine one lookup costs several thread or greenlet hand-offs: on SQLite
every statement is shipped to an aiosqlite worker thread and back, on PostgreSQL a pooled
checkout pings the server and the statement runs inside its own ``BEGIN``/``ROLLBACK``. A
direct read runs the same statement, written once in SQLAlchemy Core and compiled once per
dialect (:class:`DirectQuery`), straight on the driver:

* **SQLite** (a file database): one ``sqlite3`` connection per event-loop thread, used on the
  loop itself. The database is in WAL mode, so a reader never waits for a writer: each
  statement reads the last committed snapshot and finishes in microseconds. The connection
  refuses writes (``PRAGMA query_only``) and has a busy timeout of zero, so the rare moments
  when SQLite does make a reader wait (another process recovering the WAL after a crash, or
  changing the journal mode) raise at once instead of stalling the loop; the read is then
  answered by the ordinary async path, which may wait off the loop. Statements are fully
  stepped before returning, so no read transaction outlives its statement.
* **PostgreSQL**: a small asyncpg pool of its own, running the statement with asyncpg's
  prepared-statement cache in one round trip (autocommit: each statement sees what was
  committed before it started, PostgreSQL's READ COMMITTED, as on the engine's connections).
  The connections never change session state, so they are not reset between uses. A
  connection that fails (the server restarted) makes the read fall back to the engine, whose
  pool pings and reconnects.

Neither path sees the uncommitted writes of an open transaction: a caller inside one passes
its ``conn`` and the read runs there (see :meth:`Database.first`).
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, Dialect

# A statement observer receives the SQL text of every statement a direct reader runs.
StatementObserver = Callable[[str], None]

# SQLite's primary result codes for "another connection holds a lock".
_SQLITE_BUSY = 5
_SQLITE_LOCKED = 6
# Connections of the PostgreSQL direct pool: each is held for one statement only, so a few
# serve many concurrent requests.
POSTGRES_DIRECT_POOL_SIZE = 4
# After the direct pool could not be opened, the engine answers for this long before the
# pool is tried again (so an unreachable server is not dialled twice per request).
_POSTGRES_RETRY_SECONDS = 5.0


class DirectReadUnavailable(Exception):
    """The direct path cannot answer this read right now; the async engine answers it."""


class CompiledRead:
    """A :class:`DirectQuery` compiled for one dialect: the SQL text, the parameter order
    with each value's bind processing, and the result keys with their result processing
    (the same conversions SQLAlchemy applies, e.g. UTC timestamps and booleans on SQLite)."""

    __slots__ = ("_binds", "_processors", "keys", "sql")

    def __init__(self, statement: sa.Select[Any], dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        names = compiled.positiontup
        if names is None:
            raise ValueError(f"{dialect.name} does not use positional parameters")
        self.sql = compiled.string
        binds: list[tuple[str, Any, Callable[[Any], Any] | None, bool]] = []
        for name in names:
            bind = compiled.binds[name]
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            binds.append((name, bind.effective_value, processor, bool(bind.required)))
        self._binds = tuple(binds)
        for column in statement.selected_columns:
            if isinstance(column.type, sa.JSON):
                # asyncpg would hand over the text: the engine decodes it, this path does not.
                raise ValueError(f"direct reads do not carry JSON columns ({column.key})")
        self.keys = tuple(str(column.key) for column in statement.selected_columns)
        self._processors = tuple(
            column.type.dialect_impl(dialect).result_processor(dialect, None)
            for column in statement.selected_columns
        )

    def parameters(self, values: Mapping[str, Any]) -> list[Any]:
        """The positional parameters for ``values`` (named as in the statement)."""
        out: list[Any] = []
        for name, default, processor, required in self._binds:
            if name in values:
                value = values[name]
            elif required:
                raise KeyError(f"missing value for bound parameter {name!r}")
            else:
                value = default
            out.append(processor(value) if processor is not None else value)
        return out

    def row(self, raw: Sequence[Any]) -> dict[str, Any]:
        """One raw driver row as a mapping of the statement's column keys."""
        return {
            key: processor(value) if processor is not None else value
            for key, processor, value in zip(self.keys, self._processors, raw, strict=True)
        }


class DirectQuery:
    """A SELECT that may be answered by the direct path: built once (usually at import)
    with ``sa.bindparam`` parameters, compiled lazily once per dialect."""

    __slots__ = ("_compiled", "statement")

    def __init__(self, statement: sa.Select[Any]) -> None:
        self.statement = statement
        self._compiled: dict[str, CompiledRead] = {}

    def compiled(self, dialect: Dialect) -> CompiledRead:
        """The statement compiled for ``dialect`` (cached)."""
        found = self._compiled.get(dialect.name)
        if found is None:
            found = self._compiled[dialect.name] = CompiledRead(self.statement, dialect)
        return found


class SqliteDirectReader:
    """Read-only ``sqlite3`` connections to one database file, one per thread that reads
    (in a server: the event loop's), opened on first use (see the module docstring)."""

    def __init__(self, path: Path, dialect: Dialect, observers: list[StatementObserver]) -> None:
        # mode=rw: never create the file (it exists once the engine has migrated it).
        self._uri = path.resolve().as_uri() + "?mode=rw"
        self._dialect = dialect
        self._observers = observers
        self._connections: dict[int, sqlite3.Connection] = {}
        self._lock = threading.Lock()

    @property
    def open_connections(self) -> int:
        """How many connections are open."""
        return len(self._connections)

    def _connection(self) -> sqlite3.Connection:
        thread = threading.get_ident()
        conn = self._connections.get(thread)
        if conn is not None:
            return conn
        try:
            # timeout=0: a lock makes the statement fail at once instead of sleeping on the
            # loop; autocommit (isolation_level=None): no implicit BEGIN, so each statement
            # is its own read transaction.
            conn = sqlite3.connect(
                self._uri, uri=True, timeout=0, isolation_level=None, check_same_thread=False
            )
        except sqlite3.OperationalError as exc:
            raise DirectReadUnavailable(str(exc)) from exc
        try:
            conn.execute("PRAGMA query_only=ON")
        except sqlite3.OperationalError as exc:
            conn.close()
            raise DirectReadUnavailable(str(exc)) from exc
        with self._lock:
            self._connections[thread] = conn
        return conn

    async def first(self, query: DirectQuery, values: Mapping[str, Any]) -> dict[str, Any] | None:
        """The first row of ``query``, run on this thread's connection."""
        compiled = query.compiled(self._dialect)
        parameters = compiled.parameters(values)
        conn = self._connection()
        for observe in self._observers:
            observe(compiled.sql)
        try:
            cursor = conn.execute(compiled.sql, parameters)
            try:
                # Stepping to the end resets the statement, which ends its read transaction.
                rows = cursor.fetchall()
            finally:
                cursor.close()
        except sqlite3.OperationalError as exc:
            if _is_lock_error(exc):
                raise DirectReadUnavailable("the database is locked") from exc
            raise
        return compiled.row(rows[0]) if rows else None

    async def close(self) -> None:
        """Close every connection."""
        with self._lock:
            connections = list(self._connections.values())
            self._connections.clear()
        for conn in connections:
            conn.close()


def _is_lock_error(exc: sqlite3.OperationalError) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)  # Python 3.11+
    if code is not None:
        return code & 0xFF in (_SQLITE_BUSY, _SQLITE_LOCKED)
    text = str(exc)
    return text.startswith("database") and text.endswith("is locked")


class PostgresDirectReader:
    """A small asyncpg pool of its own for direct reads (see the module docstring), opened on
    first use on the event loop that reads."""

    def __init__(
        self,
        url: URL,
        dialect: Dialect,
        schema: str | None,
        observers: list[StatementObserver],
        *,
        pool_size: int = POSTGRES_DIRECT_POOL_SIZE,
    ) -> None:
        self._url = url
        self._dialect = dialect
        self._schema = schema
        self._observers = observers
        self._pool_size = pool_size
        self._pool: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._opening: asyncio.Lock | None = None
        self._retry_at = 0.0

    @property
    def pool(self) -> Any:
        """The asyncpg pool, or ``None`` before first use and after :meth:`close`."""
        return self._pool

    async def _open(self) -> Any:
        import asyncpg

        loop = asyncio.get_running_loop()
        if self._pool is not None:
            if self._loop is not loop:
                raise DirectReadUnavailable("the direct pool belongs to another event loop")
            return self._pool
        if time.monotonic() < self._retry_at:
            raise DirectReadUnavailable("the direct pool could not be opened recently")
        if self._opening is None:
            self._opening = asyncio.Lock()
        async with self._opening:
            if self._pool is not None:
                return self._pool
            _, options = self._dialect.create_connect_args(self._url)
            settings = {"application_name": "spaps-direct-reads"}
            if self._schema:
                settings["search_path"] = self._schema
            try:
                self._pool = await asyncpg.create_pool(
                    min_size=1,
                    max_size=self._pool_size,
                    # No idle timer armed and cancelled around every statement; the few
                    # connections stay open, and a dead one is replaced when it fails.
                    max_inactive_connection_lifetime=0,
                    server_settings=settings,
                    reset=_keep_session,
                    **options,
                )
            except (OSError, asyncio.TimeoutError, asyncpg.PostgresError) as exc:
                self._retry_at = time.monotonic() + _POSTGRES_RETRY_SECONDS
                raise DirectReadUnavailable(type(exc).__name__) from exc
            self._loop = loop
        return self._pool

    async def first(self, query: DirectQuery, values: Mapping[str, Any]) -> dict[str, Any] | None:
        """The first row of ``query``, run on a pooled asyncpg connection."""
        import asyncpg

        compiled = query.compiled(self._dialect)
        parameters = compiled.parameters(values)
        pool = await self._open()
        for observe in self._observers:
            observe(compiled.sql)
        async with pool.acquire() as conn:
            try:
                record = await conn.fetchrow(compiled.sql, *parameters)
            except (
                OSError,
                asyncpg.InterfaceError,
                asyncpg.InternalClientError,
                asyncpg.PostgresConnectionError,
                asyncpg.exceptions.OperatorInterventionError,
                asyncpg.exceptions.CannotConnectNowError,
            ) as exc:
                # The connection is unusable (the server restarted or ended it): drop it,
                # so that the pool opens a new one for the next read.
                conn.terminate()
                raise DirectReadUnavailable(type(exc).__name__) from exc
        return compiled.row(record) if record is not None else None

    async def close(self) -> None:
        """Close the pool (waiting for statements in flight)."""
        pool, self._pool = self._pool, None
        if pool is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(pool.close(), timeout=10)
            pool.terminate()


async def _keep_session(_conn: Any) -> None:
    """Nothing to reset: a direct read runs one SELECT and changes no session state."""
