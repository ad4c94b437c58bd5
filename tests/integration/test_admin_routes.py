from __future__ import annotations

import json

from tests.integration.conftest import CAMPAIGN


def test_campaign_is_created_with_defaults_and_read_back(api):
    created = api("POST", "/v1/campaigns", body=CAMPAIGN)
    assert created["statusCode"] == 201
    assert created["json"]["attribution_window_days"] == 30
    assert created["json"]["currency"] == "USD"
    assert created["json"]["rewards"]["holding_days"] == 14
    assert created["json"]["rewards"]["first_purchase_only"] is True
    assert created["json"]["rewards"]["friend"] is None
    read = api("GET", "/v1/campaigns/spring")
    assert read["statusCode"] == 200
    assert read["json"] == created["json"]


def test_existing_campaign_id_is_a_conflict_and_keeps_the_first(api):
    api("POST", "/v1/campaigns", body=CAMPAIGN)
    again = api("POST", "/v1/campaigns", body={**CAMPAIGN, "name": "Other"})
    assert again["statusCode"] == 409
    assert again["json"]["error"]["code"] == "campaign_exists"
    assert api("GET", "/v1/campaigns/spring")["json"]["name"] == "Spring referrals"


def test_unknown_campaign_is_404_with_the_error_shape(api):
    response = api("GET", "/v1/campaigns/nope")
    assert response["statusCode"] == 404
    assert set(response["json"]["error"]) == {"code", "message"}


def test_bad_campaign_bodies_are_400_and_store_nothing(api, aws):
    bad_bodies = [
        {**CAMPAIGN, "destination_url": "http://shop.example.com/"},
        {**CAMPAIGN, "destination_url": "javascript:alert(1)"},
        {**CAMPAIGN, "destination_url": "https://user:pw@shop.example.com/"},
        {**CAMPAIGN, "campaign_id": "Has Spaces"},
        {**CAMPAIGN, "rewards": {"advocate": {"type": "percent", "value": 150}}},
        {**CAMPAIGN, "rewards": {"advocate": {"type": "bogus", "value": 1}}},
        {**CAMPAIGN, "currency": "usd"},
        {**CAMPAIGN, "surprise": True},
        {k: v for k, v in CAMPAIGN.items() if k != "name"},
        [],
        "text",
    ]
    for body in bad_bodies:
        response = api("POST", "/v1/campaigns", body=body)
        assert response["statusCode"] == 400, body
        assert response["json"]["error"]["code"] == "invalid_request"
    malformed = api("POST", "/v1/campaigns", raw_body="{not json", headers={"content-type": "application/json"})
    assert malformed["statusCode"] == 400
    assert malformed["json"]["error"]["code"] == "malformed_json"
    assert aws.scan(TableName="wom-referrals")["Items"] == []


def test_enrolling_the_same_customer_twice_returns_the_same_advocate(api):
    api("POST", "/v1/campaigns", body=CAMPAIGN)
    first = api("POST", "/v1/campaigns/spring/advocates", body={"customer_id": "c-9"})
    second = api("POST", "/v1/campaigns/spring/advocates", body={"customer_id": "c-9"})
    assert (first["statusCode"], second["statusCode"]) == (201, 200)
    assert first["json"] == second["json"]
    assert first["json"]["link"] == f"https://wom.example.com/r/{first['json']['code']}"
    other = api("POST", "/v1/campaigns/spring/advocates", body={"customer_id": "c-10"})
    assert other["json"]["code"] != first["json"]["code"]


def test_advocate_for_unknown_campaign_is_404(api):
    response = api("POST", "/v1/campaigns/ghost/advocates", body={"customer_id": "c"})
    assert response["statusCode"] == 404
    assert response["json"]["error"]["code"] == "campaign_not_found"


def test_bad_advocate_bodies_are_400(api, aws):
    api("POST", "/v1/campaigns", body=CAMPAIGN)
    before = aws.scan(TableName="wom-referrals")["Count"]
    for body in ({}, {"customer_id": ""}, {"customer_id": "x" * 129}, {"customer_id": "c", "email": "nope"}, {"customer_id": 5}):
        response = api("POST", "/v1/campaigns/spring/advocates", body=body)
        assert response["statusCode"] == 400, body
    assert aws.scan(TableName="wom-referrals")["Count"] == before


def test_email_is_kept_only_as_a_keyed_hash(api, aws, advocate):
    dump = json.dumps(aws.scan(TableName="wom-referrals")["Items"]).lower()
    assert "ada@example.com" not in dump
    assert "example.com" not in dump.replace("shop.example.com", "")


def test_openapi_document_lists_every_route(api):
    from shared.platform.deployment import ROUTES

    response = api("GET", "/openapi.json")
    assert response["statusCode"] == 200
    document = json.loads(response["body"])
    assert response["body"] == json.dumps(document, separators=(",", ":")), "compact, like every answer"
    for route in ROUTES:
        if route.method == "OPTIONS" or route.path == "/openapi.json":
            continue
        assert route.method.lower() in document["paths"][route.path], route


def test_in_aws_the_email_hash_key_comes_from_secrets_manager(api, aws, monkeypatch):
    import boto3

    from shared import wiring
    from shared.platform.privacy import email_hash

    arn = boto3.client("secretsmanager").create_secret(Name="wom/hash-key", SecretString="s3cr3t-key")["ARN"]
    monkeypatch.setenv("WOM_HASH_KEY_SECRET_ARN", arn)
    wiring.reset()
    api("POST", "/v1/campaigns", body=CAMPAIGN)
    created = api("POST", "/v1/campaigns/spring/advocates", body={"customer_id": "c-1", "email": "Bo@Example.com"})
    stored = wiring.campaigns().campaigns.get_advocate(created["json"]["advocate_id"])
    assert stored.email_hash == email_hash(b"s3cr3t-key", "bo@example.com")
    assert stored.email_hash != email_hash(b"local-hash-key", "bo@example.com")


def _pages(api, path: str, key: str, **query) -> list[list[dict]]:
    pages, cursor = [], None
    while True:
        response = api("GET", path, query={**query, **({"cursor": cursor} if cursor else {})})
        assert response["statusCode"] == 200, response
        pages.append(response["json"][key])
        cursor = response["json"]["next_cursor"]
        if cursor is None:
            return pages


def test_campaigns_are_listed_by_id_a_page_at_a_time(api):
    for campaign_id in ("winter", "autumn", "spring", "summer", "zeta"):
        assert api("POST", "/v1/campaigns", body={**CAMPAIGN, "campaign_id": campaign_id})["statusCode"] == 201
    pages = _pages(api, "/v1/campaigns", "campaigns", limit="2")
    assert [len(page) for page in pages] in ([2, 2, 1], [2, 2, 1, 0])
    listed = [campaign for page in pages for campaign in page]
    assert [c["campaign_id"] for c in listed] == ["autumn", "spring", "summer", "winter", "zeta"]
    assert listed[1] == api("GET", "/v1/campaigns/spring")["json"]
    assert api("GET", "/v1/campaigns", query={"cursor": "bogus"})["json"]["error"]["code"] == "invalid_cursor"
    assert api("GET", "/v1/campaigns", query={"limit": "0"})["statusCode"] == 400


def test_a_campaigns_advocates_are_listed_and_looked_up_by_customer_id(api):
    api("POST", "/v1/campaigns", body=CAMPAIGN)
    api("POST", "/v1/campaigns", body={**CAMPAIGN, "campaign_id": "other"})
    enrolled = {c: api("POST", "/v1/campaigns/spring/advocates", body={"customer_id": c})["json"] for c in ("c-3", "c-1", "c-2")}
    api("POST", "/v1/campaigns/other/advocates", body={"customer_id": "c-9"})
    pages = _pages(api, "/v1/campaigns/spring/advocates", "advocates", limit="2")
    listed = [a for page in pages for a in page]
    # Each once, in the order of their customer keys (keyed hashes: the table holds no raw id in a key).
    assert sorted(a["customer_id"] for a in listed) == ["c-1", "c-2", "c-3"]
    for advocate in listed:
        assert {k: advocate[k] for k in ("advocate_id", "code", "link")} == enrolled[advocate["customer_id"]]
        assert advocate["campaign_id"] == "spring" and advocate["created_at"].endswith("Z")
    found = api("GET", "/v1/campaigns/spring/advocates", query={"customer_id": "c-2"})["json"]
    assert found == {"advocates": [next(a for a in listed if a["customer_id"] == "c-2")], "next_cursor": None}
    assert api("GET", "/v1/campaigns/spring/advocates", query={"customer_id": "c-9"})["json"] == {"advocates": [], "next_cursor": None}
    assert api("GET", "/v1/campaigns/ghost/advocates")["json"]["error"]["code"] == "campaign_not_found"
    other_cursor = api("GET", "/v1/campaigns/spring/advocates", query={"limit": "1"})["json"]["next_cursor"]
    assert api("GET", "/v1/campaigns/other/advocates", query={"cursor": other_cursor})["statusCode"] == 400


def test_an_attribution_window_longer_than_the_hot_window_is_refused(api, aws, monkeypatch):
    from shared import wiring
    from shared.platform.resources import REFERRALS_TABLE

    monkeypatch.setenv("WOM_HOT_EVENT_DAYS", "20")
    wiring.reset()
    refused = api("POST", "/v1/campaigns", body={**CAMPAIGN, "attribution_window_days": 21})
    assert refused["statusCode"] == 400
    assert refused["json"]["error"]["code"] == "attribution_window_too_long"
    assert "20" in refused["json"]["error"]["message"]
    assert aws.scan(TableName=REFERRALS_TABLE.local_name)["Items"] == []
    assert api("POST", "/v1/campaigns", body={**CAMPAIGN, "attribution_window_days": 20})["statusCode"] == 201
    patched = api("PATCH", "/v1/campaigns/spring", body={"attribution_window_days": 30})
    assert patched["statusCode"] == 400 and patched["json"]["error"]["code"] == "attribution_window_too_long"
    assert api("GET", "/v1/campaigns/spring")["json"]["attribution_window_days"] == 20
    # The default hot window (35 days) admits the default attribution window (30).
    monkeypatch.delenv("WOM_HOT_EVENT_DAYS")
    wiring.reset()
    assert api("PATCH", "/v1/campaigns/spring", body={"attribution_window_days": 35})["statusCode"] == 200
    assert api("PATCH", "/v1/campaigns/spring", body={"attribution_window_days": 36})["statusCode"] == 400
