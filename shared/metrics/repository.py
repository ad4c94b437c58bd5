"""What the metrics job reads and writes: one campaign-day of the events table, the daily metrics objects in S3,
and advocates' daily activity in the referrals table."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any

from shared.platform import keys
from shared.platform.dynamo import deserialise, put_in_batches, serialise

# Partitions of a campaign-day read at once: a day is EVENT_SHARDS independent partitions.
READ_CONCURRENCY = 8


class DayReader:
    """Reads exactly one campaign's day: a Query per partition of that day, never a scan, never another day."""

    def __init__(self, client: Any, table_name: str, concurrency: int = READ_CONCURRENCY) -> None:
        self._client = client
        self._table = table_name
        # One pool for the reader's life (a function instance): each campaign-day would otherwise start its threads anew.
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="day-reader")

    def _partition(self, pk: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        query: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": serialise({":pk": pk}),
        }
        while True:
            response = self._client.query(**query)
            items += [deserialise(item) for item in response.get("Items", [])]
            if "LastEvaluatedKey" not in response:
                return items
            query["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def read(self, campaign_id: str, day: date) -> list[dict[str, Any]]:
        partitions = keys.day_partitions(campaign_id, day)
        return [item for items in self._pool.map(self._partition, partitions) for item in items]


class MetricsObjects:
    def __init__(self, s3_client: Any, bucket: str) -> None:
        self._s3 = s3_client
        self._bucket = bucket

    def put(self, key: str, body: bytes) -> None:
        self._s3.put_object(Bucket=self._bucket, Key=key, Body=body, ContentType="application/json")


class AdvocateActivity:
    """One item per advocate and day with that day's shares and clicks; rewritten whole by every run."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def save(self, day: date, activity: dict[str, dict[str, int]]) -> None:
        items = [
            serialise({**keys.advocate_activity_key(advocate_id, day), "kind": "activity", "date": day.isoformat(), **tally})
            for advocate_id, tally in sorted(activity.items())
        ]
        put_in_batches(self._client, self._table, items)
