"""``spaps demo`` as a user runs it: a subprocess that starts its own server, walks every step
and leaves nothing running; a failing step ends it with the step's name; ``--keep`` serves
until SIGINT."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import httpx
import pytest

from spaps_server.cli import main
from spaps_server.demo import STEP_NAMES

SERVER_LINE = re.compile(r"^spaps demo: server (http://\S+) \(pid (\d+), data dir (.+)\)$")
TIMEOUT = 180


def demo_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "spaps_server.cli", "demo", *args]


def demo_env(**extra: str) -> dict[str, str]:
    env = {**os.environ, **extra}
    env.pop("SPAPS_DATA_DIR", None)
    return env


def server_of(stdout: str) -> tuple[str, int, Path]:
    for line in stdout.splitlines():
        match = SERVER_LINE.match(line)
        if match:
            return match.group(1), int(match.group(2)), Path(match.group(3))
    raise AssertionError(f"no server line in the demo's output:\n{stdout}")


def assert_gone(url: str, pid: int, data_dir: Path) -> None:
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/health", timeout=5)
    assert not data_dir.exists()


def step_lines(stdout: str) -> list[str]:
    return [line for line in stdout.splitlines() if line.startswith("[")]


def test_demo_walks_every_step_and_leaves_nothing_running() -> None:
    done = subprocess.run(
        demo_command(),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        env=demo_env(),
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = step_lines(done.stdout)
    assert len(lines) == len(STEP_NAMES)
    for number, (line, name) in enumerate(zip(lines, STEP_NAMES, strict=True), start=1):
        assert re.match(rf"^\[\s*{number}/{len(STEP_NAMES)}\] {re.escape(name)}\s+ok\s+\S", line)
    assert f"all {len(STEP_NAMES)} steps succeeded" in done.stdout
    assert "paid" in lines[STEP_NAMES.index("checkout paid")]
    assert "https://example.com/success" in lines[STEP_NAMES.index("checkout paid")]
    assert done.stdout.rstrip().endswith("server stopped, data dir removed")
    # Secrets stay out of the output: no seed password, no tokens.
    assert "Secret123!" not in done.stdout + done.stderr
    assert_gone(*server_of(done.stdout))


def test_a_declined_card_fails_the_checkout_step_by_name() -> None:
    done = subprocess.run(
        demo_command("--card", "4000 0000 0000 0002"),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        env=demo_env(SPAPS_PASSWORD_PROFILE="test"),
        check=False,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    lines = step_lines(done.stdout)
    failed_at = STEP_NAMES.index("checkout paid")
    assert len(lines) == failed_at + 1  # nothing runs after the failed step
    assert all(" ok " in line for line in lines[:failed_at])
    assert re.search(r"checkout paid\s+FAIL\s+.*declined", lines[failed_at]), lines[failed_at]
    assert "spaps demo: error: step 'checkout paid' failed" in done.stderr
    assert_gone(*server_of(done.stdout))


def test_a_step_failing_in_process_is_named_and_the_server_stopped(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from spaps_client.testing import TestWallet

    real_solana = TestWallet.solana

    def wallet_signing_with_another_key(private_key: bytes | None = None) -> TestWallet:
        wallet, impostor = real_solana(), real_solana()
        return TestWallet("solana", wallet.address, lambda message: impostor.sign(message))

    monkeypatch.setattr(TestWallet, "solana", staticmethod(wallet_signing_with_another_key))
    monkeypatch.setenv("SPAPS_PASSWORD_PROFILE", "test")
    monkeypatch.delenv("SPAPS_DATA_DIR", raising=False)

    status = main(["demo"])

    captured = capsys.readouterr()
    assert status == 1
    lines = step_lines(captured.out)
    assert re.search(r"solana wallet sign-in\s+FAIL\s+.*HTTP 401 INVALID_SIGNATURE", lines[-1])
    assert re.search(r"ethereum wallet sign-in\s+ok\s", lines[-2])
    assert "step 'solana wallet sign-in' failed" in captured.err
    assert_gone(*server_of(captured.out))


def test_a_webhook_signed_with_another_secret_fails_the_webhook_step(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import spaps_server.demo as demo

    real_start = demo.start_local_server

    def server_with_a_wrong_secret(**kwargs: Any) -> Any:
        server = real_start(**kwargs)
        server.webhook_secret = "whsec_not_the_servers"
        return server

    monkeypatch.setattr(demo, "start_local_server", server_with_a_wrong_secret)
    monkeypatch.setenv("SPAPS_PASSWORD_PROFILE", "test")
    monkeypatch.delenv("SPAPS_DATA_DIR", raising=False)

    assert main(["demo"]) == 1

    captured = capsys.readouterr()
    last = step_lines(captured.out)[-1]
    assert re.search(r"webhook received\s+FAIL\s+.*signature", last, re.IGNORECASE), last
    assert "whsec_not_the_servers" not in captured.out + captured.err
    assert_gone(*server_of(captured.out))


@pytest.fixture
def demo_process() -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(
        demo_command("--keep"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=demo_env(SPAPS_PASSWORD_PROFILE="test"),
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=TIMEOUT)


def read_until(stream: IO[str], marker: str) -> str:
    seen = []
    for line in stream:
        seen.append(line)
        if marker in line:
            return "".join(seen)
    raise AssertionError(f"the demo ended before {marker!r}:\n{''.join(seen)}")


def test_keep_serves_until_sigint_then_stops_its_server(
    demo_process: subprocess.Popen[str],
) -> None:
    assert demo_process.stdout is not None
    shown = read_until(demo_process.stdout, "API key")
    url, pid, data_dir = server_of(shown)
    assert f"Landing page   {url}/" in shown
    assert f"API reference  {url}/docs" in shown
    assert f"Mailbox        {url}/_dev/mailbox" in shown
    for path in ("/", "/docs", "/_dev/mailbox"):
        assert httpx.get(f"{url}{path}", timeout=10).status_code == 200, path
    # Still serving: the mailbox kept the demo's magic link.
    messages = httpx.get(f"{url}/_dev/mailbox/messages", timeout=10).json()["data"]["messages"]
    assert any(m["to"] == "demo-magic-link@example.com" for m in messages)

    demo_process.send_signal(signal.SIGINT)  # the demo alone, not its process group
    rest, _ = demo_process.communicate(timeout=TIMEOUT)

    assert demo_process.returncode == 0
    assert "server stopped, data dir removed" in rest
    assert_gone(url, pid, data_dir)


def test_sigint_during_the_journey_stops_the_server() -> None:
    process = subprocess.Popen(
        demo_command(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=demo_env(SPAPS_PASSWORD_PROFILE="test"),
    )
    try:
        assert process.stdout is not None
        shown = read_until(process.stdout, "spaps demo: server ")
        process.send_signal(signal.SIGINT)
        rest, err = process.communicate(timeout=TIMEOUT)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 130, rest + err
    assert "interrupted" in err
    assert_gone(*server_of(shown))
