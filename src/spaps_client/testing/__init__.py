"""Test helpers for code that talks to SPAPS: a real ``spaps local`` server, its mailbox and
wallets that sign like MetaMask or Phantom.

In pytest the fixtures come from the plugin (registered with the ``pytest11`` entry point, so
installing ``spaps`` is enough): ``spaps_server``, ``spaps_client``, ``async_spaps_client``
and ``mailbox``. In a plain script use the same helpers directly::

    from spaps_client.testing import TestWallet, local_server

    with local_server() as server:
        token = server.mailbox().latest_token("user@example.com")

The server and the wallets need the ``server`` extra (``pip install 'spaps[server]'``);
importing this package does not.
"""

from __future__ import annotations

from ._errors import MailNotFoundError, MissingExtraError, SpapsTestingError
from ._mailbox import Mailbox, MailKind
from ._server import SEED_EMAIL, SEED_PASSWORD, LocalServer, local_server, start_local_server
from ._wallets import TestWallet

__all__ = [
    "SEED_EMAIL",
    "SEED_PASSWORD",
    "LocalServer",
    "MailKind",
    "MailNotFoundError",
    "Mailbox",
    "MissingExtraError",
    "SpapsTestingError",
    "TestWallet",
    "local_server",
    "start_local_server",
]
