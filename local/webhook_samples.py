"""Signed sample deliveries for `wom send stripe|shopify <fixture>`: the bytes to post and the headers Stripe or
Shopify would send with them. Pure: reading the fixture file is the only I/O; posting is the caller's.

A Stripe fixture is the event body itself; a Shopify fixture is `{"headers": {...}, "body": {...}}`
(tests/fixtures/webhooks/README.md). Both are signed at send time, over exactly the bytes returned.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from shared.conversions.webhooks.shopify import HMAC_HEADER, WEBHOOK_ID_HEADER, shopify_hmac
from shared.conversions.webhooks.stripe import HEADER as STRIPE_HEADER
from shared.conversions.webhooks.stripe import stripe_signature_header
from shared.platform.clock import iso

STRIPE_PATH = "/v1/webhooks/stripe"
SHOPIFY_PATH = "/v1/webhooks/shopify"


@dataclass(frozen=True)
class SignedDelivery:
    path: str
    body: bytes
    headers: dict[str, str]


def _encode(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def _with_stripe_click(event: dict[str, Any], click_id: str) -> dict[str, Any]:
    """Put a real click where a store would: a session's client_reference_id, else the object's metadata."""
    target = event["data"]["object"]
    if target.get("object") == "checkout.session":
        target["client_reference_id"] = click_id
    else:
        target["metadata"] = {**(target.get("metadata") or {}), "wom_click": click_id}
    return event


def _with_shopify_click(body: dict[str, Any], click_id: str) -> dict[str, Any]:
    notes = [note for note in body.get("note_attributes") or [] if note.get("name") != "wom_click"]
    body["note_attributes"] = [{"name": "wom_click", "value": click_id}, *notes]
    return body


def _stripe_at(event: dict[str, Any], timestamp: int) -> dict[str, Any]:
    """The event as if it happened at `timestamp`: a sample sent now is a purchase made now."""
    event["created"] = timestamp
    transitions = event["data"]["object"].get("status_transitions")
    if isinstance(transitions, dict) and transitions.get("paid_at"):
        transitions["paid_at"] = timestamp
    return event


def _shopify_at(body: dict[str, Any], moment: str) -> dict[str, Any]:
    for name in ("processed_at", "created_at"):
        if name in body:
            body[name] = moment
    return body


def signed_stripe_delivery(
    fixture: Path, secret: str, timestamp: int, click_id: str | None = None, event_id: str | None = None, now: bool = False
) -> SignedDelivery:
    """With `now`, the event happened at `timestamp` (a purchase made now, within a fresh click's window); with
    `event_id`, it is a new delivery rather than a redelivery of the fixture's."""
    event = json.loads(fixture.read_text())
    if now:
        event = _stripe_at(event, timestamp)
    if event_id:
        event["id"] = event_id
    if click_id:
        event = _with_stripe_click(event, click_id)
    body = _encode(event)
    return SignedDelivery(
        path=STRIPE_PATH,
        body=body,
        headers={"Content-Type": "application/json", STRIPE_HEADER: stripe_signature_header(secret, timestamp, body)},
    )


def signed_shopify_delivery(
    fixture: Path, secret: str, click_id: str | None = None, webhook_id: str | None = None, at: datetime | None = None
) -> SignedDelivery:
    """With `at`, the order or refund was processed then; with `webhook_id`, a new delivery."""
    delivery = json.loads(fixture.read_text())
    payload = delivery["body"]
    if at is not None:
        payload = _shopify_at(payload, iso(at))
    if click_id:
        payload = _with_shopify_click(payload, click_id)
    body = _encode(payload)
    headers = {"Content-Type": "application/json", **delivery["headers"], HMAC_HEADER: shopify_hmac(secret, body)}
    if webhook_id:
        headers = {name: (webhook_id if name.lower() == WEBHOOK_ID_HEADER.lower() else value) for name, value in headers.items()}
    return SignedDelivery(path=SHOPIFY_PATH, body=body, headers=headers)
