"""The rewards job under moto: rewards created, approved, voided and adjusted; events captured from the bus."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from shared import wiring
from shared.platform.resources import REWARDS_BUS
from tests.integration.test_conversion_routes import Clock, post

START = datetime(2026, 11, 2, 12, tzinfo=UTC)
HOLDING = timedelta(days=14)
RULES = {"advocate": {"type": "percent", "value": 12.5}, "friend": {"type": "flat", "value": 500}, "holding_days": 14, "min_order_amount": 1000}


class BusTap:
    """An SQS queue subscribed to the rewards bus: what the bus really delivered, not what was called."""

    def __init__(self) -> None:
        sqs, events = boto3.client("sqs"), boto3.client("events")
        self.sqs = sqs
        self.url = sqs.create_queue(QueueName="reward-events")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        events.put_rule(Name="tap", EventBusName=REWARDS_BUS.local_name, EventPattern=json.dumps({"source": [REWARDS_BUS.source]}))
        events.put_targets(Rule="tap", EventBusName=REWARDS_BUS.local_name, Targets=[{"Id": "q", "Arn": arn}])

    def drain(self) -> list[dict]:
        received = []
        while True:
            messages = self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10).get("Messages", [])
            if not messages:
                return received
            for message in messages:
                received.append(json.loads(message["Body"]))
                self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])


@pytest.fixture
def shop(api, aws):
    assert api("POST", "/v1/campaigns", body={"campaign_id": "spring", "name": "Spring", "destination_url": "https://shop.example.com/", "rewards": RULES})["statusCode"] == 201
    advocate = api("POST", "/v1/campaigns/spring/advocates", body={"customer_id": "ada"})["json"]
    clock = Clock(START)
    wiring.use_clock(clock)
    return advocate, clock


@pytest.fixture
def bus(aws) -> BusTap:
    return BusTap()


def buy(shop, order_id: str, amount: int = 10_000, buyer: str | None = None) -> dict:
    advocate, clock = shop
    body = {"order_id": order_id, "amount": amount, "currency": "USD", "customer_id": buyer or f"buyer-{order_id}", "referral_code": advocate["code"]}
    response = post("/v1/conversions", body, clock)
    assert response["statusCode"] == 201, response
    return response["json"]


def refund(shop, refund_id: str, order_id: str, amount: int) -> None:
    response = post("/v1/refunds", {"refund_id": refund_id, "order_id": order_id, "amount": amount}, shop[1])
    assert response["statusCode"] == 201, response


def run_job(at: datetime) -> dict:
    return wiring.rewards_job().run(at)


def rewards(api, **query) -> list[dict]:
    found, cursor = [], None
    while True:
        page = api("GET", "/v1/rewards", query={"campaign_id": "spring", **query, **({"cursor": cursor} if cursor else {})})
        assert page["statusCode"] == 200, page
        found += page["json"]["rewards"]
        cursor = page["json"]["next_cursor"]
        if not cursor:
            return found


def by_recipient(api) -> dict[str, dict]:
    return {(r["recipient"] if not r.get("adjusts") else "adjustment:" + r["recipient"]): r for r in rewards(api)}


def test_a_conversion_earns_pending_rewards_approved_after_holding(api, shop, bus):
    buy(shop, "o-1", amount=9_999)
    run_job(START + timedelta(minutes=15))
    made = by_recipient(api)
    assert (made["advocate"]["amount"], made["advocate"]["status"]) == (1249, "pending")  # floor(9999 × 12.5 %)
    assert (made["friend"]["amount"], made["friend"]["customer_id"], made["friend"]["status"]) == (500, "buyer-o-1", "pending")
    assert bus.drain() == []  # creation is not an event

    run_job(START + HOLDING - timedelta(minutes=1))
    assert {r["status"] for r in rewards(api)} == {"pending"}
    run_job(START + HOLDING + timedelta(minutes=1))
    approved = by_recipient(api)
    assert {r["status"] for r in approved.values()} == {"approved"}
    events = bus.drain()
    assert sorted((e["detail-type"], e["detail"]["recipient"], e["detail"]["amount"]) for e in events) == [
        ("RewardApproved", "advocate", 1249),
        ("RewardApproved", "friend", 500),
    ]
    assert {e["source"] for e in events} == {"wom.rewards"}

    # Again, and later: nothing changes and nothing more is published.
    assert run_job(START + HOLDING * 3)["published"] == 0
    assert by_recipient(api) == approved
    assert bus.drain() == []


def test_orders_under_the_minimum_earn_nothing_and_unattributed_ones_are_never_read(api, shop, aws):
    buy(shop, "o-small", amount=999)
    post("/v1/conversions", {"order_id": "o-none", "amount": 50_000, "currency": "USD", "customer_id": "x"}, shop[1])
    summary = run_job(START + timedelta(hours=1))
    assert summary["conversions"] == 1 and summary["rewards_created"] == 0
    assert rewards(api) == []


def test_a_refund_before_approval_voids_or_reduces_pending_rewards(api, shop, bus):
    buy(shop, "o-full")
    buy(shop, "o-part", amount=8_000)
    run_job(START + timedelta(minutes=15))
    refund(shop, "r-full", "o-full", 10_000)
    refund(shop, "r-part", "o-part", 2_000)
    run_job(START + timedelta(days=1))
    found = {(r["conversion_id"], r["recipient"]): r for r in rewards(api)}
    statuses = sorted((r["recipient"], r["status"], r["amount"]) for r in found.values())
    # Full refund: both voided. Partial: the percent reward follows what is left (floor(6000 × 12.5 %)), the flat one stays.
    assert statuses == [("advocate", "pending", 750), ("advocate", "voided", 1250), ("friend", "pending", 500), ("friend", "voided", 500)]
    events = bus.drain()
    assert sorted(e["detail-type"] for e in events) == ["RewardVoided", "RewardVoided"]
    assert {e["detail"]["refund_id"] for e in events} == {"r-full"}
    run_job(START + HOLDING + timedelta(days=1))
    assert sorted(e["detail"]["amount"] for e in bus.drain()) == [500, 750]  # only the survivors are approved


def test_a_refund_after_approval_writes_a_negative_adjustment(api, shop, bus):
    buy(shop, "o-1", amount=10_000)
    run_job(START + HOLDING + timedelta(hours=1))
    bus.drain()
    shop[1].now = START + HOLDING + timedelta(days=2)
    refund(shop, "r-1", "o-1", 4_000)
    run_job(shop[1].now + timedelta(minutes=5))
    made = by_recipient(api)
    assert made["advocate"]["status"] == "approved" and made["advocate"]["amount"] == 1250
    assert (made["adjustment:advocate"]["amount"], made["adjustment:advocate"]["adjusts"]) == (-500, made["advocate"]["reward_id"])
    assert "adjustment:friend" not in made  # a flat reward stands while part of the order does
    [event] = bus.drain()
    assert (event["detail-type"], event["detail"]["amount"], event["detail"]["adjusts"]) == ("RewardAdjusted", -500, made["advocate"]["reward_id"])
    refund(shop, "r-2", "o-1", 6_000)
    run_job(shop[1].now + timedelta(minutes=10))
    adjustments = sorted((r["recipient"], r["amount"]) for r in rewards(api) if r.get("adjusts"))
    assert adjustments == [("advocate", -750), ("advocate", -500), ("friend", -500)]


def test_a_late_first_run_keeps_the_order_of_events(api, shop, bus):
    # The job was down for three weeks: the purchase's holding ended before the refund came, so the refund
    # adjusts an approved reward rather than voiding a pending one.
    buy(shop, "o-1")
    shop[1].now = START + HOLDING + timedelta(days=6)
    refund(shop, "r-1", "o-1", 10_000)
    run_job(START + HOLDING + timedelta(days=7))
    found = sorted((r["recipient"], r["status"], r["amount"]) for r in rewards(api))
    assert found == [("advocate", "approved", -1250), ("advocate", "approved", 1250), ("friend", "approved", -500), ("friend", "approved", 500)]
    assert sorted(e["detail-type"] for e in bus.drain()) == ["RewardAdjusted"] * 2 + ["RewardApproved"] * 2


def test_rules_are_versioned_and_earlier_conversions_keep_theirs(api, shop):
    buy(shop, "o-v1")
    patched = api("PATCH", "/v1/campaigns/spring", body={"rewards": {**RULES, "advocate": {"type": "flat", "value": 2000}}})
    assert patched["statusCode"] == 200 and patched["json"]["rules_version"] == 2
    buy(shop, "o-v2")
    run_job(START + timedelta(hours=1))
    found = sorted((r["rules_version"], r["amount"]) for r in rewards(api) if r["recipient"] == "advocate")
    assert found == [(1, 1250), (2, 2000)]


def test_the_monthly_cap_counts_by_the_month_of_the_conversion(api, shop):
    api("PATCH", "/v1/campaigns/spring", body={"rewards": {**RULES, "max_rewards_per_advocate_per_month": 2}})
    clock = shop[1]
    clock.now = datetime(2026, 11, 30, 20, tzinfo=UTC)
    for n in range(3):
        buy(shop, f"o-nov-{n}")
    clock.now = datetime(2026, 12, 1, 1, tzinfo=UTC)
    buy(shop, "o-dec")
    summary = run_job(clock.now + timedelta(hours=1))
    assert summary["capped"] == 1
    advocate_rewards = [r for r in rewards(api) if r["recipient"] == "advocate"]
    assert len(advocate_rewards) == 3  # two in November, one in December
    assert len([r for r in rewards(api) if r["recipient"] == "friend"]) == 4  # friends are never capped


class Crash(Exception):
    pass


def run_that_dies(at: datetime, after_writes: int) -> None:
    """A rewards run as of `at` that dies (as a Lambda timeout would) after `after_writes` transactions."""
    client = wiring.rewards_job().rewards._client
    writes = {"n": 0}

    def die_after_some_writes(**_kwargs) -> None:
        writes["n"] += 1
        if writes["n"] > after_writes:
            raise Crash("injected")

    client.meta.events.register("before-call.dynamodb.TransactWriteItems", die_after_some_writes)
    try:
        with pytest.raises(Crash):
            run_job(at)
    finally:
        client.meta.events.unregister("before-call.dynamodb.TransactWriteItems", die_after_some_writes)


def _outcome(api) -> list[tuple]:
    return sorted((r["conversion_id"], r["recipient"], r["amount"], r["status"], bool(r.get("adjusts"))) for r in rewards(api))


@pytest.mark.parametrize("crash_after", [1, 2, 4])
def test_a_run_that_dies_halfway_then_a_clean_run_end_like_one_clean_run(api, shop, bus, crash_after):
    for n in range(3):
        buy(shop, f"o-{n}")
    run_job(START + timedelta(minutes=5))
    refund(shop, "r-0", "o-0", 10_000)
    shop[1].now = START + HOLDING + timedelta(days=1)
    refund(shop, "r-1", "o-1", 5_000)
    later = shop[1].now + timedelta(minutes=5)
    run_that_dies(later, crash_after)
    run_job(later)
    crashed_outcome, crashed_events = _outcome(api), sorted((e["detail-type"], e["detail"]["event_id"]) for e in bus.drain())

    # The same story, run cleanly once, in a campaign of its own.
    expected = {
        ("o-0", "advocate"): "voided", ("o-0", "friend"): "voided",
        ("o-1", "advocate"): "approved", ("o-1", "friend"): "approved",
        ("o-2", "advocate"): "approved", ("o-2", "friend"): "approved",
    }
    from shared.platform import ids, keys

    assert [(c, r, a, s, adj) for c, r, a, s, adj in crashed_outcome if not adj] == sorted(
        (ids.conversion_id(order), recipient, 1250 if recipient == "advocate" else 500, status, False) for (order, recipient), status in expected.items()
    )
    assert [(r, a) for _c, r, a, _s, adj in crashed_outcome if adj] == [("advocate", -625)]
    assert [kind for kind, _ in crashed_events].count("RewardApproved") == 4
    assert [kind for kind, _ in crashed_events].count("RewardVoided") == 2
    assert [kind for kind, _ in crashed_events].count("RewardAdjusted") == 1
    assert len({event_id for _, event_id in crashed_events}) == len(crashed_events)  # none published twice


def test_fulfil_only_from_approved(api, shop):
    buy(shop, "o-1")
    run_job(START + timedelta(minutes=5))
    pending = by_recipient(api)["advocate"]
    early = api("POST", f"/v1/rewards/{pending['reward_id']}/fulfil", body={"reference": "payout-1"})
    assert early["statusCode"] == 409 and early["json"]["error"]["code"] == "reward_not_approved"
    run_job(START + HOLDING + timedelta(hours=1))
    paid = api("POST", f"/v1/rewards/{pending['reward_id']}/fulfil", body={"reference": "payout-1"})
    assert paid["statusCode"] == 200
    assert (paid["json"]["status"], paid["json"]["reference"]) == ("paid", "payout-1")
    # A retry with the same reference is the same payment: 200 and the same reward, paid once.
    shop[1].now = START + HOLDING + timedelta(days=2)
    retried = api("POST", f"/v1/rewards/{pending['reward_id']}/fulfil", body={"reference": "payout-1"})
    assert (retried["statusCode"], retried["json"]) == (200, paid["json"])
    assert api("GET", f"/v1/advocates/{shop[0]['advocate_id']}")["json"]["rewards"]["paid"] == {"count": 1, "amount": pending["amount"]}
    other = api("POST", f"/v1/rewards/{pending['reward_id']}/fulfil", body={"reference": "payout-2"})
    assert (other["statusCode"], other["json"]["error"]["code"]) == (409, "reward_already_paid")
    assert api("POST", "/v1/rewards/rwd_nosuchreward/fulfil", body={"reference": "x"})["statusCode"] == 404
    assert api("POST", f"/v1/rewards/{pending['reward_id']}/fulfil", body={})["statusCode"] == 400


def test_the_advocate_view_matches_what_the_job_wrote(api, shop):
    advocate = shop[0]
    for n in range(3):
        buy(shop, f"o-{n}")
    run_job(START + HOLDING + timedelta(hours=1))
    shop[1].now = START + HOLDING + timedelta(days=1)
    buy(shop, "o-3")
    refund(shop, "r-3", "o-3", 10_000)
    reward = next(r for r in rewards(api, status="approved") if r["recipient"] == "advocate")
    api("POST", f"/v1/rewards/{reward['reward_id']}/fulfil", body={"reference": "p"})
    run_job(shop[1].now + timedelta(hours=1))
    view = api("GET", f"/v1/advocates/{advocate['advocate_id']}")
    assert view["statusCode"] == 200
    assert view["json"]["conversions"] == 4
    assert view["json"]["rewards"] == {
        "pending": {"count": 0, "amount": 0},
        "held": {"count": 0, "amount": 0},
        "approved": {"count": 2, "amount": 2500},
        "paid": {"count": 1, "amount": 1250},
        "voided": {"count": 1, "amount": 1250},
    }
    assert api("GET", "/v1/advocates/adv_nosuchadvocate")["statusCode"] == 404


def test_reward_pages_and_bad_cursors(api, shop):
    for n in range(5):
        buy(shop, f"o-{n}")
    run_job(START + timedelta(minutes=5))
    first = api("GET", "/v1/rewards", query={"campaign_id": "spring", "limit": "3"})
    assert len(first["json"]["rewards"]) == 3 and first["json"]["next_cursor"]
    assert len(rewards(api)) == 10
    assert len(rewards(api, status="approved")) == 0
    for bad in ("not-a-cursor", "e30", first["json"]["next_cursor"][:-2]):
        response = api("GET", "/v1/rewards", query={"campaign_id": "spring", "cursor": bad})
        assert response["statusCode"] == 400, bad
    other = api("GET", "/v1/rewards", query={"campaign_id": "autumn", "cursor": first["json"]["next_cursor"]})
    assert other["statusCode"] == 400
    assert api("GET", "/v1/rewards", query={"campaign_id": "spring", "status": "lost"})["statusCode"] == 400
    assert api("GET", "/v1/rewards")["statusCode"] == 400


def test_the_cap_holds_when_two_runs_overlap(moto_server):
    from tests.integration.conftest import Api

    api = Api()
    rules = {**RULES, "max_rewards_per_advocate_per_month": 3}
    api("POST", "/v1/campaigns", body={"campaign_id": "spring", "name": "Spring", "destination_url": "https://shop.example.com/", "rewards": rules})
    advocate = api("POST", "/v1/campaigns/spring/advocates", body={"customer_id": "ada"})["json"]
    clock = Clock(START)
    wiring.use_clock(clock)
    for n in range(8):
        buy((advocate, clock), f"o-{n}")
    barrier = threading.Barrier(2)
    failures: list[BaseException] = []

    def overlapping_run() -> None:
        barrier.wait()
        try:
            run_job(START + timedelta(minutes=5))
        except BaseException as error:  # noqa: BLE001 - reported below
            failures.append(error)

    threads = [threading.Thread(target=overlapping_run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    found = rewards(api)
    assert len([r for r in found if r["recipient"] == "advocate"]) == 3
    assert len([r for r in found if r["recipient"] == "friend"]) == 8


def test_rewards_of_one_advocate_from_their_own_index(api, shop, aws):
    """advocate_id filters for real (it was once ignored), from the advocate_rewards index rather than a scan."""
    other = api("POST", "/v1/campaigns/spring/advocates", body={"customer_id": "grace"})["json"]
    for n in range(3):
        buy(shop, f"ada-{n}")
    post("/v1/conversions", {"order_id": "grace-1", "amount": 10_000, "currency": "USD", "customer_id": "buyer-g", "referral_code": other["code"]}, shop[1])
    run_job(START + timedelta(minutes=5))
    ada = rewards(api, advocate_id=shop[0]["advocate_id"])
    assert len(ada) == 6 and {r["advocate_id"] for r in ada} == {shop[0]["advocate_id"]}
    grace = rewards(api, advocate_id=other["advocate_id"])
    assert len(grace) == 2 and {r["advocate_id"] for r in grace} == {other["advocate_id"]}
    # Without campaign_id too, a page at a time, and with a status.
    page = api("GET", "/v1/rewards", query={"advocate_id": shop[0]["advocate_id"], "limit": "4"})
    assert len(page["json"]["rewards"]) == 4 and page["json"]["next_cursor"]
    rest = api("GET", "/v1/rewards", query={"advocate_id": shop[0]["advocate_id"], "cursor": page["json"]["next_cursor"]})
    assert len(rest["json"]["rewards"]) == 2 and rest["json"]["next_cursor"] is None
    assert api("GET", "/v1/rewards", query={"advocate_id": shop[0]["advocate_id"], "status": "approved"})["json"]["rewards"] == []
    # A cursor of the campaign's listing is not one of the advocate's.
    campaign_page = api("GET", "/v1/rewards", query={"campaign_id": "spring", "limit": "1"})
    assert api("GET", "/v1/rewards", query={"advocate_id": other["advocate_id"], "cursor": campaign_page["json"]["next_cursor"]})["statusCode"] == 400
    # Another campaign's id with this advocate: nothing of theirs is in it.
    assert rewards(api, advocate_id=other["advocate_id"], campaign_id="autumn") == []
    assert api("GET", "/v1/rewards", query={"advocate_id": "not-an-id"})["statusCode"] == 400


def test_every_answer_writes_time_one_way_and_json_compactly(api, shop):
    """One timestamp format in every answer (UTC, milliseconds, Z) and compact JSON, across the admin answers
    that carry times: campaigns, advocates, rewards (created, approved, paid)."""
    import re

    stamp = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
    buy(shop, "o-t")
    run_job(START + HOLDING + timedelta(hours=1))
    reward = rewards(api)[0]
    answers = [
        api("GET", "/v1/campaigns"),
        api("GET", "/v1/campaigns/spring"),
        api("GET", "/v1/campaigns/spring/advocates"),
        api("GET", f"/v1/advocates/{shop[0]['advocate_id']}"),
        api("GET", "/v1/rewards", query={"campaign_id": "spring"}),
        api("POST", f"/v1/rewards/{reward['reward_id']}/fulfil", body={"reference": "p-1"}),
    ]
    seen = []

    def walk(value):
        if isinstance(value, dict):
            for key, inner in value.items():
                if key.endswith("_at") and inner is not None:
                    seen.append((key, inner))
                walk(inner)
        elif isinstance(value, list):
            for inner in value:
                walk(inner)

    for answer in answers:
        assert answer["statusCode"] == 200, answer
        assert answer["body"] == json.dumps(answer["json"], separators=(",", ":"), ensure_ascii=False)
        walk(answer["json"])
    assert {key for key, _ in seen} >= {"created_at", "approved_at", "paid_at"}
    assert [value for _, value in seen if not stamp.match(value)] == []


def test_reward_events_the_bus_refuses_fail_the_run_and_go_out_with_the_next(api, shop, bus):
    """A fulfilment outage must reach the job's Errors alarm: a run whose events the bus refused fails (they stay in
    the outbox), and the next run, the bus answering again, publishes each of them once."""
    from functions.rewards.handler import lambda_handler
    from local.gateway import LambdaContext
    from shared.platform.deployment import FUNCTIONS
    from shared.platform.errors import RewardEventsUnpublished

    [definition] = [f for f in FUNCTIONS if f.name == "rewards"]
    buy(shop, "o-refused")
    run_job(START + timedelta(minutes=15))  # two pending rewards; their approval is what is published
    events = wiring.rewards_job().events_client

    def refuse(params, **_):  # EventBridge's answer when it takes none of the entries (params: the request)
        entries = json.loads(params["body"])["Entries"]
        from botocore.awsrequest import AWSResponse

        return AWSResponse(params["url"], 200, {}, None), {"FailedEntryCount": len(entries), "Entries": [{"ErrorCode": "InternalFailure", "ErrorMessage": "injected"} for _ in entries]}

    events.meta.events.register("before-call.events.PutEvents", refuse)
    with pytest.raises(RewardEventsUnpublished) as failed:
        lambda_handler({"now": (START + HOLDING + timedelta(minutes=1)).isoformat()}, LambdaContext(definition))
    assert failed.value.summary["publish_failures"] == 2 and failed.value.summary["published"] == 0
    assert bus.drain() == []
    events.meta.events.unregister("before-call.events.PutEvents", refuse)
    summary = lambda_handler({"now": (START + HOLDING + timedelta(minutes=16)).isoformat()}, LambdaContext(definition))
    assert (summary["published"], summary["publish_failures"]) == (2, 0)
    assert sorted(e["detail-type"] for e in bus.drain()) == ["RewardApproved", "RewardApproved"]
