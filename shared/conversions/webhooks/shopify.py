"""Shopify webhooks: the `X-Shopify-Hmac-Sha256` check and the translation of topics into wom commands (SPEC §3.4).

Topics (`X-Shopify-Topic`): `orders/paid` (a purchase), `refunds/create` (a refund), the mandatory privacy topics
`customers/redact` (an erasure), `customers/data_request` and `shop/redact` (acknowledged); any other topic is
acknowledged and ignored. The idempotency key is `X-Shopify-Webhook-Id`. Shopify's money is decimal strings in
the order's currency; they become integer minor units by the currency's ISO 4217 exponent.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Callable, Iterable, Mapping
from urllib.parse import parse_qs, urlsplit

from shared.conversions.webhooks.commands import (
    Acknowledged,
    Attribution,
    Command,
    Erasure,
    Purchase,
    Refund,
    click_id_or_none,
    code_candidates,
    email_or_none,
    heard_from_or_none,
    referral_code_or_none,
)
from shared.conversions.webhooks.currencies import currency_code, minor_units
from shared.conversions.webhooks.payload import Doc, invalid, parse_json_object
from shared.platform.errors import InvalidRequest, Unauthorized

HMAC_HEADER = "X-Shopify-Hmac-Sha256"
TOPIC_HEADER = "X-Shopify-Topic"
WEBHOOK_ID_HEADER = "X-Shopify-Webhook-Id"
SOURCE = "shopify"


def shopify_hmac(secret: str, raw_body: bytes) -> str:
    """The `X-Shopify-Hmac-Sha256` value: base64 of HMAC-SHA256 of the raw body under the app's client secret."""
    return base64.b64encode(hmac.new(secret.encode(), raw_body, hashlib.sha256).digest()).decode()


def verify_shopify_hmac(header: str | None, raw_body: bytes, secrets: Iterable[str]) -> None:
    """Raise Unauthorized (SPEC §3.4: 401) unless the header is the HMAC of the body under one live secret.

    Several secrets, because after a client-secret rotation Shopify may keep signing with the old one for up to an
    hour. The decoded digests are compared, each in constant time, without stopping at the first match.
    """
    if not header or not header.strip():
        raise Unauthorized("the X-Shopify-Hmac-Sha256 header is missing", code="missing_signature")
    try:
        given = base64.b64decode(header.strip(), validate=True)
    except (binascii.Error, ValueError):
        given = b""
    matched = False
    for secret in secrets:
        if secret:
            matched |= hmac.compare_digest(given, hmac.new(secret.encode(), raw_body, hashlib.sha256).digest())
    if not matched:
        raise Unauthorized("the X-Shopify-Hmac-Sha256 matches none of the app's client secrets", code="invalid_signature")


def header_value(headers: Mapping[str, str], name: str) -> str | None:
    """Header names are case-insensitive (HTTP/2 and API Gateway lower-case them)."""
    wanted = name.lower()
    return next((value for key, value in headers.items() if key.lower() == wanted), None)


def read_shopify_webhook(headers: Mapping[str, str], raw_body: bytes, secrets: Iterable[str]) -> Command:
    """Verify, then translate: what the route calls with the request's headers and raw body."""
    verify_shopify_hmac(header_value(headers, HMAC_HEADER), raw_body, secrets)
    return translate_shopify_webhook(header_value(headers, TOPIC_HEADER), header_value(headers, WEBHOOK_ID_HEADER), raw_body)


def translate_shopify_webhook(topic: str | None, webhook_id: str | None, raw_body: bytes) -> Command:
    """One Shopify delivery (already verified) as a wom command; a malformed one raises InvalidRequest."""
    topic = (topic or "").strip().lower()
    if not topic:
        raise InvalidRequest("the X-Shopify-Topic header is missing", code="missing_topic")
    webhook_id = (webhook_id or "").strip()
    if not webhook_id or len(webhook_id) > 255:
        raise InvalidRequest("the X-Shopify-Webhook-Id header is missing or too long", code="missing_webhook_id")
    if topic in _ACKNOWLEDGED:
        # Nothing in these bodies changes what wom does, so they are not read.
        return Acknowledged(source=SOURCE, event_id=webhook_id, event_type=topic, reason=_ACKNOWLEDGED[topic])
    translate = _TOPICS.get(topic)
    if translate is None:
        return Acknowledged(source=SOURCE, event_id=webhook_id, event_type=topic, reason="topic not handled")
    return translate(webhook_id, Doc(parse_json_object(raw_body, "Shopify webhook"), ""))


def _note_attributes(order: Doc) -> dict[str, str]:
    """Cart attributes (`/cart/update.js` `attributes[wom_click]`) arrive as `note_attributes: [{name, value}]`."""
    notes: dict[str, str] = {}
    for item in order.objects("note_attributes"):
        name, value = item.get("name"), item.get("value")
        if isinstance(name, str) and isinstance(value, str):
            notes.setdefault(name.strip(), value)
    return notes


def _landing_query(order: Doc) -> dict[str, str]:
    """The query of the page the buyer first landed on, where `/r/{code}` put `wom_click` and `wom_ref`."""
    landing_site = order.text("landing_site", max_length=8192)
    if not landing_site:
        return {}
    try:
        query = parse_qs(urlsplit(landing_site).query)
    except ValueError:  # a malformed URL (an unbalanced "[" in a host, say) attributes nothing
        return {}
    return {name: values[0] for name, values in query.items() if values}


def _order_attribution(order: Doc) -> Attribution:
    notes, landing = _note_attributes(order), _landing_query(order)
    discount_codes = [item.get("code") for item in order.objects("discount_codes")]
    from_notes = Attribution(
        click_id=click_id_or_none(notes.get("wom_click")),
        referral_code=referral_code_or_none(notes.get("wom_ref")),
        heard_from=heard_from_or_none(notes.get("wom_heard_from")),
    )
    from_landing = Attribution(click_id=click_id_or_none(landing.get("wom_click")), referral_code=referral_code_or_none(landing.get("wom_ref")))
    from_codes = Attribution(code_candidates=code_candidates([code for code in discount_codes if isinstance(code, str)]))
    return from_notes.or_else(from_landing).or_else(from_codes)


def _order_email(order: Doc, customer: Doc | None) -> str | None:
    candidates = (order.text("email"), order.text("contact_email"), customer.text("email") if customer else None)
    return next((email for email in map(email_or_none, candidates) if email), None)


def _orders_paid(webhook_id: str, order: Doc) -> Command:
    currency = currency_code(order.text("currency"), "currency")
    if order.get("total_price") is None:
        raise invalid("total_price", "is missing")
    amount = minor_units(order.get("total_price"), currency, "total_price")
    order_id = order.identifier("id", required=True)
    if amount == 0:
        return Acknowledged(source=SOURCE, event_id=webhook_id, event_type="orders/paid", reason="nothing was paid (a fully discounted order)")
    customer = order.obj("customer")
    return Purchase(
        source=SOURCE,
        event_id=webhook_id,
        order_id=order_id,
        amount=amount,
        currency=currency,
        customer_id=customer.identifier("id") if customer else None,
        customer_email=_order_email(order, customer),
        attribution=_order_attribution(order),
        occurred_at=order.iso_time("processed_at") or order.iso_time("created_at"),
    )


def _refunds_create(webhook_id: str, refund: Doc) -> Command:
    refund_id = refund.identifier("id", required=True)
    order_id = refund.identifier("order_id", required=True)
    # Only money that went back: a restock-only refund has no such transaction, a failed one has another status.
    returned = [item for item in refund.objects("transactions") if item.get("kind") == "refund" and item.get("status") == "success"]
    if not returned:
        return Acknowledged(source=SOURCE, event_id=webhook_id, event_type="refunds/create", reason="no money was refunded")
    currencies = {currency_code(item.text("currency"), f"{item.where}.currency") for item in returned}
    if len(currencies) != 1:
        raise invalid("transactions", "refund money in more than one currency")
    currency = currencies.pop()
    amount = 0
    for item in returned:
        if item.get("amount") is None:
            raise invalid(f"{item.where}.amount", "is missing")
        amount += minor_units(item.get("amount"), currency, f"{item.where}.amount")
    if amount == 0:
        return Acknowledged(source=SOURCE, event_id=webhook_id, event_type="refunds/create", reason="no money was refunded")
    return Refund(
        source=SOURCE,
        event_id=webhook_id,
        refund_id=refund_id,
        order_id=order_id,
        amount=amount,
        currency=currency,
        occurred_at=refund.iso_time("processed_at") or refund.iso_time("created_at"),
    )


def _customers_redact(webhook_id: str, request: Doc) -> Command:
    customer = request.obj("customer", required=True)
    customer_id = customer.identifier("id")
    customer_email = email_or_none(customer.text("email"))
    if customer_id is None and customer_email is None:
        raise invalid("customer", "names neither an id nor an email")
    orders = request.get("orders_to_redact")
    order_ids = tuple(str(order) for order in orders if type(order) is int or isinstance(order, str)) if isinstance(orders, list) else ()
    return Erasure(source=SOURCE, event_id=webhook_id, customer_id=customer_id, customer_email=customer_email, order_ids=order_ids)


_TOPICS: dict[str, Callable[[str, Doc], Command]] = {
    "orders/paid": _orders_paid,
    "refunds/create": _refunds_create,
    "customers/redact": _customers_redact,
}

_ACKNOWLEDGED = {
    # wom keeps ids and keyed hashes, no profile to send: the operator answers the shop owner from the admin API.
    "customers/data_request": "data request acknowledged; wom holds no personal data beyond ids and keyed hashes",
    # One deployment serves one store; removing the store's data is removing the stack.
    "shop/redact": "shop redaction acknowledged; one deployment serves one store",
}

HANDLED_TOPICS = (*_TOPICS, *_ACKNOWLEDGED)
