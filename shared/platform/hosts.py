"""Host names as DNS compares them: written once, free of pydantic, so the tracking function can use it too."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

HOSTNAME = re.compile(r"^(?=.{1,253}$)([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$")


def host_name(value: str) -> str:
    """A host name in lower case without a trailing dot; anything that is not a host name is refused (ValueError)."""
    host = value.strip().lower().removesuffix(".")
    if not HOSTNAME.match(host):
        raise ValueError(f"{value[:80]!r} is not a host name")
    return host


def referring_host(referer: str | None) -> str | None:
    """The host of a Referer header, and nothing else of it (no path, query or port): None when it names none."""
    if not referer or len(referer) > 4096:
        return None
    try:
        host = urlsplit(referer.strip()).hostname
        return host_name(host) if host else None
    except ValueError:
        return None
