"""``spaps local`` and ``spaps apps`` as real subprocesses."""

from __future__ import annotations

import json
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from spaps_server.storage.migrations import PACKAGED_SCRIPTS

from .conftest import DEFAULT_KEY, SpapsProcess, pg_schema, spaps_command, start_spaps_local


def run_spaps(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        spaps_command(*args), capture_output=True, text=True, timeout=timeout, check=False
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], fragment: str) -> None:
    assert result.returncode == 1, result
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("spaps local: error: ") and fragment in lines[0], lines[0]
    assert "Traceback" not in result.stderr


def test_json_record_and_a_working_server(spaps_process: SpapsProcess, tmp_path: Path):
    record = spaps_process.record
    assert set(record) >= {
        "url",
        "docs_url",
        "port",
        "data_dir",
        "database",
        "seeded_accounts",
        "api_key",
    }
    assert record["url"] == f"http://127.0.0.1:{record['port']}" and record["port"] > 0
    assert record["docs_url"] == record["url"] + "/docs"
    assert record["database"] == "sqlite"
    assert record["api_key"] == DEFAULT_KEY
    assert [a["email"] for a in record["seeded_accounts"]] == [
        "user@example.com",
        "premium@example.com",
        "admin@example.com",
    ]
    assert Path(record["data_dir"]) == tmp_path / "data"

    with httpx.Client(base_url=spaps_process.url) as http:
        assert http.get("/health").json()["status"] == "healthy"
        assert http.get("/health/ready").json()["ready"] is True
        assert http.get("/docs").status_code == 200
        missing = http.get("/api/anything")
        assert missing.status_code == 404 and missing.json()["success"] is False

    data_dir = Path(record["data_dir"])
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    for name in ("token_signing_key.pem", "encryption_key", "webhook_secret", "spaps.sqlite3"):
        assert stat.S_IMODE((data_dir / name).stat().st_mode) == 0o600, name

    status, rest, err = spaps_process.stop(signal.SIGINT)
    assert status == 0, err
    assert rest == ""  # nothing but the one record on stdout
    assert "Traceback" not in err


def test_sigterm_stops_cleanly(tmp_path: Path):
    process = start_spaps_local("--data-dir", str(tmp_path / "d"))
    status, _, err = process.stop(signal.SIGTERM)
    assert status == 0 and "Traceback" not in err


def test_human_banner(tmp_path: Path):
    out_file = tmp_path / "stdout.txt"
    with out_file.open("w") as out_handle:
        proc = subprocess.Popen(
            spaps_command("local", "--port", "0", "--data-dir", str(tmp_path / "d")),
            stdout=out_handle,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 30
        while "Ctrl-C" not in out_file.read_text() and proc.poll() is None:
            assert time.monotonic() < deadline, "no banner"
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=20)
    out = out_file.read_text()
    assert proc.returncode == 0, err
    assert out.startswith("SPAPS local server running at http://127.0.0.1:")
    assert DEFAULT_KEY in out and "/docs" in out and "/_dev/" in out
    assert "stopped" in err and "Traceback" not in err


def test_busy_port_is_a_one_line_error(tmp_path: Path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run_spaps(
            "local", "--json", "--port", str(port), "--data-dir", str(tmp_path / "d")
        )
    assert_one_line_error(result, "already in use")


def test_unwritable_data_dir_is_a_one_line_error(tmp_path: Path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    result = run_spaps("local", "--json", "--port", "0", "--data-dir", str(blocker / "data"))
    assert_one_line_error(result, "data dir")


def test_bad_database_urls_are_one_line_errors(tmp_path: Path):
    data = str(tmp_path / "d")
    result = run_spaps("local", "--port", "0", "--data-dir", data, "--database-url", "mysql://x")
    assert_one_line_error(result, "unsupported database URL scheme")
    result = run_spaps(
        "local",
        "--port",
        "0",
        "--data-dir",
        data,
        "--database-url",
        "postgresql://me:pa55word@127.0.0.1:1/none",
    )
    assert_one_line_error(result, "cannot open database")
    assert "pa55word" not in result.stderr
    result = run_spaps("local", "--port", "0", "--data-dir", data, "--database-url", "::::")
    assert_one_line_error(result, "malformed database URL")


def test_usage_errors_exit_2():
    assert run_spaps().returncode == 2
    result = run_spaps("local", "--port", "70000")
    assert result.returncode == 2 and "port" in result.stderr
    assert run_spaps("apps").returncode == 2


@pytest.mark.parametrize("missing", ["{'fastapi', 'uvicorn', 'sqlalchemy'}", "{'alembic'}"])
def test_without_the_server_extra_it_names_the_extra(missing: str):
    blocker = (
        "import sys, importlib.abc\n"
        "class Block(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        f"        if name.split('.')[0] in {missing}:\n"
        "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
        "        return None\n"
        "sys.meta_path.insert(0, Block())\n"
        "from spaps_server.cli import main\n"
        "sys.exit(main(['local']))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", blocker], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 2
    assert "spaps local needs the server extra: pip install 'spaps[server]'" in result.stderr
    assert "Traceback" not in result.stderr


def test_cli_module_imports_only_the_standard_library():
    code = (
        "import sys\n"
        "before = set(sys.modules)\n"
        "import spaps_server.cli\n"
        "new = {m.split('.')[0] for m in set(sys.modules) - before}\n"
        "import json\n"
        "print(json.dumps(sorted(new - set(sys.stdlib_module_names))))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert json.loads(result.stdout) == ["spaps_server"]


def test_apps_create_list_revoke_against_a_running_server(tmp_path: Path):
    data = str(tmp_path / "d")
    process = start_spaps_local("--data-dir", data)
    try:
        created = run_spaps("apps", "create", "Mobile App", "--data-dir", data, "--json")
        assert created.returncode == 0, created.stderr
        record = json.loads(created.stdout)
        key = record["api_key"]
        assert record["name"] == "Mobile App" and key.startswith("spaps_local_")

        listed = json.loads(run_spaps("apps", "list", "--data-dir", data, "--json").stdout)
        names = [a["name"] for a in listed["applications"]]
        assert names == ["default", "Mobile App"]
        assert key not in json.dumps(listed)  # only a display prefix is listed

        human = run_spaps("apps", "list", "--data-dir", data)
        assert "Mobile App" in human.stdout and "(default)" in human.stdout

        duplicate = run_spaps("apps", "create", "Mobile App", "--data-dir", data)
        assert duplicate.returncode == 1 and "already exists" in duplicate.stderr

        revoked = run_spaps("apps", "revoke", "Mobile App", "--data-dir", data)
        assert revoked.returncode == 0 and "Revoked" in revoked.stdout
        again = json.loads(run_spaps("apps", "list", "--data-dir", data, "--json").stdout)
        assert again["applications"][1]["revoked_at"] is not None
        refused = run_spaps("apps", "revoke", "default", "--data-dir", data)
        assert refused.returncode == 1 and "cannot be revoked" in refused.stderr
        unknown = run_spaps("apps", "revoke", "nobody", "--data-dir", data)
        assert unknown.returncode == 1
    finally:
        process.stop()


def test_reset_wipes_the_database_but_keeps_secrets(tmp_path: Path):
    data = tmp_path / "d"
    first = start_spaps_local("--data-dir", str(data))
    first.stop()
    key_pem = (data / "token_signing_key.pem").read_bytes()
    created = run_spaps("apps", "create", "temp", "--data-dir", str(data), "--json")
    assert created.returncode == 0

    kept = start_spaps_local("--data-dir", str(data))
    app_id = kept.record["application"]["id"]
    kept.stop()
    listed = json.loads(run_spaps("apps", "list", "--data-dir", str(data), "--json").stdout)
    assert [a["name"] for a in listed["applications"]] == ["default", "temp"]

    reset = start_spaps_local("--data-dir", str(data), "--reset")
    try:
        assert reset.record["application"]["id"] != app_id
        assert reset.record["applied_migrations"] == [
            m.version for m in PACKAGED_SCRIPTS.migrations
        ]
        with httpx.Client(base_url=reset.url) as http:
            assert http.get("/health/ready").json()["ready"] is True
    finally:
        reset.stop()
    listed = json.loads(run_spaps("apps", "list", "--data-dir", str(data), "--json").stdout)
    assert [a["name"] for a in listed["applications"]] == ["default"]
    assert (data / "token_signing_key.pem").read_bytes() == key_pem


@pytest.mark.postgres
def test_spaps_local_on_postgresql(tmp_path: Path):
    with pg_schema() as (url, schema):
        process = start_spaps_local(
            "--data-dir", str(tmp_path / "d"), "--database-url", f"{url}?schema={schema}"
        )
        try:
            assert process.record["database"] == "postgresql"
            assert process.record["database_path"] is None
            with httpx.Client(base_url=process.url) as http:
                ready = http.get("/health/ready").json()
                assert ready["ready"] is True
                assert ready["checks"]["database"]["kind"] == "postgresql"
        finally:
            status, _, err = process.stop()
        assert status == 0, err
        listed = run_spaps(
            "apps",
            "list",
            "--json",
            "--database-url",
            f"{url}?schema={schema}",
            "--data-dir",
            str(tmp_path / "d"),
        )
        assert [a["name"] for a in json.loads(listed.stdout)["applications"]] == ["default"]
