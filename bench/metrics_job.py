"""§4: the metrics job — items read for one day with 30 days in the table, and its run time at 1×, 10× and
100× events a day.

The real job (shared.metrics.job, as its function builds it) runs for one day inside moto, with a DynamoLedger on
`shared.platform.dynamo.dynamodb_client()`, the client it reads through: every item it reads is counted
against the day's items. Each seeded day holds shares, views and clicks of the bench campaign as the tracking
planners make them, a conversion fact and an unattributed conversion fact. Its run time is then taken again with
AWS answered from memory (see `_timed_without_moto`).
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import boto3
from botocore.awsrequest import AWSResponse
from moto import mock_aws

from bench import traffic
from bench.dynamo_ledger import DynamoLedger
from bench.environment import CLOSED_ENDPOINT, counted_logs, create_stack_resources, handler_environment, patched_environ
from bench.latency import CannedDynamoDB
from bench.stats import Spread
from shared.platform import keys
from shared.platform.clock import utc_now
from shared import wiring
from shared.platform.resources import EVENTS_TABLE, REFERRALS_TABLE, TABLES
from shared.metrics.facts import conversion_fact
from shared.tracking.models import LinkTarget
from shared.platform.dynamo import dynamodb_client, put_in_batches, serialise
from shared.tracking.rules import Visitor, plan_click, plan_share_or_view

NOT_BUILT = "not yet measured: the metrics job does not exist yet"
# The bench campaign exists from before the first seeded day: the job skips days before a campaign existed.
CAMPAIGN_CREATED = datetime(2026, 10, 1, tzinfo=UTC)
DAYS_IN_TABLE = 30
SCALES = (1, 10, 100)
MIX = ("share", "view", "click", "click")

Runner = Callable[[date], None]


def metrics_job_runner() -> Runner | None:
    """The metrics job for one day, as its Lambda function builds it."""

    def run(day: date) -> None:
        wiring.metrics_job().run_days([day])

    return run


@dataclass(frozen=True)
class ScaleRun:
    scale: int
    events_per_day: int
    day_items: int  # items of the measured day
    table_items: int  # items in the table: DAYS_IN_TABLE days
    items_read: int
    read_ratio: float  # items read / day's items (budget ≤ 1.05)
    calls: dict[str, int]
    seconds: Spread  # the job's own time, AWS answered from memory
    moto_seconds: float  # the counted run under moto (grows with the table: moto's Query looks at every item)


@dataclass(frozen=True)
class MetricsJobResult:
    measured: bool
    reason: str = ""
    runs: tuple[ScaleRun, ...] = ()


SeededItems = dict[tuple[str, str, str], dict]  # (table, pk, sk) -> item as DynamoDB holds it


def _seed_day(client: object, target: LinkTarget, day: date, count: int) -> SeededItems:
    """A day of the bench campaign: shares, views and clicks as the tracking planners make them (each click a
    new visitor, so one item with one hit), a conversion fact, and an unattributed conversion fact."""
    midnight = datetime.combine(day, datetime.min.time(), tzinfo=UTC)
    records = []
    for n in range(count):
        at = midnight + timedelta(seconds=n * 86_400 // max(count, 1))
        visitor = Visitor(ip=traffic.visitor_ip(n), user_agent="Mozilla/5.0 bench", opted_out=False)
        kind = MIX[n % len(MIX)]
        if kind == "click":
            record = plan_click(target, visitor, b"bench-salt", at, "redirect", 400)[1]
            records.append({**record.key, **record.attributes, "hits": 1, "last_at": record.attributes["at"]})
        else:
            record = plan_share_or_view(kind, target, visitor, at, "pixel", 400, channel="email")
            records.append({**record.key, **record.attributes})
    noon = midnight + timedelta(hours=12)
    for campaign_id, advocate_id, status in ((target.campaign_id, target.advocate_id, "attributed"), (None, None, "unattributed")):
        fact = conversion_fact(
            conversion_id=f"cnv_{day}_{status}", campaign_id=campaign_id, advocate_id=advocate_id, status=status,
            amount=4999, currency="USD", new_customer=status == "attributed", received_at=noon, retention_days=400,
        )
        records.append(fact.item)
    items = {(EVENTS_TABLE.local_name, r["pk"], r["sk"]): serialise(r) for r in records}
    put_in_batches(client, EVENTS_TABLE.local_name, list(items.values()))
    return items


def _timed_without_moto(runner: Runner, day: date, snapshot: SeededItems, log_level: str, repetitions: int) -> Spread:
    """The job's own time: DynamoDB answered from the seeded items (bench.latency.CannedDynamoDB), S3 puts
    accepted unread, nothing over the network. moto's Query looks at every item of the table, so its run
    time grows with the table, which DynamoDB's does not: that is why the time is taken here."""
    environment = {**handler_environment(log_level), "AWS_ENDPOINT_URL": CLOSED_ENDPOINT}
    session_events = boto3._get_default_session().events  # noqa: SLF001 - clients copy the session's hooks
    session_events.register("before-call.s3", _accept_s3_call, unique_id="bench-metrics-s3")
    try:
        with patched_environ(environment, drop=("AWS_PROFILE",)), counted_logs():
            wiring.reset()
            CannedDynamoDB(dynamodb_client(), snapshot)
            runner(day)  # warm: clients built, modules imported
            samples = []
            for _ in range(repetitions):
                gc.collect()
                start = time.perf_counter()
                runner(day)
                samples.append(time.perf_counter() - start)
            wiring.reset()
    finally:
        session_events.unregister("before-call.s3", unique_id="bench-metrics-s3")
    return Spread.of(samples)


def _accept_s3_call(**_: object) -> tuple[AWSResponse, dict]:
    return AWSResponse(CLOSED_ENDPOINT, 200, {}, None), {"ResponseMetadata": {"HTTPStatusCode": 200}}


def _run_at_scale(runner: Runner, scale: int, base_events_per_day: int, log_level: str, repetitions: int) -> ScaleRun:
    measured_day = date(2026, 11, 21)
    events_per_day = base_events_per_day * scale
    with patched_environ(handler_environment(log_level)), mock_aws(), counted_logs():
        wiring.reset()
        inspector = create_stack_resources()
        wiring.use_clock(lambda: CAMPAIGN_CREATED)
        seed = traffic.seed_campaign()
        wiring.use_clock(utc_now)
        target = LinkTarget(code=seed.code, campaign_id=traffic.CAMPAIGN_ID, advocate_id=seed.advocate_id, destination_url=traffic.CAMPAIGN["destination_url"])
        days = {measured_day - timedelta(days=d): _seed_day(inspector, target, measured_day - timedelta(days=d), events_per_day) for d in range(DAYS_IN_TABLE)}
        # What the timed run may read besides the day: the campaign list.
        listing = inspector.query(TableName=REFERRALS_TABLE.local_name, KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": {"S": keys.CAMPAIGN_LISTING}})["Items"]
        ledger = DynamoLedger(dynamodb_client(), inspector, TABLES)
        start = time.perf_counter()
        runner(measured_day)
        moto_seconds = time.perf_counter() - start
        tally = ledger.since(0)
        wiring.reset()
    snapshot = {**days[measured_day], **{(REFERRALS_TABLE.local_name, i["pk"]["S"], i["sk"]["S"]): i for i in listing}}
    seconds = _timed_without_moto(runner, measured_day, snapshot, log_level, repetitions)
    day_items = len(days[measured_day])
    return ScaleRun(
        scale=scale,
        events_per_day=events_per_day,
        day_items=day_items,
        table_items=sum(len(items) for items in days.values()),
        items_read=tally.items_read,
        read_ratio=tally.items_read / day_items if day_items else float("inf"),
        calls=tally.operations,
        seconds=seconds,
        moto_seconds=moto_seconds,
    )


def measure_metrics_job(runner: Runner | None = None, base_events_per_day: int = 20, scales: tuple[int, ...] = SCALES, log_level: str = "INFO", repetitions: int = 5) -> MetricsJobResult:
    runner = runner or metrics_job_runner()
    if runner is None:
        return MetricsJobResult(measured=False, reason=NOT_BUILT)
    return MetricsJobResult(measured=True, runs=tuple(_run_at_scale(runner, scale, base_events_per_day, log_level, repetitions) for scale in scales))
