"""§4: the metrics job — items read for one day with 30 days in the table, and its run time at 1×, 10× and
100× events a day.

NOT YET MEASURED: the metrics job does not exist yet. The harness is here and tested with a stand-in
job (tests/bench); plugging the real job in is one function:

    HOOK: make `metrics_job_runner()` return a callable `run(day: date) -> None` that runs the metrics job
    for that one day against the tables and bucket named in the environment (the WOM_* variables of
    bench.environment.handler_environment). It is called inside moto, with a DynamoLedger on
    `shared.repositories.dynamo.dynamodb_client()`, so the job must use that client for DynamoDB.

If the job reads more than the events table (conversions, refunds, rewards in the referrals table),
extend `_seed_day` so each day holds those items too, and count them in `day_items`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from moto import mock_aws

from bench import traffic
from bench.dynamo_ledger import DynamoLedger
from bench.environment import counted_logs, create_stack_resources, handler_environment, patched_environ
from shared import services
from shared.definitions import EVENTS_TABLE, TABLES
from shared.models import LinkTarget
from shared.repositories.dynamo import dynamodb_client
from shared.repositories.events import EventRepository
from shared.tracking import Visitor, plan_click, plan_share_or_view

NOT_BUILT = "not yet measured: the metrics job does not exist yet"
DAYS_IN_TABLE = 30
SCALES = (1, 10, 100)
MIX = ("share", "view", "click", "click")

Runner = Callable[[date], None]


def metrics_job_runner() -> Runner | None:
    """HOOK (see the module docstring): return the metrics job for one day once it exists."""
    return None


@dataclass(frozen=True)
class ScaleRun:
    scale: int
    events_per_day: int
    day_items: int  # items of the measured day
    table_items: int  # items in the table: DAYS_IN_TABLE days
    items_read: int
    read_ratio: float  # items read / day's items (budget ≤ 1.05)
    calls: dict[str, int]
    seconds: float  # in process, under moto


@dataclass(frozen=True)
class MetricsJobResult:
    measured: bool
    reason: str = ""
    runs: tuple[ScaleRun, ...] = ()


def _seed_day(repository: EventRepository, target: LinkTarget, day: date, count: int) -> int:
    records = []
    for n in range(count):
        at = datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(seconds=n * 86_400 // max(count, 1))
        visitor = Visitor(ip=traffic.visitor_ip(n), user_agent="Mozilla/5.0 bench", opted_out=False)
        kind = MIX[n % len(MIX)]
        if kind == "click":
            records.append(plan_click(target, visitor, lambda d: b"bench-salt", at, "redirect", 400)[1])
        else:
            records.append(plan_share_or_view(kind, target, visitor, at, "pixel", 400, channel="email"))
    repository.record_many(records)
    return len(records)


def _run_at_scale(runner: Runner, scale: int, base_events_per_day: int, log_level: str) -> ScaleRun:
    with patched_environ(handler_environment(log_level)), mock_aws(), counted_logs():
        services.reset()
        inspector = create_stack_resources()
        seed = traffic.seed_campaign()
        target = LinkTarget(code=seed.code, campaign_id=traffic.CAMPAIGN_ID, advocate_id=seed.advocate_id, destination_url=traffic.CAMPAIGN["destination_url"])
        repository = EventRepository(inspector, EVENTS_TABLE.local_name)
        measured_day = date(2026, 11, 21)
        events_per_day = base_events_per_day * scale
        counts = {measured_day - timedelta(days=d): _seed_day(repository, target, measured_day - timedelta(days=d), events_per_day) for d in range(DAYS_IN_TABLE)}
        ledger = DynamoLedger(dynamodb_client(), inspector, TABLES)
        start = time.perf_counter()
        runner(measured_day)
        seconds = time.perf_counter() - start
        tally = ledger.since(0)
        services.reset()
    day_items = counts[measured_day]
    return ScaleRun(
        scale=scale,
        events_per_day=events_per_day,
        day_items=day_items,
        table_items=sum(counts.values()),
        items_read=tally.items_read,
        read_ratio=tally.items_read / day_items if day_items else float("inf"),
        calls=tally.operations,
        seconds=seconds,
    )


def measure_metrics_job(runner: Runner | None = None, base_events_per_day: int = 20, scales: tuple[int, ...] = SCALES, log_level: str = "INFO") -> MetricsJobResult:
    runner = runner or metrics_job_runner()
    if runner is None:
        return MetricsJobResult(measured=False, reason=NOT_BUILT)
    return MetricsJobResult(measured=True, runs=tuple(_run_at_scale(runner, scale, base_events_per_day, log_level) for scale in scales))
