"""Customer keys (shared.platform.privacy) and the erasure hold: what an erasure finds a customer by, and how long
it turns away writes of their data."""

from __future__ import annotations

from datetime import timedelta

from shared.platform.deployment import FUNCTIONS, ROUTES
from shared.platform.privacy import customer_key, email_hash
from shared.privacy.job import ERASURE_HOLD

KEY = b"deployment-hash-key"

# API Gateway HTTP APIs end every integration after at most 30 seconds.
API_GATEWAY_INTEGRATION_TIMEOUT = timedelta(seconds=30)


def test_a_customer_key_is_a_keyed_hash_of_the_id_alone():
    key = customer_key(KEY, "cust-1")
    assert key == customer_key(KEY, "cust-1") and len(key) == 32 and int(key, 16) >= 0
    assert key != customer_key(KEY, "cust-2")
    assert key != customer_key(b"another-deployment", "cust-1"), "without the deployment's key nobody can recompute it"
    assert "cust-1" not in key


def test_a_customer_id_that_is_an_email_keys_apart_from_that_emails_hash():
    # A storefront may use the email as its customer id; the two hashes must not collide (self-referral checks
    # compare each with its own kind).
    assert customer_key(KEY, "ada@example.com") not in email_hash(KEY, "ada@example.com")


def test_the_hold_outlasts_any_request_that_could_write_a_customers_data():
    serving = {route.function for route in ROUTES}
    assert ERASURE_HOLD > API_GATEWAY_INTEGRATION_TIMEOUT
    assert all(ERASURE_HOLD > timedelta(seconds=f.timeout_seconds) for f in FUNCTIONS if f.name in serving)
