"""Local stand-in for the archive writer's event source mapping: reads the events table's DynamoDB stream in the
emulator (moto models DynamoDB Streams) and hands each batch of records to the archive function, as Lambda's
poller does in AWS, every WOM_ARCHIVE_INTERVAL seconds.

A batch the function fails on is offered again at the next poll (Lambda retries it too); the stream's position
only moves past a batch once the function has taken it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

import boto3
from botocore.config import Config

from shared.platform.resources import EVENTS_TABLE, TableDefinition

logger = logging.getLogger(__name__)

BATCH_SIZE = 1000
# Stream ARNs name the account: botocore would otherwise aim at <account>.streams-ddb…, which the emulator is not.
STREAMS_CONFIG = Config(account_id_endpoint_mode="disabled")

Invoke = Callable[[str, dict], Any]


def streams_client(**kwargs: Any) -> Any:
    return boto3.client("dynamodbstreams", config=STREAMS_CONFIG, **kwargs)


def lambda_record(record: dict[str, Any], stream_arn: str) -> dict[str, Any]:
    """A GetRecords record as Lambda delivers it in the event: times in epoch seconds, the stream's ARN added."""
    dynamodb = dict(record["dynamodb"])
    created = dynamodb.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        dynamodb["ApproximateCreationDateTime"] = int(created.timestamp())
    return {**{k: v for k, v in record.items() if k != "dynamodb"}, "dynamodb": dynamodb, "eventSourceARN": stream_arn}


class StreamPoller:
    def __init__(self, dynamodb: Any, streams: Any, invoke: Invoke, table: TableDefinition = EVENTS_TABLE, batch_size: int = BATCH_SIZE) -> None:
        self.dynamodb = dynamodb
        self.streams = streams
        self.invoke = invoke
        self.table = table
        self.batch_size = batch_size
        self._iterators: dict[str, str] = {}  # shard id -> where the next batch starts
        self._stream_arn: str | None = None

    def _shards(self) -> list[str]:
        if self._stream_arn is None:
            self._stream_arn = self.dynamodb.describe_table(TableName=self.table.local_name)["Table"]["LatestStreamArn"]
        description = self.streams.describe_stream(StreamArn=self._stream_arn)["StreamDescription"]
        return [shard["ShardId"] for shard in description["Shards"]]

    def start_at_latest(self) -> None:
        """Read only what is written from now on (shards that appear later are read from their start)."""
        for shard in self._shards():
            self._iterators[shard] = self.streams.get_shard_iterator(StreamArn=self._stream_arn, ShardId=shard, ShardIteratorType="LATEST")["ShardIterator"]

    def poll_once(self) -> int:
        """Hands every record the stream holds past the last batch taken to the archive function; returns how many."""
        handed = 0
        for shard in self._shards():
            if shard not in self._iterators:
                self._iterators[shard] = self.streams.get_shard_iterator(
                    StreamArn=self._stream_arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
                )["ShardIterator"]
            while True:
                page = self.streams.get_records(ShardIterator=self._iterators[shard], Limit=self.batch_size)
                records = page.get("Records", [])
                if not records:
                    break
                self.invoke("archive", {"Records": [lambda_record(r, str(self._stream_arn)) for r in records]})
                self._iterators[shard] = page["NextShardIterator"]
                handed += len(records)
        return handed
