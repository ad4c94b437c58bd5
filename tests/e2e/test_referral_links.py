"""GET/HEAD /r/{code} over real HTTP: where it sends people, and what it records (SPEC §3.1)."""

from __future__ import annotations

from datetime import datetime, timezone
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.e2e.support import DESTINATION, Advocate, Api, Storage

pytestmark = pytest.mark.e2e

DESTINATION_PARTS = urlsplit(DESTINATION)

BOT_USER_AGENTS = (
    "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "Twitterbot/1.0",
    "WhatsApp/2.23.20.0 A",
    "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
)


def redirect_target(response, code: str) -> dict[str, list[str]]:
    """Asserts the answer is the redirect to the stored destination; returns its query."""
    assert response.status_code == 302, response.text
    assert "no-store" in response.headers.get("Cache-Control", "")
    location = urlsplit(response.headers["Location"])
    assert (location.scheme, location.netloc, location.path) == (
        DESTINATION_PARTS.scheme,
        DESTINATION_PARTS.netloc,
        DESTINATION_PARTS.path,
    ), response.headers["Location"]
    assert location.fragment == DESTINATION_PARTS.fragment
    query = parse_qs(location.query, keep_blank_values=True)
    assert query["utm_source"] == ["wom"]
    assert query["wom_ref"] == [code]
    assert len(query["wom_click"]) == 1 and query["wom_click"][0]
    return query


def clicks(storage: Storage, code: str) -> list[dict]:
    items = storage.events(code)
    assert all(item["kind"] == "click" for item in items), items
    return items


def test_link_redirects_to_the_destination_with_ref_and_click_and_records_the_click(api: Api, storage: Storage, advocate: Advocate):
    assert urlsplit(advocate.link).path == advocate.path
    response = api.get(advocate.path)
    query = redirect_target(response, advocate.code)

    [click] = clicks(storage, advocate.code)
    assert click["campaign_id"] == advocate.campaign_id
    assert click["bot"] is False
    assert click["hits"] == 1
    assert click["click_id"] == query["wom_click"][0]


@pytest.mark.parametrize(
    ("params", "headers"),
    [
        ({"url": "https://evil.example/phish"}, {}),
        ({"destination": "https://evil.example/"}, {}),
        ({"next": "https://evil.example/"}, {}),
        ({"redirect_uri": "//evil.example", "return_to": "https://evil.example"}, {}),
        ({"wom_ref": "hijacked", "wom_click": "forged", "utm_source": "evil"}, {}),
        ({}, {"Host": "evil.example"}),
        ({}, {"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "http"}),
        ({}, {"Referer": "https://evil.example/page", "Origin": "https://evil.example"}),
    ],
    ids=["url", "destination", "next", "redirect_uri", "own-params", "host", "x-forwarded-host", "referer"],
)
def test_no_request_parameter_or_header_changes_where_the_redirect_goes(api: Api, advocate: Advocate, params, headers):
    response = api.get(advocate.path, params=params, headers=headers)
    query = redirect_target(response, advocate.code)
    assert "evil" not in response.headers["Location"]
    assert query["wom_click"] != ["forged"]


@pytest.mark.parametrize("code", ["zzzzzzzzzz", "A" * 300, "%C3%28", "%00", "..%2F..%2Fetc"])
def test_unknown_code_is_404_and_nothing_is_recorded(api: Api, storage: Storage, code: str):
    response = api.get(f"/r/{code}")
    assert response.status_code == 404
    assert "Location" not in response.headers
    assert storage.events(code) == []


def test_head_redirects_but_is_not_recorded(api: Api, storage: Storage, advocate: Advocate):
    response = api.head(advocate.path)
    redirect_target(response, advocate.code)
    assert response.content == b""
    assert storage.events(advocate.code) == []


def test_bots_are_redirected_and_recorded_as_bots_never_as_clicks(api: Api, storage: Storage, advocate: Advocate):
    for user_agent in BOT_USER_AGENTS:
        redirect_target(api.get(advocate.path, headers={"User-Agent": user_agent}), advocate.code)

    recorded = clicks(storage, advocate.code)
    assert recorded, "bot visits must be recorded"
    assert all(item["bot"] is True for item in recorded), recorded
    assert sum(int(item.get("hits", 1)) for item in recorded) == len(BOT_USER_AGENTS)


def test_the_same_visitor_twice_within_the_hour_is_counted_once(api: Api, storage: Storage, advocate: Advocate):
    started = datetime.now(timezone.utc)
    first = redirect_target(api.get(advocate.path), advocate.code)
    second = redirect_target(api.get(advocate.path), advocate.code)
    if datetime.now(timezone.utc).hour != started.hour:
        pytest.skip("the two clicks straddled an hour boundary")

    [click] = clicks(storage, advocate.code)
    assert click["bot"] is False
    assert click["hits"] == 2
    assert click["click_id"] in (first["wom_click"][0], second["wom_click"][0])

    # Another browser from the same address is another visitor.
    redirect_target(api.get(advocate.path, headers={"User-Agent": "Mozilla/5.0 (iPhone) e2e-second-visitor"}), advocate.code)
    assert len(clicks(storage, advocate.code)) == 2


def test_do_not_track_still_redirects_and_counts(api: Api, storage: Storage, advocate: Advocate):
    redirect_target(api.get(advocate.path, headers={"DNT": "1"}), advocate.code)
    redirect_target(api.get(advocate.path, headers={"Sec-GPC": "1"}), advocate.code)

    recorded = clicks(storage, advocate.code)
    assert recorded and all(item["bot"] is False for item in recorded)
    assert sum(int(item.get("hits", 1)) for item in recorded) == 2
