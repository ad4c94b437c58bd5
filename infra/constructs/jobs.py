"""Scheduled jobs from shared.platform.deployment.SCHEDULES: EventBridge Scheduler invokes the job's function.

Scheduler invokes Lambda asynchronously, so a run can be lost at two hops, and both are bounded (SPEC §7):
- Scheduler → Lambda (the invoke call itself: throttled, function missing, role wrong): a retry policy,
  then the schedule's dead-letter queue;
- the function's run (it raised or timed out): Lambda's own asynchronous retries, then an on-failure
  destination, the same queue.
One queue per job function, whatever the number of its schedules: a message there is a run that did not happen.
"""

from __future__ import annotations

from collections.abc import Mapping

import jsii
from aws_cdk import Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as targets
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.constructs.functions import WomFunction
from infra.nag import acknowledge
from shared.platform.deployment import SCHEDULES, FunctionName, ScheduleDefinition

# Scheduler → Lambda: a failed invoke call is retried twice, and given up after an hour (the job has run
# again 4 times by then).
SCHEDULER_RETRY_ATTEMPTS = 2
SCHEDULER_MAX_EVENT_AGE = Duration.hours(1)
# The run itself: no retry by Lambda. The jobs are idempotent and resumable, so the next scheduled run is the
# retry; a failed run goes straight to the dead-letter queue (and its alarm), and never overlaps the next one.
FUNCTION_RETRY_ATTEMPTS = 0
FUNCTION_MAX_EVENT_AGE = Duration.hours(1)
# Long enough to investigate (the SQS maximum); the messages carry the failed payload, no personal data.
DEAD_LETTER_RETENTION = Duration.days(14)


def job_input(schedule: ScheduleDefinition) -> dict[str, str]:
    """The event each run receives: {"job": "<name>"} (local mode's scheduler sends the same)."""
    return {"job": schedule.name}


class Jobs(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, functions: Mapping[FunctionName, WomFunction]
    ) -> None:
        super().__init__(scope, construct_id)
        self.dead_letter_queues: dict[FunctionName, sqs.Queue] = {}
        self.schedules: dict[str, scheduler.Schedule] = {}
        for function_name in dict.fromkeys(schedule.function for schedule in SCHEDULES):
            job = functions[function_name]
            prefix = function_name.capitalize()
            queue = self._dead_letter_queue(prefix, function_name)
            self.dead_letter_queues[function_name] = queue
            job.function.configure_async_invoke(
                retry_attempts=FUNCTION_RETRY_ATTEMPTS,
                max_event_age=FUNCTION_MAX_EVENT_AGE,
                on_failure=_SendMessageOnly(queue),
            )
            role = iam.Role(
                self,
                f"{prefix}SchedulerRole",
                description=f"EventBridge Scheduler: invokes the wom {function_name} function",
                assumed_by=_scheduler_principal(self),
            )
            for schedule in (s for s in SCHEDULES if s.function == function_name):
                self.schedules[schedule.name] = scheduler.Schedule(
                    self,
                    f"{schedule.name.capitalize()}Schedule",
                    description=f"wom {schedule.name} job: {schedule.description}"[:512],
                    schedule=scheduler.ScheduleExpression.rate(Duration.minutes(schedule.rate_minutes)),
                    target=_InvokeFunction(
                        job.function,
                        input=scheduler.ScheduleTargetInput.from_object(job_input(schedule)),
                        role=role,
                        dead_letter_queue=queue,
                        retry_attempts=SCHEDULER_RETRY_ATTEMPTS,
                        max_event_age=SCHEDULER_MAX_EVENT_AGE,
                    ),
                )

    def _dead_letter_queue(self, prefix: str, function_name: str) -> sqs.Queue:
        queue = sqs.Queue(
            self,
            f"{prefix}DeadLetters",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=DEAD_LETTER_RETENTION,
        )
        acknowledge(
            queue,
            "AwsSolutions-SQS3",
            (
                f"This queue is itself the dead-letter queue of the {function_name} job: EventBridge Scheduler's "
                "DeadLetterConfig and the function's on-failure destination deliver to it. cdk-nag only "
                "recognises a dead-letter queue through another queue's RedrivePolicy, and a dead-letter queue "
                "of its own would only move the same question one queue further."
            ),
        )
        return queue


def _scheduler_principal(scope: Construct) -> iam.IPrincipal:
    """scheduler.amazonaws.com, only on behalf of this account's default schedule group (confused deputy)."""
    stack = Stack.of(scope)
    return iam.ServicePrincipal(
        "scheduler.amazonaws.com",
        conditions={
            "StringEquals": {
                "aws:SourceAccount": stack.account,
                "aws:SourceArn": stack.format_arn(
                    service="scheduler", resource="schedule-group", resource_name="default"
                ),
            }
        },
    )


class _InvokeFunction(targets.LambdaInvoke):
    """LambdaInvoke whose role may invoke the function itself only.

    LambdaInvoke grants through ``IFunction.grant_invoke``, which adds ``<function ARN>:*`` (every version and
    alias); the schedule invokes the unqualified function, so that wildcard would be access nobody uses.
    """

    def __init__(self, function: lambda_.IFunction, **kwargs: object) -> None:
        super().__init__(function, **kwargs)
        self._function = function

    def _add_target_action_to_role(self, role: iam.IRole) -> None:
        role.add_to_principal_policy(
            iam.PolicyStatement(actions=["lambda:InvokeFunction"], resources=[self._function.function_arn])
        )


@jsii.implements(lambda_.IDestination)
class _SendMessageOnly:
    """An SQS on-failure destination granting sqs:SendMessage only.

    aws_lambda_destinations.SqsDestination grants through ``grant_send_messages``, which adds
    GetQueueAttributes and GetQueueUrl: Lambda needs neither to deliver a failure record.
    """

    def __init__(self, queue: sqs.IQueue) -> None:
        self._queue = queue

    def bind(
        self, scope: Construct, fn: lambda_.IFunction, *, type: lambda_.DestinationType | None = None
    ) -> lambda_.DestinationConfig:
        fn.add_to_role_policy(iam.PolicyStatement(actions=["sqs:SendMessage"], resources=[self._queue.queue_arn]))
        return lambda_.DestinationConfig(destination=self._queue.queue_arn)
