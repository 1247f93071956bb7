"""Repositories and opening storage, on SQLite and PostgreSQL alike (migrations have
``test_server_migrations.py``)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from spaps_server.context import open_context, open_database
from spaps_server.domain.errors import ConflictError, ForbiddenError, UnauthorizedError
from spaps_server.services.applications import ApplicationService, hash_api_key
from spaps_server.services.metrics import MetricsRegistry
from spaps_server.storage import PACKAGED_SCRIPTS, Database, MailboxRepository, migrate
from spaps_server.storage.types import utcnow

from .conftest import DEFAULT_KEY, DbTarget


def _db(target: DbTarget) -> Database:
    config = target.config()
    config.prepare_data_dir()
    return Database(config.effective_database_url, schema=target.schema)


async def _columns(db: Database) -> dict[str, dict[str, bool]]:
    def inspect(sync: sa.Connection) -> dict[str, dict[str, bool]]:
        insp = sa.inspect(sync)
        return {
            table: {c["name"]: bool(c["nullable"]) for c in insp.get_columns(table)}
            for table in insp.get_table_names()
        }

    async with db.read() as conn:
        return await conn.run_sync(inspect)


async def test_applications_keys_are_hashed_and_resolve_to_their_application(
    db_target: DbTarget,
):
    db = _db(db_target)
    try:
        await migrate(db)
        service = ApplicationService(db, MetricsRegistry())
        default = await service.ensure_default("default", DEFAULT_KEY)
        assert default.is_default
        assert await service.ensure_default("default", DEFAULT_KEY) == default
        other, key = await service.create("Other App")
        assert key.startswith("spaps_local_") and len(key) > 40
        assert (await service.authenticate(DEFAULT_KEY)).id == default.id
        assert (await service.authenticate(key)).id == other.id

        async with db.read() as conn:
            stored = (await conn.execute(sa.text("SELECT key_hash, prefix FROM api_keys"))).all()
        assert all(key not in row.key_hash and key not in row.prefix for row in stored)
        assert hash_api_key(key) in {row.key_hash for row in stored}

        with pytest.raises(ConflictError):
            await service.create("Other App")
        for bad in (None, "", "nope", key + "x"):
            with pytest.raises(UnauthorizedError) as info:
                await service.authenticate(bad)
            assert info.value.code == "INVALID_API_KEY"

        revoked = await service.revoke("Other App")
        assert revoked.revoked_at is not None
        with pytest.raises(UnauthorizedError):
            await service.authenticate(key)
        with pytest.raises(ForbiddenError):
            await service.revoke("default")
        names = [(a.name, len(keys)) for a, keys in await service.list()]
        assert names == [("default", 1), ("Other App", 1)]
    finally:
        await db.dispose()


async def test_mailbox_repository_filters_and_scopes_by_application(db_target: DbTarget):
    db = _db(db_target)
    try:
        await migrate(db)
        service = ApplicationService(db, MetricsRegistry())
        first = await service.ensure_default("default", DEFAULT_KEY)
        second, _ = await service.create("second")
        from spaps_server.domain.models import MailMessage

        repo = MailboxRepository(db)
        now = utcnow()
        for i, (app_id, to) in enumerate(
            [(first.id, "A@Example.com"), (first.id, "b@example.com"), (second.id, "a@example.com")]
        ):
            await repo.insert(
                MailMessage(
                    id=f"msg_{i}",
                    application_id=app_id,
                    to_address=to,
                    from_address="x@spaps.local",
                    subject=f"s{i}",
                    text_body="hello ünïcode",
                    html_body=None,
                    kind="magic_link",
                    metadata={"token": f"t{i}", "nested": {"n": i}},
                    created_at=now + timedelta(seconds=i),
                )
            )
        assert [m.id for m in await repo.list()] == ["msg_2", "msg_1", "msg_0"]
        assert [m.id for m in await repo.list(to_address="a@example.com")] == ["msg_2", "msg_0"]
        scoped = await repo.list(to_address="a@example.com", application_id=first.id)
        assert [m.id for m in scoped] == ["msg_0"]
        got = await repo.get("msg_0")
        assert got is not None and got.metadata == {"token": "t0", "nested": {"n": 0}}
        assert got.created_at == now and got.created_at.tzinfo is not None
        assert got.text_body == "hello ünïcode"
        await repo.mark_delivery("msg_0", delivered_at=now, error=None)
        assert (await repo.get("msg_0")).delivered_at == now  # type: ignore[union-attr]
        assert await repo.clear(application_id=second.id) == 1
        assert len(await repo.list()) == 2
    finally:
        await db.dispose()


async def test_reset_starts_from_an_empty_database_and_keeps_secrets(db_target: DbTarget):
    ctx = await open_context(db_target.config())
    key_pem = ctx.config.secrets.token_signing_key_pem
    _, extra_key = await ctx.applications.create("temporary")
    await ctx.close()

    ctx = await open_context(db_target.config())
    assert (await ctx.applications.authenticate(extra_key)).name == "temporary"
    await ctx.close()

    ctx = await open_context(db_target.config(reset=True))
    try:
        with pytest.raises(UnauthorizedError):
            await ctx.applications.authenticate(extra_key)
        assert (await ctx.applications.authenticate(DEFAULT_KEY)).is_default
        assert ctx.applied_migrations == [m.version for m in PACKAGED_SCRIPTS.migrations]
        assert ctx.config.secrets.token_signing_key_pem == key_pem
    finally:
        await ctx.close()


async def test_open_database_reports_unreachable_databases_without_the_password(tmp_path):
    from spaps_server.config import ServerConfig
    from spaps_server.storage import DatabaseConfigError

    config = ServerConfig(
        data_dir=tmp_path / "d",
        database_url="postgresql://someone:sup3rsecret@127.0.0.1:1/nothing",
    )
    with pytest.raises(DatabaseConfigError) as info:
        await open_database(config)
    assert "sup3rsecret" not in str(info.value)
    assert "127.0.0.1:1" in str(info.value)

    bad_scheme = ServerConfig(data_dir=tmp_path / "d", database_url="mysql://u:p@h/db")
    with pytest.raises(DatabaseConfigError, match="unsupported database URL scheme"):
        await open_database(bad_scheme)
