"""`wom report`: a campaign's funnel and daily trend, from the daily metrics objects in S3, as one PNG.

Three parts, kept apart so the arithmetic can be tested without a picture or a bucket:
- `read_daily_objects` fetches the campaign's objects for the period (a missing day is simply absent);
- `summarise` is pure: period totals are the sums of the daily counts, and the rates are recomputed from those
  sums with the metrics job's own `rate` (None where the denominator is 0), never averaged from daily rates;
- `render` draws the picture with matplotlib's Agg canvas (no display, no pyplot state).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from babel.numbers import format_currency, get_currency_precision

from local import arguments
from shared.platform.resources import METRICS_BUCKET, REFERRALS_TABLE
from shared.metrics.daily import object_key, rate

# Counts summed over the period, as the daily objects name them.
SUMMED = (
    "shares",
    "views",
    "clicks",
    "clicks_raw",
    "bot_clicks",
    "conversions",
    "unattributed_conversions",
    "new_referred_customers",
    "sharing_advocates",
    "revenue",
    "refunded_amount",
    "rewards_created",
    "rewards_amount",
    "rewards_voided",
    "rewards_voided_amount",
    "bot_shares",
    "bot_views",
    "new_advocates",
    "repeat_conversions",
    "repeat_revenue",
    "untracked_word_of_mouth",
    "enrolled_advocates",  # summed: advocate-days, the denominator of the period's participation
)
MAX_DAYS = 366
# Without --days, the report starts on the first day with metrics within this many days (at least MIN_DAYS).
DEFAULT_DAYS = 30
MIN_DAYS = 7


@dataclass(frozen=True)
class DayPoint:
    day: date
    has_metrics: bool
    clicks: int = 0
    conversions: int = 0
    revenue: int = 0


@dataclass(frozen=True)
class Report:
    """One campaign over a period. `sharing_advocates` is summed over days, so it counts advocate-days: an
    advocate who shared on two days counts twice (the daily objects cannot tell), and `k_factor` over the period
    is new referred customers per sharing advocate-day."""

    campaign_id: str
    first_day: date
    last_day: date
    days_with_metrics: int
    as_of: str | None
    shares: int
    views: int
    clicks: int
    clicks_raw: int
    bot_clicks: int
    conversions: int
    unattributed_conversions: int
    new_referred_customers: int
    sharing_advocates: int
    revenue: int
    refunded_amount: int
    rewards_created: int
    rewards_amount: int
    rewards_voided: int
    rewards_voided_amount: int
    bot_shares: int
    bot_views: int
    new_advocates: int
    repeat_conversions: int
    repeat_revenue: int
    untracked_word_of_mouth: int
    enrolled_advocates: int
    latest_enrolled: int
    participation_rate: float | None
    shares_per_sharing_advocate: float | None
    share_to_click_rate: float | None
    click_to_conversion_rate: float | None
    referral_rate: float | None
    k_factor: float | None
    daily: tuple[DayPoint, ...]

    @property
    def days(self) -> int:
        return len(self.daily)


def period(until: date, days: int) -> list[date]:
    """The `days` days ending with `until`, oldest first."""
    return [until - timedelta(days=offset) for offset in range(days - 1, -1, -1)]


def summarise(campaign_id: str, days: Sequence[date], objects: Iterable[Mapping[str, Any]]) -> Report:
    """Totals and rates of the period from the daily objects found; a day without an object counts as zero."""
    if not days:
        raise ValueError("a report covers at least one day")
    wanted = set(days)
    by_day: dict[date, Mapping[str, Any]] = {}
    for item in objects:
        if item.get("campaign_id") != campaign_id:
            raise ValueError(f"an object of campaign {item.get('campaign_id')!r} in a report of {campaign_id!r}")
        day = date.fromisoformat(item["date"])
        if day in wanted:
            by_day[day] = item
    totals = {name: sum(int(item.get(name) or 0) for item in by_day.values()) for name in SUMMED}
    daily = tuple(
        DayPoint(day, True, int(by_day[day].get("clicks") or 0), int(by_day[day].get("conversions") or 0), int(by_day[day].get("revenue") or 0))
        if day in by_day
        else DayPoint(day, False)
        for day in sorted(wanted)
    )
    stamps = [str(item["as_of"]) for item in by_day.values() if item.get("as_of")]
    latest = by_day[max(by_day)] if by_day else {}
    return Report(
        campaign_id=campaign_id,
        first_day=min(wanted),
        last_day=max(wanted),
        days_with_metrics=len(by_day),
        as_of=max(stamps, default=None),
        **totals,
        latest_enrolled=int(latest.get("enrolled_advocates") or 0),
        # Sharing advocate-days over enrolled advocate-days: the average day's participation.
        participation_rate=rate(totals["sharing_advocates"], totals["enrolled_advocates"]),
        shares_per_sharing_advocate=rate(totals["shares"], totals["sharing_advocates"]),
        share_to_click_rate=rate(totals["clicks"], totals["shares"]),
        click_to_conversion_rate=rate(totals["conversions"], totals["clicks"]),
        referral_rate=rate(totals["conversions"], totals["conversions"] + totals["unattributed_conversions"]),
        k_factor=rate(totals["new_referred_customers"], totals["sharing_advocates"]),
        daily=daily,
    )


# --- how numbers read ---------------------------------------------------------------------------------------


def major_units(minor: int, currency: str | None) -> Decimal:
    return Decimal(minor).scaleb(-get_currency_precision(currency)) if currency else Decimal(minor)


def money(minor: int, currency: str | None) -> str:
    """Minor units as major units with the ISO code (`USD 1,234.56`, `JPY 1,234`); without a known currency, the
    minor units themselves, said so."""
    if not currency:
        return f"{minor:,} (minor units)"
    return format_currency(major_units(minor, currency), currency, format="¤¤\u00a0#,##0.00", locale="en_US")


def percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def ratio(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def per(value: float | None, many: str, one: str) -> str:
    """A ratio said as marketers say it: `2.6 clicks per share` (never `260.9 %`)."""
    return "n/a" if value is None else f"{value:,.1f} {many} per {one}"


def conversion_step(value: float | None) -> str:
    """Click → conversion: a percentage while it is one (≤ 100 %); above, conversions per click (code purchases
    and repeats can outnumber the clicks)."""
    if value is None or value <= 1:
        return percent(value)
    return per(value, "conversions", "click")


def reward_cost(report: Report) -> int:
    """Rewards created less those voided by refunds (partial reductions and clawbacks not included)."""
    return report.rewards_amount - report.rewards_voided_amount


def headline_lines(report: Report, currency: str | None) -> list[tuple[str, str]]:
    """What `wom report` prints: the period's totals, each as (label, value)."""
    return [
        ("shares", f"{report.shares:,}"),
        ("views", f"{report.views:,}"),
        ("clicks", f"{report.clicks:,}"),
        ("bot clicks (excluded)", f"{report.bot_clicks:,}"),
        ("conversions", f"{report.conversions:,}"),
        ("unattributed conversions", f"{report.unattributed_conversions:,}"),
        ("new referred customers", f"{report.new_referred_customers:,}"),
        ("rewards created", f"{report.rewards_created:,}"),
        ("rewards voided", f"{report.rewards_voided:,}"),
        ("rewards amount", money(report.rewards_amount, currency)),
        ("reward cost after refunds", money(reward_cost(report), currency)),
        ("revenue", money(report.revenue, currency)),
        ("refunded", money(report.refunded_amount, currency)),
        ("share to click rate", per(report.share_to_click_rate, "clicks", "share")),
        ("click to conversion rate", conversion_step(report.click_to_conversion_rate)),
        ("referral rate", percent(report.referral_rate)),
        ("k-factor", ratio(report.k_factor)),
        ("enrolled advocates", f"{report.latest_enrolled:,}"),
        ("participation rate", percent(report.participation_rate)),
        ("shares per sharing advocate", ratio(report.shares_per_sharing_advocate)),
        ("repeat purchases by referred customers", f"{report.repeat_conversions:,}"),
        ("repeat revenue", money(report.repeat_revenue, currency)),
        ("untracked word of mouth", f"{report.untracked_word_of_mouth:,}"),
        ("bot shares and views (excluded)", f"{report.bot_shares + report.bot_views:,}"),
    ]


# --- the picture ---------------------------------------------------------------------------------------------

INK = "#1f2933"
MUTED = "#6b7785"
GRID = "#e4e8ee"
NO_DATA = "#f1f3f6"
FUNNEL_COLOURS = ("#9ecae1", "#4292c6", "#2171b5", "#08519c")
CLICKS = "#4292c6"
CONVERSIONS = "#e6550d"
REVENUE = "#31a354"


def _day_span(report: Report) -> str:
    first, last = report.first_day, report.last_day
    if first == last:
        return f"{last:%d %b %Y}"
    return f"{first:%d %b} – {last:%d %b %Y}" if first.year == last.year else f"{first:%d %b %Y} – {last:%d %b %Y}"


def _draw_funnel(ax: Any, report: Report) -> None:
    # Rewards are not a funnel stage (one conversion can pay an advocate and a friend): they are said below it.
    stages = [
        ("Shares", report.shares),
        ("Clicks", report.clicks),
        ("Conversions", report.conversions),
    ]
    steps = [
        f"↓ {per(report.share_to_click_rate, 'clicks', 'share')}",
        f"↓ {conversion_step(report.click_to_conversion_rate)} of clicks convert" if (report.click_to_conversion_rate or 0) <= 1 else f"↓ {conversion_step(report.click_to_conversion_rate)}",
        f"{report.rewards_created:,} rewards created, {report.rewards_voided:,} voided by refunds",
    ]
    widest = max((count for _, count in stages), default=0) or 1
    spacing = 1.0
    for index, ((name, count), colour) in enumerate(zip(stages, FUNNEL_COLOURS[: len(stages)], strict=True)):
        y = -index * spacing
        ax.barh(y, count, height=0.52, color=colour, left=0)
        ax.text(-widest * 0.02, y, name, ha="right", va="center", fontsize=11, color=INK)
        ax.text(count + widest * 0.015, y, f"{count:,}", ha="left", va="center", fontsize=12, fontweight="bold", color=INK)
        if steps[index]:
            ax.text(widest * 0.01, y - spacing / 2, steps[index], ha="left", va="center", fontsize=9, color=MUTED, style="italic")
    ax.set_xlim(-widest * 0.32, widest * 1.18)
    ax.set_ylim(-(len(stages) - 1) * spacing - 0.45, 0.45)
    ax.axis("off")
    ax.set_title("Funnel over the period", loc="left", fontsize=12, color=INK, pad=6)


def _draw_headlines(ax: Any, report: Report, currency: str | None) -> None:
    ax.axis("off")
    unit = "" if currency else " (minor units)"
    amount = (lambda minor: money(minor, currency)) if currency else (lambda minor: f"{minor:,}")
    cards = [
        (amount(report.revenue), f"referred revenue{unit}"),
        (amount(reward_cost(report)), f"reward cost after refunds{unit}\n{report.rewards_created:,} created, {report.rewards_voided:,} voided"),
        (percent(report.referral_rate), "referral rate\nreferred share of all sales"),
        (ratio(report.k_factor), "k-factor\nnew customers per sharer"),
        (percent(report.participation_rate), f"participation\nof {report.latest_enrolled:,} advocates share a day"),
        (f"{report.untracked_word_of_mouth:,}", "untracked word of mouth\nunreferred buyers told by a friend"),
    ]
    # One card a row: a value and its label on one line each, so long money amounts never run into a neighbour.
    for index, (value, label) in enumerate(cards):
        y = 0.99 - index * 0.155
        ax.text(0, y, value, transform=ax.transAxes, fontsize=12.5, fontweight="bold", color=INK, va="top")
        ax.text(0, y - 0.075, label.replace("\n", " · "), transform=ax.transAxes, fontsize=8.5, color=MUTED, va="top")
    footnote = (
        f"{report.views:,} views · {report.bot_clicks + report.bot_shares + report.bot_views:,} bot fetches excluded · "
        f"{report.repeat_conversions:,} repeat purchases · refunded {money(report.refunded_amount, currency)}"
    )
    ax.text(0, 0.0, footnote, transform=ax.transAxes, fontsize=8, color=MUTED, va="bottom")


def _shade_missing_days(ax: Any, report: Report) -> None:
    from matplotlib.dates import date2num

    for point in report.daily:
        if not point.has_metrics:
            start = date2num(point.day)
            ax.axvspan(start - 0.5, start + 0.5, color=NO_DATA, zorder=0, linewidth=0)


def _style_axis(ax: Any) -> None:
    ax.spines[["top", "right"]].set_visible(False)
    ax.spines[["left", "bottom"]].set_color(GRID)
    ax.tick_params(colors=MUTED, labelsize=9)
    ax.grid(axis="y", color=GRID, linewidth=0.8)
    ax.set_axisbelow(True)


def _draw_trend(ax: Any, revenue_ax: Any, report: Report, currency: str | None) -> None:
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, date2num
    from matplotlib.patches import Patch
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    x = [date2num(point.day) for point in report.daily]
    width = 0.38
    ax.bar([v - width / 2 for v in x], [p.clicks for p in report.daily], width=width, color=CLICKS, label="clicks")
    ax.bar([v + width / 2 for v in x], [p.conversions for p in report.daily], width=width, color=CONVERSIONS, label="conversions")
    revenue = [float(major_units(p.revenue, currency)) for p in report.daily]
    revenue_ax.bar(x, revenue, width=0.7, color=REVENUE)
    for axis in (ax, revenue_ax):
        _shade_missing_days(axis, report)
        _style_axis(axis)
        axis.set_xlim(x[0] - 0.6, x[-1] + 0.6)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=5))
    revenue_ax.set_ylim(0, max(max(revenue, default=0), 1) * 1.1)
    revenue_ax.yaxis.set_major_locator(MaxNLocator(nbins=3))
    revenue_ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _pos: f"{value:,.2f}".rstrip("0").rstrip(".")))
    locator = AutoDateLocator(minticks=3, maxticks=10)
    revenue_ax.xaxis.set_major_locator(locator)
    revenue_ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    ax.tick_params(labelbottom=False)
    ax.set_title("Daily clicks and conversions", loc="left", fontsize=12, color=INK, pad=6)
    revenue_ax.set_title(f"Daily referred revenue ({currency or 'minor units'})", loc="left", fontsize=10, color=INK, pad=4)
    handles, labels = ax.get_legend_handles_labels()
    if report.days_with_metrics < report.days:
        handles.append(Patch(facecolor=NO_DATA, edgecolor=GRID, label="no metrics object that day"))
    ax.legend(handles=handles, loc="upper left", frameon=False, fontsize=9, ncols=3)
    tallest = max((max(p.clicks, p.conversions) for p in report.daily), default=0)
    ax.set_ylim(0, max(tallest, 1) * 1.25)  # both series fit, with room for the legend


def _draw_ltv(ax: Any, cohorts: Sequence[Mapping[str, Any]], currency: str | None) -> None:
    """Net revenue per customer 30…365 days after the first purchase, referred against not referred, for the oldest
    cohort month shown (the one with the most horizons reached); horizons not reached yet are left out."""
    _style_axis(ax)
    ax.set_title("Customer value (LTV)", loc="left", fontsize=12, color=INK, pad=6)
    # The newest cohort with a horizon reached: the freshest comparison that says something.
    chosen = next((c for c in reversed(cohorts) if any(v is not None for v in c["referred"]["net_revenue_per_customer"].values())), None)
    if chosen is None:
        ax.text(0.5, 0.5, "no cohort is 30 days\npast its month yet", ha="center", va="center", transform=ax.transAxes, fontsize=9, color=MUTED)
        ax.set_xticks([])
        ax.set_yticks([])
        return
    horizons = [30, 90, 180, 365]
    for side, colour, label in (("referred", CONVERSIONS, "referred"), ("not_referred", MUTED, "not referred")):
        values = chosen[side]["net_revenue_per_customer"]
        points = [(h, float(major_units(int(round(values[f"d{h}"])), currency))) for h in horizons if values.get(f"d{h}") is not None]
        ax.plot([h for h, _ in points], [v for _, v in points], marker="o", color=colour, label=f"{label} ({chosen[side]['customers']:,})")
    ax.set_xticks(horizons, [f"{h} d" for h in horizons])
    ax.set_xlim(0, 380)
    ax.set_ylim(bottom=0)
    ax.legend(loc="lower right", frameon=False, fontsize=8.5)
    ratio_365 = chosen["ratio"]["net_revenue_per_customer"]
    best = next((f"referred ×{ratio_365[f'd{h}']:.2f} at {h} d" for h in reversed(horizons) if ratio_365.get(f"d{h}") is not None), "")
    ax.set_xlabel(f"days after first purchase ({chosen['month']}) · {best}", fontsize=8.5, color=MUTED)
    ax.set_ylabel(f"net revenue per customer, {currency or 'minor units'}", fontsize=8.5, color=MUTED)


def _draw_header(ax: Any, report: Report, name: str | None = None) -> None:
    ax.axis("off")
    title = f"Referrals · {name}" if name else f"Referrals · campaign {report.campaign_id}"
    ax.text(0, 1, title, transform=ax.transAxes, ha="left", va="top", fontsize=16, fontweight="bold", color=INK)
    as_of = f" · data as of {report.as_of}" if report.as_of else ""
    detail = f"{_day_span(report)} · metrics for {report.days_with_metrics} of {report.days} days{as_of}"
    ax.text(0, 0.05, detail, transform=ax.transAxes, ha="left", va="bottom", fontsize=10.5, color=MUTED)


def render(report: Report, path: Path, currency: str | None = None, name: str | None = None, cohorts: Sequence[Mapping[str, Any]] = ()) -> Path:
    """Draw the report as a PNG at `path` (its folder is created); returns the path. `name`: the campaign's name for
    the title; `cohorts`: its cohort objects, oldest month first, for the customer-value curve."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(14, 9.4), dpi=110, layout="constrained", facecolor="white")
    grid = figure.add_gridspec(4, 3, height_ratios=(0.2, 1.3, 1.15, 0.6), width_ratios=(1.25, 1, 1))
    _draw_header(figure.add_subplot(grid[0, :]), report, name)
    _draw_funnel(figure.add_subplot(grid[1, 0]), report)
    _draw_headlines(figure.add_subplot(grid[1, 1]), report, currency)
    _draw_ltv(figure.add_subplot(grid[1, 2]), cohorts, currency)
    trend = figure.add_subplot(grid[2, :])
    _draw_trend(trend, figure.add_subplot(grid[3, :], sharex=trend), report, currency)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="png", facecolor="white")
    return path


# --- where the objects come from -------------------------------------------------------------------------------


class ReportError(Exception):
    pass


def read_daily_objects(s3: Any, bucket: str, campaign_id: str, days: Iterable[date]) -> list[dict[str, Any]]:
    """The campaign's metrics objects for those days; a day without an object is left out, never an error."""
    found = []
    for day in days:
        try:
            body = s3.get_object(Bucket=bucket, Key=object_key(campaign_id, day))["Body"].read()
        except s3.exceptions.NoSuchKey:
            continue
        found.append(json.loads(body))
    return found


def read_cohort_objects(s3: Any, bucket: str, campaign_id: str, days: Sequence[date]) -> list[dict[str, Any]]:
    """The campaign's cohort objects of the 13 months up to the period's end (a cohort's last horizon is a year
    after its month), oldest first; missing months left out."""
    from shared.metrics.cohorts import object_key as cohort_key

    found = []
    last = max(days)
    for month in sorted({f"{last - timedelta(days=back):%Y-%m}" for back in range(0, 396, 28)} | {f"{last:%Y-%m}"}):
        try:
            found.append(json.loads(s3.get_object(Bucket=bucket, Key=cohort_key(campaign_id, month))["Body"].read()))
        except s3.exceptions.NoSuchKey:
            continue
    return found


def default_days(objects_by_day: Iterable[Mapping[str, Any]], until: date) -> int:
    """Without --days: from the first day with metrics in the last DEFAULT_DAYS, at least MIN_DAYS, so a new
    campaign's report is not a month of empty days."""
    first = min((date.fromisoformat(item["date"]) for item in objects_by_day), default=until)
    return max(MIN_DAYS, (until - first).days + 1)


def campaign_name(campaign_id: str) -> str | None:
    campaign = _campaign(campaign_id)
    return campaign.name if campaign else None


def campaign_currency(campaign_id: str) -> str | None:
    """The campaign's currency from the referrals table, where the environment names it (local mode does)."""
    campaign = _campaign(campaign_id)
    return campaign.currency if campaign else None


def _campaign(campaign_id: str) -> Any:
    table = os.environ.get(REFERRALS_TABLE.env_var)
    if not table:
        return None
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    from shared.campaigns.repository import CampaignRepository

    try:
        return CampaignRepository(boto3.client("dynamodb"), table).get_campaign(campaign_id)
    except (BotoCoreError, ClientError):
        return None


def report(args: argparse.Namespace) -> int:
    """`wom report`: read the period's objects, print the totals, write the PNG."""
    from local.emulator import use_local_mode_unless_aws

    use_local_mode_unless_aws(METRICS_BUCKET.env_var)
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    from shared.platform.settings import settings_from_env

    bucket = settings_from_env().metrics_bucket
    until = args.until or datetime.now(UTC).date()
    days = period(until, args.days or DEFAULT_DAYS)
    where = f"s3://{bucket}" + (f" at {os.environ['AWS_ENDPOINT_URL']}" if os.environ.get("AWS_ENDPOINT_URL") else "")
    try:
        objects = read_daily_objects(boto3.client("s3"), bucket, args.campaign, days)
        if not args.days:
            days = period(until, default_days(objects, until))
        cohorts = read_cohort_objects(boto3.client("s3"), bucket, args.campaign, days)
    except (BotoCoreError, ClientError) as error:
        print(f"wom report: cannot read {where} ({error}); is `wom run` running?", file=sys.stderr)
        return 1
    if not objects:
        print(
            f"wom report: no metrics for campaign {args.campaign!r} from {days[0]} to {days[-1]} in {where}. "
            "The metrics job writes them: run `wom jobs run metrics` (or --date YYYY-MM-DD for a past day).",
            file=sys.stderr,
        )
        return 1
    summary = summarise(args.campaign, days, objects)
    currency = args.currency or campaign_currency(args.campaign)
    out = Path(args.out or f"wom-report-{args.campaign}.png")
    render(summary, out, currency, campaign_name(args.campaign), cohorts)
    print(f"campaign {summary.campaign_id}, {days[0]} to {days[-1]}: metrics for {summary.days_with_metrics} of {summary.days} days")
    lines = headline_lines(summary, currency)
    width = max(len(label) for label, _ in lines)
    for label, value in lines:
        print(f"  {label:<{width}}  {value}")
    if currency is None:
        print("  (the campaign's currency is unknown here: pass --currency to show money in major units)")
    print(f"wrote {out.resolve()}")
    return 0


def _currency(text: str) -> str:
    if len(text) != 3 or not text.isalpha():
        raise argparse.ArgumentTypeError(f"not an ISO-4217 code: {text!r}")
    return text.upper()


def add_report_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "report",
        help="the campaign's funnel and daily trend as a PNG, from the metrics objects",
        description=(
            "Read the campaign's daily metrics objects (written by the metrics job) for the period, print its totals "
            "and draw the funnel and the daily trend as a PNG. Reads local mode's emulator (WOM_EMULATOR_PORT) unless "
            f"AWS_ENDPOINT_URL is set or ${METRICS_BUCKET.env_var} names a bucket, which is then read where the AWS "
            "environment points."
        ),
    )
    parser.add_argument("--campaign", default="demo", help="the campaign's id (default: demo)")
    parser.add_argument(
        "--days", type=arguments.whole_number(1, MAX_DAYS),
        help=f"how many days, ending with --until (default: from the first day with metrics in the last {DEFAULT_DAYS}, at least {MIN_DAYS})",
    )
    parser.add_argument("--until", type=arguments.day, help="the last day, YYYY-MM-DD (default: today, UTC)")
    parser.add_argument("--out", help="where to write the PNG (default: wom-report-<campaign>.png)")
    parser.add_argument("--currency", type=_currency, help="the campaign's ISO-4217 currency (default: from the campaign)")
    parser.set_defaults(handler=report)
