"""The rewards job, invoked by EventBridge Scheduler every 15 minutes (or by hand with {"now": ISO-8601}).

By hand, also: {"retry_set_aside": true} puts the items earlier runs set aside back on the work list, then runs;
{"list_set_aside": true} only lists them (`wom jobs set-aside rewards`, `wom jobs retry rewards`);
{"rescore": {"since": "YYYY-MM-DD", "apply": false}} runs fraud review again over the conversions of those days with
today's settings and reports what would change, changing it only with "apply": true (`wom jobs run rescore`).
"""

from __future__ import annotations

from datetime import date, datetime

from shared import wiring
from shared.platform.clock import as_of
from shared.platform.errors import ItemsSetAside, RewardEventsUnpublished
from shared.platform.observability import logger


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict, context: object) -> dict:
    event = event or {}
    job = wiring.rewards_job()
    if event.get("list_set_aside"):
        return {"set_aside_items": job.set_aside()}
    if "rescore" in event:
        return _rescore(event["rescore"] or {}, as_of(event, wiring.now))
    summary = job.run(as_of(event, wiring.now), retry_set_aside=bool(event.get("retry_set_aside")))
    logger.info("rewards job finished", extra={"summary": summary})
    if summary["publish_failures"]:
        # The events stay in the outbox for the next run; failing this one raises the job's Errors alarm.
        raise RewardEventsUnpublished(summary)
    if summary["set_aside"]:
        # Every good item is done; failing the invocation now is what raises the job's Errors alarm.
        raise ItemsSetAside("rewards", summary)
    return summary


def _rescore(request: dict, now: datetime) -> dict:
    apply = request.get("apply") is True
    summary = wiring.rescore().run(date.fromisoformat(request["since"]), now, apply)
    if apply:
        summary["published"] = wiring.rewards_job().publish(now)  # the holds' RewardHeld events, now
    logger.info("rescore finished", extra={"summary": {k: v for k, v in summary.items() if k != "changes"}, "changes": len(summary["changes"])})
    return summary
