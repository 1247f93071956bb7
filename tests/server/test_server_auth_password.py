"""Password register/login, refresh rotation and reuse detection, logout, bearer errors,
offline verification with the JWKS, rate limits and metrics: over real HTTP on SQLite and
PostgreSQL."""

from __future__ import annotations

import asyncio

import httpx
import jwt
import pytest

from spaps_server.config import ServerConfig

from .auth_support import PASSWORD, USER, bearer, create_application, error_code, running
from .conftest import DbTarget

TOKEN_KEYS = {"access_token", "refresh_token", "expires_in", "token_type", "user"}


def test_register_auto_login_shape_and_duplicate(db_target: DbTarget):
    with running(db_target) as live:
        body = {
            "email": "New.User@Example.com",
            "password": "Corr3ct-Horse!",
            "username": "newbie",
            "phone_number": "123",
        }
        created = live.post("/api/auth/register", body)
        assert created.status_code == 201, created.text
        payload = created.json()
        assert payload["message"] == "Registration and login successful"
        assert set(payload["tokens"]) >= {"access_token", "refresh_token", "expires_in"}
        assert isinstance(payload["tokens"]["expires_in"], int)
        user = payload["user"]
        assert user["email"] == "new.user@example.com" and user["username"] == "newbie"
        assert user["phone_number"] == "123" and user["tier"] == "basic"
        assert user["wallets"] == []
        me = live.http.get("/api/auth/user", headers=bearer(payload["tokens"]["access_token"]))
        assert me.json()["data"]["user"]["id"] == user["id"]

        again = live.post("/api/auth/register", {**body, "email": "new.user@EXAMPLE.com"})
        assert again.status_code == 400 and error_code(again) == "EMAIL_ALREADY_EXISTS"


@pytest.mark.parametrize("password", ["short1!", "password123!", "alllowercaseletters"])
def test_register_rejects_weak_passwords(sqlite_target: DbTarget, password: str):
    with running(sqlite_target) as live:
        weak = live.post("/api/auth/register", {"email": "w@example.com", "password": password})
        assert weak.status_code == 400 and error_code(weak) == "WEAK_PASSWORD"
        assert password not in weak.text


def test_register_rejects_a_malformed_email(sqlite_target: DbTarget):
    with running(sqlite_target) as live:
        bad = live.post("/api/auth/register", {"email": "not-an-email", "password": "Xy7!abcdef"})
        assert bad.status_code == 400 and error_code(bad) == "INVALID_EMAIL"


def test_login_success_and_failures(db_target: DbTarget):
    with running(db_target) as live:
        data = live.login()
        assert set(data) >= TOKEN_KEYS
        assert data["token_type"] == "Bearer" and isinstance(data["expires_in"], int)
        assert data["user"]["email"] == USER and isinstance(data["user"]["wallets"], list)
        for body in (
            {"email": USER, "password": "Wrong-Pass-1"},
            {"email": "nobody@example.com", "password": PASSWORD},
        ):
            failed = live.post("/api/auth/login", body)
            assert failed.status_code == 401 and error_code(failed) == "INVALID_CREDENTIALS"
            assert failed.headers["X-Request-ID"]
        counter = live.ctx.metrics.get("spaps_auth_sign_ins_total")
        assert counter is not None
        assert counter.value(method="password", outcome="failure") == 2
        assert counter.value(method="password", outcome="success") == 1


def test_refresh_rotates_and_reuse_revokes_the_session(db_target: DbTarget):
    with running(db_target) as live:
        first = live.login()
        rotated = live.post("/api/auth/refresh", {"refresh_token": first["refresh_token"]})
        assert rotated.status_code == 200, rotated.text
        pair = rotated.json()["data"]
        assert set(pair) >= TOKEN_KEYS and pair["refresh_token"] != first["refresh_token"]
        assert pair["user"]["id"] == first["user"]["id"]
        assert isinstance(pair["user"]["wallets"], list)
        assert live.http.get(
            "/api/sessions/current", headers=bearer(pair["access_token"])
        ).is_success

        reused = live.post("/api/auth/refresh", {"refresh_token": first["refresh_token"]})
        assert reused.status_code == 401 and error_code(reused) == "REFRESH_TOKEN_REUSED"
        # The whole session is gone: the newest tokens stop working too.
        refused = live.http.get("/api/sessions/current", headers=bearer(pair["access_token"]))
        assert refused.status_code == 401 and error_code(refused) == "SESSION_REVOKED"
        latest = live.post("/api/auth/refresh", {"refresh_token": pair["refresh_token"]})
        assert latest.status_code == 401 and error_code(latest) == "INVALID_REFRESH"
        reuse = live.ctx.metrics.get("spaps_auth_refresh_reuse_total")
        assert reuse is not None and reuse.total() == 1

        unknown = live.post("/api/auth/refresh", {"refresh_token": "rt_not-a-real-token"})
        assert unknown.status_code == 401 and error_code(unknown) == "INVALID_REFRESH"


def test_logout_revokes_the_session_at_once(db_target: DbTarget):
    with running(db_target) as live:
        data = live.login()
        out = live.post("/api/auth/logout", headers=bearer(data["access_token"]))
        assert out.status_code == 200 and out.json()["data"]["message"]
        after = live.http.get("/api/auth/user", headers=bearer(data["access_token"]))
        assert after.status_code == 401 and error_code(after) == "SESSION_REVOKED"
        refresh = live.post("/api/auth/refresh", {"refresh_token": data["refresh_token"]})
        assert refresh.status_code == 401 and error_code(refresh) == "INVALID_REFRESH"


def test_bearer_errors(sqlite_target: DbTarget):
    with running(sqlite_target, access_token_ttl=60) as live:
        missing = live.http.get("/api/auth/user")
        assert missing.status_code == 401 and error_code(missing) == "UNAUTHORIZED"
        garbage = live.http.get("/api/auth/user", headers=bearer("not.a.jwt"))
        assert garbage.status_code == 401 and error_code(garbage) == "INVALID_TOKEN"
        token = live.login()["access_token"]
        tampered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
        bad_sig = live.http.get("/api/auth/user", headers=bearer(tampered))
        assert bad_sig.status_code == 401 and error_code(bad_sig) == "INVALID_TOKEN"
        live.ctx.clock.advance(seconds=61)
        expired = live.http.get("/api/auth/user", headers=bearer(token))
        assert expired.status_code == 401 and error_code(expired) == "TOKEN_EXPIRED"
        no_key = live.http.get(
            "/api/auth/user", headers={"X-API-Key": "", **bearer(live.login()["access_token"])}
        )
        assert no_key.status_code == 401 and error_code(no_key) == "INVALID_API_KEY"


def test_a_token_of_another_application_is_refused(db_target: DbTarget):
    other_key = asyncio.run(create_application(db_target.config(), "other"))
    with running(db_target) as live:
        token = live.login()["access_token"]
        cross = live.http.get("/api/auth/user", headers={"X-API-Key": other_key, **bearer(token)})
        assert cross.status_code == 401 and error_code(cross) == "INVALID_TOKEN"
        # The seeded accounts exist only in the default application.
        other = live.post(
            "/api/auth/login",
            {"email": USER, "password": PASSWORD},
            headers={"X-API-Key": other_key},
        )
        assert other.status_code == 401 and error_code(other) == "INVALID_CREDENTIALS"


def test_access_tokens_verify_offline_with_the_published_key_set(db_target: DbTarget):
    with running(db_target) as live:
        data = live.login("admin@example.com")
        # Only public material: the JWKS document (no API key needed) and PyJWT.
        document = httpx.get(f"{live.url}/.well-known/jwks.json").json()
        assert document["keys"] and all("d" not in key for key in document["keys"])
        header = jwt.get_unverified_header(data["access_token"])
        jwk = next(k for k in document["keys"] if k["kid"] == header["kid"])
        key = jwt.PyJWK.from_dict(jwk)
        claims = jwt.decode(
            data["access_token"],
            key=key.key,
            algorithms=["EdDSA"],
            audience=live.ctx.default_application.id,
        )
        assert claims["sub"] == data["user"]["id"]
        assert claims["app"] == live.ctx.default_application.id
        assert claims["role"] == "admin" and claims["tier"] == "basic"
        assert claims["exp"] - claims["iat"] == data["expires_in"]
        current = live.http.get("/api/sessions/current", headers=bearer(data["access_token"]))
        assert claims["sid"] == current.json()["data"]["session"]["id"]


def test_login_rate_limits_answer_429_with_retry_after(sqlite_target: DbTarget):
    # Windows are aligned to the epoch; these cannot end during the test.
    limits = (("login:acct", 2, 1e9), ("login:ip", 5, 1e9))
    with running(sqlite_target, rate_limits=limits) as live:
        for _ in range(2):
            wrong = live.post("/api/auth/login", {"email": USER, "password": "Wrong-Pass-1"})
            assert wrong.status_code == 401
        # The account is locked now, even with the right password.
        locked = live.post("/api/auth/login", {"email": USER, "password": PASSWORD})
        assert locked.status_code == 429 and error_code(locked) == "RATE_LIMITED"
        assert 1 <= int(locked.headers["Retry-After"]) <= 1e9
        # Another account still works until the per-IP budget (5 attempts) runs out.
        assert live.post(
            "/api/auth/login", {"email": "premium@example.com", "password": PASSWORD}
        ).is_success
        assert live.post(
            "/api/auth/login", {"email": "admin@example.com", "password": PASSWORD}
        ).is_success
        blocked = live.post("/api/auth/login", {"email": "admin@example.com", "password": PASSWORD})
        assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) >= 1
        counter = live.ctx.metrics.get("spaps_auth_rate_limited_total")
        assert counter is not None
        assert counter.value(bucket="login:acct") == 1 and counter.value(bucket="login:ip") == 1


@pytest.mark.parametrize(
    ("bucket", "path", "body"),
    [
        ("register", "/api/auth/register", {"password": "Str0ng-Enough!"}),
        ("magic-link", "/api/auth/magic-link", {}),
        ("password-reset", "/api/auth/password-reset", {}),
    ],
)
def test_other_flows_are_rate_limited(sqlite_target: DbTarget, bucket, path, body):
    with running(sqlite_target, rate_limits=((f"{bucket}:ip", 2, 1e9),)) as live:
        for i in range(2):
            assert live.post(path, {"email": f"r{i}@example.com", **body}).status_code < 300
        limited = live.post(path, {"email": "r9@example.com", **body})
        assert limited.status_code == 429 and error_code(limited) == "RATE_LIMITED"
        assert int(limited.headers["Retry-After"]) >= 1
    with running(sqlite_target, rate_limits=((f"{bucket}:acct", 1, 1e9),)) as live:
        assert live.post(path, {"email": "same@example.com", **body}).status_code < 300
        again = live.post(path, {"email": "same@example.com", **body})
        assert again.status_code == 429 and "Retry-After" in again.headers


def test_email_confirmation_mode(sqlite_target: DbTarget):
    with running(sqlite_target, require_email_confirmation=True) as live:
        body = {"email": "confirm@example.com", "password": "Conf1rm-Me-Now"}
        created = live.post("/api/auth/register", body)
        assert created.status_code == 201
        payload = created.json()
        assert "tokens" not in payload and payload["message"].startswith("Registration successful")
        assert payload["data"]["user"]["email_confirmed"] is False
        early = live.post("/api/auth/login", {"email": body["email"], "password": body["password"]})
        assert early.status_code == 403 and error_code(early) == "EMAIL_NOT_CONFIRMED"
        link = live.mail(body["email"], "email_confirmation")["metadata"]["link"]
        page = httpx.get(link)
        assert page.status_code == 200 and "E-mail confirmed" in page.text
        assert httpx.get(link).status_code == 400  # single use
        assert live.post(
            "/api/auth/login", {"email": body["email"], "password": body["password"]}
        ).is_success


def test_metrics_expose_auth_counters(sqlite_target: DbTarget):
    with running(sqlite_target) as live:
        data = live.login()
        live.post("/api/auth/refresh", {"refresh_token": data["refresh_token"]})
        live.post("/api/auth/refresh", {"refresh_token": data["refresh_token"]})
        text = httpx.get(f"{live.url}/api/metrics").text
        assert 'spaps_auth_sign_ins_total{method="password",outcome="success"} 1' in text
        assert 'spaps_auth_refreshes_total{outcome="success"} 1' in text
        assert "spaps_auth_refresh_reuse_total 1" in text


def test_production_password_profile_is_the_default():
    assert ServerConfig(password_profile="production").password_profile == "production"
    with pytest.raises(ValueError, match="password profile"):
        ServerConfig(password_profile="fast")
