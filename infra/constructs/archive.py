"""The raw event archive's delivery (SPEC §5): the events table's stream → the archive function, with bounded
retries, bisection of a failing batch and a failure queue (alarmed by infra/constructs/monitoring.py).

- Batches: up to ARCHIVE_BATCH_SIZE records or ARCHIVE_BATCHING_WINDOW, whichever comes first, so a busy table
  writes few large objects and a quiet one still reaches S3 within minutes. Only INSERT and MODIFY records are
  delivered (a filter): the TTL's deletions at the end of the hot window never invoke the function.
- A failing batch is retried ARCHIVE_RETRY_ATTEMPTS times, halved each time (object names make a retried half
  rewrite what it wrote before), and given up once older than the stream keeps records; what was given up is
  described (shard, sequence numbers) in the failure queue; the monitoring construct alarms on its first message.
"""

from __future__ import annotations

import jsii
from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.constructs.functions import WomFunction
from infra.constructs.storage import Storage
from infra.nag import acknowledge
from shared.platform.resources import EVENTS_TABLE

ARCHIVE_BATCH_SIZE = 10_000  # Lambda also caps a batch at 6 MB of records
ARCHIVE_BATCHING_WINDOW = Duration.minutes(5)
ARCHIVE_RETRY_ATTEMPTS = 10
ARCHIVE_MAX_RECORD_AGE = Duration.days(1)  # DynamoDB Streams keeps records 24 hours
FAILURE_RETENTION = Duration.days(14)


class Archive(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, storage: Storage, writer: WomFunction) -> None:
        super().__init__(scope, construct_id)
        table = storage.table(EVENTS_TABLE)
        self.failures = sqs.Queue(
            self, "Failures", encryption=sqs.QueueEncryption.SQS_MANAGED, enforce_ssl=True, retention_period=FAILURE_RETENTION
        )
        acknowledge(
            self.failures,
            "AwsSolutions-SQS3",
            (
                "This queue is itself the failure destination of the archive writer's event source mapping: it "
                "receives a description of each batch given up (shard and sequence numbers, no event data), to "
                "replay from the stream by hand. A dead-letter queue of its own would only move the question."
            ),
        )
        self.mapping = lambda_.EventSourceMapping(
            self,
            "EventsStream",
            target=writer.function,
            event_source_arn=table.table_stream_arn,
            starting_position=lambda_.StartingPosition.TRIM_HORIZON,
            batch_size=ARCHIVE_BATCH_SIZE,
            max_batching_window=ARCHIVE_BATCHING_WINDOW,
            bisect_batch_on_error=True,
            retry_attempts=ARCHIVE_RETRY_ATTEMPTS,
            max_record_age=ARCHIVE_MAX_RECORD_AGE,
            on_failure=_SendMessageOnly(self.failures),
            filters=[lambda_.FilterCriteria.filter({"eventName": lambda_.FilterRule.or_("INSERT", "MODIFY")})],
        )


@jsii.implements(lambda_.IEventSourceDlq)
class _SendMessageOnly:
    """An SQS failure destination granting sqs:SendMessage only (aws_lambda_event_sources.SqsDlq also grants
    GetQueueAttributes and GetQueueUrl, which delivering a failure record does not need)."""

    def __init__(self, queue: sqs.IQueue) -> None:
        self._queue = queue

    def bind(self, target: lambda_.IEventSourceMapping, target_handler: lambda_.IFunction) -> lambda_.DlqDestinationConfig:
        target_handler.add_to_role_policy(iam.PolicyStatement(actions=["sqs:SendMessage"], resources=[self._queue.queue_arn]))
        return lambda_.DlqDestinationConfig(destination=self._queue.queue_arn)
