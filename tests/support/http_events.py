"""API Gateway HTTP API (payload 2.0) events for calling handlers directly, built by local mode's gateway from a
real WSGI request, so the events tests hand the handlers are the ones local mode hands them."""

from __future__ import annotations

import json

from werkzeug.test import EnvironBuilder

from local.gateway import LambdaContext as GatewayContext
from local.gateway import build_event, match_route
from shared.platform.deployment import FUNCTIONS

BROWSER_UA = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15"
HOST = "wom.example.com"


def LambdaContext(function: str = "tracking") -> GatewayContext:  # noqa: N802 - stands where a class was
    """The context the gateway hands a function (its name, memory and a deadline from its timeout)."""
    return GatewayContext(next(f for f in FUNCTIONS if f.name == function))


def http_event(
    method: str,
    path: str,
    *,
    query: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    body: object = None,
    raw_body: str | bytes | None = None,
    source_ip: str = "203.0.113.7",
    user_agent: str | None = BROWSER_UA,
) -> dict:
    all_headers = {"Host": HOST, **({"User-Agent": user_agent} if user_agent is not None else {})}
    all_headers.update(headers or {})
    if body is not None:
        raw_body = json.dumps(body)
        if not any(name.lower() == "content-type" for name in all_headers):
            all_headers["Content-Type"] = "application/json"
    data = raw_body.encode() if isinstance(raw_body, str) else raw_body
    builder = EnvironBuilder(method=method, path=path, base_url=f"https://{HOST}", query_string=query or None, headers=all_headers, data=data)
    environ = builder.get_environ()
    environ["REMOTE_ADDR"] = source_ip
    environ["RAW_URI"] = path  # as werkzeug's server keeps the request line: escapes not decoded
    match = match_route(method, environ["PATH_INFO"])
    assert match is not None, f"no route for {method} {path}"
    return build_event(environ, match, data or b"")
