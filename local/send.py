"""`wom send conversion|refund`: sign a storefront post the way a storefront backend would, and send it."""

from __future__ import annotations

import json
import time
from typing import Any

import requests

from shared.signatures import HEADER, signature_header


def send_signed(base_url: str, path: str, payload: dict[str, Any], secret: str, timestamp: int | None = None) -> requests.Response:
    body = json.dumps(payload, separators=(",", ":")).encode()
    stamp = int(time.time()) if timestamp is None else timestamp
    return requests.post(
        f"{base_url.rstrip('/')}{path}",
        data=body,
        headers={"Content-Type": "application/json", HEADER: signature_header(secret, stamp, body)},
        timeout=10,
    )


def conversion_payload(args: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "order_id": args.order_id,
        "amount": args.amount,
        "currency": args.currency,
        "customer_id": args.customer_id,
    }
    for name in ("customer_email", "click_id", "referral_code", "occurred_at"):
        if getattr(args, name, None):
            payload[name] = getattr(args, name)
    return payload


def refund_payload(args: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {"refund_id": args.refund_id, "order_id": args.order_id, "amount": args.amount}
    if getattr(args, "occurred_at", None):
        payload["occurred_at"] = args.occurred_at
    return payload
