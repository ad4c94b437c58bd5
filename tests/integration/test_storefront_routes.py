"""The storefront's own routes under moto (SPEC §3.6): the signed enrolment and its status token, and the advocate's
status, from a real click and signed conversions through the rewards and metrics jobs."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, quote, urlsplit

import pytest

from functions.storefront import handler as storefront_handler
from shared import wiring
from shared.campaigns.status_tokens import LIFETIME, issue_status_token
from shared.conversions.signatures import signature_header
from shared.platform import keys
from shared.platform.dynamo import Table
from shared.platform.ids import conversion_id
from shared.platform.resources import REFERRALS_TABLE
from tests.integration.conftest import all_items
from tests.integration.test_conversion_routes import Clock
from tests.support.http_events import LambdaContext, call_route, http_event

START = datetime(2026, 11, 2, 12, tzinfo=UTC)
HOLDING = timedelta(days=14)
RULES = {"advocate": {"type": "percent", "value": 10}, "friend": {"type": "flat", "value": 500}, "holding_days": 14, "min_order_amount": 1000}
FRIEND_EMAIL = "friend.person@example.org"


@pytest.fixture
def clock(aws) -> Clock:
    clock = Clock(START)
    wiring.use_clock(clock)
    return clock


def create_campaign(campaign_id: str = "spring", **rules) -> None:
    body = {"campaign_id": campaign_id, "name": "Spring", "destination_url": "https://shop.example.com/", "rewards": {**RULES, **rules}}
    assert call_route("POST", "/v1/campaigns", json.dumps(body))["statusCode"] == 201


@pytest.fixture
def campaign(clock) -> str:
    create_campaign()
    return "spring"


def enrol(body: dict) -> dict:
    return call_route("POST", "/v1/enrolments", json.dumps(body))


@pytest.fixture
def enrolled(campaign) -> dict:
    response = enrol({"campaign_id": campaign, "customer_id": "ada", "email": "Ada@Example.com"})
    assert response["statusCode"] == 201, response
    return response["json"]


def status(token: str | None) -> dict:
    return call_route("GET", "/v1/advocate-status" + (f"?token={quote(token, safe='')}" if token is not None else ""))


def status_of(enrolled: dict) -> dict:
    response = status(enrolled["status_token"])
    assert response["statusCode"] == 200, response
    return response["json"]


def buy(code: str, order_id: str, clock: Clock, amount: int = 10_000, buyer: str | None = None, currency: str = "USD", **extra) -> dict:
    body = {"order_id": order_id, "amount": amount, "currency": currency, "customer_id": buyer or f"friend-{order_id}", "referral_code": code, **extra}
    response = call_route("POST", "/v1/conversions", json.dumps(body))
    assert response["statusCode"] == 201, response
    return response["json"]


def refund(refund_id: str, order_id: str, amount: int) -> None:
    body = {"refund_id": refund_id, "order_id": order_id, "amount": amount}
    assert call_route("POST", "/v1/refunds", json.dumps(body))["statusCode"] == 201


def run_rewards(at: datetime) -> dict:
    return wiring.rewards_job().run(at)


def referrals(enrolled: dict) -> list[tuple]:
    return [(r["status"], r.get("reason"), r["at"]) for r in status_of(enrolled)["referrals"]]


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


# --- POST /v1/enrolments ------------------------------------------------------------------------------------------


def test_a_signed_enrolment_answers_the_advocate_their_link_and_a_status_token(enrolled, clock):
    assert set(enrolled) == {"advocate_id", "code", "link", "status_token"}
    assert enrolled["link"] == f"https://wom.example.com/r/{enrolled['code']}"
    # The admin enrolment's rules: the same customer again is the same advocate, now with a 200.
    clock.now += timedelta(seconds=5)
    again = enrol({"campaign_id": "spring", "customer_id": "ada"})
    assert again["statusCode"] == 200
    assert {k: again["json"][k] for k in ("advocate_id", "code", "link")} == {k: enrolled[k] for k in ("advocate_id", "code", "link")}
    assert again["json"]["status_token"] != enrolled["status_token"], "a fresh token each call"
    admin = call_route("POST", "/v1/campaigns/spring/advocates", json.dumps({"customer_id": "ada"}))
    assert (admin["statusCode"], admin["json"]["advocate_id"]) == (200, enrolled["advocate_id"])
    # Both tokens read the same advocate.
    assert status(enrolled["status_token"])["json"] == status(again["json"]["status_token"])["json"]


def test_an_enrolment_keeps_the_consent_it_carries(campaign, clock):
    response = enrol({"campaign_id": campaign, "customer_id": "bea", "consent": {"terms_version": "2026-10", "marketing": False}})
    assert response["statusCode"] == 201, response
    advocate = call_route("GET", f"/v1/advocates/{response['json']['advocate_id']}")["json"]
    assert advocate["consent"] == {"terms_version": "2026-10", "marketing": False, "at": iso(START)}
    # The admin enrolment's rule too: the same customer with another consent replaces it (a new terms version).
    clock.now += timedelta(days=1)
    again = enrol({"campaign_id": campaign, "customer_id": "bea", "consent": {"terms_version": "2026-11", "marketing": True}})
    assert (again["statusCode"], again["json"]["advocate_id"]) == (200, response["json"]["advocate_id"])
    advocate = call_route("GET", f"/v1/advocates/{response['json']['advocate_id']}")["json"]
    assert advocate["consent"] == {"terms_version": "2026-11", "marketing": True, "at": iso(clock.now)}


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, "missing_signature"),
        ({"Wom-Signature": "t=1,v1=00"}, "stale_signature"),
        ("wrong-secret", "invalid_signature"),
    ],
)
def test_an_enrolment_not_signed_with_the_storefront_secret_is_401_and_stores_nothing(campaign, clock, aws, headers, code):
    before = all_items(aws)
    raw = json.dumps({"campaign_id": campaign, "customer_id": "mallory"})
    if headers == "wrong-secret":
        headers = {"Wom-Signature": signature_header("wrong-secret", int(clock.now.timestamp()), raw.encode())}
    event = http_event("POST", "/v1/enrolments", raw_body=raw, headers={"Content-Type": "application/json", **headers})
    response = storefront_handler.lambda_handler(event, LambdaContext("storefront"))
    assert response["statusCode"] == 401
    assert json.loads(response["body"])["error"]["code"] == code
    assert all_items(aws) == before


@pytest.mark.parametrize(
    ("body", "status_code", "code"),
    [
        ({"customer_id": "ada"}, 400, "invalid_request"),
        ({"campaign_id": "spring", "customer_id": ""}, 400, "invalid_request"),
        ({"campaign_id": "spring", "customer_id": "ada", "email": "not an email"}, 400, "invalid_request"),
        ({"campaign_id": "spring", "customer_id": "ada", "consent": {"terms_version": "v1"}}, 400, "invalid_request"),
        ({"campaign_id": "spring", "customer_id": "ada", "role": "admin"}, 400, "invalid_request"),
        ({"campaign_id": "Not A Slug", "customer_id": "ada"}, 400, "invalid_request"),
        ({"campaign_id": "autumn", "customer_id": "ada"}, 404, "campaign_not_found"),
    ],
)
def test_a_bad_enrolment_is_a_4xx_in_the_error_shape(campaign, body, status_code, code):
    response = enrol(body)
    assert response["statusCode"] == status_code, response
    assert set(response["json"]) == {"error"} and response["json"]["error"]["code"] == code


# --- the status token ---------------------------------------------------------------------------------------------


def test_the_status_answer_of_a_new_advocate(enrolled):
    response = status(enrolled["status_token"])
    assert response["statusCode"] == 200
    assert response["json"] == {
        "link": enrolled["link"],
        "code": enrolled["code"],
        "shares": 0,
        "clicks": 0,
        "referrals": [],
        "rewards": {state: {"count": 0, "amount": 0} for state in ("pending", "approved", "paid")},
        "currency": "USD",
    }
    # Read by the shop's pages from any origin, never cached.
    assert response["headers"]["Access-Control-Allow-Origin"] == "*"
    assert response["headers"]["Cache-Control"] == "no-store"


def test_a_token_is_valid_for_30_days_and_not_a_second_longer(enrolled, clock):
    clock.now = START + LIFETIME - timedelta(seconds=1)
    assert status(enrolled["status_token"])["statusCode"] == 200
    clock.now = START + LIFETIME
    response = status(enrolled["status_token"])
    assert (response["statusCode"], response["json"]["error"]["code"]) == (401, "expired_token")
    # Expired answers are readable from the page too.
    assert response["headers"]["Access-Control-Allow-Origin"] == "*"


def _tampered(token: str) -> list[str]:
    version, advocate_id, expires, mac = token.split(".")
    flipped = mac[:-1] + ("A" if mac[-1] != "A" else "B")
    return [
        f"{version}.{advocate_id}.{expires}.{flipped}",  # the mac changed
        f"{version}.{advocate_id}.{int(expires) + 86_400 * 365}.{mac}",  # a longer life
        f"{version}.{advocate_id[:-1]}{'x' if advocate_id[-1] != 'x' else 'y'}.{expires}.{mac}",  # another advocate
        f"st2.{advocate_id}.{expires}.{mac}",
        token + ".",
        token[:-2],
        "",
        "garbage",
        token + "A" * 200,
    ]


def test_a_tampered_or_missing_token_is_401_in_the_error_shape(enrolled):
    for token in _tampered(enrolled["status_token"]) + [None]:
        response = status(token)
        assert response["statusCode"] == 401, (token, response)
        error = response["json"]["error"]
        assert set(response["json"]) == {"error"} and error["code"] in ("invalid_token", "missing_token") and error["message"], token


def test_a_token_signed_with_another_key_names_no_one(enrolled, clock):
    forged = issue_status_token(enrolled["advocate_id"], clock.now, "a-key-wom-does-not-have")
    assert status(forged)["json"]["error"]["code"] == "invalid_token"


def test_a_token_names_one_advocate(campaign, clock):
    ada = enrol({"campaign_id": campaign, "customer_id": "ada"})["json"]
    bob = enrol({"campaign_id": campaign, "customer_id": "bob"})["json"]
    assert status_of(ada)["code"] == ada["code"] and status_of(bob)["code"] == bob["code"]


def test_the_key_rotates_new_first_and_old_tokens_still_read(enrolled, clock, monkeypatch):
    monkeypatch.setenv("WOM_STATUS_TOKEN_KEY", "new-key,local-status-token-key")
    wiring.reset()
    wiring.use_clock(clock)
    assert status(enrolled["status_token"])["statusCode"] == 200
    fresh = enrol({"campaign_id": "spring", "customer_id": "ada"})["json"]["status_token"]
    assert fresh == issue_status_token(enrolled["advocate_id"], clock.now, "new-key")
    monkeypatch.setenv("WOM_STATUS_TOKEN_KEY", "new-key")
    wiring.reset()
    wiring.use_clock(clock)
    assert status(enrolled["status_token"])["statusCode"] == 401, "the old key dropped: its tokens no longer read"
    assert status(fresh)["statusCode"] == 200


def erase(customer_id: str, at: datetime) -> None:
    """The customer's erasure, requested and carried out by the privacy job."""
    assert call_route("DELETE", f"/v1/customers/{customer_id}")["statusCode"] == 202
    wiring.privacy_job().run(at)


def advocate_partition(advocate_id: str) -> list[str]:
    return [item["sk"] for item in Table(wiring.dynamodb_client(), REFERRALS_TABLE.local_name).partition(keys.advocate_key(advocate_id)["pk"], consistent=True)]


def test_an_advocate_erased_since_the_token_was_issued_is_404_and_their_referrals_are_gone(enrolled, clock):
    buy(enrolled["code"], "o-1", clock)
    run_rewards(clock.now)
    assert [r["status"] for r in status_of(enrolled)["referrals"]] == ["reward_pending"]
    erase("ada", clock.now)
    response = status(enrolled["status_token"])
    assert (response["statusCode"], response["json"]["error"]["code"]) == (404, "advocate_not_found")
    assert advocate_partition(enrolled["advocate_id"]) == [], "no referral (or anything else) left under the advocate"


def test_no_referral_comes_back_for_an_advocate_being_erased_or_erased(enrolled, clock):
    # Rewarded before the erasure; a purchase while the advocate is being erased; a refund once they are erased.
    buy(enrolled["code"], "o-before", clock)
    run_rewards(clock.now + HOLDING + timedelta(minutes=1))
    assert [r["status"] for r in status_of(enrolled)["referrals"]] == ["rewarded"]
    assert call_route("DELETE", "/v1/customers/ada")["statusCode"] == 202
    assert buy(enrolled["code"], "o-during", clock)["status"] == "attributed", "the sale still counts"
    assert [r["status"] for r in status_of(enrolled)["referrals"]] == ["rewarded"], "no referral written for it"
    assert run_rewards(clock.now + HOLDING + timedelta(minutes=2))["deferred"] == 1
    wiring.privacy_job().run(clock.now + HOLDING + timedelta(minutes=3))
    assert advocate_partition(enrolled["advocate_id"]) == []

    refund("r-after", "o-before", 10_000)
    summary = run_rewards(clock.now + HOLDING + timedelta(minutes=4))
    assert (summary["refunds"], summary["skipped"]) == (1, 1)  # the refund adjusts the anonymised reward; o-during has no advocate
    assert advocate_partition(enrolled["advocate_id"]) == [], "an erased advocate's partition stays empty"


# --- each referral's progress -------------------------------------------------------------------------------------


def test_a_click_and_a_purchase_go_purchased_then_reward_pending_then_rewarded(enrolled, clock):
    location = call_route("GET", f"/r/{enrolled['code']}")["headers"]["Location"]
    click_id = parse_qs(urlsplit(location).query)["wom_click"][0]
    clock.now += timedelta(hours=2)
    bought_at = clock.now
    body = {"order_id": "o-1", "amount": 12_345, "currency": "USD", "customer_id": "friend-1", "customer_email": FRIEND_EMAIL, "click_id": click_id}
    assert call_route("POST", "/v1/conversions", json.dumps(body))["json"]["status"] == "attributed"
    assert referrals(enrolled) == [("purchased", None, iso(bought_at))]

    run_rewards(clock.now)
    assert referrals(enrolled) == [("reward_pending", None, iso(bought_at))]
    assert status_of(enrolled)["rewards"]["pending"] == {"count": 1, "amount": 1234}

    run_rewards(bought_at + HOLDING + timedelta(minutes=1))
    assert referrals(enrolled) == [("rewarded", None, iso(bought_at + HOLDING))]
    shown = status_of(enrolled)
    assert shown["rewards"] == {"pending": {"count": 0, "amount": 0}, "approved": {"count": 1, "amount": 1234}, "paid": {"count": 0, "amount": 0}}

    # No friend's personal data anywhere in the answer: not their id, email, order or amount.
    text = json.dumps(shown)
    for personal in ("friend-1", FRIEND_EMAIL, "o-1", "12345", "500"):
        assert personal not in text


def test_the_metrics_job_counts_the_advocates_shares_and_clicks(enrolled, clock):
    call_route("GET", f"/r/{enrolled['code']}")
    events = {"events": [{"type": "share", "code": enrolled["code"], "channel": "whatsapp"}]}
    assert call_route("POST", "/v1/events", json.dumps(events))["json"]["accepted"] == 1
    wiring.metrics_job().run(clock.now)
    assert {k: status_of(enrolled)[k] for k in ("shares", "clicks")} == {"shares": 1, "clicks": 1}


def test_a_paid_reward_stays_rewarded_and_counts_as_paid(enrolled, clock):
    buy(enrolled["code"], "o-paid", clock)
    run_rewards(clock.now + HOLDING + timedelta(minutes=1))
    [reward] = [r for r in call_route("GET", "/v1/rewards?campaign_id=spring")["json"]["rewards"] if r["recipient"] == "advocate"]
    assert call_route("POST", f"/v1/rewards/{reward['reward_id']}/fulfil", json.dumps({"reference": "payout-1"}))["statusCode"] == 200
    shown = status_of(enrolled)
    assert [r["status"] for r in shown["referrals"]] == ["rewarded"]
    assert shown["rewards"]["paid"] == {"count": 1, "amount": 1000} and shown["rewards"]["approved"] == {"count": 0, "amount": 0}


def test_buying_through_ones_own_link_is_ineligible_as_a_self_referral(enrolled, clock):
    assert buy(enrolled["code"], "o-self", clock, buyer="ada")["status"] == "self_referral"
    assert referrals(enrolled) == [("ineligible", "self_referral", iso(START))]
    run_rewards(clock.now + HOLDING * 2)
    assert referrals(enrolled) == [("ineligible", "self_referral", iso(START))]


def test_a_friends_second_purchase_is_ineligible_as_not_first_purchase(enrolled, clock):
    buy(enrolled["code"], "o-first", clock, buyer="friend-9")
    clock.now += timedelta(days=1)
    assert buy(enrolled["code"], "o-second", clock, buyer="friend-9")["status"] == "not_first_purchase"
    second = ("ineligible", "not_first_purchase", iso(clock.now))
    assert referrals(enrolled) == [second, ("purchased", None, iso(START))]
    run_rewards(clock.now)
    assert referrals(enrolled) == [second, ("reward_pending", None, iso(START))]


def test_an_order_under_the_minimum_is_ineligible_once_the_job_has_seen_it(enrolled, clock):
    buy(enrolled["code"], "o-small", clock, amount=999)
    assert referrals(enrolled) == [("purchased", None, iso(START))]
    run_rewards(clock.now)
    assert referrals(enrolled) == [("ineligible", "under_minimum", iso(START))]


def test_an_order_in_another_currency_earns_nothing_and_says_so(enrolled, clock):
    buy(enrolled["code"], "o-eur", clock, currency="EUR")
    run_rewards(clock.now)
    assert referrals(enrolled) == [("ineligible", "currency_mismatch", iso(START))]


def test_the_monthly_cap_makes_a_referral_ineligible(clock):
    create_campaign("capped", max_rewards_per_advocate_per_month=1)
    advocate = enrol({"campaign_id": "capped", "customer_id": "ada"})["json"]
    buy(advocate["code"], "o-a", clock)
    clock.now += timedelta(minutes=1)
    buy(advocate["code"], "o-b", clock)
    run_rewards(clock.now)
    assert referrals(advocate) == [("ineligible", "monthly_cap", iso(clock.now)), ("reward_pending", None, iso(START))]


def test_a_full_refund_makes_a_pending_or_an_approved_referral_ineligible_and_a_partial_one_changes_nothing(enrolled, clock):
    buy(enrolled["code"], "o-pending", clock)
    buy(enrolled["code"], "o-partial", clock)
    buy(enrolled["code"], "o-approved", clock)
    run_rewards(clock.now + HOLDING + timedelta(minutes=1))
    clock.now += HOLDING + timedelta(days=1)
    refund("r-approved", "o-approved", 10_000)
    refund("r-partial", "o-partial", 5_000)
    run_rewards(clock.now)
    shown = {item["at"]: item for item in status_of(enrolled)["referrals"]}
    assert {(r["status"], r.get("reason")) for r in shown.values()} == {("ineligible", "refunded"), ("rewarded", None)}
    assert shown[iso(clock.now)]["reason"] == "refunded", "since the refund"

    later = clock.now + timedelta(days=1)
    clock.now = later
    buy(enrolled["code"], "o-voided", clock)
    run_rewards(clock.now)
    clock.now += timedelta(hours=1)
    refund("r-voided", "o-voided", 10_000)
    run_rewards(clock.now)
    assert referrals(enrolled)[0] == ("ineligible", "refunded", iso(clock.now))


def test_referrals_are_newest_first_and_the_page_shows_the_newest_hundred(enrolled, clock, monkeypatch):
    for n in range(3):
        buy(enrolled["code"], f"o-{n}", clock)
        clock.now += timedelta(minutes=1)
    ats = [r[2] for r in referrals(enrolled)]
    assert ats == sorted(ats, reverse=True) and len(ats) == 3
    import shared.campaigns.storefront as storefront

    monkeypatch.setattr(storefront, "MAX_STATUS_REFERRALS", 2)
    assert [r[2] for r in referrals(enrolled)] == ats[:2]


def test_a_referral_holds_ids_only(enrolled, clock, aws):
    buy(enrolled["code"], "o-private", clock, buyer="friend-private", customer_email=FRIEND_EMAIL)
    run_rewards(clock.now)
    table = Table(wiring.dynamodb_client(), REFERRALS_TABLE.local_name)
    [item] = table.partition(keys.advocate_key(enrolled["advocate_id"])["pk"], prefix=keys.REFERRAL_PREFIX)
    assert set(item) == {"pk", "sk", "kind", "conversion_id", "status", "at"}
    assert "friend-private" not in json.dumps(item) and "o-private" not in json.dumps(item)


def test_a_conversion_recorded_before_the_list_existed_joins_it_when_the_job_moves_it_on(enrolled, clock):
    buy(enrolled["code"], "o-old", clock)
    table = Table(wiring.dynamodb_client(), REFERRALS_TABLE.local_name)
    [item] = table.partition(keys.advocate_key(enrolled["advocate_id"])["pk"], prefix=keys.REFERRAL_PREFIX)
    table.delete({"pk": item["pk"], "sk": item["sk"]})
    assert referrals(enrolled) == []
    run_rewards(clock.now)
    assert referrals(enrolled) == [("reward_pending", None, iso(START))]


def test_a_reward_fraud_review_holds_shows_as_held_for_review_until_a_review_releases_it(enrolled, clock):
    # A throwaway address flags both purchases (disposable_email): the job holds their rewards.
    early, late = clock.now, clock.now + timedelta(minutes=1)
    buy(enrolled["code"], "o-early", clock, customer_email="friend@mailinator.com")
    clock.now = late
    buy(enrolled["code"], "o-late", clock, customer_email="other@mailinator.com")
    run_rewards(clock.now + timedelta(minutes=1))
    assert referrals(enrolled) == [("ineligible", "held_for_review", iso(late)), ("ineligible", "held_for_review", iso(early))]

    held = {r["conversion_id"]: r for r in call_route("GET", "/v1/rewards?campaign_id=spring&status=held")["json"]["rewards"] if r["recipient"] == "advocate"}
    early_reward, late_reward = (held[conversion_id(order)] for order in ("o-early", "o-late"))
    # Released before its holding ended: pending until it has, then rewarded by the job.
    clock.now = START + timedelta(days=2)
    assert call_route("POST", f"/v1/rewards/{early_reward['reward_id']}/review", json.dumps({"decision": "approve"}))["json"]["status"] == "pending"
    assert referrals(enrolled)[1] == ("reward_pending", None, iso(early))
    run_rewards(START + HOLDING + timedelta(minutes=1))
    assert referrals(enrolled)[1] == ("rewarded", None, iso(START + HOLDING))
    assert referrals(enrolled)[0] == ("ineligible", "held_for_review", iso(late)), "still held: time alone releases nothing"
    # Approved once its holding has passed: rewarded at once.
    clock.now = START + HOLDING + timedelta(days=1)
    assert call_route("POST", f"/v1/rewards/{late_reward['reward_id']}/review", json.dumps({"decision": "approve"}))["json"]["status"] == "approved"
    assert referrals(enrolled)[0] == ("rewarded", None, iso(clock.now))
