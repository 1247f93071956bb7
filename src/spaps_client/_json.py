"""JSON decoding that is safe on hostile bodies.

``json.loads`` recurses in C for every nesting level; a body of 100 000 ``[`` can exhaust the C
stack when the interpreter's recursion limit has been raised (test runners and some frameworks
do this), which crashes the process instead of raising. No SPAPS payload nests deeper than a
few levels, so anything deeper than :data:`MAX_DEPTH` is rejected before it reaches the parser.
"""

from __future__ import annotations

import json
from typing import Any

MAX_DEPTH = 64


class JSONTooDeepError(ValueError):
    """The document nests deeper than :data:`MAX_DEPTH`."""


def nesting_depth_exceeds(text: str | bytes, limit: int = MAX_DEPTH) -> bool:
    """Whether the JSON text nests objects/arrays deeper than ``limit`` (strings are skipped)."""
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    if data.count(b"[") + data.count(b"{") <= limit:
        return False
    depth = 0
    in_string = False
    escaped = False
    for byte in data:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > limit:
                return True
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1
    return False


def loads(text: str | bytes) -> Any:
    """``json.loads`` that raises :class:`JSONTooDeepError` (a ``ValueError``) on deep nesting."""
    if nesting_depth_exceeds(text):
        raise JSONTooDeepError("JSON document nests too deeply")
    return json.loads(text)
