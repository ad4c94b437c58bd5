"""Low-level DynamoDB plumbing shared by the repositories: one client, (de)serialisation."""

from __future__ import annotations

import time
from decimal import Decimal
from functools import lru_cache
from typing import Any

import boto3
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.config import Config

BATCH_WRITE_LIMIT = 25  # DynamoDB's limit per BatchWriteItem (moto accepts more; AWS does not)
_BATCH_ATTEMPTS = 5

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()

# Fail fast: a browser is waiting on the tracking routes.
_CONFIG = Config(connect_timeout=2, read_timeout=3, retries={"max_attempts": 3, "mode": "standard"})


@lru_cache(maxsize=1)
def dynamodb_client() -> Any:
    return boto3.client("dynamodb", config=_CONFIG)


def _to_dynamo(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {k: _to_dynamo(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_to_dynamo(v) for v in value]
    return value


def _from_dynamo(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _from_dynamo(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_dynamo(v) for v in value]
    return value


def serialise(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _serializer.serialize(_to_dynamo(v)) for k, v in item.items() if v is not None}


def deserialise(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _from_dynamo(_deserializer.deserialize(v)) for k, v in item.items()}


def is_conditional_failure(error: Exception) -> bool:
    code = getattr(error, "response", {}).get("Error", {}).get("Code")
    return code == "ConditionalCheckFailedException"


def cancellation_reasons(error: Exception) -> list[str]:
    return [reason.get("Code", "None") for reason in getattr(error, "response", {}).get("CancellationReasons", [])]


def transact_put(table: str, item: dict[str, Any]) -> dict[str, Any]:
    """An unconditional Put for TransactWriteItems."""
    return {"Put": {"TableName": table, "Item": serialise(item)}}


def put_in_batches(client: Any, table: str, items: list[dict[str, Any]]) -> None:
    """Puts serialised items in batches of 25, retrying what DynamoDB leaves unprocessed with backoff."""
    requests = [{"PutRequest": {"Item": item}} for item in items]
    for start in range(0, len(requests), BATCH_WRITE_LIMIT):
        pending = requests[start : start + BATCH_WRITE_LIMIT]
        for attempt in range(_BATCH_ATTEMPTS):
            if attempt:
                time.sleep(0.02 * 2**attempt)
            response = client.batch_write_item(RequestItems={table: pending})
            pending = response.get("UnprocessedItems", {}).get(table, [])
            if not pending:
                break
        else:
            raise RuntimeError(f"{len(pending)} items left unprocessed after {_BATCH_ATTEMPTS} attempts")
