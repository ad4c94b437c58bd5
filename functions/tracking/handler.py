"""The tracking function: API Gateway's route key picks the route (functions/tracking/routes.py); CORS for the
configured origins is answered here, preflight included. No Powertools decorator: Lambda's JSON log format puts
the request id on every line (shared/platform/observability.py)."""

from __future__ import annotations

from typing import Any

from functions.tracking.routes import ROUTES, Request, json_error, response
from shared import wiring
from shared.platform.budget import BUDGETS, storage_deadline
from shared.platform.cors import origin_allowed

CORS_ALLOW_HEADERS = "Authorization,Content-Type,X-Amz-Date,X-Amz-Security-Token,X-Api-Key"
CORS_MAX_AGE = "600"
PREFLIGHT_ROUTES = {"OPTIONS /v1/events"}


def _cors_headers(event: dict[str, Any]) -> dict[str, str]:
    origins = wiring.settings().cors_origins
    origin = next((value for name, value in (event.get("headers") or {}).items() if name.lower() == "origin"), None)
    if not origin_allowed(origin, origins):
        return {}
    return {"Access-Control-Allow-Origin": origin, "Access-Control-Allow-Headers": CORS_ALLOW_HEADERS, "Access-Control-Max-Age": CORS_MAX_AGE}


def _allowed_methods() -> str:
    return ",".join(sorted({key.split(" ", 1)[0] for key in ROUTES} | {"OPTIONS"}))


def lambda_handler(event: dict, context: object) -> dict:
    route_key = event.get("routeKey", "")
    route = ROUTES.get(route_key)
    if route is not None:
        # No storage call starts past the deadline: the answer comes well inside the function's timeout.
        with storage_deadline(BUDGETS["tracking"]):
            answer = route(Request.of(event))
    elif route_key in PREFLIGHT_ROUTES and wiring.settings().cors_origins:
        answer = response(204, headers={"Access-Control-Allow-Methods": _allowed_methods()})
    else:
        answer = json_error(404, "route_not_found", "no such route")
    answer["headers"].update(_cors_headers(event))
    return answer
