"""Shopify webhooks: HMACs computed independently (openssl), every fixture translated, money to minor units without
floating point, bad bodies refused with a 4xx."""

from __future__ import annotations

import base64
import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.conversions.models import ConversionRequest, RefundRequest
from shared.conversions.webhooks.commands import Acknowledged, Attribution, Erasure, Purchase, Refund, buyer_id, conversion_body
from shared.conversions.webhooks.currencies import exponent, minor_units
from shared.conversions.webhooks.shopify import (
    HMAC_HEADER,
    read_shopify_webhook,
    shopify_hmac,
    translate_shopify_webhook,
    verify_shopify_hmac,
)
from shared.platform.errors import InvalidRequest, Unauthorized, WomError
from tests.support.json_values import json_values

FIXTURES = Path(__file__).parents[1] / "fixtures" / "webhooks" / "shopify"
SECRET = "local-shopify-secret"
CLICK = "k3m9x2p7qa.2026110209h4t8w2n6r9c3f5j7"


def delivery(name: str) -> tuple[dict[str, str], bytes]:
    """A fixture's headers and the exact bytes a sender would post."""
    fixture = json.loads((FIXTURES / f"{name}.json").read_text())
    return fixture["headers"], json.dumps(fixture["body"], separators=(",", ":"), ensure_ascii=False).encode()


def translate(name: str):
    headers, body = delivery(name)
    return translate_shopify_webhook(headers["X-Shopify-Topic"], headers["X-Shopify-Webhook-Id"], body)


def openssl_hmac(secret: str, body: bytes) -> str:
    """The reference: base64 of the raw HMAC-SHA256 digest, computed by openssl, not by Python's hmac."""
    digest = subprocess.run(["openssl", "dgst", "-sha256", "-hmac", secret, "-binary"], input=body, capture_output=True, check=True).stdout
    return base64.b64encode(digest).decode()


# ---- X-Shopify-Hmac-Sha256 ----


def test_our_hmac_is_the_independently_computed_one_and_is_accepted():
    _, body = delivery("orders_paid.usd")
    reference = openssl_hmac(SECRET, body)
    assert shopify_hmac(SECRET, body) == reference
    verify_shopify_hmac(reference, body, [SECRET])


def test_read_shopify_webhook_takes_headers_in_any_case():
    headers, body = delivery("orders_paid.usd")
    lowered = {name.lower(): value for name, value in headers.items()} | {HMAC_HEADER.lower(): openssl_hmac(SECRET, body)}
    assert read_shopify_webhook(lowered, body, [SECRET]).order_id == "5829013962983"


def test_a_wrong_secret_is_a_401():
    _, body = delivery("orders_paid.usd")
    with pytest.raises(Unauthorized) as caught:
        verify_shopify_hmac(openssl_hmac("another-apps-secret", body), body, [SECRET])
    assert (caught.value.status, caught.value.code) == (401, "invalid_signature")


def test_a_changed_body_no_longer_matches():
    _, body = delivery("orders_paid.usd")
    with pytest.raises(Unauthorized):
        verify_shopify_hmac(openssl_hmac(SECRET, body), body.replace(b"409.94", b"0.01"), [SECRET])


def test_after_a_client_secret_rotation_both_secrets_are_accepted_while_both_are_live():
    _, body = delivery("refunds_create.usd_partial")
    old, new = openssl_hmac("old-client-secret", body), openssl_hmac(SECRET, body)
    verify_shopify_hmac(old, body, [SECRET, "old-client-secret"])
    verify_shopify_hmac(new, body, [SECRET, "old-client-secret"])
    with pytest.raises(Unauthorized):
        verify_shopify_hmac(old, body, [SECRET])


@pytest.mark.parametrize(
    "header,code",
    [(None, "missing_signature"), ("", "missing_signature"), ("   ", "missing_signature"), ("not base64!", "invalid_signature"),
     ("c2hvcnQ=", "invalid_signature")],
)
def test_a_missing_or_malformed_hmac_is_a_401(header, code):
    with pytest.raises(Unauthorized) as caught:
        verify_shopify_hmac(header, b"{}", [SECRET])
    assert (caught.value.status, caught.value.code) == (401, code)


def test_the_hex_digest_is_not_mistaken_for_the_base64_one():
    _, body = delivery("orders_paid.usd")
    hex_digest = subprocess.run(["openssl", "dgst", "-sha256", "-hmac", SECRET], input=body, capture_output=True, check=True).stdout.decode().rsplit("= ", 1)[1].strip()
    with pytest.raises(Unauthorized):
        verify_shopify_hmac(hex_digest, body, [SECRET])


def test_no_configured_secret_accepts_nothing():
    _, body = delivery("orders_paid.usd")
    with pytest.raises(Unauthorized):
        verify_shopify_hmac(openssl_hmac(SECRET, body), body, [])
    with pytest.raises(Unauthorized):
        verify_shopify_hmac(shopify_hmac("", body), body, [""])


def test_a_forged_delivery_is_refused_before_its_body_is_read():
    with pytest.raises(Unauthorized):
        read_shopify_webhook({"X-Shopify-Topic": "orders/paid", "X-Shopify-Webhook-Id": "w-1", HMAC_HEADER: "AAAA"}, b"not json", [SECRET])


# ---- every fixture, translated ----

EXPECTED = {
    "orders_paid.usd": Purchase(
        source="shopify",
        event_id="b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
        order_id="5829013962983",
        amount=40994,
        currency="USD",
        customer_id="7264590823719",
        customer_email="bob.norman@example.com",
        attribution=Attribution(click_id=CLICK, heard_from="friend_or_family"),
        occurred_at=datetime(2026, 11, 2, 15, 14, 5, tzinfo=UTC),
    ),
    "orders_paid.jpy_guest_landing_site": Purchase(
        source="shopify",
        event_id="0c1d8f52-77a9-4e2b-b6a4-93e5d1a7c402",
        order_id="5829014126823",
        amount=5000,  # JPY has no minor unit: "5000" is 5000
        currency="JPY",
        customer_id=None,
        customer_email="hanako@example.jp",
        attribution=Attribution(click_id="w7c4h8r2m5.2026110212c8n3r6w2k9p4t7h5", referral_code="w7c4h8r2m5"),
        occurred_at=datetime(2026, 11, 2, 12, 30, tzinfo=UTC),
    ),
    "orders_paid.kwd_discount_code": Purchase(
        source="shopify",
        event_id="3e6a1b9c-0d2f-4c7e-a8b5-6f4d2c1e9a03",
        order_id="5829014290663",
        amount=12345,  # KWD has three: "12.345" is 12345 fils
        currency="KWD",
        customer_id="7264591085863",
        customer_email="fatima@example.com",
        attribution=Attribution(code_candidates=("k3m9x2p7qa",)),  # WELCOME10 is not of a wom code's shape
        occurred_at=datetime(2026, 11, 2, 16, 2, 40, tzinfo=UTC),
    ),
    "refunds_create.usd_partial": Refund(
        source="shopify",
        event_id="9d2e4f6a-8b0c-4d1e-a3f5-7b9c1d3e5f04",
        refund_id="929361464",
        order_id="5829013962983",
        amount=10000,  # the failed 50.00 transaction is not money returned
        currency="USD",
        occurred_at=datetime(2026, 11, 5, 14, 20, 11, tzinfo=UTC),
    ),
    "refunds_create.usd_full": Refund(
        source="shopify",
        event_id="5a7c9e1b-3d5f-4a7c-9e1b-3d5f7a9c1e05",
        refund_id="929361999",
        order_id="5829013962983",
        amount=30994,
        currency="USD",
        occurred_at=datetime(2026, 11, 9, 16, 2, 45, tzinfo=UTC),
    ),
    "refunds_create.restock_only": Acknowledged(
        source="shopify", event_id="6b8d0f2a-4c6e-4b8d-0f2a-4c6e8b0d2f06", event_type="refunds/create", reason="no money was refunded"
    ),
    "customers_redact": Erasure(
        source="shopify",
        event_id="a1c3e5a7-9b1d-4f3a-8c5e-7a9b1d3f5a07",
        customer_id="7264590823719",
        customer_email="bob.norman@example.com",
        order_ids=("5829013962983",),
    ),
    "customers_data_request": Acknowledged(
        source="shopify",
        event_id="c3e5a7c9-1d3f-4b5c-0e7a-9c1d3f5b7c08",
        event_type="customers/data_request",
        reason="data request acknowledged; wom holds no personal data beyond ids and keyed hashes",
    ),
    "shop_redact": Acknowledged(
        source="shopify",
        event_id="e5a7c9e1-3f5b-4d7e-2a9c-1e3f5b7d9e09",
        event_type="shop/redact",
        reason="shop redaction acknowledged; one deployment serves one store",
    ),
    "products_update.unhandled": Acknowledged(
        source="shopify", event_id="f7c9e1a3-5b7d-4f9a-4c1e-3a5b7d9f1a10", event_type="products/update", reason="topic not handled"
    ),
}


def test_every_fixture_has_an_expected_command():
    assert {path.stem for path in FIXTURES.glob("*.json")} - {"orders_paid.usd.redelivered"} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_fixture_translates_to_its_command(name):
    assert translate(name) == EXPECTED[name]


def test_a_redelivery_has_the_same_webhook_id_and_the_same_command():
    first, again = translate("orders_paid.usd"), translate("orders_paid.usd.redelivered")
    assert again == first and again.event_id == "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043"
    assert conversion_body(again, "c-1") == conversion_body(first, "c-1")


def test_a_partial_then_a_full_refund_add_up_to_the_order():
    order = translate("orders_paid.usd")
    refunds = [translate("refunds_create.usd_partial"), translate("refunds_create.usd_full")]
    assert {refund.order_id for refund in refunds} == {order.order_id}
    assert sum(refund.amount for refund in refunds) == order.amount
    for refund in refunds:  # each is a valid POST /v1/refunds body
        RefundRequest.model_validate({"refund_id": refund.refund_id, "order_id": refund.order_id, "amount": refund.amount})


@pytest.mark.parametrize("name", [name for name, command in EXPECTED.items() if isinstance(command, Purchase)])
def test_every_purchase_makes_a_valid_conversion_body(name):
    purchase = translate(name)
    body = conversion_body(purchase, buyer_id(purchase, lambda email: "h:" + email))
    request = ConversionRequest.model_validate(body)
    assert request.heard_from == purchase.attribution.heard_from
    assert (request.amount, request.currency, request.customer_id) == (purchase.amount, purchase.currency, purchase.customer_id or "h:" + purchase.customer_email)


# ---- attribution: note attributes, then the landing page's query, then discount codes ----


def _order(**changes) -> bytes:
    fixture = json.loads((FIXTURES / "orders_paid.usd.json").read_text())
    fixture["body"].update(changes)
    return json.dumps(fixture["body"]).encode()


def _paid(**changes):
    return translate_shopify_webhook("orders/paid", "w-1", _order(**changes))


@pytest.mark.parametrize(
    "notes,landing,codes,expected",
    [
        ([{"name": "wom_click", "value": CLICK}], f"/?wom_click=w7c4h8r2m5.2026110212c8n3r6w2k9p4t7h5", [], Attribution(click_id=CLICK)),
        ([], f"https://tea.example.com/landing?utm_source=x&wom_click={CLICK}&wom_ref=k3m9x2p7qa", [], Attribution(click_id=CLICK, referral_code="k3m9x2p7qa")),
        ([{"name": "wom_ref", "value": "w7c4h8r2m5"}], f"/?wom_click={CLICK}", [], Attribution(click_id=CLICK, referral_code="w7c4h8r2m5")),
        ([], None, [{"code": "W7C4H8R2M5"}, {"code": "w7c4h8r2m5"}, {"code": "SUMMER"}], Attribution(code_candidates=("w7c4h8r2m5",))),
        ([{"name": "wom_click", "value": "forged"}, {"name": "wom_heard_from", "value": "Search"}], "/?wom_click=%3Cscript%3E", [], Attribution(heard_from="search")),
        ([{"name": 7, "value": CLICK}, {"value": CLICK}, {"name": "wom_click", "value": None}], "http://[::1", [{"code": 12}], Attribution()),
    ],
)
def test_attribution_sources_in_order(notes, landing, codes, expected):
    assert _paid(note_attributes=notes, landing_site=landing, discount_codes=codes).attribution == expected


def test_a_guest_order_without_an_email_has_no_buyer_and_becomes_a_guest_of_the_order():
    purchase = _paid(customer=None, email=None, contact_email=None)
    assert (purchase.customer_id, purchase.customer_email) == (None, None)
    assert buyer_id(purchase, lambda email: "unused") == "shopify-guest:5829013962983"


def test_the_customers_email_is_used_when_the_order_has_none():
    assert _paid(email="", contact_email=None).customer_email == "bob.norman@example.com"


def test_a_free_order_records_nothing():
    assert isinstance(_paid(total_price="0.00"), Acknowledged)


def test_a_redaction_may_name_only_an_email():
    body = json.dumps({"shop_id": 1, "shop_domain": "x.myshopify.com", "customer": {"email": "only@example.com"}, "orders_to_redact": []}).encode()
    assert translate_shopify_webhook("customers/redact", "w-2", body) == Erasure(
        source="shopify", event_id="w-2", customer_id=None, customer_email="only@example.com"
    )


# ---- money: decimal strings to minor units by ISO 4217, no floating point ----


@pytest.mark.parametrize(
    "amount,currency,expected",
    [
        ("409.94", "USD", 40994), ("0.10", "USD", 10), ("0.1", "USD", 10), ("7", "USD", 700), (7, "USD", 700),
        ("5000", "JPY", 5000), ("5000.00", "JPY", 5000), ("12.345", "KWD", 12345), ("12.3", "KWD", 12300),
        ("1.2345", "CLF", 12345), ("19.99", "EUR", 1999), ("100", "KRW", 100),
        ("90071992547409931.27", "USD", 9007199254740993127),  # beyond a double's exact integers
    ],
)
def test_decimal_strings_become_exact_minor_units(amount, currency, expected):
    assert minor_units(amount, currency, "total_price") == expected


@pytest.mark.parametrize(
    "amount,currency",
    [
        ("409.945", "USD"), ("5000.5", "JPY"), ("12.3456", "KWD"), ("-1.00", "USD"), ("1e3", "USD"), ("1,00", "EUR"), ("", "USD"),
        (" ", "USD"), ("0x10", "USD"), ("NaN", "USD"), (409.94, "USD"), (True, "USD"), (None, "USD"), ("1.00", "XAU"), ("1.00", "ZZZ"),
        ("1" * 31, "USD"),
    ],
)
def test_amounts_that_are_not_exact_in_the_currency_are_a_400(amount, currency):
    with pytest.raises(InvalidRequest) as caught:
        minor_units(amount, currency, "total_price")
    assert (caught.value.status, caught.value.code) == (400, "invalid_webhook")


def test_exponents_come_from_iso_4217():
    assert (exponent("USD"), exponent("JPY"), exponent("KWD"), exponent("BHD"), exponent("CLF")) == (2, 0, 3, 3, 4)


@given(units=st.integers(min_value=0, max_value=10**15), currency=st.sampled_from(["USD", "JPY", "KWD", "CLF", "EUR", "BHD"]))
def test_any_exact_amount_round_trips(units, currency):
    digits = exponent(currency)
    text = str(units) if digits == 0 else f"{units // 10**digits}.{units % 10**digits:0{digits}d}"
    assert minor_units(text, currency, "total_price") == units


# ---- malformed deliveries: a domain error (4xx), never another exception ----


def test_a_missing_topic_or_webhook_id_is_a_400():
    _, body = delivery("orders_paid.usd")
    with pytest.raises(InvalidRequest) as caught:
        translate_shopify_webhook(None, "w-1", body)
    assert caught.value.code == "missing_topic"
    with pytest.raises(InvalidRequest) as caught:
        translate_shopify_webhook("orders/paid", " ", body)
    assert caught.value.code == "missing_webhook_id"


@pytest.mark.parametrize("body", [b"", b"not json", b"\xff{}", b"[]", b"null", b'{"id": Infinity}'])
def test_a_handled_topic_whose_body_is_not_a_json_object_is_a_400(body):
    with pytest.raises(InvalidRequest) as caught:
        translate_shopify_webhook("orders/paid", "w-1", body)
    assert caught.value.code == "malformed_json"


def test_an_acknowledged_topic_is_acknowledged_whatever_its_body():
    for topic in ("customers/data_request", "shop/redact", "app/uninstalled"):
        assert isinstance(translate_shopify_webhook(topic, "w-1", b"not json"), Acknowledged)


@pytest.mark.parametrize(
    "topic,changes",
    [
        ("orders/paid", {"id": None}),
        ("orders/paid", {"id": -5}),
        ("orders/paid", {"id": [1]}),
        ("orders/paid", {"total_price": None}),
        ("orders/paid", {"total_price": 409.94}),
        ("orders/paid", {"total_price": "409.945"}),
        ("orders/paid", {"currency": "usd dollars"}),
        ("orders/paid", {"currency": None}),
        ("orders/paid", {"customer": "bob"}),
        ("orders/paid", {"note_attributes": {"wom_click": CLICK}}),
        ("orders/paid", {"note_attributes": ["wom_click"]}),
        ("orders/paid", {"discount_codes": "SPRING"}),
        ("orders/paid", {"landing_site": 42}),
        ("refunds/create", {"order_id": None}),
        ("refunds/create", {"transactions": "all"}),
        ("refunds/create", {"transactions": [{"kind": "refund", "status": "success", "amount": "1.00"}]}),
        ("refunds/create", {"transactions": [{"kind": "refund", "status": "success", "currency": "USD"}]}),
        ("refunds/create", {"transactions": [{"kind": "refund", "status": "success", "currency": "USD", "amount": "1.001"}]}),
        ("refunds/create", {"transactions": [{"kind": "refund", "status": "success", "currency": "USD", "amount": "1.00"},
                                              {"kind": "refund", "status": "success", "currency": "EUR", "amount": "1.00"}]}),
        ("customers/redact", {"customer": None}),
        ("customers/redact", {"customer": {"id": None, "email": "not an email"}}),
    ],
)
def test_a_handled_topic_with_missing_or_mistyped_fields_is_a_400(topic, changes):
    base = {"orders/paid": "orders_paid.usd", "refunds/create": "refunds_create.usd_partial", "customers/redact": "customers_redact"}[topic]
    fixture = json.loads((FIXTURES / f"{base}.json").read_text())
    fixture["body"].update(changes)
    with pytest.raises(InvalidRequest) as caught:
        translate_shopify_webhook(topic, "w-1", json.dumps(fixture["body"]).encode())
    assert caught.value.status == 400


def _assert_translates_or_refuses(topic: str, body: bytes) -> None:
    try:
        translate_shopify_webhook(topic, "w-1", body)
    except WomError as error:
        assert 400 <= error.status < 500


_TOPICS = ["orders/paid", "refunds/create", "customers/redact"]
_BASES = {"orders/paid": "orders_paid.usd", "refunds/create": "refunds_create.usd_partial", "customers/redact": "customers_redact"}


@settings(max_examples=300, deadline=None)
@given(topic=st.sampled_from(_TOPICS), value=json_values(floats=True))
def test_any_json_at_all_is_translated_or_refused_with_a_4xx(topic, value):
    _assert_translates_or_refuses(topic, json.dumps(value).encode())


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_any_field_of_a_handled_delivery_replaced_by_any_json_is_translated_or_refused_with_a_4xx(data):
    topic = data.draw(st.sampled_from(_TOPICS))
    body = json.loads((FIXTURES / f"{_BASES[topic]}.json").read_text())["body"]
    target = body
    while True:  # walk down a random path, then replace what is there
        keys = list(target) if isinstance(target, dict) else list(range(len(target)))
        key = data.draw(st.sampled_from(keys))
        if not isinstance(target[key], (dict, list)) or not target[key] or data.draw(st.booleans()):
            target[key] = data.draw(json_values(floats=True))
            break
        target = target[key]
    _assert_translates_or_refuses(topic, json.dumps(body).encode())


@settings(max_examples=200, deadline=None)
@given(topic=st.sampled_from(_TOPICS), body=st.binary(max_size=200))
def test_any_bytes_are_translated_or_refused_with_a_4xx(topic, body):
    _assert_translates_or_refuses(topic, body)
