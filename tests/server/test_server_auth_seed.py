"""Seed accounts and seed files: ``spaps local`` reports them, ``--no-seed`` skips them,
``--seed FILE`` (JSON, TOML) adds users with wallets, and a bad file is a clean error."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from .auth_support import PASSWORD, bearer, running
from .conftest import DEFAULT_KEY, DbTarget, spaps_command, start_spaps_local

SEEDED = ["user@example.com", "premium@example.com", "admin@example.com"]


def test_seed_accounts_are_created_once_and_listed(tmp_path: Path):
    data_dir = str(tmp_path / "data")
    first = start_spaps_local("--data-dir", data_dir)
    try:
        accounts = first.record["seeded_accounts"]
        assert [a["email"] for a in accounts] == SEEDED
        assert all(a["password"] == PASSWORD for a in accounts)
        assert [a["role"] for a in accounts] == ["user", "user", "admin"]
        page = httpx.get(first.url + "/_dev/").text
        assert all(email in page for email in SEEDED) and PASSWORD in page
        with httpx.Client(base_url=first.url, headers={"X-API-Key": DEFAULT_KEY}) as http:
            login = http.post("/api/auth/login", json={"email": SEEDED[1], "password": PASSWORD})
            assert login.json()["data"]["user"]["tier"] == "premium"
            admin = http.post("/api/auth/login", json={"email": SEEDED[2], "password": PASSWORD})
            token = admin.json()["data"]["access_token"]
            assert (
                http.get("/api/auth/user", headers=bearer(token)).json()["data"]["user"]["role"]
                == "admin"
            )
    finally:
        first.stop()
    again = start_spaps_local("--data-dir", data_dir)
    try:  # idempotent: same users on the next start
        assert [a["user_id"] for a in again.record["seeded_accounts"]] == [
            a["user_id"] for a in accounts
        ]
    finally:
        again.stop()


def test_no_seed_skips_the_demo_accounts(tmp_path: Path):
    process = start_spaps_local("--data-dir", str(tmp_path / "data"), "--no-seed")
    try:
        assert process.record["seeded_accounts"] == []
        with httpx.Client(base_url=process.url, headers={"X-API-Key": DEFAULT_KEY}) as http:
            login = http.post("/api/auth/login", json={"email": SEEDED[0], "password": PASSWORD})
            assert login.status_code == 401
    finally:
        process.stop()


def _seed_users(address: str) -> list[dict[str, object]]:
    return [
        {
            "email": "ann@example.com",
            "password": "Ann-Pass-2024!",
            "tier": "pro",
            "username": "ann",
        },
        {"email": "bob@example.com", "role": "admin", "wallets": [address]},
    ]


def test_json_seed_file(db_target: DbTarget, tmp_path: Path):
    address = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps({"users": _seed_users(address.lower())}))
    with running(db_target, seed_file=seed, seed=False) as live:
        accounts = live.ctx.seeded_accounts
        assert [a.email for a in accounts] == ["ann@example.com", "bob@example.com"]
        assert accounts[1].wallet_address == address  # stored checksummed
        ann = live.login("ann@example.com", "Ann-Pass-2024!")
        assert ann["user"]["tier"] == "pro" and ann["user"]["username"] == "ann"


@pytest.mark.skipif(sys.version_info < (3, 11), reason="TOML seed files need Python 3.11")
def test_toml_seed_file(sqlite_target: DbTarget, tmp_path: Path):
    seed = tmp_path / "seed.toml"
    seed.write_text(
        '[[users]]\nemail = "tom@example.com"\npassword = "Tom-Pass-2024!"\ntier = "gold"\n'
    )
    with running(sqlite_target, seed_file=seed) as live:
        assert live.login("tom@example.com", "Tom-Pass-2024!")["user"]["tier"] == "gold"


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("{not json", "not valid JSON"),
        ('{"teams": []}', "unknown section(s) teams"),
        ('{"users": [{"email": "weak@example.com", "password": "abc"}]}', "at least 8"),
        ('{"users": {"email": "x@example.com"}}', "'users' must be a list"),
    ],
)
def test_a_bad_seed_file_is_a_one_line_error(tmp_path: Path, content: str, fragment: str):
    seed = tmp_path / "seed.json"
    seed.write_text(content)
    result = subprocess.run(
        spaps_command(
            "local", "--json", "--port", "0", "--data-dir", str(tmp_path / "d"), "--seed", str(seed)
        ),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1 and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0], result.stderr
    assert "Traceback" not in result.stderr
