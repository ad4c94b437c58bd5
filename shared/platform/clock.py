"""The one clock, and the formats of time wom stores and answers with.

Rules take `now` as an argument; services and jobs are handed a `Clock` by the composition root
(shared/wiring.py), so a test or local mode moves time by handing in another clock.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

Clock = Callable[[], datetime]


def as_of(event: dict | None, clock: Clock) -> datetime:
    """When a job runs: the `now` an operator passed by hand (ISO-8601), else the clock's."""
    raw = (event or {}).get("now")
    return datetime.fromisoformat(raw) if raw else clock()


def utc_now() -> datetime:
    """The system clock: what every function uses unless handed another."""
    return datetime.now(UTC)


def expiry(moment: datetime, retention_days: int) -> int:
    """Epoch seconds `retention_days` after `moment`: what a TTL attribute holds."""
    return int((moment + timedelta(days=retention_days)).timestamp())


def iso(moment: datetime) -> str:
    """UTC, millisecond precision, `Z` suffix: sortable as a string. The year always has four digits (strftime's %Y
    writes year 999 as "999" on Linux, which neither sorts nor reads back)."""
    utc = moment.astimezone(UTC)
    return f"{utc.year:04d}-{utc:%m-%dT%H:%M:%S}.{utc.microsecond // 1000:03d}Z"
