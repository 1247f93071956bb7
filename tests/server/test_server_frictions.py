"""What a first-time user trips over: misspelt rate-limit buckets, a data dir that holds no
database, a PostgreSQL schema that does not exist, the documented seed file, and
provisioning output."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from spaps_client import SpapsClient

from .conftest import DEFAULT_KEY, pg_schema, spaps_command, start_spaps_local
from .test_server_cli import assert_one_line_error, run_spaps

ROOT = Path(__file__).resolve().parents[2]


def test_a_misspelt_rate_limit_bucket_is_an_error_naming_the_known_ones(tmp_path: Path):
    result = run_spaps("local", "--port", "0", "--data-dir", str(tmp_path / "d"),
                       "--rate-limit", "logn:ip=5/60")  # fmt: skip
    assert_one_line_error(result, "unknown rate-limit bucket 'logn:ip'")
    assert "did you mean 'login:ip'" in result.stderr and "wallet-sign-in:acct" in result.stderr
    from_env = subprocess.run(
        spaps_command("local", "--port", "0", "--data-dir", str(tmp_path / "d")),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "SPAPS_RATE_LIMITS": "login:ip=5/60,magic_link:ip=1/60"},
    )
    assert_one_line_error(from_env, "unknown rate-limit bucket 'magic_link:ip'")
    assert not (tmp_path / "d").exists()


def test_a_known_bucket_still_applies(tmp_path: Path):
    process = start_spaps_local("--data-dir", str(tmp_path / "d"), "--rate-limit",
                                "login:ip=1/600", "--password-profile", "test")  # fmt: skip
    try:
        body = {"email": "user@example.com", "password": "Secret123!"}
        headers = {"X-API-Key": DEFAULT_KEY}
        with httpx.Client(base_url=process.url, headers=headers) as http:
            assert http.post("/api/auth/login", json=body).status_code == 200
            assert http.post("/api/auth/login", json=body).status_code == 429
    finally:
        process.stop()


def test_apps_refuses_a_data_dir_without_a_database(tmp_path: Path):
    missing = tmp_path / "nowhere"
    for args in (("list",), ("create", "Mobile"), ("revoke", "Mobile")):
        result = run_spaps("apps", *args, "--data-dir", str(missing))
        assert result.returncode == 1
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert lines[0].startswith("spaps apps: error: no database in ")
        assert str(missing) in lines[0] and "spaps local" in lines[0]
    assert not missing.exists()  # nothing was created


def test_apps_says_which_data_dir_and_database_it_uses(tmp_path: Path):
    data = tmp_path / "d"
    start_spaps_local("--data-dir", str(data)).stop()
    listed = run_spaps("apps", "list", "--data-dir", str(data), "--json")
    assert listed.returncode == 0, listed.stderr
    assert f"data dir {data.resolve()}" in listed.stderr
    assert str((data / "spaps.sqlite3").resolve()) in listed.stderr
    assert listed.stdout.startswith('{"applications"')  # stdout stays machine-readable


@pytest.mark.postgres
def test_a_missing_postgresql_schema_is_one_clear_line(tmp_path: Path):
    with pg_schema() as (url, schema):
        wrong = f"{url}?schema={schema}_missing"
        local = run_spaps("local", "--port", "0", "--data-dir", str(tmp_path / "d"),
                          "--database-url", wrong)  # fmt: skip
        assert_one_line_error(local, f'schema "{schema}_missing" does not exist')
        assert "CREATE SCHEMA" in local.stderr and ":spaps@" not in local.stderr
        apps = run_spaps("apps", "list", "--data-dir", str(tmp_path / "d"),
                         "--database-url", wrong)  # fmt: skip
        assert apps.returncode == 1
        assert f'schema "{schema}_missing" does not exist' in apps.stderr.splitlines()[-1]


@pytest.mark.skipif(sys.version_info < (3, 11), reason="TOML seed files need Python 3.11")
def test_the_documented_example_seed_file_loads(tmp_path: Path):
    seed = ROOT / "examples" / "seed.toml"
    assert "examples/seed.toml" in (ROOT / "docs" / "seed-file.md").read_text(encoding="utf-8")
    process = start_spaps_local("--data-dir", str(tmp_path / "d"), "--seed", str(seed),
                                "--password-profile", "test")  # fmt: skip
    try:
        emails = {a["email"] for a in process.record["seeded_accounts"]}
        assert {"ann@example.com", "ops@example.com", "wally@example.com"} <= emails
        with SpapsClient(base_url=process.url, api_key=DEFAULT_KEY) as spaps:
            tokens = spaps.auth.sign_in_with_password(
                email="ann@example.com", password="Ann-Pass-2024!"
            )
            assert tokens.user.tier == "pro"
            check = spaps.whitelist.check(email="vip@example.com")
            assert check.entry is not None and check.entry.tier == "premium"
    finally:
        process.stop()


def _fake_bin(tmp_path: Path, apt_status: int) -> dict[str, str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "apt-get").write_text(
        f"#!/bin/sh\necho 'Selecting previously unselected package chromium.'\nexit {apt_status}\n"
    )
    (bin_dir / "id").write_text("#!/bin/sh\necho 0\n")
    for tool in ("mktemp", "cat", "rm"):
        (bin_dir / tool).symlink_to(shutil.which(tool) or f"/usr/bin/{tool}")
    for script in ("apt-get", "id"):
        (bin_dir / script).chmod(0o755)
    # Only the fake tools: chromium and PostgreSQL look missing, so apt-get is called.
    return {"PATH": str(bin_dir), "HOME": str(tmp_path)}


@pytest.mark.parametrize("apt_status", [0, 100])
def test_provision_shows_the_package_log_only_on_failure(tmp_path: Path, apt_status: int):
    result = subprocess.run(
        ["/bin/bash", str(ROOT / "scripts" / "provision")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=_fake_bin(tmp_path, apt_status),
    )
    shown = "Selecting previously unselected package" in result.stderr
    if apt_status == 0:
        assert result.returncode == 0, result.stderr
        assert not shown and "installed postgresql chromium" in result.stderr
    else:
        assert result.returncode == 1
        assert shown and "failed" in result.stderr
    assert result.stdout == ""
