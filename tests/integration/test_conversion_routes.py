from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest

from functions.conversions import handler as conversions_handler
from shared import wiring
from shared.conversions.signatures import signature_header
from tests.integration.conftest import CAMPAIGN
from tests.support.http_events import LambdaContext, http_event

SECRET = "local-signing-secret"
START = datetime(2026, 11, 22, 12, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock(aws) -> Clock:
    clock = Clock(START)
    wiring.use_clock(clock)
    return clock


def post(path: str, body: object, clock: Clock, *, secret: str = SECRET, header: str | None = "sign", raw: str | None = None) -> dict:
    raw_body = raw if raw is not None else json.dumps(body)
    headers = {"content-type": "application/json"}
    if header == "sign":
        headers["wom-signature"] = signature_header(secret, int(clock.now.timestamp()), raw_body.encode())
    elif header is not None:
        headers["wom-signature"] = header
    response = conversions_handler.lambda_handler(http_event("POST", path, raw_body=raw_body, headers=headers), LambdaContext())
    response["json"] = json.loads(response["body"]) if response.get("body") else None
    return response


def orders(dynamodb) -> list[dict]:
    items = dynamodb.scan(TableName="wom-referrals")["Items"]
    return [i for i in items if i["pk"]["S"].startswith("ORDER#")]


def order(order_id: str, customer: str = "friend-1", **extra) -> dict:
    return {"order_id": order_id, "amount": 10_000, "currency": "USD", "customer_id": customer, **extra}


def click_through(api, code: str) -> str:
    location = api("GET", f"/r/{code}")["headers"]["Location"]
    return parse_qs(urlsplit(location).query)["wom_click"][0]


@pytest.fixture
def redirect_clock(clock):
    """Clicks are stamped by the tracking function's clock: the one clock every service is handed."""
    return clock


def test_a_click_id_from_a_redirect_attributes_to_its_advocate(api, advocate, redirect_clock):
    click_id = click_through(api, advocate["code"])
    redirect_clock.now += timedelta(days=3)
    response = post("/v1/conversions", order("o-1", click_id=click_id), redirect_clock)
    assert response["statusCode"] == 201
    assert response["json"] == {
        "conversion_id": response["json"]["conversion_id"],
        "order_id": "o-1",
        "status": "attributed",
        "campaign_id": "spring",
        "advocate_id": advocate["advocate_id"],
        "attribution": {"method": "click_id", "click_id": click_id},
    }


def test_a_click_outside_the_window_leaves_the_purchase_unattributed(api, advocate, redirect_clock):
    click_id = click_through(api, advocate["code"])
    redirect_clock.now += timedelta(days=31)
    response = post("/v1/conversions", order("o-late", click_id=click_id), redirect_clock)
    assert response["statusCode"] == 201
    assert response["json"]["status"] == "unattributed"
    assert response["json"]["attribution"] == {"method": "none"}
    assert "advocate_id" not in response["json"]


def test_an_unattributed_purchase_has_no_campaign_and_no_advocate(api, advocate, clock):
    """As documented: campaign_id and advocate_id are absent, not null, when nobody referred the purchase."""
    response = post("/v1/conversions", order("o-nobody"), clock)
    assert response["statusCode"] == 201
    assert set(response["json"]) == {"conversion_id", "order_id", "status", "attribution"}
    assert (response["json"]["status"], response["json"]["attribution"]) == ("unattributed", {"method": "none"})


def test_an_attributed_order_in_another_currency_says_it_earns_no_reward(api, advocate, clock):
    response = post("/v1/conversions", order("o-eur", currency="EUR", referral_code=advocate["code"]), clock)
    assert response["statusCode"] == 201
    assert response["json"]["status"] == "attributed"
    assert response["json"]["no_reward"]["code"] == "currency_mismatch"
    assert "USD" in response["json"]["no_reward"]["message"] and "EUR" in response["json"]["no_reward"]["message"]
    # And it is so: the rewards job creates nothing for it.
    summary = wiring.rewards_job().run(clock.now + timedelta(days=30))
    assert summary["rewards_created"] == 0
    # A replay answers the identical body, note included; an order in the campaign's currency has no note.
    again = post("/v1/conversions", order("o-eur", currency="EUR", referral_code=advocate["code"]), clock)
    assert (again["statusCode"], again["body"]) == (200, response["body"])
    assert "no_reward" not in post("/v1/conversions", order("o-usd", referral_code=advocate["code"]), clock)["json"]


def test_a_referral_code_attributes_when_there_is_no_click(api, advocate, clock):
    response = post("/v1/conversions", order("o-code", referral_code=advocate["code"], click_id="garbage"), clock)
    assert response["json"]["status"] == "attributed"
    assert response["json"]["attribution"] == {"method": "referral_code"}


def test_self_referral_by_customer_id_and_by_email(api, advocate, clock):
    by_id = post("/v1/conversions", order("o-self", customer="cust-1", referral_code=advocate["code"]), clock)
    by_email = post(
        "/v1/conversions",
        order("o-self-2", customer="other-account", customer_email=" ADA@example.com", referral_code=advocate["code"]),
        clock,
    )
    assert by_id["json"]["status"] == "self_referral"
    assert by_email["json"]["status"] == "self_referral"


def test_only_the_first_referred_purchase_counts(api, advocate, clock):
    first = post("/v1/conversions", order("o-a", referral_code=advocate["code"]), clock)
    second = post("/v1/conversions", order("o-b", referral_code=advocate["code"]), clock)
    assert (first["json"]["status"], second["json"]["status"]) == ("attributed", "not_first_purchase")
    assert second["json"]["advocate_id"] == advocate["advocate_id"]


def test_replays_answer_the_identical_body_forever_and_changed_bodies_conflict(api, advocate, clock, aws):
    body = order("o-r", referral_code=advocate["code"], metadata={"cart": [1, 2]})
    first = post("/v1/conversions", body, clock)
    assert first["statusCode"] == 201
    reordered = json.dumps(dict(reversed(list(body.items()))), indent=2)
    again = post("/v1/conversions", None, clock, raw=reordered)
    clock.now += timedelta(days=90)
    much_later = post("/v1/conversions", body, clock)
    assert (again["statusCode"], much_later["statusCode"]) == (200, 200)
    assert again["body"] == first["body"] and much_later["body"] == first["body"]
    changed = post("/v1/conversions", {**body, "amount": 1}, clock)
    assert changed["statusCode"] == 409
    assert changed["json"]["error"]["code"] == "idempotency_conflict"
    assert len(orders(aws)) == 1


@pytest.mark.parametrize(
    "kind,header",
    [
        ("missing", None),
        ("malformed", "v1=abc"),
        ("wrong secret", "other-secret"),
        ("stale", "stale"),
        ("garbage", "t=1,v1=zz,,=="),
        ("superscript digit", "t=²,v1=00"),
        # As a WSGI server hands over a header sent as UTF-8 bytes (latin-1 text); the gateway decodes it back.
        ("arabic-indic digits", "t=١٧٩٥٠٠٠٠٠٠,v1=00".encode().decode("latin-1")),
    ],
)
def test_bad_signatures_are_401_and_store_nothing(api, advocate, clock, aws, kind, header):
    body = json.dumps(order("o-unsigned", referral_code=advocate["code"]))
    if header == "other-secret":
        header = signature_header("not-the-secret", int(clock.now.timestamp()), body.encode())
    elif header == "stale":
        header = signature_header(SECRET, int(clock.now.timestamp()) - 301, body.encode())
    response = post("/v1/conversions", None, clock, raw=body, header=header)
    assert response["statusCode"] == 401
    assert set(response["json"]["error"]) == {"code", "message"}
    # Written as every other answer is: compact JSON.
    assert response["body"] == json.dumps(response["json"], separators=(",", ":"))
    assert orders(aws) == []


@pytest.mark.parametrize(
    "raw",
    [
        "{oops",
        "[]",
        json.dumps({"order_id": "o", "amount": -1, "currency": "USD", "customer_id": "c"}),
        json.dumps({"order_id": "o", "amount": 1.5, "currency": "USD", "customer_id": "c"}),
        json.dumps({"order_id": "o", "amount": "100", "currency": "USD", "customer_id": "c"}),
        json.dumps({"order_id": "", "amount": 1, "currency": "USD", "customer_id": "c"}),
        json.dumps({"order_id": "o" * 129, "amount": 1, "currency": "USD", "customer_id": "c"}),
        json.dumps({"order_id": "o", "amount": 1, "currency": "dollars", "customer_id": "c"}),
        json.dumps({"order_id": "o", "amount": 1, "currency": "USD"}),
        json.dumps({"order_id": "o", "amount": 1, "currency": "USD", "customer_id": "c", "metadata": {"x": "y" * 5000}}),
        json.dumps({"order_id": "o", "amount": 1, "currency": "USD", "customer_id": "c", "customer_email": "not-an-email"}),
        json.dumps({"order_id": "o", "amount": 1, "currency": "USD", "customer_id": "c", "occurred_at": "yesterday"}),
    ],
)
def test_malformed_conversions_are_400_and_store_nothing(api, clock, aws, raw):
    response = post("/v1/conversions", None, clock, raw=raw)
    assert response["statusCode"] == 400
    assert set(response["json"]["error"]) == {"code", "message"}
    assert orders(aws) == []


def test_refunds_are_recorded_against_their_conversion_once(api, advocate, clock, aws):
    post("/v1/conversions", order("o-f", referral_code=advocate["code"]), clock)
    unknown = post("/v1/refunds", {"refund_id": "r-0", "order_id": "nope", "amount": 100}, clock)
    assert unknown["statusCode"] == 404
    refund = {"refund_id": "r-1", "order_id": "o-f", "amount": 2_500}
    first = post("/v1/refunds", refund, clock)
    assert first["statusCode"] == 201
    assert first["json"]["refunded_total"] == 2_500
    clock.now += timedelta(days=90)
    replay = post("/v1/refunds", refund, clock)
    assert (replay["statusCode"], replay["body"]) == (200, first["body"])
    assert post("/v1/refunds", {**refund, "amount": 2_600}, clock)["statusCode"] == 409
    too_much = post("/v1/refunds", {"refund_id": "r-2", "order_id": "o-f", "amount": 7_501}, clock)
    assert too_much["statusCode"] == 409
    assert too_much["json"]["error"]["code"] == "refund_exceeds_order"
    [stored] = orders(aws)
    assert stored["refunded_amount"]["N"] == "2500"
    assert stored["refund_ids"]["SS"] == ["r-1"]
    assert post("/v1/refunds", {"refund_id": "r-3", "order_id": "o-f", "amount": 0}, clock)["statusCode"] == 400


def test_fifty_concurrent_identical_posts_store_one_conversion(moto_server):
    """Against moto server, so the conditional writes really race over HTTP."""
    from tests.integration.conftest import Api

    dynamodb = moto_server
    api = Api()
    api("POST", "/v1/campaigns", body=CAMPAIGN)
    code = api("POST", "/v1/campaigns/spring/advocates", body={"customer_id": "a"})["json"]["code"]
    clock = Clock(datetime.now(UTC))
    wiring.use_clock(clock)
    body = order("o-race", referral_code=code)
    barrier = threading.Barrier(50)
    answers: list[dict] = []

    def racer() -> None:
        barrier.wait()
        answers.append(post("/v1/conversions", body, clock))

    threads = [threading.Thread(target=racer) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = sorted(a["statusCode"] for a in answers)
    assert statuses == [200] * 49 + [201]
    assert len({a["body"] for a in answers}) == 1
    assert len(orders(dynamodb)) == 1
    buyers = [i for i in dynamodb.scan(TableName="wom-referrals")["Items"] if i["sk"]["S"].startswith("BUYER#")]
    assert len(buyers) == 1
