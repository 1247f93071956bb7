"""``/api/v1/whitelist`` (#45-#49) over real HTTP on SQLite and PostgreSQL: admin-only
management, the API-key-only check, application scoping, e-mails in paths, pagination, the
SDK's ``whitelist`` sub-client, and the whitelisted tier applied at sign-in."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from spaps_client import SpapsClient
from spaps_client.errors import WhitelistError
from spaps_server.config import ServerConfig
from spaps_server.context import open_context
from spaps_server.seeding import SeedFileError

from .conftest import DEFAULT_KEY, DbTarget, live_server, start_spaps_local

PASSWORD = "Secret123!"
ADMIN = "admin@example.com"
USER = "user@example.com"
BASE = "/api/v1/whitelist"
ENTRY_KEYS = {"email", "application_id", "tier", "bypass_payment", "metadata"}


@dataclasses.dataclass
class Env:
    """A live server with a second application, and tokens of its seeded accounts."""

    url: str
    http: httpx.Client  # sends the default application's API key
    default_app_id: str
    other_app_id: str
    other_key: str
    admin_token: str
    user_token: str

    def headers(self, token: str | None = None, key: str = DEFAULT_KEY) -> dict[str, str]:
        headers = {"X-API-Key": key}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return headers

    def admin(self) -> dict[str, str]:
        return self.headers(self.admin_token)


def sign_in(
    http: httpx.Client, email: str, password: str = PASSWORD, key: str = DEFAULT_KEY
) -> str:
    response = http.post(
        "/api/auth/login", json={"email": email, "password": password}, headers={"X-API-Key": key}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    data = body.get("data", body)
    token = data["access_token"]
    assert isinstance(token, str) and token
    return token


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is False
    assert body["error"]["code"] == code, body
    assert body["metadata"]["request_id"] == response.headers["x-request-id"]
    return body


def data_of(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is True
    return body["data"]


def server_config(target: DbTarget, **overrides: Any) -> ServerConfig:
    return target.config(password_profile="test", **overrides)  # cheap password hashing


OTHER_ADMIN = "boss@second.example.com"


async def _second_application(config: ServerConfig) -> tuple[str, str, str]:
    """A second application with its own administrator (made before the server starts)."""
    ctx = await open_context(config)
    try:
        other, key = await ctx.applications.create("second app")
        await ctx.accounts.create_user(other.id, email=OTHER_ADMIN, password=PASSWORD, role="admin")
        return ctx.default_application.id, other.id, key
    finally:
        await ctx.close()


@pytest.fixture
def env(db_target: DbTarget) -> Iterator[Env]:
    config = server_config(db_target)
    default_id, other_id, other_key = asyncio.run(_second_application(config))
    with (
        live_server(config) as live,
        httpx.Client(base_url=live.url, headers={"X-API-Key": DEFAULT_KEY}, timeout=30) as http,
    ):
        yield Env(
            url=live.url,
            http=http,
            default_app_id=default_id,
            other_app_id=other_id,
            other_key=other_key,
            admin_token=sign_in(http, ADMIN),
            user_token=sign_in(http, USER),
        )


def add(env: Env, email: str, **fields: Any) -> dict[str, Any]:
    entry: dict[str, Any] = data_of(
        env.http.post(BASE, json={"email": email, **fields}, headers=env.admin()), 201
    )["entry"]
    return entry


# -- check (#45): API key only ------------------------------------------------------------


def test_check_answers_with_the_api_key_alone(env: Env):
    add(env, "VIP@Example.com", tier="enterprise", metadata={"source": "test"})

    found = data_of(env.http.get(f"{BASE}/check", params={"email": "vip@example.com"}))
    assert found == {
        "entry": {
            "email": "vip@example.com",
            "application_id": env.default_app_id,
            "tier": "enterprise",
            "bypass_payment": True,
            "metadata": {"source": "test"},
        },
        "message": "Email vip@example.com is whitelisted with tier: enterprise",
    }
    # Addresses compare case-insensitively and surrounding blanks are ignored.
    again = data_of(env.http.get(f"{BASE}/check", params={"email": "  ViP@EXAMPLE.com "}))
    assert again["entry"]["email"] == "vip@example.com"

    missing = data_of(env.http.get(f"{BASE}/check", params={"email": "nobody@example.com"}))
    assert missing == {"message": "Email nobody@example.com is not whitelisted"}

    # A bearer token is not needed, but one sent along does no harm.
    with_token = env.http.get(
        f"{BASE}/check", params={"email": "vip@example.com"}, headers=env.headers(env.user_token)
    )
    assert data_of(with_token)["entry"]["tier"] == "enterprise"


def test_check_rejects_a_missing_or_invalid_email_and_a_missing_key(env: Env):
    assert_error(env.http.get(f"{BASE}/check"), 400, "INVALID_EMAIL")
    for bad in ["", "   ", "not-an-email", "a@b", "two words@example.com", "@example.com"]:
        assert_error(env.http.get(f"{BASE}/check", params={"email": bad}), 400, "INVALID_EMAIL")
    no_key = httpx.get(f"{env.url}{BASE}/check", params={"email": "a@example.com"})
    assert_error(no_key, 401, "INVALID_API_KEY")
    bad_key = env.http.get(
        f"{BASE}/check", params={"email": "a@example.com"}, headers={"X-API-Key": "nope"}
    )
    assert_error(bad_key, 401, "INVALID_API_KEY")


def test_checks_are_counted_by_outcome(env: Env):
    add(env, "counted@example.com")
    env.http.get(f"{BASE}/check", params={"email": "counted@example.com"})
    env.http.get(f"{BASE}/check", params={"email": "counted@example.com"})
    env.http.get(f"{BASE}/check", params={"email": "other@example.com"})
    env.http.get(f"{BASE}/check", params={"email": "bogus"})
    metrics = httpx.get(f"{env.url}/api/metrics/json").json()
    series = {
        s["labels"]["outcome"]: s["value"]
        for s in metrics["counters"]["spaps_whitelist_checks_total"]["series"]
    }
    assert series["whitelisted"] >= 2
    assert series["not_whitelisted"] >= 1
    assert series["invalid"] >= 1
    text = httpx.get(f"{env.url}/api/metrics").text
    assert 'spaps_whitelist_changes_total{action="added"}' in text


# -- management (#46-#49): administrators only --------------------------------------------


def test_management_needs_an_administrator(env: Env):
    add(env, "guarded@example.com")
    calls = [
        ("GET", BASE, None),
        ("POST", BASE, {"email": "new@example.com"}),
        ("PUT", f"{BASE}/guarded@example.com", {"tier": "basic"}),
        ("DELETE", f"{BASE}/guarded@example.com", None),
    ]
    for method, url, body in calls:
        anonymous = env.http.request(method, url, json=body)
        assert_error(anonymous, 401, "UNAUTHORIZED")
        assert anonymous.headers.get("www-authenticate") == "Bearer"
        bogus = env.http.request(method, url, json=body, headers=env.headers("not.a.jwt"))
        assert bogus.status_code == 401, bogus.text
        user = env.http.request(method, url, json=body, headers=env.headers(env.user_token))
        assert_error(user, 403, "ADMIN_REQUIRED")
        no_key = httpx.request(
            method,
            env.url + url,
            json=body,
            headers={"Authorization": f"Bearer {env.admin_token}"},
        )
        assert_error(no_key, 401, "INVALID_API_KEY")
    # Nothing the refused calls asked for happened.
    listing = data_of(env.http.get(BASE, headers=env.admin()))
    assert [e["email"] for e in listing["entries"]] == ["guarded@example.com"]
    assert listing["entries"][0]["tier"] == "premium"


def test_add_update_remove(env: Env):
    created = env.http.post(BASE, json={"email": "Life@Example.com"}, headers=env.admin())
    entry = data_of(created, 201)["entry"]
    assert set(entry) >= ENTRY_KEYS
    assert entry["email"] == "life@example.com"
    assert entry["application_id"] == env.default_app_id
    assert (entry["tier"], entry["bypass_payment"], entry["metadata"]) == ("premium", True, {})
    assert entry["created_at"].endswith("Z") and entry["created_by"]

    duplicate = env.http.post(BASE, json={"email": "LIFE@example.com"}, headers=env.admin())
    assert_error(duplicate, 409, "ALREADY_WHITELISTED")

    url = f"{BASE}/life@example.com"
    tiered = data_of(env.http.put(url, json={"tier": "enterprise"}, headers=env.admin()))["entry"]
    assert (tiered["tier"], tiered["bypass_payment"]) == ("enterprise", True)
    paying = data_of(env.http.put(url, json={"bypass_payment": False}, headers=env.admin()))
    assert (paying["entry"]["tier"], paying["entry"]["bypass_payment"]) == ("enterprise", False)
    noted = data_of(env.http.put(url, json={"metadata": {"note": "x"}}, headers=env.admin()))
    assert noted["entry"]["metadata"] == {"note": "x"}
    unchanged = data_of(env.http.put(url, json={}, headers=env.admin()))["entry"]
    assert unchanged == noted["entry"]
    # The path is matched case-insensitively too.
    upper = data_of(env.http.put(f"{BASE}/LIFE@EXAMPLE.COM", json={}, headers=env.admin()))
    assert upper["entry"]["email"] == "life@example.com"

    checked = data_of(env.http.get(f"{BASE}/check", params={"email": "life@example.com"}))
    assert checked["entry"]["tier"] == "enterprise"
    assert checked["entry"]["bypass_payment"] is False

    removed = env.http.delete(url, headers=env.admin())
    assert removed.status_code == 200  # never 204: 0.1.x clients need a body
    assert data_of(removed) == {"message": "Email life@example.com removed from whitelist"}
    gone = data_of(env.http.get(f"{BASE}/check", params={"email": "life@example.com"}))
    assert "entry" not in gone

    assert_error(env.http.delete(url, headers=env.admin()), 404, "NOT_WHITELISTED")
    assert_error(
        env.http.put(url, json={"tier": "basic"}, headers=env.admin()), 404, "NOT_WHITELISTED"
    )
    # Re-adding after removal works.
    assert add(env, "life@example.com")["tier"] == "premium"


def test_emails_in_the_path_are_percent_decoded(env: Env):
    odd = "a/b+c?d#e@example.com"
    add(env, odd, tier="basic")
    encoded = quote(odd, safe="")
    assert "%2F" in encoded and "%40" in encoded
    updated = env.http.put(f"{BASE}/{encoded}", json={"tier": "gold"}, headers=env.admin())
    assert data_of(updated)["entry"] == {**data_of(updated)["entry"], "email": odd, "tier": "gold"}
    checked = data_of(env.http.get(f"{BASE}/check", params={"email": odd}))
    assert checked["entry"]["tier"] == "gold"
    # Only '@' encoded, as in hand-written URLs, reaches the same entry.
    plain = add(env, "plain@example.com")
    assert plain["email"] == "plain@example.com"
    at_encoded = env.http.put(f"{BASE}/plain%40example.com", json={}, headers=env.admin())
    assert data_of(at_encoded)["entry"]["email"] == "plain@example.com"
    removed = env.http.delete(f"{BASE}/{encoded}", headers=env.admin())
    assert data_of(removed) == {"message": f"Email {odd} removed from whitelist"}


def test_listing_pages_and_totals(env: Env):
    emails = [f"user{i:02d}@example.com" for i in range(12)]
    for i, email in enumerate(emails):
        add(env, email, tier="basic" if i % 3 == 0 else "premium")

    first = data_of(env.http.get(BASE, params={"limit": 5, "offset": 0}, headers=env.admin()))
    assert first["total"] == 12
    assert [e["email"] for e in first["entries"]] == emails[:5]
    last = data_of(env.http.get(BASE, params={"limit": 5, "offset": 10}, headers=env.admin()))
    assert last["total"] == 12 and [e["email"] for e in last["entries"]] == emails[10:]
    beyond = data_of(env.http.get(BASE, params={"limit": 5, "offset": 50}, headers=env.admin()))
    assert beyond == {"entries": [], "total": 12}
    default = data_of(env.http.get(BASE, headers=env.admin()))
    assert len(default["entries"]) == 10 and default["total"] == 12

    basic = data_of(env.http.get(BASE, params={"tier": "basic", "limit": 2}, headers=env.admin()))
    assert basic["total"] == 4 and len(basic["entries"]) == 2
    assert {e["tier"] for e in basic["entries"]} == {"basic"}
    none = data_of(env.http.get(BASE, params={"tier": "enterprise"}, headers=env.admin()))
    assert none == {"entries": [], "total": 0}

    for params in ({"limit": 0}, {"limit": 100_000}, {"offset": -1}, {"limit": "ten"}):
        assert_error(
            env.http.get(BASE, params=params, headers=env.admin()), 400, "VALIDATION_ERROR"
        )
    assert_error(
        env.http.get(BASE, params={"tier": "no spaces"}, headers=env.admin()), 400, "INVALID_TIER"
    )


def test_request_bodies_are_validated(env: Env):
    def post(body: Any) -> httpx.Response:
        return env.http.post(BASE, json=body, headers=env.admin())

    assert_error(post({}), 400, "VALIDATION_ERROR")
    assert_error(post({"email": "bad"}), 400, "INVALID_EMAIL")
    assert_error(post({"email": "a@example.com", "tier": ""}), 400, "INVALID_TIER")
    assert_error(post({"email": "a@example.com", "tier": "x" * 65}), 400, "INVALID_TIER")
    assert_error(post({"email": "a@example.com", "tier": "gold\n"}), 400, "INVALID_TIER")
    assert_error(
        post({"email": "a@example.com", "bypass_payment": "maybe"}), 400, "VALIDATION_ERROR"
    )
    assert_error(post({"email": "a@example.com", "metadata": [1, 2]}), 400, "VALIDATION_ERROR")
    assert_error(post({"email": "a@example.com", "metadata": "x"}), 400, "VALIDATION_ERROR")
    assert_error(post(["a@example.com"]), 400, "VALIDATION_ERROR")
    raw = env.http.post(
        BASE, content=b"{not json", headers={**env.admin(), "Content-Type": "application/json"}
    )
    assert_error(raw, 400, "INVALID_JSON")
    add(env, "valid@example.com")
    url = f"{BASE}/valid@example.com"
    assert_error(env.http.put(url, json={"tier": "a b"}, headers=env.admin()), 400, "INVALID_TIER")
    assert_error(
        env.http.put(url, json={"metadata": 3}, headers=env.admin()), 400, "VALIDATION_ERROR"
    )
    assert_error(
        env.http.put(f"{BASE}/not-an-email", json={}, headers=env.admin()), 400, "INVALID_EMAIL"
    )
    # Nothing was stored by the refused requests.
    assert data_of(env.http.get(BASE, headers=env.admin()))["total"] == 1


# -- application scoping ------------------------------------------------------------------


def test_entries_belong_to_one_application(env: Env):
    add(env, "scoped@example.com", tier="enterprise")
    other = env.headers(key=env.other_key)

    # The other application's key does not see the default application's entry.
    unseen = env.http.get(f"{BASE}/check", params={"email": "scoped@example.com"}, headers=other)
    assert data_of(unseen) == {"message": "Email scoped@example.com is not whitelisted"}

    # The default application's admin token is not valid with another application's key.
    cross = env.http.get(BASE, headers=env.headers(env.admin_token, key=env.other_key))
    assert cross.status_code == 401, cross.text
    cross_delete = env.http.delete(
        f"{BASE}/scoped@example.com", headers=env.headers(env.admin_token, key=env.other_key)
    )
    assert cross_delete.status_code == 401, cross_delete.text
    still = data_of(env.http.get(f"{BASE}/check", params={"email": "scoped@example.com"}))
    assert still["entry"]["application_id"] == env.default_app_id

    # The other application's own administrator sees and changes only its entries.
    boss = env.headers(sign_in(env.http, OTHER_ADMIN, key=env.other_key), key=env.other_key)
    assert data_of(env.http.get(BASE, headers=boss)) == {"entries": [], "total": 0}
    url = f"{BASE}/scoped@example.com"
    assert_error(env.http.put(url, json={"tier": "basic"}, headers=boss), 404, "NOT_WHITELISTED")
    assert_error(env.http.delete(url, headers=boss), 404, "NOT_WHITELISTED")
    theirs = data_of(
        env.http.post(BASE, json={"email": "scoped@example.com", "tier": "basic"}, headers=boss),
        201,
    )["entry"]
    assert (theirs["application_id"], theirs["tier"]) == (env.other_app_id, "basic")
    data_of(env.http.delete(url, headers=boss))
    ours = data_of(env.http.get(f"{BASE}/check", params={"email": "scoped@example.com"}))
    assert (ours["entry"]["application_id"], ours["entry"]["tier"]) == (
        env.default_app_id,
        "enterprise",
    )
    listing = data_of(env.http.get(BASE, headers=env.admin()))
    assert [e["email"] for e in listing["entries"]] == ["scoped@example.com"]
    # The default application's seeded user is unknown to the other application.
    refused = env.http.post(
        "/api/auth/login",
        json={"email": USER, "password": PASSWORD},
        headers={"X-API-Key": env.other_key},
    )
    assert refused.status_code == 401, refused.text


# -- our SDK ------------------------------------------------------------------------------


def test_the_sdk_whitelist_sub_client(env: Env):
    with SpapsClient(base_url=env.url, api_key=DEFAULT_KEY) as spaps:
        # check needs no token at all (contract D4).
        missing = spaps.whitelist.check(email="sdk@example.com")
        assert missing.entry is None
        assert missing.message == "Email sdk@example.com is not whitelisted"

        with pytest.raises(ValueError, match="access token"):
            spaps.whitelist.list()

        spaps.auth.sign_in_with_password(email=USER, password=PASSWORD)
        with pytest.raises(WhitelistError) as refused:
            spaps.whitelist.add(email="sdk@example.com")
        assert refused.value.status_code == 403
        assert refused.value.error_code == "ADMIN_REQUIRED"

        spaps.auth.sign_in_with_password(email=ADMIN, password=PASSWORD)
        entry = spaps.whitelist.add(email="sdk@example.com", metadata={"via": "sdk"})
        assert (entry.email, entry.tier, entry.bypass_payment) == (
            "sdk@example.com",
            "premium",
            True,
        )
        assert entry.application_id == env.default_app_id
        assert entry.metadata == {"via": "sdk"}

        with pytest.raises(WhitelistError) as duplicate:
            spaps.whitelist.add(email="sdk@example.com")
        assert (duplicate.value.status_code, duplicate.value.error_code) == (
            409,
            "ALREADY_WHITELISTED",
        )

        spaps.whitelist.add(email="slash/sdk@example.com", tier="basic", bypass_payment=False)
        page = spaps.whitelist.list(limit=1, offset=0)
        assert page.total == 2 and len(page.entries) == 1
        basic = spaps.whitelist.list(tier="basic")
        assert [e.email for e in basic.entries] == ["slash/sdk@example.com"]

        updated = spaps.whitelist.update(email="slash/sdk@example.com", tier="enterprise")
        assert (updated.tier, updated.bypass_payment) == ("enterprise", False)
        same = spaps.whitelist.update(email="slash/sdk@example.com")
        assert same.tier == "enterprise"

        found = spaps.whitelist.check(email="SDK@example.com")
        assert found.entry is not None and found.entry.tier == "premium"
        assert found.message == "Email sdk@example.com is whitelisted with tier: premium"

        removed = spaps.whitelist.remove(email="slash/sdk@example.com")
        assert removed.message == "Email slash/sdk@example.com removed from whitelist"
        with pytest.raises(WhitelistError) as absent:
            spaps.whitelist.remove(email="slash/sdk@example.com")
        assert (absent.value.status_code, absent.value.error_code) == (404, "NOT_WHITELISTED")
        with pytest.raises(WhitelistError) as invalid:
            spaps.whitelist.check(email="nonsense")
        assert (invalid.value.status_code, invalid.value.error_code) == (400, "INVALID_EMAIL")

    with SpapsClient(base_url=env.url, api_key=env.other_key) as other:
        assert other.whitelist.check(email="sdk@example.com").entry is None


# -- applied to users ---------------------------------------------------------------------


def login(env: Env, email: str) -> dict[str, Any]:
    response = env.http.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    data: dict[str, Any] = data_of(response)
    return data


def profile(env: Env, token: str) -> dict[str, Any]:
    user: dict[str, Any] = data_of(env.http.get("/api/auth/user", headers=env.headers(token)))[
        "user"
    ]
    return user


def test_a_whitelisted_user_gets_the_entry_tier(env: Env):
    before = login(env, USER)
    assert before["user"]["tier"] == "basic"

    add(env, USER.upper(), tier="enterprise")
    signed_in = login(env, USER)
    assert signed_in["user"]["tier"] == "enterprise"
    token = signed_in["access_token"]
    me = profile(env, token)
    assert me["tier"] == "enterprise"
    assert me["metadata"]["bypass_payment"] is True
    session = data_of(env.http.get("/api/sessions/current", headers=env.headers(token)))
    assert session.get("session", session)["tier"] == "enterprise"

    # A changed entry applies from the next sign-in (and to the profile at once).
    env.http.put(
        f"{BASE}/{USER}", json={"tier": "gold", "bypass_payment": False}, headers=env.admin()
    )
    assert profile(env, token)["metadata"]["bypass_payment"] is False
    assert login(env, USER)["user"]["tier"] == "gold"

    # Other users, and other applications' users, keep their own tier.
    assert login(env, "premium@example.com")["user"]["tier"] == "premium"

    # Removed from the whitelist: back to the stored tier.
    env.http.delete(f"{BASE}/{USER}", headers=env.admin())
    after = login(env, USER)
    assert after["user"]["tier"] == "basic"
    assert "bypass_payment" not in profile(env, after["access_token"])["metadata"]


def test_a_user_registering_after_being_whitelisted_gets_the_tier(env: Env):
    add(env, "newcomer@example.com", tier="enterprise", bypass_payment=False)
    registered = env.http.post(
        "/api/auth/register", json={"email": "Newcomer@example.com", "password": "An0ther-Pass!"}
    )
    assert registered.status_code == 201, registered.text
    body = registered.json()
    user = body.get("user") or body["data"]["user"]
    assert user["tier"] == "enterprise"
    signed_in = env.http.post(
        "/api/auth/login", json={"email": "newcomer@example.com", "password": "An0ther-Pass!"}
    )
    assert data_of(signed_in)["user"]["tier"] == "enterprise"

    with SpapsClient(base_url=env.url, api_key=DEFAULT_KEY) as spaps:
        pair = spaps.auth.sign_in_with_password(
            email="newcomer@example.com", password="An0ther-Pass!"
        )
        assert pair.user.tier == "enterprise"
        me = spaps.auth.get_current_user()
        assert me.tier == "enterprise"
        assert me.metadata is not None and me.metadata["bypass_payment"] is False


# -- seed files ---------------------------------------------------------------------------


def test_a_seed_file_whitelist_section(db_target: DbTarget, tmp_path: Path):
    seed = tmp_path / "seed.json"
    seed.write_text(
        json.dumps(
            {
                "whitelist": [
                    {"email": "Seeded@Example.com", "tier": "enterprise", "metadata": {"a": 1}},
                    {"email": "plain@example.com"},
                    {"email": USER, "tier": "gold", "bypass_payment": False},
                ]
            }
        )
    )
    config = server_config(db_target, seed_file=seed)

    async def start_twice() -> list[str]:
        for _ in range(2):  # seeding runs at every start and must not fail the second time
            ctx = await open_context(config)
            try:
                entries, total = await ctx.whitelist.list(ctx.default_application.id)
            finally:
                await ctx.close()
        assert total == 3
        return [f"{e.email}:{e.tier}:{e.bypass_payment}:{e.metadata}" for e in entries]

    assert asyncio.run(start_twice()) == [
        "plain@example.com:premium:True:{}",
        "seeded@example.com:enterprise:True:{'a': 1}",
        "user@example.com:gold:False:{}",
    ]
    with (
        live_server(config) as live,
        httpx.Client(base_url=live.url, headers={"X-API-Key": DEFAULT_KEY}) as http,
    ):
        checked = data_of(http.get(f"{BASE}/check", params={"email": "seeded@example.com"}))
        assert set(checked["entry"]) == ENTRY_KEYS  # the public shape only
        assert checked["entry"]["tier"] == "enterprise"
        login_reply = http.post("/api/auth/login", json={"email": USER, "password": PASSWORD})
        assert data_of(login_reply)["user"]["tier"] == "gold"


@pytest.mark.parametrize(
    "section",
    [
        {"whitelist": {"email": "a@example.com"}},
        {"whitelist": ["a@example.com"]},
        {"whitelist": [{"email": "not-an-email"}]},
        {"whitelist": [{"email": "a@example.com", "tier": "has space"}]},
        {"whitelist": [{"email": "a@example.com", "bypass_payment": "yes"}]},
        {"whitelist": [{"email": "a@example.com", "colour": "red"}]},
    ],
)
def test_a_malformed_whitelist_section_is_refused(
    sqlite_target: DbTarget, tmp_path: Path, section: dict[str, Any]
):
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps(section))
    config = server_config(sqlite_target, seed_file=seed)
    with pytest.raises(SeedFileError, match="whitelist"):
        asyncio.run(open_context(config))


def test_spaps_local_loads_the_whitelist_section_of_a_seed_file(tmp_path: Path):
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps({"whitelist": [{"email": "cli@example.com", "tier": "gold"}]}))
    process = start_spaps_local(
        "--data-dir", str(tmp_path / "data"), "--seed", str(seed), "--password-profile", "test"
    )
    try:
        with SpapsClient(base_url=process.url, api_key=DEFAULT_KEY) as spaps:
            result = spaps.whitelist.check(email="CLI@example.com")
            assert result.entry is not None and result.entry.tier == "gold"
            spaps.auth.sign_in_with_password(email=ADMIN, password=PASSWORD)
            assert [e.email for e in spaps.whitelist.list().entries] == ["cli@example.com"]
    finally:
        status, _out, err = process.stop()
    assert status == 0, err
