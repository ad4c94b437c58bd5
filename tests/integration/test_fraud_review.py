"""Fraud review under moto (SPEC §4): each signal flags what it should and nothing else, held rewards wait for a
review, the review's decisions and their events (captured from the bus with an SQS rule), and the metrics' count."""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest

from shared import wiring
from shared.platform.dynamo import deserialise
from tests.integration.test_conversion_routes import Clock, post
from tests.integration.test_rewards_job import HOLDING, RULES, START, BusTap, rewards, run_job

ADVOCATE_EMAIL = "Ada.Lovelace@gmail.com"


@pytest.fixture
def bus(aws) -> BusTap:
    return BusTap()


@pytest.fixture
def shop(api, aws):
    clock = Clock(START)
    wiring.use_clock(clock)
    body = {"campaign_id": "spring", "name": "Spring", "destination_url": "https://shop.example.com/", "rewards": RULES}
    assert api("POST", "/v1/campaigns", body=body)["statusCode"] == 201
    advocate = api("POST", "/v1/campaigns/spring/advocates", body={"customer_id": "ada", "email": ADVOCATE_EMAIL})["json"]
    return advocate, clock


def buy(shop, order_id: str, email: str | None = None, click_id: str | None = None, buyer: str | None = None) -> dict:
    advocate, clock = shop
    body = {"order_id": order_id, "amount": 10_000, "currency": "USD", "customer_id": buyer or f"buyer-{order_id}"}
    body |= {"click_id": click_id} if click_id else {"referral_code": advocate["code"]}
    if email:
        body["customer_email"] = email
    response = post("/v1/conversions", body, clock)
    assert response["statusCode"] == 201, response
    return response["json"]


def click(api, shop, referer: str | None = None, source_ip: str = "203.0.113.7") -> str:
    headers = {"Referer": referer} if referer else {}
    location = api("GET", f"/r/{shop[0]['code']}", headers=headers, source_ip=source_ip)["headers"]["Location"]
    return parse_qs(urlsplit(location).query)["wom_click"][0]


def of_order(api, order_id: str) -> dict[str, dict]:
    from shared.platform import ids

    return {r["recipient"]: r for r in rewards(api) if r["conversion_id"] == ids.conversion_id(order_id)}


def reasons_of(api, order_id: str) -> tuple[str, list[str] | None]:
    found = of_order(api, order_id)
    statuses = {r["status"] for r in found.values()}
    assert len(statuses) == 1, found  # a conversion's rewards are held together or not at all
    review = found["advocate"].get("review")
    return statuses.pop(), review["reasons"] if review else None


def stored_order(aws, order_id: str) -> dict:
    item = aws.get_item(TableName="wom-referrals", Key={"pk": {"S": f"ORDER#{order_id}"}, "sk": {"S": "META"}})["Item"]
    return deserialise(item)


def patch_fraud(api, **fraud) -> None:
    response = api("PATCH", "/v1/campaigns/spring", body={"fraud": fraud})
    assert response["statusCode"] == 200, response
    assert response["json"]["rules_version"] == 1  # fraud settings are not reward rules: no new version


# --- the signals --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("email", "reasons"),
    [
        ("friend@example.com", None),
        (None, None),
        ("friend@mailinator.com", ["disposable_email"]),
        ("friend@inbox.mailinator.com", ["disposable_email"]),
        ("ada.lovelace+deal@gmail.com", ["alias_of_advocate"]),  # the advocate's own Gmail mailbox, by another name
        ("adalovelace@googlemail.com", ["alias_of_advocate"]),
        ("ada.lovelace@outlook.com", None),  # same name, another mailbox
    ],
)
def test_email_signals_flag_what_they_should_and_nothing_else(api, shop, aws, email, reasons):
    buy(shop, "o-1", email=email)
    run_job(START + timedelta(minutes=5))
    assert reasons_of(api, "o-1") == ("held" if reasons else "pending", reasons)
    signals = stored_order(aws, "o-1")["fraud_signals"]
    assert signals["disposable_email"] is (reasons == ["disposable_email"])
    assert signals["alias_of_advocate"] is (reasons == ["alias_of_advocate"])


def test_the_advocates_exact_email_is_a_self_referral_not_a_fraud_signal(api, shop, aws):
    assert buy(shop, "o-1", email=" ada.lovelace@GMAIL.com")["status"] == "self_referral"
    run_job(START + timedelta(minutes=5))
    assert of_order(api, "o-1") == {}
    assert "fraud_signals" not in stored_order(aws, "o-1")


def test_no_raw_email_is_stored_with_the_signals(api, shop, aws):
    buy(shop, "o-1", email="Friend.Of.Ada+x@mailinator.com")
    run_job(START + timedelta(minutes=5))
    text = json.dumps([aws.scan(TableName=t)["Items"] for t in ("wom-referrals", "wom-events")]).lower()
    for fragment in ("friend.of.ada", "friendofada", "mailinator", ADVOCATE_EMAIL.lower(), "adalovelace@"):
        assert fragment not in text


def test_velocity_counts_an_advocates_referred_purchases_in_24_hours(api, shop, aws):
    patch_fraud(api, max_referrals_per_day=2)
    clock = shop[1]
    for n in range(3):
        clock.now = START + timedelta(hours=n * 11)  # three within 23 hours
        buy(shop, f"o-{n}")
    clock.now = START + timedelta(hours=44)  # the first two have left the window (hours 21 to 44 count)
    buy(shop, "o-3")
    run_job(clock.now + timedelta(minutes=5))
    assert [reasons_of(api, f"o-{n}") for n in range(4)] == [("pending", None), ("pending", None), ("held", ["advocate_velocity"]), ("pending", None)]
    assert [stored_order(aws, f"o-{n}")["fraud_signals"]["advocate_referrals_24h"] for n in range(4)] == [1, 2, 3, 2]


def test_velocity_is_counted_per_advocate_and_only_for_referred_purchases(api, shop, aws):
    patch_fraud(api, max_referrals_per_day=1)
    other = api("POST", "/v1/campaigns/spring/advocates", body={"customer_id": "bob"})["json"]
    buy(shop, "o-ada")
    post("/v1/conversions", {"order_id": "o-bob", "amount": 10_000, "currency": "USD", "customer_id": "x-1", "referral_code": other["code"]}, shop[1])
    post("/v1/conversions", {"order_id": "o-none", "amount": 10_000, "currency": "USD", "customer_id": "x-2"}, shop[1])
    buy(shop, "o-self", buyer="ada")  # the advocate's own purchase is a self-referral, not a referred purchase
    run_job(START + timedelta(minutes=5))
    assert reasons_of(api, "o-ada") == ("pending", None)
    assert {r["status"] for r in rewards(api) if r["advocate_id"] == other["advocate_id"]} == {"pending"}


def test_blocked_referrer_is_the_clicks_referring_host(api, shop, aws):
    patch_fraud(api, blocked_referrer_hosts=["coupons.example"])
    from_coupons = click(api, shop, referer="https://www.coupons.example/deals/shop?code=x&email=someone@example.com")
    from_a_blog = click(api, shop, referer="https://blog.example/post", source_ip="198.51.100.9")
    buy(shop, "o-coupons", click_id=from_coupons)
    buy(shop, "o-blog", click_id=from_a_blog)
    # A referral code alone carries no click, so no referring host.
    buy(shop, "o-code")
    run_job(START + timedelta(minutes=5))
    assert reasons_of(api, "o-coupons") == ("held", ["blocked_referrer"])
    assert reasons_of(api, "o-blog") == ("pending", None)
    assert reasons_of(api, "o-code") == ("pending", None)
    clicks = [deserialise(i) for i in aws.scan(TableName="wom-events")["Items"] if i["sk"]["S"].startswith("click#")]
    assert sorted(c.get("referrer_host") for c in clicks) == ["blog.example", "www.coupons.example"]  # the host, never the URL
    assert "deals/shop" not in json.dumps(clicks) and "someone" not in json.dumps(clicks)
    assert stored_order(aws, "o-coupons")["fraud_signals"]["referrer_host"] == "www.coupons.example"


def test_a_household_two_buyers_behind_one_address_is_not_flagged(api, shop, aws):
    # Same address, same browser, the same link followed twice within the hour: one visitor, one click id.
    first, second = click(api, shop), click(api, shop)
    assert first == second
    buy(shop, "o-partner-1", email="sam@example.com", click_id=first, buyer="sam")
    buy(shop, "o-partner-2", email="alex@example.com", click_id=second, buyer="alex")
    run_job(START + timedelta(minutes=5))
    assert reasons_of(api, "o-partner-1") == ("pending", None)
    assert reasons_of(api, "o-partner-2") == ("pending", None)


# --- held rewards and their review ----------------------------------------------------------------------------


def held_order(api, shop, bus, order_id: str = "o-held") -> dict[str, dict]:
    buy(shop, order_id, email="friend@mailinator.com")
    run_job(START + timedelta(minutes=5))
    found = of_order(api, order_id)
    assert {r["status"] for r in found.values()} == {"held"}
    return found


def test_held_rewards_are_published_queued_counted_and_never_approved_by_time(api, shop, bus):
    held = held_order(api, shop, bus)
    events = bus.drain()
    assert sorted((e["detail-type"], e["detail"]["recipient"]) for e in events) == [("RewardHeld", "advocate"), ("RewardHeld", "friend")]
    detail = next(e["detail"] for e in events if e["detail"]["recipient"] == "advocate")
    assert detail["review"] == {"reasons": ["disposable_email"], "flagged_at": held["advocate"]["created_at"]}
    assert detail["status"] == "held" and detail["reward_id"] == held["advocate"]["reward_id"]

    queue = rewards(api, status="held")
    assert {r["reward_id"] for r in queue} == {r["reward_id"] for r in held.values()}
    view = api("GET", f"/v1/advocates/{shop[0]['advocate_id']}")["json"]
    assert view["rewards"]["held"] == {"count": 1, "amount": 1250} and view["rewards"]["pending"] == {"count": 0, "amount": 0}

    run_job(START + HOLDING * 3)  # long past holding: still held
    assert {r["status"] for r in of_order(api, "o-held").values()} == {"held"}
    assert bus.drain() == []


def review(api, reward_id: str, decision: str, **extra) -> dict:
    return api("POST", f"/v1/rewards/{reward_id}/review", body={"decision": decision, **extra})


def test_approve_after_holding_approves_and_reject_voids_with_their_events(api, shop, bus):
    held = held_order(api, shop, bus)
    bus.drain()
    shop[1].now = START + HOLDING + timedelta(days=1)
    approved = review(api, held["advocate"]["reward_id"], "approve", note="spoke to the customer")
    assert approved["statusCode"] == 200, approved
    body = approved["json"]
    assert (body["status"], body["approved_at"]) == ("approved", "2026-11-17T12:00:00.000Z")
    assert body["review"] == {
        "reasons": ["disposable_email"],
        "flagged_at": held["advocate"]["created_at"],
        "decision": "approve",
        "note": "spoke to the customer",
        "reviewed_at": "2026-11-17T12:00:00.000Z",
    }
    rejected = review(api, held["friend"]["reward_id"], "reject")
    assert rejected["statusCode"] == 200 and rejected["json"]["status"] == "voided" and rejected["json"]["review"]["decision"] == "reject"
    assert rewards(api, status="held") == []  # the queue is empty

    run_job(shop[1].now + timedelta(minutes=1))  # the next run publishes the reviews' events
    events = {e["detail-type"]: e["detail"] for e in bus.drain()}
    assert set(events) == {"RewardApproved", "RewardVoided"}
    assert (events["RewardApproved"]["reward_id"], events["RewardApproved"]["amount"]) == (held["advocate"]["reward_id"], 1250)
    assert events["RewardVoided"]["reward_id"] == held["friend"]["reward_id"]

    paid = api("POST", f"/v1/rewards/{held['advocate']['reward_id']}/fulfil", body={"reference": "payout-1"})
    assert paid["statusCode"] == 200 and paid["json"]["status"] == "paid"
    view = api("GET", f"/v1/advocates/{shop[0]['advocate_id']}")["json"]["rewards"]
    assert (view["held"], view["paid"]) == ({"count": 0, "amount": 0}, {"count": 1, "amount": 1250})


def test_approve_before_holding_ends_leaves_it_pending_until_it_does(api, shop, bus):
    held = held_order(api, shop, bus)
    bus.drain()
    shop[1].now = START + timedelta(days=2)
    released = review(api, held["advocate"]["reward_id"], "approve")
    assert released["statusCode"] == 200 and released["json"]["status"] == "pending"
    run_job(START + HOLDING - timedelta(minutes=1))
    assert of_order(api, "o-held")["advocate"]["status"] == "pending"
    run_job(START + HOLDING + timedelta(minutes=1))
    advocate_reward = of_order(api, "o-held")["advocate"]
    assert (advocate_reward["status"], advocate_reward["approved_at"]) == ("approved", "2026-11-16T12:00:00.000Z")
    assert advocate_reward["review"]["decision"] == "approve"
    assert [e["detail-type"] for e in bus.drain()] == ["RewardApproved"]


def test_reviews_are_safe_to_retry_and_refuse_what_is_not_held(api, shop, bus):
    held = held_order(api, shop, bus)
    reward_id = held["advocate"]["reward_id"]
    first = review(api, reward_id, "reject", note="throwaway address")
    again = review(api, reward_id, "reject")
    assert first["statusCode"] == again["statusCode"] == 200 and again["json"] == first["json"]
    other = review(api, reward_id, "approve")
    assert other["statusCode"] == 409 and other["json"]["error"]["code"] == "reward_already_reviewed"

    buy(shop, "o-clean", email="friend@example.com")
    run_job(START + timedelta(minutes=10))
    pending = of_order(api, "o-clean")["advocate"]["reward_id"]
    not_held = review(api, pending, "approve")
    assert not_held["statusCode"] == 409 and not_held["json"]["error"]["code"] == "reward_not_held"
    assert review(api, "rwd_nosuchreward", "approve")["statusCode"] == 404
    for bad in ({"decision": "maybe"}, {"decision": "approve", "note": "x" * 501}, {"decision": "approve", "extra": 1}, {}):
        response = api("POST", f"/v1/rewards/{held['friend']['reward_id']}/review", body=bad)
        assert response["statusCode"] == 400 and set(response["json"]) == {"error"}, bad
    assert of_order(api, "o-held")["friend"]["status"] == "held"  # nothing a bad request sent changed it


def test_a_refund_voids_held_rewards_and_takes_them_off_the_queue(api, shop, bus):
    held_order(api, shop, bus)
    bus.drain()
    response = post("/v1/refunds", {"refund_id": "r-1", "order_id": "o-held", "amount": 10_000}, shop[1])
    assert response["statusCode"] == 201
    run_job(START + timedelta(hours=1))
    assert {r["status"] for r in of_order(api, "o-held").values()} == {"voided"}
    assert rewards(api, status="held") == []
    assert sorted(e["detail-type"] for e in bus.drain()) == ["RewardVoided", "RewardVoided"]
    view = api("GET", f"/v1/advocates/{shop[0]['advocate_id']}")["json"]["rewards"]
    assert (view["held"], view["voided"]) == ({"count": 0, "amount": 0}, {"count": 1, "amount": 1250})


def test_the_daily_metrics_count_rewards_held(api, shop, bus):
    held_order(api, shop, bus)
    buy(shop, "o-clean")
    run_job(START + timedelta(minutes=10))
    wiring.metrics_job().run_days([START.date()])
    body = boto3.client("s3").get_object(Bucket="wom-metrics", Key=f"metrics/daily/campaign_id=spring/dt={START.date()}/metrics.json")["Body"].read()
    metrics = json.loads(body)
    assert (metrics["rewards_created"], metrics["rewards_held"]) == (4, 2)
