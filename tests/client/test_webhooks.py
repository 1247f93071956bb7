"""Unit tests of spaps_client.webhooks (contract §5, §9 webhooks and departure D9)."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spaps_client import webhooks
from spaps_client.webhooks import (
    ENTITLEMENT_EVENT_TYPES,
    SPAPS_SIGNATURE_HEADER,
    EntitlementEvent,
    WebhookEvent,
    WebhookVerificationError,
    construct_event,
    generate_test_payload,
    generate_test_signature,
    parse_entitlement_event,
    verify_crypto_webhook_signature,
    verify_spaps_webhook,
)

SECRET = "whsec_Sup3rS3cretValue"
NOW = 1_700_000_000
BODY = b'{"id":"evt_1","type":"ping","created":1700000000,"data":{"n":1}}'


def mac_hex(secret: str | bytes, timestamp: str, body: bytes) -> str:
    """An independent computation of the signature, straight from the contract."""
    key = secret.encode("utf-8") if isinstance(secret, str) else secret
    return hmac.new(key, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def header(timestamp: int | str = NOW, body: bytes = BODY, secret: str = SECRET) -> str:
    return f"t={timestamp},v1={mac_hex(secret, str(timestamp), body)}"


@pytest.fixture
def frozen_time(monkeypatch: pytest.MonkeyPatch) -> Callable[[float], None]:
    """Pin time.time() (as seen by the webhooks module) to a chosen instant."""

    def set_now(value: float) -> None:
        monkeypatch.setattr(webhooks.time, "time", lambda: value)

    set_now(NOW)
    return set_now


def crypto(signature: str | None, body: Any = BODY, secret: str = SECRET, **kwargs: Any) -> bool:
    return verify_crypto_webhook_signature(body=body, signature=signature, secret=secret, **kwargs)


# =========================================================================================
# §5 verify_crypto_webhook_signature
# =========================================================================================


@pytest.mark.usefixtures("frozen_time")
class TestCryptoSignature:
    def test_valid_signature_returns_true(self) -> None:
        assert crypto(header()) is True

    def test_arguments_are_keyword_only(self) -> None:
        with pytest.raises(TypeError):
            verify_crypto_webhook_signature(BODY, header(), SECRET)  # type: ignore[misc]

    @pytest.mark.parametrize("signature", [None, ""])
    def test_missing_signature(self, signature: str | None) -> None:
        with pytest.raises(ValueError, match=r"^Missing webhook signature$"):
            crypto(signature)

    def test_missing_signature_is_checked_before_the_body(self) -> None:
        with pytest.raises(ValueError, match=r"^Missing webhook signature$"):
            crypto(None, body={"not": "raw"})

    @pytest.mark.parametrize(
        "signature",
        [
            "garbage",
            f"t={NOW}",
            "v1=" + "ab" * 32,
            f"t=,v1={'ab' * 32}",
            f"t={NOW},v1=",
            f"t={NOW},v1 =  ",
            f"T={NOW},V1={'ab' * 32}",
            f"t={NOW},v0={'ab' * 32}",
            ",,,",
            "=,=",
        ],
    )
    def test_invalid_format(self, signature: str) -> None:
        with pytest.raises(ValueError, match=r"^Invalid webhook signature format$"):
            crypto(signature)

    def test_format_is_checked_before_the_body_type(self) -> None:
        with pytest.raises(ValueError, match=r"^Invalid webhook signature format$"):
            crypto("nope", body={"not": "raw"})

    def test_elements_with_empty_key_or_value_are_dropped(self) -> None:
        assert crypto(f"=junk,t=,{header()},v1=,novalue,=") is True

    def test_last_duplicate_key_wins(self) -> None:
        good = mac_hex(SECRET, str(NOW), BODY)
        bad = "00" * 32
        assert crypto(f"t=1,v1={bad},t={NOW},v1={good}") is True
        with pytest.raises(ValueError, match=r"^Invalid webhook signature$"):
            crypto(f"t={NOW},v1={good},v1={bad}")
        with pytest.raises(ValueError, match=r"^Invalid webhook signature$"):
            crypto(f"t={NOW},v1={good},t=1")

    def test_keys_and_values_are_whitespace_stripped(self) -> None:
        good = mac_hex(SECRET, str(NOW), BODY)
        assert crypto(f"  t =\t{NOW} ,  v1 = {good}\n") is True

    def test_other_keys_are_ignored(self) -> None:
        assert crypto(f"v0=zzz,{header()},scheme=hmac,extra=1") is True

    def test_element_is_split_at_its_first_equals_sign(self) -> None:
        # The timestamp value keeps everything after the first "=", and that is what is signed.
        odd = f"{NOW}=7"
        signature = f"t={odd},v1={mac_hex(SECRET, odd, BODY)}"
        with pytest.raises(ValueError, match="invalid literal for int"):
            crypto(signature)

    @pytest.mark.parametrize("body", [BODY, bytearray(BODY), BODY.decode()])
    def test_accepted_body_types(self, body: bytes | bytearray | str) -> None:
        assert crypto(header(), body=body) is True

    def test_str_body_is_encoded_as_utf8(self) -> None:
        text = '{"name":"Zoë ☃ 🍠"}'
        assert crypto(header(body=text.encode("utf-8")), body=text) is True

    @pytest.mark.parametrize("body", [{"id": "evt_1"}, None, 42, memoryview(BODY), [BODY]])
    def test_rejected_body_types(self, body: object) -> None:
        with pytest.raises(
            ValueError, match=r"^Expected body to be the raw request body as str or bytes\.$"
        ):
            crypto(header(), body=body)

    def test_hex_comparison_is_case_insensitive(self) -> None:
        good = mac_hex(SECRET, str(NOW), BODY)
        assert crypto(f"t={NOW},v1={good.upper()}") is True
        mixed = "".join(c.upper() if i % 2 else c for i, c in enumerate(good))
        assert crypto(f"t={NOW},v1={mixed}") is True

    @pytest.mark.parametrize("v1", ["zz" * 32, "abc", "0x" + "ab" * 31, "gg"])
    def test_non_hex_v1_raises_the_hex_decoding_error(self, v1: str) -> None:
        with pytest.raises(ValueError) as caught:
            crypto(f"t={NOW},v1={v1}")
        assert "hexadecimal" in str(caught.value)
        assert v1 not in str(caught.value)

    @pytest.mark.parametrize("v1", ["ab", "ab" * 31, "ab" * 33, "ab" * 64])
    def test_wrong_length_is_an_invalid_signature(self, v1: str) -> None:
        with pytest.raises(ValueError, match=r"^Invalid webhook signature$"):
            crypto(f"t={NOW},v1={v1}")

    def test_wrong_secret_or_tampered_body_is_invalid(self) -> None:
        with pytest.raises(ValueError, match=r"^Invalid webhook signature$"):
            crypto(header(), secret=SECRET + "x")
        with pytest.raises(ValueError, match=r"^Invalid webhook signature$"):
            crypto(header(), body=BODY.replace(b"1}", b"2}"))
        with pytest.raises(ValueError, match=r"^Invalid webhook signature$"):
            # The timestamp is part of the signed payload.
            crypto(f"t={NOW + 1},v1={mac_hex(SECRET, str(NOW), BODY)}")

    def test_timestamp_is_used_exactly_as_in_the_header(self) -> None:
        padded = f"00{NOW}"
        assert crypto(f"t={padded},v1={mac_hex(SECRET, padded, BODY)}") is True
        with pytest.raises(ValueError, match=r"^Invalid webhook signature$"):
            crypto(f"t={padded},v1={mac_hex(SECRET, str(NOW), BODY)}")

    def test_secret_is_utf8(self) -> None:
        secret = "sécret-🍠"
        assert crypto(header(secret=secret), secret=secret) is True

    def test_mac_is_checked_before_the_timestamp(self) -> None:
        stale = NOW - 10_000
        with pytest.raises(ValueError, match=r"^Invalid webhook signature$"):
            crypto(f"t={stale},v1={'00' * 32}")
        with pytest.raises(ValueError, match=r"^Invalid webhook signature$"):
            crypto(f"t=not-a-number,v1={'00' * 32}")

    def test_non_integer_timestamp_fails_after_a_valid_mac(self) -> None:
        with pytest.raises(ValueError, match="invalid literal for int"):
            crypto(header(timestamp="soon"))
        with pytest.raises(ValueError, match="invalid literal for int"):
            crypto(header(timestamp="soon"), tolerance_seconds=0)

    @pytest.mark.parametrize("offset", [-301, 301, -10_000, 10_000])
    def test_outside_tolerance_in_either_direction(self, offset: int) -> None:
        with pytest.raises(
            ValueError, match=r"^Webhook signature timestamp outside tolerance window$"
        ):
            crypto(header(timestamp=NOW + offset))

    @pytest.mark.parametrize("offset", [-300, -1, 0, 1, 300])
    def test_inside_tolerance_including_the_boundary(self, offset: int) -> None:
        assert crypto(header(timestamp=NOW + offset)) is True

    def test_custom_tolerance(self) -> None:
        assert crypto(header(timestamp=NOW - 30), tolerance_seconds=30) is True
        with pytest.raises(ValueError, match="outside tolerance window"):
            crypto(header(timestamp=NOW - 31), tolerance_seconds=30)
        assert crypto(header(timestamp=NOW - 3000), tolerance_seconds=3600) is True

    @pytest.mark.parametrize("tolerance", [0, -1, -300])
    def test_non_positive_tolerance_disables_the_check(self, tolerance: int) -> None:
        assert crypto(header(timestamp=1), tolerance_seconds=tolerance) is True
        assert crypto(header(timestamp=NOW * 2), tolerance_seconds=tolerance) is True

    def test_uses_the_current_time(self, frozen_time: Callable[[float], None]) -> None:
        signature = header(timestamp=NOW)
        frozen_time(NOW + 300.5)
        with pytest.raises(ValueError, match="outside tolerance window"):
            crypto(signature)
        frozen_time(NOW + 299.5)
        assert crypto(signature) is True

    def test_matches_generated_test_signature(self) -> None:
        assert crypto(generate_test_signature(BODY, SECRET, timestamp=NOW)) is True


# =========================================================================================
# D9 verify_spaps_webhook
# =========================================================================================


def spaps(
    signature: str | None,
    body: Any = BODY,
    secret: str | bytes = SECRET,
    max_age_seconds: float = 300,
    now: float | None = NOW,
) -> WebhookEvent:
    return verify_spaps_webhook(body, signature, secret, max_age_seconds, now=now)


def error_code(call: Callable[[], object]) -> str:
    with pytest.raises(WebhookVerificationError) as caught:
        call()
    return caught.value.code


class TestSpapsWebhook:
    def test_header_name(self) -> None:
        assert SPAPS_SIGNATURE_HEADER == "X-SPAPS-Signature"

    def test_valid_event(self) -> None:
        event = spaps(header())
        assert event == WebhookEvent(id="evt_1", type="ping", created=NOW, data={"n": 1})
        assert event.livemode is None and event.application_id is None
        assert event.raw == json.loads(BODY)

    @pytest.mark.parametrize("body", [BODY, bytearray(BODY), BODY.decode()])
    def test_accepted_body_types(self, body: bytes | bytearray | str) -> None:
        assert spaps(header(), body=body).id == "evt_1"

    def test_error_is_a_value_error_with_a_code(self) -> None:
        error = WebhookVerificationError("boom", code="invalid_signature")
        assert isinstance(error, ValueError)
        assert error.code == "invalid_signature"
        assert str(error) == "boom"
        assert repr(error) == "WebhookVerificationError(code='invalid_signature', message='boom')"

    @pytest.mark.parametrize("signature", [None, ""])
    def test_missing_signature(self, signature: str | None) -> None:
        assert error_code(lambda: spaps(signature)) == "missing_signature"

    @pytest.mark.parametrize("secret", ["", b""])
    def test_missing_secret(self, secret: str | bytes) -> None:
        assert error_code(lambda: spaps(header(), secret=secret)) == "missing_secret"

    def test_bytes_secret(self) -> None:
        assert spaps(header(), secret=SECRET.encode()).id == "evt_1"

    @pytest.mark.parametrize(
        "signature",
        [
            "garbage",
            f"t={NOW}",
            "v1=" + "ab" * 32,
            f"t=soon,v1={'ab' * 32}",
            f"t=-5,v1={'ab' * 32}",
            f"t=1.5,v1={'ab' * 32}",
            f"t=١٢٣,v1={'ab' * 32}",  # non-ASCII digits
            f"t={NOW},v1={'ab' * 31}",
            f"t={NOW},v1={'ab' * 33}",
            f"t={NOW},v1={'zz' * 32}",
            f"t={NOW},v1={'ab' * 32},v1=short",
        ],
    )
    def test_invalid_format(self, signature: str) -> None:
        assert error_code(lambda: spaps(signature)) == "invalid_format"

    def test_header_parsing_tolerates_whitespace_empties_and_other_keys(self) -> None:
        good = mac_hex(SECRET, str(NOW), BODY)
        assert spaps(f" t = {NOW} ,, =x, v0=old , v1 = {good} ,extra=").id == "evt_1"

    def test_uppercase_hex_is_accepted(self) -> None:
        assert spaps(f"t={NOW},v1={mac_hex(SECRET, str(NOW), BODY).upper()}").id == "evt_1"

    def test_any_matching_v1_is_accepted_for_secret_rotation(self) -> None:
        old = mac_hex("old-secret", str(NOW), BODY)
        new = mac_hex(SECRET, str(NOW), BODY)
        assert spaps(f"t={NOW},v1={old},v1={new}").id == "evt_1"
        assert spaps(f"t={NOW},v1={new},v1={old}").id == "evt_1"
        assert spaps(f"t={NOW},v1={old},v1={new}", secret="old-secret").id == "evt_1"
        assert error_code(lambda: spaps(f"t={NOW},v1={old},v1={old}")) == "invalid_signature"

    def test_invalid_signature(self) -> None:
        assert error_code(lambda: spaps(header(), secret="other")) == "invalid_signature"
        assert error_code(lambda: spaps(header(), body=BODY + b" ")) == "invalid_signature"
        wrong_t = f"t={NOW + 1},v1={mac_hex(SECRET, str(NOW), BODY)}"
        assert error_code(lambda: spaps(wrong_t)) == "invalid_signature"

    def test_age_is_checked_before_the_mac(self) -> None:
        stale = f"t={NOW - 301},v1={'00' * 32}"
        assert error_code(lambda: spaps(stale)) == "timestamp_out_of_tolerance"

    @pytest.mark.parametrize("offset", [-301, 301, -86_400, 86_400])
    def test_outside_tolerance_in_either_direction(self, offset: int) -> None:
        signature = header(timestamp=NOW + offset)
        assert error_code(lambda: spaps(signature)) == "timestamp_out_of_tolerance"

    @pytest.mark.parametrize("offset", [-300, 0, 300])
    def test_inside_tolerance_including_the_boundary(self, offset: int) -> None:
        assert spaps(header(timestamp=NOW + offset)).id == "evt_1"

    def test_custom_and_disabled_max_age(self) -> None:
        signature = header(timestamp=NOW - 1000)
        assert spaps(signature, max_age_seconds=1000).id == "evt_1"
        assert error_code(lambda: spaps(signature, max_age_seconds=999)) == (
            "timestamp_out_of_tolerance"
        )
        assert spaps(signature, max_age_seconds=0).id == "evt_1"
        assert spaps(header(timestamp=1), max_age_seconds=-1).id == "evt_1"

    def test_now_defaults_to_the_current_time(self, frozen_time: Callable[[float], None]) -> None:
        signature = header(timestamp=NOW)
        assert spaps(signature, now=None).id == "evt_1"
        frozen_time(NOW + 301)
        assert error_code(lambda: spaps(signature, now=None)) == "timestamp_out_of_tolerance"

    @pytest.mark.parametrize("body", [{"id": "evt_1"}, None, 7, memoryview(BODY)])
    def test_body_must_be_raw(self, body: object) -> None:
        with pytest.raises(WebhookVerificationError) as caught:
            spaps(header(), body=body)
        assert caught.value.code == "invalid_payload"
        assert str(caught.value) == "Expected body to be the raw request body as str or bytes."

    @pytest.mark.parametrize(
        "raw",
        [
            b"not json",
            b"",
            b"\xff\xfe{}",
            b"[1, 2]",
            b'"text"',
            b"null",
            b"42",
            b"{}",
            b'{"id":"e","type":"t","created":1}',
            b'{"id":"","type":"t","created":1,"data":{}}',
            b'{"id":"e","type":5,"created":1,"data":{}}',
            b'{"id":"e","type":"t","created":"1","data":{}}',
            b'{"id":"e","type":"t","created":1.5,"data":{}}',
            b'{"id":"e","type":"t","created":true,"data":{}}',
            b'{"id":"e","type":"t","created":1,"data":[]}',
            b'{"id":"e","type":"t","created":1,"data":{},"livemode":"yes"}',
            b'{"id":"e","type":"t","created":1,"data":{},"application_id":3}',
        ],
    )
    def test_invalid_payload(self, raw: bytes) -> None:
        assert error_code(lambda: spaps(header(body=raw), body=raw)) == "invalid_payload"

    def test_payload_fields_and_unknown_keys(self) -> None:
        payload = {
            "id": "evt_9",
            "type": "entitlement.granted",
            "created": NOW,
            "data": {"entitlement_id": "ent_1"},
            "livemode": True,
            "application_id": "app_1",
            "api_version": "2025-01-01",
            "request": {"id": "req_1"},
        }
        raw = json.dumps(payload).encode()
        event = spaps(header(body=raw), body=raw)
        assert event.id == "evt_9"
        assert event.type == "entitlement.granted"
        assert event.created == NOW
        assert event.data == {"entitlement_id": "ent_1"}
        assert event.livemode is True
        assert event.application_id == "app_1"
        assert event.raw["api_version"] == "2025-01-01"
        assert event.raw["request"] == {"id": "req_1"}
        with pytest.raises(dataclasses.FrozenInstanceError):
            event.id = "other"  # type: ignore[misc]

    def test_event_repr_omits_the_raw_payload(self) -> None:
        assert "raw=" not in repr(spaps(header()))

    def test_construct_event_is_an_alias(self) -> None:
        assert construct_event(BODY, header(), SECRET, now=NOW) == spaps(header())
        stale = header(timestamp=NOW - 100)
        with pytest.raises(WebhookVerificationError) as caught:
            construct_event(BODY, stale, SECRET, 50, now=NOW)
        assert caught.value.code == "timestamp_out_of_tolerance"


# =========================================================================================
# Test helpers
# =========================================================================================


class TestGenerators:
    def test_generate_test_signature_format_and_value(self) -> None:
        signature = generate_test_signature(BODY, SECRET, timestamp=NOW)
        assert re.fullmatch(r"t=\d+,v1=[0-9a-f]{64}", signature)
        assert signature == header()
        assert generate_test_signature(BODY.decode(), SECRET, timestamp=NOW) == signature
        assert generate_test_signature(BODY, SECRET.encode(), timestamp=NOW) == signature

    def test_generate_test_signature_defaults_to_now(
        self, frozen_time: Callable[[float], None]
    ) -> None:
        frozen_time(NOW + 0.9)
        assert generate_test_signature(BODY, SECRET).startswith(f"t={NOW},")

    def test_generate_test_signature_rejects_bad_input(self) -> None:
        with pytest.raises(TypeError):
            generate_test_signature({"a": 1}, SECRET)  # type: ignore[arg-type]
        with pytest.raises(WebhookVerificationError) as caught:
            generate_test_signature(BODY, "")
        assert caught.value.code == "missing_secret"

    def test_generate_test_payload(self) -> None:
        body, headers = generate_test_payload(
            "entitlement.granted",
            {"entitlement_id": "ent_1", "note": "Zoë"},
            SECRET,
            event_id="evt_42",
            timestamp=NOW,
        )
        assert (
            body
            == (
                '{"id":"evt_42","type":"entitlement.granted","created":1700000000,'
                '"data":{"entitlement_id":"ent_1","note":"Zoë"},"livemode":false}'
            ).encode()
        )
        assert headers == {
            "X-SPAPS-Signature": header(body=body),
            "Content-Type": "application/json",
        }
        event = verify_spaps_webhook(body, headers[SPAPS_SIGNATURE_HEADER], SECRET, now=NOW)
        assert event.id == "evt_42" and event.livemode is False
        assert event.data == {"entitlement_id": "ent_1", "note": "Zoë"}

    def test_generate_test_payload_defaults(self, frozen_time: Callable[[float], None]) -> None:
        first, headers = generate_test_payload("ping", {}, SECRET)
        second, _ = generate_test_payload("ping", {}, SECRET)
        one, two = json.loads(first), json.loads(second)
        assert one["id"].startswith("evt_test_") and one["id"] != two["id"]
        assert one["created"] == NOW
        assert verify_spaps_webhook(first, headers[SPAPS_SIGNATURE_HEADER], SECRET).type == "ping"


# =========================================================================================
# parse_entitlement_event
# =========================================================================================


def entitlement_event(event_type: str, data: dict[str, Any], **extra: Any) -> WebhookEvent:
    return WebhookEvent.from_dict(
        {"id": "evt_1", "type": event_type, "created": NOW, "data": data, **extra}
    )


class TestEntitlementEvents:
    def test_known_types(self) -> None:
        assert {
            "entitlement.granted",
            "entitlement.renewed",
            "entitlement.updated",
            "entitlement.expired",
            "entitlement.revoked",
            "entitlement.claimed",
        } == ENTITLEMENT_EVENT_TYPES

    @pytest.mark.parametrize("event_type", sorted(ENTITLEMENT_EVENT_TYPES))
    def test_every_entitlement_type_parses(self, event_type: str) -> None:
        event = entitlement_event(
            event_type,
            {
                "entitlement_id": "ent_1",
                "user_id": "usr_1",
                "application_id": "app_1",
                "entitlement_key": "pro",
                "status": "active",
                "expires_at": "2030-01-01T00:00:00Z",
            },
        )
        parsed = parse_entitlement_event(event)
        assert isinstance(parsed, EntitlementEvent)
        assert parsed.action == event_type.split(".")[1]
        assert parsed.type == event_type
        assert parsed.event is event
        assert (parsed.entitlement_id, parsed.user_id, parsed.application_id) == (
            "ent_1",
            "usr_1",
            "app_1",
        )
        assert (parsed.entitlement_key, parsed.status) == ("pro", "active")
        assert parsed.expires_at == "2030-01-01T00:00:00Z"

    def test_nested_and_camel_case_objects(self) -> None:
        nested = parse_entitlement_event(
            entitlement_event(
                "entitlement.renewed",
                {"entitlement": {"id": "ent_2", "userId": "usr_2", "expiresAt": NOW}},
                application_id="app_evt",
            )
        )
        assert nested.entitlement == {"id": "ent_2", "userId": "usr_2", "expiresAt": NOW}
        assert (nested.entitlement_id, nested.user_id, nested.expires_at) == (
            "ent_2",
            "usr_2",
            NOW,
        )
        # Falls back to the event's application id.
        assert nested.application_id == "app_evt"
        via_object = parse_entitlement_event(
            entitlement_event("entitlement.claimed", {"object": {"id": "ent_3", "key": "k"}})
        )
        assert (via_object.entitlement_id, via_object.entitlement_key) == ("ent_3", "k")

    def test_missing_fields_are_none(self) -> None:
        parsed = parse_entitlement_event(
            entitlement_event("entitlement.expired", {"expires_at": True, "user_id": 5})
        )
        assert parsed.entitlement_id is None
        assert parsed.user_id is None
        assert parsed.expires_at is None
        assert parsed.status is None

    def test_accepts_a_decoded_mapping(self) -> None:
        parsed = parse_entitlement_event(
            {"id": "evt_1", "type": "entitlement.revoked", "created": 1, "data": {"id": "e"}}
        )
        assert parsed.action == "revoked" and parsed.entitlement_id == "e"

    @pytest.mark.parametrize(
        "event_type", ["ping", "entitlement.deleted", "entitlement", "payment.granted"]
    )
    def test_unsupported_types(self, event_type: str) -> None:
        with pytest.raises(WebhookVerificationError) as caught:
            parse_entitlement_event(entitlement_event(event_type, {}))
        assert caught.value.code == "unsupported_event"

    def test_malformed_input(self) -> None:
        with pytest.raises(WebhookVerificationError) as caught:
            parse_entitlement_event({"type": "entitlement.granted"})
        assert caught.value.code == "invalid_payload"
        with pytest.raises(WebhookVerificationError) as caught:
            parse_entitlement_event("entitlement.granted")  # type: ignore[arg-type]
        assert caught.value.code == "invalid_payload"

    def test_end_to_end(self) -> None:
        body, headers = generate_test_payload(
            "entitlement.granted", {"entitlement": {"id": "ent_7"}}, SECRET, timestamp=NOW
        )
        event = verify_spaps_webhook(body, headers["X-SPAPS-Signature"], SECRET, now=NOW)
        assert parse_entitlement_event(event).entitlement_id == "ent_7"


# =========================================================================================
# No secret or signature in any error
# =========================================================================================

LEAK_SECRET = "whsec_LEAKCHECK_4b1d"


def _failing_calls() -> list[tuple[str, Callable[[], object]]]:
    good = mac_hex(LEAK_SECRET, str(NOW), BODY)
    forged = mac_hex("not-the-secret", str(NOW), BODY)
    nonhex = "q" * 64
    signatures = {
        "bad_mac": f"t={NOW},v1={forged}",
        "stale": f"t={NOW - 9999},v1={good}",
        "nonhex": f"t={NOW},v1={nonhex}",
        "short": f"t={NOW},v1={good[:40]}",
        "format": f"v1={good}",
        "bad_ts": f"t=x{good[:8]},v1={good}",
    }
    calls: list[tuple[str, Callable[[], object]]] = []
    for signature in signatures.values():
        calls.append(
            (
                signature,
                lambda s=signature: verify_crypto_webhook_signature(
                    body=BODY, signature=s, secret=LEAK_SECRET
                ),
            )
        )
        calls.append(
            (signature, lambda s=signature: verify_spaps_webhook(BODY, s, LEAK_SECRET, now=NOW))
        )
    good_header = f"t={NOW},v1={good}"
    calls.append(
        (
            good_header,
            lambda: verify_crypto_webhook_signature(
                body={"x": 1}, signature=good_header, secret=LEAK_SECRET
            ),
        )
    )
    bad_json = b"{not json"
    json_header = f"t={NOW},v1={mac_hex(LEAK_SECRET, str(NOW), bad_json)}"
    calls.append(
        (json_header, lambda: verify_spaps_webhook(bad_json, json_header, LEAK_SECRET, now=NOW))
    )
    return calls


def test_no_secret_or_signature_in_errors(frozen_time: Callable[[float], None]) -> None:
    calls = _failing_calls()
    assert len(calls) == 14
    for signature, call in calls:
        with pytest.raises(ValueError) as caught:
            call()
        error = caught.value
        v1_values = [part.split("=", 1)[1] for part in signature.split(",") if "=" in part]
        rendered = [str(error), repr(error), *map(str, error.args)]
        for text in rendered:
            assert LEAK_SECRET not in text
            assert signature not in text
            for value in v1_values:
                if len(value) >= 16:
                    assert value not in text
                    assert value[:16] not in text


# =========================================================================================
# Property tests
# =========================================================================================

secrets_strategy = st.text(min_size=1, max_size=64)
timestamps = st.integers(min_value=0, max_value=2**40)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


@given(body=st.binary(max_size=512), secret=secrets_strategy, timestamp=timestamps)
def test_crypto_round_trip(body: bytes, secret: str, timestamp: int) -> None:
    signature = generate_test_signature(body, secret, timestamp=timestamp)
    assert verify_crypto_webhook_signature(
        body=body, signature=signature, secret=secret, tolerance_seconds=0
    )


@given(
    body=st.binary(min_size=1, max_size=256),
    secret=secrets_strategy,
    timestamp=timestamps,
    position=st.integers(min_value=0),
    flip=st.integers(min_value=1, max_value=255),
)
def test_crypto_tamper_detection(
    body: bytes, secret: str, timestamp: int, position: int, flip: int
) -> None:
    signature = generate_test_signature(body, secret, timestamp=timestamp)
    tampered = bytearray(body)
    tampered[position % len(body)] ^= flip
    with pytest.raises(ValueError, match=r"^Invalid webhook signature$"):
        verify_crypto_webhook_signature(
            body=bytes(tampered), signature=signature, secret=secret, tolerance_seconds=0
        )


@given(
    event_type=st.text(min_size=1, max_size=30),
    data=st.dictionaries(st.text(max_size=10), json_values, max_size=5),
    secret=secrets_strategy,
    timestamp=timestamps,
)
def test_spaps_round_trip(
    event_type: str, data: dict[str, Any], secret: str, timestamp: int
) -> None:
    body, headers = generate_test_payload(
        event_type, data, secret, event_id="evt_p", timestamp=timestamp
    )
    event = verify_spaps_webhook(body, headers[SPAPS_SIGNATURE_HEADER], secret, now=timestamp)
    assert (event.id, event.type, event.created, event.data) == (
        "evt_p",
        event_type,
        timestamp,
        data,
    )


@given(
    data=st.dictionaries(st.text(max_size=10), json_values, max_size=5),
    secret=secrets_strategy,
    other=secrets_strategy,
    position=st.integers(min_value=0),
    flip=st.integers(min_value=1, max_value=255),
)
def test_spaps_tamper_detection(
    data: dict[str, Any], secret: str, other: str, position: int, flip: int
) -> None:
    body, headers = generate_test_payload("ping", data, secret, timestamp=NOW)
    signature = headers[SPAPS_SIGNATURE_HEADER]
    tampered = bytearray(body)
    tampered[position % len(body)] ^= flip
    with pytest.raises(WebhookVerificationError) as caught:
        verify_spaps_webhook(bytes(tampered), signature, secret, now=NOW)
    assert caught.value.code == "invalid_signature"
    if other.encode() != secret.encode():
        with pytest.raises(WebhookVerificationError) as caught:
            verify_spaps_webhook(body, signature, other, now=NOW)
        assert caught.value.code == "invalid_signature"
