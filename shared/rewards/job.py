"""The rewards job (SPEC §4, §5): works through what is new or due, in the order it became due.

- an attributed conversion gets its rewards (pending until holding ends), within the advocate's monthly and lifetime
  caps; when fraud review flags the conversion they are held instead (RewardHeld), until someone reviews them;
- a pending reward past holding is approved (RewardApproved), with the milestone bonuses its approval reaches;
- a refund reduces a pending percent reward pro rata or voids it (RewardVoided), and claws back from an
  approved or paid one with a negative adjustment (RewardAdjusted).

Each of those is one transaction that also takes the item off the work list and writes its event to the
outbox; the outbox is then published and emptied. A run that dies halfway leaves every item either done or
still on the list, so the next run finishes the work, and nothing is done or published twice.

An item the job cannot process (its data is not what the job expects) is set aside with its reason and the run goes
on with the rest (SPEC §4); `retry_set_aside` puts such items back on the list. Storage that is throttled or down
is not the item's fault: that stops the run, leaving the item on the list for the next one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from shared.platform import ids, keys
from shared.platform.clock import iso
from shared.platform.dynamo import is_transient
from shared.platform.resources import REWARDS_BUS
from shared.metrics.facts import REWARD_CREATED, REWARD_HELD, REWARD_VOIDED, Fact
from shared.campaigns.models import Campaign, RewardRules
from shared.platform.observability import logger
from shared.platform.worklist import first_unseen
from shared.campaigns.repository import CampaignRepository
from shared.fraud.rules import FraudSignals, fraud_reasons
from shared.rewards.approvals import Approvals
from shared.rewards.events import reward_change_fact, reward_event
from shared.rewards.models import FraudReason, Review, RewardRecord
from shared.rewards.repository import AlreadyDone, CapReached, Caps, OutboxEntry, RecipientErasing, RewardRepository, WorkItem
from shared.conversions.attribution import REFERRED_STATUSES
from shared.rewards.rules import (
    Conversion,
    PlannedReward,
    RuleTerms,
    plan_rewards,
    progress_after_refund,
    progress_once_planned,
    refund_effect,
)

MAX_ROUNDS = 10_000  # a bound on one run; a run that hits it leaves the rest for the next one
PUT_EVENTS_BATCH = 10


@dataclass
class RewardsRunSummary:
    conversions: int = 0
    rewards_created: int = 0
    held: int = 0  # rewards created held for review
    capped: int = 0
    approved: int = 0
    milestones: int = 0  # milestone bonuses the approvals reached
    refunds: int = 0
    voided: int = 0
    reduced: int = 0
    adjusted: int = 0
    skipped: int = 0
    # Left on the work list for a later run: a recipient was being erased.
    deferred: int = 0
    published: int = 0
    publish_failures: int = 0
    set_aside: int = 0  # items this run could not process, now on the set-aside queue
    set_aside_items: list[dict[str, str]] = field(default_factory=list)
    retried: int = 0  # set-aside items put back on the list before this run

    def as_dict(self) -> dict[str, Any]:
        return {name: list(value) if isinstance(value, list) else value for name, value in self.__dict__.items()}


@dataclass
class _RulesCache:
    campaigns: CampaignRepository
    _campaigns: dict[str, Campaign | None] = field(default_factory=dict)
    _rules: dict[tuple[str, int], RewardRules | None] = field(default_factory=dict)

    def campaign(self, campaign_id: str) -> Campaign | None:
        if campaign_id not in self._campaigns:
            self._campaigns[campaign_id] = self.campaigns.get_campaign(campaign_id)
        return self._campaigns[campaign_id]

    def rules(self, campaign_id: str, version: int) -> RewardRules | None:
        if (campaign_id, version) not in self._rules:
            self._rules[(campaign_id, version)] = self.campaigns.get_rules(campaign_id, version)
        return self._rules[(campaign_id, version)]


class RewardsJob:
    def __init__(self, rewards: RewardRepository, campaigns: CampaignRepository, events_client: Any, bus_name: str, retention_days: int) -> None:
        self.rewards = rewards
        self.campaigns = campaigns
        self.events_client = events_client
        self.bus_name = bus_name
        self.retention_days = retention_days

    def run(self, now: datetime, retry_set_aside: bool = False) -> dict[str, Any]:
        """One run as of `now`; with `retry_set_aside`, the items set aside earlier go back on the list first."""
        summary = RewardsRunSummary()
        if retry_set_aside:
            summary.retried = sum(self.rewards.put_back({"pk": item["pk"], "sk": item["sk"]}) for item in self.rewards.set_aside_work())
        cache = _RulesCache(self.campaigns)
        self._work_through_list(now, cache, summary)
        self._publish_outbox(now, summary)
        return summary.as_dict()

    def set_aside(self) -> list[dict[str, str]]:
        return self.rewards.set_aside_work()

    def publish(self, now: datetime) -> int:
        """Publishes what is waiting in the outbox (a review's or a rescore's events) without running the job."""
        summary = RewardsRunSummary()
        self._publish_outbox(now, summary)
        return summary.published

    def _fact(self, change: str, reward: RewardRecord, at: datetime) -> Fact:
        return reward_change_fact(change, reward, at, self.retention_days)

    # --- the work list -------------------------------------------------------------------------------

    def _work_through_list(self, now: datetime, cache: _RulesCache, summary: RewardsRunSummary) -> None:
        seen: set[tuple[str, str]] = set()
        for _ in range(MAX_ROUNDS):
            # The index lags the table a little: an entry this run has handled may still be listed.
            work = first_unseen(lambda cursor: self.rewards.due_work(now, cursor), lambda w: (w.key["pk"], w.due_at) not in seen)
            if not work:
                return
            # Work in due order. A new reward may fall due before later items of this page (a refund that came
            # after its holding ended must find it approved): stop there and read the list again.
            horizon: str | None = None
            for entry in work:
                if horizon is not None and entry.due_at > horizon:
                    break
                seen.add((entry.key["pk"], entry.due_at))
                for approve_at in self._handle(entry, cache, summary, now):
                    if approve_at <= iso(now):
                        horizon = approve_at if horizon is None else min(horizon, approve_at)
        logger.warning("rewards job stopped after its round limit; the next run continues")

    def _handle(self, work: WorkItem, cache: _RulesCache, summary: RewardsRunSummary, now: datetime) -> list[str]:
        try:
            return self._process(work, cache, summary)
        except Exception as error:  # noqa: BLE001 - one item must never stop the run (SPEC §4)
            if is_transient(error):
                raise  # storage trouble, not the item's: the run stops and the item stays on the list
            self._set_aside(work, error, summary, now)
            return []

    def _set_aside(self, work: WorkItem, error: Exception, summary: RewardsRunSummary, now: datetime) -> None:
        reason = f"{type(error).__name__}: {error}"[:500]
        logger.error("rewards job set an item aside", extra={"pk": work.key["pk"], "sk": work.key["sk"], "kind": work.kind, "reason": reason})
        try:
            self.rewards.set_aside(work, reason, iso(now))
        except AlreadyDone:
            return  # an overlapping run took it meanwhile
        summary.set_aside += 1
        summary.set_aside_items.append({"pk": work.key["pk"], "sk": work.key["sk"], "kind": work.kind, "reason": reason})

    def _process(self, work: WorkItem, cache: _RulesCache, summary: RewardsRunSummary) -> list[str]:
        try:
            if work.kind == "conversion":
                return self._take_conversion(work, cache, summary)
            if work.kind == "refund":
                self._take_refund(work, cache, summary)
            elif work.kind == "reward":
                self._approve(work, cache, summary)
            else:
                self.rewards.skip(work, "not_rewardable")
                summary.skipped += 1
        except AlreadyDone:
            pass  # an overlapping run did it
        except RecipientErasing:
            summary.deferred += 1  # still on the list: a later run finds the erasure done and the data gone
        return []

    def _take_conversion(self, work: WorkItem, cache: _RulesCache, summary: RewardsRunSummary) -> list[str]:
        order = work.item
        campaign = cache.campaign(order.get("campaign_id", ""))
        rules = cache.rules(order["campaign_id"], int(order.get("rules_version") or 1)) if campaign else None
        advocate = self.campaigns.get_advocate(order.get("advocate_id", "")) if campaign else None
        if order.get("status") not in REFERRED_STATUSES or campaign is None or rules is None or advocate is None:
            self.rewards.skip(work, "not_rewardable")
            summary.skipped += 1
            return []
        if order.get("first_purchase_unverified") and rules.first_purchase_only:
            # Recorded while its buyer was being erased: no first purchase could be claimed, so none is rewarded.
            self.rewards.skip(work, "first_purchase_unverified")
            summary.skipped += 1
            return []
        conversion = Conversion(
            conversion_id=order["conversion_id"],
            order_id=order["order_id"],
            status=order["status"],
            campaign_id=campaign.campaign_id,
            advocate_id=advocate.advocate_id,
            buyer_customer_id=order.get("customer_id"),
            advocate_customer_id=advocate.customer_id,
            amount=int(order["amount"]),
            currency=order["currency"],
            occurred_at=datetime.fromisoformat(order["occurred_at"]),
            rules_version=int(order.get("rules_version") or 1),
            received_at=datetime.fromisoformat(order["received_at"]),
        )
        # Fraud review under the campaign's settings of now; the signals were stored when the purchase was recorded.
        reasons = fraud_reasons(FraudSignals.from_stored(order.get("fraud_signals")), campaign.fraud) if conversion.status == "attributed" else []
        planned = plan_rewards(conversion, rules, campaign.currency)
        advocate_reward = next((p for p in planned if p.recipient == "advocate"), None)
        caps = None
        if advocate_reward is not None:
            month = (advocate_reward.cap_month, advocate_reward.cap_limit) if advocate_reward.cap_month and advocate_reward.cap_limit else None
            caps = Caps(advocate.advocate_id, month, advocate_reward.lifetime_limit)
        customer_keys = {"advocate": advocate.customer_key, "friend": order.get("customer_key")}
        try:
            rewards, facts, events = self._created(planned, conversion, order, reasons, customer_keys)
            progress = progress_once_planned(conversion, campaign.currency, planned, held=bool(reasons))
            self.rewards.take_conversion(work, rewards, facts, caps, events, progress, advocate.customer_key)
        except CapReached as full:
            # A cap is full: the friend's reward stands, the advocate's is not created.
            planned = [p for p in planned if p.recipient != "advocate"]
            rewards, facts, events = self._created(planned, conversion, order, reasons, customer_keys)
            progress = progress_once_planned(conversion, campaign.currency, planned, capped="lifetime_cap" if full.lifetime else "monthly_cap")
            self.rewards.take_conversion(work, rewards, facts, None, events, progress, advocate.customer_key)
            summary.capped += 1
        summary.conversions += 1
        summary.rewards_created += len(planned)
        if reasons:
            summary.held += len(planned)
            return []  # held rewards are never due: a review releases them
        return [iso(p.approve_at) for p in planned]

    def _created(
        self,
        planned: list[PlannedReward],
        conversion: Conversion,
        order: dict[str, Any],
        reasons: list[FraudReason],
        customer_keys: dict[str, str | None],
    ) -> tuple[list[RewardRecord], list[Fact], list[OutboxEntry]]:
        """The rewards, their facts filed on the conversion's day (as `created_at` says) and, for held ones, their
        RewardHeld events: flagged when the conversion was recorded, which is what the signals saw."""
        created_at = order["received_at"]
        review = Review(reasons=reasons, flagged_at=created_at) if reasons else None
        rewards = [
            RewardRecord(
                reward_id=p.reward_id,
                campaign_id=conversion.campaign_id,
                conversion_id=conversion.conversion_id,
                order_id=conversion.order_id,
                advocate_id=conversion.advocate_id,
                recipient=p.recipient,
                customer_id=p.customer_id,
                customer_key=customer_keys[p.recipient],
                amount=p.amount,
                currency=p.currency,
                status="held" if review else "pending",
                rules_version=conversion.rules_version,
                created_at=created_at,
                rule_type=p.terms.type,
                rule_value=p.terms.value,
                min_order_amount=p.terms.min_order_amount,
                order_amount=conversion.amount,
                approve_at=iso(p.approve_at),
                review=review,
            )
            for p in planned
        ]
        at = datetime.fromisoformat(created_at)
        facts = [self._fact(REWARD_CREATED, reward, at) for reward in rewards]
        events = []
        if review:
            facts += [self._fact(REWARD_HELD, reward, at) for reward in rewards]
            events = [reward_event(reward, "RewardHeld", created_at) for reward in rewards]
        return rewards, facts, events

    def _approve(self, work: WorkItem, cache: _RulesCache, summary: RewardsRunSummary) -> None:
        if work.item.get("status") != "pending":
            self.rewards.skip(work, "not_pending")
            return
        reward = self.rewards.reward_of(work)
        at = work.due_at  # approval is when holding ended, whenever the job got to it
        bonuses = Approvals(self.rewards, cache.rules, self.retention_days).approve(reward, at, work=work)
        summary.approved += 1
        summary.milestones += len(bonuses)

    def _take_refund(self, work: WorkItem, cache: _RulesCache, summary: RewardsRunSummary) -> None:
        refund = work.item
        order = self.rewards.get_order(refund["order_id"])
        order_work = self.rewards.order_is_due(order) if order is not None else None
        if order_work is not None:
            # Posted in the same instant as its conversion: the rewards must exist before a refund can touch them.
            try:
                self._take_conversion(order_work, cache, summary)
            except AlreadyDone:
                pass
        at = refund["received_at"]
        changes: list[dict] = []
        events: list[OutboxEntry] = []
        for recipient in ("advocate", "friend"):
            reward = self.rewards.get_reward(ids.reward_id(refund["conversion_id"], recipient))
            if reward is None or reward.status == "voided":
                continue
            terms = RuleTerms(reward.rule_type, reward.rule_value, reward.min_order_amount)
            effect = refund_effect(terms, reward.order_amount, reward.refunded_basis, int(refund["amount"]))
            progress = progress_after_refund(effect, datetime.fromisoformat(at))
            if reward.status in ("pending", "held"):
                if effect.value_after <= 0:
                    changes += self.rewards.unpaid_voided(reward, effect.refunded_basis, at, progress)
                    changes.append(self.rewards.fact(self._fact(REWARD_VOIDED, reward, datetime.fromisoformat(at))))
                    events.append(reward_event(reward.model_copy(update={"status": "voided"}), "RewardVoided", at, refund_id=refund["refund_id"]))
                    summary.voided += 1
                else:
                    changes += self.rewards.unpaid_reduced(reward, effect.refunded_basis, effect.value_after)
                    summary.reduced += int(effect.delta != 0)
                continue
            adjustment = None
            if effect.delta != 0:
                adjustment = self._adjustment(reward, refund, effect.delta)
                events.append(reward_event(adjustment, "RewardAdjusted", at, adjusts=reward.reward_id, refund_id=refund["refund_id"]))
                summary.adjusted += 1
            changes += self.rewards.settled_adjusted(reward, effect.refunded_basis, adjustment, progress)
        self.rewards.apply_refund(work, changes, events, at)
        summary.refunds += 1

    @staticmethod
    def _adjustment(reward: RewardRecord, refund: dict[str, Any], delta: int) -> RewardRecord:
        at = refund["received_at"]
        keep = {"campaign_id", "conversion_id", "order_id", "advocate_id", "recipient", "customer_id", "customer_key", "currency", "rules_version"}
        return RewardRecord(
            **reward.model_dump(include=keep),
            reward_id=ids.adjustment_id(reward.reward_id, refund["refund_id"]),
            amount=delta,
            status="approved",  # owed back now: it settles with the operator's next payout
            created_at=at,
            approved_at=at,
            adjusts=reward.reward_id,
            refund_id=refund["refund_id"],
        )

    # --- the outbox ----------------------------------------------------------------------------------

    def _publish_outbox(self, now: datetime, summary: RewardsRunSummary) -> None:
        failed: set[str] = set()  # tried this run: left for the next, and read past so they hide nothing after them
        for _ in range(MAX_ROUNDS):
            entries = first_unseen(lambda cursor: self.rewards.outbox(now, cursor), lambda entry: entry[1].event_id not in failed)
            if not entries:
                return
            for start in range(0, len(entries), PUT_EVENTS_BATCH):
                batch = entries[start : start + PUT_EVENTS_BATCH]
                response = self.events_client.put_events(
                    Entries=[
                        {"Source": REWARDS_BUS.source, "DetailType": entry.detail_type, "Detail": _json(entry.detail), "EventBusName": self.bus_name}
                        for _, entry in batch
                    ]
                )
                for (item, entry), result in zip(batch, response["Entries"], strict=True):
                    if "EventId" in result and not result.get("ErrorCode"):
                        self.rewards.published(item)
                        summary.published += 1
                    else:
                        failed.add(entry.event_id)
                        summary.publish_failures += 1
                        logger.warning("reward event not published; kept for the next run", extra={"event_id": entry.event_id, "error": result.get("ErrorCode")})


def _json(detail: dict[str, Any]) -> str:
    return json.dumps(detail, sort_keys=True, separators=(",", ":"))
