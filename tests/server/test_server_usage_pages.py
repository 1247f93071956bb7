"""``/_dev/usage`` over real HTTP on SQLite and PostgreSQL, and in headless chromium: limits,
counters, records and key usage are shown; message contents never are."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from .conftest import DbTarget
from .test_server_pages import CHROMIUM, _dump_dom, assert_self_contained
from .usage_support import data_of, serving


def test_usage_page_shows_limits_counters_records_and_keys(db_target: DbTarget, tmp_path: Path):
    with serving(db_target, tmp_path / "seed") as server:
        me = server.as_user("carol@example.com")
        data_of(
            server.http.post(
                "/api/usage/record", json={"feature": "exports", "quantity": 12}, headers=me
            )
        )
        body = {"patientId": "p", "practitionerId": "q", "content": "never on the page"}
        data_of(server.http.post("/api/secure-messages", json=body, headers=me), 201)
        html = server.http.get("/_dev/usage").text
        assert_self_contained(html)
        assert "searches" in html and "unlimited" in html and "exports" in html
        assert server.user_id("carol@example.com") in html
        assert server.ctx.secure_messages.key_file.ring.primary_id in html
        assert "1 message(s)" in html and "never on the page" not in html
        assert "/_dev/usage" in server.http.get("/_dev/").text
        if Path(CHROMIUM).exists() and shutil.which(CHROMIUM):
            dom = _dump_dom(f"{server.url}/_dev/usage", tmp_path / "profile")
            assert "Features and limits" in dom and "Recent records" in dom
        else:
            pytest.skip(f"{CHROMIUM} is not installed")
