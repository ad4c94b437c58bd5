"""Resource definitions written once: the CDK stack and local mode both build from these (tables, indexes,
buckets, buses and their environment names).

Plain data on purpose: the Lambda functions import this module, so it must not pull in CDK.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class IndexDefinition:
    """A global secondary index with string keys, projecting every attribute. Sparse: only items that
    carry both key attributes are in it."""

    name: str
    partition_key: str
    sort_key: str


@dataclass(frozen=True)
class TableDefinition:
    logical_id: str
    env_var: str
    partition_key: str
    sort_key: str
    ttl_attribute: str | None = None
    local_name: str = ""
    indexes: tuple[IndexDefinition, ...] = ()
    # Continuous backups: on where the table is the only copy of what it holds.
    point_in_time_recovery: bool = True
    # A DynamoDB stream of the items' new images (the raw event archive reads the events table's).
    stream_view_type: str | None = None


@dataclass(frozen=True)
class BucketDefinition:
    logical_id: str
    env_var: str
    local_name: str


# Raw tracking events and facts, partitioned by campaign, day and shard (see shared.platform.keys). They stay only
# for the hot window (wom:hotEventDays): the stream copies every one into the raw event archive in S3, which keeps
# them for wom:rawEventRetentionDays, so a backup of this table would be a third copy of bytes that expire anyway.
EVENTS_TABLE = TableDefinition(
    logical_id="EventsTable",
    env_var="WOM_EVENTS_TABLE",
    partition_key="pk",
    sort_key="sk",
    ttl_attribute="expires_at",
    local_name="wom-events",
    point_in_time_recovery=False,
    stream_view_type="NEW_IMAGE",
)

# The rewards job's work list: conversions, refunds and pending rewards carry (due_queue, due_at) until the
# job has dealt with them, so a run reads what is new or due and never the history.
DUE_INDEX = IndexDefinition(name="due", partition_key="due_queue", sort_key="due_at")
# Rewards listed by campaign and creation time for the admin API.
LISTING_INDEX = IndexDefinition(name="listing", partition_key="list_pk", sort_key="list_sk")
# An advocate's rewards by creation time (GET /v1/rewards?advocate_id=): only rewards carry both attributes.
ADVOCATE_REWARDS_INDEX = IndexDefinition(name="advocate_rewards", partition_key="advocate_id", sort_key="list_sk")

# Campaigns, advocates, codes, conversions, refunds, rewards and the visitor salts (which expire after 48 hours).
REFERRALS_TABLE = TableDefinition(
    logical_id="ReferralsTable",
    env_var="WOM_REFERRALS_TABLE",
    partition_key="pk",
    sort_key="sk",
    ttl_attribute="expires_at",
    local_name="wom-referrals",
    indexes=(DUE_INDEX, LISTING_INDEX, ADVOCATE_REWARDS_INDEX),
)

TABLES: tuple[TableDefinition, ...] = (EVENTS_TABLE, REFERRALS_TABLE)

METRICS_BUCKET = BucketDefinition(logical_id="MetricsBucket", env_var="WOM_METRICS_BUCKET", local_name="wom-metrics")
# The daily metrics objects (SPEC §5): <prefix>campaign_id=<id>/dt=<YYYY-MM-DD>/metrics.json. The Glue table reads here.
DAILY_METRICS_PREFIX = "metrics/daily/"
# The raw event archive (SPEC §5): <prefix>dt=<YYYY-MM-DD>/<first stream sequence number>.json.gz, gzip JSON Lines.
ARCHIVE_PREFIX = "events/"
# Where Athena's workgroup writes query results, in the same bucket, outside the table's location.
ATHENA_RESULTS_PREFIX = "athena-results/"


@dataclass(frozen=True)
class BusDefinition:
    logical_id: str
    env_var: str
    local_name: str
    source: str


# RewardApproved, RewardVoided and RewardAdjusted for the operator's fulfilment (SPEC §4).
REWARDS_BUS = BusDefinition(logical_id="RewardsBus", env_var="WOM_EVENT_BUS", local_name="wom-rewards", source="wom.rewards")
