"""Deployment settings read once from CDK context (cdk.json, or `cdk deploy -c wom:logLevel=DEBUG`)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from constructs import Construct

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# One address; CloudWatch and SNS do the rest (the subscription asks the address to confirm).
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
# A standard topic: CloudWatch alarms cannot publish to FIFO topics.
_TOPIC_ARN = re.compile(r"arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}")
# What `cdk destroy` does with the data: keep the tables, bucket and secrets (an operator's stack), or delete
# everything (a test stack, so that `cdk destroy` then `cdk deploy` starts clean).
REMOVAL_POLICIES = ("retain", "destroy")


@dataclass(frozen=True)
class StackConfig:
    cors_origins: tuple[str, ...] = ()
    raw_event_retention_days: int = 400
    # How long raw events stay in DynamoDB (their TTL): attribution and today's metrics need no more.
    hot_event_days: int = 35
    log_level: str = "INFO"
    # Default-stage throttling (requests per second, burst), which the tracking routes use: SPEC §8 sizes one
    # campaign at 10,000 events/s.
    throttle_rate_limit: int = 10_000
    throttle_burst_limit: int = 5_000
    # Signed storefront routes (conversions, refunds): one request per order, so 100/s is about 8.6 million
    # orders a day; the cap keeps a leaked signing secret or a looping storefront from running up the bill.
    signed_throttle_rate_limit: int = 100
    signed_throttle_burst_limit: int = 200
    # Admin routes (IAM-signed operator calls, and the OpenAPI document): people and back-office scripts.
    admin_throttle_rate_limit: int = 20
    admin_throttle_burst_limit: int = 40
    # Where alarms notify: the stack's own topic (optionally with one email subscription), or the operator's.
    alarm_email: str | None = None
    alarm_topic_arn: str | None = None
    # The rewards bus's archive. Reward events carry customer ids that an erasure cannot reach inside an
    # archive: 35 days is the point-in-time recovery window, which already keeps erased items that long.
    reward_event_archive_days: int = 35
    # Optional: where unknown codes redirect, and the base of advocate links (e.g. a custom domain).
    fallback_url: str | None = None
    public_base_url: str | None = None
    removal_policy: str = "retain"

    @property
    def destroys_data(self) -> bool:
        return self.removal_policy == "destroy"

    def __post_init__(self) -> None:
        if self.removal_policy not in REMOVAL_POLICIES:
            raise ValueError(f"wom:removalPolicy must be one of {', '.join(REMOVAL_POLICIES)}, got {self.removal_policy!r}")
        if self.raw_event_retention_days < 1:
            raise ValueError(f"wom:rawEventRetentionDays must be at least 1, got {self.raw_event_retention_days}")
        for key, value in self.throttle_limits().items():
            if value < 1:
                raise ValueError(f"wom:{key} must be positive, got {value}")
        if not 1 <= self.hot_event_days <= self.raw_event_retention_days:
            raise ValueError(
                f"wom:hotEventDays must be between 1 and wom:rawEventRetentionDays ({self.raw_event_retention_days}), got {self.hot_event_days}"
            )
        if self.log_level not in LOG_LEVELS:
            raise ValueError(f"wom:logLevel must be one of {', '.join(LOG_LEVELS)}, got {self.log_level!r}")
        for origin in self.cors_origins:
            if "," in origin or not origin.startswith(("https://", "http://")):
                raise ValueError(f"wom:corsOrigins entries must be origins like https://shop.example, got {origin!r}")
        if self.alarm_email and self.alarm_topic_arn:
            raise ValueError(
                "give wom:alarmEmail or wom:alarmTopicArn, not both: with your own topic, subscribe the address to it"
            )
        if self.alarm_email is not None and not _EMAIL.fullmatch(self.alarm_email):
            raise ValueError(f"wom:alarmEmail must be one email address, got {self.alarm_email!r}")
        if self.alarm_topic_arn is not None and not _TOPIC_ARN.fullmatch(self.alarm_topic_arn):
            raise ValueError(
                f"wom:alarmTopicArn must be the ARN of a standard (not FIFO) SNS topic, got {self.alarm_topic_arn!r}"
            )
        # At least a day: EventBridge reads 0 as "keep forever", which the erasure note above rules out.
        if self.reward_event_archive_days < 1:
            raise ValueError(f"wom:rewardEventArchiveDays must be at least 1, got {self.reward_event_archive_days}")

    def throttle_limits(self) -> dict[str, int]:
        """The route throttling settings by their context key (without the wom: prefix)."""
        return {
            "throttleRateLimit": self.throttle_rate_limit,
            "throttleBurstLimit": self.throttle_burst_limit,
            "signedThrottleRateLimit": self.signed_throttle_rate_limit,
            "signedThrottleBurstLimit": self.signed_throttle_burst_limit,
            "adminThrottleRateLimit": self.admin_throttle_rate_limit,
            "adminThrottleBurstLimit": self.admin_throttle_burst_limit,
        }

    @classmethod
    def from_context(cls, scope: Construct) -> StackConfig:
        def get(key: str, default: object) -> object:
            value = scope.node.try_get_context(key)
            return default if value is None else value

        def text(key: str) -> str | None:
            return str(get(key, "")).strip() or None

        origins = get("wom:corsOrigins", [])
        if isinstance(origins, str):  # -c wom:corsOrigins=... arrives as a string: JSON list or comma-separated
            origins = json.loads(origins) if origins.startswith("[") else origins.split(",")
        return cls(
            cors_origins=tuple(str(origin).strip() for origin in origins if str(origin).strip()),
            raw_event_retention_days=int(get("wom:rawEventRetentionDays", cls.raw_event_retention_days)),
            hot_event_days=int(get("wom:hotEventDays", cls.hot_event_days)),
            log_level=str(get("wom:logLevel", cls.log_level)).upper(),
            throttle_rate_limit=int(get("wom:throttleRateLimit", cls.throttle_rate_limit)),
            throttle_burst_limit=int(get("wom:throttleBurstLimit", cls.throttle_burst_limit)),
            signed_throttle_rate_limit=int(get("wom:signedThrottleRateLimit", cls.signed_throttle_rate_limit)),
            signed_throttle_burst_limit=int(get("wom:signedThrottleBurstLimit", cls.signed_throttle_burst_limit)),
            admin_throttle_rate_limit=int(get("wom:adminThrottleRateLimit", cls.admin_throttle_rate_limit)),
            admin_throttle_burst_limit=int(get("wom:adminThrottleBurstLimit", cls.admin_throttle_burst_limit)),
            alarm_email=text("wom:alarmEmail"),
            alarm_topic_arn=text("wom:alarmTopicArn"),
            reward_event_archive_days=int(get("wom:rewardEventArchiveDays", cls.reward_event_archive_days)),
            fallback_url=get("wom:fallbackUrl", None) or None,
            public_base_url=get("wom:publicBaseUrl", None) or None,
            removal_policy=str(get("wom:removalPolicy", cls.removal_policy)).lower(),
        )
