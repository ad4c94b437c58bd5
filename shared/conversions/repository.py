"""Conversions and refunds in the referrals table. Each stored item keeps the exact answer it was first
given, so a replay at any later time gets the same bytes (durable idempotency, no expiry)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.metrics.facts import Fact
from shared.metrics.ledger import CustomerLedger, LedgerMoved
from shared.platform import keys
from shared.platform.clock import expiry
from shared.platform.dynamo import AlreadyStored, Operation, Table, TransactionCancelled, transact
from shared.privacy.index import CustomerErasing, CustomerIndex
from shared.rewards.repository import referral_op, rewards_work_entry
from shared.rewards.rules import ReferralProgress


@dataclass(frozen=True)
class Stored:
    """An earlier accept: the hash of the body it was for (None once its customer was erased: the body held their
    id) and the response it got."""

    body_hash: str | None
    response: str
    item: dict[str, Any]


class FirstPurchaseTaken(Exception):
    """The buyer already has a referred purchase in the campaign."""


class RefundExceedsOrder(Exception):
    pass


# An hourly referral counter is read for the next 24 hours only; two days keep it past any clock skew.
_REFERRAL_HOUR_DAYS = 2
# What an order holds of its buyer; an erasure removes all of it (the body hash too: it is a hash of a body that
# names the customer).
BUYER_FIELDS = ("customer_id", "customer_key", "customer_email_hash", "metadata", "body_hash")
# And a rewards job's set-aside reason: an exception's message may quote the item it was set aside for.
_ERASED_FIELDS = (*BUYER_FIELDS, "set_aside_reason")


class ConversionRepository:
    """Orders and refunds live in the referrals table; the fact each adds to its day goes to the events table in
    the same transaction, so the metrics job sees a conversion exactly when it is stored."""

    def __init__(self, client: Any, table_name: str, events_table: str) -> None:
        self._client = client
        self._table = Table(client, table_name)
        self._events = Table(client, events_table)
        self._index = CustomerIndex(self._table)
        self.ledger = CustomerLedger(self._table)

    def _stored(self, key: keys.Key) -> Stored | None:
        item = self._table.get(key, consistent=True)
        return Stored(item.get("body_hash"), item["response"], item) if item else None

    def find_order(self, order_id: str) -> Stored | None:
        return self._stored(keys.order_key(order_id))

    def find_refund(self, refund_id: str) -> Stored | None:
        return self._stored(keys.refund_key(refund_id))

    def advocate_referrals(self, advocate_id: str, first_hour: datetime, last_hour: datetime) -> int:
        """The advocate's referred purchases counted in the clock hours from `first_hour` to `last_hour`: one Query
        of at most 24 small items of the advocate's partition."""
        items = self._table.query(
            KeyConditionExpression="pk = :pk AND sk BETWEEN :first AND :last",
            ExpressionAttributeValues={
                ":pk": keys.advocate_referrals_hour_key(advocate_id, first_hour)["pk"],
                ":first": keys.advocate_referrals_hour_key(advocate_id, first_hour)["sk"],
                ":last": keys.advocate_referrals_hour_key(advocate_id, last_hour)["sk"],
            },
            ConsistentRead=True,
        )
        return sum(int(item.get("referrals", 0)) for item in items)

    def save_conversion(
        self,
        order_id: str,
        attributes: dict[str, Any],
        customer_key: str | None,
        claim_first_purchase: str | None,
        fact: Fact,
        rewards_due_at: datetime | None,
        referral_hour: tuple[str, datetime] | None = None,
        more_facts: tuple[Fact, ...] = (),
        ledger: tuple[Operation, ...] = (),
        referral: tuple[ReferralProgress, str] | None = None,
    ) -> None:
        """Store the order and its fact; with a `customer_key`, file the order in that customer's index and, with
        `claim_first_purchase=<campaign_id>`, claim the buyer's first referred purchase in that campaign, all in one
        transaction, with `more_facts` (a survey answer, a repeat purchase) and the buyer's `ledger` operations. With
        `rewards_due_at` the order goes on the rewards job's work list; with `referral_hour=(advocate_id, hour)` it
        counts for the advocate in that clock hour (advocate_velocity); with `referral` (its progress and the
        advocate's customer key), on its advocate's list of referrals, unless that advocate is being erased. Raises
        AlreadyStored, FirstPurchaseTaken, LedgerMoved, or CustomerErasing (an erasure of the buyer is under way:
        nothing was stored)."""
        work = rewards_work_entry(rewards_due_at) if rewards_due_at else {}
        operations = [self._table.put_new_op(keys.order_key(order_id), {"kind": "conversion", **attributes, **work})]
        claim_at = state_at = None
        if customer_key is not None:
            if claim_first_purchase is not None:
                claim_at = len(operations)
                operations.append(self._table.put_new_op(keys.buyer_key(claim_first_purchase, customer_key), {"kind": "buyer", "order_id": order_id}))
            state_at = len(operations)
            operations += self._index.entries(customer_key, "conversion", order_id)
        if referral_hour is not None:
            advocate_id, hour = referral_hour
            operations.append(
                self._table.update_op(
                    keys.advocate_referrals_hour_key(advocate_id, hour),
                    "ADD #n :one SET #k = :kind, #e = :expires",
                    {":one": 1, ":kind": "referral_hour", ":expires": expiry(hour, _REFERRAL_HOUR_DAYS)},
                    names={"#n": "referrals", "#k": "kind", "#e": "expires_at"},
                )
            )
        operations += [self._events.put_op(f.item) for f in (fact, *more_facts)]
        ledger_at = len(operations)
        operations += ledger
        ledger_end = len(operations)
        advocate_at = None
        if referral is not None:
            progress, advocate_key = referral
            if advocate_key != customer_key:  # a self-referral's buyer check is the advocate's too (one op per item)
                advocate_at = len(operations)
                operations.append(self._index.check(advocate_key))
            operations.append(referral_op(self._table, attributes["advocate_id"], attributes["received_at"], attributes["conversion_id"], progress))
        try:
            transact(self._client, operations)
        except TransactionCancelled as cancelled:
            if cancelled.failed_at(0):
                raise AlreadyStored(order_id) from cancelled
            if state_at is not None and cancelled.failed_at(state_at):
                raise CustomerErasing(order_id) from cancelled
            if claim_at is not None and cancelled.failed_at(claim_at):
                raise FirstPurchaseTaken(order_id) from cancelled
            if any(cancelled.failed_at(i) for i in range(ledger_at, ledger_end)):
                raise LedgerMoved(order_id) from cancelled
            if advocate_at is not None and cancelled.failed_at(advocate_at):
                # The advocate is being erased: the purchase is stored, with no referral left behind in their partition.
                return self.save_conversion(order_id, attributes, customer_key, claim_first_purchase, fact, rewards_due_at, referral_hour, more_facts, ledger)
            raise

    # --- erasure -------------------------------------------------------------------------------------

    def order_item(self, order_id: str) -> dict[str, Any] | None:
        return self._table.get(keys.order_key(order_id), consistent=True)

    def erasure_changes(self, order: dict[str, Any], customer_key: str, at: str) -> list[Operation]:
        """The order keeps its amount, campaign, attribution and answer (metrics and rewards still need them) and
        loses everything about its buyer; the buyer's first-purchase claim in that campaign goes."""
        operations = [
            self._table.update_op(
                keys.order_key(order["order_id"]),
                "SET erased_at = :at REMOVE " + ", ".join(_ERASED_FIELDS),
                {":at": at, ":key": customer_key},
                "customer_key = :key",
            )
        ]
        if order.get("campaign_id"):
            operations.append(self._table.delete_op(keys.buyer_key(order["campaign_id"], customer_key)))
        return operations

    def save_refund(
        self,
        refund_id: str,
        order_id: str,
        amount: int,
        order_amount: int,
        attributes: dict[str, Any],
        fact: Fact | None,
        rewards_due_at: datetime | None,
        ledger: tuple[Operation, ...] = (),
    ) -> None:
        """Store the refund (and its fact, for a campaign's order) and add it to its order's refunded total, never
        past the order's amount, with the buyer's `ledger` operations. With `rewards_due_at` the refund goes on the
        rewards job's work list. Raises AlreadyStored, RefundExceedsOrder or LedgerMoved."""
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
        ledger_at = len(operations)
        operations += ledger
        try:
            transact(self._client, operations)
        except TransactionCancelled as cancelled:
            if cancelled.failed_at(0):
                raise AlreadyStored(refund_id) from cancelled
            if cancelled.failed_at(1):
                raise RefundExceedsOrder(refund_id) from cancelled
            if any(cancelled.failed_at(i) for i in range(ledger_at, len(operations))):
                raise LedgerMoved(refund_id) from cancelled
            raise
