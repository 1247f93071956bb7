"""E-mail addresses: the one canonical form, shared by every place that stores or compares
one (accounts, whitelist, one-time tokens), and the one rule applied wherever an address
comes in (registration, magic links, password resets, the whitelist, the outbox).

The rule is deliberately permissive (RFC 5322 allows far more than a regex should judge):
one ``@`` splitting a non-empty local part of at most 64 characters from a dotted domain
whose labels are non-empty, at most 320 characters in all, and no whitespace or control
character anywhere. Deliverability is the mailbox's problem; this catches typos
(``a@b..c``) and header injection.
"""

from __future__ import annotations

import re
import unicodedata

from .error_codes import ErrorCode
from .errors import InvalidError

# Control, format (zero-width, direction overrides), private-use, surrogate and unassigned
# code points, and the line/paragraph separators: invisible or reordering in a mail client,
# so two addresses that look the same could differ.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp"})

MAX_EMAIL_LENGTH = 320
MAX_LOCAL_PART_LENGTH = 64
_FORBIDDEN = re.compile(r"[\s\x00-\x1f\x7f]")
_DOMAIN = re.compile(r"^[^@.]+(\.[^@.]+)+$")


def canonical_email(email: str) -> str:
    """``email`` trimmed, NFC-normalised and lower-cased, so that every spelling of one
    address compares equal; ``InvalidError`` (``INVALID_EMAIL``) if it contains an invisible
    or direction-changing character."""
    value = unicodedata.normalize("NFC", email.strip())
    if any(unicodedata.category(char) in _REFUSED_CATEGORIES for char in value):
        raise InvalidError("Invalid email address", code=ErrorCode.INVALID_EMAIL)
    return unicodedata.normalize("NFC", value.lower())


def is_email(value: str) -> bool:
    """Whether ``value`` (as given, not trimmed) satisfies the rule."""
    local, at, domain = value.rpartition("@")
    return (
        len(value) <= MAX_EMAIL_LENGTH
        and bool(at)
        and bool(local)
        and len(local) <= MAX_LOCAL_PART_LENGTH
        and not _FORBIDDEN.search(value)
        and bool(_DOMAIN.match(domain))
    )


def normalize_email(email: object) -> str:
    """``email`` in its canonical form (:func:`canonical_email`) if it satisfies the rule,
    else 400 ``INVALID_EMAIL``."""
    if not isinstance(email, str) or not email.strip():
        raise InvalidError("An email address is required", code=ErrorCode.INVALID_EMAIL)
    value = canonical_email(email)
    if not is_email(value):
        raise InvalidError("Invalid email address", code=ErrorCode.INVALID_EMAIL)
    return value
