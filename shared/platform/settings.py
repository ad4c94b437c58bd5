"""Environment read once, in one place; logic receives values, never reads os.environ."""

from __future__ import annotations

import os
from functools import lru_cache

from pydantic import BaseModel, Field

from shared.platform.resources import EVENTS_TABLE, METRICS_BUCKET, REFERRALS_TABLE, REWARDS_BUS


class Settings(BaseModel):
    events_table: str = EVENTS_TABLE.local_name
    referrals_table: str = REFERRALS_TABLE.local_name
    metrics_bucket: str = METRICS_BUCKET.local_name
    event_bus: str = REWARDS_BUS.local_name
    raw_event_retention_days: int = Field(default=400, ge=1)
    # Where unknown or disabled codes go; unset means a small 404 page.
    fallback_url: str | None = None
    # Base of advocate links; unset means the host the admin request came in on.
    public_base_url: str | None = None
    cors_origins: tuple[str, ...] = ()
    # The key for hashing emails: a Secrets Manager ARN in AWS, the value itself locally.
    hash_key_secret_arn: str | None = None
    hash_key: str = "local-hash-key"
    # Secrets for Wom-Signature (several, comma-separated, during a rotation): an ARN in AWS, values locally.
    signing_secret_arn: str | None = None
    signing_secret: str = "local-signing-secret"
    # Keys of the advocates' status tokens (several, comma-separated, during a rotation; the first signs): an ARN in
    # AWS, values locally. wom's own: storefronts never hold it, so only wom mints tokens.
    status_token_key_secret_arn: str | None = None
    status_token_key: str = "local-status-token-key"


ENV_VARS = {
    "events_table": EVENTS_TABLE.env_var,
    "referrals_table": REFERRALS_TABLE.env_var,
    "metrics_bucket": METRICS_BUCKET.env_var,
    "event_bus": REWARDS_BUS.env_var,
    "raw_event_retention_days": "WOM_RAW_EVENT_RETENTION_DAYS",
    "fallback_url": "WOM_FALLBACK_URL",
    "public_base_url": "WOM_PUBLIC_BASE_URL",
    "cors_origins": "WOM_CORS_ORIGINS",
    "hash_key_secret_arn": "WOM_HASH_KEY_SECRET_ARN",
    "hash_key": "WOM_HASH_KEY",
    "signing_secret_arn": "WOM_SIGNING_SECRET_ARN",
    "signing_secret": "WOM_SIGNING_SECRET",
    "status_token_key_secret_arn": "WOM_STATUS_TOKEN_KEY_SECRET_ARN",
    "status_token_key": "WOM_STATUS_TOKEN_KEY",
}


def settings_from_env(environ: dict[str, str] | None = None) -> Settings:
    environ = os.environ if environ is None else environ
    values: dict[str, object] = {}
    for field_name, var in ENV_VARS.items():
        raw = environ.get(var)
        if raw in (None, ""):
            continue
        values[field_name] = tuple(o.strip() for o in raw.split(",") if o.strip()) if field_name == "cors_origins" else raw
    return Settings.model_validate(values)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return settings_from_env()
