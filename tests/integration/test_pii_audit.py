"""The PII audit (issue 13): every route of the API driven with known personal values — IP addresses, forwarded
addresses, user agents, emails, customer ids — then every table and every bucket read back for each of them,
before and after the people are erased. A route added to shared.platform.deployment.ROUTES fails this test
until it is driven here too."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, quote, urlsplit

import boto3
import stripe

from functions.admin import handler as admin_handler
from functions.conversions import handler as conversions_handler
from functions.storefront import handler as storefront_handler
from functions.tracking import handler as tracking_handler
from local.gateway import match_route
from shared import wiring
from shared.conversions.service import body_hash
from shared.platform.deployment import ROUTES, Route
from shared.platform.privacy import customer_key, email_hash, mailbox_hash
from shared.privacy.job import ERASURE_HOLD
from shared.conversions.signatures import signature_header
from tests.integration.test_conversion_routes import Clock
from tests.support.http_events import LambdaContext, http_event
from tests.support.stores import Stored, everything, occurrences
from tests.integration.test_webhook_routes import FIXTURES, SHOPIFY_SECRET, STRIPE_SECRET

START = datetime(2026, 11, 9, 8, tzinfo=UTC)
HASH_KEY, SIGNING_SECRET = b"local-hash-key", "local-signing-secret"

# Who the requests come from, and the people in them.
SOURCE_IP = "192.0.2.201"
FORWARDED_IP = "198.18.0.77"
USER_AGENT = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/128.0 pii-audit-7f3a"
ADVOCATE_ID = "audit-advocate-42"
ADVOCATE_EMAIL = "Audit.Advocate@Example.net"
BUYER_ID = "audit.buyer@example.org"  # a customer id that is an email
BUYER_EMAIL = "Audit.Buyer+shop@Example.net"
# Buyers through the commerce platforms: a Stripe customer, and a Shopify customer Shopify later asks to redact.
STRIPE_BUYER, STRIPE_EMAIL = "cus_TAuditBuyer0001", "Stripe.Audit@Example.net"
SHOPIFY_BUYER, SHOPIFY_EMAIL = "7264590800042", "Shopify.Audit@Example.net"
CALLER = {"source_ip": SOURCE_IP, "user_agent": USER_AGENT, "headers": {"X-Forwarded-For": FORWARDED_IP, "X-Real-IP": FORWARDED_IP, "Referer": f"https://mail.example.net/?to={ADVOCATE_EMAIL}"}}
HANDLERS = {"tracking": tracking_handler, "conversions": conversions_handler, "storefront": storefront_handler, "admin": admin_handler}


class Driver:
    """Calls each route's function as API Gateway would, always from the audited caller, and notes the route."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.driven: set[Route] = set()

    def __call__(self, method: str, path: str, *, signed: bool = False, body: object = None, query: dict | None = None, headers: dict | None = None) -> dict:
        route = match_route(method, urlsplit(path).path)
        assert route is not None, f"{method} {path}"
        self.driven.add(route.route)
        all_headers = {**CALLER["headers"], **(headers or {})}
        raw = json.dumps(body) if body is not None else None
        if raw is not None:
            all_headers["content-type"] = "application/json"
        if signed:
            all_headers["wom-signature"] = signature_header(SIGNING_SECRET, int(self.clock.now.timestamp()), raw.encode())
        event = http_event(method, path, query=query, headers=all_headers, raw_body=raw, source_ip=SOURCE_IP, user_agent=USER_AGENT)
        response = HANDLERS[route.route.function].lambda_handler(event, LambdaContext(route.route.function))
        assert response["statusCode"] < 500, (method, path, response)
        if response.get("body") and response.get("headers", {}).get("Content-Type", "").startswith("application/json"):
            response["json"] = json.loads(response["body"])
        return response


def test_no_route_stores_personal_data_beyond_what_it_must_and_an_erasure_leaves_none(aws):
    clock = Clock(START)
    wiring.use_clock(clock)
    call = Driver(clock)

    # Admin: a campaign, changed and read; the advocate enrolled with their email and consent, read back.
    # Programme rules that make every kind of reward: a milestone bonus at the advocate's second approved referral,
    # and fraud review holding the advocate's third referred purchase of the day (advocate_velocity).
    rewards = {"advocate": {"type": "percent", "value": 10}, "friend": {"type": "flat", "value": 300}, "milestones": [{"referrals": 2, "reward": {"type": "flat", "value": 500}}]}
    campaign = {"campaign_id": "audit", "name": "Audit", "destination_url": "https://shop.example.com/", "rewards": rewards, "fraud": {"max_referrals_per_day": 2}}
    assert call("POST", "/v1/campaigns", body=campaign)["statusCode"] == 201
    assert call("PATCH", "/v1/campaigns/audit", body={"name": "Audit, renamed"})["statusCode"] == 200
    assert call("GET", "/v1/campaigns/audit")["statusCode"] == 200
    assert call("GET", "/v1/campaigns")["statusCode"] == 200
    enrolment = {"customer_id": ADVOCATE_ID, "email": ADVOCATE_EMAIL, "consent": {"terms_version": "t-1", "marketing": False}}
    advocate = call("POST", "/v1/campaigns/audit/advocates", body=enrolment)["json"]
    code = advocate["code"]
    # The shop's own backend enrols the same customer (signed): the same advocate, and a status token for their page.
    from_shop = call("POST", "/v1/enrolments", signed=True, body={"campaign_id": "audit", **enrolment})
    assert (from_shop["statusCode"], from_shop["json"]["advocate_id"]) == (200, advocate["advocate_id"])
    status_token = from_shop["json"]["status_token"]
    # The storefront script and its advocate's-page part, fetched by the audited browser.
    assert call("GET", "/wom.js", headers={"Accept-Encoding": "gzip"})["statusCode"] == 200
    assert call("GET", "/wom-advocate.js")["statusCode"] == 200

    # Tracking, from the audited browser: the link (and its HEAD check), the pixel, the events API and its preflight.
    location = call("GET", f"/r/{code}")["headers"]["Location"]
    click_id = parse_qs(urlsplit(location).query)["wom_click"][0]
    call("GET", f"/r/{code}", headers={"DNT": "1"})
    call("HEAD", f"/r/{code}")
    call("GET", "/p.gif", query={"t": "share", "c": code, "ch": "email"})
    call("GET", "/p.gif", query={"t": "view", "c": code, "ch": ADVOCATE_EMAIL})
    events = {"events": [{"type": "share", "code": code, "channel": "whatsapp", "event_id": "e-1"}, {"type": "view", "code": code}, {"type": "click", "code": code}]}
    assert call("POST", "/v1/events", body=events)["json"]["accepted"] == 3
    call("OPTIONS", "/v1/events", headers={"Origin": "https://shop.example.com", "Access-Control-Request-Method": "POST"})

    # The storefront: the buyer's purchase through the click (their email in metadata too), its refund.
    purchase = {"order_id": "audit-1", "amount": 12_000, "currency": "USD", "customer_id": BUYER_ID, "customer_email": BUYER_EMAIL,
                "click_id": click_id, "metadata": {"email": BUYER_EMAIL, "ip": SOURCE_IP, "agent": USER_AGENT}}
    assert call("POST", "/v1/conversions", signed=True, body=purchase)["statusCode"] == 201
    assert call("POST", "/v1/refunds", signed=True, body={"refund_id": "audit-r-1", "order_id": "audit-1", "amount": 2_000})["statusCode"] == 201
    # Each platform's delivery made now, after the click.
    checkout = json.loads((FIXTURES / "stripe" / "checkout_session_completed.usd.json").read_text()) | {"created": int(clock.now.timestamp())}
    checkout["data"]["object"].update(client_reference_id=click_id, customer=STRIPE_BUYER, customer_details={"email": STRIPE_EMAIL, "name": "Stripe Audit"})
    stripe_signature = stripe.WebhookSignature.generate_signature_header(json.dumps(checkout), STRIPE_SECRET, timestamp=int(clock.now.timestamp()))
    assert call("POST", "/v1/webhooks/stripe", body=checkout, headers={"stripe-signature": stripe_signature})["json"]["conversion"]["status"] == "attributed"
    shopify = json.loads((FIXTURES / "shopify" / "orders_paid.usd.json").read_text())
    shopify_order = shopify["body"] | {"email": SHOPIFY_EMAIL, "contact_email": SHOPIFY_EMAIL, "customer": {"id": int(SHOPIFY_BUYER), "email": SHOPIFY_EMAIL}}
    shopify_order["processed_at"] = shopify_order["created_at"] = clock.now.isoformat()
    shopify_order["note_attributes"] = [{"name": "wom_click", "value": click_id}]
    assert call("POST", "/v1/webhooks/shopify", body=shopify_order, headers=_shopify_signed(shopify["headers"], shopify_order))["json"]["conversion"]["status"] == "attributed"
    wiring.rewards_job().run(clock.now + timedelta(minutes=5))
    clock.now += timedelta(days=15)
    wiring.rewards_job().run(clock.now)
    # The review queue holds the Shopify purchase's rewards; a reviewer's notes name the people behind them.
    held = call("GET", "/v1/rewards", query={"campaign_id": "audit", "status": "held"})["json"]["rewards"]
    assert sorted((r["recipient"], r["customer_id"], r["review"]["reasons"][0]) for r in held) == [("advocate", ADVOCATE_ID, "advocate_velocity"), ("friend", SHOPIFY_BUYER, "advocate_velocity")]
    for reward in held:
        decision = "approve" if reward["recipient"] == "advocate" else "reject"
        note = f"{ADVOCATE_ID} vouched for {SHOPIFY_BUYER}"
        assert call("POST", f"/v1/rewards/{reward['reward_id']}/review", body={"decision": decision, "note": note})["json"]["review"]["note"] == note
    wiring.rewards_job().run(clock.now)  # the next run publishes the reviews' events
    wiring.metrics_job().run_days([START.date()])

    # Admin: the advocate's view, the rewards, one paid; the OpenAPI document.
    assert call("GET", f"/v1/advocates/{advocate['advocate_id']}")["json"]["consent"]["marketing"] is False
    assert call("GET", "/v1/campaigns/audit/advocates", query={"customer_id": ADVOCATE_ID})["json"]["advocates"][0]["code"] == code
    found = call("GET", "/v1/rewards", query={"campaign_id": "audit"})["json"]["rewards"]
    assert {r["customer_id"] for r in found} == {ADVOCATE_ID, BUYER_ID, STRIPE_BUYER, SHOPIFY_BUYER}
    assert [r["milestone"] for r in found if r.get("milestone")] == [2]
    advocate_reward = next(r for r in found if r["recipient"] == "advocate")
    assert call("POST", f"/v1/rewards/{advocate_reward['reward_id']}/fulfil", body={"reference": "payout-1"})["statusCode"] == 200
    assert call("GET", "/openapi.json")["statusCode"] == 200
    # The advocate's own page: their three referred purchases, by wom's ids only.
    page = call("GET", "/v1/advocate-status", query={"token": status_token})["json"]
    assert len(page["referrals"]) == 3 and page["code"] == code

    keys_and_hashes = [
        customer_key(HASH_KEY, ADVOCATE_ID), customer_key(HASH_KEY, BUYER_ID),
        email_hash(HASH_KEY, ADVOCATE_EMAIL), email_hash(HASH_KEY, BUYER_EMAIL), body_hash(purchase),
        customer_key(HASH_KEY, STRIPE_BUYER), customer_key(HASH_KEY, SHOPIFY_BUYER),
        email_hash(HASH_KEY, STRIPE_EMAIL), email_hash(HASH_KEY, SHOPIFY_EMAIL),
        mailbox_hash(HASH_KEY, ADVOCATE_EMAIL),  # the advocate's, for alias_of_advocate
    ]
    # A buyer's mailbox hash is compared at recording time, never kept.
    buyer_mailboxes = [mailbox_hash(HASH_KEY, email) for email in (BUYER_EMAIL, STRIPE_EMAIL, SHOPIFY_EMAIL)]
    never = [SOURCE_IP, FORWARDED_IP, USER_AGENT, ADVOCATE_EMAIL, ADVOCATE_EMAIL.lower(), BUYER_EMAIL, BUYER_EMAIL.lower(), STRIPE_EMAIL, SHOPIFY_EMAIL]
    dynamodb, s3 = aws, boto3.client("s3")

    # Before: no address, agent or email anywhere but in the metadata the storefront sent (kept as sent until its
    # buyer is erased); raw customer ids only in the advocate and in the rewards an operator pays.
    stored = everything(dynamodb, s3)
    assert {(place, key) for _, place, key in occurrences(never, stored)} == {("wom-referrals", "ORDER#audit-1 / META")}
    order = next(json.loads(thing.text) for thing in stored if thing.key == "ORDER#audit-1 / META")
    assert occurrences(never + [BUYER_ID], [_without(thing, "metadata") for thing in stored if thing.key == "ORDER#audit-1 / META"]) == []
    assert order["metadata"]["email"] == BUYER_EMAIL
    ids = {key.split("#")[0] for _, _, key in occurrences([ADVOCATE_ID, BUYER_ID, STRIPE_BUYER, SHOPIFY_BUYER], stored) if key != "ORDER#audit-1 / META"}
    assert ids == {"ADVOCATE", "REWARD"}
    assert {place for _, place, _ in occurrences(keys_and_hashes, stored)} == {"wom-referrals"}
    assert occurrences(buyer_mailboxes, stored) == []
    assert {key.split("#")[0] for _, _, key in occurrences([mailbox_hash(HASH_KEY, ADVOCATE_EMAIL)], stored)} == {"ADVOCATE"}

    # Erase all four (Shopify's buyer as Shopify asks); the receipts complete; after the hold nothing of any is left.
    receipts = [call("DELETE", f"/v1/customers/{quote(ADVOCATE_ID, safe='')}")["json"], call("POST", "/v1/erasures", body={"customer_id": BUYER_ID})["json"]]
    receipts.append(call("DELETE", f"/v1/customers/{STRIPE_BUYER}")["json"])
    redact_delivery = json.loads((FIXTURES / "shopify" / "customers_redact.json").read_text())
    redact = redact_delivery["body"] | {"customer": {"id": int(SHOPIFY_BUYER), "email": SHOPIFY_EMAIL}, "orders_to_redact": [shopify_order["id"]]}
    receipts += call("POST", "/v1/webhooks/shopify", body=redact, headers=_shopify_signed(redact_delivery["headers"], redact))["json"]["erasures"]
    wiring.privacy_job().run(clock.now)
    for receipt in receipts:
        assert call("GET", f"/v1/erasures/{receipt['erasure_id']}")["json"]["status"] == "completed"
    clock.now += ERASURE_HOLD
    wiring.privacy_job().run(clock.now)
    assert occurrences(never + [ADVOCATE_ID, BUYER_ID, STRIPE_BUYER, SHOPIFY_BUYER] + keys_and_hashes, everything(dynamodb, s3)) == []
    # Nothing is left under the erased advocate (their referrals included), and their token names no one.
    assert [thing.key for thing in everything(dynamodb, s3) if thing.key.startswith(f"ADVOCATE#{advocate['advocate_id']} ")] == []
    gone = call("GET", "/v1/advocate-status", query={"token": status_token})
    assert (gone["statusCode"], gone["json"]["error"]["code"]) == (404, "advocate_not_found")

    assert call.driven == set(ROUTES), f"routes not audited: {sorted(r.route_key for r in set(ROUTES) - call.driven)}"


def _shopify_signed(headers: dict, body: dict) -> dict:
    digest = hmac.new(SHOPIFY_SECRET.encode(), json.dumps(body).encode(), hashlib.sha256).digest()
    return {**headers, "x-shopify-hmac-sha256": base64.b64encode(digest).decode()}


def _without(thing: Stored, attribute: str) -> Stored:
    return Stored(thing.place, thing.key, json.dumps({k: v for k, v in json.loads(thing.text).items() if k != attribute}))
