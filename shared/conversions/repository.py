"""Conversions and refunds in the referrals table. Each stored item keeps the exact answer it was first
given, so a replay at any later time gets the same bytes (durable idempotency, no expiry)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from shared.platform import keys
from shared.metrics.facts import Fact
from shared.platform.dynamo import cancellation_reasons, deserialise, serialise, transact_put

_NOT_EXISTS = "attribute_not_exists(pk)"


@dataclass(frozen=True)
class Stored:
    """An earlier accept: the hash of the body it was for and the response it got."""

    body_hash: str
    response: str
    item: dict[str, Any]


class AlreadyStored(Exception):
    """Someone stored this id first (possibly a concurrent duplicate)."""


class FirstPurchaseTaken(Exception):
    """The buyer already has a referred purchase in the campaign."""


class RefundExceedsOrder(Exception):
    pass


class ConversionRepository:
    """Orders and refunds live in the referrals table; the fact each adds to its day goes to the events table in
    the same transaction, so the metrics job sees a conversion exactly when it is stored."""

    def __init__(self, client: Any, table_name: str, events_table: str) -> None:
        self._client = client
        self._table = table_name
        self._events_table = events_table

    def _get(self, key: keys.Key) -> dict[str, Any] | None:
        response = self._client.get_item(TableName=self._table, Key=serialise(key), ConsistentRead=True)
        item = response.get("Item")
        return deserialise(item) if item else None

    def _stored(self, key: keys.Key) -> Stored | None:
        item = self._get(key)
        return Stored(item["body_hash"], item["response"], item) if item else None

    def find_order(self, order_id: str) -> Stored | None:
        return self._stored(keys.order_key(order_id))

    def find_refund(self, refund_id: str) -> Stored | None:
        return self._stored(keys.refund_key(refund_id))

    def _put(self, key: keys.Key, attributes: dict[str, Any]) -> dict[str, Any]:
        return {"TableName": self._table, "Item": serialise({**key, **attributes}), "ConditionExpression": _NOT_EXISTS}

    def save_conversion(self, order_id: str, attributes: dict[str, Any], claim_first_purchase: tuple[str, str] | None, fact: Fact) -> None:
        """Store the order and its fact, and with `claim_first_purchase=(campaign_id, customer_id)` claim the
        buyer's first referred purchase in the same transaction. Raises AlreadyStored or FirstPurchaseTaken."""
        items = [{"Put": self._put(keys.order_key(order_id), {"kind": "conversion", **attributes})}]
        if claim_first_purchase is not None:
            campaign_id, customer_id = claim_first_purchase
            items.append({"Put": self._put(keys.buyer_key(campaign_id, customer_id), {"kind": "buyer", "order_id": order_id})})
        items.append(transact_put(self._events_table, fact.item))
        try:
            self._client.transact_write_items(TransactItems=items)
        except ClientError as error:
            reasons = cancellation_reasons(error)
            if reasons and reasons[0] == "ConditionalCheckFailed":
                raise AlreadyStored(order_id) from error
            if claim_first_purchase is not None and len(reasons) > 1 and reasons[1] == "ConditionalCheckFailed":
                raise FirstPurchaseTaken(order_id) from error
            raise

    def save_refund(self, refund_id: str, order_id: str, amount: int, order_amount: int, attributes: dict[str, Any], fact: Fact | None) -> None:
        """Store the refund (and its fact, for a campaign's order) and add it to its order's refunded total, never
        past the order's amount."""
        refund = self._put(keys.refund_key(refund_id), {"kind": "refund", **attributes})
        add_to_order = {
            "TableName": self._table,
            "Key": serialise(keys.order_key(order_id)),
            "UpdateExpression": "SET refunded_amount = if_not_exists(refunded_amount, :zero) + :amount ADD refund_ids :ids",
            "ConditionExpression": "attribute_exists(pk) AND (attribute_not_exists(refunded_amount) OR refunded_amount <= :limit)",
            "ExpressionAttributeValues": serialise(
                {":zero": 0, ":amount": amount, ":limit": order_amount - amount, ":ids": {refund_id}}
            ),
        }
        try:
            facts = [transact_put(self._events_table, fact.item)] if fact is not None else []
            self._client.transact_write_items(TransactItems=[{"Put": refund}, {"Update": add_to_order}, *facts])
        except ClientError as error:
            reasons = cancellation_reasons(error)
            if reasons and reasons[0] == "ConditionalCheckFailed":
                raise AlreadyStored(refund_id) from error
            if len(reasons) > 1 and reasons[1] == "ConditionalCheckFailed":
                raise RefundExceedsOrder(refund_id) from error
            raise
