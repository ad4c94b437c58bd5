"""A tiny run of every measurement: each returns sane structures and the report renders them.
No timed assertions: on a slow machine these figures are only bigger."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bench import cost
from bench.archive import measure_archive
from bench.calls import TRACKED, measure_calls
from bench.cohorts import BUDGET as COHORT_BUDGET
from bench.cohorts import measure_cohorts
from bench.cold_start import measure_cold_start, parse_importtime, self_time_by_package, subtree
from bench.latency import measure_latency
from bench.metrics_job import measure_metrics_job
from bench.report import Results, budgets, render
from bench.scale import simulate_key_spread
from bench.stack import access_log_line, settings_from_template
from shared.platform import keys
from shared.platform.dynamo import dynamodb_client

# The parts of a synthesized template the bench reads (the real one is read by `make bench`).
TEMPLATE = {
    "Resources": {
        "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": 30}},
        "AccessLogs": {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": 30}},
        **{
            f"{name}Function": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "Handler": f"functions.{name}.handler.lambda_handler",
                    "MemorySize": 512,
                    "Architectures": ["arm64"],
                    "Runtime": "python3.13",
                    "LoggingConfig": {"LogGroup": {"Ref": "Logs"}, "LogFormat": "JSON", "SystemLogLevel": "WARN"},
                    "Environment": {"Variables": {"POWERTOOLS_LOG_LEVEL": "INFO", "WOM_HOT_EVENT_DAYS": "35"}},
                },
            }
            for name in ("tracking", "conversions", "archive")
        },
        "StorageEventsTable1": {
            "Type": "AWS::DynamoDB::Table",
            "Properties": {
                "BillingMode": "PAY_PER_REQUEST",
                "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": False},
                "TimeToLiveSpecification": {"AttributeName": "expires_at", "Enabled": True},
            },
        },
        "Bucket": {
            "Type": "AWS::S3::Bucket",
            "Properties": {
                "LifecycleConfiguration": {
                    "Rules": [
                        {"Id": "ExpireRawEvents", "Prefix": "events/", "ExpirationInDays": 400, "Status": "Enabled"},
                        {"Id": "Cold", "Prefix": "events/", "ObjectSizeGreaterThan": "131072", "Status": "Enabled", "Transitions": [{"StorageClass": "GLACIER_IR", "TransitionInDays": 90}]},
                    ]
                }
            },
        },
        "Mapping": {"Type": "AWS::Lambda::EventSourceMapping", "Properties": {"BatchSize": 10000, "MaximumBatchingWindowInSeconds": 300, "StartingPosition": "TRIM_HORIZON"}},
        # The spill queue's replay: a mapping with no stream position, never the archive's.
        "SpillMapping": {"Type": "AWS::Lambda::EventSourceMapping", "Properties": {"BatchSize": 10, "MaximumBatchingWindowInSeconds": 5, "FunctionResponseTypes": ["ReportBatchItemFailures"]}},
        "StorageReferralsTable1": {"Type": "AWS::DynamoDB::Table", "Properties": {"BillingMode": "PAY_PER_REQUEST"}},
        "Stage": {
            "Type": "AWS::ApiGatewayV2::Stage",
            "Properties": {"AccessLogSettings": {"DestinationArn": {"Fn::GetAtt": ["AccessLogs", "Arn"]}, "Format": '{"id":"$context.requestId","route":"$context.routeKey","err":"$context.error.message"}'}},
        },
    }
}


@pytest.fixture(scope="module")
def results() -> Results:
    stack = settings_from_template(TEMPLATE, "a test template")
    return Results(
        generated_at=datetime.now(UTC),
        seconds=1.0,
        quick=True,
        stack=stack,
        calls=measure_calls("INFO", repetitions=2),
        cold_start=measure_cold_start("INFO", rounds=1, importtime_runs=1, functions=("tracking", "conversions")),
        latency=measure_latency("INFO", rounds=1, per_round=20, warmup=2),
        metrics_job=measure_metrics_job(base_events_per_day=30, scales=(1, 2), repetitions=2),
        spread=simulate_key_spread(1_000, seconds=1),
        archive=measure_archive("INFO", events=60, rounds=1),
        cohorts=measure_cohorts("INFO", sizes=(20,), unrelated=10),
    )


def test_stack_settings_come_from_the_template():
    stack = settings_from_template(TEMPLATE)
    tracking = stack.function("tracking")
    assert (tracking.memory_mb, tracking.architecture, tracking.log_level, tracking.log_format) == (512, "arm64", "INFO", "JSON")
    assert tracking.system_log_level == "WARN"
    assert tracking.log_retention_days == 30 and tracking.hot_event_days == 35
    events = stack.table("StorageEventsTable")
    assert not events.point_in_time_recovery and events.ttl_attribute == "expires_at" and events.table_class == "STANDARD"
    archive = stack.archive
    assert (archive.retention_days, archive.cold_after_days, archive.cold_class, archive.cold_min_object_bytes) == (400, 90, "GLACIER_IR", 131072)
    assert (archive.batch_size, archive.batching_window_seconds) == (10000, 300)
    assert access_log_line(stack.access_log_format, {"routeKey": "GET /p.gif"}) == '{"id":"JcvG9jV4oAMEVxQ=","route":"GET /p.gif","err":"-"}'


def test_calls_count_one_write_per_tracked_event(results):
    steady = [s for s in results.calls.scenarios if s.steady and s.event in TRACKED]
    assert {s.event for s in steady} == set(TRACKED)
    for scenario in steady:
        assert scenario.items_written.median == 1, scenario.label
        assert scenario.write_units.median >= 1
    conversion = results.calls.scenario("conversion_click")
    assert conversion.operations.get("TransactWriteItems") == 1
    assert conversion.read_units.median > 0


def test_cold_start_measures_each_function_against_the_same_baseline(results):
    cold = results.cold_start
    assert cold.baseline_seconds.median > 0
    for function in cold.functions:
        assert function.import_seconds.median > 0 and function.ratio > 0
        assert function.with_client_seconds.count == cold.rounds
        assert function.top_packages and function.added_subtrees and function.compiled_modules > 0
        # Two separate timings: on a loaded machine either can be the larger, so only their presence is checked.
        assert function.added_ms > 0 and function.importtime_ms > 0


def test_importtime_lines_are_parsed_with_their_nesting():
    stderr = (
        "import time: self [us] | cumulative | imported package\n"
        "import time:        50 |         50 | boto3\n"
        "import time:       120 |        120 |   pydantic.main\n"
        "import time:        80 |        200 | pydantic\n"
    )
    rows = parse_importtime(stderr)
    assert [(r.name, r.depth, r.self_us, r.cumulative_us) for r in rows] == [
        ("boto3", 0, 50.0, 50.0), ("pydantic.main", 1, 120.0, 120.0), ("pydantic", 0, 80.0, 200.0)
    ]
    assert [r.name for r in subtree(rows, "pydantic")] == ["pydantic.main", "pydantic"]
    assert self_time_by_package(rows) == {"boto3": 50.0, "pydantic": 200.0}


def test_latency_is_measured_with_the_stub_and_never_leaves_the_process(results):
    for result in results.latency.results:
        assert 0 < result.p50_ms.median <= result.p99_ms.median <= result.max_ms
        assert result.dynamodb_calls >= 1
    assert results.latency.result("click").dynamodb_calls == 1


def test_the_real_metrics_job_reads_about_its_day_and_nothing_of_the_other_days(results):
    assert results.metrics_job.measured
    for run in results.metrics_job.runs:
        # Its day's partitions (every item of the day) plus the campaign list: never another day's items.
        assert run.day_items <= run.items_read <= run.day_items + 1, run
        assert "Scan" not in run.calls
        assert run.table_items == 30 * run.day_items


def test_metrics_job_harness_counts_what_a_job_reads_for_its_day():
    def stand_in_job(day: date) -> None:
        client = dynamodb_client()
        for partition in keys.day_partitions("bench", day):
            client.query(TableName="wom-events", KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": {"S": partition}})

    result = measure_metrics_job(stand_in_job, base_events_per_day=8, scales=(1, 2))
    assert result.measured
    one, two = result.runs
    # Each day also holds a conversion fact and an unattributed one, in another partition the stand-in skips.
    assert (one.day_items, two.day_items) == (8 + 2, 16 + 2)
    assert one.table_items == 30 * (8 + 2)
    assert (one.items_read, two.items_read) == (8 + 1, 16 + 1)
    assert one.calls == {"Query": keys.EVENT_SHARDS}


def test_cost_is_priced_from_the_measurements_and_never_below_the_floor(results):
    from bench.report import price_inputs

    click = cost.price(price_inputs(results, "click"))
    assert click.total >= cost.floor()
    assert {line.item for line in click.lines} >= {
        "API Gateway HTTP API requests", "DynamoDB writes", "Lambda duration", "DynamoDB storage",
        "Archive writer requests", "Archive writer duration", "S3 PUT requests (archive)", "S3 storage, raw event archive",
    }
    assert all(line.usd_per_million >= 0 and line.method for line in click.lines)
    assert "DynamoDB point-in-time recovery" not in {line.item for line in click.lines}
    # The archive is dearer per event when traffic is light (smaller batches).
    light = cost.price(price_inputs(results, "click"), assumptions=cost.Assumptions(monthly_events=100_000))
    assert light.total > click.total

    steps = cost.alternatives(price_inputs(results, "click"))
    assert steps[-1].breakdown.total < click.total


def test_archive_measurement_reads_real_stream_records(results):
    archive = results.archive
    assert archive.records >= 60 and archive.objects == 1
    assert 0 < archive.compressed_bytes_per_line < archive.raw_bytes_per_line


def test_the_report_shows_every_budget_and_section(results):
    rows = budgets(results)
    assert len(rows) == 7
    assert {row.verdict for row in rows} <= {"met", "missed", "not yet measured"}
    assert rows[3].verdict == "met"
    assert rows[-1].budget == COHORT_BUDGET and rows[-1].verdict == "met"  # 21 items read for 20 customers
    text = render(results)
    for heading in ("## Budgets (SPEC §8)", "## 1.", "## 2.", "## 3.", "## 4.", "## 5.", "## 6.", "## 9. Cohort job"):
        assert heading in text
    assert "not yet measured" not in text


def test_the_archive_is_priced_with_the_archive_writer_s_own_mapping(results):
    """The synthesized stack has two event source mappings (the events stream's and the spill queue's): the archive
    is priced with its own batches, not the replay's."""
    from infra.constructs.archive import ARCHIVE_BATCH_SIZE, ARCHIVE_BATCHING_WINDOW

    assert results.stack.archive.batch_size == ARCHIVE_BATCH_SIZE
    assert results.stack.archive.batching_window_seconds == ARCHIVE_BATCHING_WINDOW.to_seconds()
