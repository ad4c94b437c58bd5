"""The one gate of signed routes (SPEC §3.2): the Wom-Signature over the raw body is checked before anything else,
so an unsigned post learns nothing and stores nothing."""

from __future__ import annotations

import base64

from shared import wiring
from shared.conversions.signatures import HEADER, verify_signature
from shared.platform.errors import Unauthorized, error_json
from shared.platform.observability import logger


def _raw_body(event: dict) -> bytes:
    body = event.get("body") or ""
    return base64.b64decode(body) if event.get("isBase64Encoded") else body.encode()


def _header(event: dict, name: str) -> str | None:
    wanted = name.lower()
    return next((value for key, value in (event.get("headers") or {}).items() if key.lower() == wanted), None)


def refuse_unsigned(event: dict) -> dict | None:
    """None when the event carries a good signature; otherwise the 401 answer to give."""
    try:
        verify_signature(_header(event, HEADER), _raw_body(event), wiring.signing_secrets(), wiring.now().timestamp())
    except Unauthorized as error:
        logger.info("signature rejected", extra={"reason": error.code})
        return {"statusCode": 401, "headers": {"Content-Type": "application/json"}, "body": error_json(error.code, error.message)}
    return None
