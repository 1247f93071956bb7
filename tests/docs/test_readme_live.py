"""Every Python block of README.md runs as pasted, against a real ``spaps local``.

Each block runs as a script in a fresh interpreter with ``SPAPS_API_URL``/``SPAPS_API_KEY``
pointing at a ``spaps local`` subprocess, in two modes:

* in README order against one server, as a reader working down the page does;
* on its own: in reverse README order against another server, so a block that silently needs
  what an earlier block did (a token, an object, a state change) fails;
* and all blocks pasted one after another into one interpreter (a third server), so no block
  breaks the names a later one uses.

A block may continue an earlier one by saying so in its first line,
``# Continues the "<heading>" block.``; run on its own it gets that block prepended.
"""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from spaps_client.testing import LocalServer, local_server

README = Path(__file__).resolve().parents[2] / "README.md"
BLOCK_TIMEOUT = 180
CONTINUES = re.compile(r'^# Continues the "(?P<heading>[^"]+)" block\.')


@dataclasses.dataclass(frozen=True)
class Block:
    index: int
    heading: str
    code: str

    @property
    def continues(self) -> str | None:
        match = CONTINUES.match(self.code)
        return match.group("heading") if match else None

    def __str__(self) -> str:
        return f"README block {self.index} (under {self.heading!r})"


def readme_blocks() -> list[Block]:
    blocks: list[Block] = []
    heading = "(top)"
    in_block = False
    lines: list[str] = []
    for line in README.read_text(encoding="utf-8").splitlines():
        if in_block:
            if line.startswith("```"):
                blocks.append(Block(len(blocks), heading, "\n".join(lines) + "\n"))
                in_block = False
            else:
                lines.append(line)
        elif line.startswith("```python"):
            in_block, lines = True, []
        elif line.startswith("#"):
            heading = line.lstrip("#").strip()
    return blocks


def standalone_code(block: Block, blocks: list[Block]) -> str:
    """The block with the blocks it continues prepended (nearest last)."""
    parts = [block.code]
    current = block
    while current.continues is not None:
        earlier = [b for b in blocks[: current.index] if b.heading == current.continues]
        assert earlier, f"{current} continues {current.continues!r}, which is not above it"
        current = earlier[-1]
        parts.insert(0, current.code)
    return "\n".join(parts)


def run_block(code: str, name: str, server: LocalServer, workdir: Path) -> str | None:
    """Run ``code`` as a script; a failure report, or None when it exited 0."""
    workdir.mkdir(parents=True, exist_ok=True)
    script = workdir / "block.py"
    script.write_text(code, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "SPAPS_"))}
    env.update(SPAPS_API_URL=server.url, SPAPS_API_KEY=server.api_key)
    done = subprocess.run(
        [sys.executable, str(script)],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=BLOCK_TIMEOUT,
        env=env,
        check=False,
    )
    if done.returncode == 0:
        return None
    return f"{name} exited {done.returncode}:\n{done.stderr[-3000:]}"


def test_readme_has_the_seed_sections_and_its_python_blocks() -> None:
    text = README.read_text(encoding="utf-8")
    for heading in [
        "Quickstart",
        "Magic Link & Wallet Authentication",
        "Current User Profile",
        "Password Reset",
        "Product Catalog",
        "Subscription & Billing Helpers",
        "Checkout Session Management",
        "Payment History",
        "Async Quickstart",
        "Permission Utilities",
    ]:
        assert f"## {heading}" in text, heading
    blocks = readme_blocks()
    assert len(blocks) >= 20
    assert len(blocks) == text.count("```python")


def test_a_continuation_block_gets_its_block_prepended() -> None:
    blocks = [
        Block(0, "Sign in", "spaps = 1\n"),
        Block(1, "Use", '# Continues the "Sign in" block.\nprint(spaps)\n'),
        Block(2, "Use more", '# Continues the "Use" block.\nprint(spaps + 1)\n'),
    ]
    assert standalone_code(blocks[2], blocks).splitlines() == [
        "spaps = 1",
        "",
        '# Continues the "Sign in" block.',
        "print(spaps)",
        "",
        '# Continues the "Use" block.',
        "print(spaps + 1)",
    ]
    with pytest.raises(AssertionError, match="not above it"):
        standalone_code(Block(0, "First", '# Continues the "Use" block.\n'), blocks)


def runs_of(mode: str, blocks: list[Block]) -> list[tuple[str, str]]:
    """(name, code) of every interpreter a mode starts, in order."""
    if mode == "one-interpreter":
        return [("the README's blocks in one interpreter", "\n".join(b.code for b in blocks))]
    if mode == "readme-order":
        return [(str(block), block.code) for block in blocks]
    return [(str(block), standalone_code(block, blocks)) for block in reversed(blocks)]


@pytest.mark.parametrize("mode", ["readme-order", "on-its-own", "one-interpreter"])
def test_every_readme_block_runs_against_spaps_local(mode: str, tmp_path: Path) -> None:
    runs = runs_of(mode, readme_blocks())
    failures: list[str] = []
    with local_server(password_profile="test") as server:
        for number, (name, code) in enumerate(runs):
            failure = run_block(code, name, server, tmp_path / f"run{number}")
            if failure is not None:
                failures.append(failure)
    assert not failures, "\n\n".join(failures)
