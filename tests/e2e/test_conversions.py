"""Signed conversions and refunds over real HTTP, posted as a storefront would (SPEC §3.2)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from local.send import send_signed
from shared.platform.keys import order_key
from shared.conversions.signatures import signature_header
from tests.e2e.support import SIGNING_SECRET, Advocate, Api, LocalMode, Storage, assert_error_shape, new_id

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


def wom_send(local_mode: LocalMode, *args: str) -> tuple[int, dict]:
    """The `wom send` command line, as an operator would run it beside `wom run`."""
    env = {**os.environ, "WOM_API_URL": local_mode.base_url, "WOM_SIGNING_SECRET": SIGNING_SECRET}
    done = subprocess.run(
        [sys.executable, "-m", "local.cli", "send", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    return done.returncode, json.loads(done.stdout)


def stored_order(storage: Storage, order_id: str) -> dict | None:
    key = order_key(order_id)
    return next((i for i in storage.items("wom-referrals") if (i["pk"], i["sk"]) == (key["pk"], key["sk"])), None)


def sign_and_post(local_mode: LocalMode, path: str, payload: dict):
    response = send_signed(local_mode.base_url, path, payload, SIGNING_SECRET)
    assert response.status_code < 500, response.text
    return response


def test_the_click_id_of_a_real_redirect_is_attributed_to_its_advocate(api: Api, advocate: Advocate, local_mode: LocalMode, storage: Storage):
    [click_id] = parse_qs(urlsplit(api.get(advocate.path).headers["Location"]).query)["wom_click"]
    order_id = new_id("order")
    code, answer = wom_send(
        local_mode, "conversion", "--order-id", order_id, "--amount", "4999", "--customer-id", new_id("buyer"), "--click-id", click_id
    )
    assert code == 0, answer
    assert answer["status"] == "attributed"
    assert answer["advocate_id"] == advocate.advocate_id
    assert answer["campaign_id"] == advocate.campaign_id
    assert answer["attribution"] == {"method": "click_id", "click_id": click_id}
    assert stored_order(storage, order_id) is not None


def test_an_advocate_buying_through_their_own_link_is_a_self_referral(advocate: Advocate, local_mode: LocalMode):
    payload = {"order_id": new_id("order"), "amount": 1000, "currency": "EUR", "customer_id": advocate.customer_id, "referral_code": advocate.code}
    response = sign_and_post(local_mode, "/v1/conversions", payload)
    assert response.status_code == 201
    assert response.json()["status"] == "self_referral"


def test_a_replay_is_byte_identical_and_a_changed_body_conflicts(advocate: Advocate, local_mode: LocalMode):
    payload = {"order_id": new_id("order"), "amount": 2500, "currency": "USD", "customer_id": new_id("buyer"), "referral_code": advocate.code}
    first = sign_and_post(local_mode, "/v1/conversions", payload)
    replay = sign_and_post(local_mode, "/v1/conversions", payload)
    assert (first.status_code, replay.status_code) == (201, 200)
    assert replay.content == first.content
    assert_error_shape(sign_and_post(local_mode, "/v1/conversions", {**payload, "amount": 2600}), 409)


@pytest.mark.parametrize("signature", [None, "t=1,v1=00", "wrong secret", "stale"])
def test_an_unsigned_or_badly_signed_post_is_401_and_stores_nothing(api: Api, advocate: Advocate, storage: Storage, signature):
    order_id = new_id("order")
    body = json.dumps({"order_id": order_id, "amount": 100, "currency": "USD", "customer_id": "c", "referral_code": advocate.code}).encode()
    headers = {"Content-Type": "application/json"}
    if signature == "wrong secret":
        headers["Wom-Signature"] = signature_header("not-the-secret", int(time.time()), body)
    elif signature == "stale":
        headers["Wom-Signature"] = signature_header(SIGNING_SECRET, int(time.time()) - 3600, body)
    elif signature is not None:
        headers["Wom-Signature"] = signature
    assert_error_shape(api.post("/v1/conversions", data=body, headers=headers), 401)
    assert stored_order(storage, order_id) is None


def test_a_signed_but_malformed_body_is_400(local_mode: LocalMode, storage: Storage):
    order_id = new_id("order")
    error = assert_error_shape(sign_and_post(local_mode, "/v1/conversions", {"order_id": order_id, "amount": "lots", "currency": "USD", "customer_id": "c"}), 400)
    assert error["code"] == "invalid_request"
    assert stored_order(storage, order_id) is None


def test_refunds_through_the_command_line(advocate: Advocate, local_mode: LocalMode, storage: Storage):
    order_id = new_id("order")
    code, _ = wom_send(local_mode, "conversion", "--order-id", order_id, "--amount", "8000", "--customer-id", new_id("buyer"), "--referral-code", advocate.code)
    assert code == 0
    code, refund = wom_send(local_mode, "refund", "--refund-id", new_id("refund"), "--order-id", order_id, "--amount", "3000")
    assert code == 0, refund
    assert refund["refunded_total"] == 3000
    assert stored_order(storage, order_id)["refunded_amount"] == 3000
    code, unknown = wom_send(local_mode, "refund", "--refund-id", new_id("refund"), "--order-id", new_id("nope"), "--amount", "1")
    assert code == 1 and unknown["error"]["code"]


def test_the_signing_secret_never_reaches_the_logs(advocate: Advocate, local_mode: LocalMode):
    sign_and_post(local_mode, "/v1/conversions", {"order_id": new_id("order"), "amount": 1, "currency": "USD", "customer_id": "c"})
    assert SIGNING_SECRET not in local_mode.logs()
