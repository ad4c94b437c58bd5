"""Public tracking routes (SPEC §3.1). They answer browsers, so they never fail them.

Plain functions of a `Request`, dispatched by API Gateway's route key (functions/tracking/handler.py), with no
web framework: what the tracking function imports is its cold start (SPEC §8). The OpenAPI document describes
these routes from functions/tracking/openapi.py.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from shared import wiring
from shared.platform.errors import WomError, error_body
from shared.platform.hosts import referring_host
from shared.platform.json_body import read_json_body
from shared.platform.observability import tracking_logger as logger
from shared.platform.privacy import tracking_opted_out
from shared.tracking.models import batch_events
from shared.tracking.rules import Visitor
from shared.tracking.service import TargetUnavailable

TRANSPARENT_GIF = base64.b64decode("R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==")
NO_STORE = {"Cache-Control": "no-store"}
NOT_FOUND_PAGE = (
    "<!doctype html><html lang=en><meta charset=utf-8><title>Link not found</title>"
    "<body style='font-family:system-ui;margin:4em auto;max-width:32em'>"
    "<h1>This referral link doesn't exist</h1><p>It may have been mistyped or switched off.</p></body></html>"
)
RETRY_SECONDS = 3
RETRY_PAGE = (
    "<!doctype html><html lang=en><meta charset=utf-8><title>One moment</title>"
    "<body style='font-family:system-ui;margin:4em auto;max-width:32em'>"
    "<h1>This link is taking a moment</h1><p>Trying again in a few seconds…</p></body></html>"
)
# navigator.sendBeacon can only post text/plain without a CORS preflight; its body is the same JSON.
BEACON_TYPE = "text/plain"


@dataclass(frozen=True)
class Request:
    """What a route needs of an API Gateway HTTP API (payload 2.0) event."""

    path_parameters: dict[str, str] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)  # names in lower case
    body: bytes = b""
    source_ip: str = ""
    user_agent: str = ""

    @classmethod
    def of(cls, event: dict[str, Any]) -> Request:
        http = (event.get("requestContext") or {}).get("http") or {}
        body = event.get("body") or ""
        raw = base64.b64decode(body) if event.get("isBase64Encoded") else body.encode()
        return cls(
            path_parameters=dict(event.get("pathParameters") or {}),
            query=dict(event.get("queryStringParameters") or {}),
            headers={name.lower(): value for name, value in (event.get("headers") or {}).items()},
            body=raw,
            source_ip=http.get("sourceIp") or "",
            user_agent=http.get("userAgent") or "",
        )

    @property
    def visitor(self) -> Visitor:
        """The caller as API Gateway saw it: the connection's address (never a forwarded header), user agent and the
        referring page's host (nothing else of the Referer)."""
        return Visitor(
            ip=self.source_ip,
            user_agent=self.user_agent,
            opted_out=tracking_opted_out(self.headers),
            referrer_host=referring_host(self.headers.get("referer")),
        )


def response(status: int, body: str | bytes = "", content_type: str | None = None, headers: dict[str, str] | None = None) -> dict[str, Any]:
    answer: dict[str, Any] = {"statusCode": status, "headers": dict(headers or {})}
    if content_type:
        answer["headers"]["Content-Type"] = content_type
    if isinstance(body, bytes):
        answer |= {"body": base64.b64encode(body).decode(), "isBase64Encoded": True}
    else:
        answer |= {"body": body, "isBase64Encoded": False}
    return answer


def json_response(status: int, body: Any) -> dict[str, Any]:
    return response(status, json.dumps(body, separators=(",", ":"), ensure_ascii=False), "application/json")


def json_error(status: int, code: str, message: str) -> dict[str, Any]:
    return json_response(status, error_body(code, message))


def _unknown_link() -> dict[str, Any]:
    fallback = wiring.settings().fallback_url
    if fallback:
        return response(302, headers={"Location": fallback, **NO_STORE})
    return response(404, NOT_FOUND_PAGE, "text/html; charset=utf-8", NO_STORE)


def _link_unreadable() -> dict[str, Any]:
    """Storage failed and this instance never knew the code: the deployment's fallback URL, else a page that
    tries the link again in a few seconds (never a 5xx; the click is recorded when the link answers)."""
    fallback = wiring.settings().fallback_url
    if fallback:
        return response(302, headers={"Location": fallback, **NO_STORE})
    return response(200, RETRY_PAGE, "text/html; charset=utf-8", {**NO_STORE, "Refresh": str(RETRY_SECONDS)})


def _redirect(request: Request, record: bool) -> dict[str, Any]:
    try:
        redirect = wiring.tracking().record_click(request.path_parameters.get("code", ""), request.visitor, record=record)
    except TargetUnavailable:
        logger.warning("code lookup failed; fallback answered")
        return _link_unreadable()
    if redirect is None:
        return _unknown_link()
    return response(302, headers={"Location": redirect.location, "Referrer-Policy": "no-referrer", **NO_STORE})


def follow_referral_link(request: Request) -> dict[str, Any]:
    return _redirect(request, record=True)


def check_referral_link(request: Request) -> dict[str, Any]:
    """HEAD: redirects, records nothing."""
    return _redirect(request, record=False)


def tracking_pixel(request: Request) -> dict[str, Any]:
    try:
        wiring.tracking().record_pixel(request.query, request.visitor)
    except Exception:
        logger.exception("pixel event not recorded")
    return response(200, TRANSPARENT_GIF, "image/gif", NO_STORE)


def _takes_json(media_type: str) -> bool:
    return media_type in ("", "application/json", BEACON_TYPE) or (media_type.startswith("application/") and media_type.endswith("+json"))


def record_events(request: Request) -> dict[str, Any]:
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if request.body and not _takes_json(media_type):
        return json_error(415, "unsupported_media_type", "send the body as application/json")
    try:
        body = read_json_body(request.body.decode("utf-8"))
    except UnicodeDecodeError:
        return json_error(400, "malformed_json", "the body is not UTF-8 encoded JSON")
    except WomError as error:
        return json_error(error.status, error.code, error.message)
    except ValueError:
        return json_error(400, "malformed_json", "the body is not valid JSON")
    try:
        events = batch_events(body)
    except ValueError as error:
        return json_error(400, "invalid_request", str(error))
    try:
        return json_response(200, wiring.tracking().record_events(events, request.visitor).as_dict())
    except WomError as error:
        return json_error(error.status, error.code, error.message)


def _script(request: Request, path: str) -> dict[str, Any]:
    # Imported on the first request for a script, not at the cold start of every click.
    from shared.tracking.scripts import script_answer

    served = script_answer(path, request.headers.get("accept-encoding"), request.headers.get("if-none-match"))
    headers = dict(served.headers)
    content_type = headers.pop("Content-Type")
    # Gzipped bytes go base64-encoded (payload 2.0's binary answer); the plain script goes as text.
    body = served.body if "Content-Encoding" in headers else served.body.decode()
    return response(served.status, body, content_type, headers)


def storefront_script(request: Request) -> dict[str, Any]:
    return _script(request, "/wom.js")


def advocate_page_script(request: Request) -> dict[str, Any]:
    return _script(request, "/wom-advocate.js")


Route = Callable[[Request], dict[str, Any]]

# API Gateway's route key → the route; shared.platform.deployment.ROUTES lists the same (a test holds them so).
ROUTES: dict[str, Route] = {
    "GET /r/{code}": follow_referral_link,
    "HEAD /r/{code}": check_referral_link,
    "GET /p.gif": tracking_pixel,
    "POST /v1/events": record_events,
    "GET /wom.js": storefront_script,
    "GET /wom-advocate.js": advocate_page_script,
}
