"""§10 (spill): what an event costs when its write fails and it takes the spill path, from measurements.

Under moto, every write of the real tracking function to the events table is answered with DynamoDB's throttling
error (reads keep working) while it records clicks (a new visitor each, a tenth repeated within the hour), shares
and views, so each request spills; then the real replay function is handed the spill queue's messages in batches
of the stack's size, as the event source mapping would. Counted by botocore hooks: SQS messages and their bytes,
the replay's DynamoDB calls by operation and the write units they consume (from item sizes: a transaction's items
cost twice), the tracking function's log bytes per spilled request. Priced with §5's prices; what cannot be
measured here (an SQS call's and a DynamoDB call's round trip, the replay's CPU time, Lambda's idle polling of the
queue) is an assumption stated in the table.
"""

from __future__ import annotations

import io
import json
import logging
import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.exceptions import ClientError
from moto import mock_aws

from bench import traffic
from bench.calls import ITEM_OVERHEAD_BYTES
from bench.cost import DAYS_PER_MONTH, GB, Prices
from bench.dynamo_ledger import item_size, write_units
from bench.environment import create_stack_resources, handler_environment, patched_environ
from bench.splice import splice_block
from infra.constructs.spill import SPILL_BATCH_SIZE as BATCH_SIZE
from shared import wiring
from shared.platform.deployment import FUNCTIONS
from shared.platform.resources import EVENTS_TABLE, SPILL_QUEUE
from shared.tracking.repository import REPLAY_MARKER_DAYS

HEADING = "## 10. The spill path"
SQS_PER_MILLION = 0.40  # standard queue requests, per million 64 KB chunks (first million a month free: ignored)
SEND_ROUND_TRIP_MS = 10.0  # one SendMessage from Lambda in-region, added to the tracking request that spills
DYNAMODB_ROUND_TRIP_MS = 5.0  # as §5
REPLAY_CPU_MS_PER_MESSAGE = 1.0  # parsing and building a message's writes
LAMBDA_JSON_FIELDS_BYTES = 160  # what Lambda's JSON log format adds to a line: time, level, logger, request id
# Lambda's SQS pollers long-poll the queue whether or not it holds anything (20 s waits; five pollers at rest).
IDLE_POLLERS, LONG_POLL_SECONDS = 5, 20
WRITES = ("PutItem", "UpdateItem", "BatchWriteItem", "TransactWriteItems")


@dataclass
class SpillMeasurement:
    measured_at: datetime
    events: int  # spilled events (one per request here)
    requests: int
    messages: int  # SQS messages sent
    message_bytes: float  # median body size
    log_bytes_per_request: float  # what the tracking function logged for a spilled request, at WARNING
    replay_batches: int
    replay_calls: Counter = field(default_factory=Counter)  # by operation
    replay_write_units: float = 0.0
    replay_read_units: float = 0.0
    healthy_write_units: float = 0.0  # what the same events cost written first time (§1's way)
    marker_bytes: float = 0.0  # stored bytes of the replay markers put, per event
    marker_days: int = 0
    kinds: Counter = field(default_factory=Counter)


def _throttle_event_writes(model: Any, params: dict, **_: Any) -> None:
    if model.name in WRITES and (params.get("TableName") == EVENTS_TABLE.local_name or EVENTS_TABLE.local_name in params.get("RequestItems", {})):
        raise ClientError({"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "bench"}, "ResponseMetadata": {"HTTPStatusCode": 400}}, model.name)


class _Counter:
    def __init__(self) -> None:
        self.calls: Counter = Counter()
        self.write_units = 0.0
        self.read_units = 0.0
        self.marker_bytes = 0

    def __call__(self, model: Any, params: dict, **_: Any) -> None:
        self.calls[model.name] += 1
        if model.name == "PutItem":
            self.write_units += write_units(item_size(params["Item"]))
        elif model.name == "UpdateItem":
            self.write_units += 1  # a small click item (§1: under 1 KB)
        elif model.name == "TransactWriteItems":
            for operation in params["TransactItems"]:
                (kind, body), = operation.items()
                self.write_units += write_units(item_size(body["Item"]) if kind == "Put" else 0, transactional=True)
                if kind == "Put":  # the request's replay marker
                    self.marker_bytes += item_size(body["Item"]) + ITEM_OVERHEAD_BYTES
        elif model.name == "GetItem":
            self.read_units += 0.5


def measure_spill(log_level: str = "WARNING", requests: int = 200) -> SpillMeasurement:
    from functions.replay.handler import lambda_handler as replay
    from local.gateway import LambdaContext
    from local.spill import lambda_record

    with patched_environ(handler_environment(log_level)), mock_aws():
        create_stack_resources()
        seed = traffic.seed_campaign()
        log = io.StringIO()
        handler = logging.StreamHandler(log)
        tracking_logger = logging.getLogger("wom.tracking")
        tracking_logger.addHandler(handler)
        client = wiring.dynamodb_client()
        client.meta.events.register("before-parameter-build.dynamodb", _throttle_event_writes)
        kinds: Counter = Counter()
        try:
            for n in range(requests):
                if n % 5 == 3:
                    kind = "share" if n % 2 else "view"
                    traffic.invoke(*traffic.pixel(kind, seed.code, n))
                else:
                    kind = "click"
                    traffic.invoke(*traffic.click(seed.code, n - 1 if n % 10 == 9 else n))
                kinds[kind] += 1
        finally:
            client.meta.events.unregister("before-parameter-build.dynamodb", _throttle_event_writes)
            tracking_logger.removeHandler(handler)
        sqs = boto3.client("sqs")
        url = sqs.get_queue_url(QueueName=SPILL_QUEUE.local_name)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        counter = _Counter()
        client.meta.events.register("before-parameter-build.dynamodb", counter)
        sizes, batches, events = [], 0, 0
        [definition] = [f for f in FUNCTIONS if f.name == "replay"]
        while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=BATCH_SIZE).get("Messages", []):
            sizes += [len(m["Body"].encode()) for m in messages]
            events += sum(len(json.loads(m["Body"])["records"]) for m in messages)
            answer = replay({"Records": [lambda_record(m, arn) for m in messages]}, LambdaContext(definition))
            if answer["batchItemFailures"]:
                raise RuntimeError(f"the replay failed in the bench: {answer}")
            for message in messages:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            batches += 1
        sizes.sort()
        return SpillMeasurement(
            measured_at=datetime.now(UTC),
            events=events,
            requests=requests,
            messages=len(sizes),
            message_bytes=sizes[len(sizes) // 2] if sizes else 0,
            log_bytes_per_request=(len(log.getvalue().encode()) + LAMBDA_JSON_FIELDS_BYTES * log.getvalue().count("\n")) / requests,
            replay_batches=batches,
            replay_calls=counter.calls,
            replay_write_units=counter.write_units,
            replay_read_units=counter.read_units,
            # First time: a share or view is one put, a click (new or repeat) one update; all under 1 KB (§1).
            healthy_write_units=float(requests),
            marker_bytes=counter.marker_bytes / max(events, 1),
            marker_days=REPLAY_MARKER_DAYS,
            kinds=kinds,
        )


@dataclass(frozen=True)
class SpillLine:
    item: str
    usd_per_million: float
    method: str


def price_spill(m: SpillMeasurement, tracking_memory_mb: int, replay_memory_mb: int, prices: Prices = Prices()) -> list[SpillLine]:
    """The spill path's extra cost per million spilled events, over what the same events cost on the healthy path."""
    per_event = m.messages / m.events  # messages (and SQS sends) per event
    batches_per_event = m.replay_batches / m.events
    gb_s = prices.lambda_gb_second_arm64
    calls_per_batch = sum(m.replay_calls.values()) / m.replay_batches
    replay_ms = math.ceil(calls_per_batch * DYNAMODB_ROUND_TRIP_MS + BATCH_SIZE * REPLAY_CPU_MS_PER_MESSAGE)
    extra_units = (m.replay_write_units - m.healthy_write_units) / m.events
    chunks = max(1, math.ceil(m.message_bytes / 65_536))
    return [
        SpillLine("SQS SendMessage (tracking)", per_event * chunks * SQS_PER_MILLION, f"{per_event:g} message per event, median {m.message_bytes:.0f} B ({chunks} 64 KB chunk) × ${SQS_PER_MILLION:.2f}/M"),
        SpillLine(
            "Tracking function, the send's time",
            per_event * SEND_ROUND_TRIP_MS / 1000 * tracking_memory_mb / 1024 * gb_s * 1_000_000,
            f"{SEND_ROUND_TRIP_MS:g} ms per spilled request (assumed round trip) at {tracking_memory_mb} MB arm64",
        ),
        SpillLine(
            "CloudWatch Logs, the spill's warning",
            m.log_bytes_per_request * 1_000_000 / GB * prices.logs_ingest_standard_gb,
            f"{m.log_bytes_per_request:.0f} B logged per spilled request at WARNING (with Lambda's JSON fields) × ${prices.logs_ingest_standard_gb}/GB",
        ),
        SpillLine("SQS ReceiveMessage + DeleteMessageBatch (the mapping)", 2 * batches_per_event * SQS_PER_MILLION, f"one of each per batch of {BATCH_SIZE} × ${SQS_PER_MILLION:.2f}/M"),
        SpillLine("Replay function requests", batches_per_event * prices.lambda_requests_per_million, f"one invocation per batch of {BATCH_SIZE} × ${prices.lambda_requests_per_million:.2f}/M"),
        SpillLine(
            "Replay function duration",
            batches_per_event * replay_ms / 1000 * replay_memory_mb / 1024 * gb_s * 1_000_000,
            f"{replay_ms} ms a batch = {calls_per_batch:.1f} DynamoDB calls × {DYNAMODB_ROUND_TRIP_MS:g} ms + {REPLAY_CPU_MS_PER_MESSAGE:g} ms per message, {replay_memory_mb} MB arm64",
        ),
        SpillLine(
            "DynamoDB writes beyond the healthy path's",
            extra_units * prices.dynamodb_write_per_million,
            f"{m.replay_write_units / m.events:.2f} write units per event replayed ({', '.join(f'{n} {op}' for op, n in sorted(m.replay_calls.items()))}; a click's hit and its "
            f"marker in one transaction, billed twice) less the {m.healthy_write_units / m.events:.2f} a first write costs × ${prices.dynamodb_write_per_million}/M",
        ),
        SpillLine(
            "DynamoDB storage, replay markers",
            m.marker_bytes * 1_000_000 / GB * (prices.dynamodb_storage_gb_month + prices.dynamodb_pitr_gb_month) * m.marker_days / DAYS_PER_MONTH,
            f"{m.marker_bytes:.0f} B per event (a click's marker, with overhead) for {m.marker_days} days in the referrals table, with its point-in-time recovery",
        ),
        SpillLine("DynamoDB reads (the replay)", m.replay_read_units / m.events * prices.dynamodb_read_per_million, f"{m.replay_read_units / m.events:.2f} read units per event (codes of pending events)"),
    ]


def idle_polling_per_month() -> float:
    receives = IDLE_POLLERS * (DAYS_PER_MONTH * 86_400 / LONG_POLL_SECONDS)
    return receives / 1_000_000 * SQS_PER_MILLION


def section(m: SpillMeasurement, tracking_memory_mb: int, replay_memory_mb: int, healthy_click_usd: float | None, add) -> None:  # noqa: ANN001 - bench.report's line adder
    lines = price_spill(m, tracking_memory_mb, replay_memory_mb)
    extra = sum(line.usd_per_million for line in lines)
    add(HEADING + "\n")
    add(f"Measured {m.measured_at:%Y-%m-%d %H:%M} UTC.\n")
    add("**Method.** " + " ".join(__doc__.split("\n\n", 1)[1].split()) + "\n")
    add(
        f"{m.requests} requests ({', '.join(f'{n} {k}' for k, n in sorted(m.kinds.items()))}) spilled {m.events} events in {m.messages} messages; "
        f"the replay wrote them in {m.replay_batches} batches.\n"
    )
    add("| item | $ per million spilled events, beyond the healthy path | how |\n| --- | ---: | --- |")
    for line in lines:
        add(f"| {line.item} | {line.usd_per_million:.4f} | {line.method} |")
    add(f"| **the spill path, extra** | **{extra:.3f}** | |\n")
    healthy = f" (${healthy_click_usd:.3f} per million clicks all in, §5)" if healthy_click_usd is not None else ""
    add(
        f"An event that spills costs **${extra:.3f} per million** more than one written first time{healthy}. The healthy path does not "
        "change: a request whose write succeeds makes no SQS call and creates no SQS client (the client is made on the first spill), "
        f"so §1's calls and §5's request-path lines are those of a stack without the spill queue. What the queue adds at rest is "
        f"Lambda's idle polling, {IDLE_POLLERS} pollers long-polling every {LONG_POLL_SECONDS} s: **${idle_polling_per_month():.2f} a month** "
        "(fixed), and the replay's and the queue's alarms, counted in §5's monitoring line from the template.\n"
    )


def splice(report: str, m: SpillMeasurement, tracking_memory_mb: int, replay_memory_mb: int, healthy_click_usd: float | None) -> str:
    """BENCHMARKS.md with this section replaced (or added at the end), every other figure left as it was measured:
    what `python -m bench --only spill` writes."""
    out: list[str] = []
    section(m, tracking_memory_mb, replay_memory_mb, healthy_click_usd, out.append)
    return splice_block(report, HEADING, out)


def healthy_click_from(report: str) -> float | None:
    """§5's all-in cost of a click as BENCHMARKS.md states it in its budget table."""
    import re

    found = re.search(r"\| Cost ≤ \$[\d.]+ per million tracked clicks[^|]*\| \*\*\$([\d.]+)\*\*", report)
    return float(found.group(1)) if found else None
