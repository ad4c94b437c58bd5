"""The raw event archive in the template: the stream, its event source mapping, the failure queue and its alarm,
the archive's Glue table."""

from __future__ import annotations

import json

from shared.archive.lines import FIELDS
from shared.platform.deployment import FUNCTIONS
from shared.platform.resources import ARCHIVE_PREFIX
from tests.infra.conftest import Synthesized
from tests.infra.test_functions import function_resource

ARCHIVE = next(definition for definition in FUNCTIONS if definition.name == "archive")


def test_the_events_stream_drives_the_archive_function_in_bounded_bisected_batches(synthesized: Synthesized) -> None:
    function_id, _ = function_resource(synthesized, ARCHIVE)
    (properties,) = [
        m["Properties"]
        for m in synthesized.resources("AWS::Lambda::EventSourceMapping").values()
        if m["Properties"]["FunctionName"] == {"Ref": function_id}
    ]
    events_table = synthesized.logical_id("AWS::DynamoDB::Table", "StorageEventsTable")
    assert properties["FunctionName"] == {"Ref": function_id}
    assert properties["EventSourceArn"] == {"Fn::GetAtt": [events_table, "StreamArn"]}
    assert properties["StartingPosition"] == "TRIM_HORIZON"
    assert properties["BatchSize"] == 10_000 and properties["MaximumBatchingWindowInSeconds"] == 300
    assert properties["BisectBatchOnFunctionError"] is True
    assert properties["MaximumRetryAttempts"] == 10 and properties["MaximumRecordAgeInSeconds"] == 86_400
    failures = synthesized.logical_id("AWS::SQS::Queue", "ArchiveFailures")
    assert properties["DestinationConfig"] == {"OnFailure": {"Destination": {"Fn::GetAtt": [failures, "Arn"]}}}
    # The TTL's deletions at the end of the hot window never invoke it.
    (pattern,) = [json.loads(f["Pattern"]) for f in properties["FilterCriteria"]["Filters"]]
    assert pattern == {"eventName": ["INSERT", "MODIFY"]}


def test_a_batch_given_up_fills_the_failure_queue_and_its_alarm_fires(synthesized: Synthesized) -> None:
    failures = synthesized.logical_id("AWS::SQS::Queue", "ArchiveFailures")
    queue = synthesized.template_json["Resources"][failures]["Properties"]
    assert queue["SqsManagedSseEnabled"] is True and queue["MessageRetentionPeriod"] == 14 * 86_400
    # The monitoring construct's dead-letter alarm (its thresholds: tests/infra/test_monitoring.py).
    (alarm,) = [a for a in synthesized.resources("AWS::CloudWatch::Alarm").values() if a["Properties"]["AlarmName"] == "Wom-ArchiveWriterDeadLetters"]
    properties = alarm["Properties"]
    assert properties["MetricName"] == "ApproximateNumberOfMessagesVisible"
    assert properties["Dimensions"] == [{"Name": "QueueName", "Value": {"Fn::GetAtt": [failures, "QueueName"]}}]
    assert "archive writer" in properties["AlarmDescription"]


def test_the_raw_events_table_reads_the_archive_by_projected_day(synthesized: Synthesized) -> None:
    (table,) = [t for t in synthesized.resources("AWS::Glue::Table").values() if t["Properties"]["TableInput"]["Name"] == "raw_events"]
    table_input = table["Properties"]["TableInput"]
    descriptor = table_input["StorageDescriptor"]
    # FIELDS is every field a line can hold: tests/integration/test_archive.py derives them from the writers.
    assert [(c["Name"], c["Type"]) for c in descriptor["Columns"]] == list(FIELDS)
    assert table_input["PartitionKeys"] == [{"Name": "dt", "Type": "string"}]
    bucket = synthesized.logical_id("AWS::S3::Bucket", "StorageMetricsBucket")
    location = {"Fn::Join": ["", ["s3://", {"Ref": bucket}, f"/{ARCHIVE_PREFIX}"]]}
    assert descriptor["Location"] == location
    assert descriptor["SerdeInfo"]["SerializationLibrary"] == "org.openx.data.jsonserde.JsonSerDe"
    parameters = table_input["Parameters"]
    assert parameters["projection.enabled"] == "true" and parameters["projection.dt.type"] == "date"
    assert parameters["projection.dt.format"] == "yyyy-MM-dd" and parameters["projection.dt.range"].endswith(",NOW")
    assert parameters["storage.location.template"] == {"Fn::Join": ["", ["s3://", {"Ref": bucket}, f"/{ARCHIVE_PREFIX}dt=${{dt}}/"]]}
    outputs = synthesized.template_json["Outputs"]
    assert "RawEventsTableName" in outputs and "ArchiveFailuresQueueUrl" in outputs
