"""The work lists of the jobs: items that carry (due_queue, due_at) sit on that queue of the sparse due index until
a job takes them off, so a run reads what is due and never the history. Each repository names its own queues."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from shared.platform.clock import iso
from shared.platform.dynamo import Table
from shared.platform.resources import DUE_INDEX

T = TypeVar("T")


def on_queue(queue: str, due_at: str) -> dict[str, str]:
    """The attributes that put an item on `queue`, due at `due_at`."""
    return {DUE_INDEX.partition_key: queue, DUE_INDEX.sort_key: due_at}


_CURSOR_NAMES = {"pk", "sk", DUE_INDEX.partition_key, DUE_INDEX.sort_key}


def due(table: Table, queue: str, now: datetime, limit: int, cursor: str | None = None) -> tuple[list[dict[str, Any]], str | None]:
    """The earliest items of a queue that are due by `now`, from `cursor` on, and the cursor of the next page (the
    index is eventually consistent: every change a job makes is conditional on the item's own state, so a stale
    entry is harmless)."""
    return table.page(
        limit=limit,
        cursor=cursor,
        cursor_names=_CURSOR_NAMES,
        listing={DUE_INDEX.partition_key: queue},
        IndexName=DUE_INDEX.name,
        KeyConditionExpression="#q = :q AND #d <= :now",
        ExpressionAttributeNames={"#q": DUE_INDEX.partition_key, "#d": DUE_INDEX.sort_key},
        ExpressionAttributeValues={":q": queue, ":now": iso(now)},
    )


def first_unseen(read_page: Callable[[str | None], tuple[list[T], str | None]], unseen: Callable[[T], bool]) -> list[T]:
    """The unseen items of the first page of a due list that has any. Items a run left on the list on purpose (a
    recipient being erased, an erasure still retrying) must not hide the items due after them, however many."""
    cursor: str | None = None
    while True:
        page, cursor = read_page(cursor)
        fresh = [item for item in page if unseen(item)]
        if fresh or cursor is None:
            return fresh
