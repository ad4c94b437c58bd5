"""Rewards as the admin API shows them."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.platform.validation import StrictModel


RewardStatus = Literal["pending", "approved", "paid", "voided"]


class Reward(BaseModel):
    model_config = ConfigDict(extra="ignore")
    reward_id: str
    campaign_id: str
    conversion_id: str
    advocate_id: str
    recipient: Literal["advocate", "friend"]
    customer_id: str
    amount: int
    currency: str
    status: RewardStatus
    rules_version: int
    created_at: str
    approved_at: str | None = None
    paid_at: str | None = None
    voided_at: str | None = None
    reference: str | None = None
    # A negative adjustment (clawback) names the reward it adjusts and the refund behind it.
    adjusts: str | None = None
    refund_id: str | None = None


class RewardPage(BaseModel):
    rewards: list[Reward]
    next_cursor: str | None


class Fulfilment(StrictModel):
    reference: Annotated[str, Field(min_length=1, max_length=256)]


class RewardTally(BaseModel):
    count: int = 0
    amount: int = 0
