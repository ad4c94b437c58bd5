"""The storefront function: the signed enrolment and the advocate's status read (SPEC §3.6)."""

from __future__ import annotations

from functions.signed import refuse_unsigned
from functions.storefront.routes import ANY_ORIGIN, router
from shared.platform.deployment import ROUTES
from shared.platform.http import create_resolver
from shared.platform.observability import logger

app = create_resolver()
app.include_router(router)

_OURS = [route for route in ROUTES if route.function == "storefront"]
SIGNED = {route.route_key for route in _OURS if route.auth == "signed"}
# Read by the shop's pages, from whatever origin they are on: the token is the credential.
READ_WITH_TOKEN = {route.route_key for route in _OURS if route.auth == "token"}


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict, context: object) -> dict:
    route_key = event.get("routeKey", "")
    if route_key in SIGNED:
        refused = refuse_unsigned(event)
        if refused:
            return refused
    answer = app.resolve(event, context)
    if route_key in READ_WITH_TOKEN:
        # Errors too: the page's script can then read why (a 401 for an expired token, say).
        answer.setdefault("headers", {}).update(ANY_ORIGIN)
    return answer
