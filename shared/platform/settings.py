"""Environment read once, in one place; logic receives values, never reads os.environ.

A plain dataclass, not a pydantic model: every function reads its settings at its cold start, and pydantic's
import alone is about half of `import boto3` plus a client (the tracking function's budget, SPEC §8).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from functools import lru_cache

from shared.platform.resources import (
    EVENTS_TABLE,
    HASH_KEY_SECRET,
    METRICS_BUCKET,
    REFERRALS_TABLE,
    REWARDS_BUS,
    SALTS_TABLE,
    SHOPIFY_SECRET,
    SIGNING_SECRET,
    SPILL_QUEUE,
    STATUS_TOKEN_KEY_SECRET,
    STRIPE_WEBHOOK_SECRET,
)


@dataclass(frozen=True)
class Settings:
    events_table: str = EVENTS_TABLE.local_name
    referrals_table: str = REFERRALS_TABLE.local_name
    salts_table: str = SALTS_TABLE.local_name
    metrics_bucket: str = METRICS_BUCKET.local_name
    event_bus: str = REWARDS_BUS.local_name
    # How long raw events stay in the events table (their TTL); the archive in S3 keeps them longer.
    hot_event_days: int = 35
    # Where unknown or disabled codes go; unset means a small 404 page.
    fallback_url: str | None = None
    # Base of advocate links; unset means the host the admin request came in on.
    public_base_url: str | None = None
    cors_origins: tuple[str, ...] = ()
    # The key for hashing emails: a Secrets Manager ARN in AWS, the value itself locally.
    hash_key_secret_arn: str | None = None
    hash_key: str = field(default="local-hash-key", repr=False)
    # Secrets for Wom-Signature (several, comma-separated, during a rotation): an ARN in AWS, values locally.
    signing_secret_arn: str | None = None
    signing_secret: str = field(default="local-signing-secret", repr=False)
    # The commerce platforms' webhook secrets (several, comma-separated, during a rotation): ARNs in AWS, values locally.
    stripe_webhook_secret_arn: str | None = None
    stripe_webhook_secret: str = field(default="whsec_local", repr=False)
    shopify_secret_arn: str | None = None
    shopify_secret: str = field(default="local-shopify-secret", repr=False)
    # Which function this process is (shared.platform.deployment.FUNCTIONS): its clients' time limits. Unset in
    # local mode and tests, where one process runs every function.
    function_name: str | None = None
    # The tracking function's spill queue; unset locally, where it is found by its name.
    spill_queue_url: str | None = None
    # Keys of the advocates' status tokens (several, comma-separated, during a rotation; the first signs): an ARN in
    # AWS, values locally. wom's own: storefronts never hold it, so only wom mints tokens.
    status_token_key_secret_arn: str | None = None
    status_token_key: str = field(default="local-status-token-key", repr=False)

    def __post_init__(self) -> None:
        if self.hot_event_days < 1:
            raise ValueError(f"{ENV_VARS['hot_event_days']} must be at least 1, got {self.hot_event_days}")


ENV_VARS = {
    "events_table": EVENTS_TABLE.env_var,
    "referrals_table": REFERRALS_TABLE.env_var,
    "salts_table": SALTS_TABLE.env_var,
    "metrics_bucket": METRICS_BUCKET.env_var,
    "event_bus": REWARDS_BUS.env_var,
    "hot_event_days": "WOM_HOT_EVENT_DAYS",
    "fallback_url": "WOM_FALLBACK_URL",
    "public_base_url": "WOM_PUBLIC_BASE_URL",
    "cors_origins": "WOM_CORS_ORIGINS",
    "hash_key_secret_arn": HASH_KEY_SECRET.arn_env_var,
    "hash_key": "WOM_HASH_KEY",
    "signing_secret_arn": SIGNING_SECRET.arn_env_var,
    "signing_secret": "WOM_SIGNING_SECRET",
    "stripe_webhook_secret_arn": STRIPE_WEBHOOK_SECRET.arn_env_var,
    "stripe_webhook_secret": "WOM_STRIPE_WEBHOOK_SECRET",
    "shopify_secret_arn": SHOPIFY_SECRET.arn_env_var,
    "shopify_secret": "WOM_SHOPIFY_SECRET",
    "function_name": "WOM_FUNCTION",
    "spill_queue_url": SPILL_QUEUE.env_var,
    "status_token_key_secret_arn": STATUS_TOKEN_KEY_SECRET.arn_env_var,
    "status_token_key": "WOM_STATUS_TOKEN_KEY",
}


_INTEGERS = frozenset(f.name for f in fields(Settings) if f.type in (int, "int"))  # noqa: E721


def settings_from_env(environ: dict[str, str] | None = None) -> Settings:
    environ = os.environ if environ is None else environ
    values: dict[str, object] = {}
    for field_name, var in ENV_VARS.items():
        raw = environ.get(var)
        if raw in (None, ""):
            continue
        if field_name == "cors_origins":
            values[field_name] = tuple(o.strip() for o in raw.split(",") if o.strip())
        elif field_name in _INTEGERS:
            try:
                values[field_name] = int(raw)
            except ValueError:
                raise ValueError(f"{var} must be a whole number, got {raw!r}") from None
        else:
            values[field_name] = raw
    return Settings(**values)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return settings_from_env()
