"""Stripe's test cards and how the simulator answers each.

A card is checked as Stripe's checkout page would: the number must pass the Luhn check, the
expiry must be a valid month not in the past, the CVC 3 or 4 digits. Known test numbers then
succeed, decline with Stripe's decline code, or ask for 3-D Secure authentication; any other
valid number is declined the way Stripe's test mode refuses a real card.
"""

from __future__ import annotations

import dataclasses
import enum
import re
from datetime import datetime

from ...domain.error_codes import ErrorCode
from ...domain.errors import InvalidError


class CardOutcome(str, enum.Enum):
    """What charging a card does."""

    SUCCEED = "succeed"
    DECLINE = "decline"
    AUTHENTICATE = "authenticate"


@dataclasses.dataclass(frozen=True)
class Decline:
    """A decline: Stripe's ``decline_code`` and the sentence shown to the payer."""

    code: str
    message: str


@dataclasses.dataclass(frozen=True)
class CardCheck:
    """The card as understood: brand, last four digits, and what charging it does."""

    brand: str
    last4: str
    outcome: CardOutcome
    decline: Decline | None = None


GENERIC_DECLINE = Decline("generic_decline", "Your card was declined.")
AUTHENTICATION_FAILED = Decline(
    "authentication_failed",
    "We are unable to authenticate your payment method. Please choose a different payment "
    "method and try again.",
)
_LIVE_CARD = Decline(
    "test_mode_live_card",
    "Your card was declined. This is a local test server: use one of Stripe's test cards, "
    "such as 4242 4242 4242 4242.",
)

# Stripe's documented test numbers and what each does.
TEST_CARDS: dict[str, tuple[CardOutcome, Decline | None]] = {
    "4242424242424242": (CardOutcome.SUCCEED, None),
    "4000056655665556": (CardOutcome.SUCCEED, None),
    "5555555555554444": (CardOutcome.SUCCEED, None),
    "4000000000000002": (CardOutcome.DECLINE, GENERIC_DECLINE),
    "4000000000009995": (
        CardOutcome.DECLINE,
        Decline("insufficient_funds", "Your card has insufficient funds."),
    ),
    "4000000000000069": (CardOutcome.DECLINE, Decline("expired_card", "Your card has expired.")),
    "4000000000000127": (
        CardOutcome.DECLINE,
        Decline("incorrect_cvc", "Your card's security code is incorrect."),
    ),
    "4000002500003155": (CardOutcome.AUTHENTICATE, None),
}

_DIGITS = re.compile(r"^\d{12,19}$")
_EXPIRY = re.compile(r"^\s*(\d{1,2})\s*/\s*(\d{2}|\d{4})\s*$")
_CVC = re.compile(r"^\d{3,4}$")


def _luhn_ok(number: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(number)):
        digit = int(char)
        if index % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def _brand(number: str) -> str:
    if number.startswith("4"):
        return "visa"
    if number[:2] in {"51", "52", "53", "54", "55"} or "2221" <= number[:4] <= "2720":
        return "mastercard"
    if number[:2] in {"34", "37"}:
        return "amex"
    return "unknown"


def normalize_card_number(number: object) -> str:
    """The digits of a card number typed with spaces or dashes."""
    if not isinstance(number, str):
        raise InvalidError("A card number is required", code=ErrorCode.INVALID_CARD)
    return re.sub(r"[\s-]", "", number)


def check_card(
    number: object,
    *,
    expiry: str | None,
    cvc: str | None,
    now: datetime,
) -> CardCheck:
    """Validate a card and say what charging it does. ``expiry`` (``MM/YY``) and ``cvc`` may
    be ``None`` (the scripted pay route does not need them); given, they must be valid.
    Raises ``InvalidError`` (``INVALID_CARD``) for a malformed card."""
    digits = normalize_card_number(number)
    if not _DIGITS.fullmatch(digits) or not _luhn_ok(digits):
        raise InvalidError("Your card number is invalid.", code=ErrorCode.INVALID_CARD)
    if expiry is not None:
        match = _EXPIRY.fullmatch(expiry)
        if match is None or not 1 <= int(match.group(1)) <= 12:
            raise InvalidError(
                "Your card's expiration date is invalid (use MM / YY).",
                code=ErrorCode.INVALID_CARD,
            )
        month, year = int(match.group(1)), int(match.group(2))
        year = year + 2000 if year < 100 else year
        if (year, month) < (now.year, now.month):
            raise InvalidError(
                "Your card's expiration date is in the past.", code=ErrorCode.INVALID_CARD
            )
    if cvc is not None and not _CVC.fullmatch(cvc.strip()):
        raise InvalidError("Your card's security code is invalid.", code=ErrorCode.INVALID_CARD)
    outcome, decline = TEST_CARDS.get(digits, (CardOutcome.DECLINE, _LIVE_CARD))
    return CardCheck(brand=_brand(digits), last4=digits[-4:], outcome=outcome, decline=decline)
