"""Wire schemas: every operation documents a typed success body, omittable keys stay off
the wire, and the one e-mail rule holds on every route that takes an address."""

from __future__ import annotations

from typing import Any

import pytest

from spaps_server.app import create_app
from spaps_server.config import ServerConfig
from spaps_server.domain.emails import is_email, normalize_email
from spaps_server.domain.errors import InvalidError
from spaps_server.schemas.base import Envelope, Omittable, WireModel, wire_json

from .auth_support import error_code, running
from .conftest import DbTarget


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref is None:
        return schema
    name = ref.rsplit("/", 1)[-1]
    resolved: dict[str, Any] = spec["components"]["schemas"][name]
    return resolved


def _redirects(spec: dict[str, Any]) -> set[tuple[str, str]]:
    """Operations whose only success is a body-less redirect."""
    return {
        (method, path)
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
        if not any(s.startswith("2") for s in operation["responses"])
        and any(s.startswith("3") for s in operation["responses"])
    }


def _success_schemas(spec: dict[str, Any]) -> dict[tuple[str, str], list[dict[str, Any]]]:
    found: dict[tuple[str, str], list[dict[str, Any]]] = {}
    redirects = _redirects(spec)
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if (method, path) in redirects:
                continue
            schemas = found.setdefault((method, path), [])
            for status, response in operation["responses"].items():
                if status.startswith("2"):
                    for media in response.get("content", {}).values():
                        schemas.append(media.get("schema") or {})
    return found


def test_every_operation_documents_a_typed_success_body() -> None:
    spec = create_app(ServerConfig()).openapi()
    operations = _success_schemas(spec)
    assert ("post", "/api/auth/register") in operations  # the walk sees the real routes
    assert _redirects(spec) == {("get", "/checkout/{session_id}/cancel")}
    untyped = []
    for key, schemas in operations.items():
        resolved = [_resolve(spec, s) for s in schemas]
        if not resolved or any(
            not r or r.get("type") not in {"object", "string"} for r in resolved
        ):
            untyped.append(key)
    assert untyped == []


def test_json_bodies_name_their_fields() -> None:
    spec = create_app(ServerConfig()).openapi()
    register = _success_schemas(spec)[("post", "/api/auth/register")][0]
    body = _resolve(spec, register)
    assert {"success", "data", "message", "tokens", "user"} <= set(body["properties"])
    assert set(body["required"]) == {"data", "message"}
    profile = _resolve(spec, _success_schemas(spec)[("get", "/api/auth/user")][0])
    assert set(profile["properties"]) == {"success", "data"}


class _Inner(WireModel):
    kept: str | None
    dropped: Omittable[str] = None


class _Outer(WireModel):
    inner: _Inner
    items: list[_Inner]
    absent: Omittable[_Inner] = None


def test_omittable_fields_leave_the_wire_and_nullable_ones_stay() -> None:
    body = wire_json(
        Envelope[_Outer](
            data=_Outer(
                inner=_Inner(kept=None), items=[_Inner(kept="a", dropped="b"), _Inner(kept=None)]
            )
        )
    )
    assert body == {
        "success": True,
        "data": {
            "inner": {"kept": None},
            "items": [{"kept": "a", "dropped": "b"}, {"kept": None}],
        },
    }


@pytest.mark.parametrize(
    "address",
    ["a@b..c", "a@.b.c", "a@b.", "@b.c", "a@b", "a b@c.d", "a@b\n.c", "x" * 65 + "@b.c", ""],
)
def test_the_email_rule_refuses(address: str) -> None:
    assert not is_email(address)
    with pytest.raises(InvalidError) as info:
        normalize_email(address)
    assert info.value.code == "INVALID_EMAIL"


def test_the_email_rule_normalises() -> None:
    assert normalize_email("  Ann.Lee+tag@Example.COM ") == "ann.lee+tag@example.com"


def test_every_route_taking_an_address_applies_the_one_rule(db_target: DbTarget) -> None:
    with running(db_target) as live:
        for path, body in (
            ("/api/auth/register", {"email": "a@b..c", "password": "Xy7!abcdef-long"}),
            ("/api/auth/magic-link", {"email": "a@b..c"}),
            ("/api/auth/password-reset", {"email": "a@b..c"}),
        ):
            answer = live.post(path, body)
            assert answer.status_code == 400 and error_code(answer) == "INVALID_EMAIL", path
        check = live.http.get("/api/v1/whitelist/check", params={"email": "a@b..c"})
        assert check.status_code == 400 and error_code(check) == "INVALID_EMAIL"
