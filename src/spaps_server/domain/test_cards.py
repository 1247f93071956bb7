"""Stripe's test card numbers and what confirming a payment intent with each does.

A number must pass the Luhn check (400 ``INVALID_CARD`` otherwise). Known test numbers
succeed, decline with Stripe's ``decline_code``, or require 3-D Secure authentication; any
other valid number is declined as ``test_mode_live_card``, the way Stripe's test mode refuses
a real card.
"""

from __future__ import annotations

import dataclasses
import enum

from .error_codes import ErrorCode
from .errors import InvalidError


class CardOutcome(str, enum.Enum):
    """What charging a card does."""

    SUCCEED = "succeed"
    DECLINE = "decline"
    AUTHENTICATE = "authenticate"


@dataclasses.dataclass(frozen=True)
class TestCard:
    """A card as understood: brand, last four digits, outcome and Stripe's decline code."""

    __test__ = False  # not a pytest test class, despite the name

    number: str
    brand: str
    outcome: CardOutcome
    decline_code: str | None = None
    message: str | None = None

    @property
    def last4(self) -> str:
        """The last four digits, the only part of a number ever stored."""
        return self.number[-4:]


_KNOWN: dict[str, tuple[str, CardOutcome, str | None, str | None]] = {
    "4242424242424242": ("visa", CardOutcome.SUCCEED, None, None),
    "5555555555554444": ("mastercard", CardOutcome.SUCCEED, None, None),
    "378282246310005": ("amex", CardOutcome.SUCCEED, None, None),
    "4000000000000002": (
        "visa",
        CardOutcome.DECLINE,
        "generic_decline",
        "Your card was declined.",
    ),
    "4000000000009995": (
        "visa",
        CardOutcome.DECLINE,
        "insufficient_funds",
        "Your card has insufficient funds.",
    ),
    "4000000000000069": ("visa", CardOutcome.DECLINE, "expired_card", "Your card has expired."),
    "4000000000000127": (
        "visa",
        CardOutcome.DECLINE,
        "incorrect_cvc",
        "Your card's security code is incorrect.",
    ),
    "4000002500003155": (
        "visa",
        CardOutcome.AUTHENTICATE,
        "authentication_required",
        "Your card requires authentication (3-D Secure).",
    ),
}


def luhn_valid(number: str) -> bool:
    """Whether ``number`` (digits only) passes the Luhn checksum."""
    total = 0
    for index, char in enumerate(reversed(number)):
        digit = int(char)
        if index % 2 == 1:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def _brand(number: str) -> str:
    if number.startswith("4"):
        return "visa"
    if number[:2] in {"51", "52", "53", "54", "55"} or number[:1] == "2":
        return "mastercard"
    if number[:2] in {"34", "37"}:
        return "amex"
    return "unknown"


def check_card(raw: str) -> TestCard:
    """The card for ``raw`` (spaces and dashes ignored), or 400 ``INVALID_CARD``."""
    number = raw.replace(" ", "").replace("-", "")
    if not (number.isascii() and number.isdigit() and 12 <= len(number) <= 19):
        raise InvalidError("A card number is 12 to 19 digits", code=ErrorCode.INVALID_CARD)
    if not luhn_valid(number):
        raise InvalidError("The card number is not valid", code=ErrorCode.INVALID_CARD)
    known = _KNOWN.get(number)
    if known is None:
        return TestCard(
            number,
            _brand(number),
            CardOutcome.DECLINE,
            "test_mode_live_card",
            "Your card was declined. This is a local test server: use one of Stripe's test "
            "cards, such as 4242 4242 4242 4242.",
        )
    brand, outcome, decline_code, message = known
    return TestCard(number, brand, outcome, decline_code, message)
