"""``bash scripts/demo``, the README's first command, in a temporary copy of the checkout.

Installing from the package index is what the script does on a fresh machine; here the copy
gets a virtual environment that already sees this environment's packages (a ``.pth`` file),
so the runs are offline. Debian's missing ``python3-venv`` is played by a ``python3`` that
cannot make a venv with pip until a recording ``apt-get`` has "installed" the package.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import pytest

from spaps_server.demo import STEP_NAMES

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 240

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="a bash script")


def copy_checkout(target: Path) -> Path:
    target.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, target / name)
    for name in ("src", "scripts"):
        shutil.copytree(
            ROOT / name, target / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
        )
    return target


def linked_venv(venv: Path, checkout: Path) -> None:
    """A venv without pip of its own that sees the copy's sources and this environment's
    installed packages (pip among them), like one the script made and installed into."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    version = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    site = venv / "lib" / version / "site-packages"
    (site / "spaps-checkout.pth").write_text(
        f"{checkout / 'src'}\n{sysconfig.get_paths()['purelib']}\n", encoding="utf-8"
    )


def executable(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def run_script(
    checkout: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "SPAPS_PASSWORD_PROFILE": "test", **(env or {})}
    for name in ("VIRTUAL_ENV", "PYTHON", "SPAPS_VENV", "SPAPS_DATA_DIR"):
        environment.pop(name, None)
    environment.update(env or {})
    return subprocess.run(
        ["bash", str(checkout / "scripts" / "demo"), *args],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        env=environment,
        check=False,
        cwd="/",
    )


def test_with_an_existing_venv_it_runs_the_demo_without_installing(tmp_path: Path) -> None:
    checkout = copy_checkout(tmp_path / "checkout")
    linked_venv(checkout / ".venv", checkout)

    done = run_script(checkout)

    assert done.returncode == 0, done.stdout + done.stderr
    assert f"all {len(STEP_NAMES)} steps succeeded" in done.stdout
    assert "installing" not in done.stderr  # nothing to download: already installed here


def fake_debian(tmp_path: Path, checkout: Path, *, sudo_works: bool) -> dict[str, str]:
    """A bin dir where ``python3 -m venv`` fails like Debian's without python3-venv until
    ``apt-get install python3-venv`` ran, ``id -u`` says an ordinary user, and ``sudo``
    either runs its command or refuses. Every apt-get and sudo call is logged."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "calls.log"
    marker = tmp_path / "python3-venv-installed"
    executable(
        bin_dir / "python3",
        f"#!{sys.executable}\n"
        + textwrap.dedent(
            f"""
            import os, subprocess, sys
            args = sys.argv[1:]
            if args[:2] == ["-m", "venv"]:
                target = args[2]
                if not os.path.exists({str(marker)!r}):
                    # Debian leaves a venv with a python but without pip behind.
                    os.makedirs(os.path.join(target, "bin"), exist_ok=True)
                    stub = os.path.join(target, "bin", "python")
                    with open(stub, "w") as handle:
                        handle.write("#!/bin/sh\\nexit 1\\n")
                    os.chmod(stub, 0o755)
                    sys.stderr.write("The virtual environment was not created successfully "
                                     "because ensurepip is not available.\\n")
                    sys.exit(1)
                sys.path.insert(0, {str(Path(__file__).parent)!r})
                from test_scripts_demo import linked_venv
                from pathlib import Path
                linked_venv(Path(target), Path({str(checkout)!r}))
                sys.exit(0)
            os.execv(sys.executable, [sys.executable, *args])
            """
        ),
    )
    executable(
        bin_dir / "apt-get",
        f'#!/bin/sh\necho "apt-get $*" >> {log}\n'
        f'case "$*" in *install*python3-venv*) touch {marker};; esac\n',
    )
    executable(bin_dir / "id", "#!/bin/sh\necho 1000\n")
    sudo = f'echo "sudo $*" >> {log}\nexec "$@"\n' if sudo_works else "exit 1\n"
    executable(bin_dir / "sudo", "#!/bin/sh\n" + sudo)
    return {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "PYTHON": str(bin_dir / "python3"),
        "CALLS_LOG": str(log),
    }


def test_a_missing_python3_venv_is_installed_with_sudo_and_apt_get(tmp_path: Path) -> None:
    checkout = copy_checkout(tmp_path / "checkout")
    env = fake_debian(tmp_path, checkout, sudo_works=True)

    done = run_script(checkout, "--help", env=env)

    assert done.returncode == 0, done.stdout + done.stderr
    calls = Path(env["CALLS_LOG"]).read_text(encoding="utf-8").splitlines()
    assert calls[0] == "sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq"
    assert "apt-get install -y -qq python3-venv" in calls
    assert "installing python3-venv with apt-get" in done.stderr
    assert "created the virtual environment .venv" in done.stderr
    assert (checkout / ".venv" / "bin" / "python").exists()
    assert "usage: spaps demo" in done.stdout  # the demo's own --help: the args reach it


def test_without_root_or_working_sudo_it_says_what_to_install(tmp_path: Path) -> None:
    checkout = copy_checkout(tmp_path / "checkout")
    env = fake_debian(tmp_path, checkout, sudo_works=False)

    done = run_script(checkout, env=env)

    assert done.returncode == 1
    assert "install python3-venv (apt-get install python3-venv)" in done.stderr
    assert not (checkout / ".venv").exists()  # no half-made venv left behind
