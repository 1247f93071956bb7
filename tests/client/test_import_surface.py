"""D8: the import surface. Every published import path exists, every ``__all__`` name resolves,
and ``import spaps_client`` stays light."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

import spaps_client

COMPAT_MODULES = [
    "auth",
    "sessions",
    "payments",
    "crypto",
    "usage",
    "whitelist",
    "secure_messages",
    "metrics",
    "permissions",
    "storage",
    "config",
    "http",
    "client",
    "async_client",
    "http_async",
    "auth_async",
    "sessions_async",
    "payments_async",
    "crypto_async",
    "usage_async",
    "whitelist_async",
    "secure_messages_async",
    "metrics_async",
    "webhooks",
]


def test_every_top_level_name_resolves() -> None:
    for name in spaps_client.__all__:
        assert getattr(spaps_client, name) is not None, name


def test_star_import_works() -> None:
    namespace: dict[str, object] = {}
    exec("from spaps_client import *", namespace)  # noqa: S102 - fixed string
    assert "SpapsClient" in namespace and "AsyncSpapsClient" in namespace
    assert "TokenPair" in namespace and "ProductList" in namespace


@pytest.mark.parametrize("module", COMPAT_MODULES)
def test_published_import_paths(module: str) -> None:
    imported = importlib.import_module(f"spaps_client.{module}")
    names = getattr(imported, "__all__", None)
    assert names, f"spaps_client.{module} has no __all__"
    for name in names:
        assert hasattr(imported, name), f"spaps_client.{module}.{name}"


def test_every_public_model_client_and_error_is_exported_at_the_top() -> None:
    exported = set(spaps_client.__all__)
    for module in COMPAT_MODULES:
        imported = importlib.import_module(f"spaps_client.{module}")
        for name in imported.__all__:
            value = getattr(imported, name)
            if isinstance(value, type) and value.__module__.startswith("spaps_client"):
                assert name in exported, f"{module}.{name} missing from spaps_client.__all__"


def test_contract_names_and_http_module() -> None:
    from spaps_client.crypto import verify_crypto_webhook_signature
    from spaps_client.http import LoggingHooks, RetryClient, RetryConfig, default_logging_hooks
    from spaps_client.http_async import RetryAsyncClient

    assert verify_crypto_webhook_signature is spaps_client.verify_crypto_webhook_signature
    assert RetryClient.__mro__[1].__name__ == "Client"
    assert RetryAsyncClient.__mro__[1].__name__ == "AsyncClient"
    assert callable(default_logging_hooks)
    assert LoggingHooks().on_request is None
    assert RetryConfig().max_attempts == 3


def test_version_matches_the_distribution() -> None:
    root = Path(__file__).resolve().parents[2]
    version_file = root / "src" / "spaps_client" / "_version.py"
    pyproject = (root / "pyproject.toml").read_text()
    assert 'path = "src/spaps_client/_version.py"' in pyproject
    assert f'__version__ = "{spaps_client.__version__}"' in version_file.read_text()


def test_importing_the_package_loads_no_heavy_module() -> None:
    code = (
        "import sys, spaps_client\n"
        "heavy = [m for m in ('httpx', 'pydantic', 'spaps_client.client') if m in sys.modules]\n"
        "print(','.join(heavy))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


def test_a_client_loads_a_domain_only_when_its_sub_client_is_first_used() -> None:
    code = (
        "import sys\n"
        "from spaps_client import AsyncSpapsClient, SpapsClient\n"
        "def loaded():\n"
        "    return sorted(m.rsplit('.', 1)[1] for m in sys.modules\n"
        "                  if m.startswith(('spaps_client.resources.', 'spaps_client.models.'))\n"
        "                  and not m.endswith('._base'))\n"
        "print(loaded())\n"
        "client = SpapsClient(base_url='http://127.0.0.1:1', api_key='k')\n"
        "print(loaded())\n"
        "client.sessions\n"
        "print(loaded())\n"
        "AsyncSpapsClient(base_url='http://127.0.0.1:1', api_key='k').payments\n"
        "print(loaded())\n"
        "client.close()\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    # The token models are always there: the engine refreshes tokens by itself.
    assert result.stdout.splitlines() == [
        "['auth']",
        "['auth']",
        "['auth', 'sessions', 'sessions']",
        "['auth', 'crypto', 'crypto', 'payments', 'payments', 'sessions', 'sessions']",
    ]
