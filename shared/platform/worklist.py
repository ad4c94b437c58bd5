"""The work lists of the jobs: items that carry (due_queue, due_at) sit on that queue of the sparse due index until
a job takes them off, so a run reads what is due and never the history. Each repository names its own queues."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shared.platform.clock import iso
from shared.platform.dynamo import Table
from shared.platform.resources import DUE_INDEX


def on_queue(queue: str, due_at: str) -> dict[str, str]:
    """The attributes that put an item on `queue`, due at `due_at`."""
    return {DUE_INDEX.partition_key: queue, DUE_INDEX.sort_key: due_at}


def due(table: Table, queue: str, now: datetime, limit: int) -> list[dict[str, Any]]:
    """The earliest items of a queue that are due by `now` (the index is eventually consistent: every change a job
    makes is conditional on the item's own state, so a stale entry is harmless)."""
    items, _ = table.page(
        limit=limit,
        cursor=None,
        cursor_names=set(),
        listing={},
        IndexName=DUE_INDEX.name,
        KeyConditionExpression="#q = :q AND #d <= :now",
        ExpressionAttributeNames={"#q": DUE_INDEX.partition_key, "#d": DUE_INDEX.sort_key},
        ExpressionAttributeValues={":q": queue, ":now": iso(now)},
    )
    return items
