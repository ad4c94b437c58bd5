"""`wom report`: the period's arithmetic from daily metrics objects (pure), the numbers as printed, and the PNG."""

from __future__ import annotations

import io
import json
from datetime import date

import pytest
from PIL import Image

from local.cli import build_parser
from local.report import headline_lines, money, period, read_daily_objects, render, report, summarise
from shared.metrics.daily import FIELD_NAMES

UNTIL = date(2026, 11, 24)
DAYS = period(UNTIL, 7)  # 18 Nov – 24 Nov


def daily(day: str, campaign_id: str = "spring", **counts: int | str | None) -> dict:
    """A metrics object as the job writes it: zeros unless given."""
    item: dict = {name: 0 for name in FIELD_NAMES}
    item.update(campaign_id=campaign_id, date=day, shares_by_channel={}, revenue_by_currency={}, as_of=None)
    item.update(share_to_click_rate=None, click_to_conversion_rate=None, referral_rate=None, k_factor=None)
    item.update(counts)
    return item


OBJECTS = [
    # Daily rates deliberately at odds with the sums: the period's rates come from the summed counts.
    daily("2026-11-20", shares=10, clicks=30, bot_clicks=4, conversions=3, unattributed_conversions=9, sharing_advocates=4,
          new_referred_customers=2, revenue=12_000, rewards_created=4, rewards_amount=2_200, views=7, refunded_amount=500,
          share_to_click_rate=3.0, click_to_conversion_rate=0.1, as_of="2026-11-20T21:00:00.000Z"),
    daily("2026-11-22", shares=0, clicks=10, bot_clicks=1, conversions=1, unattributed_conversions=1, sharing_advocates=0,
          new_referred_customers=1, revenue=4_999, rewards_created=1, rewards_amount=500, share_to_click_rate=None,
          click_to_conversion_rate=0.1, as_of="2026-11-22T08:15:00.000Z"),
    daily("2026-11-24", shares=6, clicks=0, views=2, as_of="2026-11-24T09:00:00.000Z"),
]


def test_period_is_the_days_ending_with_until_oldest_first():
    assert period(date(2026, 3, 2), 3) == [date(2026, 2, 28), date(2026, 3, 1), date(2026, 3, 2)]
    assert period(UNTIL, 1) == [UNTIL]


def test_totals_are_the_sums_of_the_daily_objects():
    summary = summarise("spring", DAYS, OBJECTS)
    assert (summary.shares, summary.clicks, summary.bot_clicks, summary.conversions) == (16, 40, 5, 4)
    assert (summary.unattributed_conversions, summary.new_referred_customers, summary.sharing_advocates) == (10, 3, 4)
    assert (summary.revenue, summary.refunded_amount, summary.rewards_created, summary.rewards_amount, summary.views) == (16_999, 500, 5, 2_700, 9)
    assert (summary.first_day, summary.last_day, summary.days_with_metrics, summary.days) == (date(2026, 11, 18), UNTIL, 3, 7)
    assert summary.as_of == "2026-11-24T09:00:00.000Z"


def test_rates_are_recomputed_from_the_sums_not_averaged_from_the_days():
    summary = summarise("spring", DAYS, OBJECTS)
    assert summary.share_to_click_rate == 2.5  # 40 / 16; the days said 3.0 and null
    assert summary.click_to_conversion_rate == 0.1  # 4 / 40
    assert summary.referral_rate == pytest.approx(4 / 14, abs=1e-6)
    assert summary.k_factor == 0.75  # 3 / 4


def test_a_zero_denominator_gives_no_rate_rather_than_zero_or_an_error():
    summary = summarise("spring", DAYS, [daily("2026-11-23", views=3)])
    assert (summary.share_to_click_rate, summary.click_to_conversion_rate, summary.referral_rate, summary.k_factor) == (None, None, None, None)
    printed = dict(headline_lines(summary, "USD"))
    assert printed["share to click rate"] == printed["k-factor"] == "n/a"


def test_missing_days_are_zero_days_marked_as_having_no_object():
    summary = summarise("spring", DAYS, OBJECTS)
    assert [p.day for p in summary.daily] == DAYS
    assert [p.has_metrics for p in summary.daily] == [False, False, True, False, True, False, True]
    missing = summary.daily[0]
    assert (missing.clicks, missing.conversions, missing.revenue) == (0, 0, 0)
    assert (summary.daily[4].clicks, summary.daily[4].conversions, summary.daily[4].revenue) == (10, 1, 4_999)
    assert summarise("spring", DAYS, []).days_with_metrics == 0


def test_days_outside_the_period_are_left_out_and_another_campaign_is_refused():
    summary = summarise("spring", period(UNTIL, 2), OBJECTS)
    assert (summary.clicks, summary.shares, summary.days_with_metrics) == (0, 6, 1)
    with pytest.raises(ValueError, match="autumn"):
        summarise("spring", DAYS, [daily("2026-11-20", campaign_id="autumn")])


@pytest.mark.parametrize(
    ("minor", "currency", "shown"),
    [(123_456, "USD", "USD\u00a01,234.56"), (5, "EUR", "EUR\u00a00.05"), (123_456, "JPY", "JPY\u00a0123,456"), (1234, None, "1,234 (minor units)")],
)
def test_money_is_shown_in_major_units_with_the_currency_code(minor, currency, shown):
    assert money(minor, currency) == shown


def test_the_printed_headlines_carry_the_period_totals():
    printed = dict(headline_lines(summarise("spring", DAYS, OBJECTS), "USD"))
    assert printed["clicks"] == "40"
    assert printed["bot clicks (excluded)"] == "5"
    assert printed["revenue"] == "USD\u00a0169.99"
    assert printed["referral rate"] == "28.6%"
    assert printed["k-factor"] == "0.75"


# --- the picture ---------------------------------------------------------------------------------------


def colours(path) -> set[tuple[int, int, int]]:
    with Image.open(path) as image:
        return {rgb for _, rgb in image.convert("RGB").getcolors(maxcolors=1 << 20)}


def test_render_writes_a_png_where_asked(tmp_path):
    out = render(summarise("spring", DAYS, OBJECTS), tmp_path / "nested" / "report.png", "USD")
    assert out == tmp_path / "nested" / "report.png"
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    with Image.open(io.BytesIO(data)) as image:
        image.verify()
    with Image.open(out) as image:
        assert image.format == "PNG"
        assert image.size[0] >= 1200 and 800 <= image.size[1] < image.size[0]
    found = colours(out)
    # The funnel's bars (shares, clicks, conversions: rewards are not a stage), the daily clicks and conversions, the
    # revenue panel and the shading of days without an object.
    for hex_colour in ("#9ecae1", "#4292c6", "#2171b5", "#e6550d", "#31a354", "#f1f3f6"):
        assert tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)) in found, hex_colour


def test_render_copes_with_a_period_of_zeros_and_a_single_day(tmp_path):
    empty = render(summarise("spring", DAYS, [daily("2026-11-18")]), tmp_path / "zeros.png")
    one = render(summarise("spring", [UNTIL], [daily("2026-11-24", clicks=3, conversions=1, revenue=999)]), tmp_path / "one.png", "JPY")
    for path in (empty, one):
        with Image.open(path) as image:
            image.verify()


# --- reading the objects and the command ------------------------------------------------------------------


class NoSuchKey(Exception):
    pass


class FakeS3:
    """Just get_object over a dict of keys, with boto3's NoSuchKey."""

    class exceptions:  # noqa: N801 - boto3's spelling
        NoSuchKey = NoSuchKey

    def __init__(self, objects: dict[str, bytes]) -> None:
        self.objects = objects
        self.asked: list[str] = []

    def get_object(self, Bucket: str, Key: str) -> dict:  # noqa: N803 - boto3's spelling
        self.asked.append(Key)
        if Key not in self.objects:
            raise NoSuchKey(Key)
        return {"Body": io.BytesIO(self.objects[Key])}


def test_reading_asks_for_each_day_of_the_campaign_and_skips_the_missing_ones():
    s3 = FakeS3({"metrics/daily/campaign_id=spring/dt=2026-11-22/metrics.json": (json.dumps(OBJECTS[1]) + "\n").encode()})
    found = read_daily_objects(s3, "wom-metrics", "spring", DAYS)
    assert found == [OBJECTS[1]]
    assert s3.asked == [f"metrics/daily/campaign_id=spring/dt={day.isoformat()}/metrics.json" for day in DAYS]


def test_the_command_line_takes_the_options_with_their_defaults():
    args = build_parser().parse_args(["report"])
    # No --days: the report starts on the first day with metrics in the last 30 (default_days).
    assert (args.handler, args.campaign, args.days, args.until, args.out, args.currency) == (report, "demo", None, None, None, None)
    args = build_parser().parse_args(["report", "--campaign", "spring", "--days", "7", "--until", "2026-11-24", "--out", "x.png", "--currency", "eur"])
    assert (args.campaign, args.days, args.until, args.out, args.currency) == ("spring", 7, UNTIL, "x.png", "EUR")
    for wrong in (["--days", "0"], ["--until", "24/11/2026"], ["--currency", "euro"]):
        with pytest.raises(SystemExit):
            build_parser().parse_args(["report", *wrong])



def test_the_default_period_starts_with_the_first_day_of_metrics_not_thirty_empty_days():
    from local.report import default_days

    assert default_days([daily("2026-11-24")], UNTIL) == 7
    assert default_days([daily("2026-11-10"), daily("2026-11-24")], UNTIL) == 15
    assert default_days([], UNTIL) == 7


def test_ratios_above_one_read_as_counts_per_step_not_percentages():
    from local.report import conversion_step, per

    assert per(2.609, "clicks", "share") == "2.6 clicks per share"
    assert conversion_step(1.5) == "1.5 conversions per click"
    assert conversion_step(0.125) == "12.5%"


def test_reward_cost_is_net_of_the_rewards_refunds_voided():
    summary = summarise("spring", DAYS, [daily("2026-11-24", rewards_created=3, rewards_amount=1_500, rewards_voided=1, rewards_voided_amount=500)])
    printed = dict(headline_lines(summary, "USD"))
    assert printed["reward cost after refunds"] == "USD\u00a010.00"
    assert printed["rewards voided"] == "1"
