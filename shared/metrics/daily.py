"""Daily funnel metrics (SPEC §5): one campaign's day, from the items of that day in the events table.

Pure: no AWS, no clock. The same items give the same bytes, whatever their order: every sum and set is
order-free, maps are written with sorted keys, and `as_of` is the newest event counted, not the wall clock.
Definitions, formulas and the reasons behind them: docs/metrics.md.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from shared.conversions.attribution import REFERRED_STATUSES
from shared.conversions.models import HEARD_FROM
from shared.tracking.channels import CHANNELS
from shared.platform.resources import DAILY_METRICS_PREFIX
from shared.metrics.facts import REPEAT_PURCHASE, REWARD_CREATED, REWARD_HELD, REWARD_VOIDED, SURVEY_ANSWER


# Every field of the object, in the order it is written, with its Athena (Glue) type.
FIELDS: tuple[tuple[str, str], ...] = (
    ("campaign_id", "string"),
    ("date", "string"),
    ("shares", "bigint"),
    ("shares_by_channel", "map<string,bigint>"),
    ("sharing_advocates", "bigint"),
    ("views", "bigint"),
    ("clicks", "bigint"),
    ("clicks_raw", "bigint"),
    ("bot_clicks", "bigint"),
    ("unique_visitors", "bigint"),
    ("conversions", "bigint"),
    ("unattributed_conversions", "bigint"),
    ("new_referred_customers", "bigint"),
    ("revenue", "bigint"),
    ("revenue_by_currency", "map<string,bigint>"),
    ("refunded_amount", "bigint"),
    ("rewards_created", "bigint"),
    ("rewards_amount", "bigint"),
    ("rewards_voided", "bigint"),
    ("rewards_held", "bigint"),
    ("share_to_click_rate", "double"),
    ("click_to_conversion_rate", "double"),
    ("referral_rate", "double"),
    ("k_factor", "double"),
    # Engagement and value (SPEC §5, issue 18): kept together here.
    ("bot_shares", "bigint"),
    ("bot_views", "bigint"),
    ("enrolled_advocates", "bigint"),
    ("new_advocates", "bigint"),
    ("participation_rate", "double"),
    ("shares_per_sharing_advocate", "double"),
    ("repeat_conversions", "bigint"),
    ("repeat_revenue", "bigint"),
    ("heard_from", "map<string,bigint>"),
    ("untracked_word_of_mouth", "bigint"),
    ("rewards_voided_amount", "bigint"),
    ("as_of", "string"),
)
FIELD_NAMES = tuple(name for name, _ in FIELDS)
RATE_DIGITS = 6


# The answers to "how did you hear about us?" that are word of mouth (SPEC §5: untracked_word_of_mouth).
WORD_OF_MOUTH_ANSWERS = frozenset({"friend_or_family", "social_media", "influencer", "review_site"})


@dataclass(frozen=True)
class Unattributed:
    """What the day holds deployment-wide, the same for every campaign: the conversions no campaign claims, every
    conversion's `heard_from` answer (an unattributed one's on its fact, a claimed one's as a survey answer fact,
    both filed in the same partitions), and the unattributed ones whose answer is word of mouth."""

    conversions: int = 0
    as_of: str | None = None
    heard_from: tuple[tuple[str, int], ...] = tuple((answer, 0) for answer in sorted(HEARD_FROM))
    untracked_word_of_mouth: int = 0

    @classmethod
    def of(cls, items: Iterable[Mapping[str, Any]]) -> Unattributed:
        items = list(items)
        conversions = [item for item in items if item.get("kind") == "conversion"]
        answers = Counter(item["heard_from"] for item in items if item.get("kind") in ("conversion", SURVEY_ANSWER) and item.get("heard_from"))
        untracked = sum(1 for item in conversions if item.get("heard_from") in WORD_OF_MOUTH_ANSWERS)
        return cls(
            len(conversions),
            max((item["at"] for item in items if item.get("kind") in ("conversion", SURVEY_ANSWER)), default=None),
            tuple((answer, answers[answer]) for answer in sorted(HEARD_FROM)),
            untracked,
        )


@dataclass(frozen=True)
class Enrolment:
    """A campaign's advocates by the end of the day (all time) and those enrolled that day."""

    enrolled: int = 0
    new: int = 0


def object_key(campaign_id: str, day: date) -> str:
    return f"{DAILY_METRICS_PREFIX}campaign_id={campaign_id}/dt={day.isoformat()}/metrics.json"


def rate(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, RATE_DIGITS) if denominator else None


def _human(item: Mapping[str, Any]) -> bool:
    return not item.get("bot")


def _newest(item: Mapping[str, Any]) -> str:
    # A repeated click moves `last_at`: the item changed then, so that is when it was last counted.
    return max(item.get("at", ""), item.get("last_at", ""))


def daily_metrics(
    campaign_id: str, currency: str, day: date, items: Iterable[Mapping[str, Any]], unattributed: Unattributed, enrolment: Enrolment = Enrolment()
) -> dict[str, Any]:
    """The metrics object of one campaign's day. `items` are the campaign's events and facts of that day."""
    by_type: dict[str, list[Mapping[str, Any]]] = {}
    newest: str | None = unattributed.as_of
    for item in items:
        by_type.setdefault(str(item.get("kind")), []).append(item)
        stamp = _newest(item)
        newest = stamp if newest is None or stamp > newest else newest

    shares = [s for s in by_type.get("share", []) if _human(s)]
    by_channel = Counter(s.get("channel") or "other" for s in shares)
    clicks_all = by_type.get("click", [])
    human_clicks = [c for c in clicks_all if _human(c)]
    # A click item is one visitor on one link in one clock hour (hits counts its requests); a visitor who asked
    # not to be tracked has no hash, so each such click is a visitor of its own.
    hashed = {c["visitor"] for c in human_clicks if c.get("visitor")}
    unhashed = sum(1 for c in human_clicks if not c.get("visitor"))
    referred = [c for c in by_type.get("conversion", []) if c.get("status") in REFERRED_STATUSES]
    revenue_by_currency: Counter[str] = Counter()
    for conversion in referred:
        revenue_by_currency[conversion["currency"]] += int(conversion["amount"])
    refunds = [r for r in by_type.get("refund", []) if r.get("conversion_status") in REFERRED_STATUSES and r.get("currency") == currency]
    created = by_type.get(REWARD_CREATED, [])
    repeats = by_type.get(REPEAT_PURCHASE, [])

    counts = {
        "shares": len(shares),
        "sharing_advocates": len({s["advocate_id"] for s in shares}),
        "views": sum(1 for v in by_type.get("view", []) if _human(v)),
        "clicks": len(human_clicks),
        "clicks_raw": sum(int(c.get("hits", 1)) for c in clicks_all),
        "bot_clicks": sum(int(c.get("hits", 1)) for c in clicks_all if not _human(c)),
        "unique_visitors": len(hashed) + unhashed,
        "conversions": len(referred),
        "new_referred_customers": sum(1 for c in referred if c.get("new_customer")),
    }
    return {
        "campaign_id": campaign_id,
        "date": day.isoformat(),
        "shares": counts["shares"],
        "shares_by_channel": {channel: by_channel[channel] for channel in sorted(CHANNELS)},
        "sharing_advocates": counts["sharing_advocates"],
        "views": counts["views"],
        "clicks": counts["clicks"],
        "clicks_raw": counts["clicks_raw"],
        "bot_clicks": counts["bot_clicks"],
        "unique_visitors": counts["unique_visitors"],
        "conversions": counts["conversions"],
        "unattributed_conversions": unattributed.conversions,
        "new_referred_customers": counts["new_referred_customers"],
        "revenue": revenue_by_currency.get(currency, 0),
        "revenue_by_currency": dict(sorted(revenue_by_currency.items())),
        "refunded_amount": sum(int(r["amount"]) for r in refunds),
        "rewards_created": len(created),
        "rewards_amount": sum(int(r["amount"]) for r in created),
        "rewards_voided": len(by_type.get(REWARD_VOIDED, [])),
        "rewards_held": len(by_type.get(REWARD_HELD, [])),
        "share_to_click_rate": rate(counts["clicks"], counts["shares"]),
        "click_to_conversion_rate": rate(counts["conversions"], counts["clicks"]),
        "referral_rate": rate(counts["conversions"], counts["conversions"] + unattributed.conversions),
        "k_factor": rate(counts["new_referred_customers"], counts["sharing_advocates"]),
        "bot_shares": sum(1 for s in by_type.get("share", []) if not _human(s)),
        "bot_views": sum(1 for v in by_type.get("view", []) if not _human(v)),
        "enrolled_advocates": enrolment.enrolled,
        "new_advocates": enrolment.new,
        "participation_rate": rate(counts["sharing_advocates"], enrolment.enrolled),
        "shares_per_sharing_advocate": rate(counts["shares"], counts["sharing_advocates"]),
        "repeat_conversions": len(repeats),
        "repeat_revenue": sum(int(r["amount"]) for r in repeats if r.get("currency") == currency),
        "heard_from": dict(unattributed.heard_from),
        "untracked_word_of_mouth": unattributed.untracked_word_of_mouth,
        "rewards_voided_amount": sum(int(r["amount"]) for r in by_type.get(REWARD_VOIDED, []) if r.get("currency") == currency),
        "as_of": newest,
    }


def render(metrics: Mapping[str, Any]) -> bytes:
    """One JSON object and a newline (JSON Lines, as Athena's JSON SerDe reads it), fields in FIELDS order."""
    ordered = {name: metrics[name] for name in FIELD_NAMES}
    return (json.dumps(ordered, separators=(",", ":"), ensure_ascii=False) + "\n").encode()


def advocate_daily_counts(items: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, int]]:
    """Each advocate's shares and clicks of the day, counted as the campaign's metrics count them."""
    counts: dict[str, dict[str, int]] = {}
    for item in items:
        kind = item.get("kind")
        if kind in ("share", "click") and _human(item) and item.get("advocate_id"):
            tally = counts.setdefault(item["advocate_id"], {"shares": 0, "clicks": 0})
            tally["shares" if kind == "share" else "clicks"] += 1
    return counts
