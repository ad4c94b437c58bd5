"""Stripe and Shopify webhooks through the conversions function under moto: deliveries shaped like the platforms'
own (tests/fixtures/webhooks), signed as the platforms sign them (Stripe's with the official `stripe` package,
Shopify's with an independent HMAC), carrying a real click from `/r/{code}`."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
import stripe

from functions.conversions import handler as conversions_handler
from shared import wiring
from shared.platform import ids
from shared.platform.privacy import customer_key, email_hash
from shared.privacy.job import ERASURE_HOLD
from tests.integration.conftest import CAMPAIGN
from tests.integration.test_conversion_routes import Clock
from tests.support.http_events import LambdaContext, http_event
from tests.support.stores import everything, occurrences

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "webhooks"
STRIPE_SECRET = "whsec_local"
SHOPIFY_SECRET = "local-shopify-secret"
HASH_KEY = b"local-hash-key"  # the local default: what the functions hash with here
# Before every fixture's event: each delivery then arrives when its event happened (see `deliver_at`).
START = datetime(2026, 11, 1, 8, tzinfo=UTC)


@pytest.fixture
def clock(aws) -> Clock:
    clock = Clock(START)
    wiring.use_clock(clock)
    return clock


def deliver_at(clock: Clock, event: dict) -> None:
    """Platforms deliver right after the event: wom's clock is at least the event's time when it arrives."""
    paid_at = (event["data"]["object"].get("status_transitions") or {}).get("paid_at")
    clock.now = max(clock.now, datetime.fromtimestamp(max(event["created"], paid_at or 0), UTC))


def click_through(api, code: str) -> str:
    location = api("GET", f"/r/{code}")["headers"]["Location"]
    return parse_qs(urlsplit(location).query)["wom_click"][0]


def stripe_event(name: str, **changes) -> dict:
    event = json.loads((FIXTURES / "stripe" / f"{name}.json").read_text())
    event["data"]["object"].update(changes)
    return event


def post_stripe(event: dict, clock: Clock, secret: str = STRIPE_SECRET, header: str | None = "sign") -> dict:
    deliver_at(clock, event)
    body = json.dumps(event, separators=(",", ":"))
    headers = {"content-type": "application/json"}
    if header == "sign":
        headers["stripe-signature"] = stripe.WebhookSignature.generate_signature_header(body, secret, timestamp=int(clock.now.timestamp()))
    elif header is not None:
        headers["stripe-signature"] = header
    return _post("/v1/webhooks/stripe", body, headers)


def _post_signed_at(event: dict, signed: Clock, secret: str, header: str | None) -> dict:
    """Signed at `signed`'s time, received at wom's."""
    body = json.dumps(event, separators=(",", ":"))
    headers = {"content-type": "application/json"}
    if header == "sign":
        headers["stripe-signature"] = stripe.WebhookSignature.generate_signature_header(body, secret, timestamp=int(signed.now.timestamp()))
    elif header is not None:
        headers["stripe-signature"] = header
    return _post("/v1/webhooks/stripe", body, headers)


def shopify_delivery(name: str) -> tuple[dict, dict]:
    delivery = json.loads((FIXTURES / "shopify" / f"{name}.json").read_text())
    return delivery["headers"], delivery["body"]


def post_shopify(headers: dict, payload: dict, secret: str = SHOPIFY_SECRET, signature: str | None = None) -> dict:
    body = json.dumps(payload, separators=(",", ":"))
    digest = base64.b64encode(hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest()).decode()
    return _post("/v1/webhooks/shopify", body, {**headers, "content-type": "application/json", "x-shopify-hmac-sha256": signature or digest})


def _post(path: str, body: str, headers: dict) -> dict:
    response = conversions_handler.lambda_handler(http_event("POST", path, raw_body=body, headers=headers), LambdaContext("conversions"))
    response["json"] = json.loads(response["body"]) if response.get("body") else None
    return response


def stored(dynamodb, prefix: str) -> list[dict]:
    return [i for i in dynamodb.scan(TableName="wom-referrals")["Items"] if i["pk"]["S"].startswith(prefix)]


def test_a_checkout_with_a_real_click_is_attributed_once_however_often_stripe_delivers_it(api, advocate, clock, aws):
    click_id = click_through(api, advocate["code"])
    event = stripe_event("checkout_session_completed.usd", client_reference_id=click_id)
    first = post_stripe(event, clock)
    assert first["statusCode"] == 200, first
    conversion = first["json"]["conversion"]
    assert first["json"]["outcome"] == "conversion_recorded"
    assert (conversion["status"], conversion["advocate_id"], conversion["attribution"]) == (
        "attributed", advocate["advocate_id"], {"method": "click_id", "click_id": click_id}
    )
    again = post_stripe(event, clock)
    assert again["json"] == first["json"]
    orders = stored(aws, "ORDER#")
    assert [o["pk"]["S"] for o in orders] == ["ORDER#pi_3SWomUsd00000000000001"]
    assert orders[0]["source"]["S"] == "stripe" and orders[0]["amount"]["N"] == "4999"


def test_a_trial_that_converts_is_counted_once_at_its_first_paid_invoice_and_renewals_are_repeat_purchases(api, advocate, clock, aws):
    # The Payment Link carries the click with its "." written "_" (Payment Links drop other characters).
    reference = click_through(api, advocate["code"]).replace(".", "_", 1)
    started = post_stripe(stripe_event("checkout_session_completed.subscription_trial", client_reference_id=reference), clock)
    assert started["json"]["outcome"] == "attribution_kept"
    assert post_stripe(stripe_event("invoice_paid.trial_zero"), clock)["json"]["outcome"] == "ignored"
    assert stored(aws, "ORDER#") == []
    paid = post_stripe(stripe_event("invoice_paid.after_trial"), clock)["json"]
    assert paid["outcome"] == "conversion_recorded"
    assert (paid["conversion"]["status"], paid["conversion"]["advocate_id"]) == ("attributed", advocate["advocate_id"])
    renewal = post_stripe(stripe_event("invoice_paid.renewal"), clock)["json"]
    # A month later the click is outside the 30-day window: the renewal is the customer's own repeat purchase.
    assert renewal["outcome"] == "conversion_recorded" and renewal["conversion"]["status"] == "unattributed"
    # Both orders are the one subscriber's (the raw id is kept only where a friend's reward needs it).
    customers = {o["customer_key"]["S"] for o in stored(aws, "ORDER#")}
    assert customers == {customer_key(HASH_KEY, "cus_TWomTrialBuyer01")}
    assert sorted(o["pk"]["S"] for o in stored(aws, "ORDER#")) == ["ORDER#in_1SWomRenewal00000000001", "ORDER#in_1SWomTrialPaid000000001"]


def test_a_partial_then_a_full_refund_of_a_charge_refunds_the_order_exactly_once(api, advocate, clock, aws):
    post_stripe(stripe_event("checkout_session_completed.usd", client_reference_id=click_through(api, advocate["code"])), clock)
    partial = post_stripe(stripe_event("charge_refunded.usd_partial"), clock)["json"]
    assert partial["outcome"] == "refund_recorded" and partial["refund"]["amount"] == 1000
    assert post_stripe(stripe_event("charge_refunded.usd_partial"), clock)["json"] == partial  # redelivered
    full = post_stripe(stripe_event("charge_refunded.usd_full"), clock)["json"]
    assert full["outcome"] == "refund_recorded"
    assert (full["refund"]["amount"], full["refund"]["refunded_total"]) == (3999, 4999)
    (order,) = stored(aws, "ORDER#")
    assert order["refunded_amount"]["N"] == "4999"
    assert len(stored(aws, "REFUND#")) == 2


def test_a_refund_delivered_before_its_partial_predecessor_adds_nothing_more(api, advocate, clock, aws):
    post_stripe(stripe_event("checkout_session_completed.usd", client_reference_id=click_through(api, advocate["code"])), clock)
    assert post_stripe(stripe_event("charge_refunded.usd_full"), clock)["json"]["outcome"] == "refund_recorded"
    late = post_stripe(stripe_event("charge_refunded.usd_partial"), clock)["json"]
    assert late["outcome"] == "nothing_new"
    assert stored(aws, "ORDER#")[0]["refunded_amount"]["N"] == "4999"


def test_a_refund_of_a_charge_wom_never_saw_is_acknowledged(aws, clock):
    answer = post_stripe(stripe_event("charge_refunded.usd_partial"), clock)
    assert (answer["statusCode"], answer["json"]["outcome"]) == (200, "unknown_order")


@pytest.mark.parametrize(
    ("header", "secret", "shift"),
    [(None, STRIPE_SECRET, 0), ("t=1,v1=00", STRIPE_SECRET, 0), ("sign", "whsec_another", 0), ("sign", STRIPE_SECRET, -301)],
    ids=["missing", "malformed", "wrong-secret", "stale"],
)
def test_a_bad_stripe_signature_is_a_400_and_stores_nothing(api, advocate, clock, aws, header, secret, shift):
    event = stripe_event("checkout_session_completed.usd", client_reference_id=click_through(api, advocate["code"]))
    deliver_at(clock, event)
    response = _post_signed_at(event, Clock(clock.now + timedelta(seconds=shift)), secret, header)
    assert response["statusCode"] == 400
    assert set(response["json"]["error"]) == {"code", "message"}
    assert stored(aws, "ORDER#") == [] and stored(aws, "WEBHOOK#") == []


def test_a_malformed_stripe_event_with_a_good_signature_is_a_400_in_the_error_shape(aws, clock):
    event = stripe_event("checkout_session_completed.usd", amount_total="49.99")
    response = post_stripe(event, clock)
    assert response["statusCode"] == 400 and response["json"]["error"]["code"]
    assert stored(aws, "ORDER#") == []


def test_an_event_type_wom_does_not_handle_is_acknowledged(aws, clock):
    response = post_stripe(json.loads((FIXTURES / "stripe" / "customer_created.unhandled.json").read_text()), clock)
    assert (response["statusCode"], response["json"]["outcome"]) == (200, "ignored")


def test_the_stripe_signing_secret_can_be_rotated(api, advocate, clock, aws, monkeypatch):
    monkeypatch.setenv("WOM_STRIPE_WEBHOOK_SECRET", "whsec_old,whsec_new")
    wiring.reset()
    wiring.use_clock(clock)
    event = stripe_event("checkout_session_completed.usd", client_reference_id=click_through(api, advocate["code"]))
    assert post_stripe(event, clock, secret="whsec_new")["statusCode"] == 200
    assert post_stripe(event, clock, secret="whsec_old")["statusCode"] == 200
    assert post_stripe(event, clock, secret=STRIPE_SECRET)["statusCode"] == 400


def test_a_shopify_order_with_a_click_in_its_note_attributes_is_attributed_and_its_refunds_follow(api, advocate, clock, aws):
    click_id = click_through(api, advocate["code"])
    headers, order = shopify_delivery("orders_paid.usd")
    order["note_attributes"] = [{"name": "wom_click", "value": click_id}, *[n for n in order["note_attributes"] if n["name"] != "wom_click"]]
    first = post_shopify(headers, order)
    assert first["statusCode"] == 200, first
    assert (first["json"]["conversion"]["status"], first["json"]["conversion"]["attribution"]["click_id"]) == ("attributed", click_id)
    assert post_shopify(headers, order)["json"] == first["json"]
    (stored_order,) = stored(aws, "ORDER#")
    assert stored_order["source"]["S"] == "shopify"
    assert stored_order["heard_from"]["S"] == "friend_or_family"
    amount = int(stored_order["amount"]["N"])
    partial_headers, partial = shopify_delivery("refunds_create.usd_partial")
    refunded = post_shopify(partial_headers, partial)["json"]
    assert refunded["outcome"] == "refund_recorded"
    full_headers, full = shopify_delivery("refunds_create.usd_full")
    assert post_shopify(full_headers, full)["json"]["outcome"] == "refund_recorded"
    assert int(stored(aws, "ORDER#")[0]["refunded_amount"]["N"]) == amount


def test_a_shopify_discount_code_that_is_an_advocates_code_attributes_the_order(api, advocate, clock, aws):
    headers, order = shopify_delivery("orders_paid.kwd_discount_code")
    order["discount_codes"] = [{"code": "WELCOME10", "amount": "1.000", "type": "fixed_amount"}, {"code": advocate["code"].upper(), "amount": "0.500", "type": "fixed_amount"}]
    answer = post_shopify(headers, order)["json"]
    assert answer["conversion"]["attribution"] == {"method": "referral_code"}
    assert answer["conversion"]["advocate_id"] == advocate["advocate_id"]


@pytest.mark.parametrize(
    ("fixture", "currency", "expected"),
    [("orders_paid.usd", "USD", 40994), ("orders_paid.jpy_guest_landing_site", "JPY", 5000), ("orders_paid.kwd_discount_code", "KWD", 12345)],
)
def test_shopify_amounts_become_minor_units_by_the_currencys_exponent(aws, clock, fixture, currency, expected):
    headers, order = shopify_delivery(fixture)
    post_shopify(headers, order)
    (stored_order,) = stored(aws, "ORDER#")
    assert (stored_order["currency"]["S"], int(stored_order["amount"]["N"])) == (currency, expected)


@pytest.mark.parametrize("signature", [None, "bm90IHRoZSBobWFj", base64.b64encode(b"x" * 32).decode()], ids=["missing", "not-the-hmac", "wrong-digest"])
def test_a_bad_shopify_hmac_is_a_401_and_stores_nothing(aws, clock, signature):
    headers, order = shopify_delivery("orders_paid.usd")
    body = json.dumps(order, separators=(",", ":"))
    sent = {**headers, "content-type": "application/json", **({"x-shopify-hmac-sha256": signature} if signature else {})}
    response = _post("/v1/webhooks/shopify", body, sent)
    assert response["statusCode"] == 401 and set(response["json"]["error"]) == {"code", "message"}
    assert stored(aws, "ORDER#") == [] and stored(aws, "WEBHOOK#") == []


@pytest.mark.parametrize("body", ["{not json", "[]", json.dumps({"id": "not-a-number", "total_price": 12})])
def test_a_malformed_shopify_order_with_a_good_hmac_is_a_400(aws, clock, body):
    headers, _ = shopify_delivery("orders_paid.usd")
    digest = base64.b64encode(hmac.new(SHOPIFY_SECRET.encode(), body.encode(), hashlib.sha256).digest()).decode()
    response = _post("/v1/webhooks/shopify", body, {**headers, "content-type": "application/json", "x-shopify-hmac-sha256": digest})
    assert response["statusCode"] == 400 and response["json"]["error"]["code"]
    assert stored(aws, "ORDER#") == []


@pytest.mark.parametrize("fixture", ["customers_data_request", "shop_redact", "products_update.unhandled"])
def test_shopify_topics_with_nothing_to_record_are_acknowledged(aws, clock, fixture):
    headers, payload = shopify_delivery(fixture)
    response = post_shopify(headers, payload)
    assert (response["statusCode"], response["json"]["outcome"]) == (200, "ignored")


def test_a_platform_time_outside_the_window_is_replaced_by_the_time_wom_receives_it(aws, clock):
    # A Shopify order created long before it is paid, or delivered late: recorded as received, never refused.
    headers, order = shopify_delivery("orders_paid.usd")
    order["processed_at"] = order["created_at"] = "2026-01-02T03:04:05Z"
    answer = post_shopify(headers, order)
    assert (answer["statusCode"], answer["json"]["outcome"]) == (200, "conversion_recorded")
    (stored_order,) = stored(aws, "ORDER#")
    assert stored_order["occurred_at"]["S"] == stored_order["received_at"]["S"]


def test_rewards_follow_a_webhook_conversion_like_a_signed_post(api, advocate, clock, aws):
    post_stripe(stripe_event("checkout_session_completed.usd", client_reference_id=click_through(api, advocate["code"])), clock)
    summary = wiring.rewards_job().run(clock.now)
    assert summary["rewards_created"] == 1
    reward = api("GET", "/v1/rewards", query={"campaign_id": CAMPAIGN["campaign_id"]})["json"]["rewards"][0]
    assert (reward["amount"], reward["status"], reward["conversion_id"]) == (499, "pending", ids.conversion_id("pi_3SWomUsd00000000000001"))


def test_shopify_customers_redact_erases_the_customer_under_every_name_their_orders_were_recorded_by(api, advocate, clock, aws):
    """Shopify's mandatory privacy webhook is DELETE /v1/customers/{id}: the customer's own order, the order they
    placed as a guest with the same email, and a guest order Shopify names in orders_to_redact lose everything."""
    headers, order = shopify_delivery("orders_paid.usd")
    order["note_attributes"] = [{"name": "wom_click", "value": click_through(api, advocate["code"])}]
    assert post_shopify(headers, order)["json"]["outcome"] == "conversion_recorded"
    as_guest = {**order, "id": 5829013962990, "customer": None, "note_attributes": []}
    assert post_shopify({**headers, "X-Shopify-Webhook-Id": "w-guest-email"}, as_guest)["json"]["outcome"] == "conversion_recorded"
    no_email = {**as_guest, "id": 5829013962991, "email": None, "contact_email": None}
    assert post_shopify({**headers, "X-Shopify-Webhook-Id": "w-guest"}, no_email)["json"]["outcome"] == "conversion_recorded"
    customer, email = str(order["customer"]["id"]), order["customer"]["email"]
    derived = [customer_key(HASH_KEY, customer), email_hash(HASH_KEY, email)]
    names = (customer, email, *derived, customer_key(HASH_KEY, email_hash(HASH_KEY, email)), customer_key(HASH_KEY, "shopify-guest:5829013962991"))
    assert occurrences(names, everything(aws, boto3.client("s3"))), "the orders were recorded under the customer's names"

    redact_headers, redact = shopify_delivery("customers_redact")
    redact["orders_to_redact"] = [order["id"], no_email["id"]]
    answer = post_shopify(redact_headers, redact)
    assert (answer["statusCode"], answer["json"]["outcome"]) == (200, "erasure_requested")
    # The customer, their email's hash and each redacted order's guest: one erasure each, pending.
    assert [receipt["status"] for receipt in answer["json"]["erasures"]] == ["pending"] * 4
    assert post_shopify(redact_headers, redact)["json"] == answer["json"], "a redelivery answers the same receipts"

    clock.now += timedelta(minutes=1)
    wiring.privacy_job().run(clock.now)
    receipts = [api("GET", f"/v1/erasures/{r['erasure_id']}")["json"] for r in answer["json"]["erasures"]]
    assert [r["status"] for r in receipts] == ["completed"] * 4
    # After the hold that turns away writes racing the erasure, not even the customer keys are left.
    clock.now += ERASURE_HOLD + timedelta(minutes=1)
    wiring.privacy_job().run(clock.now)
    assert occurrences(names, everything(aws, boto3.client("s3"))) == []
    # The three sales still count: erasure leaves the orders, without anyone behind them.
    assert len(stored(aws, "ORDER#")) == 3


def test_webhook_conversions_are_recorded_with_fraud_signals_and_held_like_a_signed_post(api, advocate, clock, aws):
    """Stripe's and Shopify's purchases go through the same conversion service: their signals are computed and
    stored, and the rewards job holds what the campaign's fraud settings flag."""
    patched = api("PATCH", "/v1/campaigns/spring", body={"fraud": {"blocked_referrer_hosts": ["coupons.example"], "max_referrals_per_day": 1}})
    assert patched["statusCode"] == 200, patched
    # Stripe: a disposable address, through a link posted on a blocked coupon site.
    location = api("GET", f"/r/{advocate['code']}", headers={"Referer": "https://www.coupons.example/deals?page=2"})["headers"]["Location"]
    checkout = stripe_event(
        "checkout_session_completed.usd",
        client_reference_id=parse_qs(urlsplit(location).query)["wom_click"][0],
        customer_details={"email": "burner@mailinator.com", "name": "B"},
    )
    assert post_stripe(checkout, clock)["json"]["conversion"]["status"] == "attributed"
    # Shopify: the advocate's second referred purchase within 24 hours, by its discount code.
    headers, order = shopify_delivery("orders_paid.usd")
    order["note_attributes"] = []
    order["discount_codes"] = [{"code": advocate["code"], "amount": "1.00", "type": "fixed_amount"}]
    assert post_shopify(headers, order)["json"]["conversion"]["status"] == "attributed"

    signals = {o["source"]["S"]: o["fraud_signals"]["M"] for o in stored(aws, "ORDER#")}
    assert signals["stripe"] == {
        "disposable_email": {"BOOL": True}, "alias_of_advocate": {"BOOL": False}, "advocate_referrals_24h": {"N": "1"}, "referrer_host": {"S": "www.coupons.example"}
    }
    assert signals["shopify"] == {"disposable_email": {"BOOL": False}, "alias_of_advocate": {"BOOL": False}, "advocate_referrals_24h": {"N": "2"}}
    wiring.rewards_job().run(clock.now)
    held = api("GET", "/v1/rewards", query={"campaign_id": "spring", "status": "held"})["json"]["rewards"]
    assert sorted(r["review"]["reasons"] for r in held) == [["advocate_velocity"], ["disposable_email", "blocked_referrer"]]
