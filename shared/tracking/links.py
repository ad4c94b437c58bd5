"""Referral link targets: only ever the stored destination, with wom's parameters merged in."""

from __future__ import annotations

from urllib.parse import quote, unquote_plus, urlsplit, urlunsplit

WOM_PARAMETERS = ("wom_ref", "wom_click")


def referral_redirect_url(destination_url: str, code: str, click_id: str) -> str:
    """Add `wom_ref` and `wom_click` to the destination, keeping its other parameters byte for byte
    and its fragment; stale wom parameters already in the destination are replaced."""
    parts = urlsplit(destination_url)
    kept = [pair for pair in parts.query.split("&") if pair and unquote_plus(pair.split("=", 1)[0]) not in WOM_PARAMETERS]
    kept.append(f"wom_ref={quote(code, safe='')}")
    kept.append(f"wom_click={quote(click_id, safe='')}")
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "&".join(kept), parts.fragment))


def advocate_link(base_url: str, code: str) -> str:
    return f"{base_url.rstrip('/')}/r/{code}"
