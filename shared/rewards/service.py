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

    def list_rewards(self, campaign_id: str | None, status: RewardStatus | None, cursor: str | None, limit: int, advocate_id: str | None = None) -> RewardPage:
        if campaign_id is None and advocate_id is None:
            raise InvalidRequest("name campaign_id, advocate_id or both", code="invalid_request")
        try:
            records, next_cursor = self.rewards.page(campaign_id, status, cursor, limit, advocate_id)
        except InvalidCursor:
            raise InvalidRequest("cursor is not one this listing handed out", code="invalid_cursor") from None
        return RewardPage(rewards=[record.shown() for record in records], next_cursor=next_cursor)

    def fulfil(self, reward_id: str, reference: str) -> Reward:
        try:
            return self.rewards.fulfil(reward_id, reference, iso(self.clock())).shown()
        except ItemNotFound:
            raise NotFound(f"no reward {reward_id!r}", code="reward_not_found") from None
        except NotApproved as error:
            if error.reward.status == "paid":
                raise Conflict(f"reward {reward_id!r} was paid with another reference", code="reward_already_paid") from None
            raise Conflict(f"reward {reward_id!r} is {error.reward.status}; only an approved reward can be fulfilled", code="reward_not_approved") from None
