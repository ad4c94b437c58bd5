from __future__ import annotations

import base64
import json
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.integration.conftest import all_items, event_items, stored_event_items
from tests.support.http_events import BROWSER_UA

SLACK = "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)"


def _clicks(dynamodb):
    return [i for i in event_items(dynamodb) if i["kind"] == "click"]


def test_redirect_goes_to_the_destination_with_wom_parameters(api, advocate, aws):
    response = api("GET", f"/r/{advocate['code']}")
    assert response["statusCode"] == 302
    assert response["headers"]["Cache-Control"] == "no-store"
    location = urlsplit(response["headers"]["Location"])
    assert (location.scheme, location.netloc, location.path, location.fragment) == ("https", "shop.example.com", "/landing", "offer")
    assert location.query.startswith("utm_source=wom&x=a%20b&")
    params = parse_qs(location.query)
    assert params["wom_ref"] == [advocate["code"]]
    [click] = _clicks(aws)
    assert params["wom_click"] == [click["click_id"]]
    assert click["hits"] == 1 and click["bot"] is False and click["advocate_id"] == advocate["advocate_id"]


@pytest.mark.parametrize(
    "query,headers",
    [
        ({"url": "https://evil.example/"}, {}),
        ({"destination": "https://evil.example/", "next": "//evil.example", "redirect": "https://evil.example"}, {}),
        ({"wom_ref": "zzzzzzzzzz", "wom_click": "forged"}, {}),
        ({}, {"host": "evil.example", "x-forwarded-host": "evil.example", "referer": "https://evil.example/"}),
    ],
)
def test_no_parameter_or_header_changes_the_target(api, advocate, query, headers):
    response = api("GET", f"/r/{advocate['code']}", query=query, headers=headers)
    location = urlsplit(response["headers"]["Location"])
    assert location.netloc == "shop.example.com"
    assert "evil" not in response["headers"]["Location"]
    assert parse_qs(location.query)["wom_ref"] == [advocate["code"]]


def test_unknown_code_is_a_404_page_and_records_nothing(api, advocate, aws):
    for code in ("zzzzzzzzzz", "not-a-code", "%00", "a" * 500):
        response = api("GET", f"/r/{code}")
        assert response["statusCode"] == 404
        assert response["headers"]["Content-Type"].startswith("text/html")
    assert event_items(aws) == []


def test_repeat_click_within_the_hour_is_recorded_once(api, advocate, aws):
    first = api("GET", f"/r/{advocate['code']}")
    second = api("GET", f"/r/{advocate['code']}")
    assert first["headers"]["Location"] == second["headers"]["Location"]
    [click] = _clicks(aws)
    assert click["hits"] == 2
    other_visitor = api("GET", f"/r/{advocate['code']}", source_ip="198.51.100.4")
    assert other_visitor["headers"]["Location"] != first["headers"]["Location"]
    assert len(_clicks(aws)) == 2


@pytest.mark.parametrize("ua", [SLACK, "facebookexternalhit/1.1", "Twitterbot/1.0", "WhatsApp/2.23.20.0 A", "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)", ""])
def test_bots_and_link_previews_are_redirected_and_flagged(api, advocate, aws, ua):
    response = api("GET", f"/r/{advocate['code']}", user_agent=ua)
    assert response["statusCode"] == 302
    [click] = _clicks(aws)
    assert click["bot"] is True
    assert click["visitor"] is None


def test_head_redirects_but_is_not_recorded(api, advocate, aws):
    response = api("HEAD", f"/r/{advocate['code']}")
    assert response["statusCode"] == 302
    assert urlsplit(response["headers"]["Location"]).netloc == "shop.example.com"
    assert event_items(aws) == []


@pytest.mark.parametrize("header", ["DNT", "Sec-GPC"])
def test_do_not_track_still_counts_without_a_visitor_hash(api, advocate, aws, header):
    api("GET", f"/r/{advocate['code']}", headers={header: "1"})
    api("GET", f"/r/{advocate['code']}", headers={header: "1"})
    clicks = _clicks(aws)
    assert len(clicks) == 2
    # No hash of the visitor: each click's token is random, so each is a visitor of its own.
    assert all(c["bot"] is False and c["hits"] == 1 for c in clicks)
    assert len({c["visitor"] for c in clicks}) == 2


def test_the_same_visitor_has_one_token_all_day_and_a_click_item_per_hour(api, advocate, aws, monkeypatch):
    from datetime import UTC, datetime

    from shared import wiring

    for hour in (9, 9, 15):
        wiring.use_clock(lambda hour=hour: datetime(2026, 11, 20, hour, 30, tzinfo=UTC))
        api("GET", f"/r/{advocate['code']}")
    clicks = sorted(_clicks(aws), key=lambda c: c["at"])
    assert [c["hits"] for c in clicks] == [2, 1]
    assert clicks[0]["visitor"] == clicks[1]["visitor"] and clicks[0]["click_id"] != clicks[1]["click_id"]


def test_event_items_store_nothing_their_key_or_click_id_holds(api, advocate, aws):
    api("GET", f"/r/{advocate['code']}")
    api("GET", "/p.gif", query={"t": "view", "c": advocate["code"], "ch": "email"})
    api("POST", "/v1/events", body={"events": [{"type": "share", "code": advocate["code"], "event_id": "s-1", "occurred_at": None}]})
    stored = stored_event_items(aws)
    assert len(stored) == 3
    for item in stored:
        assert not {"kind", "campaign_id", "code", "click_id", "visitor", "event_id"} & set(item), item
        assert advocate["code"] not in json.dumps({k: v for k, v in item.items() if k not in ("pk", "sk")}, default=str)
        assert all(len(name) <= 2 for name in item if name not in ("pk", "sk", "expires_at")), item


def test_pixel_records_valid_input(api, advocate, aws):
    response = api("GET", "/p.gif", query={"t": "share", "c": advocate["code"], "ch": "WhatsApp"})
    assert response["statusCode"] == 200
    assert response["headers"]["Content-Type"] == "image/gif"
    assert response["headers"]["Cache-Control"] == "no-store"
    assert len(base64.b64decode(response["body"])) == 43
    api("GET", "/p.gif", query={"t": "view", "c": advocate["code"], "ch": "carrier-pigeon"})
    items = sorted(event_items(aws), key=lambda i: i["kind"])
    assert [(i["kind"], i["channel"]) for i in items] == [("share", "whatsapp"), ("view", "other")]


@pytest.mark.parametrize(
    "query",
    [{}, {"t": "share"}, {"t": "bogus", "c": "x"}, {"t": "share", "c": "zzzzzzzzzz"}, {"t": "view", "c": "x" * 5000}, {"t": "click", "c": "abc"}],
)
def test_pixel_answers_the_gif_whatever_the_input_and_records_nothing_bad(api, advocate, aws, query):
    response = api("GET", "/p.gif", query=query)
    assert response["statusCode"] == 200
    assert base64.b64decode(response["body"]).startswith(b"GIF89a")
    assert event_items(aws) == []


def test_event_batch_accepts_valid_and_rejects_invalid_by_index(api, advocate, aws):
    code = advocate["code"]
    body = {
        "events": [
            {"type": "share", "code": code, "channel": "email", "event_id": "e-1"},
            {"type": "like", "code": code},
            {"type": "view", "code": "zzzzzzzzzz"},
            {"type": "view", "code": code, "occurred_at": "1999-01-01T00:00:00Z"},
            "not an object",
            {"type": "click", "code": code},
            {"type": "share", "code": code, "channel": "email", "event_id": "e-1"},
        ]
    }
    response = api("POST", "/v1/events", body=body)
    assert response["statusCode"] == 200
    assert response["json"]["accepted"] == 3
    rejected = {r["index"]: r["error"]["code"] for r in response["json"]["rejected"]}
    assert rejected == {1: "invalid_event", 2: "unknown_code", 3: "occurred_at_out_of_range", 4: "invalid_event"}
    # The retried event_id is one item; the click is one more.
    assert sorted(i["kind"] for i in event_items(aws)) == ["click", "share"]
    api("POST", "/v1/events", body={"events": [{"type": "share", "code": code, "channel": "email", "event_id": "e-1"}]})
    assert sorted(i["kind"] for i in event_items(aws)) == ["click", "share"]


@pytest.mark.parametrize(
    "raw",
    ["{not json", "[]", '{"events": []}', json.dumps({"events": [{"type": "share", "code": "x"}] * 101}), '{"events": "x"}', "null", '{"other": 1}'],
)
def test_malformed_event_batches_are_400_and_store_nothing(api, advocate, aws, raw):
    response = api("POST", "/v1/events", raw_body=raw, headers={"content-type": "application/json"})
    assert response["statusCode"] == 400
    assert set(response["json"]["error"]) == {"code", "message"}
    assert event_items(aws) == []


def test_a_beacon_posted_as_text_plain_is_recorded(api, advocate, aws):
    # navigator.sendBeacon posts text/plain to avoid a CORS preflight.
    raw = json.dumps({"events": [{"type": "share", "code": advocate["code"], "channel": "copy"}]})
    response = api("POST", "/v1/events", raw_body=raw, headers={"content-type": "text/plain;charset=UTF-8"})
    assert response["statusCode"] == 200 and response["json"]["accepted"] == 1
    assert [i["kind"] for i in event_items(aws)] == ["share"]


@pytest.mark.parametrize("content_type", ["application/xml", "image/png"])
def test_other_media_types_are_415_and_store_nothing(api, advocate, aws, content_type):
    raw = json.dumps({"events": [{"type": "share", "code": advocate["code"]}]})
    response = api("POST", "/v1/events", raw_body=raw, headers={"content-type": content_type})
    assert response["statusCode"] == 415
    assert set(response["json"]["error"]) == {"code", "message"}
    assert event_items(aws) == []


@pytest.mark.parametrize("content_type", ["application/json", None])
def test_a_body_that_is_not_utf8_is_400(api, advocate, aws, content_type):
    raw = json.dumps({"events": [{"type": "share", "code": advocate["code"], "channel": "NAME"}]}).encode()
    headers = {"content-type": content_type} if content_type else {}
    response = api("POST", "/v1/events", raw_body=raw.replace(b"NAME", b"caf\xe9"), headers=headers)
    assert response["statusCode"] == 400
    assert response["json"]["error"]["code"] == "malformed_json"
    assert event_items(aws) == []


def test_no_raw_ip_user_agent_or_email_is_stored_anywhere(api, advocate, aws):
    code = advocate["code"]
    api("GET", f"/r/{code}", source_ip="192.0.2.55")
    api("GET", f"/r/{code}", source_ip="192.0.2.56", user_agent=SLACK)
    api("GET", "/p.gif", query={"t": "view", "c": code}, source_ip="192.0.2.57")
    api("POST", "/v1/events", body={"events": [{"type": "share", "code": code}]}, source_ip="192.0.2.58")
    dump = json.dumps(all_items(aws))
    assert len(event_items(aws)) == 4
    for secret in ("192.0.2.", BROWSER_UA, "Slackbot", "Safari", "Ada@Example.com".lower(), "ada@example.com"):
        assert secret.lower() not in dump.lower()


@pytest.mark.parametrize(("path", "built"), [("/wom.js", "wom.min.js"), ("/wom-advocate.js", "wom-advocate.min.js")])
def test_the_tracking_function_serves_the_storefront_scripts_gzipped_when_allowed_and_stores_nothing(api, aws, path, built):
    import gzip

    from shared.tracking.scripts import STATIC

    script = (STATIC / built).read_bytes()
    before = all_items(aws)
    zipped = api("GET", path, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert zipped["statusCode"] == 200 and zipped["isBase64Encoded"] is True
    assert zipped["headers"]["Content-Type"] == "application/javascript; charset=utf-8"
    assert (zipped["headers"]["Content-Encoding"], zipped["headers"]["Vary"]) == ("gzip", "Accept-Encoding")
    assert zipped["headers"]["Cache-Control"] == "public, max-age=3600"
    assert gzip.decompress(base64.b64decode(zipped["body"])) == script

    plain = api("GET", path, headers={"Accept-Encoding": "identity"})
    assert plain["isBase64Encoded"] is False and plain["body"].encode() == script
    assert "Content-Encoding" not in plain["headers"]

    again = api("GET", path, headers={"Accept-Encoding": "gzip", "If-None-Match": zipped["headers"]["ETag"]})
    assert (again["statusCode"], again["body"]) == (304, "")
    assert all_items(aws) == before, "serving the script records nothing"
