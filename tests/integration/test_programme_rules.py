"""Programme rules beyond one purchase under moto (SPEC §4): the lifetime cap and milestones, versioned with the
other rules, holding when two job runs overlap and when a run dies between them."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

import pytest

from shared import wiring
from shared.platform import ids
from tests.integration.test_conversion_routes import Clock, post
from tests.integration.test_rewards_job import HOLDING, START, BusTap, buy, rewards, run_job, run_that_dies

RULES = {"advocate": {"type": "flat", "value": 1000}, "friend": {"type": "flat", "value": 300}, "holding_days": 14}
MILESTONES = [{"referrals": 2, "reward": {"type": "flat", "value": 2500}}, {"referrals": 4, "reward": {"type": "flat", "value": 5000}}]


def programme(api, **rules) -> tuple[dict, Clock]:
    clock = Clock(START)
    wiring.use_clock(clock)
    body = {"campaign_id": "spring", "name": "Spring", "destination_url": "https://shop.example.com/", "rewards": {**RULES, **rules}}
    assert api("POST", "/v1/campaigns", body=body)["statusCode"] == 201
    return api("POST", "/v1/campaigns/spring/advocates", body={"customer_id": "ada"})["json"], clock


def advocate_rewards(api) -> list[dict]:
    return [r for r in rewards(api) if r["recipient"] == "advocate" and not r.get("adjusts")]


def milestone_rewards(api) -> dict[int, dict]:
    return {r["milestone"]: r for r in advocate_rewards(api) if r.get("milestone")}


def test_the_lifetime_cap_counts_rewarded_referrals_across_months(api, aws):
    shop = programme(api, max_rewards_per_advocate=3, max_rewards_per_advocate_per_month=2)
    clock = shop[1]
    clock.now = datetime(2026, 11, 29, 12, tzinfo=UTC)
    for n in range(3):
        buy(shop, f"o-nov-{n}")  # the month's cap lets two through
    clock.now = datetime(2026, 12, 2, 12, tzinfo=UTC)
    for n in range(2):
        buy(shop, f"o-dec-{n}")  # a new month, but only one place left for life
    summary = run_job(clock.now + timedelta(minutes=5))
    assert summary["capped"] == 2
    referral_rewards = [r for r in advocate_rewards(api) if not r.get("milestone")]
    assert sorted(r["conversion_id"] for r in referral_rewards) == sorted(ids.conversion_id(o) for o in ("o-nov-0", "o-nov-1", "o-dec-0"))
    assert len([r for r in rewards(api) if r["recipient"] == "friend"]) == 5  # friends are never capped

    # A refund voids a pending referral reward: it was never rewarded, so its place under the lifetime cap is free again.
    assert post("/v1/refunds", {"refund_id": "r-1", "order_id": "o-dec-0", "amount": 10_000}, clock)["statusCode"] == 201
    clock.now += timedelta(hours=1)
    buy(shop, "o-dec-2")
    run_job(clock.now + timedelta(minutes=5))
    live = [r for r in advocate_rewards(api) if r["status"] != "voided"]
    assert sorted(r["conversion_id"] for r in live) == sorted(ids.conversion_id(o) for o in ("o-nov-0", "o-nov-1", "o-dec-2"))


def test_milestones_pay_once_each_as_reward_approved_with_milestone(api, aws):
    shop = programme(api, milestones=MILESTONES)
    bus = BusTap()
    for n in range(5):
        buy(shop, f"o-{n}")
    run_job(START + timedelta(minutes=5))
    assert milestone_rewards(api) == {}  # milestones count approved referrals, not pending ones
    summary = run_job(START + HOLDING + timedelta(minutes=5))
    assert (summary["approved"], summary["milestones"]) == (10, 2)
    bonuses = milestone_rewards(api)
    assert {n: (b["amount"], b["status"], b["approved_at"]) for n, b in bonuses.items()} == {
        2: (2500, "approved", bonuses[2]["approved_at"]),
        4: (5000, "approved", bonuses[4]["approved_at"]),
    }
    assert bonuses[2]["reward_id"] == ids.milestone_reward_id(shop[0]["advocate_id"], 2)
    assert bonuses[2]["customer_id"] == "ada" and bonuses[2]["recipient"] == "advocate"
    events = [e for e in bus.drain() if e["detail"].get("milestone")]
    assert sorted((e["detail-type"], e["detail"]["milestone"], e["detail"]["amount"]) for e in events) == [("RewardApproved", 2, 2500), ("RewardApproved", 4, 5000)]

    # Re-runs, later runs and a sixth referral: no milestone pays twice.
    shop[1].now = START + HOLDING + timedelta(days=1)
    buy(shop, "o-5")
    run_job(START + HOLDING * 3)
    run_job(START + HOLDING * 3)
    assert set(milestone_rewards(api)) == {2, 4}
    assert [e for e in bus.drain() if e["detail"].get("milestone")] == []
    view = api("GET", f"/v1/advocates/{shop[0]['advocate_id']}")["json"]
    assert view["rewards"]["approved"] == {"count": 8, "amount": 6 * 1000 + 2500 + 5000}


def test_a_patch_applies_to_conversions_after_it(api, aws):
    shop = programme(api)
    for n in range(3):
        buy(shop, f"o-v1-{n}")
    run_job(START + timedelta(minutes=5))
    patched = api("PATCH", "/v1/campaigns/spring", body={"rewards": {**RULES, "max_rewards_per_advocate": 4, "milestones": MILESTONES}})
    assert patched["statusCode"] == 200 and patched["json"]["rules_version"] == 2
    shop[1].now = START + timedelta(hours=1)
    for n in range(3):
        buy(shop, f"o-v2-{n}")
    summary = run_job(shop[1].now + timedelta(minutes=10))
    # The cap is lifetime: the three referrals rewarded before it count, so one more place is left.
    assert summary["capped"] == 2
    referral_rewards = [r for r in advocate_rewards(api) if not r.get("milestone")]
    assert sorted((r["rules_version"], r["conversion_id"]) for r in referral_rewards) == sorted(
        [(1, ids.conversion_id(f"o-v1-{n}")) for n in range(3)] + [(2, ids.conversion_id("o-v2-0"))]
    )
    # Approvals under version 1 pay no milestone; the first under version 2 pays every one reached by then.
    run_job(START + HOLDING + timedelta(hours=2))
    bonuses = milestone_rewards(api)
    assert set(bonuses) == {2, 4} and {b["rules_version"] for b in bonuses.values()} == {2}
    assert {b["conversion_id"] for b in bonuses.values()} == {ids.conversion_id("o-v2-0")}


def test_refused_programme_rules(api, aws):
    programme(api)
    for rules in (
        {**RULES, "max_rewards_per_advocate": 0},
        {**RULES, "max_rewards_per_advocate": 2, "milestones": MILESTONES},  # the 4-referral milestone is out of reach
        {**RULES, "milestones": [{"referrals": 2, "reward": {"type": "flat", "value": 1}}] * 2},
        {**RULES, "milestones": [{"referrals": 2}]},
    ):
        response = api("PATCH", "/v1/campaigns/spring", body={"rewards": rules})
        assert response["statusCode"] == 400 and set(response["json"]) == {"error"}, rules
    assert api("GET", "/v1/campaigns/spring")["json"]["rules_version"] == 1


def _overlapping(runs: int, at: datetime) -> None:
    barrier = threading.Barrier(runs)
    failures: list[BaseException] = []

    def one_run() -> None:
        barrier.wait()
        try:
            run_job(at)
        except BaseException as error:  # noqa: BLE001 - reported below
            failures.append(error)

    threads = [threading.Thread(target=one_run) for _ in range(runs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


@pytest.mark.parametrize("crash_after", [2, 5])
def test_the_lifetime_cap_and_milestones_hold_across_overlapping_runs_and_a_crash(moto_server, crash_after):
    from tests.integration.conftest import Api

    api = Api()
    shop = programme(api, max_rewards_per_advocate=5, milestones=[*MILESTONES, {"referrals": 5, "reward": {"type": "flat", "value": 7000}}])
    bus = BusTap()
    for n in range(8):
        buy(shop, f"o-{n}")

    # Creation: a run that dies after a few transactions, then two runs at once.
    run_that_dies(START + timedelta(minutes=5), crash_after)
    _overlapping(2, START + timedelta(minutes=5))
    assert len(advocate_rewards(api)) == 5
    assert len([r for r in rewards(api) if r["recipient"] == "friend"]) == 8

    # Approval: the same again, so that approvals of one advocate's referrals race for the milestones.
    run_that_dies(START + HOLDING + timedelta(minutes=5), crash_after)
    _overlapping(2, START + HOLDING + timedelta(minutes=5))

    found = advocate_rewards(api)
    assert sorted(r["milestone"] for r in found if r.get("milestone")) == [2, 4, 5]
    assert {r["status"] for r in found} == {"approved"} and len(found) == 5 + 3
    events = bus.drain()
    # Overlapping runs may both publish an outbox entry before either clears it; consumers deduplicate on event_id.
    approved_ids = {e["detail"]["event_id"] for e in events if e["detail-type"] == "RewardApproved"}
    assert approved_ids == {f"{r['reward_id']}.approved" for r in rewards(api)}
    assert len(approved_ids) == 5 + 8 + 3
    view = api("GET", f"/v1/advocates/{shop[0]['advocate_id']}")["json"]
    assert view["rewards"]["approved"] == {"count": 8, "amount": 5 * 1000 + 2500 + 5000 + 7000}
    assert view["rewards"]["pending"] == {"count": 0, "amount": 0}


def test_an_approval_that_races_another_on_the_milestone_count_counts_again(api, aws):
    """DynamoDB cancels both of two transactions writing one item at once (TransactionConflict); moto never does, so the
    first approval's transaction is answered with that cancellation here, as DynamoDB would answer it."""
    from botocore.awsrequest import AWSResponse

    shop = programme(api, milestones=MILESTONES)
    for n in range(2):
        buy(shop, f"o-{n}")
    run_job(START + timedelta(minutes=5))
    client = wiring.rewards_job().rewards._client
    conflicts = {"left": 1}

    def conflict_once(params, **_kwargs):
        items = json.loads(params["body"])["TransactItems"]
        if conflicts["left"] and any("MILESTONES" in json.dumps(item) for item in items):
            conflicts["left"] -= 1
            reasons = [{"Code": "TransactionConflict" if "MILESTONES" in json.dumps(item) else "None"} for item in items]
            parsed = {"Error": {"Code": "TransactionCanceledException", "Message": "Transaction cancelled"}, "CancellationReasons": reasons}
            return AWSResponse("https://dynamodb", 400, {}, None), parsed
        return None

    client.meta.events.register("before-call.dynamodb.TransactWriteItems", conflict_once)
    try:
        summary = run_job(START + HOLDING + timedelta(minutes=5))
    finally:
        client.meta.events.unregister("before-call.dynamodb.TransactWriteItems", conflict_once)
    assert conflicts["left"] == 0 and summary["set_aside"] == 0
    assert (summary["approved"], summary["milestones"]) == (4, 1)
    assert set(milestone_rewards(api)) == {2}
