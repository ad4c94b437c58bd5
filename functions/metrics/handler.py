"""The metrics job, invoked by EventBridge Scheduler every hour: today and yesterday (UTC).

By hand: {"now": ISO-8601} runs as of that time; {"date": "YYYY-MM-DD"} recomputes that one day.
"""

from __future__ import annotations

from datetime import date, datetime

from shared import wiring
from shared.platform.observability import logger


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict, context: object) -> dict:
    event = event or {}
    job = wiring.metrics_job()
    if event.get("date"):
        summary = job.run_days([date.fromisoformat(event["date"])])
    else:
        summary = job.run(datetime.fromisoformat(event["now"]) if event.get("now") else wiring.now())
    logger.info("metrics job finished", extra={"summary": summary})
    return summary
