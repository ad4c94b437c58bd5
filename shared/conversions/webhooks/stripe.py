"""Stripe webhooks: the `Stripe-Signature` check and the translation of events into wom commands (SPEC §3.4).

Handled event types (everything else is acknowledged and ignored):
- `checkout.session.completed` / `checkout.session.async_payment_succeeded`, payment mode, once paid: a purchase;
  order = the session's `payment_intent`, else its `id`. Subscription mode: no purchase (the paid invoices are the
  purchases), only the session's attribution for the subscription's invoices (`SubscriptionCheckout`).
- `invoice.paid` of a subscription with `amount_paid > 0`: a purchase, order = the invoice `id`. A trial's $0 invoice is ignored, so a
  trial that converts is counted once, at its first paid invoice; later invoices are that customer's repeat purchases.
- `invoice_payment.paid`: which payment intent paid which invoice, so a refund of that payment finds its invoice.
- `charge.refunded`: the charge's refunded total, for the service to turn into a refund of what is new.

Amounts are Stripe's minor units as sent (zero-decimal currencies such as JPY are already whole units).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from shared.conversions.signatures import signature_header, verify_signature
from shared.conversions.webhooks.commands import (
    Acknowledged,
    Attribution,
    Command,
    KnownRefund,
    OrderPayment,
    Purchase,
    RefundTotal,
    SubscriptionCheckout,
    click_id_from_reference,
    click_id_or_none,
    email_or_none,
    heard_from_or_none,
    referral_code_or_none,
)
from shared.conversions.webhooks.currencies import currency_code
from shared.conversions.webhooks.payload import Doc, invalid, parse_json_object
from shared.platform.errors import InvalidRequest, Unauthorized

HEADER = "Stripe-Signature"
SOURCE = "stripe"

_SIGNATURE_MESSAGES = {
    "missing_signature": "the Stripe-Signature header is missing",
    "stale_signature": "the Stripe-Signature timestamp is more than 300 s from wom's clock",
    "invalid_signature": "the Stripe-Signature is malformed or matches none of this endpoint's signing secrets",
}


def stripe_signature_header(secret: str, timestamp: int, raw_body: bytes) -> str:
    """`t=<timestamp>,v1=<hex HMAC-SHA256>` exactly as Stripe signs: the whole `whsec_…` string is the key."""
    return signature_header(secret, timestamp, raw_body)


def verify_stripe_signature(header: str | None, raw_body: bytes, secrets: Iterable[str], now: float) -> None:
    """Raise InvalidRequest (SPEC §3.4: 400) unless one `v1` matches one live secret within 300 s either way.

    Stripe's scheme is the one wom's own `Wom-Signature` uses (constant-time, several `v1` values and several
    secrets during a rotation), so the one check serves both; only the answer differs (400 here, 401 there).
    Stricter than Stripe's own libraries in one way: a timestamp more than 300 s in the future is refused too.
    """
    try:
        verify_signature(header, raw_body, secrets, now)
    except Unauthorized as error:
        raise InvalidRequest(_SIGNATURE_MESSAGES.get(error.code, error.message), code=error.code) from None


def read_stripe_webhook(raw_body: bytes, signature: str | None, secrets: Iterable[str], now: float) -> Command:
    """Verify, then translate: what the route calls with the raw request body and the `Stripe-Signature` header."""
    verify_stripe_signature(signature, raw_body, secrets, now)
    return translate_stripe_event(raw_body)


def translate_stripe_event(raw_body: bytes) -> Command:
    """One Stripe event (already verified) as a wom command; a malformed one raises InvalidRequest."""
    event = Doc(parse_json_object(raw_body, "Stripe event"), "")
    if event.get("object") != "event":
        raise invalid("object", "must be \"event\" (a Stripe event, as sent to a webhook endpoint)")
    event_id = event.identifier("id", required=True, max_length=255)
    event_type = event.text("type", required=True, max_length=255)
    created = event.timestamp("created", required=True)
    handler = _HANDLERS.get(event_type)
    if handler is None:
        return Acknowledged(source=SOURCE, event_id=event_id, event_type=event_type, reason="event type not handled")
    expected_object, translate = handler
    target = event.obj("data", required=True).obj("object", required=True)
    if target.get("object") != expected_object:
        raise invalid(f"{target.where}.object", f"must be {expected_object!r} for a {event_type} event")
    return translate(_Event(event_id, event_type, created), target)


class _Event:
    __slots__ = ("id", "type", "created")

    def __init__(self, event_id: str, event_type: str, created: datetime) -> None:
        self.id = event_id
        self.type = event_type
        self.created = created

    def ignored(self, reason: str) -> Acknowledged:
        return Acknowledged(source=SOURCE, event_id=self.id, event_type=self.type, reason=reason)


def _metadata_attribution(metadata: dict[str, str]) -> Attribution:
    return Attribution(
        click_id=click_id_or_none(metadata.get("wom_click")),
        referral_code=referral_code_or_none(metadata.get("wom_ref")),
        heard_from=heard_from_or_none(metadata.get("wom_heard_from")),
    )


def _session_attribution(session: Doc) -> Attribution:
    # client_reference_id is the store's free-form field: a wom click id (or a referral code) when the store put one
    # there (Checkout's client_reference_id, a Payment Link's ?client_reference_id=), else something of its own.
    reference = session.text("client_reference_id")
    from_reference = Attribution(click_id=click_id_from_reference(reference), referral_code=referral_code_or_none(reference))
    return from_reference.or_else(_metadata_attribution(session.string_map("metadata")))


def _session_email(session: Doc) -> str | None:
    details = session.obj("customer_details")
    return email_or_none(details.text("email") if details else None) or email_or_none(session.text("customer_email"))


def _checkout_session(event: _Event, session: Doc) -> Command:
    mode = session.text("mode", required=True)
    if mode == "subscription":
        subscription_id = session.identifier("subscription")
        if subscription_id is None:
            return event.ignored("a subscription-mode session without a subscription")
        return SubscriptionCheckout(
            source=SOURCE,
            event_id=event.id,
            subscription_id=subscription_id,
            first_invoice_id=session.identifier("invoice"),
            customer_id=session.identifier("customer"),
            customer_email=_session_email(session),
            attribution=_session_attribution(session),
            occurred_at=event.created,
        )
    if mode != "payment":
        return event.ignored(f"a {mode}-mode session buys nothing")
    payment_status = session.text("payment_status")
    if payment_status != "paid":
        # "unpaid": a delayed method (bank debit); checkout.session.async_payment_succeeded brings the purchase.
        return event.ignored(f"payment_status is {payment_status!r}: nothing is paid yet")
    amount = session.integer("amount_total")
    if amount == 0:
        return event.ignored("nothing was paid (a fully discounted order)")
    payment_intent = session.identifier("payment_intent")
    return Purchase(
        source=SOURCE,
        event_id=event.id,
        order_id=payment_intent or session.identifier("id", required=True),
        amount=amount,
        currency=currency_code(session.text("currency"), f"{session.where}.currency"),
        customer_id=session.identifier("customer"),
        customer_email=_session_email(session),
        attribution=_session_attribution(session),
        occurred_at=event.created,
    )


def _subscription_details(invoice: Doc) -> Doc | None:
    # API 2025-03-31.basil and later: invoice.parent.subscription_details; earlier: invoice.subscription_details.
    parent = invoice.obj("parent")
    details = parent.obj("subscription_details") if parent else None
    return details or invoice.obj("subscription_details")


def _paid_at(paid: Doc) -> datetime | None:
    """When an invoice (or an invoice payment) was paid: the same on every event about it, unlike the event's time."""
    transitions = paid.obj("status_transitions")
    return transitions.timestamp("paid_at") if transitions else None


def _invoice_payment_refs(invoice: Doc) -> tuple[str, ...]:
    refs = [invoice.identifier("payment_intent"), invoice.identifier("charge")]  # before basil
    payments = invoice.obj("payments")  # basil and later, only when the list is included
    for item in payments.objects("data") if payments else []:
        payment = item.obj("payment")
        if payment:
            refs += [payment.identifier("payment_intent"), payment.identifier("charge")]
    return tuple(dict.fromkeys(ref for ref in refs if ref))


def _invoice_paid(event: _Event, invoice: Doc) -> Command:
    amount = invoice.integer("amount_paid")
    if amount == 0:
        return event.ignored("nothing was paid (a trial's $0 invoice, or one settled by credit)")
    details = _subscription_details(invoice)
    subscription_id = (details.identifier("subscription") if details else None) or invoice.identifier("subscription")
    if subscription_id is None:
        # A one-off invoice: Checkout's post-payment invoice (invoice_creation) bills a sale its session already
        # recorded, so counting invoices outside subscriptions would count those sales twice.
        return event.ignored("not a subscription's invoice: one-off sales are recorded from their Checkout session")
    attribution = _metadata_attribution(invoice.string_map("metadata"))
    if details:
        attribution = attribution.or_else(_metadata_attribution(details.string_map("metadata")))
    lines = invoice.obj("lines")
    for line in lines.objects("data") if lines else []:
        # A subscription line's metadata mirrors the subscription's: the place older invoices carry it.
        attribution = attribution.or_else(_metadata_attribution(line.string_map("metadata")))
    return Purchase(
        source=SOURCE,
        event_id=event.id,
        order_id=invoice.identifier("id", required=True),
        amount=amount,
        currency=currency_code(invoice.text("currency"), f"{invoice.where}.currency"),
        customer_id=invoice.identifier("customer"),
        customer_email=email_or_none(invoice.text("customer_email")),
        attribution=attribution,
        occurred_at=_paid_at(invoice) or event.created,
        subscription_id=subscription_id,
        billing_reason=invoice.text("billing_reason", max_length=64),
        payment_refs=_invoice_payment_refs(invoice),
    )


def _invoice_payment_paid(event: _Event, invoice_payment: Doc) -> Command:
    status = invoice_payment.text("status")
    if status not in (None, "paid"):
        return event.ignored(f"invoice payment status is {status!r}")
    payment = invoice_payment.obj("payment", required=True)
    refs = tuple(ref for ref in (payment.identifier("payment_intent"), payment.identifier("charge")) if ref)
    if not refs:
        return event.ignored("the invoice payment names no payment intent or charge")
    return OrderPayment(
        source=SOURCE,
        event_id=event.id,
        order_id=invoice_payment.identifier("invoice", required=True),
        payment_refs=refs,
        occurred_at=_paid_at(invoice_payment) or event.created,
    )


def _known_refunds(charge: Doc) -> list[tuple[int, KnownRefund]]:
    """`refunds.data` with each refund's creation time, where the payload carries it (API versions before 2022-11-15
    did by default; later ones leave `refunds` out)."""
    refunds = charge.obj("refunds")
    known = []
    for item in refunds.objects("data") if refunds else []:
        refund = KnownRefund(
            refund_id=item.identifier("id", required=True, max_length=128),
            amount=item.integer("amount"),
            status=item.text("status", max_length=64),
        )
        known.append((item.integer("created", required=False) or 0, refund))
    return known


def _charge_refunded(event: _Event, charge: Doc) -> Command:
    refunded_total = charge.integer("amount_refunded")
    if refunded_total == 0:
        return event.ignored("nothing is refunded on this charge")
    charge_id = charge.identifier("id", required=True)
    # payment_intent names checkout orders (and, through invoice_payment.paid, invoices); charge.invoice existed
    # before API 2025-03-31.basil; the charge itself names a payment made without a payment intent.
    names = (charge.identifier("payment_intent"), charge.identifier("invoice"), charge_id)
    order_refs = tuple(dict.fromkeys(name for name in names if name))
    known = _known_refunds(charge)
    live = [(created, refund) for created, refund in known if refund.status not in ("failed", "canceled")]
    # Each charge.refunded follows one refund: name the new total after it (the newest refund), or, where the
    # payload lists none, after the charge and the total it reached: the same on every redelivery of the event.
    newest = max(live, key=lambda pair: pair[0], default=None)
    refund_id = newest[1].refund_id if newest else f"{charge_id}:refunded:{refunded_total}"
    return RefundTotal(
        source=SOURCE,
        event_id=event.id,
        order_refs=order_refs,
        charge_id=charge_id,
        refunded_total=refunded_total,
        currency=currency_code(charge.text("currency"), f"{charge.where}.currency"),
        refund_id=refund_id,
        occurred_at=event.created,
        refunds=tuple(refund for _, refund in known),
    )


_HANDLERS: dict[str, tuple[str, Callable[[_Event, Doc], Command]]] = {
    "checkout.session.completed": ("checkout.session", _checkout_session),
    "checkout.session.async_payment_succeeded": ("checkout.session", _checkout_session),
    "invoice.paid": ("invoice", _invoice_paid),
    "invoice_payment.paid": ("invoice_payment", _invoice_payment_paid),
    "charge.refunded": ("charge", _charge_refunded),
}

HANDLED_EVENT_TYPES = tuple(_HANDLERS)
