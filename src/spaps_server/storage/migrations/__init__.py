"""Versioned schema migrations and their runner.

Why our own runner rather than Alembic: the schema is small, migrations must run at every
start-up on SQLite and PostgreSQL from inside the server process (no ``alembic.ini``, no
script directory on disk, no extra dependency to install and import), and Alembic's
autogenerate and branching are not needed here. The runner is ~100 lines: a
``schema_migrations`` table, a lock, and an ordered tuple of :class:`Migration`.

To add a migration: create ``vNNNN_short_name.py`` beside this file with an
``upgrade(conn)`` function that receives a *synchronous* :class:`sqlalchemy.Connection` and
uses dialect-neutral Core DDL (define the tables it creates locally, as snapshots, rather
than importing ``storage.tables``; use :func:`add_column` for new columns). Append
``Migration(NNNN, "short_name", vNNNN_short_name.upgrade)`` to ``MIGRATIONS`` below and
update ``storage/tables.py`` to match. Versions are contiguous from 1; an applied migration
is never edited.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

import sqlalchemy as sa

from ..database import Database, DatabaseKind
from ..types import UTCDateTime, utcnow
from . import (
    v0001_foundation,
    v0002_auth,
    v0003_whitelist,
    v0004_idempotency,
    v0005_payments,
    v0006_usage_messages,
    v0007_webhooks,
    v0008_crypto_wallet,
    v0009_auth_security,
)

__all__ = [
    "MIGRATIONS",
    "Migration",
    "MigrationError",
    "add_column",
    "applied_versions",
    "migrate",
    "require_current_schema",
    "reset_database",
]

# An arbitrary constant naming our PostgreSQL advisory lock, so that two servers starting
# against one database apply migrations one after the other.
_PG_LOCK_ID = 0x5A4A_5001


@dataclasses.dataclass(frozen=True)
class Migration:
    """One schema step. ``upgrade`` runs inside the migration transaction."""

    version: int
    name: str
    upgrade: Callable[[sa.Connection], None]


class MigrationError(Exception):
    """The database's schema history does not fit this server's migrations."""


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "foundation", v0001_foundation.upgrade),
    Migration(2, "auth", v0002_auth.upgrade),
    Migration(3, "whitelist", v0003_whitelist.upgrade),
    Migration(4, "idempotency", v0004_idempotency.upgrade),
    Migration(5, "payments", v0005_payments.upgrade),
    Migration(6, "usage_messages", v0006_usage_messages.upgrade),
    Migration(7, "webhooks", v0007_webhooks.upgrade),
    Migration(8, "crypto_wallet", v0008_crypto_wallet.upgrade),
    Migration(9, "auth_security", v0009_auth_security.upgrade),
)

# The runner's own view of its bookkeeping table, independent of storage.tables.
_history_metadata = sa.MetaData()
_history = sa.Table(
    "schema_migrations",
    _history_metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("applied_at", UTCDateTime, nullable=False),
)


def _check_sequence(migrations: Sequence[Migration]) -> None:
    for expected, migration in enumerate(migrations, start=1):
        if migration.version != expected:
            raise MigrationError(
                f"migration versions must be contiguous from 1; found {migration.version} "
                f"where {expected} was expected"
            )


async def applied_versions(db: Database) -> list[int]:
    """The versions recorded in ``schema_migrations`` (empty for a fresh database)."""
    async with db.read() as conn:
        exists = await conn.run_sync(lambda sync: sa.inspect(sync).has_table(_history.name))
        if not exists:
            return []
        rows = await conn.execute(sa.select(_history.c.version).order_by(_history.c.version))
        return [int(v) for v in rows.scalars()]


async def migrate(db: Database, migrations: Sequence[Migration] = MIGRATIONS) -> list[int]:
    """Apply every pending migration in one transaction; return the versions applied.

    Refuses a database whose history is newer than, or differs from, ``migrations``.
    """
    _check_sequence(migrations)
    async with db.begin() as conn:
        if db.kind is DatabaseKind.POSTGRESQL:
            await conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_PG_LOCK_ID)))
        await conn.run_sync(lambda sync: _history.create(sync, checkfirst=True))
        rows = await conn.execute(sa.select(_history.c.version, _history.c.name))
        applied = {int(version): str(name) for version, name in rows}
        known = {m.version: m for m in migrations}
        newer = sorted(v for v in applied if v not in known)
        if newer:
            raise MigrationError(
                f"the database has schema version {newer[-1]}, newer than this server "
                f"supports ({len(migrations)}); upgrade spaps or use another database"
            )
        for version, name in applied.items():
            if known[version].name != name:
                raise MigrationError(
                    f"schema version {version} was applied as {name!r}, but this server "
                    f"calls it {known[version].name!r}"
                )
        done: list[int] = []
        for migration in migrations:
            if migration.version in applied:
                continue
            await conn.run_sync(migration.upgrade)
            await conn.execute(
                _history.insert().values(
                    version=migration.version, name=migration.name, applied_at=utcnow()
                )
            )
            done.append(migration.version)
        return done


async def require_current_schema(
    db: Database, migrations: Sequence[Migration] = MIGRATIONS
) -> None:
    """Raise :class:`MigrationError` unless every migration is applied (a worker process
    checks this instead of migrating: the parent migrated before starting it)."""
    applied = await applied_versions(db)
    expected = [m.version for m in migrations]
    if applied != expected:
        current = applied[-1] if applied else 0
        raise MigrationError(
            f"the database is at schema version {current}, not {expected[-1]}: "
            "run `spaps db upgrade` (or start without --workers) first"
        )


async def reset_database(db: Database, metadata: sa.MetaData) -> None:
    """Drop every table of ``metadata`` and the migration history (PostgreSQL and SQLite);
    the next :func:`migrate` starts from an empty schema."""
    async with db.begin() as conn:
        if db.kind is DatabaseKind.POSTGRESQL:
            await conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_PG_LOCK_ID)))
        await conn.run_sync(lambda sync: metadata.drop_all(sync, checkfirst=True))
        await conn.run_sync(lambda sync: _history.drop(sync, checkfirst=True))


def add_column(conn: sa.Connection, table_name: str, column: sa.Column[object]) -> None:
    """``ALTER TABLE ... ADD COLUMN`` for both dialects (for use inside a migration)."""
    preparer = conn.dialect.identifier_preparer
    column_ddl = sa.schema.CreateColumn(column).compile(dialect=conn.dialect)
    conn.exec_driver_sql(f"ALTER TABLE {preparer.quote(table_name)} ADD COLUMN {column_ddl}")
