"""What the fuzz tests share: an HTTP session that authorizes every request as its route needs (the admin token,
a Wom-Signature, Stripe-Signature or Shopify HMAC over the exact bytes sent) and counts what it sent and what came
back."""

from __future__ import annotations

import time
from collections import Counter
from urllib.parse import urlsplit

import requests

from local.gateway import match_route
from local.settings import DEFAULT_SHOPIFY_SECRET, DEFAULT_STRIPE_SECRET
from shared.conversions.signatures import HEADER, signature_header
from shared.conversions.webhooks.shopify import HMAC_HEADER, shopify_hmac
from shared.conversions.webhooks.stripe import HEADER as STRIPE_HEADER
from shared.conversions.webhooks.stripe import stripe_signature_header
from tests.e2e.support import ADMIN_TOKEN, SIGNING_SECRET


# Stands in a request's Wom-Signature until the session signs the exact bytes it sends.
SIGN_HERE = "sign-at-send"


def credentials(route_auth: str) -> dict[str, str]:
    """The headers a caller with the right to call a route sends (a fuzzer that drops them must get a 401)."""
    if route_auth == "admin":
        return {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    if route_auth == "signed":
        return {HEADER: SIGN_HERE}
    if route_auth == "stripe":
        return {STRIPE_HEADER: SIGN_HERE}
    if route_auth == "shopify":
        return {HMAC_HEADER: SIGN_HERE}
    return {}


# How each signed header is made over the body at send time (local mode's default secrets).
_SIGNERS = {
    HEADER: lambda body: signature_header(SIGNING_SECRET, int(time.time()), body),
    STRIPE_HEADER: lambda body: stripe_signature_header(DEFAULT_STRIPE_SECRET, int(time.time()), body),
    HMAC_HEADER: lambda body: shopify_hmac(DEFAULT_SHOPIFY_SECRET, body),
}


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
        for name, sign in _SIGNERS.items():
            if request.headers.get(name) == SIGN_HERE:
                body = request.body or b""
                request.headers[name] = sign(body.encode() if isinstance(body, str) else body)
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
