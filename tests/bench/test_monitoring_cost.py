"""The bench prices monitoring from what the template holds: alarms by the metrics they read, dashboards,
custom metrics, keys, and the runs of the job that publishes the metrics."""

from __future__ import annotations

import json

import pytest

from bench import cost
from bench.stack import MonitoringSettings, monitoring_from_template

FUNNEL_BODY_PARTS = [
    '{"widgets":[{"type":"metric","properties":{"region":"',
    {"Ref": "AWS::Region"},
    '","metrics":[["AWS/Lambda","Errors","FunctionName","',
    {"Ref": "Tracking"},
    '",{"stat":"Sum"}],["wom","Shares",{"stat":"Maximum"}],["wom","Clicks",{"stat":"Maximum"}]]}},'
    '{"type":"metric","properties":{"metrics":[["wom","Shares",{"period":86400}]]}}]}',
]

TEMPLATE = {
    "Resources": {
        "Single": {
            "Type": "AWS::CloudWatch::Alarm",
            "Properties": {"Namespace": "AWS/Lambda", "MetricName": "Errors", "Dimensions": [], "Period": 300},
        },
        "Summed": {
            "Type": "AWS::CloudWatch::Alarm",
            "Properties": {
                "Metrics": [
                    {"Id": "e", "Expression": "FILL(a, 0) + FILL(b, 0) + FILL(c, 0)", "ReturnData": True},
                    *[
                        {"Id": i, "MetricStat": {"Metric": {"Namespace": "AWS/DynamoDB", "MetricName": "SystemErrors"}}, "ReturnData": False}
                        for i in "abc"
                    ],
                ]
            },
        },
        "Dashboard": {
            "Type": "AWS::CloudWatch::Dashboard",
            "Properties": {"DashboardBody": {"Fn::Join": ["", FUNNEL_BODY_PARTS]}},
        },
        "Key": {"Type": "AWS::KMS::Key", "Properties": {}},
        "MetricsSchedule": {
            "Type": "AWS::Scheduler::Schedule",
            "Properties": {"ScheduleExpression": "rate(1 hour)", "Target": {"Input": json.dumps({"job": "metrics"})}},
        },
        "RewardsSchedule": {
            "Type": "AWS::Scheduler::Schedule",
            "Properties": {"ScheduleExpression": "rate(15 minutes)", "Target": {"Input": json.dumps({"job": "rewards"})}},
        },
    }
}


def test_monitoring_is_counted_in_the_template() -> None:
    settings = monitoring_from_template(TEMPLATE)
    assert settings.alarms == 2
    assert settings.alarm_metrics == 4, "a summing alarm is billed for each metric it reads, not its expression"
    assert settings.dashboards == 1
    assert settings.custom_metrics == (("wom", "Clicks"), ("wom", "Shares")), "AWS's own metrics cost nothing"
    assert settings.kms_keys == 1
    assert settings.publishing_runs_per_month == pytest.approx(730.5), "the metrics job, hourly"


def test_monitoring_is_priced_per_month() -> None:
    settings = MonitoringSettings(alarms=19, alarm_metrics=34, dashboards=1, custom_metrics=(("wom", "A"),) * 3, kms_keys=1, publishing_runs_per_month=730.5)
    lines = {line.item: line.usd_per_month for line in cost.monitoring(settings)}
    assert lines["CloudWatch alarms"] == pytest.approx(3.40)
    assert lines["CloudWatch dashboard"] == pytest.approx(3.00)
    assert lines["CloudWatch custom metrics"] == pytest.approx(0.90)
    assert lines["KMS key (alarm topic)"] == pytest.approx(1.00)
    assert lines["PutMetricData"] == pytest.approx(0.0073, abs=1e-4)
    assert cost.monitoring_per_month(settings) == pytest.approx(8.3073, abs=1e-4)


def test_a_template_without_monitoring_costs_nothing_for_it() -> None:
    assert cost.monitoring_per_month(monitoring_from_template({"Resources": {}})) == 0
