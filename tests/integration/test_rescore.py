"""Rescore under moto (SPEC §4): fraud review again over stored conversions with today's settings. A dry run reports
and changes nothing; --apply changes exactly what it reported, publishes its holds, and leaves reviewed and settled
rewards as they are."""

from __future__ import annotations

from datetime import timedelta

import pytest

from functions.rewards import handler as rewards_handler
from shared.platform import ids
from shared.platform.errors import InvalidRequest
from tests.integration.test_fraud_review import ADVOCATE_EMAIL, buy, click, patch_fraud, shop  # noqa: F401 - fixtures
from tests.integration.test_rewards_job import HOLDING, START, BusTap, rewards, run_job
from tests.support.http_events import LambdaContext

# The story's today: two weeks and a day after the campaign started.
TODAY = START + HOLDING + timedelta(days=1)
DAY = TODAY.date()
FIRST_DAY = START.date()


def rescore(since, apply: bool = False, now=None) -> dict:
    event = {"rescore": {"since": since.isoformat(), "apply": apply}, "now": (now or TODAY + timedelta(hours=6)).isoformat()}
    return rewards_handler.lambda_handler(event, LambdaContext("rewards"))


def snapshot(aws) -> list:
    return sorted(
        (table, sorted(str(sorted(item.items())) for item in aws.scan(TableName=table)["Items"])) for table in ("wom-referrals", "wom-events")
    )


def statuses(api) -> dict[str, tuple[str, tuple | None]]:
    return {r["reward_id"]: (r["status"], tuple(r["review"]["reasons"]) if r.get("review") else None) for r in rewards(api)}


@pytest.fixture
def story(api, shop, aws):
    """Advocate Ada: four referred purchases within a day. Advocate Bob: one through a coupon site's link two weeks
    ago (approved since), one through it today, one from a throwaway address (held). All under the default settings."""
    advocate, clock = shop
    bob = api("POST", "/v1/campaigns/spring/advocates", body={"customer_id": "bob"})["json"]
    bob_shop = (bob, clock)
    buy(bob_shop, "o-bob-early", click_id=click(api, bob_shop, referer="https://coupons.example/a", source_ip="198.51.100.1"))
    run_job(clock.now + timedelta(minutes=5))
    for n in range(4):
        clock.now = TODAY + timedelta(hours=n)
        buy(shop, f"o-ada-{n}")
    buy(bob_shop, "o-bob-coupon", click_id=click(api, bob_shop, referer="https://www.coupons.example/b", source_ip="198.51.100.2"))
    buy(bob_shop, "o-bob-throwaway", email="x@mailinator.com")
    run_job(clock.now + timedelta(minutes=5))
    assert {v for k, v in statuses(api).items()} == {("pending", None), ("approved", None), ("held", ("disposable_email",))}
    return advocate, bob


def change_of(report: dict, order_id: str) -> dict:
    return next(c for c in report["changes"] if c["conversion_id"] == ids.conversion_id(order_id))


def test_a_dry_run_reports_and_changes_nothing_and_apply_changes_exactly_that(api, aws, story):
    bus = BusTap()
    patch_fraud(api, max_referrals_per_day=2, blocked_referrer_hosts=["coupons.example"])
    before_storage, before = snapshot(aws), statuses(api)

    dry = rescore(FIRST_DAY)
    assert snapshot(aws) == before_storage  # a dry run changes nothing at all
    assert dry["apply"] is False and dry["applied"] == 0
    reported = {c["conversion_id"]: (c["reasons_before"], c["reasons_after"]) for c in dry["changes"]}
    assert reported == {
        ids.conversion_id("o-ada-2"): ([], ["advocate_velocity"]),
        ids.conversion_id("o-ada-3"): ([], ["advocate_velocity"]),
        ids.conversion_id("o-bob-coupon"): ([], ["blocked_referrer"]),
    }
    assert {(r["recipient"], r["status_before"], r["status_after"]) for r in change_of(dry, "o-ada-2")["rewards"]} == {
        ("advocate", "pending", "held"),
        ("friend", "pending", "held"),
    }
    assert dry["settled_flagged"] == 2  # bob's early coupon referral: approved, both rewards, left as they are
    # The throwaway address is held for the same reason as before: nothing to change.
    assert ids.conversion_id("o-bob-throwaway") not in reported

    applied = rescore(FIRST_DAY, apply=True)
    assert applied["changes"] == dry["changes"] and applied["applied"] == 6 and applied["changed_meanwhile"] == 0
    after = statuses(api)
    expected = dict(before)
    for change in dry["changes"]:
        for reward in change["rewards"]:
            expected[reward["reward_id"]] = (reward["status_after"], tuple(change["reasons_after"]))
    assert after == expected  # exactly what was reported changed, and nothing else
    held_events = [e for e in bus.drain() if e["detail-type"] == "RewardHeld"]
    assert sorted((e["detail"]["reward_id"], tuple(e["detail"]["review"]["reasons"])) for e in held_events) == sorted(
        (r["reward_id"], tuple(c["reasons_after"])) for c in dry["changes"] for r in c["rewards"]
    )
    assert rescore(DAY, apply=True)["changes"] == []  # a second rescore finds nothing left to change
    view = api("GET", f"/v1/advocates/{story[0]['advocate_id']}")["json"]["rewards"]
    assert view["held"]["count"] == 2 and view["pending"]["count"] == 2


def test_relaxed_settings_release_holds_but_not_reviews(api, aws, story):
    patch_fraud(api, max_referrals_per_day=2, blocked_referrer_hosts=["coupons.example"])
    rescore(DAY, apply=True)
    rejected = next(r for r in rewards(api, status="held") if r["conversion_id"] == ids.conversion_id("o-ada-3") and r["recipient"] == "advocate")
    assert api("POST", f"/v1/rewards/{rejected['reward_id']}/review", body={"decision": "reject"})["statusCode"] == 200

    patch_fraud(api, max_referrals_per_day=10, blocked_referrer_hosts=[])
    dry = rescore(DAY)
    released = {(c["conversion_id"], r["recipient"]): r["status_after"] for c in dry["changes"] for r in c["rewards"]}
    assert released == {
        (ids.conversion_id("o-ada-2"), "advocate"): "pending",
        (ids.conversion_id("o-ada-2"), "friend"): "pending",
        (ids.conversion_id("o-ada-3"), "friend"): "pending",  # its advocate reward was rejected: a person decided
        (ids.conversion_id("o-bob-coupon"), "advocate"): "pending",
        (ids.conversion_id("o-bob-coupon"), "friend"): "pending",
    }
    rescore(DAY, apply=True)
    run_job(TODAY + HOLDING + timedelta(hours=5))  # released holds are approved once their holding ends
    found = {(r["conversion_id"], r["recipient"]): r["status"] for r in rewards(api)}
    assert found[(ids.conversion_id("o-ada-2"), "advocate")] == "approved"
    assert found[(ids.conversion_id("o-ada-3"), "advocate")] == "voided"
    assert found[(ids.conversion_id("o-bob-throwaway"), "advocate")] == "held"


def test_rescore_finds_conversions_by_their_days_and_refuses_a_bad_range(api, aws, story):
    patch_fraud(api, max_referrals_per_day=2)
    # Today alone: today's six conversions, none of the first day's (the days are read, not the table).
    only_today = rescore(DAY)
    assert only_today["days"] == 1 and only_today["conversions_checked"] == 6
    everything = rescore(FIRST_DAY)
    assert everything["days"] == (DAY - FIRST_DAY).days + 1 and everything["conversions_checked"] == 7
    # The hot window (WOM_HOT_EVENT_DAYS, 35 by default) bounds it: older days' facts have expired from the table.
    assert rescore(DAY - timedelta(days=34))["conversions_checked"] == 7
    for since, now in ((DAY + timedelta(days=1), TODAY), (DAY - timedelta(days=35), TODAY), (DAY - timedelta(days=400), TODAY)):
        with pytest.raises(InvalidRequest, match="the hot window"):
            rescore(since, now=now)
