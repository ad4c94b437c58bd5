"""Rewards: what the admin API shows, and the record the rewards job keeps of each."""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from shared.platform.validation import StrictModel

RewardStatus = Literal["pending", "held", "approved", "paid", "voided"]
REWARD_STATUSES: tuple[RewardStatus, ...] = get_args(RewardStatus)
Recipient = Literal["advocate", "friend"]
# A referred purchase as its advocate sees it (SPEC §3.6), and why one earns them nothing (held_for_review: fraud
# review holds its reward until someone releases it).
ReferralStatus = Literal["purchased", "reward_pending", "rewarded", "ineligible"]
IneligibleReason = Literal[
    "self_referral", "not_first_purchase", "under_minimum", "currency_mismatch", "monthly_cap", "lifetime_cap", "held_for_review", "refunded"
]
Decision = Literal["approve", "reject"]
# Why fraud review held a conversion's rewards (SPEC §4); shared/fraud/rules.py says when each applies.
FraudReason = Literal["disposable_email", "alias_of_advocate", "advocate_velocity", "blocked_referrer"]
MAX_NOTE_LENGTH = 500


class Review(BaseModel):
    """Why a reward was held, and, once someone reviewed it, what they decided."""

    model_config = ConfigDict(extra="ignore")
    reasons: list[FraudReason]
    flagged_at: str
    decision: Decision | None = None
    note: str | None = None
    reviewed_at: str | None = None


class Reward(BaseModel):
    model_config = ConfigDict(extra="ignore")
    reward_id: str
    campaign_id: str
    conversion_id: str
    advocate_id: str
    recipient: Recipient
    # The recipient's, for the operator to pay; None once that customer was erased (the amount stays).
    customer_id: str | None = None
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
    # A milestone bonus names the number of approved referrals that earned it.
    milestone: int | None = None
    review: Review | None = None


class RewardRecord(Reward):
    """A reward as stored: with what its value depends on, so refunds never need the rules again."""

    order_id: str
    # The recipient's customer key: the reward is in that customer's index, and an erasure removes both ids.
    customer_key: str | None = None
    rule_type: Literal["percent", "flat"] | None = None
    rule_value: float | None = None
    min_order_amount: int = 0
    order_amount: int = 0
    # The order's refunded total the reward's amount already reflects.
    refunded_basis: int = 0
    # When a pending reward's holding ends.
    approve_at: str | None = None

    @property
    def is_adjustment(self) -> bool:
        return self.adjusts is not None

    @property
    def is_referral_reward(self) -> bool:
        """The advocate's own reward for one referral: what the lifetime cap and the milestones count."""
        return self.recipient == "advocate" and self.milestone is None and not self.is_adjustment

    def shown(self) -> Reward:
        return Reward.model_validate(self.model_dump())


class RewardPage(BaseModel):
    rewards: list[Reward]
    next_cursor: str | None


class Fulfilment(StrictModel):
    reference: Annotated[str, Field(min_length=1, max_length=256)]


class ReviewRequest(StrictModel):
    decision: Annotated[Decision, Field(description="approve: the reward goes on (approved once holding has passed); reject: voided")]
    note: Annotated[str, Field(min_length=1, max_length=MAX_NOTE_LENGTH, description="why, for the record")] | None = None


class RewardTally(BaseModel):
    count: int = 0
    amount: int = 0

    @classmethod
    def of(cls, counters: dict[str, int], name: str) -> RewardTally:
        """From an advocate's counters (`<name>_count`, `<name>_amount`), as the rewards job keeps them."""
        return cls(count=counters.get(f"{name}_count", 0), amount=counters.get(f"{name}_amount", 0))
