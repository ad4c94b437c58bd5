"""What each function may do, declared as data: the IAM statements are built from this and nothing else.

A function added to shared.definitions.FUNCTIONS has no access until it is given an entry here;
synthesis fails until then, so no role ever gets a broad default.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from shared.definitions import EVENTS_TABLE, REFERRALS_TABLE, TableDefinition


@dataclass(frozen=True)
class FunctionAccess:
    # DynamoDB actions per table (on the table ARN only: no indexes are defined).
    tables: dict[TableDefinition, tuple[str, ...]] = field(default_factory=dict)
    # GetSecretValue on the email-hashing key / on the storefront signing secret.
    reads_hash_key: bool = False
    reads_signing_secret: bool = False


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
            # Campaign and advocate writes go through TransactWriteItems, which IAM authorises per item action.
            REFERRALS_TABLE: (
                "dynamodb:ConditionCheckItem",
                "dynamodb:GetItem",
                "dynamodb:PutItem",
                "dynamodb:Query",
                "dynamodb:UpdateItem",
            ),
        },
        reads_hash_key=True,
    ),
    # Signed storefront posts (functions/conversions): click lookup on the events table; orders, refunds and the
    # first-purchase claim written with conditional puts and transactions (Put + Update) on the referrals table.
    "conversions": FunctionAccess(
        tables={
            EVENTS_TABLE: ("dynamodb:GetItem",),
            REFERRALS_TABLE: ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"),
        },
        reads_hash_key=True,
        reads_signing_secret=True,
    ),
}


def access_for(function_name: str) -> FunctionAccess:
    try:
        return ACCESS[function_name]
    except KeyError:
        raise KeyError(
            f"function {function_name!r} has no entry in infra/permissions.py ACCESS; declare what it may do there"
        ) from None
