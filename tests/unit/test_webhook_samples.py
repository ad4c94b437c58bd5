"""`wom send stripe|shopify`'s signed samples: what they post is what wom's own checks accept, and a real click
put into them is what the translators read back."""

from __future__ import annotations

from pathlib import Path

import stripe

from local.settings import DEFAULT_SHOPIFY_SECRET, DEFAULT_STRIPE_SECRET
from local.webhook_samples import signed_shopify_delivery, signed_stripe_delivery
from shared.conversions.webhooks.shopify import read_shopify_webhook
from shared.conversions.webhooks.stripe import read_stripe_webhook

FIXTURES = Path(__file__).parents[1] / "fixtures" / "webhooks"
REAL_CLICK = "m5n6p7q8r9.2026120110a2b3c4d5e6f7g8h9"
T = 1_795_000_000


def test_a_signed_stripe_sample_passes_wom_and_stripes_own_check():
    delivery = signed_stripe_delivery(FIXTURES / "stripe" / "checkout_session_completed.usd.json", DEFAULT_STRIPE_SECRET, T)
    assert delivery.path == "/v1/webhooks/stripe"
    header = delivery.headers["Stripe-Signature"]
    assert stripe.WebhookSignature.verify_header(delivery.body.decode(), header, DEFAULT_STRIPE_SECRET, tolerance=None)
    assert read_stripe_webhook(delivery.body, header, [DEFAULT_STRIPE_SECRET], now=T).order_id == "pi_3SWomUsd00000000000001"


def test_a_real_click_goes_into_the_session_or_the_metadata():
    session = signed_stripe_delivery(FIXTURES / "stripe" / "checkout_session_completed.kwd.json", DEFAULT_STRIPE_SECRET, T, click_id=REAL_CLICK)
    invoice = signed_stripe_delivery(FIXTURES / "stripe" / "invoice_paid.after_trial.json", DEFAULT_STRIPE_SECRET, T, click_id=REAL_CLICK)
    for delivery in (session, invoice):
        command = read_stripe_webhook(delivery.body, delivery.headers["Stripe-Signature"], [DEFAULT_STRIPE_SECRET], now=T)
        assert command.attribution.click_id == REAL_CLICK


def test_a_signed_shopify_sample_carries_its_topic_and_passes_the_hmac_check():
    delivery = signed_shopify_delivery(FIXTURES / "shopify" / "orders_paid.jpy_guest_landing_site.json", DEFAULT_SHOPIFY_SECRET, click_id=REAL_CLICK)
    assert (delivery.path, delivery.headers["X-Shopify-Topic"]) == ("/v1/webhooks/shopify", "orders/paid")
    command = read_shopify_webhook(delivery.headers, delivery.body, [DEFAULT_SHOPIFY_SECRET])
    assert (command.order_id, command.attribution.click_id) == ("5829014126823", REAL_CLICK)
