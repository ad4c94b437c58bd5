"""Commerce webhooks (SPEC §3.4): a translated Stripe or Shopify delivery handed to the same conversion and refund
service as `POST /v1/conversions` and `/v1/refunds` — same attribution, idempotency, rewards and metrics.

Each delivery is answered once and that answer kept, so a redelivery (the platforms retry until they get a 2xx)
gets it again without doing anything. What the platform cannot fix by retrying (an order wom never saw, a refund
beyond the order, an order already recorded with another body) is answered 200 with what happened, so the
platform stops retrying; what wom can fix by being asked again (storage unavailable) is left to its retry.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from shared.conversions.attribution import Referrer, reported_time
from shared.conversions.models import ConversionRequest, RefundRequest
from shared.conversions.service import ConversionService
from shared.conversions.webhooks.commands import (
    Acknowledged,
    Attribution,
    Command,
    Erasure,
    OrderPayment,
    Purchase,
    Refund,
    RefundTotal,
    SubscriptionCheckout,
    buyer_id,
    conversion_body,
)
from shared.conversions.webhooks.repository import WebhookRepository
from shared.platform.clock import Clock, iso
from shared.platform.errors import Conflict, InvalidRequest, NotFound
from shared.platform.privacy import email_hash

# A refund total recomputed this many times at the most when a concurrent refund of the same order got in first.
_REFUND_ATTEMPTS = 3


class WebhookService:
    def __init__(
        self,
        conversions: ConversionService,
        webhooks: WebhookRepository,
        find_referrer: Callable[[str], Referrer | None],
        hash_key: Callable[[], bytes],
        clock: Clock,
        erase_customer: Callable[[str], dict[str, Any]] | None = None,
    ) -> None:
        self.conversions = conversions
        self.webhooks = webhooks
        self.find_referrer = find_referrer
        self.hash_key = hash_key
        self.clock = clock
        self.erase_customer = erase_customer

    def handle(self, command: Command) -> dict[str, Any]:
        """The delivery's answer: `{"received": true, "event_id", "outcome", …}`, the same for every redelivery."""
        kept = self.webhooks.delivery_answer(command.source, command.event_id)
        if kept is not None:
            return kept
        answer = {"received": True, "event_id": command.event_id, **self._outcome(command)}
        self.webhooks.save_delivery_answer(command.source, command.event_id, answer, self.clock())
        return answer

    def _outcome(self, command: Command) -> dict[str, Any]:
        match command:
            case Acknowledged():
                return {"outcome": "ignored", "reason": command.reason}
            case Purchase():
                return self._purchase(command)
            case SubscriptionCheckout():
                self.webhooks.save_subscription_attribution(command.source, command.subscription_id, _plain(command.attribution))
                return {"outcome": "attribution_kept", "subscription_id": command.subscription_id}
            case OrderPayment():
                self.webhooks.save_payments(command.source, command.order_id, command.payment_refs)
                return {"outcome": "payment_linked", "order_id": command.order_id}
            case RefundTotal():
                return self._refund_total(command)
            case Refund():
                return self._refund(command.order_id, command.refund_id, command.amount, command.currency, command.occurred_at)
            case Erasure():
                return self._erasure(command)
        raise TypeError(f"no handling for {type(command).__name__}")

    # --- purchases -----------------------------------------------------------------------------------

    def _attribution(self, purchase: Purchase) -> Attribution:
        """The purchase's own attribution, its gaps filled from its subscription's checkout, and a discount code that
        is an advocate's taken as the referral code."""
        attribution = purchase.attribution
        if purchase.subscription_id:
            kept = self.webhooks.subscription_attribution(purchase.source, purchase.subscription_id)
            if kept:
                attribution = attribution.or_else(Attribution(**{**kept, "code_candidates": tuple(kept.get("code_candidates", ()))}))
        if not attribution.referral_code:
            code = next((c for c in attribution.code_candidates if self.find_referrer(c) is not None), None)
            if code:
                attribution = dataclasses.replace(attribution, referral_code=code)
        return attribution

    def _platform_time(self, occurred_at: datetime | None) -> datetime | None:
        """The platform's time of the purchase or refund, where wom's window takes it; else None (wom's receipt).
        A platform redelivers for days and pays orders created long before: its time must never refuse a delivery."""
        if occurred_at is None:
            return None
        try:
            return reported_time(occurred_at, self.clock())
        except InvalidRequest:
            return None

    def _purchase(self, purchase: Purchase) -> dict[str, Any]:
        purchase = dataclasses.replace(purchase, attribution=self._attribution(purchase), occurred_at=self._platform_time(purchase.occurred_at))
        customer_id = buyer_id(purchase, lambda email: email_hash(self.hash_key(), email))
        body = conversion_body(purchase, customer_id)
        try:
            request = ConversionRequest.model_validate(body)
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(part) for part in first.get("loc", ()))
            raise InvalidRequest(f"the {purchase.source} order cannot be recorded: {where}: {first['msg']}", code="invalid_webhook") from None
        self.webhooks.save_payments(purchase.source, purchase.order_id, purchase.payment_refs)
        try:
            _, response = self.conversions.record_conversion(request, body, source=purchase.source)
        except Conflict as conflict:
            # The order is recorded already, from another event or the store's own backend: nothing to add.
            return {"outcome": "already_recorded", "order_id": purchase.order_id, "reason": conflict.message}
        return {"outcome": "conversion_recorded", "conversion": json.loads(response)}

    # --- refunds -------------------------------------------------------------------------------------

    def _order_named_by(self, source: str, refs: tuple[str, ...]) -> str | None:
        for ref in refs:
            if self.conversions.order(ref) is not None:
                return ref
            order_id = self.webhooks.order_paid_by(source, ref)
            if order_id is not None:
                return order_id
        return None

    def _refund_total(self, total: RefundTotal) -> dict[str, Any]:
        """A charge's refunded total becomes a refund of what is new beyond what wom holds for the order, so no
        order of events, redeliveries or concurrent deliveries can count a refund twice."""
        order_id = self._order_named_by(total.source, total.order_refs)
        if order_id is None:
            return {"outcome": "unknown_order", "reason": "no recorded order is paid by this charge"}
        for _ in range(_REFUND_ATTEMPTS):
            order = self.conversions.order(order_id) or {}
            new = total.refunded_total - int(order.get("refunded_amount", 0))
            if new <= 0:
                return {"outcome": "nothing_new", "order_id": order_id}
            outcome = self._refund(order_id, total.refund_id, new, total.currency, total.occurred_at)
            if outcome.get("outcome") != "refund_exceeds_order":
                return outcome
        return outcome

    def _refund(self, order_id: str, refund_id: str, amount: int, currency: str, occurred_at: datetime | None) -> dict[str, Any]:
        order = self.conversions.order(order_id)
        if order is None:
            return {"outcome": "unknown_order", "order_id": order_id}
        if order["currency"] != currency:
            return {"outcome": "currency_differs", "order_id": order_id, "reason": f"the order was in {order['currency']}, the refund in {currency}"}
        body: dict[str, Any] = {"refund_id": refund_id, "order_id": order_id, "amount": amount}
        occurred_at = self._platform_time(occurred_at)
        if occurred_at is not None:
            body["occurred_at"] = iso(occurred_at)
        try:
            _, response = self.conversions.record_refund(RefundRequest.model_validate(body), body)
        except NotFound:
            return {"outcome": "unknown_order", "order_id": order_id}
        except Conflict as conflict:
            return {"outcome": conflict.code, "order_id": order_id, "reason": conflict.message}
        return {"outcome": "refund_recorded", "refund": json.loads(response)}

    # --- privacy -------------------------------------------------------------------------------------

    def _erasure(self, erasure: Erasure) -> dict[str, Any]:
        """Every name wom may have recorded this customer's purchases under (see `buyer_id`): the Shopify
        customer, their email's keyed hash, and the guest of each order Shopify asks to redact."""
        if self.erase_customer is None:
            raise RuntimeError("the webhook service was built without erasure")
        names = [erasure.customer_id] if erasure.customer_id else []
        if erasure.customer_email:
            names.append(email_hash(self.hash_key(), erasure.customer_email))
        names += [f"{erasure.source}-guest:{order_id}" for order_id in erasure.order_ids]
        return {"outcome": "erasure_requested", "erasures": [self.erase_customer(name) for name in names]}


def _plain(attribution: Attribution) -> dict[str, Any]:
    return {name: value for name, value in dataclasses.asdict(attribution).items() if value not in (None, ())}
