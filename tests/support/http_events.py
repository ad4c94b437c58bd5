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


def call_route(method: str, path: str, raw_body: str | bytes | None = None, headers: dict[str, str] | None = None) -> dict:
    """Calls the function API Gateway routes `method path` to, with the event it would send; a signed route's body is
    signed with the secret in force. The answer carries its parsed JSON body, if any, as `json`."""
    import importlib
    import time

    from shared import wiring
    from shared.conversions.signatures import signature_header

    match = match_route(method, path.split("?", 1)[0])
    assert match is not None, f"no route for {method} {path}"
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    data = raw_body.encode() if isinstance(raw_body, str) else (raw_body or b"")
    if match.route.auth == "signed" and not any(name.lower() == "wom-signature" for name in all_headers):
        all_headers["Wom-Signature"] = signature_header(wiring.signing_secrets()[0], int(wiring.now().timestamp() if wiring.now() else time.time()), data)
    function = next(f for f in FUNCTIONS if f.name == match.route.function)
    module_name, _, attribute = function.handler.rpartition(".")
    handler = getattr(importlib.import_module(module_name), attribute)
    query = None
    if "?" in path:
        from urllib.parse import parse_qsl

        query = dict(parse_qsl(path.split("?", 1)[1]))
    event = http_event(method, path.split("?", 1)[0], query=query, headers=all_headers, raw_body=data if data else None)
    response = handler(event, LambdaContext(function.name))
    content_type = next((v for k, v in (response.get("headers") or {}).items() if k.lower() == "content-type"), "")
    if content_type.startswith("application/json") and response.get("body"):
        response["json"] = json.loads(response["body"])
    return response
