from __future__ import annotations

from functions.tracking.routes import router
from shared.platform.http import create_resolver
from shared.platform.observability import logger
from shared import wiring

app = create_resolver(wiring.settings().cors_origins)
app.include_router(router)

EVENTS_PATH = "/v1/events"


def _beacon_as_json(event: dict) -> dict:
    # navigator.sendBeacon can only post text/plain without a CORS preflight; its body is the same JSON.
    headers = event.get("headers") or {}
    content_type = headers.get("content-type", "")
    if event.get("rawPath") == EVENTS_PATH and content_type.split(";", 1)[0].strip().lower() == "text/plain":
        return {**event, "headers": {**headers, "content-type": "application/json"}}
    return event


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict, context: object) -> dict:
    return app.resolve(_beacon_as_json(event), context)
