"""End-to-end fixtures: ``spaps local`` as a real subprocess on a free port, driven by our
own SDK. (The server tests' conftest lives in another package; this one is standalone.)"""

from __future__ import annotations

import dataclasses
import json
import os
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

API_KEY = "test_key_local_dev_only"


@dataclasses.dataclass
class LocalServer:
    """A running ``spaps local --json`` and its start-up record."""

    proc: subprocess.Popen[str]
    record: dict[str, Any]

    @property
    def url(self) -> str:
        return str(self.record["url"])

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        self.proc.communicate(timeout=20)


def start_local(data_dir: Path, *args: str, timeout: float = 30) -> LocalServer:
    """Start ``spaps local --json --port 0`` and wait for its record line."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from spaps_server.cli import main; sys.exit(main())",
            "local",
            "--json",
            "--port",
            "0",
            "--data-dir",
            str(data_dir),
            *args,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )
    assert proc.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    line = ""
    while not line:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not selector.select(timeout=remaining):
            proc.kill()
            raise RuntimeError(f"spaps local did not start: {proc.communicate()[1]}")
        line = proc.stdout.readline()
        if not line and proc.poll() is not None:
            raise RuntimeError(f"spaps local exited: {proc.communicate()[1]}")
    selector.close()
    return LocalServer(proc, json.loads(line))


@pytest.fixture
def local_server_factory(tmp_path: Path) -> Iterator[Callable[..., LocalServer]]:
    """Starts servers with extra CLI flags; stops them all afterwards."""
    started: list[LocalServer] = []

    def start(*args: str) -> LocalServer:
        server = start_local(tmp_path / f"data{len(started)}", *args)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def local_server(local_server_factory: Callable[..., LocalServer]) -> LocalServer:
    """A default ``spaps local`` (seeded accounts, SQLite in a temporary data dir)."""
    return local_server_factory()
