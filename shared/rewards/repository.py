"""Rewards in the referrals table: the job's work list, the state changes (each one transaction, carrying its
own outbox entry), the outbox, and the reads of the admin API.

Every state change is conditional on the state it leaves, so a crashed, repeated or overlapping run can
neither apply a change twice nor publish an event twice.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from shared.platform import keys
from shared.platform.clock import iso
from shared.platform.resources import DUE_INDEX, LISTING_INDEX
from shared.platform.errors import Conflict, InvalidRequest
from shared.metrics.facts import Fact
from shared.platform.dynamo import cancellation_reasons, deserialise, serialise, transact_put

REWARDS_QUEUE = "rewards"
OUTBOX_QUEUE = "outbox"
STATUSES = ("pending", "approved", "paid", "voided")


class CapReached(Exception):
    """The advocate's monthly cap is full: the transaction was cancelled on the cap counter."""


class AlreadyDone(Exception):
    """Another run (or an earlier one) made this change first."""


@dataclass(frozen=True)
class OutboxEntry:
    event_id: str
    detail_type: str
    detail: dict[str, Any]


def _tally(status: str, count: int, amount: int) -> dict[str, int]:
    return {f"{status}_count": count, f"{status}_amount": amount}


class RewardRepository:
    def __init__(self, client: Any, table_name: str, events_table: str | None = None) -> None:
        self._client = client
        self._table = table_name
        # Where the job's changes leave their facts for the metrics job (the admin API writes none).
        self._events_table = events_table

    # --- reads -------------------------------------------------------------------------------------

    def get(self, key: keys.Key) -> dict[str, Any] | None:
        item = self._client.get_item(TableName=self._table, Key=serialise(key), ConsistentRead=True).get("Item")
        return deserialise(item) if item else None

    def due(self, queue: str, now: datetime, limit: int = 100) -> list[dict[str, Any]]:
        """The earliest items of a queue that are due by `now` (the index is eventually consistent; every change
        is conditional on the item's own state, so a stale entry is harmless)."""
        response = self._client.query(
            TableName=self._table,
            IndexName=DUE_INDEX.name,
            KeyConditionExpression="#q = :q AND #d <= :now",
            ExpressionAttributeNames={"#q": DUE_INDEX.partition_key, "#d": DUE_INDEX.sort_key},
            ExpressionAttributeValues=serialise({":q": queue, ":now": iso(now)}),
            Limit=limit,
        )
        return [deserialise(item) for item in response.get("Items", [])]

    # --- building blocks of transactions ------------------------------------------------------------

    def _update(self, key: keys.Key, expression: str, values: dict[str, Any] | None = None, condition: str | None = None, names: dict[str, str] | None = None) -> dict:
        update: dict[str, Any] = {"TableName": self._table, "Key": serialise(key), "UpdateExpression": expression}
        if values:
            update["ExpressionAttributeValues"] = serialise(values)
        if condition:
            update["ConditionExpression"] = condition
        if names:
            update["ExpressionAttributeNames"] = names
        return {"Update": update}

    def _put_new(self, key: keys.Key, attributes: dict[str, Any]) -> dict:
        return {"Put": {"TableName": self._table, "Item": serialise({**key, **attributes}), "ConditionExpression": "attribute_not_exists(pk)"}}

    def _take_off_queue(self, key: keys.Key, due_at: str) -> dict:
        # Conditional on the exact entry: whoever takes it first does the work, once.
        return self._update(key, "REMOVE due_queue, due_at", {":due": due_at}, "due_at = :due")

    def _stats(self, advocate_id: str, counters: dict[str, int]) -> dict:
        names = {f"#c{i}": name for i, name in enumerate(counters)}
        values = {f":c{i}": value for i, value in enumerate(counters.values())}
        expression = "ADD " + ", ".join(f"#c{i} :c{i}" for i in range(len(counters)))
        return self._update(keys.advocate_stats_key(advocate_id), expression, values, names=names)

    def _outbox(self, entry: OutboxEntry, at: str) -> dict:
        return self._put_new(
            keys.outbox_key(entry.event_id),
            {"kind": "outbox", "detail_type": entry.detail_type, "detail": json.dumps(entry.detail, sort_keys=True), "due_queue": OUTBOX_QUEUE, "due_at": at},
        )

    def fact(self, fact: Fact) -> dict:
        """A transaction item that writes a fact; deterministic key, so a change made twice leaves one fact."""
        if self._events_table is None:
            raise RuntimeError("this repository was built without the events table")
        return transact_put(self._events_table, fact.item)

    def _transact(self, items: list[dict]) -> list[str]:
        """Runs the transaction; on cancellation returns the per-item reasons (empty list: committed)."""
        try:
            self._client.transact_write_items(TransactItems=items)
            return []
        except ClientError as error:
            reasons = cancellation_reasons(error)
            if not reasons:
                raise
            return reasons

    # --- the job's state changes --------------------------------------------------------------------

    def take_conversion(self, order: dict[str, Any], rewards: list[dict[str, Any]], facts: list[Fact], cap: tuple[str, str, int] | None) -> None:
        """Takes the conversion off the queue, creates its rewards (with their facts), counts it for the advocate and, with a cap
        (advocate_id, month, limit), counts the advocate's reward against it. Raises CapReached (nothing
        written) when the cap is full, AlreadyDone when the conversion was taken already."""
        advocate_id = order["advocate_id"]
        items = [self._take_off_queue(keys.order_key(order["order_id"]), order["due_at"])]
        counters = {"conversions": 1}
        for reward in rewards:
            items.append(self._put_new(keys.reward_key(reward["reward_id"]), reward))
            if reward["recipient"] == "advocate":
                counters.update(_tally("pending", 1, reward["amount"]))
        cap_index = None
        if cap is not None:
            cap_index = len(items)
            items.append(self._update(keys.reward_cap_key(cap[0], cap[1]), "ADD #n :one", {":one": 1, ":limit": cap[2]}, "attribute_not_exists(#n) OR #n < :limit", {"#n": "rewards"}))
        items.append(self._stats(advocate_id, counters))
        items += [self.fact(fact) for fact in facts]
        reasons = self._transact(items)
        if not reasons:
            return
        reward_reasons = reasons[1 : 1 + len(rewards)]
        if reasons[0] == "ConditionalCheckFailed" or "ConditionalCheckFailed" in reward_reasons:
            raise AlreadyDone(order["order_id"])  # deterministic ids: an existing reward means another run took it
        if cap_index is not None and reasons[cap_index] == "ConditionalCheckFailed":
            raise CapReached(advocate_id)
        raise RuntimeError(f"conversion {order['order_id']!r} not taken: {reasons}")

    def approve(self, reward: dict[str, Any], approved_at: str, event: OutboxEntry) -> None:
        items = [
            self._update(
                keys.reward_key(reward["reward_id"]),
                "SET #s = :approved, approved_at = :at REMOVE due_queue, due_at",
                {":approved": "approved", ":pending": "pending", ":due": reward["due_at"], ":at": approved_at},
                "#s = :pending AND due_at = :due",
                {"#s": "status"},
            ),
            self._outbox(event, approved_at),
        ]
        if reward["recipient"] == "advocate":
            items.append(self._stats(reward["advocate_id"], {**_tally("pending", -1, -reward["amount"]), **_tally("approved", 1, reward["amount"])}))
        if self._transact(items):
            raise AlreadyDone(reward["reward_id"])

    def apply_refund(self, refund: dict[str, Any], changes: list[dict], events: list[OutboxEntry], at: str) -> None:
        """Takes the refund off the queue together with its changes to rewards and their events."""
        items = [self._take_off_queue(keys.refund_key(refund["refund_id"]), refund["due_at"]), *changes]
        items += [self._outbox(event, at) for event in events]
        if self._transact(items):
            raise AlreadyDone(refund["refund_id"])

    def skip(self, key: keys.Key, due_at: str, reason: str) -> None:
        """Takes an item off the queue without rewards, saying why."""
        reasons = self._transact([self._update(key, "SET reward_skipped = :why REMOVE due_queue, due_at", {":why": reason, ":due": due_at}, "due_at = :due")])
        if reasons:
            raise AlreadyDone(str(key))

    # Changes apply_refund combines.

    def pending_reduced(self, reward: dict[str, Any], basis: int, amount: int) -> list[dict]:
        change = self._update(
            keys.reward_key(reward["reward_id"]),
            "SET amount = :amount, refunded_basis = :basis",
            {":amount": amount, ":basis": basis, ":pending": "pending", ":old": reward.get("refunded_basis", 0)},
            "#s = :pending AND refunded_basis = :old",
            {"#s": "status"},
        )
        stats = [self._stats(reward["advocate_id"], {"pending_amount": amount - reward["amount"]})] if reward["recipient"] == "advocate" else []
        return [change, *stats]

    def pending_voided(self, reward: dict[str, Any], basis: int, at: str) -> list[dict]:
        change = self._update(
            keys.reward_key(reward["reward_id"]),
            "SET #s = :voided, voided_at = :at, refunded_basis = :basis REMOVE due_queue, due_at",
            {":voided": "voided", ":pending": "pending", ":at": at, ":basis": basis, ":old": reward.get("refunded_basis", 0)},
            "#s = :pending AND refunded_basis = :old",
            {"#s": "status"},
        )
        stats = (
            [self._stats(reward["advocate_id"], {**_tally("pending", -1, -reward["amount"]), **_tally("voided", 1, reward["amount"])})]
            if reward["recipient"] == "advocate"
            else []
        )
        return [change, *stats]

    def settled_adjusted(self, reward: dict[str, Any], basis: int, adjustment: dict[str, Any] | None) -> list[dict]:
        change = self._update(
            keys.reward_key(reward["reward_id"]),
            "SET refunded_basis = :basis",
            {":basis": basis, ":old": reward.get("refunded_basis", 0)},
            "refunded_basis = :old",
        )
        items = [change]
        if adjustment is not None:
            items.append(self._put_new(keys.reward_key(adjustment["reward_id"]), adjustment))
            if reward["recipient"] == "advocate":
                items.append(self._stats(reward["advocate_id"], {"adjustments_count": 1, "adjustments_amount": adjustment["amount"]}))
        return items

    # --- the outbox ----------------------------------------------------------------------------------

    def outbox(self, now: datetime) -> list[tuple[dict[str, Any], OutboxEntry]]:
        entries = []
        for item in self.due(OUTBOX_QUEUE, now, limit=100):
            entries.append((item, OutboxEntry(item["pk"].removeprefix("OUTBOX#"), item["detail_type"], json.loads(item["detail"]))))
        return entries

    def published(self, item: dict[str, Any]) -> None:
        self._client.delete_item(TableName=self._table, Key=serialise({"pk": item["pk"], "sk": item["sk"]}))

    # --- the admin API --------------------------------------------------------------------------------

    def fulfil(self, reward_id: str, reference: str, paid_at: str) -> dict[str, Any]:
        reward = self.get(keys.reward_key(reward_id))
        if reward is None or reward.get("kind") != "reward":
            raise LookupError(reward_id)
        items = [
            self._update(
                keys.reward_key(reward_id),
                "SET #s = :paid, paid_at = :at, #r = :ref",
                {":paid": "paid", ":approved": "approved", ":at": paid_at, ":ref": reference},
                "#s = :approved",
                {"#s": "status", "#r": "reference"},
            )
        ]
        if reward["recipient"] == "advocate" and not reward.get("adjusts"):
            items.append(self._stats(reward["advocate_id"], {**_tally("approved", -1, -reward["amount"]), **_tally("paid", 1, reward["amount"])}))
        if self._transact(items):
            raise Conflict(f"reward {reward_id!r} is {reward['status']}; only an approved reward can be fulfilled", code="reward_not_approved")
        return {**reward, "status": "paid", "paid_at": paid_at, "reference": reference}

    def page(self, campaign_id: str, status: str | None, cursor: str | None, limit: int) -> tuple[list[dict[str, Any]], str | None]:
        query: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": LISTING_INDEX.name,
            "KeyConditionExpression": "#p = :p",
            "ExpressionAttributeNames": {"#p": LISTING_INDEX.partition_key},
            "ExpressionAttributeValues": {":p": {"S": keys.rewards_listing(campaign_id)}},
            "Limit": limit,
        }
        if status:
            query["FilterExpression"] = "#s = :s"
            query["ExpressionAttributeNames"]["#s"] = "status"
            query["ExpressionAttributeValues"][":s"] = {"S": status}
        if cursor:
            query["ExclusiveStartKey"] = _decode_cursor(cursor, campaign_id)
        response = self._client.query(**query)
        last = response.get("LastEvaluatedKey")
        return [deserialise(item) for item in response.get("Items", [])], _encode_cursor(last) if last else None

    def advocate_stats(self, advocate_id: str) -> dict[str, int]:
        return self.get(keys.advocate_stats_key(advocate_id)) or {}

    def advocate_activity(self, advocate_id: str) -> Iterator[dict[str, Any]]:
        paginator = self._client.get_paginator("query")
        for page in paginator.paginate(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues=serialise({":pk": f"ADVOCATE#{advocate_id}", ":prefix": "ACTIVITY#"}),
        ):
            yield from (deserialise(item) for item in page.get("Items", []))


_CURSOR_KEYS = {"pk", "sk", LISTING_INDEX.partition_key, LISTING_INDEX.sort_key}


def _encode_cursor(last_key: dict[str, Any]) -> str:
    plain = {name: value["S"] for name, value in last_key.items()}
    return base64.urlsafe_b64encode(json.dumps(plain, sort_keys=True).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str, campaign_id: str) -> dict[str, Any]:
    """Only a cursor this API handed out for the same listing is accepted; anything else is a 400."""
    try:
        plain = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        valid = (
            isinstance(plain, dict)
            and set(plain) == _CURSOR_KEYS
            and all(isinstance(value, str) and len(value) < 1024 for value in plain.values())
            and plain[LISTING_INDEX.partition_key] == keys.rewards_listing(campaign_id)
        )
    except (ValueError, UnicodeDecodeError):
        valid = False
    if not valid:
        raise InvalidRequest("cursor is not one this listing handed out", code="invalid_cursor")
    return {name: {"S": value} for name, value in plain.items()}
