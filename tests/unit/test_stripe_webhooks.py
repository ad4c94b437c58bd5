"""Stripe webhooks: signatures checked against Stripe's own library, every fixture translated, bad bodies refused.

The `stripe` package is a test-only dependency: wom verifies without it at run time, and these tests hold the two
to the same answers.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import stripe
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.conversions.models import ConversionRequest
from shared.conversions.webhooks.commands import (
    Acknowledged,
    Attribution,
    KnownRefund,
    OrderPayment,
    Purchase,
    RefundTotal,
    SubscriptionCheckout,
    buyer_id,
    conversion_body,
)
from shared.conversions.webhooks.stripe import (
    HANDLED_EVENT_TYPES,
    read_stripe_webhook,
    stripe_signature_header,
    translate_stripe_event,
    verify_stripe_signature,
)
from shared.platform.errors import InvalidRequest, WomError
from tests.support.json_values import json_values

FIXTURES = Path(__file__).parents[1] / "fixtures" / "webhooks" / "stripe"
SECRET = "whsec_wom_test_0123456789abcdef"
OLD_SECRET = "whsec_wom_test_retiring_secret"
CLICK = "k3m9x2p7qa.2026110209h4t8w2n6r9c3f5j7"


def raw(name: str) -> bytes:
    return (FIXTURES / f"{name}.json").read_bytes()


def stripe_header(body: bytes, secret: str, timestamp: int) -> str:
    """A Stripe-Signature made by Stripe's own library."""
    return stripe.WebhookSignature.generate_signature_header(body.decode(), secret, timestamp=timestamp)


def at(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


# ---- Stripe-Signature ----


def test_a_header_made_by_stripes_library_is_accepted():
    body = raw("checkout_session_completed.usd")
    now = 1_795_000_000
    verify_stripe_signature(stripe_header(body, SECRET, now), body, [SECRET], now=now)


def test_our_header_is_accepted_by_stripes_library_and_names_the_same_event():
    body = raw("checkout_session_completed.usd")
    header = stripe_signature_header(SECRET, int(time.time()), body)
    event = stripe.Webhook.construct_event(body, header, SECRET)
    assert event.id == translate_stripe_event(body).event_id == "evt_1SWomUsdCheckout000001"
    assert header == stripe_header(body, SECRET, int(header.split(",")[0][2:]))


@pytest.mark.parametrize("age", [0, 299, -299])
def test_timestamps_within_the_tolerance_pass(age):
    body = raw("invoice_paid.after_trial")
    now = 1_795_000_000
    verify_stripe_signature(stripe_header(body, SECRET, now - age), body, [SECRET], now=now)


def test_a_stale_timestamp_is_refused_by_both_stripe_and_wom():
    body = raw("checkout_session_completed.usd")
    stale = int(time.time()) - 301
    header = stripe_header(body, SECRET, stale)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(body, header, SECRET)
    with pytest.raises(InvalidRequest) as caught:
        verify_stripe_signature(header, body, [SECRET], now=time.time())
    assert (caught.value.status, caught.value.code) == (400, "stale_signature")


def test_a_timestamp_far_in_the_future_is_refused_too():
    body = raw("checkout_session_completed.usd")
    now = 1_795_000_000
    with pytest.raises(InvalidRequest) as caught:
        verify_stripe_signature(stripe_header(body, SECRET, now + 301), body, [SECRET], now=now)
    assert caught.value.code == "stale_signature"


def test_during_a_rotation_either_live_secret_and_either_signature_is_enough():
    body = raw("charge_refunded.usd_partial")
    now = 1_795_000_000
    signed_old = stripe_header(body, OLD_SECRET, now)
    signed_new = stripe_header(body, SECRET, now)
    # Stripe signs with both secrets while the old one is being retired: two v1 values in one header.
    both = f"{signed_old},v1={signed_new.split('v1=')[1]}"
    stripe.WebhookSignature.verify_header(body.decode(), both, SECRET, tolerance=None)
    verify_stripe_signature(both, body, [SECRET], now=now)
    verify_stripe_signature(signed_old, body, [SECRET, OLD_SECRET], now=now)
    verify_stripe_signature(signed_new, body, [OLD_SECRET, SECRET], now=now)
    with pytest.raises(InvalidRequest) as caught:
        verify_stripe_signature(signed_old, body, [SECRET], now=now)
    assert caught.value.code == "invalid_signature"


def test_a_wrong_secret_is_refused_by_both():
    body = raw("checkout_session_completed.usd")
    header = stripe_signature_header("whsec_someone_else", int(time.time()), body)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(body, header, SECRET)
    with pytest.raises(InvalidRequest) as caught:
        verify_stripe_signature(header, body, [SECRET], now=time.time())
    assert (caught.value.status, caught.value.code) == (400, "invalid_signature")


def test_a_changed_body_no_longer_matches():
    body = raw("checkout_session_completed.usd")
    now = 1_795_000_000
    header = stripe_header(body, SECRET, now)
    with pytest.raises(InvalidRequest):
        verify_stripe_signature(header, body.replace(b"4999", b"9999"), [SECRET], now=now)


@pytest.mark.parametrize(
    "header,code",
    [
        (None, "missing_signature"),
        ("", "missing_signature"),
        ("garbage", "invalid_signature"),
        ("t=notanumber,v1=abc", "invalid_signature"),
        (f"v1={'a' * 64}", "invalid_signature"),
        ("t=1795000000", "invalid_signature"),
        (f"t=1795000000,v0={'a' * 64}", "invalid_signature"),
    ],
)
def test_missing_or_malformed_headers_are_a_400(header, code):
    with pytest.raises(InvalidRequest) as caught:
        verify_stripe_signature(header, b"{}", [SECRET], now=1_795_000_000)
    assert (caught.value.status, caught.value.code) == (400, code)
    assert "Stripe-Signature" in caught.value.message


def test_no_configured_secret_accepts_nothing():
    body = raw("checkout_session_completed.usd")
    with pytest.raises(InvalidRequest):
        verify_stripe_signature(stripe_header(body, SECRET, 1_795_000_000), body, [], now=1_795_000_000)
    with pytest.raises(InvalidRequest):
        verify_stripe_signature(stripe_header(body, "", 1_795_000_000), body, [""], now=1_795_000_000)


def test_read_stripe_webhook_verifies_before_it_reads():
    body = raw("checkout_session_completed.usd")
    now = 1_795_000_000
    assert read_stripe_webhook(body, stripe_header(body, SECRET, now), [SECRET], now=now).order_id == "pi_3SWomUsd00000000000001"
    with pytest.raises(InvalidRequest) as caught:
        read_stripe_webhook(b"not json", stripe_header(b"not json", "whsec_other", now), [SECRET], now=now)
    assert caught.value.code == "invalid_signature"  # a forged body is refused before it is parsed


# ---- every fixture, translated ----

EXPECTED = {
    "checkout_session_completed.usd": Purchase(
        source="stripe",
        event_id="evt_1SWomUsdCheckout000001",
        order_id="pi_3SWomUsd00000000000001",
        amount=4999,
        currency="USD",
        customer_id=None,
        customer_email="jenny.rosen@example.com",
        attribution=Attribution(click_id=CLICK),
        occurred_at=at(1793610000),
    ),
    "checkout_session_completed.jpy": Purchase(
        source="stripe",
        event_id="evt_1SWomJpyCheckout000001",
        order_id="pi_3SWomJpy00000000000002",
        amount=5000,  # zero-decimal: ¥5,000 is 5000, not 500000
        currency="JPY",
        customer_id="cus_TWomJpyBuyer0001",
        customer_email="hanako@example.jp",
        attribution=Attribution(referral_code="w7c4h8r2m5", heard_from="social_media"),
        occurred_at=at(1793613600),
    ),
    "checkout_session_completed.kwd": Purchase(
        source="stripe",
        event_id="evt_1SWomKwdCheckout000001",
        order_id="pi_3SWomKwd00000000000003",
        amount=12340,  # three decimals: 12.340 KWD
        currency="KWD",
        customer_id="cus_TWomKwdBuyer0001",
        customer_email="fatima@example.com",
        attribution=Attribution(click_id="k3m9x2p7qa.2026110209p2m8k4x6c9r3t5w7", referral_code="k3m9x2p7qa"),
        occurred_at=at(1793617200),
    ),
    "checkout_session_completed.sepa_unpaid": Acknowledged(
        source="stripe",
        event_id="evt_1SWomSepaCompleted0001",
        event_type="checkout.session.completed",
        reason="payment_status is 'unpaid': nothing is paid yet",
    ),
    "checkout_session_async_payment_succeeded.sepa": Purchase(
        source="stripe",
        event_id="evt_1SWomSepaSucceeded0001",
        order_id="pi_3SWomEurSepa000000004",
        amount=3500,
        currency="EUR",
        customer_id="cus_TWomEurBuyer0001",
        customer_email="jenny.rosen@example.com",
        attribution=Attribution(click_id=CLICK),
        occurred_at=at(1793793600),
    ),
    "checkout_session_completed.subscription_trial": SubscriptionCheckout(
        source="stripe",
        event_id="evt_1SWomTrialCheckout0001",
        subscription_id="sub_1SWomTrial0000000001",
        first_invoice_id="in_1SWomTrialZero000000001",
        customer_id="cus_TWomTrialBuyer01",
        customer_email="sam.lee@example.com",
        attribution=Attribution(click_id="w7c4h8r2m5.2026110108n5t9c2h6w3r8k4p7"),
        occurred_at=at(1793523602),
    ),
    "invoice_paid.trial_zero": Acknowledged(
        source="stripe",
        event_id="evt_1SWomTrialZeroPaid0001",
        event_type="invoice.paid",
        reason="nothing was paid (a trial's $0 invoice, or one settled by credit)",
    ),
    "invoice_paid.after_trial": Purchase(
        source="stripe",
        event_id="evt_1SWomTrialPaid00000001",
        order_id="in_1SWomTrialPaid000000001",
        amount=2000,
        currency="USD",
        customer_id="cus_TWomTrialBuyer01",
        customer_email="sam.lee@example.com",
        attribution=Attribution(),
        occurred_at=at(1794736805),  # the invoice's paid_at, the same on every event about it
        subscription_id="sub_1SWomTrial0000000001",
        billing_reason="subscription_cycle",
    ),
    "invoice_payment_paid.after_trial": OrderPayment(
        source="stripe",
        event_id="evt_1SWomTrialPayment00001",
        order_id="in_1SWomTrialPaid000000001",
        payment_refs=("pi_3SWomTrialPaid00000001",),
        occurred_at=at(1794736805),
    ),
    "invoice_paid.renewal": Purchase(
        source="stripe",
        event_id="evt_1SWomRenewalPaid000001",
        order_id="in_1SWomRenewal00000000001",
        amount=2000,
        currency="USD",
        customer_id="cus_TWomTrialBuyer01",
        customer_email="sam.lee@example.com",
        attribution=Attribution(),
        occurred_at=at(1797328803),
        subscription_id="sub_1SWomTrial0000000001",
        billing_reason="subscription_cycle",
    ),
    "invoice_paid.subscription_metadata": Purchase(
        source="stripe",
        event_id="evt_1SWomEurFirstPaid00001",
        order_id="in_1SWomEurFirst000000001",
        amount=1500,
        currency="EUR",
        customer_id="cus_TWomEurSubBuyer1",
        customer_email="luca.rossi@example.it",
        attribution=Attribution(click_id=CLICK, heard_from="influencer"),
        occurred_at=at(1793700002),
        subscription_id="sub_1SWomEurMonthly000001",
        billing_reason="subscription_create",
    ),
    "invoice_paid.legacy_2024_06_20": Purchase(
        source="stripe",
        event_id="evt_1SWomLegacyPaid0000001",
        order_id="in_1SWomLegacy0000000001",
        amount=999,
        currency="USD",
        customer_id="cus_TWomLegacyBuyer1",
        customer_email="old.school@example.com",
        attribution=Attribution(referral_code="w7c4h8r2m5"),
        occurred_at=at(1793703604),
        subscription_id="sub_1SWomLegacy00000001",
        billing_reason="subscription_create",
        payment_refs=("pi_3SWomLegacy0000000005", "ch_3SWomLegacy0000000005"),
    ),
    "charge_refunded.usd_partial": RefundTotal(
        source="stripe",
        event_id="evt_3SWomUsdRefund1000001",
        order_refs=("pi_3SWomUsd00000000000001", "ch_3SWomUsd00000000000001"),
        charge_id="ch_3SWomUsd00000000000001",
        refunded_total=1000,
        currency="USD",
        refund_id="ch_3SWomUsd00000000000001:refunded:1000",
        occurred_at=at(1794000000),
    ),
    "charge_refunded.usd_full": RefundTotal(
        source="stripe",
        event_id="evt_3SWomUsdRefund2000001",
        order_refs=("pi_3SWomUsd00000000000001", "ch_3SWomUsd00000000000001"),
        charge_id="ch_3SWomUsd00000000000001",
        refunded_total=4999,
        currency="USD",
        refund_id="ch_3SWomUsd00000000000001:refunded:4999",
        occurred_at=at(1794090000),
    ),
    "charge_refunded.kwd_legacy_refunds_list": RefundTotal(
        source="stripe",
        event_id="evt_3SWomKwdRefund2000001",
        order_refs=("pi_3SWomKwd00000000000003", "ch_3SWomKwd00000000000003"),
        charge_id="ch_3SWomKwd00000000000003",
        refunded_total=12340,
        currency="KWD",
        refund_id="re_3SWomKwdRefundB0000002",  # the newest refund in refunds.data
        occurred_at=at(1794176401),
        refunds=(
            KnownRefund(refund_id="re_3SWomKwdRefundB0000002", amount=2340, status="succeeded"),
            KnownRefund(refund_id="re_3SWomKwdRefundA0000001", amount=10000, status="succeeded"),
        ),
    ),
    "customer_created.unhandled": Acknowledged(
        source="stripe", event_id="evt_1SWomCustomerCreated01", event_type="customer.created", reason="event type not handled"
    ),
}


def test_every_fixture_has_an_expected_command():
    assert {path.stem for path in FIXTURES.glob("*.json")} - {"checkout_session_completed.usd.redelivered"} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_fixture_translates_to_its_command(name):
    assert translate_stripe_event(raw(name)) == EXPECTED[name]


def test_a_redelivered_event_translates_to_the_same_command_and_the_same_conversion_body():
    first = translate_stripe_event(raw("checkout_session_completed.usd"))
    again = translate_stripe_event(raw("checkout_session_completed.usd.redelivered"))
    assert again == first
    assert conversion_body(again, "c-1") == conversion_body(first, "c-1")  # so the service replays, 200, once recorded


def test_a_trial_is_counted_once_at_its_first_paid_invoice_with_the_checkouts_attribution():
    checkout = translate_stripe_event(raw("checkout_session_completed.subscription_trial"))
    trial_invoice = translate_stripe_event(raw("invoice_paid.trial_zero"))
    first_paid = translate_stripe_event(raw("invoice_paid.after_trial"))
    renewal = translate_stripe_event(raw("invoice_paid.renewal"))
    assert isinstance(checkout, SubscriptionCheckout) and isinstance(trial_invoice, Acknowledged)
    purchases = [command for command in (checkout, trial_invoice, first_paid, renewal) if isinstance(command, Purchase)]
    assert [p.order_id for p in purchases] == ["in_1SWomTrialPaid000000001", "in_1SWomRenewal00000000001"]
    assert {p.subscription_id for p in purchases} == {checkout.subscription_id}
    # The invoice carries no attribution of its own; the service fills it from the session's, kept by subscription.
    assert first_paid.attribution.empty
    assert first_paid.attribution.or_else(checkout.attribution).click_id == "w7c4h8r2m5.2026110108n5t9c2h6w3r8k4p7"


def test_a_partial_then_a_full_refund_name_the_order_and_grow_the_total():
    order = translate_stripe_event(raw("checkout_session_completed.usd"))
    partial = translate_stripe_event(raw("charge_refunded.usd_partial"))
    full = translate_stripe_event(raw("charge_refunded.usd_full"))
    assert partial.order_refs[0] == full.order_refs[0] == order.order_id
    assert (partial.refunded_total, full.refunded_total) == (1000, order.amount)
    assert partial.refund_id != full.refund_id
    # Redelivered, each keeps its id, so the service's refund idempotency holds across retries.
    assert translate_stripe_event(raw("charge_refunded.usd_partial")).refund_id == partial.refund_id


def test_a_subscription_refund_finds_its_invoice_through_the_invoice_payment():
    paid = translate_stripe_event(raw("invoice_paid.after_trial"))
    link = translate_stripe_event(raw("invoice_payment_paid.after_trial"))
    assert link.order_id == paid.order_id
    legacy = translate_stripe_event(raw("invoice_paid.legacy_2024_06_20"))
    assert "pi_3SWomLegacy0000000005" in legacy.payment_refs  # older API versions name it on the invoice


@pytest.mark.parametrize("name", [name for name, command in EXPECTED.items() if isinstance(command, Purchase)])
def test_every_purchase_makes_a_valid_conversion_body(name):
    purchase = translate_stripe_event(raw(name))
    body = conversion_body(purchase, buyer_id(purchase, lambda email: "h:" + email))
    request = ConversionRequest.model_validate(body)
    assert (request.order_id, request.amount, request.currency) == (purchase.order_id, purchase.amount, purchase.currency)
    assert request.heard_from == purchase.attribution.heard_from


def test_the_buyer_is_the_customer_else_the_emails_hash_else_a_guest_of_the_order():
    purchase = EXPECTED["checkout_session_completed.jpy"]
    assert buyer_id(purchase, lambda email: "hashed") == "cus_TWomJpyBuyer0001"
    guest = EXPECTED["checkout_session_completed.usd"]
    assert buyer_id(guest, lambda email: f"hash({email})") == "hash(jenny.rosen@example.com)"
    anonymous = Purchase(**{**_fields(guest), "customer_email": None})
    assert buyer_id(anonymous, lambda email: "unused") == "stripe-guest:pi_3SWomUsd00000000000001"


def _fields(purchase: Purchase) -> dict:
    return {name: getattr(purchase, name) for name in purchase.__dataclass_fields__}


# ---- what the translator does with client_reference_id and metadata ----


def _session_event(**session_fields) -> bytes:
    event = json.loads(raw("checkout_session_completed.usd"))
    event["data"]["object"].update(session_fields)
    return json.dumps(event).encode()


@pytest.mark.parametrize(
    "reference,metadata,expected",
    [
        (CLICK, {}, Attribution(click_id=CLICK)),
        # A Payment Link keeps only letters, digits, - and _ in ?client_reference_id=, so the "." may be either.
        (CLICK.replace(".", "_"), {}, Attribution(click_id=CLICK)),
        (CLICK.replace(".", "-"), {}, Attribution(click_id=CLICK)),
        ("k3m9x2p7qa_2026110209h4t8w2n6r9c3f5j7_", {}, Attribution()),
        ("w7c4h8r2m5", {}, Attribution(referral_code="w7c4h8r2m5")),
        ("order-8812", {"wom_click": CLICK}, Attribution(click_id=CLICK)),
        ("order-8812", {}, Attribution()),
        (None, {"wom_click": "not-a-click", "wom_ref": "NOT A CODE!"}, Attribution()),
        (CLICK, {"wom_ref": "W7C4H8R2M5", "wom_heard_from": "Review site"}, Attribution(click_id=CLICK, referral_code="w7c4h8r2m5", heard_from="review_site")),
        (None, {"wom_heard_from": "a podcast"}, Attribution(heard_from="other")),
    ],
)
def test_client_reference_id_counts_only_when_it_is_a_wom_click_or_code(reference, metadata, expected):
    purchase = translate_stripe_event(_session_event(client_reference_id=reference, metadata=metadata))
    assert purchase.attribution == expected


def test_an_expanded_customer_or_payment_intent_is_read_by_its_id():
    purchase = translate_stripe_event(
        _session_event(customer={"id": "cus_Expanded01", "object": "customer"}, payment_intent={"id": "pi_Expanded01", "object": "payment_intent"})
    )
    assert (purchase.customer_id, purchase.order_id) == ("cus_Expanded01", "pi_Expanded01")


def test_a_session_without_a_payment_intent_is_its_own_order():
    assert translate_stripe_event(_session_event(payment_intent=None)).order_id == "cs_test_a1WomUsdCheckout00000000000000000000000000000001"


def test_an_invoice_outside_a_subscription_records_nothing_so_a_checkout_sale_is_not_counted_twice():
    # Checkout with invoice_creation also sends invoice.paid for the sale its session already recorded.
    one_off = json.loads(raw("invoice_paid.after_trial"))
    one_off["data"]["object"].update(parent=None, billing_reason="manual")
    assert isinstance(translate_stripe_event(json.dumps(one_off).encode()), Acknowledged)


def test_a_free_order_and_a_setup_session_record_nothing():
    assert isinstance(translate_stripe_event(_session_event(amount_total=0, payment_status="no_payment_required")), Acknowledged)
    assert isinstance(translate_stripe_event(_session_event(amount_total=0)), Acknowledged)
    assert isinstance(translate_stripe_event(_session_event(mode="setup")), Acknowledged)


# ---- malformed bodies: a domain error (400), never another exception ----


def _mutated(name: str, path: tuple, value) -> bytes:
    event = json.loads(raw(name))
    target = event
    for key in path[:-1]:
        target = target[key]
    if value is _DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return json.dumps(event).encode()


_DELETE = object()


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"\xff\xfe{}",
        b"[1, 2]",
        b'"evt"',
        b'{"id": "evt_1", "object": "event", "type": "invoice.paid", "created": NaN}',
        b"[" * 100_000 + b"]" * 100_000,
    ],
    ids=["empty", "text", "not-utf8", "array", "string", "nan", "deep"],
)
def test_a_body_that_is_not_a_json_object_is_a_400(body):
    with pytest.raises(InvalidRequest) as caught:
        translate_stripe_event(body)
    assert (caught.value.status, caught.value.code) == (400, "malformed_json")


@pytest.mark.parametrize(
    "name,path,value",
    [
        ("checkout_session_completed.usd", ("id",), _DELETE),
        ("checkout_session_completed.usd", ("type",), 42),
        ("checkout_session_completed.usd", ("object",), "v2.core.event"),
        ("checkout_session_completed.usd", ("created",), "yesterday"),
        ("checkout_session_completed.usd", ("created",), 10**20),
        ("checkout_session_completed.usd", ("data",), _DELETE),
        ("checkout_session_completed.usd", ("data", "object"), []),
        ("checkout_session_completed.usd", ("data", "object", "object"), "invoice"),
        ("checkout_session_completed.usd", ("data", "object", "amount_total"), "4999"),
        ("checkout_session_completed.usd", ("data", "object", "amount_total"), True),
        ("checkout_session_completed.usd", ("data", "object", "amount_total"), -1),
        ("checkout_session_completed.usd", ("data", "object", "amount_total"), 49.99),
        ("checkout_session_completed.usd", ("data", "object", "amount_total"), _DELETE),
        ("checkout_session_completed.usd", ("data", "object", "currency"), "dollars"),
        ("checkout_session_completed.usd", ("data", "object", "currency"), None),
        ("checkout_session_completed.usd", ("data", "object", "mode"), _DELETE),
        ("checkout_session_completed.usd", ("data", "object", "payment_intent"), ["pi_1"]),
        ("checkout_session_completed.usd", ("data", "object", "payment_intent"), "pi_" + "x" * 200),
        ("checkout_session_completed.usd", ("data", "object", "customer_details"), "jenny"),
        ("checkout_session_completed.usd", ("data", "object", "metadata"), ["wom_click"]),
        ("invoice_paid.after_trial", ("data", "object", "amount_paid"), _DELETE),
        ("invoice_paid.after_trial", ("data", "object", "id"), None),
        ("invoice_paid.after_trial", ("data", "object", "lines"), {"data": "none"}),
        ("invoice_paid.after_trial", ("data", "object", "parent"), "sub_1"),
        ("invoice_paid.after_trial", ("data", "object", "status_transitions", "paid_at"), "soon"),
        ("invoice_payment_paid.after_trial", ("data", "object", "invoice"), _DELETE),
        ("invoice_payment_paid.after_trial", ("data", "object", "payment"), _DELETE),
        ("charge_refunded.usd_partial", ("data", "object", "amount_refunded"), _DELETE),
        ("charge_refunded.usd_partial", ("data", "object", "amount_refunded"), "1000"),
        ("charge_refunded.usd_partial", ("data", "object", "currency"), 840),
        ("charge_refunded.kwd_legacy_refunds_list", ("data", "object", "refunds", "data", 0, "amount"), _DELETE),
        ("charge_refunded.kwd_legacy_refunds_list", ("data", "object", "refunds", "data"), [None]),
    ],
)
def test_a_handled_event_with_missing_or_mistyped_fields_is_a_400(name, path, value):
    with pytest.raises(InvalidRequest) as caught:
        translate_stripe_event(_mutated(name, path, value))
    assert caught.value.status == 400
    assert caught.value.code in ("invalid_webhook", "malformed_json")


def test_an_unhandled_type_is_acknowledged_whatever_its_object_holds():
    body = _mutated("customer_created.unhandled", ("data", "object"), "anything at all")
    assert isinstance(translate_stripe_event(body), Acknowledged)


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _paths(child, (*prefix, index))


_HANDLED_FIXTURES = sorted(name for name, command in EXPECTED.items() if not (isinstance(command, Acknowledged) and command.reason == "event type not handled"))


def _assert_translates_or_refuses(body: bytes) -> None:
    try:
        translate_stripe_event(body)
    except WomError as error:
        assert 400 <= error.status < 500


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=json_values())
def test_any_json_at_all_is_translated_or_refused_with_a_4xx(value):
    _assert_translates_or_refuses(json.dumps(value).encode())


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_any_field_of_a_handled_event_replaced_by_any_json_is_translated_or_refused_with_a_4xx(data):
    event = json.loads(raw(data.draw(st.sampled_from(_HANDLED_FIXTURES))))
    path = data.draw(st.sampled_from([p for p in _paths(event) if p]))
    target = event
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = data.draw(json_values())
    _assert_translates_or_refuses(json.dumps(event).encode())


@settings(max_examples=200, deadline=None)
@given(body=st.binary(max_size=200))
def test_any_bytes_are_translated_or_refused_with_a_4xx(body):
    _assert_translates_or_refuses(body)


@settings(max_examples=200, deadline=None)
@given(event_type=st.sampled_from(HANDLED_EVENT_TYPES), target=json_values())
def test_a_handled_type_around_any_object_is_translated_or_refused_with_a_4xx(event_type, target):
    event = {"id": "evt_1", "object": "event", "type": event_type, "created": 1795000000, "data": {"object": target}}
    _assert_translates_or_refuses(json.dumps(event).encode())
