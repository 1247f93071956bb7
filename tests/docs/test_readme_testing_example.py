"""The README's example test file runs as pasted: under pytest (the plugin's fixtures against
a real ``spaps local``) and as a script (``local_server()``)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def example_test_file() -> str:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Testing your code against `spaps local`", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, flags=re.DOTALL)
    assert match is not None
    return match.group(1)


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}


def test_the_readme_example_passes_under_pytest(tmp_path: Path) -> None:
    (tmp_path / "test_signin.py").write_text(example_test_file(), encoding="utf-8")
    (tmp_path / "pytest.ini").write_text("[pytest]\nasyncio_mode = strict\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_signin.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env=_clean_env(),
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert re.search(r"\b5 passed\b", result.stdout), result.stdout[-2000:]


def test_the_readme_example_runs_as_a_script(tmp_path: Path) -> None:
    script = tmp_path / "test_signin.py"
    script.write_text(example_test_file(), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=_clean_env(),
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "magic-link token received: True"
