from __future__ import annotations

import base64

from functions.conversions.routes import router
from shared import wiring
from shared.platform.deployment import ROUTES
from shared.platform.errors import Unauthorized, error_json
from shared.platform.http import create_resolver
from shared.platform.observability import logger
from shared.conversions.signatures import verify_signature

app = create_resolver()
app.include_router(router)

# The routes whose body carries Wom-Signature; the commerce platforms' webhooks check their own signatures.
SIGNED_ROUTE_KEYS = frozenset(route.route_key for route in ROUTES if route.function == "conversions" and route.auth == "signed")


def _raw_body(event: dict) -> bytes:
    body = event.get("body") or ""
    return base64.b64decode(body) if event.get("isBase64Encoded") else body.encode()


def _header(event: dict, name: str) -> str | None:
    wanted = name.lower()
    return next((value for key, value in (event.get("headers") or {}).items() if key.lower() == wanted), None)


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict, context: object) -> dict:
    # Reject an unsigned post before parsing, so it learns nothing and stores nothing.
    if event.get("routeKey") not in SIGNED_ROUTE_KEYS:
        return app.resolve(event, context)
    try:
        verify_signature(_header(event, "Wom-Signature"), _raw_body(event), wiring.signing_secrets(), wiring.now().timestamp())
    except Unauthorized as error:
        logger.info("signature rejected", extra={"reason": error.code})
        return {"statusCode": 401, "headers": {"Content-Type": "application/json"}, "body": error_json(error.code, error.message)}
    return app.resolve(event, context)
