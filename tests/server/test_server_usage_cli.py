"""``spaps usage features list|set|remove``, ``spaps keys`` and ``--message-key-file`` as real
subprocesses against a SQLite data dir."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from .conftest import spaps_command


def spaps(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(spaps_command(*args), capture_output=True, text=True, timeout=120)


def test_features_can_be_listed_set_and_removed(tmp_path: Path):
    data = ["--data-dir", str(tmp_path / "data")]
    listed = json.loads(spaps("usage", "features", "list", *data, "--json").stdout)
    assert {(f["feature"], f["tier"], f["limit"]) for f in listed["features"]} >= {
        ("api_calls", "basic", 1000),
        ("wallet_verifications", "whitelisted", 1000),
    }
    made = spaps(
        "usage",
        "features",
        "set",
        "reports",
        "--tier",
        "premium",
        "--limit",
        "5",
        "--overage",
        "allow",
        "--unit-price",
        "2",
        "--description",
        "PDF reports",
        *data,
        "--json",
    )
    assert made.returncode == 0, made.stderr
    assert json.loads(made.stdout) == {
        "feature": "reports",
        "tier": "premium",
        "description": "PDF reports",
        "limit": 5,
        "overage": "allow",
        "overage_unit_price": 2.0,
    }
    unlimited = spaps(
        "usage",
        "features",
        "set",
        "reports",
        "--tier",
        "premium",
        "--limit",
        "unlimited",
        *data,
        "--json",
    )
    assert json.loads(unlimited.stdout)["limit"] is None
    assert json.loads(unlimited.stdout)["overage"] == "allow"  # unchanged options are kept
    bad = spaps(
        "usage", "features", "set", "reports", "--tier", "premium", "--limit", "lots", *data
    )
    assert bad.returncode == 1 and "--limit must be a number" in bad.stderr
    assert spaps("usage", "features", "remove", "reports", *data).returncode == 0
    missing = spaps("usage", "features", "remove", "reports", *data)
    assert missing.returncode == 1 and "No usage feature" in missing.stderr
    assert spaps("usage", "features", "list", *data, "--app", "nope").returncode == 1
    assert spaps("usage").returncode == 2 and spaps("keys").returncode == 2


def test_a_configured_key_file_must_exist(tmp_path: Path):
    result = spaps(
        "keys",
        "rotate",
        "--data-dir",
        str(tmp_path / "d"),
        "--message-key-file",
        str(tmp_path / "none.json"),
    )
    assert result.returncode == 1 and "key file not found" in result.stderr
    local = spaps(
        "local",
        "--port",
        "0",
        "--data-dir",
        str(tmp_path / "d"),
        "--message-key-file",
        str(tmp_path / "none.json"),
    )
    assert local.returncode == 1 and "key file not found" in local.stderr
