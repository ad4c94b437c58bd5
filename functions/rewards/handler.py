"""The rewards job, invoked by EventBridge Scheduler every 15 minutes (or by hand with {"now": ISO-8601}).

By hand, also: {"retry_set_aside": true} puts the items earlier runs set aside back on the work list, then runs;
{"list_set_aside": true} only lists them (`wom jobs set-aside rewards`, `wom jobs retry rewards`).
"""

from __future__ import annotations

from datetime import datetime

from shared import wiring
from shared.platform.errors import ItemsSetAside, RewardEventsUnpublished
from shared.platform.observability import logger


def _as_of(event: dict) -> datetime:
    raw = (event or {}).get("now")
    return datetime.fromisoformat(raw) if raw else wiring.now()


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict, context: object) -> dict:
    event = event or {}
    job = wiring.rewards_job()
    if event.get("list_set_aside"):
        return {"set_aside_items": job.set_aside()}
    summary = job.run(_as_of(event), retry_set_aside=bool(event.get("retry_set_aside")))
    logger.info("rewards job finished", extra={"summary": summary})
    if summary["publish_failures"]:
        # The events stay in the outbox for the next run; failing this one raises the job's Errors alarm.
        raise RewardEventsUnpublished(summary)
    if summary["set_aside"]:
        # Every good item is done; failing the invocation now is what raises the job's Errors alarm.
        raise ItemsSetAside("rewards", summary)
    return summary
