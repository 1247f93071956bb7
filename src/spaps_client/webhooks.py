"""Webhook signature verification and event parsing (no HTTP, standard library only).

Two schemes are supported:

* :func:`verify_crypto_webhook_signature` is the published 0.1.3 crypto-payments check. It
  keeps its exact signature and behaviour: it returns ``True`` or raises a plain
  ``ValueError`` with the published messages.
* :func:`verify_spaps_webhook` verifies the ``X-SPAPS-Signature`` header
  (``t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>``) and returns a typed
  :class:`WebhookEvent`. Every failure raises :class:`WebhookVerificationError`, whose
  ``code`` says what went wrong.

Always pass the *raw* request body, byte for byte as received: re-serialising parsed JSON
changes the bytes and breaks the signature.

>>> body, headers = generate_test_payload(
...     "entitlement.granted", {"entitlement_id": "ent_1"}, "whsec_test", timestamp=1700000000
... )
>>> event = verify_spaps_webhook(
...     body, headers[SPAPS_SIGNATURE_HEADER], "whsec_test", now=1700000010
... )
>>> event.type, parse_entitlement_event(event).entitlement_id
('entitlement.granted', 'ent_1')

No secret and no signature ever appears in an exception message or a ``repr``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from . import _json as safe_json

__all__ = [
    "ENTITLEMENT_EVENT_TYPES",
    "SPAPS_SIGNATURE_HEADER",
    "EntitlementEvent",
    "WebhookEvent",
    "WebhookVerificationError",
    "construct_event",
    "generate_test_payload",
    "generate_test_signature",
    "parse_entitlement_event",
    "verify_crypto_webhook_signature",
    "verify_spaps_webhook",
]

SPAPS_SIGNATURE_HEADER = "X-SPAPS-Signature"
"""Name of the HTTP header that carries the SPAPS webhook signature."""

DEFAULT_TOLERANCE_SECONDS = 300

ENTITLEMENT_EVENT_TYPES: frozenset[str] = frozenset(
    f"entitlement.{action}"
    for action in ("granted", "renewed", "updated", "expired", "revoked", "claimed")
)
"""The event types understood by :func:`parse_entitlement_event`."""

_BODY_TYPE_MESSAGE = "Expected body to be the raw request body as str or bytes."
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")
_SHA256_HEX_LENGTH = 64


def _body_bytes(body: object) -> bytes | None:
    if isinstance(body, (bytes, bytearray)):
        return bytes(body)
    if isinstance(body, str):
        return body.encode("utf-8")
    return None


def _split_header(header: str) -> list[tuple[str, str]]:
    """Split ``k=v,k=v`` into stripped pairs, dropping elements with an empty key or value."""
    pairs: list[tuple[str, str]] = []
    for element in header.split(","):
        key, _, value = element.partition("=")
        key, value = key.strip(), value.strip()
        if key and value:
            pairs.append((key, value))
    return pairs


def _mac(secret: bytes, timestamp: str, body: bytes) -> bytes:
    return hmac.new(secret, timestamp.encode("utf-8") + b"." + body, hashlib.sha256).digest()


def verify_crypto_webhook_signature(
    *,
    body: str | bytes | bytearray,
    signature: str | None,
    secret: str,
    tolerance_seconds: float = DEFAULT_TOLERANCE_SECONDS,
) -> bool:
    """Verify a crypto-payments webhook signature exactly as the published 0.1.3 client does.

    ``signature`` is the header value ``t=<unix seconds>,v1=<hex>``; the MAC is HMAC-SHA256,
    keyed with ``secret`` (UTF-8), over ``<t> + "." + <raw body>``. The MAC is checked first,
    then the timestamp, which must lie within ``tolerance_seconds`` of now in either
    direction (``tolerance_seconds <= 0`` disables the timestamp check).

    Returns ``True``; raises ``ValueError`` on any failure.

    >>> header = generate_test_signature(b'{"ok":true}', "s3cret")
    >>> verify_crypto_webhook_signature(body=b'{"ok":true}', signature=header, secret="s3cret")
    True
    """
    if not signature:
        raise ValueError("Missing webhook signature")
    # Last duplicate key wins, as in the published client.
    fields = dict(_split_header(signature))
    timestamp = fields.get("t")
    provided_hex = fields.get("v1")
    if timestamp is None or provided_hex is None:
        raise ValueError("Invalid webhook signature format")
    raw = _body_bytes(body)
    if raw is None:
        raise ValueError(_BODY_TYPE_MESSAGE)
    expected = _mac(secret.encode("utf-8"), timestamp, raw)
    # Decoding the hex (rather than comparing text) makes the comparison case-insensitive;
    # a non-hex value raises the decoder's ValueError, which does not quote the input.
    provided = bytes.fromhex(provided_hex)
    if len(provided) != len(expected) or not hmac.compare_digest(provided, expected):
        raise ValueError("Invalid webhook signature")
    signed_at = int(timestamp)
    if tolerance_seconds > 0 and abs(time.time() - signed_at) > tolerance_seconds:
        raise ValueError("Webhook signature timestamp outside tolerance window")
    return True


class WebhookVerificationError(ValueError):
    """A webhook could not be verified or parsed.

    ``code`` is one of ``missing_signature``, ``missing_secret``, ``invalid_format``,
    ``timestamp_out_of_tolerance``, ``invalid_signature``, ``invalid_payload`` (a body that is
    not raw str/bytes, not a JSON object, or not shaped like an event) and
    ``unsupported_event``. The message never contains the secret or
    the signature.

    >>> error = WebhookVerificationError("Invalid webhook signature", code="invalid_signature")
    >>> error.code, isinstance(error, ValueError)
    ('invalid_signature', True)
    """

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __repr__(self) -> str:
        return f"WebhookVerificationError(code={self.code!r}, message={self.message!r})"


@dataclass(frozen=True)
class WebhookEvent:
    """A verified SPAPS webhook event.

    ``raw`` is the whole decoded JSON object, so keys this class does not model are kept.
    """

    id: str
    type: str
    created: int
    data: dict[str, Any]
    livemode: bool | None = None
    application_id: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_dict(cls, payload: Mapping[str, Any]) -> WebhookEvent:
        """Build an event from a decoded JSON object, validating its shape.

        Raises :class:`WebhookVerificationError` with code ``invalid_payload`` when a required
        field (``id``, ``type``, ``created``, ``data``) is missing or has the wrong type.

        >>> WebhookEvent.from_dict({"id": "evt_1", "type": "ping", "created": 1, "data": {}}).id
        'evt_1'
        """
        event_id = payload.get("id")
        event_type = payload.get("type")
        created = payload.get("created")
        data = payload.get("data")
        livemode = payload.get("livemode")
        application_id = payload.get("application_id")
        problems = []
        if not isinstance(event_id, str) or not event_id:
            problems.append("'id' must be a non-empty string")
        if not isinstance(event_type, str) or not event_type:
            problems.append("'type' must be a non-empty string")
        # bool is an int subclass; True is not a timestamp.
        if not isinstance(created, int) or isinstance(created, bool):
            problems.append("'created' must be an integer")
        if not isinstance(data, dict):
            problems.append("'data' must be an object")
        if livemode is not None and not isinstance(livemode, bool):
            problems.append("'livemode' must be a boolean")
        if application_id is not None and not isinstance(application_id, str):
            problems.append("'application_id' must be a string")
        if problems:
            raise WebhookVerificationError(
                "Invalid webhook payload: " + "; ".join(problems), code="invalid_payload"
            )
        assert isinstance(event_id, str) and isinstance(event_type, str)
        assert isinstance(created, int) and isinstance(data, dict)
        return cls(
            id=event_id,
            type=event_type,
            created=created,
            data=data,
            livemode=livemode,
            application_id=application_id,
            raw=dict(payload),
        )


def _secret_bytes(secret: str | bytes) -> bytes:
    if isinstance(secret, bytes):
        key = secret
    elif isinstance(secret, str):
        key = secret.encode("utf-8")
    else:
        raise WebhookVerificationError(
            "Webhook secret must be a str or bytes", code="missing_secret"
        )
    if not key:
        raise WebhookVerificationError("Webhook secret is not configured", code="missing_secret")
    return key


def _parse_spaps_header(signature: str) -> tuple[str, list[str]]:
    timestamp: str | None = None
    candidates: list[str] = []
    for key, value in _split_header(signature):
        if key == "t":
            timestamp = value
        elif key == "v1":
            candidates.append(value)
    if timestamp is None or not (timestamp.isascii() and timestamp.isdigit()):
        raise WebhookVerificationError(
            "Invalid webhook signature format: expected t=<unix seconds>,v1=<hex>",
            code="invalid_format",
        )
    if not candidates or any(
        len(candidate) != _SHA256_HEX_LENGTH or not _HEX_DIGITS.issuperset(candidate)
        for candidate in candidates
    ):
        raise WebhookVerificationError(
            "Invalid webhook signature format: each v1 must be 64 hexadecimal characters",
            code="invalid_format",
        )
    return timestamp, candidates


def verify_spaps_webhook(
    body: str | bytes | bytearray,
    signature: str | None,
    secret: str | bytes,
    max_age_seconds: float = DEFAULT_TOLERANCE_SECONDS,
    *,
    now: float | None = None,
) -> WebhookEvent:
    """Verify an ``X-SPAPS-Signature`` header and return the parsed event.

    Checks, in order: a signature is present; the secret is set; the header is
    ``t=<unix seconds>,v1=<64 hex>`` (``v1`` may repeat, so a sender rotating its secret can
    sign with both; any match is accepted); the body is raw ``str``/``bytes``; the timestamp is
    within ``max_age_seconds`` of ``now`` in either direction (``max_age_seconds <= 0``
    disables this); a ``v1`` equals HMAC-SHA256(secret, ``"<t>.<raw body>"``) under a
    constant-time compare; and the body is a JSON object shaped like a :class:`WebhookEvent`.

    ``now`` (unix seconds) defaults to the current time. Raises
    :class:`WebhookVerificationError` on failure.

    >>> body = b'{"id":"evt_1","type":"ping","created":1700000000,"data":{}}'
    >>> header = generate_test_signature(body, "whsec_test", timestamp=1700000000)
    >>> verify_spaps_webhook(body, header, "whsec_test", now=1700000000).id
    'evt_1'
    """
    if not signature:
        raise WebhookVerificationError("Missing webhook signature", code="missing_signature")
    key = _secret_bytes(secret)
    timestamp, candidates = _parse_spaps_header(signature)
    raw = _body_bytes(body)
    if raw is None:
        raise WebhookVerificationError(_BODY_TYPE_MESSAGE, code="invalid_payload")
    current = time.time() if now is None else now
    if max_age_seconds > 0 and abs(current - int(timestamp)) > max_age_seconds:
        raise WebhookVerificationError(
            "Webhook signature timestamp outside tolerance window",
            code="timestamp_out_of_tolerance",
        )
    expected = _mac(key, timestamp, raw).hex()
    matched = False
    # Compare against every candidate (no early exit) so timing does not reveal which matched.
    for candidate in candidates:
        matched |= hmac.compare_digest(expected, candidate.lower())
    if not matched:
        raise WebhookVerificationError("Invalid webhook signature", code="invalid_signature")
    return _decode_event(raw)


def _decode_event(raw: bytes) -> WebhookEvent:
    try:
        payload = safe_json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise WebhookVerificationError(
            "Invalid webhook payload: body is not valid UTF-8 JSON", code="invalid_payload"
        ) from None
    if not isinstance(payload, dict):
        raise WebhookVerificationError(
            "Invalid webhook payload: expected a JSON object", code="invalid_payload"
        )
    return WebhookEvent.from_dict(payload)


def construct_event(
    payload: str | bytes | bytearray,
    sig_header: str | None,
    secret: str | bytes,
    tolerance: float = DEFAULT_TOLERANCE_SECONDS,
    *,
    now: float | None = None,
) -> WebhookEvent:
    """Stripe-style alias of :func:`verify_spaps_webhook`."""
    return verify_spaps_webhook(payload, sig_header, secret, tolerance, now=now)


def generate_test_signature(
    body: str | bytes | bytearray, secret: str | bytes, *, timestamp: int | None = None
) -> str:
    """Sign ``body`` as a SPAPS sender would and return the header value
    ``t=<timestamp>,v1=<64 lowercase hex>`` (``timestamp`` defaults to now).

    >>> generate_test_signature(b"{}", "whsec_test", timestamp=1700000000)[:13]
    't=1700000000,'
    """
    raw = _body_bytes(body)
    if raw is None:
        raise TypeError(_BODY_TYPE_MESSAGE)
    signed_at = str(int(time.time()) if timestamp is None else int(timestamp))
    return f"t={signed_at},v1={_mac(_secret_bytes(secret), signed_at, raw).hex()}"


def generate_test_payload(
    event_type: str,
    data: Mapping[str, Any],
    secret: str | bytes,
    *,
    event_id: str | None = None,
    timestamp: int | None = None,
) -> tuple[bytes, dict[str, str]]:
    """Build a signed test event: compact JSON body bytes and the request headers
    (``X-SPAPS-Signature`` and ``Content-Type``).

    >>> body, headers = generate_test_payload("ping", {}, "whsec_test", event_id="evt_1",
    ...                                       timestamp=1700000000)
    >>> body
    b'{"id":"evt_1","type":"ping","created":1700000000,"data":{},"livemode":false}'
    """
    created = int(time.time()) if timestamp is None else int(timestamp)
    event = {
        "id": event_id if event_id is not None else f"evt_test_{secrets.token_hex(12)}",
        "type": event_type,
        "created": created,
        "data": dict(data),
        "livemode": False,
    }
    body = json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    headers = {
        SPAPS_SIGNATURE_HEADER: generate_test_signature(body, secret, timestamp=created),
        "Content-Type": "application/json",
    }
    return body, headers


@dataclass(frozen=True)
class EntitlementEvent:
    """An ``entitlement.*`` webhook event (see :data:`ENTITLEMENT_EVENT_TYPES`).

    The entitlement object is read from ``data["entitlement"]``, else ``data["object"]``, else
    ``data`` itself; snake_case and camelCase field names are both accepted. Fields the
    payload does not carry are ``None``; ``entitlement`` keeps the whole object.
    """

    event: WebhookEvent
    action: str
    entitlement: dict[str, Any]
    entitlement_id: str | None = None
    user_id: str | None = None
    application_id: str | None = None
    entitlement_key: str | None = None
    status: str | None = None
    expires_at: str | int | float | None = None

    @property
    def type(self) -> str:
        """The event type, e.g. ``"entitlement.granted"``."""
        return self.event.type


def _first_str(source: Mapping[str, Any], *names: str) -> str | None:
    for name in names:
        value = source.get(name)
        if isinstance(value, str) and value:
            return value
    return None


def parse_entitlement_event(event: WebhookEvent | Mapping[str, Any]) -> EntitlementEvent:
    """Interpret a verified event (or its decoded JSON object) as an entitlement event.

    Raises :class:`WebhookVerificationError` with code ``unsupported_event`` for any type
    outside :data:`ENTITLEMENT_EVENT_TYPES`, and ``invalid_payload`` for a malformed mapping.

    >>> parse_entitlement_event({"id": "evt_1", "type": "entitlement.revoked", "created": 1,
    ...                          "data": {"entitlement": {"id": "ent_9"}}}).action
    'revoked'
    """
    if not isinstance(event, WebhookEvent):
        if not isinstance(event, Mapping):
            raise WebhookVerificationError(
                "Expected a WebhookEvent or a decoded event object", code="invalid_payload"
            )
        event = WebhookEvent.from_dict(event)
    if event.type not in ENTITLEMENT_EVENT_TYPES:
        raise WebhookVerificationError(
            f"Unsupported webhook event type for entitlements: {event.type!r}",
            code="unsupported_event",
        )
    nested = event.data.get("entitlement")
    if not isinstance(nested, dict):
        nested = event.data.get("object")
    entitlement: dict[str, Any] = nested if isinstance(nested, dict) else event.data
    expires_at = entitlement.get("expires_at", entitlement.get("expiresAt"))
    if isinstance(expires_at, bool) or not isinstance(expires_at, (str, int, float)):
        expires_at = None
    return EntitlementEvent(
        event=event,
        action=event.type.partition(".")[2],
        entitlement=entitlement,
        entitlement_id=_first_str(entitlement, "entitlement_id", "entitlementId", "id"),
        user_id=_first_str(entitlement, "user_id", "userId"),
        application_id=_first_str(entitlement, "application_id", "applicationId")
        or event.application_id,
        entitlement_key=_first_str(
            entitlement, "entitlement_key", "entitlementKey", "key", "feature_key", "featureKey"
        ),
        status=_first_str(entitlement, "status"),
        expires_at=expires_at,
    )
