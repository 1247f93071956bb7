"""The one canonical form of an e-mail address, shared by every place that stores or compares
one (accounts, whitelist, one-time tokens)."""

from __future__ import annotations

import unicodedata

from .error_codes import ErrorCode
from .errors import InvalidError

# Control, format (zero-width, direction overrides), private-use, surrogate and unassigned
# code points, and the line/paragraph separators: invisible or reordering in a mail client,
# so two addresses that look the same could differ.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp"})


def canonical_email(email: str) -> str:
    """``email`` trimmed, NFC-normalised and lower-cased, so that every spelling of one
    address compares equal; ``InvalidError`` (``INVALID_EMAIL``) if it contains an invisible
    or direction-changing character."""
    value = unicodedata.normalize("NFC", email.strip())
    if any(unicodedata.category(char) in _REFUSED_CATEGORIES for char in value):
        raise InvalidError("Invalid email address", code=ErrorCode.INVALID_EMAIL)
    return unicodedata.normalize("NFC", value.lower())
