"""What every feature's request models share: strict parsing and the field shapes several of them use."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict

from shared.platform.hosts import HOSTNAME
from shared.platform.ids import EVENT_ID, SLUG  # noqa: F401 - the shapes request models use, re-exported

# A public host name ends in a top-level domain of letters (or an IDN's punycode): no IP address in any notation
# (127.0.0.1, 2130706433, 0x7f000001, [::1]) has one.
_TOP_LEVEL_DOMAIN = re.compile(r"^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$")
# Names that never lead to a shop on the internet (RFC 6761, RFC 6762, and the private-use .internal).
_SPECIAL_USE_DOMAINS = frozenset({"localhost", "localdomain", "local", "internal", "invalid", "arpa", "home", "lan"})
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")

# Money in minor units, at most 999,999,999,999,999: a JavaScript client reads it exactly (below 2^53), and sums of
# many of them stay far inside DynamoDB's 38 digits.
MAX_AMOUNT = 999_999_999_999_999
# A client's free-form object (a conversion's metadata) nests at most this deep. DynamoDB allows 32 levels in an
# item; the object itself sits one level down, and 16 leaves room for whatever wraps it later.
MAX_DOCUMENT_DEPTH = 16
# What a DynamoDB number can hold: 38 significant digits, magnitudes from 1e-130 to below 1e126.
_DYNAMO_NUMBER_DIGITS = 38
_DYNAMO_SMALLEST = 1e-130
_DYNAMO_LARGEST = 1e126


class StrictModel(BaseModel):
    """A request body: unknown fields are refused, strings trimmed."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def email_shape(value: str | None) -> str | None:
    if value is not None and not _EMAIL.match(value):
        raise ValueError("email is not an email address")
    return value


def as_utc(value: datetime | None) -> datetime | None:
    """In UTC; a time without a zone is UTC. `0001-01-01T00:00:00+05:00` is before year 1 in UTC: refused."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("the time is out of range") from None


def https_url(value: str) -> str:
    """A destination a browser can follow to a shop: https, a public host name, a valid port, no credentials."""
    if len(value) > 2048 or any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        raise ValueError("destination_url must be a URL of at most 2048 characters without spaces")
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.hostname or not HOSTNAME.match(parts.hostname):
        raise ValueError("destination_url must be an https URL with a host name")
    if "@" in parts.netloc:  # https://user:pw@host, and also https://:@host and https://@host
        raise ValueError("destination_url must not carry credentials")
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0 or parts.netloc.endswith(":"):
        raise ValueError("destination_url has a port that is not a number from 1 to 65535")
    labels = parts.hostname.lower().split(".")
    if len(labels) < 2 or not _TOP_LEVEL_DOMAIN.match(labels[-1]) or labels[-1] in _SPECIAL_USE_DOMAINS:
        raise ValueError("destination_url must name a public host name, not an IP address or a local name")
    return value


def storable_document(value: Any, name: str = "metadata") -> Any:
    """A client's JSON object as DynamoDB can store it and botocore read it back: no empty key at any depth (DynamoDB
    refuses an empty attribute name anywhere), nesting at most MAX_DOCUMENT_DEPTH, and numbers DynamoDB can hold."""
    _check_document(value, name, 1)
    return value


def _check_document(value: Any, path: str, depth: int) -> None:
    if isinstance(value, dict | list) and depth > MAX_DOCUMENT_DEPTH:
        raise ValueError(f"{path} nests deeper than {MAX_DOCUMENT_DEPTH} levels")
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str) or key == "":
                raise ValueError(f"{path} has an empty key")
            _check_document(item, f"{path}.{key}", depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_document(item, f"{path}[{index}]", depth + 1)
    elif isinstance(value, bool) or value is None or isinstance(value, str):
        return
    elif isinstance(value, int):
        if len(str(abs(value))) > _DYNAMO_NUMBER_DIGITS:
            raise ValueError(f"{path} is a number of more than {_DYNAMO_NUMBER_DIGITS} digits")
    elif isinstance(value, float):
        if not math.isfinite(value) or (value != 0 and not _DYNAMO_SMALLEST <= abs(value) < _DYNAMO_LARGEST):
            raise ValueError(f"{path} is a number out of range (magnitudes from 1e-130 to 1e125)")
    else:
        raise ValueError(f"{path} holds a value that is not JSON")
