"""Reward use cases of the admin API: list a campaign's rewards, mark an approved one paid."""

from __future__ import annotations

from shared.platform.clock import Clock, iso
from shared.platform.dynamo import InvalidCursor, ItemNotFound
from shared.platform.errors import Conflict, InvalidRequest, NotFound
from shared.rewards.models import Reward, RewardPage, RewardStatus
from shared.rewards.repository import NotApproved, RewardRepository


class RewardService:
    def __init__(self, rewards: RewardRepository, clock: Clock) -> None:
        self.rewards = rewards
        self.clock = clock

    def list_rewards(self, campaign_id: str, status: RewardStatus | None, cursor: str | None, limit: int) -> RewardPage:
        try:
            records, next_cursor = self.rewards.page(campaign_id, status, cursor, limit)
        except InvalidCursor:
            raise InvalidRequest("cursor is not one this listing handed out", code="invalid_cursor") from None
        return RewardPage(rewards=[record.shown() for record in records], next_cursor=next_cursor)

    def fulfil(self, reward_id: str, reference: str) -> Reward:
        try:
            return self.rewards.fulfil(reward_id, reference, iso(self.clock())).shown()
        except ItemNotFound:
            raise NotFound(f"no reward {reward_id!r}", code="reward_not_found") from None
        except NotApproved as error:
            raise Conflict(f"reward {reward_id!r} is {error.reward.status}; only an approved reward can be fulfilled", code="reward_not_approved") from None
