"""Daily metrics maths (shared.metrics.daily): pure, on hand-made items."""

from __future__ import annotations

import json
import random
from datetime import date

import pytest

from shared.metrics.daily import FIELD_NAMES, Unattributed, advocate_daily_counts, daily_metrics, object_key, rate, render

DAY = date(2026, 11, 20)
NONE = Unattributed()


def item(kind: str, at: str = "2026-11-20T10:00:00.000Z", **attributes) -> dict:
    return {"kind": kind, "at": at, **attributes}


def metrics(items: list[dict], currency: str = "USD", unattributed: Unattributed = NONE) -> dict:
    return daily_metrics("spring", currency, DAY, items, unattributed)


@pytest.mark.parametrize(
    ("numerator", "denominator", "expected"),
    [(1, 3, 0.333333), (2, 3, 0.666667), (5, 8, 0.625), (8, 5, 1.6), (0, 4, 0.0), (3, 0, None), (0, 0, None)],
)
def test_rates_are_rounded_to_six_places_and_null_without_a_denominator(numerator, denominator, expected) -> None:
    assert rate(numerator, denominator) == expected


def test_an_empty_day_is_zeros_and_nulls() -> None:
    written = metrics([])
    assert written["as_of"] is None
    assert [written[name] for name in ("share_to_click_rate", "click_to_conversion_rate", "referral_rate", "k_factor")] == [None] * 4
    assert written["clicks"] == written["revenue"] == written["rewards_created"] == 0
    assert written["revenue_by_currency"] == {}


def test_clicks_exclude_bots_and_count_each_deduplicated_item_once() -> None:
    items = [
        item("click", visitor="v1", hits=3, advocate_id="a"),  # one visitor, three requests in the hour
        item("click", visitor="v1", hits=1, advocate_id="a", at="2026-11-20T11:00:00.000Z"),  # next hour: a click
        item("click", bot=True, hits=1, advocate_id="a"),
        item("click", hits=1, advocate_id="a"),  # DNT: no visitor hash
    ]
    written = metrics(items)
    assert (written["clicks"], written["clicks_raw"], written["bot_clicks"], written["unique_visitors"]) == (3, 6, 1, 2)


def test_shares_views_and_channels_leave_bots_out() -> None:
    items = [
        item("share", channel="email", advocate_id="a"),
        item("share", advocate_id="a"),  # no channel: other
        item("share", channel="x", advocate_id="b", bot=True),
        item("view", channel="email", advocate_id="a"),
        item("view", channel="email", advocate_id="a", bot=True),
    ]
    written = metrics(items)
    assert (written["shares"], written["sharing_advocates"], written["views"]) == (2, 1, 1)
    assert written["shares_by_channel"]["email"] == 1 and written["shares_by_channel"]["other"] == 1
    assert written["shares_by_channel"]["x"] == 0
    assert list(written["shares_by_channel"]) == sorted(written["shares_by_channel"]), "sorted keys, every channel"


def test_conversions_revenue_and_refunds_count_referred_purchases_only() -> None:
    items = [
        item("conversion", status="attributed", amount=10_000, currency="USD", new_customer=True),
        item("conversion", status="not_first_purchase", amount=2_500, currency="USD", new_customer=False),
        item("conversion", status="attributed", amount=9_000, currency="EUR", new_customer=True),
        item("conversion", status="self_referral", amount=50_000, currency="USD", new_customer=False),
        item("refund", conversion_status="attributed", amount=1_000, currency="USD"),
        item("refund", conversion_status="self_referral", amount=50_000, currency="USD"),
        item("refund", conversion_status="attributed", amount=900, currency="EUR"),
    ]
    written = metrics(items, unattributed=Unattributed(conversions=1, as_of="2026-11-20T09:00:00.000Z"))
    assert (written["conversions"], written["new_referred_customers"], written["unattributed_conversions"]) == (3, 2, 1)
    assert written["revenue"] == 12_500, "the campaign's currency only"
    assert written["revenue_by_currency"] == {"EUR": 9_000, "USD": 12_500}
    assert written["refunded_amount"] == 1_000
    assert written["referral_rate"] == 0.75


def test_rewards_created_amount_and_voided() -> None:
    items = [
        item("reward_created", amount=1_000, recipient="advocate"),
        item("reward_created", amount=500, recipient="friend"),
        item("reward_voided", amount=500, recipient="friend"),
    ]
    written = metrics(items)
    assert (written["rewards_created"], written["rewards_amount"], written["rewards_voided"]) == (2, 1_500, 1)


def test_funnel_rates_and_k_factor() -> None:
    items = [item("share", advocate_id=a) for a in ("a", "a", "b", "c")]
    items += [item("click", visitor=f"v{n}", hits=1) for n in range(8)]
    items += [item("conversion", status="attributed", amount=100, currency="USD", new_customer=True) for _ in range(2)]
    written = metrics(items)
    assert written["share_to_click_rate"] == 2.0
    assert written["click_to_conversion_rate"] == 0.25
    assert written["k_factor"] == 0.666667  # 2 new customers / 3 sharing advocates


def test_as_of_is_the_newest_event_counted_including_a_repeat_click() -> None:
    items = [
        item("share", at="2026-11-20T08:00:00.000Z", advocate_id="a"),
        item("click", at="2026-11-20T09:00:00.000Z", last_at="2026-11-20T09:59:00.000Z", visitor="v", hits=2),
    ]
    assert metrics(items)["as_of"] == "2026-11-20T09:59:00.000Z"
    later = Unattributed(conversions=1, as_of="2026-11-20T23:00:00.000Z")
    assert metrics(items, unattributed=later)["as_of"] == "2026-11-20T23:00:00.000Z"


def test_the_same_items_in_any_order_render_the_same_bytes() -> None:
    items = [item("share", advocate_id="a", channel="sms"), item("click", visitor="v", hits=1)]
    items += [item("conversion", status="attributed", amount=n, currency=c, new_customer=True) for n, c in ((5, "USD"), (7, "GBP"), (9, "EUR"))]
    first = render(metrics(items))
    shuffled = list(items)
    random.Random(7).shuffle(shuffled)
    assert render(metrics(shuffled)) == first
    assert first.endswith(b"\n") and first.count(b"\n") == 1
    assert list(json.loads(first)) == list(FIELD_NAMES)


def test_advocate_daily_counts_counts_human_shares_and_clicks_per_advocate() -> None:
    items = [
        item("share", advocate_id="a"),
        item("share", advocate_id="a", bot=True),
        item("click", advocate_id="a", visitor="v", hits=4),
        item("click", advocate_id="b", bot=True),
        item("view", advocate_id="b"),
        item("conversion", advocate_id="b", status="attributed", amount=1, currency="USD"),
    ]
    assert advocate_daily_counts(items) == {"a": {"shares": 1, "clicks": 1}}


def test_object_key_follows_the_spec_layout() -> None:
    assert object_key("spring", DAY) == "metrics/daily/campaign_id=spring/dt=2026-11-20/metrics.json"


def test_unattributed_counts_conversions_only() -> None:
    summary = Unattributed.of([item("conversion", at="2026-11-20T05:00:00.000Z"), item("conversion", at="2026-11-20T07:00:00.000Z")])
    assert summary == Unattributed(conversions=2, as_of="2026-11-20T07:00:00.000Z")
