"""Server-to-server routes: storefront posts signed with Wom-Signature (SPEC §3.2), checked before anything else in the
handler, and the commerce platforms' webhooks (SPEC §3.4), each checking its platform's signature over the raw body."""

from __future__ import annotations

import base64

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from shared import wiring
from shared.conversions.models import ConversionRequest, ConversionResult, RefundRequest, RefundResult, WebhookReceipt
from shared.conversions.webhooks.shopify import read_shopify_webhook
from shared.conversions.webhooks.stripe import HEADER as STRIPE_SIGNATURE
from shared.conversions.webhooks.stripe import read_stripe_webhook
from shared.platform.http import answer, problem

router = APIGatewayHttpRouter()


def _answer(status: int, body: str) -> Response:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=body)


@router.post(
    "/v1/conversions",
    summary="Report a purchase (signed); idempotent by order_id, forever",
    responses={
        201: answer(ConversionResult, "Recorded"),
        200: answer(ConversionResult, "Replay of an earlier identical post: the identical body"),
        409: problem("The order_id was recorded with a different body"),
    },
)
def record_conversion(conversion: ConversionRequest):
    return _answer(*wiring.conversions().record_conversion(conversion, router.current_event.json_body))


@router.post(
    "/v1/refunds",
    summary="Report a refund (signed); idempotent by refund_id",
    responses={
        201: answer(RefundResult, "Recorded"),
        200: answer(RefundResult, "Replay of an earlier identical post"),
        404: problem("Unknown order"),
        409: problem("Different body for the refund_id, or refunds beyond the order's amount"),
    },
)
def record_refund(refund: RefundRequest):
    return _answer(*wiring.conversions().record_refund(refund, router.current_event.json_body))


_RECEIPT = answer(WebhookReceipt, "Received (also for a redelivery, and for events wom does not handle)")


def _raw_body() -> bytes:
    event = router.current_event
    body = event.body or ""
    return base64.b64decode(body) if event.is_base64_encoded else body.encode()


def _receipt(answer: dict) -> Response:
    return Response(status_code=200, content_type=content_types.APPLICATION_JSON, body=WebhookReceipt.model_validate(answer).model_dump_json())


@router.post(
    "/v1/webhooks/stripe",
    summary="Stripe webhook endpoint: checkout sessions, paid invoices, refunded charges (Stripe-Signature)",
    responses={200: _RECEIPT, 400: problem("Missing, stale or wrong Stripe-Signature, or a malformed event")},
)
def stripe_webhook():
    headers = router.current_event.headers or {}
    signature = next((value for name, value in headers.items() if name.lower() == STRIPE_SIGNATURE.lower()), None)
    command = read_stripe_webhook(_raw_body(), signature, wiring.stripe_webhook_secrets(), wiring.now().timestamp())
    return _receipt(wiring.webhooks().handle(command))


@router.post(
    "/v1/webhooks/shopify",
    summary="Shopify webhook endpoint: paid orders, refunds and the privacy topics (X-Shopify-Hmac-Sha256)",
    responses={200: _RECEIPT, 400: problem("A malformed delivery"), 401: problem("Missing or wrong X-Shopify-Hmac-Sha256")},
)
def shopify_webhook():
    command = read_shopify_webhook(router.current_event.headers or {}, _raw_body(), wiring.shopify_secrets())
    return _receipt(wiring.webhooks().handle(command))
