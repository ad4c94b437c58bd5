"""POST /v1/events over real HTTP: per-event acceptance, batch-level 400s, idempotent retries (SPEC §3.1)."""

from __future__ import annotations

import json

import pytest

from tests.e2e.support import Advocate, Api, Storage, assert_error_shape

pytestmark = pytest.mark.e2e


def post_events(api: Api, body: object | bytes | str, content_type: str | None = "application/json"):
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    # Without a Content-Type, API Gateway hands the body over base64-encoded.
    return api.post("/v1/events", data=data, headers={"Content-Type": content_type} if content_type else {})


def test_a_mixed_batch_accepts_the_valid_events_and_names_the_rejected_ones(api: Api, storage: Storage, advocate: Advocate):
    code = advocate.code
    events = [
        {"type": "share", "code": code, "channel": "whatsapp"},  # 0 ok
        {"type": "purchase", "code": code},  # 1 unknown type
        {"type": "view", "code": code},  # 2 ok
        {"type": "share"},  # 3 no code
        {"type": "share", "code": "unknown-code-e2e"},  # 4 unknown code
        {"type": "share", "code": 12345},  # 5 code not a string
        {"type": "click", "code": code, "channel": "sms"},  # 6 ok
        "not an object",  # 7
        {"type": "share", "code": code, "occurred_at": "yesterday-ish"},  # 8 bad timestamp
        {"type": "share", "code": code, "surprise": True},  # 9 unknown field
        {"type": "view", "code": code, "event_id": "has spaces and / slashes"},  # 10 bad event_id
    ]
    response = post_events(api, {"events": events})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["accepted"] == 3
    assert sorted(r["index"] for r in body["rejected"]) == [1, 3, 4, 5, 7, 8, 9, 10]
    for rejected in body["rejected"]:
        assert isinstance(rejected["error"]["code"], str) and rejected["error"]["code"]
        assert isinstance(rejected["error"]["message"], str) and rejected["error"]["message"]

    recorded = sorted((item["kind"], item.get("channel")) for item in storage.events(code))
    assert recorded == [("click", "sms"), ("share", "whatsapp"), ("view", None)]
    assert storage.events("unknown-code-e2e") == []


def test_a_retried_event_id_is_recorded_once(api: Api, storage: Storage, advocate: Advocate):
    batch = {"events": [{"type": "share", "code": advocate.code, "channel": "email", "event_id": "e2e-retry-1"}]}
    for _ in range(3):
        response = post_events(api, batch)
        assert response.status_code == 200, response.text
        assert response.json()["rejected"] == []
    assert [(item["kind"], item["channel"]) for item in storage.events(advocate.code)] == [("share", "email")]


def _batch(code: str, size: int) -> dict:
    return {"events": [{"type": "view", "code": code} for _ in range(size)]}


@pytest.mark.parametrize(
    "body",
    [
        "{not json",
        "",
        "[]",
        '"events"',
        "null",
        "{}",
        '{"events": "share"}',
        '{"events": {"type": "share"}}',
        '{"events": []}',
        "101 events",
    ],
    ids=["malformed", "empty", "array", "string", "null", "no-events", "events-string", "events-object", "zero", "101"],
)
def test_a_malformed_batch_is_400_with_the_error_shape_and_records_nothing(api: Api, storage: Storage, advocate: Advocate, body):
    if body == "101 events":
        body = _batch(advocate.code, 101)
    assert_error_shape(post_events(api, body), 400)
    assert storage.events(advocate.code) == []


@pytest.mark.parametrize("content_type", ["application/json", None])
def test_a_body_that_is_not_utf8_is_400(api: Api, storage: Storage, advocate: Advocate, content_type):
    body = b'{"events": [{"type": "share", "code": "' + advocate.code.encode() + b'", "channel": "\xff\xfe"}]}'
    assert_error_shape(post_events(api, body, content_type), 400)
    assert storage.events(advocate.code) == []


def test_one_hundred_events_are_accepted(api: Api, storage: Storage, advocate: Advocate):
    response = post_events(api, _batch(advocate.code, 100))
    assert response.status_code == 200, response.text
    assert response.json() == {"accepted": 100, "rejected": []}
    assert len(storage.events(advocate.code)) == 100
