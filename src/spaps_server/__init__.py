"""`spaps local`: a stateful SPAPS server for development and tests (the ``server`` extra)."""

from __future__ import annotations

import functools
from importlib import metadata


@functools.cache
def server_version() -> str:
    """The installed ``spaps`` distribution's version."""
    try:
        return metadata.version("spaps")
    except metadata.PackageNotFoundError:
        return "0+unknown"
