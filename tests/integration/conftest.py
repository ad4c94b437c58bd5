from __future__ import annotations

import json

import boto3
import pytest
import requests
from moto import mock_aws

from functions.admin import handler as admin_handler
from functions.tracking import handler as tracking_handler
from local.emulator import create_resources, emulator_clients
from shared import wiring
from shared.platform.resources import TABLES
from tests.support.http_events import LambdaContext, http_event

ADMIN_ROUTES_PREFIX = ("/v1/campaigns", "/openapi.json", "/v1/advocates", "/v1/rewards", "/v1/customers", "/v1/erasures")


@pytest.fixture
def aws(monkeypatch):
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    for table in TABLES:
        monkeypatch.setenv(table.env_var, table.local_name)
    with mock_aws():
        wiring.reset()
        yield create_resources(boto3.client)
    wiring.reset()


class Api:
    """Calls the function API Gateway would route to, with the event it would send."""

    def __call__(self, method: str, path: str, **kwargs) -> dict:
        module = admin_handler if path.startswith(ADMIN_ROUTES_PREFIX) else tracking_handler
        response = module.lambda_handler(http_event(method, path, **kwargs), LambdaContext())
        if response.get("headers", {}).get("Content-Type", "").startswith("application/json") and response.get("body"):
            response["json"] = json.loads(response["body"])
        return response


@pytest.fixture
def api(aws) -> Api:
    return Api()


CAMPAIGN = {
    "campaign_id": "spring",
    "name": "Spring referrals",
    "destination_url": "https://shop.example.com/landing?utm_source=wom&x=a%20b#offer",
    "rewards": {"advocate": {"type": "percent", "value": 10}},
}


@pytest.fixture
def advocate(api) -> dict:
    assert api("POST", "/v1/campaigns", body=CAMPAIGN)["statusCode"] == 201
    response = api("POST", "/v1/campaigns/spring/advocates", body={"customer_id": "cust-1", "email": "Ada@Example.com"})
    assert response["statusCode"] == 201
    return response["json"]


def all_items(dynamodb) -> dict[str, list[dict]]:
    out = {}
    for table in TABLES:
        out[table.local_name] = dynamodb.scan(TableName=table.local_name)["Items"]
    return out


def stored_event_items(dynamodb) -> list[dict]:
    """The events table's items as stored (short names, nothing the key holds)."""
    from shared.platform.dynamo import deserialise

    events = next(t for t in TABLES if t.logical_id == "EventsTable")
    return [deserialise(i) for i in dynamodb.scan(TableName=events.local_name)["Items"]]


def event_items(dynamodb) -> list[dict]:
    """The events table's items in the domain's names, read as the application reads them."""
    from shared.platform.event_items import read_event

    return [read_event(item) for item in stored_event_items(dynamodb)]


@pytest.fixture
def moto_server(monkeypatch):
    """Local mode's emulator (moto server) on a free port with the stack's resources: for threads racing over HTTP."""
    from local.emulator import start_emulator

    emulator = start_emulator(port=0)
    # moto's state is per process, shared by every emulator this process starts: begin from nothing.
    requests.post(f"{emulator.endpoint_url}/moto-api/reset", timeout=10)
    try:
        for name, value in {
            "AWS_ENDPOINT_URL": emulator.endpoint_url,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
        }.items():
            monkeypatch.setenv(name, value)
        for table in TABLES:
            monkeypatch.setenv(table.env_var, table.local_name)
        wiring.reset()
        yield create_resources(emulator_clients(emulator.endpoint_url))
    finally:
        wiring.reset()
        requests.post(f"{emulator.endpoint_url}/moto-api/reset", timeout=10)
        emulator.stop()
