"""What each function may do, declared as data: the IAM statements are built from this and nothing else.

A function added to shared.platform.deployment.FUNCTIONS has no access until it is given an entry here;
synthesis fails until then, so no role ever gets a broad default. The same entry says which resources' names
the function finds in its environment: a function is told of exactly what it may use.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from shared.platform.resources import (
    ADVOCATE_REWARDS_INDEX,
    DAILY_METRICS_PREFIX,
    DUE_INDEX,
    EVENTS_TABLE,
    LISTING_INDEX,
    METRICS_BUCKET,
    REFERRALS_TABLE,
    REWARDS_BUS,
    TABLES,
    BucketDefinition,
    BusDefinition,
    IndexDefinition,
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
    # GetSecretValue on the email-hashing key / on the storefront signing secret / on the status-token key.
    reads_hash_key: bool = False
    reads_signing_secret: bool = False
    reads_status_token_key: bool = False

    @property
    def table_definitions(self) -> tuple[TableDefinition, ...]:
        """Every table the function uses, directly or through one of its indexes: it is told their names."""
        owners = [table for index in self.indexes for table in TABLES if index in table.indexes]
        return tuple(dict.fromkeys([*self.tables, *owners]))

    @property
    def bucket_definitions(self) -> tuple[BucketDefinition, ...]:
        return tuple(self.bucket_writes)


ACCESS: dict[str, FunctionAccess] = {
    "tracking": FunctionAccess(
        tables={
            # One write per recorded event (deduplication is a condition on that write); batches from /v1/events.
            EVENTS_TABLE: ("dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:BatchWriteItem"),
            # Code lookups, and creating the day's visitor salt (PutItem) when it does not exist yet.
            REFERRALS_TABLE: ("dynamodb:GetItem", "dynamodb:PutItem"),
        },
    ),
    "admin": FunctionAccess(
        tables={
            # Campaign and advocate writes go through TransactWriteItems, which IAM authorises per item action;
            # listings read their page's campaigns or advocates with one BatchGetItem.
            REFERRALS_TABLE: (
                "dynamodb:BatchGetItem",
                "dynamodb:ConditionCheckItem",
                "dynamodb:GetItem",
                "dynamodb:PutItem",
                "dynamodb:Query",
                "dynamodb:UpdateItem",
            ),
        },
        # GET /v1/rewards: rewards by campaign, or by advocate, and creation time.
        indexes={LISTING_INDEX: ("dynamodb:Query",), ADVOCATE_REWARDS_INDEX: ("dynamodb:Query",)},
        reads_hash_key=True,
    ),
    # Signed storefront posts (functions/conversions): click lookup on the events table; orders, refunds and the
    # first-purchase claim written with conditional puts and transactions (Put + Update) on the referrals table,
    # each with its fact for the metrics job (a Put on the events table, in the same transaction).
    "conversions": FunctionAccess(
        tables={
            EVENTS_TABLE: ("dynamodb:GetItem", "dynamodb:PutItem"),
            REFERRALS_TABLE: ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"),
        },
        reads_hash_key=True,
        reads_signing_secret=True,
    ),
    # The storefront's own routes (functions/storefront): the signed enrolment reads the campaign and enrols through
    # the admin enrolment's transaction (Put with conditions); the status read gets the advocate, campaign and counters
    # and queries the advocate's partition (referrals, daily activity). It signs and reads status tokens.
    "storefront": FunctionAccess(
        tables={REFERRALS_TABLE: ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query")},
        reads_hash_key=True,
        reads_signing_secret=True,
        reads_status_token_key=True,
    ),
    # The rewards job: reads its work list from the due index only (never the table's history), writes rewards
    # and takes items off the list in transactions (authorised per item action), with the facts of reward changes
    # for the metrics job (Put on the events table); publishes reward events.
    "rewards": FunctionAccess(
        tables={
            EVENTS_TABLE: ("dynamodb:PutItem",),
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
    # The metrics job: queries one campaign-day's partitions of the events table (never a scan), lists campaigns
    # (one Query) and writes advocates' daily activity in the referrals table; puts the daily metrics objects.
    # A campaign-day it cannot compute is marked set aside in the referrals table until a retry deletes the mark.
    "metrics": FunctionAccess(
        tables={
            EVENTS_TABLE: ("dynamodb:Query",),
            REFERRALS_TABLE: ("dynamodb:BatchWriteItem", "dynamodb:DeleteItem", "dynamodb:PutItem", "dynamodb:Query"),
        },
        bucket_writes={METRICS_BUCKET: (DAILY_METRICS_PREFIX,)},
    ),
}


def access_for(function_name: str) -> FunctionAccess:
    try:
        return ACCESS[function_name]
    except KeyError:
        raise KeyError(
            f"function {function_name!r} has no entry in infra/permissions.py ACCESS; declare what it may do there"
        ) from None

