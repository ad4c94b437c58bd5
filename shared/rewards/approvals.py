"""Approving a reward: the one path the rewards job (holding ended) and a review (a held reward released once its
holding has passed) share, so that the milestones an approval reaches are paid exactly once, however approvals of
one advocate's referrals interleave, repeat or crash."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from shared.campaigns.models import RewardRules
from shared.metrics.facts import REWARD_CREATED
from shared.platform import ids
from shared.rewards.events import reward_change_fact, reward_event
from shared.rewards.models import Review, RewardRecord
from shared.rewards.repository import MilestoneStep, MilestonesMoved, RewardRepository, WorkItem
from shared.rewards.rules import milestones_reached, rewarded

# Approvals of one advocate's referrals that commit between our read and our write; each retry reads afresh.
_MILESTONE_ATTEMPTS = 25

RulesOf = Callable[[str, int], "RewardRules | None"]


class Approvals:
    def __init__(self, rewards: RewardRepository, rules_of: RulesOf, retention_days: int) -> None:
        self.rewards = rewards
        self.rules_of = rules_of
        self.retention_days = retention_days

    def approve(self, reward: RewardRecord, at: str, work: WorkItem | None = None, review: Review | None = None) -> list[RewardRecord]:
        """Approves `reward` at `at` (see RewardRepository.approve); returns the milestone bonuses it earned.
        Raises AlreadyDone when another run or review got there first."""
        approved = reward.model_copy(update={"status": "approved", "approved_at": at, "review": review or reward.review})
        event = reward_event(approved, "RewardApproved", at)
        if not reward.is_referral_reward:
            self.rewards.approve(reward, at, event, None, work, review)
            return []
        progress = rewarded(datetime.fromisoformat(at))  # the advocate's page shows the referral rewarded
        rules = self.rules_of(reward.campaign_id, reward.rules_version)
        milestones = rules.milestones if rules is not None else []
        for _ in range(_MILESTONE_ATTEMPTS):
            step = self._step(reward, at, milestones)
            try:
                self.rewards.approve(reward, at, event, step, work, review, progress)
                return list(step.bonuses)
            except MilestonesMoved:
                continue  # another approval of this advocate's referrals committed first: count again
        raise MilestonesMoved(reward.advocate_id)

    def _step(self, reward: RewardRecord, at: str, milestones: list) -> MilestoneStep:
        read, paid, exists = self.rewards.milestone_count(reward.advocate_id)
        reached = milestones_reached(milestones, read + 1, paid)
        bonuses = tuple(self._bonus(reward, milestone.referrals, milestone.reward.value, at) for milestone in reached)
        return MilestoneStep(
            advocate_id=reward.advocate_id,
            read=read,
            exists=exists,
            reached=tuple(m.referrals for m in reached),
            bonuses=bonuses,
            events=tuple(reward_event(bonus, "RewardApproved", at) for bonus in bonuses),
            facts=tuple(reward_change_fact(REWARD_CREATED, bonus, datetime.fromisoformat(at), self.retention_days) for bonus in bonuses),
        )

    @staticmethod
    def _bonus(reward: RewardRecord, referrals: int, value: int, at: str) -> RewardRecord:
        """A milestone bonus: the advocate's, approved at once (the referrals behind it are past holding), filed
        under the referral whose approval reached it."""
        return RewardRecord(
            **reward.model_dump(include={"campaign_id", "conversion_id", "order_id", "advocate_id", "customer_id", "customer_key", "currency", "rules_version"}),
            reward_id=ids.milestone_reward_id(reward.advocate_id, referrals),
            recipient="advocate",
            amount=value,
            status="approved",
            created_at=at,
            approved_at=at,
            milestone=referrals,
            rule_type="flat",
            rule_value=value,
        )
