"""``/api/secure-messages`` (#50-#51) over real HTTP on SQLite and PostgreSQL: the camelCase
request and snake_case response, every access rule, no plaintext in the database (the SQLite
file, a ``pg_dump``), tampered and moved ciphertexts refused, and key rotation (``spaps keys
rotate`` run while the server serves) keeping every message readable."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from spaps_server.domain.clock import Clock
from spaps_server.domain.errors import InternalError
from spaps_server.security.aead import KeyRingFile
from spaps_server.services.applications import ApplicationService
from spaps_server.services.metrics import MetricsRegistry
from spaps_server.services.secure_messages import SecureMessageService
from spaps_server.storage.database import Database
from spaps_server.storage.tables import secure_messages

from .conftest import PG_ENV, DbTarget, spaps_command
from .usage_support import Server, data_of, error_of, serving

BASE = "/api/secure-messages"
SECRET = "Blood pressure 142/91, adjust lisinopril dose"


@pytest.fixture
def server(db_target: DbTarget, tmp_path: Path) -> Any:
    with serving(db_target, tmp_path / "seed") as live:
        yield live


def send(
    server: Server,
    sender: str,
    patient: str,
    practitioner: str,
    content: str = SECRET,
    **extra: Any,
) -> dict[str, Any]:
    body = {"patientId": patient, "practitionerId": practitioner, "content": content, **extra}
    message: dict[str, Any] = data_of(
        server.http.post(BASE, json=body, headers=server.as_user(sender)), 201
    )
    return message


def listed(server: Server, email: str) -> list[str]:
    return [
        m["id"] for m in data_of(server.http.get(BASE, headers=server.as_user(email)))["messages"]
    ]


def test_create_and_list_speak_the_contract(server: Server):
    sender = server.user_id("user@example.com")
    message = send(
        server, "user@example.com", "patient-123", "practitioner-456", metadata={"urgency": "high"}
    )
    assert (
        message["patient_id"] == "patient-123" and message["practitioner_id"] == "practitioner-456"
    )
    assert message["content"] == SECRET and message["metadata"] == {"urgency": "high"}
    assert (
        message["sender_id"] == sender
        and message["application_id"] == server.ctx.default_application.id
    )
    assert message["created_at"].endswith("Z") and message["id"].startswith("msg_")
    body = server.http.get(BASE, headers=server.as_user("user@example.com")).json()
    assert body["success"] is True and body["data"]["messages"] == [message]
    # snake_case is accepted as well; metadata defaults to {}.
    other = data_of(
        server.http.post(
            BASE,
            json={"patient_id": "p", "practitioner_id": "q", "content": "hi"},
            headers=server.as_user("user@example.com"),
        ),
        201,
    )
    assert other["metadata"] == {} and listed(server, "user@example.com") == [
        other["id"],
        message["id"],
    ]


def test_only_sender_participants_and_admins_may_read(server: Server):
    patient, practitioner = (
        server.user_id("premium@example.com"),
        server.user_id("dave@example.com"),
    )
    message = send(server, "user@example.com", patient, practitioner)
    private = send(
        server, "carol@example.com", "someone-else", "another-one", content="carol's note"
    )
    for reader in (
        "user@example.com",
        "premium@example.com",
        "dave@example.com",
        "admin@example.com",
    ):
        assert message["id"] in listed(server, reader), reader
        got = data_of(server.http.get(f"{BASE}/{message['id']}", headers=server.as_user(reader)))
        assert got["content"] == SECRET
    assert listed(server, "carol@example.com") == [private["id"]]
    error_of(
        server.http.get(f"{BASE}/{message['id']}", headers=server.as_user("carol@example.com")),
        403,
        "SECURE_MESSAGE_FORBIDDEN",
    )
    error_of(
        server.http.get(f"{BASE}/{private['id']}", headers=server.as_user("user@example.com")),
        403,
        "SECURE_MESSAGE_FORBIDDEN",
    )
    assert set(listed(server, "admin@example.com")) == {message["id"], private["id"]}
    error_of(
        server.http.get(f"{BASE}/msg_missing", headers=server.as_user("admin@example.com")),
        404,
        "SECURE_MESSAGE_NOT_FOUND",
    )
    # The API key alone identifies nobody.
    error_of(server.http.get(BASE), 401, "UNAUTHORIZED")
    error_of(
        server.http.post(BASE, json={"patientId": "a", "practitionerId": "b", "content": "c"}),
        401,
        "UNAUTHORIZED",
    )


def test_bad_bodies_get_typed_errors(server: Server):
    me = server.as_user("user@example.com")
    error_of(
        server.http.post(BASE, json={"patientId": "a", "content": "c"}, headers=me),
        400,
        "VALIDATION_ERROR",
    )
    error_of(
        server.http.post(
            BASE, json={"patientId": "a", "practitionerId": "b", "content": ""}, headers=me
        ),
        400,
        "INVALID_SECURE_MESSAGE",
    )
    error_of(
        server.http.post(
            BASE, json={"patientId": "a\n", "practitionerId": "b", "content": "c"}, headers=me
        ),
        400,
        "INVALID_SECURE_MESSAGE",
    )
    error_of(
        server.http.post(
            BASE, json={"patientId": "a", "practitionerId": "b", "content": "x" * 70000}, headers=me
        ),
        400,
        "INVALID_SECURE_MESSAGE",
    )
    assert listed(server, "user@example.com") == []


def _dump_pg(target: DbTarget) -> bytes:
    raw = os.environ[PG_ENV]
    url = sa.engine.make_url(raw).set(drivername="postgresql").render_as_string(hide_password=False)
    result = subprocess.run(
        ["pg_dump", "--data-only", "--schema", str(target.schema), "--dbname", url],
        capture_output=True,
        check=True,
        timeout=120,
    )
    return result.stdout


def _database_bytes(server: Server, target: DbTarget) -> bytes:
    if target.kind == "postgresql":
        return _dump_pg(target)
    path = server.ctx.config.sqlite_path
    return b"".join(
        Path(f"{path}{suffix}").read_bytes()
        for suffix in ("", "-wal")
        if Path(f"{path}{suffix}").exists()
    )


def test_no_plaintext_reaches_the_database(server: Server, db_target: DbTarget):
    if db_target.kind == "postgresql" and shutil.which("pg_dump") is None:
        pytest.skip("pg_dump is not installed")
    send(
        server,
        "user@example.com",
        "patient-xyz-789",
        "practitioner-456",
        metadata={"diagnosis": "hypertension-stage-2"},
    )
    dump = _database_bytes(server, db_target)
    assert b"patient-xyz-789" in dump  # the search sees the table (routing ids are clear)
    for secret in (SECRET, "hypertension-stage-2"):
        assert secret.encode() not in dump
        assert secret.encode().hex().encode() not in dump  # nor as bytea hex
    key_file = server.ctx.config.message_key_path
    ring = json.loads(key_file.read_text())
    for key in ring["keys"]:
        assert key["key"].encode() not in dump
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def _rows(server: Server) -> list[dict[str, Any]]:
    async def read(db: Database) -> list[dict[str, Any]]:
        async with db.read() as conn:
            result = await conn.execute(
                sa.select(secure_messages).order_by(secure_messages.c.created_at)
            )
            return [dict(r._mapping) for r in result]

    return server.run_db(read)


def _update(server: Server, message_id: str, **values: Any) -> None:
    async def write(db: Database) -> None:
        async with db.begin() as conn:
            await conn.execute(
                secure_messages.update().where(secure_messages.c.id == message_id).values(**values)
            )

    server.run_db(write)


def test_a_modified_ciphertext_is_refused(server: Server):
    message = send(server, "user@example.com", "p", "q")
    row = _rows(server)[0]
    flipped = bytearray(row["ciphertext"])
    flipped[3] ^= 0x01
    _update(server, message["id"], ciphertext=bytes(flipped))
    me = server.as_user("user@example.com")
    error = error_of(
        server.http.get(f"{BASE}/{message['id']}", headers=me),
        500,
        "SECURE_MESSAGE_DECRYPTION_FAILED",
    )
    assert error["details"]["message_id"] == message["id"] and SECRET not in json.dumps(error)
    error_of(server.http.get(BASE, headers=me), 500, "SECURE_MESSAGE_DECRYPTION_FAILED")
    _update(server, message["id"], ciphertext=row["ciphertext"], nonce=bytes(12))  # wrong nonce
    error_of(
        server.http.get(f"{BASE}/{message['id']}", headers=me),
        500,
        "SECURE_MESSAGE_DECRYPTION_FAILED",
    )


def test_a_ciphertext_copied_to_another_row_or_application_is_refused(server: Server):
    first = send(server, "user@example.com", "p", "q", content="first secret")
    second = send(server, "user@example.com", "p", "q", content="second secret")
    rows = {r["id"]: r for r in _rows(server)}
    source = rows[first["id"]]
    _update(
        server,
        second["id"],
        key_id=source["key_id"],
        nonce=source["nonce"],
        ciphertext=source["ciphertext"],
    )
    me = server.as_user("user@example.com")
    assert (
        data_of(server.http.get(f"{BASE}/{first['id']}", headers=me))["content"] == "first secret"
    )
    error_of(
        server.http.get(f"{BASE}/{second['id']}", headers=me),
        500,
        "SECURE_MESSAGE_DECRYPTION_FAILED",
    )

    # The same row moved to another application does not open there either.
    config = server.ctx.config

    async def move(db: Database) -> None:
        other, _key = await ApplicationService(db, MetricsRegistry()).create("elsewhere")
        async with db.begin() as conn:
            await conn.execute(
                secure_messages.update()
                .where(secure_messages.c.id == first["id"])
                .values(application_id=other.id)
            )
        service = SecureMessageService(
            db, KeyRingFile(config.message_key_path), Clock(), MetricsRegistry()
        )
        with pytest.raises(InternalError) as info:
            await service.get(other.id, first["id"], "any", is_admin=True)
        assert info.value.code == "SECURE_MESSAGE_DECRYPTION_FAILED"

    server.run_db(move)


def _rotate(server: Server, target: DbTarget) -> dict[str, Any]:
    config = server.ctx.config
    args = ["keys", "rotate", "--data-dir", str(config.data_dir), "--json"]
    if target.url is not None:
        args += ["--database-url", f"{target.url}?schema={target.schema}"]
    result = subprocess.run(spaps_command(*args), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def test_rotation_keeps_every_message_readable(server: Server, db_target: DbTarget):
    sent = [send(server, "user@example.com", "p", f"q{i}", content=f"note {i}") for i in range(5)]
    first_key = {r["key_id"] for r in _rows(server)}
    assert len(first_key) == 1

    report = _rotate(server, db_target)  # while the server is serving
    assert report["resealed_messages"] == 5 and report["primary_key_id"] not in first_key
    assert {r["key_id"] for r in _rows(server)} == {report["primary_key_id"]}
    assert set(report["key_ids"]) == first_key | {report["primary_key_id"]}  # the old key stays
    me = server.as_user("user@example.com")
    contents = {
        m["id"]: m["content"] for m in data_of(server.http.get(BASE, headers=me))["messages"]
    }
    assert contents == {m["id"]: m["content"] for m in sent}
    # The running server picked up the new ring: new messages use the new primary key.
    newer = send(server, "user@example.com", "p", "q", content="after rotation")
    assert {r["key_id"] for r in _rows(server) if r["id"] == newer["id"]} == {
        report["primary_key_id"]
    }

    again = _rotate(server, db_target)
    assert again["resealed_messages"] == 6 and again["removed_key_ids"] == sorted(first_key)
    assert set(again["key_ids"]) == {report["primary_key_id"], again["primary_key_id"]}
    contents = {
        m["id"]: m["content"] for m in data_of(server.http.get(BASE, headers=me))["messages"]
    }
    assert len(contents) == 6 and contents[newer["id"]] == "after rotation"
    key_file = server.ctx.config.message_key_path
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_messages_metrics(server: Server):
    import httpx

    message = send(server, "user@example.com", "p", "q")
    server.http.get(f"{BASE}/{message['id']}", headers=server.as_user("carol@example.com"))
    text = httpx.get(f"{server.url}/api/metrics").text.splitlines()
    assert "spaps_secure_messages_created_total 1.0" in text
    assert 'spaps_secure_messages_reads_total{outcome="forbidden"} 1.0' in text
