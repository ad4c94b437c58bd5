"""GET /p.gif over real HTTP: always the 43-byte GIF, and only valid input recorded (SPEC §3.1)."""

from __future__ import annotations

import pytest

from tests.e2e.support import Advocate, Api, Storage

pytestmark = pytest.mark.e2e


def assert_pixel(response) -> None:
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "image/gif"
    assert "no-store" in response.headers.get("Cache-Control", "")
    assert len(response.content) == 43
    assert response.content.startswith(b"GIF8")


def test_share_and_view_pixels_are_recorded_with_their_channel(api: Api, storage: Storage, advocate: Advocate):
    assert_pixel(api.get(f"/p.gif?t=share&c={advocate.code}&ch=email"))
    assert_pixel(api.get(f"/p.gif?t=view&c={advocate.code}&ch=WhatsApp"))
    assert_pixel(api.get(f"/p.gif?t=share&c={advocate.code}&ch=myspace"))

    recorded = sorted((item["kind"], item.get("channel")) for item in storage.events(advocate.code))
    assert recorded == [("share", "email"), ("share", "other"), ("view", "whatsapp")]
    assert all(item["campaign_id"] == advocate.campaign_id for item in storage.events(advocate.code))


GARBAGE = [
    "",
    "?",
    "?t=bogus&c={code}&ch=email",
    "?t=&c={code}",
    "?c={code}",
    "?t=share",
    "?t=share&c=",
    "?t=share&c=unknown-code-e2e",
    "?t=share&c=" + "A" * 5000,
    "?t=bogus&c={code}&ch=" + "x" * 5000,
    "?t=%ff%fe&c={code}",
    "?t=share&c=%C3%28%ff",
    "?t=share&c={code}%00",
    "?t=share&c={code}%ff",
    "?t=share&t=view&c={code}",
    "?t[]=share&c[]={code}",
    "?%ff=%ff&&&==&t",
]


def test_garbage_input_still_gets_the_gif_and_nothing_is_recorded(api: Api, storage: Storage, advocate: Advocate):
    for query in GARBAGE:
        assert_pixel(api.get("/p.gif" + query.format(code=advocate.code)))
    assert storage.events(advocate.code) == []
    assert storage.events("unknown-code-e2e") == []


def test_a_pixel_fetched_by_a_bot_is_recorded_flagged(api: Api, storage: Storage, advocate: Advocate):
    assert_pixel(api.get(f"/p.gif?t=view&c={advocate.code}", headers={"User-Agent": "Googlebot/2.1 (+http://www.google.com/bot.html)"}))
    [view] = storage.events(advocate.code)
    assert (view["kind"], view["bot"]) == ("view", True)
