"""Password-reset request latency for a known and an unknown account, interleaved A B A B
against one ``spaps local`` subprocess (SQLite). Run by hand (no assertions; it prints the
medians and their ratio, which should be close to 1):

    python benchmarks/bench_password_reset.py [--requests 300]

The rate limits of the flow are raised for the run, so every request does the full work.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

API_KEY = "test_key_local_dev_only"
KNOWN = "user@example.com"
UNKNOWN = "nobody-here@example.com"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_ready(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer")


def _start(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from spaps_server.cli import main; sys.exit(main())",
            "local",
            "--json",
            "--port",
            str(port),
            "--data-dir",
            str(data_dir),
            "--rate-limit",
            "password-reset:ip=1000000/60",
            "--rate-limit",
            "password-reset:acct=1000000/60",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "SPAPS_PASSWORD_PROFILE": "test"},
    )


def main() -> None:
    """Measure and print the two medians."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300, help="per account (default 300)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        port = _free_port()
        proc = _start(Path(tmp) / "data", port)
        try:
            url = f"http://127.0.0.1:{port}"
            _wait_ready(f"{url}/health")
            timings: dict[str, list[float]] = {KNOWN: [], UNKNOWN: []}
            with httpx.Client(base_url=url, headers={"X-API-Key": API_KEY}) as http:
                for i in range(20):  # warm-up, not measured
                    http.post("/api/auth/password-reset", json={"email": (KNOWN, UNKNOWN)[i % 2]})
                for _ in range(args.requests):
                    for email in (KNOWN, UNKNOWN):
                        started = time.perf_counter()
                        response = http.post("/api/auth/password-reset", json={"email": email})
                        timings[email].append(time.perf_counter() - started)
                        response.raise_for_status()
        finally:
            proc.terminate()
            proc.wait(timeout=20)
    known = statistics.median(timings[KNOWN]) * 1000
    unknown = statistics.median(timings[UNKNOWN]) * 1000
    print(f"password reset, median of {args.requests} each (interleaved A B):")
    print(f"  known account   {known:7.2f} ms")
    print(f"  unknown account {unknown:7.2f} ms")
    print(f"  ratio known/unknown {known / unknown:5.2f}")


if __name__ == "__main__":
    main()
