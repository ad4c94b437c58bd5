"""§5 (archive): what the raw event archive costs per event, from measurements.

Under moto, the real tracking function records clicks, shares and views (a new visitor each, a tenth of the clicks
repeated within the hour); local mode's stream poller reads the events table's real DynamoDB stream (moto models
it) and hands the records to the real archive function, as Lambda's event source mapping would. Measured: the
writer's own time for one batch with S3 answered by a stub that keeps the bodies (median of rounds), and the
bytes per line of the objects it writes, gzip-compressed and raw.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import boto3
from moto import mock_aws

from bench import traffic
from bench.environment import create_stack_resources, handler_environment, patched_environ
from bench.stats import Spread
from local.archive import StreamPoller, streams_client
from shared import wiring


@dataclass(frozen=True)
class ArchiveMeasurement:
    records: int  # stream records in the measured batch
    objects: int  # the objects that batch became
    seconds: Spread  # the archive function's time for the whole batch, S3 stubbed
    compressed_bytes_per_line: float
    raw_bytes_per_line: float

    @property
    def seconds_per_record(self) -> float:
        return self.seconds.median / self.records


class _S3Stub:
    """Accepts put_object and keeps the body sizes; nothing leaves the process."""

    def __init__(self) -> None:
        self.bodies: dict[str, bytes] = {}

    def put_object(self, **request: Any) -> dict:
        self.bodies[request["Key"]] = request["Body"]
        return {}


def _record_traffic(code: str, events: int) -> None:
    for n in range(events):
        if n % 5 == 3:
            traffic.invoke(*traffic.pixel("share" if n % 2 else "view", code, n))
        else:
            traffic.invoke(*traffic.click(code, n - 1 if n % 10 == 9 else n))


def measure_archive(log_level: str = "INFO", events: int = 2000, rounds: int = 5) -> ArchiveMeasurement:
    import gzip

    from functions.archive import handler as archive_handler

    with patched_environ(handler_environment(log_level)), mock_aws():
        try:
            create_stack_resources()
            seed = traffic.seed_campaign()
            _record_traffic(seed.code, events)
            batches: list[dict] = []
            StreamPoller(boto3.client("dynamodb"), streams_client(), lambda _name, event: batches.append(event), batch_size=events * 2).poll_once()
            records = [record for batch in batches for record in batch["Records"]]
            batch = {"Records": records}
            stub = _S3Stub()
            writer = wiring.archive_writer()
            writer.objects._s3 = stub  # noqa: SLF001 - the bench answers S3 itself
            archive_handler.lambda_handler(batch, traffic.CONTEXT)  # warm-up
            samples = []
            for _ in range(rounds):
                started = time.perf_counter()
                written = archive_handler.lambda_handler(batch, traffic.CONTEXT)
                samples.append(time.perf_counter() - started)
            lines = written["records"]
            compressed = sum(len(body) for body in stub.bodies.values())
            raw = sum(len(gzip.decompress(body)) for body in stub.bodies.values())
            return ArchiveMeasurement(
                records=len(records),
                objects=len(stub.bodies),
                seconds=Spread.of(samples),
                compressed_bytes_per_line=compressed / lines,
                raw_bytes_per_line=raw / lines,
            )
        finally:
            wiring.reset()
