"""``spaps local`` as a subprocess: a free port, a temporary data dir, stopped afterwards."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from ._errors import SpapsTestingError, require_module
from ._mailbox import Mailbox

__all__ = ["SEED_EMAIL", "SEED_PASSWORD", "LocalServer", "local_server", "start_local_server"]

SEED_EMAIL = "user@example.com"
SEED_PASSWORD = "Secret123!"  # the documented password of the local server's demo accounts

_STOP_TIMEOUT = 20.0


@dataclasses.dataclass
class LocalServer:
    """A running ``spaps local`` and what its start-up record says about it."""

    url: str
    api_key: str
    webhook_secret: str | None
    data_dir: Path
    record: dict[str, Any]
    process: subprocess.Popen[str] = dataclasses.field(repr=False)
    _stderr: IO[str] = dataclasses.field(repr=False)
    _owned_dir: Path | None = dataclasses.field(default=None, repr=False)

    def __repr__(self) -> str:
        return f"LocalServer(url={self.url!r}, data_dir={str(self.data_dir)!r})"

    def mailbox(self, *, timeout: float = 10.0) -> Mailbox:
        """A :class:`Mailbox` reading this server's outbox (close it, or use ``with``)."""
        return Mailbox(self.url, timeout=timeout)

    @property
    def running(self) -> bool:
        """Whether the server process is still alive."""
        return self.process.poll() is None

    def stop(self) -> int:
        """Stop the server (gracefully, then by force), remove a temporary data dir, and
        return the exit status. Safe to call twice."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                if sys.platform == "win32":
                    self.process.terminate()
                else:
                    self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=_STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=_STOP_TIMEOUT)
        if self.process.stdout is not None:
            self.process.stdout.close()
        self._stderr.close()
        if self._owned_dir is not None:
            shutil.rmtree(self._owned_dir, ignore_errors=True)
            self._owned_dir = None
        return self.process.returncode


def _read_record(process: subprocess.Popen[str], timeout: float) -> str | None:
    """The first stdout line, or None when the process ends or ``timeout`` passes first."""
    assert process.stdout is not None
    lines: list[str] = []
    stdout = process.stdout
    # A thread, because select() on pipes does not exist on Windows.
    reader = threading.Thread(target=lambda: lines.append(stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    return lines[0] if lines and lines[0] else None


def _tail(stream: IO[str], limit: int = 2000) -> str:
    stream.flush()
    stream.seek(0)
    return stream.read()[-limit:].strip()


def start_local_server(
    *,
    data_dir: str | os.PathLike[str] | None = None,
    args: Sequence[str] = (),
    password_profile: str = "test",
    env: dict[str, str] | None = None,
    startup_timeout: float = 60.0,
) -> LocalServer:
    """Start ``spaps local --port 0 --json`` and return once it serves; call ``stop()``.

    Without ``data_dir`` a temporary one is created and removed by ``stop()``. ``args`` are
    further ``spaps local`` options (``--seed FILE``, ``--rate-limit ...``).
    ``password_profile="test"`` makes password hashing cheap, which is what test suites want.
    """
    require_module("spaps_client.testing's local server", "uvicorn")
    owned = None
    if data_dir is None:
        owned = Path(tempfile.mkdtemp(prefix="spaps-test-"))
        directory = owned / "data"
    else:
        directory = Path(data_dir)
    command = [
        sys.executable,
        "-m",
        "spaps_server.cli",
        "local",
        "--port",
        "0",
        "--json",
        "--data-dir",
        str(directory),
        "--password-profile",
        password_profile,
        *args,
    ]
    # The server logs to stderr; a file cannot fill up and block it the way a pipe would.
    stderr = tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace")  # noqa: SIM115
    environment = {**os.environ, **(env or {})}
    environment.pop("SPAPS_DATA_DIR", None)
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and CLI
        command, stdout=subprocess.PIPE, stderr=stderr, text=True, env=environment
    )
    line = _read_record(process, startup_timeout)
    if line is None:
        if process.poll() is None:
            process.kill()
        process.wait()
        detail = _tail(stderr)
        stderr.close()
        if process.stdout is not None:
            process.stdout.close()
        if owned is not None:
            shutil.rmtree(owned, ignore_errors=True)
        raise SpapsTestingError(
            f"spaps local did not start (exit status {process.returncode}): {detail or 'no output'}"
        )
    record: dict[str, Any] = json.loads(line)
    secret = record.get("webhook_secret")
    return LocalServer(
        url=str(record["url"]),
        api_key=str(record["api_key"]),
        webhook_secret=str(secret) if secret else None,
        data_dir=Path(record.get("data_dir") or directory),
        record=record,
        process=process,
        _stderr=stderr,
        _owned_dir=owned,
    )


@contextlib.contextmanager
def local_server(
    *,
    data_dir: str | os.PathLike[str] | None = None,
    args: Sequence[str] = (),
    password_profile: str = "test",
    env: dict[str, str] | None = None,
    startup_timeout: float = 60.0,
) -> Iterator[LocalServer]:
    """``with local_server() as server:`` a running ``spaps local``, stopped at the end
    (see :func:`start_local_server` for the options)."""
    server = start_local_server(
        data_dir=data_dir,
        args=args,
        password_profile=password_profile,
        env=env,
        startup_timeout=startup_timeout,
    )
    try:
        yield server
    finally:
        server.stop()
