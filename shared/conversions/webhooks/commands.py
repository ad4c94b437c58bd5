"""What a platform's webhook asks wom to do, once translated: plain frozen values, no I/O.

A thin route verifies the signature, translates the body into one of these, and hands it to the conversion and
refund service. Amounts are integer minor units of `currency` (ISO 4217, upper case). Ids are the platform's own,
unprefixed, so a store that enrols advocates with its Stripe or Shopify customer ids gets self-referral checks.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from shared.conversions.models import HEARD_FROM
from shared.platform.clock import iso
from shared.platform.ids import is_valid_code
from shared.platform.keys import parse_click_id

Source = Literal["stripe", "shopify"]  # the webhook sources of shared.conversions.models.ConversionSource

MAX_CODE_CANDIDATES = 5
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")  # the shape ConversionRequest accepts


@dataclass(frozen=True, slots=True)
class Attribution:
    """What the buyer brought with them. Every value is already checked to be of wom's shape (or dropped)."""

    click_id: str | None = None
    referral_code: str | None = None
    # Discount codes typed at checkout (Shopify): the service keeps the first that is an advocate's code.
    code_candidates: tuple[str, ...] = ()
    heard_from: str | None = None

    @property
    def empty(self) -> bool:
        return not (self.click_id or self.referral_code or self.code_candidates)

    def or_else(self, fallback: Attribution | None) -> Attribution:
        """This attribution, its gaps filled from another (an invoice's own metadata before its subscription's hint)."""
        if fallback is None:
            return self
        return Attribution(
            click_id=self.click_id or fallback.click_id,
            referral_code=self.referral_code or fallback.referral_code,
            code_candidates=self.code_candidates or fallback.code_candidates,
            heard_from=self.heard_from or fallback.heard_from,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Delivery:
    """Every command names its platform and the delivery's idempotency key (Stripe event id, Shopify webhook id)."""

    source: Source
    event_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Purchase(Delivery):
    """A paid order: a conversion for the service (SPEC §3.2's fields, plus where it came from)."""

    order_id: str
    amount: int
    currency: str
    # None when the platform knows no customer object (guest checkout): then the buyer is the email's hash.
    customer_id: str | None
    customer_email: str | None
    attribution: Attribution
    occurred_at: datetime | None
    # Stripe subscriptions: the subscription the invoice bills, so a checkout's attribution can be found for it.
    subscription_id: str | None = None
    billing_reason: str | None = None
    # Other names the platform uses for this order's payment (payment intents, charges): a refund names these.
    payment_refs: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class SubscriptionCheckout(Delivery):
    """A Stripe Checkout session in subscription mode. It records no purchase: the subscription's paid invoices do
    (`invoice.paid`), so a trial that converts is counted once, when money is paid. What it carries is the
    attribution (a Payment Link's `client_reference_id` lives only on the session) for those invoices to use."""

    subscription_id: str
    first_invoice_id: str | None
    customer_id: str | None
    customer_email: str | None
    attribution: Attribution
    occurred_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderPayment(Delivery):
    """Stripe `invoice_payment.paid`: this payment intent (or charge) paid this invoice. Current Stripe API versions
    put the link nowhere else, and a `charge.refunded` names only the payment intent."""

    order_id: str
    payment_refs: tuple[str, ...]
    occurred_at: datetime


@dataclass(frozen=True, slots=True)
class KnownRefund:
    refund_id: str
    amount: int
    status: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class RefundTotal(Delivery):
    """Stripe `charge.refunded`: the charge's refunded total so far. The service records `refunded_total` minus what
    it already holds for the order as one refund named `refund_id`, and nothing when that is zero or less (a late,
    out-of-order or repeated event), so no sequence of events can count a refund twice."""

    # The order this charge paid, under each name it may be recorded by, most specific first.
    order_refs: tuple[str, ...]
    charge_id: str
    refunded_total: int
    currency: str
    refund_id: str
    occurred_at: datetime
    refunds: tuple[KnownRefund, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Refund(Delivery):
    """A refund with its own id and amount (Shopify `refunds/create`), as `POST /v1/refunds` takes it."""

    refund_id: str
    order_id: str
    amount: int
    currency: str
    occurred_at: datetime | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Erasure(Delivery):
    """Shopify `customers/redact`: erase this customer as `DELETE /v1/customers/{id}` does. Shopify sometimes sends
    only an email; then `customer_id` is None and the service finds the person by the email's hash."""

    customer_id: str | None
    customer_email: str | None
    order_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Acknowledged(Delivery):
    """Nothing to do: answer 200 so the platform stops retrying. `reason` is for the log, not for the caller."""

    event_type: str
    reason: str


Command = Purchase | SubscriptionCheckout | OrderPayment | RefundTotal | Refund | Erasure | Acknowledged


# ---- shaping what the platforms send into wom's shapes (shared by both translators) ----


def click_id_or_none(value: str | None) -> str | None:
    value = (value or "").strip()
    return value if value and parse_click_id(value) else None


def click_id_from_reference(value: str | None) -> str | None:
    """A click id in a field that allows only letters, digits, `-` and `_` (a Stripe Payment Link's
    `?client_reference_id=` silently drops anything else): the `.` may be written `_` or `-`."""
    value = (value or "").strip()
    return click_id_or_none(value) or click_id_or_none(value.replace("_", ".", 1)) or click_id_or_none(value.replace("-", ".", 1))


def referral_code_or_none(value: str | None) -> str | None:
    value = (value or "").strip().lower()
    return value if value and is_valid_code(value) else None


def heard_from_or_none(value: str | None) -> str | None:
    """A survey answer: one of SPEC §3.2's values; an unknown non-empty answer is `other`, an empty one None."""
    value = (value or "").strip().lower().replace("-", "_").replace(" ", "_")
    if not value:
        return None
    return value if value in HEARD_FROM else "other"


def email_or_none(value: str | None) -> str | None:
    value = (value or "").strip()
    return value if len(value) <= 254 and _EMAIL.match(value) else None


def code_candidates(values: list[str]) -> tuple[str, ...]:
    """Discount codes that could be an advocate's: wom's code shape, lower-cased, first few, no repeats."""
    seen: list[str] = []
    for value in values:
        code = referral_code_or_none(value)
        if code and code not in seen:
            seen.append(code)
    return tuple(seen[:MAX_CODE_CANDIDATES])


# ---- handing a purchase to the conversion service ----


def buyer_id(purchase: Purchase, hash_email: Callable[[str], str]) -> str:
    """The customer_id wom records: the platform's customer, else the email's keyed hash (the service's key), else
    a per-order guest (an anonymous buyer is a new customer each time)."""
    if purchase.customer_id:
        return purchase.customer_id
    if purchase.customer_email:
        return hash_email(purchase.customer_email)
    return f"{purchase.source}-guest:{purchase.order_id}"


def conversion_body(purchase: Purchase, customer_id: str) -> dict[str, Any]:
    """The `POST /v1/conversions` body (SPEC §3.2) this purchase stands for: what the service validates, hashes for
    idempotency and stores. Only what is stable across redeliveries of one order goes in, so a repeat replays."""
    body: dict[str, Any] = {
        "order_id": purchase.order_id,
        "amount": purchase.amount,
        "currency": purchase.currency,
        "customer_id": customer_id,
    }
    optional = {
        "occurred_at": iso(purchase.occurred_at) if purchase.occurred_at else None,
        "customer_email": purchase.customer_email,
        "click_id": purchase.attribution.click_id,
        "referral_code": purchase.attribution.referral_code,
        "heard_from": purchase.attribution.heard_from,
    }
    body.update({name: value for name, value in optional.items() if value is not None})
    return body
