"""The one signature check for server-to-server posts: `Wom-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>…]`.

v1 = hex HMAC-SHA256(secret, "<t>.<raw body>"). Several v1 values and several secrets may be live at once,
so either side can rotate without a gap.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable

from shared.platform.errors import Unauthorized

TOLERANCE_SECONDS = 300
HEADER = "Wom-Signature"
# ASCII digits only: str.isdigit() also takes "²" and Arabic-Indic digits, which int() then refuses or reads.
_TIMESTAMP = re.compile(r"[0-9]{1,12}")


def sign(secret: str, timestamp: int | str, raw_body: bytes) -> str:
    """`timestamp` as it is (or will be) written in the header: the HMAC covers that exact text."""
    return hmac.new(secret.encode(), str(timestamp).encode() + b"." + raw_body, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, raw_body: bytes) -> str:
    return f"t={timestamp},v1={sign(secret, timestamp, raw_body)}"


def _parse(header: str) -> tuple[str, list[str]]:
    """The timestamp exactly as sent, and the v1 values."""
    timestamp: str | None = None
    signatures: list[str] = []
    for part in header.split(","):
        name, sep, value = part.strip().partition("=")
        if not sep:
            raise Unauthorized("Wom-Signature is malformed", code="invalid_signature")
        if name == "t":
            if timestamp is not None or not _TIMESTAMP.fullmatch(value):
                raise Unauthorized("Wom-Signature has a malformed timestamp", code="invalid_signature")
            timestamp = value
        elif name == "v1":
            signatures.append(value.strip().lower())
        # Unknown schemes are ignored, so a future scheme can be sent alongside v1.
    if timestamp is None or not signatures:
        raise Unauthorized("Wom-Signature needs t= and at least one v1=", code="invalid_signature")
    return timestamp, signatures


def verify_signature(header: str | None, raw_body: bytes, secrets: Iterable[str], now: float) -> None:
    """Raise Unauthorized unless one v1 value matches one secret and the timestamp is fresh."""
    if not header:
        raise Unauthorized("the Wom-Signature header is missing", code="missing_signature")
    timestamp, signatures = _parse(header)
    if abs(now - int(timestamp)) > TOLERANCE_SECONDS:
        raise Unauthorized("the Wom-Signature timestamp is outside the 300 s tolerance", code="stale_signature")
    # Signed over the timestamp as sent, so "t=00<now>" is not the same message as "t=<now>".
    expected = [sign(secret, timestamp, raw_body) for secret in secrets if secret]
    # Compare every pair, constant time each, without stopping at the first match.
    matched = False
    for candidate in signatures:
        for wanted in expected:
            matched |= hmac.compare_digest(candidate.encode(), wanted.encode())
    if not matched:
        raise Unauthorized("the Wom-Signature does not match", code="invalid_signature")
