"""Hostile input (issue 11): every input that once broke wom answers a 4xx in the error shape and stores nothing,
on every route it can reach. Handlers in process under moto, with the event API Gateway would send."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from functions.admin.openapi import openapi_document
from shared import wiring
from shared.platform.resources import TABLES
from tests.integration.conftest import CAMPAIGN
from tests.support.http_events import call_route

START = datetime(2026, 11, 22, 12, tzinfo=UTC)


@pytest.fixture
def now(aws):
    wiring.use_clock(lambda: START)
    yield START
    from shared.platform.clock import utc_now

    wiring.use_clock(utc_now)


def stored(dynamodb) -> dict[str, list]:
    return {table.local_name: dynamodb.scan(TableName=table.local_name)["Items"] for table in TABLES}


def post(path: str, body: object) -> dict:
    return call_route("POST", path, json.dumps(body) if not isinstance(body, str) else body)


def assert_refused(response: dict, status: int = 400) -> None:
    assert response["statusCode"] == status, response.get("body")
    assert set(response["json"]) == {"error"} and set(response["json"]["error"]) == {"code", "message"}, response["json"]


@pytest.fixture
def code(now, aws) -> str:
    assert post("/v1/campaigns", CAMPAIGN)["statusCode"] == 201
    return post("/v1/campaigns/spring/advocates", {"customer_id": "ada"})["json"]["code"]


def order(**extra) -> dict:
    return {"order_id": "p1", "amount": 100, "currency": "USD", "customer_id": "b1", **extra}


def json_operations() -> list[tuple[str, str]]:
    """Every operation of the document that takes a JSON body, path parameters filled in."""
    document = json.loads(openapi_document())
    out = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if "application/json" in operation.get("requestBody", {}).get("content", {}):
                concrete = path.replace("{campaign_id}", "spring").replace("{reward_id}", "rwd_x").replace("{customer_id}", "c1")
                out.append((method.upper(), concrete))
    return out


# --- defect 2: bodies that once reached the recursion limit ----------------------------------------------------


@pytest.mark.parametrize(("method", "path"), json_operations())
@pytest.mark.parametrize("depth", [33, 100_000])
def test_deeply_nested_json_is_400_on_every_json_route(code, aws, method, path, depth):
    before = stored(aws)
    response = call_route(method, path, '{"events":' + "[" * depth + "]" * depth + "}")
    assert_refused(response)
    assert response["json"]["error"]["code"] == "too_deeply_nested"
    assert stored(aws) == before


@pytest.mark.parametrize(("method", "path"), json_operations())
@pytest.mark.parametrize("constant", ["NaN", "-Infinity", "1e400", "1" * 5000])
def test_numbers_json_does_not_have_are_400_on_every_json_route(code, aws, method, path, constant):
    before = stored(aws)
    assert_refused(call_route(method, path, '{"amount": %s}' % constant))
    assert stored(aws) == before


@pytest.mark.parametrize(("method", "path"), json_operations())
@pytest.mark.parametrize("content_type", ["multipart/form-data", "application/x-www-form-urlencoded", "text/xml"])
def test_bodies_that_are_not_json_are_415_on_every_json_route(code, aws, method, path, content_type):
    before = stored(aws)
    response = call_route(method, path, '{"events": [null]}', {"Content-Type": content_type})
    assert_refused(response, 415)
    assert stored(aws) == before


def test_deep_nesting_inside_strings_is_only_text(code, aws):
    text = "[" * 2000
    response = post("/v1/conversions", order(referral_code=code, metadata={"note": text}))
    assert response["statusCode"] == 201, response["body"]


# --- defects 1 and 3: times, amounts, metadata ------------------------------------------------------------------


@pytest.mark.parametrize(
    "occurred_at",
    [
        "0999-01-01T00:00:00Z",  # once written unpadded, then every rewards run failed on it
        "0001-01-01T00:00:00+05:00",  # before year 1 in UTC
        "9999-12-31T23:59:59Z",  # once overflowed occurred_at + holding_days
        (START - timedelta(days=30, seconds=1)).isoformat(),  # backdated past the window
        (START + timedelta(minutes=5, seconds=1)).isoformat(),  # further ahead than a storefront clock may run
    ],
)
def test_conversion_and_refund_times_outside_the_window_are_400(code, aws, occurred_at):
    before = stored(aws)
    response = post("/v1/conversions", order(referral_code=code, occurred_at=occurred_at))
    assert_refused(response)
    assert stored(aws) == before
    assert post("/v1/conversions", order(referral_code=code))["statusCode"] == 201
    before = stored(aws)
    assert_refused(post("/v1/refunds", {"refund_id": "r1", "order_id": "p1", "amount": 10, "occurred_at": occurred_at}))
    assert stored(aws) == before


def test_the_edges_of_the_window_are_accepted(code):
    for order_id, at in (("p-past", START - timedelta(days=30)), ("p-ahead", START + timedelta(minutes=5))):
        assert post("/v1/conversions", order(order_id=order_id, referral_code=code, occurred_at=at.isoformat()))["statusCode"] == 201


def test_a_backdated_purchase_is_held_from_when_wom_received_it(code, aws):
    assert post("/v1/conversions", order(referral_code=code, occurred_at=(START - timedelta(days=20)).isoformat()))["statusCode"] == 201
    # Fourteen days after the purchase, six before holding (counted from receipt) ends: still pending.
    summary = wiring.rewards_job().run(START + timedelta(days=1))
    assert summary["rewards_created"] == 1
    wiring.rewards_job().run(START + timedelta(days=13))
    rewards = call_route("GET", "/v1/rewards?campaign_id=spring")["json"]["rewards"]
    assert [r["status"] for r in rewards] == ["pending"]
    wiring.rewards_job().run(START + timedelta(days=14))
    rewards = call_route("GET", "/v1/rewards?campaign_id=spring")["json"]["rewards"]
    assert [(r["status"], r["approved_at"]) for r in rewards] == [("approved", "2026-12-06T12:00:00.000Z")]


NESTED_40: dict = {}
_level = NESTED_40
for _ in range(39):
    _level["n"] = {}
    _level = _level["n"]


@pytest.mark.parametrize(
    "change",
    [
        {"amount": 10**38},
        {"amount": 10**15},
        {"amount": 1e200},
        {"metadata": {"x": 1e200}},
        {"metadata": {"x": 1e-200}},
        {"metadata": {"x": 10**38}},
        {"metadata": {"x": [-(10**40)]}},
        {"metadata": {"": 1}},
        {"metadata": {"a": {"b": [{"": "deep"}]}}},
        {"metadata": NESTED_40},
        {"metadata": {"a": [[[[[[[[[[[[[[[[[["deep"]]]]]]]]]]]]]]]]]]}},
    ],
)
def test_conversions_wom_could_not_store_are_400(code, aws, change):
    before = stored(aws)
    assert_refused(post("/v1/conversions", order(referral_code=code, **change)))
    assert stored(aws) == before


def test_metadata_within_the_limits_is_stored_and_replays(code, aws):
    body = order(referral_code=code, metadata={"cart": [{"sku": "a", "qty": 2, "price": 0.5}], "big": 10**37, "tiny": 1e-100, "none": None})
    first = post("/v1/conversions", body)
    assert first["statusCode"] == 201, first["body"]
    assert post("/v1/conversions", body)["statusCode"] == 200
    assert post("/v1/refunds", {"refund_id": "r1", "order_id": "p1", "amount": 10})["statusCode"] == 201


@pytest.mark.parametrize("amount", [10**38, 10**15, 0, -1, 1.5])
def test_refund_amounts_out_of_bounds_are_400(code, aws, amount):
    assert post("/v1/conversions", order(referral_code=code))["statusCode"] == 201
    before = stored(aws)
    assert_refused(post("/v1/refunds", {"refund_id": "r1", "order_id": "p1", "amount": amount}))
    assert stored(aws) == before


@pytest.mark.parametrize(
    "rewards",
    [
        {"advocate": {"type": "flat", "value": 1e300}},
        {"advocate": {"type": "flat", "value": 10**15}},
        {"advocate": {"type": "flat", "value": 2.5}},
        {"advocate": {"type": "percent", "value": 1e-200}},
        {"advocate": {"type": "percent", "value": 100.5}},
        {"advocate": {"type": "percent", "value": 10}, "max_rewards_per_advocate_per_month": 10**40},
        {"advocate": {"type": "percent", "value": 10}, "min_order_amount": 10**39},
        {"advocate": {"type": "percent", "value": 10}, "friend": {"type": "flat", "value": 0}},
    ],
)
def test_reward_rules_out_of_bounds_are_400_on_create_and_patch(now, aws, rewards):
    refused_on_create_and_patch(aws, {"rewards": rewards})


def refused_on_create_and_patch(aws, change: dict) -> None:
    """A campaign with `change` is refused, and so is the same change to an existing campaign; nothing stored."""
    before = stored(aws)
    assert_refused(post("/v1/campaigns", {**CAMPAIGN, **change}))
    assert stored(aws) == before
    assert post("/v1/campaigns", CAMPAIGN)["statusCode"] == 201
    before = stored(aws)
    assert_refused(call_route("PATCH", "/v1/campaigns/spring", json.dumps(change)))
    assert stored(aws) == before


@pytest.mark.parametrize("field", ["status", "name", "destination_url", "attribution_window_days", "rewards"])
def test_patch_with_null_is_400_and_changes_nothing(now, aws, field):
    assert post("/v1/campaigns", CAMPAIGN)["statusCode"] == 201
    before = stored(aws)
    assert_refused(call_route("PATCH", "/v1/campaigns/spring", json.dumps({field: None})))
    assert stored(aws) == before
    assert call_route("GET", "/v1/campaigns/spring")["json"]["status"] == "active"


# --- defect 5: destinations ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://shop.example.com:99999/",
        "https://shop.example.com:abc/",
        "https://shop.example.com:0/",
        "https://shop.example.com:/",
        "https://:@shop.example.com/",
        "https://@shop.example.com/",
        "https://user@shop.example.com/",
        "https://user:pw@shop.example.com/",
        "https://127.0.0.1/",
        "https://2130706433/",
        "https://0x7f000001/",
        "https://0177.0.0.1/",
        "https://127.1/",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::1]/",
        "https://[::ffff:127.0.0.1]/",
        "https://localhost/",
        "https://localhost./",
        "https://shop.localhost/",
        "https://printer.local/",
        "https://db.internal/",
        "https://shop/",
        "http://shop.example.com/",
        "https://shop.example.com/\x00",
    ],
)
def test_destinations_a_browser_cannot_follow_to_a_shop_are_400(now, aws, url):
    refused_on_create_and_patch(aws, {"destination_url": url})


@pytest.mark.parametrize("url", ["https://shop.example.com:8443/a?b=c#d", "https://xn--bcher-kva.example/", "https://SHOP.Example.COM/"])
def test_ordinary_destinations_are_accepted(now, url):
    assert post("/v1/campaigns", {**CAMPAIGN, "destination_url": url})["statusCode"] == 201
