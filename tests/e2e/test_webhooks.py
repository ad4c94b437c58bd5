"""A store on Stripe or Shopify runs wom with configuration only: over local mode, a real `/r/{code}` click's
`wom_click` placed where the store puts it (a Checkout session's `client_reference_id`, a Shopify order's note
attributes), the platforms' deliveries sent by `wom send stripe|shopify` signed as the platforms sign them, the
rewards job rewarding both, and refund webhooks voiding and adjusting."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.e2e.support import Advocate, Api, LocalMode, new_id
from tests.e2e.test_rewards import PAST_HOLDING, advocate_rewards, run_rewards_job

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "webhooks"


def wom_send(local_mode: LocalMode, platform: str, fixture: str, *args: str) -> dict:
    """`wom send <platform> <fixture>` as an operator types it, against local mode (its default secrets)."""
    done = subprocess.run(
        [sys.executable, "-m", "local.cli", "send", "--api-url", local_mode.base_url, platform, str(FIXTURES / platform / fixture), *args],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0, done.stderr + done.stdout
    return json.loads(done.stdout)


def click_id(api: Api, advocate: Advocate) -> str:
    return parse_qs(urlsplit(api.get(advocate.path).headers["Location"]).query)["wom_click"][0]


def test_a_stripe_checkout_with_the_click_in_client_reference_id_is_rewarded_and_a_full_refund_voids_it(api: Api, admin: Api, advocate: Advocate, local_mode: LocalMode):
    paid = wom_send(local_mode, "stripe", "checkout_session_completed.usd.json", "--click-id", click_id(api, advocate), "--event-id", new_id("evt"))
    assert paid["outcome"] == "conversion_recorded"
    assert (paid["conversion"]["status"], paid["conversion"]["advocate_id"]) == ("attributed", advocate.advocate_id)
    run_rewards_job(local_mode, datetime.now(UTC) + timedelta(minutes=1))
    assert sorted((r["recipient"], r["status"], r["amount"]) for r in advocate_rewards(admin, advocate)) == [
        ("advocate", "pending", 499),  # floor(4999 × 10 %)
        ("friend", "pending", 500),
    ]
    refunded = wom_send(local_mode, "stripe", "charge_refunded.usd_full.json", "--event-id", new_id("evt"))
    assert (refunded["outcome"], refunded["refund"]["amount"]) == ("refund_recorded", 4999)
    run_rewards_job(local_mode, datetime.now(UTC) + timedelta(minutes=2))
    assert {r["status"] for r in advocate_rewards(admin, advocate)} == {"voided"}


def test_a_shopify_order_with_the_click_in_its_note_attributes_is_rewarded_and_a_later_refund_adjusts(api: Api, admin: Api, advocate: Advocate, local_mode: LocalMode):
    paid = wom_send(local_mode, "shopify", "orders_paid.usd.json", "--click-id", click_id(api, advocate), "--event-id", new_id("wh"))
    assert (paid["conversion"]["status"], paid["conversion"]["advocate_id"]) == ("attributed", advocate.advocate_id)
    # Delivered again (Shopify retries until it gets a 2xx): the same answer, nothing added.
    assert wom_send(local_mode, "shopify", "orders_paid.usd.json") == wom_send(local_mode, "shopify", "orders_paid.usd.json")
    run_rewards_job(local_mode, datetime.now(UTC) + timedelta(minutes=1))
    run_rewards_job(local_mode, PAST_HOLDING)
    assert {r["status"] for r in advocate_rewards(admin, advocate)} == {"approved"}
    refunded = wom_send(local_mode, "shopify", "refunds_create.usd_partial.json", "--event-id", new_id("wh"))
    assert (refunded["outcome"], refunded["refund"]["amount"]) == ("refund_recorded", 10_000)
    run_rewards_job(local_mode, PAST_HOLDING + timedelta(minutes=15))
    # floor(40994 × 10 %) = 4099 approved; 100.00 of 409.94 refunded leaves floor(30994 × 10 %) = 3099: -1000 back.
    assert sorted((r["recipient"], r["status"], r["amount"]) for r in advocate_rewards(admin, advocate)) == [
        ("advocate", "approved", -1000),
        ("advocate", "approved", 4099),
        ("friend", "approved", 500),
    ]
