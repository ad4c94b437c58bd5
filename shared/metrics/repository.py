"""What the metrics job reads and writes: one campaign-day of the events table, the daily metrics objects in S3,
and advocates' daily counts in the referrals table."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any

from shared.platform import keys
from shared.platform.dynamo import Table
from shared.platform.event_items import read_event

# Partitions of a campaign-day read at once: a day is EVENT_SHARDS independent partitions.
READ_CONCURRENCY = 8


class DayReader:
    """Reads exactly one campaign's day: a Query per partition of that day, never a scan, never another day."""

    def __init__(self, client: Any, table_name: str, concurrency: int = READ_CONCURRENCY) -> None:
        self._table = Table(client, table_name)
        # One pool for the reader's life (a function instance): each campaign-day would otherwise start its threads anew.
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="day-reader")

    def read(self, campaign_id: str, day: date) -> list[dict[str, Any]]:
        """The campaign's events and facts of `day`, in the domain's names (shared.platform.event_items)."""
        partitions = keys.day_partitions(campaign_id, day)
        return [read_event(item) for items in self._pool.map(self._table.partition, partitions) for item in items]


class SetAsideDays:
    """Campaign-days the metrics job could not compute, each with its reason: one item apiece in the referrals table,
    until a retry computes the day (a few at most, so one partition holds them)."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._table = Table(client, table_name)

    def put(self, campaign_id: str, day: date, reason: str, at: str) -> None:
        self._table.put({**keys.metrics_set_aside_key(campaign_id, day), "kind": "metrics_set_aside", "campaign_id": campaign_id, "date": day.isoformat(), "reason": reason, "set_aside_at": at})

    def all(self) -> list[dict[str, str]]:
        return [
            {"campaign_id": item["campaign_id"], "date": item["date"], "reason": item["reason"], "set_aside_at": item["set_aside_at"]}
            for item in self._table.partition(keys.METRICS_SET_ASIDE, consistent=True)
        ]

    def remove(self, campaign_id: str, day: date) -> None:
        self._table.delete(keys.metrics_set_aside_key(campaign_id, day))


class MetricsObjects:
    def __init__(self, s3_client: Any, bucket: str) -> None:
        self._s3 = s3_client
        self._bucket = bucket

    def put(self, key: str, body: bytes) -> None:
        self._s3.put_object(Bucket=self._bucket, Key=key, Body=body, ContentType="application/json")


class AdvocateDailyCounts:
    """One item per advocate and day with that day's shares and clicks; rewritten whole by every run."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._table = Table(client, table_name)

    def save(self, day: date, counts: dict[str, dict[str, int]]) -> None:
        self._table.put_batch(
            [
                {**keys.advocate_day_key(advocate_id, day), "kind": "advocate_day", "date": day.isoformat(), **tally}
                for advocate_id, tally in sorted(counts.items())
            ]
        )

    def totals(self, advocate_id: str) -> dict[str, int]:
        """The advocate's shares and clicks over every day counted so far."""
        days = self._table.partition(keys.advocate_key(advocate_id)["pk"], prefix=keys.ADVOCATE_DAY_PREFIX)
        return {name: sum(int(day.get(name, 0)) for day in days) for name in ("shares", "clicks")}
