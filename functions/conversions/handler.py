from __future__ import annotations

from functions.conversions.routes import router
from functions.signed import refuse_unsigned
from shared.platform.deployment import ROUTES
from shared.platform.http import create_resolver
from shared.platform.observability import logger

app = create_resolver()
app.include_router(router)

# The routes whose body carries Wom-Signature; the commerce platforms' webhooks check their own signatures.
SIGNED_ROUTE_KEYS = frozenset(route.route_key for route in ROUTES if route.function == "conversions" and route.auth == "signed")


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict, context: object) -> dict:
    # Reject an unsigned post before parsing, so it learns nothing and stores nothing.
    if event.get("routeKey") in SIGNED_ROUTE_KEYS:
        refused = refuse_unsigned(event)
        if refused:
            return refused
    return app.resolve(event, context)
