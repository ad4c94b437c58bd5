"""Erasure over local mode (SPEC §3.3, §6, §9): a person who is an advocate in two campaigns and a buyer in a third,
erased through `DELETE /v1/customers/{id}` over HTTP; the receipt completes within WOM_JOBS_INTERVAL seconds (local
mode's scheduler runs the privacy job); then every table and the bucket hold nothing of them. And `wom erase`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import pytest

from local.send import send_signed
from local.settings import local_settings
from shared.platform.privacy import customer_key, email_hash
from shared.privacy.job import ERASURE_HOLD
from shared.tracking.service import LINK_TARGET_TTL_SECONDS
from tests.e2e.support import ADMIN_TOKEN, DESTINATION, SIGNING_SECRET, Api, LocalMode, Storage, new_id
from tests.e2e.test_rewards import run_job

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
HASH_KEY = b"local-hash-key"  # local mode's default, which `wom run` here does not change
JOBS_INTERVAL = local_settings({}).jobs_interval


def new_campaign(admin: Api) -> str:
    campaign_id = new_id("erasure")
    rewards = {"advocate": {"type": "percent", "value": 10}, "friend": {"type": "flat", "value": 500}}
    response = admin.post("/v1/campaigns", json={"campaign_id": campaign_id, "name": "Erasure", "destination_url": DESTINATION, "rewards": rewards})
    assert response.status_code == 201, response.text
    return campaign_id


def enrol(admin: Api, campaign_id: str, customer_id: str, **extra: object) -> dict:
    response = admin.post(f"/v1/campaigns/{campaign_id}/advocates", json={"customer_id": customer_id, **extra})
    assert response.status_code == 201, response.text
    return response.json()


def convert(local_mode: LocalMode, **body: object) -> None:
    payload = {"order_id": new_id("order"), "amount": 6_000, "currency": "USD", **body}
    response = send_signed(local_mode.base_url, "/v1/conversions", payload, SIGNING_SECRET)
    assert response.status_code == 201 and response.json()["status"] == "attributed", response.text


def leftovers(storage: Storage, values: list[str]) -> list[tuple[str, str]]:
    """(where, the item as JSON) of every stored item or object holding one of `values`."""
    return [(place, item) for place, items in storage.everything().items() for item in items if any(value.lower() in item.lower() for value in values)]


def test_an_erasure_over_http_completes_within_the_jobs_interval_and_leaves_nothing(api: Api, admin: Api, local_mode: LocalMode, storage: Storage):
    person = f"{new_id('person')}@example.org"
    email = f"Erased.{new_id('mail')}@Example.com"
    alpha, beta, gamma = new_campaign(admin), new_campaign(admin), new_campaign(admin)
    first = enrol(admin, alpha, person, email=email, consent={"terms_version": "e2e-1", "marketing": True})
    second = enrol(admin, beta, person, email=email)
    other = enrol(admin, gamma, new_id("other"))
    assert admin.get(f"/v1/advocates/{first['advocate_id']}").json()["consent"]["terms_version"] == "e2e-1"
    # A friend follows their link and buys; they buy in the third campaign, with their email in the metadata.
    location = api.get(f"/r/{first['code']}").headers["Location"]
    convert(local_mode, customer_id=new_id("friend"), click_id=parse_qs(urlsplit(location).query)["wom_click"][0])
    api.get(f"/r/{second['code']}")
    convert(local_mode, customer_id=person, customer_email=email, referral_code=other["code"], metadata={"contact": email})
    run_job(local_mode, "rewards", "--now", (datetime.now(UTC) + timedelta(minutes=1)).isoformat())
    last_lookup = time.monotonic()
    secrets = [person, email, customer_key(HASH_KEY, person), email_hash(HASH_KEY, email)]
    assert leftovers(storage, secrets), "the history above holds their data"

    accepted = admin.request("DELETE", f"/v1/customers/{quote(person, safe='')}")
    assert accepted.status_code == 202, accepted.text
    receipt = accepted.json()
    assert receipt["status"] == "pending" and person not in accepted.text

    # Local mode's scheduler runs the privacy job every WOM_JOBS_INTERVAL seconds: the receipt completes by then.
    deadline = time.monotonic() + JOBS_INTERVAL + 15
    while receipt["status"] != "completed" and time.monotonic() < deadline:
        time.sleep(1)
        receipt = admin.get(f"/v1/erasures/{receipt['erasure_id']}").json()
    assert receipt["status"] == "completed", receipt
    assert receipt["erased"] == {"advocates": 2, "conversions": 1, "rewards_voided": 2, "rewards_anonymised": 0}
    # Only their customer key is left, in their state, for the hold; the next run after it deletes that too.
    [(place, state)] = leftovers(storage, secrets)
    assert place == "wom-referrals" and json.loads(state)["pk"] == f"CUSTOMER#{customer_key(HASH_KEY, person)}"
    run_job(local_mode, "privacy", "--now", (datetime.now(UTC) + ERASURE_HOLD + timedelta(seconds=1)).isoformat())
    assert leftovers(storage, secrets) == []
    assert admin.get(f"/v1/erasures/{receipt['erasure_id']}").json()["forgotten_at"] is not None

    for advocate in (first, second):
        assert admin.get(f"/v1/advocates/{advocate['advocate_id']}").status_code == 404
    assert admin.get(f"/v1/advocates/{other['advocate_id']}").status_code == 200
    # Their links stop resolving once the local server's one-minute cache of what a code leads to has passed.
    time.sleep(max(0.0, last_lookup + LINK_TARGET_TTL_SECONDS + 1 - time.monotonic()))
    for advocate in (first, second):
        assert api.get(f"/r/{advocate['code']}").status_code == 404


def test_wom_erase_on_the_command_line(admin: Api, local_mode: LocalMode, campaign: dict):
    customer = new_id("cli-person")
    advocate = enrol(admin, campaign["campaign_id"], customer)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "WOM_"))} | {"WOM_API_URL": local_mode.base_url, "WOM_ADMIN_TOKEN": ADMIN_TOKEN}
    done = subprocess.run([sys.executable, "-m", "local.cli", "erase", customer], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    receipt = json.loads(done.stdout)
    assert receipt["status"] == "pending" and receipt["source"] == "api"  # wom erase calls the admin API
    run_job(local_mode, "privacy")  # or local mode's scheduler, whichever comes first
    done = admin.get(f"/v1/erasures/{receipt['erasure_id']}").json()
    assert done["status"] == "completed" and done["erased"]["advocates"] == 1
    assert admin.get(f"/v1/advocates/{advocate['advocate_id']}").status_code == 404
