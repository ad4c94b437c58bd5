"""CORS for browser posts to /v1/events: exact origins, and `<scheme>://<host>:*` for any port of a host (local
mode's default allows localhost pages, so the README's share `fetch` works from one)."""

from __future__ import annotations

import pytest

from functions.tracking import handler as tracking_handler
from local.settings import function_environment, local_settings
from shared import wiring
from shared.platform.settings import settings_from_env
from tests.support.http_events import LambdaContext, http_event


def preflight(origins: tuple[str, ...], origin: str) -> dict:
    """The tracking function's own answer to a browser's preflight (it answers CORS itself, without Powertools)."""
    headers = {"Origin": origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}
    wiring.reset()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("WOM_CORS_ORIGINS", ",".join(origins))
        try:
            return tracking_handler.lambda_handler(http_event("OPTIONS", "/v1/events", headers=headers), LambdaContext())
        finally:
            wiring.reset()


def allowed(response: dict) -> str | None:
    return {name.lower(): value for name, value in (response.get("headers") or {}).items()}.get("access-control-allow-origin")


@pytest.mark.parametrize("origin", ["http://localhost:5173", "http://localhost:8080", "http://127.0.0.1:3000", "https://shop.example"])
def test_local_defaults_and_exact_origins_are_allowed_and_named_back(origin):
    response = preflight(("http://localhost:*", "http://127.0.0.1:*", "https://shop.example"), origin)
    assert response["statusCode"] == 204
    assert allowed(response) == origin


@pytest.mark.parametrize(
    "origin",
    ["https://evil.example", "http://localhost.evil.example:80", "http://localhost:80x", "http://localhost:", "https://localhost:5173", "null"],
)
def test_other_origins_get_no_cors_headers(origin):
    assert allowed(preflight(("http://localhost:*", "http://127.0.0.1:*", "https://shop.example"), origin)) is None


def test_local_mode_hands_the_tracking_function_localhost_origins_by_default():
    environment = function_environment(local_settings({}))
    assert settings_from_env(environment).cors_origins == ("http://localhost:*", "http://127.0.0.1:*")
    configured = function_environment(local_settings({"WOM_CORS_ORIGINS": "https://shop.example"}))
    assert settings_from_env(configured).cors_origins == ("https://shop.example",)
