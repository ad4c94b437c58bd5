"""The admin routes over real HTTP: the local authorizer, campaigns, advocates, bad input (SPEC §3.3)."""

from __future__ import annotations

import json

import pytest

from shared.platform.deployment import ROUTES
from tests.e2e.support import DESTINATION, Api, assert_error_shape, new_id

pytestmark = pytest.mark.e2e

ADMIN_ROUTES = [route for route in ROUTES if route.auth == "admin"]


def campaign_payload(**overrides: object) -> dict:
    payload = {
        "campaign_id": new_id("adm"),
        "name": "Admin e2e",
        "destination_url": DESTINATION,
        "rewards": {"advocate": {"type": "flat", "value": 1000}},
    }
    payload.update(overrides)
    return payload


@pytest.mark.parametrize("route", ADMIN_ROUTES, ids=[r.route_key for r in ADMIN_ROUTES])
@pytest.mark.parametrize("authorization", [None, "Bearer wrong-token", "Basic ZTJlOmUyZQ==", "Bearer "])
def test_admin_routes_refuse_callers_without_the_token(api: Api, campaign: dict, route, authorization):
    path = route.path.replace("{campaign_id}", campaign["campaign_id"])
    headers = {"Content-Type": "application/json"}
    if authorization is not None:
        headers["Authorization"] = authorization
    response = api.request(route.method, path, data=json.dumps({"customer_id": "mallory"}), headers=headers)
    assert assert_error_shape(response, 401)["code"] == "unauthorized"


def test_create_read_and_conflict(admin: Api):
    payload = campaign_payload()
    created = admin.post("/v1/campaigns", json=payload)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["campaign_id"] == payload["campaign_id"]
    assert body["destination_url"] == DESTINATION
    assert body["attribution_window_days"] == 30
    assert body["currency"] == "USD"

    read = admin.get(f"/v1/campaigns/{payload['campaign_id']}")
    assert read.status_code == 200
    assert read.json()["campaign_id"] == payload["campaign_id"]

    again = admin.post("/v1/campaigns", json=payload)
    assert assert_error_shape(again, 409)["code"] == "campaign_exists"


def test_the_demo_campaign_was_seeded(admin: Api):
    response = admin.get("/v1/campaigns/demo")
    assert response.status_code == 200, response.text
    assert response.json()["destination_url"] == "https://shop.example.com/welcome?utm_source=wom#signup"


def test_enrolling_the_same_customer_again_returns_the_same_advocate(admin: Api, campaign: dict):
    path = f"/v1/campaigns/{campaign['campaign_id']}/advocates"
    customer = new_id("customer")
    first = admin.post(path, json={"customer_id": customer})
    second = admin.post(path, json={"customer_id": customer})
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json() == second.json()
    assert set(first.json()) >= {"advocate_id", "code", "link"}


@pytest.mark.parametrize(
    "body",
    [
        "{not json",
        "",
        "[]",
        "null",
        {},
        campaign_payload(destination_url="http://shop.example.com/"),
        campaign_payload(destination_url="javascript:alert(1)"),
        campaign_payload(destination_url="https://"),
        campaign_payload(destination_url="https://user:pass@shop.example.com/"),
        campaign_payload(campaign_id="Not A Slug!"),
        campaign_payload(campaign_id=""),
        campaign_payload(campaign_id="x" * 500),
        campaign_payload(name=""),
        campaign_payload(name=12),
        campaign_payload(rewards={"advocate": {"type": "bogus", "value": 1}}),
        campaign_payload(rewards={"advocate": {"type": "percent", "value": 150}}),
        campaign_payload(rewards={"advocate": {"type": "flat", "value": -5}}),
        campaign_payload(rewards={}),
        campaign_payload(rewards="lots"),
        campaign_payload(currency="dollars"),
        campaign_payload(attribution_window_days=-1),
        campaign_payload(attribution_window_days="thirty"),
    ],
)
def test_bad_campaign_input_is_4xx_with_the_error_shape(admin: Api, body):
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    response = admin.post("/v1/campaigns", data=data, headers={"Content-Type": "application/json"})
    assert_error_shape(response)


@pytest.mark.parametrize("content_type", ["application/json", None])
def test_a_body_that_is_not_utf8_is_4xx(admin: Api, campaign: dict, content_type):
    # Without a Content-Type, API Gateway hands the body over base64-encoded.
    headers = {"Content-Type": content_type} if content_type else {}
    body = json.dumps(campaign_payload(name="NAME")).encode().replace(b"NAME", b"caf\xe9")  # Latin-1, not UTF-8
    assert_error_shape(admin.post("/v1/campaigns", data=body, headers=headers))
    advocate_body = b'{"customer_id": "caf\xe9"}'
    assert_error_shape(admin.post(f"/v1/campaigns/{campaign['campaign_id']}/advocates", data=advocate_body, headers=headers))


@pytest.mark.parametrize(
    "body",
    [
        "{not json",
        {},
        {"customer_id": ""},
        {"customer_id": 42},
        {"customer_id": "x" * 1000},
        {"customer_id": "ok", "email": "not-an-email"},
        {"customer_id": "ok", "extra": "field"},
    ],
)
def test_bad_advocate_input_is_4xx_with_the_error_shape(admin: Api, campaign: dict, body):
    data = body if isinstance(body, str) else json.dumps(body)
    response = admin.post(
        f"/v1/campaigns/{campaign['campaign_id']}/advocates", data=data, headers={"Content-Type": "application/json"}
    )
    assert_error_shape(response)


@pytest.mark.parametrize("campaign_id", ["Bad Slug", "x" * 300, "%00"])
def test_malformed_campaign_ids_are_4xx(admin: Api, campaign_id: str):
    assert_error_shape(admin.get(f"/v1/campaigns/{campaign_id}"))
    assert_error_shape(admin.post(f"/v1/campaigns/{campaign_id}/advocates", json={"customer_id": "someone"}))


def test_no_such_campaign_is_404(admin: Api):
    assert_error_shape(admin.get("/v1/campaigns/no-such-campaign"), 404)
    assert_error_shape(admin.post("/v1/campaigns/no-such-campaign/advocates", json={"customer_id": "a"}), 404)


def test_unrouted_requests_are_404_with_the_error_shape(api: Api):
    assert assert_error_shape(api.get("/nowhere"), 404)["code"] == "route_not_found"
    assert assert_error_shape(api.request("DELETE", "/v1/campaigns"), 404)["code"] == "route_not_found"


def test_every_route_is_in_the_openapi_document(api: Api):
    response = api.get("/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for route in ROUTES:
        if route.method == "OPTIONS" or route.path == "/openapi.json":  # CORS preflight; the document itself
            continue
        assert route.method.lower() in paths.get(route.path, {}), f"{route.route_key} missing from /openapi.json"
