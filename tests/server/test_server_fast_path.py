"""What the server's fast path must not change.

* Direct reads (``storage/direct_reads.py``: ``sqlite3`` on the event loop over WAL, an asyncpg
  pool of their own on PostgreSQL) see every write committed before them, refuse a revoked
  or expired session at once, fall back to the engine when they cannot answer, join a
  caller's transaction when given one, and close their connections on shutdown.
* The bearer dependencies check the API key once per request and keep their errors.
* ``respond`` writes, through pydantic, exactly the bytes the standard encoder would.
* Request ids stay unique and well formed.

No timing assertions: speed is measured in ``benchmarks/bench_server.py``.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi import APIRouter, Depends

from spaps_server.domain.ids import new_id
from spaps_server.domain.models import Application, SessionRecord
from spaps_server.http import deps
from spaps_server.http.deps import CurrentApplication, CurrentPrincipal
from spaps_server.http.envelopes import Envelope, EnvelopeJSONResponse, respond
from spaps_server.http.middleware import new_request_id
from spaps_server.schemas.base import WireModel, wire_bytes, wire_json
from spaps_server.schemas.sessions import CurrentSessionOut, SessionSummary
from spaps_server.storage.database import Database, NestedConnectionError
from spaps_server.storage.direct_reads import (
    POSTGRES_DIRECT_POOL_SIZE,
    DirectQuery,
    PostgresDirectReader,
)
from spaps_server.storage.sessions import SessionsRepository
from spaps_server.storage.tables import users
from spaps_server.storage.types import utcnow

from .auth_support import bearer, error_code, running
from .conftest import DEFAULT_KEY, DbTarget, pg_schema, serve_in_process

# Which server process answers a direct read (PostgreSQL).
_BACKEND_PID = DirectQuery(sa.select(sa.func.pg_backend_pid().label("pid")))


async def _direct_backend_pid(db: Database) -> int:
    served = db.direct_reads_served
    row = await db.first(_BACKEND_PID, {})
    assert row is not None and db.direct_reads_served == served + 1
    return int(row["pid"])


def _other_database(target: DbTarget, db: Database) -> Database:
    """A second handle on the same database, as another process would have."""
    url = target.url or f"sqlite:///{db.sqlite_path}"
    return Database(url, schema=target.schema)


# --- through HTTP ----------------------------------------------------------------------


def test_revoked_session_is_refused_at_once_by_the_direct_path(db_target: DbTarget) -> None:
    with running(db_target) as live:
        auth = bearer(live.login()["access_token"])
        current = live.http.get("/api/sessions/current", headers=auth)
        assert current.status_code == 200
        session_id = current.json()["data"]["session"]["id"]
        db = live.ctx.db

        async def revoke_elsewhere() -> None:
            other = _other_database(db_target, db)
            try:
                app_id = live.ctx.default_application.id
                assert await SessionsRepository(other).revoke(app_id, session_id, utcnow(), "t")
            finally:
                await other.dispose()

        asyncio.run(revoke_elsewhere())
        served = db.direct_reads_served
        refused = live.http.get("/api/sessions/current", headers=auth)
        assert refused.status_code == 401 and error_code(refused) == "SESSION_REVOKED"
        # The refusal was read by the direct path, not by a fallback.
        assert db.direct_reads_served > served
        assert db.direct_reads_fallen_back == 0


def test_expired_session_is_refused_by_the_direct_path(db_target: DbTarget) -> None:
    # The session ends long before its access token does.
    with running(db_target, session_ttl=60, access_token_ttl=3600) as live:
        auth = bearer(live.login()["access_token"])
        assert live.http.get("/api/sessions/current", headers=auth).status_code == 200
        live.ctx.clock.advance(seconds=61)
        served = live.ctx.db.direct_reads_served
        refused = live.http.get("/api/sessions/current", headers=auth)
        assert refused.status_code == 401 and error_code(refused) == "INVALID_SESSION"
        assert live.ctx.db.direct_reads_served > served


def test_a_committed_write_is_seen_by_the_next_request(db_target: DbTarget) -> None:
    with running(db_target) as live:
        auth = bearer(live.login()["access_token"])
        before = live.http.get("/api/sessions/current", headers=auth).json()["data"]["session"]
        assert before["wallets_count"] == 0

        async def add_wallet() -> None:
            from spaps_server.storage.tables import user_wallets

            other = _other_database(db_target, live.ctx.db)
            try:
                async with other.begin() as conn:
                    await conn.execute(
                        user_wallets.insert().values(
                            id=new_id("wal"),
                            application_id=before["application_id"],
                            user_id=before["user_id"],
                            wallet_address="0x" + "ab" * 20,
                            chain_type="ethereum",
                            verified=True,
                            created_at=utcnow(),
                        )
                    )
            finally:
                await other.dispose()

        asyncio.run(add_wallet())
        after = live.http.get("/api/sessions/current", headers=auth).json()["data"]["session"]
        assert after["wallets_count"] == 1


def test_bad_key_is_refused_before_the_token_and_both_errors_are_kept(
    sqlite_target: DbTarget,
) -> None:
    with running(sqlite_target) as live:
        token = live.login()["access_token"]
        bad_key = live.http.get(
            "/api/sessions/current", headers={**bearer(token), "X-API-Key": "nope"}
        )
        assert bad_key.status_code == 401 and error_code(bad_key) == "INVALID_API_KEY"
        for headers in ({}, {"Authorization": "Basic abc"}, {"Authorization": "Bearer"}):
            missing = live.http.get("/api/sessions/current", headers=headers)
            assert missing.status_code == 401 and error_code(missing) == "UNAUTHORIZED"
        lower = live.http.get("/api/sessions/current", headers={"Authorization": f"bearer {token}"})
        assert lower.status_code == 200


async def test_a_route_naming_key_and_principal_checks_the_key_once(
    sqlite_target: DbTarget,
) -> None:
    router = APIRouter()

    @router.get("/test/both")
    async def both(app: CurrentApplication, principal: CurrentPrincipal) -> EnvelopeJSONResponse:
        return EnvelopeJSONResponse({"app": app.id, "user": principal.user_id})

    async with serve_in_process(sqlite_target.config(), extra_routers=[router]) as (app, http):
        applications = app.state.context.applications
        calls: list[str | None] = []
        original = applications.authenticate

        async def counting(api_key: str | None) -> Application:
            calls.append(api_key)
            return await original(api_key)

        applications.authenticate = counting
        login = await http.post(
            "/api/auth/login",
            json={"email": "user@example.com", "password": "Secret123!"},
            headers={"X-API-Key": DEFAULT_KEY},
        )
        calls.clear()
        token = login.json()["data"]["access_token"]
        answer = await http.get("/test/both", headers={"X-API-Key": DEFAULT_KEY, **bearer(token)})
        assert answer.status_code == 200, answer.text
        assert calls == [DEFAULT_KEY]


def test_bearer_dependencies_are_async() -> None:
    # FastAPI runs a plain function dependency in its thread pool, a hop per request.
    for dependency in (deps.get_context, deps.authenticated_application):
        assert asyncio.iscoroutinefunction(dependency)
    for annotated in (deps.CurrentApplication, deps.CurrentPrincipal):
        marker = annotated.__metadata__[0]
        assert isinstance(marker, type(Depends()))
        assert asyncio.iscoroutinefunction(type(marker.dependency).__call__)


# --- storage ---------------------------------------------------------------------------


async def _database(target: DbTarget) -> Database:
    """A migrated database for ``target``, with one user to hang sessions on."""
    from spaps_server.context import open_database

    db, _ = await open_database(target.config())
    return db


async def _seed_session(db: Database) -> SessionRecord:
    from spaps_server.storage.tables import applications

    now = utcnow()
    app_id, user_id = new_id("app"), new_id("user")
    session = SessionRecord(
        id=new_id("sess"),
        application_id=app_id,
        user_id=user_id,
        auth_method="password",
        user_agent=None,
        ip_address=None,
        created_at=now,
        last_activity_at=now,
        expires_at=now + timedelta(hours=1),
    )
    async with db.begin() as conn:
        await conn.execute(
            applications.insert().values(
                id=app_id, name=app_id, is_default=False, created_at=now, revoked_at=None
            )
        )
        await conn.execute(
            users.insert().values(
                id=user_id,
                application_id=app_id,
                email=f"{user_id}@example.com",
                role="user",
                tier="free",
                email_confirmed=True,
                metadata={},
                created_at=now,
                updated_at=now,
            )
        )
        await SessionsRepository(db).insert(session, conn=conn)
    return session


async def test_direct_reads_see_each_commit_at_once(db_target: DbTarget) -> None:
    db = await _database(db_target)
    try:
        repo = SessionsRepository(db)
        session = await _seed_session(db)
        found = await repo.get(session.application_id, session.id)
        assert found == session  # timestamps come back timezone-aware and equal
        for step in range(3):
            at = utcnow()
            await repo.touch(session.application_id, session.id, at)
            read = await repo.get(session.application_id, session.id)
            assert read is not None and read.last_activity_at == at, step
        await repo.revoke(session.application_id, session.id, utcnow(), "gone")
        revoked = await repo.get_with_wallet_count(session.application_id, session.id)
        assert revoked is not None and revoked[0].revoked_at is not None and revoked[1] == 0
        assert await repo.get(session.application_id, "sess_unknown") is None
        assert db.direct_reads_served >= 6 and db.direct_reads_fallen_back == 0
    finally:
        await db.dispose()


async def test_inside_a_transaction_the_read_joins_it(db_target: DbTarget) -> None:
    db = await _database(db_target)
    try:
        repo = SessionsRepository(db)
        session = await _seed_session(db)
        served = db.direct_reads_served
        async with db.begin() as conn:
            await repo.revoke(session.application_id, session.id, utcnow(), "t", conn=conn)
            inside = await repo.get(session.application_id, session.id, conn=conn)
            assert inside is not None and inside.revoked_at is not None
        assert db.direct_reads_served == served  # the transaction's own connection answered
    finally:
        await db.dispose()


async def test_a_direct_read_beside_an_open_unit_of_work_is_refused(
    db_target: DbTarget,
) -> None:
    from spaps_server.context import open_database

    db, _ = await open_database(db_target.config())
    db.strict_connections = True
    try:
        session = await _seed_session(db)
        async with db.begin():
            with pytest.raises(NestedConnectionError):
                await SessionsRepository(db).get(session.application_id, session.id)
    finally:
        await db.dispose()


@pytest.fixture
def pg_target(tmp_path: Path) -> Iterator[DbTarget]:
    """A fresh PostgreSQL schema (skipped without ``SPAPS_TEST_DATABASE_URL``)."""
    with pg_schema() as (url, schema):
        yield DbTarget("postgresql", url, schema, tmp_path / "data")


@pytest.fixture
async def db(pg_target: DbTarget) -> AsyncIterator[Database]:
    """A migrated database on a fresh PostgreSQL schema, disposed after the test."""
    db = await _database(pg_target)
    try:
        yield db
    finally:
        await db.dispose()


async def test_postgresql_direct_read_survives_a_lost_connection(db: Database) -> None:
    repo = SessionsRepository(db)
    session = await _seed_session(db)
    assert await repo.get(session.application_id, session.id) == session
    pid = await _direct_backend_pid(db)
    async with db.begin() as conn:
        await conn.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    # Whether the pool notices the dead connection first or the read runs into it (and
    # falls back to the engine), the read answers ...
    assert await repo.get(session.application_id, session.id) == session
    # ... and the direct path goes on with a new connection.
    assert await _direct_backend_pid(db) != pid
    assert await repo.get(session.application_id, session.id) == session


async def test_postgresql_direct_connections_are_shared_and_bounded(db: Database) -> None:
    repo = SessionsRepository(db)
    session = await _seed_session(db)

    async def read() -> SessionRecord | None:
        return await repo.get(session.application_id, session.id)

    assert await asyncio.gather(*(read() for _ in range(40))) == [session] * 40
    assert db.direct is not None and db.direct.pool is not None
    assert 1 <= db.direct.pool.open_connections <= POSTGRES_DIRECT_POOL_SIZE
    # Reads cancelled while waiting for a connection give back what they were handed.
    tasks = [asyncio.create_task(read()) for _ in range(20)]
    await asyncio.sleep(0)
    for task in tasks[::2]:
        task.cancel()
    done = await asyncio.gather(*tasks, return_exceptions=True)
    assert all(r == session or isinstance(r, asyncio.CancelledError) for r in done)
    assert await asyncio.gather(*(read() for _ in range(40))) == [session] * 40
    assert db.direct.pool.open_connections <= POSTGRES_DIRECT_POOL_SIZE
    assert db.direct_reads_fallen_back == 0


async def test_postgresql_concurrent_lookups_are_answered_by_one_statement(
    db: Database,
) -> None:
    repo = SessionsRepository(db)
    seeded = [await _seed_session(db) for _ in range(3)]
    reader = db.direct
    assert isinstance(reader, PostgresDirectReader)
    asks = [(s.application_id, s.id) for s in seeded] * 10
    # Unknown id; a known id asked for by another application.
    asks += [(seeded[0].application_id, "sess_unknown"), ("app_other", seeded[1].id)]
    statements: list[str] = []
    batches, callers = reader.batches_run, reader.batched_callers
    with db.observe_statements(statements.append):
        found = await asyncio.gather(*(repo.get(app, sid) for app, sid in asks))
    assert found == seeded * 10 + [None, None]
    # Every caller joined before a connection took the batch: one statement for all.
    assert len(statements) == 1 and "ANY" in statements[0]
    assert reader.batches_run == batches + 1
    assert reader.batched_callers == callers + len(asks)
    assert db.direct_reads_fallen_back == 0


async def test_postgresql_a_lookup_asked_after_a_batch_was_sent_sees_later_commits(
    db: Database,
) -> None:
    repo = SessionsRepository(db)
    session = await _seed_session(db)
    reader = db.direct
    assert isinstance(reader, PostgresDirectReader)
    late: list[asyncio.Task[SessionRecord | None]] = []

    async def revoke_then_ask() -> SessionRecord | None:
        assert await repo.revoke(session.application_id, session.id, utcnow(), "t")
        return await repo.get(session.application_id, session.id)

    def on_statement(sql: str) -> None:
        # Runs as the first batch's statement is sent: everything the late task does
        # happens after that.
        if "ANY" in sql and not late:
            late.append(asyncio.get_running_loop().create_task(revoke_then_ask()))

    batches = reader.batches_run
    with db.observe_statements(on_statement):
        before = await repo.get(session.application_id, session.id)
        assert late
        after = await asyncio.wait_for(late[0], timeout=30)
    # (The first lookup may or may not see the revocation: its statement was on its way,
    # not yet run, when the revocation began.)
    assert before is not None
    assert after is not None and after.revoked_at is not None
    assert reader.batches_run == batches + 2  # the late lookup had a statement of its own


async def test_postgresql_a_batch_on_a_lost_connection_falls_back_for_every_caller(
    db: Database,
) -> None:
    repo = SessionsRepository(db)
    session = await _seed_session(db)
    assert await repo.get(session.application_id, session.id) == session
    assert db.direct is not None and db.direct.pool is not None
    assert db.direct.pool.open_connections == 1  # every lookup so far used one connection
    pid = await _direct_backend_pid(db)
    async with db.begin() as conn:
        await conn.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    await asyncio.sleep(0.2)  # the backend is gone before the batch is sent
    fallen_back = db.direct_reads_fallen_back
    found = await asyncio.gather(*(repo.get(session.application_id, session.id) for _ in range(12)))
    assert found == [session] * 12
    # Either the dead connection was noticed before the batch (no fallback) or the batch
    # ran into it and each of its callers was answered by the engine.
    assert db.direct_reads_fallen_back - fallen_back in (0, 12)
    assert await _direct_backend_pid(db) != pid


def _open_files(path: Path) -> list[str]:
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith(str(path)):
            found.append(target)
    return found


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc")
async def test_sqlite_direct_connections_are_closed_on_shutdown(sqlite_target: DbTarget) -> None:
    async with serve_in_process(sqlite_target.config()) as (app, http):
        db: Database = app.state.context.db
        assert db.sqlite_path is not None
        login = await http.post(
            "/api/auth/login",
            json={"email": "user@example.com", "password": "Secret123!"},
            headers={"X-API-Key": DEFAULT_KEY},
        )
        auth = {"X-API-Key": DEFAULT_KEY, **bearer(login.json()["data"]["access_token"])}
        assert (await http.get("/api/sessions/current", headers=auth)).status_code == 200
        assert db.direct is not None and db.direct.open_connections == 1
        database_file = db.sqlite_path.resolve()
        assert _open_files(database_file)
    assert db.direct.open_connections == 0
    assert _open_files(database_file) == []


async def test_postgresql_direct_pool_is_closed_on_shutdown(pg_target: DbTarget) -> None:
    async with serve_in_process(pg_target.config()) as (app, http):
        db: Database = app.state.context.db
        response = await http.get("/api/sessions/current", headers={"X-API-Key": DEFAULT_KEY})
        assert error_code(response) == "UNAUTHORIZED"  # the key was read by the direct path
        assert db.direct is not None and db.direct.pool is not None
        pids = [await _direct_backend_pid(db)]
    assert db.direct.pool is None
    probe = _other_database(pg_target, db)
    try:
        async with probe.read() as conn:
            alive = (
                await conn.execute(
                    sa.text("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(:pids)"),
                    {"pids": pids},
                )
            ).scalar_one()
        assert alive == 0
    finally:
        await probe.dispose()


def test_direct_queries_refuse_json_columns() -> None:
    from spaps_server.storage.tables import checkout_sessions

    query = DirectQuery(sa.select(checkout_sessions.c.id, checkout_sessions.c.metadata))
    engine_dialect = Database("sqlite:///unused.sqlite3").engine.dialect
    with pytest.raises(ValueError, match="JSON"):
        query.compiled(engine_dialect)


# --- wire bytes and request ids ---------------------------------------------------------


TRICKY = "".join(chr(i) for i in range(0x20)) + '"\\/é中😀\u2028\u2029\x7f\ufeff</script>'


def _summary(text: str) -> SessionSummary:
    return SessionSummary(
        id=text,
        session_id="sess_1",
        user_id="user_1",
        application_id="app_1",
        tier="basic",
        auth_method="password",
        created_at="2026-01-01T00:00:00Z",
        expires_at="2026-02-01T00:00:00Z",
        last_activity="2026-01-01T00:00:00Z",
        wallets_count=2**62,
        duration_minutes=0,
        idle_minutes=-1,
    )


def test_respond_writes_the_bytes_the_standard_encoder_writes() -> None:
    envelope = Envelope[CurrentSessionOut](data=CurrentSessionOut(session=_summary(TRICKY)))
    standard = json.dumps(
        wire_json(envelope), ensure_ascii=False, allow_nan=False, separators=(",", ":")
    ).encode()
    assert wire_bytes(envelope) == standard
    assert respond(envelope).body == standard


class _Measured(WireModel):
    value: float


def test_floats_are_left_to_the_standard_encoder() -> None:
    # pydantic would write 1e-7 and null for NaN; the standard encoder writes 1e-07 and
    # refuses NaN, which the server turns into a 500 rather than invalid JSON.
    small = Envelope[_Measured](data=_Measured(value=1e-7))
    assert wire_bytes(small) is None
    assert respond(small).body == b'{"success":true,"data":{"value":1e-07}}'
    with pytest.raises(ValueError):
        respond(Envelope[_Measured](data=_Measured(value=float("nan"))))


def test_request_ids_are_unique_and_well_formed() -> None:
    ids = {new_request_id() for _ in range(10_000)}
    assert len(ids) == 10_000
    assert all(len(i) == 36 and i.startswith("req_") and int(i[4:], 16) >= 0 for i in ids)
