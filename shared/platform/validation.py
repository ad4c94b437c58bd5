"""What every feature's request models share: strict parsing and the field shapes several of them use."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict

SLUG = r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$"
EVENT_ID = r"^[A-Za-z0-9._:-]{1,128}$"
_HOSTNAME = re.compile(r"^(?=.{1,253}$)([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")


class StrictModel(BaseModel):
    """A request body: unknown fields are refused, strings trimmed."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def email_shape(value: str | None) -> str | None:
    if value is not None and not _EMAIL.match(value):
        raise ValueError("email is not an email address")
    return value


def as_utc(value: datetime | None) -> datetime | None:
    """A time without a zone is UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def https_url(value: str) -> str:
    if len(value) > 2048 or any(ch.isspace() for ch in value):
        raise ValueError("destination_url must be a URL of at most 2048 characters without spaces")
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.hostname or not _HOSTNAME.match(parts.hostname):
        raise ValueError("destination_url must be an https URL with a host name")
    if parts.username or parts.password:
        raise ValueError("destination_url must not carry credentials")
    return value
