"""The stack's own settings, read from the synthesized CloudFormation template (never assumed).

The app is synthesized as tests/infra/conftest.py does (cdk.json context, bundling skipped), in a
subprocess so the jsii runtime stays out of the measuring process.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.environment import REPO_ROOT
from shared.platform.settings import ENV_VARS

_SYNTH = """
import json, sys
from pathlib import Path
from infra.app import build_app
context = json.loads(Path("cdk.json").read_text())["context"]
app, stack = build_app(context={**context, "aws:cdk:bundling-stacks": []}, outdir=sys.argv[1])
print(app.synth().get_stack_artifact(stack.artifact_id).template_full_path)
"""


@dataclass(frozen=True)
class FunctionSettings:
    handler: str
    memory_mb: int
    architecture: str
    runtime: str
    log_level: str  # POWERTOOLS_LOG_LEVEL, what the application logs
    log_format: str  # Lambda LoggingConfig LogFormat (Text unless set)
    system_log_level: str | None  # JSON format only: at WARN or above Lambda drops its START/END/REPORT lines
    log_retention_days: int | None
    hot_event_days: int | None  # how long raw events stay in the events table (their TTL)


@dataclass(frozen=True)
class TableSettings:
    logical_id: str
    billing_mode: str
    table_class: str
    point_in_time_recovery: bool
    ttl_attribute: str | None


@dataclass(frozen=True)
class MonitoringSettings:
    """What the stack's monitoring is billed for, counted in the template."""

    alarms: int = 0
    # CloudWatch bills an alarm per metric it reads: a math-expression alarm summing five metrics is five.
    alarm_metrics: int = 0
    dashboards: int = 0
    # Metrics outside the AWS/ namespaces that a dashboard or alarm reads: (namespace, name, dimensions).
    custom_metrics: tuple[tuple[str, ...], ...] = ()
    kms_keys: int = 0
    # Runs a month of the scheduled job that publishes the custom metrics (one PutMetricData call each).
    publishing_runs_per_month: float = 0.0


@dataclass(frozen=True)
class ArchiveSettings:
    """The raw event archive as synthesized: its lifecycle in the metrics bucket and its event source mapping."""

    retention_days: int | None  # ExpireRawEvents
    cold_after_days: int | None  # the transition, when there is one
    cold_class: str | None
    cold_min_object_bytes: int | None
    batch_size: int
    batching_window_seconds: int


@dataclass(frozen=True)
class StackSettings:
    functions: dict[str, FunctionSettings]  # by handler module name: functions.tracking.handler
    tables: dict[str, TableSettings]  # by logical id prefix: StorageEventsTable...
    access_log_format: str | None
    access_log_class: str
    template_path: str
    monitoring: MonitoringSettings = MonitoringSettings()
    archive: ArchiveSettings | None = None

    def function(self, name: str) -> FunctionSettings:
        return self.functions[f"functions.{name}.handler"]

    def table(self, prefix: str) -> TableSettings:
        (table,) = [t for logical_id, t in self.tables.items() if logical_id.startswith(prefix)]
        return table


def synthesize(outdir: str) -> Path:
    environment = dict(os.environ, JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="20", JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION="1", CDK_DISABLE_CLI_TELEMETRY="true")
    done = subprocess.run(
        [sys.executable, "-c", _SYNTH, outdir], cwd=REPO_ROOT, env=environment, capture_output=True, text=True, timeout=300
    )
    if done.returncode:
        raise RuntimeError(f"cdk synth failed:\n{done.stderr[-4000:]}")
    return Path(done.stdout.strip().splitlines()[-1])


def _resources(template: dict, kind: str) -> dict[str, dict]:
    return {logical_id: r for logical_id, r in template["Resources"].items() if r["Type"] == kind}


def _ref(value: Any) -> str | None:
    if isinstance(value, dict):
        if "Ref" in value:
            return value["Ref"]
        if "Fn::GetAtt" in value:
            return value["Fn::GetAtt"][0]
    return None


def settings_from_template(template: dict, template_path: str = "") -> StackSettings:
    log_groups = _resources(template, "AWS::Logs::LogGroup")
    functions = {}
    for resource in _resources(template, "AWS::Lambda::Function").values():
        p = resource["Properties"]
        env = p.get("Environment", {}).get("Variables", {})
        logging = p.get("LoggingConfig", {})
        group = log_groups.get(_ref(logging.get("LogGroup")) or "", {}).get("Properties", {})
        hot_days = env.get(ENV_VARS["hot_event_days"])
        module = p["Handler"].rsplit(".", 1)[0]
        functions[module] = FunctionSettings(
            handler=p["Handler"],
            memory_mb=int(p.get("MemorySize", 128)),
            architecture=(p.get("Architectures") or ["x86_64"])[0],
            runtime=p.get("Runtime", ""),
            log_level=env.get("POWERTOOLS_LOG_LEVEL", "INFO"),
            log_format=logging.get("LogFormat", "Text"),
            system_log_level=logging.get("SystemLogLevel"),
            log_retention_days=group.get("RetentionInDays"),
            hot_event_days=int(hot_days) if hot_days else None,
        )
    tables = {}
    for logical_id, resource in _resources(template, "AWS::DynamoDB::Table").items():
        p = resource["Properties"]
        ttl = p.get("TimeToLiveSpecification", {})
        tables[logical_id] = TableSettings(
            logical_id=logical_id,
            billing_mode=p.get("BillingMode", "PROVISIONED"),
            table_class=p.get("TableClass", "STANDARD"),
            point_in_time_recovery=bool(p.get("PointInTimeRecoverySpecification", {}).get("PointInTimeRecoveryEnabled")),
            ttl_attribute=ttl.get("AttributeName") if ttl.get("Enabled") else None,
        )
    access_format, access_class = None, "STANDARD"
    for stage in _resources(template, "AWS::ApiGatewayV2::Stage").values():
        access = stage["Properties"].get("AccessLogSettings")
        if access:
            access_format = access.get("Format")
            group = log_groups.get(_ref(access.get("DestinationArn")) or "", {}).get("Properties", {})
            access_class = group.get("LogGroupClass", "STANDARD")
    return StackSettings(
        functions, tables, access_format, access_class, template_path, monitoring_from_template(template), _archive_settings(template)
    )


# The job that publishes the dashboard's custom metrics, once per run (infra/constructs/monitoring.py).
PUBLISHING_JOB = "metrics"
_MINUTES = {"minute": 1, "minutes": 1, "hour": 60, "hours": 60, "day": 1440, "days": 1440}


def _text(value: Any) -> str:
    """A string, a reference, or an Fn::Join of both (a dashboard body is one), references written as <ref>."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Join" in value:
        return "".join(_text(part) for part in value["Fn::Join"][1])
    return "<ref>"


def _alarm_metric_count(properties: dict) -> int:
    if "MetricName" in properties:
        return 1
    return sum(1 for metric in properties.get("Metrics", []) if "MetricStat" in metric)


def _custom_metrics(template: dict) -> set[tuple[str, ...]]:
    found: set[tuple[str, ...]] = set()
    for dashboard in _resources(template, "AWS::CloudWatch::Dashboard").values():
        body = json.loads(_text(dashboard["Properties"]["DashboardBody"]))
        for widget in body.get("widgets", []):
            for entry in widget.get("properties", {}).get("metrics", []):
                names = [part for part in entry if isinstance(part, str)]
                if names and not names[0].startswith("AWS/"):
                    found.add(tuple(names))
    for alarm in _resources(template, "AWS::CloudWatch::Alarm").values():
        p = alarm["Properties"]
        metrics = [p] if "MetricName" in p else [m["MetricStat"]["Metric"] for m in p.get("Metrics", []) if "MetricStat" in m]
        for metric in metrics:
            if not metric["Namespace"].startswith("AWS/"):
                dimensions = [part for d in metric.get("Dimensions", []) for part in (d["Name"], _text(d["Value"]))]
                found.add((metric["Namespace"], metric["MetricName"], *dimensions))
    return found


def _runs_per_month(template: dict, job: str) -> float:
    runs = 0.0
    for schedule in _resources(template, "AWS::Scheduler::Schedule").values():
        target = schedule["Properties"]["Target"]
        if json.loads(target.get("Input", "{}")).get("job") != job:
            continue
        match = re.fullmatch(r"rate\((\d+) (\w+)\)", schedule["Properties"]["ScheduleExpression"])
        if match:
            runs += 365.25 / 12 * 24 * 60 / (int(match[1]) * _MINUTES[match[2]])
    return runs


def monitoring_from_template(template: dict) -> MonitoringSettings:
    alarms = _resources(template, "AWS::CloudWatch::Alarm")
    return MonitoringSettings(
        alarms=len(alarms),
        alarm_metrics=sum(_alarm_metric_count(alarm["Properties"]) for alarm in alarms.values()),
        dashboards=len(_resources(template, "AWS::CloudWatch::Dashboard")),
        custom_metrics=tuple(sorted(_custom_metrics(template))),
        kms_keys=len(_resources(template, "AWS::KMS::Key")),
        publishing_runs_per_month=_runs_per_month(template, PUBLISHING_JOB),
    )


def _archive_settings(template: dict) -> ArchiveSettings | None:
    # The archive writer's mapping reads the events table's stream (the spill queue's replay has a mapping too).
    mappings = [m for m in _resources(template, "AWS::Lambda::EventSourceMapping").values() if m["Properties"].get("StartingPosition")]
    if not mappings:
        return None
    [archive] = mappings
    mapping = archive["Properties"]
    rules = {}
    for bucket in _resources(template, "AWS::S3::Bucket").values():
        for rule in bucket["Properties"].get("LifecycleConfiguration", {}).get("Rules", []):
            rules[rule.get("Id")] = rule
    expire = rules.get("ExpireRawEvents", {})
    cold = next((rule for rule in rules.values() if rule.get("Prefix") == expire.get("Prefix") and rule.get("Transitions")), None)
    transition = cold["Transitions"][0] if cold else {}
    return ArchiveSettings(
        retention_days=expire.get("ExpirationInDays"),
        cold_after_days=transition.get("TransitionInDays"),
        cold_class=transition.get("StorageClass"),
        cold_min_object_bytes=int(cold["ObjectSizeGreaterThan"]) if cold and cold.get("ObjectSizeGreaterThan") else None,
        batch_size=int(mapping.get("BatchSize", 100)),
        batching_window_seconds=int(mapping.get("MaximumBatchingWindowInSeconds", 0)),
    )


def read_stack_settings() -> StackSettings:
    with tempfile.TemporaryDirectory(prefix="wom-bench-cdk-") as outdir:
        path = synthesize(outdir)
        return settings_from_template(json.loads(path.read_text()), template_path="cdk synth (bundling skipped) of infra.app with cdk.json context")


# A representative value for each $context variable of an access log format, to size one line.
_CONTEXT_SAMPLES = {
    "requestId": "JcvG9jV4oAMEVxQ=",
    "requestTimeEpoch": "1795000000",
    "requestTime": "22/Nov/2026:12:00:00 +0000",
    "httpMethod": "GET",
    "routeKey": "GET /r/{code}",
    "status": "302",
    "responseLength": "0",
    "responseLatency": "12",
    "integrationStatus": "200",
    "integrationLatency": "9",
    "protocol": "HTTP/1.1",
}


def access_log_line(log_format: str, samples: dict[str, str] | None = None) -> str:
    """One access log line for a request, `$context.x` variables filled with representative values; those
    API Gateway leaves empty on a successful request (errors, callers of unauthenticated routes) become "-"."""
    values = {**_CONTEXT_SAMPLES, **(samples or {})}
    return re.sub(r"\$context\.([A-Za-z0-9_.]+)", lambda m: values.get(m.group(1), "-"), log_format)
