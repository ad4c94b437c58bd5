"""API Gateway HTTP API (payload 2.0) events for calling handlers directly, as API Gateway would."""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass
from urllib.parse import urlencode

from shared.platform.deployment import ROUTES

BROWSER_UA = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15"


@dataclass
class LambdaContext:
    function_name: str = "wom-test"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:wom-test"
    aws_request_id: str = "req"

    def get_remaining_time_in_millis(self) -> int:
        return 5000


def _route_for(method: str, path: str) -> tuple[str, dict[str, str]]:
    parts = path.strip("/").split("/")
    for route in ROUTES:
        template = route.path.strip("/").split("/")
        if route.method != method or len(template) != len(parts):
            continue
        params = {}
        for want, got in zip(template, parts, strict=True):
            if want.startswith("{"):
                params[want[1:-1]] = got
            elif want != got:
                break
        else:
            return route.route_key, params
    raise AssertionError(f"no route for {method} {path}")


def http_event(
    method: str,
    path: str,
    *,
    query: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    body: object = None,
    raw_body: str | bytes | None = None,
    source_ip: str = "203.0.113.7",
    user_agent: str = BROWSER_UA,
) -> dict:
    route_key, path_params = _route_for(method, path)
    all_headers = {"host": "wom.example.com", "user-agent": user_agent}
    all_headers.update({k.lower(): v for k, v in (headers or {}).items()})
    event: dict = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": path,
        "rawQueryString": urlencode(query or {}),
        "headers": all_headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "api",
            "domainName": "wom.example.com",
            "domainPrefix": "wom",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": source_ip, "userAgent": user_agent},
            "requestId": str(uuid.uuid4()),
            "routeKey": route_key,
            "stage": "$default",
            "time": "22/Nov/2026:12:00:00 +0000",
            "timeEpoch": 1795000000000,
        },
        "isBase64Encoded": False,
    }
    if query:
        event["queryStringParameters"] = dict(query)
    if path_params:
        event["pathParameters"] = path_params
    if body is not None:
        raw_body = json.dumps(body)
        all_headers.setdefault("content-type", "application/json")
    if isinstance(raw_body, bytes):
        event["body"] = base64.b64encode(raw_body).decode()
        event["isBase64Encoded"] = True
    elif raw_body is not None:
        event["body"] = raw_body
    return event
