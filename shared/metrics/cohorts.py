"""Customer value by cohort (SPEC §5): referred against not-referred customers, by first-purchase month.

A customer joins one cohort with their first purchase (as wom received it, deployment-wide): the campaign that
referred it (status `attributed`), or the not-referred cohort (unattributed, the same for every campaign). A
self-referral joins neither. From then on each of their purchases and refunds is on their ledger (the cohort
member item), as the day wom received it. At a horizon of h days a customer's net revenue is what they paid on
the days 0…h after their first purchase, less what was refunded on those days, in the campaign's currency; they
repeated by h if they made a second purchase (any currency) by then.

A horizon is reached when every customer of the month has had h days: from the month's last day + h. Until then
its values are `null`, so a figure never grows after it is published (purchases and refunds later than h do not
count at h). Rates and ratios: floats rounded to 6 places; money per customer: minor units, 2 places; `null` where
a denominator is 0. Pure: no AWS, no clock; docs/metrics.md defines each field.
"""

from __future__ import annotations

import calendar
import json
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Any

from shared.platform.resources import COHORT_METRICS_PREFIX

HORIZONS: tuple[int, ...] = (30, 90, 180, 365)
RATE_DIGITS = 6
MONEY_DIGITS = 2


def horizon_name(days: int) -> str:
    return f"d{days}"


HORIZON_NAMES = tuple(horizon_name(h) for h in HORIZONS)
_BY_HORIZON = "struct<" + ",".join(f"{name}:double" for name in HORIZON_NAMES) + ">"
_GROUP = f"struct<customers:bigint,net_revenue_per_customer:{_BY_HORIZON},repeat_purchase_rate:{_BY_HORIZON}>"
# Every field of a cohort object, in the order written, with its Athena (Glue) type.
FIELDS: tuple[tuple[str, str], ...] = (
    ("campaign_id", "string"),
    ("month", "string"),
    ("currency", "string"),
    ("referred", _GROUP),
    ("not_referred", _GROUP),
    ("ratio", f"struct<net_revenue_per_customer:{_BY_HORIZON},repeat_purchase_rate:{_BY_HORIZON}>"),
    ("as_of", "string"),
)
FIELD_NAMES = tuple(name for name, _ in FIELDS)


def month_of(day: date) -> str:
    return f"{day:%Y-%m}"


def month_last_day(month: str) -> date:
    year, number = int(month[:4]), int(month[5:7])
    return date(year, number, calendar.monthrange(year, number)[1])


def horizon_reached(month: str, days: int, as_of: date) -> bool:
    return as_of >= month_last_day(month) + timedelta(days=days)


def months_to_recompute(today: date) -> list[str]:
    """The cohorts a run on `today` may change: this month's and last month's (customers still joining, or just
    joined), and each month with a horizon reached yesterday or today (a value turns from null to its number)."""
    months = {month_of(today), month_of(today.replace(day=1) - timedelta(days=1))}
    for day in (today, today - timedelta(days=1)):
        for days in HORIZONS:
            months.add(month_of(day - timedelta(days=days)))
    return sorted(months)


def object_key(campaign_id: str, month: str) -> str:
    return f"{COHORT_METRICS_PREFIX}campaign_id={campaign_id}/month={month}/ltv.json"


def _offset(first_day: str, day: str) -> int:
    return (date.fromisoformat(day) - date.fromisoformat(first_day)).days


def contribution(member: Mapping[str, Any]) -> dict[str, int]:
    """What one customer adds to their cohort, as counters: kept when an erasure removes their ledger, so the
    cohort's figures keep their value. `net_<currency>_d<h>`, `repeat_d<h>` (0 or 1) and `customers` (1)."""
    first = str(member["first_day"])
    totals: dict[str, int] = {"customers": 1}
    purchase_offsets = sorted(_offset(first, str(entry["day"])) for entry in member.get("purchases", {}).values())
    for days in HORIZONS:
        totals[f"repeat_{horizon_name(days)}"] = int(len([o for o in purchase_offsets if o <= days]) >= 2)
    for sign, entries in ((1, member.get("purchases", {})), (-1, member.get("refunds", {}))):
        for entry in entries.values():
            offset = _offset(first, str(entry["day"]))
            for days in HORIZONS:
                if offset <= days:
                    name = f"net_{entry['currency']}_{horizon_name(days)}"
                    totals[name] = totals.get(name, 0) + sign * int(entry["amount"])
    return totals


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def cohort_group(members: Iterable[Mapping[str, Any]], erased: Mapping[str, Any] | None, currency: str, month: str, as_of: date) -> dict[str, Any]:
    """One side of the comparison: its customers, and per horizon the net revenue per customer and repeat rate."""
    totals: dict[str, int] = {}
    for part in [*(contribution(m) for m in members), {k: int(v) for k, v in (erased or {}).items() if k == "customers" or k.startswith(("net_", "repeat_"))}]:
        for name, value in part.items():
            totals[name] = totals.get(name, 0) + value
    customers = totals.get("customers", 0)
    exact: dict[str, dict[str, float | None]] = {"net_revenue_per_customer": {}, "repeat_purchase_rate": {}}
    for days in HORIZONS:
        name = horizon_name(days)
        known = customers > 0 and horizon_reached(month, days, as_of)
        exact["net_revenue_per_customer"][name] = totals.get(f"net_{currency}_{name}", 0) / customers if known else None
        exact["repeat_purchase_rate"][name] = totals.get(f"repeat_{name}", 0) / customers if known else None
    return {
        "customers": customers,
        "net_revenue_per_customer": {k: _round(v, MONEY_DIGITS) for k, v in exact["net_revenue_per_customer"].items()},
        "repeat_purchase_rate": {k: _round(v, RATE_DIGITS) for k, v in exact["repeat_purchase_rate"].items()},
        EXACT: exact,  # the unrounded values, for the ratios; not written
    }


EXACT = "_exact"


def _ratio(referred: Mapping[str, Any], not_referred: Mapping[str, Any], figure: str) -> dict[str, float | None]:
    """Referred ÷ not referred, from the unrounded figures; `null` where either is unknown or the divisor is 0."""
    ours, theirs = referred[EXACT][figure], not_referred[EXACT][figure]
    return {name: _round(ours[name] / theirs[name], RATE_DIGITS) if ours[name] is not None and theirs[name] else None for name in HORIZON_NAMES}


def _published(group: Mapping[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in group.items() if name != EXACT}


def cohort_object(campaign_id: str, currency: str, month: str, referred: dict[str, Any], not_referred: dict[str, Any], as_of: date) -> dict[str, Any]:
    """`as_of` is the day the horizons were judged on: the same day and ledgers give the same bytes."""
    return {
        "campaign_id": campaign_id,
        "month": month,
        "currency": currency,
        "referred": _published(referred),
        "not_referred": _published(not_referred),
        "ratio": {
            "net_revenue_per_customer": _ratio(referred, not_referred, "net_revenue_per_customer"),
            "repeat_purchase_rate": _ratio(referred, not_referred, "repeat_purchase_rate"),
        },
        "as_of": as_of.isoformat(),
    }


def render(cohort: Mapping[str, Any]) -> bytes:
    """One JSON object and a newline (JSON Lines), fields in FIELDS order."""
    return (json.dumps({name: cohort[name] for name in FIELD_NAMES}, separators=(",", ":"), ensure_ascii=False) + "\n").encode()
