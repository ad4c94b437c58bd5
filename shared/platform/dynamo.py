"""DynamoDB plumbing written once: one client, (de)serialisation, reads, conditional writes, transactions with
their cancellation reasons, and batches. Repositories build on `Table`; they decide what to store, this module
only how.

Errors here are data-level (`AlreadyStored`, `ConditionFailed`, `TransactionCancelled`): a repository passes
them on or names them more precisely, and the feature's service turns them into domain errors.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import boto3
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import BotoCoreError, ClientError

from shared.platform.budget import budget_for, limits_here, refuse_calls_past_the_deadline, running_function

BATCH_WRITE_LIMIT = 25  # DynamoDB's limit per BatchWriteItem (moto accepts more; AWS does not)
BATCH_GET_LIMIT = 100  # DynamoDB's limit per BatchGetItem
_BATCH_ATTEMPTS = 5
NOT_EXISTS = "attribute_not_exists(pk)"
CONDITION_FAILED = "ConditionalCheckFailed"

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()

Key = dict[str, str]
Operation = dict[str, Any]  # one item of a TransactWriteItems call


# Called with each storage client, made or to be made (local mode's fault injection adds one; nothing does in AWS).
_client_hooks: list[Callable[[Any], None]] = []
_clients: dict[str | None, Any] = {}


def dynamodb_client() -> Any:
    """The DynamoDB client of the function this code runs as, with that function's timeouts and retries
    (shared.platform.budget: a request function's calls fit its timeout, and none starts past its deadline).
    In AWS that is the process's one function; local mode, running every function in one process, names the
    one it invokes (budget.running), so each keeps its own limits there too."""
    from shared.platform.settings import get_settings

    name = running_function() or get_settings().function_name
    client = _clients.get(name)
    if client is None:
        client = boto3.client("dynamodb", config=limits_here(budget_for(name).storage).config())
        client.meta.events.register("before-call.dynamodb", refuse_calls_past_the_deadline)
        for hook in _client_hooks:
            hook(client)
        client = _clients.setdefault(name, client)
    return client


def forget_clients() -> None:
    _clients.clear()


def add_client_hook(hook: Callable[[Any], None]) -> None:
    """Applies `hook` to every storage client already made and to each one made after."""
    _client_hooks.append(hook)
    for client in list(_clients.values()):
        hook(client)


class ConditionFailed(Exception):
    """A conditional write found the item in another state than its condition asked for."""


class AlreadyStored(ConditionFailed):
    """A put-if-new found the item already there (possibly written by a concurrent duplicate)."""


class ItemNotFound(LookupError):
    """The item a change was meant for is not stored."""


class TransactionCancelled(ConditionFailed):
    """A transaction was cancelled; `reasons` holds DynamoDB's code for each of its items, in order."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__(", ".join(reasons))
        self.reasons = reasons

    def failed_at(self, index: int) -> bool:
        """Whether the item at `index` failed its condition (rather than passing, or being cancelled with it)."""
        return index < len(self.reasons) and self.reasons[index] == CONDITION_FAILED

    @property
    def any_condition_failed(self) -> bool:
        return CONDITION_FAILED in self.reasons


class UnstorableValue(ValueError):
    """A value DynamoDB would refuse (an empty attribute name, nesting past 32 levels), caught before the write
    instead of stored half-readable: moto stores an empty map key that botocore then cannot read back."""


MAX_ITEM_DEPTH = 32  # DynamoDB's limit on how deep an item's attributes nest


def _to_dynamo(value: Any, depth: int = 1) -> Any:
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict | list | tuple) and depth > MAX_ITEM_DEPTH:
        raise UnstorableValue(f"attributes nest deeper than {MAX_ITEM_DEPTH} levels")
    if isinstance(value, dict):
        if "" in value:
            raise UnstorableValue("an attribute name is empty")
        return {k: _to_dynamo(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_to_dynamo(v, depth + 1) for v in value]
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


# Errors that say nothing about the item being written or read: the same call may pass a moment later.
_TRANSIENT_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "TransactionInProgressException",
    }
)


def is_transient(error: BaseException) -> bool:
    """Whether a storage error is the service's (throttled, unavailable, unreachable), not the data's."""
    if isinstance(error, BotoCoreError):
        return True  # connection and endpoint errors
    if isinstance(error, TransactionCancelled):
        return any(reason in ("ThrottlingError", "TransactionConflict", "ProvisionedThroughputExceeded") for reason in error.reasons)
    if isinstance(error, ClientError):
        status = getattr(error, "response", {}).get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        return _error_code(error) in _TRANSIENT_CODES or status >= 500
    return False


def _error_code(error: Exception) -> str | None:
    return getattr(error, "response", {}).get("Error", {}).get("Code")


def cancellation_reasons(error: Exception) -> list[str]:
    return [reason.get("Code", "None") for reason in getattr(error, "response", {}).get("CancellationReasons", [])]


def transact(client: Any, operations: list[Operation]) -> None:
    """Runs one TransactWriteItems; a cancelled transaction raises TransactionCancelled with its reasons."""
    try:
        client.transact_write_items(TransactItems=operations)
    except ClientError as error:
        reasons = cancellation_reasons(error)
        if not reasons:
            raise
        raise TransactionCancelled(reasons) from error


class Table:
    """One table: the reads and writes every repository makes, and the operations its transactions combine."""

    def __init__(self, client: Any, name: str) -> None:
        self.client = client
        self.name = name

    # --- reads -----------------------------------------------------------------------------------

    def get(self, key: Key, consistent: bool = False) -> dict[str, Any] | None:
        item = self.client.get_item(TableName=self.name, Key=serialise(key), ConsistentRead=consistent).get("Item")
        return deserialise(item) if item else None

    def query(self, **query: Any) -> Iterator[dict[str, Any]]:
        """Every item a Query answers, page after page. `query` holds the Query's own parameters, values plain."""
        request = {"TableName": self.name, **query}
        if "ExpressionAttributeValues" in request:
            request["ExpressionAttributeValues"] = serialise(request["ExpressionAttributeValues"])
        while True:
            response = self.client.query(**request)
            yield from (deserialise(item) for item in response.get("Items", []))
            if "LastEvaluatedKey" not in response:
                return
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def page(self, *, limit: int, cursor: str | None, cursor_names: set[str], listing: dict[str, str], **query: Any) -> tuple[list[dict[str, Any]], str | None]:
        """One page of a Query and the cursor of the next (None on the last page). `listing` names the key
        attributes that fix the listing (its partition): a cursor of another listing raises InvalidCursor."""
        request = {"TableName": self.name, "Limit": limit, **query}
        if "ExpressionAttributeValues" in request:
            request["ExpressionAttributeValues"] = serialise(request["ExpressionAttributeValues"])
        if cursor:
            request["ExclusiveStartKey"] = decode_cursor(cursor, cursor_names, listing)
        response = self.client.query(**request)
        last = response.get("LastEvaluatedKey")
        return [deserialise(item) for item in response.get("Items", [])], encode_cursor(last) if last else None

    def get_many(self, keys_: list[Key]) -> list[dict[str, Any]]:
        """The items of `keys_` that exist, in the order of `keys_` (BatchGetItem, 100 keys a call, what DynamoDB
        leaves unprocessed asked again with backoff)."""
        found: dict[tuple[str, ...], dict[str, Any]] = {}
        names = sorted(keys_[0]) if keys_ else []
        for start in range(0, len(keys_), BATCH_GET_LIMIT):
            pending: dict[str, Any] = {"Keys": [serialise(key) for key in keys_[start : start + BATCH_GET_LIMIT]], "ConsistentRead": True}
            for attempt in range(_BATCH_ATTEMPTS):
                if attempt:
                    time.sleep(0.02 * 2**attempt)
                response = self.client.batch_get_item(RequestItems={self.name: pending})
                for item in response.get("Responses", {}).get(self.name, []):
                    plain = deserialise(item)
                    found[tuple(plain[name] for name in names)] = plain
                pending = response.get("UnprocessedKeys", {}).get(self.name)
                if not pending:
                    break
            else:
                raise RuntimeError(f"{len(pending['Keys'])} keys left unprocessed after {_BATCH_ATTEMPTS} attempts")
        return [found[k] for k in (tuple(key[name] for name in names) for key in keys_) if k in found]

    def partition(self, pk: str, prefix: str | None = None, consistent: bool = False) -> list[dict[str, Any]]:
        """Every item under one partition key (whose sort key starts with `prefix`, if given)."""
        condition, values = "pk = :pk", {":pk": pk}
        if prefix is not None:
            condition, values = condition + " AND begins_with(sk, :prefix)", {**values, ":prefix": prefix}
        return list(self.query(KeyConditionExpression=condition, ExpressionAttributeValues=values, ConsistentRead=consistent))

    # --- single writes ---------------------------------------------------------------------------

    def put(self, item: dict[str, Any]) -> None:
        self.client.put_item(TableName=self.name, Item=serialise(item))

    def put_new(self, key: Key, attributes: dict[str, Any]) -> None:
        """Puts the item only if no item has its key; raises AlreadyStored otherwise."""
        try:
            self.client.put_item(TableName=self.name, Item=serialise({**key, **attributes}), ConditionExpression=NOT_EXISTS)
        except ClientError as error:
            if _error_code(error) == "ConditionalCheckFailedException":
                raise AlreadyStored(str(key)) from error
            raise

    def update(self, key: Key, expression: str, values: dict[str, Any] | None = None, names: dict[str, str] | None = None) -> None:
        self.client.update_item(**self.update_op(key, expression, values, names=names)["Update"])

    def delete(self, key: Key) -> None:
        self.client.delete_item(TableName=self.name, Key=serialise(key))

    def put_batch(self, items: list[dict[str, Any]]) -> None:
        """Puts in batches of 25, retrying what DynamoDB leaves unprocessed with backoff."""
        put_in_batches(self.client, self.name, [serialise(item) for item in items])

    def delete_batch(self, keys_: list[Key]) -> None:
        """Deletes in batches of 25, retrying what DynamoDB leaves unprocessed with backoff."""
        write_in_batches(self.client, self.name, [{"DeleteRequest": {"Key": serialise(key)}} for key in keys_])

    # --- operations for transactions -------------------------------------------------------------

    def put_op(self, item: dict[str, Any], condition: str | None = None, values: dict[str, Any] | None = None) -> Operation:
        put: dict[str, Any] = {"TableName": self.name, "Item": serialise(item)}
        if condition:
            put["ConditionExpression"] = condition
        if values:
            put["ExpressionAttributeValues"] = serialise(values)
        return {"Put": put}

    def put_new_op(self, key: Key, attributes: dict[str, Any]) -> Operation:
        """A Put that fails its condition when an item with that key exists."""
        return self.put_op({**key, **attributes}, NOT_EXISTS)

    def update_op(
        self,
        key: Key,
        expression: str,
        values: dict[str, Any] | None = None,
        condition: str | None = None,
        names: dict[str, str] | None = None,
    ) -> Operation:
        update: dict[str, Any] = {"TableName": self.name, "Key": serialise(key), "UpdateExpression": expression}
        if values:
            update["ExpressionAttributeValues"] = serialise(values)
        if condition:
            update["ConditionExpression"] = condition
        if names:
            update["ExpressionAttributeNames"] = names
        return {"Update": update}

    def delete_op(self, key: Key, condition: str | None = None, values: dict[str, Any] | None = None, names: dict[str, str] | None = None) -> Operation:
        delete: dict[str, Any] = {"TableName": self.name, "Key": serialise(key)}
        if condition:
            delete["ConditionExpression"] = condition
        if values:
            delete["ExpressionAttributeValues"] = serialise(values)
        if names:
            delete["ExpressionAttributeNames"] = names
        return {"Delete": delete}

    def check_op(self, key: Key, condition: str, values: dict[str, Any] | None = None, names: dict[str, str] | None = None) -> Operation:
        """A ConditionCheck: the transaction goes through only while the item (present or not) meets `condition`."""
        check: dict[str, Any] = {"TableName": self.name, "Key": serialise(key), "ConditionExpression": condition}
        if values:
            check["ExpressionAttributeValues"] = serialise(values)
        if names:
            check["ExpressionAttributeNames"] = names
        return {"ConditionCheck": check}


def put_in_batches(client: Any, table: str, items: list[dict[str, Any]]) -> None:
    """Puts serialised items in batches of 25, retrying what DynamoDB leaves unprocessed with backoff."""
    write_in_batches(client, table, [{"PutRequest": {"Item": item}} for item in items])


def write_in_batches(client: Any, table: str, requests: list[dict[str, Any]]) -> None:
    """BatchWriteItem requests (puts or deletes) 25 a call, retrying what DynamoDB leaves unprocessed with backoff."""
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


class InvalidCursor(ValueError):
    """A paging cursor that this listing did not hand out."""


def encode_cursor(last_key: dict[str, Any]) -> str:
    """A Query's LastEvaluatedKey (string attributes) as an opaque, URL-safe cursor."""
    plain = {name: value["S"] for name, value in last_key.items()}
    return base64.urlsafe_b64encode(json.dumps(plain, sort_keys=True).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, names: set[str], fixed: dict[str, str]) -> dict[str, Any]:
    """The ExclusiveStartKey of a cursor `encode_cursor` made for the same listing: exactly the key `names`,
    with the `fixed` attributes (the listing's partition) as given. Anything else raises InvalidCursor."""
    try:
        plain = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        valid = (
            isinstance(plain, dict)
            and set(plain) == names
            and all(isinstance(value, str) and len(value) < 1024 for value in plain.values())
            and all(plain[name] == value for name, value in fixed.items())
        )
    except (ValueError, UnicodeDecodeError):
        valid = False
    if not valid:
        raise InvalidCursor(cursor)
    return {name: {"S": value} for name, value in plain.items()}
