"""The requests a bench sends: API Gateway HTTP API (payload 2.0) events for the real handlers, as API
Gateway would build them (tests/support/http_events.py), and the demo data they need."""

from __future__ import annotations

import base64
import importlib
import json
import time
from dataclasses import dataclass
from typing import Any

from shared.conversions.signatures import signature_header
from tests.support.http_events import LambdaContext, http_event

CAMPAIGN_ID = "bench"
CAMPAIGN = {
    "campaign_id": CAMPAIGN_ID,
    "name": "Bench referrals",
    "destination_url": "https://shop.example.com/landing?utm_source=wom",
    "rewards": {"advocate": {"type": "percent", "value": 10}, "friend": {"type": "flat", "value": 500}},
}
ADVOCATE = {"customer_id": "advocate-1", "email": "advocate@example.com"}
BOT_UA = "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)"
CONTEXT = LambdaContext()


def handler_module(function: str) -> Any:
    return importlib.import_module(f"functions.{function}.handler")


def invoke(function: str, event: dict) -> dict:
    return handler_module(function).lambda_handler(event, CONTEXT)


def visitor_ip(index: int) -> str:
    """A distinct (documentation-only) address per visitor: only ever a string in an event."""
    return f"10.{(index >> 16) & 255}.{(index >> 8) & 255}.{index & 255}"


@dataclass(frozen=True)
class Seed:
    code: str
    advocate_id: str


def seed_campaign() -> Seed:
    """The campaign and one advocate, through the admin function (as an operator would)."""
    created = invoke("admin", http_event("POST", "/v1/campaigns", body=CAMPAIGN))
    if created["statusCode"] != 201:
        raise RuntimeError(f"could not create the bench campaign: {created}")
    enrolled = invoke("admin", http_event("POST", f"/v1/campaigns/{CAMPAIGN_ID}/advocates", body=ADVOCATE))
    if enrolled["statusCode"] != 201:
        raise RuntimeError(f"could not enrol the bench advocate: {enrolled}")
    body = json.loads(enrolled["body"])
    return Seed(code=body["code"], advocate_id=body["advocate_id"])


# -- requests: each returns (function, event) ----------------------------------------------------------


def click(code: str, visitor: int, user_agent: str | None = None) -> tuple[str, dict]:
    kwargs = {"user_agent": user_agent} if user_agent else {}
    return "tracking", http_event("GET", f"/r/{code}", source_ip=visitor_ip(visitor), **kwargs)


def pixel(kind: str, code: str, visitor: int) -> tuple[str, dict]:
    return "tracking", http_event("GET", "/p.gif", query={"t": kind, "c": code, "ch": "email"}, source_ip=visitor_ip(visitor))


def events_post(code: str, visitor: int, count: int, kind: str = "share") -> tuple[str, dict]:
    events = [
        {"type": kind, "code": code, "channel": "whatsapp", **({"event_id": f"e-{visitor}-{n}"} if kind != "click" else {})}
        for n in range(count)
    ]
    return "tracking", http_event("POST", "/v1/events", body={"events": events}, source_ip=visitor_ip(visitor))


def conversion(order_id: str, customer_id: str, secret: str, **attribution: str) -> tuple[str, dict]:
    body = {"order_id": order_id, "amount": 4999, "currency": "USD", "customer_id": customer_id, "customer_email": f"{customer_id}@example.com", **attribution}
    raw = json.dumps(body)
    headers = {"content-type": "application/json", "wom-signature": signature_header(secret, int(time.time()), raw.encode())}
    return "conversions", http_event("POST", "/v1/conversions", raw_body=raw, headers=headers)


def read_campaign() -> tuple[str, dict]:
    return "admin", http_event("GET", f"/v1/campaigns/{CAMPAIGN_ID}")


def click_id_of(response: dict) -> str:
    from urllib.parse import parse_qs, urlsplit

    return parse_qs(urlsplit(response["headers"]["Location"]).query)["wom_click"][0]


def response_bytes(response: dict) -> int:
    """Status line, the handler's headers and body as they leave API Gateway (its own headers not counted)."""
    headers = dict(response.get("headers") or {})
    for name, values in (response.get("multiValueHeaders") or {}).items():
        headers[name] = ", ".join(values)
    head = 17 + sum(len(name) + len(str(value)) + 4 for name, value in headers.items())
    for cookie in response.get("cookies") or []:
        head += len("set-cookie: ") + len(cookie) + 2
    body = (response.get("body") or "").encode()
    if response.get("isBase64Encoded"):
        body = base64.b64decode(body)
    return head + len(body)
