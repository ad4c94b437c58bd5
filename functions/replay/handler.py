"""The replay of the spill queue (SPEC §7): tracked events whose write failed, written with the same keys, once.

Invoked by the spill queue's event source mapping (infra/constructs/spill.py) with ReportBatchItemFailures: a
message whose write still fails is reported, so SQS delivers only it again (after its visibility timeout) and,
after SPILL_MAX_RECEIVES deliveries, moves it to the dead letters (alarmed). A body that is not a spilled message
fails the same way: it is kept in the dead letters to be looked at, never dropped.
"""

from __future__ import annotations

import json

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from shared import wiring
from shared.platform.budget import BUDGETS, storage_deadline
from shared.platform.observability import logger

# A batch that failed whole is reported like any other (each message delivered again after its visibility
# timeout), not raised: the function's Errors alarm is for the replay itself failing, while a throttled table is
# seen on its own alarms and on the spill queue's age.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def replay_message(record: SQSRecord) -> None:
    try:
        result = wiring.replay().replay(json.loads(record.body))
    except Exception as error:
        # Powertools logs a failed record at DEBUG only: say which message failed and why (no body: it holds events).
        logger.warning("a spilled message was not replayed; it will be delivered again", extra={"message_id": record.message_id, "error": type(error).__name__})
        raise
    logger.info("spilled events replayed", extra={"written": result.written, "already_stored": result.already_stored, "unknown_code": result.unknown_code})


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict, context: object) -> dict:
    with storage_deadline(BUDGETS["replay"]):
        return process_partial_response(event=event, record_handler=replay_message, processor=processor, context=context)
