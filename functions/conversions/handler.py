from __future__ import annotations

import base64

from functions.conversions.routes import router
from shared import wiring
from shared.platform.errors import Unauthorized, error_json
from shared.platform.http import create_resolver
from shared.platform.observability import logger
from shared.conversions.signatures import verify_signature

app = create_resolver()
app.include_router(router)


def _raw_body(event: dict) -> bytes:
    body = event.get("body") or ""
    return base64.b64decode(body) if event.get("isBase64Encoded") else body.encode()


def _header(event: dict, name: str) -> str | None:
    wanted = name.lower()
    return next((value for key, value in (event.get("headers") or {}).items() if key.lower() == wanted), None)


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict, context: object) -> dict:
    # Every route here is signed: reject before parsing, so an unsigned post learns nothing and stores nothing.
    try:
        verify_signature(_header(event, "Wom-Signature"), _raw_body(event), wiring.signing_secrets(), wiring.now().timestamp())
    except Unauthorized as error:
        logger.info("signature rejected", extra={"reason": error.code})
        return {"statusCode": 401, "headers": {"Content-Type": "application/json"}, "body": error_json(error.code, error.message)}
    return app.resolve(event, context)
