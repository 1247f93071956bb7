"""The database handle: one async SQLAlchemy engine for SQLite (aiosqlite) or PostgreSQL
(asyncpg), with the connection settings each needs and the transaction helpers the
repositories use."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import enum
import logging
import os
import re
from collections.abc import AsyncIterator, Iterator, Mapping
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import AsyncAdaptedQueuePool

from .direct_reads import (
    DirectQuery,
    DirectReadUnavailable,
    PostgresDirectReader,
    SqliteDirectReader,
    StatementObserver,
)

_SCHEMA_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
# An execution option that makes a SQLite transaction take the write lock up front.
_WRITE_OPTION = "spaps_write"
# SQLite pool: every connection is a file handle plus an aiosqlite worker thread, opened once
# (with its PRAGMAs) and reused. Sized so that a busy server keeps its connections instead of
# opening and closing overflow ones per request.
_SQLITE_POOL_SIZE = 10
_SQLITE_MAX_OVERFLOW = 20
# Set to 1 (the test suite does) to make a nested pooled connection an error instead of a
# logged warning; see :class:`NestedConnectionError`.
STRICT_CONNECTIONS_ENV = "SPAPS_STRICT_CONNECTIONS"

logger = logging.getLogger("spaps_server.storage")


class _Holding:
    """Marks that the current task holds a pooled connection (until ``released``). Kept in a
    context variable: a task started while it is held inherits the mark, so the mark is an
    object whose flag the holder clears, not the variable's value itself."""

    __slots__ = ("owner", "released", "task")

    def __init__(self, owner: object) -> None:
        self.owner = owner
        self.released = False
        # A task started meanwhile inherits the mark but is not nested: it waits for its own
        # connection while the holder goes on.
        self.task = asyncio.current_task()


_holding: contextvars.ContextVar[_Holding | None] = contextvars.ContextVar(
    "spaps_db_holding", default=None
)


class NestedConnectionError(RuntimeError):
    """A unit of work asked the pool for a second connection while holding one.

    That pattern (a repository call without ``conn=`` inside ``db.begin()``) deadlocks under
    load: when every pooled connection is held by a request waiting for another one, none is
    ever returned, and each waits for the pool timeout. Pass the caller's ``conn`` instead.
    """


class DatabaseKind(str, enum.Enum):
    """Which engine the server runs on."""

    SQLITE = "sqlite"
    POSTGRESQL = "postgresql"


class DatabaseConfigError(Exception):
    """The database URL is malformed, unsupported, or the database cannot be reached."""


def normalize_database_url(url: str) -> URL:
    """Turn a user-facing URL into the async driver URL.

    ``sqlite:///path`` → ``sqlite+aiosqlite:///path``; ``postgres://``, ``postgresql://`` and
    any ``postgresql+driver://`` → ``postgresql+asyncpg://``. Anything else is refused.
    """
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseConfigError("malformed database URL") from exc
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return parsed.set(drivername="sqlite+aiosqlite")
    if backend in {"postgresql", "postgres"}:
        return parsed.set(drivername="postgresql+asyncpg")
    raise DatabaseConfigError(
        f"unsupported database URL scheme {parsed.drivername!r} (use sqlite:///PATH "
        "or postgresql://USER:PASSWORD@HOST:PORT/DB)"
    )


def redact_database_url(url: str) -> str:
    """The URL with any password hidden, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<malformed database URL>"


class Database:
    """An async engine plus the helpers repositories use.

    * ``async with db.begin() as conn`` runs a read-write transaction (committed on success);
    * ``async with db.read() as conn`` runs a read-only unit of work;
    * repository methods accept ``conn=`` to join a caller's transaction (see ``use``);
    * ``await db.first(query, params)`` answers a hot indexed lookup through the direct
      path (:mod:`.direct_reads`), falling back to a read unit of work.

    Both engines use a pool of persistent connections. Reads have the same isolation on both:
    each statement sees the data committed before it started (PostgreSQL's default READ
    COMMITTED; on SQLite a read unit of work runs its statements in autocommit mode, each
    one atomic, so it neither takes a lock nor pays for a ``BEGIN``/``ROLLBACK`` round trip
    to the driver thread). Writes on SQLite take the write lock at ``BEGIN IMMEDIATE``.
    """

    def __init__(
        self,
        url: str,
        *,
        schema: str | None = None,
        echo: bool = False,
        strict_connections: bool | None = None,
    ) -> None:
        parsed = normalize_database_url(url)
        if strict_connections is None:
            strict_connections = os.environ.get(STRICT_CONNECTIONS_ENV, "") == "1"
        # Strict: a nested pooled connection raises NestedConnectionError; otherwise it is
        # logged (once per call site would need a stack walk; once per Database suffices).
        self.strict_connections = strict_connections
        self._warned_nested = False
        self.kind = (
            DatabaseKind.SQLITE
            if parsed.get_backend_name() == "sqlite"
            else DatabaseKind.POSTGRESQL
        )
        if self.kind is DatabaseKind.POSTGRESQL and "schema" in parsed.query:
            # ``?schema=NAME`` on a PostgreSQL URL selects the schema (our option, not the
            # driver's, so it is taken off the URL).
            url_schema = parsed.query["schema"]
            schema = schema or (url_schema if isinstance(url_schema, str) else url_schema[0])
            parsed = parsed.difference_update_query(["schema"])
        self.url = parsed
        if schema is not None and not _SCHEMA_NAME.fullmatch(schema):
            raise DatabaseConfigError(f"invalid schema name {schema!r}")
        self.schema = schema
        self.engine: AsyncEngine = self._create_engine(echo)
        # SQLite admits one writer at a time, and writers waiting in its busy handler are not
        # served in order: under many concurrent writers one can starve for the whole busy
        # timeout. Queueing this process's writers here (FIFO) first leaves the busy handler
        # only the other processes to wait for. Created on first use: an asyncio.Lock belongs
        # to the loop that first waits on it.
        self._sqlite_writers: asyncio.Lock | None = None
        self._observers: list[StatementObserver] = []
        self.direct: SqliteDirectReader | PostgresDirectReader | None = self._direct_reader()
        # How many direct reads the direct path answered, and how many it handed to the engine.
        self.direct_reads_served = 0
        self.direct_reads_fallen_back = 0

    def __repr__(self) -> str:
        return f"Database({self.url.render_as_string(hide_password=True)!r})"

    @property
    def sqlite_path(self) -> Path | None:
        """The SQLite file, or ``None`` for PostgreSQL and in-memory SQLite."""
        if self.kind is not DatabaseKind.SQLITE:
            return None
        name = self.url.database
        if not name or name == ":memory:":
            return None
        return Path(name)

    def _create_engine(self, echo: bool) -> AsyncEngine:
        kwargs: dict[str, Any] = {"echo": echo}
        if self.kind is DatabaseKind.POSTGRESQL:
            connect_args: dict[str, Any] = {}
            if self.schema:
                connect_args["server_settings"] = {"search_path": self.schema}
            kwargs.update(connect_args=connect_args, pool_pre_ping=True)
            return create_async_engine(self.url, **kwargs)

        path = self.sqlite_path
        if path is None:
            kwargs["poolclass"] = sa.StaticPool
        else:
            kwargs.update(
                poolclass=AsyncAdaptedQueuePool,
                pool_size=_SQLITE_POOL_SIZE,
                max_overflow=_SQLITE_MAX_OVERFLOW,
            )
        kwargs["connect_args"] = {"timeout": 15}
        engine = create_async_engine(self.url, **kwargs)
        sa.event.listen(engine.sync_engine, "connect", _sqlite_on_connect)
        sa.event.listen(engine.sync_engine, "begin", _sqlite_on_begin)
        return engine

    def _direct_reader(self) -> SqliteDirectReader | PostgresDirectReader | None:
        if self.kind is DatabaseKind.POSTGRESQL:
            return PostgresDirectReader(self.url, self.engine.dialect, self.schema, self._observers)
        path = self.sqlite_path
        # An in-memory database exists only on the engine's one connection.
        return SqliteDirectReader(path, self.engine.dialect, self._observers) if path else None

    def _holds_connection(self) -> bool:
        held = _holding.get()
        return (
            held is not None
            and held.owner is self
            and not held.released
            and held.task is asyncio.current_task()
        )

    @contextlib.asynccontextmanager
    async def _connect(self) -> AsyncIterator[AsyncConnection]:
        """A pooled connection for the current task, refusing (or reporting) a nested one."""
        if self._holds_connection():
            self._nested_connection()
        mark = _Holding(self)
        token = _holding.set(mark)
        try:
            async with self.engine.connect() as conn:
                yield conn
        finally:
            mark.released = True
            _holding.reset(token)

    def _nested_connection(self) -> None:
        message = (
            "a second pooled connection was requested while this task holds one; "
            "pass conn= to join the open unit of work"
        )
        if self.strict_connections:
            raise NestedConnectionError(message)
        if not self._warned_nested:
            self._warned_nested = True
            logger.warning("%s", message, stack_info=True)

    @contextlib.asynccontextmanager
    async def begin(self) -> AsyncIterator[AsyncConnection]:
        """A read-write transaction: committed when the block exits normally, rolled back on
        an exception. On SQLite it takes the write lock at once so that concurrent
        read-then-write transactions queue instead of failing."""
        if self.kind is not DatabaseKind.SQLITE:
            async with self._connect() as conn, conn.begin():
                yield conn
            return
        if self._sqlite_writers is None:
            self._sqlite_writers = asyncio.Lock()
        async with self._sqlite_writers, self._connect() as conn:
            await conn.execution_options(**{_WRITE_OPTION: True})
            async with conn.begin():
                yield conn

    @contextlib.asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """A unit of work for reads only: each statement sees what was committed before it
        started (see the class docstring); nothing is locked and nothing may be written."""
        async with self._connect() as conn:
            yield conn

    @contextlib.asynccontextmanager
    async def use(
        self, conn: AsyncConnection | None, *, write: bool = True
    ) -> AsyncIterator[AsyncConnection]:
        """Join ``conn`` when a caller passes one, otherwise open a new unit of work."""
        if conn is not None:
            yield conn
            return
        opener = self.begin() if write else self.read()
        async with opener as own:
            yield own

    async def first(
        self,
        query: DirectQuery,
        params: Mapping[str, Any],
        *,
        conn: AsyncConnection | None = None,
    ) -> Mapping[str, Any] | None:
        """The first row of ``query`` (as a mapping of its column keys), or ``None``.

        With ``conn`` the query runs in the caller's unit of work (and sees its uncommitted
        writes). Otherwise the direct path answers (see :mod:`.direct_reads`): the same
        isolation as :meth:`read`, each statement seeing what was committed before it
        started, without the async adapter's hand-offs; when the direct path cannot answer
        at this moment (a lock on SQLite, a lost connection on PostgreSQL) a read unit of
        work does.
        """
        if conn is None and self.direct is not None:
            if self._holds_connection():
                # Reading beside an open unit of work is the same mistake here as on the pool:
                # the read would not see that unit's writes.
                self._nested_connection()
            try:
                row = await self.direct.first(query, params)
            except DirectReadUnavailable:
                self.direct_reads_fallen_back += 1
            else:
                self.direct_reads_served += 1
                return row
        async with self.use(conn, write=False) as c:
            found = (await c.execute(query.statement, params)).first()
        return found._mapping if found is not None else None

    @contextlib.contextmanager
    def observe_statements(self, observer: StatementObserver) -> Iterator[None]:
        """Call ``observer`` with the SQL text of every statement this database runs, on the
        engine's connections and on the direct path, while the block runs (for tests and
        debugging: which statements a request costs)."""

        def on_cursor(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
            observer(statement)

        sa.event.listen(self.engine.sync_engine, "before_cursor_execute", on_cursor)
        self._observers.append(observer)
        try:
            yield
        finally:
            self._observers.remove(observer)
            sa.event.remove(self.engine.sync_engine, "before_cursor_execute", on_cursor)

    async def ping(self) -> None:
        """Run a trivial query; raises if the database cannot be reached, and
        :class:`DatabaseConfigError` if the configured PostgreSQL schema does not exist
        (PostgreSQL would otherwise fail later with "no schema has been selected")."""
        async with self.read() as conn:
            if self.kind is DatabaseKind.POSTGRESQL and self.schema:
                found = await conn.execute(
                    sa.text("SELECT 1 FROM pg_namespace WHERE nspname = :schema"),
                    {"schema": self.schema},
                )
                if found.first() is None:
                    raise DatabaseConfigError(
                        f'schema "{self.schema}" does not exist (create it with '
                        f'CREATE SCHEMA "{self.schema}", or leave out ?schema=)'
                    )
            else:
                await conn.execute(sa.text("SELECT 1"))

    async def dispose(self) -> None:
        """Close every pooled connection and the direct path's connections."""
        if self.direct is not None:
            await self.direct.close()
        await self.engine.dispose()


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event decide when a transaction starts (the driver's own
    # implicit BEGIN would make DDL non-transactional and upgrade locks too late).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def _sqlite_on_begin(conn: sa.Connection) -> None:
    # Only read-write units of work open a transaction, and they take the write lock at once.
    # A read unit of work stays in autocommit mode: every SELECT is its own atomic snapshot
    # (the isolation PostgreSQL gives by default), with no lock held between statements and
    # no extra BEGIN executed on the driver's thread.
    if conn.get_execution_options().get(_WRITE_OPTION, False):
        conn.exec_driver_sql("BEGIN IMMEDIATE")
