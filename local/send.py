"""`wom send conversion|refund|stripe|shopify`: sign a storefront post (or a commerce platform's sample webhook) the way
its sender would, and send it."""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

from local.settings import local_settings
from local.webhook_samples import signed_shopify_delivery, signed_stripe_delivery
from shared.conversions.signatures import HEADER, signature_header



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


def _post_delivery(args: argparse.Namespace) -> requests.Response:
    """A commerce platform's sample delivery (a fixture), signed with the platform's scheme, happening now."""
    settings = local_settings()
    now = datetime.now(UTC)
    if args.kind == "stripe":
        delivery = signed_stripe_delivery(
            Path(args.fixture), args.secret or settings.stripe_webhook_secret, int(now.timestamp()), args.click_id, args.event_id, now=True
        )
    else:
        delivery = signed_shopify_delivery(Path(args.fixture), args.secret or settings.shopify_secret, args.click_id, args.event_id, at=now)
    return requests.post(f"{args.api_url.rstrip('/')}{delivery.path}", data=delivery.body, headers=delivery.headers, timeout=10)


def send(args: argparse.Namespace) -> int:
    """Post, print wom's answer (status line, then the JSON body) and exit 0 only on a 2xx."""
    try:
        if args.kind in ("stripe", "shopify"):
            response = _post_delivery(args)
        else:
            path, payload = ("/v1/conversions", conversion_payload(args)) if args.kind == "conversion" else ("/v1/refunds", refund_payload(args))
            response = send_signed(args.api_url, path, payload, args.secret or local_settings().signing_secret)
    except requests.RequestException as error:
        print(f"wom send: cannot reach {args.api_url} ({error.__class__.__name__}); is `wom run` running?", file=sys.stderr)
        return 1
    print(f"HTTP {response.status_code}", file=sys.stderr)
    print(response.text)
    return 0 if response.ok else 1


def add_send_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "send",
        help="sign and post a conversion or a refund, as a storefront backend would",
        description=(
            "Sign with --secret, else $WOM_SIGNING_SECRET, else the local mode default; post to --api-url, "
            "else $WOM_API_URL, else local mode's API."
        ),
    )
    parser.add_argument("--api-url", default=local_settings().api_url, help="the API's base URL")
    parser.add_argument("--secret", help="the signing secret (prefer $WOM_SIGNING_SECRET: arguments show in ps)")
    kinds = parser.add_subparsers(dest="kind", metavar="<conversion|refund|stripe|shopify>", required=True)

    conversion = kinds.add_parser("conversion", help="POST /v1/conversions")
    conversion.add_argument("--order-id", required=True)
    conversion.add_argument("--amount", required=True, type=int, help="in minor units (cents)")
    conversion.add_argument("--currency", default="USD")
    conversion.add_argument("--customer-id", required=True)
    conversion.add_argument("--customer-email")
    conversion.add_argument("--click-id", help="the wom_click value from the landing URL")
    conversion.add_argument("--referral-code", help="a referral code typed at checkout")
    conversion.add_argument("--occurred-at", help="ISO-8601, default now")

    refund = kinds.add_parser("refund", help="POST /v1/refunds")
    refund.add_argument("--refund-id", required=True)
    refund.add_argument("--order-id", required=True)
    refund.add_argument("--amount", required=True, type=int, help="in minor units (cents)")
    refund.add_argument("--occurred-at", help="ISO-8601, default now")

    for platform, secret_env, what in (
        ("stripe", "WOM_STRIPE_WEBHOOK_SECRET", "a Stripe event (the event object, e.g. tests/fixtures/webhooks/stripe/*.json)"),
        ("shopify", "WOM_SHOPIFY_SECRET", "a Shopify delivery ({headers, body}, e.g. tests/fixtures/webhooks/shopify/*.json)"),
    ):
        webhook = kinds.add_parser(
            platform,
            help=f"POST /v1/webhooks/{platform}: {what}, signed as {platform.capitalize()} signs (secret: --secret, else ${secret_env})",
        )
        webhook.add_argument("fixture", help="the JSON file to send")
        webhook.add_argument("--click-id", help="put this wom_click where a store would (session, metadata or note attributes)")
        webhook.add_argument("--event-id", help="send it as a new delivery with this id (default: the file's own, a redelivery)")
    parser.set_defaults(handler=send)
