"""Monitoring (SPEC §7): the alarms, where they notify, and the operators' dashboard.

Everything here reads CloudWatch's own AWS metrics (API Gateway, Lambda, DynamoDB, SQS), plus the day's funnel
totals that the metrics job publishes once per run: nothing is emitted per request, so monitoring costs a fixed
amount a month, not a share of every click (SPEC §8; bench/cost.py prices it from the template).

What each alarm means and what to do about it: docs/operations.md.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from aws_cdk import Aws, Duration, RemovalPolicy, Stack
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.config import StackConfig
from infra.constructs.storage import Storage
from infra.permissions import ACCESS
from shared.platform.deployment import ROUTES, SCHEDULES, FunctionName
from shared.platform.resources import TABLES, TableDefinition

# The funnel totals the metrics job publishes (one PutMetricData per run, no dimension): for each day it
# computed, the sum over campaigns of that day's `shares`, `clicks` and `conversions`, timestamped at the day's
# 00:00 UTC. The job republishes a day's running total every hour, so a day's value is its Maximum.
FUNNEL_NAMESPACE = "wom"
FUNNEL_METRICS: tuple[tuple[str, str], ...] = (("Shares", "shares"), ("Clicks", "clicks"), ("Conversions", "conversions"))
FUNNEL_DAYS_SHOWN = 14

# One period for the request path's alarms: long enough to hold a burst's few data points, short enough to page.
PERIOD = Duration.minutes(5)
# The replay drains the spill queue within seconds while DynamoDB answers; a quarter of an hour of backlog means
# it does not (storage still failing, or the replay itself broken).
SPILL_AGE_ALARM = Duration.minutes(15)


@dataclass(frozen=True)
class Watched:
    """A queue whose depth is an alarm: what ends up in it, in a few words ("rewards job runs")."""

    what: str
    queue: sqs.IQueue


class AlarmTopic(Construct):
    """Where every alarm notifies: the operator's own topic (wom:alarmTopicArn), or one the stack creates,
    encrypted and TLS-only, with an optional email subscription (wom:alarmEmail)."""

    def __init__(self, scope: Construct, construct_id: str, *, config: StackConfig) -> None:
        super().__init__(scope, construct_id)
        self.created = config.alarm_topic_arn is None
        if config.alarm_topic_arn:
            self.topic: sns.ITopic = sns.Topic.from_topic_arn(self, "Topic", config.alarm_topic_arn)
            return
        stack = Stack.of(self)
        # A key of the stack's own: CloudWatch cannot publish to a topic under the AWS managed key (aws/sns),
        # whose policy nobody can change to let the CloudWatch service use it.
        self.key = kms.Key(
            self,
            "Key",
            description=f"wom {stack.stack_name}: encrypts the alarm notifications topic",
            enable_key_rotation=True,
            # Messages live in the topic only until delivered: nothing stays encrypted under this key.
            removal_policy=RemovalPolicy.DESTROY,
            pending_window=Duration.days(7),
        )
        self.key.grant(iam.ServicePrincipal("cloudwatch.amazonaws.com"), "kms:Decrypt", "kms:GenerateDataKey*")
        self.topic = topic = sns.Topic(
            self,
            "Topic",
            display_name=f"wom {stack.stack_name} alarms",
            master_key=self.key,
            enforce_ssl=True,
        )
        # The topic policy replaces SNS's default one, so CloudWatch is named: this account's alarms only.
        topic.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[topic.topic_arn],
                conditions={
                    "StringEquals": {"aws:SourceAccount": stack.account},
                    "ArnLike": {"aws:SourceArn": f"arn:{Aws.PARTITION}:cloudwatch:{stack.region}:{stack.account}:alarm:*"},
                },
            )
        )
        if config.alarm_email:
            # SNS mails the address a confirmation link; nothing arrives until it is followed.
            sns.Subscription(
                self, "Email", topic=topic, protocol=sns.SubscriptionProtocol.EMAIL, endpoint=config.alarm_email
            )


class Monitoring(Construct):
    """Alarms on the API, every function, every table and every watched queue, and one dashboard.

    ``dead_letter_queues``: every queue where failed work lands (the jobs', the archive writer's failure
    destination, the spill replay's dead letters). ``spill_queue``: the tracking path's spill queue, when the
    stack has one; it adds an oldest-message alarm and the dashboard's spill graphs.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        api: apigwv2.HttpApi,
        functions: Mapping[FunctionName, lambda_.IFunction],
        storage: Storage,
        dead_letter_queues: Mapping[str, Watched],
        spill_queue: sqs.IQueue | None = None,
        config: StackConfig,
    ) -> None:
        super().__init__(scope, construct_id)
        self.notifications = AlarmTopic(self, "Notifications", config=config)
        self.alarms: dict[str, cloudwatch.Alarm] = {}
        self._stack_name = stack_name = Stack.of(self).stack_name
        # A job function's shortest schedule: one alarm period per run.
        job_rates: dict[str, int] = {}
        for schedule in SCHEDULES:
            job_rates[schedule.function] = min(job_rates.get(schedule.function, schedule.rate_minutes), schedule.rate_minutes)
        routed = {route.function for route in ROUTES}

        self._alarm(
            "Api5xx",
            api.metric_server_error(period=PERIOD, statistic=cloudwatch.Stats.SUM),
            "The HTTP API answered 5xx: a function failed, timed out or was throttled (see the function alarms), or "
            "a signed route answered 503 because storage failed.",
            section="api-5xx",
        )
        for name, function in functions.items():
            prefix = name.capitalize()
            if name in job_rates:
                # The alarm's state is the outcome of the latest run.
                period = Duration.minutes(job_rates[name])
                errors = f"The {name} job: a run failed (raised or timed out); see its log group. The next run retries."
                section = "job-failures"
            elif name in routed:
                period = PERIOD
                errors = f"The {name} function raised or timed out; callers got a 5xx. See its log group."
                section = "function-errors"
            else:
                # Invoked by a queue or a stream, which retries it: the failures that stay end in its dead letters.
                period = PERIOD
                errors = f"The {name} function raised or timed out; its source retries it. See its log group."
                section = "function-errors"
            self._alarm(
                f"{prefix}Errors",
                function.metric_errors(period=period, statistic=cloudwatch.Stats.SUM),
                errors,
                section=section,
            )
            self._alarm(
                f"{prefix}Throttles",
                function.metric_throttles(period=PERIOD, statistic=cloudwatch.Stats.SUM),
                f"Lambda throttled the {name} function: the account's concurrency is used up (or a reserved limit).",
                section="function-throttles",
            )

        self.table_metrics: dict[str, dict[str, cloudwatch.IMetric]] = {}
        for definition in TABLES:
            table = storage.table(definition)
            metrics = {
                "Read": _throttle_events(table, definition, "ReadThrottleEvents"),
                "Write": _throttle_events(table, definition, "WriteThrottleEvents"),
                "System": _system_errors(table, definition),
            }
            self.table_metrics[definition.logical_id] = metrics
            noun = _words(definition.logical_id)
            self._alarm(
                f"{definition.logical_id}ReadThrottles",
                metrics["Read"],
                f"DynamoDB throttled reads of the {noun} (or one of its indexes).",
                section="dynamodb-throttles",
            )
            self._alarm(
                f"{definition.logical_id}WriteThrottles",
                metrics["Write"],
                f"DynamoDB throttled writes to the {noun} (or one of its indexes): tracked events go to the spill "
                "queue, signed routes answer 503.",
                section="dynamodb-throttles",
            )
            self._alarm(
                f"{definition.logical_id}SystemErrors",
                metrics["System"],
                f"DynamoDB answered 500 (internal error) to calls on the {noun}.",
                section="dynamodb-system-errors",
            )

        self.dead_letter_queues = dict(dead_letter_queues)
        for construct_id_stem, watched in self.dead_letter_queues.items():
            self._alarm(
                f"{construct_id_stem}DeadLetters",
                watched.queue.metric_approximate_number_of_messages_visible(
                    period=PERIOD, statistic=cloudwatch.Stats.MAXIMUM
                ),
                f"Messages in the dead-letter queue of {watched.what}: work that failed for good. "
                "Read them, fix the cause, then redrive or purge.",
                section="dead-letters",
            )

        self.spill_queue = spill_queue
        if spill_queue is not None:
            self._alarm(
                "SpillOldestMessage",
                spill_queue.metric_approximate_age_of_oldest_message(period=PERIOD, statistic=cloudwatch.Stats.MAXIMUM),
                f"Tracked events have waited over {SPILL_AGE_ALARM.to_minutes():.0f} minutes in the spill queue: the "
                "replay is not writing them (storage still failing, or the replay itself failing).",
                section="spill-queue-age",
                threshold=SPILL_AGE_ALARM.to_seconds(),
            )

        self.dashboard = cloudwatch.Dashboard(
            self,
            "Dashboard",
            # Named, so the operator finds it; the region keeps two regions' deployments apart.
            dashboard_name=f"{stack_name}-{Aws.REGION}",
            default_interval=Duration.hours(24),
            widgets=self._rows(api, functions, job_rates),
        )

    @property
    def dashboard_url(self) -> str:
        region = Aws.REGION
        return (
            f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}"
            f"#dashboards/dashboard/{self.dashboard.dashboard_name}"
        )

    def _alarm_name(self, construct_id: str) -> str:
        return f"{self._stack_name}-{construct_id}"

    def _alarm(
        self, construct_id: str, metric: cloudwatch.IMetric, description: str, *, section: str, threshold: float = 0
    ) -> None:
        """An alarm on any occurrence (or past ``threshold``); ``section``: its heading in docs/operations.md."""
        alarm = cloudwatch.Alarm(
            self,
            construct_id,
            # Wom-TrackingErrors: the name an operator reads in the notification and finds in docs/operations.md.
            alarm_name=self._alarm_name(construct_id),
            metric=metric,
            threshold=threshold,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=1,
            # No traffic, no run, an empty queue: silence is not a failure.
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_description=f"{description} See docs/operations.md#{section}.",
        )
        action = actions.SnsAction(self.notifications.topic)
        alarm.add_alarm_action(action)
        # Told when it is over, too.
        alarm.add_ok_action(action)
        self.alarms[construct_id] = alarm

    def _rows(
        self, api: apigwv2.HttpApi, functions: Mapping[FunctionName, lambda_.IFunction], job_rates: Mapping[str, int]
    ) -> list[list[cloudwatch.IWidget]]:
        def graph(title: str, left: list[cloudwatch.IMetric], width: int, **options: object) -> cloudwatch.GraphWidget:
            return cloudwatch.GraphWidget(title=title, left=left, width=width, height=6, **options)

        def per_function(metric: str, names: list[FunctionName], statistic: str, period: Duration) -> list[cloudwatch.Metric]:
            return [
                functions[name].metric(metric, statistic=statistic, period=period, label=name)
                for name in names
            ]

        # By name, not by reference: the dashboard does not wait for the alarms, and the emulator, which does
        # not model alarms, can still create it (make deploy-local).
        shown_alarms = [
            cloudwatch.Alarm.from_alarm_name(self, f"{construct_id}Shown", self._alarm_name(construct_id))
            for construct_id in self.alarms
        ]
        every_function = list(functions)
        jobs = [name for name in functions if name in job_rates]
        tables = [definition for definition in TABLES if definition.logical_id in self.table_metrics]
        queues = [
            graph(
                "Dead-letter queues: messages",
                [
                    w.queue.metric_approximate_number_of_messages_visible(
                        period=PERIOD, statistic=cloudwatch.Stats.MAXIMUM, label=w.what
                    )
                    for w in self.dead_letter_queues.values()
                ],
                8 if self.spill_queue else 24,
            )
        ]
        if self.spill_queue is not None:
            queues += [
                graph(
                    "Spill queue: events waiting",
                    [
                        self.spill_queue.metric_approximate_number_of_messages_visible(
                            period=PERIOD, statistic=cloudwatch.Stats.MAXIMUM, label="waiting"
                        ),
                        self.spill_queue.metric_approximate_number_of_messages_not_visible(
                            period=PERIOD, statistic=cloudwatch.Stats.MAXIMUM, label="being replayed"
                        ),
                    ],
                    8,
                ),
                graph(
                    "Spill queue: oldest event (seconds)",
                    [
                        self.spill_queue.metric_approximate_age_of_oldest_message(
                            period=PERIOD, statistic=cloudwatch.Stats.MAXIMUM, label="oldest"
                        )
                    ],
                    8,
                    left_annotations=[
                        cloudwatch.HorizontalAnnotation(value=SPILL_AGE_ALARM.to_seconds(), label="alarm")
                    ],
                ),
            ]
        funnel_today = [
            cloudwatch.Metric(
                namespace=FUNNEL_NAMESPACE, metric_name=name, statistic=cloudwatch.Stats.MAXIMUM, period=Duration.days(1), label=name
            )
            for name, _ in FUNNEL_METRICS
        ]
        return [
            [
                cloudwatch.TextWidget(
                    markdown=(
                        f"# wom {Stack.of(self).stack_name}\n"
                        "Each alarm's description names its section of docs/operations.md (what it means, what to "
                        "do). The funnel counts UTC days, as the metrics job does."
                    ),
                    width=24,
                    height=2,
                )
            ],
            [cloudwatch.AlarmStatusWidget(title="Alarms", alarms=shown_alarms, width=24, height=4)],
            [
                graph("API requests", [api.metric_count(period=PERIOD, statistic=cloudwatch.Stats.SUM, label="requests")], 8),
                graph(
                    "API 4xx and 5xx",
                    [
                        api.metric_client_error(period=PERIOD, statistic=cloudwatch.Stats.SUM, label="4xx (429: throttled)"),
                        api.metric_server_error(period=PERIOD, statistic=cloudwatch.Stats.SUM, label="5xx"),
                    ],
                    8,
                ),
                graph(
                    "API latency (ms)",
                    [
                        api.metric_latency(period=PERIOD, statistic=cloudwatch.Stats.p(50), label="p50"),
                        api.metric_latency(period=PERIOD, statistic=cloudwatch.Stats.p(99), label="p99"),
                    ],
                    8,
                ),
            ],
            [
                graph("Lambda errors", per_function("Errors", every_function, cloudwatch.Stats.SUM, PERIOD), 12),
                graph("Lambda throttles", per_function("Throttles", every_function, cloudwatch.Stats.SUM, PERIOD), 12),
            ],
            [
                graph(
                    "DynamoDB throttled events",
                    [
                        self.table_metrics[t.logical_id][kind].with_(label=f"{_words(t.logical_id)}: {kind.lower()}s")
                        for t in tables
                        for kind in ("Read", "Write")
                    ],
                    12,
                ),
                graph(
                    "DynamoDB system errors",
                    [self.table_metrics[t.logical_id]["System"].with_(label=_words(t.logical_id)) for t in tables],
                    12,
                ),
            ],
            queues,
            [
                graph(
                    "Job runs (per hour)",
                    [
                        *per_function("Invocations", jobs, cloudwatch.Stats.SUM, Duration.hours(1)),
                        *[m.with_(label=f"{m.label} failed") for m in per_function("Errors", jobs, cloudwatch.Stats.SUM, Duration.hours(1))],
                    ],
                    12,
                ),
                graph("Job duration, longest run (ms)", per_function("Duration", jobs, cloudwatch.Stats.MAXIMUM, Duration.hours(1)), 12),
            ],
            [
                cloudwatch.SingleValueWidget(
                    title="Today's funnel (UTC, as of the metrics job's last run)", metrics=funnel_today, width=8, height=6
                ),
                graph(
                    f"The day's funnel, last {FUNNEL_DAYS_SHOWN} days",
                    funnel_today,
                    16,
                    start=f"-P{FUNNEL_DAYS_SHOWN}D",
                    period=Duration.days(1),
                ),
            ],
        ]


def _words(logical_id: str) -> str:
    """EventsTable -> events table."""
    return " ".join(re.findall(r"[A-Z][a-z0-9]*", logical_id)).lower()


def _sum_filled(metrics: dict[str, cloudwatch.IMetric], label: str) -> cloudwatch.IMetric:
    """One series summing sparse metrics. DynamoDB only reports these when they happen, and ``a + b`` has a
    value only where both do, so each is filled with 0 first (CDK's *_for_operations helpers do not)."""
    if len(metrics) == 1:
        return next(iter(metrics.values()))
    return cloudwatch.MathExpression(
        expression=" + ".join(f"FILL({metric_id}, 0)" for metric_id in metrics),
        using_metrics=metrics,
        label=label,
        period=PERIOD,
    )


def _throttle_events(table: dynamodb.Table, definition: TableDefinition, metric_name: str) -> cloudwatch.IMetric:
    """The table's throttle events and its indexes' (an index's are reported under its own dimension)."""
    # Ids unique across the dashboard graph that shows every table's expressions together.
    stem = f"{definition.logical_id.lower()}_{metric_name.lower()}"
    metrics: dict[str, cloudwatch.IMetric] = {
        stem: table.metric(metric_name, statistic=cloudwatch.Stats.SUM, period=PERIOD)
    }
    for index in definition.indexes:
        metrics[f"{stem}_{index.name}"] = table.metric(
            metric_name,
            statistic=cloudwatch.Stats.SUM,
            period=PERIOD,
            dimensions_map={"TableName": table.table_name, "GlobalSecondaryIndexName": index.name},
        )
    return _sum_filled(metrics, metric_name)


def table_operations(definition: TableDefinition) -> tuple[str, ...]:
    """The DynamoDB operations the functions call on a table, from what infra/permissions.py grants.

    SystemErrors is only reported per operation, and each operation an alarm watches is billed as one alarm
    metric, so the alarm watches these and not all of DynamoDB's. IAM authorises a transaction per item action,
    so a table that is written to may also be written in a TransactWriteItems.
    """
    granted: set[str] = set()
    for access in ACCESS.values():
        granted.update(access.tables.get(definition, ()))
        for index, index_actions in access.indexes.items():
            if index in definition.indexes:
                granted.update(index_actions)
    actions = {action.removeprefix("dynamodb:") for action in granted}
    operations = actions - {"ConditionCheckItem"}
    if actions & {"PutItem", "UpdateItem", "DeleteItem", "ConditionCheckItem"}:
        operations.add("TransactWriteItems")
    return tuple(sorted(operations))


def _system_errors(table: dynamodb.Table, definition: TableDefinition) -> cloudwatch.IMetric:
    return _sum_filled(
        {
            f"{definition.logical_id.lower()}_{operation.lower()}": table.metric(
                "SystemErrors",
                statistic=cloudwatch.Stats.SUM,
                period=PERIOD,
                dimensions_map={"TableName": table.table_name, "Operation": operation},
            )
            for operation in table_operations(definition)
        },
        "SystemErrors",
    )
