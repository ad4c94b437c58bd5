"""The tracking path's spill queue (SPEC §7): tracked events whose write failed wait here until the replay
function writes them (shared/tracking/spill.py sends them, functions/replay writes them).

- Both queues are encrypted (SQS-managed keys: no KMS key to pay for or to grant), TLS only, and keep messages
  for SPILL_RETENTION, SQS's maximum, so an outage of storage or of the replay loses nothing for two weeks.
- A message the replay could not write is delivered again after the visibility timeout and, after
  SPILL_MAX_RECEIVES deliveries, moved to the dead letters (alarmed by infra/constructs/monitoring.py; redriven
  by hand, docs/operations.md#spill-dead-letters).
- The visibility timeout is what AWS asks of a queue behind an event source mapping: at least six times the
  function's timeout plus the batching window, so a batch Lambda is still retrying is never delivered twice
  at once. At 6 × 60 s + 5 s, SPILL_MAX_RECEIVES (10) deliveries are about an hour of retrying before an
  event reaches the dead letters.
- The event source mapping reads SPILL_BATCH_SIZE messages (each one request's events) or what came within
  SPILL_BATCHING_WINDOW, and reports which messages failed (ReportBatchItemFailures), so only those come back.
  SPILL_MAX_CONCURRENCY bounds the replay at 5 batches in flight: after an outage the backlog drains at a few
  hundred writes a second on top of the live traffic, instead of Lambda scaling the consumer up to 1,250
  concurrent batches and throttling the table that just recovered.

The queues exist before the functions (whose environments and grants name them, infra/permissions.py); the
mapping needs the replay function, so WomStack adds it afterwards with ``deliver_to``.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from shared.platform.deployment import FUNCTIONS
from shared.platform.resources import SPILL_DEAD_LETTERS, SPILL_MAX_RECEIVES, SPILL_QUEUE, QueueDefinition

SPILL_RETENTION = Duration.days(14)
SPILL_BATCH_SIZE = 10
SPILL_BATCHING_WINDOW = Duration.seconds(5)
SPILL_MAX_CONCURRENCY = 5
# How many of the replay function's timeouts a delivery stays invisible for (AWS: at least 6).
VISIBILITY_TIMEOUTS = 6
REPLAY_FUNCTION = "replay"


def visibility_timeout() -> Duration:
    (replay,) = [definition for definition in FUNCTIONS if definition.name == REPLAY_FUNCTION]
    return Duration.seconds(VISIBILITY_TIMEOUTS * replay.timeout_seconds + SPILL_BATCHING_WINDOW.to_seconds())


class Spill(Construct):
    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        # Encrypted (SQS-managed keys), TLS only, two weeks: both queues alike.
        kept = {"encryption": sqs.QueueEncryption.SQS_MANAGED, "enforce_ssl": True, "retention_period": SPILL_RETENTION}
        self.dead_letters = sqs.Queue(self, "DeadLetters", **kept)  # logical id SpillDeadLetters…
        self.queue = sqs.Queue(
            self,
            "Queue",  # logical id SpillQueue…
            visibility_timeout=visibility_timeout(),
            dead_letter_queue=sqs.DeadLetterQueue(queue=self.dead_letters, max_receive_count=SPILL_MAX_RECEIVES),
            **kept,
        )
        self.by_definition: dict[QueueDefinition, sqs.Queue] = {SPILL_QUEUE: self.queue, SPILL_DEAD_LETTERS: self.dead_letters}
        self.mapping: lambda_.EventSourceMapping | None = None

    def deliver_to(self, replay: lambda_.IFunction) -> lambda_.EventSourceMapping:
        """The spill queue's event source mapping to the replay function. Its role's grants come from
        infra/permissions.py (``consumes``), like every other grant, not from the event source."""
        self.mapping = lambda_.EventSourceMapping(
            self,
            "Replay",
            target=replay,
            event_source_arn=self.queue.queue_arn,
            batch_size=SPILL_BATCH_SIZE,
            max_batching_window=SPILL_BATCHING_WINDOW,
            report_batch_item_failures=True,
            max_concurrency=SPILL_MAX_CONCURRENCY,
        )
        return self.mapping
