"""Monitoring: every alarm (metric, threshold, action), the dashboard's widgets, and where alarms notify.

The stack's own synthesis answers for the defaults. The variants (an email subscription, the operator's own
topic, a stack without a spill queue) are a Monitoring construct alone in a small stack, with
stand-in functions and queues: a few seconds, not another synthesis of the app.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from aws_cdk.assertions import Template

from infra.config import StackConfig
from infra.constructs.monitoring import FUNNEL_METRICS, FUNNEL_NAMESPACE, SPILL_AGE_ALARM, Monitoring, Watched, table_operations
from infra.constructs.storage import Storage
from infra.permissions import ACCESS
from shared.platform.deployment import FUNCTIONS, SCHEDULES, FunctionDefinition
from shared.platform.resources import TABLES, TableDefinition
from tests.infra.conftest import REPO_ROOT, Synthesized
from tests.infra.test_functions import dead_letter_queue_id, function_resource

JOB_FUNCTIONS = [d for d in FUNCTIONS if d.name in {s.function for s in SCHEDULES}]
OPERATIONS_DOC = REPO_ROOT / "docs" / "operations.md"


def expected_alarm_names() -> set[str]:
    names = {"Wom-Api5xx"}
    names |= {f"Wom-{d.name.capitalize()}{kind}" for d in FUNCTIONS for kind in ("Errors", "Throttles")}
    names |= {f"Wom-{t.logical_id}{kind}" for t in TABLES for kind in ("ReadThrottles", "WriteThrottles", "SystemErrors")}
    names |= {f"Wom-{d.name.capitalize()}JobDeadLetters" for d in JOB_FUNCTIONS}
    names.add("Wom-ArchiveWriterDeadLetters")  # the archive writer's failure destination (infra/constructs/archive.py)
    # The spill queue (infra/constructs/spill.py): its oldest message's age, and its dead letters.
    names |= {"Wom-SpillOldestMessage", "Wom-SpillDeadLetters"}
    return names


def alarms(template_json: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Alarm properties by alarm name."""
    return {
        r["Properties"]["AlarmName"]: r["Properties"]
        for r in template_json["Resources"].values()
        if r["Type"] == "AWS::CloudWatch::Alarm"
    }


def topic_id(template_json: dict[str, Any]) -> str:
    (logical_id,) = [k for k, r in template_json["Resources"].items() if r["Type"] == "AWS::SNS::Topic"]
    return logical_id


def metric_stats(alarm: dict[str, Any]) -> list[dict[str, Any]]:
    """The metrics a math-expression alarm reads (the expression itself aside)."""
    return [m["MetricStat"] for m in alarm["Metrics"] if "MetricStat" in m]


def single_metric(alarm: dict[str, Any]) -> dict[str, Any]:
    return {key: alarm[key] for key in ("Namespace", "MetricName", "Dimensions", "Statistic", "Period")}


def dimensions(*pairs: tuple[str, Any]) -> list[dict[str, Any]]:
    return [{"Name": name, "Value": value} for name, value in pairs]


def table_ref(synthesized: Synthesized, definition: TableDefinition) -> dict[str, str]:
    return {"Ref": synthesized.logical_id("AWS::DynamoDB::Table", f"Storage{definition.logical_id}")}


# --- the alarms of the stack as synthesized -------------------------------------------------------------


def test_the_alarms_are_exactly_these(synthesized: Synthesized) -> None:
    assert set(alarms(synthesized.template_json)) == expected_alarm_names()


def test_every_alarm_fires_on_any_occurrence_and_notifies_the_topic_both_ways(synthesized: Synthesized) -> None:
    topic = {"Ref": topic_id(synthesized.template_json)}
    for name, alarm in alarms(synthesized.template_json).items():
        assert alarm["ComparisonOperator"] == "GreaterThanThreshold", name
        # Any occurrence, but for the spill queue's age: a quarter of an hour of waiting (tests/infra/test_spill.py).
        assert alarm["Threshold"] == (SPILL_AGE_ALARM.to_seconds() if name == "Wom-SpillOldestMessage" else 0), name
        assert alarm["EvaluationPeriods"] == 1, name
        assert alarm["TreatMissingData"] == "notBreaching", name
        assert alarm["AlarmActions"] == [topic], name
        assert alarm["OKActions"] == [topic], name


def test_every_alarm_points_to_its_section_of_the_operations_doc(synthesized: Synthesized) -> None:
    headings = {
        re.sub(r"[^a-z0-9 -]", "", line.lstrip("#").strip().lower()).replace(" ", "-")
        for line in OPERATIONS_DOC.read_text().splitlines()
        if line.startswith("#")
    }
    for name, alarm in alarms(synthesized.template_json).items():
        (anchor,) = re.findall(r"docs/operations\.md#([a-z0-9-]+)", alarm["AlarmDescription"])
        assert anchor in headings, f"{name}: docs/operations.md has no section #{anchor}"
        assert len(alarm["AlarmDescription"]) > 60


def test_api_5xx_alarm(synthesized: Synthesized) -> None:
    (api_id,) = synthesized.resources("AWS::ApiGatewayV2::Api")
    assert single_metric(alarms(synthesized.template_json)["Wom-Api5xx"]) == {
        "Namespace": "AWS/ApiGateway",
        "MetricName": "5xx",
        "Dimensions": dimensions(("ApiId", {"Ref": api_id})),
        "Statistic": "Sum",
        "Period": 300,
    }


@pytest.mark.parametrize("definition", FUNCTIONS, ids=[d.name for d in FUNCTIONS])
def test_function_errors_and_throttles_alarms(synthesized: Synthesized, definition: FunctionDefinition) -> None:
    function = dimensions(("FunctionName", {"Ref": function_resource(synthesized, definition)[0]}))
    by_name = alarms(synthesized.template_json)
    prefix = f"Wom-{definition.name.capitalize()}"
    rates = [s.rate_minutes for s in SCHEDULES if s.function == definition.name]
    # A job's errors alarm spans one run (its state is the latest run's outcome); the rest span 5 minutes.
    errors_period = min(rates) * 60 if rates else 300
    assert single_metric(by_name[f"{prefix}Errors"]) == {
        "Namespace": "AWS/Lambda",
        "MetricName": "Errors",
        "Dimensions": function,
        "Statistic": "Sum",
        "Period": errors_period,
    }
    assert single_metric(by_name[f"{prefix}Throttles"]) == {
        "Namespace": "AWS/Lambda",
        "MetricName": "Throttles",
        "Dimensions": function,
        "Statistic": "Sum",
        "Period": 300,
    }


@pytest.mark.parametrize("definition", TABLES, ids=[t.logical_id for t in TABLES])
@pytest.mark.parametrize("kind", ["Read", "Write"])
def test_table_throttle_alarms_cover_the_table_and_its_indexes(
    synthesized: Synthesized, definition: TableDefinition, kind: str
) -> None:
    alarm = alarms(synthesized.template_json)[f"Wom-{definition.logical_id}{kind}Throttles"]
    table = ("TableName", table_ref(synthesized, definition))
    expected = [dimensions(table)] + [
        dimensions(table, ("GlobalSecondaryIndexName", index.name)) for index in definition.indexes
    ]
    if not definition.indexes:
        assert single_metric(alarm) == {
            "Namespace": "AWS/DynamoDB",
            "MetricName": f"{kind}ThrottleEvents",
            "Dimensions": expected[0],
            "Statistic": "Sum",
            "Period": 300,
        }
        return
    stats = metric_stats(alarm)
    assert [sorted(s["Metric"]["Dimensions"], key=str) for s in stats] == [sorted(d, key=str) for d in expected]
    assert {(s["Metric"]["Namespace"], s["Metric"]["MetricName"], s["Stat"], s["Period"]) for s in stats} == {
        ("AWS/DynamoDB", f"{kind}ThrottleEvents", "Sum", 300)
    }
    assert_sums_each_filled_with_zero(alarm)


def assert_sums_each_filled_with_zero(alarm: dict[str, Any]) -> None:
    """DynamoDB reports these only when they happen: a plain a + b would have no value unless all did."""
    (expression,) = [m for m in alarm["Metrics"] if "Expression" in m]
    assert expression["ReturnData"] is True
    ids = [m["Id"] for m in alarm["Metrics"] if "MetricStat" in m]
    assert expression["Expression"] == " + ".join(f"FILL({metric_id}, 0)" for metric_id in ids)
    assert all(m["ReturnData"] is False for m in alarm["Metrics"] if "MetricStat" in m)


@pytest.mark.parametrize("definition", TABLES, ids=[t.logical_id for t in TABLES])
def test_table_system_errors_alarm_watches_every_operation_the_functions_call(
    synthesized: Synthesized, definition: TableDefinition
) -> None:
    alarm = alarms(synthesized.template_json)[f"Wom-{definition.logical_id}SystemErrors"]
    stats = metric_stats(alarm)
    operations = {
        d["Value"] for s in stats for d in s["Metric"]["Dimensions"] if d["Name"] == "Operation"
    }
    assert operations == set(table_operations(definition))
    for s in stats:
        assert s["Metric"]["MetricName"] == "SystemErrors" and s["Stat"] == "Sum" and s["Period"] == 300
        assert {"Name": "TableName", "Value": table_ref(synthesized, definition)} in s["Metric"]["Dimensions"]
    assert_sums_each_filled_with_zero(alarm)
    # Every action granted on the table is watched; transactions are reported as their own operation.
    granted = {
        action.removeprefix("dynamodb:")
        for access in ACCESS.values()
        for action in access.tables.get(definition, ())
    } - {"ConditionCheckItem"}
    assert granted <= operations
    assert "TransactWriteItems" in operations


@pytest.mark.parametrize("definition", JOB_FUNCTIONS, ids=[d.name for d in JOB_FUNCTIONS])
def test_job_dead_letter_queue_alarm(synthesized: Synthesized, definition: FunctionDefinition) -> None:
    alarm = alarms(synthesized.template_json)[f"Wom-{definition.name.capitalize()}JobDeadLetters"]
    queue_id = dead_letter_queue_id(synthesized, definition.name)
    assert single_metric(alarm) == {
        "Namespace": "AWS/SQS",
        "MetricName": "ApproximateNumberOfMessagesVisible",
        "Dimensions": dimensions(("QueueName", {"Fn::GetAtt": [queue_id, "QueueName"]})),
        "Statistic": "Maximum",
        "Period": 300,
    }
    assert f"the {definition.name} job" in alarm["AlarmDescription"]


# --- the dashboard --------------------------------------------------------------------------------------


@dataclass
class Dashboard:
    name: Any
    widgets: list[dict[str, Any]]

    def widget(self, title: str) -> dict[str, Any]:
        (widget,) = [w for w in self.widgets if w["properties"].get("title") == title]
        return widget["properties"]

    def metrics(self, title: str) -> list[tuple[str, ...]]:
        """(namespace, metric name, dimension values..., stat) of each metric a widget draws."""
        drawn = []
        for entry in self.widget(title)["metrics"]:
            *names, options = entry
            if "expression" in options:
                continue
            drawn.append((*names, options.get("stat", "")))
        return drawn

    def expressions(self, title: str) -> list[str]:
        return [entry[-1]["expression"] for entry in self.widget(title)["metrics"] if "expression" in entry[-1]]


def dashboard_of(template_json: dict[str, Any]) -> Dashboard:
    (resource,) = [r for r in template_json["Resources"].values() if r["Type"] == "AWS::CloudWatch::Dashboard"]
    properties = resource["Properties"]

    def placeholder(part: Any) -> str:
        # A reference inside the body, written out so the body reads as JSON: "<Ref X>", "<GetAtt X.Attr>".
        if isinstance(part, str):
            return part
        if "Ref" in part:
            return f"<Ref {part['Ref']}>"
        return f"<GetAtt {'.'.join(part['Fn::GetAtt'])}>"

    body = properties["DashboardBody"]
    text = "".join(placeholder(part) for part in body["Fn::Join"][1]) if isinstance(body, dict) else body
    return Dashboard(properties["DashboardName"], json.loads(text)["widgets"])


@pytest.fixture(scope="module")
def dashboard(synthesized: Synthesized) -> Dashboard:
    return dashboard_of(synthesized.template_json)


def ref(logical_id: str) -> str:
    return f"<Ref {logical_id}>"


def test_one_dashboard_named_after_the_stack_and_region(synthesized: Synthesized, dashboard: Dashboard) -> None:
    assert len(synthesized.resources("AWS::CloudWatch::Dashboard")) == 1
    assert dashboard.name == {"Fn::Join": ["", ["Wom-", {"Ref": "AWS::Region"}]]}
    url = json.dumps(synthesized.template_json["Outputs"]["DashboardUrl"]["Value"])
    assert "#dashboards/dashboard/" in url


def test_dashboard_shows_every_alarm(synthesized: Synthesized, dashboard: Dashboard) -> None:
    shown = dashboard.widget("Alarms")["alarms"]
    # ARNs from the names (the emulator does not model alarms, so a reference to one would fail the rehearsal).
    assert sorted(shown) == sorted(
        f"arn:<Ref AWS::Partition>:cloudwatch:<Ref AWS::Region>:<Ref AWS::AccountId>:alarm:{name}"
        for name in alarms(synthesized.template_json)
    )


def test_dashboard_requests_errors_and_latency(synthesized: Synthesized, dashboard: Dashboard) -> None:
    (api_id,) = synthesized.resources("AWS::ApiGatewayV2::Api")
    api = ("ApiId", ref(api_id))
    assert dashboard.metrics("API requests") == [("AWS/ApiGateway", "Count", *api, "Sum")]
    assert dashboard.metrics("API 4xx and 5xx") == [
        ("AWS/ApiGateway", "4xx", *api, "Sum"),
        ("AWS/ApiGateway", "5xx", *api, "Sum"),
    ]
    assert dashboard.metrics("API latency (ms)") == [
        ("AWS/ApiGateway", "Latency", *api, "p50"),
        ("AWS/ApiGateway", "Latency", *api, "p99"),
    ]


def test_dashboard_lambda_errors_and_throttles_of_every_function(synthesized: Synthesized, dashboard: Dashboard) -> None:
    for title, metric in (("Lambda errors", "Errors"), ("Lambda throttles", "Throttles")):
        assert dashboard.metrics(title) == [
            ("AWS/Lambda", metric, "FunctionName", ref(function_resource(synthesized, d)[0]), "Sum") for d in FUNCTIONS
        ]


def test_dashboard_dynamodb_throttles_and_system_errors_of_every_table(
    synthesized: Synthesized, dashboard: Dashboard
) -> None:
    drawn = {(m[1], m[-2]) for m in dashboard.metrics("DynamoDB throttled events")}
    for definition in TABLES:
        table = ref(table_ref(synthesized, definition)["Ref"])
        for kind in ("Read", "Write"):
            assert (f"{kind}ThrottleEvents", table) in drawn or any(
                f"{definition.logical_id.lower()}_{kind.lower()}throttleevents" in e
                for e in dashboard.expressions("DynamoDB throttled events")
            )
    expressions = dashboard.expressions("DynamoDB system errors")
    assert len(expressions) == len(TABLES)
    assert {m[1] for m in dashboard.metrics("DynamoDB system errors")} == {"SystemErrors"}


def test_dashboard_dead_letter_queues(synthesized: Synthesized, dashboard: Dashboard) -> None:
    assert dashboard.metrics("Dead-letter queues: messages") == [
        (
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
            "QueueName",
            f"<GetAtt {dead_letter_queue_id(synthesized, d.name)}.QueueName>",
            "Maximum",
        )
        for d in JOB_FUNCTIONS
    ] + [
        (
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
            "QueueName",
            f"<GetAtt {synthesized.logical_id('AWS::SQS::Queue', logical_id)}.QueueName>",
            "Maximum",
        )
        for logical_id in ("ArchiveFailures", "SpillDeadLetters")
    ]
    # The stack's spill queue: waiting and being replayed, and its oldest message.
    spill = f"<GetAtt {synthesized.logical_id('AWS::SQS::Queue', 'SpillQueue')}.QueueName>"
    assert_spill_graphs(dashboard, spill)


def assert_spill_graphs(dashboard: Dashboard, spill: str) -> None:
    """The spill queue's graphs: messages waiting and being replayed, and the oldest one's age."""
    assert dashboard.metrics("Spill queue: events waiting") == [
        ("AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", spill, "Maximum"),
        ("AWS/SQS", "ApproximateNumberOfMessagesNotVisible", "QueueName", spill, "Maximum"),
    ]
    assert dashboard.metrics("Spill queue: oldest event (seconds)") == [
        ("AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", spill, "Maximum")
    ]


def test_dashboard_job_runs(synthesized: Synthesized, dashboard: Dashboard) -> None:
    jobs = [ref(function_resource(synthesized, d)[0]) for d in JOB_FUNCTIONS]
    assert dashboard.metrics("Job runs (per hour)") == [
        *[("AWS/Lambda", "Invocations", "FunctionName", job, "Sum") for job in jobs],
        *[("AWS/Lambda", "Errors", "FunctionName", job, "Sum") for job in jobs],
    ]
    assert all(entry[-1]["period"] == 3600 for entry in dashboard.widget("Job runs (per hour)")["metrics"])


def test_dashboard_funnel_reads_the_metrics_jobs_totals_by_day(dashboard: Dashboard) -> None:
    expected = [(FUNNEL_NAMESPACE, name, "Maximum") for name, _ in FUNNEL_METRICS]
    assert [name for name, _ in FUNNEL_METRICS] == ["Shares", "Clicks", "Conversions"]
    for title in ("Today's funnel (UTC, as of the metrics job's last run)", "The day's funnel, last 14 days"):
        assert dashboard.metrics(title) == expected
        assert all(entry[-1]["period"] == 86400 for entry in dashboard.widget(title)["metrics"])
    assert dashboard.widget("The day's funnel, last 14 days")["start"] == "-P14D"


def test_dashboard_reads_no_custom_metric_but_the_funnel(dashboard: Dashboard) -> None:
    """SPEC §8: nothing per request; the only metrics not AWS's own are the funnel's, published once per run."""
    namespaces = {
        entry[0]
        for widget in dashboard.widgets
        for entry in widget["properties"].get("metrics", [])
        if isinstance(entry[0], str)
    }
    assert namespaces == {"AWS/ApiGateway", "AWS/Lambda", "AWS/DynamoDB", "AWS/SQS", FUNNEL_NAMESPACE}


# --- where alarms notify --------------------------------------------------------------------------------


def test_stack_creates_an_encrypted_tls_only_topic_without_subscription(synthesized: Synthesized) -> None:
    resources = synthesized.template_json["Resources"]
    topic = topic_id(synthesized.template_json)
    (key_id,) = synthesized.resources("AWS::KMS::Key")
    assert resources[topic]["Properties"]["KmsMasterKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
    key = resources[key_id]["Properties"]
    assert key["EnableKeyRotation"] is True
    cloudwatch_use = [s for s in key["KeyPolicy"]["Statement"] if s["Principal"] == {"Service": "cloudwatch.amazonaws.com"}]
    assert [(s["Effect"], sorted(s["Action"])) for s in cloudwatch_use] == [("Allow", ["kms:Decrypt", "kms:GenerateDataKey*"])]

    (policy,) = synthesized.resources("AWS::SNS::TopicPolicy").values()
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    assert {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "sns:Publish",
        "Resource": {"Ref": topic},
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        "Sid": "AllowPublishThroughSSLOnly",
    } in statements
    (publish,) = [s for s in statements if s["Effect"] == "Allow"]
    assert publish["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert publish["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    assert ":alarm:*" in json.dumps(publish["Condition"]["ArnLike"]["aws:SourceArn"])
    assert synthesized.resources("AWS::SNS::Subscription") == {}
    assert synthesized.template_json["Outputs"]["AlarmTopicArn"]["Value"] == {"Ref": topic}


@dataclass
class Variant:
    template: Template
    template_json: dict[str, Any]


def monitoring_alone(config: StackConfig, *, spill_queue: bool) -> Variant:
    """A Monitoring construct in a stack of stand-ins (inline functions, plain queues).

    Not checked by cdk-nag: its findings would be the stand-ins'. The stack's own synthesis checks the topic, key
    and alarms; these variants add a subscription, or take resources away.
    """
    app = App()
    stack = Stack(app, "MonitoringAlone")
    api = apigwv2.HttpApi(stack, "Api")
    functions = {
        d.name: lambda_.Function(
            stack,
            d.name.capitalize(),
            runtime=lambda_.Runtime.PYTHON_3_13,
            handler="index.handler",
            code=lambda_.Code.from_inline("def handler(event, context):\n    return None\n"),
        )
        for d in FUNCTIONS
    }
    Monitoring(
        stack,
        "Monitoring",
        api=api,
        functions=functions,
        storage=Storage(stack, "Storage"),
        dead_letter_queues={"StandIn": Watched("the stand-in's work", sqs.Queue(stack, "StandInDeadLetters"))},
        spill_queue=sqs.Queue(stack, "Spill") if spill_queue else None,
        config=config,
    )
    app.synth()
    template = Template.from_stack(stack)
    return Variant(template, template.to_json())


@pytest.fixture(scope="module")
def with_email_and_spill_queue() -> Iterator[Variant]:
    yield monitoring_alone(StackConfig(alarm_email="ops@shop.example"), spill_queue=True)


@pytest.fixture(scope="module")
def with_operator_topic() -> Iterator[Variant]:
    yield monitoring_alone(StackConfig(alarm_topic_arn="arn:aws:sns:eu-west-1:123456789012:ops-pager"), spill_queue=False)


def test_alarm_email_subscribes_the_address_to_the_stacks_topic(with_email_and_spill_queue: Variant) -> None:
    topic = topic_id(with_email_and_spill_queue.template_json)
    with_email_and_spill_queue.template.has_resource_properties(
        "AWS::SNS::Subscription", {"Protocol": "email", "Endpoint": "ops@shop.example", "TopicArn": {"Ref": topic}}
    )
    with_email_and_spill_queue.template.resource_count_is("AWS::SNS::Subscription", 1)


def test_operator_topic_receives_every_alarm_and_the_stack_creates_none(with_operator_topic: Variant) -> None:
    for resource_type in ("AWS::SNS::Topic", "AWS::SNS::TopicPolicy", "AWS::SNS::Subscription", "AWS::KMS::Key"):
        with_operator_topic.template.resource_count_is(resource_type, 0)
    arn = "arn:aws:sns:eu-west-1:123456789012:ops-pager"
    by_name = alarms(with_operator_topic.template_json)
    assert by_name
    for alarm in by_name.values():
        assert alarm["AlarmActions"] == [arn] and alarm["OKActions"] == [arn]


def test_spill_queue_adds_an_oldest_message_alarm(with_email_and_spill_queue: Variant) -> None:
    template_json = with_email_and_spill_queue.template_json
    (spill_id,) = [k for k in template_json["Resources"] if k.startswith("Spill")]
    alarm = alarms(template_json)["MonitoringAlone-SpillOldestMessage"]
    assert single_metric(alarm) == {
        "Namespace": "AWS/SQS",
        "MetricName": "ApproximateAgeOfOldestMessage",
        "Dimensions": dimensions(("QueueName", {"Fn::GetAtt": [spill_id, "QueueName"]})),
        "Statistic": "Maximum",
        "Period": 300,
    }
    assert alarm["Threshold"] == SPILL_AGE_ALARM.to_seconds() == 900
    assert alarm["AlarmActions"] == [{"Ref": topic_id(template_json)}]


def test_spill_queue_and_every_given_dead_letter_queue_are_on_the_dashboard(with_email_and_spill_queue: Variant) -> None:
    template_json = with_email_and_spill_queue.template_json
    (spill_id,) = [k for k in template_json["Resources"] if k.startswith("Spill")]
    (dead_letters_id,) = [k for k in template_json["Resources"] if k.startswith("StandInDeadLetters")]
    dashboard = dashboard_of(template_json)
    spill = f"<GetAtt {spill_id}.QueueName>"
    assert_spill_graphs(dashboard, spill)
    assert dashboard.widget("Spill queue: oldest event (seconds)")["annotations"]["horizontal"][0]["value"] == 900
    assert dashboard.metrics("Dead-letter queues: messages") == [
        ("AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", f"<GetAtt {dead_letters_id}.QueueName>", "Maximum")
    ]
    assert "MonitoringAlone-StandInDeadLetters" in alarms(template_json)
