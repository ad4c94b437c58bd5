"""The privacy job, invoked by EventBridge Scheduler every 5 minutes (or by hand with {"now": ISO-8601}).

By hand, also: {"list_set_aside": true} lists the references earlier runs could not erase (`wom jobs set-aside
privacy`); {"retry_set_aside": true} is a run like any other (`wom jobs retry privacy`): every run tries them again.
"""

from __future__ import annotations

from shared import wiring
from shared.platform.clock import as_of
from shared.platform.errors import ItemsSetAside
from shared.platform.observability import logger


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict, context: object) -> dict:
    event = event or {}
    job = wiring.privacy_job()
    if event.get("list_set_aside"):
        return {"set_aside_items": job.set_aside()}
    time_left = getattr(context, "get_remaining_time_in_millis", None)
    summary = job.run(as_of(event, wiring.now), (lambda: time_left() / 1000) if time_left else (lambda: float("inf")))
    logger.info("privacy job finished", extra={"summary": summary})
    if summary["set_aside"]:
        # Every other erasure went on; failing the invocation now is what raises the job's Errors alarm.
        raise ItemsSetAside("privacy", summary)
    return summary
