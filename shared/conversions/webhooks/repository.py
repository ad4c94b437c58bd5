"""What the webhooks keep in the referrals table besides the conversions and refunds themselves: each delivery's
answer (a redelivery gets it again), a subscription's attribution from its checkout (for its invoices), and the
other names a platform gives an order's payment (a refund names the payment, not the order). None of it holds a
customer's id, email or anything derived from them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shared.platform import keys
from shared.platform.clock import expiry
from shared.platform.dynamo import Table

# Stripe retries a delivery for three days, Shopify for two: a month covers both with room.
DELIVERY_RETENTION_DAYS = 30


class WebhookRepository:
    def __init__(self, client: Any, table_name: str) -> None:
        self._table = Table(client, table_name)

    def delivery_answer(self, source: str, event_id: str) -> dict[str, Any] | None:
        item = self._table.get(keys.webhook_delivery_key(source, event_id), consistent=True)
        return item["answer"] if item else None

    def save_delivery_answer(self, source: str, event_id: str, answer: dict[str, Any], now: datetime) -> None:
        self._table.put(
            {**keys.webhook_delivery_key(source, event_id), "kind": "webhook_delivery", "answer": answer, "expires_at": expiry(now, DELIVERY_RETENTION_DAYS)}
        )

    def subscription_attribution(self, source: str, subscription_id: str) -> dict[str, Any] | None:
        item = self._table.get(keys.subscription_key(source, subscription_id), consistent=True)
        return item["attribution"] if item else None

    def save_subscription_attribution(self, source: str, subscription_id: str, attribution: dict[str, Any]) -> None:
        self._table.put({**keys.subscription_key(source, subscription_id), "kind": "subscription", "attribution": attribution})

    def order_paid_by(self, source: str, payment_ref: str) -> str | None:
        item = self._table.get(keys.payment_key(source, payment_ref), consistent=True)
        return item["order_id"] if item else None

    def save_payments(self, source: str, order_id: str, payment_refs: tuple[str, ...]) -> None:
        for ref in payment_refs:
            if ref != order_id:
                self._table.put({**keys.payment_key(source, ref), "kind": "payment", "order_id": order_id})
