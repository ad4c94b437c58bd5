"""What a rescore reads of the events table: the rewards created for one campaign's conversions of one day."""

from __future__ import annotations

from datetime import date
from typing import Any

from shared.metrics.facts import REWARD_CREATED
from shared.platform import keys
from shared.platform.dynamo import Table


class CreatedRewards:
    """A campaign-day's reward_created facts name the rewards of that day's conversions: a Query per partition of
    the day, reading only those facts (never a scan, never another day)."""

    def __init__(self, client: Any, events_table: str) -> None:
        self._table = Table(client, events_table)

    def reward_ids(self, campaign_id: str, day: date) -> list[str]:
        prefix = f"{REWARD_CREATED}#"
        found = []
        for partition in keys.day_partitions(campaign_id, day):
            found += [keys.fact_id(item["sk"]) for item in self._table.partition(partition, prefix=prefix)]
        return sorted(found)
