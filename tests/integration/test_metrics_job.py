"""The metrics job under moto: a scripted day with numbers chosen by hand, through the real handlers.

Every number in EXPECTED is counted by hand from the script in `scripted_day`; the comments there say which
requests count where.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest

from shared.platform import keys
from shared import wiring
from shared.platform.resources import EVENTS_TABLE, METRICS_BUCKET
from shared.metrics.daily import FIELD_NAMES, object_key
from tests.integration.test_conversion_routes import Clock, post

DAY = date(2026, 11, 20)
MORNING = datetime(2026, 11, 20, 9, tzinfo=UTC)
SLACKBOT = "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)"
PREVIEW = "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)"
# Storefront servers and mobile apps post events on an advocate's behalf with their HTTP library's agent.
SERVER = "python-requests/2.32.3"
APP = "okhttp/4.12.0"
CURL = "curl/8.5.0"
TWITTERBOT = "Twitterbot/1.0"
RULES = {"advocate": {"type": "percent", "value": 10}, "friend": {"type": "flat", "value": 500}, "min_order_amount": 1000}

EXPECTED = {
    "campaign_id": "spring",
    "date": "2026-11-20",
    "shares": 7,
    "shares_by_channel": {
        "copy_link": 0, "email": 2, "facebook": 1, "linkedin": 0, "messenger": 0, "other": 1,
        "qr": 0, "sms": 1, "telegram": 0, "whatsapp": 1, "x": 1,
    },
    "sharing_advocates": 3,
    "views": 4,
    "clicks": 8,
    "clicks_raw": 11,
    "bot_clicks": 2,
    "unique_visitors": 7,
    "conversions": 5,
    "unattributed_conversions": 3,
    "new_referred_customers": 4,
    "revenue": 28_800,
    "revenue_by_currency": {"EUR": 12_000, "USD": 28_800},
    "refunded_amount": 8_000,
    "rewards_created": 4,
    "rewards_amount": 3_300,
    "rewards_voided": 2,
    "share_to_click_rate": 1.142857,
    "click_to_conversion_rate": 0.625,
    "referral_rate": 0.625,
    "k_factor": 1.333333,
    "bot_shares": 1,
    "bot_views": 2,
    "enrolled_advocates": 4,
    "new_advocates": 1,
    "participation_rate": 0.75,
    "shares_per_sharing_advocate": 2.333333,
    "repeat_conversions": 1,
    "repeat_revenue": 6_000,
    "heard_from": {
        "advertising": 0, "friend_or_family": 2, "influencer": 1, "other": 0, "review_site": 0, "search": 1, "social_media": 1,
    },
    "untracked_word_of_mouth": 2,
    "rewards_voided_amount": 800,  # f5's 300 + 500
    "as_of": "2026-11-20T21:00:00.000Z",
}


@pytest.fixture
def clock(api, aws) -> Clock:
    """One clock for every function: tracking, admin and conversions are all handed it."""
    clock = Clock(MORNING - timedelta(days=2))
    wiring.use_clock(clock)
    return clock


def at(clock: Clock, hour: int, minute: int = 0, day: date = DAY) -> Clock:
    clock.now = datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)
    return clock


def click(api, code: str, ip: str, user_agent: str | None = None, headers: dict | None = None) -> str:
    kwargs = {"source_ip": ip, "headers": headers or {}}
    if user_agent:
        kwargs["user_agent"] = user_agent
    response = api("GET", f"/r/{code}", **kwargs)
    assert response["statusCode"] == 302
    return parse_qs(urlsplit(response["headers"]["Location"]).query)["wom_click"][0]


def share(api, code: str, channel: str, event_id: str | None = None, user_agent: str | None = None, kind: str = "share") -> None:
    event = {"type": kind, "code": code, "channel": channel, **({"event_id": event_id} if event_id else {})}
    response = api("POST", "/v1/events", body={"events": [event]}, **({"user_agent": user_agent} if user_agent else {}))
    assert response["json"] == {"accepted": 1, "rejected": []}


def pixel(api, kind: str, code: str, channel: str, user_agent: str | None = None) -> None:
    response = api("GET", "/p.gif", query={"t": kind, "c": code, "ch": channel}, **({"user_agent": user_agent} if user_agent else {}))
    assert response["statusCode"] == 200


def buy(clock: Clock, order_id: str, customer: str, amount: int, currency: str = "USD", **attribution) -> dict:
    body = {"order_id": order_id, "amount": amount, "currency": currency, "customer_id": customer, **attribution}
    response = post("/v1/conversions", body, clock)
    assert response["statusCode"] == 201, response
    return response["json"]


def refund(clock: Clock, refund_id: str, order_id: str, amount: int) -> None:
    response = post("/v1/refunds", {"refund_id": refund_id, "order_id": order_id, "amount": amount}, clock)
    assert response["statusCode"] == 201, response


@pytest.fixture
def scripted_day(api, clock) -> dict[str, dict]:
    assert api("POST", "/v1/campaigns", body={"campaign_id": "spring", "name": "Spring", "destination_url": "https://shop.example.com/", "rewards": RULES})["statusCode"] == 201
    people = {}
    for name in ("ada", "ben", "cy"):
        people[name] = api("POST", "/v1/campaigns/spring/advocates", body={"customer_id": name, "email": f"{name}@example.com"})["json"]
    ada, ben, cy = (people[name]["code"] for name in ("ada", "ben", "cy"))

    # The day before and the day after: counted on their own days, never on DAY. p1's first purchase, referred by
    # ada's code the day before, makes p1 a customer this campaign referred on an earlier day.
    at(clock, 23, 30, DAY - timedelta(days=1))
    click(api, ada, "198.51.100.9")
    share(api, ada, "sms")
    assert buy(clock, "o-p1", "p1", 2_500, referral_code=ada)["status"] == "attributed"

    # Advocates: ada, ben and cy were enrolled two days before; dee enrols on DAY (4 enrolled, 1 new; 3 of the 4
    # share: participation 0.75, 7 shares / 3 sharing advocates).
    at(clock, 8)
    people["dee"] = api("POST", "/v1/campaigns/spring/advocates", body={"customer_id": "dee"})["json"]

    # Shares: ada 2 (whatsapp, retried with the same event_id: once; email by pixel), ben 3 (x, facebook, and
    # an unknown channel: other), cy 2 posted by the shop's server and its app (email, sms: counted, whatever
    # their agent); a link-preview bot's pixel share is a bot share. 7 shares by 3 advocates, 1 bot share.
    at(clock, 9)
    share(api, ada, "whatsapp", event_id="s-1")
    share(api, ada, "whatsapp", event_id="s-1")
    pixel(api, "share", ada, "email")
    share(api, ben, "x")
    pixel(api, "share", ben, "facebook")
    share(api, ben, "myspace")
    pixel(api, "share", ben, "email", user_agent=PREVIEW)
    share(api, cy, "email", user_agent=SERVER)
    share(api, cy, "sms", user_agent=APP)
    # Views: three email opens and one posted with curl (4); a preview fetch of the pixel and a view Twitterbot
    # posted are bot views (2).
    for _ in range(3):
        pixel(api, "view", ada, "email")
    share(api, cy, "email", user_agent=CURL, kind="view")
    pixel(api, "view", ada, "email", user_agent=PREVIEW)
    share(api, ada, "x", user_agent=TWITTERBOT, kind="view")

    # Clicks. f1 on ada's link twice in the hour (1 click, 2 requests), f2 on ada's, f3 on ben's, f1 on ben's
    # (another link: another visitor hash), f5 on ben's; Slackbot twice on ada's (2 bot requests); a HEAD (not
    # recorded); f4 with DNT twice on cy's (no hash: 2 clicks, 2 visitors); f2 again on ada's two hours later
    # (a new clock hour: a click, the same visitor). Clicks 8, requests 11, bots 2, visitors 4 + 2 + 1 = 7.
    at(clock, 10)
    click(api, ada, "203.0.113.1")
    at(clock, 10, 20)
    click(api, ada, "203.0.113.1")
    f2_click = click(api, ada, "203.0.113.2")
    click(api, ben, "203.0.113.3")
    click(api, ben, "203.0.113.1")
    f5_click = click(api, ben, "203.0.113.5")
    click(api, ada, "203.0.113.8", user_agent=SLACKBOT)
    click(api, ada, "203.0.113.8", user_agent=SLACKBOT)
    assert api("HEAD", f"/r/{ada}", source_ip="203.0.113.6")["statusCode"] == 302
    click(api, cy, "203.0.113.4", headers={"dnt": "1"})
    click(api, cy, "203.0.113.4", headers={"dnt": "1"})
    at(clock, 12, 30)
    click(api, ada, "203.0.113.2")

    # Conversions: f2 first purchase by click (20,000: rewards 2,000 + 500) and a repeat (counted, not new, no
    # reward); f3 by ben's code under the minimum (counted, new, no reward); f4 in EUR by cy's code (counted,
    # new, EUR revenue, no reward in a USD campaign); f5 by click (3,000: rewards 300 + 500); ada with her own
    # code (self-referral: counted nowhere); two purchases nobody referred, and p1 back with no link or code
    # (unattributed, and this campaign's repeat purchase: p1's first purchase was referred the day before; f2's
    # second purchase is not one, f2's first was the same day). 5 conversions, 4 new customers, 3 unattributed,
    # 1 repeat worth 6,000.
    # Survey answers (deployment-wide, every status): friend_or_family (f3, walk-in 1), search (walk-in 2),
    # influencer (ada), social_media (p1). Untracked word of mouth: the unattributed ones answering friend, social
    # media, influencer or review site: walk-in 1 and p1 (2).
    at(clock, 14)
    buy(clock, "o-f2", "f2", 20_000, click_id=f2_click)
    buy(clock, "o-f2-again", "f2", 5_000, click_id=f2_click)
    buy(clock, "o-f3", "f3", 800, referral_code=ben, heard_from="friend_or_family")
    buy(clock, "o-f4", "f4", 12_000, currency="EUR", referral_code=cy)
    buy(clock, "o-f5", "f5", 3_000, click_id=f5_click)
    assert buy(clock, "o-ada", "ada", 4_000, referral_code=ada, heard_from="influencer")["status"] == "self_referral"
    buy(clock, "o-walk-in-1", "w1", 7_000, heard_from="friend_or_family")
    buy(clock, "o-walk-in-2", "w2", 9_000, heard_from="search")
    assert buy(clock, "o-p1-again", "p1", 6_000, heard_from="social_media")["status"] == "unattributed"

    # Refunds: 5,000 of f2's order (its percent reward shrinks, nothing voided) and all of f5's (both rewards
    # voided). 8,000 refunded; the job created 4 rewards worth 3,300 and voided 2.
    at(clock, 20)
    refund(clock, "r-f2", "o-f2", 5_000)
    at(clock, 21)
    refund(clock, "r-f5", "o-f5", 3_000)
    wiring.rewards_job().run(at(clock, 22).now)

    # The next day: a purchase that belongs to that day.
    at(clock, 0, 5, DAY + timedelta(days=1))
    buy(clock, "o-next-day", "n1", 1_500)
    return people


def metrics_object(day: date = DAY, campaign_id: str = "spring") -> bytes:
    return boto3.client("s3").get_object(Bucket=METRICS_BUCKET.local_name, Key=object_key(campaign_id, day))["Body"].read()


def test_a_scripted_day_gives_exactly_the_hand_counted_metrics(scripted_day) -> None:
    summary = wiring.metrics_job().run_days([DAY])
    assert summary["objects_written"] == 1
    body = metrics_object()
    assert body.endswith(b"}\n") and body.count(b"\n") == 1, "one JSON object and a newline"
    written = json.loads(body)
    assert list(written) == list(FIELD_NAMES)
    for name, value in EXPECTED.items():
        assert written[name] == value, name


def test_recomputing_gives_a_byte_identical_object(scripted_day, clock) -> None:
    wiring.metrics_job().run_days([DAY])
    first = metrics_object()
    # A later run, with the wall clock moved on, and the hourly run's own schedule (today and yesterday).
    wiring.reset()
    wiring.metrics_job().run(datetime(2026, 11, 21, 3, tzinfo=UTC))
    assert metrics_object() == first


def test_a_day_without_events_gives_zeros_and_nulls(api, clock) -> None:
    assert api("POST", "/v1/campaigns", body={"campaign_id": "quiet", "name": "Quiet", "destination_url": "https://shop.example.com/", "rewards": RULES})["statusCode"] == 201
    quiet_day = (clock.now + timedelta(days=3)).date()
    wiring.metrics_job().run_days([quiet_day])
    written = json.loads(metrics_object(quiet_day, "quiet"))
    rates = {"share_to_click_rate", "click_to_conversion_rate", "referral_rate", "k_factor", "participation_rate", "shares_per_sharing_advocate"}
    for name in FIELD_NAMES:
        if name in rates or name == "as_of":
            assert written[name] is None, name
        elif name in ("shares_by_channel", "heard_from"):
            assert set(written[name].values()) == {0}
        elif name == "revenue_by_currency":
            assert written[name] == {}
        elif name not in ("campaign_id", "date"):
            assert written[name] == 0, name


def test_no_object_for_a_day_before_the_campaign_existed(scripted_day) -> None:
    wiring.metrics_job().run_days([DAY - timedelta(days=5)])
    with pytest.raises(boto3.client("s3").exceptions.NoSuchKey):
        metrics_object(DAY - timedelta(days=5))


def test_the_advocate_view_shows_the_shares_and_clicks_the_job_counted(api, scripted_day) -> None:
    before = api("GET", f"/v1/advocates/{scripted_day['ada']['advocate_id']}")["json"]
    assert (before["shares"], before["clicks"]) == (0, 0)
    wiring.metrics_job().run_days([DAY - timedelta(days=1), DAY])
    ada = api("GET", f"/v1/advocates/{scripted_day['ada']['advocate_id']}")["json"]
    # Day before: 1 share, 1 click. DAY: 2 shares (whatsapp once, email), clicks by f1 (one), f2 (two hours).
    assert (ada["shares"], ada["clicks"]) == (3, 4)
    ben = api("GET", f"/v1/advocates/{scripted_day['ben']['advocate_id']}")["json"]
    assert (ben["shares"], ben["clicks"], ben["conversions"]) == (3, 3, 2)
    assert ben["rewards"]["voided"] == {"count": 1, "amount": 300}
    # Running again does not add: each day's activity is rewritten, not incremented.
    wiring.metrics_job().run_days([DAY])
    again = api("GET", f"/v1/advocates/{scripted_day['ada']['advocate_id']}")["json"]
    assert (again["shares"], again["clicks"]) == (3, 4)


def test_facts_are_written_once_however_often_the_rewards_job_runs(scripted_day, clock) -> None:
    wiring.rewards_job().run(at(clock, 23).now)
    wiring.metrics_job().run_days([DAY])
    written = json.loads(metrics_object())
    assert (written["rewards_created"], written["rewards_amount"], written["rewards_voided"]) == (4, 3_300, 2)


def test_one_day_of_thirty_is_read_without_touching_the_others(aws, api, clock) -> None:
    """With 30 days of events in the table, computing one day reads at most 1.05 × that day's items."""
    from shared.platform.dynamo import dynamodb_client

    at(clock, 7, 0, DAY - timedelta(days=40))
    assert api("POST", "/v1/campaigns", body={"campaign_id": "busy", "name": "Busy", "destination_url": "https://shop.example.com/", "rewards": RULES})["statusCode"] == 201
    code = api("POST", "/v1/campaigns/busy/advocates", body={"customer_id": "ada"})["json"]["code"]
    last = DAY
    day_items: dict[date, int] = {}
    for back in range(30):
        day = last - timedelta(days=back)
        at(clock, 8, 0, day)
        count = 40 + back  # a different number each day: a read of the wrong day cannot match
        response = api("POST", "/v1/events", body={"events": [{"type": "share", "code": code, "channel": "email"} for _ in range(count)]})
        assert response["json"]["accepted"] == count
        day_items[day] = count
        buy(clock, f"o-{back}", f"buyer-{back}", 2_000, referral_code=code)  # a conversion fact
        buy(clock, f"o-{back}-none", f"walk-in-{back}", 2_000)  # an unattributed fact
        day_items[day] += 2
    wiring.reset()
    client = dynamodb_client()
    read: list[int] = []

    def count_items(parsed, model, **_) -> None:
        if model.name in ("Query", "Scan", "GetItem", "BatchGetItem"):
            read.append(parsed.get("Count", 1 if parsed.get("Item") else 0) if model.name != "BatchGetItem" else sum(map(len, parsed.get("Responses", {}).values())))
        if model.name == "Scan":
            raise AssertionError("the metrics job scanned a table")

    client.meta.events.register("after-call.dynamodb", count_items)
    summary = wiring.metrics_job().run_days([DAY - timedelta(days=10)])
    items_read = sum(read)
    expected = day_items[DAY - timedelta(days=10)]
    # The campaign list (one item, which also holds its advocate count) is the only read beyond the day's own items.
    assert expected <= items_read <= 1.05 * expected, (items_read, expected)
    assert json.loads(metrics_object(DAY - timedelta(days=10), "busy"))["shares"] == 50
    assert summary["items_read"] == expected
    events_in_table = boto3.client("dynamodb").scan(TableName=EVENTS_TABLE.local_name, Select="COUNT")["Count"]
    assert events_in_table >= sum(day_items.values())


def test_conversion_facts_carry_no_customer_data(scripted_day) -> None:
    from shared.platform.dynamo import deserialise
    from shared.platform.event_items import read_event

    items = [deserialise(i) for i in boto3.client("dynamodb").scan(TableName=EVENTS_TABLE.local_name)["Items"]]
    facts = [i for i in items if read_event(i)["kind"] in ("conversion", "refund", "reward_created", "reward_voided")]
    # conversions (p1's the day before, 9 on DAY, 1 the next day), refunds, rewards created (p1's 2, DAY's 4) and voided
    assert len(facts) == 11 + 2 + 6 + 2
    for fact in facts:
        assert not {"customer_id", "customer_email", "customer_email_hash", "metadata", "order_id"} & set(fact)
        assert "example.com" not in json.dumps(fact)
    unattributed = [i for i in facts if i["pk"].startswith(keys.UNATTRIBUTED + "#")]
    assert len(unattributed) == 4


def test_a_repeat_buyer_is_a_new_referred_customer_once_even_when_every_purchase_earns(api, clock) -> None:
    rules = {"advocate": {"type": "flat", "value": 700}, "first_purchase_only": False}
    assert api("POST", "/v1/campaigns", body={"campaign_id": "open", "name": "Open", "destination_url": "https://shop.example.com/", "rewards": rules})["statusCode"] == 201
    code = api("POST", "/v1/campaigns/open/advocates", body={"customer_id": "ada"})["json"]["code"]
    at(clock, 9)
    assert buy(clock, "o-1", "friend", 2_000, referral_code=code)["status"] == "attributed"
    assert buy(clock, "o-2", "friend", 3_000, referral_code=code)["status"] == "attributed"
    wiring.rewards_job().run(at(clock, 10).now)
    wiring.metrics_job().run_days([DAY])
    written = json.loads(metrics_object(DAY, "open"))
    assert (written["conversions"], written["new_referred_customers"]) == (2, 1)
    assert (written["rewards_created"], written["rewards_amount"]) == (2, 1_400)


def test_the_documented_untracked_word_of_mouth_query_agrees_with_the_objects(scripted_day, tmp_path) -> None:
    from infra.constructs.analytics import table_columns
    from tests.support.athena import download, run_documented

    wiring.metrics_job().run_days([DAY - timedelta(days=1), DAY])
    assert download("metrics/daily/campaign_id=spring/", tmp_path) == 2
    rows = run_documented(
        "tests/integration/test_metrics_job.py runs this query", "daily_metrics",
        f"{tmp_path}/metrics/daily/campaign_id=*/dt=*/metrics.json", table_columns(), {"campaign_id": "VARCHAR", "dt": "VARCHAR"},
    )
    day = json.loads(metrics_object())
    assert rows[-1] == (
        "2026-11-20", day["conversions"], day["unattributed_conversions"], day["untracked_word_of_mouth"], 2,
        day["repeat_conversions"], day["repeat_revenue"], day["participation_rate"], day["bot_shares"] + day["bot_views"],
    )
    assert [row[0] for row in rows] == ["2026-11-19", "2026-11-20"]
