"""§5: cost per million tracked clicks, shares and conversions at us-east-1 list prices.

Computed from the measured DynamoDB capacity (§1), the measured warm duration (§3), the measured cold
start (§2) and the synthesized template's own settings (memory, architecture, log format and level,
access log format and class, raw-event retention, point-in-time recovery, and the monitoring's alarms,
dashboard, custom metrics and key, a fixed monthly cost spread over an assumed monthly volume). Free tiers are
left out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from bench.archive import ArchiveMeasurement
from bench.calls import ScenarioResult
from bench.stack import ArchiveSettings, FunctionSettings, MonitoringSettings, StackSettings, TableSettings, access_log_line

GB = 2**30
DAYS_PER_MONTH = 365.25 / 12


@dataclass(frozen=True)
class Prices:
    """US East (N. Virginia) list prices, USD. Where each comes from is in `SOURCES`."""

    api_http_per_million: float = 1.00  # HTTP API, first 300 M requests a month
    lambda_requests_per_million: float = 0.20
    lambda_gb_second_arm64: float = 0.0000133334  # first 7.5 bn GB-s a month
    lambda_gb_second_x86_64: float = 0.0000166667  # first 6 bn GB-s a month
    dynamodb_write_per_million: float = 0.625  # on-demand write request units, Standard table class
    dynamodb_read_per_million: float = 0.125  # on-demand read request units
    dynamodb_storage_gb_month: float = 0.25  # Standard table class, past the first 25 GB
    dynamodb_pitr_gb_month: float = 0.20  # continuous backups
    # Standard-IA table class: requests cost 1.25× Standard's (AWS's published ratio), storage $0.10.
    dynamodb_ia_write_per_million: float = 0.78125
    dynamodb_ia_read_per_million: float = 0.15625
    dynamodb_ia_storage_gb_month: float = 0.10
    logs_ingest_standard_gb: float = 0.50  # CloudWatch Logs, Standard log class
    logs_ingest_infrequent_gb: float = 0.25  # Infrequent Access log class
    logs_storage_gb_month: float = 0.03
    data_transfer_out_gb: float = 0.09  # to the internet, first 10 TB a month (first 100 GB free: ignored)
    # Monitoring: fixed a month, whatever the traffic.
    alarm_metric_month: float = 0.10  # standard-resolution alarm, per metric it reads
    dashboard_month: float = 3.00
    custom_metric_month: float = 0.30  # first 10,000 metrics a month
    kms_key_month: float = 1.00  # customer managed key; each of its first two yearly rotations adds $1.00
    put_metric_data_per_thousand: float = 0.01
    dynamodb_streams_read_per_100k: float = 0.0  # GetRecords by a Lambda trigger cost nothing ($0.02 / 100k otherwise)
    s3_put_per_thousand: float = 0.005  # S3 Standard PUT requests
    s3_standard_gb_month: float = 0.023  # first 50 TB
    s3_glacier_ir_gb_month: float = 0.004  # Glacier Instant Retrieval (128 KB and 90 days minimum per object)
    s3_glacier_ir_transition_per_thousand: float = 0.02  # lifecycle transition requests into Glacier IR


PRICES_AS_OF = "2026-11"
SOURCES = (
    "AWS pricing pages for API Gateway, Lambda, DynamoDB, CloudWatch and data transfer, as quoted by public pricing "
    "write-ups stored in the search tool's page corpus (no live fetch from here). They include the changes we know "
    "of: DynamoDB on-demand throughput halved on 2024-11-01 (to $0.625 / $0.125 per million write / read units) and "
    "Lambda billing the INIT phase of managed runtimes since 2025-08-01."
)


@dataclass(frozen=True)
class Assumptions:
    """What the bench cannot measure here, stated once."""

    dynamodb_round_trip_ms: float = 5.0  # per DynamoDB call from Lambda in-region (single-digit ms p50)
    full_vcpu_memory_mb: int = 1769  # Lambda gives one vCPU at 1,769 MB and a proportional share below
    cold_start_fraction: float = 0.01  # AWS: INITs "typically occur in under 1% of invocations"
    max_memory_used_mb: int = 90  # for the size of the REPORT line only
    api_gateway_header_bytes: int = 150  # date, content-length, apigw-requestid, connection
    log_event_overhead_bytes: int = 26  # CloudWatch sizes each log event as its bytes plus 26
    s3_put_ms: float = 30.0  # one PutObject from Lambda in-region (billed duration of the writer)
    # The traffic: monitoring costs the same each month (its share of a million events is that cost over the month's
    # millions), and the archive's batches fill by size or by the batching window, so both depend on it.
    monthly_events: int = 10_000_000

    @property
    def events_per_second(self) -> float:
        return self.monthly_events / (DAYS_PER_MONTH * 86_400)


@dataclass(frozen=True)
class MonthlyLine:
    item: str
    usd_per_month: float
    method: str


def monitoring(settings: MonitoringSettings, prices: Prices = Prices()) -> list[MonthlyLine]:
    """The stack's monitoring, a month (infra/constructs/monitoring.py; counted in the template)."""
    calls = settings.publishing_runs_per_month
    return [
        MonthlyLine(
            "CloudWatch alarms",
            settings.alarm_metrics * prices.alarm_metric_month,
            f"{settings.alarms} alarms reading {settings.alarm_metrics} metrics × ${prices.alarm_metric_month:.2f} "
            "(an alarm summing several metrics is billed for each)",
        ),
        MonthlyLine("CloudWatch dashboard", settings.dashboards * prices.dashboard_month, f"{settings.dashboards} × ${prices.dashboard_month:.2f}"),
        MonthlyLine(
            "CloudWatch custom metrics",
            len(settings.custom_metrics) * prices.custom_metric_month,
            f"{len(settings.custom_metrics)} ({', '.join('/'.join(m) for m in settings.custom_metrics) or 'none'}) × ${prices.custom_metric_month:.2f}",
        ),
        MonthlyLine(
            "PutMetricData",
            calls / 1000 * prices.put_metric_data_per_thousand,
            f"one call per metrics job run, {calls:.0f} runs × ${prices.put_metric_data_per_thousand}/1,000" if settings.custom_metrics else "none",
        ),
        MonthlyLine(
            "KMS key (alarm topic)",
            settings.kms_keys * prices.kms_key_month,
            f"{settings.kms_keys} × ${prices.kms_key_month:.2f} (rising to ${3 * prices.kms_key_month:.2f} after two yearly rotations)",
        ),
    ]


def monitoring_per_month(settings: MonitoringSettings, prices: Prices = Prices()) -> float:
    return sum(line.usd_per_month for line in monitoring(settings, prices))



@dataclass(frozen=True)
class Line:
    item: str
    usd_per_million: float
    method: str
    storage: bool = False
    fixed: bool = False  # a monthly cost shared by every event of the month (monitoring)


@dataclass(frozen=True)
class Breakdown:
    scenario: str
    label: str
    lines: list[Line]

    @property
    def total(self) -> float:
        return sum(line.usd_per_million for line in self.lines)

    @property
    def request_path(self) -> float:
        return sum(line.usd_per_million for line in self.lines if not line.storage and not line.fixed)

    @property
    def storage(self) -> float:
        return sum(line.usd_per_million for line in self.lines if line.storage)

    @property
    def fixed(self) -> float:
        return sum(line.usd_per_million for line in self.lines if line.fixed)


_REQUEST_ID = "8f5c2f4e-3b7a-4d0e-9a51-2c6f1e0b7d93"


def platform_log_lines(function: FunctionSettings, duration_ms: float, billed_ms: int, assumptions: Assumptions) -> list[str]:
    """The lines Lambda itself writes for each invocation, in the function's log format."""
    if function.log_format.upper() == "JSON":
        if (function.system_log_level or "INFO").upper() in ("WARN", "ERROR", "FATAL"):
            return []
        stamp = '"time":"2026-11-22T12:00:00.000Z"'
        return [
            f'{{{stamp},"type":"platform.start","record":{{"requestId":"{_REQUEST_ID}","version":"$LATEST"}}}}',
            f'{{{stamp},"type":"platform.report","record":{{"requestId":"{_REQUEST_ID}","metrics":{{"durationMs":{duration_ms:.3f},'
            f'"billedDurationMs":{billed_ms},"memorySizeMB":{function.memory_mb},"maxMemoryUsedMB":{assumptions.max_memory_used_mb}}},"status":"success"}}}}',
        ]
    return [
        f"START RequestId: {_REQUEST_ID} Version: $LATEST\n",
        f"END RequestId: {_REQUEST_ID}\n",
        f"REPORT RequestId: {_REQUEST_ID}\tDuration: {duration_ms:.2f} ms\tBilled Duration: {billed_ms} ms\t"
        f"Memory Size: {function.memory_mb} MB\tMax Memory Used: {assumptions.max_memory_used_mb} MB\t\n",
    ]


@dataclass(frozen=True)
class Inputs:
    scenario: ScenarioResult
    warm_ms: float  # handler p50 here, AWS stubbed
    cold_start_s: float  # import + first client, here
    compile_s: float  # compiling what Lambda cannot cache (no bytecode in the assets), here
    function: FunctionSettings
    table: TableSettings
    access_log_format: str | None
    access_log_class: str
    route_key: str
    monitoring: MonitoringSettings = MonitoringSettings()
    archive: ArchiveSettings | None = None
    archive_writer: FunctionSettings | None = None
    archive_measured: ArchiveMeasurement | None = None


def archive_batch_lines(archive: ArchiveSettings, assumptions: Assumptions) -> float:
    """Lines in a batch at the assumed steady rate: the batch size, or what the batching window gathers."""
    return max(1.0, min(archive.batch_size, assumptions.events_per_second * max(archive.batching_window_seconds, 1)))


def archive_lines(inputs: Inputs, prices: Prices, assumptions: Assumptions) -> list[Line]:
    """The raw event archive's share of one event: one line (a stream record) per recorded request."""
    archive, writer, measured = inputs.archive, inputs.archive_writer, inputs.archive_measured
    if archive is None or writer is None or measured is None or inputs.scenario.event == "conversion":
        return []
    million = 1_000_000
    lines_per_event = 1.0
    batch = archive_batch_lines(archive, assumptions)
    batches = million * lines_per_event / batch  # per million events
    objects_per_batch = 1 + archive.batching_window_seconds / 86_400  # a batch across midnight is two objects
    cpu_factor = max(1.0, assumptions.full_vcpu_memory_mb / writer.memory_mb)
    batch_s = measured.seconds_per_record * batch * cpu_factor + objects_per_batch * assumptions.s3_put_ms / 1000
    gb = writer.memory_mb / 1024
    gb_second = prices.lambda_gb_second_arm64 if writer.architecture == "arm64" else prices.lambda_gb_second_x86_64
    object_bytes = measured.compressed_bytes_per_line * batch / objects_per_batch
    stored_gb = measured.compressed_bytes_per_line * lines_per_event * million / GB
    retention = archive.retention_days or 0
    cold = bool(archive.cold_after_days and archive.cold_min_object_bytes is not None and object_bytes > archive.cold_min_object_bytes)
    standard_days = min(retention, archive.cold_after_days or retention) if cold else retention
    cold_days = retention - standard_days if cold else 0
    storage = stored_gb * (standard_days * prices.s3_standard_gb_month + cold_days * prices.s3_glacier_ir_gb_month) / DAYS_PER_MONTH
    where = (
        f"{standard_days} days in S3 Standard, then {cold_days} in {archive.cold_class} (objects of {object_bytes / 1024:.0f} KiB, over its minimum)"
        if cold
        else f"{retention} days in S3 Standard (objects of {object_bytes / 1024:.0f} KiB"
        + (", under Glacier IR's minimum: they stay)" if archive.cold_after_days else ")")
    )
    lines = [
        Line("DynamoDB Streams reads", 0.0, "GetRecords made by a Lambda event source mapping are free"),
        Line(
            "Archive writer requests",
            batches * prices.lambda_requests_per_million / million,
            f"one invocation per batch of {batch:,.0f} lines (batch size {archive.batch_size:,}, window {archive.batching_window_seconds} s, at "
            f"{assumptions.events_per_second:.1f} events/s) × ${prices.lambda_requests_per_million:.2f}/M",
        ),
        Line(
            "Archive writer duration",
            batches * math.ceil(batch_s * 1000) / 1000 * gb * gb_second,
            f"{batch_s:.2f} s a batch = {measured.seconds_per_record * 1e6:.0f} µs a line measured × {cpu_factor:.2f} (CPU share at "
            f"{writer.memory_mb} MB) + {objects_per_batch:.2f} PutObject × {assumptions.s3_put_ms:g} ms; {gb:g} GB {writer.architecture}",
        ),
        Line(
            "S3 PUT requests (archive)",
            batches * objects_per_batch * prices.s3_put_per_thousand / 1000,
            f"{objects_per_batch:.2f} object per batch × ${prices.s3_put_per_thousand}/1,000",
        ),
        Line(
            "S3 storage, raw event archive",
            storage,
            f"{measured.compressed_bytes_per_line:.0f} B a line gzip-compressed (measured; {measured.raw_bytes_per_line:.0f} B raw), {where}",
            storage=True,
        ),
    ]
    if cold:
        lines.append(
            Line(
                "S3 lifecycle transitions (archive)",
                batches * objects_per_batch * prices.s3_glacier_ir_transition_per_thousand / 1000,
                f"one per object × ${prices.s3_glacier_ir_transition_per_thousand}/1,000",
                storage=True,
            )
        )
    return lines


def price(inputs: Inputs, prices: Prices = Prices(), assumptions: Assumptions = Assumptions()) -> Breakdown:
    s, f = inputs.scenario, inputs.function
    per_event = 1 / s.events_per_request  # requests per event
    million = 1_000_000
    cpu_factor = max(1.0, assumptions.full_vcpu_memory_mb / f.memory_mb)
    calls_per_request = s.calls.median * s.events_per_request
    duration_ms = inputs.warm_ms * cpu_factor + calls_per_request * assumptions.dynamodb_round_trip_ms
    billed_ms = math.ceil(duration_ms)
    gb = f.memory_mb / 1024
    gb_second = prices.lambda_gb_second_arm64 if f.architecture == "arm64" else prices.lambda_gb_second_x86_64
    infrequent = inputs.table.table_class == "STANDARD_INFREQUENT_ACCESS"
    write_price = prices.dynamodb_ia_write_per_million if infrequent else prices.dynamodb_write_per_million
    read_price = prices.dynamodb_ia_read_per_million if infrequent else prices.dynamodb_read_per_million
    storage_price = prices.dynamodb_ia_storage_gb_month if infrequent else prices.dynamodb_storage_gb_month
    init_s = (inputs.cold_start_s + inputs.compile_s) * cpu_factor
    lines = [
        Line("API Gateway HTTP API requests", prices.api_http_per_million * per_event, f"{per_event:g} request per event × ${prices.api_http_per_million:.2f}/M"),
        Line("Lambda requests", prices.lambda_requests_per_million * per_event, f"{per_event:g} invocation per event × ${prices.lambda_requests_per_million:.2f}/M"),
        Line(
            "Lambda duration",
            billed_ms / 1000 * gb * gb_second * million * per_event,
            f"{billed_ms} ms billed = {inputs.warm_ms:.2f} ms measured × {cpu_factor:.2f} (CPU share at {f.memory_mb} MB) "
            f"+ {calls_per_request:g} DynamoDB call(s) × {assumptions.dynamodb_round_trip_ms:g} ms; {gb:g} GB {f.architecture} at ${gb_second}/GB-s",
        ),
        Line(
            "Lambda INIT (cold starts)",
            assumptions.cold_start_fraction * init_s * gb * gb_second * million * per_event,
            f"{assumptions.cold_start_fraction:.1%} of invocations × {init_s:.2f} s = ({inputs.cold_start_s:.2f} s import + client "
            f"+ {inputs.compile_s:.2f} s compiling) measured × {cpu_factor:.2f}",
        ),
        Line(
            "DynamoDB writes",
            (s.write_units.median + s.index_write_units.median) * write_price,
            f"{s.write_units.median:g} write unit(s) + {s.index_write_units.median:g} index unit(s) per event (from item sizes) × ${write_price}/M",
        ),
        Line("DynamoDB reads", s.read_units.median * read_price, f"{s.read_units.median:g} read unit(s) per event × ${read_price}/M"),
    ]
    # Logs: Lambda's own lines, what the function logged at its level, and the API's access log line.
    platform = platform_log_lines(f, duration_ms, billed_ms, assumptions)
    app_bytes, app_events = s.log_bytes.median, s.log_lines.median
    lambda_bytes = sum(len(line.encode()) for line in platform) + app_bytes + assumptions.log_event_overhead_bytes * (len(platform) + app_events)
    lines.append(
        Line(
            "CloudWatch Logs, function",
            lambda_bytes * per_event * million / GB * prices.logs_ingest_standard_gb,
            f"{lambda_bytes:.0f} B per request: {len(platform)} platform line(s) ({f.log_format} format), "
            f"{app_bytes:.0f} B from the function at {f.log_level}, {assumptions.log_event_overhead_bytes} B per event; Standard class",
        )
    )
    access_bytes = 0
    if inputs.access_log_format:
        access_bytes = len(access_log_line(inputs.access_log_format, {"routeKey": inputs.route_key}).encode()) + assumptions.log_event_overhead_bytes
        ingest = prices.logs_ingest_infrequent_gb if inputs.access_log_class == "INFREQUENT_ACCESS" else prices.logs_ingest_standard_gb
        lines.append(
            Line(
                "CloudWatch Logs, API access log",
                access_bytes * per_event * million / GB * ingest,
                f"{access_bytes} B per request (the stage's format, filled) at ${ingest}/GB ({inputs.access_log_class.replace('_', ' ').title()} class)",
            )
        )
    retained_months = (f.log_retention_days or 30) / DAYS_PER_MONTH
    lines.append(
        Line(
            "CloudWatch Logs storage",
            (lambda_bytes + access_bytes) * per_event * million / GB * prices.logs_storage_gb_month * retained_months,
            f"{f.log_retention_days} days' retention, uncompressed size (an upper bound: CloudWatch stores compressed)",
            storage=True,
        )
    )
    response = s.response_bytes.median + assumptions.api_gateway_header_bytes
    lines.append(
        Line("Data transfer out", response * per_event * million / GB * prices.data_transfer_out_gb, f"{response:.0f} B response per request × ${prices.data_transfer_out_gb}/GB")
    )
    # Storage: the items each event creates, for as long as they are kept.
    item_gb = s.stored_bytes.median * million / GB
    if inputs.table.ttl_attribute and f.hot_event_days and s.event != "conversion":
        months, kept = f.hot_event_days / DAYS_PER_MONTH, f"{f.hot_event_days} days (TTL: the hot window)"
    else:
        months, kept = 1.0, "one month (kept with no expiry: the cost of each month kept)"
    lines.append(
        Line(
            "DynamoDB storage",
            item_gb * storage_price * months,
            f"{s.stored_bytes.median:.0f} B per event (new items, 100 B overhead each), for {kept} at ${storage_price}/GB-month ({inputs.table.table_class})",
            storage=True,
        )
    )
    if inputs.table.point_in_time_recovery:
        lines.append(
            Line("DynamoDB point-in-time recovery", item_gb * prices.dynamodb_pitr_gb_month * months, f"the same GB-months at ${prices.dynamodb_pitr_gb_month}/GB-month", storage=True)
        )
    monthly = monitoring_per_month(inputs.monitoring, prices)
    millions = assumptions.monthly_events / million
    lines.append(
        Line(
            "CloudWatch monitoring (fixed a month)",
            monthly / millions,
            f"${monthly:.2f} a month (alarms, dashboard, funnel metrics, topic key) over {millions:g} million events a month",
            fixed=True,
        )
    )
    lines += archive_lines(inputs, prices, assumptions)
    return Breakdown(scenario=s.key, label=s.label, lines=lines)


def floor(prices: Prices = Prices()) -> float:
    """The least any design pays per tracked event: the API request and one write unit."""
    return prices.api_http_per_million + prices.dynamodb_write_per_million


@dataclass(frozen=True)
class Alternative:
    change: str
    inputs: Inputs
    breakdown: Breakdown


# What would still make an event cheaper, one after another (cumulative), priced by the same model.
LEVERS = (
    ("tracking function at 256 MB instead of 512 (half the GB-seconds; a cold start takes twice as long)",
     lambda i: replace(i, function=replace(i.function, memory_mb=256))),
    ("bytecode for Python 3.13 shipped in the code asset and layer (nothing compiled at a cold start)",
     lambda i: replace(i, compile_s=0.0)),
    ("no API access log (CloudWatch's API Gateway metrics still count requests and errors)",
     lambda i: replace(i, access_log_format=None)),
)
# An assumption rather than a setting: 1% is AWS's upper figure; a function busy all day is far less often cold.
RARE_COLD_STARTS = 0.001


def volume_within(budget: float, inputs: Inputs, prices: Prices = Prices(), assumptions: Assumptions = Assumptions()) -> int | None:
    """The least monthly volume (events) at which an event costs at most `budget` all in, the fixed monthly costs
    spread over it; None if no volume does (the variable cost alone is over the budget)."""
    from dataclasses import replace as with_

    def total(volume: int) -> float:
        return price(inputs, prices, with_(assumptions, monthly_events=volume)).total

    low, high = 1_000, 10_000_000_000
    if total(high) > budget:
        return None
    while high - low > max(1_000, low // 100):
        middle = (low + high) // 2
        low, high = (middle, high) if total(middle) > budget else (low, middle)
    return high


def alternatives(inputs: Inputs, prices: Prices = Prices(), assumptions: Assumptions = Assumptions()) -> list[Alternative]:
    steps, current = [], inputs
    for change, apply in LEVERS:
        current = apply(current)
        steps.append(Alternative(change, current, price(current, prices, assumptions)))
    rare = replace(assumptions, cold_start_fraction=RARE_COLD_STARTS)
    steps.append(
        Alternative(f"and cold starts at {RARE_COLD_STARTS:.1%} of invocations, not {assumptions.cold_start_fraction:.0%} (the assumption, not a setting)", current, price(current, prices, rare))
    )
    return steps


def inputs_for(
    scenario: ScenarioResult,
    function: str,
    warm_ms: float,
    cold_start_s: float,
    compile_s: float,
    stack: StackSettings,
    table_prefix: str,
    route_key: str,
    archive: ArchiveMeasurement | None = None,
) -> Inputs:
    return Inputs(
        scenario=scenario,
        warm_ms=warm_ms,
        cold_start_s=cold_start_s,
        compile_s=compile_s,
        function=stack.function(function),
        table=stack.table(table_prefix),
        access_log_format=stack.access_log_format,
        access_log_class=stack.access_log_class,
        route_key=route_key,
        monitoring=stack.monitoring,
        archive=stack.archive,
        archive_writer=stack.functions.get("functions.archive.handler"),
        archive_measured=archive,
    )
