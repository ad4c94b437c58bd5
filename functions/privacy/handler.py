"""The privacy job, invoked by EventBridge Scheduler every 5 minutes (or by hand with {"now": ISO-8601})."""

from __future__ import annotations

from datetime import datetime

from shared import wiring
from shared.platform.observability import logger


def _as_of(event: dict) -> datetime:
    raw = (event or {}).get("now")
    return datetime.fromisoformat(raw) if raw else wiring.now()


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict, context: object) -> dict:
    time_left = getattr(context, "get_remaining_time_in_millis", None)
    summary = wiring.privacy_job().run(_as_of(event), (lambda: time_left() / 1000) if time_left else (lambda: float("inf")))
    logger.info("privacy job finished", extra={"summary": summary})
    return summary
