"""Name and code validators match the whole value: ``re.match`` with ``$`` also accepts a
trailing newline, which would then be stored and compared as part of the name."""

from __future__ import annotations

import pytest

from spaps_server.domain.clock import Clock
from spaps_server.domain.errors import InvalidError
from spaps_server.services.payments.catalog import parse_price
from spaps_server.services.usage import validate_feature_name
from spaps_server.services.whitelist import validate_tier


@pytest.mark.parametrize("value", ["gold\n", "gold\r\n", "\ngold"])
def test_tiers_and_feature_names_with_a_newline_are_refused(value: str) -> None:
    with pytest.raises(InvalidError):
        validate_tier(value)
    with pytest.raises(InvalidError):
        validate_feature_name(value)
    assert validate_tier("gold") == "gold" and validate_feature_name("api:calls") == "api:calls"


@pytest.mark.parametrize(
    "raw", [{"id": "price_new\n", "unit_amount": 100}, {"unit_amount": 100, "currency": "usd\n"}]
)
def test_price_ids_and_currencies_with_a_newline_are_refused(raw: dict[str, object]) -> None:
    with pytest.raises(InvalidError):
        parse_price(raw, application_id="app", product_id="prod_x", clock=Clock())
    assert parse_price(
        {"unit_amount": 100}, application_id="app", product_id="prod_x", clock=Clock()
    )
