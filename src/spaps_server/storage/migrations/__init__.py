"""Versioned schema migrations on Alembic, run by the server itself.

The revision scripts live in ``versions/`` beside this module and ``env.py`` is Alembic's
environment for them; both ship in the wheel. Nothing is read from an ``alembic.ini``:
:class:`MigrationScripts` builds Alembic's configuration in code, and every command runs on a
connection this module hands to Alembic, inside one transaction that first takes the
migration lock (a PostgreSQL advisory lock; on SQLite the write lock ``BEGIN IMMEDIATE``
takes). So several servers starting against one database migrate one after the other, the
later ones finding nothing to do, and a failing revision leaves no trace. Alembic's version
table lives in the configured PostgreSQL schema (``?schema=``), beside the tables.

Revision identifiers are four-digit numbers, contiguous from ``0001``, each revising the
one before (a single line of history, no branches), in files named
``vNNNN_short_name.py``; ``short_name`` is the migration's name in ``spaps db history``. The
numbers are the "schema versions" the CLI and the start-up record report.

A database made before Alembic has a ``schema_migrations`` table recording versions 1..N of
the same migrations (the revisions carry their numbers and names over unchanged).
:func:`migrate` adopts it: in the same locked transaction it checks that history against the
revisions, stamps revision N, drops ``schema_migrations`` and applies the revisions after N.

To add a migration: create ``versions/vNNNN_short_name.py`` with ``revision = "NNNN"``,
``down_revision`` naming the previous revision, and an ``upgrade()`` that takes the
connection from ``alembic.op.get_bind()`` (or uses ``alembic.op``) and dialect-neutral DDL
(define the tables it creates locally, as snapshots, rather than importing
``storage.tables``; :func:`add_column` adds a column on both dialects). Update
``storage/tables.py`` to match: a test compares the migrated database with it. An applied
revision is never edited; there are no downgrades (schemas only move forward).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import re
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext, MigrationInfo
from alembic.script import ScriptDirectory
from alembic.script.revision import RevisionError
from alembic.util import CommandError
from sqlalchemy.ext.asyncio import AsyncConnection

from ..database import Database, DatabaseKind

__all__ = [
    "LEGACY_TABLE",
    "MIGRATION_LOCK_ID",
    "PACKAGED_SCRIPTS",
    "SCRIPT_LOCATION",
    "VERSION_TABLE",
    "Migration",
    "MigrationError",
    "MigrationScripts",
    "SchemaVersion",
    "add_column",
    "migrate",
    "record_applied_revision",
    "require_current_schema",
    "reset_database",
    "schema_version",
]

SCRIPT_LOCATION = Path(__file__).resolve().parent
VERSION_TABLE = "alembic_version"
# The bookkeeping table of the runner that preceded Alembic; read only to adopt its history.
LEGACY_TABLE = "schema_migrations"

# An arbitrary constant naming our PostgreSQL advisory lock, so that two servers starting
# against one database apply migrations one after the other.
MIGRATION_LOCK_ID = 0x5A4A_5001
# Alembic keeps the running command's context in module globals (``alembic.context``,
# ``alembic.op``): two commands interleaving in one process (two event loops, or two tasks of
# one) would run each other's revisions on each other's connections. They take turns.
_ALEMBIC_TURN = threading.Lock()
_REVISION_ID = re.compile(r"^\d{4}$")
_REVISION_FILE = re.compile(r"^v(\d{4})_([a-z0-9_]+)\.py$")


class MigrationError(Exception):
    """The database's schema history does not fit this server's migrations, or the revision
    scripts themselves are malformed."""


@dataclasses.dataclass(frozen=True)
class Migration:
    """One revision: its number (``revision`` is the same number, zero-padded) and name."""

    version: int
    name: str

    @property
    def revision(self) -> str:
        """The Alembic revision identifier, e.g. ``"0007"``."""
        return f"{self.version:04d}"


@dataclasses.dataclass(frozen=True)
class SchemaVersion:
    """Where a database stands: ``version`` 0 is an empty database; ``adopted`` is False for
    a database whose history only the pre-Alembic runner recorded (:func:`migrate` adopts
    it)."""

    version: int
    adopted: bool


class MigrationScripts:
    """A directory of revision scripts (``env.py`` plus ``versions/``), checked to form one
    numbered line of revisions."""

    def __init__(self, location: Path = SCRIPT_LOCATION) -> None:
        self.location = location

    def config(self, **attributes: Any) -> Config:
        """Alembic's configuration for this directory, built in code; ``attributes`` reach
        ``env.py`` (``connection``: the connection to run on; ``schema``: where the version
        table lives; ``applied``: a list collecting the revisions applied)."""
        config = Config(attributes=attributes)
        config.set_main_option("script_location", str(self.location))
        config.set_main_option("version_locations", str(self.location / "versions"))
        config.set_main_option("path_separator", "os")
        return config

    @functools.cached_property
    def migrations(self) -> tuple[Migration, ...]:
        """Every revision, oldest first. Raises :class:`MigrationError` unless they are
        numbered ``0001``, ``0002``, ... each revising the one before, in files named after
        them."""
        try:
            directory = ScriptDirectory.from_config(self.config())
            heads = directory.get_heads()
            scripts = list(directory.walk_revisions())
        except (CommandError, RevisionError) as exc:
            raise MigrationError(
                f"the revision scripts in {self.location} are broken: {exc}"
            ) from exc
        if len(heads) > 1:
            raise MigrationError(f"the revision history must be one line, not {len(heads)} heads")
        found: list[Migration] = []
        previous: str | None = None
        for script in reversed(scripts):
            expected = f"{len(found) + 1:04d}"
            match = _REVISION_FILE.match(Path(script.path).name)
            if not _REVISION_ID.match(script.revision) or script.revision != expected:
                raise MigrationError(
                    f"revisions must be numbered contiguously from 0001; found "
                    f"{script.revision!r} where {expected!r} was expected"
                )
            if script.down_revision != previous:
                raise MigrationError(
                    f"revision {script.revision} must revise {previous!r}, "
                    f"not {script.down_revision!r}"
                )
            if match is None or match.group(1) != script.revision:
                raise MigrationError(
                    f"revision {script.revision} must live in a file named "
                    f"v{script.revision}_short_name.py, not {Path(script.path).name}"
                )
            found.append(Migration(int(script.revision), match.group(2)))
            previous = script.revision
        if not found:
            raise MigrationError(f"no revision scripts in {self.location / 'versions'}")
        return tuple(found)

    @property
    def head(self) -> int:
        """The newest schema version."""
        return self.migrations[-1].version


PACKAGED_SCRIPTS = MigrationScripts()


def record_applied_revision(
    ctx: MigrationContext, step: MigrationInfo, heads: Any, run_args: Any
) -> None:
    """Alembic's ``on_version_apply`` hook (see ``env.py``): note each revision applied in
    the ``applied`` list of the configuration's attributes."""
    del heads, run_args
    config = ctx.config
    if config is None or step.is_stamp or not step.is_upgrade:
        return
    applied = config.attributes.get("applied")
    if isinstance(applied, list):
        applied.extend(step.up_revision_ids)


def _has_table(sync: sa.Connection, name: str, schema: str | None) -> bool:
    return sa.inspect(sync).has_table(name, schema=schema)


def _alembic_revision(sync: sa.Connection, schema: str | None) -> str | None:
    context = MigrationContext.configure(sync, opts={"version_table_schema": schema})
    return context.get_current_revision()


def _legacy_history(sync: sa.Connection, schema: str | None) -> dict[int, str] | None:
    """``schema_migrations`` as {version: name}, or None when there is no such table."""
    if not _has_table(sync, LEGACY_TABLE, schema):
        return None
    table = sa.table(LEGACY_TABLE, sa.column("version"), sa.column("name"), schema=schema)
    rows = sync.execute(sa.select(table.c.version, table.c.name))
    return {int(version): str(name) for version, name in rows}


def _newer_error(version: int, head: int) -> MigrationError:
    return MigrationError(
        f"the database has schema version {version:04d}, newer than this server supports "
        f"({head:04d}); upgrade spaps or use another database"
    )


def _unknown_revision_error(revision: str, head: int) -> MigrationError:
    """A revision this server does not have: a newer spaps', or another application's."""
    if _REVISION_ID.match(revision) and int(revision) > head:
        return _newer_error(int(revision), head)
    return MigrationError(
        f"the database is at Alembic revision {revision!r}, which is not one of spaps' "
        f"(0001..{head:04d}); give spaps a database (or schema) of its own"
    )


def _check_legacy_history(history: dict[int, str], scripts: MigrationScripts) -> int:
    """The version a pre-Alembic history reached, once it is known to be a prefix of
    ``scripts``."""
    known = {m.version: m for m in scripts.migrations}
    newer = sorted(v for v in history if v not in known)
    if newer:
        raise _newer_error(newer[-1], scripts.head)
    for version, name in sorted(history.items()):
        if known[version].name != name:
            raise MigrationError(
                f"schema version {version} was applied as {name!r}, but this server calls "
                f"it {known[version].name!r}"
            )
    reached = max(history, default=0)
    if sorted(history) != list(range(1, reached + 1)):
        raise MigrationError(
            f"{LEGACY_TABLE} records versions {sorted(history)}, not every version from 1 "
            f"to {reached}; the database was not made by spaps"
        )
    return reached


def _upgrade(sync: sa.Connection, scripts: MigrationScripts, schema: str | None) -> list[int]:
    """Adopt a pre-Alembic history if there is one, then apply every pending revision, on
    ``sync`` (already inside the locked transaction)."""
    applied: list[str] = []
    config = scripts.config(connection=sync, schema=schema, applied=applied)
    current = _alembic_revision(sync, schema)
    if current is None:
        history = _legacy_history(sync, schema)
        if history is not None:
            reached = _check_legacy_history(history, scripts)
            if reached:
                command.stamp(config, f"{reached:04d}")
            sa.Table(LEGACY_TABLE, sa.MetaData(), schema=schema).drop(sync)
    elif current not in {m.revision for m in scripts.migrations}:
        raise _unknown_revision_error(current, scripts.head)
    command.upgrade(config, "head")
    return [int(revision) for revision in applied]


@contextlib.asynccontextmanager
async def _alembic_turn() -> AsyncIterator[None]:
    """Hold :data:`_ALEMBIC_TURN` without blocking the event loop while waiting for it."""
    acquiring = asyncio.ensure_future(asyncio.to_thread(_ALEMBIC_TURN.acquire))
    try:
        await asyncio.shield(acquiring)
    except BaseException:
        # Cancelled while waiting: the thread still gets the lock; hand it straight back.
        acquiring.add_done_callback(lambda _: _ALEMBIC_TURN.release())
        raise
    try:
        yield
    finally:
        _ALEMBIC_TURN.release()


async def _lock(db: Database, conn: AsyncConnection) -> None:
    # On SQLite the transaction already holds the write lock (BEGIN IMMEDIATE).
    if db.kind is DatabaseKind.POSTGRESQL:
        await conn.execute(sa.select(sa.func.pg_advisory_xact_lock(MIGRATION_LOCK_ID)))


async def migrate(db: Database, scripts: MigrationScripts = PACKAGED_SCRIPTS) -> list[int]:
    """Bring the database to the newest revision in one locked transaction; return the
    schema versions applied (empty when it was current).

    A pre-Alembic database is adopted first (see the module docstring). Refuses, with
    :class:`MigrationError`, a database whose history is newer than, or differs from,
    ``scripts``; a failing revision rolls everything back.
    """
    scripts.migrations  # noqa: B018 - checks the scripts before the lock is taken
    async with _alembic_turn(), db.begin() as conn:
        await _lock(db, conn)
        return await conn.run_sync(_upgrade, scripts, db.schema)


def _read_version(
    sync: sa.Connection, scripts: MigrationScripts, schema: str | None
) -> SchemaVersion:
    current = _alembic_revision(sync, schema)
    if current is not None:
        if not _REVISION_ID.match(current):
            raise _unknown_revision_error(current, scripts.head)
        return SchemaVersion(int(current), adopted=True)
    history = _legacy_history(sync, schema)
    if history is None:
        return SchemaVersion(0, adopted=True)
    return SchemaVersion(max(history, default=0), adopted=False)


async def schema_version(
    db: Database, scripts: MigrationScripts = PACKAGED_SCRIPTS
) -> SchemaVersion:
    """Where the database stands (changes nothing; an empty database is version 0)."""
    async with db.read() as conn:
        return await conn.run_sync(_read_version, scripts, db.schema)


async def require_current_schema(
    db: Database, scripts: MigrationScripts = PACKAGED_SCRIPTS
) -> None:
    """Raise :class:`MigrationError` unless the newest revision is applied (a worker process
    checks this instead of migrating: the parent migrated before starting it)."""
    state = await schema_version(db, scripts)
    if not state.adopted or state.version != scripts.head:
        raise MigrationError(
            f"the database is at schema version {state.version}, not {scripts.head}: "
            "run `spaps db upgrade` (or start without --workers) first"
        )


async def reset_database(db: Database, metadata: sa.MetaData) -> None:
    """Drop every table of ``metadata`` and the migration history, under the migration lock
    (PostgreSQL and SQLite); the next :func:`migrate` starts from an empty schema."""
    schema = db.schema

    def drop(sync: sa.Connection) -> None:
        metadata.drop_all(sync, checkfirst=True)
        for name in (VERSION_TABLE, LEGACY_TABLE):
            if _has_table(sync, name, schema):
                sa.Table(name, sa.MetaData(), schema=schema).drop(sync)

    async with db.begin() as conn:
        await _lock(db, conn)
        await conn.run_sync(drop)


def add_column(conn: sa.Connection, table_name: str, column: sa.Column[object]) -> None:
    """``ALTER TABLE ... ADD COLUMN`` for both dialects (for use inside a revision)."""
    preparer = conn.dialect.identifier_preparer
    column_ddl = sa.schema.CreateColumn(column).compile(dialect=conn.dialect)
    conn.exec_driver_sql(f"ALTER TABLE {preparer.quote(table_name)} ADD COLUMN {column_ddl}")
