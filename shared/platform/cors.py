"""Which browser origins may call wom's CORS routes: exact origins, and `<scheme>://<host>:*` for that host on any
port (local mode allows http://localhost:* and http://127.0.0.1:*, wherever a developer serves a page from).
No web framework here: the tracking function answers CORS itself (its cold start)."""

from __future__ import annotations


def origin_allowed(origin: str | None, origins: tuple[str, ...]) -> bool:
    if not origin:
        return False
    if origin in origins or "*" in origins:
        return True
    prefix = next((o[:-1] for o in origins if o.endswith(":*") and origin.startswith(o[:-1])), None)
    return prefix is not None and origin[len(prefix) :].isdigit()
