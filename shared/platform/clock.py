"""The one clock. Logic takes `now` as an argument; handlers and jobs ask this module."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def utc_now() -> datetime:
    return datetime.now(UTC)


def expiry(moment: datetime, retention_days: int) -> int:
    """Epoch seconds `retention_days` after `moment`: what a TTL attribute holds."""
    return int((moment + timedelta(days=retention_days)).timestamp())


def iso(moment: datetime) -> str:
    """UTC, millisecond precision, `Z` suffix: sortable as a string."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
