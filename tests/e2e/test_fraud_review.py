"""Fraud review over local mode (SPEC §4): a referred purchase from a throwaway address is held, waits in the review
queue, is approved through the admin API and paid; `wom jobs run rescore` reports without changing anything."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from local.send import send_signed
from tests.e2e.support import DESTINATION, SIGNING_SECRET, Api, LocalMode, new_id
from tests.e2e.test_rewards import run_job, run_rewards_job

pytestmark = pytest.mark.e2e


def test_a_purchase_from_a_disposable_address_is_held_reviewed_approved_and_paid(api: Api, admin: Api, local_mode: LocalMode):
    campaign_id = new_id("review")
    rewards = {"advocate": {"type": "flat", "value": 1500}, "friend": {"type": "flat", "value": 500}, "holding_days": 0}
    assert admin.post("/v1/campaigns", json={"campaign_id": campaign_id, "name": "Reviewed", "destination_url": DESTINATION, "rewards": rewards}).status_code == 201
    advocate = admin.post(f"/v1/campaigns/{campaign_id}/advocates", json={"customer_id": new_id("advocate")}).json()

    [click_id] = parse_qs(urlsplit(api.get(f"/r/{advocate['code']}").headers["Location"]).query)["wom_click"]
    purchase = {"order_id": new_id("order"), "amount": 8_000, "currency": "USD", "customer_id": new_id("friend"), "customer_email": "someone@mailinator.com", "click_id": click_id}
    posted = send_signed(local_mode.base_url, "/v1/conversions", purchase, SIGNING_SECRET)
    assert posted.status_code == 201 and posted.json()["status"] == "attributed", posted.text
    run_rewards_job(local_mode, datetime.now(UTC) + timedelta(minutes=1))

    queue = admin.get("/v1/rewards", params={"campaign_id": campaign_id, "status": "held"}).json()["rewards"]
    assert sorted((r["recipient"], r["status"], r["review"]["reasons"]) for r in queue) == [
        ("advocate", "held", ["disposable_email"]),
        ("friend", "held", ["disposable_email"]),
    ]
    view = admin.get(f"/v1/advocates/{advocate['advocate_id']}").json()
    assert view["rewards"]["held"] == {"count": 1, "amount": 1500}
    # Holding is zero days, and still a held reward is not approved by time.
    run_rewards_job(local_mode, datetime.now(UTC) + timedelta(days=30))
    assert len(admin.get("/v1/rewards", params={"campaign_id": campaign_id, "status": "held"}).json()["rewards"]) == 2

    reward_id = next(r["reward_id"] for r in queue if r["recipient"] == "advocate")
    approved = admin.post(f"/v1/rewards/{reward_id}/review", json={"decision": "approve", "note": "a real customer"})
    assert approved.status_code == 200, approved.text
    assert (approved.json()["status"], approved.json()["review"]["decision"]) == ("approved", "approve")
    paid = admin.post(f"/v1/rewards/{reward_id}/fulfil", json={"reference": "payout-held-1"})
    assert paid.status_code == 200 and paid.json()["status"] == "paid"
    view = admin.get(f"/v1/advocates/{advocate['advocate_id']}").json()
    assert (view["rewards"]["held"], view["rewards"]["paid"]) == ({"count": 0, "amount": 0}, {"count": 1, "amount": 1500})
    assert [r["recipient"] for r in admin.get("/v1/rewards", params={"campaign_id": campaign_id, "status": "held"}).json()["rewards"]] == ["friend"]

    # A dry-run rescore of today reads today's conversions and changes nothing (the defaults have not changed).
    report = run_job(local_mode, "rescore", "--since", datetime.now(UTC).date().isoformat())
    assert report["apply"] is False and report["applied"] == 0 and report["conversions_checked"] >= 1
    assert [c for c in report["changes"] if c["campaign_id"] == campaign_id] == []
