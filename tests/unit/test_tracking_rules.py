"""Pure tracking rules: codes, bots, hashing, dedupe keys and link targets. No AWS, no network."""

from __future__ import annotations

from bench.scale import PARTITION_WRITE_LIMIT_PER_SECOND, partition_write_rate

from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from shared.platform import keys
from shared.tracking.bots import is_bot, is_preview_fetcher
from shared.tracking.channels import normalise_channel
from shared.platform.ids import CODE_ALPHABET, is_valid_code, new_advocate_id, new_code
from shared.platform.errors import InvalidRequest
from shared.tracking.links import referral_redirect_url
from shared.tracking.models import LinkTarget
from shared.platform.privacy import email_hash, tracking_opted_out, visitor_hash
from shared.tracking.rules import Visitor, hashes_visitor, plan_click, plan_share_or_view
from tests.support.http_events import BROWSER_UA

NOW = datetime(2026, 11, 22, 14, 30, tzinfo=UTC)
TARGET = LinkTarget(code="abcdefghjk", campaign_id="spring", advocate_id="adv_1", destination_url="https://shop.example.com/")
HUMAN = Visitor(ip="203.0.113.9", user_agent="Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/130.0", opted_out=False)


def salt_for(day: date) -> bytes:
    return day.isoformat().encode() * 2


# --- codes -----------------------------------------------------------------

def test_codes_are_url_safe_unambiguous_and_distinct():
    codes = {new_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(is_valid_code(c) for c in codes)
    assert not set("01ilo") & set(CODE_ALPHABET)
    # 31^10 possibilities: guessing one live code among a million takes ~8e8 tries.
    assert len(CODE_ALPHABET) ** 10 > 10**14


def test_code_validation_rejects_foreign_shapes():
    for bad in ("", "ABCDEFGHJK", "abcdefghj", "abcdefghjkm", "abcdefghj0", "abcde/ghjk"):
        assert not is_valid_code(bad)
    assert new_advocate_id().startswith("adv_")


# --- bots ------------------------------------------------------------------

@pytest.mark.parametrize(
    "ua",
    [
        "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
        "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
        "Twitterbot/1.0",
        "WhatsApp/2.23.20.0 A",
        "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
        "TelegramBot (like TwitterBot)",
        "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "curl/8.4.0",
        "",
        "   ",
    ],
)
def test_bots_and_link_previewers_are_detected(ua):
    assert is_bot(ua)


@pytest.mark.parametrize(
    "ua",
    [
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (X11; Linux x86_64; rv:130.0) Gecko/20100101 Firefox/130.0",
    ],
)
def test_browsers_are_people(ua):
    assert not is_bot(ua)


PREVIEW_FETCHERS = [
    "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "Twitterbot/1.0",
    "WhatsApp/2.23.20.0 A",
    "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
    "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
]
# What storefront servers and mobile apps post events with (SPEC §3.1): counted, never flagged.
EVENT_POSTERS = [
    "python-requests/2.32.3", "okhttp/4.12.0", "curl/8.4.0", "Go-http-client/2.0", "axios/1.7.2", "node-fetch/1.0",
    "Java/17.0.2", "Apache-HttpClient/4.5.14 (Java/17)", "Ruby", "MyShop/3.2 (iPhone; iOS 17.5; Scale/3.00)",
    "Dalvik/2.1.0 (Linux; U; Android 14; Pixel 8)", "", BROWSER_UA,
]


@pytest.mark.parametrize("ua", PREVIEW_FETCHERS)
def test_link_preview_fetchers_posting_events_are_flagged(ua):
    visitor = Visitor(ip="203.0.113.1", user_agent=ua, opted_out=False)
    assert is_preview_fetcher(ua)
    for kind in ("share", "view"):
        assert plan_share_or_view(kind, TARGET, visitor, NOW, "api", 400, posted=True).attributes["bot"] is True


@pytest.mark.parametrize("ua", EVENT_POSTERS)
def test_servers_and_apps_posting_events_are_counted_while_their_pixel_loads_are_not(ua):
    visitor = Visitor(ip="203.0.113.1", user_agent=ua, opted_out=False)
    assert not is_preview_fetcher(ua)
    for kind in ("share", "view"):
        assert plan_share_or_view(kind, TARGET, visitor, NOW, "api", 400, posted=True).attributes["bot"] is False
    # A pixel is loaded, not posted: a script loading it is a bot, as for links.
    assert plan_share_or_view("share", TARGET, visitor, NOW, "pixel", 400).attributes["bot"] is is_bot(ua)


# --- hashing ---------------------------------------------------------------

def test_visitor_hash_is_stable_within_a_day_and_unlinkable_across_salts():
    today, tomorrow = salt_for(date(2026, 11, 22)), salt_for(date(2026, 11, 23))
    first = visitor_hash(today, "203.0.113.9", "UA", "abcdefghjk")
    assert first == visitor_hash(today, "203.0.113.9", "UA", "abcdefghjk")
    assert first != visitor_hash(tomorrow, "203.0.113.9", "UA", "abcdefghjk")
    assert first != visitor_hash(today, "203.0.113.9", "UA", "bcdefghjkm")
    assert first != visitor_hash(today, "203.0.113.10", "UA", "abcdefghjk")
    assert "203.0.113.9" not in first and len(first) == 32


def test_email_hash_normalises_and_is_keyed():
    key = b"k1"
    assert email_hash(key, " Ada@Example.COM ") == email_hash(key, "ada@example.com")
    assert email_hash(b"k2", "ada@example.com") != email_hash(key, "ada@example.com")
    assert "ada" not in email_hash(key, "ada@example.com")


def test_dnt_and_gpc_opt_out():
    assert tracking_opted_out({"dnt": "1"})
    assert tracking_opted_out({"sec-gpc": "1"})
    assert not tracking_opted_out({"dnt": "0"})
    assert not tracking_opted_out({})


# --- dedupe keys -----------------------------------------------------------

def test_same_visitor_same_hour_is_the_same_click_item():
    first_id, first = plan_click(TARGET, HUMAN, salt_for(NOW.date()), NOW, "redirect", 400)
    again_id, again = plan_click(TARGET, HUMAN, salt_for(NOW.date()), NOW + timedelta(minutes=20), "redirect", 400)
    assert first_id == again_id and first.key == again.key and first.repeatable
    next_hour_id, next_hour = plan_click(TARGET, HUMAN, salt_for(NOW.date()), NOW + timedelta(minutes=31), "redirect", 400)
    assert next_hour_id != first_id and next_hour.key != first.key


def test_bots_and_opted_out_visitors_are_never_merged():
    bot = Visitor(ip=HUMAN.ip, user_agent="Twitterbot/1.0", opted_out=False)
    opted_out = Visitor(ip=HUMAN.ip, user_agent=HUMAN.user_agent, opted_out=True)

    # No visitor hash is made for them: they need no salt.
    for visitor in (bot, opted_out):
        assert not hashes_visitor(visitor)
        ids = {plan_click(TARGET, visitor, None, NOW, "redirect", 400)[0] for _ in range(5)}
        assert len(ids) == 5
    _, record = plan_click(TARGET, bot, None, NOW, "redirect", 400)
    assert record.attributes["bot"] is True and "visitor" not in record.attributes
    with pytest.raises(ValueError, match="salt"):
        plan_click(TARGET, HUMAN, None, NOW, "redirect", 400)


def test_click_ids_name_their_own_item():
    click_id, record = plan_click(TARGET, HUMAN, salt_for(NOW.date()), NOW, "redirect", 400)
    reference = keys.parse_click_id(click_id)
    assert reference is not None and reference.code == TARGET.code and reference.day == NOW.date()
    assert keys.click_key(TARGET.campaign_id, reference) == record.key
    for bad in ("", "abcdefghjk", "abcdefghjk.2026113299aaaaaaaaaaaaaaaa", "abcdefghjk.2026022912" + "a" * 15, "x" * 40):
        assert keys.parse_click_id(bad) is None


def test_client_event_ids_make_retries_the_same_item():
    a = plan_share_or_view("share", TARGET, HUMAN, NOW, "api", 400, channel="email", event_id="e-1")
    b = plan_share_or_view("share", TARGET, HUMAN, NOW, "api", 400, channel="email", event_id="e-1")
    c = plan_share_or_view("view", TARGET, HUMAN, NOW, "api", 400, event_id="e-1")
    anonymous = {plan_share_or_view("view", TARGET, HUMAN, NOW, "api", 400).key["sk"] for _ in range(3)}
    assert a.key == b.key and a.key != c.key and len(anonymous) == 3


def test_events_land_in_their_campaign_day_partition_and_expire():
    record = plan_share_or_view("view", TARGET, HUMAN, NOW, "pixel", 400)
    assert record.key["pk"] in keys.day_partitions("spring", NOW.date())
    assert record.attributes["expires_at"] == int((NOW + timedelta(days=400)).timestamp())
    yesterday = plan_share_or_view("view", TARGET, HUMAN, NOW, "api", 400, occurred_at=NOW - timedelta(hours=20))
    assert yesterday.key["pk"] in keys.day_partitions("spring", date(2026, 11, 21))


@pytest.mark.parametrize("offset", [timedelta(hours=-25), timedelta(minutes=6)])
def test_implausible_occurred_at_is_rejected(offset):
    with pytest.raises(InvalidRequest):
        plan_share_or_view("view", TARGET, HUMAN, NOW, "api", 400, occurred_at=NOW + offset)


def test_one_campaign_at_ten_thousand_events_per_second_has_no_hot_partition():
    assert partition_write_rate(10_000) < PARTITION_WRITE_LIMIT_PER_SECOND / 2
    # The hash spreads a second of distinct clicks evenly over the shards.
    counts = [0] * keys.EVENT_SHARDS
    for n in range(10_000):
        counts[keys.shard_of(f"click-{n}")] += 1
    assert max(counts) < PARTITION_WRITE_LIMIT_PER_SECOND / 2
    assert min(counts) > 10_000 / keys.EVENT_SHARDS / 2


# --- channels and link targets --------------------------------------------

def test_channels_normalise():
    assert normalise_channel("WhatsApp") == "whatsapp"
    assert normalise_channel("copy_link") == "copy_link"
    assert normalise_channel("pigeon") == "other"
    assert normalise_channel(None) is None


@pytest.mark.parametrize(
    "destination,expected_query,fragment",
    [
        ("https://shop.example.com/p", "wom_ref=abcdefghjk&wom_click=C", ""),
        ("https://shop.example.com/p?a=1&b=x%20y&c=%2B#top", "a=1&b=x%20y&c=%2B&wom_ref=abcdefghjk&wom_click=C", "top"),
        ("https://shop.example.com/p?wom_ref=old&a=1&wom_click=old#f", "a=1&wom_ref=abcdefghjk&wom_click=C", "f"),
        ("https://shop.example.com/p?flag#", "flag&wom_ref=abcdefghjk&wom_click=C", ""),
    ],
)
def test_wom_parameters_merge_into_the_destination(destination, expected_query, fragment):
    url = referral_redirect_url(destination, "abcdefghjk", "C")
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "shop.example.com", "/p")
    assert parts.query == expected_query
    assert parts.fragment == fragment
    assert parse_qs(parts.query)["wom_ref"] == ["abcdefghjk"]
