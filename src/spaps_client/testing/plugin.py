"""The pytest plugin of :mod:`spaps_client.testing` (entry point ``pytest11: spaps``).

Fixtures:

* ``spaps_server`` (session): a :class:`~spaps_client.testing.LocalServer` with ``url``,
  ``api_key``, ``webhook_secret`` and ``data_dir``, started once and stopped at the end.
* ``spaps_client`` / ``async_spaps_client`` (function): a client signed in as
  ``user@example.com``, closed after the test. The async one needs pytest-asyncio; it works
  in its strict mode (mark the test ``@pytest.mark.asyncio``) and in auto mode.
* ``mailbox`` (function): a :class:`~spaps_client.testing.Mailbox` of that server.

Disable the plugin with ``-p no:spaps``.
"""

from __future__ import annotations

import importlib.util
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING

import pytest

from ._mailbox import Mailbox
from ._server import SEED_EMAIL, SEED_PASSWORD, LocalServer, start_local_server

if TYPE_CHECKING:
    from ..async_client import AsyncSpapsClient
    from ..client import SpapsClient

_HAS_PYTEST_ASYNCIO = importlib.util.find_spec("pytest_asyncio") is not None


@pytest.fixture(scope="session")
def spaps_server() -> Iterator[LocalServer]:
    """A ``spaps local`` subprocess on a free port with a temporary data dir."""
    server = start_local_server()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def spaps_client(spaps_server: LocalServer) -> Iterator[SpapsClient]:
    """A :class:`~spaps_client.SpapsClient` signed in as the seed user."""
    from ..client import SpapsClient

    client = SpapsClient(base_url=spaps_server.url, api_key=spaps_server.api_key)
    try:
        client.auth.sign_in_with_password(email=SEED_EMAIL, password=SEED_PASSWORD)
        yield client
    finally:
        client.close()


@pytest.fixture
def mailbox(spaps_server: LocalServer) -> Iterator[Mailbox]:
    """The server's mailbox; ``mailbox.latest_token(email)`` waits for the newest token."""
    with spaps_server.mailbox() as box:
        yield box


async def _signed_in_async_client(server: LocalServer) -> AsyncIterator[AsyncSpapsClient]:
    from ..async_client import AsyncSpapsClient

    client = AsyncSpapsClient(base_url=server.url, api_key=server.api_key)
    try:
        await client.auth.sign_in_with_password(email=SEED_EMAIL, password=SEED_PASSWORD)
        yield client
    finally:
        await client.aclose()


if _HAS_PYTEST_ASYNCIO:
    import pytest_asyncio

    @pytest_asyncio.fixture
    async def async_spaps_client(spaps_server: LocalServer) -> AsyncIterator[AsyncSpapsClient]:
        """An :class:`~spaps_client.AsyncSpapsClient` signed in as the seed user."""
        async for client in _signed_in_async_client(spaps_server):
            yield client

else:  # pragma: no cover - exercised only without pytest-asyncio

    @pytest.fixture
    def async_spaps_client() -> None:
        """Needs pytest-asyncio, which is not installed."""
        pytest.fail(
            "the async_spaps_client fixture needs pytest-asyncio: pip install pytest-asyncio"
        )
