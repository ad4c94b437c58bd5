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
    # Continuous backups for 35 days. Off only where a backup would outlive what the table promises to destroy,
    # or would copy what is kept elsewhere; `no_backup_reason` then says which (cdk-nag's DDB3 acknowledgement).
    point_in_time_recovery: bool = True
    no_backup_reason: str = ""
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
    no_backup_reason=(
        "Raw events stay here only for the hot window (TTL); the stream copies each one within minutes into the raw "
        "event archive in S3, which keeps them for the retention period. A backup would be a third copy of bytes "
        "that expire anyway, at about 80% of the table's storage price."
    ),
    stream_view_type="NEW_IMAGE",
)

# The rewards job's work list: conversions, refunds and pending rewards carry (due_queue, due_at) until the
# job has dealt with them, so a run reads what is new or due and never the history.
DUE_INDEX = IndexDefinition(name="due", partition_key="due_queue", sort_key="due_at")
# Rewards listed by campaign and creation time for the admin API.
LISTING_INDEX = IndexDefinition(name="listing", partition_key="list_pk", sort_key="list_sk")
# An advocate's rewards by creation time (GET /v1/rewards?advocate_id=): only rewards carry both attributes.
ADVOCATE_REWARDS_INDEX = IndexDefinition(name="advocate_rewards", partition_key="advocate_id", sort_key="list_sk")

# Campaigns, advocates, codes, conversions, refunds, rewards, erasures and each customer's index (CUSTOMER#<key>:
# the items that hold that customer's id or a hash of it, so an erasure reads only those).
REFERRALS_TABLE = TableDefinition(
    logical_id="ReferralsTable",
    env_var="WOM_REFERRALS_TABLE",
    partition_key="pk",
    sort_key="sk",
    ttl_attribute="expires_at",
    local_name="wom-referrals",
    indexes=(DUE_INDEX, LISTING_INDEX, ADVOCATE_REWARDS_INDEX),
)

# The visitor salts: one random salt per UTC day, destroyed 48 hours after that day began (SPEC §6). No
# point-in-time recovery: its backups would keep each salt for 35 days, and with it the power to link a day's
# visitor hashes to the IP addresses and user agents they were made from.
SALTS_TABLE = TableDefinition(
    logical_id="SaltsTable",
    env_var="WOM_SALTS_TABLE",
    partition_key="pk",
    sort_key="sk",
    ttl_attribute="expires_at",
    local_name="wom-salts",
    point_in_time_recovery=False,
    no_backup_reason=(
        "The salts table holds only what wom promises to destroy soon (SPEC §6: a visitor salt 48 hours after its "
        "day began); point-in-time recovery would keep every version for 35 days. Nothing in it needs restoring: "
        "a lost salt is made anew, unlinking that day's visitors."
    ),
)

TABLES: tuple[TableDefinition, ...] = (EVENTS_TABLE, REFERRALS_TABLE, SALTS_TABLE)

METRICS_BUCKET = BucketDefinition(logical_id="MetricsBucket", env_var="WOM_METRICS_BUCKET", local_name="wom-metrics")
# The daily metrics objects (SPEC §5): <prefix>campaign_id=<id>/dt=<YYYY-MM-DD>/metrics.json. The Glue table reads here.
DAILY_METRICS_PREFIX = "metrics/daily/"
COHORT_METRICS_PREFIX = "metrics/cohorts/"
# The raw event archive (SPEC §5): <prefix>dt=<YYYY-MM-DD>/<first stream sequence number>.json.gz, gzip JSON Lines.
ARCHIVE_PREFIX = "events/"
# Where Athena's workgroup writes query results, in the same bucket, outside the table's location.
ATHENA_RESULTS_PREFIX = "athena-results/"


@dataclass(frozen=True)
class QueueDefinition:
    logical_id: str
    env_var: str  # carries the queue's URL to the functions that send to it
    local_name: str


# Tracked events whose write failed (throttled, unavailable, timed out), until the replay function writes them
# (shared/tracking/spill.py, infra/constructs/spill.py).
SPILL_QUEUE = QueueDefinition(logical_id="SpillQueue", env_var="WOM_SPILL_QUEUE_URL", local_name="wom-spill")
# What the replay could not write after SPILL_MAX_RECEIVES deliveries.
SPILL_DEAD_LETTERS = QueueDefinition(logical_id="SpillDeadLetters", env_var="WOM_SPILL_DEAD_LETTERS_URL", local_name="wom-spill-dead-letters")
SPILL_MAX_RECEIVES = 10
QUEUES: tuple[QueueDefinition, ...] = (SPILL_QUEUE, SPILL_DEAD_LETTERS)


@dataclass(frozen=True)
class BusDefinition:
    logical_id: str
    env_var: str
    local_name: str
    source: str


# RewardApproved, RewardVoided and RewardAdjusted for the operator's fulfilment (SPEC §4).
REWARDS_BUS = BusDefinition(logical_id="RewardsBus", env_var="WOM_EVENT_BUS", local_name="wom-rewards", source="wom.rewards")


@dataclass(frozen=True)
class SecretDefinition:
    """A secret in Secrets Manager (in AWS) or a plain environment value (locally). `arn_env_var` carries its ARN to
    the functions that may read it; `name` ends its Secrets Manager name (`wom/<stack>/<name>`)."""

    logical_id: str
    name: str
    arn_env_var: str
    description: str
    # Who sets the value: wom generates it, or the operator pastes the platform's (the generated one is a placeholder
    # that verifies nothing until then).
    set_by_operator: bool = False


# The key of the HMAC under which customer emails are kept.
HASH_KEY_SECRET = SecretDefinition(
    "HashKey", "email-hash-key", "WOM_HASH_KEY_SECRET_ARN",
    "wom: key for the keyed hash of customer emails; never rotate (stored hashes would orphan)",
)
# Wom-Signature on storefront posts; several comma-separated values during a rotation.
SIGNING_SECRET = SecretDefinition(
    "SigningSecret", "signing-secret", "WOM_SIGNING_SECRET_ARN",
    "wom: Wom-Signature HMAC secret(s) for storefront posts; comma-separate old,new to rotate",
)
# The Stripe webhook endpoint's signing secret (whsec_…) and the Shopify app's client secret.
STRIPE_WEBHOOK_SECRET = SecretDefinition(
    "StripeWebhookSecret", "stripe-webhook-secret", "WOM_STRIPE_WEBHOOK_SECRET_ARN",
    "wom: the Stripe webhook endpoint's signing secret (whsec_...); paste Stripe's value, comma-separate old,new to rotate",
    set_by_operator=True,
)
SHOPIFY_SECRET = SecretDefinition(
    "ShopifySecret", "shopify-secret", "WOM_SHOPIFY_SECRET_ARN",
    "wom: the Shopify app's client secret that signs its webhooks; paste Shopify's value, comma-separate old,new to rotate",
    set_by_operator=True,
)
# wom's own key of advocates' status tokens (SPEC 3.6): storefronts never hold it, so only wom mints tokens.
# Several comma-separated keys during a rotation; the first signs.
STATUS_TOKEN_KEY_SECRET = SecretDefinition(
    "StatusTokenKey", "status-token-key", "WOM_STATUS_TOKEN_KEY_SECRET_ARN",
    "wom: key of advocates' status tokens; comma-separate new,old to rotate (the first signs)",
)
SECRETS: tuple[SecretDefinition, ...] = (
    HASH_KEY_SECRET, SIGNING_SECRET, STRIPE_WEBHOOK_SECRET, SHOPIFY_SECRET, STATUS_TOKEN_KEY_SECRET,
)
