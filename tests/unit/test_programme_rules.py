"""Programme rules beyond one purchase as decision tables (SPEC §4): milestones at their thresholds, the lifetime cap
with milestones, and the caps across months."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from shared.campaigns.models import Milestone, RewardRules
from shared.platform import ids
from shared.rewards.rules import Conversion, milestones_reached, plan_rewards

MILESTONES = [
    {"referrals": 1, "reward": {"type": "flat", "value": 100}},
    {"referrals": 5, "reward": {"type": "flat", "value": 500}},
    {"referrals": 10, "reward": {"type": "flat", "value": 2000}},
]


def rules(**overrides) -> RewardRules:
    return RewardRules.model_validate({"advocate": {"type": "flat", "value": 1000}, "friend": {"type": "flat", "value": 300}, **overrides})


def conversion(at: datetime) -> Conversion:
    return Conversion("cnv_1", "o-1", "attributed", "spring", "adv_1", "buyer", "ada", 10_000, "USD", at, 1, at)


def thresholds(milestones: list[Milestone]) -> list[int]:
    return [m.referrals for m in milestones]


@pytest.mark.parametrize(
    ("approved_referrals", "paid", "pays"),
    [
        (1, set(), [1]),  # the first approved referral reaches the first milestone
        (2, {1}, []),  # between thresholds: nothing
        (4, {1}, []),
        (5, {1}, [5]),  # exactly at a threshold
        (5, {1, 5}, []),  # already paid: never twice
        (6, {1}, [5]),  # a milestone added after the advocate passed it pays at their next approval
        (10, set(), [1, 5, 10]),  # all reached and none paid (milestones added late): all at once, lowest first
        (11, {1, 5, 10}, []),  # past the last: nothing more
        (0, set(), []),
    ],
)
def test_milestones_at_thresholds(approved_referrals, paid, pays):
    assert thresholds(milestones_reached(rules(milestones=MILESTONES).milestones, approved_referrals, frozenset(paid))) == pays


def test_a_rules_version_without_milestones_pays_none():
    assert milestones_reached(rules().milestones, 10, frozenset()) == []


@pytest.mark.parametrize(
    ("cap", "milestone_at", "valid"),
    [
        (None, 50, True),  # no lifetime cap: any threshold
        (32, 32, True),  # Dropbox: 32 referrals, a bonus at the 32nd
        (32, 10, True),
        (32, 33, False),  # a milestone the cap makes unreachable is refused
        (1, 1, True),
    ],
)
def test_the_lifetime_cap_with_milestones(cap, milestone_at, valid):
    body = {"advocate": {"type": "flat", "value": 1}, "milestones": [{"referrals": milestone_at, "reward": {"type": "flat", "value": 5}}]}
    if cap is not None:
        body["max_rewards_per_advocate"] = cap
    if valid:
        validated = RewardRules.model_validate(body)
        # Under the cap, approved referrals never pass it: the last milestone is reached at the cap at the latest.
        reach = cap if cap is not None else milestone_at
        assert thresholds(milestones_reached(validated.milestones, reach, frozenset())) == [milestone_at]
    else:
        with pytest.raises(ValidationError, match="could never be reached"):
            RewardRules.model_validate(body)


@pytest.mark.parametrize(
    "bad",
    [
        {"max_rewards_per_advocate": 0},
        {"max_rewards_per_advocate": 1_000_001},
        {"milestones": [{"referrals": 0, "reward": {"type": "flat", "value": 5}}]},
        {"milestones": [{"referrals": 3, "reward": {"type": "percent", "value": 5}}]},  # a bonus is a flat amount
        {"milestones": [{"referrals": 3, "reward": {"type": "flat", "value": 0}}]},
        {"milestones": [{"referrals": 3, "reward": {"type": "flat", "value": 5}}] * 2},  # one bonus per threshold
        {"milestones": [{"referrals": n, "reward": {"type": "flat", "value": 5}} for n in range(1, 22)]},  # at most 20
    ],
)
def test_programme_rules_out_of_bounds_are_refused(bad):
    with pytest.raises(ValidationError):
        rules(**bad)


@pytest.mark.parametrize(
    ("at", "month_cap", "lifetime_cap", "expected"),
    [
        # (cap_month, cap_limit, lifetime_limit) of the advocate's reward
        (datetime(2026, 11, 30, 23, 59, tzinfo=UTC), 2, None, ("2026-11", 2, None)),
        (datetime(2026, 12, 1, 0, 0, tzinfo=UTC), 2, None, ("2026-12", 2, None)),  # a new month: a new monthly count
        (datetime(2026, 12, 1, 0, 0, tzinfo=UTC), 2, 32, ("2026-12", 2, 32)),  # both caps apply, the lifetime one in every month
        (datetime(2027, 1, 1, 0, 0, tzinfo=UTC), None, 32, (None, None, 32)),  # lifetime alone: no month counted
        (datetime(2027, 1, 1, 0, 0, tzinfo=UTC), None, None, (None, None, None)),
    ],
)
def test_caps_across_months(at, month_cap, lifetime_cap, expected):
    planned = plan_rewards(conversion(at), rules(max_rewards_per_advocate_per_month=month_cap, max_rewards_per_advocate=lifetime_cap), "USD")
    advocate, friend = planned
    assert (advocate.cap_month, advocate.cap_limit, advocate.lifetime_limit) == expected
    assert (friend.cap_month, friend.cap_limit, friend.lifetime_limit) == (None, None, None)  # friends are never capped


def test_milestone_rewards_have_one_id_per_advocate_and_threshold():
    assert ids.milestone_reward_id("adv_1", 5) == ids.milestone_reward_id("adv_1", 5)
    assert len({ids.milestone_reward_id("adv_1", 5), ids.milestone_reward_id("adv_1", 10), ids.milestone_reward_id("adv_2", 5)}) == 3
    assert ids.milestone_reward_id("adv_1", 5) != ids.reward_id("cnv_1", "advocate")
