"""The embedded AWS emulator of local mode: moto server, plus the tables and bucket the stack defines.

The resources come from `shared.platform.resources`, the same definitions the CDK stack builds from, so local
mode and AWS agree on names, keys and TTL attributes.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import socket
import threading
from collections.abc import Callable, Iterable, MutableMapping
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.exceptions import ClientError
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from moto.server import ThreadedMotoServer

from local.settings import local_settings
from shared.platform.resources import METRICS_BUCKET, REWARDS_BUS, SPILL_DEAD_LETTERS, SPILL_MAX_RECEIVES, SPILL_QUEUE, TABLES, BucketDefinition, BusDefinition, TableDefinition

logger = logging.getLogger(__name__)

HOST = "127.0.0.1"
REGION = "us-east-1"
ACCOUNT_ID = "123456789012"  # moto's default account
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing"}


def endpoint_url_for(port: int) -> str:
    return f"http://{HOST}:{port}"


def local_environment(endpoint_url: str) -> dict[str, str]:
    """What the handlers, jobs and boto3 need to find the emulator and the local resource names."""
    environment = {
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        **FAKE_CREDENTIALS,
        METRICS_BUCKET.env_var: METRICS_BUCKET.local_name,
        REWARDS_BUS.env_var: REWARDS_BUS.local_name,
    }
    environment.update({table.env_var: table.local_name for table in TABLES})
    return environment


def point_environment_at(endpoint_url: str, environ: MutableMapping[str, str] | None = None) -> None:
    environ = os.environ if environ is None else environ
    # A profile or credentials file of the developer must not leak into local mode.
    environ.pop("AWS_PROFILE", None)
    environ.update(local_environment(endpoint_url))


def use_local_mode_unless_aws(resource_env_var: str) -> None:
    """For commands that also work against AWS (`wom jobs run`, `wom report`): local mode's emulator, unless the
    environment already points elsewhere (AWS_ENDPOINT_URL) or names the stack's resource the command needs."""
    if "AWS_ENDPOINT_URL" not in os.environ and not os.environ.get(resource_env_var):
        point_environment_at(endpoint_url_for(local_settings().emulator_port))


class _OneRequestAtATime:
    """moto applies a DynamoDB transaction item by item and undoes a cancelled one by restoring a copy of the
    whole table, so concurrent requests can lose each other's writes. DynamoDB serialises transactions; this
    makes the emulator do the same, by serving one request at a time."""

    def __init__(self, app: object) -> None:
        self._app = app
        self._lock = threading.Lock()

    def __call__(self, environ: dict, start_response: object) -> Iterable[bytes]:
        with self._lock:
            return list(self._app(environ, start_response))  # type: ignore[operator]


_one_partition = threading.local()


def _query_reads_one_partition() -> None:
    """moto gathers a Query's candidates by sorting every item of the table (Table.all_items), so each query
    costs the whole table; DynamoDB reads one partition. The metrics job queries 64 partitions per campaign-day
    every run, which made local mode slower with every event recorded. For queries on the table's own key,
    moto is handed only that partition's items (per thread, for that call): it filters them and sorts them by
    range key itself, so the answer is the same."""
    from moto.dynamodb.models.table import Table

    if getattr(Table.query, "_wom_one_partition", False):
        return
    original_query, original_all_items = Table.query, Table.all_items

    def all_items(self: Table) -> list:
        if getattr(_one_partition, "table", None) is self:
            return _one_partition.items
        return original_all_items(self)

    def query(self: Table, hash_key: object, *args: object, **kwargs: object) -> object:
        index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
        if index_name or hash_key is None or not self.range_key_attr:
            return original_query(self, hash_key, *args, **kwargs)
        _one_partition.table = self
        _one_partition.items = list(self.items[hash_key].values()) if hash_key in self.items else []
        try:
            return original_query(self, hash_key, *args, **kwargs)
        finally:
            _one_partition.table = _one_partition.items = None

    query._wom_one_partition = True  # type: ignore[attr-defined]
    Table.query = query  # type: ignore[method-assign]
    Table.all_items = all_items  # type: ignore[method-assign]


_transaction = threading.local()


def _transactions_keep_only_their_items() -> None:
    """moto keeps a deep copy of each table a transaction touches (one per item it names) to roll back a
    cancelled one, so every transaction costs time and memory in proportion to the tables, and a conversion's
    transaction names the events table. DynamoDB isolates by item: here a transaction keeps the old versions
    of the items it names, and a cancelled one puts them back. moto's table copies become no-ops for that call
    (per thread), so its own rollback changes nothing."""
    import moto.dynamodb.models as models
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.table import Table

    backend = models.DynamoDBBackend
    if getattr(backend.transact_write_items, "_wom_item_rollback", False):
        return
    original = backend.transact_write_items

    class _CopyExceptTables:
        def __getattr__(self, name: str) -> object:
            return getattr(copy, name)

        @staticmethod
        def deepcopy(value: object, memo: dict | None = None) -> object:
            if getattr(_transaction, "active", False) and isinstance(value, Table):
                return value
            return copy.deepcopy(value, memo)

    def _named_items(self: object, transact_items: list[dict]) -> list[tuple[Table, DynamoType, DynamoType | None]]:
        named = []
        for entry in transact_items:
            for operation in entry.values():
                table = self.tables.get(operation.get("TableName"))  # type: ignore[attr-defined]
                source = operation.get("Key") or operation.get("Item") or {}
                if table is None or table.hash_key_attr not in source:
                    continue
                range_key = table.range_key_attr
                if range_key and range_key not in source:
                    continue
                named.append((table, DynamoType(source[table.hash_key_attr]), DynamoType(source[range_key]) if range_key else None))
        return named

    def transact_write_items(self: object, transact_items: list[dict]) -> None:
        before = [(table, h, r, copy.deepcopy(table.get_item(h, r))) for table, h, r in _named_items(self, transact_items)]
        _transaction.active = True
        try:
            original(self, transact_items)
        except Exception:
            for table, h, r, item in reversed(before):
                if item is None:
                    table.delete_item(h, r)
                elif r is None:
                    table.items[h] = item
                else:
                    table.items[h][r] = item
            raise
        finally:
            _transaction.active = False

    transact_write_items._wom_item_rollback = True  # type: ignore[attr-defined]
    models.copy = _CopyExceptTables()  # type: ignore[assignment]
    backend.transact_write_items = transact_write_items  # type: ignore[method-assign]


class SerialMotoServer(ThreadedMotoServer):
    def _server_entry(self) -> None:
        from werkzeug.serving import make_server

        from moto.moto_server.threaded_moto_server import MotoRequestHandler

        app = _OneRequestAtATime(DomainDispatcherApplication(create_backend_app))
        self._server = make_server(self._ip_address, self._port, app, True, request_handler=MotoRequestHandler)
        self._server_ready_event.set()
        self._server.serve_forever()


@dataclass
class Emulator:
    server: ThreadedMotoServer
    port: int

    @property
    def endpoint_url(self) -> str:
        return endpoint_url_for(self.port)

    def stop(self) -> None:
        self.server.stop()


def ensure_port_free(port: int) -> None:
    """Raise OSError when the port is taken: moto's server thread would die silently and `start()` wait forever."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as werkzeug's server does
        probe.bind((HOST, port))


def keep_moto_close_to_dynamodb() -> None:
    """moto in this process reads one partition per query and rolls back only a transaction's own items (see the
    two functions above): what local mode's emulator does, for code that runs moto in process (the bench)."""
    _query_reads_one_partition()
    _transactions_keep_only_their_items()


def start_emulator(port: int | None = None) -> Emulator:
    """Start moto server in a background thread; raises OSError when the port is taken."""
    port = local_settings().emulator_port if port is None else port
    if port:
        ensure_port_free(port)
    # moto answers every call through werkzeug's request log: far too chatty for a developer console.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    keep_moto_close_to_dynamodb()
    server = SerialMotoServer(ip_address=HOST, port=port, verbose=False)
    server.start()
    return Emulator(server=server, port=server.get_host_and_port()[1])


def client(service: str, endpoint_url: str):  # noqa: ANN201 - a boto3 client of any service
    """A boto3 client of the emulator, whatever the process environment says."""
    return boto3.client(
        service,
        endpoint_url=endpoint_url,
        region_name=REGION,
        aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=FAKE_CREDENTIALS["AWS_SESSION_TOKEN"],
    )


def create_table(dynamodb, table: TableDefinition) -> None:
    key_schema = [{"AttributeName": table.partition_key, "KeyType": "HASH"}]
    attributes = [{"AttributeName": table.partition_key, "AttributeType": "S"}]
    if table.sort_key:
        key_schema.append({"AttributeName": table.sort_key, "KeyType": "RANGE"})
        attributes.append({"AttributeName": table.sort_key, "AttributeType": "S"})
    indexes = []
    for index in table.indexes:
        indexes.append(
            {
                "IndexName": index.name,
                "KeySchema": [
                    {"AttributeName": index.partition_key, "KeyType": "HASH"},
                    {"AttributeName": index.sort_key, "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        )
        attributes += [{"AttributeName": name, "AttributeType": "S"} for name in (index.partition_key, index.sort_key)]
    attributes = list({a["AttributeName"]: a for a in attributes}.values())  # indexes may share a key attribute
    stream = {"StreamSpecification": {"StreamEnabled": True, "StreamViewType": table.stream_view_type}} if table.stream_view_type else {}
    try:
        dynamodb.create_table(
            TableName=table.local_name,
            KeySchema=key_schema,
            AttributeDefinitions=attributes,
            BillingMode="PAY_PER_REQUEST",
            **({"GlobalSecondaryIndexes": indexes} if indexes else {}),
            **stream,
        )
    except ClientError as error:
        if error.response["Error"]["Code"] != "ResourceInUseException":
            raise
    dynamodb.get_waiter("table_exists").wait(TableName=table.local_name, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    if table.ttl_attribute:
        description = dynamodb.describe_time_to_live(TableName=table.local_name)["TimeToLiveDescription"]
        if description.get("TimeToLiveStatus") not in ("ENABLED", "ENABLING"):
            dynamodb.update_time_to_live(
                TableName=table.local_name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": table.ttl_attribute},
            )


def create_bucket(s3, bucket: BucketDefinition) -> None:
    try:
        s3.create_bucket(Bucket=bucket.local_name)
    except ClientError as error:
        if error.response["Error"]["Code"] not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
            raise


def create_bus(events, bus: BusDefinition) -> None:
    try:
        events.create_event_bus(Name=bus.local_name)
    except ClientError as error:
        if error.response["Error"]["Code"] != "ResourceAlreadyExistsException":
            raise


def create_queues(sqs) -> None:
    """The spill queue and its dead letters, with the stack's redrive (SPILL_MAX_RECEIVES deliveries)."""
    dead = sqs.create_queue(QueueName=SPILL_DEAD_LETTERS.local_name)["QueueUrl"]
    dead_arn = sqs.get_queue_attributes(QueueUrl=dead, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    redrive = json.dumps({"deadLetterTargetArn": dead_arn, "maxReceiveCount": str(SPILL_MAX_RECEIVES)})
    sqs.create_queue(QueueName=SPILL_QUEUE.local_name, Attributes={"RedrivePolicy": redrive, "VisibilityTimeout": "30"})


def create_resources(client_of: Callable[[str], Any]) -> Any:
    """Create every table, the metrics bucket and the rewards bus through `client_of(service)` (boto3.client inside
    moto, or `emulator_clients(endpoint_url)` for moto server); safe to run again. Returns the DynamoDB client."""
    dynamodb = client_of("dynamodb")
    for table in TABLES:
        create_table(dynamodb, table)
    create_bucket(client_of("s3"), METRICS_BUCKET)
    create_bus(client_of("events"), REWARDS_BUS)
    create_queues(client_of("sqs"))
    logger.info("created tables %s and bucket %s", ", ".join(t.local_name for t in TABLES), METRICS_BUCKET.local_name)
    return dynamodb


def emulator_clients(endpoint_url: str) -> Callable[[str], Any]:
    """boto3 clients of the emulator at `endpoint_url`, whatever the process environment says."""
    return lambda service: client(service, endpoint_url)
