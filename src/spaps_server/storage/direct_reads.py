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
* **PostgreSQL**: a few asyncpg connections of their own, each lent for one statement, run
  with asyncpg's prepared-statement cache in one round trip (autocommit: each statement sees
  what was committed before it started, PostgreSQL's READ COMMITTED, as on the engine's
  connections). The connections never change session state, so nothing is reset between
  uses. A connection that fails (the server restarted or ended it) is dropped and the read
  falls back to the engine, whose pool pings and reconnects; the next read opens a new one.
  A lookup by a unique key (:class:`DirectLookup`, e.g. a session by id) is gathered with the
  same lookups of other requests that arrive before a connection takes it, and they are
  answered together by one ``= ANY(...)`` statement: under load, one round trip (and one
  statement for PostgreSQL to run) serves many requests. A caller only joins a batch whose
  statement has not been sent yet, so its answer still reflects every commit made before it
  asked.

Neither path sees the uncommitted writes of an open transaction: a caller inside one passes
its ``conn`` and the read runs there (see :meth:`Database.first`).
"""

from __future__ import annotations

import asyncio
import collections
import sqlite3
import threading
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
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
# The most callers one batched lookup answers (a larger gathering starts another batch).
POSTGRES_MAX_BATCH = 64


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
        # Only the columns whose values need converting (most arrive as they are).
        self._processors = tuple(
            (key, processor)
            for key, column in zip(self.keys, statement.selected_columns, strict=True)
            if (processor := column.type.dialect_impl(dialect).result_processor(dialect, None))
            is not None
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
        out = dict(zip(self.keys, raw, strict=True))
        for key, processor in self._processors:
            out[key] = processor(out[key])
        return out


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


class DirectLookup(DirectQuery):
    """A :class:`DirectQuery` that finds at most one row by a unique key, which the
    PostgreSQL direct path may answer for many concurrent callers with one statement.

    ``select`` is the SELECT without its WHERE clause; ``key`` names the parameter and the
    unique column it must equal; ``also`` names further parameters and the columns they must
    equal. The single-caller statement is ``select`` where every column equals its parameter;
    the batched one is ``select`` where the key column is any of the gathered keys, each
    caller then taking the row whose columns equal all of its parameters. Every column named
    must be among the selected ones. Example::

        by_id = DirectLookup(
            sa.select(sessions),
            key=("session_id", sessions.c.id),
            also={"application_id": sessions.c.application_id},
        )
    """

    __slots__ = ("batched", "key_param", "matches")

    def __init__(
        self,
        select: sa.Select[Any],
        *,
        key: tuple[str, sa.Column[Any]],
        also: Mapping[str, sa.Column[Any]],
    ) -> None:
        self.key_param, key_column = key
        columns = {self.key_param: key_column, **also}
        super().__init__(
            select.where(*(column == sa.bindparam(name) for name, column in columns.items()))
        )
        selected = {str(column.key): column for column in select.selected_columns}
        for column in columns.values():
            if selected.get(str(column.key)) is not column:
                raise ValueError(f"the lookup's column {column.key!r} must be selected")
        self.matches = tuple((name, str(column.key)) for name, column in columns.items())
        keys = sa.bindparam("keys", type_=sa.ARRAY(key_column.type))
        self.batched = DirectQuery(select.where(key_column == sa.any_(keys)))

    def answers(self, row: Mapping[str, Any], values: Mapping[str, Any]) -> bool:
        """Whether ``row`` is the single-caller statement's answer for ``values``."""
        return all(row[column] == values[name] for name, column in self.matches)


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


class _Connections:
    """At most ``size`` asyncpg connections, each lent for one statement at a time, opened
    on demand. (asyncpg's own pool wraps every loan in a proxy, a shielded task and a reset,
    several times the cost of the statement's own client work.) Belongs to one event loop."""

    def __init__(self, connect: Callable[[], Awaitable[Any]], size: int) -> None:
        self._connect = connect
        self._size = size
        self._idle: list[Any] = []
        self._open = 0  # connections open or being opened
        self._waiters: collections.deque[asyncio.Future[Any]] = collections.deque()
        self._closed = False

    @property
    def open_connections(self) -> int:
        """How many connections are open (or being opened)."""
        return self._open

    async def acquire(self) -> Any:
        """A connection for one statement; give it back with :meth:`release`."""
        while True:
            if self._closed:
                raise DirectReadUnavailable("the direct connections are closed")
            while self._idle:
                conn = self._idle.pop()
                if not conn.is_closed():
                    return conn
                self._open -= 1
            if self._open < self._size:
                self._open += 1
                try:
                    return await self._connect()
                except BaseException:
                    self._open -= 1
                    self._hand_over(None)
                    raise
            waiter: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                conn = await waiter
            except BaseException:
                if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                    # Handed a connection (or a free place) just as this task was cancelled:
                    # pass it on.
                    handed = waiter.result()
                    if handed is None:
                        self._hand_over(None)
                    else:
                        self.release(handed)
                raise
            if conn is not None:
                return conn
            # ``None``: a connection was dropped, so this task may open one.

    def release(self, conn: Any) -> None:
        """Give back a connection (a closed one frees its place)."""
        if self._closed or conn.is_closed():
            if not conn.is_closed():
                conn.terminate()
            self._open -= 1
            self._hand_over(None)
            return
        self._hand_over(conn)

    def _hand_over(self, conn: Any) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(conn)
                return
        if conn is not None:
            self._idle.append(conn)

    async def close(self) -> None:
        """Close the idle connections; those lent out are closed when given back."""
        self._closed = True
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_exception(DirectReadUnavailable("the direct connections are closed"))
        idle, self._idle = self._idle, []
        self._open -= len(idle)
        for conn in idle:
            try:
                await asyncio.wait_for(conn.close(), timeout=5)
            except Exception:
                conn.terminate()


class _Batch:
    """The callers of one batched lookup: each one's parameters and the future of its row."""

    __slots__ = ("callers",)

    def __init__(self) -> None:
        self.callers: list[tuple[Mapping[str, Any], asyncio.Future[dict[str, Any] | None]]] = []

    def fail(self, exc: BaseException) -> None:
        """Fail every caller still waiting: with an error of the statement as it is, with
        :class:`DirectReadUnavailable` (so that the engine answers) otherwise."""
        for _, answer in self.callers:
            if answer.done():
                continue
            if isinstance(exc, Exception) and not isinstance(exc, DirectReadUnavailable):
                answer.set_exception(exc)
            else:
                answer.set_exception(DirectReadUnavailable(f"batched read: {type(exc).__name__}"))


class PostgresDirectReader:
    """A few asyncpg connections of its own for direct reads (see the module docstring),
    opened on first use on the event loop that reads."""

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
        self._pool: _Connections | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._retry_at = 0.0
        # The batch of each lookup still gathering callers (its statement not yet sent).
        self._gathering: dict[DirectLookup, _Batch] = {}
        self._batch_tasks: set[asyncio.Task[None]] = set()
        # How many batched statements ran, and how many callers they answered.
        self.batches_run = 0
        self.batched_callers = 0

    @property
    def pool(self) -> _Connections | None:
        """The connections, or ``None`` before first use and after :meth:`close`."""
        return self._pool

    def _connections(self) -> _Connections:
        loop = asyncio.get_running_loop()
        if self._pool is None:
            self._pool = _Connections(self._connect, self._pool_size)
            self._loop = loop
        elif self._loop is not loop:
            raise DirectReadUnavailable("the direct connections belong to another event loop")
        return self._pool

    async def _connect(self) -> Any:
        import asyncpg

        if time.monotonic() < self._retry_at:
            raise DirectReadUnavailable("PostgreSQL could not be reached a moment ago")
        _, options = self._dialect.create_connect_args(self._url)
        settings = {"application_name": "spaps-direct-reads"}
        if self._schema:
            settings["search_path"] = self._schema
        try:
            return await asyncpg.connect(server_settings=settings, **options)
        except (OSError, asyncio.TimeoutError, asyncpg.PostgresError) as exc:
            self._retry_at = time.monotonic() + _POSTGRES_RETRY_SECONDS
            raise DirectReadUnavailable(type(exc).__name__) from exc

    async def first(self, query: DirectQuery, values: Mapping[str, Any]) -> dict[str, Any] | None:
        """The first row of ``query``, run on one of the direct connections (a
        :class:`DirectLookup` possibly together with other callers' lookups)."""
        pool = self._connections()
        if isinstance(query, DirectLookup):
            return await self._lookup(pool, query, values)
        compiled = query.compiled(self._dialect)
        parameters = compiled.parameters(values)
        conn = await pool.acquire()
        records = await self._run(pool, conn, compiled, parameters, single=True)
        return compiled.row(records[0]) if records else None

    async def _run(
        self,
        pool: _Connections,
        conn: Any,
        compiled: CompiledRead,
        parameters: list[Any],
        *,
        single: bool,
    ) -> list[Any]:
        """The records of one statement on ``conn`` (lent by ``pool``, given back here);
        ``single``: only the first."""
        import asyncpg

        try:
            for observe in self._observers:
                observe(compiled.sql)
            if single:
                record = await conn.fetchrow(compiled.sql, *parameters)
                records = [] if record is None else [record]
            else:
                records = await conn.fetch(compiled.sql, *parameters)
        except (
            OSError,
            asyncpg.InterfaceError,
            asyncpg.InternalClientError,
            asyncpg.PostgresConnectionError,
            asyncpg.exceptions.OperatorInterventionError,
            asyncpg.exceptions.CannotConnectNowError,
        ) as exc:
            # The connection is unusable (the server restarted or ended it): drop it, so
            # that the next read opens a new one; the engine answers this one.
            conn.terminate()
            pool.release(conn)
            raise DirectReadUnavailable(type(exc).__name__) from exc
        except asyncpg.PostgresError:
            pool.release(conn)  # an error in the statement; the connection is fine
            raise
        except BaseException:
            # Cancelled mid-statement: the connection's state is unknown.
            conn.terminate()
            pool.release(conn)
            raise
        pool.release(conn)
        return list(records)

    async def _lookup(
        self, pool: _Connections, query: DirectLookup, values: Mapping[str, Any]
    ) -> dict[str, Any] | None:
        loop = asyncio.get_running_loop()
        batch = self._gathering.get(query)
        if batch is None or len(batch.callers) >= POSTGRES_MAX_BATCH:
            batch = self._gathering[query] = _Batch()
            task = loop.create_task(self._answer(pool, query, batch))
            self._batch_tasks.add(task)
            task.add_done_callback(self._batch_tasks.discard)
        answer: asyncio.Future[dict[str, Any] | None] = loop.create_future()
        batch.callers.append((values, answer))
        return await answer

    async def _answer(self, pool: _Connections, query: DirectLookup, batch: _Batch) -> None:
        """Run one batch: wait for a connection (callers keep joining meanwhile), close the
        batch, run the batched statement and hand every caller its row."""
        compiled = query.batched.compiled(self._dialect)
        try:
            conn = await pool.acquire()
        except BaseException as exc:
            self._close_batch(query, batch)
            batch.fail(exc)
            if isinstance(exc, Exception):
                return
            raise
        # From here on the batch takes no more callers: a later caller's statement must start
        # after it asked.
        self._close_batch(query, batch)
        callers = [(values, answer) for values, answer in batch.callers if not answer.done()]
        if not callers:
            pool.release(conn)
            return
        keys = list(dict.fromkeys(values[query.key_param] for values, _ in callers))
        try:
            records = await self._run(
                pool, conn, compiled, compiled.parameters({"keys": keys}), single=False
            )
        except BaseException as exc:
            batch.fail(exc)
            if isinstance(exc, Exception):
                return
            raise
        rows = [compiled.row(record) for record in records]
        self.batches_run += 1
        self.batched_callers += len(callers)
        for values, answer in callers:
            if not answer.done():
                answer.set_result(next((r for r in rows if query.answers(r, values)), None))

    def _close_batch(self, query: DirectLookup, batch: _Batch) -> None:
        if self._gathering.get(query) is batch:
            del self._gathering[query]

    async def close(self) -> None:
        """Close the connections (callers of a batch still gathering fall back to the
        engine)."""
        for batch in self._gathering.values():
            batch.fail(DirectReadUnavailable("the direct connections are closed"))
        self._gathering.clear()
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close()
