"""SPEC §8, scale on paper: one campaign at 10,000 tracked events per second without a hot partition.

The events are planned by the real tracking rules, so their partition keys are the ones the handlers
write; each simulated second is counted per partition key in write units from each item's size.
"""

from __future__ import annotations

from bench.scale import PARTITION_WRITE_LIMIT_PER_SECOND, partition_write_rate, simulate_key_spread
from shared.platform import keys

EVENTS_PER_SECOND = 10_000


def test_one_campaign_at_10k_events_per_second_keeps_every_partition_under_its_write_limit():
    spread = simulate_key_spread(EVENTS_PER_SECOND, seconds=3)

    assert spread.partitions_used == keys.EVENT_SHARDS
    assert spread.units_per_write == 1, f"an event item of {spread.largest_item_bytes} B costs more than one write unit"
    assert spread.busiest_partition_wcu_per_second < PARTITION_WRITE_LIMIT_PER_SECOND
    # Hashing spreads the load close to evenly, not merely under the limit.
    assert spread.busiest_partition_wcu_per_second < 1.5 * spread.even_share_wcu_per_second


def test_the_even_share_is_the_rate_over_the_shards():
    assert partition_write_rate(EVENTS_PER_SECOND) == EVENTS_PER_SECOND / keys.EVENT_SHARDS
    assert partition_write_rate(EVENTS_PER_SECOND) < PARTITION_WRITE_LIMIT_PER_SECOND
