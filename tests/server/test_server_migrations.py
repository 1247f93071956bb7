"""Schema migrations on Alembic, on SQLite and PostgreSQL alike: a fresh database, revisions
added later, refusals, the migration lock, and the in-place adoption of databases made by the
runner that preceded Alembic (``tests/server/data/legacy``, made by that older code)."""

from __future__ import annotations

import asyncio
import json
import shutil
import sqlite3
import subprocess
import textwrap
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import make_url

from spaps_server.context import open_context
from spaps_server.services.applications import ApplicationService
from spaps_server.services.metrics import MetricsRegistry
from spaps_server.storage import ApplicationsRepository, Database, metadata
from spaps_server.storage.migrations import (
    LEGACY_TABLE,
    MIGRATION_LOCK_ID,
    PACKAGED_SCRIPTS,
    SCRIPT_LOCATION,
    VERSION_TABLE,
    MigrationError,
    MigrationScripts,
    SchemaVersion,
    migrate,
    require_current_schema,
    schema_version,
)
from spaps_server.storage.types import UTCDateTime

from .auth_support import running
from .conftest import DbTarget, spaps_command

LEGACY_DATA = Path(__file__).parent / "data" / "legacy"
LEGACY_SCHEMA = "spaps_legacy_fixture"
ALL_VERSIONS = [m.version for m in PACKAGED_SCRIPTS.migrations]
HEAD = ALL_VERSIONS[-1]


def _db(target: DbTarget) -> Database:
    config = target.config()
    config.prepare_data_dir()
    return Database(config.effective_database_url, schema=target.schema)


async def _tables(db: Database) -> set[str]:
    async with db.read() as conn:
        return set(await conn.run_sync(lambda sync: sa.inspect(sync).get_table_names()))


async def _columns(db: Database, table: str) -> set[str]:
    async with db.read() as conn:
        columns = await conn.run_sync(lambda sync: sa.inspect(sync).get_columns(table))
    return {c["name"] for c in columns}


async def schema_differences(db: Database) -> list[Any]:
    """What Alembic's autogenerate finds between the database and ``storage/tables.py``
    (types, nullability, indexes, unique constraints, foreign keys, server defaults)."""

    def compare(sync: sa.Connection) -> list[Any]:
        context = MigrationContext.configure(
            sync,
            opts={
                "compare_type": True,
                "compare_server_default": True,
                # Alembic's own bookkeeping is not part of the application's schema.
                "include_name": lambda name, kind, _parent: (
                    not (kind == "table" and name == VERSION_TABLE)
                ),
            },
        )
        return list(compare_metadata(context, metadata))

    async with db.read() as conn:
        return await conn.run_sync(compare)


def scripts_with(tmp_path: Path, *revisions: tuple[str, str]) -> MigrationScripts:
    """A copy of the packaged revision scripts plus ``revisions`` (file name, source)."""
    location = tmp_path / "scripts"
    shutil.copytree(SCRIPT_LOCATION, location, ignore=shutil.ignore_patterns("__pycache__"))
    for name, source in revisions:
        (location / "versions" / name).write_text(textwrap.dedent(source))
    return MigrationScripts(location)


HOMEPAGE = (
    f"v{HEAD + 1:04d}_homepage.py",
    f'''
    """An extra revision used by a test."""
    import sqlalchemy as sa
    from alembic import op

    from spaps_server.storage.migrations import add_column

    revision = "{HEAD + 1:04d}"
    down_revision = "{HEAD:04d}"


    def upgrade() -> None:
        add_column(op.get_bind(), "applications", sa.Column("homepage", sa.String(200)))
    ''',
)

BROKEN = (
    f"v{HEAD + 1:04d}_broken.py",
    f'''
    """A revision that fails half-way."""
    import sqlalchemy as sa
    from alembic import op

    revision = "{HEAD + 1:04d}"
    down_revision = "{HEAD:04d}"


    def upgrade() -> None:
        op.add_column("applications", sa.Column("half_done", sa.Integer))
        op.create_table("half_table", sa.Column("id", sa.Integer, primary_key=True))
        raise RuntimeError("boom")
    ''',
)


# --- a fresh database ---------------------------------------------------------------------


async def test_an_empty_database_upgrades_to_exactly_the_schema_of_tables_py(
    db_target: DbTarget,
):
    db = _db(db_target)
    try:
        assert await schema_version(db) == SchemaVersion(0, adopted=True)
        assert await migrate(db) == ALL_VERSIONS
        assert await schema_version(db) == SchemaVersion(HEAD, adopted=True)
        assert await schema_differences(db) == []
        assert LEGACY_TABLE not in await _tables(db)
        assert await migrate(db) == []  # idempotent
    finally:
        await db.dispose()


async def test_the_version_table_lives_in_the_configured_postgresql_schema(
    db_target: DbTarget,
):
    if db_target.kind != "postgresql":
        pytest.skip("schemas are a PostgreSQL matter")
    db = _db(db_target)
    try:
        await migrate(db)
        async with db.read() as conn:
            # Qualified by the schema, not found through the search path.
            version_table = sa.table(
                VERSION_TABLE, sa.column("version_num"), schema=db_target.schema
            )
            revision = await conn.execute(sa.select(version_table.c.version_num))
            assert revision.scalar_one() == f"{HEAD:04d}"
    finally:
        await db.dispose()


async def test_a_later_revision_applies_only_itself_and_keeps_the_rows(
    db_target: DbTarget, tmp_path: Path
):
    db = _db(db_target)
    try:
        assert await migrate(db) == ALL_VERSIONS
        app, _key = await ApplicationService(db, MetricsRegistry()).create("kept")
        extended = scripts_with(tmp_path, HOMEPAGE)
        assert await migrate(db, extended) == [HEAD + 1]
        assert "homepage" in await _columns(db, "applications")
        assert await ApplicationsRepository(db).get(app.id) == app
        assert await migrate(db, extended) == []
        assert await schema_version(db, extended) == SchemaVersion(HEAD + 1, adopted=True)
    finally:
        await db.dispose()


async def test_a_database_newer_than_the_server_is_refused(db_target: DbTarget, tmp_path: Path):
    db = _db(db_target)
    try:
        await migrate(db, scripts_with(tmp_path, HOMEPAGE))
        with pytest.raises(MigrationError, match="newer than this server supports"):
            await migrate(db)
        with pytest.raises(MigrationError, match=f"at schema version {HEAD + 1}, not {HEAD}"):
            await require_current_schema(db)
    finally:
        await db.dispose()


async def test_another_applications_alembic_history_is_refused(db_target: DbTarget):
    db = _db(db_target)
    try:
        await migrate(db)
        version_table = sa.table(VERSION_TABLE, sa.column("version_num"))
        async with db.begin() as conn:
            await conn.execute(version_table.update().values(version_num="ae1027a6acf"))
        with pytest.raises(MigrationError, match="not one of spaps'"):
            await migrate(db)
        with pytest.raises(MigrationError, match="not one of spaps'"):
            await schema_version(db)
    finally:
        await db.dispose()


async def test_a_failing_revision_leaves_no_trace(db_target: DbTarget, tmp_path: Path):
    db = _db(db_target)
    try:
        await migrate(db)
        with pytest.raises(RuntimeError, match="boom"):
            await migrate(db, scripts_with(tmp_path, BROKEN))
        assert await schema_version(db) == SchemaVersion(HEAD, adopted=True)
        assert "half_done" not in await _columns(db, "applications")
        assert "half_table" not in await _tables(db)
    finally:
        await db.dispose()


async def test_a_failing_first_upgrade_leaves_an_empty_database(
    db_target: DbTarget, tmp_path: Path
):
    db = _db(db_target)
    try:
        with pytest.raises(RuntimeError, match="boom"):
            await migrate(db, scripts_with(tmp_path, BROKEN))
        assert await _tables(db) == set()
    finally:
        await db.dispose()


def test_malformed_revision_scripts_are_refused(tmp_path: Path):
    gap = scripts_with(
        tmp_path / "gap",
        (
            f"v{HEAD + 2:04d}_gap.py",
            f'revision = "{HEAD + 2:04d}"\ndown_revision = "{HEAD:04d}"\n'
            "def upgrade() -> None:\n    pass\n",
        ),
    )
    with pytest.raises(MigrationError, match="numbered contiguously"):
        _ = gap.migrations
    misnamed = scripts_with(
        tmp_path / "misnamed",
        (
            "add_homepage.py",
            f'revision = "{HEAD + 1:04d}"\ndown_revision = "{HEAD:04d}"\n'
            "def upgrade() -> None:\n    pass\n",
        ),
    )
    with pytest.raises(MigrationError, match="must live in a file named"):
        _ = misnamed.migrations
    branched = scripts_with(
        tmp_path / "branched",
        *(
            (
                f"v{HEAD + 1:04d}_{name}.py",
                f'revision = "{HEAD + 1:04d}{name}"\ndown_revision = "{HEAD:04d}"\n'
                "def upgrade() -> None:\n    pass\n",
            )
            for name in ("left", "right")
        ),
    )
    with pytest.raises(MigrationError, match="one line"):
        _ = branched.migrations


def test_env_py_runs_only_on_the_connection_spaps_hands_over():
    with pytest.raises(MigrationError, match="spaps db upgrade"):
        command.upgrade(PACKAGED_SCRIPTS.config(), "head")


async def test_concurrent_upgrades_in_one_process_migrate_once(db_target: DbTarget):
    first, second = _db(db_target), _db(db_target)
    try:
        results = await asyncio.gather(migrate(first), migrate(second))
        assert sorted(results) == [[], ALL_VERSIONS]
        assert await schema_differences(first) == []
    finally:
        await first.dispose()
        await second.dispose()


async def test_two_databases_migrated_at_once_in_one_process_stay_apart(tmp_path: Path):
    # Alembic's running context is process-global: the two upgrades must take turns, or one
    # would run its revisions on the other's connection.
    databases = [
        Database(f"sqlite:///{tmp_path / name}") for name in ("one.sqlite3", "two.sqlite3")
    ]
    try:
        results = await asyncio.gather(*(migrate(db) for db in databases))
        assert results == [ALL_VERSIONS, ALL_VERSIONS]
        for db in databases:
            assert await schema_differences(db) == []
    finally:
        for db in databases:
            await db.dispose()


def _storage_args(target: DbTarget) -> list[str]:
    storage = ["--data-dir", str(target.data_dir)]
    if target.url is not None:
        storage += ["--database-url", f"{target.url}?schema={target.schema}"]
    return storage


def test_servers_upgrading_one_database_at_once_migrate_it_once(db_target: DbTarget):
    # Four processes racing to upgrade one empty database: the migration lock lets exactly
    # one apply the revisions; the others wait and find nothing to do.
    db_target.config().prepare_data_dir()
    command_line = spaps_command("db", "upgrade", *_storage_args(db_target), "--json")
    processes = [
        subprocess.Popen(command_line, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    outcomes = [(p.communicate(timeout=120), p.returncode) for p in processes]
    assert all(code == 0 for _, code in outcomes), [err for (_, err), _ in outcomes]
    applied = sorted(json.loads(out)["applied"] for (out, _), _ in outcomes)
    assert applied == [[], [], [], ALL_VERSIONS]


async def test_migrate_waits_for_the_postgresql_advisory_lock(db_target: DbTarget):
    if db_target.kind != "postgresql":
        pytest.skip("the advisory lock is PostgreSQL's (SQLite serialises by its write lock)")
    db, holder, observer = _db(db_target), _db(db_target), _db(db_target)
    try:
        async with holder.begin() as held:
            await held.execute(sa.select(sa.func.pg_advisory_xact_lock(MIGRATION_LOCK_ID)))
            backend = (await held.execute(sa.select(sa.func.pg_backend_pid()))).scalar_one()
            upgrade = asyncio.ensure_future(migrate(db))
            # Wait until PostgreSQL shows the upgrade blocked on that lock (were the lock not
            # taken, the upgrade would finish instead and the loop would stop on that).
            while not upgrade.done():
                if await _waits_for_advisory_lock(observer, backend):
                    break
                await asyncio.sleep(0.02)
            assert not upgrade.done()
            assert await _tables(observer) == set()
        assert await upgrade == ALL_VERSIONS
    finally:
        for database in (db, holder, observer):
            await database.dispose()


async def _waits_for_advisory_lock(observer: Database, holder_pid: int) -> bool:
    # A unit of work of its own: PostgreSQL shows pg_stat_activity as of the first look
    # inside a transaction.
    async with observer.read() as conn:
        rows = await conn.execute(
            sa.text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND wait_event = 'advisory' "
                "AND :holder = ANY(pg_blocking_pids(pid))"
            ),
            {"holder": holder_pid},
        )
        return bool(rows.scalar_one())


async def test_a_worker_refuses_a_database_that_is_not_current(db_target: DbTarget):
    with pytest.raises(MigrationError, match="run `spaps db upgrade`"):
        await open_context(db_target.config(), seed_hooks=(), migrate_schema=False)
    ctx = await open_context(db_target.config())
    await ctx.close()
    ctx = await open_context(db_target.config(), seed_hooks=(), migrate_schema=False)
    await ctx.close()


# --- databases made by the pre-Alembic runner ---------------------------------------------


def _legacy(kind: str, version: int) -> dict[str, Any]:
    manifest = json.loads((LEGACY_DATA / "legacy.json").read_text())
    record: dict[str, Any] = manifest[f"{kind}_v{version:04d}"]
    return record


async def _load_postgresql_dump(target: DbTarget, version: int) -> None:
    """Load the ``pg_dump`` of a legacy schema into the test's schema: the dumped schema's
    name is replaced by the test's, its ``CREATE SCHEMA`` (the test's schema exists) and
    ``psql`` meta-commands are left out."""
    assert target.url is not None and target.schema is not None
    dump = (LEGACY_DATA / f"legacy_v{version:04d}.postgresql.sql").read_text()
    lines = [
        line
        for line in dump.splitlines()
        if not line.startswith("\\") and line != f"CREATE SCHEMA {LEGACY_SCHEMA};"
    ]
    script = "\n".join(lines).replace(LEGACY_SCHEMA, target.schema)
    dsn = make_url(target.url).set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(script)
    finally:
        await conn.close()


async def load_legacy_database(target: DbTarget, version: int) -> dict[str, Any]:
    """Put the legacy database of ``version`` where ``target`` points; return what it holds."""
    if target.kind == "sqlite":
        config = target.config()
        config.prepare_data_dir()
        dump = (LEGACY_DATA / f"legacy_v{version:04d}.sqlite.sql").read_text()
        conn = sqlite3.connect(config.sqlite_path)
        try:
            conn.executescript(dump)
        finally:
            conn.close()
    else:
        await _load_postgresql_dump(target, version)
    return _legacy(target.kind, version)


def _spaps_db(target: DbTarget, action: str) -> dict[str, Any]:
    storage = _storage_args(target)
    done = subprocess.run(
        spaps_command("db", action, *storage, "--json"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    record: dict[str, Any] = json.loads(done.stdout)
    return record


def _check_legacy_rows_in_use(target: DbTarget, legacy: dict[str, Any]) -> None:
    """Over HTTP: the old user signs in with their password, the old session's refresh token
    rotates, and the old demo accounts are still there (not seeded again)."""
    with running(target, password_profile="test") as live:
        assert live.ctx.default_application.id == legacy["application_id"]
        data = live.login(legacy["email"], legacy["password"])
        assert data["user"]["id"] == legacy["user_id"]
        refreshed = live.post("/api/auth/refresh", {"refresh_token": legacy["refresh_token"]})
        assert refreshed.status_code == 200, refreshed.text
        assert [a.email for a in live.ctx.seeded_accounts] == legacy["seeded_accounts"]
        with httpx.Client(base_url=live.url) as anonymous:
            assert anonymous.get("/health/ready").json()["ready"] is True


@pytest.mark.parametrize("version", [8, 9])
async def test_spaps_db_upgrade_adopts_a_database_made_before_alembic(
    db_target: DbTarget, version: int
):
    legacy = await load_legacy_database(db_target, version)
    db = _db(db_target)
    try:
        assert await schema_version(db) == SchemaVersion(version, adopted=False)
        with pytest.raises(MigrationError, match="run `spaps db upgrade`"):
            await require_current_schema(db)
        before = _spaps_db(db_target, "current")
        assert before == {"current": version, "head": HEAD, "applied": [], "legacy": True}

        upgraded = await asyncio.to_thread(_spaps_db, db_target, "upgrade")
        assert upgraded["applied"] == ALL_VERSIONS[version:]
        assert _spaps_db(db_target, "current") == {"current": HEAD, "head": HEAD, "applied": []}
        assert await schema_version(db) == SchemaVersion(HEAD, adopted=True)
        await require_current_schema(db)
        assert LEGACY_TABLE not in await _tables(db)
        assert await schema_differences(db) == []
    finally:
        await db.dispose()
    await asyncio.to_thread(_check_legacy_rows_in_use, db_target, legacy)


async def test_server_start_up_adopts_a_database_made_before_alembic(db_target: DbTarget):
    legacy = await load_legacy_database(db_target, 8)
    ctx = await open_context(db_target.config(password_profile="test"))
    try:
        assert ctx.applied_migrations == ALL_VERSIONS[8:]
        assert await schema_differences(ctx.db) == []
        user = await ctx.accounts.repository.get(legacy["application_id"], legacy["user_id"])
        assert user is not None and user.email == legacy["email"]
    finally:
        await ctx.close()
    await asyncio.to_thread(_check_legacy_rows_in_use, db_target, legacy)


_history = sa.table(
    LEGACY_TABLE, sa.column("version"), sa.column("name"), sa.column("applied_at", UTCDateTime)
)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            _history.update().where(_history.c.version == 3).values(name="renamed"),
            "was applied as",
        ),
        (_history.delete().where(_history.c.version == 4), "not every version"),
        (
            _history.insert().values(
                version=HEAD + 1,
                name="future",
                applied_at=datetime(2030, 1, 1, tzinfo=timezone.utc),
            ),
            "newer than this server supports",
        ),
    ],
    ids=["renamed", "gap", "newer"],
)
async def test_a_legacy_history_that_does_not_fit_is_refused_and_left_alone(
    db_target: DbTarget, change: sa.Executable, message: str
):
    await load_legacy_database(db_target, 8)
    db = _db(db_target)
    try:
        async with db.begin() as conn:
            await conn.execute(change)
        with pytest.raises(MigrationError, match=message):
            await migrate(db)
        assert LEGACY_TABLE in await _tables(db)
        assert VERSION_TABLE not in await _tables(db)
        assert "rate_limit_buckets" not in await _tables(db)
    finally:
        await db.dispose()
