"""Conversions and refunds in the referrals table. Each stored item keeps the exact answer it was first
given, so a replay at any later time gets the same bytes (durable idempotency, no expiry)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.metrics.facts import Fact
from shared.platform import keys
from shared.platform.dynamo import AlreadyStored, Table, TransactionCancelled, transact
from shared.rewards.repository import referral_op, rewards_work_entry
from shared.rewards.rules import ReferralProgress


@dataclass(frozen=True)
class Stored:
    """An earlier accept: the hash of the body it was for and the response it got."""

    body_hash: str
    response: str
    item: dict[str, Any]


class FirstPurchaseTaken(Exception):
    """The buyer already has a referred purchase in the campaign."""


class RefundExceedsOrder(Exception):
    pass


class ConversionRepository:
    """Orders and refunds live in the referrals table; the fact each adds to its day goes to the events table in
    the same transaction, so the metrics job sees a conversion exactly when it is stored."""

    def __init__(self, client: Any, table_name: str, events_table: str) -> None:
        self._client = client
        self._table = Table(client, table_name)
        self._events = Table(client, events_table)

    def _stored(self, key: keys.Key) -> Stored | None:
        item = self._table.get(key, consistent=True)
        return Stored(item["body_hash"], item["response"], item) if item else None

    def find_order(self, order_id: str) -> Stored | None:
        return self._stored(keys.order_key(order_id))

    def find_refund(self, refund_id: str) -> Stored | None:
        return self._stored(keys.refund_key(refund_id))

    def save_conversion(
        self,
        order_id: str,
        attributes: dict[str, Any],
        claim_first_purchase: tuple[str, str] | None,
        fact: Fact,
        rewards_due_at: datetime | None,
        referral: ReferralProgress | None = None,
    ) -> None:
        """Store the order and its fact, and with `claim_first_purchase=(campaign_id, customer_id)` claim the
        buyer's first referred purchase in the same transaction. With `rewards_due_at` the order goes on the rewards
        job's work list; with `referral`, on its advocate's list of referrals. Raises AlreadyStored or
        FirstPurchaseTaken."""
        work = rewards_work_entry(rewards_due_at) if rewards_due_at else {}
        operations = [self._table.put_new_op(keys.order_key(order_id), {"kind": "conversion", **attributes, **work})]
        if claim_first_purchase is not None:
            campaign_id, customer_id = claim_first_purchase
            operations.append(self._table.put_new_op(keys.buyer_key(campaign_id, customer_id), {"kind": "buyer", "order_id": order_id}))
        operations.append(self._events.put_op(fact.item))
        if referral is not None:
            operations.append(referral_op(self._table, attributes["advocate_id"], attributes["received_at"], attributes["conversion_id"], referral))
        try:
            transact(self._client, operations)
        except TransactionCancelled as cancelled:
            if cancelled.failed_at(0):
                raise AlreadyStored(order_id) from cancelled
            if claim_first_purchase is not None and cancelled.failed_at(1):
                raise FirstPurchaseTaken(order_id) from cancelled
            raise

    def save_refund(
        self,
        refund_id: str,
        order_id: str,
        amount: int,
        order_amount: int,
        attributes: dict[str, Any],
        fact: Fact | None,
        rewards_due_at: datetime | None,
    ) -> None:
        """Store the refund (and its fact, for a campaign's order) and add it to its order's refunded total, never
        past the order's amount. With `rewards_due_at` the refund goes on the rewards job's work list."""
        work = rewards_work_entry(rewards_due_at) if rewards_due_at else {}
        add_to_order = self._table.update_op(
            keys.order_key(order_id),
            "SET refunded_amount = if_not_exists(refunded_amount, :zero) + :amount ADD refund_ids :ids",
            {":zero": 0, ":amount": amount, ":limit": order_amount - amount, ":ids": {refund_id}},
            "attribute_exists(pk) AND (attribute_not_exists(refunded_amount) OR refunded_amount <= :limit)",
        )
        operations = [self._table.put_new_op(keys.refund_key(refund_id), {"kind": "refund", **attributes, **work}), add_to_order]
        if fact is not None:
            operations.append(self._events.put_op(fact.item))
        try:
            transact(self._client, operations)
        except TransactionCancelled as cancelled:
            if cancelled.failed_at(0):
                raise AlreadyStored(refund_id) from cancelled
            if cancelled.failed_at(1):
                raise RefundExceedsOrder(refund_id) from cancelled
            raise
