"""What the fuzz tests share: an HTTP session that authorizes every request as its route needs (the admin token,
a Wom-Signature over the exact bytes sent) and counts what it sent and what came back."""

from __future__ import annotations

import time
from collections import Counter
from urllib.parse import urlsplit

import requests

from local.gateway import match_route
from shared.conversions.signatures import HEADER, signature_header
from tests.e2e.support import ADMIN_TOKEN, SIGNING_SECRET


# Stands in a request's Wom-Signature until the session signs the exact bytes it sends.
SIGN_HERE = "sign-at-send"


def credentials(route_auth: str) -> dict[str, str]:
    """The headers a caller with the right to call a route sends (a fuzzer that drops them must get a 401)."""
    if route_auth == "admin":
        return {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    if route_auth == "signed":
        return {HEADER: SIGN_HERE}
    return {}


class AuthorizingSession(requests.Session):
    """Signs a body where the request asks for it (SIGN_HERE) over the exact bytes sent, and keeps a tally."""

    def __init__(self) -> None:
        super().__init__()
        self.statuses: Counter[int] = Counter()
        self.by_operation: Counter[str] = Counter()
        self.server_errors: list[str] = []

    def send(self, request: requests.PreparedRequest, **kwargs) -> requests.Response:  # type: ignore[override]
        path = urlsplit(request.url or "").path
        match = match_route(request.method or "GET", path)
        if request.headers.get(HEADER) == SIGN_HERE:
            body = request.body or b""
            body = body.encode() if isinstance(body, str) else body
            request.headers[HEADER] = signature_header(SIGNING_SECRET, int(time.time()), body)
        kwargs.setdefault("timeout", 30)
        kwargs["allow_redirects"] = False
        response = super().send(request, **kwargs)
        self.statuses[response.status_code] += 1
        self.by_operation[match.route.route_key if match else f"{request.method} (no route)"] += 1
        if response.status_code >= 500:
            self.server_errors.append(f"{request.method} {request.url} -> {response.status_code}: {response.text[:300]}")
        return response

    def report(self) -> str:
        total = sum(self.statuses.values())
        statuses = ", ".join(f"{status}: {count}" for status, count in sorted(self.statuses.items()))
        return f"{total} requests ({statuses}); {len(self.server_errors)} answered 5xx"


# The one session of a test run: its tally is printed at the end (tests/e2e/conftest.py).
FUZZING_SESSION = AuthorizingSession()
