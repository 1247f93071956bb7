"""Bodies shared by several domains."""

from __future__ import annotations

from typing import Generic

from .base import Envelope, T, WireModel


class MessageOut(WireModel):
    """``data = {message}``: an action's human confirmation."""

    message: str


class MessageEnvelope(Envelope[T], Generic[T]):
    """An envelope that also carries the human ``message`` at the top level."""

    message: str
