"""Rescore (SPEC §4): fraud review run again over stored conversions with the campaigns' settings of today.

The signals stored with each conversion are decided again under today's `fraud` settings. What that would change is
reported; with `apply` it is done:

- a pending reward nobody reviewed, now flagged: held for review (RewardHeld);
- a held reward nobody reviewed that nothing flags any more: pending again, approved when its holding ends;
- a held reward nobody reviewed, flagged for other reasons now: its reasons change.

A reviewed reward keeps the reviewer's decision, and an approved, paid or voided one is settled: rescore counts the
settled ones that would be flagged now (`settled_flagged`) and changes none of them. Conversions are found through the
reward_created facts of their campaign-days in the events table, so a rescore reads those days and nothing else;
conversions whose rewards the rewards job has not created yet need nothing: it decides under today's settings.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from shared.campaigns.repository import CampaignRepository
from shared.fraud.repository import CreatedRewards
from shared.fraud.rules import FraudSignals, fraud_reasons
from shared.metrics.facts import REWARD_HELD
from shared.platform.clock import iso
from shared.platform.errors import InvalidRequest
from shared.rewards.events import reward_change_fact, reward_event
from shared.rewards.models import Review, RewardRecord
from shared.rewards.repository import AlreadyDone, NotHeld, RewardRepository
from shared.rewards.rules import held_for_review, pending_again

@dataclass
class RescoreSummary:
    since: str
    until: str
    apply: bool
    days: int = 0
    rewards_read: int = 0
    conversions_checked: int = 0
    settled_flagged: int = 0  # approved, paid or voided rewards today's settings would flag: left as they are
    changes: list[dict[str, Any]] = field(default_factory=list)
    applied: int = 0  # reward changes made (with apply)
    changed_meanwhile: int = 0  # reward changes not made: a review, refund or job run changed the reward first

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class _Change:
    reward: RewardRecord
    status_after: str
    reasons_after: list[str]


class Rescore:
    def __init__(self, rewards: RewardRepository, campaigns: CampaignRepository, created: CreatedRewards, retention_days: int) -> None:
        """`retention_days`: the events table's hot window, how long the facts a rescore reads (and writes) stay."""
        self.rewards = rewards
        self.campaigns = campaigns
        self.created = created
        self.retention_days = retention_days

    def run(self, since: date, now: datetime, apply: bool) -> dict[str, Any]:
        today = now.date()
        # The reward_created facts that name a day's rewards stay in the events table for the hot window only
        # (SPEC §8): a day older than that could no longer be read whole, so it is refused rather than half done.
        if since > today or (today - since).days >= self.retention_days:
            raise InvalidRequest(f"--since must be a day from {self.retention_days - 1} days ago (the hot window) to today", code="invalid_since")
        summary = RescoreSummary(since=since.isoformat(), until=today.isoformat(), apply=apply)
        for listed in self.campaigns.list_campaigns():
            campaign = self.campaigns.get_campaign(listed["campaign_id"])
            if campaign is None:
                continue
            first = max(since, date.fromisoformat(campaign.created_at[:10]))
            for offset in range((today - first).days + 1):
                summary.days += 1
                self._day(campaign.campaign_id, campaign.fraud, first + timedelta(days=offset), now, apply, summary)
        return summary.as_dict()

    def _day(self, campaign_id: str, settings: Any, day: date, now: datetime, apply: bool, summary: RescoreSummary) -> None:
        by_conversion: dict[str, list[RewardRecord]] = defaultdict(list)
        for reward_id in self.created.reward_ids(campaign_id, day):
            reward = self.rewards.get_reward(reward_id)
            summary.rewards_read += 1
            if reward is not None and reward.milestone is None and not reward.is_adjustment:
                by_conversion[reward.conversion_id].append(reward)
        for conversion_id, rewards in sorted(by_conversion.items()):
            order = self.rewards.get_order(rewards[0].order_id)
            if order is None:
                continue
            summary.conversions_checked += 1
            reasons = fraud_reasons(FraudSignals.from_stored(order.get("fraud_signals")), settings)
            changes = []
            for reward in sorted(rewards, key=lambda r: r.recipient):
                change = self._change(reward, list(reasons), summary)
                if change is not None:
                    changes.append(change)
            if not changes:
                continue
            before = next((c.reward.review.reasons for c in changes if c.reward.status == "held" and c.reward.review), [])
            summary.changes.append(
                {
                    "campaign_id": campaign_id,
                    "conversion_id": conversion_id,
                    "advocate_id": rewards[0].advocate_id,
                    "reasons_before": list(before),
                    "reasons_after": list(reasons),
                    "rewards": [
                        {"reward_id": c.reward.reward_id, "recipient": c.reward.recipient, "status_before": c.reward.status, "status_after": c.status_after}
                        for c in changes
                    ],
                }
            )
            if apply:
                for change in changes:
                    self._apply(change, now, summary)

    @staticmethod
    def _change(reward: RewardRecord, reasons: list[str], summary: RescoreSummary) -> _Change | None:
        if reward.review is not None and reward.review.decision is not None:
            return None  # a person decided: that stands
        if reward.status == "pending":
            return _Change(reward, "held", reasons) if reasons else None
        if reward.status == "held":
            if not reasons:
                return _Change(reward, "pending", reasons)
            held_for = reward.review.reasons if reward.review else []
            return _Change(reward, "held", reasons) if list(held_for) != reasons else None
        if reasons:
            summary.settled_flagged += 1
        return None

    def _apply(self, change: _Change, now: datetime, summary: RescoreSummary) -> None:
        reward, at = change.reward, iso(now)
        try:
            if change.status_after == "pending":
                self.rewards.unhold(reward, max(reward.approve_at or at, at), pending_again(datetime.fromisoformat(reward.created_at)))
            elif reward.status == "held":
                assert reward.review is not None
                self.rewards.change_reasons(reward, reward.review.model_copy(update={"reasons": change.reasons_after}))
            else:
                review = Review(reasons=change.reasons_after, flagged_at=at)
                held = reward.model_copy(update={"status": "held", "review": review})
                self.rewards.hold(reward, review, reward_event(held, "RewardHeld", at), reward_change_fact(REWARD_HELD, held, now, self.retention_days), held_for_review(now))
            summary.applied += 1
        except (AlreadyDone, NotHeld):
            summary.changed_meanwhile += 1
