"""Reward rules as a table of cases (SPEC §4): amounts, rounding, minimum, caps by month, versions, refunds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared.platform import ids, keys
from shared.campaigns.models import RewardRules
from shared.rewards.rules import (
    Conversion,
    ReferralProgress,
    RuleTerms,
    cap_month,
    held_for_review,
    pending_again,
    plan_rewards,
    progress_after_refund,
    progress_at_purchase,
    progress_once_planned,
    refund_effect,
    rewarded,
)

AT = datetime(2026, 11, 30, 23, 59, 59, tzinfo=UTC)


def conversion(
    amount: int = 10_000, status: str = "attributed", currency: str = "USD", at: datetime = AT, version: int = 1, received_at: datetime | None = None
) -> Conversion:
    return Conversion("cnv_1", "o-1", status, "spring", "adv_1", "buyer", "ada", amount, currency, at, version, received_at or at)


def rules(**overrides) -> RewardRules:
    return RewardRules.model_validate({"advocate": {"type": "percent", "value": 10}, **overrides})


@pytest.mark.parametrize(
    ("rule", "amount", "expected"),
    [
        ({"type": "percent", "value": 10}, 10_000, 1000),
        ({"type": "percent", "value": 10}, 9_999, 999),  # floor, never round up
        ({"type": "percent", "value": 12.5}, 999, 124),  # 124.875
        ({"type": "percent", "value": 33.3}, 100, 33),  # 33.3 exactly, no float drift
        ({"type": "percent", "value": 0.1}, 9, 0),
        ({"type": "percent", "value": 100}, 1234, 1234),
        ({"type": "flat", "value": 500}, 1, 500),
        ({"type": "flat", "value": 500}, 0, 0),
    ],
)
def test_amounts_and_rounding(rule, amount, expected):
    assert RuleTerms(rule["type"], rule["value"], 0).amount_for(amount) == expected


@pytest.mark.parametrize(("minimum", "amount", "earns"), [(5000, 4999, False), (5000, 5000, True), (0, 100, True)])
def test_orders_under_the_minimum_earn_nothing(minimum, amount, earns):
    planned = plan_rewards(conversion(amount), rules(min_order_amount=minimum, friend={"type": "flat", "value": 300}), "USD")
    assert bool(planned) is earns
    assert len(planned) == (2 if earns else 0)


@pytest.mark.parametrize("status", ["unattributed", "self_referral", "not_first_purchase"])
def test_only_attributed_conversions_earn(status):
    assert plan_rewards(conversion(status=status), rules(), "USD") == []


def test_an_order_in_another_currency_earns_nothing():
    assert plan_rewards(conversion(currency="EUR"), rules(), "USD") == []


def test_holding_counts_from_receipt_whatever_the_storefront_says():
    received = AT + timedelta(days=20)
    # A backdated occurred_at does not shorten holding; the month of the cap is still the purchase's.
    backdated = plan_rewards(conversion(at=AT, received_at=received), rules(holding_days=14), "USD")
    assert {p.approve_at for p in backdated} == {received + timedelta(days=14)}
    # A storefront clock a few minutes ahead: holding starts at the later of the two.
    ahead = plan_rewards(conversion(at=received + timedelta(minutes=4), received_at=received), rules(holding_days=14), "USD")
    assert {p.approve_at for p in ahead} == {received + timedelta(minutes=4, days=14)}


def test_double_sided_rewards_have_deterministic_ids_and_holding():
    planned = plan_rewards(conversion(), rules(friend={"type": "flat", "value": 500}, holding_days=30), "USD")
    assert [(p.recipient, p.customer_id, p.amount) for p in planned] == [("advocate", "ada", 1000), ("friend", "buyer", 500)]
    assert [p.reward_id for p in planned] == [ids.reward_id("cnv_1", "advocate"), ids.reward_id("cnv_1", "friend")]
    assert planned == plan_rewards(conversion(), rules(friend={"type": "flat", "value": 500}, holding_days=30), "USD")
    assert {p.approve_at for p in planned} == {AT + timedelta(days=30)}


def test_a_buyer_erased_before_their_rewards_were_made_leaves_only_the_advocates():
    erased_buyer = Conversion("cnv_1", "o-1", "attributed", "spring", "adv_1", None, "ada", 10_000, "USD", AT, 1, AT)
    planned = plan_rewards(erased_buyer, rules(friend={"type": "flat", "value": 500}), "USD")
    assert [(p.recipient, p.customer_id) for p in planned] == [("advocate", "ada")]


@pytest.mark.parametrize(
    ("at", "month"),
    [
        (datetime(2026, 11, 30, 23, 59, 59, tzinfo=UTC), "2026-11"),
        (datetime(2026, 12, 1, 0, 0, 0, tzinfo=UTC), "2026-12"),
        (datetime(2026, 12, 31, 23, 0, tzinfo=UTC), "2026-12"),
        (datetime(2027, 1, 1, 0, 0, tzinfo=UTC), "2027-01"),
    ],
)
def test_the_cap_counts_by_the_month_of_the_conversion_in_utc(at, month):
    [advocate] = plan_rewards(conversion(at=at), rules(max_rewards_per_advocate_per_month=2), "USD")
    assert (advocate.cap_month, advocate.cap_limit) == (month, 2)
    assert cap_month(at) == month


def test_friends_are_not_capped_and_uncapped_campaigns_have_no_counter():
    capped = plan_rewards(conversion(), rules(max_rewards_per_advocate_per_month=1, friend={"type": "flat", "value": 1}), "USD")
    assert [(p.recipient, p.cap_month) for p in capped] == [("advocate", "2026-11"), ("friend", None)]
    assert plan_rewards(conversion(), rules(), "USD")[0].cap_month is None


def test_versions_are_whatever_rules_the_conversion_carries():
    v1 = rules()
    v2 = rules(advocate={"type": "flat", "value": 2500})
    assert plan_rewards(conversion(version=1), v1, "USD")[0].amount == 1000
    assert plan_rewards(conversion(version=2), v2, "USD")[0].amount == 2500


@pytest.mark.parametrize(
    ("terms", "basis", "refund", "before", "after"),
    [
        (RuleTerms("percent", 10, 0), 0, 10_000, 1000, 0),  # full refund
        (RuleTerms("percent", 10, 0), 0, 2_500, 1000, 750),  # pro rata
        (RuleTerms("percent", 10, 0), 2_500, 2_500, 750, 500),  # a second partial refund
        (RuleTerms("percent", 12.5, 0), 0, 1, 1250, 1249),
        (RuleTerms("flat", 500, 0), 0, 9_999, 500, 500),  # a flat reward stands while anything is left
        (RuleTerms("flat", 500, 0), 0, 10_000, 500, 0),
        (RuleTerms("flat", 500, 5_000), 0, 5_001, 500, 0),  # what is left fell under the minimum
        (RuleTerms("percent", 10, 0), 9_000, 5_000, 100, 0),  # never past the order
    ],
)
def test_refund_effects(terms, basis, refund, before, after):
    effect = refund_effect(terms, 10_000, basis, refund)
    assert (effect.value_before, effect.value_after, effect.delta) == (before, after, after - before)


def test_refunds_in_any_order_end_at_the_same_value():
    terms = RuleTerms("percent", 12.5, 0)
    first = refund_effect(terms, 10_000, 0, 3_333)
    second = refund_effect(terms, 10_000, first.refunded_basis, 1_111)
    swapped_first = refund_effect(terms, 10_000, 0, 1_111)
    swapped_second = refund_effect(terms, 10_000, swapped_first.refunded_basis, 3_333)
    assert first.delta + second.delta == swapped_first.delta + swapped_second.delta == terms.amount_for(5_556) - 1250


# --- a referral's progress, as its advocate sees it ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("attributed", ("purchased", None)),
        ("self_referral", ("ineligible", "self_referral")),
        ("not_first_purchase", ("ineligible", "not_first_purchase")),
        ("unattributed", None),
    ],
)
def test_progress_at_purchase(status, expected):
    progress = progress_at_purchase(status, AT)
    assert (None if progress is None else (progress.status, progress.reason)) == expected
    assert progress is None or progress.at == AT


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ({}, ("reward_pending", None)),
        ({"amount": 999, "rules": {"min_order_amount": 1000}}, ("ineligible", "under_minimum")),
        ({"amount": 0}, ("ineligible", "under_minimum")),
        ({"currency": "EUR"}, ("ineligible", "currency_mismatch")),
        ({"capped": "monthly_cap"}, ("ineligible", "monthly_cap")),
        ({"capped": "lifetime_cap"}, ("ineligible", "lifetime_cap")),
        # Fraud review holds the advocate's reward: ineligible until someone releases it.
        ({"held": True}, ("ineligible", "held_for_review")),
        ({"held": True, "amount": 999, "rules": {"min_order_amount": 1000}}, ("ineligible", "under_minimum")),
        ({"status": "not_first_purchase"}, ("ineligible", "not_first_purchase")),
        # The friend's reward alone does not make the advocate's referral pending.
        ({"rules": {"advocate": {"type": "percent", "value": 0.01}, "friend": {"type": "flat", "value": 500}}, "amount": 50}, ("ineligible", "under_minimum")),
    ],
)
def test_progress_once_the_job_has_planned(case, expected):
    bought = conversion(amount=case.get("amount", 10_000), status=case.get("status", "attributed"), currency=case.get("currency", "USD"))
    planned = plan_rewards(bought, rules(**case.get("rules", {})), "USD")
    if case.get("capped"):
        planned = [p for p in planned if p.recipient != "advocate"]
    progress = progress_once_planned(bought, "USD", planned, capped=case.get("capped"), held=case.get("held", False))
    assert (progress.status, progress.reason, progress.at) == (*expected, AT)


def test_progress_after_approval_and_refunds():
    assert rewarded(AT) == ReferralProgress("rewarded", AT)
    assert held_for_review(AT) == ReferralProgress("ineligible", AT, "held_for_review")
    assert pending_again(AT) == ReferralProgress("reward_pending", AT)
    terms = RuleTerms("percent", 10, 0)
    assert progress_after_refund(refund_effect(terms, 10_000, 0, 10_000), AT) == ReferralProgress("ineligible", AT, "refunded")
    assert progress_after_refund(refund_effect(terms, 10_000, 0, 4_000), AT) is None, "a partial refund changes nothing the advocate sees"
    flat_min = RuleTerms("flat", 500, 5_000)
    assert progress_after_refund(refund_effect(flat_min, 6_000, 0, 2_000), AT) == ReferralProgress("ineligible", AT, "refunded"), "under the minimum after it"
