"""The archive writer: DynamoDB Streams (the events table's new images) → gzip JSON Lines in the metrics bucket.

Invoked by the stream's event source mapping with a batch of records; a batch that fails is retried (bisected)
by Lambda, then recorded in the failure queue (infra/constructs/archive.py).
"""

from __future__ import annotations

from shared import wiring
from shared.platform.observability import logger


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict, context: object) -> dict:
    written = wiring.archive_writer().write(event.get("Records") or [])
    logger.debug("archived", extra=written)
    return written
