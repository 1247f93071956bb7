"""Token storage (contract §4 and departure D7)."""

from __future__ import annotations

import json
import os
import stat
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from spaps_client import storage as storage_module
from spaps_client.storage import (
    FileTokenStorage,
    InMemoryTokenStorage,
    StoredTokens,
    TokenStorage,
)

EXPIRES = datetime(2025, 1, 1, 12, 30, tzinfo=timezone.utc)


def tokens(n: int = 1) -> StoredTokens:
    return StoredTokens(
        access_token=f"access-{n}",
        refresh_token=f"refresh-{n}",
        expires_at=EXPIRES + timedelta(seconds=n),
        token_type="Bearer",
    )


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# ---------------------------------------------------------------- StoredTokens


def test_stored_tokens_value_equality_and_defaults() -> None:
    assert tokens(1) == tokens(1)
    assert tokens(1) != tokens(2)
    bare = StoredTokens(access_token="a")
    assert (bare.refresh_token, bare.expires_at, bare.token_type) == (None, None, None)


def test_stored_tokens_repr_hides_tokens() -> None:
    value = StoredTokens(
        access_token="ACCESS-SECRET", refresh_token="REFRESH-SECRET", token_type="Bearer"
    )
    for text in (repr(value), str(value), f"{value}"):
        assert "ACCESS-SECRET" not in text
        assert "REFRESH-SECRET" not in text
        assert "Bearer" in text
    assert "refresh_token=None" in repr(StoredTokens(access_token="x"))


def test_expires_within() -> None:
    now = datetime(2025, 1, 1, tzinfo=timezone.utc)
    soon = StoredTokens(access_token="a", expires_at=now + timedelta(seconds=20))
    assert soon.expires_within(30, now=now)
    assert not soon.expires_within(10, now=now)
    naive = StoredTokens(access_token="a", expires_at=datetime(2025, 1, 1, 0, 0, 20))
    assert naive.expires_within(30, now=now)
    assert not StoredTokens(access_token="a").expires_within(1e9, now=now)


# ---------------------------------------------------------------- InMemoryTokenStorage


def test_in_memory_returns_the_same_object() -> None:
    store = InMemoryTokenStorage()
    assert isinstance(store, TokenStorage)
    assert store.load() is None
    saved = tokens()
    store.save(saved)
    assert store.load() is saved
    store.save(tokens(2))
    assert store.load() == tokens(2)
    store.clear()
    assert store.load() is None
    store.clear()
    assert store.load() is None


def test_in_memory_repr_hides_tokens() -> None:
    store = InMemoryTokenStorage()
    store.save(tokens())
    assert "access-1" not in repr(store)
    assert "refresh-1" not in repr(store)


def test_token_storage_is_abstract() -> None:
    with pytest.raises(TypeError):
        TokenStorage()  # type: ignore[abstract]


# ---------------------------------------------------------------- FileTokenStorage


def test_file_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    store = FileTokenStorage(path=path)
    assert store.load() is None
    store.save(tokens())
    assert store.load() == tokens()
    assert FileTokenStorage(path=str(path)).load() == tokens()
    on_disk = json.loads(path.read_text("utf-8"))
    assert list(on_disk) == ["access_token", "refresh_token", "expires_at", "token_type"]
    assert on_disk["expires_at"] == "2025-01-01T12:30:01+00:00"


def test_file_clear(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    store = FileTokenStorage(path=path)
    store.save(tokens())
    store.clear()
    assert not path.exists()
    assert store.load() is None
    store.clear()  # no file: still fine


def test_default_path_expands_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    store = FileTokenStorage()
    assert store.path == tmp_path / ".config" / "spaps" / "tokens.json"
    assert store.path.parent.is_dir()
    assert "~" not in repr(store)


def test_file_is_private(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    old_umask = os.umask(0)
    try:
        FileTokenStorage(path=path).save(tokens())
    finally:
        os.umask(old_umask)
    assert mode_of(path) == 0o600


def test_existing_world_readable_file_is_replaced_by_a_private_one(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    path.write_text("{}")
    path.chmod(0o644)
    FileTokenStorage(path=path).save(tokens())
    assert mode_of(path) == 0o600


def test_new_directory_is_private(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "tokens.json"
    old_umask = os.umask(0)
    try:
        store = FileTokenStorage(path=path)
    finally:
        os.umask(old_umask)
    assert mode_of(path.parent) == 0o700
    store.save(tokens())
    assert mode_of(path.parent) == 0o700


def test_directory_is_recreated_on_save(tmp_path: Path) -> None:
    path = tmp_path / "gone" / "tokens.json"
    store = FileTokenStorage(path=path)
    path.parent.rmdir()
    store.save(tokens())
    assert store.load() == tokens()
    assert mode_of(path.parent) == 0o700


def test_write_replaces_content_wholly_and_leaves_no_temp_files(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    store = FileTokenStorage(path=path)
    long_one = StoredTokens(access_token="x" * 5000, refresh_token="y" * 5000)
    store.save(long_one)
    store.save(StoredTokens(access_token="short"))
    assert json.loads(path.read_text("utf-8")) == {
        "access_token": "short",
        "refresh_token": None,
        "expires_at": None,
        "token_type": None,
    }
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tokens.json"]


def test_crash_during_rename_keeps_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "tokens.json"
    store = FileTokenStorage(path=path)
    store.save(tokens(1))
    before = path.read_bytes()

    def crash(src: str, dst: str) -> None:
        raise OSError("disk yanked")

    monkeypatch.setattr(storage_module.os, "replace", crash)
    with pytest.raises(OSError, match="disk yanked"):
        store.save(tokens(2))
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert store.load() == tokens(1)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tokens.json"]


def test_crash_during_write_keeps_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "tokens.json"
    store = FileTokenStorage(path=path)
    store.save(tokens(1))

    def crash(fd: int) -> None:
        raise OSError("fsync failed")

    monkeypatch.setattr(storage_module.os, "fsync", crash)
    with pytest.raises(OSError, match="fsync failed"):
        store.save(tokens(2))
    monkeypatch.undo()
    assert store.load() == tokens(1)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tokens.json"]


def test_save_refuses_a_symlink(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.json"
    target.write_text("original")
    link = tmp_path / "tokens.json"
    link.symlink_to(target)
    store = FileTokenStorage(path=link)
    with pytest.raises(OSError, match="symlink"):
        store.save(tokens())
    assert target.read_text() == "original"
    assert link.is_symlink()


def test_load_refuses_a_symlink(tmp_path: Path) -> None:
    real = tmp_path / "real.json"
    FileTokenStorage(path=real).save(tokens())
    link = tmp_path / "tokens.json"
    link.symlink_to(real)
    assert FileTokenStorage(path=real).load() == tokens()
    assert FileTokenStorage(path=link).load() is None


@pytest.mark.parametrize(
    "content",
    [
        b"{not json",
        b"",
        b"\xff\xfe\xfa",
        b"[1, 2]",
        b'"a string"',
        b"null",
        b'{"refresh_token": "r"}',
        b'{"access_token": ""}',
        b'{"access_token": 123}',
    ],
)
def test_corrupt_or_incomplete_files_load_as_none(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "tokens.json"
    path.write_bytes(content)
    assert FileTokenStorage(path=path).load() is None


def test_odd_field_types_are_dropped(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    path.write_text(
        json.dumps(
            {"access_token": "a", "refresh_token": 5, "expires_at": "soon", "token_type": []}
        )
    )
    assert FileTokenStorage(path=path).load() == StoredTokens(access_token="a")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2025-01-01T00:00:00+00:00", datetime(2025, 1, 1, tzinfo=timezone.utc)),
        ("2025-01-01T00:00:00Z", datetime(2025, 1, 1, tzinfo=timezone.utc)),
        (
            "2025-06-30T23:59:59.250000+02:00",
            datetime(2025, 6, 30, 23, 59, 59, 250000, tzinfo=timezone(timedelta(hours=2))),
        ),
        ("2025-01-01T00:00:00", datetime(2025, 1, 1, tzinfo=timezone.utc)),
        (None, None),
        (17, None),
    ],
)
def test_expires_at_parsing(tmp_path: Path, raw: object, expected: datetime | None) -> None:
    path = tmp_path / "tokens.json"
    path.write_text(json.dumps({"access_token": "a", "expires_at": raw}))
    loaded = FileTokenStorage(path=path).load()
    assert loaded is not None
    assert loaded.expires_at == expected
    if expected is not None:
        assert loaded.expires_at is not None
        assert loaded.expires_at.utcoffset() == expected.utcoffset()


def test_expires_at_with_offset_round_trips(tmp_path: Path) -> None:
    store = FileTokenStorage(path=tmp_path / "tokens.json")
    when = datetime(2030, 3, 4, 5, 6, 7, 890000, tzinfo=timezone(timedelta(hours=-5)))
    store.save(StoredTokens(access_token="a", expires_at=when))
    loaded = store.load()
    assert loaded is not None
    assert loaded.expires_at == when
    assert loaded.expires_at is not None
    assert loaded.expires_at.utcoffset() == timedelta(hours=-5)


def test_many_threads_saving_and_loading(tmp_path: Path) -> None:
    store = FileTokenStorage(path=tmp_path / "tokens.json")
    store.save(tokens(0))
    valid = [tokens(n) for n in range(8)]
    failures: list[str] = []
    start = threading.Barrier(16)

    def writer(n: int) -> None:
        start.wait()
        for _ in range(25):
            store.save(tokens(n))

    def reader() -> None:
        start.wait()
        for _ in range(50):
            loaded = store.load()
            # Never a torn or missing file: always one complete token set.
            if loaded is None or loaded not in valid:
                failures.append(repr(loaded))

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    threads += [threading.Thread(target=reader) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert store.load() in valid
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tokens.json"]


def test_separate_instances_on_one_file_never_see_a_torn_file(tmp_path: Path) -> None:
    # Atomic rename, not the per-instance lock, is what protects separate processes.
    path = tmp_path / "tokens.json"
    writer_store = FileTokenStorage(path=path)
    reader_store = FileTokenStorage(path=path)
    writer_store.save(tokens(0))
    valid = [tokens(n) for n in range(4)]
    seen: list[StoredTokens | None] = []
    done = threading.Event()

    def write() -> None:
        for i in range(200):
            writer_store.save(tokens(i % 4))
        done.set()

    thread = threading.Thread(target=write)
    thread.start()
    while not done.is_set():
        seen.append(reader_store.load())
    thread.join()
    assert seen
    assert all(item in valid for item in seen)
