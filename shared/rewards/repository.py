"""Rewards in the referrals table: the job's work list, the state changes (each one transaction, carrying its
own outbox entry), the outbox, and the reads of the admin API.

This repository owns the storage fields of rewards: the work list (the sparse `due` index: `due_queue`,
`due_at`; items the job could not process wait on its `set_aside` queue, with `set_aside_reason`), the admin listing (`list_pk`, `list_sk`) and the item families (`kind`). Every state change is
conditional on the state it leaves, so a crashed, repeated or overlapping run can neither apply a change twice
nor publish an event twice.

It also keeps each advocate's referrals (SPEC §3.6): one item per referred purchase in the advocate's partition,
written with the conversion and moved on by the job's own transactions. Ids only: no customer's id, email or hash.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.metrics.facts import Fact
from shared.platform import keys
from shared.platform.clock import iso
from shared.platform.dynamo import ConditionFailed, ItemNotFound, Operation, Table, TransactionCancelled, transact
from shared.platform.resources import ADVOCATE_REWARDS_INDEX, DUE_INDEX, LISTING_INDEX
from shared.platform.worklist import due, on_queue
from shared.privacy.index import CustomerIndex
from shared.rewards.models import RewardRecord
from shared.rewards.rules import ReferralProgress

REWARDS_QUEUE = "rewards"
OUTBOX_QUEUE = "outbox"
# Work the job could not process, off its list until someone retries it; each keeps its due time.
SET_ASIDE_QUEUE = "set_aside"
# What a reward record holds beyond its own fields: storage, never shown.
_STORAGE_FIELDS = ("pk", "sk", "kind", DUE_INDEX.partition_key, DUE_INDEX.sort_key, LISTING_INDEX.partition_key, LISTING_INDEX.sort_key)


# The changes a reward's events name (`<reward_id>.<change>`), so the outbox entries of one reward can be read by key.
EVENT_CHANGES = {"RewardApproved": "approved", "RewardVoided": "voided", "RewardAdjusted": "adjusted"}


def event_id(reward_id_: str, detail_type: str) -> str:
    return f"{reward_id_}.{EVENT_CHANGES[detail_type]}"


def rewards_work_entry(due_at: datetime) -> dict[str, str]:
    """The attributes that put an item on the rewards job's work list, due at `due_at`."""
    return on_queue(REWARDS_QUEUE, iso(due_at))


def referral_op(table: Table, advocate_id: str, received_at: str, conversion_id: str, progress: ReferralProgress) -> Operation:
    """Sets a referral's progress on its advocate's list, writing the whole entry (so a conversion recorded before
    the list existed gets one when the job first moves it on)."""
    names = {"#k": "kind", "#c": "conversion_id", "#s": "status", "#a": "at", "#r": "reason"}
    values: dict[str, Any] = {":kind": "referral", ":conversion": conversion_id, ":status": progress.status, ":at": iso(progress.at)}
    expression = "SET #k = :kind, #c = :conversion, #s = :status, #a = :at"
    if progress.reason:
        expression += ", #r = :reason"
        values[":reason"] = progress.reason
    else:
        expression += " REMOVE #r"
    return table.update_op(keys.referral_key(advocate_id, received_at, conversion_id), expression, values, names=names)


class CapReached(ConditionFailed):
    """The advocate's monthly cap is full: the transaction was cancelled on the cap counter."""


class AlreadyDone(ConditionFailed):
    """Another run (or an earlier one) made this change first."""


class RecipientErasing(ConditionFailed):
    """A recipient of the change is being erased (or their data left the item it was read from): try again later."""


class NotApproved(ConditionFailed):
    """Only an approved reward can be paid; `reward` is the reward as stored."""

    def __init__(self, reward: RewardRecord) -> None:
        super().__init__(reward.reward_id)
        self.reward = reward


@dataclass(frozen=True)
class WorkItem:
    """One entry of the rewards job's work list: a conversion, a refund or a pending reward, due at `due_at`."""

    kind: str
    key: keys.Key
    due_at: str
    item: dict[str, Any]


@dataclass(frozen=True)
class OutboxEntry:
    event_id: str
    detail_type: str
    detail: dict[str, Any]


def _tally(status: str, count: int, amount: int) -> dict[str, int]:
    return {f"{status}_count": count, f"{status}_amount": amount}


def _record(item: dict[str, Any]) -> RewardRecord:
    return RewardRecord.model_validate({k: v for k, v in item.items() if k not in _STORAGE_FIELDS})


class RewardRepository:
    def __init__(self, client: Any, table_name: str, events_table: str | None = None) -> None:
        self._client = client
        self._table = Table(client, table_name)
        # Where the job's changes leave their facts for the metrics job (the admin API writes none).
        self._events = Table(client, events_table) if events_table else None
        self._index = CustomerIndex(self._table)

    # --- reads -------------------------------------------------------------------------------------

    def _due(self, queue: str, now: datetime, limit: int) -> list[dict[str, Any]]:
        return due(self._table, queue, now, limit)

    def due_work(self, now: datetime, limit: int = 100) -> list[WorkItem]:
        return [
            WorkItem(str(item.get("kind")), {"pk": item["pk"], "sk": item["sk"]}, item[DUE_INDEX.sort_key], item)
            for item in self._due(REWARDS_QUEUE, now, limit)
        ]

    def get_order(self, order_id: str) -> dict[str, Any] | None:
        return self._table.get(keys.order_key(order_id), consistent=True)

    def order_is_due(self, order: dict[str, Any]) -> WorkItem | None:
        """The order's entry on the work list, if it is still on it."""
        due_at = order.get(DUE_INDEX.sort_key)
        return WorkItem("conversion", keys.order_key(order["order_id"]), due_at, order) if due_at else None

    @staticmethod
    def reward_of(work: WorkItem) -> RewardRecord:
        """The pending reward a work list entry is (the index carries every attribute: no second read)."""
        return _record(work.item)

    def get_reward(self, reward_id: str) -> RewardRecord | None:
        item = self._table.get(keys.reward_key(reward_id), consistent=True)
        return _record(item) if item and item.get("kind") in ("reward", "adjustment") else None

    # --- building blocks of transactions ------------------------------------------------------------

    def _take_off_list(self, work: WorkItem) -> Operation:
        # Conditional on the exact entry: whoever takes it first does the work, once.
        return self._table.update_op(work.key, "REMOVE due_queue, due_at", {":due": work.due_at}, "due_at = :due")

    def _take_order_off_list(self, work: WorkItem) -> Operation:
        """As _take_off_list, and conditional on the order still holding the buyer it was read with (an erasure
        takes them out): its raw customer id goes, since the friend's reward now holds it."""
        customer_key = work.item.get("customer_key")
        values: dict[str, Any] = {":due": work.due_at}
        if customer_key:
            values[":key"] = customer_key
        holds_buyer = "customer_key = :key" if customer_key else "attribute_not_exists(customer_key)"
        return self._table.update_op(work.key, "REMOVE due_queue, due_at, customer_id", values, f"due_at = :due AND {holds_buyer}")

    def _recipient_guards(self, reward: RewardRecord) -> list[Operation]:
        """What a new reward adds for its recipient: into their index, checked against an erasure of them, and for
        an advocate, conditional on the advocate (whose customer id it copies) still being that customer's."""
        if not reward.customer_key:
            return []
        guards = self._index.entries(reward.customer_key, "reward", reward.reward_id)
        if reward.recipient == "advocate" and not reward.is_adjustment:
            guards.append(self._table.check_op(keys.advocate_key(reward.advocate_id), "customer_key = :key", {":key": reward.customer_key}))
        return guards

    def _stats(self, advocate_id: str, counters: dict[str, int]) -> Operation:
        names = {f"#c{i}": name for i, name in enumerate(counters)}
        values = {f":c{i}": value for i, value in enumerate(counters.values())}
        expression = "ADD " + ", ".join(f"#c{i} :c{i}" for i in range(len(counters)))
        return self._table.update_op(keys.advocate_stats_key(advocate_id), expression, values, names=names)

    def _outbox(self, entry: OutboxEntry, at: str) -> Operation:
        return self._table.put_new_op(
            keys.outbox_key(entry.event_id),
            {"kind": "outbox", "detail_type": entry.detail_type, "detail": json.dumps(entry.detail, sort_keys=True), **on_queue(OUTBOX_QUEUE, at)},
        )

    def _new_reward(self, reward: RewardRecord) -> Operation:
        """A new reward or adjustment, on the admin listing and, while pending, on the work list until it is due."""
        attributes = {
            **reward.model_dump(exclude_none=True),
            "kind": "adjustment" if reward.is_adjustment else "reward",
            LISTING_INDEX.partition_key: keys.rewards_listing(reward.campaign_id),
            LISTING_INDEX.sort_key: f"{reward.created_at}#{reward.reward_id}",
        }
        if reward.status == "pending" and reward.approve_at:
            attributes |= on_queue(REWARDS_QUEUE, reward.approve_at)
        return self._table.put_new_op(keys.reward_key(reward.reward_id), attributes)

    def fact(self, fact: Fact) -> Operation:
        """A transaction item that writes a fact; deterministic key, so a change made twice leaves one fact."""
        if self._events is None:
            raise RuntimeError("this repository was built without the events table")
        return self._events.put_op(fact.item)

    def _transact(self, operations: list[Operation]) -> list[str]:
        """Runs the transaction; on cancellation returns the per-item reasons (empty list: committed)."""
        try:
            transact(self._client, operations)
            return []
        except TransactionCancelled as cancelled:
            return cancelled.reasons

    # --- the job's state changes --------------------------------------------------------------------

    def _referral(self, advocate_id: str, received_at: str, conversion_id: str, progress: ReferralProgress | None) -> list[Operation]:
        return [referral_op(self._table, advocate_id, received_at, conversion_id, progress)] if progress else []

    def _referral_of(self, reward: RewardRecord, progress: ReferralProgress | None, checked: bool = False) -> list[Operation]:
        """The referral behind an advocate's reward (created_at is when wom received the purchase), moved on only
        while the reward still names its advocate (an erased advocate's reward has lost their key, and their
        partition stays gone), checked against an erasure of them under way (unless `checked`: the transaction does
        already, and DynamoDB takes one operation per item)."""
        if progress is None or not reward.customer_key:
            return []
        guard = [] if checked else [self._index.check(reward.customer_key)]
        return guard + self._referral(reward.advocate_id, reward.created_at, reward.conversion_id, progress)

    def take_conversion(
        self,
        work: WorkItem,
        rewards: list[RewardRecord],
        facts: list[Fact],
        cap: tuple[str, str, int] | None,
        progress: ReferralProgress | None = None,
        advocate_key: str | None = None,
    ) -> None:
        """Takes the conversion off the list, creates its rewards (with their facts), counts it for the advocate,
        moves its referral on to `progress` (checked against an erasure of the advocate, `advocate_key`) and, with a
        cap (advocate_id, month, limit), counts the advocate's reward against it. Raises CapReached (nothing written)
        when the cap is full, AlreadyDone when the conversion was taken already, RecipientErasing when a recipient or
        the advocate is being erased."""
        advocate_id = work.item["advocate_id"]
        operations = [self._take_order_off_list(work)]
        counters = {"conversions": 1}
        guarded: list[int] = []
        created: list[int] = []
        for reward in rewards:
            created.append(len(operations))
            operations.append(self._new_reward(reward))
            guards = self._recipient_guards(reward)
            guarded += range(len(operations), len(operations) + len(guards))
            operations += guards
            if reward.recipient == "advocate":
                counters.update(_tally("pending", 1, reward.amount))
        cap_index = None
        if cap is not None:
            cap_index = len(operations)
            operations.append(
                self._table.update_op(
                    keys.reward_cap_key(cap[0], cap[1]), "ADD #n :one", {":one": 1, ":limit": cap[2]}, "attribute_not_exists(#n) OR #n < :limit", {"#n": "rewards"}
                )
            )
        operations.append(self._stats(advocate_id, counters))
        operations += [self.fact(fact) for fact in facts]
        if progress is not None and advocate_key:
            if all(reward.customer_key != advocate_key for reward in rewards):  # else its reward's guard checks them
                guarded.append(len(operations))
                operations.append(self._index.check(advocate_key))
            operations += self._referral(advocate_id, work.item["received_at"], work.item["conversion_id"], progress)
        reasons = self._transact(operations)
        if not reasons:
            return
        cancelled = TransactionCancelled(reasons)
        if any(cancelled.failed_at(i) for i in guarded):
            raise RecipientErasing(work.item["order_id"])
        if cancelled.failed_at(0) or any(cancelled.failed_at(i) for i in created):
            raise AlreadyDone(work.item["order_id"])  # deterministic ids: an existing reward means another run took it
        if cap_index is not None and cancelled.failed_at(cap_index):
            raise CapReached(advocate_id)
        raise cancelled

    def approve(self, work: WorkItem, reward: RewardRecord, approved_at: str, event: OutboxEntry, progress: ReferralProgress | None = None) -> None:
        operations = [
            self._table.update_op(
                work.key,
                "SET #s = :approved, approved_at = :at REMOVE due_queue, due_at",
                {":approved": "approved", ":pending": "pending", ":due": work.due_at, ":at": approved_at},
                "#s = :pending AND due_at = :due",
                {"#s": "status"},
            ),
            self._outbox(event, approved_at),
        ]
        if reward.recipient == "advocate":
            operations.append(self._stats(reward.advocate_id, {**_tally("pending", -1, -reward.amount), **_tally("approved", 1, reward.amount)}))
            operations += self._referral_of(reward, progress)
        if self._transact(operations):
            raise AlreadyDone(reward.reward_id)

    def apply_refund(self, work: WorkItem, changes: list[Operation], events: list[OutboxEntry], at: str) -> None:
        """Takes the refund off the list together with its changes to rewards and their events."""
        operations = [self._take_off_list(work), *changes, *(self._outbox(event, at) for event in events)]
        if self._transact(operations):
            raise AlreadyDone(work.item["refund_id"])

    # --- work the job could not process ---------------------------------------------------------------

    def set_aside(self, work: WorkItem, reason: str, at: str) -> None:
        """Moves an entry off the work list onto the set-aside queue, keeping its due time, saying why and when."""
        operation = self._table.update_op(
            work.key,
            "SET #q = :aside, set_aside_reason = :why, set_aside_at = :at",
            {":aside": SET_ASIDE_QUEUE, ":why": reason, ":at": at, ":due": work.due_at, ":list": REWARDS_QUEUE},
            "#q = :list AND due_at = :due",
            {"#q": DUE_INDEX.partition_key},
        )
        if self._transact([operation]):
            raise AlreadyDone(str(work.key))

    def set_aside_work(self, limit: int = 1000) -> list[dict[str, Any]]:
        """What is set aside, oldest due first: key, kind, due time, reason and when."""
        items = self._table.query(
            IndexName=DUE_INDEX.name,
            KeyConditionExpression="#q = :q",
            ExpressionAttributeNames={"#q": DUE_INDEX.partition_key},
            ExpressionAttributeValues={":q": SET_ASIDE_QUEUE},
        )
        out = []
        for item in items:
            out.append({"pk": item["pk"], "sk": item["sk"], "kind": item.get("kind"), "due_at": item.get(DUE_INDEX.sort_key), "reason": item.get("set_aside_reason"), "set_aside_at": item.get("set_aside_at")})
            if len(out) >= limit:
                break
        return out

    def put_back(self, key: keys.Key) -> bool:
        """Puts a set-aside entry back on the work list at its due time; False when it is no longer set aside."""
        operation = self._table.update_op(
            key,
            "SET #q = :list REMOVE set_aside_reason, set_aside_at",
            {":aside": SET_ASIDE_QUEUE, ":list": REWARDS_QUEUE},
            "#q = :aside",
            {"#q": DUE_INDEX.partition_key},
        )
        return not self._transact([operation])

    def skip(self, work: WorkItem, reason: str) -> None:
        """Takes an item off the list without rewards, saying why."""
        operation = self._table.update_op(work.key, "SET reward_skipped = :why REMOVE due_queue, due_at", {":why": reason, ":due": work.due_at}, "due_at = :due")
        if self._transact([operation]):
            raise AlreadyDone(str(work.key))

    # Changes apply_refund combines.

    def pending_reduced(self, reward: RewardRecord, basis: int, amount: int) -> list[Operation]:
        change = self._table.update_op(
            keys.reward_key(reward.reward_id),
            "SET amount = :amount, refunded_basis = :basis",
            {":amount": amount, ":basis": basis, ":pending": "pending", ":old": reward.refunded_basis},
            "#s = :pending AND refunded_basis = :old",
            {"#s": "status"},
        )
        stats = [self._stats(reward.advocate_id, {"pending_amount": amount - reward.amount})] if reward.recipient == "advocate" else []
        return [change, *stats]

    def pending_voided(self, reward: RewardRecord, basis: int, at: str, progress: ReferralProgress | None = None) -> list[Operation]:
        change = self._table.update_op(
            keys.reward_key(reward.reward_id),
            "SET #s = :voided, voided_at = :at, refunded_basis = :basis REMOVE due_queue, due_at",
            {":voided": "voided", ":pending": "pending", ":at": at, ":basis": basis, ":old": reward.refunded_basis},
            "#s = :pending AND refunded_basis = :old",
            {"#s": "status"},
        )
        stats = (
            [
                self._stats(reward.advocate_id, {**_tally("pending", -1, -reward.amount), **_tally("voided", 1, reward.amount)}),
                *self._referral_of(reward, progress),
            ]
            if reward.recipient == "advocate"
            else []
        )
        return [change, *stats]

    def settled_adjusted(self, reward: RewardRecord, basis: int, adjustment: RewardRecord | None, progress: ReferralProgress | None = None) -> list[Operation]:
        # The adjustment copies the reward's customer: conditional on the reward still holding them.
        values: dict[str, Any] = {":basis": basis, ":old": reward.refunded_basis}
        if reward.customer_key:
            values[":key"] = reward.customer_key
        holds = "customer_key = :key" if reward.customer_key else "attribute_not_exists(customer_key)"
        change = self._table.update_op(keys.reward_key(reward.reward_id), "SET refunded_basis = :basis", values, f"refunded_basis = :old AND {holds}")
        operations = [change]
        if adjustment is not None:
            operations.append(self._new_reward(adjustment))
            operations += self._recipient_guards(adjustment)
            # Not for an erased advocate (the reward lost their key): their counters went with them.
            if reward.recipient == "advocate" and reward.customer_key:
                operations.append(self._stats(reward.advocate_id, {"adjustments_count": 1, "adjustments_amount": adjustment.amount}))
        if reward.recipient == "advocate":
            operations += self._referral_of(reward, progress, checked=adjustment is not None and bool(adjustment.customer_key))
        return operations

    # --- erasure ---------------------------------------------------------------------------------------

    def reward_item(self, reward_id: str) -> dict[str, Any] | None:
        item = self._table.get(keys.reward_key(reward_id), consistent=True)
        return item if item and item.get("kind") in ("reward", "adjustment") else None

    @staticmethod
    def record_of(item: dict[str, Any]) -> RewardRecord:
        return _record(item)

    def voided_for_erasure(self, reward: RewardRecord, at: str, event: OutboxEntry) -> list[Operation]:
        """A pending reward of an erased customer: voided without their ids (no fact: an erasure is not a refund, and
        the metrics stay as they were), off the work list, its RewardVoided in the outbox."""
        return [
            self._table.update_op(
                keys.reward_key(reward.reward_id),
                "SET #s = :voided, voided_at = :at, erased_at = :at REMOVE customer_id, customer_key, due_queue, due_at, set_aside_reason, set_aside_at",
                {":voided": "voided", ":pending": "pending", ":at": at, ":key": reward.customer_key},
                "#s = :pending AND customer_key = :key",
                {"#s": "status"},
            ),
            self._outbox(event, at),
        ]

    def anonymised(self, reward: RewardRecord, at: str) -> list[Operation]:
        """A settled (or voided) reward of an erased customer keeps its amount, for the operator's books, without
        their ids; conditional on the state read, so a concurrent change makes the erasure read it again."""
        return [
            self._table.update_op(
                keys.reward_key(reward.reward_id),
                "SET erased_at = :at REMOVE customer_id, customer_key, set_aside_reason",
                {":at": at, ":key": reward.customer_key, ":status": reward.status},
                "customer_key = :key AND #s = :status",
                {"#s": "status"},
            )
        ]

    def unpublished_events_scrubbed(self, reward: RewardRecord, skip: tuple[str, ...] = ()) -> list[Operation]:
        """The reward's events still waiting in the outbox, rewritten without the customer id; for those not there, a
        check that they still are not (so an event written meanwhile cancels the erasure's transaction)."""
        operations = []
        for detail_type in ("RewardAdjusted",) if reward.is_adjustment else ("RewardApproved", "RewardVoided"):
            if detail_type in skip:
                continue
            key = keys.outbox_key(event_id(reward.reward_id, detail_type))
            item = self._table.get(key, consistent=True)
            if item is None:
                operations.append(self._table.check_op(key, "attribute_not_exists(pk)"))
                continue
            detail = {**json.loads(item["detail"]), "customer_id": None}
            operations.append(self._table.put_op({**item, "detail": json.dumps(detail, sort_keys=True)}, "detail = :read", {":read": item["detail"]}))
        return operations

    # --- the outbox ----------------------------------------------------------------------------------

    def outbox(self, now: datetime) -> list[tuple[dict[str, Any], OutboxEntry]]:
        entries = []
        for item in self._due(OUTBOX_QUEUE, now, limit=100):
            entries.append((item, OutboxEntry(item["pk"].removeprefix("OUTBOX#"), item["detail_type"], json.loads(item["detail"]))))
        return entries

    def published(self, item: dict[str, Any]) -> None:
        self._table.delete({"pk": item["pk"], "sk": item["sk"]})

    # --- the admin API --------------------------------------------------------------------------------

    def fulfil(self, reward_id: str, reference: str, paid_at: str) -> RewardRecord:
        """Marks an approved reward paid; a reward already paid with this same reference is answered as it is, so
        a retried fulfilment is safe. Raises ItemNotFound for no such reward, NotApproved when the reward is in
        any other state (paid with another reference included)."""
        reward = self.get_reward(reward_id)
        if reward is None or reward.is_adjustment:
            raise ItemNotFound(reward_id)
        if reward.status == "paid" and reward.reference == reference:
            return reward
        operations = [
            self._table.update_op(
                keys.reward_key(reward_id),
                "SET #s = :paid, paid_at = :at, #r = :ref",
                {":paid": "paid", ":approved": "approved", ":at": paid_at, ":ref": reference},
                "#s = :approved",
                {"#s": "status", "#r": "reference"},
            )
        ]
        if reward.recipient == "advocate":
            operations.append(self._stats(reward.advocate_id, {**_tally("approved", -1, -reward.amount), **_tally("paid", 1, reward.amount)}))
        if self._transact(operations):
            # Changed since it was read: a concurrent fulfilment with this reference is the same payment.
            now_stored = self.get_reward(reward_id) or reward
            if now_stored.status == "paid" and now_stored.reference == reference:
                return now_stored
            raise NotApproved(now_stored)
        return reward.model_copy(update={"status": "paid", "paid_at": paid_at, "reference": reference})

    def page(self, campaign_id: str | None, status: str | None, cursor: str | None, limit: int, advocate_id: str | None = None) -> tuple[list[RewardRecord], str | None]:
        """A campaign's (or, with `advocate_id`, one advocate's) rewards and adjustments by creation time, each
        from its own index: never a scan. Raises InvalidCursor for a cursor of another listing."""
        if advocate_id is not None:
            index, partition = ADVOCATE_REWARDS_INDEX, advocate_id
        elif campaign_id is not None:
            index, partition = LISTING_INDEX, keys.rewards_listing(campaign_id)
        else:
            raise ValueError("name a campaign or an advocate")
        names = {"#p": index.partition_key}
        values: dict[str, Any] = {":p": partition}
        filters = []
        if status:
            filters.append("#s = :s")
            names["#s"], values[":s"] = "status", status
        if advocate_id is not None and campaign_id is not None:
            filters.append("#c = :c")
            names["#c"], values[":c"] = "campaign_id", campaign_id
        query: dict[str, Any] = {
            "IndexName": index.name,
            "KeyConditionExpression": "#p = :p",
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }
        if filters:
            query["FilterExpression"] = " AND ".join(filters)
        items, next_cursor = self._table.page(
            limit=limit,
            cursor=cursor,
            cursor_names={"pk", "sk", index.partition_key, index.sort_key},
            listing={index.partition_key: partition},
            **query,
        )
        return [_record(item) for item in items], next_cursor

    def referrals(self, advocate_id: str, limit: int) -> list[dict[str, Any]]:
        """The advocate's newest `limit` referrals, newest first: status, reason (when ineligible) and since when."""
        items, _ = self._table.page(
            limit=limit,
            cursor=None,
            cursor_names=set(),
            listing={},
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues={":pk": keys.advocate_key(advocate_id)["pk"], ":prefix": keys.REFERRAL_PREFIX},
            ScanIndexForward=False,
            ConsistentRead=True,
        )
        return [{name: item[name] for name in ("status", "reason", "at") if name in item} for item in items]

    def advocate_tallies(self, advocate_id: str) -> dict[str, int]:
        """The advocate's counters: conversions, and count and amount of rewards by status and of adjustments."""
        item = self._table.get(keys.advocate_stats_key(advocate_id), consistent=True) or {}
        return {name: int(value) for name, value in item.items() if name not in ("pk", "sk")}
