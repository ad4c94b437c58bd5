"""CloudWatch alarms (SPEC §7): a job run failed, or a run landed in its dead-letter queue.

No alarm actions: the stack does not guess how an operator wants to be told. The alarms are in the console,
and an operator subscribes them to a topic of their own.
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct

from infra.constructs.functions import WomFunction
from infra.constructs.jobs import Jobs
from shared.platform.deployment import SCHEDULES, FunctionName

DEAD_LETTER_PERIOD = Duration.minutes(5)


class Monitoring(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, functions: Mapping[FunctionName, WomFunction], jobs: Jobs
    ) -> None:
        super().__init__(scope, construct_id)
        self.alarms: dict[str, cloudwatch.Alarm] = {}
        for function_name, queue in jobs.dead_letter_queues.items():
            prefix = function_name.capitalize()
            # One period per run: the alarm's state is the outcome of the latest run.
            period = Duration.minutes(min(s.rate_minutes for s in SCHEDULES if s.function == function_name))
            self._alarm(
                f"{prefix}JobErrors",
                functions[function_name].function.metric_errors(period=period, statistic=cloudwatch.Stats.SUM),
                f"wom {function_name} job: a run failed (raised or timed out); see its log group",
            )
            self._alarm(
                f"{prefix}DeadLetters",
                queue.metric_approximate_number_of_messages_visible(
                    period=DEAD_LETTER_PERIOD, statistic=cloudwatch.Stats.MAXIMUM
                ),
                f"wom {function_name} job: runs in the dead-letter queue (not invoked, or failed); redrive or purge",
            )

    def _alarm(self, construct_id: str, metric: cloudwatch.IMetric, description: str) -> None:
        self.alarms[construct_id] = cloudwatch.Alarm(
            self,
            construct_id,
            metric=metric,
            threshold=0,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=1,
            # No run (or an empty queue's silence) is not a failure.
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_description=description,
        )
