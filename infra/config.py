"""Deployment settings read once from CDK context (cdk.json, or `cdk deploy -c wom:logLevel=DEBUG`)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from constructs import Construct

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


@dataclass(frozen=True)
class StackConfig:
    cors_origins: tuple[str, ...] = ()
    raw_event_retention_days: int = 400
    log_level: str = "INFO"
    # Default-stage throttling (requests per second, burst): SPEC §8 sizes one campaign at 10,000 events/s.
    throttle_rate_limit: int = 10_000
    throttle_burst_limit: int = 5_000
    # Optional: where unknown codes redirect, and the base of advocate links (e.g. a custom domain).
    fallback_url: str | None = None
    public_base_url: str | None = None

    def __post_init__(self) -> None:
        if self.raw_event_retention_days < 1:
            raise ValueError(f"wom:rawEventRetentionDays must be at least 1, got {self.raw_event_retention_days}")
        if self.throttle_rate_limit < 1 or self.throttle_burst_limit < 1:
            raise ValueError("wom:throttleRateLimit and wom:throttleBurstLimit must be positive")
        if self.log_level not in LOG_LEVELS:
            raise ValueError(f"wom:logLevel must be one of {', '.join(LOG_LEVELS)}, got {self.log_level!r}")
        for origin in self.cors_origins:
            if "," in origin or not origin.startswith(("https://", "http://")):
                raise ValueError(f"wom:corsOrigins entries must be origins like https://shop.example, got {origin!r}")

    @classmethod
    def from_context(cls, scope: Construct) -> StackConfig:
        def get(key: str, default: object) -> object:
            value = scope.node.try_get_context(key)
            return default if value is None else value

        origins = get("wom:corsOrigins", [])
        if isinstance(origins, str):  # -c wom:corsOrigins=... arrives as a string: JSON list or comma-separated
            origins = json.loads(origins) if origins.startswith("[") else origins.split(",")
        return cls(
            cors_origins=tuple(str(origin).strip() for origin in origins if str(origin).strip()),
            raw_event_retention_days=int(get("wom:rawEventRetentionDays", cls.raw_event_retention_days)),
            log_level=str(get("wom:logLevel", cls.log_level)).upper(),
            throttle_rate_limit=int(get("wom:throttleRateLimit", cls.throttle_rate_limit)),
            throttle_burst_limit=int(get("wom:throttleBurstLimit", cls.throttle_burst_limit)),
            fallback_url=get("wom:fallbackUrl", None) or None,
            public_base_url=get("wom:publicBaseUrl", None) or None,
        )
