"""Settings resolution and the shared HTTP client factory (contract §1.1, §1.4, §7)."""

from __future__ import annotations

import httpx
import pytest
import respx

from spaps_client.config import (
    DEFAULT_API_KEY,
    DEFAULT_BASE_URL,
    DEFAULT_TIMEOUT,
    Settings,
    create_http_client,
)
from spaps_client.http import RetryClient, RetryConfig

SECRET_KEY = "sk_live_SETTINGS_SECRET_4242"


def test_defaults(clean_env: pytest.MonkeyPatch) -> None:
    settings = Settings()
    assert settings.base_url == "http://localhost:3300" == DEFAULT_BASE_URL
    assert settings.api_key == "test_key_local_dev_only" == DEFAULT_API_KEY
    assert settings.request_timeout == 10.0 == DEFAULT_TIMEOUT
    assert isinstance(settings.request_timeout, float)


def test_environment_variables(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("SPAPS_API_URL", "https://env.example.com/")
    clean_env.setenv("SPAPS_API_KEY", "env-key")
    clean_env.setenv("SPAPS_REQUEST_TIMEOUT", "2.5")
    settings = Settings()
    # Stored verbatim, trailing slash included (§1.1).
    assert settings.base_url == "https://env.example.com/"
    assert settings.api_key == "env-key"
    assert settings.request_timeout == 2.5


def test_empty_environment_variables_fall_back_to_defaults(clean_env: pytest.MonkeyPatch) -> None:
    for name in ("SPAPS_API_URL", "SPAPS_API_KEY", "SPAPS_REQUEST_TIMEOUT"):
        clean_env.setenv(name, "")
    settings = Settings()
    assert (settings.base_url, settings.api_key, settings.request_timeout) == (
        DEFAULT_BASE_URL,
        DEFAULT_API_KEY,
        DEFAULT_TIMEOUT,
    )


def test_arguments_win_over_environment(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("SPAPS_API_URL", "https://env.example.com")
    clean_env.setenv("SPAPS_API_KEY", "env-key")
    clean_env.setenv("SPAPS_REQUEST_TIMEOUT", "2.5")
    settings = Settings(base_url="https://arg.example.com", api_key="arg-key", request_timeout=7)
    assert settings.base_url == "https://arg.example.com"
    assert settings.api_key == "arg-key"
    assert settings.request_timeout == 7.0
    assert isinstance(settings.request_timeout, float)


def test_empty_string_arguments_are_kept(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("SPAPS_API_URL", "https://env.example.com")
    clean_env.setenv("SPAPS_API_KEY", "env-key")
    settings = Settings(base_url="", api_key="")
    assert settings.base_url == ""
    assert settings.api_key == ""


def test_invalid_timeout_in_environment_names_the_variable(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("SPAPS_REQUEST_TIMEOUT", "ten seconds")
    with pytest.raises(ValueError, match="SPAPS_REQUEST_TIMEOUT"):
        Settings()


@pytest.mark.parametrize("raw", ["-1", "0", "-0.5"])
def test_non_positive_timeout_in_environment_is_rejected(
    clean_env: pytest.MonkeyPatch, raw: str
) -> None:
    clean_env.setenv("SPAPS_REQUEST_TIMEOUT", raw)
    with pytest.raises(ValueError, match="SPAPS_REQUEST_TIMEOUT"):
        Settings()


def test_timeout_argument_skips_a_bad_environment_value(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("SPAPS_REQUEST_TIMEOUT", "not-a-number")
    assert Settings(request_timeout=4).request_timeout == 4.0


def test_repr_and_str_hide_the_api_key(clean_env: pytest.MonkeyPatch) -> None:
    settings = Settings(base_url="https://h.example.com", api_key=SECRET_KEY)
    for text in (repr(settings), str(settings), f"{settings}", f"{settings!r}"):
        assert SECRET_KEY not in text
        assert "https://h.example.com" in text
        assert "***" in text


def test_env_api_key_is_hidden_too(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("SPAPS_API_KEY", SECRET_KEY)
    assert SECRET_KEY not in repr(Settings())


def test_create_http_client_strips_trailing_slash(clean_env: pytest.MonkeyPatch) -> None:
    settings = Settings(base_url="https://api.example.com///")
    with create_http_client(settings=settings) as client:
        assert isinstance(client, RetryClient)
        request = client.build_request("GET", "/api/sessions")
        # Unstripped, httpx would join this into "https://api.example.com///api/sessions".
        assert str(request.url) == "https://api.example.com/api/sessions"
    # The settings object itself is untouched.
    assert settings.base_url == "https://api.example.com///"


def test_create_http_client_uses_settings_timeout(clean_env: pytest.MonkeyPatch) -> None:
    with create_http_client(settings=Settings(request_timeout=4.5)) as client:
        assert client.timeout == httpx.Timeout(4.5)


def test_create_http_client_timeout_override(clean_env: pytest.MonkeyPatch) -> None:
    with create_http_client(settings=Settings(request_timeout=4.5), timeout=3.0) as client:
        assert client.timeout.read == 3.0
        assert client.timeout.connect == 3.0
        assert client.timeout.write == 3.0
        assert client.timeout.pool == 3.0


def test_create_http_client_forwards_other_kwargs(clean_env: pytest.MonkeyPatch) -> None:
    config = RetryConfig(max_attempts=1)
    with create_http_client(
        settings=Settings(), retry_config=config, headers={"X-Extra": "1"}
    ) as client:
        assert client.headers["x-extra"] == "1"
        assert client.retry_config is config


def test_create_http_client_keeps_a_path_prefix(clean_env: pytest.MonkeyPatch) -> None:
    settings = Settings(base_url="https://h.example.com/prefix/")
    with respx.mock(assert_all_called=True) as router:
        route = router.get("https://h.example.com/prefix/health").mock(
            return_value=httpx.Response(200, json={"status": "ok"})
        )
        with create_http_client(
            settings=settings, retry_config=RetryConfig(max_attempts=1)
        ) as client:
            response = client.get("/health")
    assert response.json() == {"status": "ok"}
    assert route.call_count == 1
    assert str(route.calls.last.request.url) == "https://h.example.com/prefix/health"
