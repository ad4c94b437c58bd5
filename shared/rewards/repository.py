"""Rewards in the referrals table: the job's work list, the state changes (each one transaction, carrying its
own outbox entry), the outbox, and the reads of the admin API.

This repository owns the storage fields of rewards: the work list (the sparse `due` index: `due_queue`,
`due_at`; items the job could not process wait on its `set_aside` queue, with `set_aside_reason`; held rewards wait
for review on their campaign's `held#<campaign_id>` queue, by when they were flagged), the admin listing
(`list_pk`, `list_sk`) and the item families (`kind`). Every state change is
conditional on the state it leaves, so a crashed, repeated or overlapping run can neither apply a change twice
nor publish an event twice.

It also keeps each advocate's referrals (SPEC §3.6): one item per referred purchase in the advocate's partition,
written with the conversion and moved on by the job's and reviews' own transactions. Ids only: no customer's id,
email or hash.
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
from shared.rewards.models import Review, RewardRecord
from shared.rewards.rules import ReferralProgress

REWARDS_QUEUE = "rewards"
OUTBOX_QUEUE = "outbox"
# Work the job could not process, off its list until someone retries it; each keeps its due time.
SET_ASIDE_QUEUE = "set_aside"
# DynamoDB's cancellation reason when another transaction was writing one of the same items at that moment.
TRANSACTION_CONFLICT = "TransactionConflict"
# Held rewards, one queue per campaign (the review queue), oldest flagged first; never due for the job.
HELD_QUEUE_PREFIX = "held#"
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


def held_queue(campaign_id: str) -> str:
    return f"{HELD_QUEUE_PREFIX}{campaign_id}"


class CapReached(ConditionFailed):
    """The advocate's monthly or lifetime cap is full: the transaction was cancelled on a cap counter (`lifetime`
    says which)."""

    def __init__(self, advocate_id: str, lifetime: bool = False) -> None:
        super().__init__(advocate_id)
        self.lifetime = lifetime


class MilestonesMoved(ConditionFailed):
    """Another approval of the same advocate's referrals committed since their count was read: read it again."""


class NotHeld(ConditionFailed):
    """Only a held reward can be reviewed; `reward` is the reward as stored."""

    def __init__(self, reward: RewardRecord) -> None:
        super().__init__(reward.reward_id)
        self.reward = reward


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


@dataclass(frozen=True)
class Caps:
    """What a new advocate reward counts against: the month's cap (advocate_id, month, limit), and the lifetime
    count, which is kept for every advocate (so a cap added later counts the referrals before it) and checked
    against `lifetime_limit` when the rules set one."""

    advocate_id: str
    month: tuple[str, int] | None = None
    lifetime_limit: int | None = None


@dataclass(frozen=True)
class MilestoneStep:
    """What an approval of a referral reward does to its advocate's milestones: the count read (and the milestones
    paid by then) moves to `read + 1`, and the bonuses reached are created with their events and facts."""

    advocate_id: str
    read: int
    exists: bool
    reached: tuple[int, ...]
    bonuses: tuple[RewardRecord, ...] = ()
    events: tuple[OutboxEntry, ...] = ()
    facts: tuple[Fact, ...] = ()


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

    def due_work(self, now: datetime, cursor: str | None = None, limit: int = 100) -> tuple[list[WorkItem], str | None]:
        """One page of the work list, earliest first, and the cursor of the next."""
        items, after = due(self._table, REWARDS_QUEUE, now, limit, cursor)
        return [WorkItem(str(item.get("kind")), {"pk": item["pk"], "sk": item["sk"]}, item[DUE_INDEX.sort_key], item) for item in items], after

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
        elif reward.status == "held" and reward.review is not None:
            attributes |= on_queue(held_queue(reward.campaign_id), reward.review.flagged_at)
        return self._table.put_new_op(keys.reward_key(reward.reward_id), attributes)

    def _lifetime(self, advocate_id: str, change: int, limit: int | None = None) -> Operation:
        if limit is None:
            return self._table.update_op(keys.lifetime_cap_key(advocate_id), "ADD #n :change", {":change": change}, names={"#n": "rewards"})
        return self._table.update_op(
            keys.lifetime_cap_key(advocate_id), "ADD #n :change", {":change": change, ":limit": limit}, "attribute_not_exists(#n) OR #n < :limit", {"#n": "rewards"}
        )

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
        """The referral behind an advocate's referral reward (created_at is when wom received the purchase), moved on
        only while the reward still names its advocate (an erased advocate's reward has lost their key, and their
        partition stays gone), checked against an erasure of them under way (unless `checked`: the transaction does
        already, and DynamoDB takes one operation per item). The check comes first."""
        if progress is None or not reward.customer_key or not reward.is_referral_reward:
            return []
        guard = [] if checked else [self._index.check(reward.customer_key)]
        return guard + self._referral(reward.advocate_id, reward.created_at, reward.conversion_id, progress)

    def take_conversion(
        self,
        work: WorkItem,
        rewards: list[RewardRecord],
        facts: list[Fact],
        caps: Caps | None,
        events: list[OutboxEntry] = (),
        progress: ReferralProgress | None = None,
        advocate_key: str | None = None,
    ) -> None:
        """Takes the conversion off the list, creates its rewards (with their facts and, for held ones, their
        events), counts it for the advocate, moves its referral on to `progress` (checked against an erasure of the
        advocate, `advocate_key`) and counts the advocate's reward against `caps`. Raises CapReached (nothing
        written) when a cap is full, AlreadyDone when the conversion was taken already, RecipientErasing when a
        recipient or the advocate is being erased."""
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
                counters.update(_tally(reward.status, 1, reward.amount))
        cap_indexes = []
        lifetime_index = None
        if caps is not None:
            if caps.month is not None:
                month, limit = caps.month
                cap_indexes.append(len(operations))
                operations.append(
                    self._table.update_op(
                        keys.reward_cap_key(caps.advocate_id, month), "ADD #n :one", {":one": 1, ":limit": limit}, "attribute_not_exists(#n) OR #n < :limit", {"#n": "rewards"}
                    )
                )
            lifetime_index = len(operations)
            cap_indexes.append(lifetime_index)
            operations.append(self._lifetime(caps.advocate_id, 1, caps.lifetime_limit))
        operations.append(self._stats(advocate_id, counters))
        operations += [self.fact(fact) for fact in facts]
        operations += [self._outbox(event, event.detail["at"]) for event in events]
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
        if any(cancelled.failed_at(i) for i in cap_indexes):
            raise CapReached(advocate_id, lifetime=lifetime_index is not None and cancelled.failed_at(lifetime_index))
        raise cancelled

    def milestone_count(self, advocate_id: str) -> tuple[int, frozenset[int], bool]:
        """The advocate's approved referrals, the milestones paid, and whether the counter exists yet."""
        item = self._table.get(keys.milestones_key(advocate_id), consistent=True)
        if item is None:
            return 0, frozenset(), False
        return int(item.get("approved_referrals", 0)), frozenset(int(n) for n in item.get("milestones_paid", ())), True

    def approve(
        self,
        reward: RewardRecord,
        approved_at: str,
        event: OutboxEntry,
        step: MilestoneStep | None,
        work: WorkItem | None = None,
        review: Review | None = None,
        progress: ReferralProgress | None = None,
    ) -> None:
        """Approves (its referral moved on to `progress`) a pending reward whose holding ended (`work`: its entry on the list) or a held one a review
        released (`review`: the decision), with its event and the milestones it reaches (`step`), in one transaction.
        Raises AlreadyDone when the reward is no longer in that state, MilestonesMoved when the advocate's count
        changed since `step` read it, RecipientErasing when a bonus's advocate is being erased."""
        values: dict[str, Any] = {":approved": "approved", ":at": approved_at}
        if work is not None:
            expression, condition = "SET #s = :approved, approved_at = :at REMOVE due_queue, due_at", "#s = :pending AND due_at = :due"
            values |= {":pending": "pending", ":due": work.due_at}
            key, before = work.key, "pending"
        else:
            if review is None:
                raise ValueError("an approval is of a reward due on the work list or of a reviewed one")
            expression, condition = "SET #s = :approved, approved_at = :at, #r = :review REMOVE due_queue, due_at", "#s = :held"
            values |= {":held": "held", ":review": review.model_dump(exclude_none=True)}
            key, before = keys.reward_key(reward.reward_id), "held"
        names = {"#s": "status", **({"#r": "review"} if review is not None else {})}
        operations = [self._table.update_op(key, expression, values, condition, names), self._outbox(event, approved_at)]
        counters = {**_tally(before, -1, -reward.amount), **_tally("approved", 1, reward.amount)} if reward.recipient == "advocate" else {}
        step_index = None
        if step is not None:
            step_index = len(operations)
            operations.append(self._milestone_move(step))
            for bonus in step.bonuses:
                operations.append(self._new_reward(bonus))
                counters["approved_count"] = counters.get("approved_count", 0) + 1
                counters["approved_amount"] = counters.get("approved_amount", 0) + bonus.amount
            operations += [self._outbox(entry, approved_at) for entry in step.events]
            operations += [self.fact(fact) for fact in step.facts]
        guarded = range(len(operations), len(operations))
        if step is not None and step.bonuses:
            guards = self._bonus_guards(step.bonuses)
            guarded = range(len(operations), len(operations) + len(guards))
            operations += guards
        referral = self._referral_of(reward, progress, checked=bool(step is not None and step.bonuses and step.bonuses[0].customer_key))
        if len(referral) == 2:  # the advocate's erasure check (no bonus guards it), then the referral
            guarded = range(len(operations), len(operations) + 1)
        operations += referral
        if counters:
            operations.append(self._stats(reward.advocate_id, counters))
        reasons = self._transact(operations)
        if not reasons:
            return
        cancelled = TransactionCancelled(reasons)
        if cancelled.failed_at(0):
            raise AlreadyDone(reward.reward_id)
        if any(cancelled.failed_at(i) for i in guarded):
            raise RecipientErasing(reward.reward_id)
        if step_index is not None and any(cancelled.failed_at(i) for i in range(step_index, step_index + 1 + len(step.bonuses))):
            raise MilestonesMoved(reward.advocate_id)
        if step is not None and TRANSACTION_CONFLICT in reasons:
            # Another approval of this advocate's referrals was writing the same counter at that moment (DynamoDB
            # cancels both sides of such a race): count again, as when it had committed first.
            raise MilestonesMoved(reward.advocate_id)
        raise cancelled

    def _bonus_guards(self, bonuses: tuple[RewardRecord, ...]) -> list[Operation]:
        """As _recipient_guards for the milestone bonuses one approval creates: all the advocate's, so the erasure
        check and the advocate's check are written once (a transaction names each item once), a reference each."""
        customer_key = bonuses[0].customer_key
        if not customer_key:
            return []
        return [
            self._index.check(customer_key),
            self._table.check_op(keys.advocate_key(bonuses[0].advocate_id), "customer_key = :key", {":key": customer_key}),
            *(self._index.reference(customer_key, "reward", bonus.reward_id) for bonus in bonuses),
        ]

    def _milestone_move(self, step: MilestoneStep) -> Operation:
        # Conditional on the count read: two approvals of one advocate's referrals can never both count as the n-th.
        values: dict[str, Any] = {":next": step.read + 1}
        if step.exists:
            condition, values[":read"] = "#n = :read", step.read
        else:
            condition = "attribute_not_exists(#n)"
        expression = "SET #n = :next, #k = :kind"
        values[":kind"] = "milestones"
        if step.reached:
            expression += " ADD #p :paid"
            values[":paid"] = set(step.reached)
        return self._table.update_op(
            keys.milestones_key(step.advocate_id), expression, values, condition, {"#n": "approved_referrals", "#k": "kind", **({"#p": "milestones_paid"} if step.reached else {})}
        )

    # --- review ------------------------------------------------------------------------------------

    def release(self, reward: RewardRecord, review: Review, due_at: str, progress: ReferralProgress | None = None) -> None:
        """A held reward a review approved before its holding ended: back on the work list, approved when due (its
        referral moved on to `progress`). Raises NotHeld when it is no longer held."""
        self._unhold(reward, due_at, review, progress)

    def reject(self, reward: RewardRecord, review: Review, at: str, event: OutboxEntry, fact: Fact) -> None:
        """A held reward a review rejected: voided, with its event and fact. Raises NotHeld when it is not held."""
        operations = [
            self._table.update_op(
                keys.reward_key(reward.reward_id),
                "SET #s = :voided, voided_at = :at, #r = :review REMOVE due_queue, due_at",
                {":voided": "voided", ":held": "held", ":at": at, ":review": review.model_dump(exclude_none=True)},
                "#s = :held",
                {"#s": "status", "#r": "review"},
            ),
            self._outbox(event, at),
            self.fact(fact),
            *self._voided_counts(reward, "held"),
        ]
        if self._transact(operations):
            raise NotHeld(reward)

    # --- fraud review of stored conversions (rescore) ------------------------------------------------

    def hold(self, reward: RewardRecord, review: Review, event: OutboxEntry, fact: Fact, progress: ReferralProgress | None = None) -> None:
        """A pending reward nobody reviewed, held for review (its referral moved on to `progress`). Raises AlreadyDone
        when it is not that any more."""
        operations = [
            self._table.update_op(
                keys.reward_key(reward.reward_id),
                "SET #s = :held, #r = :review, #q = :queue, #d = :flagged",
                {":held": "held", ":pending": "pending", ":review": review.model_dump(exclude_none=True), ":queue": held_queue(reward.campaign_id), ":flagged": review.flagged_at},
                "#s = :pending AND attribute_not_exists(#r)",
                {"#s": "status", "#r": "review", "#q": DUE_INDEX.partition_key, "#d": DUE_INDEX.sort_key},
            ),
            self._outbox(event, review.flagged_at),
            self.fact(fact),
        ]
        if reward.recipient == "advocate":
            operations.append(self._stats(reward.advocate_id, {**_tally("pending", -1, -reward.amount), **_tally("held", 1, reward.amount)}))
        operations += self._referral_of(reward, progress)
        if self._transact(operations):
            raise AlreadyDone(reward.reward_id)

    def unhold(self, reward: RewardRecord, due_at: str, progress: ReferralProgress | None = None) -> None:
        """A held reward nobody reviewed that no signal flags any more: pending again, on the work list."""
        self._unhold(reward, due_at, None, progress)

    def change_reasons(self, reward: RewardRecord, review: Review) -> None:
        """A held reward nobody reviewed, flagged for other reasons now."""
        operation = self._table.update_op(
            keys.reward_key(reward.reward_id),
            "SET #r = :review",
            {":held": "held", ":review": review.model_dump(exclude_none=True)},
            "#s = :held AND attribute_not_exists(#r.#decision)",
            {"#s": "status", "#r": "review", "#decision": "decision"},
        )
        if self._transact([operation]):
            raise AlreadyDone(reward.reward_id)

    def _unhold(self, reward: RewardRecord, due_at: str, review: Review | None, progress: ReferralProgress | None = None) -> None:
        keep = ", #r = :review" if review is not None else ""
        values: dict[str, Any] = {":pending": "pending", ":held": "held", ":queue": REWARDS_QUEUE, ":due": due_at}
        if review is not None:
            values[":review"] = review.model_dump(exclude_none=True)
        operations = [
            self._table.update_op(
                keys.reward_key(reward.reward_id),
                f"SET #s = :pending, #q = :queue, #d = :due{keep}" + ("" if review is not None else " REMOVE #r"),
                values,
                "#s = :held AND attribute_not_exists(#r.#decision)",
                {"#s": "status", "#r": "review", "#decision": "decision", "#q": DUE_INDEX.partition_key, "#d": DUE_INDEX.sort_key},
            )
        ]
        if reward.recipient == "advocate":
            operations.append(self._stats(reward.advocate_id, {**_tally("held", -1, -reward.amount), **_tally("pending", 1, reward.amount)}))
        operations += self._referral_of(reward, progress)
        if self._transact(operations):
            raise NotHeld(reward)

    def _voided_counts(self, reward: RewardRecord, before: str) -> list[Operation]:
        """The advocate's tallies after one of their unpaid rewards is voided; a voided referral gives its place
        under the lifetime cap back."""
        if reward.recipient != "advocate":
            return []
        operations = [self._stats(reward.advocate_id, {**_tally(before, -1, -reward.amount), **_tally("voided", 1, reward.amount)})]
        if reward.is_referral_reward:
            operations.append(self._lifetime(reward.advocate_id, -1))
        return operations

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

    def unpaid_reduced(self, reward: RewardRecord, basis: int, amount: int) -> list[Operation]:
        """A pending or held reward's amount after a partial refund."""
        change = self._table.update_op(
            keys.reward_key(reward.reward_id),
            "SET amount = :amount, refunded_basis = :basis",
            {":amount": amount, ":basis": basis, ":status": reward.status, ":old": reward.refunded_basis},
            "#s = :status AND refunded_basis = :old",
            {"#s": "status"},
        )
        stats = [self._stats(reward.advocate_id, {f"{reward.status}_amount": amount - reward.amount})] if reward.recipient == "advocate" else []
        return [change, *stats]

    def unpaid_voided(self, reward: RewardRecord, basis: int, at: str, progress: ReferralProgress | None = None) -> list[Operation]:
        """A pending or held reward voided by a refund (off the work list or the review queue), its referral moved
        on to `progress`."""
        change = self._table.update_op(
            keys.reward_key(reward.reward_id),
            "SET #s = :voided, voided_at = :at, refunded_basis = :basis REMOVE due_queue, due_at",
            {":voided": "voided", ":status": reward.status, ":at": at, ":basis": basis, ":old": reward.refunded_basis},
            "#s = :status AND refunded_basis = :old",
            {"#s": "status"},
        )
        return [change, *self._voided_counts(reward, reward.status), *self._referral_of(reward, progress)]

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
        """A pending or held reward of an erased customer: voided without their ids (no fact: an erasure is not a
        refund, and the metrics stay as they were), off the work list or review queue, its RewardVoided in the
        outbox."""
        return [
            self._table.update_op(
                keys.reward_key(reward.reward_id),
                "SET #s = :voided, voided_at = :at, erased_at = :at REMOVE customer_id, customer_key, due_queue, due_at, set_aside_reason, set_aside_at"
                + _review_note_removed(reward),
                {":voided": "voided", ":status": reward.status, ":at": at, ":key": reward.customer_key},
                "#s = :status AND customer_key = :key",
                _review_names(reward, {"#s": "status"}),
            ),
            self._outbox(event, at),
        ]

    def anonymised(self, reward: RewardRecord, at: str) -> list[Operation]:
        """A settled (or voided) reward of an erased customer keeps its amount, for the operator's books, without
        their ids (nor a reviewer's note, which may speak of them); conditional on the state read, so a concurrent
        change makes the erasure read it again."""
        return [
            self._table.update_op(
                keys.reward_key(reward.reward_id),
                "SET erased_at = :at REMOVE customer_id, customer_key, set_aside_reason" + _review_note_removed(reward),
                {":at": at, ":key": reward.customer_key, ":status": reward.status},
                "customer_key = :key AND #s = :status",
                _review_names(reward, {"#s": "status"}),
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

    def outbox(self, now: datetime, cursor: str | None = None) -> tuple[list[tuple[dict[str, Any], OutboxEntry]], str | None]:
        """One page of the events waiting to be published, earliest first, and the cursor of the next."""
        items, after = due(self._table, OUTBOX_QUEUE, now, 100, cursor)
        return [(item, OutboxEntry(item["pk"].removeprefix("OUTBOX#"), item["detail_type"], json.loads(item["detail"]))) for item in items], after

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
        from its own index: never a scan; a campaign's held ones (its review queue) by when they were flagged, from
        their own queue. Raises InvalidCursor for a cursor of another listing."""
        if status == "held" and campaign_id is not None and advocate_id is None:
            return self._held_page(campaign_id, cursor, limit)
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

    def _held_page(self, campaign_id: str, cursor: str | None, limit: int) -> tuple[list[RewardRecord], str | None]:
        queue = held_queue(campaign_id)
        items, next_cursor = self._table.page(
            limit=limit,
            cursor=cursor,
            cursor_names={"pk", "sk", DUE_INDEX.partition_key, DUE_INDEX.sort_key},
            listing={DUE_INDEX.partition_key: queue},
            IndexName=DUE_INDEX.name,
            KeyConditionExpression="#q = :q",
            ExpressionAttributeNames={"#q": DUE_INDEX.partition_key},
            ExpressionAttributeValues={":q": queue},
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


def _review_note_removed(reward: RewardRecord) -> str:
    # A reviewer's note is free text about the people behind a referral. DynamoDB refuses to remove a path under a
    # map that is not there, so the note is named only when the reward has one.
    return ", #r.#note" if reward.review is not None and reward.review.note is not None else ""


def _review_names(reward: RewardRecord, names: dict[str, str]) -> dict[str, str]:
    return {**names, "#r": "review", "#note": "note"} if _review_note_removed(reward) else names
