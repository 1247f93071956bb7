"""``/api/sessions`` (#12-#16) over real HTTP on SQLite and PostgreSQL: shapes, paging,
touch, revocation (refused at once), and isolation between users."""

from __future__ import annotations

from datetime import datetime

from .auth_support import bearer, error_code, running
from .conftest import DbTarget

SUMMARY_KEYS = {
    "id",
    "user_id",
    "application_id",
    "tier",
    "created_at",
    "expires_at",
    "last_activity",
    "wallets_count",
    "duration_minutes",
    "idle_minutes",
}


def test_current_validate_touch_shapes(db_target: DbTarget):
    with running(db_target) as live:
        data = live.login()
        auth = bearer(data["access_token"])
        current = live.http.get("/api/sessions/current", headers=auth)
        assert current.status_code == 200
        session = current.json()["data"]["session"]
        assert set(session) >= SUMMARY_KEYS
        assert session["user_id"] == data["user"]["id"]
        assert session["application_id"] == live.ctx.default_application.id
        assert isinstance(session["duration_minutes"], int)
        assert isinstance(session["idle_minutes"], int)
        live.ctx.clock.advance(seconds=600)
        later = live.http.get("/api/sessions/current", headers=auth).json()["data"]["session"]
        assert later["duration_minutes"] == 10

        validate = live.post("/api/sessions/validate", headers=auth)
        vdata = validate.json()["data"]
        assert "session" not in vdata
        assert vdata["valid"] is True and vdata["session_id"] == session["id"]
        assert vdata["renewed"] is False and vdata["expires_at"].endswith("Z")

        touched = live.post("/api/sessions/touch", headers=auth).json()["data"]
        assert touched["message"] and touched["session_id"] == session["id"]
        assert datetime.fromisoformat(touched["last_activity"].replace("Z", "+00:00"))


def test_list_paging_and_revocation(db_target: DbTarget):
    with running(db_target) as live:
        logins = [live.login() for _ in range(3)]
        other = live.login("premium@example.com")
        auth = bearer(logins[-1]["access_token"])
        listing = live.http.get("/api/sessions", headers=auth, follow_redirects=False)
        assert listing.status_code == 200
        data = listing.json()["data"]
        assert data["total"] == 3 and len(data["sessions"]) == 3
        record = data["sessions"][0]
        assert set(record) >= {
            "id",
            "user_id",
            "application_id",
            "created_at",
            "last_used",
            "expires_at",
            "user_agent",
            "ip_address",
            "is_current",
        }
        assert record["ip_address"] == "127.0.0.1" and record["user_agent"]
        assert sum(s["is_current"] for s in data["sessions"]) == 1
        ids = [s["id"] for s in data["sessions"]]
        page1 = live.http.get("/api/sessions", params={"limit": "2"}, headers=auth).json()["data"]
        page2 = live.http.get(
            "/api/sessions",
            params={"limit": "2", "starting_after": page1["sessions"][-1]["id"]},
            headers=auth,
        ).json()["data"]
        assert [s["id"] for s in page1["sessions"] + page2["sessions"]] == ids
        assert page1["total"] == page2["total"] == 3
        assert live.http.get("/api/sessions/", headers=auth).status_code == 404  # no redirect

        victim = logins[0]
        victim_session = live.http.get(
            "/api/sessions/current", headers=bearer(victim["access_token"])
        ).json()["data"]["session"]["id"]
        # Another user cannot see or revoke it.
        foreign = live.http.delete(
            f"/api/sessions/{victim_session}", headers=bearer(other["access_token"])
        )
        assert foreign.status_code == 404 and error_code(foreign) == "SESSION_NOT_FOUND"
        unknown = live.http.delete("/api/sessions/sess_unknown", headers=auth)
        assert unknown.status_code == 404 and error_code(unknown) == "SESSION_NOT_FOUND"

        revoked = live.http.delete(f"/api/sessions/{victim_session}", headers=auth)
        assert revoked.status_code == 200
        assert revoked.json()["data"] == {
            "message": "Session revoked successfully",
            "session_id": victim_session,
        }
        # Its access token is refused at once, not when it expires.
        refused = live.http.get("/api/sessions/current", headers=bearer(victim["access_token"]))
        assert refused.status_code == 401 and error_code(refused) == "SESSION_REVOKED"
        assert live.http.get("/api/sessions", headers=auth).json()["data"]["total"] == 2


def test_sessions_expire(sqlite_target: DbTarget):
    with running(sqlite_target, session_ttl=120, access_token_ttl=600) as live:
        data = live.login()
        live.ctx.clock.advance(seconds=121)
        expired = live.http.get("/api/sessions/current", headers=bearer(data["access_token"]))
        assert expired.status_code == 401 and error_code(expired) == "INVALID_SESSION"
        refresh = live.post("/api/auth/refresh", {"refresh_token": data["refresh_token"]})
        assert refresh.status_code == 401 and error_code(refresh) == "INVALID_REFRESH"


def test_sessions_need_a_bearer(sqlite_target: DbTarget):
    with running(sqlite_target) as live:
        for method, path in (
            ("GET", "/api/sessions"),
            ("GET", "/api/sessions/current"),
            ("POST", "/api/sessions/validate"),
            ("POST", "/api/sessions/touch"),
            ("DELETE", "/api/sessions/sess_x"),
        ):
            response = live.http.request(method, path)
            assert response.status_code == 401 and error_code(response) == "UNAUTHORIZED"
