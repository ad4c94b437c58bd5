"""§6: scale on paper. One campaign at 10,000 tracked events per second: how the events table's key
design (shared/platform/keys.py: `<campaign>#<date>#<shard>`, EVENT_SHARDS shards) spreads the writes.

Events are planned by the real tracking rules (shared/tracking/rules.py), so their keys are the keys the
handlers write: clicks from distinct visitors, views and shares. Each simulated second's events are
counted per partition key, and each write is priced in write units from its item's size.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bench.dynamo_ledger import item_size, write_units
from shared.platform import keys
from shared.tracking.models import LinkTarget
from shared.platform.dynamo import serialise
from shared.tracking.rules import EventRecord, Visitor, plan_click, plan_share_or_view

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
# The mix of a second's events: every `MIX` entry is one event in turn.
MIX = ("click", "click", "view", "view", "share")
START = datetime(2026, 11, 22, 12, tzinfo=UTC)
# DynamoDB's write limit for one partition.
PARTITION_WRITE_LIMIT_PER_SECOND = 1000


def partition_write_rate(events_per_second: float) -> float:
    """Writes per second that the busiest partition of one campaign's day takes, keys spreading evenly."""
    return events_per_second / keys.EVENT_SHARDS


@dataclass(frozen=True)
class KeySpread:
    events_per_second: int
    seconds: int
    shards: int
    partitions_used: int  # distinct partition keys written in the day
    busiest_partition_wcu_per_second: float  # the most write units any one partition key took in any one second
    even_share_wcu_per_second: float  # what a perfectly even spread would put on each
    largest_item_bytes: int
    units_per_write: int  # write units of the largest item: 1 while items stay under 1 KB
    limit_wcu_per_second: int

    @property
    def headroom(self) -> float:
        return self.limit_wcu_per_second / self.busiest_partition_wcu_per_second


def _record(kind: str, n: int, target: LinkTarget, at: datetime) -> EventRecord:
    visitor = Visitor(ip=f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}", user_agent=BROWSER, opted_out=False)
    if kind == "click":
        return plan_click(target, visitor, b"bench-salt", at, "redirect", 400)[1]
    return plan_share_or_view(kind, target, visitor, at, "pixel", 400, channel="email")


def _stored_item(record: EventRecord) -> dict:
    item = {**record.key, **record.attributes}
    if record.repeatable:  # what the UpdateItem adds
        item |= {"last_at": record.attributes["at"], "hits": 1}
    return serialise(item)


def simulate_key_spread(events_per_second: int = 10_000, seconds: int = 5, campaign_id: str = "spring") -> KeySpread:
    target = LinkTarget(code="k7mq2xw9ab", campaign_id=campaign_id, advocate_id="adv_0123456789abcdef", destination_url="https://shop.example.com/")
    busiest = 0.0
    partitions: set[str] = set()
    largest = 0
    n = 0
    for second in range(seconds):
        load: Counter[str] = Counter()
        base = START + timedelta(seconds=second)
        for i in range(events_per_second):
            record = _record(MIX[n % len(MIX)], n, target, base + timedelta(microseconds=i * 1_000_000 // events_per_second))
            n += 1
            size = item_size(_stored_item(record))
            largest = max(largest, size)
            load[record.key["pk"]] += write_units(size)
        busiest = max(busiest, max(load.values()))
        partitions.update(load)
    return KeySpread(
        events_per_second=events_per_second,
        seconds=seconds,
        shards=keys.EVENT_SHARDS,
        partitions_used=len(partitions),
        busiest_partition_wcu_per_second=busiest,
        even_share_wcu_per_second=partition_write_rate(events_per_second),
        largest_item_bytes=largest,
        units_per_write=write_units(largest),
        limit_wcu_per_second=PARTITION_WRITE_LIMIT_PER_SECOND,
    )
