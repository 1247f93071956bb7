"""Identifier generation."""

from __future__ import annotations

import secrets


def new_id(prefix: str) -> str:
    """A random, URL-safe identifier such as ``app_3f9c...`` (96 bits of randomness)."""
    return f"{prefix}_{secrets.token_hex(12)}"
