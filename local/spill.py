"""Local stand-in for the spill queue's event source mapping (infra/constructs/spill.py): receives the spill
queue's messages from the emulator and hands them to the replay function, as Lambda's SQS poller does in AWS,
every WOM_REPLAY_INTERVAL seconds.

Like the mapping: a message the function reports failed (ReportBatchItemFailures) stays on the queue and is
offered again once its visibility timeout passes; after SPILL_MAX_RECEIVES deliveries the queue's redrive moves it
to the dead letters. The others are deleted.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from shared.platform.resources import SPILL_QUEUE

logger = logging.getLogger(__name__)

BATCH_SIZE = 10  # SQS's most per ReceiveMessage, and the stack's batch size
# Seconds before a failed message is offered again locally (the queue's visibility timeout is longer in AWS).
RETRY_AFTER_SECONDS = 2

Invoke = Callable[[str, dict], Any]


def lambda_record(message: dict[str, Any], queue_arn: str) -> dict[str, Any]:
    """A ReceiveMessage message as Lambda delivers it in an SQS event."""
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": {},
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": queue_arn.split(":")[3],
    }


class SpillPoller:
    def __init__(self, sqs: Any, invoke: Invoke) -> None:
        self.sqs = sqs
        self.invoke = invoke
        self._queue_url: str | None = None
        self._queue_arn = ""

    def _url(self) -> str:
        if self._queue_url is None:
            self._queue_url = self.sqs.get_queue_url(QueueName=SPILL_QUEUE.local_name)["QueueUrl"]
            attributes = self.sqs.get_queue_attributes(QueueUrl=self._queue_url, AttributeNames=["QueueArn"])
            self._queue_arn = attributes["Attributes"]["QueueArn"]
        return self._queue_url

    def poll_once(self) -> int:
        """Replays what the queue holds now, a batch at a time; returns how many messages were replayed."""
        url, replayed = self._url(), 0
        while True:
            messages = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=BATCH_SIZE, AttributeNames=["All"]).get("Messages", [])
            if not messages:
                return replayed
            answer = self.invoke("replay", {"Records": [lambda_record(m, self._queue_arn) for m in messages]}) or {}
            failed = {failure["itemIdentifier"] for failure in answer.get("batchItemFailures", [])}
            for message in messages:
                if message["MessageId"] in failed:
                    self.sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=RETRY_AFTER_SECONDS)
                else:
                    self.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
                    replayed += 1
            if failed:
                logger.warning("the replay failed on %d spilled message(s); offered again in %d s", len(failed), RETRY_AFTER_SECONDS)
                return replayed
