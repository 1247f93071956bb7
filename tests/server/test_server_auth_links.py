"""Magic links, password resets and the current-user profile over real HTTP (SQLite and
PostgreSQL); expiry is reached by moving the server's clock, not by sleeping."""

from __future__ import annotations

import httpx

from .auth_support import PASSWORD, USER, bearer, error_code, running
from .conftest import DbTarget


def test_magic_link_signs_in_once_and_creates_new_users(db_target: DbTarget):
    with running(db_target) as live:
        sent = live.post("/api/auth/magic-link", {"email": "Fresh@Example.com"})
        assert sent.status_code == 200
        assert sent.json()["message"].startswith("Magic link sent")
        assert sent.json()["data"]["email"] == "fresh@example.com"
        assert sent.json()["data"]["sent_at"].endswith("Z")
        mail = live.mail("fresh@example.com", "magic_link")
        token = mail["metadata"]["token"]
        link = mail["metadata"]["link"]
        assert link in mail["text"] and link.startswith(live.url)
        page = httpx.get(link)  # the e-mailed link is served by the server itself
        assert page.status_code == 200 and token in page.text

        verified = live.post("/api/auth/verify-magic-link", {"token": token, "type": "magiclink"})
        assert verified.status_code == 200, verified.text
        body = verified.json()
        assert body["message"] == "Magic link authentication successful"
        assert body["user"]["email"] == "fresh@example.com" and body["user"]["wallets"] == []
        assert set(body["tokens"]) >= {"access_token", "refresh_token", "expires_in"}
        me = live.http.get("/api/auth/user", headers=bearer(body["tokens"]["access_token"]))
        assert me.json()["data"]["user"]["id"] == body["user"]["id"]

        replay = live.post("/api/auth/verify-magic-link", {"token": token})
        assert replay.status_code == 401 and error_code(replay) == "INVALID_TOKEN"
        wrong = live.post("/api/auth/verify-magic-link", {"token": "ml_wrong"})
        assert wrong.status_code == 401 and error_code(wrong) == "INVALID_TOKEN"


def test_magic_link_expires_after_15_minutes(db_target: DbTarget):
    with running(db_target) as live:
        live.post("/api/auth/magic-link", {"email": USER})
        token = live.mail(USER, "magic_link")["metadata"]["token"]
        live.ctx.clock.advance(seconds=15 * 60 + 1)
        late = live.post("/api/auth/verify-magic-link", {"token": token})
        assert late.status_code == 401 and error_code(late) == "INVALID_TOKEN"


def test_magic_link_used_just_in_time_works(sqlite_target: DbTarget):
    with running(sqlite_target) as live:
        live.post("/api/auth/magic-link", {"email": USER})
        token = live.mail(USER, "magic_link")["metadata"]["token"]
        live.ctx.clock.advance(seconds=14 * 60)
        assert live.post("/api/auth/verify-magic-link", {"token": token}).is_success


def test_password_reset_flow(db_target: DbTarget):
    with running(db_target) as live:
        old = live.login()
        answers = [
            live.post("/api/auth/password-reset", {"email": email}).json()
            for email in (USER, "ghost@example.com")
        ]
        # Same answer whether or not the account exists.
        assert answers[0]["message"] == answers[1]["message"]
        assert answers[0]["message"].startswith("If an account with this email exists")
        assert set(answers[0]["data"]) == set(answers[1]["data"]) == {"email", "sent_at"}
        messages = live.http.get("/_dev/mailbox/messages", params={"to": "ghost@example.com"})
        assert messages.json()["data"]["messages"] == []

        mail = live.mail(USER, "password_reset")
        token = mail["metadata"]["token"]
        assert httpx.get(mail["metadata"]["link"]).status_code == 200
        weak = live.post(
            "/api/auth/reset-password-confirm", {"token": token, "new_password": "weak"}
        )
        assert weak.status_code == 400 and error_code(weak) == "WEAK_PASSWORD"
        # A rejected password does not burn the token.
        done = live.post(
            "/api/auth/reset-password-confirm", {"token": token, "new_password": "Sup3rStrong!"}
        )
        assert done.status_code == 200
        assert done.json()["message"].startswith("Password reset successfully")
        replay = live.post(
            "/api/auth/reset-password-confirm", {"token": token, "new_password": "An0ther-One!"}
        )
        assert replay.status_code == 401 and error_code(replay) == "INVALID_TOKEN"
        # Every session of the user was revoked; the old password no longer works.
        gone = live.http.get("/api/sessions/current", headers=bearer(old["access_token"]))
        assert gone.status_code == 401 and error_code(gone) == "SESSION_REVOKED"
        stale = live.post("/api/auth/login", {"email": USER, "password": PASSWORD})
        assert stale.status_code == 401
        assert live.login(USER, "Sup3rStrong!")["user"]["email"] == USER


def test_password_reset_token_expires(sqlite_target: DbTarget):
    with running(sqlite_target) as live:
        live.post("/api/auth/password-reset", {"email": USER})
        token = live.mail(USER, "password_reset")["metadata"]["token"]
        live.ctx.clock.advance(seconds=3601)
        late = live.post(
            "/api/auth/reset-password-confirm", {"token": token, "new_password": "Sup3rStrong!"}
        )
        assert late.status_code == 401 and error_code(late) == "INVALID_TOKEN"


def test_password_reset_rejects_a_malformed_email(sqlite_target: DbTarget):
    with running(sqlite_target) as live:
        bad = live.post("/api/auth/password-reset", {"email": "nope"})
        assert bad.status_code == 400 and error_code(bad) == "INVALID_EMAIL"


def test_profile_shape(db_target: DbTarget):
    with running(db_target) as live:
        data = live.login("premium@example.com")
        response = live.http.get("/api/auth/user", headers=bearer(data["access_token"]))
        assert response.status_code == 200
        user = response.json()["data"]["user"]
        assert user["email"] == "premium@example.com" and user["tier"] == "premium"
        assert user["role"] == "user" and user["wallets"] == [] and user["metadata"] == {}
        assert "password_hash" not in response.text and "$argon2" not in response.text
