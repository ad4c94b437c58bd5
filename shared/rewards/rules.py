"""Reward rules (SPEC §4): what a conversion earns, and what a refund takes back. Pure: no I/O, no clock."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Literal

from shared.platform import ids
from shared.campaigns.models import Milestone, RewardRule, RewardRules
from shared.rewards.models import IneligibleReason, Recipient, ReferralStatus


@dataclass(frozen=True)
class RuleTerms:
    """What a reward's value depends on, kept on the reward so refunds never need the rules again."""

    type: Literal["percent", "flat"]
    value: float
    min_order_amount: int

    @classmethod
    def of(cls, rule: RewardRule, rules: RewardRules) -> RuleTerms:
        return cls(rule.type, rule.value, rules.min_order_amount)

    def amount_for(self, order_amount: int) -> int:
        """Percent rewards are floor(amount × value / 100); orders under the minimum earn nothing."""
        if order_amount <= 0 or order_amount < self.min_order_amount:
            return 0
        if self.type == "percent":
            # Fraction of the decimal text: 12.5 % of 999 is exactly 124.875, floored to 124, with no float error.
            return math.floor(order_amount * Fraction(str(self.value)) / 100)
        return int(self.value)


@dataclass(frozen=True)
class Conversion:
    """A recorded conversion as the rewards job sees it."""

    conversion_id: str
    order_id: str
    status: str
    campaign_id: str
    advocate_id: str
    # None when the buyer was erased before their rewards were made: there is no friend left to pay.
    buyer_customer_id: str | None
    advocate_customer_id: str
    amount: int
    currency: str
    occurred_at: datetime  # as the storefront says (inside its window): what the monthly cap counts by
    rules_version: int
    received_at: datetime  # when wom recorded it: holding counts from here, so occurred_at cannot shorten it

    @property
    def holding_starts(self) -> datetime:
        """The later of receipt and the storefront's time (which may run a few minutes ahead)."""
        return max(self.received_at, self.occurred_at)


@dataclass(frozen=True)
class PlannedReward:
    reward_id: str
    recipient: Recipient
    customer_id: str
    amount: int
    currency: str
    terms: RuleTerms
    approve_at: datetime
    cap_month: str | None  # the advocate's month under a monthly cap
    cap_limit: int | None
    lifetime_limit: int | None = None  # the advocate's lifetime cap, if the rules set one


def cap_month(moment: datetime) -> str:
    return f"{moment:%Y-%m}"


def plan_rewards(conversion: Conversion, rules: RewardRules, campaign_currency: str) -> list[PlannedReward]:
    """The rewards an attributed conversion earns under the rules version it was recorded with."""
    if conversion.status != "attributed" or conversion.currency != campaign_currency:
        return []
    approve_at = conversion.holding_starts + timedelta(days=rules.holding_days)
    planned = []
    recipients: list[tuple[Recipient, RewardRule | None, str | None]] = [
        ("advocate", rules.advocate, conversion.advocate_customer_id),
        ("friend", rules.friend, conversion.buyer_customer_id),
    ]
    for recipient, rule, customer_id in recipients:
        if rule is None or customer_id is None:
            continue
        terms = RuleTerms.of(rule, rules)
        amount = terms.amount_for(conversion.amount)
        if amount <= 0:
            continue
        capped = recipient == "advocate" and rules.max_rewards_per_advocate_per_month is not None
        planned.append(
            PlannedReward(
                reward_id=ids.reward_id(conversion.conversion_id, recipient),
                recipient=recipient,
                customer_id=customer_id,
                amount=amount,
                currency=campaign_currency,
                terms=terms,
                approve_at=approve_at,
                cap_month=cap_month(conversion.occurred_at) if capped else None,
                cap_limit=rules.max_rewards_per_advocate_per_month if capped else None,
                lifetime_limit=rules.max_rewards_per_advocate if recipient == "advocate" else None,
            )
        )
    return planned


def milestones_reached(milestones: list[Milestone], approved_referrals: int, paid: frozenset[int]) -> list[Milestone]:
    """The milestones an approval that brings the advocate to `approved_referrals` pays: every threshold reached and
    not paid yet (a milestone added by a later rules version pays at the advocate's next approval), lowest first."""
    return sorted((m for m in milestones if m.referrals <= approved_referrals and m.referrals not in paid), key=lambda m: m.referrals)


@dataclass(frozen=True)
class RefundEffect:
    """A refund's effect on one reward: the reward's value moves by `delta` (≤ 0)."""

    refunded_basis: int  # the order's refunded total the reward's value reflects afterwards
    value_before: int
    value_after: int

    @property
    def delta(self) -> int:
        return self.value_after - self.value_before


def refund_effect(terms: RuleTerms, order_amount: int, refunded_basis: int, refund_amount: int) -> RefundEffect:
    """Pro rata for percent rewards (the reward follows what is left of the order); a flat reward goes only when
    what is left falls to nothing or under the minimum. Order-independent: the basis accumulates refunds."""
    after = min(order_amount, refunded_basis + refund_amount)
    return RefundEffect(
        refunded_basis=after,
        value_before=terms.amount_for(order_amount - refunded_basis),
        value_after=terms.amount_for(order_amount - after),
    )


# --- a referral's progress, as its advocate sees it (SPEC §3.6) ------------------------------------------------------

@dataclass(frozen=True)
class ReferralProgress:
    """Where one referred purchase stands for its advocate, and since when: the purchase for `purchased`,
    `reward_pending` and what is decided at purchase; the approval for `rewarded`; the refund for `refunded`."""

    status: ReferralStatus
    at: datetime
    reason: IneligibleReason | None = None


def progress_at_purchase(conversion_status: str, purchased_at: datetime) -> ReferralProgress | None:
    """What a conversion with an advocate is as soon as it is recorded (None: no advocate to tell)."""
    if conversion_status == "attributed":
        return ReferralProgress("purchased", purchased_at)
    if conversion_status in ("self_referral", "not_first_purchase"):
        return ReferralProgress("ineligible", purchased_at, conversion_status)  # type: ignore[arg-type]
    return None


def progress_once_planned(
    conversion: Conversion,
    campaign_currency: str,
    planned: list[PlannedReward],
    capped: IneligibleReason | None = None,
    held: bool = False,
) -> ReferralProgress | None:
    """What the rewards job made of a referred purchase: the advocate's reward pending, held for fraud review
    (`held`), or why there is none (`capped`: the cap that was full, monthly_cap or lifetime_cap)."""
    at = conversion.occurred_at
    if conversion.status != "attributed":
        return progress_at_purchase(conversion.status, at)
    if any(p.recipient == "advocate" for p in planned):
        return ReferralProgress("ineligible", at, "held_for_review") if held else ReferralProgress("reward_pending", at)
    if capped:
        return ReferralProgress("ineligible", at, capped)
    if conversion.currency != campaign_currency:
        return ReferralProgress("ineligible", at, "currency_mismatch")
    return ReferralProgress("ineligible", at, "under_minimum")


def rewarded(approved_at: datetime) -> ReferralProgress:
    return ReferralProgress("rewarded", approved_at)


def progress_after_refund(effect: RefundEffect, refunded_at: datetime) -> ReferralProgress | None:
    """A refund that leaves the advocate's reward worth nothing makes the referral ineligible; a partial one changes
    nothing the advocate sees (None)."""
    return ReferralProgress("ineligible", refunded_at, "refunded") if effect.value_after <= 0 else None


def held_for_review(flagged_at: datetime) -> ReferralProgress:
    """A referral whose reward fraud review holds: ineligible until someone releases it."""
    return ReferralProgress("ineligible", flagged_at, "held_for_review")


def pending_again(received_at: datetime) -> ReferralProgress:
    """A held reward released to wait out its holding (a review before it ended, or a rescore that flags it no more)."""
    return ReferralProgress("reward_pending", received_at)
