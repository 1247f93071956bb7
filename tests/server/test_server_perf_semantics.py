"""What the bearer-route speed-ups must not change: revocations (of sessions and of API keys)
are honoured at once in-process and within the documented bound across processes; the caches
expire, evict and refuse stale writes; and the hot route does the work we expect of it (one
SQL statement, persistent pooled connections). No timing assertions: speed is measured in
``benchmarks/bench_server.py``."""

from __future__ import annotations

import asyncio
import json
import subprocess
from datetime import timedelta

import httpx
import pytest
import sqlalchemy as sa

from spaps_server.domain.models import Application
from spaps_server.security.errors import ExpiredTokenError, InvalidTokenError
from spaps_server.security.tokens import TokenSigner, generate_signing_key_pem
from spaps_server.services.applications import (
    API_KEY_CACHE_TTL_SECONDS,
    ApiKeyCache,
    ApplicationService,
)
from spaps_server.services.metrics import MetricsRegistry
from spaps_server.storage.database import Database
from spaps_server.storage.sessions import SessionsRepository
from spaps_server.storage.types import utcnow

from .auth_support import bearer, error_code, running
from .conftest import DEFAULT_KEY, DbTarget, serve_in_process, spaps_command


class FakeClock:
    """A monotonic clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def error_code_of(response: httpx.Response) -> str:
    return str(response.json()["error"]["code"])


def _app(app_id: str) -> Application:
    return Application(id=app_id, name=app_id, created_at=utcnow())


# --- ApiKeyCache -----------------------------------------------------------------------


def test_key_cache_expires_after_its_ttl():
    clock = FakeClock()
    cache = ApiKeyCache(ttl_seconds=2.0, clock=clock)
    cache.put("h1", _app("app_1"), generation=cache.generation)
    found = cache.get("h1")
    assert found is not None and found.id == "app_1"
    clock.now += 1.999
    assert cache.get("h1") is not None
    clock.now += 0.001
    assert cache.get("h1") is None
    assert len(cache) == 0


def test_key_cache_drops_a_lookup_that_raced_an_invalidation():
    cache = ApiKeyCache(clock=FakeClock())
    before = cache.generation
    cache.invalidate_application("app_1")  # a revocation committed while the lookup ran
    cache.put("h1", _app("app_1"), generation=before)
    assert cache.get("h1") is None
    cache.put("h1", _app("app_1"), generation=cache.generation)
    assert cache.get("h1") is not None


def test_key_cache_invalidates_one_application_and_bounds_its_size():
    cache = ApiKeyCache(max_entries=2, clock=FakeClock())
    cache.put("a", _app("app_a"), generation=cache.generation)
    cache.put("b", _app("app_b"), generation=cache.generation)
    cache.put("c", _app("app_b"), generation=cache.generation)
    assert len(cache) == 2 and cache.get("a") is None  # oldest evicted
    cache.put("a", _app("app_a"), generation=cache.generation)
    cache.invalidate_application("app_b")
    assert cache.get("a") is not None and cache.get("b") is None and cache.get("c") is None
    cache.clear()
    assert len(cache) == 0


def test_key_cache_rejects_bad_settings():
    with pytest.raises(ValueError):
        ApiKeyCache(ttl_seconds=-1)
    with pytest.raises(ValueError):
        ApiKeyCache(max_entries=0)


# --- API-key revocation ----------------------------------------------------------------


async def test_revoke_in_process_is_immediate_despite_the_cache(db_target: DbTarget):
    async with serve_in_process(db_target.config()) as (app, http):
        ctx = app.state.context
        ctx.applications.key_cache = ApiKeyCache(clock=FakeClock())  # never expires by itself
        _, key = await ctx.applications.create("Doomed")
        headers = {"X-API-Key": key}
        # The key is accepted (and now cached); only the bearer token is missing.
        assert error_code_of(await http.get("/api/sessions/current", headers=headers)) == (
            "UNAUTHORIZED"
        )
        assert len(ctx.applications.key_cache) == 1
        await ctx.applications.revoke("Doomed")
        refused = await http.get("/api/sessions/current", headers=headers)
        assert refused.status_code == 401 and error_code_of(refused) == "INVALID_API_KEY"


async def test_revoke_from_another_process_is_honoured_within_the_ttl(db_target: DbTarget):
    clock = FakeClock()
    async with serve_in_process(db_target.config()) as (app, http):
        ctx = app.state.context
        ctx.applications.key_cache = ApiKeyCache(clock=clock)
        _, key = await ctx.applications.create("Elsewhere")
        headers = {"X-API-Key": key}
        assert error_code_of(await http.get("/api/sessions", headers=headers)) == "UNAUTHORIZED"

        # Another process: its own engine and its own (empty) cache on the same database.
        url = db_target.url or f"sqlite:///{ctx.db.sqlite_path}"
        other_db = Database(url, schema=db_target.schema)
        try:
            await ApplicationService(other_db, MetricsRegistry()).revoke("Elsewhere")
        finally:
            await other_db.dispose()

        # Within the bound the cached lookup may still be used; past it, never.
        clock.now += API_KEY_CACHE_TTL_SECONDS
        refused = await http.get("/api/sessions", headers=headers)
        assert refused.status_code == 401 and error_code_of(refused) == "INVALID_API_KEY"
        # The default key was never cached as anything else and keeps working.
        ok = await http.get("/api/sessions", headers={"X-API-Key": DEFAULT_KEY})
        assert error_code_of(ok) == "UNAUTHORIZED"


def test_spaps_apps_revoke_cli_against_a_running_server(sqlite_target: DbTarget):
    clock = FakeClock()
    with running(sqlite_target) as live:
        live.ctx.applications.key_cache = ApiKeyCache(clock=clock)
        created = subprocess.run(
            spaps_command(
                "apps", "create", "Cli App", "--json", "--data-dir", str(sqlite_target.data_dir)
            ),
            capture_output=True,
            text=True,
            check=True,
        )
        key = json.loads(created.stdout)["api_key"]
        # A key created by another process works at once (failures are never cached).
        assert error_code(live.http.get("/api/sessions", headers={"X-API-Key": key})) == (
            "UNAUTHORIZED"
        )
        subprocess.run(
            spaps_command("apps", "revoke", "Cli App", "--data-dir", str(sqlite_target.data_dir)),
            capture_output=True,
            check=True,
        )
        clock.now += API_KEY_CACHE_TTL_SECONDS
        refused = live.http.get("/api/sessions", headers={"X-API-Key": key})
        assert refused.status_code == 401 and error_code(refused) == "INVALID_API_KEY"


# --- sessions --------------------------------------------------------------------------


def test_session_revoked_by_another_connection_is_refused_at_once(db_target: DbTarget):
    with running(db_target) as live:
        data = live.login()
        auth = bearer(data["access_token"])
        session_id = live.http.get("/api/sessions/current", headers=auth).json()["data"]["session"][
            "id"
        ]

        async def revoke_elsewhere() -> None:
            url = db_target.url or f"sqlite:///{live.ctx.db.sqlite_path}"
            other_db = Database(url, schema=db_target.schema)
            try:
                repo = SessionsRepository(other_db)
                app_id = live.ctx.default_application.id
                assert await repo.revoke(app_id, session_id, utcnow(), "admin")
            finally:
                await other_db.dispose()

        asyncio.run(revoke_elsewhere())
        for path in ("/api/sessions/current", "/api/sessions"):
            refused = live.http.get(path, headers=auth)
            assert refused.status_code == 401 and error_code(refused) == "SESSION_REVOKED"
        assert live.post("/api/sessions/validate", headers=auth).status_code == 401


def test_current_session_is_one_sql_statement_per_request(db_target: DbTarget):
    with running(db_target) as live:
        auth = bearer(live.login()["access_token"])
        assert live.http.get("/api/sessions/current", headers=auth).status_code == 200
        statements: list[str] = []

        def record(statement: str) -> None:
            # The webhook worker polls in the background; its queries are not the request's.
            if "webhook_" not in statement:
                statements.append(statement)

        # Both the engine's statements and the direct read path's are observed.
        with live.ctx.db.observe_statements(record):
            for _ in range(3):
                response = live.http.get("/api/sessions/current", headers=auth)
                assert response.status_code == 200
                assert response.json()["data"]["session"]["wallets_count"] == 0
        # The key comes from the cache; the session check and the summary share one SELECT,
        # and a SQLite read issues no BEGIN of its own.
        assert len(statements) == 3, statements
        assert all(s.lstrip().upper().startswith("SELECT") for s in statements)


async def test_sqlite_reads_reuse_pooled_connections(sqlite_target: DbTarget):
    async with serve_in_process(sqlite_target.config()) as (app, _http):
        db: Database = app.state.context.db
        # The webhook worker polls on its own connection; this measures units of work only.
        await app.state.context.webhook_worker.stop()
        connects: list[object] = []
        sa.event.listen(db.engine.sync_engine, "connect", lambda *a: connects.append(a))
        for _ in range(5):
            async with db.read() as conn:
                await conn.execute(sa.text("SELECT 1"))
            async with db.begin() as conn:
                await conn.execute(sa.text("SELECT 1"))
        assert connects == []  # start-up opened one; nothing reconnects per unit of work


async def test_sqlite_read_holds_no_lock_against_a_writer(sqlite_target: DbTarget):
    async with serve_in_process(sqlite_target.config()) as (app, _http):
        db: Database = app.state.context.db
        name_query = sa.text("SELECT name FROM applications WHERE is_default")
        async with db.read() as reader:
            before = (await reader.execute(name_query)).scalar_one()

            # A writer (another request: its own task) can commit while the read unit of
            # work is still open ...
            async def write() -> int:
                async with db.begin() as writer:
                    renamed = await writer.execute(
                        sa.text("UPDATE applications SET name = :name WHERE is_default"),
                        {"name": "Renamed while read"},
                    )
                return int(renamed.rowcount)

            assert await asyncio.create_task(write()) == 1
            # ... and the reader's next statement sees the committed change.
            assert (await reader.execute(name_query)).scalar_one() == "Renamed while read"
        assert before != "Renamed while read"


# --- verified-token cache --------------------------------------------------------------


def test_verified_token_cache_still_checks_time_and_application():
    now = [1_000_000.0]
    signer = TokenSigner(generate_signing_key_pem(), clock=lambda: now[0])
    token, ttl = signer.issue_access_token(
        user_id="usr_1", session_id="ses_1", application_id="app_1", tier="free", role="user"
    )
    verifier = signer.verifier
    assert signer.verify_access_token(token, application_id="app_1").session_id == "ses_1"
    assert verifier.cached_tokens == 1
    assert signer.verify_access_token(token, application_id="app_1").user_id == "usr_1"
    assert verifier.cached_tokens == 1
    with pytest.raises(InvalidTokenError):
        signer.verify_access_token(token, application_id="app_2")
    now[0] += timedelta(seconds=ttl).total_seconds()
    with pytest.raises(ExpiredTokenError):
        signer.verify_access_token(token, application_id="app_1")


def test_verified_token_cache_never_keeps_a_failure_and_is_bounded():
    signer = TokenSigner(generate_signing_key_pem(), verified_cache_size=2)
    tokens = [
        signer.issue_access_token(
            user_id="usr", session_id=f"ses_{i}", application_id="app", tier="free", role="user"
        )[0]
        for i in range(3)
    ]
    tampered = tokens[0][:-2] + ("AA" if not tokens[0].endswith("AA") else "BB")
    for _ in range(2):
        with pytest.raises(InvalidTokenError):
            signer.verify_access_token(tampered)
    assert signer.verifier.cached_tokens == 0
    for token in tokens:
        signer.verify_access_token(token)
    assert signer.verifier.cached_tokens == 2
    other = TokenSigner(generate_signing_key_pem())
    with pytest.raises(InvalidTokenError):
        other.verify_access_token(tokens[0])  # another key set never shares the cache
