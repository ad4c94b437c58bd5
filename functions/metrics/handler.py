"""The metrics job, invoked by EventBridge Scheduler every hour: today and yesterday (UTC).

By hand: {"now": ISO-8601} runs as of that time; {"date": "YYYY-MM-DD"} recomputes that one day (from the raw
event archive when the day is older than the hot window, as of "now" or the clock); {"retry_set_aside": true}
computes the campaign-days earlier runs set aside again; {"list_set_aside": true} lists them; {"month": "YYYY-MM"}
recomputes that month's cohort objects (customer value) as of "now" or the clock.
"""

from __future__ import annotations

from datetime import date

from shared import wiring
from shared.platform.clock import as_of
from shared.platform.errors import ItemsSetAside
from shared.platform.observability import logger


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict, context: object) -> dict:
    event = event or {}
    job = wiring.metrics_job()
    now = as_of(event, wiring.now)
    if event.get("list_set_aside"):
        return {"set_aside_items": job.set_aside()}
    if event.get("retry_set_aside"):
        summary = job.retry_set_aside()
    elif event.get("month"):
        return job.run_cohorts([str(event["month"])], now)
    elif event.get("date"):
        summary = job.run_days([date.fromisoformat(event["date"])], now)
    else:
        summary = job.run(now)
    logger.info("metrics job finished", extra={"summary": summary})
    if summary["set_aside"]:
        # Every other campaign-day is written; failing the invocation now is what raises the job's Errors alarm.
        raise ItemsSetAside("metrics", summary)
    return summary
