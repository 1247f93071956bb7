"""What the SDK benchmarks share: a live ``spaps local`` subprocess, interleaved rounds,
medians and a plain-text table. Not a benchmark itself (the leading underscore)."""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

API_KEY = "test_key_local_dev_only"
EMAIL = "user@example.com"
PASSWORD = "Secret123!"


@dataclass
class LiveServer:
    """A running ``spaps local --json`` (SQLite in a temporary data dir)."""

    proc: subprocess.Popen[str]
    record: dict[str, Any]

    @property
    def url(self) -> str:
        return str(self.record["url"])

    @property
    def pid(self) -> int:
        return self.proc.pid


def _start(data_dir: Path, extra: Sequence[str], timeout: float) -> LiveServer:
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
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        # Cheap argon2id: sign-ins are set-up here, not what is measured.
        env={**os.environ, "SPAPS_PASSWORD_PROFILE": "test"},
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
            raise RuntimeError("spaps local did not start")
        line = proc.stdout.readline()
        if not line and proc.poll() is not None:
            raise RuntimeError(f"spaps local exited with {proc.returncode}")
    selector.close()
    return LiveServer(proc, json.loads(line))


@contextlib.contextmanager
def live_server(*extra: str, timeout: float = 60) -> Iterator[LiveServer]:
    """A ``spaps local`` on a free port for the duration of the block."""
    with tempfile.TemporaryDirectory(prefix="spaps-bench-") as tmp:
        server = _start(Path(tmp) / "data", extra, timeout)
        try:
            yield server
        finally:
            if server.proc.poll() is None:
                server.proc.send_signal(signal.SIGINT)
            try:
                server.proc.communicate(timeout=20)
            except subprocess.TimeoutExpired:
                server.proc.kill()
                server.proc.communicate()


def load_average() -> str:
    """The 1/5/15-minute load averages, for the report."""
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f} ({os.cpu_count()} cores)"


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def spread(values: Sequence[float]) -> str:
    """``min-max`` of ``values``, to show how noisy a median is."""
    return f"{min(values):.0f}-{max(values):.0f}"


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A Markdown table (pastes into RESULTS.md as it is)."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=True)]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(header), rule, *(line(row) for row in rows)])
