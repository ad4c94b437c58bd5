"""Reward use cases of the admin API: list a campaign's rewards (and its review queue), review a held one, mark an
approved one paid."""

from __future__ import annotations

from datetime import datetime

from shared.campaigns.repository import CampaignRepository
from shared.metrics.facts import REWARD_VOIDED
from shared.platform.clock import Clock, iso
from shared.platform.dynamo import InvalidCursor, ItemNotFound
from shared.platform.errors import Conflict, InvalidRequest, NotFound
from shared.rewards.approvals import Approvals
from shared.rewards.events import reward_change_fact, reward_event
from shared.rewards.models import Review, ReviewRequest, Reward, RewardPage, RewardRecord, RewardStatus
from shared.rewards.repository import AlreadyDone, NotApproved, NotHeld, RewardRepository
from shared.rewards.rules import pending_again


class RewardService:
    def __init__(self, rewards: RewardRepository, campaigns: CampaignRepository, clock: Clock, retention_days: int) -> None:
        self.rewards = rewards
        self.campaigns = campaigns
        self.clock = clock
        self.retention_days = retention_days

    def list_rewards(self, campaign_id: str | None, status: RewardStatus | None, cursor: str | None, limit: int, advocate_id: str | None = None) -> RewardPage:
        if campaign_id is None and advocate_id is None:
            raise InvalidRequest("name campaign_id, advocate_id or both", code="invalid_request")
        try:
            records, next_cursor = self.rewards.page(campaign_id, status, cursor, limit, advocate_id)
        except InvalidCursor:
            raise InvalidRequest("cursor is not one this listing handed out", code="invalid_cursor") from None
        return RewardPage(rewards=[record.shown() for record in records], next_cursor=next_cursor)

    def _reward(self, reward_id: str) -> RewardRecord:
        reward = self.rewards.get_reward(reward_id)
        if reward is None or reward.is_adjustment:
            raise NotFound(f"no reward {reward_id!r}", code="reward_not_found")
        return reward

    def fulfil(self, reward_id: str, reference: str) -> Reward:
        try:
            return self.rewards.fulfil(reward_id, reference, iso(self.clock())).shown()
        except ItemNotFound:
            raise NotFound(f"no reward {reward_id!r}", code="reward_not_found") from None
        except NotApproved as error:
            if error.reward.status == "paid":
                raise Conflict(f"reward {reward_id!r} was paid with another reference", code="reward_already_paid") from None
            raise Conflict(f"reward {reward_id!r} is {error.reward.status}; only an approved reward can be fulfilled", code="reward_not_approved") from None

    def review(self, reward_id: str, request: ReviewRequest) -> Reward:
        """Releases a held reward (approved at once when its holding has passed, else pending until it has) or
        voids it. The same decision again is answered with the reward as it stands (a retry is safe)."""
        reward = self._reward(reward_id)
        if reward.status != "held":
            return self._already_reviewed(reward, request)
        now = self.clock()
        at = iso(now)
        flagged = reward.review or Review(reasons=[], flagged_at=reward.created_at)
        review = flagged.model_copy(update={"decision": request.decision, "note": request.note, "reviewed_at": at})
        try:
            if request.decision == "reject":
                voided = reward.model_copy(update={"status": "voided", "voided_at": at, "review": review})
                self.rewards.reject(reward, review, at, reward_event(voided, "RewardVoided", at), reward_change_fact(REWARD_VOIDED, voided, now, self.retention_days))
                return voided.shown()
            if reward.approve_at is None or reward.approve_at <= at:
                rules_of = self.campaigns.get_rules
                Approvals(self.rewards, rules_of, self.retention_days).approve(reward, at, review=review)
                return reward.model_copy(update={"status": "approved", "approved_at": at, "review": review}).shown()
            self.rewards.release(reward, review, reward.approve_at, pending_again(datetime.fromisoformat(reward.created_at)))
            return reward.model_copy(update={"status": "pending", "review": review}).shown()
        except (NotHeld, AlreadyDone):
            return self._already_reviewed(self._reward(reward_id), request)  # a concurrent review or refund came first

    @staticmethod
    def _already_reviewed(reward: RewardRecord, request: ReviewRequest) -> Reward:
        decision = reward.review.decision if reward.review else None
        if decision == request.decision:
            return reward.shown()
        if decision is not None:
            raise Conflict(f"reward {reward.reward_id!r} was reviewed already: {decision}", code="reward_already_reviewed")
        raise Conflict(f"reward {reward.reward_id!r} is {reward.status}; only a held reward can be reviewed", code="reward_not_held")
