"""Athena over the daily metrics (SPEC §5): the Glue table reads exactly what the metrics job writes, where it
writes it; the workgroup keeps results encrypted in the metrics bucket; the hourly job that feeds it."""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

from infra.app import STACK_NAME
from shared.platform.resources import ATHENA_RESULTS_PREFIX, DAILY_METRICS_PREFIX, METRICS_BUCKET
from shared.metrics import cohorts
from shared.metrics.daily import FIELDS, Enrolment, Unattributed, daily_metrics, object_key, render
from tests.infra.conftest import Synthesized
from tests.infra.test_jobs import queue_arn, rate_in_minutes

METRICS_HANDLER = "functions.metrics.handler.lambda_handler"
# What each Athena type must hold in the JSON the job writes (null is always allowed).
JSON_TYPES = {"string": str, "bigint": int, "double": (int, float), "map<string,bigint>": dict}
ATHENA_MINIMUM_CUTOFF = 10_000_000  # bytes: Athena rejects a lower BytesScannedCutoffPerQuery


def only(synthesized: Synthesized, resource_type: str) -> tuple[str, dict[str, Any]]:
    (item,) = synthesized.resources(resource_type).items()
    return item[0], item[1]["Properties"]


def bucket_id(synthesized: Synthesized) -> str:
    return synthesized.logical_id("AWS::S3::Bucket", f"Storage{METRICS_BUCKET.logical_id}")


def in_metrics_bucket(synthesized: Synthesized, value: Any) -> str:
    """An s3:// URL built with Fn::Join on the metrics bucket's Ref, written with <bucket> for the name."""
    assert set(value) == {"Fn::Join"}, value
    separator, parts = value["Fn::Join"]
    assert separator == ""
    bucket_ref = {"Ref": bucket_id(synthesized)}
    assert parts.count(bucket_ref) == 1, "the URL names the metrics bucket, once"
    return "".join("<bucket>" if part == bucket_ref else part for part in parts)


def daily_table(synthesized: Synthesized) -> tuple[str, dict[str, Any]]:
    """The daily metrics table (the raw events table is tests/infra/test_archive.py's)."""
    ((logical_id, table),) = [
        (i, t) for i, t in synthesized.resources("AWS::Glue::Table").items() if t["Properties"]["TableInput"]["Name"] == "daily_metrics"
    ]
    return logical_id, table["Properties"]


def table_input(synthesized: Synthesized) -> dict[str, Any]:
    return daily_table(synthesized)[1]["TableInput"]


def sample_object() -> dict[str, Any]:
    """A daily metrics object as the job writes it (render's bytes), with every rate defined."""
    items = [
        {"kind": "share", "advocate_id": "adv_1", "channel": "email", "at": "2026-11-20T09:00:00Z"},
        {"kind": "click", "visitor": "v1", "hits": 2, "advocate_id": "adv_1", "at": "2026-11-20T10:00:00Z"},
        {
            "kind": "conversion",
            "status": "attributed",
            "currency": "EUR",
            "amount": 4200,
            "new_customer": True,
            "at": "2026-11-20T11:00:00Z",
        },
    ]
    metrics = daily_metrics("cmp_1", "EUR", date(2026, 11, 20), items, Unattributed(conversions=1), Enrolment(enrolled=3, new=1))
    return json.loads(render(metrics))


# --- the table's schema is the object's ---------------------------------------------------------------------


def test_table_columns_and_partition_keys_are_the_metrics_fields(synthesized: Synthesized) -> None:
    table = table_input(synthesized)
    columns = [(c["Name"], c["Type"]) for c in table["StorageDescriptor"]["Columns"]]
    partition_keys = [(k["Name"], k["Type"]) for k in table["PartitionKeys"]]
    # campaign_id is only a partition key: Athena refuses a column that repeats one.
    assert FIELDS[0] == ("campaign_id", "string")
    assert columns == [field for field in FIELDS if field[0] != "campaign_id"]
    assert partition_keys == [("campaign_id", "string"), ("dt", "string")]
    assert not {name.lower() for name, _ in columns} & {name.lower() for name, _ in partition_keys}


def test_every_column_reads_a_field_the_job_writes_with_its_type(synthesized: Synthesized) -> None:
    """The JSON SerDe maps columns to keys by name: a column the object lacks would always be null."""
    written = sample_object()
    table = table_input(synthesized)
    columns = {c["Name"]: c["Type"] for c in table["StorageDescriptor"]["Columns"]}
    assert set(written) == set(columns) | {"campaign_id"}
    for name, glue_type in columns.items():
        assert written[name] is not None, f"the sample leaves {name} null: it proves nothing about its type"
        assert isinstance(written[name], JSON_TYPES[glue_type]), f"{name} is {glue_type} in Athena: {written[name]!r}"
        if glue_type == "bigint":
            assert not isinstance(written[name], bool)
        if glue_type.startswith("map<"):
            assert all(isinstance(k, str) and type(v) is int for k, v in written[name].items())


def test_table_is_external_json_at_the_daily_metrics_prefix(synthesized: Synthesized) -> None:
    database_id, _ = only(synthesized, "AWS::Glue::Database")
    properties = daily_table(synthesized)[1]
    assert properties["DatabaseName"] == {"Ref": database_id}
    assert properties["CatalogId"] == {"Ref": "AWS::AccountId"}
    table = properties["TableInput"]
    assert table["TableType"] == "EXTERNAL_TABLE"
    assert table["Parameters"]["classification"] == "json"
    storage = table["StorageDescriptor"]
    assert storage["SerdeInfo"]["SerializationLibrary"] == "org.openx.data.jsonserde.JsonSerDe"
    assert storage["InputFormat"] == "org.apache.hadoop.mapred.TextInputFormat"
    assert storage["OutputFormat"] == "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"
    assert in_metrics_bucket(synthesized, storage["Location"]) == f"s3://<bucket>/{DAILY_METRICS_PREFIX}"
    assert DAILY_METRICS_PREFIX == "metrics/daily/"


# --- partition projection -----------------------------------------------------------------------------------


def test_partitions_are_projected_campaign_injected_and_days_to_today(synthesized: Synthesized) -> None:
    parameters = table_input(synthesized)["Parameters"]
    projection = {key: value for key, value in parameters.items() if key.startswith("projection.")}
    start, end = projection.pop("projection.dt.range").split(",")
    assert projection == {
        "projection.enabled": "true",
        "projection.campaign_id.type": "injected",
        "projection.dt.type": "date",
        "projection.dt.format": "yyyy-MM-dd",
        "projection.dt.interval": "1",
        "projection.dt.interval.unit": "DAYS",
    }
    assert end == "NOW"
    # A fixed day in the past, written in the projection's own format.
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", start) and date.fromisoformat(start) < date.today()
    # Projection replaces the crawler (and the partitions it would catalogue).
    assert synthesized.resources("AWS::Glue::Crawler") == {}
    assert synthesized.resources("AWS::Glue::Partition") == {}


def test_location_template_is_where_the_job_writes_each_campaign_day(synthesized: Synthesized) -> None:
    table = table_input(synthesized)
    template = in_metrics_bucket(synthesized, table["Parameters"]["storage.location.template"])
    assert template == "s3://<bucket>/metrics/daily/campaign_id=${campaign_id}/dt=${dt}/"
    # One campaign-day resolves to the folder of the object the metrics job writes for it.
    day = date(2026, 11, 20)
    resolved = template.replace("${campaign_id}", "cmp_1").replace("${dt}", day.strftime("%Y-%m-%d"))
    assert resolved + "metrics.json" == f"s3://<bucket>/{object_key('cmp_1', day)}"
    # And it lies under the table's own location.
    assert resolved.startswith(in_metrics_bucket(synthesized, table["StorageDescriptor"]["Location"]))


# --- the workgroup ------------------------------------------------------------------------------------------


def test_workgroup_writes_encrypted_results_to_the_athena_results_prefix(synthesized: Synthesized) -> None:
    _, workgroup = only(synthesized, "AWS::Athena::WorkGroup")
    configuration = workgroup["WorkGroupConfiguration"]
    results = configuration["ResultConfiguration"]
    assert in_metrics_bucket(synthesized, results["OutputLocation"]) == f"s3://<bucket>/{ATHENA_RESULTS_PREFIX}"
    assert ATHENA_RESULTS_PREFIX == "athena-results/"
    # Results outside the table's location, or Athena would read its own CSV results as metrics.
    assert not ATHENA_RESULTS_PREFIX.startswith(DAILY_METRICS_PREFIX)
    assert not DAILY_METRICS_PREFIX.startswith(ATHENA_RESULTS_PREFIX)
    assert results["EncryptionConfiguration"] == {"EncryptionOption": "SSE_S3"}
    assert results["ExpectedBucketOwner"] == {"Ref": "AWS::AccountId"}
    # Clients cannot override the location, the encryption or the cutoff.
    assert configuration["EnforceWorkGroupConfiguration"] is True
    assert configuration["PublishCloudWatchMetricsEnabled"] is True
    assert ATHENA_MINIMUM_CUTOFF <= configuration["BytesScannedCutoffPerQuery"] <= 10 * 2**30
    assert workgroup["State"] == "ENABLED"


# --- names and outputs --------------------------------------------------------------------------------------


def test_outputs_name_the_database_table_and_workgroup(synthesized: Synthesized) -> None:
    outputs = synthesized.template_json["Outputs"]
    assert outputs["GlueDatabaseName"]["Value"] == {"Ref": only(synthesized, "AWS::Glue::Database")[0]}
    assert outputs["GlueTableName"]["Value"] == {"Ref": daily_table(synthesized)[0]}
    assert outputs["AthenaWorkGroupName"]["Value"] == {"Ref": only(synthesized, "AWS::Athena::WorkGroup")[0]}
    for key in ("GlueDatabaseName", "GlueTableName", "AthenaWorkGroupName"):
        assert len(outputs[key]["Description"]) > 20


def test_names_are_derived_from_the_stack_and_valid_for_athena(synthesized: Synthesized) -> None:
    database = only(synthesized, "AWS::Glue::Database")[1]["DatabaseInput"]["Name"]
    table = table_input(synthesized)["Name"]
    workgroup = only(synthesized, "AWS::Athena::WorkGroup")[1]["Name"]
    # Athena (Hive) names: lower case letters, digits and underscores, or queries must quote them.
    assert re.fullmatch(r"[a-z][a-z0-9_]*", database) and re.fullmatch(r"[a-z][a-z0-9_]*", table)
    assert re.fullmatch(r"[A-Za-z0-9._-]{1,128}", workgroup)
    # Two stacks in one account and region do not collide; no account or region is written in.
    assert database.startswith(STACK_NAME.lower()) and workgroup.startswith(STACK_NAME)
    assert not re.search(r"\d{12}|[a-z]{2}-[a-z]+-\d", database + table + workgroup)


# --- the job that feeds the table ---------------------------------------------------------------------------


def test_metrics_function_runs_hourly_with_retries_and_a_dead_letter_queue(synthesized: Synthesized) -> None:
    (function_id,) = [
        logical_id
        for logical_id, resource in synthesized.resources("AWS::Lambda::Function").items()
        if resource["Properties"]["Handler"] == METRICS_HANDLER
    ]
    schedules = [
        resource["Properties"]
        for resource in synthesized.resources("AWS::Scheduler::Schedule").values()
        if resource["Properties"]["Target"]["Arn"] == {"Fn::GetAtt": [function_id, "Arn"]}
    ]
    assert [rate_in_minutes(s["ScheduleExpression"]) for s in schedules] == [60]
    (schedule,) = schedules
    assert schedule["State"] == "ENABLED"
    retry = schedule["Target"]["RetryPolicy"]
    assert retry["MaximumRetryAttempts"] >= 1 and retry["MaximumEventAgeInSeconds"] <= 3600
    dead_letter = schedule["Target"]["DeadLetterConfig"]["Arn"]
    assert dead_letter == queue_arn(synthesized, "metrics")
    assert synthesized.template_json["Resources"][dead_letter["Fn::GetAtt"][0]]["Type"] == "AWS::SQS::Queue"
    # It writes to the bucket the table reads.
    variables = synthesized.template_json["Resources"][function_id]["Properties"]["Environment"]["Variables"]
    assert variables[METRICS_BUCKET.env_var] == {"Ref": bucket_id(synthesized)}


# --- the cohorts table (customer value by first-purchase month) -----------------------------------------------


def cohorts_table(synthesized: Synthesized) -> dict[str, Any]:
    ((table,),) = [[t] for t in synthesized.resources("AWS::Glue::Table").values() if t["Properties"]["TableInput"]["Name"] == "customer_cohorts"]
    return table["Properties"]["TableInput"]


def _struct_names(glue_type: str) -> list[str]:
    """The top-level field names of a Glue struct<...> type."""
    inner, depth, names, current = glue_type[len("struct<"):-1], 0, [], ""
    for char in inner:
        if char == "<":
            depth += 1
        elif char == ">":
            depth -= 1
        if char == "," and depth == 0:
            names.append(current.split(":", 1)[0])
            current = ""
        else:
            current += char
    return [*names, current.split(":", 1)[0]]


def test_cohorts_table_reads_the_cohort_objects_where_the_job_writes_them(synthesized: Synthesized) -> None:
    table = cohorts_table(synthesized)
    columns = [(c["Name"], c["Type"]) for c in table["StorageDescriptor"]["Columns"]]
    assert [(k["Name"], k["Type"]) for k in table["PartitionKeys"]] == [("campaign_id", "string"), ("month", "string")]
    assert columns == [field for field in cohorts.FIELDS if field[0] not in ("campaign_id", "month")]
    assert table["Parameters"]["projection.campaign_id.type"] == "injected"
    assert table["Parameters"]["projection.month.format"] == "yyyy-MM"
    template = in_metrics_bucket(synthesized, table["Parameters"]["storage.location.template"])
    key = cohorts.object_key("cmp_1", "2026-11")
    assert template.replace("${campaign_id}", "cmp_1").replace("${month}", "2026-11") == f"s3://<bucket>/{key.rsplit('/', 1)[0]}/"
    # Every struct's fields are the keys the job writes.
    group = cohorts.cohort_group([{"first_day": "2026-11-03", "purchases": {"c1": {"day": "2026-11-03", "amount": 100, "currency": "EUR"}}, "refunds": {}}], None, "EUR", "2026-11", date(2027, 12, 31))
    written = json.loads(cohorts.render(cohorts.cohort_object("cmp_1", "EUR", "2026-11", group, group, date(2027, 12, 31))))
    for name, glue_type in columns:
        if glue_type.startswith("struct<"):
            assert _struct_names(glue_type) == list(written[name]), name
    assert "CohortsTableName" in synthesized.template_json["Outputs"]
