"""Rewards over local mode: a real click, a signed purchase, `wom jobs run rewards --now`, the admin API."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from local.send import send_signed
from tests.e2e.support import SIGNING_SECRET, Advocate, Api, LocalMode, new_id

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
PAST_HOLDING = datetime.now(UTC) + timedelta(days=15)


def run_job(local_mode: LocalMode, *args: str) -> dict:
    port = local_mode.endpoint_url.rsplit(":", 1)[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "WOM_"))} | {"WOM_EMULATOR_PORT": port}
    done = subprocess.run(
        [sys.executable, "-m", "local.cli", "jobs", "run", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def run_rewards_job(local_mode: LocalMode, now: datetime) -> dict:
    return run_job(local_mode, "rewards", "--now", now.isoformat())


def purchase_through_link(api: Api, advocate: Advocate, local_mode: LocalMode, amount: int) -> str:
    [click_id] = parse_qs(urlsplit(api.get(advocate.path).headers["Location"]).query)["wom_click"]
    order_id = new_id("order")
    response = send_signed(
        local_mode.base_url, "/v1/conversions",
        {"order_id": order_id, "amount": amount, "currency": "USD", "customer_id": new_id("friend"), "click_id": click_id},
        SIGNING_SECRET,
    )
    assert response.status_code == 201 and response.json()["status"] == "attributed", response.text
    return order_id


def refund(local_mode: LocalMode, order_id: str, amount: int) -> None:
    response = send_signed(local_mode.base_url, "/v1/refunds", {"refund_id": new_id("refund"), "order_id": order_id, "amount": amount}, SIGNING_SECRET)
    assert response.status_code == 201, response.text


def advocate_rewards(admin: Api, advocate: Advocate) -> list[dict]:
    found, cursor = [], None
    while True:
        query = {"campaign_id": advocate.campaign_id, **({"cursor": cursor} if cursor else {})}
        page = admin.get("/v1/rewards", params=query).json()
        found += [r for r in page["rewards"] if r["advocate_id"] == advocate.advocate_id]
        cursor = page["next_cursor"]
        if not cursor:
            return found


def test_click_conversion_job_approval_and_fulfilment(api: Api, admin: Api, advocate: Advocate, local_mode: LocalMode):
    shared = api.post("/v1/events", json={"events": [{"type": "share", "code": advocate.code, "channel": "whatsapp"}]})
    assert shared.json() == {"accepted": 1, "rejected": []}
    purchase_through_link(api, advocate, local_mode, amount=12_345)
    run_rewards_job(local_mode, datetime.now(UTC) + timedelta(minutes=1))
    pending = {r["recipient"]: r for r in advocate_rewards(admin, advocate)}
    assert (pending["advocate"]["amount"], pending["advocate"]["status"]) == (1234, "pending")  # floor(12345 × 10 %)
    assert (pending["friend"]["amount"], pending["friend"]["status"]) == (500, "pending")

    run_rewards_job(local_mode, PAST_HOLDING)
    approved = {r["recipient"]: r for r in advocate_rewards(admin, advocate)}
    assert {r["status"] for r in approved.values()} == {"approved"}

    reward_id = approved["advocate"]["reward_id"]
    paid = admin.post(f"/v1/rewards/{reward_id}/fulfil", json={"reference": "bank-transfer-77"})
    assert paid.status_code == 200 and paid.json()["status"] == "paid"
    assert admin.post(f"/v1/rewards/{reward_id}/fulfil", json={"reference": "again"}).status_code == 409

    # Shares and clicks are the metrics job's daily roll-up: after its run they show what it counted.
    run_job(local_mode, "metrics")
    view = admin.get(f"/v1/advocates/{advocate.advocate_id}").json()
    assert (view["shares"], view["clicks"], view["conversions"]) == (1, 1, 1)
    assert view["rewards"]["paid"] == {"count": 1, "amount": 1234}
    assert view["rewards"]["approved"] == {"count": 0, "amount": 0}


def test_a_refund_before_approval_voids_and_after_approval_adjusts(api: Api, admin: Api, new_advocate, local_mode: LocalMode):
    early, late = new_advocate(), new_advocate()
    early_order = purchase_through_link(api, early, local_mode, amount=10_000)
    late_order = purchase_through_link(api, late, local_mode, amount=10_000)
    refund(local_mode, early_order, 10_000)
    run_rewards_job(local_mode, datetime.now(UTC) + timedelta(minutes=1))
    assert {r["status"] for r in advocate_rewards(admin, early)} == {"voided"}

    run_rewards_job(local_mode, PAST_HOLDING)
    refund(local_mode, late_order, 2_500)
    # The refund was received now, before PAST_HOLDING; the job takes it up on its next run.
    run_rewards_job(local_mode, PAST_HOLDING + timedelta(minutes=15))
    late_rewards = sorted((r["recipient"], r["status"], r["amount"]) for r in advocate_rewards(admin, late))
    assert late_rewards == [("advocate", "approved", -250), ("advocate", "approved", 1000), ("friend", "approved", 500)]


def test_wom_jobs_retry_takes_up_an_item_the_job_set_aside(api: Api, admin: Api, advocate: Advocate, local_mode: LocalMode, storage):
    """Locally, as an operator would: the run that sets an item aside exits 1 and says why; `wom jobs set-aside`
    lists it; once its cause is fixed, `wom jobs retry rewards` takes it up."""
    import boto3

    from shared.platform import keys
    from shared.platform.clock import iso
    from shared.platform.dynamo import serialise
    from shared.platform.resources import REFERRALS_TABLE

    order_id = purchase_through_link(api, advocate, local_mode, 5_000)
    dynamodb = boto3.client("dynamodb", endpoint_url=local_mode.endpoint_url, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")

    def set_occurred_at(value: str) -> None:
        dynamodb.update_item(
            TableName=REFERRALS_TABLE.local_name, Key=serialise(keys.order_key(order_id)),
            UpdateExpression="SET occurred_at = :v", ExpressionAttributeValues=serialise({":v": value}),
        )

    # What an unpadded year once left in storage; due tomorrow, so local mode's own scheduled runs leave it alone.
    tomorrow = iso(datetime.now(UTC) + timedelta(days=1))
    dynamodb.update_item(
        TableName=REFERRALS_TABLE.local_name, Key=serialise(keys.order_key(order_id)),
        UpdateExpression="SET occurred_at = :v, due_at = :due", ExpressionAttributeValues=serialise({":v": "999-01-01T00:00:00.000Z", ":due": tomorrow}),
    )
    port = local_mode.endpoint_url.rsplit(":", 1)[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "WOM_"))} | {"WOM_EMULATOR_PORT": port}

    def wom(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "local.cli", "jobs", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)

    failed = wom("run", "rewards", "--now", (datetime.now(UTC) + timedelta(days=2)).isoformat())
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "wom jobs retry rewards" in failed.stderr
    summary = json.loads(failed.stdout)
    assert [item["pk"] for item in summary["set_aside_items"]] == [f"ORDER#{order_id}"]
    listed = wom("set-aside", "rewards")
    assert listed.returncode == 0 and order_id in listed.stdout

    set_occurred_at(datetime.now(UTC).isoformat())
    retried = wom("retry", "rewards", "--now", PAST_HOLDING.isoformat())
    assert retried.returncode == 0, retried.stderr
    assert json.loads(retried.stdout)["retried"] == 1
    assert [r["status"] for r in advocate_rewards(admin, advocate) if r["recipient"] == "advocate"] == ["approved"]
