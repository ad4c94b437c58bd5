"""What each function may do, declared as data: the IAM statements are built from this and nothing else.

A function added to shared.platform.deployment.FUNCTIONS has no access until it is given an entry here;
synthesis fails until then, so no role ever gets a broad default. The same entry says which resources' names
the function finds in its environment: a function is told of exactly what it may use.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from shared.platform.resources import (
    ADVOCATE_REWARDS_INDEX,
    ARCHIVE_PREFIX,
    COHORT_METRICS_PREFIX,
    DAILY_METRICS_PREFIX,
    DUE_INDEX,
    HASH_KEY_SECRET,
    EVENTS_TABLE,
    LISTING_INDEX,
    METRICS_BUCKET,
    REFERRALS_TABLE,
    REWARDS_BUS,
    SALTS_TABLE,
    SHOPIFY_SECRET,
    SIGNING_SECRET,
    SPILL_QUEUE,
    STATUS_TOKEN_KEY_SECRET,
    STRIPE_WEBHOOK_SECRET,
    TABLES,
    BucketDefinition,
    BusDefinition,
    IndexDefinition,
    QueueDefinition,
    SecretDefinition,
    TableDefinition,
)


@dataclass(frozen=True)
class FunctionAccess:
    # DynamoDB actions per table, on the table's ARN only (which grants nothing on its indexes).
    tables: dict[TableDefinition, tuple[str, ...]] = field(default_factory=dict)
    # DynamoDB actions per global secondary index, on that one index's ARN (table/<name>/index/<index>).
    indexes: dict[IndexDefinition, tuple[str, ...]] = field(default_factory=dict)
    # events:PutEvents on each of these buses, and on no other.
    buses: tuple[BusDefinition, ...] = ()
    # s3:PutObject on these key prefixes of each bucket, and nothing else of it.
    bucket_writes: dict[BucketDefinition, tuple[str, ...]] = field(default_factory=dict)
    # s3:GetObject on these key prefixes, and s3:ListBucket of the bucket for those prefixes only.
    bucket_reads: dict[BucketDefinition, tuple[str, ...]] = field(default_factory=dict)
    # The DynamoDB stream of each of these tables, read by the function's event source mapping (which runs as
    # the function's role): DescribeStream, GetShardIterator, GetRecords and ListStreams on that stream only.
    stream_reads: tuple[TableDefinition, ...] = ()
    # GetSecretValue on these secrets, and on no other; the function is told their ARNs.
    reads_secrets: tuple[SecretDefinition, ...] = ()
    # sqs:SendMessage on each of these queues, and on no other; the function is told each one's URL (env_var).
    sends_to: tuple[QueueDefinition, ...] = ()
    # Each of these queues, read by the function's SQS event source mapping (which runs as the function's role):
    # ReceiveMessage, DeleteMessage, GetQueueAttributes and ChangeMessageVisibility on that queue only.
    consumes: tuple[QueueDefinition, ...] = ()

    @property
    def table_definitions(self) -> tuple[TableDefinition, ...]:
        """Every table the function uses, directly or through one of its indexes: it is told their names."""
        owners = [table for index in self.indexes for table in TABLES if index in table.indexes]
        return tuple(dict.fromkeys([*self.tables, *owners]))

    @property
    def bucket_definitions(self) -> tuple[BucketDefinition, ...]:
        return tuple(dict.fromkeys([*self.bucket_writes, *self.bucket_reads]))


ACCESS: dict[str, FunctionAccess] = {
    "tracking": FunctionAccess(
        tables={
            # One write per recorded event (deduplication is a condition on that write); batches from /v1/events.
            EVENTS_TABLE: ("dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:BatchWriteItem"),
            # Code and campaign lookups.
            REFERRALS_TABLE: ("dynamodb:GetItem",),
            # The day's visitor salt, created (PutItem) when it does not exist yet.
            SALTS_TABLE: ("dynamodb:GetItem", "dynamodb:PutItem"),
        },
        # A request whose write failed sends its events there (shared/tracking/spill.py); the replay writes them.
        sends_to=(SPILL_QUEUE,),
    ),
    "admin": FunctionAccess(
        tables={
            # A review's transaction leaves its facts (a voided or milestone reward) for the metrics job.
            EVENTS_TABLE: ("dynamodb:PutItem",),
            # Campaign and advocate writes go through TransactWriteItems, which IAM authorises per item action;
            # listings read their page's campaigns or advocates with one BatchGetItem. An erasure request only
            # records itself (the receipt, the customer marked): the privacy job does the deleting.
            REFERRALS_TABLE: (
                "dynamodb:BatchGetItem",
                "dynamodb:ConditionCheckItem",
                "dynamodb:GetItem",
                "dynamodb:PutItem",
                "dynamodb:Query",
                "dynamodb:UpdateItem",
            ),
        },
        # GET /v1/rewards: rewards by campaign, or by advocate, and creation time; a campaign's ?status=held: its
        # review queue, on the due index.
        indexes={LISTING_INDEX: ("dynamodb:Query",), ADVOCATE_REWARDS_INDEX: ("dynamodb:Query",), DUE_INDEX: ("dynamodb:Query",)},
        reads_secrets=(HASH_KEY_SECRET,),
    ),
    # Signed storefront posts and commerce webhooks (functions/conversions): click lookup on the events table; orders, refunds and the
    # first-purchase claim written with conditional puts and transactions (Put + Update) on the referrals table,
    # each with its fact for the metrics job (a Put on the events table, in the same transaction); the advocate's
    # hourly referral counters of the last 24 hours read with one Query (fraud review's velocity).
    # The buyer's customer index: a reference put with each order, and a ConditionCheck of the customer's state.
    "conversions": FunctionAccess(
        tables={
            EVENTS_TABLE: ("dynamodb:GetItem", "dynamodb:PutItem"),
            REFERRALS_TABLE: ("dynamodb:ConditionCheckItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"),
        },
        # Storefront posts carry Wom-Signature; Stripe and Shopify sign their webhooks with their own secrets.
        reads_secrets=(HASH_KEY_SECRET, SIGNING_SECRET, STRIPE_WEBHOOK_SECRET, SHOPIFY_SECRET),
    ),
    # The storefront's own routes (functions/storefront): the signed enrolment reads the campaign and enrols through
    # the admin enrolment's transactions (Puts with conditions and the customer's index, a ConditionCheck of their
    # state; an Update when a consent sent again replaces the recorded one); the status read gets the advocate,
    # campaign and counters and queries the advocate's partition (referrals, daily activity). It signs and reads
    # status tokens.
    "storefront": FunctionAccess(
        tables={REFERRALS_TABLE: ("dynamodb:ConditionCheckItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem")},
        reads_secrets=(HASH_KEY_SECRET, SIGNING_SECRET, STATUS_TOKEN_KEY_SECRET),
    ),
    # The rewards job: reads its work list from the due index only (never the table's history), writes rewards
    # and takes items off the list in transactions (authorised per item action), with the facts of reward changes
    # for the metrics job (Put on the events table); publishes reward events. A rescore finds the rewards of past
    # days by querying their campaign-days' partitions of the events table (never a scan).
    "rewards": FunctionAccess(
        tables={
            EVENTS_TABLE: ("dynamodb:PutItem", "dynamodb:Query"),
            REFERRALS_TABLE: (
                "dynamodb:ConditionCheckItem",
                "dynamodb:DeleteItem",
                "dynamodb:GetItem",
                "dynamodb:PutItem",
                "dynamodb:UpdateItem",
            ),
        },
        indexes={DUE_INDEX: ("dynamodb:Query",)},
        buses=(REWARDS_BUS,),
    ),
    # The privacy job: reads its work list from the due index; each erased customer's index and the items it names
    # by key (Get, Query of one partition); erases each in a transaction (Update, Delete, Put of a RewardVoided
    # outbox entry, ConditionChecks); deletes an advocate's counters in batches; deletes expired visitor salts.
    "privacy": FunctionAccess(
        tables={
            REFERRALS_TABLE: (
                "dynamodb:BatchWriteItem",
                "dynamodb:ConditionCheckItem",
                "dynamodb:DeleteItem",
                "dynamodb:GetItem",
                "dynamodb:PutItem",
                "dynamodb:Query",
                "dynamodb:UpdateItem",
            ),
            SALTS_TABLE: ("dynamodb:DeleteItem", "dynamodb:GetItem"),
        },
        indexes={DUE_INDEX: ("dynamodb:Query",)},
    ),
    # The metrics job: queries one campaign-day's partitions of the events table (never a scan), lists campaigns
    # (one Query) and writes advocates' daily activity in the referrals table; puts the daily metrics objects; reads
    # a day older than the hot window from the raw event archive (that day's objects only: list and get).
    # A campaign-day it cannot compute is marked set aside in the referrals table until a retry deletes the mark.
    # Each day's advocate count is one Query of the campaign's markers; each cohort one Query of its ledger
    # partition; the cohort objects go under metrics/cohorts/.
    "metrics": FunctionAccess(
        tables={
            EVENTS_TABLE: ("dynamodb:Query",),
            REFERRALS_TABLE: ("dynamodb:BatchWriteItem", "dynamodb:DeleteItem", "dynamodb:PutItem", "dynamodb:Query"),
        },
        bucket_writes={METRICS_BUCKET: (DAILY_METRICS_PREFIX, COHORT_METRICS_PREFIX)},
        bucket_reads={METRICS_BUCKET: (ARCHIVE_PREFIX,)},
    ),
    # The replay (functions/replay): the spill queue in, through its event source mapping (infra/constructs/spill.py).
    # A spilled share or view is a conditional put of its item; a click's hit an Update in a TransactWriteItems
    # with the request's replay marker, a conditional Put in the referrals table (IAM authorises a transaction per
    # item action); a pending event's code is read (GetItem of the code and its campaign) to file it.
    "replay": FunctionAccess(
        tables={
            EVENTS_TABLE: ("dynamodb:PutItem", "dynamodb:UpdateItem"),
            REFERRALS_TABLE: ("dynamodb:GetItem", "dynamodb:PutItem"),
        },
        consumes=(SPILL_QUEUE,),
    ),
    # The archive writer: the events table's stream in, objects under events/ out; no table access at all.
    "archive": FunctionAccess(
        stream_reads=(EVENTS_TABLE,),
        bucket_writes={METRICS_BUCKET: (ARCHIVE_PREFIX,)},
    ),
}


def access_for(function_name: str) -> FunctionAccess:
    try:
        return ACCESS[function_name]
    except KeyError:
        raise KeyError(
            f"function {function_name!r} has no entry in infra/permissions.py ACCESS; declare what it may do there"
        ) from None

