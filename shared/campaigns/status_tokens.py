"""Advocates' status tokens (SPEC §3.6): what a shop prints into a customer's account page so that wom.js can read
that one advocate's progress, with no AWS credentials and no storefront secret in the browser.

`st1.<advocate_id>.<expires, unix seconds>.<mac>`, mac = base64url HMAC-SHA256(key, purpose ‖ the rest). Opaque to
its holders (nothing but wom reads it), signed with wom's own status-token key (Secrets Manager in AWS; storefronts
never hold it, so only wom mints tokens), naming one advocate, valid 30 days, and good for nothing but the status
read: the purpose string is in the mac, so no other signature wom makes can pass for one. Several keys may be in force
during a rotation: the first signs, any of them reads. Pure: the caller hands in the keys and the time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Iterable
from datetime import datetime, timedelta

from shared.platform.errors import Unauthorized

VERSION = "st1"
LIFETIME = timedelta(days=30)
_PURPOSE = b"wom:advocate-status:"
_ADVOCATE_ID = re.compile(r"adv_[A-Za-z0-9]{1,64}")
_EXPIRES = re.compile(r"[0-9]{1,12}")
_MAC = re.compile(r"[A-Za-z0-9_-]{43}")
MAX_LENGTH = 160


def _mac(key: str, signed: str) -> str:
    digest = hmac.new(key.encode(), _PURPOSE + signed.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def issue_status_token(advocate_id: str, now: datetime, key: str) -> str:
    """A token for `advocate_id`, valid for LIFETIME from `now`."""
    signed = f"{VERSION}.{advocate_id}.{int((now + LIFETIME).timestamp())}"
    return f"{signed}.{_mac(key, signed)}"


def read_status_token(token: str | None, keys: Iterable[str], now: datetime) -> str:
    """The advocate a genuine, unexpired token names; Unauthorized (401) for anything else."""
    if not token:
        raise Unauthorized("send the advocate's status_token as ?token=", code="missing_token")
    parts = token.split(".") if len(token) <= MAX_LENGTH else []
    if len(parts) != 4 or parts[0] != VERSION or not (_ADVOCATE_ID.fullmatch(parts[1]) and _EXPIRES.fullmatch(parts[2]) and _MAC.fullmatch(parts[3])):
        raise Unauthorized("the status token is not one wom issued", code="invalid_token")
    signed = ".".join(parts[:3])
    # Every key compared, constant time each, without stopping at the first match.
    matched = False
    for key in keys:
        if key:
            matched |= hmac.compare_digest(parts[3].encode(), _mac(key, signed).encode())
    if not matched:
        raise Unauthorized("the status token is not one wom issued", code="invalid_token")
    if now.timestamp() >= int(parts[2]):
        raise Unauthorized("the status token has expired: the shop's next enrolment call gives a fresh one", code="expired_token")
    return parts[1]
